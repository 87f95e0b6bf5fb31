"""Chains and trees from either store equal a networkx reference on random referral forests, many of
them deeper than seven levels: whole by default, and when cut at a depth, what they show plus what they
say lies beyond is the whole downline, its clients and its revenue."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta

import networkx as nx
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from referrals.analysis import Branch, nest, reach_per_level, tree_revenue, tree_size
from referrals.model import ChannelInput, ClientInput, DealInput, ReferralInput, SourceKind, SourceRef
from referrals.money import Money
from referrals.store import Store
from tests.conftest import unique

EXAMPLES = {"sqlite": 60, "neo4j": 25}


@dataclass
class Forest:
    """A random workspace: clients 0..n-1, channels, primary and secondary recommendations."""

    n: int
    channels: int
    primary: dict[int, tuple[str, int]]  # client -> (kind, index) of its primary source
    secondary: list[tuple[int, int]]  # (source client, client)
    days: dict[int, int]
    deals: list[tuple[int, int, str]] = field(default_factory=list)  # (client, amount_minor, currency)


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
    deals = draw(
        st.lists(
            st.tuples(st.integers(0, n - 1), st.integers(-500, 100_000), st.sampled_from(["EUR", "RUB"])), max_size=12
        )
    )
    return Forest(n, channels, primary, secondary, days, deals)


def load(store: Store, forest: Forest) -> tuple[str, list[str], list[str], nx.DiGraph]:
    """Write the forest through the bulk paths; primary edges first so they become primary."""
    ws = store.create_workspace(unique("prop")).id
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
    store.upsert_deals(
        ws,
        [
            DealInput(clients[c], Money(amount, currency), base, external_id=f"d{k}")
            for k, (c, amount, currency) in enumerate(forest.deals)
        ],
    )
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
    )(given(forest=forests(), depth=st.one_of(st.none(), st.integers(1, 12)))(test))
    wrapped()


def revenue_of(forest: Forest, clients: list[str], ids: set[str]) -> dict[str, int]:
    """The deals of these clients summed per currency (currencies with a zero total kept: a refund)."""
    total: dict[str, int] = {}
    for c, amount, currency in forest.deals:
        if clients[c] in ids:
            total[currency] = total.get(currency, 0) + amount
    return dict(sorted(total.items()))


def test_chains_match_networkx(store: Store) -> None:
    def check(forest: Forest, depth: int | None) -> None:
        ws, clients, channels, g = load(store, forest)
        for cid in clients:
            up = nx.single_source_shortest_path_length(g.reverse(copy=False), cid)
            whole = sorted((lvl, node) for node, lvl in up.items() if lvl >= 1)
            expected = [(lvl, node) for lvl, node in whole if depth is None or lvl <= depth]
            chain = store.chain(ws, cid, depth)
            assert [(s.level, s.source.id) for s in chain.steps] == expected
            assert chain.levels == len(whole)
            assert chain.truncated == (len(expected) < len(whole))
            assert (chain.top.source.id if chain.top else None) == (whole[-1][1] if whole else None)

    run_property(store, check)


def test_trees_match_networkx(store: Store) -> None:
    def check(forest: Forest, depth: int | None) -> None:
        ws, clients, channels, g = load(store, forest)
        roots = [SourceRef(SourceKind.CLIENT, c) for c in clients] + [
            SourceRef(SourceKind.CHANNEL, c) for c in channels
        ]
        for root in roots:
            down = {node: lvl for node, lvl in nx.single_source_shortest_path_length(g, root.id).items() if lvl >= 1}
            shown = {(node, lvl) for node, lvl in down.items() if depth is None or lvl <= depth}
            past = {node for node, lvl in down.items() if depth is not None and lvl > depth}
            full = store.tree(ws, root, depth)
            tree = full.nodes
            assert {(n.client_id, n.level) for n in tree} == shown
            # what lies beyond: its clients and revenue, in all and per last-level node
            assert full.beyond.clients == len(past)
            assert dict(full.beyond.revenue) == revenue_of(forest, clients, past)
            for n in tree:
                below = nx.descendants(g, n.client_id) if n.level == depth else set()
                assert n.beyond.clients == len(below)
                assert dict(n.beyond.revenue) == revenue_of(forest, clients, below)
            # every total agrees: shown + beyond is the whole downline, whatever the depth
            assert tree_size(full) == len(down)
            assert tree_revenue(full) == revenue_of(forest, clients, set(down) | {root.id})
            for b in _walk(nest(full)):
                branch = nx.descendants(g, b.node.client_id)
                assert b.branch_size == len(branch)
                assert b.branch_revenue == revenue_of(forest, clients, branch | {b.node.client_id})
            # reach per level, fan-out and dead ends agree with the reference too
            deepest = max((lvl for _, lvl in shown), default=0)
            assert reach_per_level(full) == [sum(1 for _, lvl in shown if lvl == k) for k in range(1, deepest + 1)]
            assert full.referred == g.out_degree(root.id)
            assert {n.client_id: n.referred for n in tree} == {n.client_id: g.out_degree(n.client_id) for n in tree}
            for node in tree:
                (parent,) = g.predecessors(node.client_id)
                assert node.parent.id == parent
            levels = [n.level for n in tree]
            assert levels == sorted(levels)

    run_property(store, check)


def _walk(branches: list[Branch]) -> list[Branch]:
    out: list[Branch] = []
    stack = list(branches)
    while stack:
        b = stack.pop()
        out.append(b)
        stack.extend(b.children)
    return out


@pytest.mark.parametrize("level", [7, 8, 9, 12])
def test_a_client_deep_down_sees_its_whole_chain_and_a_cut_says_how_far_it_goes(store: Store, level: int) -> None:
    forest = Forest(
        level + 1,
        1,
        {0: ("channel", 0), **{i: ("client", i - 1) for i in range(1, level + 1)}},
        [],
        dict.fromkeys(range(level + 1), 0),
    )
    ws, clients, channels, _ = load(store, forest)
    chain = store.chain(ws, clients[level])
    assert len(chain.steps) == chain.levels == level + 1  # the channel at the top counts as a level too
    assert chain.top is not None and chain.top.source.id == channels[0]
    cut = store.chain(ws, clients[level], 7)
    assert [s.source.id for s in cut.steps] == list(reversed(clients[level - 7 : level]))
    assert cut.truncated and cut.top == chain.top
    whole = store.tree(ws, SourceRef(SourceKind.CHANNEL, channels[0]))
    assert max(n.level for n in whole.nodes) == level + 1
    seven = store.tree(ws, SourceRef(SourceKind.CHANNEL, channels[0]), 7)
    assert max(n.level for n in seven.nodes) == 7 and seven.beyond.clients == level + 1 - 7
