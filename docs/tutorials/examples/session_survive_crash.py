"""Make a conversation survive a crash: a process killed with SIGKILL loses no acknowledged turn."""

from __future__ import annotations

import subprocess
import sys
import tempfile
import textwrap
from pathlib import Path

from powertools.session import Session

STORE = Path(tempfile.mkdtemp()).as_uri()  # production: the default folder, or a URL

# The chat worker: every turn is written before append() returns, then the process is killed
# mid-conversation, with no chance to flush or close anything.
WORKER = textwrap.dedent(
    """
    import os, signal, sys
    from powertools.session import Session

    chat = Session("chat-42", store=sys.argv[1])
    chat.set("user", {"id": 42, "plan": "pro"})
    for n in range(3):
        chat.append("history", {"role": "user", "content": f"question {n}"})
        chat.append("history", {"role": "assistant", "content": f"answer {n}"})
    os.kill(os.getpid(), signal.SIGKILL)
    """
)


def main() -> None:
    crashed = subprocess.run([sys.executable, "-c", WORKER, STORE], check=False)  # noqa: S603 - our own script
    print(f"worker exit status {crashed.returncode} (killed by SIGKILL)")
    assert crashed.returncode == -9

    chat = Session("chat-42", store=STORE)  # the restarted worker opens the same session
    history = chat.get("history")
    print(f"recovered {len(history)} turns; last: {history[-1]['content']!r}")
    assert len(history) == 6
    assert chat.get("user") == {"id": 42, "plan": "pro"}

    chat.append("history", {"role": "user", "content": "where were we?"})  # and carries on
    assert len(Session("chat-42", store=STORE).get("history")) == 7


if __name__ == "__main__":
    main()
