"""Static security scan of the libraries' sources: bandit, failing on medium and high severity.

A finding is accepted only where it is justified in place: the flagged statement carries ruff's
suppression of the same rule (bandit's ``B608`` is ruff's ``S608``) followed by the reason, as in
``# noqa: S608 -- fixed clauses, values are parameters``, or bandit's own ``# nosec B608 <reason>``
(bandit runs with ``--ignore-nosec``, so a bare ``# nosec`` hides nothing). One suppression thus
satisfies both scanners; a bare one, without a reason, does not count. A finding may instead be
accepted in ``[[tool.powertools-security.accepted]]`` of the root ``pyproject.toml`` (``path``,
``rule``, ``reason``); an entry that matches no finding fails, so that list stays true. The
accepted findings are printed with their reasons.

    python tools/security_scan.py packages/*/src
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
import tomllib
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
# bandit's thresholds: report medium and high severity, at any confidence.
BANDIT = ["-f", "json", "-q", "-r", "--ignore-nosec", "--severity-level", "medium"]
BANDIT += ["--confidence-level", "low"]


@dataclass(frozen=True)
class Finding:
    """One bandit result: where, which rule, and what it says."""

    filename: str
    lines: tuple[int, ...]
    rule: str  # bandit's id, e.g. "B608"
    severity: str
    text: str

    @property
    def where(self) -> str:
        """``file:line`` of the flagged statement."""
        return f"{self.filename}:{self.lines[0]}"


def _reason(line: str, rule: str) -> str | None:
    """The reason given on ``line`` for suppressing ``rule``, if the line suppresses it."""
    wanted = {f"S{rule.removeprefix('B')}", rule}
    match = re.search(r"#\s*(?:noqa:|nosec)\s*((?:[A-Z]+\d+[,\s]*)+)(.*)", line)
    if match and wanted & set(re.findall(r"[A-Z]+\d+", match.group(1))):
        reason = match.group(2).split("#")[0].strip(" -:()")
        return reason or None
    return None


def justification(finding: Finding) -> str | None:
    """The in-place reason that accepts ``finding``, or ``None`` if it has none."""
    source = Path(finding.filename).read_text(encoding="utf-8").splitlines()
    for number in finding.lines:
        if 0 < number <= len(source):
            reason = _reason(source[number - 1], finding.rule)
            if reason:
                return reason
    return None


def accepted_in_config(pyproject: Path) -> dict[tuple[str, str], str]:
    """``(path, rule) -> reason`` from ``[[tool.powertools-security.accepted]]``."""
    config = tomllib.loads(pyproject.read_text(encoding="utf-8")) if pyproject.is_file() else {}
    entries = config.get("tool", {}).get("powertools-security", {}).get("accepted", [])
    return {(e["path"], e["rule"]): e["reason"] for e in entries if e.get("reason", "").strip()}


def _relative(filename: str) -> str:
    path = Path(filename).resolve()
    return path.relative_to(ROOT).as_posix() if path.is_relative_to(ROOT) else filename


def scan(paths: list[str]) -> list[Finding]:
    """Run bandit over ``paths``; its findings at or above medium severity."""
    done = subprocess.run(
        [sys.executable, "-m", "bandit", *BANDIT, *paths],
        capture_output=True,
        text=True,
        check=False,
    )
    try:
        report = json.loads(done.stdout)
    except json.JSONDecodeError:
        raise SystemExit(f"bandit did not run (exit {done.returncode}):\n{done.stderr}") from None
    if report.get("errors"):
        raise SystemExit(f"bandit could not read some files: {report['errors']}")
    return [
        Finding(
            filename=r["filename"],
            lines=tuple(r.get("line_range") or [r["line_number"]]),
            rule=r["test_id"],
            severity=r["issue_severity"],
            text=r["issue_text"],
        )
        for r in report["results"]
    ]


def main(argv: list[str] | None = None) -> int:
    """Print accepted findings with their reasons and the others as failures; 1 if any fails."""
    paths = list(sys.argv[1:] if argv is None else argv)
    if not paths:
        print("usage: python tools/security_scan.py PATH...")
        return 2
    findings = scan(paths)
    config = accepted_in_config(ROOT / "pyproject.toml")
    used: set[tuple[str, str]] = set()
    failed = 0
    for finding in findings:
        key = (_relative(finding.filename), finding.rule)
        reason = justification(finding) or config.get(key)
        used.add(key)
        if reason:
            print(f"accepted {finding.rule} at {finding.where}: {reason}")
        else:
            failed += 1
            print(
                f"FAIL {finding.rule} ({finding.severity}) at {finding.where}: {finding.text} "
                f"Fix it, or justify it in place: `# noqa: S{finding.rule[1:]} -- <reason>`"
            )
    justified = len(findings) - failed
    scanned = [Path(p).resolve() for p in paths]
    for path, rule in sorted(config.keys() - used):
        if not any((ROOT / path).resolve().is_relative_to(s) for s in scanned):
            continue  # not scanned this time
        failed += 1
        print(f"FAIL pyproject.toml accepts {rule} in {path}, which has no such finding: remove it")
    print(f"bandit: {len(findings)} medium/high findings, {justified} justified")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
