"""Open a ledger from a URL through the ``powertools.cost.ledgers`` entry points."""

from __future__ import annotations

from typing import cast

from powertools.cost._ledger import Ledger
from powertools.cost.errors import LedgerError, MissingExtraError

__all__ = ["open_ledger"]

_ALIASES = {
    "postgres": "postgresql",
    "rediss": "redis",
    "redis+cluster": "redis",
    "rediss+cluster": "redis",
}
_EXTRAS = {"postgresql": "postgres", "redis": "redis"}


def open_ledger(url: str) -> Ledger:
    """A ledger for ``memory://``, ``sqlite:///path``, ``postgresql://…``, ``redis://…`` or
    ``rediss://…`` (one node), ``redis+cluster://…`` or ``rediss+cluster://…`` (a cluster).

    A missing driver raises :class:`MissingExtraError` naming the extra to install.

    >>> type(open_ledger("memory://")).__name__
    'MemoryLedger'
    """
    from importlib.metadata import entry_points

    scheme = url.partition("://")[0].lower()
    scheme = _ALIASES.get(scheme, scheme)
    found = entry_points(group="powertools.cost.ledgers", name=scheme)
    if not found:
        raise LedgerError(
            f"no ledger for the URL scheme {scheme!r}; use memory, sqlite, postgresql or redis"
        )
    try:
        factory = next(iter(found)).load()
    except MissingExtraError:
        raise
    except ImportError as exc:
        raise MissingExtraError(f"the {scheme} ledger", _EXTRAS.get(scheme, scheme)) from exc
    return cast(Ledger, factory.from_url(url))
