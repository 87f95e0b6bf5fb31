"""Who matters and where it stops (referrals/influence.py), on both stores: a worked example checked by
hand, agreement with the tree view and the key-client ranking, and networkx cross-checks of bridge
clients (articulation points) and orphaned clients (dominators) on random forests."""

from __future__ import annotations

import random
from datetime import date, timedelta

import networkx as nx
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from referrals import analysis
from referrals.influence import ROOT, dominators, influence
from referrals.model import ChannelInput, ClientInput, ReferralInput, SourceKind, SourceRef
from referrals.store import Store
from tests.conftest import unique
from tests.referrals.test_growth import story

EUR = "EUR"


def _with_secondary(store: Store) -> tuple[str, dict[str, str]]:
    """The growth story (Blog brought Ana; Ana brought Bruno and Carla; Bruno brought Eva; Dan came in
    directly; paid: Ana 200, Bruno 100, Dan 30, Eva 0, Carla 40 EUR) plus Dan recommending Eva on
    2025-03-10, after Bruno did: a secondary recommendation."""
    ws, ids, _ = story(store)
    store.record_referral(ws, ReferralInput(SourceRef(SourceKind.CLIENT, ids["Dan"]), ids["Eva"], date(2025, 3, 10)))
    return ws, ids


def test_downline_bridges_sleepers_and_dead_ends_by_hand(store: Store) -> None:
    ws, ids = _with_secondary(store)
    inf = influence(store.snapshot(ws), date(2025, 12, 1), months=6)
    assert inf.currency == EUR
    # downline revenue without own: Ana's is Bruno 100 + Carla 40 + Eva 0; with her own 200: 340
    ana, bruno = inf.clients
    assert (ana.name, ana.own, ana.downline, ana.branch, ana.reach, ana.referred) == (
        "Ana",
        {EUR: 20_000},
        {EUR: 14_000},
        {EUR: 34_000},
        3,
        2,
    )
    assert (bruno.name, bruno.downline, bruno.branch, bruno.reach) == ("Bruno", {EUR: 0}, {EUR: 10_000}, 1)
    assert inf.clients_total == 2
    # Eva has another way in (Dan's recommendation): only Bruno and Carla hang on Ana, nobody on Bruno
    (bridge,) = inf.bridges
    assert (bridge.name, bridge.orphaned, bridge.orphaned_revenue) == ("Ana", 2, {EUR: 14_000})
    assert [n for _, n in bridge.orphans] == ["Bruno", "Carla"]
    assert inf.bridges_total == 1
    # six months before Dec 1 is Jun 1: Ana (last Apr 20), Bruno (Mar 5) and Dan (Mar 10) are all quiet
    assert [(s.name, s.recommended, s.last_recommended_on) for s in inf.sleeping] == [
        ("Ana", 2, date(2025, 4, 20)),
        ("Bruno", 1, date(2025, 3, 5)),
        ("Dan", 1, date(2025, 3, 10)),
    ]
    assert inf.sleeping[0].days_quiet == (date(2025, 12, 1) - date(2025, 4, 20)).days
    # dead ends by what the chain above them paid: Eva under Bruno 100 + Ana 200, Carla under Ana, Dan alone
    assert [(d.name, d.level, d.top, d.upline_revenue) for d in inf.dead_ends] == [
        ("Eva", 3, "Blog", {EUR: 30_000}),
        ("Carla", 2, "Blog", {EUR: 20_000}),
        ("Dan", 0, "", {}),
    ]
    assert inf.dead_ends_total == analysis.summarize(store.snapshot(ws)).dead_ends == 3


def test_sleeping_is_nobody_in_the_last_months(store: Store) -> None:
    ws, _ = _with_secondary(store)
    snap = store.snapshot(ws)
    # Sep 7 less six months is Mar 7: Bruno (Mar 5) is quiet, Dan (Mar 10) and Ana (Apr 20) are not
    assert [s.name for s in influence(snap, date(2025, 9, 7), months=6).sleeping] == ["Bruno"]
    assert influence(snap, date(2025, 8, 1), months=6).sleeping == []
    assert [s.name for s in influence(snap, date(2025, 9, 7), months=1).sleeping] == ["Ana", "Bruno", "Dan"]


def test_without_the_secondary_a_client_orphans_its_whole_downline(store: Store) -> None:
    ws, _, _ = story(store)
    inf = influence(store.snapshot(ws), date(2025, 12, 1))
    assert [(b.name, b.orphaned, b.orphaned_revenue) for b in inf.bridges] == [
        ("Ana", 3, {EUR: 14_000}),
        ("Bruno", 1, {EUR: 0}),
    ]


def test_the_numbers_agree_with_the_tree_and_the_key_clients(store: Store) -> None:
    ws, ids = _with_secondary(store)
    snap = store.snapshot(ws)
    inf = influence(snap, date(2025, 12, 1))
    _, ranked = analysis.key_clients(snap, limit=50)
    keyed = {k.client_id: k for k in ranked}
    for s in inf.clients:
        tree = store.tree(ws, SourceRef(SourceKind.CLIENT, s.client_id))
        assert s.branch == analysis.tree_revenue(tree)
        assert s.reach == analysis.tree_size(tree) == keyed[s.client_id].reach
        assert {c: m for c, m in s.downline.items() if m} == keyed[s.client_id].downline_by_currency


def test_lists_cut_at_the_limit_keep_their_whole_count(store: Store) -> None:
    ws, _ = _with_secondary(store)
    inf = influence(store.snapshot(ws), date(2025, 12, 1), limit=1)
    assert [len(inf.clients), len(inf.sleeping), len(inf.dead_ends)] == [1, 1, 1]
    assert [inf.clients_total, inf.sleeping_total, inf.dead_ends_total] == [2, 3, 3]


# -- networkx cross-checks -------------------------------------------------------------------------


def _random_network(store: Store, rng: random.Random, n: int, secondaries: int) -> tuple[str, nx.DiGraph]:
    """A random forest of `n` clients under two channels (some clients nobody brought in), loaded through
    the bulk writes, plus `secondaries` recommendations from earlier clients; returns it as networkx too."""
    ws = store.create_workspace(unique("influence")).id
    channels = [store.create_channel(ws, ChannelInput(name=f"ch{j}")).id for j in range(2)]
    ids = store.upsert_clients(ws, [ClientInput(name=f"c{i:03d}", external_id=str(i)) for i in range(n)]).ids
    g = nx.DiGraph()
    g.add_nodes_from(ids)
    g.add_nodes_from(channels)
    rows = []
    day = date(2024, 1, 1)
    for i, cid in enumerate(ids):
        r = rng.random()
        if r < 0.15:
            continue  # nobody brought this one in
        src = (
            SourceRef(SourceKind.CHANNEL, channels[rng.randrange(2)])
            if i == 0 or r < 0.3
            else SourceRef(SourceKind.CLIENT, ids[rng.randrange(i)])
        )
        rows.append(ReferralInput(src, cid, day + timedelta(days=i)))
        g.add_edge(src.id, cid, primary=True)
    for _ in range(secondaries):
        a, b = sorted(rng.sample(range(n), 2))
        if g.has_edge(ids[a], ids[b]) or g.in_degree(ids[b]) == 0:
            continue  # a client nobody brought in would take it as its primary source
        rows.append(ReferralInput(SourceRef(SourceKind.CLIENT, ids[a]), ids[b], day + timedelta(days=n + 1)))
        g.add_edge(ids[a], ids[b], primary=False)
    store.add_referrals(ws, rows)
    return ws, g


def _with_root(g: nx.DiGraph) -> nx.DiGraph:
    rooted = g.copy()
    rooted.add_edges_from(("ROOT", n) for n in g if g.in_degree(n) == 0)
    return rooted


@pytest.mark.parametrize("seed", range(4))
def test_bridge_clients_are_the_articulation_points_of_the_forest(store: Store, seed: int) -> None:
    rng = random.Random(seed)
    ws, g = _random_network(store, rng, 40, secondaries=0)
    inf = influence(store.snapshot(ws), date(2026, 1, 1), limit=1000)
    clients = {n for n in g if not n.startswith("ch")}
    joined = _with_root(g).to_undirected()
    points = set(nx.articulation_points(joined)) & clients
    assert {b.client_id for b in inf.bridges} == points
    assert inf.bridges_total == len(points)
    for b in inf.bridges:  # removing it cuts exactly its downline off the root
        cut = joined.copy()
        cut.remove_node(b.client_id)
        assert b.orphaned == len(clients) - 1 - len(nx.node_connected_component(cut, "ROOT") & clients)
        assert b.orphaned == b.reach == len(nx.descendants(g, b.client_id))
    assert all(
        (u, v) in {*g.edges, *((b, a) for a, b in g.edges)} for u, v in nx.bridges(joined) if "ROOT" not in (u, v)
    )
    assert sum(1 for u, v in nx.bridges(joined) if "ROOT" not in (u, v)) == g.number_of_edges()


@pytest.mark.parametrize("seed", range(4))
def test_orphaned_clients_are_the_dominated_ones_with_secondary_recommendations(store: Store, seed: int) -> None:
    rng = random.Random(100 + seed)
    ws, g = _random_network(store, rng, 40, secondaries=25)
    assert any(not d["primary"] for *_, d in g.edges(data=True))
    inf = influence(store.snapshot(ws), date(2026, 1, 1), limit=1000)
    rooted = _with_root(g)
    idom = nx.immediate_dominators(rooted, "ROOT")
    dominator_tree = nx.DiGraph((d, n) for n, d in idom.items() if n != d)
    clients = {n for n in g if not n.startswith("ch")}
    expected = {c: len(nx.descendants(dominator_tree, c)) for c in clients if c in dominator_tree}
    expected = {c: k for c, k in expected.items() if k}
    assert {b.client_id: b.orphaned for b in inf.bridges} == expected


@settings(max_examples=200, deadline=None)
@given(st.data())
def test_dominators_equal_networkx_on_random_dags(data: st.DataObject) -> None:
    n = data.draw(st.integers(1, 30))
    edges = data.draw(
        st.lists(st.tuples(st.integers(0, n - 1), st.integers(0, n - 1)).filter(lambda e: e[0] < e[1]), max_size=60)
    )
    nodes = [f"n{i}" for i in range(n)]
    pairs = sorted({(f"n{a}", f"n{b}") for a, b in edges})
    ours = dominators(nodes, pairs)
    g = nx.DiGraph(pairs)
    g.add_nodes_from(nodes)
    g.add_edges_from(("ROOT", v) for v in nodes if g.in_degree(v) == 0)
    theirs = nx.immediate_dominators(g, "ROOT")
    assert {v: (d if d != "ROOT" else ROOT) for v, d in theirs.items() if v != "ROOT"} == {
        v: d for v, d in ours.items() if v != ROOT
    }
