"""Network analysis on hand-built data, checked against plain networkx where a reference exists."""

from __future__ import annotations

import random
from datetime import UTC, date, datetime

import networkx as nx
from hypothesis import given
from hypothesis import strategies as st

from referrals import analysis
from referrals.model import (
    Channel,
    ChannelKind,
    Client,
    ClientStatus,
    Referral,
    Snapshot,
    SourceKind,
    SourceRef,
    Tree,
    TreeNode,
)

T0 = datetime(2024, 1, 1, tzinfo=UTC)
D = date(2024, 1, 1)


def client(cid: str) -> Client:
    return Client(
        id=cid,
        name=cid.upper(),
        email=None,
        status=ClientStatus.ACTIVE,
        tags=(),
        external_id=None,
        notes=None,
        acquired_on=None,
        created_at=T0,
        updated_at=T0,
    )


def ref(src: str, dst: str, primary: bool = True) -> Referral:
    kind = SourceKind.CHANNEL if src.startswith("ch") else SourceKind.CLIENT
    return Referral(
        id=f"rf-{src}-{dst}",
        source=SourceRef(kind, src),
        client_id=dst,
        referred_on=D,
        note=None,
        primary=primary,
        created_at=T0,
    )


def snapshot(
    edges: list[tuple[str, str]],
    revenue: dict[str, dict[str, int]] | None = None,
    secondary: list[tuple[str, str]] = (),
) -> Snapshot:
    ids = sorted({x for e in [*edges, *secondary] for x in e if not x.startswith("ch")} | set(revenue or {}))
    chans = sorted({x for e in edges for x in e if x.startswith("ch")})
    return Snapshot(
        tuple(client(i) for i in ids),
        tuple(
            Channel(
                id=c,
                name=c.upper(),
                kind=ChannelKind.BLOG,
                url=None,
                external_id=None,
                notes=None,
                created_at=T0,
                updated_at=T0,
            )
            for c in chans
        ),
        tuple([ref(a, b) for a, b in edges] + [ref(a, b, False) for a, b in secondary]),
        revenue or {},
    )


def node(cid: str, level: int, parent: str, revenue: dict[str, int] | None = None, referred: int = 0) -> TreeNode:
    return TreeNode(
        level=level,
        client_id=cid,
        name=cid,
        status=ClientStatus.ACTIVE,
        parent=SourceRef(SourceKind.CLIENT, parent),
        referral_id=f"r{cid}",
        referred_on=D,
        revenue=revenue or {},
        referred=referred,
    )


def test_nest_computes_branch_totals_bottom_up() -> None:
    tree = Tree(
        root=SourceRef(SourceKind.CLIENT, "a"),
        name="A",
        revenue={"EUR": 5},
        referred=2,
        depth=3,
        nodes=(
            node("b", 1, "a", {"EUR": 100}, 1),
            node("c", 1, "a", {"USD": 7}, 0),
            node("d", 2, "b", {"EUR": 10, "USD": 1}, 1),
            node("e", 3, "d", {}, 4),  # brought people in below the depth cap: not a dead end
        ),
    )
    b, c = analysis.nest(tree)
    assert (b.branch_size, b.branch_revenue) == (2, {"EUR": 110, "USD": 1})
    assert (c.branch_size, c.branch_revenue, c.dead_end) == (0, {"USD": 7}, True)
    assert b.children[0].children[0].dead_end is False
    assert analysis.reach_per_level(tree) == [2, 1, 1]
    assert analysis.tree_revenue(tree) == {"EUR": 115, "USD": 8}


def test_summary_counts_origins_chains_and_dead_ends() -> None:
    snap = snapshot(
        [("ch1", "a"), ("a", "b"), ("b", "c"), ("a", "d")], {"c": {"EUR": 300}, "x": {"EUR": 1}}, secondary=[("d", "c")]
    )
    s = analysis.summarize(snap)
    assert (s.clients, s.channels, s.primary_referrals, s.secondary_referrals) == (5, 1, 4, 1)
    assert (s.from_channel, s.from_referral, s.direct) == (1, 3, 1)
    assert s.longest_chain == 3 and s.longest_chain_client == "c"  # c <- b <- a <- ch1
    assert s.clients_by_level == [1, 1, 2, 1]
    assert s.dead_ends == 3  # c, d (secondary recommendations do not count) and x
    assert s.revenue == {"EUR": 301}
    assert s.prolific[0][:3] == ("a", "A", 2)
    assert sorted(analysis.dead_ends(snap)) == ["c", "d", "x"]


def test_key_clients_hand_checked() -> None:
    # a brought in b and c; b brought in d. Revenue in EUR minor units.
    snap = snapshot([("a", "b"), ("a", "c"), ("b", "d")], {"a": {"EUR": 100}, "b": {"EUR": 400}, "d": {"EUR": 200}})
    currency, ranked = analysis.key_clients(snap)
    assert currency == "EUR"
    scores = {k.client_id: k for k in ranked}
    # max own 400, max downline 600 (a: b+c+d), max reach 3 (a)
    assert scores["a"].score == round(100 / 400 + 600 / 600 + 0.5 * 3 / 3, 6)
    assert scores["b"].score == round(400 / 400 + 200 / 600 + 0.5 * 1 / 3, 6)
    assert [k.client_id for k in ranked][:2] == ["a", "b"]
    _, by_reach_only = analysis.key_clients(snap, weights=analysis.Weights(0, 0, 1))
    assert by_reach_only[0].client_id == "a" and by_reach_only[0].score == 1.0
    _, capped = analysis.key_clients(snap, depth=1)
    assert {k.client_id: k.reach for k in capped}["a"] == 2


@given(st.integers(0, 2**32), st.integers(1, 60), st.integers(1, 7))
def test_downlines_match_networkx(seed: int, n: int, depth: int) -> None:
    rng = random.Random(seed)
    forest = nx.DiGraph()
    forest.add_nodes_from(range(n))
    for i in range(1, n):
        if rng.random() < 0.8:
            forest.add_edge(rng.randrange(i), i)
    revenue = {i: rng.randrange(-50, 500) for i in range(n) if rng.random() < 0.5}
    down = analysis.downlines(forest, revenue, depth)
    for v in range(n):
        lengths = nx.single_source_shortest_path_length(forest, v, cutoff=depth)
        below = [u for u, d in lengths.items() if d >= 1]
        assert down.reach[v] == len(below)
        assert down.revenue[v] == sum(revenue.get(u, 0) for u in below)
    whole = analysis.downlines(forest, revenue)  # no depth: the whole downline, in one pass
    for v in range(n):
        below = nx.descendants(forest, v)
        assert (whole.reach[v], whole.revenue[v]) == (len(below), sum(revenue.get(u, 0) for u in below))


def test_network_graph_levels_and_channels() -> None:
    g = analysis.network_graph(snapshot([("ch1", "a"), ("a", "b"), ("z", "y")], secondary=[("z", "b")]))
    assert g.nodes["b"]["level"] == 2 and g.nodes["b"]["channel"] == "CH1"
    assert g.nodes["y"]["level"] == 1 and g.nodes["y"]["channel"] == ""
    assert g.edges["z", "b"]["primary"] is False and g.edges["z", "b"]["kind"] == "secondary"
