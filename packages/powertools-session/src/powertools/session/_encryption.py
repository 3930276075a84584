"""AES-256-GCM with key ids: the newest key encrypts, every listed key decrypts."""

from __future__ import annotations

import os
from collections.abc import Mapping
from typing import Any

from powertools.session._backend import require_extra
from powertools.session.errors import DecryptionError

__all__ = ["Keyring"]

_NONCE_BYTES = 12
_KEY_BYTES = 32


class Keyring:
    """Named 32-byte keys; the last one given encrypts, all of them decrypt (rotation).

    >>> ring = Keyring({"2024": bytes(32), "2025": bytes(range(32))})
    >>> ring.current
    '2025'
    >>> ring.decrypt("2025", ring.encrypt(b"secret", b"aad")[1], b"aad", "s")
    b'secret'
    """

    def __init__(self, keys: Mapping[str, bytes]) -> None:
        if not keys:
            raise ValueError("encryption_keys is empty: give at least one {key_id: 32-byte key}")
        for key_id, key in keys.items():
            if not isinstance(key, bytes) or len(key) != _KEY_BYTES:
                raise ValueError(
                    f"encryption key {key_id!r} must be 32 bytes (AES-256), "
                    "e.g. secrets.token_bytes(32)"
                )
        require_extra("cryptography", "encryption", "encryption_keys (AES-256-GCM)")
        self._keys = dict(keys)
        self.current = list(self._keys)[-1]
        self._ciphers: dict[str, Any] = {}

    def __repr__(self) -> str:
        return f"Keyring(key_ids={list(self._keys)!r})"

    def _cipher(self, key_id: str) -> Any:
        cipher = self._ciphers.get(key_id)
        if cipher is None:
            from cryptography.hazmat.primitives.ciphers.aead import AESGCM

            cipher = self._ciphers[key_id] = AESGCM(self._keys[key_id])
        return cipher

    def encrypt(self, plaintext: bytes, aad: bytes) -> tuple[str, bytes]:
        """Encrypt with the newest key; returns its id and ``nonce || ciphertext``."""
        nonce = os.urandom(_NONCE_BYTES)
        return self.current, nonce + self._cipher(self.current).encrypt(nonce, plaintext, aad)

    def decrypt(self, key_id: str, data: bytes, aad: bytes, location: str) -> bytes:
        """Decrypt ``data`` made by :meth:`encrypt` with key ``key_id`` and the same ``aad``."""
        if key_id not in self._keys:
            raise DecryptionError(
                f"{location} is encrypted with key id {key_id!r}, which is not in "
                f"encryption_keys (ids given: {list(self._keys)}); add that key"
            )
        from cryptography.exceptions import InvalidTag

        try:
            return bytes(
                self._cipher(key_id).decrypt(data[:_NONCE_BYTES], data[_NONCE_BYTES:], aad)
            )
        except InvalidTag as exc:
            raise DecryptionError(
                f"{location} failed authentication with key id {key_id!r}: the key is wrong, "
                "or the data was tampered with or moved from another session or version"
            ) from exc
