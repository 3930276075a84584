"""Serializers: values to bytes and back. JSON by default, signed pickle on request.

JSON keeps Python types that plain JSON loses by tagging them: ``{"$pt": "uuid", "v": "..."}``.
A user dict that happens to contain the key ``"$pt"`` is tagged too, so nothing is ambiguous.
"""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import hmac
import json
import pickle
import sys
import uuid
from collections.abc import Callable, Iterable
from decimal import Decimal
from typing import Any, ClassVar, Protocol, runtime_checkable

from powertools.session.errors import SignatureError, UnserializableValueError

__all__ = ["JsonSerializer", "PickleSerializer", "Serializer"]

TAG = "$pt"
_MIN_KEY_BYTES = 16


@runtime_checkable
class Serializer(Protocol):
    """Turns a session's values into bytes and back; ``name`` is recorded in every header."""

    @property
    def name(self) -> str:
        """The codec name recorded in each header (``json``, ``pickle``)."""
        ...

    def dumps(self, value: Any) -> bytes:
        """Encode ``value``; raise ``UnserializableValueError`` for what cannot be stored."""
        ...

    def loads(self, data: bytes) -> Any:
        """Decode what ``dumps`` produced."""
        ...


_SCALARS: tuple[tuple[type | tuple[type, ...], str, Callable[[Any], Any]], ...] = (
    (dt.datetime, "datetime", dt.datetime.isoformat),
    (dt.date, "date", dt.date.isoformat),
    (dt.time, "time", dt.time.isoformat),
    (uuid.UUID, "uuid", str),
    (Decimal, "decimal", str),
    ((bytes, bytearray), "bytes", lambda v: base64.b64encode(v).decode("ascii")),
)


def _scalar(value: Any) -> tuple[str, Any] | None:
    """The tag and payload of a tagged scalar, or None when ``value`` is not one."""
    for kind, tag, encode in _SCALARS:
        if isinstance(value, kind):
            return tag, encode(value)
    return None


_DECODERS: dict[str, Callable[[Any], Any]] = {
    "datetime": dt.datetime.fromisoformat,
    "date": dt.date.fromisoformat,
    "time": dt.time.fromisoformat,
    "uuid": uuid.UUID,
    "decimal": Decimal,
    "bytes": base64.b64decode,
}


_PLAIN = frozenset({str, int, float, bool, type(None)})


_orjson: Any
try:  # the optional fast encoder (the ``fast`` extra); the stdlib is the fallback
    import orjson

    _orjson = orjson
except ImportError:  # pragma: no cover - exercised where orjson is not installed
    _orjson = None

# Everything orjson would write differently from the stdlib is refused here (passed through to
# the default, which raises) or caught by the round-trip comparison (tuples, UUIDs, NaN).
_ORJSON_OPTIONS = (
    0
    if _orjson is None
    else (
        _orjson.OPT_PASSTHROUGH_DATETIME
        | _orjson.OPT_PASSTHROUGH_DATACLASS
        | _orjson.OPT_PASSTHROUGH_SUBCLASS
    )
)


def _dump_plain(value: Any) -> bytes:
    if _orjson is not None:
        try:
            return bytes(_orjson.dumps(value, option=_ORJSON_OPTIONS))
        except _orjson.JSONEncodeError as exc:
            raise TypeError(str(exc)) from exc
    return json.dumps(value, separators=(",", ":"), allow_nan=False).encode()


def _plain_json(value: Any) -> tuple[bytes, Any] | None:
    """``value`` as JSON and as decoded back, if plain JSON keeps it exactly, else None (then
    the tagging walk runs).

    Everything here runs in C: encode, decode (orjson's parser when it is installed: the same
    values as the stdlib's for anything its encoder wrote, several times faster), compare. A
    tuple (decoded as a list), a non-string key (decoded as a string), NaN or a non-JSON type
    makes the comparison or the encoder fail.
    """
    try:
        data = _dump_plain(value)
    except (TypeError, ValueError, OverflowError):
        return None
    if b'"$pt"' in data:
        return None
    decoded = json.loads(data) if _orjson is None else _orjson.loads(data)
    if decoded != value:
        return None
    return data, decoded


class _UnencodableError(Exception):
    """Internal: ``obj`` has no JSON form; ``dumps`` turns it into a message with a path."""

    def __init__(self, obj: Any) -> None:
        super().__init__()
        self.obj = obj


def _locate(value: Any, target: Any, path: str) -> str | None:
    """The path of ``target`` inside ``value`` (for error messages only)."""
    if value is target:
        return path
    if isinstance(value, dict):
        for k, v in value.items():
            found = _locate(k, target, f"{path} key") or _locate(v, target, f"{path}[{k!r}]")
            if found:
                return found
    elif isinstance(value, list | tuple | set | frozenset):
        for i, item in enumerate(value):
            found = _locate(item, target, f"{path}[{i}]")
            if found:
                return found
    return None


def _is_pydantic_model(value: Any) -> bool:
    # Only look when pydantic is already imported: a model instance implies it is.
    pydantic = sys.modules.get("pydantic")
    return pydantic is not None and isinstance(value, pydantic.BaseModel)


class JsonSerializer:
    """JSON with datetime, date, time, UUID, Decimal, bytes, tuples, sets and pydantic models.

    Pydantic models are stored as their JSON data and come back as that data (a dict), unless
    their class is listed in ``models``: then they come back as instances of it.

    >>> import datetime, uuid
    >>> s = JsonSerializer()
    >>> value = {"when": datetime.date(2025, 1, 2), "ids": {uuid.UUID(int=1)}, 3: b"x"}
    >>> s.loads(s.dumps(value)) == value
    True
    """

    name: ClassVar[str] = "json"

    def __init__(self, models: Iterable[type[Any]] = ()) -> None:
        self._models = {f"{m.__module__}.{m.__qualname__}": m for m in models}

    def encode(self, value: Any) -> tuple[bytes, Any]:
        """``value`` as UTF-8 JSON, and as :meth:`loads` gives it back (a copy, already decoded).

        >>> JsonSerializer().encode((1, "a"))
        (b'{"$pt":"tuple","v":[1,"a"]}', (1, 'a'))
        """
        fast = _plain_json(value)
        if fast is not None:
            return fast
        data = self.dumps(value)
        return data, self.loads(data)

    def dumps(self, value: Any) -> bytes:
        """Encode ``value`` as UTF-8 JSON."""
        fast = _plain_json(value)
        if fast is not None:
            return fast[0]
        try:
            tree = self._encode(value)
        except _UnencodableError as exc:
            where = _locate(value, exc.obj, "value") or "a nested value"
            raise UnserializableValueError(
                f"{where} is a {type(exc.obj).__qualname__}, which JSON cannot store; convert "
                "it to a dict/list/str first, or use PickleSerializer(key=...)"
            ) from None
        return json.dumps(tree, separators=(",", ":")).encode()

    def loads(self, data: bytes) -> Any:
        """Decode bytes made by :meth:`dumps`."""
        if b'"$pt"' not in data:  # nothing tagged: the C decoder alone is much faster
            return json.loads(data)
        return json.loads(data, object_hook=self._decode)

    # The hot path: no path strings are built unless something fails (then _locate finds it).
    def _encode(self, value: Any) -> Any:
        kind = type(value)
        if kind in _PLAIN:
            return value
        if kind is list or (kind is not dict and isinstance(value, list)):
            return [self._encode(item) for item in value]
        if isinstance(value, dict):
            return self._encode_dict(value)
        if isinstance(value, bool | int | float | str):
            return value
        tagged = _scalar(value)
        if tagged is not None:
            return {TAG: tagged[0], "v": tagged[1]}
        return self._encode_container(value)

    def _encode_container(self, value: Any) -> Any:
        if isinstance(value, tuple | set | frozenset):
            kind = type(value).__name__ if type(value) in (tuple, set, frozenset) else "tuple"
            return {TAG: kind, "v": [self._encode(item) for item in value]}
        if _is_pydantic_model(value):
            cls = type(value)
            data = self._encode(value.model_dump(mode="python"))
            return {TAG: "model", "cls": f"{cls.__module__}.{cls.__qualname__}", "v": data}
        raise _UnencodableError(value)

    def _encode_dict(self, value: dict[Any, Any]) -> Any:
        if all(type(k) is str for k in value) and TAG not in value:
            return {k: self._encode(v) for k, v in value.items()}
        pairs = [[self._encode(k), self._encode(v)] for k, v in value.items()]
        return {TAG: "map", "v": pairs}

    def _decode(self, obj: dict[str, Any]) -> Any:
        tag = obj.get(TAG)
        if tag is None:
            return obj
        payload = obj["v"]
        if tag in _DECODERS:
            return _DECODERS[tag](payload)
        if tag == "map":
            return dict(payload)
        if tag == "model":
            model = self._models.get(obj["cls"])
            return payload if model is None else model.model_validate(payload)
        # Members that were tuples or frozensets come back tagged, hence hashable again.
        return _CONTAINERS[tag](payload)


_CONTAINERS: dict[str, Callable[[list[Any]], Any]] = {
    "tuple": tuple,
    "set": set,
    "frozenset": frozenset,
}


class PickleSerializer:
    """Pickle, signed with HMAC-SHA256: unsigned or tampered data is refused, never unpickled.

    Only for data you wrote yourself; the key must be at least 16 bytes.

    >>> s = PickleSerializer(key=b"0123456789abcdef")
    >>> s.loads(s.dumps({"a": complex(1, 2)}))
    {'a': (1+2j)}
    """

    name: ClassVar[str] = "pickle"

    def __init__(self, key: bytes) -> None:
        if not isinstance(key, bytes) or len(key) < _MIN_KEY_BYTES:
            raise ValueError(
                "PickleSerializer needs a signing key of at least 16 bytes, "
                "e.g. PickleSerializer(key=secrets.token_bytes(32))"
            )
        self._key = key

    def __repr__(self) -> str:
        return "PickleSerializer(key=<hidden>)"

    def dumps(self, value: Any) -> bytes:
        """Pickle ``value`` and prefix it with its signature."""
        try:
            data = pickle.dumps(value, protocol=pickle.HIGHEST_PROTOCOL)
        except (pickle.PicklingError, TypeError, AttributeError) as exc:
            raise UnserializableValueError(f"value cannot be pickled: {exc}") from exc
        return hmac.new(self._key, data, hashlib.sha256).digest() + data

    def loads(self, data: bytes) -> Any:
        """Check the signature, then unpickle."""
        signature, body = data[:32], data[32:]
        expected = hmac.new(self._key, body, hashlib.sha256).digest()
        if len(signature) != 32 or not hmac.compare_digest(signature, expected):
            raise SignatureError(
                "pickled session data has a wrong signature: it was tampered with or signed "
                "with another key; it was not unpickled"
            )
        return pickle.loads(body)  # noqa: S301 - the signature above proves we wrote it


def resolve_serializer(serializer: str | Serializer) -> Serializer:
    """The serializer for a name or instance; ``"pickle"`` alone is refused (no key)."""
    if isinstance(serializer, str):
        if serializer == "json":
            return JsonSerializer()
        if serializer == "pickle":
            raise ValueError("pickle needs a signing key: serializer=PickleSerializer(key=...)")
        raise ValueError(f"unknown serializer {serializer!r}: use 'json' or a Serializer object")
    return serializer
