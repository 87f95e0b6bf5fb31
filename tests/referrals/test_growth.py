"""How word of mouth grows, on both stores: one worked example per definition (README "How word of
mouth grows"), every number checked by hand."""

from __future__ import annotations

from datetime import date

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from referrals.attribution import month_range
from referrals.errors import Invalid
from referrals.growth import _origins, add_months, last_months, months_between
from referrals.model import ChannelInput, ClientInput, DealInput, ReferralInput, SourceKind, SourceRef
from referrals.money import Money
from referrals.store import Store
from tests.conftest import unique


def story(store: Store, ws: str | None = None) -> tuple[str, dict[str, str], str]:
    """Blog brought Ana (Jan 10, 2025), who recommended Bruno (Feb 1) and, later, Carla (Apr 20); Bruno
    recommended Eva (Mar 5); Dan came in directly (Jan 20). Deals: Ana 200 EUR (Jan 15), Bruno 100 EUR
    (Feb 11), Dan 30 EUR (Mar 1), Eva 0 EUR (Mar 6), Carla 40 EUR (May 1)."""
    ws = ws or store.create_workspace(unique("growth")).id
    blog = store.create_channel(ws, ChannelInput(name="Blog")).id
    ids = {
        "Ana": store.create_client(ws, ClientInput(name="Ana", acquired_on=date(2025, 1, 10))).id,
        "Dan": store.create_client(ws, ClientInput(name="Dan", acquired_on=date(2025, 1, 20))).id,
    }
    for name in ("Bruno", "Carla", "Eva"):
        ids[name] = store.create_client(ws, ClientInput(name=name)).id  # first day: its recommendation's
    client = lambda n: SourceRef(SourceKind.CLIENT, ids[n])  # noqa: E731
    for source, who, on in (
        (SourceRef(SourceKind.CHANNEL, blog), "Ana", date(2025, 1, 10)),
        (client("Ana"), "Bruno", date(2025, 2, 1)),
        (client("Ana"), "Carla", date(2025, 4, 20)),
        (client("Bruno"), "Eva", date(2025, 3, 5)),
    ):
        store.record_referral(ws, ReferralInput(source, ids[who], on))
    for who, minor, on in (
        ("Ana", 20_000, date(2025, 1, 15)),
        ("Bruno", 10_000, date(2025, 2, 11)),
        ("Dan", 3_000, date(2025, 3, 1)),
        ("Eva", 0, date(2025, 3, 6)),
        ("Carla", 4_000, date(2025, 5, 1)),
    ):
        store.create_deal(ws, DealInput(ids[who], Money(minor, "EUR"), on))
    return ws, ids, blog


def test_cohorts_k_conversion_and_days_to_first_deal(store: Store) -> None:
    ws, _, _ = story(store)
    g = store.network_growth(ws, months=3, window=2, last="2025-03", today=date(2025, 5, 20))
    assert [c.month for c in g.cohorts] == ["2025-01", "2025-02", "2025-03"]
    jan, feb, mar = g.cohorts
    # January: Ana (through Blog) and Dan (direct); Ana brought in Bruno within 2 months of her first day
    # (Feb 1 <= Mar 10), Carla only later (Apr 20): K = 1 / 2
    assert (jan.new_clients, jan.by_origin) == (2, {"people": 0, "channels": 1, "direct": 1})
    assert (jan.brought_in, jan.k, jan.window_open) == (1, 0.5, False)
    assert jan.revenue == {"EUR": 20_000} and jan.revenue_by_origin["channels"] == {"EUR": 20_000}
    # February: Bruno, recommended by Ana; he paid 10 days after the recommendation and brought in Eva
    assert (feb.new_clients, feb.by_origin["people"], feb.k) == (1, 1, 1.0)
    assert (feb.recommended, feb.converted, feb.conversion, feb.median_days) == (1, 1, 1.0, 10)
    assert feb.window_open is False  # Feb 1 + 3 months = May 1, before May 20
    # March: Eva, recommended by Bruno, paid nothing (a zero deal is not a paid one); her window is open
    assert (mar.recommended, mar.converted, mar.conversion, mar.median_days) == (1, 0, 0.0, None)
    assert mar.window_open is True  # Mar 1 + 3 months = Jun 1, after May 20
    # the month's new business: new clients by origin, revenue by the payer's origin
    assert mar.revenue_by_origin == {"people": {"EUR": 0}, "channels": {}, "direct": {"EUR": 3_000}}
    assert g.clients == 5


def test_cascade_depth_per_root_channel(store: Store) -> None:
    ws, _, blog = story(store)
    g = store.network_growth(ws, months=3, window=2, last="2025-03", today=date(2025, 5, 20))
    (only,) = g.channels
    assert (only.id, only.name, only.clients, only.per_level, only.depth) == (blog, "Blog", 4, [1, 2, 1], 3)


def test_first_year_revenue_by_origin(store: Store) -> None:
    ws, _, _ = story(store)
    early = store.network_growth(ws, months=3, window=2, last="2025-03", today=date(2025, 5, 20))
    assert [(o.origin, o.clients, o.matured, o.first_year) for o in early.origins] == [
        ("people", 3, 0, {}),
        ("channels", 1, 0, {}),
        ("direct", 1, 0, {}),
    ]  # nobody's first year has ended yet: no average is shown rather than a partial one
    later = store.network_growth(ws, months=3, window=2, last="2025-03", today=date(2026, 6, 1))
    people, channels, direct = later.origins
    assert (people.matured, people.first_year, people.average()) == (3, {"EUR": 14_000}, {"EUR": 4_667})
    assert (channels.first_year, channels.average()) == ({"EUR": 20_000}, {"EUR": 20_000})
    assert (direct.first_year, direct.average()) == ({"EUR": 3_000}, {"EUR": 3_000})


def test_month_arithmetic() -> None:
    assert add_months(date(2025, 1, 31), 1) == date(2025, 2, 28)
    assert add_months(date(2024, 1, 31), 1) == date(2024, 2, 29)
    assert add_months(date(2025, 11, 15), 3) == date(2026, 2, 15)
    assert months_between("2025-11", "2026-02") == ["2025-11", "2025-12", "2026-01", "2026-02"]


def test_month_arithmetic_at_the_calendars_ends() -> None:
    """A day past year 9999 is after every date, one before year 1 before every date: thresholds computed
    from a day the user gave (an as-of day, a month) never crash a view."""
    assert add_months(date(9999, 11, 30), 1) == date(9999, 12, 30)
    assert add_months(date(9999, 12, 1), 4) == date.max
    assert add_months(date(1, 2, 1), -24) == date.min
    assert add_months(date(1, 3, 31), -1) == date(1, 2, 28)
    assert last_months(date(2, 3, 1), 14) == ("0001-02", "0002-03")
    with pytest.raises(Invalid) as e:
        last_months(date(1, 3, 1), 24)
    assert e.value.field == "months" and "24 months up to 0001-03 would start before year 1" in e.value.reason
    assert month_range("9999-12") == (date(9999, 12, 1), date(9999, 12, 31))
    assert month_range("2024-02") == (date(2024, 2, 1), date(2024, 2, 29))


def test_a_bad_month_names_the_field(store: Store) -> None:
    from referrals.errors import Invalid

    ws, _, _ = story(store)
    with pytest.raises(Invalid) as bad:
        store.network_growth(ws, last="2025-13")
    assert bad.value.errors[0].field == "to"


def walked(parent: list[int], kinds: list[str], sources: list[str]) -> tuple[list[str | None], list[int]]:
    """Root channel and level of each client, one step at a time up its chain (what `_origins` computes
    by pointer jumping); a chain that never reaches its top (a ring) is of no channel."""
    channel: list[str | None] = []
    level: list[int] = []
    for i in range(len(parent)):
        node, steps = i, 0
        while parent[node] >= 0 and steps <= len(parent):
            node, steps = parent[node], steps + 1
        ends = parent[node] < 0
        channel.append(sources[node] if ends and kinds[node] == "channel" else None)
        level.append(steps + 1)
    return channel, level


@settings(max_examples=200, deadline=None)
@given(st.data())
def test_root_channels_and_levels_by_pointer_jumping_match_a_walk_up(data: st.DataObject) -> None:
    n = data.draw(st.integers(1, 60))
    # a random forest (each client's parent recorded before it, or anywhere: rings come too)
    parent = [data.draw(st.integers(-1, n - 1)) for _ in range(n)]
    kinds = ["client" if p >= 0 else data.draw(st.sampled_from(["channel", ""])) for p in parent]
    sources = [f"ch_{i % 3}" if k == "channel" else "" for i, k in enumerate(kinds)]
    channel, level = _origins(parent, kinds, sources)
    expected_channel, expected_level = walked(parent, kinds, sources)
    assert channel == expected_channel
    assert [lv for lv, ch in zip(level, channel, strict=True) if ch] == [
        lv for lv, ch in zip(expected_level, expected_channel, strict=True) if ch
    ]


def test_a_chain_a_thousand_levels_deep_is_walked_to_its_channel() -> None:
    n = 1000
    channel, level = _origins([-1, *range(n - 1)], ["channel"] + ["client"] * (n - 1), ["ch_1"] + [""] * (n - 1))
    assert channel == ["ch_1"] * n and level == list(range(1, n + 1))
