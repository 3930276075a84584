"""tools/audit_lock.py: every locked version is checked against its registry's advisories."""

from __future__ import annotations

import importlib
import json
from pathlib import Path

import httpx
import pytest

audit = importlib.import_module("audit_lock")  # from tools/, put on sys.path by conftest

INDEX = "https://registry.invalid/simple"
LOCK = """version = 1
[[package]]
name = "ai-powertools"
version = "0.1.0"
source = {{ editable = "packages/ai-powertools" }}
{packages}"""
PACKAGE = '[[package]]\nname = "{}"\nversion = "{}"\nsource = {{ registry = "{}" }}\n'
VULN = {
    "id": "GHSA-aaaa-bbbb-cccc",
    "aliases": ["CVE-2026-1", "PYSEC-2026-1"],
    "details": "pickle by default",
    "link": "https://osv.invalid/GHSA-aaaa-bbbb-cccc",
    "withdrawn": None,
}
PYSEC = {**VULN, "id": "PYSEC-2026-1", "aliases": ["CVE-2026-1", "GHSA-aaaa-bbbb-cccc"]}


def _project(root: Path, locked: dict[str, str], accepts: str = "") -> None:
    packages = "".join(PACKAGE.format(n, v, INDEX) for n, v in locked.items())
    (root / "uv.lock").write_text(LOCK.format(packages=packages), encoding="utf-8")
    (root / "pyproject.toml").write_text(accepts, encoding="utf-8")


def _registry(newest: dict[str, tuple[str, list[dict[str, object]]]]) -> httpx.MockTransport:
    asked: list[str] = []

    def answer(request: httpx.Request) -> httpx.Response:
        asked.append(str(request.url))
        name = request.url.path.split("/")[2]
        if name not in newest:
            return httpx.Response(404)
        version, vulns = newest[name]
        body = {"info": {"version": version}, "vulnerabilities": vulns}
        return httpx.Response(200, content=json.dumps(body))

    transport = httpx.MockTransport(answer)
    transport.asked = asked  # type: ignore[attr-defined]
    return transport


@pytest.fixture
def root(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setattr(audit, "ROOT", tmp_path)
    return tmp_path


def _run(transport: httpx.MockTransport, capsys: pytest.CaptureFixture[str]) -> tuple[int, str]:
    code = audit.main([], transport=transport)
    return code, capsys.readouterr().out


def test_a_clean_lock_at_its_newest_releases_passes_complete(
    root: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    _project(root, {"httpx": "0.28.1", "redis": "6.0.0"})
    registry = _registry({"httpx": ("0.28.1", []), "redis": ("6.0.0", [])})
    code, out = _run(registry, capsys)
    assert code == 0, out
    assert "audited 2 locked versions against the registry's advisories: 2 complete" in out
    assert "PARTIAL" not in out
    # the registry the lock names, at its JSON API; workspace members are not looked up
    assert sorted(registry.asked) == [  # type: ignore[attr-defined]
        "https://registry.invalid/pypi/httpx/json",
        "https://registry.invalid/pypi/redis/json",
    ]


def test_a_known_vulnerability_fails_once_under_all_its_names(
    root: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    _project(root, {"diskcache": "5.6.3"})
    code, out = _run(_registry({"diskcache": ("5.6.3", [VULN, PYSEC])}), capsys)
    assert code == 1
    assert out.count("FAIL ") == 1
    assert "FAIL GHSA-aaaa-bbbb-cccc (CVE-2026-1, PYSEC-2026-1) in diskcache 5.6.3" in out
    assert "pickle by default https://osv.invalid/GHSA-aaaa-bbbb-cccc" in out
    assert "[[tool.powertools-audit.accepted]]" in out


def test_a_withdrawn_advisory_is_no_finding(root: Path, capsys: pytest.CaptureFixture[str]) -> None:
    _project(root, {"diskcache": "5.6.3"})
    withdrawn = {**VULN, "withdrawn": "2026-11-01T00:00:00Z"}
    assert _run(_registry({"diskcache": ("5.6.3", [withdrawn])}), capsys)[0] == 0


ACCEPT = '[[tool.powertools-audit.accepted]]\npackage = "{}"\nid = "{}"\nreason = "{}"\n'


@pytest.mark.parametrize("name", ["GHSA-aaaa-bbbb-cccc", "cve-2026-1"])
def test_an_accepted_finding_passes_with_its_reason_under_any_of_its_names(
    root: Path, capsys: pytest.CaptureFixture[str], name: str
) -> None:
    _project(root, {"DiskCache": "5.6.3"}, ACCEPT.format("diskcache", name, "bench only"))
    code, out = _run(_registry({"DiskCache": ("5.6.3", [VULN])}), capsys)
    assert code == 0, out
    found = "accepted GHSA-aaaa-bbbb-cccc (CVE-2026-1, PYSEC-2026-1) in DiskCache 5.6.3"
    assert f"{found}: bench only" in out


@pytest.mark.parametrize(
    ("package", "reason"), [("diskcache", ""), ("otherpkg", "accepted for another package")]
)
def test_an_acceptance_without_reason_or_for_another_package_does_not_count(
    root: Path, capsys: pytest.CaptureFixture[str], package: str, reason: str
) -> None:
    _project(root, {"diskcache": "5.6.3"}, ACCEPT.format(package, VULN["id"], reason))
    code, out = _run(_registry({"diskcache": ("5.6.3", [VULN])}), capsys)
    assert code == 1
    assert "FAIL GHSA-aaaa-bbbb-cccc" in out


def test_a_stale_acceptance_fails(root: Path, capsys: pytest.CaptureFixture[str]) -> None:
    _project(root, {"diskcache": "5.6.4"}, ACCEPT.format("diskcache", VULN["id"], "bench only"))
    code, out = _run(_registry({"diskcache": ("5.6.4", [])}), capsys)
    assert code == 1
    assert "FAIL pyproject.toml accepts GHSA-AAAA-BBBB-CCCC in diskcache" in out
    assert "remove it" in out


def test_a_version_behind_the_newest_is_partial_and_still_held_to_the_newest_advisories(
    root: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    _project(root, {"httpx": "0.28.1", "diskcache": "5.6.2"})
    registry = _registry({"httpx": ("0.29.0", []), "diskcache": ("5.6.3", [VULN])})
    code, out = _run(registry, capsys)
    assert code == 1  # what affects the newest release affects the older one too
    assert "FAIL GHSA-aaaa-bbbb-cccc (CVE-2026-1, PYSEC-2026-1) in diskcache 5.6.2" in out
    assert "0 complete (the newest release), 1 failing" in out
    assert "PARTIAL: 2 locked versions are older than their newest release" in out
    assert "httpx 0.28.1 (newest 0.29.0), diskcache 5.6.2 (newest 5.6.3)" in out


def test_a_registry_without_the_package_is_not_audited_and_fails(
    root: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    _project(root, {"httpx": "0.28.1"})
    code, out = _run(_registry({}), capsys)
    assert code == 1
    assert out.startswith("NOT AUDITED: the registry could not answer: ")
    assert "https://registry.invalid/pypi/httpx/json: HTTP 404" in out


def test_a_registry_that_drops_connections_is_asked_again_then_fails(
    root: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    _project(root, {"httpx": "0.28.1", "redis": "6.0.0"})
    monkeypatch.setattr(audit.asyncio, "sleep", _no_wait)
    calls: list[str] = []
    failures = {"httpx": 1, "redis": 99}

    def flaky(request: httpx.Request) -> httpx.Response:
        name = request.url.path.split("/")[2]
        calls.append(name)
        if calls.count(name) <= failures[name]:
            if name == "redis":
                raise httpx.ConnectError("connection refused", request=request)
            return httpx.Response(503)
        return httpx.Response(200, json={"info": {"version": "0.28.1"}, "vulnerabilities": []})

    code, out = _run(httpx.MockTransport(flaky), capsys)
    assert code == 1
    assert calls.count("httpx") == 2  # one 503, then answered
    assert calls.count("redis") == audit.ATTEMPTS
    assert "NOT AUDITED" in out
    assert "https://registry.invalid/pypi/redis/json: ConnectError" in out


async def _no_wait(_seconds: float) -> None:
    return None


def test_it_takes_no_arguments(capsys: pytest.CaptureFixture[str]) -> None:
    assert audit.main(["uv.lock"]) == 2
    assert "usage:" in capsys.readouterr().out


def test_the_projects_own_lock_names_every_registry_package() -> None:
    packages = audit.locked_packages(audit.ROOT / "uv.lock")
    names = {p.name for p in packages}
    assert {"httpx", "pydantic", "redis", "tiktoken", "diskcache"} <= names
    assert "powertools-cost" not in names  # a workspace member, not a registry package
    assert all(p.url.endswith(f"/pypi/{p.name}/json") for p in packages)
