"""Records of one workspace and the validated inputs that create or change them."""

from __future__ import annotations

import enum
import re
import unicodedata
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import date, datetime
from typing import Any, Final, Generic, TypeVar
from urllib.parse import urlsplit

import phonenumbers

from referrals.config import phone_region
from referrals.errors import FieldError, Invalid
from referrals.i18n import _
from referrals.ids import PREFIXES, looks_like_id
from referrals.money import Money

NAME_MAX = 200
NOTE_MAX = 2000
TAG_MAX = 40
TAGS_MAX = 30
EXTERNAL_ID_MAX = 200
EMAIL_MAX = 254


class _Unset(enum.Enum):
    UNSET = "UNSET"


T = TypeVar("T")
E = TypeVar("E", bound=enum.StrEnum)

UNSET: Final = _Unset.UNSET
"""Marks a patch field that was not given (None means "clear it")."""


class ClientStatus(enum.StrEnum):
    """Where a client stands with the business."""

    LEAD = "lead"
    ACTIVE = "active"
    INACTIVE = "inactive"


class ChannelKind(enum.StrEnum):
    """What sort of non-person source a channel is."""

    BLOG = "blog"
    SOCIAL = "social"
    AD = "ad"
    EVENT = "event"
    DIRECT = "direct"
    OTHER = "other"


class SourceKind(enum.StrEnum):
    """The two kinds of record that can recommend a client."""

    CLIENT = "client"
    CHANNEL = "channel"


class DeletePolicy(enum.StrEnum):
    """What to do with the clients a deleted client brought in."""

    REFUSE = "refuse"  # refuse while the client has referred anyone
    RELINK = "relink"  # hand the children to the deleted client's own primary source
    DETACH = "detach"  # the children become roots (no primary source)


@dataclass(frozen=True, slots=True)
class SourceRef:
    """Points at the client or channel that recommended someone."""

    kind: SourceKind
    id: str


@dataclass(frozen=True, slots=True, kw_only=True)
class Workspace:
    """One business's private data space."""

    id: str
    name: str
    created_at: datetime


@dataclass(frozen=True, slots=True, kw_only=True)
class Client:
    """A person or company the business works with (or a lead)."""

    id: str
    name: str
    email: str | None
    phone: str | None = None  # E.164, e.g. +79161234567
    status: ClientStatus
    tags: tuple[str, ...]
    external_id: str | None
    notes: str | None
    acquired_on: date | None
    created_at: datetime
    updated_at: datetime


@dataclass(frozen=True, slots=True, kw_only=True)
class Channel:
    """A non-person source of business: a post, a profile, an ad, an event, "direct"."""

    id: str
    name: str
    kind: ChannelKind
    url: str | None
    external_id: str | None
    notes: str | None
    created_at: datetime
    updated_at: datetime


@dataclass(frozen=True, slots=True, kw_only=True)
class Referral:
    """ "source recommended client": the primary one defines the client's chain."""

    id: str
    source: SourceRef
    client_id: str
    referred_on: date
    note: str | None
    primary: bool
    created_at: datetime


@dataclass(frozen=True, slots=True, kw_only=True)
class SourceChange:
    """One explicit re-attribution of a client's primary source, kept as history."""

    client_id: str
    previous: SourceRef | None
    previous_referral_id: str | None
    current: SourceRef | None
    referral_id: str | None
    reason: str | None
    changed_at: datetime


@dataclass(frozen=True, slots=True, kw_only=True)
class Deal:
    """Money a client paid: an order, an invoice, a project."""

    id: str
    client_id: str
    amount: Money
    closed_on: date
    title: str | None
    external_id: str | None
    created_at: datetime
    updated_at: datetime


@dataclass(frozen=True, slots=True, kw_only=True)
class ClosedMonth:
    """A calendar month whose attribution facts are frozen: its statement no longer follows the graph."""

    month: str  # YYYY-MM
    closed_at: datetime
    deals: int
    new_clients: int
    checksum: str  # sha256 of the frozen lines


@dataclass(frozen=True, slots=True, kw_only=True)
class ChainStep:
    """One level of a client's upstream chain: who recommended the level below, and when."""

    level: int
    source: SourceRef
    name: str
    referral_id: str
    referred_on: date


@dataclass(frozen=True, slots=True, kw_only=True)
class Chain:
    """A client's primary sources, nearest first, as far as the view asked (`steps`), and the whole
    chain's facts however far that was: `levels` steps up to `top`, the root client or channel it starts
    at (None for a client nobody brought in). `truncated` when the steps stop below the top."""

    client_id: str
    steps: tuple[ChainStep, ...]
    levels: int = 0
    top: ChainStep | None = None

    @property
    def truncated(self) -> bool:
        """The chain goes on above its last step shown."""
        return self.levels > len(self.steps)

    @classmethod
    def whole(cls, client_id: str, steps: tuple[ChainStep, ...]) -> Chain:
        """The chain with every step up to its top."""
        return cls(client_id=client_id, steps=steps, levels=len(steps), top=steps[-1] if steps else None)

    def cut(self, depth: int | None) -> Chain:
        """The same chain showing at most `depth` steps (None: all of them)."""
        if depth is None or depth >= len(self.steps):
            return self
        return Chain(client_id=self.client_id, steps=self.steps[:depth], levels=self.levels, top=self.top)


@dataclass(frozen=True, slots=True, kw_only=True)
class Beyond:
    """What a view cut at a depth leaves out: the clients past its last level, and their revenue."""

    clients: int = 0
    revenue: Mapping[str, int] = field(default_factory=dict)

    def __bool__(self) -> bool:
        return self.clients > 0


NOTHING_BEYOND = Beyond()


@dataclass(frozen=True, slots=True, kw_only=True)
class TreeNode:
    """One client in a downline, with the source that brought it in.

    `revenue` is the client's own deals summed per currency (minor units); `referred` counts the
    clients it brought in directly, also those past the view's depth. On the view's last level,
    `beyond` is what this client's branch holds past the cut.
    """

    level: int
    client_id: str
    name: str
    status: ClientStatus
    parent: SourceRef
    referral_id: str
    referred_on: date
    revenue: Mapping[str, int] = field(default_factory=dict)
    referred: int = 0
    beyond: Beyond = NOTHING_BEYOND


def beyond_of(nodes: Iterable[TreeNode]) -> Beyond:
    """What a tree leaves out past its depth: the sum of its last-level nodes' `beyond`."""
    clients, revenue = 0, {}
    for n in nodes:
        if n.beyond:
            clients += n.beyond.clients
            for currency, minor in n.beyond.revenue.items():
                revenue[currency] = revenue.get(currency, 0) + minor
    return Beyond(clients=clients, revenue=dict(sorted(revenue.items()))) if clients else NOTHING_BEYOND


@dataclass(frozen=True, slots=True, kw_only=True)
class Tree:
    """A client's or channel's downline, fetched in one query; nodes by level.

    `depth` is the deepest level shown, None for the whole downline; `beyond` sums what lies past it
    (the `beyond` of every last-level node), so shown + beyond is always the whole downline."""

    root: SourceRef
    name: str
    revenue: Mapping[str, int]
    referred: int
    depth: int | None
    nodes: tuple[TreeNode, ...]
    beyond: Beyond = NOTHING_BEYOND


@dataclass(frozen=True, slots=True)
class Snapshot:
    """A whole workspace's network, for analysis and exports."""

    clients: tuple[Client, ...]
    channels: tuple[Channel, ...]
    referrals: tuple[Referral, ...]
    revenue: Mapping[str, Mapping[str, int]]  # client id -> currency -> minor units


@dataclass(frozen=True, slots=True)
class Page(Generic[T]):
    """One page of a listing; pass `next_after` back to get the next page."""

    items: tuple[T, ...]
    next_after: str | None

    @classmethod
    def from_overfetch(cls, items: Sequence[Any], limit: int) -> Page[Any]:
        """A page from `limit + 1` fetched items: the extra one only says that more follow."""
        if len(items) > limit:
            return cls(tuple(items[:limit]), items[limit - 1].id)
        return cls(tuple(items), None)


# --- validated inputs -------------------------------------------------------------------

_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
_TAG = re.compile(r"^[\w][\w .:/+-]*$")


def clean_text(value: object, field: str, *, required: bool, max_len: int, errors: list[FieldError]) -> str | None:
    """Trim and normalize (NFC) a text field; collect an error instead of raising."""
    if value is None:
        if required:
            errors.append(FieldError(field, _("required")))
        return None
    if not isinstance(value, str):
        errors.append(FieldError(field, _("must be a string")))
        return None
    text = unicodedata.normalize("NFC", value).strip()
    if not text:
        if required:
            errors.append(FieldError(field, _("must not be blank")))
        return None
    if any(unicodedata.category(ch) == "Cc" and ch not in "\n\t" for ch in text):
        errors.append(FieldError(field, _("must not contain control characters")))
        return None
    if len(text) > max_len:
        errors.append(FieldError(field, _("must be at most %(n)s characters", n=max_len)))
        return None
    return text


def clean_email(value: object, errors: list[FieldError]) -> str | None:
    """Normalize an email (trimmed, lower case) or collect why it is refused."""
    text = clean_text(value, "email", required=False, max_len=EMAIL_MAX, errors=errors)
    if text is None:
        return None
    text = text.lower()
    if not _EMAIL.match(text):
        errors.append(FieldError("email", _("%(text)r is not an email address", text=text)))
        return None
    return text


PHONE_MAX: Final = 40


def clean_phone(value: object, errors: list[FieldError]) -> str | None:
    """A phone number as written (+7 916 123-45-67, 8 (916) 123-45-67, 00 44 20 7946 0958) in E.164
    (+79161234567); a number without its country code is read in the default region
    (REFERRALS_PHONE_REGION, RU unless set). Refused, with the reason, when it is no possible number."""
    text = clean_text(value, "phone", required=False, max_len=PHONE_MAX, errors=errors)
    if text is None:
        return None
    try:
        number = phonenumbers.parse(text, phone_region())
    except phonenumbers.NumberParseException:
        errors.append(FieldError("phone", _("%(text)r is not a phone number", text=text)))
        return None
    if not phonenumbers.is_possible_number(number):
        errors.append(
            FieldError(
                "phone", _("%(text)r is not a possible phone number: check its digits and country code", text=text)
            )
        )
        return None
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


URL_MAX: Final = 2000


def clean_url(value: object, errors: list[FieldError]) -> str | None:
    """A channel's web address: http or https with a host; any other scheme (javascript:, data:) is refused."""
    text = clean_text(value, "url", required=False, max_len=URL_MAX, errors=errors)
    if text is None:
        return None
    try:
        parts = urlsplit(text)
    except ValueError:
        parts = None
    if parts is None or parts.scheme.lower() not in ("http", "https") or not parts.netloc:
        errors.append(FieldError("url", _("%(text)r is not an http:// or https:// address", text=text)))
        return None
    return text


def clean_tags(value: object, errors: list[FieldError]) -> tuple[str, ...]:
    """Tags are trimmed, lower-cased, de-duplicated and sorted."""
    if value is None:
        return ()
    if isinstance(value, str) or not isinstance(value, Iterable):
        errors.append(FieldError("tags", _("must be a list of strings")))
        return ()
    tags: set[str] = set()
    for i, tag in enumerate(value):
        if not isinstance(tag, str):
            errors.append(FieldError(f"tags[{i}]", _("must be a string")))
            continue
        t = unicodedata.normalize("NFC", tag).strip().lower()
        if not t or len(t) > TAG_MAX or not _TAG.match(t):
            errors.append(
                FieldError(
                    f"tags[{i}]",
                    _("%(tag)r is not a tag: 1-%(most)s letters, digits, spaces or . : / + - _", tag=tag, most=TAG_MAX),
                )
            )
            continue
        tags.add(t)
    if len(tags) > TAGS_MAX:
        errors.append(FieldError("tags", _("at most %(n)s tags", n=TAGS_MAX)))
    return tuple(sorted(tags))


def kind_of_id(text: str) -> str | None:
    """ "client" or "channel" when `text` is shaped like an id of one (its prefix says which), else None."""
    if looks_like_id(text):
        for kind in (SourceKind.CLIENT, SourceKind.CHANNEL):
            if text.startswith(PREFIXES[kind.value] + "_"):
                return kind.value
    return None


def clean_date(value: object, field: str, errors: list[FieldError], *, required: bool) -> date | None:
    """Accept a date or an ISO 8601 calendar date string (YYYY-MM-DD)."""
    if value is None:
        if required:
            errors.append(FieldError(field, _("required")))
        return None
    if isinstance(value, datetime):
        errors.append(FieldError(field, _("must be a date (YYYY-MM-DD), not a date and time")))
        return None
    if isinstance(value, date):
        return value
    if isinstance(value, str):
        try:
            if len(value.strip()) == 10:
                return date.fromisoformat(value.strip())
        except ValueError:
            pass
        errors.append(FieldError(field, _("%(value)r is not an ISO 8601 date (YYYY-MM-DD)", value=value)))
        return None
    errors.append(FieldError(field, _("must be an ISO 8601 date (YYYY-MM-DD)")))
    return None


def clean_enum(value: object, field: str, kind: type[E], errors: list[FieldError]) -> E | None:
    """Parse one of an enum's values, naming the allowed ones on failure."""
    try:
        return kind(value.strip().lower() if isinstance(value, str) else value)
    except ValueError:
        allowed = ", ".join(m.value for m in kind)
        errors.append(FieldError(field, _("%(value)r is not one of: %(allowed)s", value=value, allowed=allowed)))
        return None


def _raise_if(errors: list[FieldError]) -> None:
    if errors:
        raise Invalid(errors)


def name_key(name: str) -> str:
    """The case- and accent-insensitive form used for search and uniqueness."""
    return unicodedata.normalize("NFKC", name).casefold()


@dataclass(frozen=True, slots=True)
class ClientInput:
    """A validated new client (or a full replacement in a bulk upsert)."""

    name: str
    email: str | None = None
    status: ClientStatus = ClientStatus.ACTIVE
    tags: tuple[str, ...] = ()
    external_id: str | None = None
    notes: str | None = None
    acquired_on: date | None = None
    phone: str | None = None

    @classmethod
    def parse(cls, data: Mapping[str, Any]) -> ClientInput:
        """Validate raw fields, reporting every bad field at once."""
        errors: list[FieldError] = []
        _reject_unknown(data, _CLIENT_FIELDS, errors)
        name = clean_text(data.get("name"), "name", required=True, max_len=NAME_MAX, errors=errors)
        email = clean_email(data.get("email"), errors)
        phone = clean_phone(data.get("phone"), errors)
        status = clean_enum(data.get("status", "active"), "status", ClientStatus, errors)
        tags = clean_tags(data.get("tags"), errors)
        ext = clean_text(data.get("external_id"), "external_id", required=False, max_len=EXTERNAL_ID_MAX, errors=errors)
        notes = clean_text(data.get("notes"), "notes", required=False, max_len=NOTE_MAX, errors=errors)
        acquired = clean_date(data.get("acquired_on"), "acquired_on", errors, required=False)
        _raise_if(errors)
        assert name is not None and status is not None
        return cls(
            name=name,
            email=email,
            status=status,
            tags=tags,
            external_id=ext,
            notes=notes,
            acquired_on=acquired,
            phone=phone,
        )


@dataclass(frozen=True, slots=True)
class ClientPatch:
    """A validated partial change; UNSET fields stay as they are, None clears."""

    name: str | _Unset = UNSET
    email: str | None | _Unset = UNSET
    status: ClientStatus | _Unset = UNSET
    tags: tuple[str, ...] | _Unset = UNSET
    external_id: str | None | _Unset = UNSET
    notes: str | None | _Unset = UNSET
    acquired_on: date | None | _Unset = UNSET
    phone: str | None | _Unset = UNSET

    @classmethod
    def parse(cls, data: Mapping[str, Any]) -> ClientPatch:
        """Validate only the fields present in `data`."""
        errors: list[FieldError] = []
        _reject_unknown(data, _CLIENT_FIELDS, errors)
        out: dict[str, Any] = {}
        if "name" in data:
            out["name"] = clean_text(data["name"], "name", required=True, max_len=NAME_MAX, errors=errors)
        if "email" in data:
            out["email"] = clean_email(data["email"], errors)
        if "phone" in data:
            out["phone"] = clean_phone(data["phone"], errors)
        if "status" in data:
            out["status"] = clean_enum(data["status"], "status", ClientStatus, errors)
        if "tags" in data:
            out["tags"] = clean_tags(data["tags"], errors)
        if "external_id" in data:
            out["external_id"] = clean_text(
                data["external_id"], "external_id", required=False, max_len=EXTERNAL_ID_MAX, errors=errors
            )
        if "notes" in data:
            out["notes"] = clean_text(data["notes"], "notes", required=False, max_len=NOTE_MAX, errors=errors)
        if "acquired_on" in data:
            out["acquired_on"] = clean_date(data["acquired_on"], "acquired_on", errors, required=False)
        _raise_if(errors)
        return cls(**out)

    def apply(self, client: Client, now: datetime) -> Client:
        """The client as it is after this patch."""
        changes = {
            k: getattr(self, k)
            for k in ("name", "email", "phone", "status", "tags", "external_id", "notes", "acquired_on")
            if getattr(self, k) is not UNSET
        }
        return _replace(client, updated_at=now, **changes)


@dataclass(frozen=True, slots=True)
class ChannelInput:
    """A validated new channel."""

    name: str
    kind: ChannelKind = ChannelKind.OTHER
    url: str | None = None
    external_id: str | None = None
    notes: str | None = None

    @classmethod
    def parse(cls, data: Mapping[str, Any]) -> ChannelInput:
        """Validate raw fields, reporting every bad field at once."""
        errors: list[FieldError] = []
        _reject_unknown(data, _CHANNEL_FIELDS, errors)
        name = clean_text(data.get("name"), "name", required=True, max_len=NAME_MAX, errors=errors)
        kind = clean_enum(data.get("kind", "other"), "kind", ChannelKind, errors)
        url = clean_url(data.get("url"), errors)
        ext = clean_text(data.get("external_id"), "external_id", required=False, max_len=EXTERNAL_ID_MAX, errors=errors)
        notes = clean_text(data.get("notes"), "notes", required=False, max_len=NOTE_MAX, errors=errors)
        _raise_if(errors)
        assert name is not None and kind is not None
        return cls(name, kind, url, ext, notes)


@dataclass(frozen=True, slots=True)
class ChannelPatch:
    """A validated partial change of a channel."""

    name: str | _Unset = UNSET
    kind: ChannelKind | _Unset = UNSET
    url: str | None | _Unset = UNSET
    external_id: str | None | _Unset = UNSET
    notes: str | None | _Unset = UNSET

    @classmethod
    def parse(cls, data: Mapping[str, Any]) -> ChannelPatch:
        """Validate only the fields present in `data`."""
        errors: list[FieldError] = []
        _reject_unknown(data, _CHANNEL_FIELDS, errors)
        out: dict[str, Any] = {}
        if "name" in data:
            out["name"] = clean_text(data["name"], "name", required=True, max_len=NAME_MAX, errors=errors)
        if "kind" in data:
            out["kind"] = clean_enum(data["kind"], "kind", ChannelKind, errors)
        if "url" in data:
            out["url"] = clean_url(data["url"], errors)
        for key, max_len in (("external_id", EXTERNAL_ID_MAX), ("notes", NOTE_MAX)):
            if key in data:
                out[key] = clean_text(data[key], key, required=False, max_len=max_len, errors=errors)
        _raise_if(errors)
        return cls(**out)

    def apply(self, channel: Channel, now: datetime) -> Channel:
        """The channel as it is after this patch."""
        changes = {
            k: getattr(self, k)
            for k in ("name", "kind", "url", "external_id", "notes")
            if getattr(self, k) is not UNSET
        }
        return _replace(channel, updated_at=now, **changes)


@dataclass(frozen=True, slots=True)
class ReferralInput:
    """A validated "source recommended client" on a date."""

    source: SourceRef
    client_id: str
    referred_on: date
    note: str | None = None

    @classmethod
    def parse(cls, data: Mapping[str, Any]) -> ReferralInput:
        """Validate raw fields: source_kind, source_id, client_id, referred_on, note."""
        errors: list[FieldError] = []
        _reject_unknown(data, {"source_kind", "source_id", "client_id", "referred_on", "note"}, errors)
        source_id = clean_text(data.get("source_id"), "source_id", required=True, max_len=100, errors=errors)
        implied = kind_of_id(source_id or "")
        kind = clean_enum(data.get("source_kind", implied or "client"), "source_kind", SourceKind, errors)
        if kind and implied and kind.value != implied:
            errors.append(
                FieldError(
                    "source_id",
                    _(
                        "%(id)s is a %(implied)s id, but source_kind says %(kind)s",
                        id=source_id,
                        implied=implied,
                        kind=kind.value,
                    ),
                )
            )
        client_id = clean_text(data.get("client_id"), "client_id", required=True, max_len=100, errors=errors)
        referred_on = clean_date(data.get("referred_on"), "referred_on", errors, required=True)
        note = clean_text(data.get("note"), "note", required=False, max_len=NOTE_MAX, errors=errors)
        if kind is SourceKind.CLIENT and source_id and source_id == client_id:
            errors.append(FieldError("source_id", _("a client cannot refer themselves")))
        _raise_if(errors)
        assert kind and source_id and client_id and referred_on
        return cls(SourceRef(kind, source_id), client_id, referred_on, note)


@dataclass(frozen=True, slots=True)
class DealInput:
    """A validated deal: exact money, a date, the paying client."""

    client_id: str
    amount: Money
    closed_on: date
    title: str | None = None
    external_id: str | None = None

    @classmethod
    def parse(cls, data: Mapping[str, Any]) -> DealInput:
        """Validate raw fields: client_id, amount (decimal string), currency, closed_on, title."""
        errors: list[FieldError] = []
        _reject_unknown(data, _DEAL_FIELDS, errors)
        client_id = clean_text(data.get("client_id"), "client_id", required=True, max_len=100, errors=errors)
        money: Money | None = None
        try:
            money = Money.parse(data.get("amount"), data.get("currency"))
        except Invalid as e:
            errors += e.errors
        closed_on = clean_date(data.get("closed_on"), "closed_on", errors, required=True)
        title = clean_text(data.get("title"), "title", required=False, max_len=NAME_MAX, errors=errors)
        ext = clean_text(data.get("external_id"), "external_id", required=False, max_len=EXTERNAL_ID_MAX, errors=errors)
        _raise_if(errors)
        assert client_id and money and closed_on
        return cls(client_id, money, closed_on, title, ext)


@dataclass(frozen=True, slots=True)
class DealPatch:
    """A validated partial change of a deal (amount and currency change together)."""

    amount: Money | _Unset = UNSET
    closed_on: date | _Unset = UNSET
    title: str | None | _Unset = UNSET
    external_id: str | None | _Unset = UNSET

    @classmethod
    def parse(cls, data: Mapping[str, Any], current: Money | None = None) -> DealPatch:
        """Validate only the fields present; a lone amount keeps the current currency."""
        errors: list[FieldError] = []
        _reject_unknown(data, _DEAL_FIELDS - {"client_id"}, errors)
        out: dict[str, Any] = {}
        if "amount" in data or "currency" in data:
            currency = data.get("currency", current.currency if current else None)
            amount = data.get("amount", current.decimal if current else None)
            try:
                out["amount"] = Money.parse(amount, currency)
            except Invalid as e:
                errors += e.errors
        if "closed_on" in data:
            out["closed_on"] = clean_date(data["closed_on"], "closed_on", errors, required=True)
        if "title" in data:
            out["title"] = clean_text(data["title"], "title", required=False, max_len=NAME_MAX, errors=errors)
        if "external_id" in data:
            out["external_id"] = clean_text(
                data["external_id"], "external_id", required=False, max_len=EXTERNAL_ID_MAX, errors=errors
            )
        _raise_if(errors)
        return cls(**out)

    def apply(self, deal: Deal, now: datetime) -> Deal:
        """The deal as it is after this patch."""
        changes = {
            k: getattr(self, k)
            for k in ("amount", "closed_on", "title", "external_id")
            if getattr(self, k) is not UNSET
        }
        return _replace(deal, updated_at=now, **changes)


@dataclass(frozen=True, slots=True)
class ClientQuery:
    """Filters and paging for a client listing."""

    text: str | None = None
    tag: str | None = None
    status: ClientStatus | None = None
    acquired_from: date | None = None
    acquired_to: date | None = None
    limit: int = 50
    after: str | None = None

    def __post_init__(self) -> None:
        check_limit(self.limit)

    @property
    def phone(self) -> str | None:
        """The text as a phone number in E.164 when it reads as one (then it also matches phones)."""
        if not self.text or not any(ch.isdigit() for ch in self.text):
            return None
        errors: list[FieldError] = []
        number = clean_phone(self.text, errors)
        return None if errors else number


@dataclass(frozen=True, slots=True)
class DealQuery:
    """Filters and paging for a deal listing."""

    client_id: str | None = None
    closed_from: date | None = None
    closed_to: date | None = None
    limit: int = 50
    after: str | None = None

    def __post_init__(self) -> None:
        check_limit(self.limit)


MAX_PAGE = 500


def check_limit(limit: int) -> None:
    if isinstance(limit, bool) or not isinstance(limit, int) or not 1 <= limit <= MAX_PAGE:
        raise Invalid.one("limit", _("must be a whole number from 1 to %(most)s", most=MAX_PAGE))


_CLIENT_FIELDS = frozenset({"name", "email", "phone", "status", "tags", "external_id", "notes", "acquired_on"})
_CHANNEL_FIELDS = frozenset({"name", "kind", "url", "external_id", "notes"})
_DEAL_FIELDS = frozenset({"client_id", "amount", "currency", "closed_on", "title", "external_id"})


def _reject_unknown(data: Mapping[str, Any], allowed: frozenset[str] | set[str], errors: list[FieldError]) -> None:
    for key in data:
        if key not in allowed:
            errors.append(FieldError(str(key), _("unknown field")))


def _replace(record: Any, **changes: Any) -> Any:
    return replace(record, **changes)
