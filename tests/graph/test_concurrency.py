"""Concurrent writers can never close a ring of recommendations nor slip a deal into a month being closed."""

from __future__ import annotations

import random
import threading
from collections.abc import Callable
from datetime import date

import networkx as nx
import pytest

from referrals.errors import Conflict
from referrals.model import ClientInput, DealInput, DealQuery, ReferralInput, SourceKind, SourceRef
from referrals.money import Money
from referrals.store import Store
from tests.conftest import unique

ROUNDS = 12


def race(calls: list[Callable[[], object]]) -> list[str]:
    """Run the calls in threads released together; "ok" or "refused" (Conflict) each, in any order."""
    barrier = threading.Barrier(len(calls))
    outcomes: list[str] = []
    errors: list[BaseException] = []

    def run(call: Callable[[], object]) -> None:
        barrier.wait()
        try:
            call()
            outcomes.append("ok")
        except Conflict:
            outcomes.append("refused")
        except BaseException as e:  # anything else fails the test below
            errors.append(e)

    threads = [threading.Thread(target=run, args=(c,)) for c in calls]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert not errors, errors
    return outcomes


def new_clients(store: Store, ws: str, prefix: str, n: int) -> tuple[str, ...]:
    return store.upsert_clients(
        ws, [ClientInput(name=f"{prefix}{i}", external_id=f"{prefix}{i}") for i in range(n)]
    ).ids


@pytest.mark.parametrize("ring", [2, 3, 5])
def test_concurrent_ring_writes_never_leave_a_cycle(store: Store, ring: int) -> None:
    rng = random.Random(ring)
    ws = store.create_workspace(unique("race")).id
    for round_no in range(ROUNDS):
        ids = new_clients(store, ws, f"r{round_no}-", ring)
        # A->B, B->C, ..., last->A: one thread an edge; together they would close the ring.
        calls: list[Callable[[], object]] = []
        for i in range(ring):
            data = ReferralInput(SourceRef(SourceKind.CLIENT, ids[i]), ids[(i + 1) % ring], date(2024, 1, 1))
            if rng.random() < 0.3:
                calls.append(lambda data=data: store.reattribute(ws, data, reason="race"))
            else:
                calls.append(lambda data=data: store.record_referral(ws, data))
        outcomes = race(calls)
        assert outcomes.count("ok") == ring - 1 and outcomes.count("refused") == 1
    g = nx.DiGraph()
    for r in store.list_referrals(ws):
        g.add_edge(r.source.id, r.client_id, primary=r.primary)
    assert nx.is_directed_acyclic_graph(g), nx.find_cycle(g)
    primaries = [d for _, d, data in g.edges(data=True) if data["primary"]]
    assert len(primaries) == len(set(primaries))  # at most one primary source each


def test_concurrent_first_recommendations_make_one_primary(store: Store) -> None:
    ws = store.create_workspace(unique("race")).id
    for round_no in range(ROUNDS):
        target, *sources = new_clients(store, ws, f"p{round_no}-", 4)
        rows = [ReferralInput(SourceRef(SourceKind.CLIENT, s), target, date(2024, 1, 1)) for s in sources]
        outcomes = race([lambda row=row: store.record_referral(ws, row) for row in rows])
        assert outcomes == ["ok"] * 3
        refs = store.list_referrals(ws, client_id=target)
        assert len(refs) == 3 and sum(r.primary for r in refs) == 1


def test_no_deal_slips_into_a_month_while_it_is_being_closed(store: Store) -> None:
    ws = store.create_workspace(unique("closing")).id
    payer = new_clients(store, ws, "payer", 1)[0]
    for round_no in range(ROUNDS):
        month = f"2023-{round_no + 1:02d}"
        day = date(2023, round_no + 1, 15)
        writers: list[Callable[[], object]] = [
            (lambda d=day: store.create_deal(ws, DealInput(payer, Money(100, "EUR"), d))) for _ in range(4)
        ]
        race([*writers, lambda m=month: store.close_month(ws, m)])
        in_store = {d.id for d in store.list_deals(ws, DealQuery(closed_from=day, closed_to=day, limit=100)).items}
        frozen, closed = store.month_facts(ws, month)
        assert closed is not None
        assert {d.id for d, _ in frozen.deals} == in_store, f"{month}: a deal was written but not frozen"
