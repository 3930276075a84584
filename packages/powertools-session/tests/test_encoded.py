"""Values are serialized once and spliced: the spliced bytes must always equal the data."""

from __future__ import annotations

import copy
import datetime as dt
import enum
import json
import uuid
from typing import Any

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from powertools.session import JsonSerializer, Session
from powertools.session._encoded import Encoded
from powertools.session._recovery import apply_ops


class Colour(enum.StrEnum):
    RED = "red"


KEYS = st.sampled_from(["a", "b", "c"])
VALUES = st.one_of(st.integers(), st.text(max_size=5), st.lists(st.integers(), max_size=3))
OPS = st.one_of(
    st.tuples(st.just("set"), KEYS, VALUES),
    st.tuples(st.just("app"), KEYS, st.integers()),
    st.tuples(st.just("del"), KEYS),
    st.tuples(st.just("all"), st.dictionaries(KEYS, VALUES, max_size=3)),
    st.tuples(st.just("reload")),
    st.tuples(st.just("staged"), KEYS, VALUES),
)


@settings(max_examples=300)
@example([("app", "a", 1), ("reload",), ("app", "a", 2)])  # a list not kept, appended to
@given(st.lists(OPS, max_size=30))
def test_spliced_snapshots_always_equal_the_data(steps: list[tuple[Any, ...]]) -> None:
    enc = Encoded(JsonSerializer())
    data: dict[str, Any] = {}
    for step in steps:
        if step[0] == "reload":
            enc.clear()  # what a load does: the data is replaced, nothing is known
            continue
        op = ["set", *step[1:]] if step[0] == "staged" else list(step)
        if op[0] == "app" and not isinstance(data.get(op[1], []), list):
            continue
        prepared = enc.prepare([op])
        assert prepared is not None
        decoded, body, changes = prepared
        assert json.loads(body) == decoded
        probe = Encoded(enc.serializer)  # checked on a copy: body() fills in unknown values
        probe.values = dict(enc.values)
        assert json.loads(probe.body(data, changes)) == apply_ops(copy.deepcopy(data), decoded)
        if step[0] == "staged":
            enc.forget(decoded)  # changed without the bytes (auto_save=False)
        else:
            enc.apply(changes)
        data = apply_ops(data, decoded)
        assert json.loads(enc.body(data)) == data


def test_a_tag_key_falls_back_to_the_tagging_serializer() -> None:
    s = Session("t", store="memory://encoded-tag")
    s.set("$pt", (1, 2))
    s.set("x", {3: "non-string key"})
    s.save()
    assert Session("t", store="memory://encoded-tag").get_all() == {
        "$pt": (1, 2),
        "x": {3: "non-string key"},
    }


VALUES_THAT_PLAIN_JSON_LOSES = [
    (1, 2),
    {"n": float("nan")},
    [uuid.UUID(int=7)],
    {"when": dt.datetime(2025, 1, 2, 3, 4, 5)},
    2**80,
    {"k": {1: "int key"}},
    Colour.RED,
    "plain",
    {"nested": [1, 2.5, None, True, "x"]},
]


@pytest.mark.parametrize("fast", [True, False], ids=["orjson", "stdlib"])
@pytest.mark.parametrize("value", VALUES_THAT_PLAIN_JSON_LOSES, ids=repr)
def test_both_encoders_round_trip_exactly(
    value: Any, fast: bool, monkeypatch: pytest.MonkeyPatch
) -> None:
    from powertools.session import _serializers

    if not fast:
        monkeypatch.setattr(_serializers, "_orjson", None)
    elif _serializers._orjson is None:
        pytest.skip("orjson is not installed")
    raw, decoded = JsonSerializer().encode(value)
    again = JsonSerializer().loads(raw)
    assert repr(decoded) == repr(again)  # the copy kept in memory is what a reload gives
    assert decoded == value or repr(decoded) == repr(value)  # NaN is not equal to itself
