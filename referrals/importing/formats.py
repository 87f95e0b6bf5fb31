"""Contacts where they live: vCard files, the Telegram Desktop export, and the CSV exports of Google
Contacts, LinkedIn and the CRMs small businesses use (amoCRM, Bitrix24, HubSpot).

A CSV export is an ordinary table whose headers say where it came from; a profile reads its columns the
way that tool means them (README "Contacts and CRM exports" lists each column). vCard and Telegram are
read into client rows here; both go through the same planning as any other file.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from referrals.importing.columns import IGNORE, fold

KEEP = "keep"  # a profile's column kept in the notes as "Header: value", with no warning


@dataclass(frozen=True)
class Profile:
    """How one tool's export names its columns."""

    name: str
    marks: frozenset[str]  # folded headers only this export has: any one of them tells it apart
    fields: Mapping[str, str] = field(default_factory=dict)  # folded header -> field, IGNORE or KEEP
    patterns: tuple[tuple[str, str], ...] = ()  # (regex over folded headers, field, IGNORE or KEEP)

    def __post_init__(self) -> None:
        object.__setattr__(self, "marks", frozenset(fold(m) for m in self.marks))

    def field_of(self, header: str) -> str | None:
        key = fold(header)
        if key in self.fields:
            return self.fields[key]
        for pattern, target in self.patterns:
            if re.fullmatch(pattern, key):
                return target
        return None


def _folded(table: Mapping[str, str]) -> dict[str, str]:
    return {fold(k): v for k, v in table.items()}


PROFILES: tuple[Profile, ...] = (
    # Google Contacts "Export > Google CSV": numbered E-mail/Phone/Organization groups, Labels
    # (formerly Group Membership) as "* myContacts ::: Friends".
    Profile(
        "google",
        frozenset({"email1value", "phone1value", "groupmembership", "fileas", "organization1name"}),
        _folded(
            {
                "Name": "name",
                "Given Name": "first_name",
                "Additional Name": "middle_name",
                "Family Name": "last_name",
                "Labels": "tags",
                "Group Membership": "tags",
                "Notes": "notes",
                "Organization Name": KEEP,
                "Organization Title": KEEP,
                "Organization 1 - Name": KEEP,
                "Organization 1 - Title": KEEP,
                "Nickname": KEEP,
                "Birthday": KEEP,
            }
        ),
        (
            (r"email\d+value", "email"),
            (r"phone\d+value", "phone"),
            (r"(email|phone|address|website|im|relation|event|customfield)\d+(label|type)", IGNORE),
            (r"phonetic.*|nameprefix|namesuffix|fileas|photo|yominame|.*yomi", IGNORE),
        ),
    ),
    # LinkedIn "Get a copy of your data > Connections": a "Notes:" preamble, then these columns.
    Profile(
        "linkedin",
        frozenset({"connectedon"}),
        _folded({"URL": KEEP, "Company": KEEP, "Position": KEEP, "Connected On": KEEP, "Email Address": "email"}),
    ),
    # amoCRM "Контакты > Экспорт": the standard contact fields.
    Profile(
        "amocrm",
        frozenset({"личныйemail", "полноеимяконтакта", "компанияконтакта"}),
        _folded(
            {
                "ID": "external_id",
                "Полное имя контакта": "name",
                "Наименование": "name",
                "Компания контакта": KEEP,
                "Компания": KEEP,
                "Должность": KEEP,
                "Рабочий телефон": "phone",
                "Мобильный телефон": "phone",
                "Домашний телефон": "phone",
                "Другой телефон": "phone",
                "Рабочий email": "email",
                "Личный email": "email",
                "Другой email": "email",
                "Теги": "tags",
                "Примечание": "notes",
                "Ответственный": IGNORE,
                "Дата создания": KEEP,
                "Кем создан": IGNORE,
                "Дата изменения": IGNORE,
                "Кем изменен": IGNORE,
            }
        ),
    ),
    # Bitrix24 "CRM > Контакты > Экспорт в CSV/Excel" (cp1251 and ";" by default).
    Profile(
        "bitrix24",
        frozenset({"частныйemail", "обращение", "дополнительнообисточнике"}),
        _folded(
            {
                "ID": "external_id",
                "Обращение": IGNORE,
                "Компания": KEEP,
                "Должность": KEEP,
                "Рабочий телефон": "phone",
                "Мобильный телефон": "phone",
                "Домашний телефон": "phone",
                "Другой телефон": "phone",
                "Рабочий e-mail": "email",
                "Частный e-mail": "email",
                "Другой e-mail": "email",
                "Источник": KEEP,  # Bitrix24's lead source ("Звонок", "Веб-сайт"): not who recommended
                "Дополнительно об источнике": KEEP,
                "Комментарий": "notes",
                "Дата рождения": KEEP,
                "Дата создания": KEEP,
                "Ответственный": IGNORE,
                "Кем создан": IGNORE,
                "Дата изменения": IGNORE,
                "Кем изменен": IGNORE,
            }
        ),
    ),
    # HubSpot "Contacts > Export": the default property labels.
    Profile(
        "hubspot",
        frozenset({"recordid", "lifecyclestage", "contactowner", "leadstatus"}),
        _folded(
            {
                "Record ID": "external_id",
                "Email": "email",
                "Phone Number": "phone",
                "Mobile Phone Number": "phone",
                "Company Name": KEEP,
                "Job Title": KEEP,
                "Lifecycle Stage": KEEP,
                "Lead Status": KEEP,
                "Original Source": KEEP,
                "Create Date": KEEP,
                "Contact owner": IGNORE,
                "Last Activity Date": IGNORE,
                "Associated Company": KEEP,
            }
        ),
    ),
)
BY_NAME = {p.name: p for p in PROFILES}
MULTI = frozenset({"email", "phone"})  # fields several columns may hold: the first filled one is the record's


def profile_of(headers: Iterable[str], forced: str | None = None) -> Profile | None:
    """The export a table's headers come from, or the one forced (--format)."""
    if forced:
        return BY_NAME.get(forced)
    folded = {fold(h) for h in headers}
    for p in PROFILES:
        if folded & p.marks:
            return p
    return None


# -- vCard ------------------------------------------------------------------------------------


def vcard_rows(text: str) -> Iterable[tuple[dict[str, str], dict[str, str]]]:
    """Each card of a vCard file (2.1, 3.0 or 4.0; RFC 2426 / 6350) as (values by field, kept notes).

    The name is FN, else N (given, additional, family); the email and the phone are the preferred one
    (PREF, TYPE=pref, then a mobile number), the others kept in the notes; ORG, TITLE and CATEGORIES
    (as tags) too. Raises ValueError for text that is not vCard.
    """
    import vobject

    for card in vobject.readComponents(_joined_soft_breaks(text), ignoreUnreadable=True):
        if card.name != "VCARD":
            continue
        values: dict[str, str] = {}
        kept: dict[str, str] = {}
        name = _first(card, "fn")
        if not name and "n" in card.contents:
            n = card.contents["n"][0].value
            name = " ".join(x for x in (_join(n.given), _join(n.additional), _join(n.family)) if x)
        if name:
            values["name"] = name.strip()
        for key, label in (("email", "email"), ("tel", "phone")):
            lines = sorted(card.contents.get(key, []), key=_preference)
            found = [_plain_value(line.value) for line in lines if _plain_value(line.value)]
            if found:
                values[label] = found[0]
            for i, other in enumerate(found[1:], 2):
                kept[f"{'Email' if key == 'email' else 'Phone'} {i}"] = other
        notes = [str(line.value).strip() for line in card.contents.get("note", []) if str(line.value).strip()]
        if notes:
            values["notes"] = "\n".join(notes)
        tags = [t for line in card.contents.get("categories", []) for t in _list(line.value)]
        if tags:
            values["tags"] = ";".join(tags)
        org = "; ".join(o for line in card.contents.get("org", []) if (o := _join(line.value)))
        if org:
            kept["Organization"] = org
        title = _first(card, "title")
        if title:
            kept["Title"] = title
        if values or kept:
            yield values, kept


def _joined_soft_breaks(text: str) -> str:
    """vCard 2.1 quoted-printable values (Android's Cyrillic names) broken over lines with a trailing
    "=" (RFC 2045 soft line breaks) put back on one line, which the parser needs."""
    out: list[str] = []
    joining = False
    for line in text.splitlines():
        if joining:
            out[-1] = out[-1][:-1] + line.lstrip()
        else:
            out.append(line)
        joining = out[-1].endswith("=") and "QUOTED-PRINTABLE" in out[-1].upper()
    return "\r\n".join(out) + "\r\n"


def _first(card: Any, key: str) -> str:
    lines = card.contents.get(key, [])
    return str(lines[0].value).strip() if lines else ""


def _join(value: Any) -> str:
    return " ".join(v.strip() for v in _list(value) if v.strip())


def _list(value: Any) -> list[str]:
    return [str(v) for v in value] if isinstance(value, list | tuple) else [str(value)]


def _plain_value(value: Any) -> str:
    text = str(value).strip()
    return text[4:] if text.lower().startswith("tel:") else text[7:] if text.lower().startswith("mailto:") else text


def _preference(line: Any) -> tuple[int, int]:
    params = {k.upper(): [str(v).lower() for v in vs] for k, vs in line.params.items()}
    types = params.get("TYPE", [])
    pref = int(params["PREF"][0]) if params.get("PREF", [""])[0].isdigit() else (1 if "pref" in types else 100)
    mobile = 0 if "cell" in types or "mobile" in types else 1
    return (pref, mobile)


# -- Telegram Desktop export ------------------------------------------------------------------


def is_telegram(doc: Any) -> bool:
    """The result.json of Telegram Desktop's "Export Telegram data" with contacts in it."""
    return (
        isinstance(doc, dict)
        and isinstance(doc.get("contacts"), dict)
        and isinstance(doc["contacts"].get("list"), list)
    )


def telegram_rows(doc: dict[str, Any]) -> Iterable[tuple[int, dict[str, str], dict[str, str]]]:
    """Each contact of contacts.list as (number, values, kept): first and last name, the phone number,
    and the day it was added to the contacts (kept in the notes)."""
    for number, item in enumerate(doc["contacts"]["list"], 1):
        if not isinstance(item, dict):
            yield number, {}, {}
            continue
        name = " ".join(str(item.get(k) or "").strip() for k in ("first_name", "last_name")).strip()
        values = {"name": name} if name else {}
        if str(item.get("phone_number") or "").strip():
            values["phone"] = str(item["phone_number"]).strip()
        kept = {"Telegram contact since": str(item["date"])[:10]} if item.get("date") else {}
        yield number, values, kept
