"""Money: exact parsing from decimal text, ISO 4217 exponents, formatting round trips."""

from __future__ import annotations

from decimal import Decimal, localcontext

import pytest
from hypothesis import given
from hypothesis import strategies as st

from referrals.errors import Invalid
from referrals.money import (
    MAX_MINOR,
    MINOR_UNITS,
    Money,
    amount_formatter,
    format_amount,
    parse_amount,
    parse_currency,
)


@pytest.mark.parametrize(
    ("text", "currency", "minor"),
    [
        ("1234.50", "EUR", 123450),
        ("0.01", "USD", 1),
        ("-0.05", "USD", -5),
        ("+7", "GBP", 700),
        ("12.500", "USD", 1250),  # trailing zeros are exact
        ("1200", "JPY", 1200),
        ("1.234", "BHD", 1234),
        ("0.0001", "CLF", 1),
        (" 3.1 ", "EUR", 310),
        (42, "EUR", 4200),
    ],
)
def test_parse_amount(text: str, currency: str, minor: int) -> None:
    assert parse_amount(text, currency) == minor


@pytest.mark.parametrize(
    ("text", "currency", "reason"),
    [
        ("1,234.50", "EUR", "no thousands separators"),
        ("12,5", "EUR", "not a decimal amount"),
        ("12.345", "USD", "more decimal places than USD allows (2)"),
        ("1.5", "JPY", "more decimal places than JPY allows (0)"),
        ("1e3", "EUR", "not a decimal amount"),
        ("", "EUR", "not a decimal amount"),
        ("NaN", "EUR", "not a decimal amount"),
        (".5", "EUR", "not a decimal amount"),
        ("10000000000000", "EUR", "too large"),
    ],
)
def test_parse_amount_refusals_name_the_reason(text: str, currency: str, reason: str) -> None:
    with pytest.raises(Invalid) as e:
        parse_amount(text, currency)
    assert e.value.field == "amount" and reason in e.value.reason


def test_floats_and_bools_are_refused() -> None:
    for value in (0.1, True, None, [1]):
        with pytest.raises(Invalid, match="decimal string"):
            parse_amount(value, "EUR")


def test_currency_codes() -> None:
    assert parse_currency(" eur ") == "EUR"
    for bad in ("EURO", "XXX", "", None, 978):
        with pytest.raises(Invalid) as e:
            parse_currency(bad)
        assert e.value.field == "currency"
    assert MINOR_UNITS["JPY"] == 0 and MINOR_UNITS["KWD"] == 3 and MINOR_UNITS["EUR"] == 2


def test_money_parse_collects_both_fields() -> None:
    with pytest.raises(Invalid) as e:
        Money.parse("abc", "ZZZ")
    assert [f.field for f in e.value.errors] == ["currency"]
    with pytest.raises(Invalid) as e:
        Money.parse("1.234", "EUR")
    assert [f.field for f in e.value.errors] == ["amount"]
    assert str(Money.parse("5", "usd")) == "5.00 USD"


def test_format_amount() -> None:
    assert format_amount(-5, "USD") == "-0.05"
    assert format_amount(123450, "EUR") == "1234.50"
    assert format_amount(1200, "JPY") == "1200"
    assert format_amount(1, "BHD") == "0.001"


@given(minor=st.integers(-MAX_MINOR + 1, MAX_MINOR - 1), currency=st.sampled_from(sorted(MINOR_UNITS)))
def test_format_then_parse_is_identity(minor: int, currency: str) -> None:
    assert parse_amount(format_amount(minor, currency), currency) == minor


@given(minor=st.integers(-(10**30), 10**30), currency=st.sampled_from(sorted(MINOR_UNITS)))
def test_format_amount_is_the_exact_decimal(minor: int, currency: str) -> None:
    """Every digit, for amounts past any float's precision: the text is the Decimal of minor × 10^-digits."""
    digits = MINOR_UNITS[currency]
    with localcontext(prec=60):
        expected = Decimal(minor).scaleb(-digits).quantize(Decimal(1).scaleb(-digits))
    assert format_amount(minor, currency) == str(expected) == amount_formatter(currency)(minor)


def test_an_unknown_currency_has_no_formatter() -> None:
    with pytest.raises(KeyError):
        amount_formatter("XXX")
