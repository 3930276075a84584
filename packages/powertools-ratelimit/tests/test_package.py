"""The distribution's shape: version, namespace, cheap import, documented examples, errors.

The checks are shared by every package (``powertools_testkit.check_distribution``); the testkit's
own tests show each of them failing on a bad package.
"""

from __future__ import annotations

from pathlib import Path

from powertools_testkit import HEAVY, check_distribution


def test_the_distribution_has_the_shared_shape() -> None:
    # importlib.metadata (about 30 ms) is imported only when a store is named by string
    check_distribution(
        "powertools-ratelimit",
        module="powertools.ratelimit",
        heavy=HEAVY | {"importlib.metadata"},
        errors="RateLimiterError",
    )


def test_the_internal_modules_stack_one_way() -> None:
    import ast

    import powertools.ratelimit

    root = Path(str(powertools.ratelimit.__file__)).parent
    # each module may import only those listed before it (TYPE_CHECKING imports count too)
    order = ["_reservation", "_admission", "_wrapping", "_limiter", "_decorator", "_quota"]
    for i, name in enumerate(order):
        tree = ast.parse((root / f"{name}.py").read_text(encoding="utf-8"))
        imported = {
            node.module.rsplit(".", 1)[-1]
            for node in ast.walk(tree)
            if isinstance(node, ast.ImportFrom) and node.module
        }
        assert not imported & set(order[i:]), (name, imported & set(order[i:]))
