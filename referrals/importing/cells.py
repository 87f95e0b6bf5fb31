"""Cell values as people write them: dates in several orders, amounts with their separators and symbols.

Everything is read exactly (digits to integers, never through floats) and refused, with the reason,
when a value could mean two things. Two readings need the whole column to decide, so they come in two
steps: `column_hints` looks at every value of a column once, and the cell readers take its verdict.

* Dates: ISO 8601 (2024-03-12, also with a time), DD.MM.YYYY (dots are always day first), 2024/03/12,
  "12 Mar 2024", "Mar 12, 2024" and "12 марта 2024". DD/MM/YYYY and MM/DD/YYYY look alike: the order is
  --day-first / --month-first, or the column's own, taken only when every value agrees (some value has
  a day over 12 in one place and none contradicts it); a column where no value decides is refused.
* Amounts: "1250.50", "1 250,50" (spaces, no-break or thin spaces, or ' between thousands), "1,250.50",
  "1.250,50", "-20", "(20.00)", a sign "−", with a currency symbol or code before or after ("€1250",
  "1250,00 ₽", "1 250 руб.", "USD 12"). A single "," or "." followed by exactly three digits ("1,234") is
  refused unless another value of the column shows which separator is the decimal one.
"""

from __future__ import annotations

import enum
import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date

from referrals.errors import Invalid
from referrals.i18n import _, lazy
from referrals.money import MINOR_UNITS, parse_amount
from referrals.rules import FUTURE_REASON


class CellError(ValueError):
    """A cell that cannot be read; the message is the report's reason."""


class DateOrder(enum.StrEnum):
    """How a date written with slashes (03/04/2024) is read."""

    DAY_FIRST = "day-first"
    MONTH_FIRST = "month-first"


def _numbered(names: str) -> dict[str, int]:
    """Twelve month names, January first, as {name: month}."""
    words = names.split()
    assert len(words) == 12, names
    return {w: i for i, w in enumerate(words, 1)}


# English (full and short) and Russian (nominative, genitive and short) month names.
_MONTHS = {
    **_numbered("january february march april may june july august september october november december"),
    **_numbered("jan feb mar apr may jun jul aug sep oct nov dec"),
    **_numbered("январь февраль март апрель май июнь июль август сентябрь октябрь ноябрь декабрь"),
    **_numbered("января февраля марта апреля мая июня июля августа сентября октября ноября декабря"),
    **_numbered("янв фев мар апр май июн июл авг сен окт ноя дек"),
    "sept": 9,
    "сент": 9,
}
_ISO = re.compile(r"^(\d{4})-(\d{2})-(\d{2})(?:[T ]\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?(?:Z|[+-]\d{2}:?\d{2})?)?$")
_DOTS = re.compile(r"^(\d{1,2})\.(\d{1,2})\.(\d{4})$")
_YMD_SLASH = re.compile(r"^(\d{4})/(\d{1,2})/(\d{1,2})$")
_SLASH = re.compile(r"^(\d{1,2})[/-](\d{1,2})[/-](\d{4})$")
_DAY_MONTH = re.compile(r"^(\d{1,2})\s+([^\W\d_]+)\.?,?\s+(\d{4})(?:\s*г\.?)?$")
_MONTH_DAY = re.compile(r"^([^\W\d_]+)\.?\s+(\d{1,2}),?\s+(\d{4})$")


def _day(y: int, m: int, d: int, text: str) -> date:
    try:
        return date(y, m, d)
    except ValueError:
        raise CellError(_("%(text)r is not a day of the calendar", text=text)) from None


def _month(name: str, text: str) -> int:
    m = _MONTHS.get(name.lower())
    if m is None:
        raise CellError(_("%(text)r: %(name)r is not a month name", text=text, name=name))
    return m


def slash_parts(text: str) -> tuple[int, int] | None:
    """The first two numbers of a DD/MM/YYYY or MM/DD/YYYY date, else None."""
    m = _SLASH.match(text.strip())
    return (int(m.group(1)), int(m.group(2))) if m else None


def read_date(text: str, order: DateOrder | None = None) -> date:
    """A date written in one of the module's forms; `order` reads DD/MM vs MM/DD (None: refused when
    both readings are days)."""
    t = text.strip()
    if len(t) == 10 and t[4] == "-":  # the common case, at C speed
        try:
            return date.fromisoformat(t)
        except ValueError:
            pass
    if m := _ISO.match(t):
        return _day(int(m.group(1)), int(m.group(2)), int(m.group(3)), t)
    if m := _DOTS.match(t):
        return _day(int(m.group(3)), int(m.group(2)), int(m.group(1)), t)
    if m := _YMD_SLASH.match(t):
        return _day(int(m.group(1)), int(m.group(2)), int(m.group(3)), t)
    if m := _SLASH.match(t):
        a, b, y = int(m.group(1)), int(m.group(2)), int(m.group(3))
        if order is None:
            if a > 12 >= b:
                order = DateOrder.DAY_FIRST
            elif b > 12 >= a:
                order = DateOrder.MONTH_FIRST
            elif a > 12 and b > 12:
                raise CellError(_("%(text)r is not a day of the calendar", text=t))
            elif a != b:
                raise CellError(
                    _(
                        "%(text)r could be day %(a)s of month %(b)s or month %(a)s, day %(b)s;"
                        " pass --day-first or --month-first",
                        text=t,
                        a=a,
                        b=b,
                    )
                )
            else:
                order = DateOrder.DAY_FIRST
        d, mo = (a, b) if order is DateOrder.DAY_FIRST else (b, a)
        return _day(y, mo, d, t)
    if m := _DAY_MONTH.match(t):
        return _day(int(m.group(3)), _month(m.group(2), t), int(m.group(1)), t)
    if m := _MONTH_DAY.match(t):
        return _day(int(m.group(3)), _month(m.group(1), t), int(m.group(2)), t)
    raise CellError(_("%(text)r is not a date: write 2024-03-12, 12.03.2024 or 12 Mar 2024", text=t))


def cell_date(text: str, today: date, *, order: DateOrder | None = None, future_ok: bool = False) -> date:
    """A date not after `today` (the latest date anywhere on Earth)."""
    value = read_date(text, order)
    if not future_ok and value > today:
        raise CellError(lazy(FUTURE_REASON).format(day=value.isoformat()))
    return value


def date_order(values: Iterable[str]) -> DateOrder | str | None:
    """The order of a column's slash dates, when its values agree on one: the order, None when no value
    decides (each ambiguous one is then refused), or the reason the column contradicts itself."""
    day_first = month_first = None
    for v in values:
        parts = slash_parts(v)
        if parts is None:
            continue
        a, b = parts
        if a > 12 >= b and day_first is None:
            day_first = v
        elif b > 12 >= a and month_first is None:
            month_first = v
    if day_first and month_first:
        return f"the column has day-first ({day_first}) and month-first ({month_first}) dates; fix one"
    if day_first:
        return DateOrder.DAY_FIRST
    if month_first:
        return DateOrder.MONTH_FIRST
    return None


# -- money ----------------------------------------------------------------------------------

_SYMBOLS = {
    "₽": "RUB",
    "руб": "RUB",
    "р": "RUB",
    "€": "EUR",
    "$": "USD",
    "us$": "USD",
    "£": "GBP",
    "¥": "JPY",
    "₴": "UAH",
    "₸": "KZT",
    "₺": "TRY",
    "zł": "PLN",
    "₹": "INR",
    "фунт": "GBP",
    "евро": "EUR",
}
_SPACES = re.compile(r"[\s\u00a0\u2007\u2009\u202f']")
_NUMBER = re.compile(r"^\d[\d.,]*$")
_CORE = re.compile(r"\d(?:[\d\s\u00a0\u2007\u2009\u202f'.,]*\d)?")
_SIGNS = "-−+"


@dataclass(frozen=True, slots=True)
class Amount:
    """An amount as read: its plain decimal text and the currency its cell names, if any."""

    decimal: str
    currency: str | None


def _currency_mark(mark: str, text: str) -> str | None:
    m = mark.strip().rstrip(".").lower()
    if not m:
        return None
    if m in _SYMBOLS:
        return _SYMBOLS[m]
    if m.upper() in MINOR_UNITS:
        return m.upper()
    raise CellError(_("%(text)r: %(mark)r is not a currency symbol or ISO 4217 code", text=text, mark=mark))


def decimal_mark(text: str) -> str | None:
    """The decimal separator a value shows beyond doubt ("," or "."), or None when it shows none."""
    digits = _SPACES.sub("", text)
    digits = re.sub(r"[^\d.,]", "", digits)
    if "," in digits and "." in digits:
        return "," if digits.rfind(",") > digits.rfind(".") else "."
    for mark in ",.":
        if digits.count(mark) == 1 and len(digits) - digits.index(mark) - 1 != 3:
            return mark
    return None


def decimal_hint(values: Iterable[str]) -> str | None:
    """The decimal separator a column's values agree on (None when none shows one, or they disagree)."""
    seen = {mark for v in values if (mark := decimal_mark(v))}
    return seen.pop() if len(seen) == 1 else None


class _NotAmount(CellError):
    """A cell that is no amount."""

    def __init__(self, text: str) -> None:
        super().__init__(_("%(text)r is not an amount: write 1250.50, 1 250,50 or €1,250.50", text=text))


def read_amount(text: str, decimal: str | None = None) -> Amount:
    """An amount cell as plain decimal text (sign, digits, "." and decimals) and the currency it names;
    `decimal` is the column's decimal separator when another value showed it."""
    t = text.strip()
    negative = False
    if t.startswith("(") and t.endswith(")"):  # (20.00): accountants' negative
        t, negative = t[1:-1].strip(), True
    core = _CORE.search(t)
    if core is None:
        raise _NotAmount(t)
    before, after = t[: core.start()].strip(), t[core.end() :].strip()
    signs = [ch for ch in before + after if ch in _SIGNS]
    if len(signs) > 1 or (signs and negative):
        raise _NotAmount(t)
    if signs and signs[0] != "+":
        if not before.endswith(signs[0]) and not before.startswith(signs[0]):
            raise _NotAmount(t)  # a sign after the number
        negative = True
    marks = [m.strip(_SIGNS + " ").rstrip(".").strip() for m in (before, after)]
    marks = [m for m in marks if m]
    if len(marks) > 1:
        raise CellError(_("%(text)r names more than one currency", text=t))
    currency = _currency_mark(marks[0], t) if marks else None
    number = core.group(0)
    digits = _SPACES.sub("", number)
    if not _NUMBER.match(digits):
        raise _NotAmount(t)
    whole, frac = _split(digits, decimal, digits != number, t)
    whole = whole.lstrip("0") or "0"
    return Amount(f"{'-' if negative else ''}{whole}{'.' + frac if frac else ''}", currency)


def _split(digits: str, decimal: str | None, grouped_by_space: bool, text: str) -> tuple[str, str]:
    commas, dots = digits.count(","), digits.count(".")
    if commas and dots:
        mark = "," if digits.rfind(",") > digits.rfind(".") else "."
        group = "." if mark == "," else ","
        whole, _mark, frac = digits.rpartition(mark)
        if mark in whole or not _groups_ok(whole, group):
            raise CellError(_("%(text)r: the thousands are not grouped by three", text=text))
        return whole.replace(group, ""), frac
    if not commas and not dots:
        return digits, ""
    mark = "," if commas else "."
    if commas + dots > 1:  # one mark, several times: thousands
        if not _groups_ok(digits, mark):
            raise CellError(_("%(text)r: the thousands are not grouped by three", text=text))
        return digits.replace(mark, ""), ""
    whole, _mark, frac = digits.partition(mark)
    if len(frac) != 3 or grouped_by_space:
        return whole, frac  # 12,5 / 1 250,00 / 1250.50: a decimal separator
    if decimal == mark:
        return whole, frac
    if decimal is not None:
        return whole + frac, ""  # the column shows the other mark as its decimal one
    raise CellError(
        _(
            "%(text)r could be %(a)s or %(b)s: write it as %(a)s or %(c)s, or give the column a value with decimals",
            text=text,
            a=f"{whole}{frac}",
            b=f"{whole}.{frac}",
            c=f"{whole} {frac},00",
        )
    )


def _groups_ok(number: str, mark: str) -> bool:
    head, *rest = number.split(mark)
    return 1 <= len(head) <= 3 and all(len(g) == 3 for g in rest)


def cell_amount(text: str, currency: str, decimal: str | None = None) -> int:
    """An amount cell in minor units of `currency` (the cell's own symbol or code must agree)."""
    got = read_amount(text, decimal)
    if got.currency and got.currency != currency:
        raise CellError(
            _(
                "%(text)r is in %(got)s, the row says %(currency)s",
                text=text.strip(),
                got=got.currency,
                currency=currency,
            )
        )
    try:
        return parse_amount(got.decimal, currency)
    except Invalid as e:
        raise CellError(e.errors[0].reason) from None


def cell_currency(text: str) -> str:
    """An ISO 4217 code, or a symbol that names one (₽ € $ £ ...)."""
    code = _currency_mark(text, text) if text.strip() else None
    if code is None or code not in MINOR_UNITS:
        raise CellError(_("not an ISO 4217 currency code such as EUR"))
    return code


def cell_tags(text: str) -> tuple[str, ...]:
    """Tags separated by ;, | or ::: (Google's Labels); Google's own labels ("* myContacts", "* starred")
    are left out."""
    parts = (t.strip() for t in re.split(r"[;|]|:::", text))
    return tuple(sorted({t for t in parts if t and not t.startswith("* ")}))
