"""Known-vulnerability audit of ``uv.lock`` against the advisories its own registry publishes.

Every registry package of the lock (every group and extra, not only what ``uv sync`` installs) is
looked up in the registry the lock names, through its JSON API (``<index>/pypi/<name>/json``).
That answer lists the known vulnerabilities (OSV records) of the project's *newest* release; the
per-version form, which would list them for any release, is not served by the mirror CI installs
from (docs/decisions/0002). So:

- a locked version that *is* the newest release is audited completely;
- an older one is checked against what still affects the newest release (such an advisory
  counts against it too), but an advisory fixed after it cannot be seen: it is reported as
  ``PARTIAL``, by name, and does not fail the run.

Any advisory that is not withdrawn and is not accepted fails the run. An advisory is accepted in
``[[tool.powertools-audit.accepted]]`` of the root ``pyproject.toml`` (``package``, ``id``,
``reason``); any of its aliases may be named, and an entry that matches no finding fails, so the
list stays true. A registry that cannot be reached, or has no JSON API, fails the run: a gate
that could not look is not passed.

    python tools/audit_lock.py            # uv.lock and pyproject.toml beside it
"""

from __future__ import annotations

import asyncio
import sys
import tomllib
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx

ROOT = Path(__file__).resolve().parent.parent
CONCURRENT = 16  # lookups in flight: the 188 packages of the lock take 3 s here
ATTEMPTS = 3  # per lookup, for a registry that drops a connection now and then


@dataclass(frozen=True)
class Locked:
    """One registry package of the lock."""

    name: str
    version: str
    registry: str  # the index URL the lock names, e.g. ``https://<host>/simple``

    @property
    def url(self) -> str:
        """The project's JSON API address on that registry."""
        return f"{self.registry.rstrip('/').removesuffix('/simple')}/pypi/{self.name}/json"


@dataclass(frozen=True)
class Advisory:
    """A known vulnerability of the newest release, under all of its names."""

    ids: tuple[str, ...]  # its id first, then its aliases
    details: str
    link: str

    def named(self, name: str) -> bool:
        """Whether ``name`` is one of this advisory's ids or aliases."""
        return name.upper() in (i.upper() for i in self.ids)


@dataclass(frozen=True)
class Verdict:
    """What the registry says about one locked package."""

    locked: Locked
    newest: str
    advisories: tuple[Advisory, ...]

    @property
    def complete(self) -> bool:
        """Whether the locked version is the newest release, so its audit is complete."""
        return self.locked.version == self.newest


class RegistryError(Exception):
    """The registry could not answer for a package; the run is not audited."""


def locked_packages(lock: Path) -> list[Locked]:
    """The registry packages of ``lock`` (workspace members and path sources are skipped)."""
    data = tomllib.loads(lock.read_text(encoding="utf-8"))
    return [
        Locked(p["name"], p["version"], p["source"]["registry"])
        for p in data.get("package", [])
        if "registry" in p.get("source", {})
    ]


def advisories(answer: dict[str, Any]) -> tuple[Advisory, ...]:
    """The advisories of a JSON API answer that are not withdrawn, one per vulnerability."""
    found: list[Advisory] = []
    for record in answer.get("vulnerabilities") or []:
        if record.get("withdrawn"):
            continue
        ids = (record["id"], *record.get("aliases", ()))
        if any(a.named(i) for a in found for i in ids):
            continue  # the same vulnerability under another database's id
        found.append(Advisory(tuple(ids), str(record.get("details") or ""), record.get("link", "")))
    return tuple(found)


async def look_up(client: httpx.AsyncClient, locked: Locked) -> Verdict:
    """Ask the registry about ``locked``; :class:`RegistryError` when it cannot answer."""
    for attempt in range(ATTEMPTS):
        try:
            response = await client.get(locked.url)
        except httpx.TransportError as error:
            if attempt == ATTEMPTS - 1:
                raise RegistryError(f"{locked.url}: {error!r}") from error
            await asyncio.sleep(0.5 * 2**attempt)
            continue
        if response.status_code >= 500 and attempt < ATTEMPTS - 1:
            await asyncio.sleep(0.5 * 2**attempt)
            continue
        if response.status_code != 200:
            raise RegistryError(f"{locked.url}: HTTP {response.status_code}")
        answer = response.json()
        return Verdict(locked, answer["info"]["version"], advisories(answer))
    raise AssertionError("unreachable")  # pragma: no cover - the loop returns or raises


async def audit(packages: Iterable[Locked], client: httpx.AsyncClient) -> list[Verdict]:
    """The registry's verdict on every package, ``CONCURRENT`` lookups at a time."""
    gate = asyncio.Semaphore(CONCURRENT)

    async def one(locked: Locked) -> Verdict:
        async with gate:
            return await look_up(client, locked)

    return list(await asyncio.gather(*(one(p) for p in packages)))


def accepted(pyproject: Path) -> dict[tuple[str, str], str]:
    """``(package, advisory id) -> reason`` from ``[[tool.powertools-audit.accepted]]``."""
    config = tomllib.loads(pyproject.read_text(encoding="utf-8")) if pyproject.is_file() else {}
    entries = config.get("tool", {}).get("powertools-audit", {}).get("accepted", [])
    return {
        (e["package"].lower(), e["id"].upper()): e["reason"]
        for e in entries
        if str(e.get("reason", "")).strip()
    }


def judge(verdicts: list[Verdict], accepts: dict[tuple[str, str], str]) -> tuple[list[str], int]:
    """The report's lines and the number of failures (unaccepted findings, stale acceptances)."""
    lines: list[str] = []
    failed = 0
    used: set[tuple[str, str]] = set()
    for verdict in verdicts:
        name, version = verdict.locked.name, verdict.locked.version
        for advisory in verdict.advisories:
            keys = [(name.lower(), i.upper()) for i in advisory.ids]
            reason = next((accepts[k] for k in keys if k in accepts), None)
            used.update(k for k in keys if k in accepts)
            ids = f"{advisory.ids[0]} ({', '.join(advisory.ids[1:])})"
            if reason:
                lines.append(f"accepted {ids} in {name} {version}: {reason}")
                continue
            failed += 1
            lines.append(
                f"FAIL {ids} in {name} {version}: {advisory.details} {advisory.link} -- "
                "upgrade it, or accept it with its reason in [[tool.powertools-audit.accepted]]"
            )
    for name, advisory_id in sorted(accepts.keys() - used):
        failed += 1
        lines.append(
            f"FAIL pyproject.toml accepts {advisory_id} in {name}, which has no such finding: "
            "remove it"
        )
    behind = [v for v in verdicts if not v.complete]
    complete = len(verdicts) - len(behind)
    lines.append(
        f"audited {len(verdicts)} locked versions against the registry's advisories: "
        f"{complete} complete (the newest release), {failed} failing"
    )
    if behind:
        listed = ", ".join(
            f"{v.locked.name} {v.locked.version} (newest {v.newest})" for v in behind
        )
        lines.append(
            f"PARTIAL: {len(behind)} locked versions are older than their newest release, and the "
            f"registry lists advisories for its newest release only: {listed}"
        )
    return lines, failed


def main(argv: list[str] | None = None, transport: httpx.AsyncBaseTransport | None = None) -> int:
    """Audit ``ROOT/uv.lock``; print the report; 1 on any finding or an unreachable registry."""
    args = list(sys.argv[1:] if argv is None else argv)
    if args:
        print("usage: python tools/audit_lock.py   (audits uv.lock beside pyproject.toml)")
        return 2
    packages = locked_packages(ROOT / "uv.lock")

    async def run() -> list[Verdict]:
        async with httpx.AsyncClient(transport=transport, timeout=30.0) as client:
            return await audit(packages, client)

    try:
        verdicts = asyncio.run(run())
    except RegistryError as error:
        print(f"NOT AUDITED: the registry could not answer: {error}")
        return 1
    lines, failed = judge(verdicts, accepted(ROOT / "pyproject.toml"))
    print("\n".join(lines))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
