"""One recorded call, and its lossless JSON and CSV forms."""

from __future__ import annotations

from collections.abc import Iterable
from decimal import Decimal
from typing import Any, NamedTuple

from powertools.cost._money import fd_from_text, usd
from powertools.cost._usage import BUCKETS, Usage

__all__ = ["CallRecord", "from_csv", "from_json", "to_csv", "to_json"]


class CallRecord(NamedTuple):
    """A priced call: who, what, when, the usage and the exact cost (femto-dollars).

    Immutable. A named tuple rather than a frozen dataclass: one is built for every tracked
    call, and a frozen dataclass's ``__init__`` costs about four times as much. ``id`` is
    unique per record: a span's first record carries the span's id, later ones ``<span>.<n>``.
    ``unpriced`` marks usage that could not be priced (an unknown model seen by the httpx
    capture): its tokens are kept, its cost is 0 until a price is set and it is re-priced.
    """

    id: str
    span_id: str
    at: float
    task: str
    model: str | None
    user: str | None
    tags: tuple[str, ...]
    usage: Usage | None
    cost_fd: int
    estimate_error: float | None = None
    unpriced: bool = False

    @property
    def cost(self) -> Decimal:
        """The exact cost in dollars."""
        return usd(self.cost_fd)

    @property
    def metered(self) -> bool:
        """False for a span that ended without any usage reported."""
        return self.usage is not None

    def as_dict(self) -> dict[str, Any]:
        """A JSON-ready dict; the cost is a decimal string, so nothing is rounded."""
        return {
            "id": self.id,
            "span_id": self.span_id,
            "at": repr(self.at),
            "task": self.task,
            "model": self.model,
            "user": self.user,
            "tags": list(self.tags),
            "usage": self.usage.as_dict() if self.usage else None,
            "cost_usd": str(self.cost),
            "estimate_error": None if self.estimate_error is None else repr(self.estimate_error),
            "unpriced": self.unpriced,
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> CallRecord:
        """The inverse of :meth:`as_dict`."""
        usage = data.get("usage")
        error = data.get("estimate_error")
        return cls(
            id=str(data["id"]),
            span_id=str(data["span_id"]),
            at=float(data["at"]),
            task=str(data["task"]),
            model=data.get("model") or None,
            user=data.get("user") or None,
            tags=tuple(data.get("tags") or ()),
            usage=Usage(**{b: int(usage[b]) for b in BUCKETS}) if usage else None,
            cost_fd=fd_from_text(str(data["cost_usd"])),
            estimate_error=None if error in (None, "") else float(error),
            unpriced=str(data.get("unpriced", "")).lower() in ("true", "1"),
        )


def to_json(records: Iterable[CallRecord]) -> str:
    """Records as a JSON array (lossless)."""
    import json

    return json.dumps([r.as_dict() for r in records], indent=1)


def from_json(text: str) -> list[CallRecord]:
    """Records back from :func:`to_json`."""
    import json

    return [CallRecord.from_dict(item) for item in json.loads(text)]


_COLUMNS = (
    "id",
    "span_id",
    "at",
    "task",
    "model",
    "user",
    "tags",
    "cost_usd",
    "estimate_error",
    "unpriced",
)


def to_csv(records: Iterable[CallRecord]) -> str:
    """Records as CSV, one column per usage bucket (lossless; tags as a JSON list)."""
    import csv
    import io
    import json

    out = io.StringIO(newline="")
    writer = csv.writer(out, lineterminator="\n", quoting=csv.QUOTE_ALL)
    writer.writerow((*_COLUMNS, "metered", *BUCKETS))
    for r in records:
        d = r.as_dict()
        d["tags"] = json.dumps(d["tags"])
        buckets = r.usage.as_dict() if r.usage else dict.fromkeys(BUCKETS, 0)
        writer.writerow(
            [("" if d[c] is None else d[c]) for c in _COLUMNS]
            + [int(r.metered)]
            + [buckets[b] for b in BUCKETS]
        )
    return out.getvalue()


def from_csv(text: str) -> list[CallRecord]:
    """Records back from :func:`to_csv`."""
    import csv
    import io
    import json

    rows = csv.DictReader(io.StringIO(text, newline=""))
    out = []
    for row in rows:
        data: dict[str, Any] = dict(row)
        data["tags"] = json.loads(row["tags"])
        data["usage"] = {b: row[b] for b in BUCKETS} if row["metered"] == "1" else None
        out.append(CallRecord.from_dict(data))
    return out
