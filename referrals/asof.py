"""The network as it stood on a day (`as_of`): one rule, applied to the facts a store reads.

What existed on day D, exactly as if the store held only what had happened by the end of D:

* a **client** from its `since` day on: its `acquired_on`, else the date of its primary recommendation,
  else the day it was recorded (UTC). (A client's `since` is also the day it counts as a new client.)
* a **channel** always, for chains and trees; the whole network shows a channel from the day it was
  recorded or of its first recommendation, whichever is earlier.
* a **recommendation** from its `referred_on` day, when both the client and a recommending client
  existed by then; one that a re-attribution recorded, from the day of that re-attribution.
* the **primary source** of a client on D: the one the latest re-attribution made on or before D chose
  (`source history`, by the UTC day of `changed_at`), if that recommendation existed on D; otherwise
  the first recorded of the client's recommendations that existed on D (a client's first recommendation
  is its primary one, and later ones are secondary, as when they are recorded).
* **revenue** from the deals closed on or before D of the clients that existed then.

Deleted records are gone from history too: a view as of any day never shows them. The whole
recommendation graph has no ring (every write checks), so the primary sources of any day form a forest.
Closed months are not affected: their statements come from their frozen facts.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime
from typing import TypeVar

from referrals import i18n
from referrals.config import WALK_LIMIT
from referrals.errors import NotFound
from referrals.model import (
    NOTHING_BEYOND,
    Beyond,
    Chain,
    ChainStep,
    ClientStatus,
    Referral,
    Snapshot,
    SourceKind,
    SourceRef,
    Tree,
    TreeNode,
    beyond_of,
)

D = TypeVar("D", date, str)


@dataclass(frozen=True, slots=True)
class Person:
    """What the rule reads of a client."""

    id: str
    name: str
    status: ClientStatus
    acquired_on: date | None
    created_at: datetime
    primary_on: date | None  # the date of its primary recommendation today

    @property
    def since(self) -> date:
        """The first day the client existed."""
        return first_day(self.acquired_on, self.primary_on, _utc_day(self.created_at))


def first_day(acquired_on: D | None, primary_on: D | None, recorded_on: D) -> D:
    """A client's first day: its acquisition date, else the date of its primary recommendation, else the
    (UTC) day it was recorded. It is also the day it counts as a new client. (Dates, or YYYY-MM-DD text
    with "" for none.)"""
    return acquired_on or primary_on or recorded_on


@dataclass(frozen=True, slots=True)
class Rec:
    """One recommendation of a client, as the rule reads it."""

    id: str
    client_id: str
    source: SourceRef
    referred_on: date
    created_at: datetime


@dataclass(frozen=True, slots=True)
class Switch:
    """One entry of a client's source history: the recommendation a re-attribution made primary."""

    client_id: str
    seq: int
    referral_id: str | None
    changed_at: datetime


@dataclass(frozen=True)
class Facts:
    """The part of the graph a view as of a day needs: clients (also every recommending client of the
    recommendations here), channel names, every recommendation of the clients in view, their source
    history, and their revenue by currency (already limited to the day's deals)."""

    people: Mapping[str, Person]
    channels: Mapping[str, str]
    recs: Mapping[str, Sequence[Rec]]  # client id -> its recommendations
    switches: Mapping[str, Sequence[Switch]] = field(default_factory=dict)  # client id -> by seq
    revenue: Mapping[str, Mapping[str, int]] = field(default_factory=dict)


def _utc_day(moment: datetime) -> date:
    return (moment.astimezone(UTC) if moment.tzinfo else moment).date()


def group(rows: Iterable[Rec]) -> dict[str, list[Rec]]:
    out: dict[str, list[Rec]] = {}
    for r in rows:
        out.setdefault(r.client_id, []).append(r)
    return out


def group_switches(rows: Iterable[Switch]) -> dict[str, list[Switch]]:
    out: dict[str, list[Switch]] = {}
    for s in sorted(rows, key=lambda s: (s.client_id, s.seq)):
        out.setdefault(s.client_id, []).append(s)
    return out


class AsOf:
    """The rule above over `facts` on `day`."""

    def __init__(self, facts: Facts, day: date) -> None:
        self.facts = facts
        self.day = day
        self._primary: dict[str, Rec | None] = {}

    def exists(self, ref: SourceRef | str) -> bool:
        if isinstance(ref, SourceRef):
            if ref.kind is SourceKind.CHANNEL:
                return True
            ref = ref.id
        person = self.facts.people.get(ref)
        return person is not None and person.since <= self.day

    def _made_by(self, client_id: str) -> dict[str, Switch]:
        """The recommendations a re-attribution recorded (not just promoted), by id."""
        recs = {r.id: r for r in self.facts.recs.get(client_id, ())}
        return {
            s.referral_id: s
            for s in self.facts.switches.get(client_id, ())
            if s.referral_id in recs and recs[s.referral_id].created_at == s.changed_at
        }

    def _existed(self, r: Rec, made_by: Mapping[str, Switch]) -> bool:
        if r.referred_on > self.day or not self.exists(r.client_id) or not self.exists(r.source):
            return False
        made = made_by.get(r.id)
        return made is None or _utc_day(made.changed_at) <= self.day

    def recommendations(self, client_id: str) -> list[Rec]:
        """The client's recommendations that existed on the day."""
        made_by = self._made_by(client_id)
        return [r for r in self.facts.recs.get(client_id, ()) if self._existed(r, made_by)]

    def primary(self, client_id: str) -> Rec | None:
        """The client's primary recommendation on the day; None when it had none (or did not exist)."""
        if client_id in self._primary:
            return self._primary[client_id]
        found: Rec | None = None
        if self.exists(client_id):
            recs = self.facts.recs.get(client_id, ())
            by_id = {r.id: r for r in recs}
            made_by = self._made_by(client_id)
            for s in reversed(self.facts.switches.get(client_id, ())):
                r = by_id.get(s.referral_id or "")
                if _utc_day(s.changed_at) <= self.day and r is not None and self._existed(r, made_by):
                    found = r
                    break
            else:
                for r in sorted(recs, key=lambda r: (r.created_at, r.id)):
                    if r.id not in made_by and self._existed(r, made_by):
                        found = r
                        break
        self._primary[client_id] = found
        return found

    def name(self, ref: SourceRef) -> str:
        if ref.kind is SourceKind.CHANNEL:
            return self.facts.channels.get(ref.id, ref.id)
        return self.facts.people[ref.id].name


# -- views ------------------------------------------------------------------------------------


def chain(facts: Facts, client_id: str, day: date) -> Chain:
    """The client's whole chain of primary sources as they were on `day`."""
    rule = AsOf(facts, day)
    if not rule.exists(client_id):
        raise _absent(facts, client_id, day)
    steps: list[ChainStep] = []
    node = client_id
    while len(steps) < WALK_LIMIT:
        r = rule.primary(node)
        if r is None:
            break
        steps.append(
            ChainStep(
                level=len(steps) + 1,
                source=r.source,
                name=rule.name(r.source),
                referral_id=r.id,
                referred_on=r.referred_on,
            )
        )
        if r.source.kind is SourceKind.CHANNEL:
            break
        node = r.source.id
    return Chain.whole(client_id, tuple(steps))


def _absent(facts: Facts, client_id: str, day: date) -> NotFound:
    person = facts.people.get(client_id)
    if person is None:
        return NotFound("client", client_id)
    return NotFound(
        "client",
        client_id,
        field="as_of",
        hint=" "
        + i18n._(
            "on %(day)s: it became a client on %(since)s",
            day=i18n.format_date(day),
            since=i18n.format_date(person.since),
        ),
    )


def tree(facts: Facts, root: SourceRef, root_name: str, depth: int | None, day: date) -> Tree:
    """The downline of `root` through the primary sources of `day`, with revenue to that day: the same
    shape as today's tree (nodes to `depth`, and what lies beyond each last-level node)."""
    rule = AsOf(facts, day)
    if root.kind is SourceKind.CLIENT and not rule.exists(root.id):
        raise _absent(facts, root.id, day)
    children: dict[SourceRef, list[tuple[str, Rec]]] = {}
    for client_id in facts.recs:
        r = rule.primary(client_id)
        if r is not None:
            children.setdefault(r.source, []).append((client_id, r))
    limit = WALK_LIMIT + 1 if depth is None else depth
    nodes: list[TreeNode] = []
    # walk level by level; every client below a last-level node is summed into that node's beyond
    level = 1
    frontier: list[tuple[str, Rec, SourceRef]] = [(c, r, root) for c, r in children.get(root, [])]
    revenue = facts.revenue
    while frontier and level <= min(limit, WALK_LIMIT):
        nxt: list[tuple[str, Rec, SourceRef]] = []
        for client_id, r, parent in frontier:
            person = facts.people[client_id]
            below = children.get(SourceRef(SourceKind.CLIENT, client_id), [])
            beyond = NOTHING_BEYOND
            if level == limit and below:
                beyond = _branch(children, below, revenue, WALK_LIMIT - level)
            else:
                nxt.extend((c, rr, SourceRef(SourceKind.CLIENT, client_id)) for c, rr in below)
            nodes.append(
                TreeNode(
                    level=level,
                    client_id=client_id,
                    name=person.name,
                    status=person.status,
                    parent=parent,
                    referral_id=r.id,
                    referred_on=r.referred_on,
                    revenue=dict(revenue.get(client_id, {})),
                    referred=len(below),
                    beyond=beyond,
                )
            )
        frontier = nxt
        level += 1
    nodes.sort(key=lambda n: (n.level, n.referred_on, n.client_id))
    return Tree(
        root=root,
        name=root_name,
        revenue=dict(revenue.get(root.id, {})) if root.kind is SourceKind.CLIENT else {},
        referred=len(children.get(root, [])),
        depth=depth,
        nodes=tuple(nodes),
        beyond=beyond_of(nodes),
    )


def _branch(
    children: Mapping[SourceRef, list[tuple[str, Rec]]],
    below: list[tuple[str, Rec]],
    revenue: Mapping[str, Mapping[str, int]],
    levels: int,
) -> Beyond:
    """The clients and revenue of everything in `below` and further down (at most `levels` levels)."""
    clients, money = 0, {}
    frontier, level = below, 1
    while frontier and level <= levels:
        nxt = []
        for client_id, _ in frontier:
            clients += 1
            for currency, minor in revenue.get(client_id, {}).items():
                money[currency] = money.get(currency, 0) + minor
            nxt.extend(children.get(SourceRef(SourceKind.CLIENT, client_id), []))
        frontier, level = nxt, level + 1
    return Beyond(clients=clients, revenue=dict(sorted(money.items())))


def snapshot(
    whole: Snapshot, history: Iterable[Switch], revenue: Mapping[str, Mapping[str, int]], day: date
) -> Snapshot:
    """The whole network as it stood on `day`: its clients, the channels known by then, the
    recommendations that existed with that day's primary flags, and revenue to that day (`revenue`
    already counts only the deals closed by then)."""
    primary_on = {r.client_id: r.referred_on for r in whole.referrals if r.primary}
    people = {
        c.id: Person(c.id, c.name, c.status, c.acquired_on, c.created_at, primary_on.get(c.id)) for c in whole.clients
    }
    recs = group(Rec(r.id, r.client_id, r.source, r.referred_on, r.created_at) for r in whole.referrals)
    rule = AsOf(Facts(people, {ch.id: ch.name for ch in whole.channels}, recs, group_switches(history)), day)
    clients = tuple(c for c in whole.clients if rule.exists(c.id))
    by_id = {r.id: r for r in whole.referrals}
    kept: list[Referral] = []
    for c in clients:
        primary = rule.primary(c.id)
        for r in rule.recommendations(c.id):
            kept.append(replace(by_id[r.id], primary=primary is not None and r.id == primary.id))
    kept.sort(key=lambda r: r.id)
    linked = {r.source.id for r in kept if r.source.kind is SourceKind.CHANNEL}
    channels = tuple(ch for ch in whole.channels if ch.id in linked or _utc_day(ch.created_at) <= day)
    return Snapshot(
        clients,
        channels,
        tuple(kept),
        {c.id: dict(revenue[c.id]) for c in clients if c.id in revenue},
    )
