"""Stop retrying what cannot succeed: see how errors are classified, then add your own rules."""

from __future__ import annotations

from powertools.retry import (
    Classifier,
    ErrorCategory,
    ErrorHandler,
    PermanentError,
    classify,
    retry,
)
from powertools.retry.testing import set_testing


class HTTPError(Exception):
    """What an SDK raises: an error carrying the response's status code."""

    def __init__(self, status_code: int) -> None:
        super().__init__(f"HTTP {status_code}")
        self.status_code = status_code


class QuotaExceededError(Exception):
    """Your provider's 'monthly quota used up': waiting a few seconds will not help."""


class ModelLoadingError(Exception):
    """A local model server still loading its weights: worth another try."""


def main() -> None:
    # 1. The built-in rules: HTTP statuses, timeouts, connection errors.
    for error in (
        HTTPError(429),
        HTTPError(503),
        HTTPError(401),
        TimeoutError(),
        ConnectionError(),
    ):
        print(f"{error!r:<28} -> {classify(error).value}")
    assert classify(HTTPError(401)) is ErrorCategory.PERMANENT
    assert classify(HTTPError(429)) is ErrorCategory.RATE_LIMIT

    # 2. A permanent error is raised at once, as the matching ErrorHandler error.
    calls = {"auth": 0, "quota": 0, "loading": 0}

    @retry(max_attempts=5)
    def bad_key() -> str:
        calls["auth"] += 1
        raise HTTPError(401)

    try:
        bad_key()
    except ErrorHandler.PermanentError as exc:
        print(f"401 raised after {calls['auth']} call: {type(exc.__cause__).__name__}")
    assert calls["auth"] == 1

    # 3. Your own rules, for one decorator: a Classifier of your own.
    rules = Classifier()
    rules.register(QuotaExceededError, ErrorCategory.PERMANENT)
    rules.register(lambda exc: ErrorCategory.TRANSIENT if "loading" in str(exc) else None)

    @retry(max_attempts=5, classifier=rules)
    def over_quota() -> str:
        calls["quota"] += 1
        raise QuotaExceededError("monthly quota used up")

    @retry(max_attempts=3, classifier=rules, give_up_on=ValueError)
    def loading() -> str:
        calls["loading"] += 1
        if calls["loading"] < 3:
            raise ModelLoadingError("model is loading")
        return "ready"

    try:
        over_quota()
    except QuotaExceededError:
        print(f"quota error raised after {calls['quota']} call")
    assert calls["quota"] == 1
    assert loading() == "ready"
    assert calls["loading"] == 3
    print(f"loading model answered after {calls['loading']} calls")

    # 4. PermanentError is never retried, whoever raises it.
    assert classify(PermanentError("bad request")) is ErrorCategory.PERMANENT


if __name__ == "__main__":
    with set_testing(True):  # every wait is zero: the example runs instantly
        main()
