"""What the object-store backends (S3, GCS) share: the names beside a session, and its load."""

from __future__ import annotations

from powertools.session._backend import Stored, Token
from powertools.session._envelope import best_effort_version

__all__ = ["MARK", "QUARANTINE", "stored_object"]

MARK = ".damaged"  # <name>.damaged: the recovery report, until the user accepts it
QUARANTINE = ".quarantine"  # <name>.quarantine/<label>-<digest>: damaged bytes moved aside


def stored_object(
    got: tuple[bytes, Token] | None,
    mark: tuple[bytes, Token] | None,
    where: str,
    mark_where: str,
) -> Stored | None:
    """A session object (bytes, token) and its recovery mark as :class:`Stored`; None if neither.

    A damaged object is returned as it is (the session decodes it and reports the damage).
    """
    if got is None and mark is None:
        return None
    data, token = got if got is not None else (None, None)
    return Stored(
        data,
        [],
        token,
        best_effort_version(data or b""),
        where,
        where,
        marker=None if mark is None else mark[0].decode("utf-8", "replace"),
        marker_location=mark_where,
    )
