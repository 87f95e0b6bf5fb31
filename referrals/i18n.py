"""Languages: the message catalogues and the language of the current request or command.

Every user-facing sentence is an English message id marked `_()` (or `ngettext()` for a count, `N_()`
where it is translated later, when shown) and looked up in a gettext catalogue compiled by Babel
(`referrals/locale/<lang>/LC_MESSAGES/referrals.mo`, from the `.po` beside it; `python -m tools.catalog`
extracts, updates and compiles them). English is the message ids themselves; its catalogue lists every
message so a translator can start from it.

The language is a context variable: the API sets it per request from `Accept-Language`, the command line
once from `--lang` or the environment (`LANGUAGE`, `LC_ALL`, `LC_MESSAGES`, `LANG`). Field names, error
codes, ids, dates on the wire and CSV/JSON headers never change with it. Dates, numbers and money are
formatted for people by Babel from CLDR (`format_date`, `format_money`, ...).
"""

from __future__ import annotations

import gettext as _gettext
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from contextvars import ContextVar
from datetime import date
from decimal import Decimal
from functools import cache
from pathlib import Path

from babel import Locale, UnknownLocaleError
from babel import dates as _dates
from babel import numbers as _numbers

LANGUAGES = ("en", "ru")
DEFAULT = "en"
DOMAIN = "referrals"
LOCALE_DIR = Path(__file__).parent / "locale"
NAMES = {"en": "English", "ru": "Русский"}

_current: ContextVar[str] = ContextVar("referrals_language", default=DEFAULT)


@cache
def translations(lang: str) -> _gettext.NullTranslations:
    """The compiled catalogue of `lang` (English: the message ids as they are)."""
    if lang == DEFAULT:
        return _gettext.NullTranslations()
    return _gettext.translation(DOMAIN, LOCALE_DIR, languages=[lang])


def current() -> str:
    """The language of this request or command."""
    return _current.get()


def activate(lang: str) -> None:
    """Speak `lang` from now on in this context (a command's whole run, a request's thread)."""
    _current.set(lang if lang in LANGUAGES else DEFAULT)


@contextmanager
def use(lang: str) -> Iterator[None]:
    """Speak `lang` inside the block."""
    token = _current.set(lang if lang in LANGUAGES else DEFAULT)
    try:
        yield
    finally:
        _current.reset(token)


def gettext(message: str, /, **params: object) -> str:
    """`message` in the current language, with `%(name)s` placeholders filled from `params`."""
    text = translations(_current.get()).gettext(message)
    return text % params if params else text


_ = gettext


def ngettext(singular: str, plural: str, n: int, /, **params: object) -> str:
    """The form for `n` in the current language ("1 клиент", "2 клиента", "5 клиентов"); `%(n)s` is `n`
    written for people."""
    text = translations(_current.get()).ngettext(singular, plural, n)
    return text % {"n": format_number(n), **params}


def N_(message: str) -> str:
    """Mark `message` for the catalogue without translating it now (it is translated when shown)."""
    return message


def Nn_(singular: str, plural: str) -> tuple[str, str]:
    """Mark a count's two English forms for the catalogue; `ngettext(*pair, n)` translates them later."""
    return singular, plural


# How many of a kind of record, for people ("3 clients"), by the stores' names of the kinds.
COUNTS = {
    "client": Nn_("%(n)s client", "%(n)s clients"),
    "channel": Nn_("%(n)s channel", "%(n)s channels"),
    "referral": Nn_("%(n)s recommendation", "%(n)s recommendations"),
    "deal": Nn_("%(n)s deal", "%(n)s deals"),
    "closed_month": Nn_("%(n)s closed month", "%(n)s closed months"),
    "closed_chunk": Nn_("%(n)s part of a closed month", "%(n)s parts of closed months"),
    "source_change": Nn_("%(n)s change of source", "%(n)s changes of source"),
    "dismissal": Nn_("%(n)s dismissed finding", "%(n)s dismissed findings"),
    "token": Nn_("%(n)s token", "%(n)s tokens"),
}


def count(kind: str, n: int) -> str:
    """`n` records of a kind (its store name, singular or plural: "client", "clients") for people, in the
    current language: "1 клиент", "5 clients"."""
    kind = kind.removesuffix("s")
    if kind in COUNTS:
        return ngettext(*COUNTS[kind], n)
    return f"{format_number(n)} {kind.replace('_', ' ')}"


def lazy(message: str) -> str:
    """`message` in the current language when it was marked earlier with `N_()`."""
    return translations(_current.get()).gettext(message) if message else message


# -- choosing the language -------------------------------------------------------------------


def supported(tag: str | None) -> str | None:
    """The language of ours a tag such as "ru_RU.UTF-8", "ru-RU" or "RU" names, else None."""
    if not tag:
        return None
    head = tag.strip().split(".")[0].split("@")[0].replace("-", "_").split("_")[0].lower()
    return head if head in LANGUAGES else None


def from_environment(env: Mapping[str, str]) -> str:
    """The language the environment asks for: the first of LANGUAGE (a list), LC_ALL, LC_MESSAGES and
    LANG that is set (the POSIX order; "C" and "POSIX" mean English), else English."""
    for name in ("LANGUAGE", "LC_ALL", "LC_MESSAGES", "LANG"):
        value = env.get(name, "").strip()
        if not value:
            continue
        if name == "LANGUAGE":
            for tag in value.split(":"):
                if lang := supported(tag):
                    return lang
            continue
        return supported(value) or DEFAULT
    return DEFAULT


def negotiate(accept_language: str | None) -> str:
    """The best of our languages for an Accept-Language header (q-values honoured), else English."""
    best: tuple[float, int, str] | None = None
    for i, part in enumerate((accept_language or "").split(",")):
        tag, _sep, params = part.strip().partition(";")
        q = 1.0
        for p in params.split(";"):
            key, _eq, value = p.strip().partition("=")
            if key.strip() == "q":
                try:
                    q = float(value)
                except ValueError:
                    q = 0.0
        lang = DEFAULT if tag.strip() == "*" else supported(tag)
        if lang and q > 0 and (best is None or (q, -i) > (best[0], best[1])):
            best = (q, -i, lang)
    return best[2] if best else DEFAULT


# -- formatting for people (CLDR through Babel) ----------------------------------------------


@cache
def locale(lang: str | None = None) -> Locale:
    """Babel's locale of `lang` (default: the current language)."""
    try:
        return Locale.parse(lang or DEFAULT)
    except (UnknownLocaleError, ValueError):
        return Locale.parse(DEFAULT)


def _here() -> Locale:
    return locale(_current.get())


def format_date(day: date) -> str:
    """A day as people of the current language write it: 31.10.2026 in Russian. English writes ISO 8601
    (2026-10-31): its one catalogue serves readers who put the day first and readers who put the month
    first, and only the ISO form reads the same to both."""
    if _current.get() == DEFAULT:
        return day.isoformat()
    return _dates.format_date(day, "short", locale=_here())


def format_month(month: str) -> str:
    """A YYYY-MM month for people: "October 2026", "октябрь 2026"."""
    return _dates.format_date(date.fromisoformat(month + "-01"), "LLLL y", locale=_here())


def format_number(n: int | float | Decimal) -> str:
    """A number with the current language's separators: 1,250 or 1 250."""
    return _numbers.format_decimal(n, locale=_here())


def format_money(minor: int, currency: str) -> str:
    """Integer minor units of an ISO 4217 currency for people: "1 250,50 ₽", "€1,250.50"."""
    from referrals.money import MINOR_UNITS

    exponent = MINOR_UNITS.get(currency, 2)
    amount = Decimal(minor).scaleb(-exponent)
    return _numbers.format_currency(amount, currency, locale=_here(), decimal_quantization=False)


def format_percent(share: float) -> str:
    """A share (0.25) as a percentage for people: 25%, 25 %."""
    return _numbers.format_percent(share, locale=_here())


def format_amount_text(amount: str, currency: str | None = None) -> str:
    """A decimal amount as the exports write it ("1250.50") for people, with its currency when given:
    "1 250,50 ₽", "€1,250.50", "1 250,50"."""
    value = Decimal(amount)
    if currency:
        return _numbers.format_currency(value, currency, locale=_here(), decimal_quantization=False)
    digits = len(amount.partition(".")[2])
    return _numbers.format_decimal(value, format="#,##0." + "0" * digits if digits else "#,##0", locale=_here())


# -- the page's share of the catalogue -------------------------------------------------------


@cache
def page_messages(lang: str) -> dict[str, str | dict[str, str]]:
    """The messages of the network page (those the catalogue locates in api/static/app/) in `lang`:
    a text per message id, or for a count the form per CLDR plural category ("one", "few", "many",
    "other"), which the browser picks with Intl.PluralRules. English: {} (the ids are the words)."""
    if lang not in LANGUAGES or lang == DEFAULT:
        return {}
    from babel.messages.pofile import read_po

    with (LOCALE_DIR / lang / "LC_MESSAGES" / f"{DOMAIN}.po").open("rb") as f:
        catalog = read_po(f, locale=lang, domain=DOMAIN)
    out: dict[str, str | dict[str, str]] = {}
    for m in catalog:
        if not m.id or not any(path.startswith("api/static/app/") for path, _line in m.locations):
            continue
        if isinstance(m.id, tuple):
            out[m.id[0]] = forms_by_category(lang, m.string if isinstance(m.string, tuple) else (m.string,))
        elif m.string:
            out[m.id] = m.string
    return out


def forms_by_category(lang: str, forms: tuple[str, ...]) -> dict[str, str]:
    """A count's gettext forms (in the catalogue's order) keyed by CLDR plural category: a number of each
    category is put through the catalogue's own plural rule to find its form."""
    rules = locale(lang).plural_form
    samples: dict[str, float] = {}
    for n in [*range(200), 1.5]:
        samples.setdefault(rules(n), n)
    plural = getattr(translations(lang), "plural", lambda n: int(n != 1))  # English: the ids' own rule
    # a category only fractions reach (Russian "other": 1,5) takes the general plural; counts are whole
    return {
        tag: forms[min(plural(n), len(forms) - 1) if isinstance(n, int) else len(forms) - 1]
        for tag, n in samples.items()
    }
