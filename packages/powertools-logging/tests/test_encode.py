from __future__ import annotations

import json
import math
from datetime import UTC, date, datetime

import pytest
from hypothesis import given
from hypothesis import strategies as st

from powertools.logging import StructuredLogger
from powertools.logging._encode import encode_value, format_time
from powertools.logging._redact import is_sensitive_name, redact_text
from powertools.logging.testing import MemorySink

# Text without anything the redactor would (rightly) hide, so equality is the right check.
safe_text = st.text(max_size=30).filter(lambda s: s == redact_text(s))
safe_names = safe_text.filter(lambda k: not is_sensitive_name(k))
json_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats(allow_nan=False, allow_infinity=False)
    | safe_text,
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(safe_names, children, max_size=4)
    ),
    max_leaves=10,
)
field_names = st.from_regex(r"\A[a-z][a-z0-9]{0,10}\Z").filter(
    lambda n: n not in {"time", "level", "logger", "event", "trace_id"} and not is_sensitive_name(n)
)


@given(st.dictionaries(field_names, json_values, max_size=6))
def test_any_json_able_fields_round_trip(fields: dict[str, object]) -> None:
    sink = MemorySink()
    StructuredLogger("rt", sinks=[sink]).info("evt", trace_id="t", **fields)
    (event,) = sink.events
    stored = dict(event.fields)
    stored.pop("trace_id")
    assert stored == fields
    json.loads(sink.lines[0])


@given(st.floats(allow_nan=False, allow_infinity=False) | st.integers() | safe_text)
def test_encode_value_matches_json(value: object) -> None:
    assert json.loads(encode_value(value)) == value


def test_values_json_cannot_hold() -> None:
    assert encode_value(math.nan) == '"nan"'
    assert encode_value(math.inf) == '"inf"'
    assert encode_value(date(2026, 1, 2)) == '"2026-01-02"'
    assert encode_value({1, 2}) in ("[1,2]", "[2,1]")
    assert encode_value(ValueError("boom")) == '"boom"'
    assert encode_value({"nested": {"api_key": "x"}}) == '{"nested":{"api_key":"[REDACTED]"}}'


@given(st.floats(min_value=0, max_value=4_102_444_800, allow_nan=False))
def test_format_time_matches_datetime(ts: float) -> None:
    text = format_time(ts)
    parsed = datetime.fromisoformat(text.replace("Z", "+00:00"))
    assert abs(parsed.timestamp() - ts) < 2e-6
    assert parsed.tzinfo == UTC or parsed.utcoffset() is not None


def test_a_stored_event_is_a_read_only_mapping_with_json_round_trip() -> None:
    import dataclasses
    import json

    import pytest

    from powertools.logging import LogEvent, StructuredLogger
    from powertools.logging.testing import MemorySink

    sink = MemorySink()
    StructuredLogger("app", sinks=[sink]).info("llm_call", model="gpt-4", tokens=3, usage={"in": 1})
    (event,) = sink.events
    assert "model" in event
    assert "nope" not in event
    assert dict(event) == {
        "model": "gpt-4",
        "tokens": 3,
        "usage": {"in": 1},
        "trace_id": event.trace_id,
    }
    assert len(event) == 4
    assert json.loads(event.to_json()) == json.loads(sink.lines[0])
    assert event.to_dict()["time"] == json.loads(sink.lines[0])["time"]
    assert LogEvent.from_json(event.to_json()) == event
    with pytest.raises(TypeError):
        event.fields["model"] = "claude"  # type: ignore[index]
    with pytest.raises(dataclasses.FrozenInstanceError):
        event.event = "other"  # type: ignore[misc]
    built = LogEvent(event.time, event.level, "x", "app", {"a": 1})
    with pytest.raises(TypeError):
        built.fields["a"] = 2  # type: ignore[index]


def test_an_event_name_is_redacted_and_encoded_once_then_served_from_the_cache() -> None:
    from powertools.logging._encode import encode_event

    name = "called sk-abcdefghij0123456789 twice"
    first = encode_event(name)
    assert first == ('"called [REDACTED] twice"', "called [REDACTED] twice")
    assert encode_event(name) is first


def test_past_their_limit_the_caches_are_emptied_and_lines_stay_right(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from powertools.logging import _encode

    monkeypatch.setattr(_encode, "_CACHE_LIMIT", 2)
    names_before = len(_encode._NAMES)
    sink = MemorySink()
    log = StructuredLogger("c", sinks=[sink])
    for n in range(10):
        log.info(f"event_{n}", **{f"field_{n}": f"value_{n}"})
    assert len(_encode._EVENTS) <= 2
    assert len(_encode._STRINGS) <= 2
    assert len(_encode._NAMES) <= max(2, names_before)  # full: new names are not kept
    assert "field_9" not in _encode._NAMES
    assert [(e.event, e[f"field_{n}"]) for n, e in enumerate(sink.events)] == [
        (f"event_{n}", f"value_{n}") for n in range(10)
    ]


def test_a_long_event_name_is_encoded_each_time_and_never_cached() -> None:
    from powertools.logging import _encode

    name = "x" * (_encode._CACHEABLE_LENGTH + 1)
    assert _encode.encode_event(name) == (f'"{name}"', name)
    assert name not in _encode._EVENTS
