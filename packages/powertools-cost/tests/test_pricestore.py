"""LiteLLM price maps: conversion, lint rules, versioned local copies that override the shipped."""

from __future__ import annotations

import http.server
import json
import socket
import threading
from collections.abc import Iterator
from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest

import powertools.cost._pricebook as pricebook
from powertools.cost import PriceBook, PriceStore, PricingDataError, Usage
from powertools.cost._litellm import convert_litellm, lint
from powertools.cost._pricedata import load_price_file, to_model_prices

DATA = Path(__file__).parent / "data" / "litellm_prices.json"
TODAY = date(2026, 11, 25)


def test_convert_skips_non_chat_models_and_keeps_prices_exact() -> None:
    converted = convert_litellm(json.loads(DATA.read_text()), today=TODAY)
    models = {m.id: m for m in converted.prices.models}
    assert set(models) == {
        "gpt-4o",
        "claude-sonnet-4-5-20250929",
        "broken-cache-model",
        "float-noise-model",
    }
    assert converted.skipped == 2
    gpt = models["gpt-4o"].prices[0]
    assert (gpt.input, gpt.cache_read, gpt.output, gpt.batch_multiplier) == (
        Decimal("2.5"), Decimal("1.25"), Decimal(10), Decimal("0.5"),
    )  # fmt: skip
    sonnet = models["claude-sonnet-4-5-20250929"].prices[0]
    assert sonnet.tiers[0].above_prompt_tokens == 200_000
    assert sonnet.cache_write_1h == Decimal(6)
    assert models["float-noise-model"].prices[0].input == Decimal("0.3")
    assert any("rounded" in v for v in converted.violations)


def test_lint_reports_each_broken_rule() -> None:
    found = lint(json.loads(DATA.read_text()))
    assert "broken-cache-model: cache read 0.000002 is not below input 0.000001" in found
    assert any("broken-cache-model: Anthropic 1-hour" in v for v in found)
    assert any("broken-cache-model: priority" in v for v in found)
    assert not any(v.startswith("gpt-4o") for v in found)
    # its 200k tier lists no cache writes: the base $3.75 and $6 would apply above 200k
    assert [v.split(",")[0] for v in found if v.startswith("claude")] == [
        "claude-sonnet-4-5-20250929: the 200k tier gives no cache_write_5m",
        "claude-sonnet-4-5-20250929: the 200k tier gives no cache_write_1h",
    ]


def test_store_versions_override_and_refuse_a_big_shrink(tmp_path: Path) -> None:
    store = PriceStore(tmp_path)
    assert store.versions() == []
    assert store.current_prices() == []
    first = store.import_litellm(DATA, today=TODAY)
    assert (first.version, first.models) == (1, 4)
    shrunk = tmp_path / "small.json"
    shrunk.write_text(json.dumps({"gpt-4o": json.loads(DATA.read_text())["gpt-4o"]}))
    with pytest.raises(PricingDataError, match="refusing a shrink"):
        store.import_litellm(shrunk, today=TODAY)
    assert store.import_litellm(shrunk, force=True, today=TODAY).version == 2
    assert [p.model for p in store.current_prices()] == ["gpt-4o"]
    store.use(1)
    assert store.current_version() == 1
    with pytest.raises(PricingDataError, match="no stored price version 9"):
        store.use(9)
    with pytest.raises(PricingDataError, match="lint violations"):
        store.import_litellm(DATA, strict=True, today=TODAY)


def test_sources_other_than_files_and_https_are_refused(tmp_path: Path) -> None:
    with pytest.raises(PricingDataError, match="https"):
        PriceStore(tmp_path).import_litellm("http://example.invalid/prices.json")
    with pytest.raises(PricingDataError, match="https"):
        PriceStore(tmp_path).import_litellm("ftp://127.0.0.1/prices.json")


@pytest.fixture
def price_server() -> Iterator[str]:
    """A local HTTP server with the sample LiteLLM map at /prices.json, a map in Latin-1 at
    /latin1.json; other paths 404."""

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            if self.path == "/latin1.json":
                body = '{"modèle": {}}'.encode("latin-1")
            elif self.path == "/prices.json":
                body = DATA.read_bytes()
            else:
                self.send_error(404)
                return
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, format: str, *args: object) -> None:
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


def test_a_price_map_is_imported_from_a_url(tmp_path: Path, price_server: str) -> None:
    from_url = PriceStore(tmp_path / "url").import_litellm(
        f"{price_server}/prices.json", today=TODAY
    )
    from_file = PriceStore(tmp_path / "file").import_litellm(DATA, today=TODAY)
    assert (from_url.version, from_url.models, from_url.skipped) == (1, 4, 2)
    assert from_url.path.read_text() == from_file.path.read_text()
    assert from_url.violations == from_file.violations


def test_a_url_that_fails_is_explained(tmp_path: Path, price_server: str) -> None:
    store = PriceStore(tmp_path)
    with pytest.raises(PricingDataError, match="HTTP 404"):
        store.import_litellm(f"{price_server}/missing.json")
    closed = socket.socket()
    closed.bind(("127.0.0.1", 0))
    port = closed.getsockname()[1]
    closed.close()  # nothing listens there now
    with pytest.raises(PricingDataError, match="download it and import the file"):
        store.import_litellm(f"http://127.0.0.1:{port}/prices.json")
    assert store.versions() == []  # nothing was stored


def test_a_price_map_that_is_not_utf8_is_refused(tmp_path: Path, price_server: str) -> None:
    store = PriceStore(tmp_path)
    with pytest.raises(PricingDataError, match=r"latin1\.json is not UTF-8 JSON"):
        store.import_litellm(f"{price_server}/latin1.json")
    assert store.versions() == []


def test_imported_prices_override_the_shipped_ones_but_keep_history(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    raw = json.loads(DATA.read_text())
    raw["gpt-4o"]["input_cost_per_token"] = 3e-06
    source = tmp_path / "new.json"
    source.write_text(json.dumps(raw))
    store = PriceStore(tmp_path / "store")
    store.import_litellm(source, today=TODAY)
    monkeypatch.setenv("POWERTOOLS_COST_PRICES_DIR", str(store.directory))
    monkeypatch.setattr(pricebook, "_default", None)
    book = PriceBook.default()
    usage = Usage(input=1_000_000)
    assert book.cost(usage, "gpt-4o-2024-08-06") == Decimal(3)
    assert book.cost(usage, "gpt-4o", at=date(2025, 1, 1)) == Decimal("2.5")
    assert book.cost(usage, "broken-cache-model") == Decimal(1)
    monkeypatch.setattr(pricebook, "_default", None)


def test_a_malformed_price_file_is_refused_with_its_location(tmp_path: Path) -> None:
    bad = tmp_path / "prices.json"
    period = {"effective_from": "2026-01-01", "input": "-1", "output": "1"}
    model = {"id": "x", "provider": "p", "prices": [period]}
    bad.write_text(json.dumps({"taken_on": "2026-01-01", "models": [model]}))
    with pytest.raises(PricingDataError, match=r"models\.0\.prices\.0\.input"):
        load_price_file(bad)
    bad.write_text("{")
    with pytest.raises(PricingDataError, match="cannot read price file"):
        load_price_file(bad)
    with pytest.raises(PricingDataError, match="non-empty JSON object"):
        convert_litellm({}, today=TODAY)


def test_shipped_file_loads() -> None:
    from powertools.cost._pricedata import shipped_price_file

    shipped = shipped_price_file()
    assert shipped.taken_on == date(2025, 10, 15)
    assert len(to_model_prices(shipped)) == len(shipped.models)


def test_a_batch_multiplier_that_splits_a_femto_dollar_is_refused(tmp_path: Path) -> None:
    prices = tmp_path / "prices.json"
    # $0.000000001 per million is one femto-dollar a token: half of it is no amount of money
    period = {
        "effective_from": "2026-01-01",
        "input": "0.000000001",
        "output": "1",
        "batch_multiplier": "0.5",
    }
    model = {"id": "tiny", "provider": "custom", "prices": [period]}
    prices.write_text(json.dumps({"taken_on": "2026-01-01", "models": [model]}))
    with pytest.raises(PricingDataError, match=r"batch multiplier 0\.5 gives fractional prices"):
        to_model_prices(load_price_file(prices))
    period["input"] = "0.000000002"
    prices.write_text(json.dumps({"taken_on": "2026-01-01", "models": [model]}))
    [tiny] = to_model_prices(load_price_file(prices))
    assert tiny.cost(Usage(input=1_000_000), batch=True) == Decimal("0.000000001")
