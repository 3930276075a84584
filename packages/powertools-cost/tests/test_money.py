def test_money_formats_with_a_spec_like_a_decimal() -> None:
    from decimal import Decimal

    from powertools.cost._money import usd

    amount = usd(25_000_000)
    assert f"{amount}" == "0.000000025"
    assert f"{amount:.9f}" == "0.000000025"
    assert f"{amount:.6f}" == format(Decimal("2.5E-8"), ".6f") == "0.000000"
    assert f"{usd(1_500_000_000_000_000):>6}" == "   1.5"
