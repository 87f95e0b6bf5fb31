"""Attribution models and commission plans: hand-checked examples and properties."""

from __future__ import annotations

from collections import Counter
from datetime import date, timedelta
from decimal import Decimal
from fractions import Fraction

import pytest
from hypothesis import given
from hypothesis import strategies as st

from referrals import i18n
from referrals.attribution import (
    DIRECT,
    HOUSE,
    Arrival,
    DealFacts,
    Model,
    Params,
    PeriodFacts,
    Step,
    checksum,
    credit,
    freeze,
    new_client_sources,
    row_values,
    split,
    statement,
    thaw,
    touches,
    upline_as_of,
    weights,
)
from referrals.errors import Invalid
from referrals.model import SourceKind, SourceRef
from referrals.money import MINOR_UNITS


@pytest.fixture(autouse=True, scope="module", params=i18n.LANGUAGES)
def language(request: pytest.FixtureRequest):
    """Every test of this module runs in each language: nothing about credits depends on it."""
    with i18n.use(request.param):
        yield request.param


D = date(2024, 6, 15)
ATTRIBUTION = [m for m in Model if not m.is_commission]


def person(i: int, on: date = date(2024, 1, 1), active: bool = True) -> Step:
    return Step(SourceRef(SourceKind.CLIENT, f"cl_{i}"), f"R{i}", on, active)


def channel(on: date = date(2023, 1, 1)) -> Step:
    return Step(SourceRef(SourceKind.CHANNEL, "ch_blog"), "Blog", on)


def deal(amount: int, on: date = D) -> DealFacts:
    return DealFacts("dl_1", "cl_payer", amount, "EUR", on)


def amounts(lines) -> list[int]:
    return [line.amount for line in lines]


def test_position_based_99999_over_five_touches() -> None:
    lines = credit(deal(99_999), [person(i) for i in range(1, 6)], Model.POSITION_BASED)
    assert amounts(lines) == [40000, 6667, 6667, 6666, 39999]  # nearest .. top


def test_one_cent_over_five_touches() -> None:
    assert amounts(credit(deal(1), [person(i) for i in range(1, 6)], Model.LINEAR)) == [1, 0, 0, 0, 0]
    assert amounts(credit(deal(1), [person(i) for i in range(1, 6)], Model.POSITION_BASED)) == [1, 0, 0, 0, 0]


def test_a_nine_level_chain_is_cut_at_seven_but_keeps_its_root_channel() -> None:
    upline = [person(i) for i in range(1, 10)] + [channel()]
    lines = credit(deal(800), upline, Model.LINEAR)
    assert [line.name for line in lines] == ["R1", "R2", "R3", "R4", "R5", "R6", "R7", "Blog"]
    assert [line.level for line in lines] == [1, 2, 3, 4, 5, 6, 7, 10]
    assert amounts(lines) == [100] * 8
    assert [line.name for line in credit(deal(800), upline, Model.FIRST_TOUCH)] == ["Blog"]


def test_refund_reverses_its_sale() -> None:
    upline = [person(i) for i in range(1, 6)]
    sale = credit(deal(99_999), upline, Model.POSITION_BASED)
    refund = credit(deal(-99_999), upline, Model.POSITION_BASED)
    assert amounts(refund) == [-a for a in amounts(sale)]


def test_a_referral_dated_after_the_deal_is_ignored() -> None:
    late = [person(1, on=D + timedelta(days=1)), person(2)]
    assert [(line.source, line.amount) for line in credit(deal(500), late, Model.LINEAR)] == [(DIRECT, 500)]
    partly = [person(1), person(2, on=D + timedelta(days=1)), channel()]  # R1 had no source yet on D
    assert [line.name for line in credit(deal(500), partly, Model.LINEAR)] == ["R1"]
    assert [line.name for line in credit(deal(500, on=date(2024, 1, 1)), [person(1)], Model.LINEAR)] == ["R1"]


def test_no_source_credits_direct() -> None:
    for model in ATTRIBUTION:
        assert [(line.source, line.amount) for line in credit(deal(700), [], model)] == [(DIRECT, 700)]


def test_first_and_last_touch() -> None:
    upline = [person(1), person(2), channel()]
    assert [(line.name, line.amount) for line in credit(deal(300), upline, Model.FIRST_TOUCH)] == [("Blog", 300)]
    assert [(line.name, line.amount) for line in credit(deal(300), upline, Model.LAST_TOUCH)] == [("R1", 300)]


def test_time_decay_halves_every_half_life() -> None:
    upline = [person(1, on=D), person(2, on=D - timedelta(days=30))]  # ages 0 and 30: weights 1 and 1/2
    assert amounts(credit(deal(300), upline, Model.TIME_DECAY)) == [200, 100]
    slow = Params.parse(half_life_days=60)
    assert amounts(
        credit(deal(300), [person(1, on=D), person(2, on=D - timedelta(days=60))], Model.TIME_DECAY, slow)
    ) == [200, 100]
    future = [person(1, on=D), person(2, on=D)]  # an age is never negative
    assert amounts(credit(deal(2), future, Model.TIME_DECAY)) == [1, 1]


def test_geometric_weights_by_distance() -> None:
    upline = [person(1), person(2), person(3)]  # r = 1/2: 1/2, 1/4, 1/8 -> 4/7, 2/7, 1/7
    assert amounts(credit(deal(700), upline, Model.GEOMETRIC)) == [400, 200, 100]
    thirds = Params.parse(ratio="1")
    assert amounts(credit(deal(700), upline, Model.GEOMETRIC, thirds)) == [234, 233, 233]


def test_unilevel_pays_rates_and_forfeits_inactive_shares() -> None:
    upline = [person(1), person(2, active=False), person(3), channel()]
    lines = credit(deal(10_000), upline, Model.UNILEVEL)
    assert [(line.name, line.level, line.amount) for line in lines] == [
        ("R1", 1, 1000),
        ("R3", 3, 300),
        ("(house)", None, 8700),
    ]
    assert sum(amounts(lines)) == 10_000


def test_unilevel_compressed_skips_inactive_clients() -> None:
    upline = [person(1), person(2, active=False), person(3), channel()]
    lines = credit(deal(10_000), upline, Model.UNILEVEL_COMPRESSED)
    assert [(line.name, line.level, line.amount) for line in lines] == [
        ("R1", 1, 1000),
        ("R3", 3, 500),
        ("(house)", None, 8500),
    ]
    deep = [person(i, active=i % 2 == 0) for i in range(1, 20)]  # actives: R2, R4, ... R18
    paid = [line.name for line in credit(deal(10_000), deep, Model.UNILEVEL_COMPRESSED) if line.source != HOUSE]
    assert paid == ["R2", "R4", "R6", "R8", "R10", "R12", "R14"]


def test_commission_rounds_half_away_from_zero() -> None:
    lines = credit(deal(5), [person(1)], Model.UNILEVEL)  # 10% of 5 = 0.5 -> 1
    assert amounts(lines) == [1, 4]
    refund = credit(deal(-5), [person(1)], Model.UNILEVEL)
    assert amounts(refund) == [-1, -4]


def test_params_refuse_nonsense() -> None:
    for kwargs, field in (
        ({"half_life_days": 0}, "half_life_days"),
        ({"ratio": "1.5"}, "ratio"),
        ({"rates": ["10", "abc"]}, "rates[1]"),
        ({"depth": 0}, "depth"),
    ):
        with pytest.raises(Invalid) as e:
            Params.parse(**kwargs)
        assert e.value.field == field


uplines = st.lists(st.tuples(st.integers(0, 400), st.booleans()), min_size=0, max_size=12).map(
    lambda xs: [person(i, on=D - timedelta(days=age), active=act) for i, (age, act) in enumerate(xs, 1)]
)
with_channel = st.tuples(uplines, st.booleans()).map(lambda t: t[0] + ([channel()] if t[1] else []))


@given(
    upline=with_channel,
    amount=st.integers(-(10**12), 10**12),
    model=st.sampled_from(ATTRIBUTION),
    depth=st.integers(1, 9),
)
def test_credits_sum_exactly_to_the_amount(upline: list[Step], amount: int, model: Model, depth: int) -> None:
    lines = credit(deal(amount), upline, model, Params.parse(depth=depth))
    assert sum(amounts(lines)) == amount
    assert all(line.level is None or line.level <= depth or line.source.kind is SourceKind.CHANNEL for line in lines)


@given(upline=with_channel, amount=st.integers(1, 10**12), model=st.sampled_from(list(Model)))
def test_a_refund_negates_its_sale(upline: list[Step], amount: int, model: Model) -> None:
    sale = credit(deal(amount), upline, model)
    refund = credit(deal(-amount), upline, model)
    assert [(line.source, line.amount) for line in refund] == [(line.source, -line.amount) for line in sale]


@given(
    deals=st.lists(st.tuples(st.integers(-(10**6), 10**6), with_channel), min_size=1, max_size=8),
    model=st.sampled_from(list(Model)),
    seed=st.randoms(),
)
def test_totals_do_not_depend_on_order(deals, model: Model, seed) -> None:
    def totals(items) -> Counter:
        out: Counter = Counter()
        for amount, upline in items:
            for line in credit(deal(amount), upline, model):
                out[line.source] += line.amount
        return out

    shuffled = list(deals)
    seed.shuffle(shuffled)
    assert totals(deals) == totals(shuffled)


@given(
    st.integers(-(10**9), 10**9),
    st.lists(st.fractions(min_value=Fraction(1, 1000), max_value=10), min_size=1, max_size=10),
)
def test_split_is_exact_and_each_share_within_one_unit(amount: int, ws: list[Fraction]) -> None:
    shares = split(amount, ws)
    assert sum(shares) == amount
    total = sum(ws)
    for share, w in zip(shares, ws, strict=True):
        assert abs(share - amount * w / total) < 1


def test_statement_totals_per_source_and_currency() -> None:
    up = [person(1), person(2), channel()]
    deals = [
        (DealFacts("d1", "x", 900, "EUR", D), up),
        (DealFacts("d2", "x", -300, "EUR", D), up),
        (DealFacts("d3", "y", 1000, "JPY", D), [person(1)]),
        (DealFacts("d4", "z", 50, "EUR", D), []),
    ]
    rows = statement(PeriodFacts(date(2024, 6, 1), date(2024, 6, 30), tuple(deals)), Model.LINEAR)
    got = [(r.source_type, r.source.id, r.currency, r.amount, r.deals, r.by_level) for r in rows]
    assert got == [
        ("channel", "ch_blog", "EUR", 200, 2, {3: 200}),
        ("client", "cl_1", "EUR", 200, 2, {1: 200}),
        ("client", "cl_2", "EUR", 200, 2, {2: 200}),
        ("direct", "(direct)", "EUR", 50, 1, {}),
        ("client", "cl_1", "JPY", 1000, 1, {1: 1000}),
    ]
    by_currency: Counter = Counter()
    for r in rows:
        by_currency[r.currency] += r.amount
    assert by_currency == {"EUR": 650, "JPY": 1000}


JUNE = (date(2024, 6, 1), date(2024, 6, 30))


def test_new_clients_per_source_directly_and_within_seven_levels() -> None:
    long = tuple(person(i) for i in range(1, 10)) + (channel(),)
    arrivals = (
        Arrival("n1", date(2024, 6, 3), (person(1), person(2), channel())),
        Arrival("n2", date(2024, 6, 4), (person(1),)),
        Arrival("n3", date(2024, 6, 5), ()),
        Arrival("n4", date(2024, 6, 6), long),
        Arrival("n5", date(2024, 6, 7), (person(3, on=date(2024, 7, 5)),)),  # recommended after the month: direct
    )
    deals = ((DealFacts("d1", "x", 900, "EUR", D), (person(1),)),)
    rows = statement(PeriodFacts(*JUNE, deals, arrivals), Model.LINEAR)
    counts = {(r.source.id, r.currency): (r.new_clients_level_1, r.new_clients) for r in rows}
    assert counts == {
        ("cl_1", "EUR"): (3, 3),  # credited rows carry the counts
        ("cl_2", None): (0, 2),
        **{(f"cl_{i}", None): (0, 1) for i in range(3, 8)},  # the long chain, cut at seven
        ("ch_blog", None): (0, 2),  # the root channel counts past the cap, as it is credited
        ("(direct)", None): (2, 2),
    }
    bare = next(r for r in rows if r.source.id == "cl_2")
    values = row_values(bare)
    assert (values["currency"], values["amount"], values["deals"], values["level_1"]) == (None, "0", 0, "0")
    assert rows[0].source.id == "cl_1"  # rows with a currency sort before count-only rows


def test_frozen_facts_come_back_exactly_and_checksum_covers_every_line() -> None:
    facts = PeriodFacts(
        *JUNE,
        ((DealFacts("d1", "x", -300, "EUR", D), (person(1, active=False), channel())),),
        (Arrival("n1", date(2024, 6, 3), (person(1),)), Arrival("n2", date(2024, 6, 4), ())),
    )
    lines = freeze(facts)
    assert thaw(*JUNE, lines) == facts
    assert checksum(lines) == checksum(freeze(thaw(*JUNE, lines)))
    changed = [lines[0].replace("-300", "-301"), *lines[1:]]
    assert checksum(changed) != checksum(lines)


def test_a_source_credited_in_two_currencies_counts_its_new_clients_once() -> None:
    """Summed down the column, new clients equal the clients who arrived (not once per currency row)."""
    arrivals = (
        Arrival("n1", date(2024, 6, 3), (person(1),)),
        Arrival("n2", date(2024, 6, 4), (person(1),)),
    )
    deals = (
        (DealFacts("d1", "n1", 900, "EUR", D), (person(1),)),
        (DealFacts("d2", "n2", 700, "USD", D), (person(1),)),
        (DealFacts("d3", "n2", 50, "AED", D), (person(1),)),
    )
    rows = statement(PeriodFacts(*JUNE, deals, arrivals), Model.LINEAR)
    mine = {r.currency: (r.new_clients_level_1, r.new_clients) for r in rows if r.source.id == "cl_1"}
    assert mine == {"AED": (2, 2), "EUR": (0, 0), "USD": (0, 0)}  # on the first currency by code
    assert sum(r.new_clients for r in rows) == len(arrivals)


def reference_statement(facts: PeriodFacts, model: Model, params: Params) -> list[tuple]:
    """The statement's rows by the rules alone: every deal's credit lines summed per source and currency,
    new clients counted on each source's first currency by code (or on a row of their own)."""
    rows: dict[tuple[str, str | None], dict] = {}
    for d, upline in facts.deals:
        for line in credit(d, upline, model, params):
            row = rows.setdefault(
                (line.source.id, d.currency),
                {"source": line.source, "name": line.name, "amount": 0, "deals": set(), "levels": Counter()},
            )
            row["amount"] += line.amount
            row["deals"].add(d.id)
            if line.level is not None:
                row["levels"][line.level] += line.amount
    counts: dict[SourceRef, Counter] = {}
    names: dict[SourceRef, str] = {}
    for arrival in facts.arrivals:
        for t in new_client_sources(arrival, facts.end, params.depth):
            names[t.source] = t.name
            counts.setdefault(t.source, Counter())["all"] += 1
            counts[t.source]["first"] += t.level == 1
    out = []
    for (sid, cur), row in rows.items():
        first = min(c for s, c in rows if s == sid)
        n = counts.get(row["source"], Counter()) if cur == first else Counter()
        levels = dict(row["levels"])
        out.append((row["source"], row["name"], cur, row["amount"], len(row["deals"]), levels, n["first"], n["all"]))
    for source, n in counts.items():
        if not any(s == source.id for s, _ in rows):
            out.append((source, names[source], None, 0, 0, {}, n["first"], n["all"]))
    out.sort(key=lambda r: (r[2] is None, r[2] or "", -r[3], -r[7], r[0].id))
    return out


def reference_cells(row: tuple) -> dict:
    """One reference row as export columns, amounts formatted through Decimal."""
    source, name, cur, amount, deals, levels, first, total = row

    def money(minor: int) -> str:
        if cur is None:
            return "0"
        digits = MINOR_UNITS[cur]
        return str(Decimal(minor).scaleb(-digits).quantize(Decimal(1).scaleb(-digits)))

    kind = {DIRECT: "direct", HOUSE: "house"}.get(source, source.kind.value)
    cells = {
        "source_type": kind,
        "source_id": source.id,
        "source_name": name,
        "currency": cur,
        "amount": money(amount),
        "amount_minor": amount,
        "deals": deals,
        "new_clients_level_1": first,
        "new_clients": total,
    }
    cells |= {f"level_{i}": money(levels.get(i, 0)) for i in range(1, 8)}
    cells["above_level_7"] = money(sum(v for k, v in levels.items() if k > 7))
    return cells


period_deals = st.lists(
    st.tuples(st.integers(-(10**9), 10**9), st.sampled_from(["EUR", "JPY", "KWD"]), with_channel, st.integers(-30, 30)),
    max_size=12,
)
period_arrivals = st.lists(st.tuples(with_channel, st.integers(0, 29)), max_size=6)


@given(deals=period_deals, arrivals=period_arrivals, model=st.sampled_from(list(Model)), depth=st.integers(1, 9))
def test_a_statement_is_its_deals_credit_lines_summed(deals, arrivals, model: Model, depth: int) -> None:
    """Whatever shortcuts the statement takes, its rows and cells are the credit lines summed and formatted."""
    facts = PeriodFacts(
        *JUNE,
        tuple(
            (DealFacts(f"d{k}", f"payer{k}", amount, cur, D + timedelta(days=shift)), tuple(upline))
            for k, (amount, cur, upline, shift) in enumerate(deals)
        ),
        tuple(Arrival(f"n{k}", JUNE[0] + timedelta(days=day), tuple(up)) for k, (up, day) in enumerate(arrivals)),
    )
    params = Params.parse(depth=depth)
    rows = statement(facts, model, params)
    expected = reference_statement(facts, model, params)
    got = [
        (r.source, r.name, r.currency, r.amount, r.deals, r.by_level, r.new_clients_level_1, r.new_clients)
        for r in rows
    ]
    assert got == expected
    assert [row_values(r) for r in rows] == [reference_cells(r) for r in expected]


def test_work_done_with_the_collector_paused_is_not_walked_again_and_its_cycles_are_still_found() -> None:
    import gc
    import weakref

    from referrals.attribution import gc_paused

    class Node:
        pass

    walks: list[int] = []

    def count(phase: str, info: dict) -> None:
        if phase == "start":
            walks.append(info["generation"])

    assert gc.isenabled()
    with gc_paused():
        assert not gc.isenabled()
        kept = [(i, [i]) for i in range(50_000)]  # far past the young generation's threshold of 700
        cycle = Node()
        cycle.me = cycle  # type: ignore[attr-defined]
        alive = weakref.ref(cycle)
        del cycle
        gc.callbacks.append(count)
    try:
        assert gc.isenabled()
        more = [[i] for i in range(100)]  # a few allocations: re-enabled as it was, these would start a walk
    finally:
        gc.callbacks.remove(count)
    assert walks == [] and len(more) == 100  # the 10^5 objects of the pause went old without being walked
    assert len(kept) == 50_000
    gc.collect()
    assert alive() is None  # the cycle made in the pause is still collected


@given(
    upline=with_channel,
    amount=st.integers(-(10**12), 10**12),
    model=st.sampled_from(ATTRIBUTION),
    depth=st.integers(1, 9),
    shift=st.integers(-400, 30),
)
def test_credit_lines_are_the_touches_weighed_and_split(
    upline: list[Step], amount: int, model: Model, depth: int, shift: int
) -> None:
    """The statement's fast path against the rules spelled out: the upline as of the deal, its touches,
    the model's weights, the exact split; zero lines kept only by the models that promise every touch one."""
    d = deal(amount, D + timedelta(days=shift))
    params = Params.parse(depth=depth)
    ts = touches(upline_as_of(upline, d.closed_on), depth)
    if ts:
        shares = split(amount, weights(model, ts, d.closed_on, params))
        keep = model in (Model.LINEAR, Model.POSITION_BASED)
        expected = [(t.source, t.level, a) for t, a in zip(ts, shares, strict=True) if a or keep]
    else:
        expected = [(DIRECT, None, amount)]
    assert [(c.source, c.level, c.amount) for c in credit(d, upline, model, params)] == expected
