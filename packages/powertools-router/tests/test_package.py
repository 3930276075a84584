"""The distribution's shape: version, namespace, cheap import, documented examples, errors.

The checks are shared by every package (``powertools_testkit.check_distribution``); the testkit's
own tests show each of them failing on a bad package.
"""

from __future__ import annotations

from powertools_testkit import check_distribution


def test_the_distribution_has_the_shared_shape() -> None:
    check_distribution("powertools-router", module="powertools.router", errors="RouterError")


def test_importing_the_router_leaves_what_its_first_use_needs_unloaded() -> None:
    """The price book, the cost span machinery, the response cache, json and random load with
    the first route that needs them: importing the router costs ~4 ms less without them."""
    import subprocess
    import sys

    deferred = [
        "powertools.cost._pricebook",
        "powertools.cost._span",
        "powertools.router._cache",
        "json",
        "random",
    ]
    code = (
        "import sys, powertools.router\n"
        f"print([m for m in {deferred!r} if m in sys.modules])\n"
        "from powertools.router import LLMRouter\n"
        "LLMRouter()\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"
