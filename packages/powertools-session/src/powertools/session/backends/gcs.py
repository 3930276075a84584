"""``gs://bucket/prefix``: one object per session, replaced with ``ifGenerationMatch``.

A new session is created with ``ifGenerationMatch=0`` (only if absent), every later write with
the generation it was based on, so a concurrent writer gets ``ConflictError``. Like S3, each write
replaces the whole object. google-cloud-storage is blocking: ``AsyncSession`` runs it in
``asyncio.to_thread``. With ``STORAGE_EMULATOR_HOST`` set, the client talks to the emulator
anonymously.

A damaged object is never overwritten before its bytes are copied aside: a recovery uploads them
under ``<prefix>/<name>.quarantine/`` and writes the recovery report to ``<prefix>/<name>.damaged``
(the mark; a plain open raises while it exists, until the recovery is accepted).
"""

from __future__ import annotations

import os
from typing import Any
from urllib.parse import urlsplit

from powertools.session._backend import (
    Backend,
    Durability,
    Piece,
    Stored,
    Token,
    kept_name,
    require_extra,
)
from powertools.session.backends._objects import MARK, QUARANTINE, stored_object
from powertools.session.errors import ConflictError

__all__ = ["GcsBackend"]

SUFFIX = ".session"


class GcsBackend(Backend):
    """Sessions as Google Cloud Storage objects (the ``gcs`` extra)."""

    initial_token: Token = None

    def __init__(self, client: Any, bucket: str, prefix: str, durability: Durability) -> None:
        super().__init__(durability)
        self.client = client
        self.bucket = client.bucket(bucket)
        self.prefix = prefix

    @classmethod
    def from_url(cls, url: str, durability: Durability) -> GcsBackend:
        """``gs://bucket/optional/prefix`` with the default credentials (or the emulator)."""
        require_extra("google.cloud.storage", "gcs", "the gs:// session store")
        from google.cloud import storage

        parts = urlsplit(url)
        if os.environ.get("STORAGE_EMULATOR_HOST"):
            from google.auth.credentials import AnonymousCredentials

            client = storage.Client(project="emulator", credentials=AnonymousCredentials())  # type: ignore[no-untyped-call]
        else:
            client = storage.Client()
        return cls(client, parts.netloc, parts.path.strip("/"), durability)

    def _key(self, name: str, suffix: str = SUFFIX) -> str:
        return f"{self.prefix}/{name}{suffix}" if self.prefix else f"{name}{suffix}"

    def _where(self, name: str, suffix: str = SUFFIX) -> str:
        return f"gs://{self.bucket.name}/{self._key(name, suffix)}"

    def _get(self, key: str) -> tuple[bytes, int] | None:
        """An object's bytes and generation, read as one consistent pair."""
        from google.api_core.exceptions import NotFound, PreconditionFailed

        while True:
            blob = self.bucket.get_blob(key)
            if blob is None:
                return None
            try:
                return blob.download_as_bytes(if_generation_match=blob.generation), int(
                    blob.generation
                )
            except (NotFound, PreconditionFailed):
                continue  # replaced or deleted between the two requests: read again

    def load(self, name: str, recover: bool = False) -> Stored | None:
        """The object's bytes and generation, and the recovery mark if one waits for acceptance.

        A damaged object is returned as it is (the session decodes it and reports the damage).
        """
        got, mark = self._get(self._key(name)), self._get(self._key(name, MARK))
        return stored_object(got, mark, self._where(name), self._where(name, MARK))

    def quarantine_location(self, name: str) -> str:
        """``gs://bucket/<prefix>/<name>.quarantine/``."""
        return self._where(name, QUARANTINE) + "/"

    def quarantine(self, name: str, pieces: list[Piece], report: str, expected: Token) -> Token:
        """Upload each damaged piece to ``<name>.quarantine/<label>-<digest>``, then the mark
        ``<name>.damaged``; the session object itself is left as it is."""
        for piece in pieces:
            if piece.data:
                key = f"{self._key(name, QUARANTINE)}/{kept_name(piece.label, piece.data)}"
                self.bucket.blob(key).upload_from_string(piece.data)
        self.bucket.blob(self._key(name, MARK)).upload_from_string(report.encode())
        return expected

    def accept(self, name: str) -> None:
        """Delete the mark; the quarantined copies stay."""
        from google.api_core.exceptions import NotFound

        try:
            self.bucket.blob(self._key(name, MARK)).delete()
        except NotFound:
            return

    def replace(
        self, name: str, snapshot: bytes, version: int, expected: Token, ttl: float | None
    ) -> Token:
        """Upload if the generation is still ``expected`` (0: only if absent)."""
        from google.api_core.exceptions import PreconditionFailed

        blob = self.bucket.blob(self._key(name))
        try:
            blob.upload_from_string(snapshot, if_generation_match=int(expected or 0))
        except PreconditionFailed as exc:
            raise ConflictError(name, version - 1, None) from exc
        return int(blob.generation)

    def delete(self, name: str) -> None:
        """Delete the object; absent is fine."""
        from google.api_core.exceptions import NotFound

        try:
            self.bucket.blob(self._key(name)).delete()
        except NotFound:
            return

    def delete_if(self, name: str, expected: Token) -> bool:
        """Delete the object only if its generation is still ``expected``."""
        from google.api_core.exceptions import NotFound, PreconditionFailed

        try:  # generation 0 (a session never written) matches no existing object
            self.bucket.blob(self._key(name)).delete(if_generation_match=int(expected or 0))
        except (NotFound, PreconditionFailed):
            return False
        return True

    def names(self) -> list[str]:
        """Every session object under the prefix."""
        start = f"{self.prefix}/" if self.prefix else ""
        found = []
        for blob in self.client.list_blobs(self.bucket, prefix=start):
            key = blob.name[len(start) :]
            if key.endswith(SUFFIX) and "/" not in key:
                found.append(key.removesuffix(SUFFIX))
        return sorted(found)

    def close(self) -> None:
        """Close the client's HTTP session."""
        self.client.close()
