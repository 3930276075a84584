"""Eight worker threads count the tokens one team used, into one session, without losing any.

A read-modify-write (`n = get(); set(n + 1)`) loses updates when two writers interleave;
`update_with` reads, applies the function and writes only if nobody wrote in between,
retrying on the newest data otherwise.
"""

from concurrent.futures import ThreadPoolExecutor

from powertools.session import Session

CALLS = 25


def worker(worker_id: int) -> None:
    usage = Session("usage-team-a")  # each worker opens its own view of the same session
    for _ in range(CALLS):
        usage.update_with(lambda d: {**d, "tokens": d.get("tokens", 0) + 120})


with ThreadPoolExecutor(max_workers=8) as pool:
    list(pool.map(worker, range(8)))

total = Session("usage-team-a").get("tokens")
assert total == 8 * CALLS * 120, total
print(f"team-a used {total} tokens in {8 * CALLS} calls")
