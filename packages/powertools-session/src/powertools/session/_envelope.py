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
from powertools.session.errors import CorruptSessionError, DecryptionError

__all__ = ["Codec", "Header", "peek_header", "split_envelopes"]

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


def split_envelopes(data: bytes) -> tuple[list[bytes], int]:
    """Cut a journal into whole envelopes; also return where the torn tail (if any) starts."""
    out: list[bytes] = []
    pos = 0
    while pos + _PREFIX.size <= len(data):
        magic, length, crc = _PREFIX.unpack_from(data, pos)
        end = pos + _PREFIX.size + length
        if magic != MAGIC or end > len(data) or zlib.crc32(data[pos + _PREFIX.size : end]) != crc:
            break
        out.append(data[pos:end])
        pos = end
    return out, pos


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
                raise CorruptSessionError(location, "compressed, but compression=None was given")
            body = self.compression.decompress(body, header.dict_id, location)
        if header.serializer != self.serializer.name:
            raise CorruptSessionError(
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


def peek_header(blob: bytes, location: str) -> Header:
    """The header of an envelope, without decoding its body."""
    return _unwrap(blob, location)[0]
