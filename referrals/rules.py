"""Rules of the referral graph that do not depend on where the graph is stored."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import date

from referrals import clock
from referrals.errors import KINDS, Conflict, FieldError, Invalid
from referrals.i18n import N_, _, lazy
from referrals.model import Client, ReferralInput, SourceKind, SourceRef

FUTURE_REASON = N_("{day} is in the future (no place on Earth has reached it yet)")


def refuse_future(dates: Iterable[tuple[str, date | None]]) -> None:
    """Refuse any (field, date) whose date has not begun anywhere yet, naming each field."""
    latest = clock.latest_today()
    errors = [
        FieldError(field, lazy(FUTURE_REASON).format(day=day.isoformat()))
        for field, day in dates
        if day is not None and day > latest
    ]
    if errors:
        raise Invalid(errors)


CYCLE_REASON = N_("would close a cycle: {client} already brought in {source}, directly or through others")


def who(client: Client) -> str:
    """A client as an error message names it: "Ana Lima (cl_…)"."""
    return f"{client.name} ({client.id})"


def cycle_conflict(source: Client, client: Client) -> Conflict:
    """The error for a recommendation that would make a client its own ancestor, naming both people."""
    return Conflict("source_id", lazy(CYCLE_REASON).format(client=who(client), source=who(source)))


@dataclass(frozen=True, slots=True)
class Edge:
    """A stored recommendation as the planner sees it."""

    source: SourceRef
    client_id: str
    primary: bool


@dataclass(frozen=True, slots=True)
class PlannedReferral:
    """What a bulk row will do: be created (as primary or not) or match a stored one."""

    index: int
    row: ReferralInput
    primary: bool
    exists: bool


_CLIENT = SourceKind.CLIENT  # read once: an enum member read through its class costs a descriptor call


class ReferralGraph:
    """An in-memory view of a workspace's recommendations, for checking a batch of new ones.

    Pairs are kept as (source id, client id, source is a client) tuples rather than by SourceRef: a
    frozen dataclass hashes in Python (and its enum member too), and a bulk write checks every row."""

    def __init__(self, edges: Iterable[Edge]) -> None:
        self._children: dict[str, set[str]] = defaultdict(set)  # client source -> clients
        self._pairs: set[tuple[str, str, bool]] = set()
        self._has_primary: set[str] = set()
        for e in edges:
            self._add(e.source, e.client_id, e.primary)

    def _add(self, source: SourceRef, client_id: str, primary: bool) -> None:
        is_client = source.kind is _CLIENT
        self._pairs.add((source.id, client_id, is_client))
        if is_client:
            self._children[source.id].add(client_id)
        if primary:
            self._has_primary.add(client_id)

    def add(self, edge: Edge) -> None:
        """Record a planned recommendation so later checks see it."""
        self._add(edge.source, edge.client_id, edge.primary)

    def has_pair(self, source: SourceRef, client_id: str) -> bool:
        """True when `source` already recommended `client_id`."""
        return (source.id, client_id, source.kind is _CLIENT) in self._pairs

    def has_primary(self, client_id: str) -> bool:
        """True when the client already has a primary source."""
        return client_id in self._has_primary

    def is_ancestor(self, candidate: str, of: str) -> bool:
        """True when `candidate` recommended `of`, directly or through others.

        Walks down from `candidate`: in imports the client being recommended is usually new, with
        nobody below it yet, so the walk ends at once however deep the chain above it is.
        """
        seen: set[str] = set()
        stack = [candidate]
        while stack:
            node = stack.pop()
            for child in self._children.get(node, ()):
                if child == of:
                    return True
                if child not in seen:
                    seen.add(child)
                    stack.append(child)
        return False

    def plan(
        self,
        rows: Sequence[ReferralInput],
        known_clients: set[str],
        known_channels: set[str],
        describe: Callable[[str], str] = str,
    ) -> list[PlannedReferral]:
        """Check rows in order against the graph and each other; Invalid names every bad row (and
        `describe` turns a client id into the words a cycle's message uses for that client)."""
        errors: list[FieldError] = []
        planned: list[PlannedReferral] = []
        for i, row in enumerate(rows):
            where = f"rows[{i}]"
            src = row.source
            is_client = src.kind is _CLIENT
            known = known_clients if is_client else known_channels
            bad = False
            if src.id not in known:
                errors.append(
                    FieldError(
                        f"{where}.source_id",
                        _("no %(kind)s with id %(id)r", kind=lazy(KINDS[src.kind.value]), id=src.id),
                    )
                )
                bad = True
            if row.client_id not in known_clients:
                errors.append(
                    FieldError(
                        f"{where}.client_id", _("no %(kind)s with id %(id)r", kind=_("client"), id=row.client_id)
                    )
                )
                bad = True
            if bad:
                continue
            if (src.id, row.client_id, is_client) in self._pairs:
                planned.append(PlannedReferral(i, row, False, True))
                continue
            if is_client and (src.id == row.client_id or self.is_ancestor(row.client_id, src.id)):
                errors.append(
                    FieldError(
                        f"{where}.source_id",
                        lazy(CYCLE_REASON).format(client=describe(row.client_id), source=describe(src.id)),
                    )
                )
                continue
            primary = row.client_id not in self._has_primary
            self._add(src, row.client_id, primary)
            planned.append(PlannedReferral(i, row, primary, False))
        if errors:
            raise Invalid(errors)
        return planned


def refuse_self_referral(data: ReferralInput) -> None:
    """A client can never be its own source."""
    if data.source.kind is SourceKind.CLIENT and data.source.id == data.client_id:
        raise Invalid.one("source_id", _("a client cannot refer themselves"))
