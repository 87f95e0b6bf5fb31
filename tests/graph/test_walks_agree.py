"""Trees and a period's uplines, as each store's walks read them, equal those rebuilt in Python from the
store's own records, after any mix of writes (both stores).

The embedded store walks integer numbers that every write keeps beside the ids (schema 12): a write path
that forgot them would leave a tree or an upline short, or a deal's revenue on the wrong client, while
every listing still looked right. Random writes of every kind (recommendations one by one and in bulk as
imports write them, switches of the primary source, deletions with each policy, deals moved between
clients by their external id) are followed by
the comparison every ten steps.
"""

from __future__ import annotations

import random
from collections import defaultdict
from datetime import date, timedelta

import pytest

from referrals.errors import Conflict, Invalid, NotFound
from referrals.model import (
    ChannelInput,
    ClientInput,
    ClientQuery,
    DealInput,
    DealQuery,
    DeletePolicy,
    ReferralInput,
    SourceKind,
    SourceRef,
    Tree,
    Workspace,
)
from referrals.money import Money
from referrals.store import Store

YEAR = date(2024, 1, 1)
# (client id, level, parent id, recommendation id, its date, clients brought in, revenue per currency)
NodeFacts = tuple[str, int, str, str, date, int, dict[str, int]]


class Records:
    """The workspace's records as listed, and the walks rebuilt from them."""

    def __init__(self, store: Store, ws: str) -> None:
        self.clients = {c.id: c for c in store.list_clients(ws, ClientQuery(limit=500)).items}
        self.channels = {c.id: c for c in store.list_channels(ws, limit=500).items}
        self.deals = store.list_deals(ws, DealQuery(limit=500)).items
        self.primary = {r.client_id: r for r in store.list_referrals(ws) if r.primary}
        self.children: dict[SourceRef, list] = defaultdict(list)
        for r in self.primary.values():
            self.children[r.source].append(r)
        self.revenue: dict[str, dict[str, int]] = defaultdict(dict)
        for d in self.deals:
            own = self.revenue[d.client_id]
            own[d.amount.currency] = own.get(d.amount.currency, 0) + d.amount.minor

    def tree(self, root: SourceRef) -> list[NodeFacts]:
        nodes: list[NodeFacts] = []
        level, parents = 1, [root]
        while parents:
            below = []
            for parent in parents:
                for r in self.children.get(parent, []):
                    me = SourceRef(SourceKind.CLIENT, r.client_id)
                    brought = len(self.children.get(me, []))
                    revenue = dict(self.revenue.get(r.client_id, {}))
                    nodes.append((r.client_id, level, parent.id, r.id, r.referred_on, brought, revenue))
                    below.append(me)
            level, parents = level + 1, below
        return sorted(nodes)

    def upline(self, client_id: str) -> list[tuple[str, str, date]]:
        steps = []
        r = self.primary.get(client_id)
        while r is not None:
            source = r.source
            name = (self.clients if source.kind is SourceKind.CLIENT else self.channels)[source.id].name
            steps.append((source.id, name, r.referred_on))
            r = self.primary.get(source.id) if source.kind is SourceKind.CLIENT else None
        return steps


def _tree_facts(tree: Tree) -> list[NodeFacts]:
    return sorted(
        (n.client_id, n.level, n.parent.id, n.referral_id, n.referred_on, n.referred, dict(n.revenue))
        for n in tree.nodes
    )


def _check(store: Store, ws: str) -> tuple[int, int]:
    """Every tree (whole and cut at two levels) and the year's uplines against the records; how many
    tree nodes were compared, and the deepest level among them."""
    records = Records(store, ws)
    roots = [SourceRef(SourceKind.CHANNEL, c) for c in records.channels] + [
        SourceRef(SourceKind.CLIENT, c) for c in records.clients
    ]
    compared = deepest = 0
    for root in roots:
        expected = records.tree(root)
        whole = store.tree(ws, root, None)
        assert _tree_facts(whole) == expected, root
        if root.kind is SourceKind.CLIENT:
            assert dict(whole.revenue) == records.revenue.get(root.id, {}), root
        cut = store.tree(ws, root, 2)
        assert _tree_facts(cut) == [n for n in expected if n[1] <= 2], root
        past = [n for n in expected if n[1] > 2]
        assert cut.beyond.clients == len(past), root
        beyond: dict[str, int] = {}
        for *_, revenue in past:
            for currency, minor in revenue.items():
                beyond[currency] = beyond.get(currency, 0) + minor
        assert dict(cut.beyond.revenue) == beyond, root
        compared += len(expected)
        deepest = max([deepest, *(n[1] for n in expected)])
    period = store.period(ws, YEAR, date(2024, 12, 31))
    assert sorted(d.id for d, _ in period.deals) == sorted(d.id for d in records.deals)
    for deal, upline in period.deals:
        assert deal.client_id == next(d.client_id for d in records.deals if d.id == deal.id)
        assert [(s.source.id, s.name, s.referred_on) for s in upline] == records.upline(deal.client_id)
    arrived = sorted(c for c, r in records.primary.items() if records.clients[c].acquired_on is None)
    assert sorted(a.client_id for a in period.arrivals) == arrived
    for arrival in period.arrivals:
        assert [(s.source.id, s.name, s.referred_on) for s in arrival.upline] == records.upline(arrival.client_id)
    return compared, deepest


@pytest.mark.parametrize("seed", range(3))
def test_walks_equal_the_records_after_any_mix_of_writes(store: Store, ws: Workspace, seed: int) -> None:
    rng = random.Random(seed)
    clients: list[str] = []
    channels: list[str] = []
    invoices = [f"inv-{seed}-{k}" for k in range(6)]  # a deal upserted again under one moves to its new client
    compared = deepest = written = 0

    def day() -> date:
        return YEAR + timedelta(days=rng.randrange(360))

    def source() -> SourceRef:
        if channels and (not clients or rng.random() < 0.25):
            return SourceRef(SourceKind.CHANNEL, rng.choice(channels))
        return SourceRef(SourceKind.CLIENT, rng.choice(clients))

    def new_client() -> None:
        clients.append(store.create_client(ws.id, ClientInput(name=f"c{seed}-{len(clients)}")).id)

    def new_channel() -> None:
        channels.append(store.create_channel(ws.id, ChannelInput(name=f"ch{seed}-{len(channels)}")).id)

    def recommend() -> None:
        if rng.random() < 0.75:  # mostly an earlier client bringing in a later one: chains grow deep
            j = rng.randrange(1, len(clients))
            src, target = SourceRef(SourceKind.CLIENT, clients[max(0, j - rng.randint(1, 3))]), clients[j]
        else:  # any pair: rings and repeated pairs are tried too
            src, target = source(), rng.choice(clients)
        store.record_referral(ws.id, ReferralInput(src, target, day()))

    def bulk_clients() -> None:  # the import's path: new clients and one known by its external id again
        known = f"ext-{seed}-{rng.randrange(4)}"
        rows = [ClientInput(name=f"c{seed}-{len(clients)}-{k}") for k in range(2)]
        done = store.upsert_clients(ws.id, [*rows, ClientInput(name=f"ext {known}", external_id=known)])
        clients.extend(i for i in done.ids if i not in clients)

    def bulk_recommend() -> None:  # the import's path: all or nothing
        pairs = [(rng.randrange(len(clients) - 1), rng.randint(1, 3)) for _ in range(3)]
        rows = [
            ReferralInput(SourceRef(SourceKind.CLIENT, clients[i]), clients[min(i + k, len(clients) - 1)], day())
            for i, k in pairs
        ]
        store.add_referrals(ws.id, rows)

    def switch() -> None:
        store.reattribute(ws.id, ReferralInput(source(), rng.choice(clients), day()))

    def unrecommend() -> None:
        recs = store.list_referrals(ws.id)
        if recs:
            store.delete_referral(ws.id, rng.choice(recs).id)

    def delete_client() -> None:
        gone = rng.choice(clients)
        for d in store.list_deals(ws.id, DealQuery(client_id=gone, limit=500)).items:
            store.delete_deal(ws.id, d.id)
        store.delete_client(ws.id, gone, rng.choice(list(DeletePolicy)))
        clients.remove(gone)

    def deal() -> None:
        amount = Money(rng.choice([-500, 1250, 9900, 30000]), rng.choice(["RUB", "RUB", "EUR"]))
        store.upsert_deals(ws.id, [DealInput(rng.choice(clients), amount, day(), external_id=rng.choice(invoices))])

    def undeal() -> None:
        deals = store.list_deals(ws.id, DealQuery(limit=500)).items
        if deals:
            store.delete_deal(ws.id, rng.choice(deals).id)

    for _ in range(4):
        new_client()
    new_channel()
    writes = [new_client, bulk_clients, new_channel, recommend, bulk_recommend, switch, unrecommend, delete_client]
    writes += [deal, undeal]
    weights = [3, 1, 1, 10, 2, 3, 1, 1, 4, 1]
    for step in range(160):
        write = rng.choices(writes, weights)[0]
        if write in (recommend, bulk_recommend, switch, delete_client, deal) and len(clients) < 2:
            write = new_client
        try:
            write()
            written += 1
        except (Conflict, Invalid, NotFound):
            pass  # a ring, a repeated pair, a client with clients under REFUSE: refused, nothing written
        if step % 10 == 9:
            nodes, levels = _check(store, ws.id)
            compared, deepest = compared + nodes, max(deepest, levels)
    # the comparison saw real trees: many nodes, some past the cut at two levels
    assert compared >= 120 and deepest >= 4 and written >= 100, (compared, deepest, written)
