"""Verify an audit trail as an auditor would, with the command's own entry point.

The same as running ``python -m powertools.logging audit verify PATH --public-key HEX``
(or ``powertools-logging audit verify ...``): exit 0 when intact, 1 when tampered.
"""

import tempfile
from pathlib import Path

from powertools.logging import AuditTrail, SigningKey
from powertools.logging.cli import main

folder = Path(tempfile.mkdtemp())
key = SigningKey.generate()
trail = AuditTrail(folder / "audit.log", signing_key=key, checkpoint_every=10)
for n in range(25):
    trail.append("update", actor=f"user{n % 3}", resource=f"doc/{n}")
trail.close()

# keep the public key (and a copy of the checkpoints) where the log's writer cannot change them
public_key = key.public_key().raw().hex()
command = ["audit", "verify", str(trail.path), "--public-key", public_key]
print("exit", main(command))

# someone removes record 12
lines = trail.path.read_bytes().splitlines(keepends=True)
del lines[11]
trail.path.write_bytes(b"".join(lines))
print("exit", main(command))
