"""A tamper-evident audit trail: append, verify, then catch an edited record."""

import tempfile
from pathlib import Path

from powertools.logging import AuditTamperedError, AuditTrail, SigningKey

folder = Path(tempfile.mkdtemp())
key = SigningKey.generate()
trail = AuditTrail(folder / "audit.log", signing_key=key, checkpoint_every=10)

for n in range(25):
    trail.append("update", actor=f"user{n % 3}", resource=f"doc/{n}", result="success")
trail.close()

print(trail.verify())

# someone edits record 7 in place
lines = trail.path.read_bytes().splitlines(keepends=True)
lines[6] = lines[6].replace(b"user0", b"user9")
trail.path.write_bytes(b"".join(lines))
try:
    trail.verify(public_key=key.public_key().raw())
except AuditTamperedError as error:
    print(f"detected: {error.kind} record {error.seq}")
