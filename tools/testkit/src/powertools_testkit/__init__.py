"""The powertools developers' pytest plugin: real services as fixtures.

Every fixture starts (or finds) a real service on the loopback interface. A missing service
skips the test with a reason naming what is missing; under ``CI=true`` it fails instead, so CI
can never pass by skipping.
"""

from powertools_testkit._clock import check_fake_clock
from powertools_testkit._distribution import (
    HEAVY,
    check_cheap_import,
    check_distribution,
    check_doctests,
    check_errors,
    check_exports,
    check_location,
    check_version,
)
from powertools_testkit._doctests import run_doctests
from powertools_testkit._processes import ManagedProcess, free_port, wait_for_port
from powertools_testkit._require import in_ci, unavailable
from powertools_testkit._shared import find_shared

__all__ = [
    "HEAVY",
    "ManagedProcess",
    "check_cheap_import",
    "check_distribution",
    "check_doctests",
    "check_errors",
    "check_exports",
    "check_fake_clock",
    "check_location",
    "check_version",
    "find_shared",
    "free_port",
    "in_ci",
    "run_doctests",
    "unavailable",
    "wait_for_port",
]
