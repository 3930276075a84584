from __future__ import annotations

import gzip
import json

from hypothesis import given, settings
from hypothesis import strategies as st

from powertools.logging import LogRecord
from powertools.logging._batches import CLOUDWATCH, DATADOG, PUBSUB, pack
from powertools.logging.sinks.cloudwatch import cloudwatch_batches
from powertools.logging.sinks.datadog import datadog_payloads
from powertools.logging.sinks.pubsub import pubsub_bodies

# sizes chosen so that limits are reached with few, cheap records
sizes = st.lists(st.sampled_from([0, 10, 200, 70_000, 300_000]), min_size=1, max_size=12)
many = st.integers(0, 1100)  # enough small records to pass the count limits
times = st.floats(1.7e9, 1.7e9 + 3 * 86400, allow_nan=False)


def _records(lengths: list[int], stamps: list[float]) -> list[LogRecord]:
    return [
        LogRecord(t, 20, "e", "l", json.dumps({"event": "e", "pad": "é" * (n // 2)}))
        for n, t in zip(lengths, stamps, strict=False)
    ]


@settings(max_examples=50)
@given(sizes, st.lists(times, min_size=12, max_size=12), many)
def test_cloudwatch_batches_never_break_put_log_events_limits(
    lengths: list[int], stamps: list[float], small: int
) -> None:
    records = _records(lengths, stamps) + _records([1] * small, [stamps[0]] * small)
    batches = cloudwatch_batches(records)
    flat = [e for b in batches for e in b]
    assert len(flat) == len(records)
    assert [e["timestamp"] for e in flat] == sorted(e["timestamp"] for e in flat)
    for batch in batches:
        assert len(batch) <= 10_000
        assert sum(len(e["message"].encode()) + 26 for e in batch) <= 1_048_576
        assert batch[-1]["timestamp"] - batch[0]["timestamp"] < 24 * 3600 * 1000
        assert all(len(e["message"].encode()) + 26 <= 262_144 for e in batch)


@settings(max_examples=50)
@given(sizes, many)
def test_datadog_payloads_never_break_intake_limits(lengths: list[int], small: int) -> None:
    lengths = lengths + [1] * small
    records = _records(lengths, [1.7e9] * len(lengths))
    payloads = datadog_payloads(records, service="s", hostname="h", tags="")
    entries = [entry for p in payloads for entry in json.loads(p)]
    assert len(entries) == len(records)
    for payload in payloads:
        assert len(payload) <= 5 * 1024 * 1024
        assert len(json.loads(payload)) <= 1000
        entries_json = [json.dumps(e, ensure_ascii=False).encode() for e in json.loads(payload)]
        assert all(len(e) <= 1024 * 1024 for e in entries_json)


@settings(max_examples=50)
@given(sizes, many)
def test_pubsub_bodies_stay_within_publish_limits(lengths: list[int], small: int) -> None:
    lengths = lengths * 4 + [1] * small
    records = _records(lengths, [1.7e9] * len(lengths))
    bodies = pubsub_bodies(records)
    assert sum(len(json.loads(b)["messages"]) for b in bodies) == len(records)
    assert all(len(b) <= 10_000_000 and len(json.loads(b)["messages"]) <= 1000 for b in bodies)


@given(st.lists(st.integers(0, 50), max_size=200), st.integers(1, 20))
def test_pack_keeps_order_and_limits(lengths: list[int], count: int) -> None:
    from powertools.logging._batches import Limits

    limits = Limits(
        max_bytes=120, max_count=count, max_item_bytes=60, item_overhead=3, request_overhead=5
    )
    batches = list(pack(lengths, lambda n: n, limits))
    assert [n for b in batches for n in b] == lengths
    for b in batches:
        assert len(b) <= count
        assert 5 + sum(n + 3 for n in b) <= 120


def test_oversized_events_are_truncated_to_fit() -> None:
    huge = [LogRecord(1.7e9, 20, "e", "l", json.dumps({"pad": "é" * 1_500_000}))]
    (cw,) = cloudwatch_batches(huge)
    assert len(cw[0]["message"].encode()) + 26 <= 262_144
    assert cw[0]["message"].endswith("[truncated]")
    (dd,) = datadog_payloads(huge, service="s", hostname="h", tags="")
    assert len(dd) <= 1024 * 1024 + 2


def test_limits_are_the_documented_ones() -> None:
    assert (CLOUDWATCH.max_bytes, CLOUDWATCH.max_count, CLOUDWATCH.item_overhead) == (
        1_048_576,
        10_000,
        26,
    )
    assert (DATADOG.max_bytes, DATADOG.max_count) == (5 * 1024 * 1024, 1000)
    assert (PUBSUB.max_bytes, PUBSUB.max_count) == (10_000_000, 1000)
    assert gzip.decompress(gzip.compress(b"x")) == b"x"
