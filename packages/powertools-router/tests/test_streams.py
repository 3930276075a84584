"""The SSE and NDJSON parsers, and each family's stream assembly, whatever the chunk boundaries."""

from __future__ import annotations

import json

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from powertools.router import Request, Timings
from powertools.router._fake_wire import Answer, Wire
from powertools.router.errors import ProviderError
from powertools.router.providers._streams import (
    NDJSONDecoder,
    SSEDecoder,
    SSEEvent,
    StreamFormatError,
)
from powertools.router.providers.anthropic import AnthropicProvider
from powertools.router.providers.gemini import GeminiProvider
from powertools.router.providers.llamacpp import LlamaCppProvider
from powertools.router.providers.ollama import OllamaProvider
from powertools.router.providers.openai import OpenAIProvider

TEXT = st.text(
    alphabet=st.characters(blacklist_categories=("Cs",), blacklist_characters="\r\n\x00"),
    max_size=40,
)


def split(data: bytes, cuts: list[int]) -> list[bytes]:
    """``data`` cut at the given offsets (any byte: inside a UTF-8 character, a field name...)."""
    points = sorted({c % (len(data) + 1) for c in cuts})
    pieces, start = [], 0
    for p in points:
        pieces.append(data[start:p])
        start = p
    pieces.append(data[start:])
    return [p for p in pieces if p]


def sse_all(data: bytes, cuts: list[int]) -> list[SSEEvent]:
    decoder = SSEDecoder()
    events = [e for piece in split(data, cuts) for e in decoder.feed(piece)]
    return events + decoder.close()


@given(
    st.lists(
        st.tuples(
            st.sampled_from(["", "message_start", "delta"]), st.lists(TEXT, min_size=1, max_size=3)
        ),
        max_size=8,
    ),
    st.lists(st.integers(min_value=0, max_value=10_000), max_size=20),
    st.sampled_from([b"\n", b"\r\n", b"\r"]),
)
def test_sse_events_survive_any_split_and_line_ending(events, cuts, eol) -> None:
    wire = b""
    for name, lines in events:
        if name:
            wire += b"event: " + name.encode() + eol
        wire += b": keep-alive comment" + eol
        for line in lines:
            wire += b"data: " + line.encode() + eol
        wire += eol
    got = sse_all(wire, cuts)
    assert [(e.event, e.data) for e in got] == [
        (name or "message", "\n".join(lines)) for name, lines in events
    ]


def reference_sse(wire: bytes) -> list[tuple[str, str, str | None]]:
    """The event stream read line by line, as the WHATWG format describes it."""
    text = wire.decode().replace("\r\n", "\n").replace("\r", "\n")
    lines = text.split("\n")
    events, name, data, last_id = [], "", [], None
    for number, line in enumerate(lines):
        if number == len(lines) - 1 and not line:
            break  # after the last line end: nothing
        if not line:
            if data or name:
                events.append((name or "message", "\n".join(data), last_id))
            name, data = "", []
            continue
        field, _, value = line.partition(":")
        value = value.removeprefix(" ")
        if field == "event":
            name = value
        elif field == "data":
            data.append(value)
        elif field == "id" and "\0" not in value:  # an id with NUL is ignored
            last_id = value
    if data:
        events.append((name or "message", "\n".join(data), last_id))
    return events


LINE = st.one_of(
    st.builds(lambda t: "data: " + t, TEXT),
    st.builds(lambda t: "data:" + t, TEXT),
    st.builds(lambda t: "event: " + t, TEXT),
    st.builds(lambda t: "id: " + t, TEXT),
    st.builds(lambda t: "id: \0" + t, TEXT),
    st.just("data"),  # a field name alone: data with an empty value
    st.just(": keep-alive"),
    st.just(""),
)


@given(
    st.lists(LINE, max_size=30),
    st.lists(st.integers(min_value=0, max_value=10_000), max_size=20),
    st.sampled_from(["\n", "\r\n", "\r"]),
    st.booleans(),
)
def test_sse_decoder_reads_any_stream_as_the_line_by_line_reference(
    lines, cuts, eol, cut_last_end
) -> None:
    # One-line data events and event+data pairs take a shortcut; the result is the same.
    text = "".join(line + eol for line in lines)
    wire = (text.removesuffix(eol) if cut_last_end else text).encode()
    got = [(e.event, e.data, e.id) for e in sse_all(wire, cuts)]
    assert got == reference_sse(wire)


INT64 = st.integers(min_value=-(2**63), max_value=2**64 - 1)


@given(
    st.lists(
        # Integers within 64 bits: orjson (the [fast] codec) reads a wider one as a float, the
        # one documented difference, pinned in test_json.py.
        st.dictionaries(TEXT, st.one_of(TEXT, INT64, st.booleans()), max_size=4),
        max_size=10,
    ),
    st.lists(st.integers(min_value=0, max_value=10_000), max_size=20),
    st.sampled_from([b"\n", b"\r\n"]),
)
def test_ndjson_values_survive_any_split(values, cuts, eol) -> None:
    wire = b"".join(json.dumps(v, ensure_ascii=False).encode() + eol for v in values)
    decoder = NDJSONDecoder()
    got = [v for piece in split(wire, cuts) for v in decoder.feed(piece)] + decoder.close()
    assert got == values


def test_sse_data_without_space_and_last_event_without_blank_line() -> None:
    decoder = SSEDecoder()
    assert decoder.feed(b"data:{}\n\ndata: tail") == [SSEEvent("message", "{}")]
    assert decoder.close() == [SSEEvent("message", "tail")]


def test_keep_alive_comments_and_a_lone_id_dispatch_no_event() -> None:
    decoder = SSEDecoder()
    assert decoder.feed(b": ping\n\nid: 7\n\n: ping\n: ping\n\n") == []
    assert decoder.feed(b"data: {}\n\n") == [SSEEvent("message", "{}", "7")]


def test_malformed_json_names_the_text() -> None:
    with pytest.raises(StreamFormatError, match="not json"):
        NDJSONDecoder().feed(b"not json\n")
    with pytest.raises(StreamFormatError, match="malformed JSON"):
        SSEEvent("message", "{oops").json()


def test_a_line_or_event_that_never_ends_is_an_error_not_a_growing_buffer() -> None:
    endless = b"x" * (16 * 1024 * 1024 + 1)
    with pytest.raises(StreamFormatError, match="a stream line exceeds 16777216 bytes"):
        NDJSONDecoder().feed(endless)
    with pytest.raises(StreamFormatError, match="a stream event exceeds 16777216 bytes"):
        SSEDecoder().feed(b"data: " + endless)


def test_a_line_that_is_not_utf8_is_an_error() -> None:
    with pytest.raises(StreamFormatError, match="not UTF-8"):
        SSEDecoder().feed(b"data: \xff\xfe\n\n")


# -- each family's stream, assembled from any split, equals the unsplit one -----------------

ANSWER = Answer(
    "Grüße, 世界! 🚀 done.",
    tool_calls=(("get_weather", {"city": "Zürich", "unit": "°C"}),),
    reasoning="thinking… hard",
    cached_tokens=3,
)
FAMILIES = {
    "openai": (
        lambda: OpenAIProvider(api_key="sk-test-0000000000"),
        lambda w: w.openai_stream(True),
    ),
    "llamacpp": (LlamaCppProvider, lambda w: w.openai_stream(True)),
    "anthropic": (lambda: AnthropicProvider(api_key="sk-ant-0000000000"), Wire.anthropic_stream),
    "gemini": (lambda: GeminiProvider(api_key="AIza-000000000000"), Wire.gemini_stream),
    "ollama": (OllamaProvider, Wire.ollama_stream),
}


def assemble(family: str, pieces: list[bytes]):
    make, _ = FAMILIES[family]
    provider = make()
    assembler = provider._assembler(Request.of("hi", model="m"), "m")
    text = [c.text for p in pieces for c in assembler.feed(p)] + [c.text for c in assembler.close()]
    return "".join(text), assembler.finish({}, Timings(1.0, 0.5))


@pytest.mark.parametrize("family", sorted(FAMILIES))
@settings(max_examples=60, deadline=None)
@given(cuts=st.lists(st.integers(min_value=0, max_value=100_000), max_size=30))
def test_family_streams_reassemble_the_same_whatever_the_split(family, cuts) -> None:
    _, frames = FAMILIES[family]
    wire = b"".join(frames(Wire(family, "m", ANSWER, 40, None, 1)))
    whole_text, whole = assemble(family, [wire])
    text, response = assemble(family, split(wire, cuts))
    assert text == whole_text == response.text
    assert response.tool_calls == whole.tool_calls
    assert response.usage == whole.usage
    assert response.reasoning == whole.reasoning
    assert response.finish_reason == whole.finish_reason


@pytest.mark.parametrize("family", sorted(FAMILIES))
def test_family_streams_give_text_tool_calls_and_usage(family) -> None:
    _, frames = FAMILIES[family]
    wire = b"".join(frames(Wire(family, "m", ANSWER, 40, None, 1)))
    text, response = assemble(family, [wire])
    assert text.startswith("Grüße, 世界! 🚀 done.")
    assert [(c.name, c.parsed_arguments()) for c in response.tool_calls] == [
        ("get_weather", {"city": "Zürich", "unit": "°C"})
    ]
    assert response.usage.prompt_tokens == 40
    assert response.usage.output > 0


@pytest.mark.parametrize("family", sorted(FAMILIES))
def test_a_stream_without_its_final_event_is_an_error(family) -> None:
    _, frames = FAMILIES[family]
    wire = b"".join(frames(Wire(family, "m", ANSWER, 40, None, 1))[:-1])
    with pytest.raises(ProviderError, match="without"):
        assemble(family, [wire])


def test_a_stream_whose_last_blank_line_ends_in_a_lone_cr_still_ends_its_event() -> None:
    """A CR at the end of a chunk is held back in case an LF follows; at the end of the
    stream it ended a line, so an event closed by it is dispatched as at any blank line."""
    decoder = SSEDecoder()
    assert decoder.feed(b"event: ping\r\r") == []  # the second CR may yet be half of CRLF
    assert decoder.close() == [SSEEvent("ping", "", None)]
