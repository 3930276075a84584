"""zstandard compression, with an optional trained dictionary for many small sessions."""

from __future__ import annotations

from typing import Any

from powertools.session.errors import CorruptSessionError, SettingsMismatch

__all__ = ["Compression", "resolve_compression", "train_dictionary"]

#: Bodies shorter than this are stored as they are: zstd's frame would make them larger.
MIN_COMPRESSED_BYTES = 256


class Compression:
    """zstandard at ``level``, optionally with a dictionary made by :func:`train_dictionary`.

    Level 1 (the default) compresses session JSON about as well as level 3, several times faster
    on every auto-save.

    >>> c = Compression(level=3)
    >>> c.decompress(c.compress(b"hello " * 100), dict_id=None) == b"hello " * 100
    True
    """

    def __init__(self, level: int = 1, dictionary: bytes | None = None) -> None:
        if not 1 <= level <= 22:
            raise ValueError(f"zstd level {level} is out of range: use 1 (fast) to 22 (small)")
        self.level = level
        self._dictionary = dictionary
        self._compressor: Any = None
        self._decompressor: Any = None
        self._dict: Any = None

    def __repr__(self) -> str:
        extra = ", dictionary=..." if self._dictionary is not None else ""
        return f"Compression(level={self.level}{extra})"

    @property
    def dict_id(self) -> int | None:
        """The trained dictionary's id, recorded in each header; None without one."""
        self._ready()
        return None if self._dict is None else int(self._dict.dict_id())

    def _ready(self) -> None:
        if self._compressor is not None:
            return
        import zstandard

        if self._dictionary is not None:
            self._dict = zstandard.ZstdCompressionDict(self._dictionary)
        self._compressor = zstandard.ZstdCompressor(level=self.level, dict_data=self._dict)
        self._decompressor = zstandard.ZstdDecompressor(dict_data=self._dict)

    def compress(self, data: bytes) -> bytes:
        """Compress one body."""
        self._ready()
        return bytes(self._compressor.compress(data))

    def decompress(self, data: bytes, dict_id: int | None, location: str = "data") -> bytes:
        """Decompress one body, checking it was made with this compressor's dictionary."""
        self._ready()
        if dict_id != self.dict_id:
            raise SettingsMismatch(
                location,
                f"compressed with zstd dictionary {dict_id}, but this session has "
                f"{self.dict_id}; pass the same Compression(dictionary=...)",
            )
        import zstandard

        try:
            return bytes(self._decompressor.decompress(data))
        except zstandard.ZstdError as exc:
            raise CorruptSessionError(location, f"zstd: {exc}") from exc


def train_dictionary(samples: list[bytes], size: int = 16_384) -> bytes:
    """A zstd dictionary trained on typical encoded sessions (say, a few hundred of them).

    Pass the result as ``Compression(dictionary=...)``; keep it: old data needs it to load.
    """
    import zstandard

    return bytes(
        zstandard.train_dictionary(size, list[bytes | bytearray | memoryview](samples)).as_bytes()
    )


def resolve_compression(compression: str | Compression | None) -> Compression | None:
    """``"zstd"`` (the default), ``None`` for none, or a configured :class:`Compression`."""
    if compression is None or isinstance(compression, Compression):
        return compression
    if compression == "zstd":
        return Compression()
    raise ValueError(f"unknown compression {compression!r}: use 'zstd', None or Compression(...)")
