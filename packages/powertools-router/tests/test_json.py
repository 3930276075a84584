"""The wire's JSON: orjson when installed, the standard library otherwise, the same values."""

from __future__ import annotations

import importlib.util
import json
import math
import sys
from types import ModuleType

import pytest
from hypothesis import given
from hypothesis import strategies as st

from powertools.router.providers import _json

JSON = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(min_value=-(2**63), max_value=2**64 - 1)
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(), inner, max_size=4),
    max_leaves=12,
)


def _without_orjson() -> ModuleType:
    """A fresh copy of the module, loaded as it loads when orjson is not installed."""
    saved = sys.modules.get("orjson")
    sys.modules["orjson"] = None  # type: ignore[assignment]
    try:
        spec = importlib.util.spec_from_file_location("_json_without_orjson", _json.__file__)
        assert spec is not None
        assert spec.loader is not None
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
    finally:
        if saved is None:
            del sys.modules["orjson"]
        else:
            sys.modules["orjson"] = saved
    return module


STDLIB = _without_orjson()
CODECS = pytest.mark.parametrize("codec", [_json, STDLIB], ids=["installed", "stdlib"])


def test_without_orjson_the_standard_library_does_it_all() -> None:
    assert STDLIB.FAST is False
    assert _json.FAST is (importlib.util.find_spec("orjson") is not None)


@CODECS
@given(value=JSON)
def test_what_is_written_reads_back_as_the_standard_library_reads_it(codec, value) -> None:
    written = codec.dumps(value)
    assert json.loads(written) == value
    assert codec.loads(written) == value
    assert codec.loads(written.decode()) == value


@CODECS
def test_what_orjson_refuses_is_decided_as_the_standard_library_decides(codec) -> None:
    assert math.isnan(codec.loads(b'{"x": NaN}')["x"])
    assert json.loads(codec.dumps([2**70, {1: "a"}])) == [2**70, {"1": "a"}]
    with pytest.raises(ValueError):
        codec.loads(b'{"x": ')
    with pytest.raises(TypeError):
        codec.dumps({"when": object()})


@CODECS
def test_written_json_is_compact(codec) -> None:
    assert codec.dumps({"a": [1, "b"]}) == b'{"a":[1,"b"]}'


def test_an_integer_past_64_bits_in_an_answer_is_the_one_value_read_differently() -> None:
    # orjson reads it as a float (documented in the module); the standard library as an int.
    assert STDLIB.loads(b"[18446744073709551616]") == [2**64]
    if _json.FAST:
        assert _json.loads(b"[18446744073709551616]") == [float(2**64)]
