"""powertools.logging against structlog, loguru and stdlib + python-json-logger, same run.

Measures: µs per JSON event (3 context fields + 4 event fields) written to a file; µs per
filtered-out DEBUG call; query latency on 1,000,000 stored events (SQLite): a page, a day, an
indexed field filter with one rare match, the same on a field without an index, and counts;
audit verification of 1,000,000 records with signed checkpoints (on every core and
sequentially, beside one bare SHA-256 per line). Run:
``uv run --group bench python tools/bench/bench_logging.py``. The same script runs against an
older checkout (``PYTHONPATH=<old>/packages/powertools-logging/src``): what that version lacks
(``count``) is reported as n/a.
"""

from __future__ import annotations

import hashlib
import json
import logging
import random
import resource
import sqlite3
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from powertools.logging import Query, StructuredLogger, clear_context, set_context
from powertools.logging._audit import GENESIS, _digest, verify_records, verify_trail
from powertools.logging._audit_keys import SigningKey, load_public_key
from powertools.logging._audit_parallel import cpu_count
from powertools.logging._encode import format_time
from powertools.logging.sinks.file import FileSink
from powertools.logging.sinks.sqlite import SqliteSink

EVENTS = 10_000
ROUNDS = 7
STORED = 1_000_000
AUDITED = 1_000_000
RARE = 777_777  # the one event with model="rare-model"
CONTEXT = {"user_id": "user123", "session_id": "sess456", "trace_id": "trace789"}
FIELDS = {"model": "gpt-4", "tokens": 1500, "provider": "openai", "priority": "high"}


Calls = tuple[Callable[[], None], Callable[[], None], Callable[[], None]]  # info, debug, close


def timed_us(call: Callable[[], None], n: int = EVENTS) -> float:
    """Mean µs per call over ``n`` calls."""
    start = time.perf_counter()
    for _ in range(n):
        call()
    return (time.perf_counter() - start) / n * 1e6


def ours(folder: Path) -> Calls:
    sink = FileSink(folder / "ours.jsonl")
    log = StructuredLogger("bench", sinks=[sink], level="info")
    set_context(**CONTEXT)

    def close() -> None:
        clear_context()
        sink.close()

    return (
        lambda: log.info("llm_call_started", **FIELDS),
        lambda: log.debug("llm_call_started", **FIELDS),
        close,
    )


def structlog_orjson(folder: Path) -> Calls:
    import orjson
    import structlog

    out = open(folder / "structlog.jsonl", "wb")  # noqa: SIM115
    structlog.configure(
        processors=[
            structlog.contextvars.merge_contextvars,
            structlog.processors.add_log_level,
            structlog.processors.TimeStamper(fmt="iso", utc=True),
            structlog.processors.JSONRenderer(serializer=orjson.dumps),
        ],
        logger_factory=structlog.BytesLoggerFactory(out),
        wrapper_class=structlog.make_filtering_bound_logger(logging.INFO),
        cache_logger_on_first_use=True,
    )
    log = structlog.get_logger()
    structlog.contextvars.bind_contextvars(**CONTEXT)

    def close() -> None:
        structlog.contextvars.clear_contextvars()
        out.close()

    return (
        lambda: log.info("llm_call_started", **FIELDS),
        lambda: log.debug("llm_call_started", **FIELDS),
        close,
    )


def loguru_serialize(folder: Path) -> Calls:
    from loguru import logger

    logger.remove()
    logger.add(folder / "loguru.jsonl", serialize=True, level="INFO")
    scope = logger.contextualize(**CONTEXT)
    scope.__enter__()

    def close() -> None:
        scope.__exit__(None, None, None)
        logger.remove()

    return (
        lambda: logger.info("llm_call_started", **FIELDS),
        lambda: logger.debug("llm_call_started", **FIELDS),
        close,
    )


def stdlib_json(folder: Path) -> Calls:
    from pythonjsonlogger.json import JsonFormatter

    handler = logging.FileHandler(folder / "stdlib.jsonl")
    handler.setFormatter(JsonFormatter("%(asctime)s %(levelname)s %(name)s %(message)s"))
    log = logging.getLogger("bench.stdlib")
    log.propagate = False
    log.addHandler(handler)
    log.setLevel(logging.INFO)
    extra = {**CONTEXT, **FIELDS}  # stdlib has no context: the fields ride in `extra`
    return (
        lambda: log.info("llm_call_started", extra=extra),
        lambda: log.debug("llm_call_started", extra=extra),
        handler.close,
    )


def per_event(folder: Path) -> list[tuple[str, float, float]]:
    """Every library set up at once, measured in turn each round (so a burst of load on the
    shared machine hits all of them alike); medians over the rounds."""
    libraries = {
        "powertools.logging": ours(folder),
        "structlog + orjson (BytesLogger)": structlog_orjson(folder),
        "loguru serialize=True": loguru_serialize(folder),
        "stdlib + python-json-logger": stdlib_json(folder),
    }
    events: dict[str, list[float]] = {name: [] for name in libraries}
    debugs: dict[str, list[float]] = {name: [] for name in libraries}
    for _ in range(ROUNDS):
        for name, (info, debug, _close) in libraries.items():
            events[name].append(timed_us(info))
            debugs[name].append(timed_us(debug))
    for _info, _debug, close in libraries.values():
        close()
    return [
        (name, statistics.median(events[name]), statistics.median(debugs[name]))
        for name in libraries
    ]


def _store(path: Path) -> SqliteSink:
    try:  # the synthetic events are dated January 2026: keep them whatever today is
        return SqliteSink(path, retention_days=None)  # type: ignore[call-arg,unused-ignore]
    except TypeError:  # a version without retention
        return SqliteSink(path)


def _median_ms(call: Callable[[], object], rounds: int = 30) -> tuple[float, object]:
    samples, result = [], None
    for _ in range(rounds):
        t = time.perf_counter()
        result = call()
        samples.append((time.perf_counter() - t) * 1000)
    return statistics.median(samples), result


def query_latency(folder: Path) -> tuple[dict[str, tuple[float, object]], float]:
    path = folder / "events.db"
    _store(path).close()  # the sink's own schema and indexes
    rng = random.Random(7)  # noqa: S311 -- synthetic data
    start = 1_767_225_600.0
    events = [f"event_{i}" for i in range(10)]
    models = ["gpt-4", "claude", "gemini", "llama"]
    setup = time.perf_counter()
    with sqlite3.connect(path) as db:
        # bulk load without the indexes; reopening the sink below builds them again
        indexes = [
            row[0] for row in db.execute("SELECT name FROM sqlite_master WHERE type='index'")
        ]
        db.executescript(
            "PRAGMA synchronous=OFF;" + "".join(f"DROP INDEX {name};" for name in indexes)
        )
        rows = []
        for n in range(STORED):
            ts = start + n * 2.592  # 30 days
            event, model = rng.choice(events), rng.choice(models)
            if n == RARE:
                model = "rare-model"
            line = (
                f'{{"time":"{format_time(ts)}","level":"info","logger":"bench",'
                f'"event":"{event}","model":"{model}","n":{n}}}'
            )
            rows.append((ts, 20, event, "bench", line))
            if len(rows) == 100_000 or n == STORED - 1:
                db.executemany(
                    "INSERT INTO events (ts, level, event, logger, data) VALUES (?, ?, ?, ?, ?)",
                    rows,
                )
                rows.clear()
    sink = _store(path)
    sink.flush()  # the indexes exist once the sink's thread has started
    setup = time.perf_counter() - setup
    window = {
        "event_type": "event_3",
        "start": start + 10 * 86400,
        "end": start + 11 * 86400,
        "filters": {"model": "gpt-4"},
    }
    queries: dict[str, Callable[[], object]] = {
        "page": lambda: len(sink.query(Query(**window, limit=100))),  # type: ignore[arg-type]
        "day": lambda: len(sink.query(Query(**window, limit=10_000))),  # type: ignore[arg-type]
        "recent": lambda: len(
            sink.query(Query(event_type="event_3", filters={"model": "gpt-4"}, limit=100))
        ),
        "indexed": lambda: [
            e["n"] for e in sink.query(Query(filters={"model": "rare-model"}, limit=100))
        ],
        "unindexed": lambda: [e["n"] for e in sink.query(Query(filters={"n": RARE}, limit=100))],
    }
    counter = getattr(sink, "count", None)
    january = Query(
        event_type="event_3", start=start, end=start + 31 * 86400, filters={"model": "gpt-4"}
    )
    try:
        counter(january)  # type: ignore[misc]
    except TypeError:  # a version whose count() takes no query
        counter = None
    if counter is not None:
        queries["count"] = lambda: counter(january)
        queries["count_all"] = lambda: counter(Query())
    timings = {
        name: _median_ms(call, 5 if name == "unindexed" else 30) for name, call in queries.items()
    }
    sink.close()
    return timings, setup


def sqlite_throughput(folder: Path, n: int = 100_000) -> tuple[float, float]:
    """µs per logging call into the SQLite store, and events/s until all are stored."""
    sink = _store(folder / "throughput.db")
    log = StructuredLogger("tp", sinks=[sink])
    start = time.perf_counter()
    for i in range(n):
        log.info("llm_call", model="gpt-4", provider="openai", user_id="u1", n=i)
    queued = time.perf_counter() - start
    sink.close()  # stores everything queued
    return queued / n * 1e6, n / (time.perf_counter() - start)


def _write_audit_trail(path: Path, key: SigningKey) -> None:
    """1,000,000 records and a checkpoint every 1,000 (the default), signed."""
    prev, chunks, checkpoints = GENESIS, [], []
    for n in range(1, AUDITED + 1):
        seq = str(n).encode()
        body = (
            b'{"action":"update","actor":"user%d","event":"audit","origin":"bench",'
            b'"resource":"doc/%d","result":"success","time":%d}' % (n % 97, n, n)
        )
        prev = _digest(prev, seq, body)
        chunks.append(prev + b"\t" + seq + b"\t" + body + b"\n")
        if n % 1000 == 0:
            signature = key.sign(b"%d\t%s" % (n, prev)).hex()
            checkpoints.append(
                json.dumps({"seq": n, "hash": prev.decode(), "time": n, "signature": signature})
            )
    path.write_bytes(b"".join(chunks))
    Path(f"{path}.checkpoints").write_text("\n".join(checkpoints) + "\n")


def _children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def _hash_floor(path: Path) -> tuple[float, float]:
    """The peer: one SHA-256 per line and nothing else (no chain, no comparison)."""
    t, c = time.perf_counter(), time.process_time()
    sha = hashlib.sha256
    for line in path.read_bytes().split(b"\n"):
        sha(line).hexdigest()
    return time.perf_counter() - t, time.process_time() - c


def audit_verify(folder: Path) -> tuple[dict[str, tuple[float, float, float]], float]:
    """Median wall, own CPU and workers' CPU (seconds) of each way of verifying."""
    path, key = folder / "bench.audit", SigningKey.generate()
    setup = time.perf_counter()
    _write_audit_trail(path, key)
    setup = time.perf_counter() - setup
    public = key.public_key().raw()
    ways: dict[str, Callable[[], tuple[float, float]]] = {
        f"verify_trail, {cpu_count()} processes": lambda: _timed_verify(path, public, None),
        "verify_trail, sequential": lambda: _timed_verify(path, public, 1),
        "0.1.0's check (whole file, one split)": lambda: _whole_file(path, public),
        "peer: sha256 per line, no chain": lambda: _hash_floor(path),
    }
    samples: dict[str, list[tuple[float, float, float]]] = {name: [] for name in ways}
    for _ in range(ROUNDS):
        for name, way in ways.items():
            children = _children_cpu()
            wall, cpu = way()
            samples[name].append((wall, cpu, _children_cpu() - children))
    medians = {
        name: (
            statistics.median(row[0] for row in rows),
            statistics.median(row[1] for row in rows),
            statistics.median(row[2] for row in rows),
        )
        for name, rows in samples.items()
    }
    return medians, setup


def _whole_file(path: Path, public: bytes) -> tuple[float, float]:
    """What verification was before decision 0504: read it all, split it, check the chain."""
    t, c = time.perf_counter(), time.process_time()
    verifier = load_public_key(public)
    entries = [json.loads(line) for line in Path(f"{path}.checkpoints").read_text().splitlines()]
    for entry in entries:
        assert verifier.verifies(f"{entry['seq']}\t{entry['hash']}".encode(), entry["signature"])
    checkpoints = {entry["seq"]: entry["hash"].encode() for entry in entries}
    assert verify_records(path.read_bytes(), checkpoints) == AUDITED
    return time.perf_counter() - t, time.process_time() - c


def _timed_verify(path: Path, public: bytes, processes: int | None) -> tuple[float, float]:
    t, c = time.perf_counter(), time.process_time()
    result = verify_trail(path, public_key=public, processes=processes)
    assert (result.records, result.checkpoints, result.signed) == (AUDITED, AUDITED // 1000, True)
    return time.perf_counter() - t, time.process_time() - c


def main() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        rows = per_event(folder)
        print(f"Python {sys.version.split()[0]}; {EVENTS:,} events x {ROUNDS} rounds, medians")
        print(f"{'library':36} {'µs/event to file':>17} {'µs/filtered DEBUG':>18}")
        for name, event, debug in rows:
            print(f"{name:36} {event:17.2f} {debug:18.3f}")
        structlog_us = rows[1][1]
        print(f"ours / structlog per event: {rows[0][1] / structlog_us:.2f}x (goal <= 0.6x)")
        timings, setup = query_latency(folder)
        print(f"\nquery on {STORED:,} stored events (SQLite; setup {setup:.1f} s), medians:")
        labels = {
            "page": "event + one day + field filter, first 100 (goal <= 10)",
            "day": "same, up to 10,000 matches parsed",
            "recent": "event + field filter, newest 100",
            "indexed": "indexed field filter, one rare match (goal <= 10)",
            "unindexed": "unindexed field filter, one rare match",
            "count": "count: event + January + field filter",
            "count_all": "count: every stored event",
        }
        for name, label in labels.items():
            if name in timings:
                ms, result = timings[name]
                print(f"  {label:56} {ms:9.2f} ms  -> {result}")
            else:
                print(f"  {label:56}       n/a")
        call_us, per_second = sqlite_throughput(folder)
        print(
            f"\nSQLite store, 100,000 events: {call_us:.1f} µs per logging call, "
            f"{per_second:,.0f} events/s stored"
        )
        verified, setup = audit_verify(folder)
        print(
            f"\naudit verify of {AUDITED:,} records + {AUDITED // 1000:,} signed checkpoints "
            f"(setup {setup:.1f} s), medians of {ROUNDS}; goal <= 2 s wall:"
        )
        print(f"  {'':36} {'wall s':>7} {'own CPU s':>10} {'workers CPU s':>14}")
        for name, (wall, cpu, workers) in verified.items():
            print(f"  {name:36} {wall:7.2f} {cpu:10.2f} {workers:14.2f}")


if __name__ == "__main__":
    main()
