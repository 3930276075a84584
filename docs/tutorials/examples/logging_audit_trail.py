"""Write an audit trail of who did what, verify it, and catch a record someone deleted."""

from __future__ import annotations

import tempfile
from pathlib import Path

from powertools.logging import AuditTamperedError, AuditTrail, SigningKey, verify_trail

folder = Path(tempfile.mkdtemp())
key = SigningKey.generate()  # production: a key kept apart from the trail (needs [audit])
PUBLIC_KEY = key.public_key().raw()  # what an auditor is given


def record_a_day_of_actions() -> Path:
    trail = AuditTrail(folder / "actions.audit", signing_key=key, checkpoint_every=5)
    for n in range(12):
        trail.append(
            "merge_pr" if n == 7 else "read_file",
            event="tool_call",
            actor=f"agent-{n % 2}",
            resource=f"repo/app#{n}",
            result="success",
        )
    trail.close()
    return trail.path


def main() -> None:
    path = record_a_day_of_actions()
    checkpoints = path.with_name(path.name + ".checkpoints")
    report = verify_trail(path, checkpoint_path=checkpoints, public_key=PUBLIC_KEY)
    print("intact:", report)

    # someone hides the merge: they delete record 8 from the file
    lines = path.read_bytes().splitlines(keepends=True)
    assert b"merge_pr" in lines[7]
    del lines[7]
    path.write_bytes(b"".join(lines))
    try:
        verify_trail(path, checkpoint_path=checkpoints, public_key=PUBLIC_KEY)
    except AuditTamperedError as exc:
        print(f"tampering detected: {exc.kind} at record {exc.seq}")
        kind = exc.kind
    else:
        raise AssertionError("a deleted record went unnoticed")
    assert kind == "removed"


if __name__ == "__main__":
    main()
