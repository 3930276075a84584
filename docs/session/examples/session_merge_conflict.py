"""Two processes edit one agent's scratchpad at once: a three-way merge keeps both edits.

With `on_conflict=merge`, a writer that finds a newer version gets the data its change started
from (`base`), what is stored now (`theirs`) and its own (`ours`), and saves what `merge`
returns. Here notes are unioned and the step counters add their deltas.
"""

from typing import Any

from powertools.session import ConflictError, Session


def merge(base: dict[str, Any], theirs: dict[str, Any], ours: dict[str, Any]) -> dict[str, Any]:
    steps = theirs.get("steps", 0) + ours.get("steps", 0) - base.get("steps", 0)
    notes = theirs.get("notes", []) + [
        n for n in ours.get("notes", []) if n not in theirs.get("notes", [])
    ]
    return {**theirs, **ours, "steps": steps, "notes": notes}


Session("agent-7").update({"steps": 0, "notes": []})
planner = Session("agent-7", on_conflict=merge)
critic = Session("agent-7", on_conflict=merge)

planner.update(
    {"steps": planner.get("steps") + 1, "notes": [*planner.get("notes"), "plan: 3 steps"]}
)
critic.update({"steps": critic.get("steps") + 1, "notes": [*critic.get("notes"), "risk: no tests"]})

final = Session("agent-7").get_all()
assert final == {"steps": 2, "notes": ["plan: 3 steps", "risk: no tests"]}, final

# the default, on_conflict="raise", refuses the stale write instead and stores none of it
stale = Session("agent-7")
Session("agent-7").set("steps", 3)
try:
    stale.set("steps", 99)
except ConflictError:
    stale.reload()
print(final, "| after a refused stale write:", stale.get("steps"))
