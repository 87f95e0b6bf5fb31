"""Chains and trees from either store equal a networkx reference on random referral forests."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

import networkx as nx
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from referrals.analysis import reach_per_level
from referrals.model import ChannelInput, ClientInput, ReferralInput, SourceKind, SourceRef
from referrals.store import Store

EXAMPLES = {"sqlite": 60, "neo4j": 25}


@dataclass
class Forest:
    """A random workspace: clients 0..n-1, channels, primary and secondary recommendations."""

    n: int
    channels: int
    primary: dict[int, tuple[str, int]]  # client -> (kind, index) of its primary source
    secondary: list[tuple[int, int]]  # (source client, client)
    days: dict[int, int]


@st.composite
def forests(draw: st.DrawFn) -> Forest:
    """Sources always have a smaller index, so any mix of edges is acyclic; some chains run deep."""
    n = draw(st.integers(1, 24))
    channels = draw(st.integers(0, 3))
    deep = draw(st.booleans())
    primary: dict[int, tuple[str, int]] = {}
    for i in range(n):
        if deep and i > 0:
            primary[i] = ("client", i - 1)  # one long line: levels up to n-1
            continue
        choice = draw(st.integers(0, 3))
        if choice == 0 or (i == 0 and channels == 0):
            continue  # a root (direct)
        if choice == 1 and channels:
            primary[i] = ("channel", draw(st.integers(0, channels - 1)))
        elif i > 0:
            primary[i] = ("client", draw(st.integers(0, i - 1)))
    secondary = draw(
        st.lists(
            st.tuples(st.integers(0, n - 1), st.integers(0, n - 1))
            .filter(lambda e: e[0] < e[1])
            .filter(lambda e: primary.get(e[1]) != ("client", e[0])),
            max_size=6,
            unique=True,
        )
    )
    days = {i: draw(st.integers(0, 3000)) for i in range(n)}
    return Forest(n, channels, primary, secondary, days)


def load(store: Store, forest: Forest) -> tuple[str, list[str], list[str], nx.DiGraph]:
    """Write the forest through the bulk paths; primary edges first so they become primary."""
    ws = store.create_workspace("prop").id
    clients = list(
        store.upsert_clients(ws, [ClientInput(name=f"c{i}", external_id=f"c{i}") for i in range(forest.n)]).ids
    )
    channels = [store.create_channel(ws, ChannelInput(name=f"ch{j}")).id for j in range(forest.channels)]

    def ref(kind: str, idx: int) -> SourceRef:
        if kind == "client":
            return SourceRef(SourceKind.CLIENT, clients[idx])
        return SourceRef(SourceKind.CHANNEL, channels[idx])

    base = date(2015, 1, 1)
    rows = [
        ReferralInput(ref(kind, idx), clients[i], base + timedelta(days=forest.days[i]))
        for i, (kind, idx) in sorted(forest.primary.items())
    ]
    rows += [ReferralInput(ref("client", s), clients[c], base) for s, c in forest.secondary]
    store.add_referrals(ws, rows)
    return ws, clients, channels, reference(rows, clients, channels)


def reference(rows: list[ReferralInput], clients: list[str], channels: list[str]) -> nx.DiGraph:
    """The primary edges as networkx sees them: the first recommendation of each client."""
    g = nx.DiGraph()
    g.add_nodes_from(clients)
    g.add_nodes_from(channels)
    for row in rows:
        if g.in_degree(row.client_id) == 0:
            g.add_edge(row.source.id, row.client_id)
    return g


def run_property(store: Store, test) -> None:
    wrapped = settings(
        max_examples=EXAMPLES[store.kind],
        deadline=None,
        suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
    )(given(forest=forests(), depth=st.integers(1, 7))(test))
    wrapped()


def test_chains_match_networkx(store: Store) -> None:
    def check(forest: Forest, depth: int) -> None:
        ws, clients, channels, g = load(store, forest)
        for cid in clients:
            up = nx.single_source_shortest_path_length(g.reverse(copy=False), cid, cutoff=depth + 1)
            expected = sorted(((lvl, node) for node, lvl in up.items() if 1 <= lvl <= depth))
            chain = store.chain(ws, cid, depth)
            assert [(s.level, s.source.id) for s in chain.steps] == expected
            assert chain.truncated == any(lvl == depth + 1 for lvl in up.values())
            assert all(s.level <= depth for s in chain.steps)

    run_property(store, check)


def test_trees_match_networkx(store: Store) -> None:
    def check(forest: Forest, depth: int) -> None:
        ws, clients, channels, g = load(store, forest)
        roots = [SourceRef(SourceKind.CLIENT, c) for c in clients] + [
            SourceRef(SourceKind.CHANNEL, c) for c in channels
        ]
        for root in roots:
            down = nx.single_source_shortest_path_length(g, root.id, cutoff=depth)
            expected = {(node, lvl) for node, lvl in down.items() if lvl >= 1}
            full = store.tree(ws, root, depth)
            tree = full.nodes
            assert {(n.client_id, n.level) for n in tree} == expected
            # reach per level, fan-out and dead ends agree with the reference too
            assert reach_per_level(full) == [sum(1 for lvl in down.values() if lvl == k) for k in range(1, depth + 1)]
            assert full.referred == g.out_degree(root.id)
            assert {n.client_id: n.referred for n in tree} == {n.client_id: g.out_degree(n.client_id) for n in tree}
            assert {n.client_id for n in tree if n.referred == 0} == {
                node for node, lvl in down.items() if lvl >= 1 and g.out_degree(node) == 0
            }
            assert len(tree) == len(expected)
            for node in tree:
                (parent,) = g.predecessors(node.client_id)
                assert node.parent.id == parent
            levels = [n.level for n in tree]
            assert levels == sorted(levels)

    run_property(store, check)


@pytest.mark.parametrize("level", [7, 8, 9, 12])
def test_a_client_deep_down_gets_exactly_seven_ancestors(store: Store, level: int) -> None:
    forest = Forest(
        level + 1,
        1,
        {0: ("channel", 0), **{i: ("client", i - 1) for i in range(1, level + 1)}},
        [],
        dict.fromkeys(range(level + 1), 0),
    )
    ws, clients, channels, _ = load(store, forest)
    chain = store.chain(ws, clients[level])
    assert len(chain.steps) == 7
    assert chain.truncated == (level + 1 > 7)  # the channel at the top counts as a level too
    assert [s.source.id for s in chain.steps] == list(reversed(clients[level - 7 : level]))
    assert max(n.level for n in store.tree(ws, SourceRef(SourceKind.CHANNEL, channels[0])).nodes) == 7
