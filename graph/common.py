"""Shared by both store adapters: a period's uplines assembled from the distinct ancestors of its clients."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import date
from typing import Any, ClassVar

from referrals.attribution import Arrival, DealFacts, PeriodFacts, Step
from referrals.model import SourceKind, SourceRef


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


# -- a period's uplines from the distinct ancestors of its clients ----------------------------

# A client's primary source as one step of an upline, and that source's own id when it is a client
# (None for a channel: the chain ends there).
Link = tuple[Step, str | None]


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
