"""Each test starts with uncalibrated token estimates (the calibration is process-wide)."""

from __future__ import annotations

import pytest

import powertools.cost._tokens as tokens
from powertools.cost import CallRecord, Ledger, MemoryLedger


@pytest.fixture(autouse=True)
def fresh_calibration(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(tokens, "CALIBRATION", tokens.Calibration())


class AsyncOnlyLedger:
    """A memory ledger seen only through its async methods, as PostgreSQL and Redis are."""

    def __init__(self) -> None:
        self.inner = MemoryLedger()

    async def reserve(
        self, key: str, limit_fd: int, amount_fd: int, rid: str, *, expires_at: float, now: float
    ) -> bool:
        return await self.inner.reserve(
            key, limit_fd, amount_fd, rid, expires_at=expires_at, now=now
        )

    async def commit(self, key: str, rid: str, amount_fd: int) -> int:
        return await self.inner.commit(key, rid, amount_fd)

    async def release(self, key: str, rid: str) -> None:
        await self.inner.release(key, rid)

    async def extend(self, key: str, rid: str, *, expires_at: float, now: float) -> bool:
        return await self.inner.extend(key, rid, expires_at=expires_at, now=now)

    async def totals(self, key: str, now: float) -> tuple[int, int]:
        return await self.inner.totals(key, now)

    async def first_alert(self, key: str, name: str) -> bool:
        return await self.inner.first_alert(key, name)

    async def append(self, record: CallRecord) -> None:
        await self.inner.append(record)

    async def records(self, since: float | None = None) -> list[CallRecord]:
        return await self.inner.records(since)

    async def aclose(self) -> None:
        await self.inner.aclose()


@pytest.fixture
def async_only_ledger() -> Ledger:
    """A fresh ledger with no synchronous API (spans on it must be ``async with``)."""
    return AsyncOnlyLedger()
