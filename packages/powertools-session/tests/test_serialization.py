"""Serializers, compression and encryption: round trips for every combination, and tampering."""

from __future__ import annotations

import datetime as dt
import uuid
from decimal import Decimal
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from powertools.session import (
    Compression,
    CorruptSessionError,
    DecryptionError,
    JsonSerializer,
    PickleSerializer,
    Session,
    SignatureError,
    UnserializableValueError,
    train_dictionary,
)
from powertools.session._encryption import Keyring
from powertools.session._envelope import Codec, Header

SIGNING_KEY = b"k" * 32
KEY_A, KEY_B = bytes(range(32)), bytes(range(1, 33))

offsets = st.builds(
    dt.timezone, st.integers(-23 * 60, 23 * 60).map(lambda m: dt.timedelta(minutes=m))
)
scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(),
    st.floats(allow_nan=False),
    st.text(),
    st.binary(),
    # Named zones are stored as their UTC offset at that instant (ISO 8601 has no zone names).
    st.datetimes(timezones=st.none() | st.just(dt.UTC) | offsets),
    st.dates(),
    st.times(),
    st.uuids(),
    st.decimals(allow_nan=False, allow_infinity=False),
)
hashables = st.recursive(
    scalars.filter(lambda v: not isinstance(v, bytearray)),
    lambda inner: st.tuples(inner, inner) | st.frozensets(inner, max_size=3),
    max_leaves=5,
)
values = st.recursive(
    scalars,
    lambda inner: st.one_of(
        st.lists(inner, max_size=4),
        st.dictionaries(st.text(max_size=5), inner, max_size=4),
        st.dictionaries(hashables, inner, max_size=3),
        st.tuples(inner, inner),
        st.sets(hashables, max_size=3),
    ),
    max_leaves=20,
)

SERIALIZERS = {"json": JsonSerializer(), "pickle": PickleSerializer(key=SIGNING_KEY)}
COMPRESSIONS: dict[str, Compression | None] = {"none": None, "zstd": Compression(level=1)}
KEYRINGS: dict[str, Keyring | None] = {"plain": None, "aes": Keyring({"a": KEY_A})}


@pytest.mark.parametrize("keyring", KEYRINGS)
@pytest.mark.parametrize("compression", COMPRESSIONS)
@pytest.mark.parametrize("serializer", SERIALIZERS)
@settings(max_examples=60)  # x 12 combinations: 720 examples in all
@given(value=values, version=st.integers(1, 2**40))
def test_every_combination_round_trips(
    serializer: str, compression: str, keyring: str, value: Any, version: int
) -> None:
    codec = Codec(SERIALIZERS[serializer], COMPRESSIONS[compression], KEYRINGS[keyring])
    blob = codec.seal(Header("snap", "s", version, serializer), {"v": value, "pad": "x" * 300})
    header, back = codec.open(blob, "here", "s")
    assert back == {"v": value, "pad": "x" * 300}
    assert header.version == version
    assert (header.compression == "zstd") == (compression == "zstd")
    assert (header.key_id == "a") == (keyring == "aes")


@given(value=values)
def test_json_round_trip_keeps_types(value: Any) -> None:
    s = JsonSerializer()
    back = s.loads(s.dumps(value))
    assert back == value
    assert type(back) is type(value) or isinstance(value, bytearray)


def test_user_dict_with_the_tag_key_is_not_mistaken() -> None:
    s = JsonSerializer()
    value = {"$pt": "uuid", "v": "not-a-uuid"}
    assert s.loads(s.dumps(value)) == value


def test_tagged_types_have_readable_json() -> None:
    s = JsonSerializer()
    raw = s.dumps({"when": dt.date(2025, 1, 2), "id": uuid.UUID(int=0), "n": Decimal("1.5")})
    assert b'"$pt":"date","v":"2025-01-02"' in raw
    assert b'"$pt":"decimal","v":"1.5"' in raw


def test_unknown_types_fail_naming_the_path() -> None:
    with pytest.raises(UnserializableValueError, match=r"value\['a'\]\[1\] is a object"):
        JsonSerializer().dumps({"a": [1, object()]})
    with pytest.raises(UnserializableValueError, match="cannot be pickled"):
        PickleSerializer(key=SIGNING_KEY).dumps(lambda: 1)


def test_pydantic_models_are_stored_as_data_and_revived_when_registered() -> None:
    pydantic = pytest.importorskip("pydantic")

    class User(pydantic.BaseModel):  # type: ignore[misc,name-defined]
        id: int
        seen: dt.datetime

    user = User(id=1, seen=dt.datetime(2025, 1, 1, tzinfo=dt.UTC))
    assert JsonSerializer().loads(JsonSerializer().dumps(user)) == user.model_dump()
    reviving = JsonSerializer(models=[User])
    assert reviving.loads(reviving.dumps({"u": user})) == {"u": user}


def test_tampered_or_foreign_pickle_is_refused() -> None:
    signed = PickleSerializer(key=SIGNING_KEY).dumps({"a": 1})
    tampered = signed[:-1] + bytes([signed[-1] ^ 1])
    with pytest.raises(SignatureError, match="not unpickled"):
        PickleSerializer(key=SIGNING_KEY).loads(tampered)
    with pytest.raises(SignatureError):
        PickleSerializer(key=b"another key of 16+").loads(signed)
    with pytest.raises(ValueError, match="at least 16 bytes"):
        PickleSerializer(key=b"short")
    assert "k" * 5 not in repr(PickleSerializer(key=SIGNING_KEY))


def test_encrypted_session_end_to_end_with_rotation() -> None:
    store = "memory://enc"
    old = Session("s", store=store, encryption_keys={"2024": KEY_A})
    old.set("secret", "value")
    both = {"2024": KEY_A, "2025": KEY_B}
    rotated = Session("s", store=store, encryption_keys=both)
    assert rotated.get("secret") == "value"
    rotated.set("more", 1)
    rotated.save()  # the snapshot is written with the newest key
    with pytest.raises(DecryptionError, match="key id '2025', which is not in"):
        Session("s", store=store, encryption_keys={"2024": KEY_A})
    assert Session("s", store=store, encryption_keys={"2025": KEY_B}).get("more") == 1


def test_wrong_missing_or_absent_keys_are_clear_errors() -> None:
    codec = Codec(JsonSerializer(), None, Keyring({"a": KEY_A}))
    blob = codec.seal(Header("snap", "s", 1, "json"), {"a": 1})
    wrong = Codec(JsonSerializer(), None, Keyring({"a": KEY_B}))
    with pytest.raises(DecryptionError, match="key is wrong"):
        wrong.open(blob, "there", "s")
    with pytest.raises(DecryptionError, match="pass encryption_keys"):
        Codec(JsonSerializer(), None, None).open(blob, "there", "s")
    plain = Codec(JsonSerializer(), None, None).seal(Header("snap", "s", 1, "json"), {})
    with pytest.raises(DecryptionError, match="not encrypted"):
        codec.open(plain, "there", "s")
    with pytest.raises(ValueError, match="32 bytes"):
        Keyring({"a": b"short"})
    with pytest.raises(ValueError, match="empty"):
        Keyring({})
    assert str(KEY_A) not in repr(Keyring({"a": KEY_A}))


def test_ciphertext_moved_to_another_session_or_version_fails_authentication() -> None:
    codec = Codec(JsonSerializer(), None, Keyring({"a": KEY_A}))
    blob = codec.seal(Header("snap", "alice", 7, "json"), {"a": 1})
    body = blob[blob.index(b"}", 14) + 1 :]
    for name, version in [("bob", 7), ("alice", 8)]:
        forged = codec.seal_body(Header("snap", name, version, "json"), b"")
        forged_blob = _reframe(forged, body)
        with pytest.raises(DecryptionError, match="failed authentication"):
            codec.open(forged_blob, "there", name)


def _reframe(envelope: bytes, body: bytes) -> bytes:
    """Keep ``envelope``'s header, put ``body`` after it, and fix the checksum."""
    import struct
    import zlib

    (hlen,) = struct.unpack_from(">H", envelope, 12)
    rest = envelope[12 : 14 + hlen] + body
    return struct.pack(">4sII", b"PTS1", len(rest), zlib.crc32(rest)) + rest


@given(flip=st.integers(min_value=0))
def test_any_flipped_byte_is_detected(flip: int) -> None:
    codec = Codec(JsonSerializer(), Compression(), Keyring({"a": KEY_A}))
    blob = bytearray(codec.seal(Header("snap", "s", 1, "json"), {"a": "x" * 400}))
    blob[flip % len(blob)] ^= 0x01
    with pytest.raises((CorruptSessionError, DecryptionError)):
        codec.open(bytes(blob), "there", "s")


def test_trained_dictionary_is_recorded_and_required() -> None:
    samples = [
        JsonSerializer().dumps({"user": i, "role": "admin", "n": "x" * (i % 40)})
        for i in range(300)
    ]
    trained = Compression(dictionary=train_dictionary(samples, size=2048))
    assert trained.dict_id is not None
    assert "dictionary" in repr(trained)
    codec = Codec(JsonSerializer(), trained, None)
    blob = codec.seal(Header("snap", "s", 1, "json"), {"user": 1, "pad": "x" * 300})
    assert codec.open(blob, "there", "s")[1]["user"] == 1
    with pytest.raises(CorruptSessionError, match="dictionary"):
        Codec(JsonSerializer(), Compression(), None).open(blob, "there", "s")
    with pytest.raises(CorruptSessionError, match="compression=None"):
        Codec(JsonSerializer(), None, None).open(blob, "there", "s")
    with pytest.raises(ValueError, match="level"):
        Compression(level=0)


def test_a_pickle_session_needs_its_serializer_to_load() -> None:
    Session("p", store="memory://pickle", serializer=PickleSerializer(key=SIGNING_KEY)).set(
        "c", complex(1, 2)
    )
    with pytest.raises(CorruptSessionError, match="serializer 'pickle'"):
        Session("p", store="memory://pickle")


@given(
    bodies=st.lists(st.binary(max_size=60), max_size=8),
    cut=st.integers(min_value=0),
)
def test_a_journal_cut_anywhere_splits_into_its_whole_records(
    bodies: list[bytes], cut: int
) -> None:
    from powertools.session._envelope import scan_journal

    codec = Codec(PickleSerializer(key=SIGNING_KEY), None, None)
    records = [codec.seal(Header("ops", "s", i + 1, "pickle"), b) for i, b in enumerate(bodies)]
    journal = b"".join(records)
    cut %= len(journal) + 1
    scan = scan_journal(journal[:cut])
    whole = [r for _, r in scan.records]
    assert whole == [r for i, r in enumerate(records) if len(b"".join(records[: i + 1])) <= cut]
    assert scan.damaged == []
    end = len(b"".join(whole))
    assert scan.torn == (None if end == cut else end)


def _planted(node: Any, path: str, draw: Any, bad: object) -> tuple[Any, str]:
    """``node`` with ``bad`` put in place of one of its parts, and the path to it."""
    if isinstance(node, dict) and node and draw(st.booleans()):
        key = draw(st.sampled_from(sorted(node)))
        node[key], path = _planted(node[key], f"{path}[{key!r}]", draw, bad)
        return node, path
    if isinstance(node, list | tuple) and node and draw(st.booleans()):
        items = list(node)
        i = draw(st.integers(0, len(items) - 1))
        items[i], path = _planted(items[i], f"{path}[{i}]", draw, bad)
        return type(node)(items), path
    return bad, path


plain_trees = st.recursive(
    st.none() | st.integers() | st.text(max_size=3),
    lambda inner: (
        st.lists(inner, max_size=3)
        | st.tuples(inner, inner)
        | st.dictionaries(st.text(max_size=3), inner, max_size=3)
    ),
    max_leaves=12,
)


@given(tree=plain_trees, data=st.data())
def test_an_unstorable_value_is_named_by_its_path_wherever_it_is(tree: Any, data: Any) -> None:
    bad = object()
    value, path = _planted(tree, "value", data.draw, bad)
    with pytest.raises(UnserializableValueError) as caught:
        JsonSerializer().dumps(value)
    assert str(caught.value).startswith(f"{path} is a object, which JSON cannot store")


def test_a_str_or_int_subclass_comes_back_as_the_plain_type() -> None:
    class UserId(str):
        pass

    class Score(int):
        pass

    raw, decoded = JsonSerializer().encode({"id": UserId("u1"), "scores": (Score(3),)})
    assert JsonSerializer().loads(raw) == decoded == {"id": "u1", "scores": (3,)}
    assert type(decoded["id"]) is str
    assert type(decoded["scores"][0]) is int


def _framed(header: bytes, body: bytes) -> bytes:
    import struct
    import zlib

    rest = struct.pack(">H", len(header)) + header + body
    return struct.pack(">4sII", b"PTS1", len(rest), zlib.crc32(rest)) + rest


def test_an_envelope_of_a_newer_format_is_refused_naming_its_format() -> None:
    header = Header("snap", "s", 1, "json").to_bytes().replace(b'"f":1', b'"f":2')
    with pytest.raises(CorruptSessionError, match="unknown format version 2"):
        Codec(JsonSerializer(), None, None).open(_framed(header, b"{}"), "there", "s")


def test_a_body_that_does_not_decode_is_corruption_naming_the_place() -> None:
    header = Header("snap", "s", 1, "json").to_bytes()
    with pytest.raises(CorruptSessionError, match=r"there is corrupt \(undecodable body"):
        Codec(JsonSerializer(), None, None).open(_framed(header, b"{not json"), "there", "s")


garbage = st.tuples(st.binary(min_size=1, max_size=20), st.none() | st.binary(max_size=20)).map(
    lambda parts: parts[0] + (b"" if parts[1] is None else b"PTS1" + parts[1])
)


@given(
    bodies=st.lists(st.lists(st.integers(), max_size=3), min_size=1, max_size=5),
    gaps=st.lists(st.none() | garbage, min_size=6, max_size=6),
)
def test_garbage_between_records_is_skipped_to_the_next_whole_record(
    bodies: list[list[int]], gaps: list[bytes | None]
) -> None:
    from powertools.session._envelope import scan_journal

    codec = Codec(JsonSerializer(), None, None)
    records = [codec.seal(Header("ops", "s", i + 1, "json"), b) for i, b in enumerate(bodies)]
    journal, spans = b"", []
    for record, gap in zip([*records, b""], gaps, strict=False):
        if gap:
            spans.append((len(journal), len(journal) + len(gap)))
            journal += gap
        journal += record
    scan = scan_journal(journal)
    assert [r for _, r in scan.records] == records
    found = list(scan.damaged)
    if scan.torn is not None:
        assert spans[-1] == (scan.torn, len(journal))  # only the very end can look torn
        found.append((scan.torn, len(journal), "torn"))
    assert [(start, end) for start, end, _ in found] == spans


def test_a_compressed_body_that_does_not_decompress_is_corruption() -> None:
    codec = Codec(JsonSerializer(), Compression(), None)
    sealed = codec.seal(Header("snap", "s", 1, "json"), {"pad": "x" * 400})
    assert codec.open(sealed, "there", "s")[0].compression == "zstd"
    forged = _reframe(sealed, b"\x28\xb5\x2f\xfd garbage after a zstd magic")  # checksum fixed
    with pytest.raises(CorruptSessionError, match=r"there is corrupt \(zstd: "):
        codec.open(forged, "there", "s")


def test_the_path_search_passes_over_containers_that_hold_nothing_unstorable() -> None:
    with pytest.raises(UnserializableValueError, match=r"^value\['b'\]\[1\] is a object"):
        JsonSerializer().dumps({"a": {"x": [1]}, "b": [(2,), object()]})


_json_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(-(2**63), 2**63 - 1)
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text().filter(lambda t: "$pt" not in t),  # the tag takes the tagging walk instead
    lambda inner: (
        st.lists(inner, max_size=5)
        | st.dictionaries(st.text().filter(lambda t: "$pt" not in t), inner, max_size=5)
    ),
    max_leaves=30,
)


@settings(max_examples=300, deadline=None)
@given(_json_values)
def test_the_value_kept_after_a_save_is_what_the_stdlib_would_read_back(value: Any) -> None:
    """A save keeps the value as decoded from its own JSON (orjson's parser when installed):
    it must be exactly what ``json.loads`` gives, types included (1 stays an int, 1.0 a float),
    or a reload would see a different value than the writer kept."""
    import json

    from powertools.session._serializers import _plain_json

    found = _plain_json(value)
    assert found is not None  # plain JSON: no tagging walk needed
    data, kept = found
    assert json.dumps(kept) == json.dumps(json.loads(data))
