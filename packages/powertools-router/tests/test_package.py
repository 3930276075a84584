"""The distribution's shape: version, namespace, cheap import, documented examples, errors.

The checks are shared by every package (``powertools_testkit.check_distribution``); the testkit's
own tests show each of them failing on a bad package.
"""

from __future__ import annotations

from powertools_testkit import check_distribution


def test_the_distribution_has_the_shared_shape() -> None:
    check_distribution("powertools-router", module="powertools.router", errors="RouterError")
