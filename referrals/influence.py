"""Who matters and where word of mouth stops, computed from a snapshot in linear time.

Words (README "Who matters and where it stops"):
* a client's **downline revenue** is what the clients it brought in, level by level through primary
  sources, paid (its own deals not counted); its **branch revenue** adds its own. These are the same
  totals the tree view and the key-client ranking show.
* the clients a client would **orphan** if it stopped recommending are those every recommendation path
  to whom, from any top of the network (a channel or a client nobody brought in), passes through it:
  its dominated clients, with secondary recommendations counted as other paths. A client that orphans
  anyone is a **bridge client**. Without secondary recommendations a client orphans its whole downline,
  and the bridge clients are the articulation points of the referral forest joined under one root.
* a **sleeping referrer** recommended someone before (a primary or secondary recommendation from them)
  but nobody in the last `months` months up to the view's day.
* a **dead end** brought no one in (no primary recommendation from it: the summary's count); dead ends
  are ranked by the **upline revenue**: what the clients on its chain above it paid, up to the chain's
  top, so the first ones sit under the branches that paid most.

Rankings use one currency (default: the main one) and every row carries its amounts in all currencies.
"""

from __future__ import annotations

from collections import defaultdict, deque
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from typing import Any

from referrals.analysis import Amounts, add_amounts, currencies
from referrals.growth import add_months
from referrals.model import Snapshot

ROOT = ""  # the one root every top of the network hangs from, for dominators
ORPHANS_LISTED = 20  # the orphaned clients a bridge row names, nearest first (the count is always whole)


@dataclass(frozen=True, slots=True)
class Standing:
    """A client's place in word of mouth: what it and its downline paid, and what hangs on it."""

    client_id: str
    name: str
    own: Amounts
    downline: Amounts  # the downline's revenue, own not counted
    branch: Amounts  # own + downline
    reach: int  # clients in its whole downline
    referred: int  # clients it brought in directly
    orphaned: int  # clients that would lose every recommendation path without it
    orphaned_revenue: Amounts
    orphans: tuple[tuple[str, str], ...] = ()  # (id, name) of the first ORPHANS_LISTED of them, nearest first


@dataclass(frozen=True, slots=True)
class Sleeper:
    """A referrer who went quiet."""

    client_id: str
    name: str
    recommended: int  # recommendations it made, both kinds
    last_recommended_on: date
    days_quiet: int  # from that day to the view's day
    downline: Amounts


@dataclass(frozen=True, slots=True)
class DeadEnd:
    """A client who brought no one in, and what the chain above it paid."""

    client_id: str
    name: str
    level: int  # steps up its primary chain to the top (0: nobody brought it in)
    top: str  # the name of the chain's top (a channel or a client), "" when it is its own top
    upline_revenue: Amounts
    own: Amounts


@dataclass(frozen=True, slots=True)
class Influence:
    """The four lists, each cut at `limit` rows with its whole count alongside."""

    currency: str | None
    currencies: list[str]
    day: date
    months: int
    clients: list[Standing]
    clients_total: int
    bridges: list[Standing]
    bridges_total: int
    sleeping: list[Sleeper]
    sleeping_total: int
    dead_ends: list[DeadEnd]
    dead_ends_total: int


def dominators(nodes: list[str], edges: list[tuple[str, str]]) -> dict[str, str]:
    """The immediate dominator of every node of a DAG whose tops all hang from ROOT (ROOT maps to itself).

    Nodes are taken in topological order; a node's dominator is the nearest common dominator of its
    sources (Cooper, Harvey and Kennedy's intersection on the dominator tree, by depth), so a node with
    one source costs O(1) and the whole walk O(edges x depth) at worst."""
    sources: dict[str, list[str]] = defaultdict(list)
    targets: dict[str, list[str]] = defaultdict(list)
    indegree = dict.fromkeys(nodes, 0)
    for s, t in edges:
        sources[t].append(s)
        targets[s].append(t)
        indegree[t] += 1
    idom = {ROOT: ROOT}
    depth = {ROOT: 0}
    ready = deque(n for n in nodes if indegree[n] == 0)
    while ready:
        n = ready.popleft()
        froms = sources.get(n)
        if not froms:
            d = ROOT
        else:
            d = froms[0]
            for other in froms[1:]:
                a, b = d, other
                while a != b:
                    if depth[a] >= depth[b]:
                        a = idom[a]
                    else:
                        b = idom[b]
                d = a
        idom[n] = d
        depth[n] = depth[d] + 1
        for t in targets.get(n, ()):
            indegree[t] -= 1
            if indegree[t] == 0:
                ready.append(t)
    if len(idom) != len(nodes) + 1:
        raise ValueError("recommendations form a cycle")  # never stored: every write checks for rings
    return idom


def influence(snap: Snapshot, day: date, months: int = 6, currency: str | None = None, limit: int = 20) -> Influence:
    """Who matters and where it stops, for a snapshot seen on `day` (today, or the as-of day)."""
    cur_list = currencies(snap)
    currency = currency or next(iter(cur_list), None)
    names = {c.id: c.name for c in snap.clients} | {ch.id: ch.name for ch in snap.channels}
    clients = [c.id for c in snap.clients]
    own: Mapping[str, Mapping[str, int]] = snap.revenue
    parent: dict[str, str] = {}
    children: dict[str, list[str]] = defaultdict(list)
    for r in snap.referrals:
        if r.primary:
            parent[r.client_id] = r.source.id
            children[r.source.id].append(r.client_id)

    # tops first, then level by level: parents precede children
    order = [n for n in list(names) if n not in parent]
    level = dict.fromkeys(order, 0)
    top = {n: n for n in order}
    i = 0
    while i < len(order):
        n = order[i]
        for c in children.get(n, ()):
            level[c], top[c] = level[n] + 1, top[n]
            order.append(c)
        i += 1

    # downlines bottom-up (the tree view's branch totals), uplines top-down
    reach: dict[str, int] = dict.fromkeys(names, 0)
    downline: dict[str, Amounts] = {n: {} for n in names}
    for n in reversed(order):
        p = parent.get(n)
        if p is not None:
            reach[p] += 1 + reach[n]
            add_amounts(add_amounts(downline[p], own.get(n, {})), downline[n])
    upline: dict[str, Amounts] = {}
    for n in order:
        p = parent.get(n)
        upline[n] = add_amounts(add_amounts({}, upline[p]), own.get(p, {})) if p is not None else {}

    # dominators over every recommendation, primary or secondary
    idom = dominators(list(names), [(r.source.id, r.client_id) for r in snap.referrals])
    dominated: dict[str, list[str]] = defaultdict(list)
    for n, d in idom.items():
        if n != ROOT:
            dominated[d].append(n)
    is_client = set(clients)
    orphaned = dict.fromkeys(names, 0)
    orphaned_revenue: dict[str, Amounts] = {n: {} for n in names}
    for n in reversed(_preorder(dominated)):
        d = idom[n]
        if d != ROOT:
            orphaned[d] += orphaned[n] + (n in is_client)
            add_amounts(add_amounts(orphaned_revenue[d], orphaned_revenue[n]), own.get(n, {}))

    def amount(per: Mapping[str, int]) -> int:
        return per.get(currency, 0) if currency else 0

    def standing(cid: str, listed: bool = False) -> Standing:
        mine = dict(sorted(own.get(cid, {}).items()))
        down = dict(sorted(downline[cid].items()))
        return Standing(
            cid,
            names[cid],
            mine,
            down,
            dict(sorted(add_amounts(dict(mine), down).items())),
            reach[cid],
            len(children.get(cid, ())),
            orphaned[cid],
            dict(sorted(orphaned_revenue[cid].items())),
            _orphans(cid, dominated, names, is_client) if listed else (),
        )

    by_downline = sorted((c for c in clients if reach[c]), key=lambda c: (-amount(downline[c]), -reach[c], names[c], c))
    bridges = sorted(
        (c for c in clients if orphaned[c]),
        key=lambda c: (-orphaned[c], -amount(orphaned_revenue[c]), names[c], c),
    )

    made: dict[str, list[date]] = defaultdict(list)
    for r in snap.referrals:
        if r.source.id in is_client:
            made[r.source.id].append(r.referred_on)
    since = add_months(day, -months)
    sleepers = []
    for cid, days in made.items():
        last = max(days)
        if last <= since:
            sleepers.append(
                Sleeper(cid, names[cid], len(days), last, (day - last).days, dict(sorted(downline[cid].items())))
            )
    sleepers.sort(key=lambda s: (-s.recommended, -amount(s.downline), s.last_recommended_on, s.name, s.client_id))

    ends = sorted(
        (c for c in clients if not children.get(c)),
        key=lambda c: (-amount(upline[c]), -amount(own.get(c, {})), names[c], c),
    )
    dead = [
        DeadEnd(
            c,
            names[c],
            level[c],
            names[top[c]] if top[c] != c else "",
            dict(sorted(upline[c].items())),
            dict(sorted(own.get(c, {}).items())),
        )
        for c in ends[:limit]
    ]
    return Influence(
        currency,
        cur_list,
        day,
        months,
        [standing(c) for c in by_downline[:limit]],
        len(by_downline),
        [standing(c, listed=True) for c in bridges[:limit]],
        len(bridges),
        sleepers[:limit],
        len(sleepers),
        dead,
        len(ends),
    )


def _preorder(tree: Mapping[str, list[str]]) -> list[str]:
    """The nodes of the dominator tree below ROOT, each before the nodes it dominates."""
    out: list[str] = []
    stack = list(tree.get(ROOT, ()))
    while stack:
        n = stack.pop()
        out.append(n)
        stack.extend(tree.get(n, ()))
    return out


def _orphans(
    cid: str, dominated: Mapping[str, list[str]], names: Mapping[str, str], clients: set[str]
) -> tuple[tuple[str, str], ...]:
    """The first clients `cid` dominates, nearest first (then by name)."""
    out: list[tuple[str, str]] = []
    frontier = sorted(dominated.get(cid, ()), key=lambda n: (names[n], n))
    while frontier and len(out) < ORPHANS_LISTED:
        out += [(n, names[n]) for n in frontier if n in clients][: ORPHANS_LISTED - len(out)]
        frontier = sorted((m for n in frontier for m in dominated.get(n, ())), key=lambda n: (names[n], n))
    return tuple(out)


def to_json(inf: Influence) -> dict[str, Any]:
    """The lists as JSON-ready dicts (amounts as lists of {currency, amount, amount_minor})."""
    from referrals.money import format_amount

    def amounts(per: Mapping[str, int]) -> list[dict[str, Any]]:
        return [{"currency": c, "amount": format_amount(m, c), "amount_minor": m} for c, m in sorted(per.items())]

    def standing(s: Standing) -> dict[str, Any]:
        return {
            "client_id": s.client_id,
            "name": s.name,
            "own_revenue": amounts(s.own),
            "downline_revenue": amounts(s.downline),
            "branch_revenue": amounts(s.branch),
            "reach": s.reach,
            "referred": s.referred,
            "orphaned": s.orphaned,
            "orphaned_revenue": amounts(s.orphaned_revenue),
            "orphans": [{"client_id": i, "name": n} for i, n in s.orphans],
        }

    return {
        "currency": inf.currency,
        "currencies": inf.currencies,
        "day": inf.day.isoformat(),
        "months": inf.months,
        "clients": {"total": inf.clients_total, "items": [standing(s) for s in inf.clients]},
        "bridges": {"total": inf.bridges_total, "items": [standing(s) for s in inf.bridges]},
        "sleeping": {
            "total": inf.sleeping_total,
            "items": [
                {
                    "client_id": s.client_id,
                    "name": s.name,
                    "recommended": s.recommended,
                    "last_recommended_on": s.last_recommended_on.isoformat(),
                    "days_quiet": s.days_quiet,
                    "downline_revenue": amounts(s.downline),
                }
                for s in inf.sleeping
            ],
        },
        "dead_ends": {
            "total": inf.dead_ends_total,
            "items": [
                {
                    "client_id": d.client_id,
                    "name": d.name,
                    "level": d.level,
                    "top": d.top,
                    "upline_revenue": amounts(d.upline_revenue),
                    "own_revenue": amounts(d.own),
                }
                for d in inf.dead_ends
            ],
        },
    }
