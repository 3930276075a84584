"""Error classification and the waits servers ask for."""

from __future__ import annotations

from datetime import UTC, datetime
from email.utils import format_datetime
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from powertools.retry import (
    Classifier,
    ErrorCategory,
    ErrorHandler,
    RateLimitError,
    RetryConfigError,
    classify,
    retry_after,
)
from powertools.retry._classify import default_classifier, status_of
from powertools.retry._retry_after import parse_duration


class HTTPError(Exception):
    def __init__(self, status: int, headers: dict[str, str] | None = None) -> None:
        super().__init__(status)
        self.response = type("Response", (), {"status_code": status, "headers": headers or {}})()


@pytest.mark.parametrize(
    ("status", "category"),
    [
        (408, ErrorCategory.TIMEOUT),
        (409, ErrorCategory.TRANSIENT),
        (425, ErrorCategory.TRANSIENT),
        (429, ErrorCategory.RATE_LIMIT),
        (500, ErrorCategory.TRANSIENT),
        (502, ErrorCategory.TRANSIENT),
        (503, ErrorCategory.TRANSIENT),
        (504, ErrorCategory.TIMEOUT),
        (529, ErrorCategory.RATE_LIMIT),
        (400, ErrorCategory.PERMANENT),
        (401, ErrorCategory.PERMANENT),
        (403, ErrorCategory.PERMANENT),
        (404, ErrorCategory.PERMANENT),
        (422, ErrorCategory.PERMANENT),
        (302, ErrorCategory.UNKNOWN),
    ],
)
def test_http_statuses(status: int, category: ErrorCategory) -> None:
    assert classify(HTTPError(status)) is category


@given(st.integers(min_value=400, max_value=599))
def test_every_4xx_5xx_status_gets_a_decided_category(status: int) -> None:
    category = classify(HTTPError(status))
    assert category is not ErrorCategory.UNKNOWN
    assert category.retryable == (status >= 500 or status in {408, 409, 425, 429})


def test_builtin_errors() -> None:
    assert classify(TimeoutError()) is ErrorCategory.TIMEOUT
    assert classify(ConnectionResetError()) is ErrorCategory.TRANSIENT
    assert classify(ErrorHandler.TimeoutError("x")) is ErrorCategory.TIMEOUT
    assert isinstance(ErrorHandler.TimeoutError("x"), TimeoutError)
    assert classify(ValueError()) is ErrorCategory.UNKNOWN
    assert ErrorCategory.UNKNOWN.retryable


def _httpx_like(name: str, *bases: str) -> type[Exception]:
    parents: list[type[Exception]] = []
    for base in bases:
        parents.append(type(base, (Exception,), {"__module__": "httpx._exceptions"}))
    return type(name, tuple(parents) or (Exception,), {"__module__": "httpx._exceptions"})


def test_httpx_errors_are_recognised_without_importing_httpx() -> None:
    assert classify(_httpx_like("ReadTimeout", "TimeoutException")()) is ErrorCategory.TIMEOUT
    assert classify(_httpx_like("ConnectError", "TransportError")()) is ErrorCategory.TRANSIENT
    assert classify(_httpx_like("InvalidURL")()) is ErrorCategory.UNKNOWN


def test_status_of_ignores_booleans_and_reads_status() -> None:
    class Odd(Exception):
        status_code = True
        status = 503

    assert status_of(Odd()) == 503
    assert status_of(ValueError()) is None


def test_custom_rules_come_first_and_can_be_removed() -> None:
    classifier = Classifier()

    def rule(exc: BaseException) -> ErrorCategory | None:
        return ErrorCategory.PERMANENT if "quota" in str(exc) else None

    classifier.register(rule)
    assert classifier.classify(ConnectionError("quota exceeded")) is ErrorCategory.PERMANENT
    assert classifier.classify(ConnectionError("reset")) is ErrorCategory.TRANSIENT
    classifier.unregister(rule)
    assert classifier.classify(ConnectionError("quota exceeded")) is ErrorCategory.TRANSIENT
    with pytest.raises(RetryConfigError):
        classifier.register(KeyError)
    with pytest.raises(RetryConfigError):
        classifier.register(42)  # type: ignore[arg-type]


def test_the_process_wide_registry() -> None:
    class Mine(Exception):
        pass

    ErrorHandler.register(Mine, ErrorCategory.RATE_LIMIT)
    try:
        assert ErrorHandler.classify(Mine()) is ErrorCategory.RATE_LIMIT
    finally:
        default_classifier._rules = default_classifier._rules[1:]


NOW = 1_750_000_000.0


def fixed() -> float:
    return NOW


@pytest.mark.parametrize(
    ("headers", "expected"),
    [
        ({"Retry-After": "12"}, 12.0),
        ({"retry-after": "1.5"}, 1.5),
        ({"retry-after-ms": "250"}, 0.25),
        ({"retry-after-ms": "junk", "retry-after": "3"}, 3.0),
        ({"x-ratelimit-reset-requests": "1m30s", "x-ratelimit-reset-tokens": "20ms"}, 90.0),
        ({"anthropic-ratelimit-requests-reset": "2025-06-15T15:07:00+00:00"}, 1_750_000_020 - NOW),
        ({"x-ratelimit-reset": str(int(NOW) + 40)}, 40.0),
        ({"retry-after": "soon"}, None),
        ({"retry-after": "-5"}, 0.0),
        ({}, None),
    ],
)
def test_retry_after_headers(headers: dict[str, str], expected: float | None) -> None:
    result = retry_after(HTTPError(429, headers), now=fixed)
    assert result == (None if expected is None else pytest.approx(expected))


def test_retry_after_http_date() -> None:
    moment = datetime.fromtimestamp(NOW + 30, tz=UTC)
    headers = {"Retry-After": format_datetime(moment, usegmt=True)}
    assert retry_after(HTTPError(503, headers), now=fixed) == pytest.approx(30.0)


def test_retry_after_attribute_and_no_headers() -> None:
    assert retry_after(RateLimitError(retry_after=4)) == 4.0
    assert retry_after(ValueError()) is None
    with pytest.raises(RetryConfigError):
        RateLimitError(retry_after=-1)


@given(st.integers(0, 23), st.integers(0, 59), st.integers(0, 59), st.integers(0, 999))
def test_parse_duration_round_trips(h: int, m: int, s: int, ms: int) -> None:
    text = f"{h}h{m}m{s}s{ms}ms"
    assert parse_duration(text) == pytest.approx(h * 3600 + m * 60 + s + ms / 1000)


@pytest.mark.parametrize("text", ["", "abc", "5x"])
def test_parse_duration_rejects_non_durations(text: Any) -> None:
    assert parse_duration(text) is None


DIMENSIONS = [
    ("x-ratelimit-remaining-requests", "x-ratelimit-reset-requests"),
    ("x-ratelimit-remaining-tokens", "x-ratelimit-reset-tokens"),
    ("anthropic-ratelimit-tokens-remaining", "anthropic-ratelimit-tokens-reset"),
]


@given(
    st.lists(
        st.tuples(st.sampled_from(DIMENSIONS), st.integers(0, 3600), st.integers(0, 5)),
        min_size=1,
        max_size=3,
        unique_by=lambda item: item[0],
    ),
    st.sampled_from([429, 529]),
)
def test_a_rate_limits_wait_is_the_exhausted_dimensions_reset(
    dimensions: list[tuple[tuple[str, str], int, int]], status: int
) -> None:
    headers = {}
    for (remaining, reset), seconds, left in dimensions:
        headers[remaining], headers[reset] = str(left), f"{seconds}s"
    exhausted = [seconds for _, seconds, left in dimensions if left == 0]
    expected = max(exhausted or [seconds for _, seconds, _ in dimensions])
    assert retry_after(HTTPError(status, headers), now=fixed) == expected
    assert retry_after(HTTPError(500, headers), now=fixed) is None  # not a rate limit


def test_resource_exhausted_is_a_rate_limit() -> None:
    class GrpcError(Exception):
        pass

    assert classify(GrpcError("429 RESOURCE_EXHAUSTED: quota")) is ErrorCategory.RATE_LIMIT

    class Unprintable(Exception):
        def __str__(self) -> str:
            raise RuntimeError("no")

    assert classify(Unprintable()) is ErrorCategory.UNKNOWN
