"""Imports: read the workspace, let the importer plan the changes, and write them, in one transaction
under the workspace lock (so the plan still holds when it is written). Nothing is written for a dry
run, or when the plan has any problem.

Every import that writes is a batch (`im_…`) that can be undone: the batch keeps the id of each record
it created (with the stamp it left: `updated_at`, or a recommendation's primary flag) and each record it
updated as it was before (in the backup codec's form). Undo removes the created records and restores
the updated ones, all or nothing, and is refused — naming each — while anything recorded since depends
on the batch: one of its records changed or deleted, a recommendation, deal or source change that
points at a record it created, or a deal in a month closed since.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from referrals import backup, clock
from referrals.errors import Conflict, FieldError, NotFound
from referrals.i18n import _, ngettext
from referrals.ids import new_id
from referrals.importing import Changes, View
from referrals.model import Channel, Client, Deal, Referral
from referrals.ports import Storage, StoredBatch, Unit
from referrals.usecases.deals import closed_message, month_of

PAYLOAD_VERSION = 1
DEPENDENTS_SHOWN = 20  # the reasons an undo refusal spells out; the count says how many there are


def view(u: Unit, ws: str) -> View:
    """What the workspace holds that an import is checked against."""
    return View(
        clients=list(u.clients.each(ws)),
        channels=list(u.channels.each(ws)),
        referrals=list(u.referrals.each(ws)),
        deals=list(u.deals.each(ws)),
        closed_months=frozenset(m.month for m in u.months.each(ws)),
    )


def run(
    store: Storage,
    ws: str,
    build: Callable[[View], Changes],
    dry_run: bool = False,
    files: Sequence[str] = (),
) -> Changes:
    def work(u: Unit) -> Changes:
        if dry_run:
            u.workspaces.require(ws)
        else:
            u.workspaces.lock(ws)
        before = view(u, ws)
        changes = build(before)
        if dry_run or changes.problems or not changes.writes:
            return changes
        u.channels.insert(ws, changes.new_channels)
        u.channels.replace(ws, changes.updated_channels)
        u.clients.insert(ws, changes.new_clients)
        u.clients.replace(ws, changes.updated_clients)
        u.referrals.insert(ws, changes.new_referrals)
        u.deals.insert(ws, changes.new_deals)
        u.deals.replace(ws, changes.updated_deals)
        batch = _batch(changes, before, files, clock.now())
        u.batches.insert(ws, batch)
        changes.batch = batch.id
        return changes

    return store.read(work) if dry_run else store.write(work)


# -- the batch record ------------------------------------------------------------------------------

Stamped = Channel | Client | Deal


def _stamp(record: Stamped | Referral) -> str:
    """What a record looks like when its batch leaves it: any later change moves this."""
    if isinstance(record, Referral):
        return "primary" if record.primary else "secondary"
    return record.updated_at.isoformat(timespec="microseconds")


def _batch(changes: Changes, before: View, files: Sequence[str], now: datetime) -> StoredBatch:
    old: dict[str, Stamped] = {r.id: r for r in (*before.clients, *before.channels, *before.deals)}
    created = {
        "channel": [[c.id, _stamp(c)] for c in changes.new_channels],
        "client": [[c.id, _stamp(c)] for c in changes.new_clients],
        "referral": [[r.id, _stamp(r)] for r in changes.new_referrals],
        "deal": [[d.id, _stamp(d)] for d in changes.new_deals],
    }
    updated = [
        {"after": _stamp(r), "before": backup.encode(old[r.id])}
        for r in (*changes.updated_channels, *changes.updated_clients, *changes.updated_deals)
    ]
    summary = {
        "channels": {"created": len(changes.new_channels), "updated": len(changes.updated_channels)},
        "clients": {"created": len(changes.new_clients), "updated": len(changes.updated_clients)},
        "referrals": {"created": len(changes.new_referrals), "updated": 0},
        "deals": {"created": len(changes.new_deals), "updated": len(changes.updated_deals)},
    }
    payload = json.dumps({"version": PAYLOAD_VERSION, "created": created, "updated": updated}, ensure_ascii=False)
    return StoredBatch(new_id("import"), now, tuple(files), summary, None, payload)


def recent(store: Storage, ws: str, limit: int = 50) -> list[StoredBatch]:
    """The workspace's imports, newest first."""

    def work(u: Unit) -> list[StoredBatch]:
        u.workspaces.require(ws)
        return u.batches.recent(ws, limit)

    return store.read(work)


# -- undo ------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Undone:
    """What an undo removed and restored, by kind."""

    batch: str
    removed: dict[str, int]
    restored: dict[str, int]


def _label(record: Any) -> str:
    name = getattr(record, "name", None)
    return f"{name} ({record.id})" if name else record.id


def _dependents(payload: dict[str, Any], now: View, history: Iterable[Any]) -> list[tuple[str, str | None]]:
    """Why the batch cannot be undone: every later change that depends on it, in words, each with the id
    of the record that changed (None for a closed month)."""
    created: dict[str, dict[str, str]] = {k: dict(map(tuple, v)) for k, v in payload["created"].items()}
    current: dict[str, dict[str, Any]] = {
        "channel": {c.id: c for c in now.channels},
        "client": {c.id: c for c in now.clients},
        "referral": {r.id: r for r in now.referrals},
        "deal": {d.id: d for d in now.deals},
    }
    names = {**current["channel"], **current["client"]}

    def who(rid: str) -> str:
        return _label(names[rid]) if rid in names else rid

    why: list[tuple[str, str | None]] = []
    for kind, records in created.items():
        for rid, stamp in records.items():
            found = current[kind].get(rid)
            if found is None:
                why.append((f"{kind} {rid} it created was deleted since", rid))
            elif _stamp(found) != stamp:
                change = f"is the {_stamp(found)} source now" if kind == "referral" else "was changed since"
                why.append((f"{kind} {_label(found)} it created {change}", rid))
    new_clients, new_sources = set(created["client"]), set(created["client"]) | set(created["channel"])
    for r in now.referrals:
        if r.id not in created["referral"] and (r.client_id in new_clients or r.source.id in new_sources):
            why.append((f"recommendation {r.id} ({who(r.source.id)} → {who(r.client_id)}) was recorded since", r.id))
    for d in now.deals:
        if d.id not in created["deal"] and d.client_id in new_clients:
            why.append((f"deal {d.id} of {who(d.client_id)} was recorded since", d.id))
    new_referrals = set(created["referral"])
    for h in history:
        c = h.change
        if c.client_id in new_clients or {c.referral_id, c.previous_referral_id} & new_referrals:
            why.append((f"the source of {who(c.client_id)} was changed since", c.referral_id))
    for item in payload["updated"]:
        before = backup.decode(item["before"], "")
        kind = item["before"]["type"]
        found = current[kind].get(before.id)
        if found is None:
            why.append((f"{kind} {_label(before)} it updated was deleted since", before.id))
        elif _stamp(found) != item["after"]:
            why.append((f"{kind} {_label(found)} it updated was changed since", before.id))
    closed = set(now.closed_months)
    months = {month_of(current["deal"][d].closed_on) for d in created["deal"] if d in current["deal"]}
    for item in payload["updated"]:
        if item["before"]["type"] == "deal":
            before = backup.decode(item["before"], "")
            months.add(month_of(before.closed_on))
            if before.id in current["deal"]:
                months.add(month_of(current["deal"][before.id].closed_on))
    why += [(closed_message(m), None) for m in sorted(months & closed)]
    return why


def _written_by(u: Unit, ws: str, batch: StoredBatch) -> dict[str, str]:
    """Which later import (not undone) wrote each record it created or updated."""
    by: dict[str, str] = {}
    for later in u.batches.recent(ws, 1000):
        if later.undone_at is not None or (later.created_at, later.id) <= (batch.created_at, batch.id):
            continue
        full = u.batches.get(ws, later.id)
        payload = json.loads(full.payload or "{}") if full else {}
        for records in payload.get("created", {}).values():
            by.update((rid, later.id) for rid, _ in records)
        by.update((item["before"]["id"], later.id) for item in payload.get("updated", ()))
    return by


def undo(store: Storage, ws: str, batch_id: str) -> Undone:
    """Remove what the batch created and restore what it updated, in one transaction; NotFound for an
    unknown batch, Conflict when it was undone already or later changes depend on it (each named)."""

    def work(u: Unit) -> Undone:
        u.workspaces.lock(ws)
        batch = u.batches.get(ws, batch_id)
        if batch is None:
            raise NotFound("import", batch_id, field="batch")
        if batch.undone_at is not None:
            raise Conflict(
                "batch",
                _("import %(id)s was undone already, at %(at)s", id=batch_id, at=batch.undone_at.isoformat()),
            )
        payload = json.loads(batch.payload or "{}")
        now = view(u, ws)
        found = _dependents(payload, now, u.referrals.each_history(ws))
        if found:
            by = _written_by(u, ws, batch)
            why = [f"{w} by import {by[rid]} (undo that first)" if rid in by else w for w, rid in found]
            shown = "; ".join(why[:DEPENDENTS_SHOWN])
            more = "; … " + _("and %(n)s more", n=len(why) - DEPENDENTS_SHOWN) if len(why) > DEPENDENTS_SHOWN else ""
            error = Conflict(
                "batch",
                _(
                    "import %(id)s cannot be undone: %(changes)s depend on it: %(shown)s%(more)s",
                    id=batch_id,
                    changes=ngettext("%(n)s later change", "%(n)s later changes", len(why)),
                    shown=shown,
                    more=more,
                ),
            )
            error.errors = [FieldError("batch", w) for w in why]
            raise error
        created = {k: [rid for rid, _ in v] for k, v in payload["created"].items()}
        befores = [backup.decode(item["before"], ws) for item in payload["updated"]]
        by_id = {r.id: r for r in now.referrals}
        u.referrals.remove_all(ws, [by_id[rid] for rid in created["referral"]])
        u.deals.remove_all(ws, created["deal"])
        u.clients.remove_all(ws, created["client"])
        u.channels.remove_all(ws, created["channel"])
        u.channels.replace(ws, [r for r in befores if isinstance(r, Channel)])
        u.clients.replace(ws, [r for r in befores if isinstance(r, Client)])
        u.deals.replace(ws, [r for r in befores if isinstance(r, Deal)])
        u.batches.mark_undone(ws, batch_id, clock.now())
        kinds = {Channel: "channels", Client: "clients", Deal: "deals"}
        restored = {v: sum(isinstance(r, k) for r in befores) for k, v in kinds.items()}
        removed = {k + "s": len(v) for k, v in created.items()}
        return Undone(batch_id, removed, restored)

    return store.write(work)
