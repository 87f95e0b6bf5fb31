"""Deals: create, patch, delete and bulk upsert, each refused when it touches a closed month.

Deal writes take the workspace lock that closing a month also takes, so a deal never slips into a
month while it is being closed.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import date, datetime

from referrals import clock
from referrals.errors import Conflict, FieldError, Invalid
from referrals.i18n import _
from referrals.ids import new_id
from referrals.model import Deal, DealInput, DealPatch
from referrals.ports import Storage, Unit
from referrals.rules import refuse_future
from referrals.usecases.clients import BulkResult, plan_upsert, require_external_ids


def month_of(day: date) -> str:
    """YYYY-MM of a date."""
    return f"{day.year:04d}-{day.month:02d}"


def closed_message(month: str) -> str:
    """Why a deal of a closed month cannot change, and what to do."""
    return _(
        "%(month)s is closed for attribution; reopen it (referrals attribution reopen --month %(month)s)"
        " to change its deals",
        month=month,
    )


def first_closed(days: Iterable[date], closed: Iterable[str]) -> str | None:
    """The first closed month among the months of `days`, if any."""
    months = {month_of(d) for d in days} & set(closed)
    return min(months) if months else None


def refuse_closed(u: Unit, ws: str, days: Iterable[date], field: str = "closed_on") -> None:
    """The closed-month guard: Conflict naming the first closed month among the days' months."""
    months = sorted({month_of(d) for d in days})
    closed = u.months.closed_among(ws, months) if months else []
    if closed:
        raise Conflict(field, closed_message(min(closed)))


def new_deal(data: DealInput, did: str, created: datetime, now: datetime) -> Deal:
    return Deal(
        id=did,
        client_id=data.client_id,
        amount=data.amount,
        closed_on=data.closed_on,
        title=data.title,
        external_id=data.external_id,
        created_at=created,
        updated_at=now,
    )


def create(store: Storage, ws: str, data: DealInput) -> Deal:
    refuse_future([("closed_on", data.closed_on)])
    now = clock.now()
    deal = new_deal(data, new_id("deal"), now, now)

    def work(u: Unit) -> Deal:
        u.workspaces.lock(ws)
        u.clients.get(ws, data.client_id, field="client_id")
        refuse_closed(u, ws, [deal.closed_on])
        u.deals.insert(ws, [deal])
        return deal

    return store.write(work)


def update(store: Storage, ws: str, deal_id: str, patch: DealPatch) -> Deal:
    def work(u: Unit) -> Deal:
        u.workspaces.lock(ws)
        before = u.deals.get(ws, deal_id)
        deal = patch.apply(before, clock.now())
        refuse_future([("closed_on", deal.closed_on)])
        refuse_closed(u, ws, [before.closed_on, deal.closed_on])
        u.deals.replace(ws, [deal])
        return deal

    return store.write(work)


def delete(store: Storage, ws: str, deal_id: str) -> None:
    def work(u: Unit) -> None:
        u.workspaces.lock(ws)
        refuse_closed(u, ws, [u.deals.get(ws, deal_id).closed_on])
        u.deals.remove(ws, deal_id)

    store.write(work)


def upsert(store: Storage, ws: str, rows: Sequence[DealInput]) -> BulkResult:
    """Create or replace deals keyed by external id, in one transaction; every deal's client must exist."""
    require_external_ids(rows)
    refuse_future((f"rows[{i}].closed_on", r.closed_on) for i, r in enumerate(rows))

    def work(u: Unit) -> BulkResult:
        u.workspaces.lock(ws)
        known = u.clients.known(ws, sorted({r.client_id for r in rows}))
        missing = [
            FieldError(f"rows[{i}].client_id", _("no %(kind)s with id %(id)r", kind=_("client"), id=r.client_id))
            for i, r in enumerate(rows)
            if r.client_id not in known
        ]
        if missing:
            raise Invalid(missing)
        existing = u.deals.by_external_id(ws, [r.external_id or "" for r in rows])
        now = clock.now()
        fresh, changed, result = plan_upsert(
            existing, rows, lambda row, did, created: new_deal(row, did, created, now), "deal", now
        )
        before = {d.id: d.closed_on for d in existing.values()}
        refuse_closed(u, ws, [d.closed_on for d in fresh + changed] + [before[d.id] for d in changed])
        u.deals.insert(ws, fresh)
        u.deals.replace(ws, changed)
        return result

    return store.write(work)
