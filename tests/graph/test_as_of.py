"""Views as of a day, on both stores: a random history (clients, recommendations, re-attributions and
deals, each recorded on some day, dated on or before it and arriving in random order) is written to one
store; for each day D its chains, trees and whole-network snapshot as of D equal the same views of a
second store loaded only with the events of the history up to D, in the order they were recorded."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from referrals import analysis, clock
from referrals.errors import Conflict, NotFound
from referrals.model import (
    ChannelInput,
    ClientInput,
    ClientPatch,
    DealInput,
    ReferralInput,
    SourceKind,
    SourceRef,
    Tree,
)
from referrals.money import Money
from referrals.store import Store
from tests.conftest import unique

START = date(2024, 1, 1)
DAYS = 40
CHANNELS = 2
EXAMPLES = {"sqlite": 80, "neo4j": 15}


@dataclass(frozen=True)
class Op:
    """One step of a history: what was recorded, on which day (the clock), dated when."""

    what: str  # client, recommend, reattribute, deal
    recorded: int  # day the record was made; the clock never goes back
    client: int
    source: tuple[str, int] | None = None  # (client|channel, index)
    day: int | None = None  # its date: acquired_on (None: not given), referred_on, closed_on
    amount: int = 0
    currency: str = "EUR"


@st.composite
def histories(draw: st.DrawFn) -> list[Op]:
    n = draw(st.integers(2, 9))
    ops: list[tuple[int, Op]] = []
    # a client is recorded on some day, with an acquisition date on or before it (or none)
    created = {}
    for i in range(n):
        rec = draw(st.integers(0, DAYS))
        acquired = draw(st.one_of(st.none(), st.integers(0, rec)))
        created[i] = rec
        ops.append((rec, Op("client", rec, i, day=acquired)))
    for _ in range(draw(st.integers(0, 14))):
        kind = draw(st.sampled_from(["recommend", "recommend", "reattribute", "deal"]))
        i = draw(st.integers(0, n - 1))
        rec = draw(st.integers(created[i], DAYS))
        day = draw(st.integers(0, rec))
        if kind == "deal":
            amount = draw(st.integers(-300, 10_000))
            ops.append(
                (rec, Op("deal", rec, i, day=day, amount=amount, currency=draw(st.sampled_from(["EUR", "RUB"]))))
            )
            continue
        if draw(st.booleans()):
            source = ("channel", draw(st.integers(0, CHANNELS - 1)))
        else:
            j = draw(st.integers(0, n - 1))
            if j == i:
                continue
            rec = max(rec, created[j])
            source = ("client", j)
        ops.append((rec, Op(kind, rec, i, source=source, day=day)))
    # recorded in the order of the clock; records of one day in any order
    order = draw(st.permutations(range(len(ops))))
    return [op for _, _, op in sorted((ops[k][0], pos, ops[k][1]) for pos, k in enumerate(order))]


def _day(k: int) -> date:
    return START + timedelta(days=k)


class Clock:
    """The wall clock of a history: a moment on the day being recorded, always moving forward."""

    def __init__(self) -> None:
        self.moment = datetime(2000, 1, 1, tzinfo=UTC)

    def on(self, day: int) -> None:
        at = datetime.combine(_day(day), datetime.min.time(), UTC) + timedelta(hours=12)
        self.moment = max(self.moment + timedelta(seconds=1), at)

    def __call__(self) -> datetime:
        return self.moment


class Writer:
    """Writes a history's operations into one workspace of a store, by index."""

    def __init__(self, store: Store, ws: str, tick: Clock) -> None:
        self.store, self.ws, self.tick = store, ws, tick
        self.tick.on(0)
        self.channels = [store.create_channel(ws, ChannelInput(name=f"ch{j}")).id for j in range(CHANNELS)]
        self.clients: dict[int, str] = {}

    def ref(self, source: tuple[str, int]) -> SourceRef | None:
        kind, idx = source
        if kind == "channel":
            return SourceRef(SourceKind.CHANNEL, self.channels[idx])
        cid = self.clients.get(idx)
        return SourceRef(SourceKind.CLIENT, cid) if cid else None

    def apply(self, op: Op, acquired: date | None) -> bool:
        """Write `op`; False when the store refused it or it changed nothing."""
        self.tick.on(op.recorded)
        s, ws = self.store, self.ws
        if op.what == "client":
            self.clients[op.client] = s.create_client(ws, ClientInput(name=f"c{op.client}", acquired_on=acquired)).id
            return True
        cid = self.clients.get(op.client)
        if cid is None:
            return False
        assert op.day is not None
        if op.what == "deal":
            s.create_deal(ws, DealInput(cid, Money(op.amount, op.currency), _day(op.day)))
            return True
        assert op.source is not None
        source = self.ref(op.source)
        if source is None:
            return False
        data = ReferralInput(source, cid, _day(op.day))
        try:
            if op.what == "recommend":
                s.record_referral(ws, data)
                return True
            if any(r.source == source for r in s.list_referrals(ws, client_id=cid)):
                return False  # re-attributing to a source that already recommended the client promotes it
            before = len(s.source_history(ws, cid))
            s.reattribute(ws, data)
            return len(s.source_history(ws, cid)) > before
        except Conflict:
            return False  # a ring, or the pair already recorded


def event_day(op: Op, since: dict[int, date]) -> date:
    """The day an operation happened: a client's first day, a recommendation's or deal's date, a
    re-attribution's day of recording."""
    if op.what == "client":
        return since[op.client]
    if op.what == "reattribute":
        return _day(op.recorded)
    assert op.day is not None
    return _day(op.day)


def names(store: Store, ws: str) -> dict[str, str]:
    snap = store.snapshot(ws)
    return {c.id: c.name for c in snap.clients} | {ch.id: ch.name for ch in snap.channels}


def tree_view(tree: Tree, name: dict[str, str]) -> Any:
    return (
        tree.name,
        dict(tree.revenue),
        tree.referred,
        (tree.beyond.clients, dict(tree.beyond.revenue)),
        sorted(
            (
                n.level,
                n.name,
                n.status.value,
                name[n.parent.id],
                n.referred_on,
                dict(n.revenue),
                n.referred,
                n.beyond.clients,
                dict(n.beyond.revenue),
            )
            for n in tree.nodes
        ),
    )


def network_view(store: Store, ws: str, as_of: date | None) -> Any:
    snap = store.snapshot(ws, as_of)
    name = {c.id: c.name for c in snap.clients} | {ch.id: ch.name for ch in snap.channels}
    summary = analysis.summarize(snap)
    return (
        sorted(c.name for c in snap.clients),
        sorted(ch.name for ch in snap.channels),
        sorted((name[r.source.id], name[r.client_id], r.referred_on, r.primary) for r in snap.referrals),
        sorted((name[cid], dict(rev)) for cid, rev in snap.revenue.items() if rev),
        (summary.clients, summary.direct, summary.from_channel, summary.from_referral, summary.longest_chain),
    )


def views(store: Store, ws: str, clients: dict[int, str], channels: list[str], as_of: date | None) -> Any:
    name = names(store, ws)
    out: dict[str, Any] = {"network": network_view(store, ws, as_of)}
    for idx, cid in sorted(clients.items()):
        try:
            chain = store.chain(ws, cid, as_of=as_of)
        except NotFound:
            out[f"c{idx}"] = "absent"
            continue
        out[f"c{idx} chain"] = [(s.level, s.name, s.referred_on) for s in chain.steps]
        for depth in (None, 1):
            out[f"c{idx} tree {depth}"] = tree_view(
                store.tree(ws, SourceRef(SourceKind.CLIENT, cid), depth, as_of), name
            )
    for j, ch in enumerate(channels):
        for depth in (None, 2):
            out[f"ch{j} tree {depth}"] = tree_view(
                store.tree(ws, SourceRef(SourceKind.CHANNEL, ch), depth, as_of), name
            )
    return out


def replayed(store: Store, history: list[Op], since: dict[int, date], day: date, tick: Clock) -> Any:
    """The views of a new workspace holding only the events up to `day`."""
    ws = store.create_workspace(unique("replay")).id
    w = Writer(store, ws, tick)
    for op in history:
        if event_day(op, since) <= day:
            w.apply(op, since[op.client] if op.what == "client" else None)
    present = dict(w.clients)
    return views(store, ws, present, w.channels, None), set(present)


def check_history(store: Store, history: list[Op], monkeypatch: pytest.MonkeyPatch, checkpoints: list[int]) -> None:
    tick = Clock()
    monkeypatch.setattr(clock, "now", tick)
    ws = store.create_workspace(unique("history")).id
    w = Writer(store, ws, tick)
    kept = [op for op in history if w.apply(op, _day(op.day) if op.what == "client" and op.day is not None else None)]
    snap = store.snapshot(ws)
    since = {}
    for i, cid in w.clients.items():
        client = next(c for c in snap.clients if c.id == cid)
        primary = next((r for r in snap.referrals if r.client_id == cid and r.primary), None)
        since[i] = client.acquired_on or (primary.referred_on if primary else client.created_at.astimezone(UTC).date())
    for k in checkpoints:
        day = _day(k)
        want, present = replayed(store, kept, since, day, tick)
        got = views(store, ws, w.clients, w.channels, day)
        # a client not there yet is absent from the day's views; the replay never wrote it
        got = {
            key: v
            for key, v in got.items()
            if not (key.startswith("c") and not key.startswith("ch") and int(key.split()[0][1:]) not in present)
        }
        assert got == want, f"as of {day}"


def test_views_as_of_a_day_equal_a_store_holding_only_that_days_events(store: Store) -> None:
    @settings(
        max_examples=EXAMPLES[store.kind],
        deadline=None,
        suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
    )
    @given(history=histories(), checkpoints=st.lists(st.integers(0, DAYS), min_size=1, max_size=3, unique=True))
    def run(history: list[Op], checkpoints: list[int]) -> None:
        with pytest.MonkeyPatch.context() as mp:
            check_history(store, history, mp, checkpoints)

    run()


# -- worked examples -------------------------------------------------------------------------


def story(store: Store, monkeypatch: pytest.MonkeyPatch, ws: str | None = None) -> tuple[str, dict[str, str], str]:
    """Blog brought Ana (Jan 5); Ana recommended Bruno (Feb 1); Carla came in Mar 1 recommended by Bruno
    and, recorded later but dated earlier, by the Podcast (Feb 20); on Apr 10 Bruno was re-attributed to
    the Podcast (dated Jan 25). Deals: Bruno 100 EUR on Feb 10, Carla 50 EUR on Mar 15."""
    tick = Clock()
    monkeypatch.setattr(clock, "now", tick)
    tick.on(4)
    ws = ws or store.create_workspace(unique("story")).id
    blog = store.create_channel(ws, ChannelInput(name="Blog")).id
    podcast = store.create_channel(ws, ChannelInput(name="Podcast")).id
    ids = {}
    for name, acquired in (("Ana", date(2024, 1, 5)), ("Bruno", date(2024, 2, 1)), ("Carla", date(2024, 3, 1))):
        tick.on((acquired - START).days)
        ids[name] = store.create_client(ws, ClientInput(name=name, acquired_on=acquired)).id
        src = {"Ana": SourceRef(SourceKind.CHANNEL, blog), "Bruno": SourceRef(SourceKind.CLIENT, ids.get("Ana", ""))}
        if name in src:
            store.record_referral(ws, ReferralInput(src[name], ids[name], acquired))
    store.record_referral(ws, ReferralInput(SourceRef(SourceKind.CLIENT, ids["Bruno"]), ids["Carla"], date(2024, 3, 1)))
    store.record_referral(ws, ReferralInput(SourceRef(SourceKind.CHANNEL, podcast), ids["Carla"], date(2024, 2, 20)))
    tick.on((date(2024, 3, 20) - START).days)
    store.create_deal(ws, DealInput(ids["Bruno"], Money(10_000, "EUR"), date(2024, 2, 10)))
    store.create_deal(ws, DealInput(ids["Carla"], Money(5_000, "EUR"), date(2024, 3, 15)))
    tick.on((date(2024, 4, 10) - START).days)
    store.reattribute(ws, ReferralInput(SourceRef(SourceKind.CHANNEL, podcast), ids["Bruno"], date(2024, 1, 25)), "CRM")
    return ws, ids, blog


def test_the_story_as_of_four_days(store: Store, monkeypatch: pytest.MonkeyPatch) -> None:
    ws, ids, blog = story(store, monkeypatch)
    blog_ref = SourceRef(SourceKind.CHANNEL, blog)

    def downline(day: date | None) -> list[tuple[int, str, dict[str, int]]]:
        return [(n.level, n.name, dict(n.revenue)) for n in store.tree(ws, blog_ref, as_of=day).nodes]

    def chain(who: str, day: date | None) -> list[str]:
        return [s.name for s in store.chain(ws, ids[who], as_of=day).steps]

    assert downline(date(2024, 1, 31)) == [(1, "Ana", {})]  # Bruno not a client yet
    assert downline(date(2024, 2, 29)) == [(1, "Ana", {}), (2, "Bruno", {"EUR": 10_000})]
    # March: Carla is Bruno's (her first recorded recommendation); her deal is not in yet on Mar 14
    assert downline(date(2024, 3, 14)) == [(1, "Ana", {}), (2, "Bruno", {"EUR": 10_000}), (3, "Carla", {})]
    assert chain("Carla", date(2024, 3, 14)) == ["Bruno", "Ana", "Blog"]
    # the re-attribution of Apr 10 moved Bruno (and Carla below him) to the Podcast from that day on
    assert chain("Bruno", date(2024, 4, 9)) == ["Ana", "Blog"]
    assert chain("Bruno", date(2024, 4, 10)) == ["Podcast"]
    assert downline(date(2024, 4, 10)) == [(1, "Ana", {})] == downline(None)
    assert chain("Carla", None) == ["Bruno", "Podcast"]
    with pytest.raises(NotFound) as absent:
        store.chain(ws, ids["Carla"], as_of=date(2024, 2, 1))
    assert str(absent.value).endswith("not found on 2024-02-01: it became a client on 2024-03-01")
    assert absent.value.errors[0].field == "as_of"
    snap = store.snapshot(ws, date(2024, 2, 15))
    assert sorted(c.name for c in snap.clients) == ["Ana", "Bruno"]
    assert snap.revenue == {ids["Bruno"]: {"EUR": 10_000}}


def test_a_secondary_recommendation_dated_earlier_is_the_primary_one_before_the_first(
    store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Carla's first recorded recommendation (Bruno, Mar 1) did not exist yet on Feb 25; the Podcast's
    (Feb 20, recorded after it) did: as of Feb 25 she had come through the Podcast."""
    ws, ids, _ = story(store, monkeypatch)
    monkeypatch.undo()
    carla = ids["Carla"]
    store.update_client(ws, carla, ClientPatch(acquired_on=date(2024, 2, 20)))
    assert [s.name for s in store.chain(ws, carla, as_of=date(2024, 2, 25)).steps] == ["Podcast"]
    assert [s.name for s in store.chain(ws, carla, as_of=date(2024, 3, 1)).steps] == ["Bruno", "Ana", "Blog"]


def test_a_chain_and_a_tree_as_of_a_day_are_one_query_each(store: Store, monkeypatch: pytest.MonkeyPatch) -> None:
    ws, ids, blog = story(store, monkeypatch)
    for day in (date(2024, 3, 14), date(2024, 5, 1)):
        before = store.query_count
        store.chain(ws, ids["Carla"], as_of=day)
        assert store.query_count - before == 1
        before = store.query_count
        store.tree(ws, SourceRef(SourceKind.CHANNEL, blog), 2, as_of=day)
        assert store.query_count - before == 1
        before = store.query_count
        store.tree(ws, SourceRef(SourceKind.CLIENT, ids["Ana"]), as_of=day)
        assert store.query_count - before == 1


def test_as_of_today_is_today(store: Store, monkeypatch: pytest.MonkeyPatch) -> None:
    ws, ids, blog = story(store, monkeypatch)
    later = date(2030, 1, 1)
    for root in (SourceRef(SourceKind.CHANNEL, blog), SourceRef(SourceKind.CLIENT, ids["Ana"])):
        for depth in (None, 1):
            assert store.tree(ws, root, depth, as_of=later) == store.tree(ws, root, depth)
    for cid in ids.values():
        assert store.chain(ws, cid, as_of=later) == store.chain(ws, cid)
