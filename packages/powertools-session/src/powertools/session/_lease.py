"""A held lease on a session: see ``Session.lock``."""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["LEASE_POLL_SECONDS", "Lease"]

#: How often a waiting ``lock()`` asks the store again.
LEASE_POLL_SECONDS = 0.05


@dataclass(slots=True, frozen=True)
class Lease:
    """A held lease: the session, who holds it, and the version it was taken at (the fence)."""

    name: str
    owner: str
    version: int
