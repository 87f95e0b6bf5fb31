"""The in-memory referral graph used to check bulk writes."""

from __future__ import annotations

from datetime import date

import pytest

from referrals.errors import Invalid
from referrals.model import ReferralInput, SourceKind, SourceRef
from referrals.rules import Edge, ReferralGraph

D = date(2024, 1, 1)


def c(id: str) -> SourceRef:
    return SourceRef(SourceKind.CLIENT, id)


def test_plan_marks_first_source_primary_and_known_pairs_existing() -> None:
    graph = ReferralGraph([Edge(c("a"), "b", True)])
    plan = graph.plan(
        [ReferralInput(c("a"), "b", D), ReferralInput(c("a"), "c", D), ReferralInput(c("b"), "c", D)],
        {"a", "b", "c"},
        set(),
    )
    assert [(p.exists, p.primary) for p in plan] == [(True, False), (False, True), (False, False)]


def test_plan_refuses_cycles_including_ones_formed_inside_the_batch() -> None:
    graph = ReferralGraph([Edge(c("a"), "b", True)])
    with pytest.raises(Invalid) as e:
        graph.plan([ReferralInput(c("b"), "c", D), ReferralInput(c("c"), "a", D)], {"a", "b", "c"}, set())
    assert e.value.field == "rows[1].source_id"


def test_plan_names_unknown_records() -> None:
    with pytest.raises(Invalid) as e:
        ReferralGraph([]).plan([ReferralInput(SourceRef(SourceKind.CHANNEL, "ch_x"), "b", D)], {"b"}, set())
    assert e.value.field == "rows[0].source_id" and "channel" in e.value.reason


def test_is_ancestor_walks_every_recommendation() -> None:
    graph = ReferralGraph([Edge(c("a"), "b", True), Edge(c("b"), "c", False), Edge(c("x"), "c", True)])
    assert graph.is_ancestor("a", "c") and graph.is_ancestor("x", "c")
    assert not graph.is_ancestor("c", "a")
