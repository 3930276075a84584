"""Ed25519 keys for audit checkpoints (the ``audit`` extra: ``cryptography``)."""

from __future__ import annotations

import os
from pathlib import Path
from typing import TYPE_CHECKING

from powertools.logging.errors import MissingExtraError

if TYPE_CHECKING:
    from cryptography.hazmat.primitives.asymmetric.ed25519 import (
        Ed25519PrivateKey,
        Ed25519PublicKey,
    )

__all__ = ["PublicKey", "SigningKey", "load_public_key"]


def _ed25519() -> object:
    try:
        from cryptography.hazmat.primitives.asymmetric import ed25519
    except ImportError:
        raise MissingExtraError("audit checkpoint signing", "audit") from None
    return ed25519


class PublicKey:
    """Verifies checkpoint signatures."""

    def __init__(self, key: Ed25519PublicKey) -> None:
        self._key = key

    def raw(self) -> bytes:
        """The 32 raw bytes of the key (what to store somewhere safe to verify against)."""
        from cryptography.hazmat.primitives import serialization

        return self._key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)

    def verifies(self, message: bytes, signature_hex: object) -> bool:
        """Whether ``signature_hex`` is this key's signature of ``message``."""
        from cryptography.exceptions import InvalidSignature

        if not isinstance(signature_hex, str):
            return False
        try:
            self._key.verify(bytes.fromhex(signature_hex), message)
        except (InvalidSignature, ValueError):
            return False
        return True


class SigningKey:
    """An Ed25519 private key that signs checkpoints. Its repr never shows the key."""

    def __init__(self, key: Ed25519PrivateKey) -> None:
        self._key = key

    def __repr__(self) -> str:
        return "SigningKey(<hidden>)"

    @classmethod
    def generate(cls) -> SigningKey:
        """A new random key."""
        module = _ed25519()
        return cls(module.Ed25519PrivateKey.generate())  # type: ignore[attr-defined]

    @classmethod
    def from_file(cls, path: str | os.PathLike[str], *, create: bool = True) -> SigningKey:
        """Load the 32-byte raw key at ``path``, creating it (mode 0600) if allowed."""
        module = _ed25519()
        path = Path(path)
        if not path.exists() and create:
            path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
            key = module.Ed25519PrivateKey.generate()  # type: ignore[attr-defined]
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            with os.fdopen(fd, "wb") as out:
                out.write(cls(key)._raw())
            return cls(key)
        return cls(module.Ed25519PrivateKey.from_private_bytes(path.read_bytes()))  # type: ignore[attr-defined]

    def _raw(self) -> bytes:
        from cryptography.hazmat.primitives import serialization

        return self._key.private_bytes(
            serialization.Encoding.Raw,
            serialization.PrivateFormat.Raw,
            serialization.NoEncryption(),
        )

    def sign(self, message: bytes) -> bytes:
        """The signature of ``message``."""
        return self._key.sign(message)

    def public_key(self) -> PublicKey:
        """The matching public key."""
        return PublicKey(self._key.public_key())


def load_public_key(raw: bytes) -> PublicKey:
    """A :class:`PublicKey` from its 32 raw bytes."""
    module = _ed25519()
    return PublicKey(module.Ed25519PublicKey.from_public_bytes(raw))  # type: ignore[attr-defined]
