"""The distribution's shape: version, namespace, cheap import, documented examples, errors.

The checks are shared by every package (``powertools_testkit.check_distribution``); the testkit's
own tests show each of them failing on a bad package.
"""

from __future__ import annotations

from powertools_testkit import HEAVY, check_distribution


def test_the_distribution_has_the_shared_shape() -> None:
    # importlib.metadata (about 30 ms) is imported only on the first store open or __version__ read
    heavy = HEAVY | {"importlib.metadata"}
    check_distribution(
        "powertools-session", module="powertools.session", heavy=heavy, errors="SessionError"
    )
