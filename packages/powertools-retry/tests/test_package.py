"""The distribution's shape: version, namespace, cheap import, documented examples, errors.

The checks are shared by every package (``powertools_testkit.check_distribution``); the testkit's
own tests show each of them failing on a bad package.
"""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

import powertools.retry
from powertools_testkit import check_distribution


def test_the_distribution_has_the_shared_shape() -> None:
    check_distribution("powertools-retry", module="powertools.retry", errors="RetryError")


def test_every_function_stays_under_the_specs_complexity_bar() -> None:
    ruff = shutil.which("ruff")
    if ruff is None:
        pytest.skip("ruff is not installed here")
    source = Path(powertools.retry.__file__).parent
    checked = subprocess.run(
        [ruff, "check", "--isolated", "--select", "C901", "--config",
         "lint.mccabe.max-complexity=9", str(source)],
        capture_output=True, text=True, check=False,
    )  # fmt: skip
    assert checked.returncode == 0, checked.stdout  # the spec asks for under 10
