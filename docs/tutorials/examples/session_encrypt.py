"""Encrypt a session at rest (needs powertools-session[encryption]), and rotate the key."""

from __future__ import annotations

import secrets
import tempfile
from pathlib import Path

from powertools.session import Session, SessionError

folder = Path(tempfile.mkdtemp())
STORE = folder.as_uri()
old_key, new_key = secrets.token_bytes(32), secrets.token_bytes(32)  # keep them in a vault


def main() -> None:
    vault = Session("patient-7", store=STORE, encryption_keys={"2026-01": old_key})
    vault.set("notes", "allergic to penicillin")
    vault.save()

    on_disk = b"".join(p.read_bytes() for p in folder.rglob("*") if p.is_file())
    assert b"penicillin" not in on_disk  # AES-256-GCM: nothing readable on disk
    print("stored on disk, none of it readable")

    try:  # without the key the session does not open (it is never read as empty)
        Session("patient-7", store=STORE)
    except SessionError as exc:
        print(f"without the key: {type(exc).__name__}")
    else:
        raise AssertionError("an encrypted session opened without its key")

    # Rotation: the old key first, the new one last; save() re-encrypts with the newest.
    rotated = Session(
        "patient-7", store=STORE, encryption_keys={"2026-01": old_key, "2026-07": new_key}
    )
    rotated.set("rotated", True)
    rotated.save()
    later = Session("patient-7", store=STORE, encryption_keys={"2026-07": new_key})
    print("after rotation, the new key alone reads:", later.get_all())
    assert later.get("notes") == "allergic to penicillin"


if __name__ == "__main__":
    main()
