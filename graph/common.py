"""Shared by both store adapters: a tree from its walked rows; a period's uplines assembled from the distinct
ancestors of its clients."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Iterable, Mapping
from datetime import date
from typing import Any, ClassVar

from referrals.attribution import Arrival, DealFacts, PeriodFacts, Step
from referrals.model import NOTHING_BEYOND, Beyond, ClientStatus, SourceKind, SourceRef, Tree, TreeNode, beyond_of


class LazyUnit:
    """A unit of work whose row ports are made on first use (a one-query read makes one, not nine).

    A store lists its port classes by name in PORTS (the names of `referrals.ports.Unit`); each is
    built on the store's plumbing and the unit's transaction handle."""

    PORTS: ClassVar[dict[str, type]] = {}

    def __init__(self, db: Any, handle: Any) -> None:
        self._db = db
        self.handle = handle

    def __getattr__(self, name: str) -> Any:
        port_class = type(self).PORTS.get(name)
        if port_class is None:
            raise AttributeError(name)
        port = port_class(self._db, self.handle)
        setattr(self, name, port)
        return port


# -- a tree from the rows a store's walk gave -------------------------------------------------

# Stored text to its enum member by a dict lookup (an Enum call costs ten times as much, per node).
_STATUSES = {s.value: s for s in ClientStatus}

# A node as a store's walk gives it, in the view's order when sorted: level, date (ISO text sorts as
# the date does), client id, parent id, recommendation id, name, status.
NodeRow = tuple[int, str, str, str, str, str, str]


def _node_maker() -> Callable[..., TreeNode]:
    """`TreeNode(...)` by position, field for field, at half the cost: a frozen dataclass's `__init__`
    sets each field through `object.__setattr__` (~1.6 µs a node, a millisecond and a half of a
    1,000-client tree); this sets the slots through their descriptors. Checked against the dataclass
    in tests/graph/test_common.py."""
    names = [f.name for f in dataclasses.fields(TreeNode)]
    level, cid, name, status, parent, rid, on, revenue, referred, beyond = (getattr(TreeNode, n).__set__ for n in names)
    new = object.__new__

    def make(
        lv: int,
        c: str,
        nm: str,
        st: ClientStatus,
        up: SourceRef,
        r: str,
        d: date,
        rev: dict[str, int],
        n: int,
        b: Beyond,
    ) -> TreeNode:
        node = new(TreeNode)
        level(node, lv)
        cid(node, c)
        name(node, nm)
        status(node, st)
        parent(node, up)
        rid(node, r)
        on(node, d)
        revenue(node, rev)
        referred(node, n)
        beyond(node, b)
        return node

    return make


tree_node = _node_maker()


def tree_of(
    root: SourceRef,
    name: str,
    revenue: dict[str, int],
    depth: int | None,
    shown: list[NodeRow],
    fanout: Mapping[str, int],
    own: Mapping[str, dict[str, int]],
    past: Mapping[str, dict[str, int]],
    clients_past: Mapping[str, int],
) -> Tree:
    """The tree of `root` from its nodes to `depth` (`shown`, sorted here), each client's fan-out and own
    revenue per currency, and per last-level node the clients past it and their revenue."""
    shown.sort()
    fromiso, client, make = date.fromisoformat, SourceKind.CLIENT, tree_node
    parents: dict[str, SourceRef] = {}
    nodes = []
    for level, on, cid, parent, rid, name_, status in shown:
        if level == 1:
            up = root
        else:
            up = parents.get(parent)  # type: ignore[assignment]
            if up is None:  # one reference per parent, shared by its children
                up = parents[parent] = SourceRef(client, parent)
        far = clients_past.get(cid)
        nodes.append(
            make(
                level,
                cid,
                name_,
                _STATUSES[status],
                up,
                rid,
                fromiso(on),
                in_currency_order(own.get(cid)),
                fanout.get(cid, 0),
                Beyond(clients=far, revenue=in_currency_order(past.get(cid))) if far else NOTHING_BEYOND,
            )
        )
    return Tree(
        root=root,
        name=name,
        revenue=in_currency_order(revenue),
        referred=sum(1 for n in shown if n[0] == 1),
        depth=depth,
        nodes=tuple(nodes),
        beyond=beyond_of(nodes),
    )


def in_currency_order(amounts: dict[str, int] | None) -> dict[str, int]:
    """Amounts per currency with the currencies in order (a new dict for none)."""
    if not amounts:
        return {}
    return amounts if len(amounts) == 1 else dict(sorted(amounts.items()))


# -- a period's uplines from the distinct ancestors of its clients ----------------------------

# A client's primary source as one step of an upline, and that source's own id when it is a client
# (None for a channel: the chain ends there).
Link = tuple[Step, str | None]


def day_reader() -> Callable[[str], date]:
    """`date.fromisoformat` that makes one date object per distinct day and shares it: a period's
    ~300,000 dates hold a few thousand days, and fewer objects are quicker to make and to walk."""
    days: dict[str, date] = {}

    def day(text: str) -> date:
        found = days.get(text)
        if found is None:
            found = days[text] = date.fromisoformat(text)
        return found

    return day


def link(kind: SourceKind, source_id: str, name: str, on: date, active: bool) -> Link:
    """The link from a client to its primary source."""
    return Step(SourceRef(kind, source_id), name, on, active), source_id if kind is SourceKind.CLIENT else None


def period_facts(
    start: date,
    end: date,
    deals: Iterable[DealFacts],
    arrivals: Iterable[tuple[str, date]],
    parents: Mapping[str, Link],
) -> PeriodFacts:
    """Assemble a period's facts from its deals, its arrivals and the primary source of every client on
    their chains (each ancestor read once, however many chains share it). Uplines are built by walking
    parent links; steps are shared objects, and a client's upline is built once."""
    uplines: dict[str, tuple[Step, ...]] = {}

    def upline(client_id: str) -> tuple[Step, ...]:
        found = uplines.get(client_id)
        if found is not None:
            return found
        walk: list[tuple[str, Link | None]] = []
        node: str | None = client_id
        while node is not None and node not in uplines:
            up = parents.get(node)
            walk.append((node, up))
            node = up[1] if up is not None else None
        above = uplines[node] if node is not None else ()
        for c, up in reversed(walk):
            if up is None:
                above = ()
            elif up[1] is None:
                above = (up[0],)
            else:
                above = (up[0], *above)
            uplines[c] = above
        return uplines[client_id]

    return PeriodFacts(
        start,
        end,
        tuple((d, upline(d.client_id)) for d in sorted(deals, key=lambda d: d.id)),
        tuple(Arrival(c, on, upline(c)) for c, on in sorted(arrivals)),
    )
