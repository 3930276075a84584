"""A tracked call: reserve on entry, price what is recorded inside, commit on exit."""

from __future__ import annotations

from contextvars import ContextVar, Token
from decimal import Decimal
from types import TracebackType
from typing import TYPE_CHECKING, Any

from powertools.cost import _ids
from powertools.cost._money import usd
from powertools.cost._normalise import parse_response
from powertools.cost._records import CallRecord
from powertools.cost._usage import Usage
from powertools.cost.errors import CostError, MissingUsageError, UsageFormatError

if TYPE_CHECKING:
    from powertools.cost._budget import Reservation
    from powertools.cost._tracker import CostTracker

__all__ = ["Span", "current_span", "report_usage"]

_current: ContextVar[Span | None] = ContextVar("powertools_cost_span", default=None)


class Span:
    """One tracked task; ``record()`` prices usage, exit commits it to the budgets.

    It carries what it was opened for: the attribution (``task``, ``model``, ``user``,
    ``tags``, ``provider``, ``batch``) and the worst-case size of the call (``reserve_fd``, -1
    when the tracker sizes the hold on entry; ``prompt_estimate``; ``max_tokens``).

    A span that ends without any usage recorded is kept as an *unmetered* call: it counts as
    a task, costs $0, and reports show how many there were (``require_usage=True`` on the
    tracker raises :class:`MissingUsageError` instead). A span that ends with an exception
    and no usage records nothing and releases its reservation.
    """

    __slots__ = (
        "_reservation",
        "_token",
        "batch",
        "id",
        "max_tokens",
        "model",
        "prompt_estimate",
        "provider",
        "records",
        "reserve_fd",
        "tags",
        "task",
        "tracker",
        "user",
    )

    def __init__(  # noqa: PLR0917 - built in one place, positionally: once per tracked call
        self,
        tracker: CostTracker,
        task: str,
        model: str | None,
        user: str | None,
        tags: tuple[str, ...],
        provider: str | None,
        batch: bool,
        reserve_fd: int,
        prompt_estimate: int | None,
        max_tokens: int | None = None,
    ) -> None:
        # the call's attribution and size live on the span itself: a separate object for them
        # cost an allocation and a Python frame on every tracked call
        self.tracker = tracker
        self.task = task
        self.model = model
        self.user = user
        self.tags = tags
        self.provider = provider
        self.batch = batch
        self.reserve_fd = reserve_fd
        self.prompt_estimate = prompt_estimate
        self.max_tokens = max_tokens
        self.id = f"{_ids.prefix}{next(_ids.counter):x}"  # new_id(), inlined: once per call
        self.records: list[CallRecord] = []
        self._reservation: Reservation | None = None
        self._token: Token[Span | None] | None = None

    @property
    def cost(self) -> Decimal:
        """What this span has cost so far, in dollars."""
        return usd(self.cost_fd)

    @property
    def cost_fd(self) -> int:
        """What this span has cost so far, in femto-dollars."""
        records = self.records
        if len(records) == 1:  # the usual span: one call (no generator to build)
            return records[0].cost_fd
        return sum(r.cost_fd for r in records)

    def record(
        self, usage: Any, *, model: str | None = None, provider: str | None = None
    ) -> CallRecord:
        """Price and keep one call's usage: a :class:`Usage`, a provider response or SDK object."""
        if type(usage) is Usage:  # the router's and the tests' case: nothing to parse
            parsed, reported_model = usage, None
        else:
            parsed, reported_model = parse_response(usage)
        name = model or reported_model or self.model
        if name is None:
            raise UsageFormatError(
                f"span {self.task!r} cannot price usage without a model: pass model= "
                "to track_call() or record()"
            )
        record = self.tracker.price_record(self, parsed, name, provider or self.provider)
        self.records.append(record)
        return record

    def capture(
        self, usage: Usage, *, model: str | None = None, provider: str | None = None
    ) -> CallRecord:
        """Like :meth:`record`, for the httpx capture: usage that cannot be priced (an unknown
        model, no model at all) is kept with its tokens, flagged ``unpriced`` and warned about
        (:class:`CaptureWarning`, and the ``powertools.cost`` logger) instead of raising."""
        try:
            return self.record(usage, model=model, provider=provider)
        except (LookupError, CostError) as exc:
            record = self.tracker.unpriced_record(self, usage, model or self.model, exc)
            self.records.append(record)
            return record

    def _finish(self, failed: bool) -> list[CallRecord]:
        if self._token is not None:
            _current.reset(self._token)
        if self.records or failed:
            return self.records
        if self.tracker.require_usage:
            raise MissingUsageError(
                f"span {self.task!r} ended without usage: call span.record(response)"
            )
        unmetered = CallRecord(
            self.id,
            self.id,
            self.tracker.clock(),
            self.task,
            self.model,
            self.user,
            self.tags,
            None,
            0,
        )
        return [unmetered]

    async def start(self) -> None:
        """Reserve the call's worst case (``async with`` does this, and makes it current)."""
        if self.tracker._prices is None and self.reserve_fd < 0:
            await self.tracker.aprices()  # the first span: load the prices off the loop
        self._reservation = await self.tracker.budgets.reserve(
            amount_fd=self.tracker.hold_fd(self),
            user=self.user,
            task=self.task,
            tags=self.tags,
            rid=self.id,
            keep_alive=True,
        )

    async def __aenter__(self) -> Span:
        await self.start()
        self._token = _current.set(self)
        return self

    async def __aexit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        await self.finish(failed=kind is not None)

    async def finish(self, *, failed: bool) -> None:
        """Commit what was recorded (or release the hold) and keep the records."""
        assert self._reservation is not None
        try:
            records = self._finish(failed)
        except MissingUsageError:
            await self.tracker.budgets.release(self._reservation)
            raise
        if records and records[0].usage is not None:
            await self.tracker.budgets.commit(self._reservation, actual_fd=self.cost_fd)
        else:
            await self.tracker.budgets.release(self._reservation)
        await self.tracker.keep(records)

    def __enter__(self) -> Span:
        tracker = self.tracker  # start_sync(), inlined: once per call
        self._reservation = tracker.budgets.hold_sync(
            tracker.hold_fd(self), self.user, self.task, self.tags, self.id
        )
        self._token = _current.set(self)
        return self

    def start_sync(self) -> None:
        """:meth:`start` for synchronous ledgers."""
        tracker = self.tracker
        self._reservation = tracker.budgets.hold_sync(
            tracker.hold_fd(self), self.user, self.task, self.tags, self.id
        )

    def __exit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        records, reservation = self.records, self._reservation
        if records and reservation is not None:  # finish_sync()'s usual case, one call less
            self._spend(reservation, records)
        else:
            self.finish_sync(failed=kind is not None)

    def _spend(self, reservation: Reservation, records: list[CallRecord]) -> None:
        """Usage was recorded: spend it and keep the records."""
        if self._token is not None:
            _current.reset(self._token)
        tracker = self.tracker
        cost = records[0].cost_fd if len(records) == 1 else self.cost_fd
        tracker.budgets.spend_sync(reservation, cost)
        tracker.keep_sync(records)

    def finish_sync(self, *, failed: bool) -> None:
        """:meth:`finish` for synchronous ledgers."""
        assert self._reservation is not None
        if self.records:  # the usual span: usage was recorded, so it is spent and kept
            self._spend(self._reservation, self.records)
            return
        try:
            records = self._finish(failed)
        finally:  # nothing was recorded, so nothing was spent: an unmetered record at most
            self.tracker.budgets.release_sync(self._reservation)
        self.tracker.keep_sync(records)


def current_span() -> Span | None:
    """The innermost span open in this task or thread, if any."""
    return _current.get()


def report_usage(
    usage: Usage | Any, *, model: str | None = None, provider: str | None = None
) -> CallRecord | None:
    """Record usage into the current span; the router and the httpx hook call this.

    Returns the priced record, or None when no span is open.
    """
    span = _current.get()
    if span is None:
        return None
    return span.record(usage, model=model, provider=provider)
