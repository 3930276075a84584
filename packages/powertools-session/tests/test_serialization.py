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
