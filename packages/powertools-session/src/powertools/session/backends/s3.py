"""``s3://bucket/prefix``: one object per session, replaced with conditional writes.

A new session is created with ``If-None-Match: *``, every later write with ``If-Match: <ETag>``
of the version it was based on, so a concurrent writer gets ``ConflictError`` instead of
overwriting. Each write replaces the whole object (S3 cannot append), so this store suits
archives and backups more than long, chatty histories. boto3 is blocking: ``AsyncSession`` runs
it in ``asyncio.to_thread``.

A damaged object is never overwritten before its bytes are copied aside: a recovery puts them
under ``<prefix>/<name>.quarantine/`` and writes the recovery report to ``<prefix>/<name>.damaged``
(the mark; a plain open raises while it exists, until the recovery is accepted).
"""

from __future__ import annotations

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
from powertools.session.errors import BackendError, ConflictError

__all__ = ["S3Backend"]

# NoSuchKey answers an If-Match on an object deleted meanwhile: another writer moved on too.
_CONFLICT_CODES = {"PreconditionFailed", "ConditionalRequestConflict", "412", "409", "NoSuchKey"}
SUFFIX = ".session"


class S3Backend(Backend):
    """Sessions as S3 objects (the ``s3`` extra, boto3)."""

    initial_token: Token = None

    def __init__(self, client: Any, bucket: str, prefix: str, durability: Durability) -> None:
        super().__init__(durability)
        self.client = client
        self.bucket = bucket
        self.prefix = prefix

    @classmethod
    def from_url(cls, url: str, durability: Durability) -> S3Backend:
        """``s3://bucket/optional/prefix``; credentials and endpoint come from boto3's usual
        sources (``AWS_*`` variables, profiles, ``AWS_ENDPOINT_URL``)."""
        require_extra("boto3", "s3", "the s3:// session store")
        import boto3

        parts = urlsplit(url)
        return cls(boto3.client("s3"), parts.netloc, parts.path.strip("/"), durability)

    def _key(self, name: str, suffix: str = SUFFIX) -> str:
        return f"{self.prefix}/{name}{suffix}" if self.prefix else f"{name}{suffix}"

    def _where(self, name: str, suffix: str = SUFFIX) -> str:
        return f"s3://{self.bucket}/{self._key(name, suffix)}"

    def _get(self, name: str, key: str) -> tuple[bytes, str] | None:
        from botocore.exceptions import ClientError

        try:
            got = self.client.get_object(Bucket=self.bucket, Key=key)
        except self.client.exceptions.NoSuchKey:
            return None
        except ClientError as exc:
            raise self._failed(name, exc) from exc
        return got["Body"].read(), str(got["ETag"])

    def load(self, name: str, recover: bool = False) -> Stored | None:
        """The object and its ETag, and the recovery mark if one is waiting to be accepted.

        A damaged object is returned as it is (the session decodes it and reports the damage).
        """
        got, mark = self._get(name, self._key(name)), self._get(name, self._key(name, MARK))
        return stored_object(got, mark, self._where(name), self._where(name, MARK))

    def quarantine_location(self, name: str) -> str:
        """``s3://bucket/<prefix>/<name>.quarantine/``."""
        return self._where(name, QUARANTINE) + "/"

    def quarantine(self, name: str, pieces: list[Piece], report: str, expected: Token) -> Token:
        """Copy each damaged piece to ``<name>.quarantine/<label>-<digest>``, then write the
        mark ``<name>.damaged``; the session object itself is left as it is."""
        from botocore.exceptions import ClientError

        try:
            for piece in pieces:
                if piece.data:
                    key = f"{self._key(name, QUARANTINE)}/{kept_name(piece.label, piece.data)}"
                    self.client.put_object(Bucket=self.bucket, Key=key, Body=piece.data)
            self.client.put_object(
                Bucket=self.bucket, Key=self._key(name, MARK), Body=report.encode()
            )
        except ClientError as exc:
            raise self._failed(name, exc) from exc
        return expected

    def accept(self, name: str) -> None:
        """Delete the mark; the quarantined copies stay."""
        self.client.delete_object(Bucket=self.bucket, Key=self._key(name, MARK))

    def replace(
        self, name: str, snapshot: bytes, version: int, expected: Token, ttl: float | None
    ) -> Token:
        """Put the object if its ETag is still ``expected`` (or it is absent, for None)."""
        from botocore.exceptions import ClientError

        condition = {"IfNoneMatch": "*"} if expected is None else {"IfMatch": str(expected)}
        try:
            put = self.client.put_object(
                Bucket=self.bucket, Key=self._key(name), Body=snapshot, **condition
            )
        except ClientError as exc:
            if exc.response.get("Error", {}).get("Code") in _CONFLICT_CODES:
                raise ConflictError(name, version - 1, None) from exc
            raise self._failed(name, exc) from exc
        return str(put["ETag"])

    def delete_if(self, name: str, expected: Token) -> bool:
        """Delete the object only if its ETag is still ``expected`` (``If-Match``)."""
        from botocore.exceptions import ClientError

        try:
            self.client.delete_object(
                Bucket=self.bucket, Key=self._key(name), IfMatch=str(expected)
            )
        except ClientError as exc:
            if exc.response.get("Error", {}).get("Code") in _CONFLICT_CODES:
                return False
            raise self._failed(name, exc) from exc
        return True

    def _failed(self, name: str, exc: Any) -> BackendError:
        error = exc.response.get("Error", {})
        return BackendError(
            f"{self._where(name)}: S3 said {error.get('Code')}: {error.get('Message')}"
        )

    def delete(self, name: str) -> None:
        """Delete the object."""
        self.client.delete_object(Bucket=self.bucket, Key=self._key(name))

    def names(self) -> list[str]:
        """Every session object under the prefix."""
        start = f"{self.prefix}/" if self.prefix else ""
        found = []
        for page in self.client.get_paginator("list_objects_v2").paginate(
            Bucket=self.bucket, Prefix=start
        ):
            for item in page.get("Contents", []):
                key = item["Key"][len(start) :]
                if key.endswith(SUFFIX) and "/" not in key:
                    found.append(key.removesuffix(SUFFIX))
        return sorted(found)

    def close(self) -> None:
        """Close the client's connections."""
        self.client.close()
