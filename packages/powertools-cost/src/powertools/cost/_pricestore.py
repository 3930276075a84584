"""A versioned local copy of imported prices that overrides the shipped database."""

from __future__ import annotations

import os
from dataclasses import dataclass
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import TYPE_CHECKING

from powertools.cost.errors import PricingDataError

if TYPE_CHECKING:
    from pathlib import Path

    from powertools.cost._pricedata import PriceFile
    from powertools.cost._pricing import ModelPrice

__all__ = ["ImportReport", "PriceStore"]

ENV_DIR = "POWERTOOLS_COST_PRICES_DIR"


@dataclass(slots=True, frozen=True)
class ImportReport:
    """What an import did: the new version, its size and the lint findings."""

    version: int
    path: Path
    models: int
    skipped: int
    violations: tuple[str, ...]


def _default_dir() -> Path:
    from pathlib import Path

    base = os.environ.get("XDG_DATA_HOME") or str(Path.home() / ".local" / "share")
    return Path(base) / "powertools" / "cost" / "prices"


class PriceStore:
    """Versioned price files in a folder; the newest (or the one chosen) is current.

    Nothing here touches the network unless :meth:`import_litellm` is given a URL.
    """

    def __init__(self, directory: Path | str, *, max_shrink: float = 0.2) -> None:
        from pathlib import Path

        self.directory = Path(directory)
        self.max_shrink = max_shrink

    @classmethod
    def from_environment(cls) -> PriceStore:
        """The store in ``$POWERTOOLS_COST_PRICES_DIR`` or the user's data folder."""
        return cls(os.environ.get(ENV_DIR) or _default_dir())

    def versions(self) -> list[int]:
        """Every stored version, oldest first."""
        if not self.directory.is_dir():
            return []
        import re

        pattern = re.compile(r"^prices-v(\d{4,})\.json$")
        found = (pattern.match(p.name) for p in self.directory.iterdir())
        return sorted(int(m.group(1)) for m in found if m)

    def _path(self, version: int) -> Path:
        return self.directory / f"prices-v{version:04d}.json"

    def current_version(self) -> int | None:
        """The version in use: the one pinned with :meth:`use`, else the newest."""
        pin = self.directory / "CURRENT"
        if pin.is_file():
            return int(pin.read_text().strip())
        versions = self.versions()
        return versions[-1] if versions else None

    def use(self, version: int) -> None:
        """Pin a stored version (roll back or forward)."""
        if version not in self.versions():
            raise PricingDataError(f"no stored price version {version}; have {self.versions()}")
        (self.directory / "CURRENT").write_text(f"{version}\n")

    def current_prices(self) -> list[ModelPrice]:
        """The current version's prices, or nothing when no import was made."""
        version = self.current_version()
        if version is None:
            return []
        from powertools.cost._pricedata import load_price_file, to_model_prices

        return to_model_prices(load_price_file(self._path(version)))

    def _drift(self, prices: PriceFile) -> list[str]:
        """How the import would change the vendors' own prices in use now, one line each."""
        from powertools.cost._pricebook import PriceBook
        from powertools.cost._pricedata import to_model_prices
        from powertools.cost._pricing import is_reseller

        before = PriceBook.shipped(self)
        after = PriceBook(before.prices())
        for price in to_model_prices(prices):
            after.merge(price)
        found = []
        for old in (p for p in before.prices() if not is_reseller(p)):
            new = after.resolve(old.model, provider=old.provider)
            found.extend(_changes(old, new))
        return found

    def _count(self, version: int | None) -> int:
        if version is None:
            return 0
        import json

        data = json.loads(self._path(version).read_text("utf-8"))
        return len(data["models"])

    def import_litellm(
        self,
        source: Path | str,
        *,
        force: bool = False,
        strict: bool = False,
        today: date | None = None,
    ) -> ImportReport:
        """Import a LiteLLM price map from a file or an https URL as a new version.

        Refuses a map that lost more than ``max_shrink`` of the models (unless ``force``),
        and one that breaks a lint rule when ``strict``.
        """
        import json

        from powertools.cost._litellm import convert_litellm

        raw = json.loads(_read(source), parse_float=Decimal)
        converted = convert_litellm(raw, today=today or datetime.now(UTC).date())
        converted.violations.extend(self._drift(converted.prices))
        if strict and converted.violations:
            raise PricingDataError(
                f"{len(converted.violations)} lint violations: {converted.violations[0]}"
            )
        count, previous = len(converted.prices.models), self._count(self.current_version())
        if not force and count < previous * (1 - self.max_shrink):
            raise PricingDataError(
                f"the new price map has {count} models, the current one {previous}; refusing a "
                "shrink this large (pass force=True if it is intended)"
            )
        self.directory.mkdir(parents=True, exist_ok=True)
        version = (self.versions() or [0])[-1] + 1
        path = self._path(version)
        path.write_text(converted.prices.model_dump_json(indent=1), encoding="utf-8")
        (self.directory / "CURRENT").unlink(missing_ok=True)
        return ImportReport(version, path, count, converted.skipped, tuple(converted.violations))


def _changes(old: ModelPrice, new: ModelPrice) -> list[str]:
    was, now = old.period(), new.period()
    found = [
        f"{old.model} ({old.provider}): the import changes {bucket} from "
        f"${old.per_million(bucket)} to ${new.per_million(bucket)} per million"
        + ("" if new.provider == old.provider else f" (the price of {new.provider})")
        for bucket in ("input", "output", "cache_read", "cache_write_1h")
        if getattr(was.base, bucket) != getattr(now.base, bucket)
    ]
    if was.tiers and not now.tiers:
        found.append(f"{old.model} ({old.provider}): the import drops its context tiers")
    return found


_LOOPBACK = frozenset({"localhost", "127.0.0.1", "::1"})


def _read(source: Path | str) -> str:
    text = str(source)
    if "://" in text:
        return _fetch(text)
    from pathlib import Path

    return Path(text).read_text(encoding="utf-8")


def _fetch(url: str) -> str:
    """A price map over HTTPS (plain HTTP only from this machine: a mirror or a test server)."""
    import urllib.error
    import urllib.parse
    import urllib.request

    parts = urllib.parse.urlsplit(url)
    if not (parts.scheme == "https" or (parts.scheme == "http" and parts.hostname in _LOOPBACK)):
        raise PricingDataError(
            f"price maps are read from a file or an https:// URL, not {url!r} "
            "(plain http:// is accepted only from localhost)"
        )
    try:
        with urllib.request.urlopen(url, timeout=30) as response:  # noqa: S310  (checked above)
            body: bytes = response.read()
    except urllib.error.HTTPError as exc:
        raise PricingDataError(f"cannot fetch the price map {url}: HTTP {exc.code}") from exc
    except (urllib.error.URLError, TimeoutError) as exc:
        reason = getattr(exc, "reason", exc)
        raise PricingDataError(
            f"cannot fetch the price map {url}: {reason}; download it and import the file"
        ) from exc
    try:
        return body.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise PricingDataError(f"the price map at {url} is not UTF-8 JSON") from exc
