"""Dates and amounts as people write them: read exactly, or refused with the reason when they could mean two things."""

from __future__ import annotations

from datetime import date

import pytest
from hypothesis import given
from hypothesis import strategies as st

from referrals.errors import Invalid
from referrals.importing.cells import (
    CellError,
    DateOrder,
    cell_amount,
    cell_currency,
    date_order,
    decimal_hint,
    read_amount,
    read_date,
)
from referrals.importing.columns import FIELDS, field_of, fold, parse_mapping


@pytest.mark.parametrize(
    ("text", "day"),
    [
        ("2024-03-12", date(2024, 3, 12)),
        ("2024-03-12T10:30:00Z", date(2024, 3, 12)),
        ("2024-03-12 10:30", date(2024, 3, 12)),
        ("12.03.2024", date(2024, 3, 12)),  # dots: always day first
        ("1.3.2024", date(2024, 3, 1)),
        ("2024/03/12", date(2024, 3, 12)),
        ("31/10/2026", date(2026, 10, 31)),  # a day over 12 decides
        ("10/31/2026", date(2026, 10, 31)),
        ("05/05/2024", date(2024, 5, 5)),  # both readings are the same day
        ("12 Mar 2024", date(2024, 3, 12)),
        ("12 March 2024", date(2024, 3, 12)),
        ("Mar 12, 2024", date(2024, 3, 12)),
        ("12 марта 2024", date(2024, 3, 12)),
        ("12 марта 2024 г.", date(2024, 3, 12)),
        ("1 сент. 2024", date(2024, 9, 1)),
    ],
)
def test_dates_as_written(text: str, day: date) -> None:
    assert read_date(text) == day


def test_slash_dates_take_the_order_asked_or_are_refused_when_nothing_decides() -> None:
    assert read_date("03/04/2024", DateOrder.DAY_FIRST) == date(2024, 4, 3)
    assert read_date("03/04/2024", DateOrder.MONTH_FIRST) == date(2024, 3, 4)
    with pytest.raises(
        CellError, match=r"could be day 3 of month 4 or month 3, day 4; pass --day-first or --month-first"
    ):
        read_date("03/04/2024")
    for bad, reason in (
        ("31.02.2024", "is not a day of the calendar"),
        ("31/13/2024", "is not a day of the calendar"),
        ("12 Foo 2024", "'Foo' is not a month name"),
        ("yesterday", "is not a date: write 2024-03-12, 12.03.2024 or 12 Mar 2024"),
        ("12.03.24", "is not a date"),  # a two-digit year: which century?
    ):
        with pytest.raises(CellError, match=reason):
            read_date(bad)


def test_a_columns_order_is_taken_only_when_its_values_agree() -> None:
    assert date_order(["31/10/2026", "03/04/2024", "2024-01-01"]) is DateOrder.DAY_FIRST
    assert date_order(["10/31/2026", "03/04/2024"]) is DateOrder.MONTH_FIRST
    assert date_order(["03/04/2024", "05/06/2024"]) is None  # nothing decides: each ambiguous one is refused
    assert date_order(["31/10/2026", "10/31/2026"]) == (
        "the column has day-first (31/10/2026) and month-first (10/31/2026) dates; fix one"
    )


@pytest.mark.parametrize(
    ("text", "decimal", "currency"),
    [
        ("1250.50", "1250.50", None),
        ("1 250,50", "1250.50", None),
        ("1\u00a0250,50", "1250.50", None),  # no-break space
        ("1\u202f250,50", "1250.50", None),  # narrow no-break space (French, Russian typography)
        ("1'250.50", "1250.50", None),  # Swiss
        ("1,250.50", "1250.50", None),
        ("1.250,50", "1250.50", None),
        ("1,234,567", "1234567", None),
        ("1.234.567,89", "1234567.89", None),
        ("12,5", "12.5", None),
        ("1 234", "1234", None),
        ("-20", "-20", None),
        ("−5,5", "-5.5", None),  # the minus sign
        ("(20.00)", "-20.00", None),
        ("€1250.00", "1250.00", "EUR"),
        ("1250,00 ₽", "1250.00", "RUB"),
        ("1 250 руб.", "1250", "RUB"),
        ("1 250 р.", "1250", "RUB"),
        ("$1,234.56", "1234.56", "USD"),
        ("£12", "12", "GBP"),
        ("USD 12", "12", "USD"),
        ("12 eur", "12", "EUR"),
        ("-€20", "-20", "EUR"),
        ("€-20", "-20", "EUR"),
        ("007", "7", None),
    ],
)
def test_amounts_as_written(text: str, decimal: str, currency: str | None) -> None:
    got = read_amount(text)
    assert (got.decimal, got.currency) == (decimal, currency)


def test_a_lone_separator_before_three_digits_needs_a_hint() -> None:
    for text in ("1,234", "1.234"):
        with pytest.raises(CellError, match=r"could be 1234 or 1\.234"):
            read_amount(text)
    assert read_amount("1,234", decimal=",").decimal == "1.234"
    assert read_amount("1,234", decimal=".").decimal == "1234"
    assert decimal_hint(["1 250,00", "1,234", "7"]) == ","  # another value shows the decimal comma
    assert decimal_hint(["1,250.00", "1,234"]) == "."
    assert decimal_hint(["1,234", "5"]) is None
    assert decimal_hint(["1,5", "2.5"]) is None  # the column disagrees with itself: no hint


def test_amounts_that_are_not_are_refused_with_the_reason() -> None:
    for bad, reason in (
        ("abc", "is not an amount"),
        ("1,23,4", "not grouped by three"),
        ("12.345.6", "not grouped by three"),
        ("20-", "is not an amount"),
        ("€12 USD", "more than one currency"),
        ("12 XYZ", "'XYZ' is not a currency symbol or ISO 4217 code"),
    ):
        with pytest.raises(CellError, match=reason):
            read_amount(bad)
    with pytest.raises(CellError, match="'12 EUR' is in EUR, the row says USD"):
        cell_amount("12 EUR", "USD")
    with pytest.raises(CellError, match="more decimal places than EUR allows"):
        cell_amount("1,005", "EUR", decimal=",")
    assert cell_amount("1 250,50 ₽", "RUB") == 125050 and cell_amount("1250", "JPY") == 1250
    assert cell_currency("₽") == "RUB" and cell_currency("eur") == "EUR"
    with pytest.raises(CellError):
        cell_currency("XYZ")


@given(st.integers(min_value=-(10**12), max_value=10**12), st.sampled_from(["EUR", "RUB", "USD"]))
def test_every_way_of_writing_an_amount_reads_back_exactly(minor: int, currency: str) -> None:
    sign = "-" if minor < 0 else ""
    whole, cents = divmod(abs(minor), 100)
    grouped = f"{whole:,}"
    spellings = [
        f"{sign}{whole}.{cents:02d}",
        f"{sign}{grouped}.{cents:02d}",
        f"{sign}{grouped.replace(',', ' ')},{cents:02d}",
        f"{sign}{grouped.replace(',', '.')},{cents:02d}",
        f"{sign}{grouped.replace(',', chr(0xA0))},{cents:02d} {currency}",
    ]
    for text in spellings:
        assert cell_amount(text, currency) == minor, text


def test_headers_fold_case_spaces_and_accents_in_both_languages() -> None:
    assert fold("  Откуда пришёл: ") == fold("откуда пришел")
    assert field_of("Кто порекомендовал", {}) == "referred_by"
    assert field_of("Откуда пришёл", {}) == "referred_by"
    assert field_of("E-Mail", {}) == "email" and field_of("Почта", {}) == "email"
    assert field_of("Téléphone", {}) == "phone" and field_of("ТЕЛЕФОН", {}) == "phone"
    assert (field_of("Имя", {}), field_of("Фамилия", {}), field_of("Отчество", {})) == (
        "first_name",
        "last_name",
        "middle_name",
    )
    assert (field_of("Сумма", {}), field_of("Валюта", {}), field_of("Дата", {})) == ("amount", "currency", "closed_on")
    assert field_of("Shoe size", {}) is None
    mapping = parse_mapping(["Shoe size=ignore", "Источник лида = referred_by"])
    assert field_of("shoe size", mapping) == "ignore" and field_of("Источник лида", mapping) == "referred_by"
    with pytest.raises(Invalid) as refused:
        parse_mapping(["Shoe size=size"])
    assert refused.value.errors[0].field == "map[0]" and "is not a field" in refused.value.errors[0].reason
    with pytest.raises(Invalid):
        parse_mapping(["no equals sign"])
    assert "referred_by" in FIELDS
