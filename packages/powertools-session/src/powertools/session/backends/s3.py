"""``s3://bucket/prefix``: one object per session, replaced with conditional writes.

A new session is created with ``If-None-Match: *``, every later write with ``If-Match: <ETag>``
of the version it was based on, so a concurrent writer gets ``ConflictError`` instead of
overwriting. Each write replaces the whole object (S3 cannot append), so this store suits
archives and backups more than long, chatty histories. boto3 is blocking: ``AsyncSession`` runs
it in ``asyncio.to_thread``.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

from powertools.session._backend import Backend, Durability, Stored, Token, require_extra
from powertools.session._envelope import peek_header
from powertools.session.errors import BackendError, ConflictError

__all__ = ["S3Backend"]

_CONFLICT_CODES = {"PreconditionFailed", "ConditionalRequestConflict", "412", "409"}
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
        require_extra("boto3", "s3", "s3")
        import boto3

        parts = urlsplit(url)
        return cls(boto3.client("s3"), parts.netloc, parts.path.strip("/"), durability)

    def _key(self, name: str) -> str:
        return f"{self.prefix}/{name}{SUFFIX}" if self.prefix else f"{name}{SUFFIX}"

    def _where(self, name: str) -> str:
        return f"s3://{self.bucket}/{self._key(name)}"

    def load(self, name: str, recover: bool = False) -> Stored | None:
        """The object and its ETag."""
        from botocore.exceptions import ClientError

        try:
            got = self.client.get_object(Bucket=self.bucket, Key=self._key(name))
        except self.client.exceptions.NoSuchKey:
            return None
        except ClientError as exc:
            raise self._failed(name, exc) from exc
        blob = got["Body"].read()
        where = self._where(name)
        version = peek_header(blob, where).version
        return Stored(blob, [], got["ETag"], version, where, where)

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
