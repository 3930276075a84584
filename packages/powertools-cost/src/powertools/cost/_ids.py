"""Cheap unique ids for reservations and records: a random per-process prefix and a counter.

``uuid4()`` costs a system call per id; this is a dict-lookup's worth of work and still unique
across processes (48 random bits per process, renewed in a forked child).
"""

from __future__ import annotations

import itertools
import os

__all__ = ["new_id"]

# public to the package: a span builds its id inline from these (one Python call less)
prefix = ""
counter = itertools.count()


def _reseed() -> None:
    global prefix, counter  # noqa: PLW0603  (per-process state, renewed after fork)
    prefix = os.urandom(6).hex() + "-"
    counter = itertools.count()


_reseed()
os.register_at_fork(after_in_child=_reseed)


def new_id() -> str:
    """A new id, unique across threads and processes.

    >>> new_id() != new_id()
    True
    """
    return f"{prefix}{next(counter):x}"
