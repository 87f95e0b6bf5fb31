"""Clients and channels: create, patch, delete, bulk upsert by external id."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from datetime import date, datetime
from typing import Any, TypeVar

from referrals import clock
from referrals.errors import Conflict, FieldError, Invalid
from referrals.i18n import _, ngettext
from referrals.ids import new_id, new_ids
from referrals.model import Channel, ChannelInput, ChannelPatch, Client, ClientInput, ClientPatch, Deal, DealInput
from referrals.ports import Storage, Unit
from referrals.rules import refuse_future


@dataclass(frozen=True, slots=True)
class BulkResult:
    """What a bulk write did, row by row in input order."""

    created: int
    updated: int
    unchanged: int
    ids: tuple[str, ...]


def new_client(data: ClientInput | Client, cid: str, created: datetime, now: datetime) -> Client:
    """The client record of an input (every field of ClientInput is a field of Client)."""
    return Client(
        id=cid,
        name=data.name,
        email=data.email,
        phone=data.phone,
        status=data.status,
        tags=data.tags,
        external_id=data.external_id,
        notes=data.notes,
        acquired_on=data.acquired_on,
        created_at=created,
        updated_at=now,
    )


Record = TypeVar("Record", Client, Channel)


def _create(store: Storage, ws: str, rows: Callable[[Unit], Any], record: Record) -> Record:
    """Store a new record under the workspace lock."""

    def work(u: Unit) -> Record:
        u.workspaces.lock(ws)
        rows(u).insert(ws, [record])
        return record

    return store.write(work)


def _patch(store: Storage, ws: str, rows: Callable[[Unit], Any], record_id: str, patch: Any) -> Any:
    """Read, patch and write back under the workspace lock (two patches never undo each other)."""

    def work(u: Unit) -> Any:
        u.workspaces.lock(ws)
        record = patch.apply(rows(u).get(ws, record_id), clock.now())
        rows(u).replace(ws, [record])
        return record

    return store.write(work)


def create(store: Storage, ws: str, data: ClientInput) -> Client:
    refuse_future([("acquired_on", data.acquired_on)])
    now = clock.now()
    return _create(store, ws, lambda u: u.clients, new_client(data, new_id("client"), now, now))


def update(store: Storage, ws: str, client_id: str, patch: ClientPatch) -> Client:
    if isinstance(patch.acquired_on, date):
        refuse_future([("acquired_on", patch.acquired_on)])
    return _patch(store, ws, lambda u: u.clients, client_id, patch)  # type: ignore[no-any-return]


def require_external_ids(rows: Sequence[ClientInput] | Sequence[DealInput]) -> None:
    """Bulk upserts are keyed by external id: every row needs one, and no key may repeat."""
    errors: list[FieldError] = []
    seen: dict[str, int] = {}
    for i, r in enumerate(rows):
        if not r.external_id:
            errors.append(FieldError(f"rows[{i}].external_id", _("required for a bulk upsert")))
        elif r.external_id in seen:
            errors.append(FieldError(f"rows[{i}].external_id", _("repeats row %(row)s", row=seen[r.external_id])))
        else:
            seen[r.external_id] = i
    if errors:
        raise Invalid(errors)


R = TypeVar("R", Client, Deal)


def plan_upsert(
    existing: dict[str, R],
    rows: Sequence[Any],
    build: Callable[[Any, str, datetime], R],
    kind: str,
    now: datetime,
) -> tuple[list[R], list[R], BulkResult]:
    """Keyed by external id: a new record for an unknown key, a replacement when any field changed.
    Returns the records to create, those to replace, and the counts."""
    fresh: list[R] = []
    changed: list[R] = []
    ids: list[str] = []
    olds = [existing.get(row.external_id or "") for row in rows]
    made = iter(new_ids(kind, olds.count(None)))
    for row, old in zip(rows, olds, strict=True):
        record = build(row, old.id if old else next(made), old.created_at if old else now)
        ids.append(record.id)
        if old is None:
            fresh.append(record)
        elif _same(old, record):
            continue
        else:
            changed.append(record)
    result = BulkResult(len(fresh), len(changed), len(rows) - len(fresh) - len(changed), tuple(ids))
    return fresh, changed, result


def _same(old: Any, new: Any) -> bool:
    """Equal but for the update time: nothing to write."""
    return bool(replace(new, updated_at=old.updated_at) == old)


def upsert(store: Storage, ws: str, rows: Sequence[ClientInput]) -> BulkResult:
    """Create or replace clients keyed by external id, in one transaction."""
    require_external_ids(rows)
    refuse_future((f"rows[{i}].acquired_on", r.acquired_on) for i, r in enumerate(rows))

    def work(u: Unit) -> BulkResult:
        u.workspaces.lock(ws)  # two upserts of one new external id: the second sees the first's client
        existing = u.clients.by_external_id(ws, [r.external_id or "" for r in rows])
        now = clock.now()
        fresh, changed, result = plan_upsert(
            existing, rows, lambda row, cid, created: new_client(row, cid, created, now), "client", now
        )
        u.clients.insert(ws, fresh)
        u.clients.replace(ws, changed)
        return result

    return store.write(work)


def put(store: Storage, ws: str, row: ClientInput) -> tuple[Client, bool]:
    """One client by external id, in one transaction: created (True) or updated/unchanged (False), as stored."""

    def work(u: Unit) -> tuple[Client, bool]:
        u.workspaces.lock(ws)
        old = u.clients.by_external_id(ws, [row.external_id or ""]).get(row.external_id or "")
        now = clock.now()
        if old is None:
            client = new_client(row, new_id("client"), now, now)
            u.clients.insert(ws, [client])
            return client, True
        client = new_client(row, old.id, old.created_at, now)
        if _same(old, client):
            return old, False
        u.clients.replace(ws, [client])
        return client, False

    require_external_ids([row])
    refuse_future([("acquired_on", row.acquired_on)])
    return store.write(work)


# -- channels -----------------------------------------------------------------------------


def new_channel(data: ChannelInput | Channel, cid: str, now: datetime) -> Channel:
    """The channel record of an input."""
    return Channel(
        id=cid,
        name=data.name,
        kind=data.kind,
        url=data.url,
        external_id=data.external_id,
        notes=data.notes,
        created_at=now,
        updated_at=now,
    )


def create_channel(store: Storage, ws: str, data: ChannelInput) -> Channel:
    return _create(store, ws, lambda u: u.channels, new_channel(data, new_id("channel"), clock.now()))


def update_channel(store: Storage, ws: str, channel_id: str, patch: ChannelPatch) -> Channel:
    return _patch(store, ws, lambda u: u.channels, channel_id, patch)  # type: ignore[no-any-return]


def delete_channel(store: Storage, ws: str, channel_id: str) -> None:
    """Delete a channel that recommended no one."""

    def work(u: Unit) -> None:
        u.workspaces.lock(ws)
        u.channels.get(ws, channel_id)
        used = u.channels.uses(ws, channel_id)
        if used:
            raise Conflict(
                "id",
                ngettext(
                    "the channel is the source of %(n)s recommendation; delete it first",
                    "the channel is the source of %(n)s recommendations; delete those first",
                    used,
                ),
            )
        u.channels.remove(ws, channel_id)

    store.write(work)
