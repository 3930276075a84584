"""Every test starts and ends with testing mode off."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from powertools.retry.testing import set_testing


@pytest.fixture(autouse=True)
def _testing_mode_off() -> Iterator[None]:
    set_testing(False)
    yield
    set_testing(False)
