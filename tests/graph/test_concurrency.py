"""Concurrent writers can never close a ring of recommendations, on either store."""

from __future__ import annotations

import random
import threading
from datetime import date

import networkx as nx
import pytest

from graph.contract import Store
from referrals.errors import Conflict
from referrals.model import ClientInput, ReferralInput, SourceKind, SourceRef

ROUNDS = 12


def _edges(store: Store, ws: str) -> nx.DiGraph:
    g = nx.DiGraph()
    for r in store.list_referrals(ws):
        g.add_edge(r.source.id, r.client_id, primary=r.primary)
    return g


@pytest.mark.parametrize("ring", [2, 3, 5])
def test_concurrent_ring_writes_never_leave_a_cycle(store: Store, ring: int) -> None:
    rng = random.Random(ring)
    ws = store.create_workspace("race").id
    for round_no in range(ROUNDS):
        ids = store.upsert_clients(
            ws, [ClientInput(name=f"r{round_no}-{i}", external_id=f"r{round_no}-{i}") for i in range(ring)]
        ).ids
        # A->B, B->C, ..., last->A: each thread adds one edge; together they would close the ring.
        edges = [(ids[i], ids[(i + 1) % ring]) for i in range(ring)]
        barrier = threading.Barrier(ring)
        outcomes: list[str] = []
        errors: list[BaseException] = []

        def write(src: str, dst: str, explicit: bool) -> None:
            data = ReferralInput(SourceRef(SourceKind.CLIENT, src), dst, date(2024, 1, 1))
            barrier.wait()
            try:
                if explicit:
                    store.reattribute(ws, data, reason="race")
                else:
                    store.record_referral(ws, data)
                outcomes.append("ok")
            except Conflict:
                outcomes.append("refused")
            except BaseException as e:  # anything else is a failure of the test
                errors.append(e)

        threads = [threading.Thread(target=write, args=(a, b, rng.random() < 0.3)) for a, b in edges]
        for t in threads:
            t.start()
        for t in threads:
            t.join(60)
        assert not errors, errors
        assert outcomes.count("ok") == ring - 1 and outcomes.count("refused") == 1
    g = _edges(store, ws)
    assert nx.is_directed_acyclic_graph(g), nx.find_cycle(g)
    primaries = [d for _, d, data in g.edges(data=True) if data["primary"]]
    assert len(primaries) == len(set(primaries))  # at most one primary source each


def test_concurrent_first_recommendations_make_one_primary(store: Store) -> None:
    ws = store.create_workspace("race").id
    for round_no in range(ROUNDS):
        ids = store.upsert_clients(
            ws, [ClientInput(name=f"p{round_no}-{i}", external_id=f"p{round_no}-{i}") for i in range(4)]
        ).ids
        target, sources = ids[0], ids[1:]
        barrier = threading.Barrier(len(sources))

        def write(src: str, target: str = target) -> None:
            barrier.wait()
            store.record_referral(ws, ReferralInput(SourceRef(SourceKind.CLIENT, src), target, date(2024, 1, 1)))

        threads = [threading.Thread(target=write, args=(s,)) for s in sources]
        for t in threads:
            t.start()
        for t in threads:
            t.join(60)
        refs = store.list_referrals(ws, client_id=target)
        assert len(refs) == 3 and sum(r.primary for r in refs) == 1
