"""An encrypted, compressed session with key rotation, backed up to another store."""

import secrets
import tempfile
from pathlib import Path

from powertools.session import Session

folder = Path(tempfile.mkdtemp())
old_key, new_key = secrets.token_bytes(32), secrets.token_bytes(32)

session = Session("vault", store=folder.as_uri(), encryption_keys={"2025-01": old_key})
session.set("api_notes", {"service": "billing", "token_hint": "ends in 4f2a"})

# Rotation: list the old key first, the new one last. Old data still decrypts; new writes
# (and the snapshot that save() writes) use the newest key.
keys = {"2025-01": old_key, "2025-07": new_key}
session = Session("vault", store=folder.as_uri(), encryption_keys=keys)
session.set("rotated", True)
session.save()

# A backup is an ordinary session in any store: here a second folder (s3://... works the same).
backup_store = (folder / "backups").as_uri()
session.create_backup(f"{backup_store}/vault.backup")
restored = Session("vault.backup", store=backup_store, encryption_keys={"2025-07": new_key})
print(restored.get_all())
