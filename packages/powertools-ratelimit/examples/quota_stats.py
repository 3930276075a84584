"""Queue calls fairly across teams, then read the stats and the daily forecast."""

from __future__ import annotations

import asyncio

from powertools.ratelimit import QuotaManager


async def main() -> None:
    quota = QuotaManager(requests_per_minute=6_000, tokens_per_day=2_000_000)

    async def call(team: str) -> None:
        reservation = await quota.check_and_wait(tokens=1_000, priority="normal", tenant=team)
        reservation.settle(tokens=800)  # the call used less than estimated: 200 refunded

    await asyncio.gather(*(call(team) for team in ("search", "chat", "batch") for _ in range(5)))
    stats = quota.get_stats()
    print(f"Queue length: {stats.queued_tasks}")
    print(f"Wait time: {stats.estimated_wait_seconds:.2f}s")
    daily = stats.dimensions["tokens_per_day"]
    print(f"Tokens left today: {daily.remaining:,.0f} ({daily.utilisation:.2%} used)")
    print(f"Runs out in: {stats.runs_out_in_seconds['tokens_per_day']}")
    if quota.would_wait_longer_than(2.0, tokens=50_000):
        print("would wait too long: route elsewhere")


if __name__ == "__main__":
    asyncio.run(main())
