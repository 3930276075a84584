"""Money as exact integers of femto-dollars (1e-15 USD).

Every price per million tokens with up to nine decimals is a whole number of femto-dollars
per token, so pricing is integer arithmetic: exact, fast, and safe to sum over any number of
calls. Decimals appear only at the public boundary.
"""

from __future__ import annotations

from decimal import Context, Decimal

__all__ = ["FEMTO_PER_USD", "fd_from_usd", "usd"]

FEMTO_PER_USD = 10**15
# Enough digits for any sum of costs: the default context (28) would round above $1e13.
_EXACT = Context(prec=100)


def usd(fd: int) -> Decimal:
    """Dollars as a Decimal, exact and without trailing zeros.

    >>> usd(1_500_000_000_000_000), usd(100 * FEMTO_PER_USD), usd(25)
    (Decimal('1.5'), Decimal('100'), Decimal('2.5E-14'))
    """
    if fd % FEMTO_PER_USD:
        return Decimal(fd).scaleb(-15, _EXACT).normalize(_EXACT)
    return Decimal(fd // FEMTO_PER_USD)  # normalize() would write 100 as 1E+2


def fd_from_usd(amount: Decimal | float | int | str, *, what: str = "amount") -> int:
    """Femto-dollars from a dollar amount; refuses exact amounts finer than 1e-15 USD.

    Floats are never exact, so they are rounded to the nearest femto-dollar.

    >>> fd_from_usd("0.25"), fd_from_usd(0.1 + 0.2)
    (250000000000000, 300000000000000)
    """
    value = Decimal(str(amount)).scaleb(15, context=_EXACT)
    if isinstance(amount, float) and value.is_finite():
        value = value.to_integral_value()
    if not value.is_finite() or value != value.to_integral_value():
        raise ValueError(f"{what} {amount!r} is not a dollar amount with at most 15 decimals")
    return int(value)


def fd_from_text(text: str) -> int:
    """Femto-dollars from an exact decimal string written by :func:`usd`."""
    return fd_from_usd(text, what="stored cost")
