"""PostgreSQL fixture: a fresh database per test session on the machine's server, dropped after."""

from __future__ import annotations

import asyncio
import os
import secrets
from collections.abc import Iterator
from urllib.parse import urlsplit, urlunsplit

from powertools_testkit._processes import port_is_open
from powertools_testkit._require import unavailable

__all__ = ["fresh_postgres_database"]

DEFAULT_ADMIN_DSN = "postgresql://postgres@127.0.0.1:5432/test"


async def _execute(dsn: str, statement: str) -> None:
    import asyncpg

    connection = await asyncpg.connect(dsn, timeout=10)
    try:
        await connection.execute(statement)
    finally:
        await connection.close()


def fresh_postgres_database() -> Iterator[str]:
    """Create ``powertools_test_<random>`` and yield its DSN; drop it afterwards.

    ``POWERTOOLS_TEST_POSTGRES`` names another server's admin DSN.
    """
    admin = os.environ.get("POWERTOOLS_TEST_POSTGRES", DEFAULT_ADMIN_DSN)
    parts = urlsplit(admin)
    host, port = parts.hostname or "127.0.0.1", parts.port or 5432
    if not port_is_open(host, port):
        unavailable(f"PostgreSQL at {host}:{port}", "start it or set POWERTOOLS_TEST_POSTGRES")
    name = f"powertools_test_{secrets.token_hex(6)}"
    asyncio.run(_execute(admin, f'CREATE DATABASE "{name}"'))
    try:
        yield urlunsplit(parts._replace(path=f"/{name}"))
    finally:
        asyncio.run(_execute(admin, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
