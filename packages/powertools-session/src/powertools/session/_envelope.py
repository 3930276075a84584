"""The stored form of a snapshot or journal record: a checksummed, versioned header, then a body.

Layout (big-endian)::

    b"PTS1" | u32 length of the rest | u32 crc32 of the rest | rest
    rest = u16 header length | header (JSON) | body

The header records the format version, kind (``snap`` or ``ops``), session name and version,
serializer, compression (and dictionary id), encryption key id and expiry. The body is
``serialize -> compress -> encrypt``; when encrypted, the whole header is the AES-GCM associated
data, so a ciphertext moved to another session or version fails authentication. Envelopes are
self-delimiting, so a journal is just envelopes one after another.
"""

from __future__ import annotations

import json
import struct
import zlib
from dataclasses import dataclass, replace
from typing import Any

from powertools.session._compression import MIN_COMPRESSED_BYTES, Compression
from powertools.session._encryption import Keyring
from powertools.session._serializers import Serializer
from powertools.session.errors import CorruptSessionError, DecryptionError, SettingsMismatch

__all__ = [
    "MAGIC",
    "Codec",
    "Header",
    "SettingsMismatch",
    "best_effort_version",
    "peek_header",
    "scan_journal",
    "version_of",
]

MAGIC = b"PTS1"
FORMAT = 1
_PREFIX = struct.Struct(">4sII")
_HLEN = struct.Struct(">H")
_AAD_LABEL = b"powertools.session\x00"


@dataclass(slots=True, frozen=True)
class Header:
    """What an envelope says about its body."""

    kind: str
    name: str
    version: int
    serializer: str
    compression: str | None = None
    dict_id: int | None = None
    key_id: str | None = None
    expires_at: float | None = None

    def to_bytes(self) -> bytes:
        """The header as compact JSON."""
        return json.dumps(
            {
                "f": FORMAT,
                "k": self.kind,
                "n": self.name,
                "v": self.version,
                "s": self.serializer,
                "z": self.compression,
                "zd": self.dict_id,
                "kid": self.key_id,
                "x": self.expires_at,
            },
            separators=(",", ":"),
        ).encode()

    @classmethod
    def from_bytes(cls, raw: bytes, location: str) -> Header:
        """Parse a header, refusing a format this version does not know."""
        try:
            d = json.loads(raw)
            if d["f"] != FORMAT:
                raise CorruptSessionError(location, f"unknown format version {d['f']}")
            return cls(d["k"], d["n"], d["v"], d["s"], d["z"], d["zd"], d["kid"], d["x"])
        except (ValueError, KeyError, TypeError) as exc:
            raise CorruptSessionError(location, f"unreadable header: {exc}") from exc


def _unwrap(blob: bytes, location: str) -> tuple[Header, bytes, bytes]:
    """Check magic, length and checksum; return header, raw header bytes and body."""
    if len(blob) < _PREFIX.size:
        raise CorruptSessionError(location, f"truncated: {len(blob)} bytes")
    magic, length, crc = _PREFIX.unpack_from(blob)
    rest = blob[_PREFIX.size :]
    if magic != MAGIC:
        raise CorruptSessionError(location, "not a powertools session (bad magic)")
    if len(rest) != length:
        raise CorruptSessionError(location, f"truncated: {len(rest)} of {length} bytes")
    if zlib.crc32(rest) != crc:
        raise CorruptSessionError(location, "checksum mismatch")
    (hlen,) = _HLEN.unpack_from(rest)
    raw = rest[_HLEN.size : _HLEN.size + hlen]
    return Header.from_bytes(raw, location), raw, rest[_HLEN.size + hlen :]


@dataclass(slots=True)
class Scan:
    """A journal cut into whole records, damaged stretches and a torn tail.

    ``records`` are ``(offset, envelope)`` pairs; ``damaged`` ``(start, end, reason)`` byte
    ranges whose framing or checksum fails; ``torn`` where a record cut short by a crash starts
    (``None`` when the journal ends on a record boundary).
    """

    records: list[tuple[int, bytes]]
    damaged: list[tuple[int, int, str]]
    torn: int | None


def _frame(data: bytes, pos: int) -> tuple[str, int, str]:
    """``("ok", end, "")``, ``("torn", len, why)`` or ``("bad", pos, why)`` for the envelope at
    ``pos``. Torn means fewer bytes than the header promises: never acknowledged."""
    left = len(data) - pos
    if left < _PREFIX.size:
        if data[pos : pos + 4] == MAGIC[: min(4, left)]:
            return "torn", len(data), f"{left} bytes, shorter than a header"
        return "bad", pos, "not a record (bad magic)"
    magic, length, crc = _PREFIX.unpack_from(data, pos)
    end = pos + _PREFIX.size + length
    if magic != MAGIC:
        why = "not a record (bad magic)"
    elif end <= len(data):
        why = "" if zlib.crc32(data[pos + _PREFIX.size : end]) == crc else "checksum mismatch"
    elif zlib.crc32(data[pos + _PREFIX.size :]) == crc:
        # A length field flipped upwards also looks short: the rest matching its checksum
        # tells a complete record with a damaged length from one cut short.
        why = "length field damaged"
    else:
        return "torn", len(data), f"{left - _PREFIX.size} of {length} bytes"
    return ("bad", pos, why) if why else ("ok", end, "")


def _resync(data: bytes, pos: int) -> int | None:
    """The offset of the next whole envelope after ``pos``, or None."""
    at = data.find(MAGIC, pos + 1)
    while at != -1:
        if _frame(data, at)[0] == "ok":
            return at
        at = data.find(MAGIC, at + 1)
    return None


def scan_journal(data: bytes) -> Scan:
    """Cut a journal into whole envelopes, skipping over damaged stretches to the next one.

    >>> from powertools.session import JsonSerializer
    >>> codec = Codec(JsonSerializer(), None, None)
    >>> a, b = (codec.seal(Header("ops", "s", v, "json"), []) for v in (1, 2))
    >>> scan = scan_journal(a + b[:-3])
    >>> len(scan.records), scan.damaged, scan.torn == len(a)
    (1, [], True)
    """
    out = Scan([], [], None)
    pos = 0
    while pos < len(data):
        status, end, why = _frame(data, pos)
        if status == "ok":
            out.records.append((pos, data[pos:end]))
            pos = end
            continue
        nxt = _resync(data, pos)
        if nxt is None and status == "torn":
            out.torn = pos
            break
        out.damaged.append((pos, len(data) if nxt is None else nxt, why))
        if nxt is None:
            break
        pos = nxt
    return out


class Codec:
    """Seals values into envelopes and opens them, for one session's settings."""

    def __init__(
        self,
        serializer: Serializer,
        compression: Compression | None,
        keyring: Keyring | None,
    ) -> None:
        self.serializer = serializer
        self.compression = compression
        self.keyring = keyring

    def seal(self, header: Header, value: Any) -> bytes:
        """Serialize, compress, encrypt and frame ``value`` under ``header``'s kind/name/version."""
        return self.seal_body(header, self.serializer.dumps(value))

    def seal_body(self, header: Header, body: bytes) -> bytes:
        """Frame an already serialized ``body``."""
        compression = self.compression
        if compression is not None and len(body) >= MIN_COMPRESSED_BYTES:
            body = compression.compress(body)
            header = replace(header, compression="zstd", dict_id=compression.dict_id)
        if self.keyring is not None:
            header = replace(header, key_id=self.keyring.current)
            raw = header.to_bytes()
            _, body = self.keyring.encrypt(body, _AAD_LABEL + raw)
        else:
            raw = header.to_bytes()
        rest = _HLEN.pack(len(raw)) + raw + body
        return _PREFIX.pack(MAGIC, len(rest), zlib.crc32(rest)) + rest

    def open(self, blob: bytes, location: str, name: str) -> tuple[Header, Any]:
        """Check, decrypt, decompress and decode one envelope of session ``name``."""
        header, raw, body = _unwrap(blob, location)
        if header.name != name:
            raise CorruptSessionError(location, f"it belongs to session {header.name!r}")
        body = self._decrypt(header, raw, body, location)
        if header.compression == "zstd":
            if self.compression is None:
                raise SettingsMismatch(location, "compressed, but compression=None was given")
            body = self.compression.decompress(body, header.dict_id, location)
        if header.serializer != self.serializer.name:
            raise SettingsMismatch(
                location,
                f"written with serializer {header.serializer!r}, "
                f"this session uses {self.serializer.name!r}",
            )
        try:
            return header, self.serializer.loads(body)
        except (ValueError, KeyError, TypeError) as exc:
            raise CorruptSessionError(location, f"undecodable body: {exc}") from exc

    def _decrypt(self, header: Header, raw: bytes, body: bytes, location: str) -> bytes:
        if header.key_id is None:
            if self.keyring is not None:
                raise DecryptionError(
                    f"{location} is not encrypted, but encryption_keys were given; "
                    "refusing unauthenticated data"
                )
            return body
        if self.keyring is None:
            raise DecryptionError(
                f"{location} is encrypted with key id {header.key_id!r}; "
                "pass encryption_keys={key_id: key} to read it"
            )
        return self.keyring.decrypt(header.key_id, body, _AAD_LABEL + raw, location)


def version_of(blob: bytes, location: str) -> int:
    """The version in the header of an envelope whose checksum was already checked."""
    (hlen,) = _HLEN.unpack_from(blob, _PREFIX.size)
    start = _PREFIX.size + _HLEN.size
    return Header.from_bytes(blob[start : start + hlen], location).version


def peek_header(blob: bytes, location: str) -> Header:
    """The header of an envelope, without decoding its body."""
    return _unwrap(blob, location)[0]


def best_effort_version(blob: bytes) -> int:
    """The version a possibly damaged envelope's header still shows, else 0.

    >>> best_effort_version(b"garbage")
    0
    """
    try:
        version = version_of(blob, "")
    except (CorruptSessionError, struct.error, UnicodeDecodeError):
        return 0
    return version if isinstance(version, int) and version > 0 else 0
