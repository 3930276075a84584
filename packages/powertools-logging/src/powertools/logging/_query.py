"""A query's terms, parsed and validated once, and matching them against parsed events."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any

from powertools.logging._levels import parse_level
from powertools.logging._record import LogEvent
from powertools.logging.errors import QueryError

__all__ = ["Query", "QueryResult", "TimeLike", "parse_time"]

TimeLike = datetime | date | str | float | int | None
_FIELD_PATH = re.compile(r"^[A-Za-z_][A-Za-z0-9_\-]*(?:\.[A-Za-z_][A-Za-z0-9_\-]*)*$")
_SCALARS = (str, int, float, bool, type(None))


def parse_time(value: TimeLike, *, end: bool = False) -> float | None:
    """Epoch seconds for a datetime, date, ISO string or number; naive times are UTC.

    A bare date as an ``end`` bound means the end of that day, so ``end_time="2026-01-31"``
    includes all of January 31.

    >>> parse_time("2026-01-01")
    1767225600.0
    >>> parse_time("2026-01-31", end=True) - parse_time("2026-01-31")
    86400.0
    """
    if value is None or isinstance(value, int | float):
        return None if value is None else float(value)
    if isinstance(value, str):
        text = value.strip().replace("Z", "+00:00")
        try:
            value = date.fromisoformat(text) if len(text) == 10 else datetime.fromisoformat(text)
        except ValueError:
            raise QueryError(
                f"cannot read the time {value!r}: use an ISO date like '2026-01-31' "
                "or a datetime like '2026-01-31T12:00:00+00:00'"
            ) from None
    if not isinstance(value, datetime):
        day = datetime(value.year, value.month, value.day, tzinfo=UTC)
        return (day + timedelta(days=1) if end else day).timestamp()
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    return value.timestamp()


def _lookup(fields: Mapping[str, Any], path: str) -> Any:
    value: Any = fields
    for part in path.split("."):
        if not isinstance(value, Mapping) or part not in value:
            return _MISSING
        value = value[part]
    return value


_MISSING = object()
_SHOWN = 5  # events a QueryResult's repr shows


@dataclass(slots=True, frozen=True)
class Query:
    """What to find: event name, time range ``[start, end)``, level, field equality filters."""

    event_type: str | None = None
    start: float | None = None
    end: float | None = None
    filters: Mapping[str, Any] = field(default_factory=dict)
    min_level: int = 0
    logger: str | None = None
    limit: int | None = None  # None: every match

    @classmethod
    def build(  # noqa: PLR0917 -- mirrors query()'s positional parameters
        cls,
        event_type: str | None = None,
        start_time: TimeLike = None,
        end_time: TimeLike = None,
        filters: Mapping[str, Any] | None = None,
        level: str | int | None = None,
        logger: str | None = None,
        limit: int | None = None,
    ) -> Query:
        """Validate the public arguments of ``query()``."""
        if limit is not None and (type(limit) is not int or limit < 1):
            raise QueryError(
                f"limit must be a whole number of at least 1 (or None: every match), got {limit!r}"
            )
        for name, wanted in (filters or {}).items():
            if not _FIELD_PATH.match(name):
                raise QueryError(f"cannot filter on {name!r}: use a field name or a dotted path")
            if not isinstance(wanted, _SCALARS):
                raise QueryError(f"filter {name!r} must compare to a str, number, bool or None")
        return cls(
            event_type=event_type,
            start=parse_time(start_time),
            end=parse_time(end_time, end=True),
            filters=dict(filters or {}),
            min_level=0 if level is None else int(parse_level(level)),
            logger=logger,
            limit=limit,
        )

    def unlimited(self) -> Query:
        """The same terms without a limit (what :meth:`count` counts)."""
        return Query(
            self.event_type, self.start, self.end, self.filters, self.min_level, self.logger
        )

    def newest(self, events: list[LogEvent]) -> list[LogEvent]:
        """``events`` (oldest first) cut to this query's limit: the newest ones."""
        return events if self.limit is None else events[-self.limit :]

    def matches(self, event: LogEvent) -> bool:
        """Whether a parsed event satisfies every term (the JSONL scan uses this)."""
        ts = event.time.timestamp()
        if self.start is not None and ts < self.start:
            return False
        if self.end is not None and ts >= self.end:
            return False
        if event.level < self.min_level or self.logger not in (None, event.logger):
            return False
        if self.event_type is not None and event.event != self.event_type:
            return False
        return all(_lookup(event.fields, k) == v for k, v in self.filters.items())


class QueryResult(Sequence[LogEvent]):
    """The events a query matched, oldest first, and how many matched in all.

    Nothing is capped silently: without a ``limit`` it holds every match; with one it holds
    the newest ``limit`` and :attr:`total` still says how many matched (:attr:`truncated`).
    Rows are read when first used, and ``len()`` of a query without a limit only counts.

    >>> rows = [1, 2, 3]
    >>> result = QueryResult(lambda: rows[-2:], lambda: len(rows), limit=2)
    >>> len(result), result.total, result.truncated, list(result)
    (2, 3, True, [2, 3])
    """

    def __init__(
        self,
        fetch: Callable[[], list[LogEvent]],
        count: Callable[[], int],
        *,
        limit: int | None = None,
    ) -> None:
        self._fetch, self._count, self.limit = fetch, count, limit
        self._rows: list[LogEvent] | None = None
        self._total: int | None = None

    @property
    def total(self) -> int:
        """How many stored events matched, whatever the limit."""
        if self._total is None:
            self._total = (
                len(self._rows)
                if self._rows is not None and self.limit is None
                else (self._count())
            )
        return self._total

    @property
    def truncated(self) -> bool:
        """Whether the limit left matches out (then ``len(self) < self.total``)."""
        return self.total > len(self)

    def rows(self) -> list[LogEvent]:
        """The matched events as a list (read from the store on first use)."""
        if self._rows is None:
            self._rows = self._fetch()
        return self._rows

    def __len__(self) -> int:
        if self._rows is not None:
            return len(self._rows)
        return self.total if self.limit is None else min(self.total, self.limit)

    def __getitem__(self, index: Any) -> Any:
        return self.rows()[index]

    def __iter__(self) -> Iterator[LogEvent]:
        return iter(self.rows())

    def __eq__(self, other: object) -> bool:
        if isinstance(other, Sequence) and not isinstance(other, str | bytes):
            return self.rows() == list(other)
        return NotImplemented

    __hash__ = None  # type: ignore[assignment]  # mutable-looking, compared by content

    def __repr__(self) -> str:
        rows = self.rows()
        shown = ", ".join(map(repr, rows[:_SHOWN])) + (", ..." if len(rows) > _SHOWN else "")
        return f"QueryResult([{shown}], {len(rows)} of {self.total} matching events)"
