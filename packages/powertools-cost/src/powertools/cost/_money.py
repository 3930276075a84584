"""Money as exact integers of femto-dollars (1e-15 USD).

Every price per million tokens with up to nine decimals is a whole number of femto-dollars
per token, so pricing is integer arithmetic: exact, fast, and safe to sum over any number of
calls. Decimals appear only at the public boundary.
"""

from __future__ import annotations

from decimal import Context, Decimal

__all__ = ["FEMTO_PER_USD", "Money", "fd_from_usd", "plain", "usd"]

FEMTO_PER_USD = 10**15
# Enough digits for any sum of costs: the default context (28) would round above $1e13.
_EXACT = Context(prec=100)


class Money(Decimal):
    """A Decimal amount of dollars that prints as money: ``0.000000025``, never ``2.5E-8``.

    It is a Decimal in every other way (arithmetic on it gives plain Decimals).

    >>> amount = usd(25_000_000)
    >>> f"${amount}", f"{amount:.3e}", amount == Decimal("2.5E-8")
    ('$0.000000025', '2.500e-8', True)
    """

    __slots__ = ()

    def __str__(self) -> str:
        return format(Decimal(self), "f")

    def __format__(self, spec: str, _context: Context | None = None, /) -> str:
        # format() passes only the spec; Decimal's C implementation reads a second argument
        # as a locale override, not a Context, so it is not forwarded.
        return str(self) if not spec else format(Decimal(self), spec)


def usd(fd: int) -> Money:
    """Dollars, exact and without trailing zeros (a :class:`Money`: it prints plain).

    >>> usd(1_500_000_000_000_000), usd(100 * FEMTO_PER_USD), str(usd(25))
    (Decimal('1.5'), Decimal('100'), '0.000000000000025')
    """
    if fd % FEMTO_PER_USD:
        return Money(Decimal(fd).scaleb(-15, _EXACT).normalize(_EXACT))
    return Money(fd // FEMTO_PER_USD)  # normalize() would write 100 as 1E+2


def plain(amount: Decimal) -> Money:
    """``amount`` without trailing zeros and never in exponent form (10, not ``1E+1``).

    >>> plain(Decimal("10.00")), plain(Decimal("0.0750"))
    (Decimal('10'), Decimal('0.075'))
    """
    normal = amount.normalize(_EXACT)
    exponent = normal.as_tuple().exponent
    if isinstance(exponent, int) and exponent > 0:
        normal = normal.quantize(Decimal(1), context=_EXACT)
    return Money(normal)


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
