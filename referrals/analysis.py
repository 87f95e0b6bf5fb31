"""Network analysis on fetched data: trees nested with branch totals, reach, dead ends, key clients.

Everything here works on records a store already returned (a Tree or a Snapshot) and uses networkx
for graph work; nothing here reads or writes a database.

Words used below:
* a client's **downline** is every client it brought in through primary sources, level by level;
* **reach** is the size of the downline: the whole of it, or within the levels a caller asked for;
* a **dead end** is a client who brought no one in (no primary recommendations from them);
* **branch revenue** is a client's own revenue plus its downline's, per currency.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from datetime import UTC, date

import networkx as nx

from referrals.config import CREDIT_DEPTH
from referrals.model import Chain, Snapshot, SourceKind, Tree, TreeNode

Amounts = dict[str, int]


def add_amounts(into: Amounts, more: Mapping[str, int]) -> Amounts:
    """Add per-currency minor units into `into` (never mixing currencies)."""
    for currency, minor in more.items():
        into[currency] = into.get(currency, 0) + minor
    return into


# -- one tree ---------------------------------------------------------------------------


@dataclass
class Branch:
    """A tree node with its children and the totals of its branch (itself and everything below it,
    also past the view's depth)."""

    node: TreeNode
    children: list[Branch] = field(default_factory=list)
    branch_revenue: Amounts = field(default_factory=dict)
    branch_size: int = 0  # clients below this one, also those past the view's depth

    @property
    def dead_end(self) -> bool:
        """Brought no one in (counted in the whole graph, not only within the view)."""
        return self.node.referred == 0

    @property
    def past_credit_depth(self) -> bool:
        """Further below the view's root than a deal's credit reaches (by default): the root gets no
        credit for this client's deals."""
        return past_credit_depth(self.node.level)


def past_credit_depth(level: int) -> bool:
    """A client this many levels below a root earns that root no credit at the default credit depth."""
    return level > CREDIT_DEPTH


def nest(tree: Tree) -> list[Branch]:
    """The tree's nodes as nested branches under the root, with branch totals computed bottom-up."""
    branches = {n.client_id: Branch(n) for n in tree.nodes}
    top: list[Branch] = []
    for n in tree.nodes:  # nodes come by level, so parents precede children
        parent = branches.get(n.parent.id) if n.level > 1 else None
        (parent.children if parent else top).append(branches[n.client_id])
    for n in reversed(tree.nodes):
        b = branches[n.client_id]
        add_amounts(b.branch_revenue, n.revenue)
        add_amounts(b.branch_revenue, n.beyond.revenue)
        b.branch_size += n.beyond.clients
        parent = branches.get(n.parent.id) if n.level > 1 else None
        if parent is not None:
            add_amounts(parent.branch_revenue, b.branch_revenue)
            parent.branch_size += 1 + b.branch_size
    return top


def reach_per_level(tree: Tree) -> list[int]:
    """How many clients sit at each level below the root, from 1 to the deepest level shown."""
    counts = Counter(n.level for n in tree.nodes)
    return [counts.get(level, 0) for level in range(1, max(counts, default=0) + 1)]


def tree_size(tree: Tree) -> int:
    """Every client below the root: those shown and those past the view's depth."""
    return len(tree.nodes) + tree.beyond.clients


def tree_revenue(tree: Tree) -> Amounts:
    """The root's own revenue plus its whole downline's (also past the view's depth), per currency."""
    total = shown_revenue(tree)
    add_amounts(total, tree.beyond.revenue)
    return dict(sorted(total.items()))


def shown_revenue(tree: Tree) -> Amounts:
    """The revenue of the root and of the clients the view shows, per currency."""
    total: Amounts = dict(tree.revenue)
    for n in tree.nodes:
        add_amounts(total, n.revenue)
    return dict(sorted(total.items()))


def top_channel(chain: Chain) -> str:
    """The name of the channel a chain starts at, or "" when it starts at a client (also when the
    chain was asked for fewer levels: its top is known all the same)."""
    top = chain.top
    return top.name if top is not None and top.source.kind is SourceKind.CHANNEL else ""


def tree_graph(tree: Tree, root_channel: str = "") -> nx.DiGraph:
    """A tree as a graph for exports: the root at level 0, primary edges only. Clients past the default
    credit depth carry `past_credit_depth`; a tree cut at a depth says what lies beyond it in the
    graph's own attributes (`beyond_clients`, `beyond_revenue_<CURRENCY>`) and on each last-level node."""
    g = nx.DiGraph()
    g.graph["depth"] = tree.depth if tree.depth is not None else "all"
    g.graph["beyond_clients"] = tree.beyond.clients
    for currency, minor in sorted(tree.beyond.revenue.items()):
        g.graph[f"beyond_revenue_{currency}"] = minor
    root_attrs = {
        "kind": tree.root.kind.value,
        "name": tree.name,
        "level": 0,
        "status": "",
        "channel": tree.name if tree.root.kind is SourceKind.CHANNEL else root_channel,
    }
    g.add_node(tree.root.id, **root_attrs, **_revenue_attrs(tree.revenue))
    for n in tree.nodes:
        g.add_node(
            n.client_id,
            kind="client",
            name=n.name,
            level=n.level,
            status=n.status.value,
            channel=root_attrs["channel"],
            past_credit_depth=past_credit_depth(n.level),
            **_revenue_attrs(n.revenue),
            **_beyond_attrs(n),
        )
        g.add_edge(n.parent.id, n.client_id, date=n.referred_on.isoformat(), primary=True, kind="primary")
    return g


def _revenue_attrs(revenue: Mapping[str, int]) -> dict[str, int]:
    return {f"revenue_{currency}": minor for currency, minor in sorted(revenue.items())}


def _beyond_attrs(node: TreeNode) -> dict[str, int]:
    if not node.beyond:
        return {}
    out = {"beyond_clients": node.beyond.clients}
    out.update({f"beyond_revenue_{c}": m for c, m in sorted(node.beyond.revenue.items())})
    return out


# -- a whole workspace ------------------------------------------------------------------


def network_graph(snap: Snapshot) -> nx.DiGraph:
    """Every client and channel, every recommendation (primary or secondary), with export attributes.

    Node attributes: kind, name, status, level (steps up the primary chain to its top: 0 for channels
    and for clients with no source), channel (the channel at the top of the chain, or ""), and
    revenue_<CURRENCY> in minor units. Edge attributes: date (ISO), primary (bool), kind.
    """
    g = nx.DiGraph()
    for ch in snap.channels:
        g.add_node(ch.id, kind="channel", name=ch.name, status="", channel_kind=ch.kind.value)
    for c in snap.clients:
        g.add_node(
            c.id, kind="client", name=c.name, status=c.status.value, **_revenue_attrs(snap.revenue.get(c.id, {}))
        )
    for r in snap.referrals:
        g.add_edge(
            r.source.id,
            r.client_id,
            date=r.referred_on.isoformat(),
            primary=r.primary,
            kind="primary" if r.primary else "secondary",
        )
    stamps = [c.updated_at for c in snap.clients] + [c.updated_at for c in snap.channels]
    stamps += [r.created_at for r in snap.referrals]
    if stamps:
        g.graph["modified"] = max(stamps).date().isoformat()  # the data's last change, not the export's day
    forest = primary_forest(g)
    for root in (n for n in forest if forest.in_degree(n) == 0):
        top = g.nodes[root]
        channel = top["name"] if top["kind"] == "channel" else ""
        for node, level in nx.single_source_shortest_path_length(forest, root).items():
            g.nodes[node]["level"] = level
            g.nodes[node]["channel"] = channel
    return g


def primary_forest(g: nx.DiGraph) -> nx.DiGraph:
    """Only the primary recommendations: each client has at most one parent."""
    forest = nx.DiGraph()
    forest.add_nodes_from(g.nodes(data=True))
    forest.add_edges_from((u, v, d) for u, v, d in g.edges(data=True) if d.get("primary"))
    return forest


@dataclass(frozen=True)
class TreeTop:
    """One tree of the network: its top (a channel, or a client nobody brought in) and its whole size."""

    kind: SourceKind
    id: str
    name: str
    clients: int  # clients in the tree, the top itself when it is a client
    nodes: int  # what a drawing of the whole tree holds: its clients and, for a channel, the channel
    revenue: Amounts  # every deal of those clients, per currency


def trees(snap: Snapshot) -> list[TreeTop]:
    """Every tree of the primary forest, biggest first (most clients, then name and id): together they
    hold each client once, so their clients and revenue add up to the workspace's. O(nodes)."""
    forest = primary_forest(network_graph(snap))
    tops = []
    for members in nx.weakly_connected_components(forest):
        top = next(n for n in members if forest.in_degree(n) == 0)
        attrs = forest.nodes[top]
        revenue: Amounts = {}
        clients = 0
        for n in members:
            if forest.nodes[n]["kind"] == "client":
                clients += 1
                add_amounts(revenue, snap.revenue.get(n, {}))
        tops.append(TreeTop(SourceKind(attrs["kind"]), top, attrs["name"], clients, len(members), revenue))
    tops.sort(key=lambda t: (-t.clients, -t.nodes, t.name, t.id))
    return tops


@dataclass(frozen=True)
class Downline:
    """Per-client totals of the downline (whole, or within a depth), computed for all clients at once."""

    reach: dict[str, int]  # clients below
    revenue: dict[str, int]  # their revenue in one currency (not the client's own)


def downlines(forest: nx.DiGraph, revenue: Mapping[str, int], depth: int | None = None) -> Downline:
    """Dynamic programming over the forest, leaves first: O(nodes) for whole downlines, O(nodes x depth)
    within a depth; never a walk per client.

    `revenue` maps client ids to their own revenue in the one currency of interest.
    """
    order = list(reversed(list(nx.topological_sort(forest))))
    if depth is None:
        size: dict[str, int] = {}
        paid: dict[str, int] = {}
        for node in order:
            size[node] = sum(1 + size[c] for c in forest.successors(node))
            paid[node] = sum(revenue.get(c, 0) + paid[c] for c in forest.successors(node))
        return Downline(size, paid)
    at: dict[str, list[int]] = {}
    money: dict[str, list[int]] = {}
    for node in order:
        counts = [1] + [0] * depth  # counts[k]: clients at level k below node; counts[0] is itself
        amounts = [revenue.get(node, 0)] + [0] * depth
        for child in forest.successors(node):
            below, paid_below = at[child], money[child]
            for k in range(1, depth + 1):
                counts[k] += below[k - 1]
                amounts[k] += paid_below[k - 1]
        at[node], money[node] = counts, amounts
    return Downline({n: sum(c[1:]) for n, c in at.items()}, {n: sum(m[1:]) for n, m in money.items()})


@dataclass(frozen=True)
class KeyClient:
    """A client's place in the key-client ranking and the parts of its score."""

    client_id: str
    name: str
    score: float
    own_revenue: int  # in the ranking's currency, negatives counted as 0
    downline_revenue: int
    reach: int
    referred: int
    own_by_currency: Amounts = field(default_factory=dict)  # every currency, as paid (refunds netted)
    downline_by_currency: Amounts = field(default_factory=dict)


@dataclass(frozen=True)
class Weights:
    """Weights of the key-client score; each part is first scaled to 0..1 by the workspace maximum."""

    own: float = 1.0
    downline: float = 1.0
    reach: float = 0.5


def currencies(snap: Snapshot) -> list[str]:
    """Every currency clients paid in, the main one first: by how many clients paid in it, then by code."""
    counts = Counter(cur for per_client in snap.revenue.values() for cur in per_client)
    return [cur for cur, _ in sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))]


def main_currency(snap: Snapshot) -> str | None:
    """The currency most clients paid in (ties: alphabetical), or None without deals."""
    return next(iter(currencies(snap)), None)


def key_clients(
    snap: Snapshot,
    currency: str | None = None,
    weights: Weights = Weights(),
    depth: int | None = None,
    limit: int = 20,
) -> tuple[str | None, list[KeyClient]]:
    """Rank clients by own revenue, the revenue of the business they brought in, and reach.

    score = own x w_own/max_own + downline x w_downline/max_downline + reach x w_reach/max_reach,
    revenues in one currency (default: the main one), negatives counted as 0, downline and reach
    the whole downline's (or within `depth` levels). Ties go to the larger reach, then the name.
    Each ranked client also carries its own and its downline's revenue in every currency, so a client
    who paid only in another currency shows what it paid.
    """
    currency = currency or main_currency(snap)
    forest = primary_forest(network_graph(snap))
    per_currency: dict[str, Downline] = {}
    for cur in currencies(snap):
        per_currency[cur] = downlines(forest, {cid: per.get(cur, 0) for cid, per in snap.revenue.items()}, depth)
    ranking = per_currency.get(currency) if currency else None
    down = ranking or downlines(forest, {}, depth)
    rows = []
    for c in snap.clients:
        own = snap.revenue.get(c.id, {}).get(currency, 0) if currency else 0
        dl = down.revenue[c.id]
        rows.append((c, max(own, 0), max(dl, 0), down.reach[c.id], forest.out_degree(c.id)))
    top_own = max((r[1] for r in rows), default=0) or 1
    top_dl = max((r[2] for r in rows), default=0) or 1
    top_reach = max((r[3] for r in rows), default=0) or 1
    ranked = [
        KeyClient(
            c.id,
            c.name,
            round(weights.own * own / top_own + weights.downline * dl / top_dl + weights.reach * reach / top_reach, 6),
            own,
            dl,
            reach,
            referred,
        )
        for c, own, dl, reach, referred in rows
    ]
    ranked.sort(key=lambda k: (-k.score, -k.reach, k.name, k.client_id))
    return currency, [
        replace(
            k,
            own_by_currency=dict(snap.revenue.get(k.client_id, {})),
            downline_by_currency={
                cur: d.revenue[k.client_id] for cur, d in per_currency.items() if d.revenue[k.client_id]
            },
        )
        for k in ranked[:limit]
    ]


@dataclass(frozen=True)
class Summary:
    """A workspace at a glance."""

    clients: int
    channels: int
    primary_referrals: int
    secondary_referrals: int
    from_referral: int  # clients whose primary source is a client
    from_channel: int  # ... a channel
    direct: int  # ... nobody recorded
    dead_ends: int
    longest_chain: int  # most steps from a client up to the top of its chain
    longest_chain_client: str | None
    clients_by_level: list[int]  # clients whose chain has 0, 1, 2, ... steps
    revenue: Amounts
    prolific: list[tuple[str, str, int, int]] = field(default_factory=list)  # id, name, referred, reach


def first_day(snap: Snapshot) -> date | None:
    """The earliest day the network knows of: a client's acquisition, a recommendation, or the day a
    client without either was recorded (None for an empty workspace). Views as of an earlier day are empty."""
    primary = {r.client_id: r.referred_on for r in snap.referrals if r.primary}
    days = [c.acquired_on or primary.get(c.id) or c.created_at.astimezone(UTC).date() for c in snap.clients]
    days += [r.referred_on for r in snap.referrals]
    return min(days, default=None)


def summarize(snap: Snapshot, depth: int | None = None, prolific: int = 10) -> Summary:
    """Counts, origins, chain lengths, dead ends and the most prolific referrers of a workspace."""
    g = network_graph(snap)
    forest = primary_forest(g)
    origin: Counter[str] = Counter()
    for c in snap.clients:
        parents = list(forest.predecessors(c.id))
        origin["direct" if not parents else g.nodes[parents[0]]["kind"]] += 1
    levels = {c.id: g.nodes[c.id].get("level", 0) for c in snap.clients}
    longest = max(levels.items(), key=lambda kv: (kv[1], kv[0]), default=(None, 0))
    by_level = Counter(levels.values())
    down = downlines(forest, {}, depth)
    names = {c.id: c.name for c in snap.clients}
    referrers = sorted(
        ((cid, names[cid], forest.out_degree(cid), down.reach[cid]) for cid in names if forest.out_degree(cid)),
        key=lambda r: (-r[2], -r[3], r[1], r[0]),
    )
    revenue: Amounts = {}
    for per_client in snap.revenue.values():
        add_amounts(revenue, per_client)
    primaries = sum(1 for r in snap.referrals if r.primary)
    return Summary(
        clients=len(snap.clients),
        channels=len(snap.channels),
        primary_referrals=primaries,
        secondary_referrals=len(snap.referrals) - primaries,
        from_referral=origin["client"],
        from_channel=origin["channel"],
        direct=origin["direct"],
        dead_ends=len(dead_ends(snap)),
        longest_chain=longest[1],
        longest_chain_client=longest[0] if longest[1] else None,
        clients_by_level=[by_level.get(k, 0) for k in range(max(by_level, default=0) + 1)],
        revenue=dict(sorted(revenue.items())),
        prolific=referrers[:prolific],
    )


def dead_ends(snap: Snapshot) -> list[str]:
    """Ids of clients who brought no one in."""
    brought: defaultdict[str, int] = defaultdict(int)
    for r in snap.referrals:
        if r.primary:
            brought[r.source.id] += 1
    return [c.id for c in snap.clients if not brought[c.id]]
