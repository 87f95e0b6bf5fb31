"""The whole network as a GraphML or GEXF file, written while it is read.

`exports.to_graphml(analysis.network_graph(snapshot))` holds every record, a networkx graph of them and
the whole file at once: at a million clients, minutes and gigabytes before the first byte leaves. Here
the same file (byte for byte: tests/referrals/test_network_file.py) is made in three passes over one
read transaction of the store, and sent a piece at a time:

1. the columns every node's attributes need (`Facts`: primary recommendations with their dates, each
   recommender's first date, revenue per client and currency, the data's last change) and the
   channels; the tree work (levels, the channel at the top, whole branches and their revenue) is done
   over arrays by `forest.Forest`;
2. clients and channels in id order, as the store streams them, a batch at a time;
3. recommendations in (source, client) order, as the store streams them.

The file's prologue goes out before the first read, so a client sees the answer begin at once. Memory
holds the columns of step 1 while the arrays are built (under a kilobyte per client at a million
clients), then the arrays and one batch of text: never the file (bench/RESULTS.md).
"""

from __future__ import annotations

import heapq
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime
from itertools import islice
from typing import TYPE_CHECKING, TypeVar

import numpy as np

from referrals import forest
from referrals.exports import EDGE_FIELDS, NODE_FIELDS, XML_WRITERS, GraphFormat, Head, declared_fields, palette
from referrals.model import Channel

if TYPE_CHECKING:
    from referrals.ports import Unit

T = TypeVar("T")
STREAMED = frozenset(XML_WRITERS)
NODE_BATCH = 2_000
EDGE_BATCH = 5_000
Pair = tuple[str, str, str, bool]  # a recommendation: source id, client id, date (YYYY-MM-DD), primary
NamedClient = tuple[str, str, str]  # id, name, status


@dataclass(frozen=True)
class Facts:
    """What the store hands over before the first node (in the transaction the nodes are read in)."""

    # Columns of ids and dates may come as fixed-width bytes (forest.KeyColumn)
    brought_in: forest.KeyColumn  # per primary recommendation: the client it brought in
    from_client: Sequence[bool] | np.ndarray  # ... whether its source is a client (else a channel)
    sources: forest.KeyColumn  # ... the source's id
    referred_on: forest.KeyColumn  # ... its date (YYYY-MM-DD)
    recommenders: forest.KeyColumn  # every client or channel that recommended someone
    first_dates: forest.KeyColumn  # ... the date of its first recommendation (YYYY-MM-DD)
    payers: forest.KeyColumn  # per client and currency it has deals in: the client,
    currencies: Sequence[str]  # ... the currency,
    totals: Sequence[int]  # ... and the deals' sum in minor units (refunds netted)
    modified: datetime | None  # the latest change of a client or channel, or the latest recommendation


class Attributes:
    """Every node's export attributes (exports.prepared over analysis.network_graph), from `Facts`."""

    def __init__(self, facts: Facts, channels: Sequence[Channel]) -> None:
        cols = forest.Columns(
            0,
            0,
            0,
            None,
            facts.brought_in,
            facts.from_client,
            facts.sources,
            payers=facts.payers,
            amounts=facts.totals,
            currencies=facts.currencies,
        )
        f = self.forest = forest.Forest(cols)
        n, m = len(f), len(facts.brought_in)
        self.channels = {c.id: c for c in channels}
        channel_index = {c.id: k for k, c in enumerate(channels)}
        self.channel_names = [c.name for c in channels]
        # the channel at the top of each client's chain (-1: the chain starts at a client)
        source_channel = np.full(n, -1, np.int64)
        by_channel = np.flatnonzero(f.channel)
        source_channel[by_channel] = [channel_index[forest.as_key(facts.sources[int(k)])] for k in by_channel]
        self.top_channel = source_channel[f.top]
        # dates as fixed-width bytes: a tenth of the memory of a million strings
        self.referred_on = forest.as_bytes(facts.referred_on)
        self.m = m
        self.first = forest.Ids(facts.recommenders)
        self.first_dates = forest.as_bytes(facts.first_dates)
        # branches: clients below (whole downline) and revenue, the node's own included
        self.currencies = sorted(set(facts.currencies))
        own = f.own(cols)
        has = {c: np.zeros(n, np.int64) for c in self.currencies}
        payer, codes = f.payer, np.array(facts.currencies)
        for c in self.currencies:
            has[c][payer[codes == c]] = 1
        self.own, self.has = own, has
        self.reach, _ = f.downline(None, None)
        self.branch = {}
        self.holds = {}  # per currency: whether the node or anyone below it has deals in it
        for c in self.currencies:
            _, below = f.downline(own[c], None)
            self.branch[c] = own[c] + below
            _, held = f.downline(has[c], None)
            self.holds[c] = (has[c] + held) > 0
        # a channel's branch: the clients it brought in directly and everything below them
        k = len(channels)
        self.channel_reach = np.zeros(k, np.int64)
        self.channel_branch = {c: np.zeros(k, np.int64) for c in self.currencies}
        self.channel_holds = {c: np.zeros(k, np.bool_) for c in self.currencies}
        direct = by_channel
        at = source_channel[direct]
        np.add.at(self.channel_reach, at, 1 + self.reach[direct])
        for c in self.currencies:
            np.add.at(self.channel_branch[c], at, self.branch[c][direct])
            np.logical_or.at(self.channel_holds[c], at, self.holds[c][direct])
        self.channel_at = channel_index
        self.any_recommendation = bool(len(facts.recommenders))
        self.any_primary = bool(m)
        self.modified = facts.modified

    def head(self, has_clients: bool) -> Head:
        """The file's declarations (which attributes exist, GEXF's colours and sizes)."""
        sample: dict[str, object] = {}
        if self.channels or has_clients:
            sample |= {"name": "", "kind": "", "level": 0, "channel": "", "status": "", "branch_clients": 0}
        if self.channels:
            sample["channel_kind"] = ""
        if has_clients:
            sample["dead_end"] = False
        if self.any_primary:
            sample["referred_on"] = ""
        if self.any_recommendation:
            sample["first_referral"] = ""
        for c in self.currencies:
            sample[f"revenue_{c}"] = 0
            sample[f"branch_revenue_{c}"] = 0
        totals = {c: int(np.maximum(self.own[c], 0).sum()) for c in self.currencies}
        currency = min(totals, key=lambda c: (-totals[c], c)) if totals else None
        biggest = 0
        if currency is not None:
            biggest = max(
                int(np.maximum(self.branch[currency], 0).max(initial=0)),
                int(np.maximum(self.channel_branch[currency], 0).max(initial=0)),
            )
        edge = {"kind": "", "primary": False, "date": ""} if self.any_recommendation else {}
        return Head(
            {"modified": self.modified.date().isoformat()} if self.modified else {},
            declared_fields([sample], NODE_FIELDS),
            declared_fields([edge], EDGE_FIELDS),
            palette(c.name for c in self.channels.values()),
            currency,
            biggest,
        )

    def nodes(self, batch: Sequence[NamedClient | Channel]) -> list[tuple[str, dict[str, object]]]:
        """Each client's or channel's attributes (clients as `ClientRows.each_named` gives them)."""
        ids = [x[0] if isinstance(x, tuple) else x.id for x in batch]
        first = self.first.lookup(ids).tolist()
        clients = [k for k, x in enumerate(batch) if isinstance(x, tuple)]
        at = np.full(len(batch), -1, np.int64)
        if clients:
            at[clients] = self.forest.find_all([ids[k] for k in clients])
        spots = at.tolist()
        out = []
        for k, x in enumerate(batch):
            day = self.first_dates[first[k]].decode() if first[k] >= 0 else None
            out.append((ids[k], self._client(x, spots[k], day) if isinstance(x, tuple) else self._channel(x, day)))
        return out

    def _client(self, c: NamedClient, i: int, first: str | None) -> dict[str, object]:
        a: dict[str, object] = {"name": c[1], "kind": "client", "status": c[2]}
        if i < 0:  # in no primary recommendation and paid nothing
            a |= {"level": 0, "channel": "", "dead_end": True}
            return _branch(a, first, 0, {})
        top = int(self.top_channel[i])
        a |= {
            "level": int(self.forest.level[i]),
            "channel": self.channel_names[top] if top >= 0 else "",
            "dead_end": not self.forest.referred[i],
        }
        if i < self.m:
            a["referred_on"] = self.referred_on[i].decode()
        for cur in self.currencies:
            if self.has[cur][i]:
                a[f"revenue_{cur}"] = int(self.own[cur][i])
        below = {cur: int(self.branch[cur][i]) for cur in self.currencies if self.holds[cur][i]}
        return _branch(a, first, int(self.reach[i]), below)

    def _channel(self, ch: Channel, first: str | None) -> dict[str, object]:
        k = self.channel_at[ch.id]
        a: dict[str, object] = {"name": ch.name, "kind": "channel", "level": 0, "channel": ch.name}
        a |= {"channel_kind": ch.kind.value, "status": ""}
        below = {cur: int(self.channel_branch[cur][k]) for cur in self.currencies if self.channel_holds[cur][k]}
        return _branch(a, first, int(self.channel_reach[k]), below)


def _branch(a: dict[str, object], first: str | None, clients: int, revenue: dict[str, int]) -> dict[str, object]:
    """A node's attributes with what every node has alike: its first recommendation's date (when it made
    one) and its branch (clients below it, revenue per currency it or anyone below holds deals in). The
    writers order attributes by their declarations, so the order here is free."""
    if first:
        a["first_referral"] = first
    a["branch_clients"] = clients
    for cur, minor in revenue.items():
        a[f"branch_revenue_{cur}"] = minor
    return a


def edges(pairs: Iterable[Pair]) -> list[tuple[str, str, dict[str, object]]]:
    """Recommendations as the file's edges."""
    return [(s, c, {"kind": "primary" if p else "secondary", "primary": p, "date": day}) for s, c, day, p in pairs]


def write(u: Unit, ws: str, fmt: GraphFormat, counts: dict[str, int] | None = None) -> Iterator[bytes]:
    """The file's pieces after its prologue, read in the unit `u` (a `Storage.stream()`); `counts` gets
    the nodes and edges written."""
    writer = XML_WRITERS[fmt]()
    u.workspaces.require(ws)
    channels = list(u.channels.each(ws))
    attrs = Attributes(u.graph.network_file_facts(ws), channels)  # the facts' columns go once read
    clients = u.clients.each_named(ws)
    head = next(clients, None)
    yield writer.head(attrs.head(head is not None))
    rest: Iterable[NamedClient] = () if head is None else _chain(head, clients)
    nodes = edges_written = 0
    for batch in batched(heapq.merge(channels, rest, key=_id), NODE_BATCH):
        yield writer.nodes(attrs.nodes(batch))
        nodes += len(batch)
    for pairs in batched(u.referrals.each_pair(ws), EDGE_BATCH):
        yield writer.edges(edges(pairs))
        edges_written += len(pairs)
    yield writer.end()
    if counts is not None:
        counts.update(nodes=nodes, edges=edges_written)


def prologue(fmt: GraphFormat) -> bytes:
    """The file's first bytes, which depend on nothing read."""
    return XML_WRITERS[fmt]().prologue()


def batched(items: Iterable[T], n: int) -> Iterator[list[T]]:
    """Lists of n items (the last one shorter)."""
    it = iter(items)
    while batch := list(islice(it, n)):
        yield batch


def _id(x: NamedClient | Channel) -> str:
    return x[0] if isinstance(x, tuple) else x.id


def _chain(first: NamedClient, rest: Iterator[NamedClient]) -> Iterator[NamedClient]:
    yield first
    yield from rest
