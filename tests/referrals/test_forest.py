"""The network-wide answers from columns (referrals/forest.py) equal the snapshot path's (analysis.py).

The snapshot path builds every record and a networkx graph and is the reference: the summary and the
key-client ranking read from columns must equal it field for field, tie for tie, on random networks in
both stores, and on the cases the columns handle apart (ties broken by name, scores that round to 0,
clients outside every recommendation, names in code point order).
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import UTC, date, datetime, timedelta

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from referrals import analysis, clock, forest
from referrals.model import ChannelInput, ClientInput, DealInput, ReferralInput, SourceKind, SourceRef
from referrals.money import Money
from referrals.store import Store
from tests.conftest import unique

START = date(2025, 1, 1)
# Names that tie, differ only in case, and order differently by code point and by UTF-16 unit
# (U+FF21 comes before U+1F600 by code point, after it in UTF-16).
NAMES = ["Ana", "Ana", "ana", "Bruno", "Ирина", "Анна", "\uff21da", "\U0001f600 Emoji", "Zoë"]
EXAMPLES = {"sqlite": 50, "neo4j": 6}


@dataclass(frozen=True)
class Net:
    names: list[str]
    acquired: list[int | None]  # days after START, or none given
    primary: list[tuple[str, int] | None]  # per client: ("client", j < i) / ("channel", k) / nobody
    secondary: list[tuple[int, tuple[str, int], int]]  # (client, source, day)
    deals: list[tuple[int, int, str]]  # (client, amount in minor units, currency)
    recorded: int  # the day every record is made (may come before every date above)
    channels: int


@st.composite
def nets(draw: st.DrawFn) -> Net:
    n = draw(st.integers(0, 14))
    channels = draw(st.integers(0, 2))
    names = [draw(st.sampled_from(NAMES)) for _ in range(n)]
    acquired = [draw(st.one_of(st.none(), st.integers(0, 60))) for _ in range(n)]
    primary: list[tuple[str, int] | None] = []
    for i in range(n):
        options: list[tuple[str, int] | None] = [None]
        options += [("channel", k) for k in range(channels)] + [("client", j) for j in range(i)]
        primary.append(draw(st.sampled_from(options)))
    secondary = []
    for i in range(n):
        if primary[i] is None or not draw(st.booleans()):
            continue
        others = [("channel", k) for k in range(channels)] + [("client", j) for j in range(i)]
        others = [o for o in others if o != primary[i]]
        if others:
            secondary.append((i, draw(st.sampled_from(others)), draw(st.integers(0, 60))))
    amounts = st.sampled_from([0, 1, -500, 2_000, 10_000, 999_999_999, 7])
    deals = [
        (draw(st.integers(0, n - 1)), draw(amounts), draw(st.sampled_from(["EUR", "EUR", "RUB"])))
        for _ in range(draw(st.integers(0, 12) if n else st.just(0)))
    ]
    return Net(names, acquired, primary, secondary, deals, draw(st.integers(0, 70)), channels)


def load(store: Store, net: Net, mp: pytest.MonkeyPatch) -> str:
    at = [datetime.combine(START + timedelta(days=net.recorded), datetime.min.time(), UTC) + timedelta(hours=23)]
    mp.setattr(clock, "now", lambda: at[0])
    ws = store.create_workspace(unique("forest")).id
    chans = [store.create_channel(ws, ChannelInput(name=f"ch{k}")).id for k in range(net.channels)]
    day = [START + timedelta(days=min(d, net.recorded)) if d is not None else None for d in net.acquired]
    ids = [
        store.create_client(ws, ClientInput(name=name, acquired_on=acquired)).id
        for name, acquired in zip(net.names, day, strict=True)
    ]

    at[0] += timedelta(days=100)  # recommendations and deals are recorded later, and dated up to then

    def ref(source: tuple[str, int]) -> SourceRef:
        kind, k = source
        return SourceRef(SourceKind.CHANNEL, chans[k]) if kind == "channel" else SourceRef(SourceKind.CLIENT, ids[k])

    prim = [
        ReferralInput(ref(src), ids[i], day[i] or START + timedelta(days=30))
        for i, src in enumerate(net.primary)
        if src is not None
    ]
    if prim:
        store.add_referrals(ws, prim)
    sec = [ReferralInput(ref(src), ids[i], START + timedelta(days=d)) for i, src, d in net.secondary]
    if sec:
        store.add_referrals(ws, sec)
    for i, amount, currency in net.deals:
        store.create_deal(ws, DealInput(ids[i], Money(amount, currency), START + timedelta(days=40)))
    return ws


def check(store: Store, ws: str, depths: list[int | None], weights: analysis.Weights, limit: int) -> None:
    snap = store.snapshot(ws)
    for depth in depths:
        got, first = store.network_summary(ws, depth)
        assert got == analysis.summarize(snap, depth=depth), depth
        assert first == analysis.first_day(snap)
        for currency in (None, "EUR", "RUB", "USD"):
            want = analysis.key_clients(snap, currency, weights, depth, limit)
            cur, paid_in, ranked = store.key_clients(ws, currency, weights, depth, limit)
            assert (cur, ranked) == want, (depth, currency)
            assert paid_in == analysis.currencies(snap)


def test_columns_answer_as_the_snapshot_does_on_random_networks(store: Store) -> None:
    @settings(
        max_examples=EXAMPLES[store.kind],
        deadline=None,
        suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
    )
    @given(
        net=nets(),
        depth=st.sampled_from([None, 1, 2, 3]),
        weights=st.builds(analysis.Weights, *(3 * [st.sampled_from([0.0, 0.5, 1.0, 3.0])])),
        limit=st.integers(1, 6),
    )
    def run(net: Net, depth: int | None, weights: analysis.Weights, limit: int) -> None:
        with pytest.MonkeyPatch.context() as mp:
            ws = load(store, net, mp)
        check(store, ws, [None, depth], weights, limit)

    run()


def test_the_first_day_of_a_client_recorded_around_midnight_utc(store: Store, monkeypatch: pytest.MonkeyPatch) -> None:
    """A client with no acquisition and no primary recommendation starts on the UTC day it was recorded:
    the last microsecond of the day before the first date moves the first day, midnight of it does not."""
    first = date(2025, 3, 10)
    for recorded, want in (
        (datetime.combine(first, datetime.min.time(), UTC) - timedelta(microseconds=1), first - timedelta(days=1)),
        (datetime.combine(first, datetime.min.time(), UTC), first),
    ):
        monkeypatch.setattr(clock, "now", lambda at=recorded: at)
        ws = store.create_workspace(unique("midnight")).id
        store.create_client(ws, ClientInput(name="Ana", acquired_on=first))
        store.create_client(ws, ClientInput(name="Bo"))  # recorded at `recorded`, brought in by nobody
        assert store.network_summary(ws)[1] == want == analysis.first_day(store.snapshot(ws)), recorded


def test_ties_go_by_name_in_code_point_order_then_id(store: Store) -> None:
    """Every client scores the same; the ranking is by name (U+FF21 before U+1F600), then id."""
    ws = store.create_workspace(unique("ties")).id
    names = ["\U0001f600", "\uff21", "b", "B", "a", "a"]
    ids = [store.create_client(ws, ClientInput(name=n)).id for n in names]
    for cid in ids:
        store.create_deal(ws, DealInput(cid, Money(100, "EUR"), START))
    _, _, ranked = store.key_clients(ws, limit=5)
    a_ids = sorted(cid for cid, n in zip(ids, names, strict=True) if n == "a")
    assert [(k.name, k.client_id) for k in ranked] == [
        ("B", ids[3]),
        ("a", a_ids[0]),
        ("a", a_ids[1]),
        ("b", ids[2]),
        ("\uff21", ids[1]),
    ]
    snap = store.snapshot(ws)
    assert ranked == analysis.key_clients(snap, limit=5)[1]


def test_a_score_that_rounds_to_zero_ranks_by_name_among_those_with_nothing(store: Store) -> None:
    """One cent against ten million: its score rounds to 0, so it sorts by name among the clients who
    paid nothing (and still shows its cent); a client outside every recommendation is ranked too."""
    ws = store.create_workspace(unique("tiny")).id
    big = store.create_client(ws, ClientInput(name="Zed")).id
    tiny = store.create_client(ws, ClientInput(name="Mia")).id
    idle = store.create_client(ws, ClientInput(name="Ada")).id
    assert idle not in (big, tiny)
    store.create_deal(ws, DealInput(big, Money(1_000_000_000, "EUR"), START))
    store.create_deal(ws, DealInput(tiny, Money(1, "EUR"), START))
    _, _, ranked = store.key_clients(ws, weights=analysis.Weights(1, 0, 0), limit=3)
    assert [(k.name, k.score, k.own_revenue) for k in ranked] == [
        ("Zed", 1.0, 1_000_000_000),
        ("Ada", 0.0, 0),
        ("Mia", 0.0, 1),
    ]
    assert ranked[2].own_by_currency == {"EUR": 1}
    assert ranked == analysis.key_clients(store.snapshot(ws), weights=analysis.Weights(1, 0, 0), limit=3)[1]


def test_the_forest_arrays_on_a_worked_example() -> None:
    """Blog -> Ana -> Bruno -> (Carla, Dan); Eve alone. Levels count the channel; reach within 1 level
    is the children; downline revenue adds what those below paid."""
    cols = forest.Columns(
        clients=5,
        channels=1,
        referrals=4,
        first_day=None,
        brought_in=["ana", "bruno", "carla", "dan"],
        from_client=[False, True, True, True],
        sources=["blog", "ana", "bruno", "bruno"],
        payers=["carla", "dan", "eve"],
        amounts=[300, 200, 50],
        currencies=["EUR", "EUR", "EUR"],
    )
    f = forest.Forest(cols)
    at = {c: f.find(c) for c in ("ana", "bruno", "carla", "dan", "eve")}
    assert [int(f.level[at[c]]) for c in ("ana", "bruno", "carla", "dan", "eve")] == [1, 2, 3, 3, 0]
    own = f.own(cols)["EUR"]
    reach, paid = f.downline(own, None)
    assert (int(reach[at["ana"]]), int(paid[at["ana"]])) == (3, 500)
    reach1, paid1 = f.downline(own, 1)
    assert (int(reach1[at["ana"]]), int(paid1[at["ana"]])) == (1, 0)
    assert (int(reach1[at["bruno"]]), int(paid1[at["bruno"]])) == (2, 500)


def test_a_ring_of_primary_recommendations_is_refused_not_looped() -> None:
    cols = forest.Columns(1, 0, 2, None, ["a", "b"], [True, True], ["b", "a"])
    with pytest.raises(ValueError, match="ring"):
        forest.Forest(cols)


@st.composite
def column_nets(draw: st.DrawFn) -> tuple[forest.Columns, dict[str, str]]:
    """Columns of a random forest by client id ("c00", …), with names that tie, and some deals."""
    n = draw(st.integers(1, 12))
    ids = [f"c{i:02d}" for i in range(n)]
    brought_in, from_client, sources = [], [], []
    for i in range(1, n):
        source = draw(st.one_of(st.none(), st.just("channel"), st.integers(0, i - 1)))
        if source is None:
            continue
        brought_in.append(ids[i])
        from_client.append(source != "channel")
        sources.append("ch0" if source == "channel" else ids[source])
    deals = draw(st.lists(st.tuples(st.integers(0, n - 1), st.sampled_from([0, 5, 100, -5])), max_size=8))
    cols = forest.Columns(
        clients=n,
        channels=1,
        referrals=len(brought_in),
        first_day=None,
        brought_in=brought_in,
        from_client=from_client,
        sources=sources,
        payers=[ids[i] for i, _ in deals],
        amounts=[a for _, a in deals],
        currencies=["EUR"] * len(deals),
    )
    names = {cid: draw(st.sampled_from(["Ana", "ana", "Bo"])) for cid in ids}
    return cols, {**names, "ch0": "Fair"}


@settings(max_examples=200, deadline=None)
@given(
    net=column_nets(),
    seed=st.randoms(use_true_random=False),
    depth=st.sampled_from([None, 1, 2]),
    spacing=st.sampled_from([1, 997]),  # dense numbers (looked up in a table) or sparse (searched)
)
def test_clients_named_by_numbers_in_any_order_answer_as_by_ids(net, seed, depth, spacing) -> None:  # type: ignore[no-untyped-def]
    """A store may name clients by node numbers (Neo4j does); whatever order the numbers have against
    the ids, and however far apart they are, the summary and the ranking (ties broken by name, then id)
    are those of the ids."""
    cols, names = net
    every = sorted(names)
    numbers = [100 + k * spacing for k in range(len(every))]
    seed.shuffle(numbers)
    number = dict(zip(every, numbers, strict=True))
    by_number = {v: k for k, v in number.items()}

    def as_numbers(column: list[str]) -> list[int]:
        return [number[c] for c in column]

    numbered = forest.Columns(
        cols.clients,
        cols.channels,
        cols.referrals,
        None,
        as_numbers(list(cols.brought_in)),
        cols.from_client,
        as_numbers(list(cols.sources)),
        as_numbers(list(cols.payers)),
        cols.amounts,
        cols.currencies,
    )
    clients = sorted(c for c in every if c != "ch0")

    def named_ids(keys):  # type: ignore[no-untyped-def]
        return {k: (k, names[k]) for k in keys}

    def named_numbers(keys):  # type: ignore[no-untyped-def]
        return {k: (by_number[k], names[by_number[k]]) for k in keys}

    def first_ids(n: int) -> list[tuple[str, str, str]]:
        return [(c, c, names[c]) for c in sorted(clients, key=lambda c: (names[c], c))[:n]]

    def first_numbers(n: int) -> list[tuple[int, str, str]]:
        return [(number[c], c, name) for _, c, name in first_ids(n)]

    assert forest.summarize(numbered, named_numbers, depth, prolific=3) == forest.summarize(
        cols, named_ids, depth, prolific=3
    )
    weights = analysis.Weights(1.0, 0.5, 0.5)
    assert forest.key_clients(numbered, named_numbers, first_numbers, None, weights, depth, 4) == forest.key_clients(
        cols, named_ids, first_ids, None, weights, depth, 4
    )


@settings(max_examples=200, deadline=None)
@given(net=column_nets(), depth=st.sampled_from([None, 1, 2]), which=st.sets(st.sampled_from(["in", "src", "pay"])))
def test_columns_of_fixed_width_bytes_answer_as_columns_of_text(net, depth, which) -> None:  # type: ignore[no-untyped-def]
    """A store may hand ids over as one array of fixed-width bytes (the embedded store does); any of the
    columns so, the others as text, the summary and the ranking are those of the text, and answers name
    ids as text."""
    cols, names = net

    def fixed(column: list[str], as_bytes: bool) -> forest.KeyColumn:
        if not as_bytes or not column:
            return column
        return np.array(column, dtype="S3")  # "c00", "ch0": one width

    packed = replace(
        cols,
        brought_in=fixed(list(cols.brought_in), "in" in which),
        from_client=np.array(cols.from_client, np.bool_),
        sources=fixed(list(cols.sources), "src" in which),
        payers=fixed(list(cols.payers), "pay" in which),
    )
    clients = sorted(c for c in names if c != "ch0")

    def named(keys):  # type: ignore[no-untyped-def]
        assert all(isinstance(k, str) for k in keys)
        return {k: (k, names[k]) for k in keys}

    def first(n: int) -> list[tuple[str, str, str]]:
        return [(c, c, names[c]) for c in sorted(clients, key=lambda c: (names[c], c))[:n]]

    assert forest.summarize(packed, named, depth, prolific=3) == forest.summarize(cols, named, depth, prolific=3)
    weights = analysis.Weights(1.0, 0.5, 0.5)
    assert forest.key_clients(packed, named, first, None, weights, depth, 4) == forest.key_clients(
        cols, named, first, None, weights, depth, 4
    )
