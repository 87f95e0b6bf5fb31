"""Which field a column holds: header names as people write them (English and Russian), and --map.

A header is compared after folding: letters lower-cased, accents and other marks dropped (so "Откуда
пришёл" matches "откуда пришел" and "Téléphone" matches "telephone"), spaces, dashes, dots, underscores
and a trailing colon ignored.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Mapping

from referrals.errors import Invalid
from referrals.i18n import _

# field -> the header names read as it, written without spaces (each is folded by `fold` when compared).
ALIASES: dict[str, tuple[str, ...]] = {
    "name": (
        "name",
        "clientname",
        "fullname",
        "customer",
        "customername",
        "contact",
        "contactname",
        "фио",
        "полноеимя",
        "имяклиента",
        "названиеклиента",
        "контакт",
    ),
    "first_name": ("firstname", "givenname", "имя"),
    "middle_name": ("middlename", "additionalname", "отчество"),
    "last_name": ("lastname", "surname", "familyname", "фамилия"),
    "email": ("email", "mail", "emailaddress", "почта", "электроннаяпочта", "эпочта", "емейл", "емэйл"),
    "phone": (
        "phone",
        "phonenumber",
        "telephone",
        "tel",
        "mobile",
        "cell",
        "телефон",
        "тел",
        "мобильный",
        "мобильныйтелефон",
        "сотовый",
        "номертелефона",
    ),
    "status": ("status", "статус"),
    "tags": ("tags", "tag", "labels", "теги", "тег", "метки"),
    "external_id": (
        "externalid",
        "crmid",
        "clientid",
        "id",
        "invoice",
        "invoicenumber",
        "invoiceno",
        "ид",
        "внешнийid",
        "номерсчета",
    ),
    "notes": (
        "notes",
        "note",
        "comments",
        "comment",
        "заметки",
        "заметка",
        "примечание",
        "примечания",
        "комментарий",
        "комментарии",
    ),
    "acquired_on": (
        "acquiredon",
        "clientsince",
        "since",
        "acquired",
        "firstpurchase",
        "клиентс",
        "датапервойпокупки",
        "датаприхода",
    ),
    "referred_by": (
        "referredby",
        "recommendedby",
        "referrer",
        "source",
        "referralsource",
        "referredfrom",
        "ктопорекомендовал",
        "порекомендовал",
        "рекомендовал",
        "ктопривел",
        "откудапришел",
        "откуда",
        "источник",
    ),
    "referred_on": (
        "referredon",
        "referraldate",
        "recommendedon",
        "datereferred",
        "датарекомендации",
        "когдапорекомендовал",
    ),
    "channel": ("channel", "channelname", "канал", "названиеканала"),
    "kind": ("kind", "channelkind", "type", "тип", "типканала"),
    "url": ("url", "link", "website", "ссылка", "сайт", "адрес"),
    "client": ("client", "clientemail", "payer", "paidby", "клиент", "плательщик", "покупатель", "заказчик"),
    "amount": ("amount", "total", "value", "price", "сумма", "стоимость", "цена", "итого"),
    "currency": ("currency", "cur", "валюта"),
    "closed_on": (
        "closedon",
        "date",
        "paidon",
        "invoicedate",
        "closed",
        "дата",
        "датаоплаты",
        "оплачено",
        "датасделки",
    ),
    "title": ("title", "description", "item", "название", "описание", "услуга", "товар"),
}
FIELDS = tuple(ALIASES)
IGNORE = "ignore"  # --map "Header=ignore": the column is read as nothing, with no warning


def fold(header: str) -> str:
    """A header as compared: lower case, no marks, no spaces, dashes, dots, underscores or colons."""
    decomposed = unicodedata.normalize("NFKD", header.strip().lower())
    bare = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    return re.sub(r"[\s_\-.:/\\()\"']+", "", bare)


# Columns no field reads that name the company a contact works for (kept in the notes as "Header: value");
# with the exact name they identify a person when no email, phone or external id does (plan.py).
COMPANY_HEADERS = frozenset(
    fold(h)
    for h in (
        "Company",
        "Company Name",
        "Associated Company",
        "Organization",
        "Organisation",
        "Organization Name",
        "Organization 1 - Name",
        "Employer",
        "Компания",
        "Компания контакта",
        "Организация",
        "Место работы",
    )
)


def company_in(pairs: Iterable[tuple[str, str]]) -> str | None:
    """The first company named among (header, value) pairs, compared as names are (case-insensitive)."""
    for header, value in pairs:
        if fold(header) in COMPANY_HEADERS and value.strip():
            return " ".join(value.split()).casefold()
    return None


def company_of_notes(notes: str | None) -> str | None:
    """The company a stored client's notes name on a "Header: value" line an import kept there."""
    if not notes:
        return None
    return company_in(tuple(part.strip() for part in line.split(":", 1)) for line in notes.splitlines() if ":" in line)


BY_ALIAS: dict[str, str] = {}
for _field, _aliases in ALIASES.items():
    for _alias in _aliases:
        assert BY_ALIAS.get(fold(_alias), _field) == _field, _alias  # each name means one field
        BY_ALIAS[fold(_alias)] = _field


def parse_mapping(items: Iterable[str]) -> dict[str, str]:
    """`--map "Header=field"` options as {folded header: field or IGNORE}; refused with the reason."""
    out: dict[str, str] = {}
    for i, item in enumerate(items):
        header, sep, target = item.partition("=")
        target = target.strip().lower()
        if not sep or not header.strip() or not target:
            raise Invalid.one(f"map[{i}]", _('%(item)r: write "Header=field", e.g. "Откуда=referred_by"', item=item))
        if target not in FIELDS and target != IGNORE:
            raise Invalid.one(
                f"map[{i}]",
                _(
                    "%(target)r is not a field; use one of %(fields)s or %(ignore)s",
                    target=target,
                    fields=", ".join(FIELDS),
                    ignore=IGNORE,
                ),
            )
        out[fold(header)] = target
    return out


def field_of(header: str, mapping: Mapping[str, str]) -> str | None:
    """The field a header names (the user's mapping first), IGNORE, or None for an unknown column."""
    key = fold(header)
    return mapping.get(key) or BY_ALIAS.get(key)
