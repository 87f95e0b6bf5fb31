"""Money as integer minor units plus an ISO 4217 currency, parsed from decimal text exactly."""

from __future__ import annotations

import functools
import re
from collections.abc import Callable
from dataclasses import dataclass

from referrals.errors import FieldError, Invalid
from referrals.i18n import _

# ISO 4217 active codes and their minor-unit exponents. Codes without a minor unit
# (precious metals, testing codes) are left out on purpose: they are not money a client pays.
_ZERO = "BIF CLP DJF GNF ISK JPY KMF KRW PYG RWF UGX UYI VND VUV XAF XOF XPF"
_THREE = "BHD IQD JOD KWD LYD OMR TND"
_FOUR = "CLF UYW"
_TWO = (
    "AED AFN ALL AMD ANG AOA ARS AUD AWG AZN BAM BBD BDT BGN BMD BND BOB BOV BRL BSD BTN BWP "
    "BYN BZD CAD CDF CHE CHF CHW CNY COP COU CRC CUC CUP CVE CZK DKK DOP DZD EGP ERN ETB EUR "
    "FJD FKP GBP GEL GHS GIP GMD GTQ GYD HKD HNL HTG HUF IDR ILS INR IRR JMD KES KGS KHR KPW "
    "KYD KZT LAK LBP LKR LRD LSL MAD MDL MGA MKD MMK MNT MOP MRU MUR MVR MWK MXN MXV MYR MZN "
    "NAD NGN NIO NOK NPR NZD PAB PEN PGK PHP PKR PLN QAR RON RSD RUB SAR SBD SCR SDG SEK SGD "
    "SHP SLE SLL SOS SRD SSP STN SVC SYP SZL THB TJS TMT TOP TRY TTD TWD TZS UAH USD USN UYU "
    "UZS VED VES WST XCD XCG YER ZAR ZMW ZWG ZWL"
)

MINOR_UNITS: dict[str, int] = {
    **dict.fromkeys(_TWO.split(), 2),
    **dict.fromkeys(_ZERO.split(), 0),
    **dict.fromkeys(_THREE.split(), 3),
    **dict.fromkeys(_FOUR.split(), 4),
}

# Amounts stay well inside a signed 64-bit integer, the widest integer Neo4j and SQLite store.
MAX_MINOR = 10**15

_DECIMAL = re.compile(r"^([+-]?)(\d+)(?:\.(\d+))?$")


def parse_currency(text: object, field: str = "currency") -> str:
    """Return the ISO 4217 code for `text` (case-insensitive) or raise Invalid."""
    if not isinstance(text, str) or not text.strip():
        raise Invalid.one(field, _("required: an ISO 4217 code such as EUR"))
    code = text.strip().upper()
    if code not in MINOR_UNITS:
        raise Invalid.one(field, _("%(text)r is not an ISO 4217 currency code", text=text.strip()))
    return code


def parse_amount(text: object, currency: str, field: str = "amount") -> int:
    """Parse a decimal string such as "1234.50" into minor units of `currency`, exactly.

    Floats are refused: 0.1 has no exact binary form, and money must not drift.
    """
    if isinstance(text, bool) or not isinstance(text, (str, int)):
        raise Invalid.one(field, _('must be a decimal string such as "1234.50"'))
    raw = str(text).strip()
    m = _DECIMAL.match(raw)
    if not m:
        raise Invalid.one(
            field,
            _('%(raw)r is not a decimal amount: use digits, an optional "." and no thousands separators', raw=raw),
        )
    sign, whole, frac = m.group(1), m.group(2), m.group(3) or ""
    digits = MINOR_UNITS[currency]
    significant = frac.rstrip("0")
    if len(significant) > digits:
        raise Invalid.one(
            field,
            _(
                "%(raw)r has more decimal places than %(currency)s allows (%(digits)s)",
                raw=raw,
                currency=currency,
                digits=digits,
            ),
        )
    minor = int(whole) * 10**digits + (int(significant.ljust(digits, "0")) if digits else 0)
    if minor >= MAX_MINOR:
        raise Invalid.one(field, _("%(raw)r is too large", raw=raw))
    return -minor if sign == "-" else minor


def format_amount(minor: int, currency: str) -> str:
    """Render minor units as a plain decimal string ("-0.05", "1234.50", "120" for JPY)."""
    return amount_formatter(currency)(minor)


@functools.cache
def amount_formatter(currency: str) -> Callable[[int], str]:
    """`format_amount` for one currency, its digits looked up once: statements format ~10^5 amounts.

    An unknown currency raises KeyError, as `MINOR_UNITS[currency]` does."""
    digits = MINOR_UNITS[currency]
    if not digits:
        return str  # whole units: "-120", "120"
    unit = 10**digits
    positive = f"%d.%0{digits}d"  # whole units, then the fraction padded to the currency's digits
    negative = "-" + positive

    def format_minor(minor: int) -> str:
        return negative % divmod(-minor, unit) if minor < 0 else positive % divmod(minor, unit)

    return format_minor


@dataclass(frozen=True, slots=True)
class Money:
    """An exact amount: integer minor units and the ISO 4217 currency they count."""

    minor: int
    currency: str

    @classmethod
    def parse(cls, amount: object, currency: object) -> Money:
        """Build from user text, collecting errors for both fields at once."""
        errors: list[FieldError] = []
        code = ""
        try:
            code = parse_currency(currency)
        except Invalid as e:
            errors += e.errors
        minor = 0
        if code:
            try:
                minor = parse_amount(amount, code)
            except Invalid as e:
                errors += e.errors
        if errors:
            raise Invalid(errors)
        return cls(minor, code)

    def __str__(self) -> str:
        return f"{format_amount(self.minor, self.currency)} {self.currency}"

    @property
    def decimal(self) -> str:
        """The amount as a decimal string without the currency."""
        return format_amount(self.minor, self.currency)
