"""Languages: plural forms, CLDR formats and how a language is chosen (referrals/i18n.py)."""

from __future__ import annotations

from datetime import date

import pytest

from referrals import i18n

NBSP = "\u00a0"


@pytest.mark.parametrize(
    ("n", "russian", "english"),
    [
        (0, "0 клиентов", "0 clients"),
        (1, "1 клиент", "1 client"),
        (2, "2 клиента", "2 clients"),
        (4, "4 клиента", "4 clients"),
        (5, "5 клиентов", "5 clients"),
        (11, "11 клиентов", "11 clients"),
        (12, "12 клиентов", "12 clients"),
        (21, "21 клиент", "21 clients"),
        (22, "22 клиента", "22 clients"),
        (111, "111 клиентов", "111 clients"),
        (1001, f"1{NBSP}001 клиент", "1,001 clients"),
    ],
)
def test_counts_take_the_plural_form_of_their_language(n: int, russian: str, english: str) -> None:
    with i18n.use("ru"):
        assert i18n.ngettext("%(n)s client", "%(n)s clients", n) == russian
    with i18n.use("en"):
        assert i18n.ngettext("%(n)s client", "%(n)s clients", n) == english


def test_dates_numbers_and_money_are_written_as_each_language_writes_them() -> None:
    with i18n.use("ru"):
        assert i18n.format_date(date(2026, 10, 31)) == "31.10.2026"
        assert i18n.format_money(125050, "RUB") == f"1{NBSP}250,50{NBSP}₽"
        assert i18n.format_money(125050, "EUR") == f"1{NBSP}250,50{NBSP}€"
        assert i18n.format_money(-5, "EUR") == f"-0,05{NBSP}€"
        assert i18n.format_amount_text("1250.50") == f"1{NBSP}250,50"
        assert i18n.format_month("2026-10") == "октябрь 2026"
    with i18n.use("en"):
        assert i18n.format_date(date(2026, 10, 31)) == "2026-10-31"  # one English for both orders of day and month
        assert i18n.format_money(125050, "EUR") == "€1,250.50"
        assert i18n.format_money(1250, "JPY") == "¥1,250"  # no minor unit
        assert i18n.format_money(1, "BHD") == "BHD0.001"  # three: nothing rounded away
        assert i18n.format_amount_text("0.50") == "0.50"


def test_the_language_follows_accept_language_and_the_environment() -> None:
    assert i18n.negotiate("ru-RU,ru;q=0.9,en;q=0.8") == "ru"
    assert i18n.negotiate("de-DE, en;q=0.5, ru;q=0.7") == "ru"  # the best one we speak, by q
    assert i18n.negotiate("de, fr") == "en" and i18n.negotiate(None) == "en" and i18n.negotiate("ru;q=0") == "en"
    assert i18n.from_environment({"LANG": "ru_RU.UTF-8"}) == "ru"
    assert i18n.from_environment({"LC_ALL": "C", "LANG": "ru_RU.UTF-8"}) == "en"  # LC_ALL wins over LANG
    assert i18n.from_environment({"LC_MESSAGES": "ru_RU", "LANG": "en_US.UTF-8"}) == "ru"
    assert i18n.from_environment({"LANGUAGE": "de:ru", "LANG": "en_US.UTF-8"}) == "ru"
    assert i18n.from_environment({}) == "en"


def test_the_page_gets_each_counts_form_by_plural_category() -> None:
    forms = i18n.forms_by_category("ru", ("%(n)s клиент", "%(n)s клиента", "%(n)s клиентов"))
    assert forms == {"one": "%(n)s клиент", "few": "%(n)s клиента", "many": "%(n)s клиентов", "other": "%(n)s клиентов"}
    assert i18n.forms_by_category("en", ("%(n)s client", "%(n)s clients")) == {
        "one": "%(n)s client",
        "other": "%(n)s clients",
    }
    assert i18n.page_messages("en") == {}
    assert all(isinstance(v, str | dict) for v in i18n.page_messages("ru").values())
