"""Reading the files people already keep (CSV or JSON) into a checked plan of changes.

Pure functions: files in, rows out, then a plan against what the workspace already holds. Nothing is
written here; `graph` applies a plan in one transaction. Every problem becomes a report line naming
the file, row, column, value and reason, and a plan with any problem is never applied.

Columns (header names are matched case-insensitively, ignoring spaces, dashes and underscores):

* clients: `name` (also "client", "client name", "full name", "customer"), `email` ("e-mail", "mail"),
  `phone` ("telephone", "tel", "mobile", "телефон"; stored in E.164, see REFERRALS_PHONE_REGION),
  `status`, `tags` (separated by ";" or "|"), `external_id` ("external id", "crm id", "client id", "id"),
  `notes` ("note", "comments"), `acquired_on` ("client since", "since", "acquired"), and, to record who
  recommended the client in the same file, `referred_by` ("referred by", "recommended by", "referrer",
  "source") — a client's name, email or external id, or a channel's name — with `referred_on` ("referred
  on", "referral date", "recommended on"; defaults to `acquired_on`);
* channels: `channel` (or `name` with `kind`), `kind`, `url`, `external_id`, `notes`;
* referrals: `client` and `referred_by`, `referred_on`, `note`;
* deals: `client`, `amount`, `currency`, `closed_on` ("date", "paid on", "invoice date"), `title`
  ("description"), `external_id` ("invoice", "invoice number").

A file is read as clients when it has a name column, as deals when it has an amount column, as
channels when it has a channel (or kind) column, and as referrals otherwise.
"""

from __future__ import annotations

import codecs
import csv
import io
import json
import re
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from datetime import date, datetime
from typing import Any

from referrals import clock
from referrals.errors import Invalid, TooLarge
from referrals.ids import new_id
from referrals.model import (
    Channel,
    ChannelInput,
    Client,
    ClientInput,
    Deal,
    Referral,
    SourceKind,
    SourceRef,
    name_key,
)
from referrals.money import MINOR_UNITS, Money, parse_amount
from referrals.rules import FUTURE_REASON, Edge, ReferralGraph
from referrals.usecases.clients import new_channel, new_client
from referrals.usecases.deals import closed_message, first_closed

KINDS = ("channels", "clients", "referrals", "deals")

_ALIASES: dict[str, tuple[str, ...]] = {
    "name": ("name", "clientname", "fullname", "customer", "customername"),
    "email": ("email", "mail", "emailaddress"),
    "phone": ("phone", "phonenumber", "telephone", "tel", "mobile", "cell", "телефон", "тел"),
    "status": ("status",),
    "tags": ("tags", "tag", "labels"),
    "external_id": ("externalid", "crmid", "clientid", "id", "invoice", "invoicenumber", "invoiceno"),
    "notes": ("notes", "note", "comments", "comment"),
    "acquired_on": ("acquiredon", "clientsince", "since", "acquired", "firstpurchase"),
    "referred_by": ("referredby", "recommendedby", "referrer", "source", "referralsource", "referredfrom"),
    "referred_on": ("referredon", "referraldate", "recommendedon", "datereferred"),
    "channel": ("channel", "channelname"),
    "kind": ("kind", "channelkind", "type"),
    "url": ("url", "link", "website"),
    "client": ("client", "clientemail", "payer", "paidby"),
    "amount": ("amount", "total", "value", "price"),
    "currency": ("currency", "cur"),
    "closed_on": ("closedon", "date", "paidon", "invoicedate", "closed"),
    "title": ("title", "description", "item"),
}
_BY_ALIAS = {alias: column for column, aliases in _ALIASES.items() for alias in aliases}


def _canon(header: str) -> str:
    return re.sub(r"[\s_\-.]+", "", header.strip().lower())


@dataclass(frozen=True, slots=True)
class Problem:
    """One line of an import report."""

    file: str
    row: int  # 1 = the header line of a CSV; 0 = the file as a whole
    column: str
    value: str
    reason: str

    def __str__(self) -> str:
        where = f"{self.file}:{self.row}" if self.row else self.file
        value = f" {self.value!r}" if self.value else ""
        return f"{where} {self.column}{value}: {self.reason}"


@dataclass
class Row:
    """One data row: its kind, where it came from, and its values by canonical column."""

    kind: str
    file: str
    row: int
    values: dict[str, str]


@dataclass
class Parsed:
    """Rows of every file, and the problems met while reading them."""

    rows: list[Row] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)


def _kind_of(columns: set[str], given: str | None) -> str:
    if given:
        return given
    if "amount" in columns:
        return "deals"
    if "name" in columns and "kind" not in columns:
        return "clients"
    if "channel" in columns or "kind" in columns:
        return "channels"
    return "referrals"


def _codec(encoding: str) -> str:
    return "utf-8-sig" if encoding.lower().replace("_", "-") in ("utf-8", "utf8") else encoding


def _decode(name: str, data: bytes, encoding: str, problems: list[Problem]) -> str | None:
    try:
        return data.decode(_codec(encoding))
    except UnicodeDecodeError as e:
        line = data[: e.start].count(b"\n") + 1
        problems.append(
            Problem(
                name,
                line,
                "(file)",
                "",
                f"not valid {encoding} at byte {e.start}; save the file as UTF-8 or pass --encoding (e.g. cp1252)",
            )
        )
        return None
    except LookupError:
        problems.append(Problem(name, 0, "(file)", "", f"unknown encoding {encoding!r}"))
        return None


def too_many_rows(max_rows: int) -> TooLarge:
    """The refusal of an import over the row cap of one request."""
    return TooLarge(
        "files",
        f"more than {max_rows} rows in one request: split the files, or import them with `referrals import` "
        "on the command line, which has no row cap",
    )


def read_csv(
    name: str, data: bytes, kind: str | None = None, encoding: str = "utf-8", max_rows: int | None = None
) -> Parsed:
    """Rows of one CSV file: BOM dropped, delimiter (, ; tab |) sniffed from the header, headers matched.

    The text is decoded as it is read (no second copy of the file in memory); TooLarge past `max_rows`.
    """
    out = Parsed()
    try:
        codecs.lookup(_codec(encoding))
    except LookupError:
        out.problems.append(Problem(name, 0, "(file)", "", f"unknown encoding {encoding!r}"))
        return out
    try:
        first = data.split(b"\n", 1)[0].decode(_codec(encoding))
    except UnicodeDecodeError:
        _decode(name, data, encoding, out.problems)  # names the byte at fault
        return out
    delimiter = max(",;\t|", key=first.count) if first else ","
    stream = io.TextIOWrapper(io.BytesIO(data), encoding=_codec(encoding), newline="")
    try:
        _read_rows(name, csv.reader(stream, delimiter=delimiter), kind, out, max_rows)
    except UnicodeDecodeError:
        _decode(name, data, encoding, out.problems)  # only on this error path: decode all to find the byte
    return out


def _read_rows(name: str, reader: Any, kind: str | None, out: Parsed, max_rows: int | None) -> None:
    try:
        header = next(reader)
    except StopIteration:
        out.problems.append(Problem(name, 0, "(file)", "", "the file is empty"))
        return
    except csv.Error as e:
        out.problems.append(Problem(name, 1, "(header)", "", f"unreadable CSV ({e})"))
        return
    columns: list[str | None] = []
    for h in header:
        column = _BY_ALIAS.get(_canon(h))
        if column is None and h.strip():
            out.problems.append(Problem(name, 1, h, "", "unknown column; see the README for the columns read"))
        if column is not None and column in columns:
            out.problems.append(Problem(name, 1, h, "", f"a second column for {column}"))
        columns.append(column)
    the_kind = _kind_of({c for c in columns if c}, kind)
    if the_kind == "deals" and "client" not in columns and "name" in columns:
        columns = ["client" if c == "name" else c for c in columns]
    try:
        for number, cells in enumerate(reader, 2):
            if not any(c.strip() for c in cells):
                continue
            if len(cells) > len(columns):
                out.problems.append(
                    Problem(name, number, "(row)", "", f"{len(cells)} cells for {len(columns)} columns")
                )
                continue
            values = {c: v.strip() for c, v in zip(columns, cells, strict=False) if c and v.strip()}
            if max_rows is not None and len(out.rows) >= max_rows:
                raise too_many_rows(max_rows)
            out.rows.append(Row(the_kind, name, number, values))
    except csv.Error as e:
        out.problems.append(Problem(name, reader.line_num, "(row)", "", f"unreadable CSV ({e})"))


def read_json(name: str, data: bytes, max_rows: int | None = None) -> Parsed:
    """Rows of a JSON file: {"channels": [...], "clients": [...], "referrals": [...], "deals": [...]}, or
    one list of objects read like a CSV of that shape. Row numbers count objects from 1 within a list."""
    out = Parsed()
    text = _decode(name, data, "utf-8", out.problems)
    if text is None:
        return out
    try:
        doc = json.loads(text)
    except ValueError as e:
        out.problems.append(Problem(name, 0, "(file)", "", f"not JSON ({e})"))
        return out
    except RecursionError:
        out.problems.append(Problem(name, 0, "(file)", "", "JSON nested too deeply"))
        return out
    lists: list[tuple[str | None, Any]] = []
    if isinstance(doc, dict):
        for key in doc:
            if key not in KINDS:
                out.problems.append(Problem(name, 0, key, "", f"unknown section; use {', '.join(KINDS)}"))
        lists = [(k, doc[k]) for k in KINDS if k in doc]
    elif isinstance(doc, list):
        lists = [(None, doc)]
    else:
        out.problems.append(Problem(name, 0, "(file)", "", "expected an object of lists or a list of objects"))
    for kind, items in lists:
        if not isinstance(items, list):
            out.problems.append(Problem(name, 0, kind or "(file)", "", "expected a list of objects"))
            continue
        for number, item in enumerate(items, 1):
            if not isinstance(item, dict):
                out.problems.append(Problem(name, number, "(row)", "", "expected an object"))
                continue
            values: dict[str, str] = {}
            for key, value in item.items():
                column = _BY_ALIAS.get(_canon(str(key)))
                if column is None:
                    out.problems.append(Problem(name, number, str(key), "", "unknown field"))
                    continue
                if value is None or value == "":
                    continue
                if isinstance(value, list):
                    value = ";".join(str(v) for v in value)
                values[column] = str(value).strip()
            if max_rows is not None and len(out.rows) >= max_rows:
                raise too_many_rows(max_rows)
            out.rows.append(Row(_kind_of(set(values), kind), name, number, values))
    return out


def read_file(
    name: str, data: bytes, kind: str | None = None, encoding: str = "utf-8", max_rows: int | None = None
) -> Parsed:
    """A CSV or JSON file, told apart by its name (.json) or by its first character; at most `max_rows` rows."""
    stripped = data[:64].lstrip(b"\xef\xbb\xbf \t\r\n")
    if name.lower().endswith(".json") or stripped[:1] in (b"{", b"["):
        return read_json(name, data, max_rows)
    return read_csv(name, data, kind, encoding, max_rows)


# -- cell values ------------------------------------------------------------------------------


class CellError(ValueError):
    """A cell that cannot be read; the message is the report's reason."""


def cell_date(text: str, today: date, *, future_ok: bool = False) -> date:
    """An ISO 8601 date (2024-05-31), not in the future."""
    try:
        value = date.fromisoformat(text)
    except ValueError:
        raise CellError("not a date like 2024-05-31 (ISO 8601)") from None
    if not future_ok and value > today:
        raise CellError(FUTURE_REASON.format(day=value.isoformat()))
    return value


_GROUPED = re.compile(r"^[+-]?\d{1,3}([,.]\d{3})+([.,]\d+)?$")


def cell_amount(text: str, currency: str) -> int:
    """An amount as a plain decimal (1234.50, -20); grouped thousands or a decimal comma are refused
    rather than guessed, because "1,234" means different amounts in different countries."""
    t = text.replace(" ", "").replace("\u00a0", "")
    if _GROUPED.match(t) or ("," in t and "." in t):
        raise CellError("thousands separators are not read; write a plain decimal like 1234.50")
    if "," in t:
        raise CellError("a decimal comma is not read; write a decimal point, like 12.50")
    try:
        return parse_amount(t, currency)
    except Exception as e:  # Invalid from the money module: keep its reason
        reason = getattr(e, "errors", None)
        raise CellError(reason[0].reason if reason else str(e)) from None


def cell_currency(text: str) -> str:
    """An ISO 4217 code."""
    code = text.strip().upper()
    if code not in MINOR_UNITS:
        raise CellError("not an ISO 4217 currency code such as EUR")
    return code


def cell_tags(text: str) -> tuple[str, ...]:
    """Tags separated by ; or |."""
    return tuple(sorted({t.strip() for t in re.split(r"[;|]", text) if t.strip()}))


__all__ = [
    "KINDS",
    "Changes",
    "View",
    "plan",
    "plan_files",
    "CellError",
    "Parsed",
    "Problem",
    "Row",
    "cell_amount",
    "cell_currency",
    "cell_date",
    "cell_tags",
    "read_csv",
    "read_file",
    "read_json",
]


# -- planning against the workspace ------------------------------------------------------------


@dataclass(frozen=True)
class View:
    """What the workspace holds that an import is checked against."""

    clients: Sequence[Client]
    channels: Sequence[Channel]
    referrals: Sequence[Referral]
    deals: Sequence[Deal]
    closed_months: frozenset[str] = frozenset()


@dataclass
class Changes:
    """What an import will write, what it leaves alone, and every problem found."""

    new_channels: list[Channel] = field(default_factory=list)
    updated_channels: list[Channel] = field(default_factory=list)
    new_clients: list[Client] = field(default_factory=list)
    updated_clients: list[Client] = field(default_factory=list)
    new_referrals: list[Referral] = field(default_factory=list)
    new_deals: list[Deal] = field(default_factory=list)
    updated_deals: list[Deal] = field(default_factory=list)
    summary: dict[str, dict[str, int]] = field(
        default_factory=lambda: {k: {"created": 0, "updated": 0, "unchanged": 0, "rejected": 0} for k in KINDS}
    )
    problems: list[Problem] = field(default_factory=list)

    @property
    def writes(self) -> int:
        """How many records the import writes."""
        return sum(
            len(x)
            for x in (
                self.new_channels,
                self.updated_channels,
                self.new_clients,
                self.updated_clients,
                self.new_referrals,
                self.new_deals,
                self.updated_deals,
            )
        )


class _Planner:
    def __init__(self, view: View, today: date, now: datetime) -> None:
        self.view, self.today, self.now = view, today, now
        self.out = Changes()
        self.channels: dict[str, Channel] = {name_key(c.name): c for c in view.channels}
        self.channel_ext: dict[str, Channel] = {c.external_id: c for c in view.channels if c.external_id}
        self.clients: dict[str, Client] = {c.id: c for c in view.clients}
        self.by_ext: dict[str, str] = {c.external_id: c.id for c in view.clients if c.external_id}
        self.by_email: dict[str, str] = {c.email.lower(): c.id for c in view.clients if c.email}
        self.by_name: dict[str, set[str]] = {}
        for c in view.clients:
            self.by_name.setdefault(name_key(c.name), set()).add(c.id)
        self.graph = ReferralGraph(Edge(r.source, r.client_id, r.primary) for r in view.referrals)
        self.deal_ext: dict[str, Deal] = {d.external_id: d for d in view.deals if d.external_id}
        self.deal_keys: set[tuple[str, date, int, str, str]] = {_deal_key(d) for d in view.deals}
        self.seen: dict[tuple[str, str], tuple[str, int]] = {}  # (kind, key) -> (file, row) that first used it
        self.pending: list[tuple[Row, str | None, str, str | None, str | None]] = []

    def problem(self, row: Row, column: str, reason: str, value: str | None = None) -> None:
        self.out.problems.append(
            Problem(row.file, row.row, column, row.values.get(column, "") if value is None else value, reason)
        )

    def once(self, row: Row, kind: str, key: str, column: str) -> bool:
        """False (and a problem) when an earlier row of the files already used this key."""
        first = self.seen.setdefault((kind, key), (row.file, row.row))
        if first != (row.file, row.row):
            where = f"row {first[1]}" if first[0] == row.file else f"{first[0]} row {first[1]}"
            self.problem(row, column, f"repeats {where}")
            return False
        return True

    # channels ------------------------------------------------------------------
    def channel(self, row: Row) -> None:
        v = dict(row.values)
        name = v.pop("channel", None) or v.pop("name", None)
        data: dict[str, Any] = {"name": name, **{k: v[k] for k in ("kind", "url", "external_id", "notes") if k in v}}
        if "kind" in data:
            data["kind"] = data["kind"].lower()
        try:
            parsed = ChannelInput.parse(data)
        except Invalid as e:
            for err in e.errors:
                self.problem(row, "channel" if err.field == "name" else err.field, err.reason)
            self.out.summary["channels"]["rejected"] += 1
            return
        key = name_key(parsed.name)
        if not self.once(row, "channel", key, "channel"):
            self.out.summary["channels"]["rejected"] += 1
            return
        old = self.channels.get(key)
        if old is None:
            ch = new_channel(parsed, new_id("channel"), self.now)
            self.channels[key] = ch
            self.out.new_channels.append(ch)
            self.out.summary["channels"]["created"] += 1
            return
        new = replace(
            old,
            kind=parsed.kind if "kind" in data else old.kind,
            url=parsed.url if "url" in data else old.url,
            external_id=parsed.external_id if "external_id" in data else old.external_id,
            notes=parsed.notes if "notes" in data else old.notes,
        )
        if new != old:
            new = replace(new, updated_at=self.now)
            self.channels[key] = new
            self.out.updated_channels.append(new)
            self.out.summary["channels"]["updated"] += 1
        else:
            self.out.summary["channels"]["unchanged"] += 1

    # clients -------------------------------------------------------------------
    def client(self, row: Row) -> None:
        v = row.values
        data: dict[str, Any] = {
            k: v[k] for k in ("name", "email", "phone", "status", "external_id", "notes", "acquired_on") if k in v
        }
        if "status" in data:
            data["status"] = data["status"].lower()
        if "tags" in v:
            data["tags"] = list(cell_tags(v["tags"]))
        try:
            parsed = ClientInput.parse(data)
        except Invalid as e:
            for err in e.errors:
                self.problem(row, err.field, err.reason)
            self.out.summary["clients"]["rejected"] += 1
            return
        if parsed.acquired_on and parsed.acquired_on > self.today:
            self.problem(
                row,
                "acquired_on",
                FUTURE_REASON.format(day=parsed.acquired_on.isoformat()),
            )
            self.out.summary["clients"]["rejected"] += 1
            return
        key = parsed.external_id or (parsed.email.lower() if parsed.email else None) or name_key(parsed.name)
        if not self.once(
            row, "client", key, "external_id" if parsed.external_id else "email" if parsed.email else "name"
        ):
            self.out.summary["clients"]["rejected"] += 1
            return
        existing = self._match(parsed, row)
        if existing is False:
            self.out.summary["clients"]["rejected"] += 1
            return
        if existing is None:
            c = new_client(parsed, new_id("client"), self.now, self.now)
            self.out.new_clients.append(c)
            self.out.summary["clients"]["created"] += 1
        else:
            c = replace(
                existing,
                name=parsed.name,
                email=parsed.email if "email" in data else existing.email,
                phone=parsed.phone if "phone" in data else existing.phone,
                status=parsed.status if "status" in data else existing.status,
                tags=parsed.tags if "tags" in data else existing.tags,
                external_id=parsed.external_id if "external_id" in data else existing.external_id,
                notes=parsed.notes if "notes" in data else existing.notes,
                acquired_on=parsed.acquired_on if "acquired_on" in data else existing.acquired_on,
            )
            if c != existing:
                c = replace(c, updated_at=self.now)
                self.out.updated_clients.append(c)
                self.out.summary["clients"]["updated"] += 1
            else:
                self.out.summary["clients"]["unchanged"] += 1
        self.clients[c.id] = c
        if c.external_id:
            self.by_ext[c.external_id] = c.id
        if c.email:
            self.by_email[c.email.lower()] = c.id
        self.by_name.setdefault(name_key(c.name), set()).add(c.id)
        if "referred_by" in v:
            self.pending.append((row, c.id, v["referred_by"], v.get("referred_on") or v.get("acquired_on"), None))

    def _match(self, parsed: ClientInput, row: Row) -> Client | None | bool:
        """The stored client this row describes (by external id, then email, then exact name), None for a
        new one, False (with a problem) when the row contradicts the workspace."""
        cid = None
        if parsed.external_id:
            cid = self.by_ext.get(parsed.external_id)
        if cid is None and parsed.email:
            cid = self.by_email.get(parsed.email.lower())
            if cid and parsed.external_id and self.clients[cid].external_id not in (None, parsed.external_id):
                self.problem(
                    row, "email", f"belongs to client {cid}, whose external id is {self.clients[cid].external_id}"
                )
                return False
        if cid is None and not parsed.external_id and not parsed.email:
            named = self.by_name.get(name_key(parsed.name), set())
            if len(named) > 1:
                self.problem(row, "name", "several clients have this name; add an email or an external id")
                return False
            cid = next(iter(named), None)
        if cid is not None and parsed.email:
            other = self.by_email.get(parsed.email.lower())
            if other is not None and other != cid:
                self.problem(row, "email", f"belongs to another client ({other})")
                return False
        return self.clients.get(cid) if cid else None

    # references ----------------------------------------------------------------
    def resolve(self, text: str, clients_only: bool = False) -> SourceRef | str:
        """A client (by external id, email or exact name) or channel (by name or external id), or why not."""
        t = text.strip()
        found: set[SourceRef] = set()
        for cid in (self.by_ext.get(t), self.by_email.get(t.lower())):
            if cid:
                found.add(SourceRef(SourceKind.CLIENT, cid))
        if not found:
            found |= {SourceRef(SourceKind.CLIENT, cid) for cid in self.by_name.get(name_key(t), ())}
        if not clients_only and not found:
            ch = self.channels.get(name_key(t)) or self.channel_ext.get(t)
            if ch:
                found.add(SourceRef(SourceKind.CHANNEL, ch.id))
        if len(found) == 1:
            return found.pop()
        if found:
            return "matches several clients; use an email or an external id"
        what = "client" if clients_only else "client or channel"
        return f"no {what} with this name, email or external id in the files or the workspace"

    def referral(self, row: Row, client: str | None, source_text: str, on_text: str | None, note: str | None) -> None:
        where = "referred_by"
        if client is None:
            got = self.resolve(row.values.get("client", ""), clients_only=True)
            if isinstance(got, str):
                self.problem(row, "client", got if row.values.get("client") else "required")
                self.out.summary["referrals"]["rejected"] += 1
                return
            client = got.id
        source = self.resolve(source_text)
        if isinstance(source, str):
            self.problem(row, where, source, source_text)
            self.out.summary["referrals"]["rejected"] += 1
            return
        if not on_text:
            self.problem(row, "referred_on", "required (or give acquired_on)", "")
            self.out.summary["referrals"]["rejected"] += 1
            return
        try:
            on = cell_date(on_text, self.today)
        except CellError as e:
            self.problem(row, "referred_on", str(e), on_text)
            self.out.summary["referrals"]["rejected"] += 1
            return
        if source.kind is SourceKind.CLIENT and source.id == client:
            self.problem(row, where, "a client cannot refer themselves", source_text)
            self.out.summary["referrals"]["rejected"] += 1
            return
        if not self.once(row, "referral", f"{source.kind.value}:{source.id}>{client}", where):
            self.out.summary["referrals"]["rejected"] += 1
            return
        if self.graph.has_pair(source, client):
            self.out.summary["referrals"]["unchanged"] += 1
            return
        if source.kind is SourceKind.CLIENT and self.graph.is_ancestor(client, source.id):
            who = row.values.get("name") or row.values.get("client") or client
            reason = f"would close a cycle: {who} already brought in {source_text}, directly or through others"
            self.problem(row, where, reason, source_text)
            self.out.summary["referrals"]["rejected"] += 1
            return
        primary = not self.graph.has_primary(client)
        self.graph.add(Edge(source, client, primary))
        self.out.new_referrals.append(
            Referral(
                id=new_id("referral"),
                source=source,
                client_id=client,
                referred_on=on,
                note=note,
                primary=primary,
                created_at=self.now,
            )
        )
        self.out.summary["referrals"]["created"] += 1

    # deals ---------------------------------------------------------------------
    def deal(self, row: Row) -> None:
        v = row.values
        bad = False
        got = self.resolve(v.get("client", ""), clients_only=True) if v.get("client") else "required"
        if isinstance(got, str):
            self.problem(row, "client", got)
            bad = True
        currency = amount = closed_on = None
        try:
            currency = cell_currency(v.get("currency", ""))
        except CellError as e:
            self.problem(row, "currency", str(e) if v.get("currency") else "required")
            bad = True
        if currency:
            try:
                amount = cell_amount(v.get("amount", ""), currency) if v.get("amount") else None
                if amount is None:
                    self.problem(row, "amount", "required")
            except CellError as e:
                self.problem(row, "amount", str(e))
            bad = bad or amount is None
        try:
            closed_on = cell_date(v.get("closed_on", ""), self.today) if v.get("closed_on") else None
            if closed_on is None:
                self.problem(row, "closed_on", "required")
        except CellError as e:
            self.problem(row, "closed_on", str(e))
        bad = bad or closed_on is None
        if bad or isinstance(got, str) or amount is None or currency is None or closed_on is None:
            self.out.summary["deals"]["rejected"] += 1
            return
        title, ext = v.get("title"), v.get("external_id")
        new = Deal(
            id=new_id("deal"),
            client_id=got.id,
            amount=Money(amount, currency),
            closed_on=closed_on,
            title=title,
            external_id=ext,
            created_at=self.now,
            updated_at=self.now,
        )
        key = ext or "|".join(str(x) for x in _deal_key(new))
        if not self.once(row, "deal", key, "external_id" if ext else "amount"):
            self.out.summary["deals"]["rejected"] += 1
            return
        old = self.deal_ext.get(ext) if ext else None
        if old is None and _deal_key(new) in self.deal_keys:
            self.out.summary["deals"]["unchanged"] += 1
            return
        if old is not None:
            new = replace(new, id=old.id, created_at=old.created_at)
            if replace(new, updated_at=old.updated_at) == old:
                self.out.summary["deals"]["unchanged"] += 1
                return
        closed = first_closed([closed_on] + ([old.closed_on] if old else []), self.view.closed_months)
        if closed:
            self.problem(row, "closed_on", closed_message(closed))
            self.out.summary["deals"]["rejected"] += 1
            return
        (self.out.updated_deals if old else self.out.new_deals).append(new)
        self.out.summary["deals"]["updated" if old else "created"] += 1


def _deal_key(d: Deal) -> tuple[str, date, int, str, str]:
    return (d.client_id, d.closed_on, d.amount.minor, d.amount.currency, d.title or "")


def plan(rows: Sequence[Row], view: View, today: date, now: datetime) -> Changes:
    """Check every row against the files and the workspace and work out the writes.

    Order: channels, then clients (so recommendations can name them), then recommendations (from a
    clients file's referred_by column and from referrals files, in file order), then deals. Re-running
    the same import plans nothing: clients match by external id, email or exact name, channels by name,
    recommendations by their pair, deals by external id or by client, date, amount, currency and title.
    """
    p = _Planner(view, today, now)
    for r in rows:
        if r.kind == "channels":
            p.channel(r)
    for r in rows:
        if r.kind == "clients":
            p.client(r)
    for row, client, source, on, note in p.pending:
        p.referral(row, client, source, on, note)
    for r in rows:
        if r.kind == "referrals":
            if not r.values.get("referred_by"):
                p.problem(r, "referred_by", "required")
                p.out.summary["referrals"]["rejected"] += 1
                continue
            p.referral(r, None, r.values["referred_by"], r.values.get("referred_on"), r.values.get("note"))
    for r in rows:
        if r.kind == "deals":
            p.deal(r)
    return p.out


def plan_files(parsed: Parsed, view: View) -> Changes:
    """`plan` for rows read from files, keeping the problems met while reading them (so a file with
    any problem is never written), dated today."""
    now = clock.now()
    changes = plan(parsed.rows, view, clock.latest_today(), now)  # the same "future" as every write
    changes.problems = parsed.problems + changes.problems
    return changes
