"""The PostgreSQL ledger's own behaviour: a dead server is a LedgerError; closing is idempotent."""

from __future__ import annotations

import socket

import pytest

from powertools.cost import LedgerError

postgres = pytest.importorskip("powertools.cost.backends.postgres")


def closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


async def test_a_dead_server_is_a_ledger_error_and_the_ledger_still_closes() -> None:
    ledger = postgres.PostgresLedger.from_url(
        f"postgresql://postgres@127.0.0.1:{closed_port()}/test"
    )
    with pytest.raises(LedgerError, match=r"cannot open the PostgreSQL ledger: \w*Error"):
        await ledger.totals("global:2026-11", 0.0)
    await ledger.aclose()  # nothing was opened: nothing to close, and no error
    await ledger.aclose()


@pytest.mark.integration
async def test_closing_twice_after_use_is_harmless(postgres_dsn: str) -> None:
    ledger = postgres.PostgresLedger.from_url(postgres_dsn)
    assert await ledger.totals("never-used:2026-11", 0.0) == (0, 0)
    await ledger.aclose()
    await ledger.aclose()
