"""S3 and GCS keep a quarantine too: a damaged object is copied aside before anything rewrites it.

Runs against the testkit's moto S3 server and GCS emulator (skipped locally when missing,
failing in CI).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import pytest

from powertools.session import CorruptSessionError, Session

pytestmark = pytest.mark.integration


@dataclass
class Objects:
    """Raw access to one bucket: what an operator or a bad copy would do to the bytes."""

    url: str
    get: Callable[[str], bytes]
    put: Callable[[str, bytes], None]
    keys: Callable[[str], list[str]]


@pytest.fixture(params=["s3", "gcs"])
def objects(request: pytest.FixtureRequest) -> Objects:
    if request.param == "s3":
        s3 = request.getfixturevalue("s3")
        client, bucket = s3.client, s3.name

        def s3_keys(prefix: str) -> list[str]:
            found = client.list_objects_v2(Bucket=bucket, Prefix=prefix).get("Contents", [])
            return sorted(item["Key"] for item in found)

        return Objects(
            f"{s3.url}/sessions",
            lambda key: client.get_object(Bucket=bucket, Key=key)["Body"].read(),
            lambda key, data: client.put_object(Bucket=bucket, Key=key, Body=data),
            s3_keys,
        )
    gcs = request.getfixturevalue("gcs")
    gbucket = gcs.client.bucket(gcs.name)
    return Objects(
        f"{gcs.url}/sessions",
        lambda key: gbucket.blob(key).download_as_bytes(),
        lambda key, data: gbucket.blob(key).upload_from_string(data),
        lambda prefix: sorted(b.name for b in gcs.client.list_blobs(gcs.name, prefix=prefix)),
    )


def _damage(objects: Objects, key: str) -> bytes:
    data = bytearray(objects.get(key))
    data[len(data) // 2] ^= 0x01
    objects.put(key, bytes(data))
    return bytes(data)


def test_a_damaged_object_is_quarantined_before_anything_is_rewritten(objects: Objects) -> None:
    s = Session("s", store=objects.url)
    s.set("a", 1)
    s.set("b", "x" * 200)
    damaged = _damage(objects, "sessions/s.session")
    with pytest.raises(CorruptSessionError):
        Session("s", store=objects.url)  # a plain open moves nothing
    assert objects.keys("sessions/s.quarantine/") == []

    with pytest.raises(CorruptSessionError, match="nothing intact is left") as info:
        Session.recover("s", store=objects.url)
    where = info.value.quarantine
    assert where is not None
    assert where.endswith("/sessions/s.quarantine/")
    kept = objects.keys("sessions/s.quarantine/")
    assert len(kept) == 1
    assert where.endswith(kept[0].rpartition("/")[0] + "/")
    assert objects.get(kept[0]) == damaged  # the damaged bytes, copied aside as they were
    assert objects.get("sessions/s.session") == damaged  # and not rewritten
    with pytest.raises(CorruptSessionError, match="not accepted yet"):
        Session("s", store=objects.url)  # the damage stays marked

    fresh = Session.recover("s", store=objects.url, accept=True)
    assert fresh.get_all() == {}
    assert fresh.recovery is not None
    assert fresh.recovery.accepted
    assert fresh.recovery.quarantine == where
    assert any("s.session" in d for d in fresh.recovery.damaged)
    assert fresh.version > 2  # versions only grow, past what the damaged header still said
    reopened = Session("s", store=objects.url)
    assert reopened.get_all() == {}
    reopened.set("c", 3)
    assert Session("s", store=objects.url).get_all() == {"c": 3}
    assert objects.get(kept[0]) == damaged  # accepting keeps the quarantine
    assert Session.list(store=objects.url) == ["s"]


def test_an_intact_object_needs_no_quarantine(objects: Objects) -> None:
    Session("s", store=objects.url).set("a", 1)
    recovered = Session.recover("s", store=objects.url)
    assert recovered.get_all() == {"a": 1}
    assert recovered.recovery is None
    assert objects.keys("sessions/s.quarantine/") == []


def test_an_emptied_object_is_reported_with_nothing_to_copy_aside(objects: Objects) -> None:
    Session("s", store=objects.url).set("a", 1)
    objects.put("sessions/s.session", b"")  # a botched copy left zero bytes
    with pytest.raises(CorruptSessionError, match="truncated: 0 bytes"):
        Session("s", store=objects.url)
    with pytest.raises(CorruptSessionError, match="nothing intact is left"):
        Session.recover("s", store=objects.url)
    assert objects.keys("sessions/s.quarantine/") == []  # no bytes to keep
    assert objects.keys("sessions/s.damaged") == ["sessions/s.damaged"]  # but the damage is marked
    fresh = Session.recover("s", store=objects.url, accept=True)
    assert fresh.get_all() == {}
    assert fresh.recovery is not None
    assert fresh.recovery.damaged == (f"{objects.url}/s.session: truncated: 0 bytes",)
    assert objects.keys("sessions/s.damaged") == []
