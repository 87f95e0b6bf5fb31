"""Synthetic referral forests: heavy-tailed fan-out, channel roots, chains deeper than seven levels.

Deterministic for a seed. Each new client is brought in by:
* a channel or nobody (a root), for about 2% of clients;
* an earlier client chosen in proportion to 1 + the clients it already brought in (preferential
  attachment: a few talkative clients bring in many, most bring in none), for about 88%;
* one of the last few clients added, for about 10%, which grows long word-of-mouth chains.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import date, timedelta

import networkx as nx

CHANNELS = 20
START = date(2018, 1, 1)


@dataclass
class Forest:
    """Parents by index: parent[i] is ("channel", j), ("client", k) with k < i, or None."""

    n: int
    parent: list[tuple[str, int] | None]
    referred_on: list[date]
    revenue: list[int]  # minor units of EUR, 0 for many clients

    def graph(self) -> nx.DiGraph:
        """Primary edges as a networkx graph: clients are ints, channels are "ch<j>"."""
        g = nx.DiGraph()
        g.add_nodes_from(range(self.n))
        for i, p in enumerate(self.parent):
            if p is not None:
                g.add_edge(p[1] if p[0] == "client" else f"ch{p[1]}", i)
        return g


def generate(n: int, seed: int = 7) -> Forest:
    """A forest of `n` clients."""
    rng = random.Random(seed)
    parent: list[tuple[str, int] | None] = []
    urn: list[int] = []  # client k appears 1 + children(k) times
    days: list[date] = []
    for i in range(n):
        r = rng.random()
        if i == 0 or r < 0.02:
            p: tuple[str, int] | None = ("channel", rng.randrange(CHANNELS)) if rng.random() < 0.6 else None
        elif r < 0.12:
            p = ("client", rng.randrange(max(0, i - 5), i))
        else:
            p = ("client", urn[rng.randrange(len(urn))])
        parent.append(p)
        urn.append(i)
        if p is not None and p[0] == "client":
            urn.append(p[1])
        days.append(START + timedelta(days=i * 3000 // max(n, 1)))
    revenue = [rng.choice((0, 0, 0, rng.randrange(5_000, 500_000))) for _ in range(n)]
    return Forest(n, parent, days, revenue)


def branch_near(forest: Forest, size: int, depth: int = 7) -> tuple[int, int]:
    """The client whose downline within `depth` levels is closest to `size`: (client, its reach)."""
    from referrals.analysis import downlines

    g = forest.graph()
    reach = downlines(g.subgraph(range(forest.n)).copy(), {}, depth).reach
    best = min(reach, key=lambda c: (abs(reach[c] - size), c))
    return best, reach[best]
