"""Build ``docs/release-notes.md`` from every distribution's ``CHANGELOG.md``.

Each distribution is versioned and released on its own, so the release notes are its changelogs
side by side: one section per distribution (the meta-package first, then the components in
alphabetical order), its version headings one level down. The tests check that the committed
file is what this script builds, so a changelog entry reaches the site with the change.

    python tools/release_notes.py          # rewrite docs/release-notes.md
    python tools/release_notes.py --check  # exit 1 if it is out of date
"""

from __future__ import annotations

import argparse
import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
OUTPUT = ROOT / "docs" / "release-notes.md"
HEADER = """# Release notes

Each distribution is versioned and released on its own; these are their changelogs, gathered
from `packages/*/CHANGELOG.md` by `tools/release_notes.py` (do not edit this page by hand: edit
the package's changelog, then run `python tools/release_notes.py`).
"""


def changelogs(root: Path = ROOT) -> list[tuple[str, str]]:
    """``(distribution, changelog text)`` for every package, the meta-package first."""
    found = {
        p.parent.name: p.read_text(encoding="utf-8") for p in root.glob("packages/*/CHANGELOG.md")
    }
    meta = [name for name in found if not name.startswith("powertools-")]
    ordered = sorted(meta) + sorted(name for name in found if name not in meta)
    return [(name, found[name]) for name in ordered]


def section(dist: str, text: str) -> str:
    """One distribution's changelog as a section: its title replaced, headings one level down."""
    lines = text.strip().splitlines()
    if lines and lines[0].startswith("# "):
        lines = lines[1:]  # "# Changelog — <dist>": the section heading says it
    body = "\n".join(re.sub(r"^(#{2,5}) ", r"#\1 ", line) for line in lines).strip()
    return f"## {dist}\n\n{body}\n"


def build(root: Path = ROOT) -> str:
    """The whole release-notes page."""
    return "\n".join([HEADER, *(section(d, t) for d, t in changelogs(root))])


def main(argv: list[str] | None = None) -> int:
    """Write the page, or with ``--check`` say whether the committed one is up to date."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="fail if the page is out of date")
    args = parser.parse_args(argv)
    page = build()
    current = OUTPUT.read_text(encoding="utf-8") if OUTPUT.exists() else ""
    if args.check:
        if current != page:
            print(f"{OUTPUT.relative_to(ROOT)} is out of date: run python tools/release_notes.py")
            return 1
        return 0
    OUTPUT.write_text(page, encoding="utf-8")
    print(f"wrote {OUTPUT.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
