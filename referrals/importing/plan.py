"""Planning an import: rows read from files, checked against the files and the workspace, become the
writes of one transaction (or a report of every problem, and then nothing is written).

Pure: rows and a View of the workspace in, Changes out; `graph` applies a plan in one transaction.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import replace
from datetime import date, datetime
from typing import Any

from referrals import clock
from referrals.errors import Invalid
from referrals.i18n import _, lazy
from referrals.ids import new_ids
from referrals.importing.cells import (
    CellError,
    DateOrder,
    cell_amount,
    cell_currency,
    cell_date,
    cell_tags,
    read_amount,
    slash_parts,
)
from referrals.importing.changes import Changes, Hints, PlanOptions, Undated, View
from referrals.importing.columns import company_in, company_of_notes
from referrals.importing.read import Parsed, Problem, Row
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
from referrals.money import Money, parse_amount
from referrals.rules import CYCLE_REASON, FUTURE_REASON, Edge, ReferralGraph
from referrals.usecases.clients import new_channel, new_client
from referrals.usecases.deals import closed_message, first_closed


class _Planner:
    def __init__(self, view: View, today: date, now: datetime, opts: PlanOptions, hints: Hints) -> None:
        self.view, self.today, self.now, self.opts, self.hints = view, today, now, opts, hints
        self.out = Changes()
        self._ids: dict[str, Iterator[str]] = {}
        self.first_deal: dict[str, date] = {}
        for d in view.deals:
            self._paid(d)
        self.channels: dict[str, Channel] = {name_key(c.name): c for c in view.channels}
        self.channel_ext: dict[str, Channel] = {c.external_id: c for c in view.channels if c.external_id}
        self.clients: dict[str, Client] = {c.id: c for c in view.clients}
        self.by_ext: dict[str, str] = {c.external_id: c.id for c in view.clients if c.external_id}
        self.by_email: dict[str, str] = {c.email.lower(): c.id for c in view.clients if c.email}
        self.by_phone: dict[str, str] = {c.phone: c.id for c in view.clients if c.phone}
        self.new_at: dict[str, int] = {}  # id of a client the files create -> its place in new_clients
        self.origin: dict[str, str] = {}  # id -> "file row N" where the files first named it
        self.by_name: dict[str, set[str]] = {}
        for c in view.clients:
            self.by_name.setdefault(name_key(c.name), set()).add(c.id)
        self.graph = ReferralGraph(Edge(r.source, r.client_id, r.primary) for r in view.referrals)
        self.deal_ext: dict[str, Deal] = {d.external_id: d for d in view.deals if d.external_id}
        self.deal_keys: set[tuple[str, date, int, str, str]] = {_deal_key(d) for d in view.deals}
        self.seen: dict[tuple[str, str], tuple[str, int]] = {}  # (kind, key) -> (file, row) that first used it
        self.pending: list[tuple[Row, str | None, str, str | None, str | None]] = []

    def _paid(self, d: Deal) -> None:
        """Keep each client's first paid (not refunded) deal day, for --undated before-first-deal."""
        if d.amount.minor > 0 and (d.client_id not in self.first_deal or d.closed_on < self.first_deal[d.client_id]):
            self.first_deal[d.client_id] = d.closed_on

    def day(self, row: Row, name: str, text: str | None = None) -> date:
        """A date cell of the row, read in its column's order; CellError with the reason."""
        text = row.values.get(name, "") if text is None else text
        order: DateOrder | str | None = self.opts.order or self.hints.orders.get((row.file, name))
        if isinstance(order, str) and not isinstance(order, DateOrder):  # the column contradicts itself
            if slash_parts(text) is not None:
                raise CellError(order)
            order = None
        return cell_date(text, self.today, order=order)

    def with_extras(self, row: Row, notes: str | None) -> str | None:
        """The row's notes with the columns no field reads appended as "Header: value" lines."""
        if not row.extras:
            return notes
        lines = [notes] if notes else []
        lines += [f"{h}: {v}" for h, v in row.extras.items()]
        return "\n".join(lines)

    def problem(self, row: Row, column: str, reason: str, value: str | None = None) -> None:
        self.out.problems.append(
            Problem(row.file, row.row, column, row.values.get(column, "") if value is None else value, reason)
        )

    def once(self, row: Row, kind: str, key: str, column: str) -> bool:
        """False (and a problem) when an earlier row of the files already used this key."""
        first = self.seen.setdefault((kind, key), (row.file, row.row))
        if first != (row.file, row.row):
            if first[0] == row.file:
                where = _("row %(row)s", row=first[1])
            else:
                where = _("%(file)s row %(row)s", file=first[0], row=first[1])
            self.problem(row, column, _("repeats %(where)s", where=where))
            return False
        return True

    # channels ------------------------------------------------------------------
    def channel(self, row: Row) -> None:
        v = dict(row.values)
        name = v.pop("channel", None) or v.pop("name", None)
        data: dict[str, Any] = {"name": name, **{k: v[k] for k in ("kind", "url", "external_id", "notes") if k in v}}
        if row.extras:
            data["notes"] = self.with_extras(row, data.get("notes"))
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
            ch = new_channel(parsed, self.fresh_id("channel"), self.now)
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
        if row.extras:
            data["notes"] = self.with_extras(row, data.get("notes"))
        if "acquired_on" in data:
            try:
                data["acquired_on"] = self.day(row, "acquired_on").isoformat()
            except CellError as e:
                self.problem(row, "acquired_on", str(e))
                self.out.summary["clients"]["rejected"] += 1
                return
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
                lazy(FUTURE_REASON).format(day=parsed.acquired_on.isoformat()),
            )
            self.out.summary["clients"]["rejected"] += 1
            return
        key = parsed.external_id or (parsed.email.lower() if parsed.email else None) or name_key(parsed.name)
        if not self.once_in_file(
            row, key, "external_id" if parsed.external_id else "email" if parsed.email else "name"
        ):
            self.out.summary["clients"]["rejected"] += 1
            return
        found = self._match(parsed, row)
        if found is False:
            self.out.summary["clients"]["rejected"] += 1
            return
        given = {k for k in data if k != "name"} | {"name"}
        if found is None:
            c = new_client(parsed, self.fresh_id("client"), self.now, self.now)
            self.new_at[c.id] = len(self.out.new_clients)
            self.origin[c.id] = _("%(file)s row %(row)s", file=row.file, row=row.row)
            self.out.new_clients.append(c)
            self.out.summary["clients"]["created"] += 1
        else:
            existing, reason = found
            from_files = existing.id in self.new_at
            c, filled, kept = _merged(existing, parsed, given, overwrite=self.opts.update and not from_files)
            if from_files:
                whom = _("the client from %(where)s", where=self.origin[existing.id])
            else:
                whom = _("stored client %(name)s", name=existing.name)
            line = _(
                "%(file)s row %(row)s (%(name)s) is %(whom)s: %(reason)s",
                file=row.file,
                row=row.row,
                name=parsed.name,
                whom=whom,
                reason=reason,
            )
            if filled:
                line += "; " + _("fills %(fields)s", fields=", ".join(filled))
            if kept and not from_files:
                line += "; " + _("keeps its %(fields)s (--update overwrites)", fields=", ".join(kept))
            self.out.matches.append(line)
            if from_files:
                self.out.new_clients[self.new_at[existing.id]] = c
                self.out.summary["clients"]["unchanged"] += 1
            elif c != existing:
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
        if c.phone:
            self.by_phone.setdefault(c.phone, c.id)
        self.by_name.setdefault(name_key(c.name), set()).add(c.id)
        if "referred_by" in v:
            self.pending.append((row, c.id, v["referred_by"], v.get("referred_on"), None))

    def once_in_file(self, row: Row, key: str, column: str) -> bool:
        """A client's key repeated within one file is refused; the same person in another file (a vCard
        and a CSV, say) is matched to the client the first one made."""
        first = self.seen.setdefault(("client", key), (row.file, row.row))
        if first[0] == row.file and first != (row.file, row.row):
            self.problem(row, column, _("repeats %(where)s", where=_("row %(row)s", row=first[1])))
            return False
        return True

    def _match(self, parsed: ClientInput, row: Row) -> tuple[Client, str] | None | bool:
        """The client this row describes — stored, or made by an earlier row of the files — and why: by
        external id, then email, then phone (compared in E.164, so any spelling of it), then exact name;
        None for a new one, False (with a problem) when the row contradicts what is known. A row with a
        company column (Company, Компания, Organization… kept in the notes) also matches the one client
        of the same name whose notes name the same company and whose email and external id do not differ
        from the row's — so one person from a CRM export (with a work email) and from a phone or LinkedIn
        (no email) is one client."""
        cid, reason = None, ""
        if parsed.external_id:
            cid, reason = self.by_ext.get(parsed.external_id), _("the same external id %(id)s", id=parsed.external_id)
        if cid is None and parsed.email:
            cid, reason = self.by_email.get(parsed.email.lower()), _("the same email %(email)s", email=parsed.email)
            if cid and parsed.external_id and self.clients[cid].external_id not in (None, parsed.external_id):
                self.problem(
                    row,
                    "email",
                    _(
                        "belongs to client %(id)s, whose external id is %(external)s",
                        id=cid,
                        external=self.clients[cid].external_id,
                    ),
                )
                return False
        if cid is None and parsed.phone:
            cid, reason = self.by_phone.get(parsed.phone), _("the same phone %(phone)s", phone=parsed.phone)
            if cid and parsed.email and self.clients[cid].email not in (None, parsed.email):
                cid = None  # the same phone, another email: a shared number (a family, an office), not one person
        company = company_in(row.extras.items())
        if cid is None and company:
            same = [
                i
                for i in sorted(self.by_name.get(name_key(parsed.name), ()))
                if company_of_notes(self.clients[i].notes) == company and not _contradicts(self.clients[i], parsed)
            ]
            if len(same) == 1:
                shown = next(v for h, v in row.extras.items() if company_in([(h, v)]))
                cid, reason = same[0], _("the same name and company %(company)s", company=shown.strip())
        if cid is None and not parsed.external_id and not parsed.email:
            named = self.by_name.get(name_key(parsed.name), set())
            if len(named) > 1:
                self.problem(row, "name", _("several clients have this name; add an email or an external id"))
                return False
            cid, reason = next(iter(named), None), _("the same name")
        if cid is not None and parsed.email:
            other = self.by_email.get(parsed.email.lower())
            if other is not None and other != cid:
                self.problem(row, "email", _("belongs to another client (%(id)s)", id=other))
                return False
        return (self.clients[cid], reason) if cid else None

    def fresh_id(self, kind: str) -> str:
        """A new id for a record of `kind`, drawn from ids made a thousand at a time for this import."""
        made = self._ids.get(kind)
        got = next(made, None) if made is not None else None
        if got is None:
            made = self._ids[kind] = iter(new_ids(kind, 1024))
            got = next(made)
        return got

    # references ----------------------------------------------------------------
    def resolve(self, text: str, clients_only: bool = False) -> SourceRef | str:
        """A client (by external id, email or exact name) or channel (by name or external id), or why not."""
        t = text.strip()
        by_ext, by_email = self.by_ext.get(t), self.by_email.get(t.lower())
        named = () if by_ext or by_email else self.by_name.get(name_key(t), ())
        if (by_ext and by_email and by_ext != by_email) or len(named) > 1:
            return _("matches several clients; use an email or an external id")
        if by_ext or by_email or named:  # an external id or an email, else the name: one client
            return SourceRef(_CLIENT, by_ext or by_email or next(iter(named)))
        if not clients_only:
            ch = self.channels.get(name_key(t)) or self.channel_ext.get(t)
            if ch:
                return SourceRef(SourceKind.CHANNEL, ch.id)
        if clients_only:
            return _("no client with this name, email or external id in the files or the workspace")
        return _("no client or channel with this name, email or external id in the files or the workspace")

    def referral(self, row: Row, client: str | None, source_text: str, on_text: str | None, note: str | None) -> None:
        where = "referred_by"
        if client is None:
            got = self.resolve(row.values.get("client", ""), clients_only=True)
            if isinstance(got, str):
                self.problem(row, "client", got if row.values.get("client") else _("required"))
                self.out.summary["referrals"]["rejected"] += 1
                return
            client = got.id
        source = self.resolve(source_text)
        if isinstance(source, str):
            self.problem(row, where, source, source_text)
            self.out.summary["referrals"]["rejected"] += 1
            return
        try:
            on = self.day(row, "referred_on", on_text) if on_text else self.undated(row, client)
        except CellError as e:
            self.problem(row, "referred_on", str(e), on_text or "")
            self.out.summary["referrals"]["rejected"] += 1
            return
        if source.kind is SourceKind.CLIENT and source.id == client:
            self.problem(row, where, _("a client cannot refer themselves"), source_text)
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
            reason = lazy(CYCLE_REASON).format(client=who, source=source_text)
            self.problem(row, where, reason, source_text)
            self.out.summary["referrals"]["rejected"] += 1
            return
        primary = not self.graph.has_primary(client)
        self.graph.add(Edge(source, client, primary))
        self.out.new_referrals.append(
            Referral(
                id=self.fresh_id("referral"),
                source=source,
                client_id=client,
                referred_on=on,
                note=note,
                primary=primary,
                created_at=self.now,
            )
        )
        self.out.summary["referrals"]["created"] += 1

    def undated(self, row: Row, client: str) -> date:
        """The date the undated policy gives a recommendation with no referred_on; CellError when none."""
        policy = self.opts.undated
        if "acquired_on" in row.values and row.kind == "clients":
            how, got = "acquired", self.day(row, "acquired_on")  # the row's own date, as ever
        elif policy is Undated.REFUSE:
            raise CellError(
                _("required: give referred_on (or acquired_on), or choose --undated acquired or before-first-deal")
            )
        else:
            acquired = self.clients[client].acquired_on
            first = self.first_deal.get(client) if policy is Undated.BEFORE_FIRST_DEAL else None
            how, got = ("first deal", first) if first else ("acquired", acquired)
            if got is None:
                if policy is Undated.BEFORE_FIRST_DEAL:
                    wanted = _(
                        "required: the client has no paid deal and no acquired date to date it by (--undated %(how)s)",
                        how=policy.value,
                    )
                else:
                    wanted = _(
                        "required: the client has no acquired date to date it by (--undated %(how)s)", how=policy.value
                    )
                raise CellError(wanted)
        self.out.dated[how] = self.out.dated.get(how, 0) + 1
        return got

    # deals ---------------------------------------------------------------------
    def deal(self, row: Row) -> None:
        v = row.values
        bad = False
        got = self.resolve(v.get("client", ""), clients_only=True) if v.get("client") else _("required")
        if isinstance(got, str):
            self.problem(row, "client", got)
            bad = True
        currency = amount = closed_on = None
        written = None
        if v.get("amount"):
            try:
                written = None if "amount" in row.plain else read_amount(v["amount"], self.hints.decimals.get(row.file))
            except CellError as e:
                self.problem(row, "amount", str(e))
                bad = True
        try:
            currency = cell_currency(v["currency"]) if v.get("currency") else None
            if currency is None and written is not None and written.currency:
                currency = written.currency
            if currency is None:
                raise CellError(_("required (or write it with the amount, e.g. 1250 ₽ or €1250)"))
        except CellError as e:
            self.problem(row, "currency", str(e))
            bad = True
        if currency and not bad:
            try:
                if not v.get("amount"):
                    self.problem(row, "amount", _("required"))
                elif written is None:
                    amount = parse_amount(v["amount"], currency)
                else:
                    amount = cell_amount(v["amount"], currency, self.hints.decimals.get(row.file))
            except CellError as e:
                self.problem(row, "amount", str(e))
            except Invalid as e:
                self.problem(row, "amount", e.errors[0].reason)
        bad = bad or amount is None
        try:
            closed_on = self.day(row, "closed_on") if v.get("closed_on") else None
            if closed_on is None:
                self.problem(row, "closed_on", _("required"))
        except CellError as e:
            self.problem(row, "closed_on", str(e))
        bad = bad or closed_on is None
        if bad or isinstance(got, str) or amount is None or currency is None or closed_on is None:
            self.out.summary["deals"]["rejected"] += 1
            return
        title, ext = v.get("title"), v.get("external_id")
        new = Deal(
            id=self.fresh_id("deal"),
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
        self._paid(new)
        self.out.summary["deals"]["updated" if old else "created"] += 1


_CLIENT = SourceKind.CLIENT  # read once: an enum member read through its class costs a descriptor call
_CLIENT_FIELDS = ("email", "phone", "status", "tags", "external_id", "notes", "acquired_on")


def _contradicts(client: Client, parsed: ClientInput) -> bool:
    """The row names another email or external id than the client holds (another phone does not: people
    have a work and a mobile number, and the match lists the phone it keeps)."""
    return bool(
        (parsed.email and client.email and client.email.lower() != parsed.email.lower())
        or (parsed.external_id and client.external_id and client.external_id != parsed.external_id)
    )


def _merged(
    existing: Client, parsed: ClientInput, given: set[str], *, overwrite: bool
) -> tuple[Client, list[str], list[str]]:
    """`existing` with the row's values: every empty field filled; a filled one replaced only when
    `overwrite`. Returns the client, the fields filled or replaced, and those kept though the row differs."""
    changes: dict[str, Any] = {}
    filled: list[str] = []
    kept: list[str] = []
    for name in _CLIENT_FIELDS:
        if name not in given:
            continue
        new, old = getattr(parsed, name), getattr(existing, name)
        if new == old or new in (None, ()):
            continue
        if old in (None, ()) or overwrite:
            changes[name] = new
            filled.append(name)
        elif name == "notes":  # notes add up: the lines the client does not have yet are appended
            lines = [line for line in new.split("\n") if line not in old.split("\n")]
            if lines:
                changes[name] = "\n".join([old, *lines])
                filled.append("notes (added)")
        else:
            kept.append(name)
    if parsed.name != existing.name:
        if overwrite:
            changes["name"] = parsed.name
            filled.append("name")
        else:
            kept.insert(0, "name")
    return replace(existing, **changes), filled, kept


def _deal_key(d: Deal) -> tuple[str, date, int, str, str]:
    return (d.client_id, d.closed_on, d.amount.minor, d.amount.currency, d.title or "")


def plan(rows: Sequence[Row], view: View, today: date, now: datetime, opts: PlanOptions | None = None) -> Changes:
    """Check every row against the files and the workspace and work out the writes.

    Order: channels, then clients (so recommendations and deals can name them), then deals (so an
    undated recommendation can be dated by the client's first deal), then recommendations (from a
    clients file's referred_by column and from referrals files, in file order). Re-running the same
    import plans nothing: clients match by external id, email or exact name, channels by name,
    recommendations by their pair, deals by external id or by client, date, amount, currency and title.
    """
    p = _Planner(view, today, now, opts or PlanOptions(), Hints.of(rows))
    for r in rows:
        if r.kind == "channels":
            p.channel(r)
    for r in rows:
        if r.kind == "clients":
            p.client(r)
    for r in rows:
        if r.kind == "deals":
            p.deal(r)
    for row, client, source, on, note in p.pending:
        p.referral(row, client, source, on, note)
    for r in rows:
        if r.kind == "referrals":
            if not r.values.get("referred_by"):
                p.problem(r, "referred_by", _("required"))
                p.out.summary["referrals"]["rejected"] += 1
                continue
            note = p.with_extras(r, r.values.get("notes"))
            p.referral(r, None, r.values["referred_by"], r.values.get("referred_on"), note)
    return p.out


def plan_files(parsed: Parsed, view: View, opts: PlanOptions | None = None) -> Changes:
    """`plan` for rows read from files, keeping the problems and warnings met while reading them (so a
    file with any problem is never written), dated today."""
    now = clock.now()
    changes = plan(parsed.rows, view, clock.latest_today(), now, opts)  # the same "future" as every write
    changes.problems = parsed.problems + changes.problems
    changes.warnings = parsed.warnings + changes.warnings
    return changes
