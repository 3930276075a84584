"""Back up a session before a risky change, then restore it when the change goes wrong."""

from __future__ import annotations

import tempfile
from pathlib import Path

from powertools.session import Session

folder = Path(tempfile.mkdtemp())
STORE = folder.as_uri()
BACKUPS = (folder / "backups").as_uri()  # any store: another folder, s3://bucket/backups, ...


def main() -> None:
    agent = Session("agent-plan", store=STORE)
    agent.set("plan", ["read the repo", "write the fix", "open a PR"])
    agent.set("step", 1)

    agent.create_backup(f"{BACKUPS}/agent-plan.before-migration")
    print("backups:", Session.list(BACKUPS))

    agent.set("plan", [])  # the risky change: a bad migration wipes the plan
    agent.set("step", None)

    agent.restore_backup(f"{BACKUPS}/agent-plan.before-migration")
    restored = Session("agent-plan", store=STORE)
    print("restored:", restored.get_all())
    assert restored.get("plan") == ["read the repo", "write the fix", "open a PR"]
    assert restored.get("step") == 1


if __name__ == "__main__":
    main()
