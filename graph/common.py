"""Store-independent helpers shared by both store implementations."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from datetime import date, datetime
from typing import Any, TypeVar

from graph.contract import BulkResult
from referrals.attribution import Arrival, DealFacts, PeriodFacts, Step, checksum, freeze
from referrals.errors import Conflict, FieldError, Invalid
from referrals.ids import new_id
from referrals.model import Client, ClientInput, ClosedMonth, Deal, DealInput, SourceKind, SourceRef


def require_external_ids(rows: Sequence[ClientInput] | Sequence[DealInput]) -> None:
    """Bulk upserts are keyed by external id: every row needs one, and no key may repeat."""
    errors: list[FieldError] = []
    seen: dict[str, int] = {}
    for i, r in enumerate(rows):
        if not r.external_id:
            errors.append(FieldError(f"rows[{i}].external_id", "required for a bulk upsert"))
        elif r.external_id in seen:
            errors.append(FieldError(f"rows[{i}].external_id", f"repeats row {seen[r.external_id]}"))
        else:
            seen[r.external_id] = i
    if errors:
        raise Invalid(errors)


R = TypeVar("R", Client, Deal)


def _plan(
    existing: dict[str, R],
    rows: Sequence[ClientInput] | Sequence[DealInput],
    build: Callable[[Any, str, datetime], R],
    fields: Callable[[R], tuple[object, ...]],
    kind: str,
    now: datetime,
) -> tuple[list[R], BulkResult]:
    """Keyed by external id: a new record for an unknown key, a replacement when any field changed."""
    require_external_ids(rows)
    writes: list[R] = []
    ids: list[str] = []
    created = updated = 0
    for row in rows:
        old = existing.get(row.external_id or "")
        record = build(row, old.id if old else new_id(kind), old.created_at if old else now)
        ids.append(record.id)
        if old is None:
            created += 1
            writes.append(record)
        elif fields(old) != fields(record):
            updated += 1
            writes.append(record)
    return writes, BulkResult(created, updated, len(rows) - created - updated, tuple(ids))


def plan_client_upsert(
    existing: dict[str, Client], rows: Sequence[ClientInput], now: datetime
) -> tuple[list[Client], BulkResult]:
    """Decide which rows create or replace a client; return the records to write and counts."""

    def build(row: ClientInput, cid: str, created: datetime) -> Client:
        return Client(
            id=cid,
            name=row.name,
            email=row.email,
            status=row.status,
            tags=row.tags,
            external_id=row.external_id,
            notes=row.notes,
            acquired_on=row.acquired_on,
            created_at=created,
            updated_at=now,
        )

    return _plan(existing, rows, build, _client_fields, "client", now)


def plan_deal_upsert(
    existing: dict[str, Deal], rows: Sequence[DealInput], known_clients: set[str], now: datetime
) -> tuple[list[Deal], BulkResult]:
    """Decide which rows create or replace a deal; every deal's client must exist."""
    missing = [
        FieldError(f"rows[{i}].client_id", f"no client with id {r.client_id!r}")
        for i, r in enumerate(rows)
        if r.client_id not in known_clients
    ]
    if missing:
        raise Invalid(missing)

    def build(row: DealInput, did: str, created: datetime) -> Deal:
        return Deal(
            id=did,
            client_id=row.client_id,
            amount=row.amount,
            closed_on=row.closed_on,
            title=row.title,
            external_id=row.external_id,
            created_at=created,
            updated_at=now,
        )

    return _plan(existing, rows, build, _deal_fields, "deal", now)


def _client_fields(c: Client) -> tuple[object, ...]:
    return (c.name, c.email, c.status, c.tags, c.notes, c.acquired_on)


def _deal_fields(d: Deal) -> tuple[object, ...]:
    return (d.client_id, d.amount, d.closed_on, d.title)


# -- closed months ------------------------------------------------------------------------

CHUNK_LINES = 1_000  # frozen lines stored per record


def month_of(day: date) -> str:
    """YYYY-MM of a date."""
    return f"{day.year:04d}-{day.month:02d}"


def refuse_closed(closed: Iterable[str], field: str = "closed_on") -> None:
    """Conflict naming the first closed month among `closed`, if any: its deals are frozen."""
    months = sorted(set(closed))
    if months:
        m = months[0]
        raise Conflict(
            field,
            f"{m} is closed for attribution; reopen it (referrals attribution reopen --month {m}) to change its deals",
        )


def freeze_month(month: str, facts: PeriodFacts, now: datetime) -> tuple[ClosedMonth, list[str]]:
    """The record of a month being closed and its frozen lines, in chunks of CHUNK_LINES lines."""
    lines = freeze(facts)
    closed = ClosedMonth(
        month=month, closed_at=now, deals=len(facts.deals), new_clients=len(facts.arrivals), checksum=checksum(lines)
    )
    chunks = ["\n".join(lines[i : i + CHUNK_LINES]) for i in range(0, len(lines), CHUNK_LINES)]
    return closed, chunks


def unchunk(chunks: Iterable[str]) -> list[str]:
    """The frozen lines of stored chunks."""
    return [line for chunk in chunks if chunk for line in chunk.split("\n")]


# -- a period's uplines from the distinct ancestors of its clients ----------------------------

# A client's primary source as one step of an upline, and that source's own id when it is a client
# (None for a channel: the chain ends there).
Link = tuple[Step, str | None]


def link(kind: SourceKind, source_id: str, name: str, on: date, active: bool) -> Link:
    """The link from a client to its primary source."""
    return Step(SourceRef(kind, source_id), name, on, active), source_id if kind is SourceKind.CLIENT else None


def period_facts(
    start: date,
    end: date,
    deals: Iterable[DealFacts],
    arrivals: Iterable[tuple[str, date]],
    parents: Mapping[str, Link],
) -> PeriodFacts:
    """Assemble a period's facts from its deals, its arrivals and the primary source of every client on
    their chains (each ancestor read once, however many chains share it). Uplines are built by walking
    parent links; steps are shared objects, and a client's upline is built once."""
    uplines: dict[str, tuple[Step, ...]] = {}

    def upline(client_id: str) -> tuple[Step, ...]:
        found = uplines.get(client_id)
        if found is not None:
            return found
        walk: list[tuple[str, Link | None]] = []
        node: str | None = client_id
        while node is not None and node not in uplines:
            up = parents.get(node)
            walk.append((node, up))
            node = up[1] if up is not None else None
        above = uplines[node] if node is not None else ()
        for c, up in reversed(walk):
            if up is None:
                above = ()
            elif up[1] is None:
                above = (up[0],)
            else:
                above = (up[0], *above)
            uplines[c] = above
        return uplines[client_id]

    return PeriodFacts(
        start,
        end,
        tuple((d, upline(d.client_id)) for d in sorted(deals, key=lambda d: d.id)),
        tuple(Arrival(c, on, upline(c)) for c, on in sorted(arrivals)),
    )
