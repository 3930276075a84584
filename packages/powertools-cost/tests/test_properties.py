"""Pricing invariants: every bucket priced, monotone in every bucket, exact Decimal sums."""

from __future__ import annotations

import decimal
from decimal import Decimal

from hypothesis import given
from hypothesis import strategies as st

from powertools.cost import PriceBook, Usage, usd
from powertools.cost._pricing import Rates
from powertools.cost._usage import BUCKETS

BOOK = PriceBook.default()
MODELS = sorted({BOOK.resolve(n).model for n in BOOK.names()})
tokens = st.integers(min_value=0, max_value=400_000)
usages = st.builds(Usage, *([tokens] * len(BUCKETS)))
# most calls leave most buckets empty: zeros are drawn as often as counts
sparse = st.builds(Usage, *([st.one_of(st.just(0), tokens)] * len(BUCKETS)))
rates = st.builds(Rates, *([st.integers(0, 10**12)] * len(BUCKETS)))


@given(sparse, rates)
def test_a_cost_is_every_bucket_times_its_rate(usage: Usage, rate: Rates) -> None:
    expected = sum(getattr(usage, b) * getattr(rate, b) for b in BUCKETS)
    assert rate.cost_fd(usage) == expected


@given(usages, st.sampled_from(MODELS), st.sampled_from(BUCKETS), st.integers(1, 300_000))
def test_cost_is_monotone_in_every_bucket(usage: Usage, model: str, bucket: str, more: int) -> None:
    bigger = usage + Usage(**{bucket: more})
    assert BOOK.cost(bigger, model) >= BOOK.cost(usage, model)


@given(st.lists(st.tuples(usages, st.sampled_from(MODELS)), max_size=40))
def test_decimal_sums_over_many_calls_are_exact(calls: list[tuple[Usage, str]]) -> None:
    costs = [BOOK.cost(u, m) for u, m in calls]
    fd_sum = sum(BOOK.cost_fd(u, m) for u, m in calls)
    with decimal.localcontext(prec=60):
        oracle = sum((_oracle(u, m) for u, m in calls), Decimal(0))
        assert sum(costs, Decimal(0)) == oracle
    assert usd(fd_sum) == oracle


def _oracle(usage: Usage, model: str) -> Decimal:
    """Independent of the integer fast path: Decimal per-million prices times tokens."""
    price = BOOK.resolve(model)
    return sum(
        (
            Decimal(getattr(usage, b)) * price.per_million(b, prompt_tokens=usage.prompt_tokens)
            for b in BUCKETS
        ),
        Decimal(0),
    ) / Decimal(1_000_000)


@given(st.integers(min_value=-(10**40), max_value=10**40))
def test_usd_is_exact_and_has_no_trailing_zeros(fd: int) -> None:
    dollars = usd(fd)
    with decimal.localcontext(prec=100):
        assert dollars == Decimal(fd) / Decimal(10**15)
    _, digits, exponent = dollars.as_tuple()
    assert isinstance(exponent, int)
    if exponent < 0:  # a fraction never ends in a zero digit
        assert digits[-1] != 0
    else:  # a whole number is written out, never as 1E+2
        assert exponent == 0
