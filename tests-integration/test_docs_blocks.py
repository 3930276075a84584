"""Every ```python block in the docs and README is run, included from a run file, or says why.

A block is one of:

- **included** from an example file (mkdocs' snippets, ``--8<-- "path"``), and that file is one the
  tests execute: ``packages/<dist>/examples/*.py`` (each package's ``test_examples.py``) or
  ``docs/**/examples/*.py`` (``test_tutorials.py``);
- **marked** ``<!-- not-run: reason -->`` on the line before its fence, with the reason;
- **run here**: a page's blocks run in order in one namespace, in a fresh interpreter, in a
  temporary folder, with top-level ``await`` allowed (as in a notebook or ``python -m asyncio``).
  Each block is compiled under its page's name and line, so a failure names ``file:line``.

A page may take for granted a few things a reader has (their LLM client, a prompt, a URL): the
stand-ins for those are in ``GIVEN`` below, one small program per page, and nothing else is
added. Redis-backed blocks read ``REDIS_URL``, set here to the testkit's private database.

``test_examples_per_component`` counts the executed examples of each component (tutorial and
guide programs, package example files, executed doc blocks) and asserts the issue-19 floor.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
DOCS = ROOT / "docs"
PAGES = sorted([*DOCS.rglob("*.md"), ROOT / "README.md"])
SNIPPET_BASES = (ROOT, ROOT / "packages")  # mkdocs.yml: pymdownx.snippets base_path
FENCE = re.compile(r"^(?P<indent>\s*)(?P<fence>```+|~~~+)\s*(?P<lang>[\w+-]*)")
NOT_RUN = re.compile(r"^\s*<!--\s*not-run:(?P<reason>.*?)-->\s*$")
INCLUDE = re.compile(r'--8<--\s+"(?P<path>[^":]+)(?::[\w-]+)?"')
COMPONENTS = ("retry", "ratelimit", "cost", "session", "logging", "router", "stack")
LANDED = ("retry", "ratelimit", "cost", "session", "logging")
FLOOR = 15


@dataclass(frozen=True)
class Block:
    page: Path
    line: int  # the fence's line, 1-based
    code: str
    not_run: str | None  # the reason given, "" when the marker has none, None when unmarked

    @property
    def where(self) -> str:
        return f"{self.page.relative_to(ROOT)}:{self.line}"

    @property
    def includes(self) -> list[str]:
        return INCLUDE.findall(self.code)


def _blocks(page: Path) -> list[Block]:
    lines = page.read_text(encoding="utf-8").splitlines()
    found: list[Block] = []
    i = 0
    while i < len(lines):
        opened = FENCE.match(lines[i])
        if not opened:
            i += 1
            continue
        fence, indent = opened["fence"], len(opened["indent"])
        end = next(
            (j for j in range(i + 1, len(lines)) if lines[j].strip().startswith(fence)),
            len(lines),
        )
        if opened["lang"] in ("python", "py", "pycon"):
            body = "\n".join(line[indent:] for line in lines[i + 1 : end])
            before = next((lines[j] for j in range(i - 1, -1, -1) if lines[j].strip()), "")
            marker = NOT_RUN.match(before)
            reason = marker["reason"].strip() if marker else None
            found.append(Block(page, i + 1, body, reason))
        i = end + 1
    return found


def _all_blocks() -> list[Block]:
    return [block for page in PAGES for block in _blocks(page)]


def _runnable(page: Path) -> list[Block]:
    return [b for b in _blocks(page) if not b.includes and b.not_run is None]


def _component(path: Path) -> str | None:
    """Which component a doc page or an example file shows."""
    rel = path.relative_to(ROOT).as_posix()
    for name in COMPONENTS:
        if f"powertools-{name}/" in rel or rel.startswith(f"docs/{name}/"):
            return name
    if "ai-powertools/" in rel or rel in ("README.md", "docs/getting-started.md"):
        return "stack"
    stem = path.stem.removeprefix("migrate_")
    return next((n for n in COMPONENTS if stem.startswith(n)), "stack" if "stack" in stem else None)


def _executed_files() -> set[Path]:
    """Example files the tests execute (see the module docstring)."""
    return {
        *ROOT.glob("packages/*/examples/*.py"),
        *DOCS.glob("**/examples/*.py"),
    }


# What a page takes for granted, as the smallest stand-ins that behave like the real thing.
_LLM = '''
import asyncio, types

class _Usage:
    def __init__(self, prompt_tokens, completion_tokens):
        self.prompt_tokens, self.completion_tokens = prompt_tokens, completion_tokens
        self.total_tokens = prompt_tokens + completion_tokens

class _Response:
    """An SDK-shaped answer: text, usage, headers and status of a 200."""
    def __init__(self, text):
        self.text, self.usage, self.total_tokens = text, _Usage(40, 60), 100
        self.status_code, self.headers = 200, {"x-ratelimit-remaining-requests": "499"}

class _LLM:
    async def generate(self, prompt):
        await asyncio.sleep(0)
        return _Response(f"an answer to {prompt!r}")
    async def complete(self, prompt, max_tokens=256):
        return await self.generate(prompt)
    async def post(self, *args, **kwargs):
        return await self.generate("post")
    def get(self, url):
        return _Response(url)

llm = client = _LLM()
prompt = "Summarise this ticket: the export button does nothing."
url = "https://api.example.invalid/v1/models"
'''
# The provider pages' keys and servers: the router's fake server, which speaks each family's
# wire format, stands in for the real APIs (no network), reached through the documented variables.
_PROVIDERS = """
import atexit, os
from powertools.router.testing import FakeProviderServer

_server = FakeProviderServer(api_key="sk-test-docs").start_in_thread()
atexit.register(_server.stop_thread)
_FAMILIES = [("openai", "OPENAI"), ("openai-compatible", "GROQ"), ("llamacpp", "LLAMACPP")]
for _family, _prefix in _FAMILIES:
    os.environ[_prefix + "_BASE_URL"] = _server.base_url(_family)
    os.environ[_prefix + "_API_KEY"] = "sk-test-docs"
"""
GIVEN: dict[str, str] = {
    "docs/retry/index.md": _LLM
    + '''
class QuotaExceeded(Exception):
    """the reader's own error, which retrying will not cure"""

class _Log:
    def warning(self, event, **fields):
        print(event, fields)

log = _Log()
async def other():
    await asyncio.sleep(0)

async def unreliable_service():
    return "up"

async def cheaper_model(prompt):
    return f"a shorter answer to {prompt!r}"

def cached_answer(prompt):
    return "yesterday's answer"

def page_someone(error):
    print("paging the on-call engineer:", error)

class _AsyncClient:
    async def get(self, url):
        return await llm.generate(url)

aclient = _AsyncClient()
''',
    "docs/ratelimit/index.md": _LLM
    + """
async def call_the_api():
    return await llm.generate(prompt)

with open("limits.toml", "w") as file:  # the file the page shows next
    file.write('''[openai]
requests_per_minute = 500
tokens_per_minute = 200000

[openai.models."gpt-4o"]
tokens_per_minute = 30000
''')

async def send():
    return await llm.generate(prompt)

def use_another_provider():
    print("going elsewhere")
""",
    "docs/cost/index.md": f"""
import shutil
# LiteLLM's price map, as downloaded (here: the cost package's test copy)
shutil.copy({str(ROOT / "packages/powertools-cost/tests/data/litellm_prices.json")!r},
            "model_prices_and_context_window.json")
messages = [
    {{"role": "system", "content": "You answer support tickets."}},
    {{"role": "user", "content": "The export button does nothing."}},
]
tools = [{{"type": "function", "function": {{"name": "open_ticket", "parameters": {{}}}}}}]
""",
    "docs/session/index.md": "def revise(plan):\n    return [*(plan or []), 'ship it']\n",
    "docs/router/tutorial.md": """
task = "Rename the variable x to total in: x = a + b"

def tests_pass(answer):  # the reader's own check of an answer, e.g. their test suite
    return bool(answer)
""",
    "docs/router/providers/index.md": _PROVIDERS
    + """
from powertools.router import Request
from powertools.router.providers.openai import OpenAIProvider

provider = OpenAIProvider()
request = Request.of("Hello", model="gpt-4o-mini", max_tokens=20)
""",
    "docs/router/providers/openai.md": _PROVIDERS,
    "docs/router/providers/openai-compatible.md": _PROVIDERS,
    "docs/router/providers/llamacpp.md": _PROVIDERS,
}


def _program(page: Path, blocks: list[Block]) -> str:
    """One script: the page's givens, then each block compiled at its own file:line.

    A block with a top-level ``await`` runs on one event loop kept for the whole page; any other
    block runs as plain code outside a loop (so it may call ``asyncio.run`` itself).
    """
    rel = page.relative_to(ROOT).as_posix()
    parts = [
        "import ast, asyncio, inspect, sys",
        "FLAGS = ast.PyCF_ALLOW_TOP_LEVEL_AWAIT",
        "namespace = {'__name__': '__main__'}",
        f"exec(compile({GIVEN.get(rel, '')!r}, 'given', 'exec'), namespace)",
        "loop = asyncio.new_event_loop()",
        "def run(source, where):",
        f"    code = compile(source, {rel!r}, 'exec', flags=FLAGS)",
        "    try:",
        "        if code.co_flags & inspect.CO_COROUTINE:",
        "            loop.run_until_complete(eval(code, namespace))",
        "        else:",
        "            exec(code, namespace)",
        "    except BaseException:",
        "        print('the block at', where, 'failed', file=sys.stderr)",
        "        raise",
    ]
    for block in blocks:
        source = "\n" * block.line + block.code  # line numbers match the page's
        parts.append(f"run({source!r}, {block.where!r})")
    parts += [  # the end of the page: shut the loop down as asyncio.run does
        "async def drain(tasks):",
        "    for task in tasks:",
        "        task.cancel()",
        "    await asyncio.gather(*tasks, return_exceptions=True)",
        "loop.run_until_complete(drain(asyncio.all_tasks(loop)))",
        "loop.run_until_complete(loop.shutdown_asyncgens())",
        "loop.run_until_complete(loop.shutdown_default_executor())",
        "loop.close()",
        f"print('ran {len(blocks)} blocks')",
    ]
    return "\n".join(parts)


def _environment(tmp_path: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("POWERTOOLS_")}
    env.update(
        HOME=str(tmp_path / "home"),
        XDG_DATA_HOME=str(tmp_path / "data"),
        POWERTOOLS_SESSION_DIR=str(tmp_path / "sessions"),
        POWERTOOLS_LOGGING_DIR=str(tmp_path / "logs"),
        POWERTOOLS_COST_PRICES_DIR=str(tmp_path / "prices"),
        TMPDIR=str(tmp_path),
    )
    shared = ROOT.parent.parent / "shared" / "tiktoken"
    if "TIKTOKEN_CACHE_DIR" not in env and shared.is_dir():
        env["TIKTOKEN_CACHE_DIR"] = str(shared)
    return env


def _needs_redis(blocks: list[Block]) -> bool:
    return any("REDIS_URL" in b.code for b in blocks)


def _run_params() -> list[object]:
    params: list[object] = []
    for page in PAGES:
        blocks = _runnable(page)
        if blocks:
            marks = [pytest.mark.integration] if _needs_redis(blocks) else []
            rel = page.relative_to(ROOT).as_posix()
            params.append(pytest.param(page, marks=marks, id=rel))
    return params


@pytest.mark.parametrize("page", _run_params())
def test_page_blocks_run(page: Path, tmp_path: Path, request: pytest.FixtureRequest) -> None:
    blocks = _runnable(page)
    env = _environment(tmp_path)
    if _needs_redis(blocks):
        env["REDIS_URL"] = str(request.getfixturevalue("redis_url"))
    done = subprocess.run(
        [sys.executable, "-c", _program(page, blocks)],
        env=env,
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=180,
        check=False,
    )
    assert done.returncode == 0, f"{done.stderr}\n{done.stdout}"
    assert done.stdout.strip().endswith(f"ran {len(blocks)} blocks")
    for noise in ("Exception ignored", "Task was destroyed", "Traceback"):
        assert noise not in done.stderr, f"{page.name} left this behind:\n{done.stderr}"


def test_every_block_is_included_run_or_marked() -> None:
    executed = {p.resolve() for p in _executed_files()}
    problems = []
    for block in _all_blocks():
        if block.not_run == "":
            problems.append(f"{block.where}: `<!-- not-run: -->` needs its reason")
        for include in block.includes:
            paths = [(base / include).resolve() for base in SNIPPET_BASES]
            if not any(p in executed for p in paths):
                problems.append(f"{block.where}: includes {include}, which no test executes")
    assert not problems, "\n".join(problems)


def test_every_docs_example_is_on_a_page() -> None:
    included = {
        (base / include).resolve()
        for block in _all_blocks()
        for include in block.includes
        for base in SNIPPET_BASES
    }
    orphans = [p.relative_to(ROOT).as_posix() for p in DOCS.glob("**/examples/*.py")]
    orphans = [p for p in orphans if (ROOT / p).resolve() not in included]
    assert not orphans, f"include these from a page (--8<--): {orphans}"


def test_the_parser_sees_what_it_should(tmp_path: Path) -> None:
    text = (
        "# t\n\n```python\nx = 1\n```\n\n<!-- not-run: needs a key -->\n```python\ny\n```\n\n"
        '- item\n\n  ```python\n  --8<-- "docs/tutorials/examples/retry_flaky_call.py"\n  ```\n'
        "\n<!-- not-run: -->\n```py\nz\n```\n```sh\nls\n```\n"
    )
    probe = tmp_path / "probe.md"
    probe.write_text(text, encoding="utf-8")
    got = _blocks(probe)
    assert [(b.line, b.not_run) for b in got] == [
        (3, None),
        (8, "needs a key"),
        (14, None),
        (19, ""),
    ]
    assert got[2].includes == ["docs/tutorials/examples/retry_flaky_call.py"]
    assert got[0].code == "x = 1"


def _counts() -> dict[str, int]:
    counts = dict.fromkeys(COMPONENTS, 0)
    for path in _executed_files():
        name = _component(path)
        if name:
            counts[name] += 1
    for page in PAGES:
        name = _component(page)
        if name:
            counts[name] += len(_runnable(page))
    return counts


def test_examples_per_component() -> None:
    counts = _counts()
    print("executed examples per component:", counts, "total", sum(counts.values()))
    short = {name: counts[name] for name in LANDED if counts[name] < FLOOR}
    assert not short, f"fewer than {FLOOR} executed examples: {short}"


def test_every_example_file_belongs_to_a_component() -> None:
    unowned = [p.relative_to(ROOT).as_posix() for p in _executed_files() if not _component(p)]
    assert not unowned, unowned
