"""The referral write rules: record, re-attribute, delete a recommendation or a client, bulk add.

Every write first takes the workspace lock, so the cycle and primary-source checks and the write
they guard see the same graph also under concurrent writers (two transactions can never close a
ring together).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from datetime import datetime

from referrals import clock
from referrals.errors import Conflict
from referrals.i18n import _, ngettext
from referrals.ids import new_id, new_ids
from referrals.model import DeletePolicy, Referral, ReferralInput, SourceChange, SourceKind
from referrals.ports import Storage, Unit
from referrals.rules import ReferralGraph, cycle_conflict, refuse_future, refuse_self_referral, who
from referrals.usecases.clients import BulkResult


def _check_new(u: Unit, ws: str, data: ReferralInput) -> None:
    """Lock, then: not a self-referral, not dated in the future, both ends exist, no cycle would close."""
    refuse_self_referral(data)
    refuse_future([("referred_on", data.referred_on)])
    u.workspaces.lock(ws)
    client = u.clients.get(ws, data.client_id, field="client_id")
    if data.source.kind is SourceKind.CHANNEL:
        u.channels.get(ws, data.source.id, field="source_id")
        return
    source = u.clients.get(ws, data.source.id, field="source_id")
    if u.referrals.would_cycle(ws, data.source, data.client_id):
        raise cycle_conflict(source, client)


def _new(data: ReferralInput, primary: bool, now: datetime, rid: str | None = None) -> Referral:
    return Referral(
        id=rid or new_id("referral"),
        source=data.source,
        client_id=data.client_id,
        referred_on=data.referred_on,
        note=data.note,
        primary=primary,
        created_at=now,
    )


def _change(
    client_id: str, previous: Referral | None, current: Referral | None, reason: str | None, now: datetime
) -> SourceChange:
    """The history entry of a change of the client's primary recommendation from `previous` to `current`."""
    return SourceChange(
        client_id=client_id,
        previous=previous.source if previous else None,
        previous_referral_id=previous.id if previous else None,
        current=current.source if current else None,
        referral_id=current.id if current else None,
        reason=reason,
        changed_at=now,
    )


def _attach_primary(u: Unit, ws: str, data: ReferralInput, now: datetime) -> Referral:
    """Make data.source the primary source of a client that has none right now."""
    existing = u.referrals.pair(ws, data.source, data.client_id)
    if existing is None:
        ref = _new(data, True, now)
        u.referrals.insert(ws, [ref])
        return ref
    u.referrals.set_primary(ws, existing.id, True)
    return replace(existing, primary=True)


def record(store: Storage, ws: str, data: ReferralInput) -> Referral:
    """Record a recommendation; primary when the client has no source yet."""

    def work(u: Unit) -> Referral:
        _check_new(u, ws, data)
        if u.referrals.pair(ws, data.source, data.client_id):
            raise Conflict("source_id", _("this source already recommended this client"))
        ref = _new(data, u.referrals.primary(ws, data.client_id) is None, clock.now())
        u.referrals.insert(ws, [ref])
        return ref

    return store.write(work)


def reattribute(store: Storage, ws: str, data: ReferralInput, reason: str | None = None) -> Referral:
    """Replace the client's primary source and log the change."""

    def work(u: Unit) -> Referral:
        _check_new(u, ws, data)
        previous = u.referrals.primary(ws, data.client_id)
        if previous is not None and previous.source == data.source:
            return previous
        if previous is not None:
            u.referrals.set_primary(ws, previous.id, False)
        now = clock.now()
        current = _attach_primary(u, ws, data, now)
        u.referrals.log(ws, _change(data.client_id, previous, current, reason, now))
        return current

    return store.write(work)


def delete(store: Storage, ws: str, referral_id: str) -> None:
    """Delete one recommendation; a primary one is logged in the client's history."""

    def work(u: Unit) -> None:
        u.workspaces.lock(ws)
        ref = u.referrals.get(ws, referral_id)
        u.referrals.remove(ws, referral_id)
        if ref.primary:
            u.referrals.log(ws, _change(ref.client_id, ref, None, "primary recommendation deleted", clock.now()))

    store.write(work)


def delete_client(store: Storage, ws: str, client_id: str, policy: DeletePolicy = DeletePolicy.REFUSE) -> None:
    """Delete a client, handling the clients it brought in by `policy`; money is never dropped."""

    def work(u: Unit) -> None:
        u.workspaces.lock(ws)
        u.clients.get(ws, client_id)
        deals = u.deals.count_of(ws, client_id)
        if deals:
            raise Conflict(
                "id",
                ngettext(
                    "the client has %(n)s deal; delete or move it first",
                    "the client has %(n)s deals; delete or move them first",
                    deals,
                ),
            )
        children = u.referrals.children(ws, client_id)
        if children and policy is DeletePolicy.REFUSE:
            raise Conflict(
                "policy",
                ngettext(
                    "the client brought in %(n)s client; choose relink or detach for them",
                    "the client brought in %(n)s clients; choose relink or detach for them",
                    len(children),
                ),
            )
        parent = u.referrals.primary(ws, client_id)
        now = clock.now()
        reason = f"source {client_id} deleted ({policy.value})"
        for child in children:
            u.referrals.remove(ws, child.id)
            new: Referral | None = None
            if policy is DeletePolicy.RELINK and parent is not None:
                again = ReferralInput(parent.source, child.client_id, child.referred_on, child.note)
                new = _attach_primary(u, ws, again, now)
            u.referrals.log(ws, _change(child.client_id, child, new, reason, now))
        u.clients.remove(ws, client_id)

    store.write(work)


def add(store: Storage, ws: str, rows: Sequence[ReferralInput]) -> BulkResult:
    """Record many recommendations in one transaction, all or nothing: every row is checked against the
    whole graph (and the rows before it), then they are written in one batch."""

    refuse_future((f"rows[{i}].referred_on", r.referred_on) for i, r in enumerate(rows))

    def work(u: Unit) -> BulkResult:
        u.workspaces.lock(ws)
        edges = u.referrals.edges(ws)
        clients = u.clients.known(
            ws,
            sorted({r.client_id for r in rows} | {r.source.id for r in rows if r.source.kind is SourceKind.CLIENT}),
        )
        channels = u.channels.known(ws, sorted({r.source.id for r in rows if r.source.kind is SourceKind.CHANNEL}))
        now = clock.now()
        plan = ReferralGraph(edges).plan(rows, clients, channels, lambda cid: who(u.clients.get(ws, cid)))
        made = iter(new_ids("referral", sum(not p.exists for p in plan)))
        refs = [None if p.exists else _new(p.row, p.primary, now, next(made)) for p in plan]
        created = [r for r in refs if r is not None]
        u.referrals.insert(ws, created)
        return BulkResult(len(created), 0, len(rows) - len(created), tuple(r.id if r else "" for r in refs))

    return store.write(work)
