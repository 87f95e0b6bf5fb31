"""Imports: read the workspace, let the importer plan the changes, and write them, in one transaction
under the workspace lock (so the plan still holds when it is written). Nothing is written for a dry
run, or when the plan has any problem."""

from __future__ import annotations

from collections.abc import Callable

from referrals.importing import Changes, View
from referrals.ports import Storage, Unit


def view(u: Unit, ws: str) -> View:
    """What the workspace holds that an import is checked against."""
    return View(
        clients=list(u.clients.each(ws)),
        channels=list(u.channels.each(ws)),
        referrals=list(u.referrals.each(ws)),
        deals=list(u.deals.each(ws)),
        closed_months=frozenset(m.month for m in u.months.each(ws)),
    )


def run(store: Storage, ws: str, build: Callable[[View], Changes], dry_run: bool = False) -> Changes:
    def work(u: Unit) -> Changes:
        if dry_run:
            u.workspaces.require(ws)
        else:
            u.workspaces.lock(ws)
        changes = build(view(u, ws))
        if dry_run or changes.problems or not changes.writes:
            return changes
        u.channels.insert(ws, changes.new_channels)
        u.channels.replace(ws, changes.updated_channels)
        u.clients.insert(ws, changes.new_clients)
        u.clients.replace(ws, changes.updated_clients)
        u.referrals.insert(ws, changes.new_referrals)
        u.deals.insert(ws, changes.new_deals)
        u.deals.replace(ws, changes.updated_deals)
        return changes

    return store.read(work) if dry_run else store.write(work)
