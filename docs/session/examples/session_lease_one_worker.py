"""Only one worker at a time revises a nightly job's plan: the session's lease keeps others out.

`session.lock(ttl=, wait=)` is a lease (a file lock here, `SET NX PX` on Redis): the holder
revises the plan; a second worker that will not wait gets `SessionLockedError` and moves on.
"""

import threading

from powertools.session import Session, SessionLockedError

Session("nightly-job").set("plan", ["extract"])
held, release = threading.Event(), threading.Event()


def holder() -> None:
    session = Session("nightly-job")
    with session.lock(ttl=30, wait=5):
        session.set("plan", [*session.get("plan"), "transform"])
        held.set()
        release.wait(5)
        session.set("plan", [*session.get("plan"), "load"])


thread = threading.Thread(target=holder)
thread.start()
held.wait(5)
try:
    with Session("nightly-job").lock(ttl=30, wait=0):
        raise AssertionError("two workers held the lease at once")
except SessionLockedError:
    print("another worker holds the plan; skipping this run")
release.set()
thread.join()

with Session("nightly-job").lock(ttl=30, wait=5) as lease:  # free again
    plan = Session("nightly-job").get("plan")
assert plan == ["extract", "transform", "load"], plan
print("plan:", plan, "lease version", lease.version)
