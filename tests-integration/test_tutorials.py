"""Every tutorial's and guide's program runs as a user would, and every page includes its own.

Each example asserts its own key result, so a run that exits 0 is a run that did what its page
says. Examples run in a fresh interpreter (as ``python docs/tutorials/examples/<name>.py``), with
every data folder in a temporary directory; the ones that need Redis or PostgreSQL get the
testkit's private database through ``REDIS_URL`` / ``POSTGRES_DSN``.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
TUTORIALS = ROOT / "docs" / "tutorials"
EXAMPLES = TUTORIALS / "examples"
GUIDES = ROOT / "docs" / "guides"
# and the component pages' own programs, docs/<component>/examples/*.py
FOLDERS = (EXAMPLES, GUIDES / "examples", *sorted(ROOT.glob("docs/*/examples")))
# the services (and data) an example needs, as (environment variable, testkit fixture)
SERVICES: dict[str, tuple[tuple[str, str], ...]] = {
    "cost_count_tokens": (("TIKTOKEN_CACHE_DIR", "tiktoken_cache"),),  # exact counts offline
    "retry_shared_breaker_redis": (("REDIS_URL", "redis_url"),),
    "ratelimit_fleet_redis": (("REDIS_URL", "redis_url"),),
    "session_redis_postgres": (("REDIS_URL", "redis_url"), ("POSTGRES_DSN", "postgres_dsn")),
}
# pages whose printed lines hold random ids, times or sizes: only the run itself is checked
VARIES = {"logging_context_and_traces", "logging_file_rotation"}
PRINTS = re.compile(r"```text\n(.*?)```", re.DOTALL)
INCLUDE = re.compile(r'--8<-- "docs/tutorials/examples/([a-z0-9_]+)\.py"')
GUIDE_INCLUDE = re.compile(r'--8<-- "docs/guides/examples/([a-z0-9_]+)\.py:[a-z_]+"')


def _names() -> list[str]:
    return sorted(p.stem for p in EXAMPLES.glob("*.py"))


def _paths() -> dict[str, Path]:
    return {p.stem: p for folder in FOLDERS for p in folder.glob("*.py")}


def _param(name: str) -> object:
    marks = [pytest.mark.integration] if name in SERVICES else []
    return pytest.param(name, marks=marks, id=name)


def _environment(tmp_path: Path, request: pytest.FixtureRequest, name: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("POWERTOOLS_")}
    env.update(
        HOME=str(tmp_path / "home"),
        XDG_DATA_HOME=str(tmp_path / "data"),
        POWERTOOLS_SESSION_DIR=str(tmp_path / "sessions"),
        POWERTOOLS_LOGGING_DIR=str(tmp_path / "logs"),
        POWERTOOLS_COST_PRICES_DIR=str(tmp_path / "prices"),
        TMPDIR=str(tmp_path),
    )
    for variable, fixture in SERVICES.get(name, ()):
        env[variable] = str(request.getfixturevalue(fixture))
    return env


@pytest.mark.parametrize("name", [_param(n) for n in sorted(_paths())])
def test_tutorial_example_runs(name: str, tmp_path: Path, request: pytest.FixtureRequest) -> None:
    done = subprocess.run(
        [sys.executable, str(_paths()[name])],
        env=_environment(tmp_path, request, name),
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, f"{name} failed:\n{done.stdout}\n{done.stderr}"
    assert done.stdout.strip(), f"{name} printed nothing: its page shows what it prints"
    shown = _printed_on_page(name)
    if shown is not None and name not in VARIES:
        assert shown == done.stdout.strip().splitlines(), f"{name}: its page shows other output"


def _printed_on_page(name: str) -> list[str] | None:
    """The lines a tutorial page says its program prints (its first ``text`` block)."""
    for page in TUTORIALS.glob("*.md"):
        text = page.read_text(encoding="utf-8")
        if f"examples/{name}.py" in text:
            block = PRINTS.search(text)
            return block.group(1).strip().splitlines() if block else None
    return None


def test_every_example_is_on_a_page_and_every_page_has_one() -> None:
    included: dict[str, str] = {}
    for page in TUTORIALS.glob("*.md"):
        for example in INCLUDE.findall(page.read_text(encoding="utf-8")):
            included[example] = page.name
    pages = {p.name for p in TUTORIALS.glob("*.md")} - {"index.md"}
    assert set(_names()) == set(included), "each example is included by a tutorial page"
    assert pages == set(included.values()), "each tutorial page includes its program"


def test_every_guide_example_is_on_the_migration_page() -> None:
    page = (GUIDES / "migration.md").read_text(encoding="utf-8")
    included = set(GUIDE_INCLUDE.findall(page))
    assert included == {p.stem for p in (GUIDES / "examples").glob("*.py")}


def test_services_name_real_examples() -> None:
    assert set(SERVICES) <= set(_names())


# The other libraries' snippets on the migration page, run against the real libraries (the
# `bench` dependency group has them, and CI installs it; elsewhere `uv run --group bench pytest
# ...`, or they skip); LiteLLM's call a provider, so only their names are checked to exist.
PEER = re.compile(
    r"\*\*With ([A-Za-z ]+):\*\*\n\n(?:<!-- not-run: [^\n]+ -->\n)?```python\n(.*?)```", re.DOTALL
)
RUN_PEER = """
import ast, asyncio, sys
code = compile(sys.stdin.read(), "<migration>", "exec", flags=ast.PyCF_ALLOW_TOP_LEVEL_AWAIT)
namespace = {"TooManyRequests": type("TooManyRequests", (Exception,), {})}
result = eval(code, namespace)
if asyncio.iscoroutine(result):
    asyncio.run(result)
"""


def _peer_snippets() -> dict[str, str]:
    page = (GUIDES / "migration.md").read_text(encoding="utf-8")
    return {title: code for title, code in PEER.findall(page)}


@pytest.mark.parametrize("title", sorted(_peer_snippets()))
def test_the_other_librarys_snippet_is_real(title: str, tmp_path: Path) -> None:
    module = title.split(maxsplit=1)[0].lower()
    if os.environ.get("CI") == "true":
        __import__(module)  # CI installs the bench group: a missing peer fails there
    else:
        pytest.importorskip(module, reason=f"{module} is in the bench group: uv sync --group bench")
    code = _peer_snippets()[title]
    if module == "litellm":
        names = set(re.findall(r"from litellm import (.+)", code)[0].replace(" ", "").split(","))
        litellm = __import__("litellm")
        assert all(hasattr(litellm, name) for name in names), names
        return
    done = subprocess.run(
        [sys.executable, "-c", RUN_PEER],
        input=code,
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, f"the {title} snippet does not run:\n{done.stderr}"


def test_every_library_the_guide_names_has_a_snippet() -> None:
    titles = {t.split(maxsplit=1)[0] for t in _peer_snippets()}
    expected = {"tenacity", "backoff", "stamina", "aiolimiter", "limits", "structlog", "loguru"}
    assert titles == expected | {"LiteLLM"}
