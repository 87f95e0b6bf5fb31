"""The integrity rules over a store's own node keys (referrals/integrity.py `Facts`): numbers instead of
ids find the same findings, keyed, ordered and worded by ids; and the ring search's peeling hands
long chains over to a topological sort without losing or inventing a ring member."""

from __future__ import annotations

import dataclasses
from datetime import date, timedelta

from hypothesis import given, settings
from hypothesis import strategies as st

from referrals import integrity
from referrals.integrity import Facts, Thresholds, detect

DAY0 = date(2024, 1, 1)


@st.composite
def networks(draw: st.DrawFn) -> Facts:
    """A small workspace's facts by id: clients, two channels, recommendations (rings included, primary
    or not), shared contacts, acquisitions and clients who never paid."""
    n = draw(st.integers(2, 14))
    clients = [f"cl_{i:02d}" for i in range(n)]
    channels = ["ch_a", "ch_b"]
    recs = draw(
        st.lists(
            st.tuples(st.sampled_from(clients + channels), st.sampled_from(clients), st.integers(0, 30), st.booleans()),
            max_size=40,
        )
    )
    recs = [r for r in recs if r[0] != r[1]]
    phones = draw(st.lists(st.sampled_from(["+79160000001", "+79160000002", None]), min_size=n, max_size=n))
    emails = draw(
        st.lists(st.sampled_from(["a@x.ru", "A+1@x.ru", "b.c@gmail.com", "bc@gmail.com", None]), min_size=n, max_size=n)
    )
    contacts = [(c, e, p, None) for c, e, p in zip(clients, emails, phones, strict=True) if e or p]
    acquired = {
        c: (DAY0 + timedelta(days=draw(st.integers(0, 900)))).isoformat()
        for c in draw(st.sets(st.sampled_from(clients)))
    }
    hollow = {c: (1, {"RUB": -100}) for c in draw(st.sets(st.sampled_from(clients)))}
    return Facts(
        contacts,
        acquired,
        [s.startswith("cl_") for s, _t, _d, _p in recs],
        [s for s, _t, _d, _p in recs],
        [t for _s, t, _d, _p in recs],
        [(DAY0 + timedelta(days=d)).isoformat() for _s, _t, d, _p in recs],
        [p for _s, _t, _d, p in recs],
        hollow,
    )


def numbered(f: Facts, numbers: dict[str, int]) -> Facts:
    """The same facts with every client and channel named by a number, and a resolver that only knows
    the numbers (as a store's node numbers)."""
    ids = {v: k for k, v in numbers.items()}

    def resolve(nodes: object) -> dict[int, str]:
        return {n: ids[n] for n in nodes}  # type: ignore[attr-defined]

    return dataclasses.replace(
        f,
        contacts=[(numbers[c], e, p, x) for c, e, p, x in f.contacts],
        acquired={numbers[c]: d for c, d in f.acquired.items()},
        sources=[numbers[s] for s in f.sources],
        targets=[numbers[t] for t in f.targets],
        hollow={numbers[c]: h for c, h in f.hollow.items()},
        ids=resolve,
    )


@settings(max_examples=150, deadline=None)
@given(networks(), st.randoms(use_true_random=False))
def test_node_numbers_find_what_ids_find(f: Facts, rnd: object) -> None:
    names = sorted({*f.sources, *f.targets, *(c[0] for c in f.contacts), *f.acquired, *f.hollow})
    shuffled = list(range(1000, 1000 + 7 * len(names), 7))
    rnd.shuffle(shuffled)  # type: ignore[attr-defined]
    th = Thresholds(burst_count=1, burst_days=3, hollow_size=2, lead_days=30)
    by_id = detect(f, th)
    assert detect(numbered(f, dict(zip(names, shuffled, strict=True))), th) == by_id


def chain_into_ring(length: int, key: type) -> list[tuple[object, object]]:
    """A chain of `length` recommendations ending in a ring of three, the chain's clients first."""
    name = (lambda i: i * 3 + 11) if key is int else (lambda i: f"cl_{i:05d}")
    edges = [(name(i), name(i + 1)) for i in range(length)]
    a, b, c = name(length), name(length + 1), name(length + 2)
    return [*edges, (a, b), (b, c), (c, a)]


def test_a_ring_at_the_end_of_a_long_chain_is_found_past_the_peeling_rounds() -> None:
    length = 4 * integrity.PEEL_ROUNDS  # longer than the peeling takes apart: the topological sort ends it
    for key in (int, str):
        edges = chain_into_ring(length, key)
        ring = {e[0] for e in edges[-3:]}
        assert integrity._on_rings(edges) == ring
        assert integrity._on_rings(edges[:-1]) == set()  # the ring opened: nothing left
        # and a ring with a long chain leaving it: the chain's clients can be on no ring either
        out = [(t, s) for s, t in edges]
        assert integrity._on_rings(out) >= ring


def test_a_ring_found_by_numbers_is_named_by_ids() -> None:
    edges = chain_into_ring(3 * integrity.PEEL_ROUNDS, int)
    ids = {n: f"cl_{n:06d}" for e in edges for n in e}
    f = Facts(
        [],
        {},
        [True] * len(edges),
        [s for s, _t in edges],
        [t for _s, t in edges],
        ["2025-01-01"] * len(edges),
        [True] * len(edges),
        ids=lambda nodes: {n: ids[n] for n in nodes},
    )
    (ring,) = integrity._rings(f)
    assert ring.people == tuple(sorted(ids[e[0]] for e in edges[-3:]))
    assert {p for pair in ring.pairs for p in pair} == set(ring.people)


@settings(max_examples=150, deadline=None)
@given(networks(), st.integers(1, 4), st.integers(1, 10))
def test_bursts_are_the_clients_with_more_than_the_count_within_the_days(f: Facts, count: int, days: int) -> None:
    """The array search for bursts against the rule read literally: a client whose recommendations, in
    date order, hold `count` + 1 within fewer than `days` days of the first of them."""
    th = Thresholds(burst_count=count, burst_days=days)
    made: dict[str, list[int]] = {}
    for by_client, s, d in zip(f.from_client, f.sources, f.days, strict=True):
        if by_client:
            made.setdefault(s, []).append(date.fromisoformat(d).toordinal())
    expected = {
        s
        for s, ds in made.items()
        for ordered in [sorted(ds)]
        if any(ordered[j + count] - ordered[j] < days for j in range(len(ordered) - count))
    }
    found = integrity._bursts(f, th)
    assert {r.people[0] for r in found} == expected
    assert all(r.numbers["most_in_window"] > count for r in found)
