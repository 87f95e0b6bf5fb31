"""The network-wide answers: summary and key clients.

Today's answers come from columns (referrals/forest.py): the primary recommendations, the deals and a
few counts, read in one read transaction, with names read in that same transaction for the clients a
ranking shows. Views as of a past day need every record to replay the source history, so they still
build the snapshot (referrals/asof.py) and answer with referrals/analysis.py; both paths give the same
answer for today (tests/referrals/test_forest.py holds them to it on random networks, both stores).
"""

from __future__ import annotations

from dataclasses import replace
from datetime import date

from referrals import analysis, forest
from referrals.attribution import gc_paused
from referrals.ports import Storage, Unit
from referrals.usecases.requests import snapshot


def columns(u: Unit, ws: str, payments: bool = True) -> forest.Columns:
    """What the columnar answers read, inside one transaction: every deal when `payments` (key clients,
    which need no first day), else only the revenue per currency and the first day (the summary)."""
    u.workspaces.require(ws)
    cols = u.graph.network_columns(ws, first_day=not payments)
    if not payments:
        return replace(cols, revenue=u.graph.revenue_totals(ws))
    payers, amounts, currencies, _ = u.graph.keyed_payments(ws, dated=False)
    return replace(cols, payers=payers, amounts=amounts, currencies=currencies)


@gc_paused()
def summary(store: Storage, ws: str, depth: int | None, as_of: date | None) -> tuple[analysis.Summary, date | None]:
    """The workspace at a glance, and its first day."""
    if as_of is not None:
        snap = snapshot(store, ws, as_of)
        return analysis.summarize(snap, depth=depth), analysis.first_day(snap)

    def work(u: Unit) -> tuple[analysis.Summary, date | None]:
        cols = columns(u, ws, payments=False)
        return forest.summarize(cols, lambda keys: u.graph.named(ws, keys), depth), cols.first_day

    return store.read(work)


@gc_paused()
def key_clients(
    store: Storage,
    ws: str,
    currency: str | None,
    weights: analysis.Weights,
    depth: int | None,
    limit: int,
    as_of: date | None,
) -> tuple[str | None, list[str], list[analysis.KeyClient]]:
    """The ranking's currency, every currency paid in (main first), and the ranked clients."""
    if as_of is not None:
        snap = snapshot(store, ws, as_of)
        cur, ranked = analysis.key_clients(snap, currency, weights, depth, limit)
        return cur, analysis.currencies(snap), ranked

    def work(u: Unit) -> tuple[str | None, list[str], list[analysis.KeyClient]]:
        cols = columns(u, ws)
        return forest.key_clients(
            cols,
            lambda keys: u.graph.named(ws, keys),
            lambda n: u.graph.first_by_name(ws, n),
            currency,
            weights,
            depth,
            limit,
        )

    return store.read(work)
