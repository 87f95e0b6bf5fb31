"""What looks wrong (referrals/integrity.py), on both stores: each rule with a positive and a negative
example, no finding on the demo network, dismissals that stay, and thresholds that are refused with
the field's name."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest

from referrals.demo import load_demo
from referrals.errors import Conflict, Invalid, NotFound
from referrals.ids import new_id
from referrals.integrity import Thresholds, mailbox
from referrals.model import (
    ChannelInput,
    ClientInput,
    ClientPatch,
    DealInput,
    Referral,
    ReferralInput,
    SourceKind,
    SourceRef,
)
from referrals.money import Money
from referrals.store import Store
from tests.conftest import unique


def people(store: Store, ws: str, **fields: dict) -> dict[str, str]:
    """Clients by name, each with the fields given (read as the API and the CLI read them)."""

    def data(name: str, f: dict) -> dict:
        return {"name": name, **{k: v.isoformat() if isinstance(v, date) else v for k, v in f.items()}}

    return {name: store.create_client(ws, ClientInput.parse(data(name, f))).id for name, f in fields.items()}


def refer(store: Store, ws: str, source: str, client: str, on: date, kind: SourceKind = SourceKind.CLIENT) -> None:
    store.record_referral(ws, ReferralInput(SourceRef(kind, source), client, on))


def findings(store: Store, ws: str, rule: str, **thresholds: int) -> list:
    return [f for f in store.integrity_check(ws, Thresholds(**thresholds)).findings if f.rule == rule]


@pytest.fixture
def ws(store: Store) -> str:
    return store.create_workspace(unique("integrity")).id


def test_the_demo_network_has_no_finding(store: Store) -> None:
    demo = load_demo(store, unique("demo"))
    report = store.integrity_check(demo.id)
    assert report.findings == []
    assert all(c == {"open": 0, "dismissed": 0} for c in report.counts().values())


# -- shared contact details ----------------------------------------------------------------


def test_mailboxes_compare_as_providers_deliver() -> None:
    assert mailbox("Anna.Lima+work@GoogleMail.com") == mailbox("annalima@gmail.com") == "annalima@gmail.com"
    assert mailbox("ivan-petrov@ya.ru") == mailbox("ivan.petrov@yandex.com") == "ivan.petrov@yandex.ru"
    assert mailbox("a.b+x@example.org") == "a.b@example.org"  # dots count outside Gmail
    assert mailbox("a.b@example.org") != mailbox("ab@example.org")


def test_shared_phone_email_and_external_id_are_found(store: Store, ws: str) -> None:
    ids = people(
        store,
        ws,
        Ana={"phone": "+7 916 123-45-67", "email": "ana.lima@gmail.com"},
        Anya={"phone": "8 (916) 123-45-67"},  # the same number written the Russian way
        Lima={"email": "analima+promo@googlemail.com"},  # the same Gmail mailbox
        Bob={"external_id": "AMO-17"},
        Bobby={"external_id": "amo-17"},
        Carla={"phone": "+7 916 000-00-01", "email": "carla@example.org"},
    )
    found = findings(store, ws, "shared_contact")
    assert [sorted(n for _, n in f.people) for f in found] == sorted([["Ana", "Anya", "Lima"], ["Bob", "Bobby"]])
    ana = next(f for f in found if len(f.people) == 3)
    assert ana.numbers["clients"] == 3
    assert {(s["field"], s["clients"]) for s in ana.numbers["shared"]} == {("email", 2), ("phone", 2)}
    assert "+79161234567" in ana.summary and "Anya" in ana.summary
    assert ids["Carla"] not in {i for f in found for i, _ in f.people}


def test_distinct_contacts_are_no_finding_and_an_exact_duplicate_email_never_gets_stored(store: Store, ws: str) -> None:
    people(
        store,
        ws,
        Ana={"phone": "+79161234567", "email": "ana@example.org"},
        Bea={"phone": "+79161234568", "email": "a.na@example.org"},  # dots count outside Gmail
    )
    assert findings(store, ws, "shared_contact") == []
    with pytest.raises(Conflict):
        store.create_client(ws, ClientInput.parse({"name": "Ana again", "email": "ANA@example.org"}))


# -- a second identity -----------------------------------------------------------------------


def test_a_client_recommended_by_a_second_identity(store: Store, ws: str) -> None:
    ids = people(
        store,
        ws,
        Ana={"phone": "+79161234567"},
        AnaToo={"phone": "+7 916 123 45 67"},
        Max={"email": "max@yandex.ru"},
        Mid={},
        MaxToo={"email": "max@ya.ru"},
        Other={"phone": "+79160000000"},
    )
    refer(store, ws, ids["Ana"], ids["AnaToo"], date(2025, 3, 1))  # directly
    refer(store, ws, ids["Max"], ids["Mid"], date(2025, 3, 1))  # through someone else, on the chain
    refer(store, ws, ids["Mid"], ids["MaxToo"], date(2025, 3, 2))
    refer(store, ws, ids["Ana"], ids["Other"], date(2025, 3, 3))  # no shared detail: no finding
    found = findings(store, ws, "self_referral")
    assert [(f.people[0][1], f.people[1][1], f.numbers["level"], f.numbers["field"]) for f in found] == [
        ("AnaToo", "Ana", 1, "phone"),
        ("MaxToo", "Max", 2, "email"),
    ]
    assert "credited" in found[1].summary and len(found[1].referrals) == 2


def test_a_secondary_recommendation_by_a_second_identity(store: Store, ws: str) -> None:
    ids = people(store, ws, Ana={"phone": "+79161234567"}, AnaToo={"phone": "+79161234567"}, Bo={})
    refer(store, ws, ids["Bo"], ids["AnaToo"], date(2025, 3, 1))  # primary
    refer(store, ws, ids["Ana"], ids["AnaToo"], date(2025, 3, 9))  # secondary, from the same phone
    (f,) = findings(store, ws, "self_referral")
    assert (f.numbers["primary"], f.numbers["level"]) == (False, 1)
    # the same people without the shared phone: nothing
    store.update_client(ws, ids["Ana"], ClientPatch.parse({"phone": "+79169999999"}))
    assert findings(store, ws, "self_referral") == []


# -- bursts ----------------------------------------------------------------------------------


def test_a_burst_is_more_than_the_count_within_the_days(store: Store, ws: str) -> None:
    ids = people(store, ws, Olga={}, **{f"c{i}": {} for i in range(12)})
    start = date(2025, 5, 1)
    for i in range(6):  # six within six days: one more than five in seven days
        refer(store, ws, ids["Olga"], ids[f"c{i}"], start + timedelta(days=i))
    for i in range(6, 12):  # six more, a week apart: no burst
        refer(store, ws, ids["Olga"], ids[f"c{i}"], start + timedelta(days=14 * i))
    (f,) = findings(store, ws, "burst")
    assert f.numbers == {"clients": 6, "most_in_window": 6, "from": "2025-05-01", "to": "2025-05-06"}
    assert f.people[0] == (ids["Olga"], "Olga") and len(f.people) == 7
    # five in seven days is not more than five; neither are six over eight days
    assert findings(store, ws, "burst", burst_count=6) == []
    assert findings(store, ws, "burst", burst_days=1, burst_count=1) == []


def test_a_channel_bringing_many_at_once_is_no_burst(store: Store, ws: str) -> None:
    post = store.create_channel(ws, ChannelInput(name="Viral post")).id
    ids = people(store, ws, **{f"c{i}": {} for i in range(10)})
    for i in range(10):
        refer(store, ws, post, ids[f"c{i}"], date(2025, 5, 1), SourceKind.CHANNEL)
    assert findings(store, ws, "burst") == []


# -- clients who never paid ------------------------------------------------------------------


def _deal(store: Store, ws: str, client: str, minor: int) -> None:
    store.create_deal(ws, DealInput(client, Money(minor, "RUB"), date(2025, 6, 1)))


def test_a_cluster_whose_deals_are_refunds_or_zero(store: Store, ws: str) -> None:
    ids = people(store, ws, A={}, B={}, C={}, D={}, Lead={})
    for s, c in (("A", "B"), ("B", "C"), ("C", "D"), ("A", "Lead")):
        refer(store, ws, ids[s], ids[c], date(2025, 5, 1))
    _deal(store, ws, ids["A"], 0)
    _deal(store, ws, ids["B"], -5_000)
    _deal(store, ws, ids["C"], 0)
    _deal(store, ws, ids["C"], -1_000)
    _deal(store, ws, ids["D"], 250_000)  # D paid; Lead has no deal at all: neither is hollow
    (f,) = findings(store, ws, "hollow_cluster")
    assert [n for _, n in f.people] == sorted(["A", "B", "C"], key=lambda n: ids[n])
    assert f.numbers == {"clients": 3, "deals": 4, "refunds": [{"currency": "RUB", "amount_minor": -6_000}]}
    # one of them pays: the rest (A, C) are no longer linked three strong
    _deal(store, ws, ids["B"], 10_000)
    assert findings(store, ws, "hollow_cluster") == []


# -- recommendations dated too early -----------------------------------------------------------


def test_a_recommendation_before_the_recommender_was_a_client(store: Store, ws: str) -> None:
    ids = people(store, ws, Late={"acquired_on": date(2025, 5, 1)}, New={}, Fine={}, OnTime={})
    refer(store, ws, ids["Late"], ids["New"], date(2025, 3, 1))  # two months before Late's first day
    refer(store, ws, ids["Late"], ids["OnTime"], date(2025, 5, 1))  # on it: fine
    refer(store, ws, ids["New"], ids["Fine"], date(2025, 3, 2))  # New's first day is its recommendation's
    (f,) = findings(store, ws, "dated_early")
    assert (f.people[0][1], f.people[1][1]) == ("Late", "New")
    assert f.numbers == {"referred_on": "2025-03-01", "first_day": "2025-05-01", "days": 61, "whose": "recommender"}


def test_a_recommendation_long_before_the_client_was_acquired(store: Store, ws: str) -> None:
    ids = people(
        store,
        ws,
        Src={"acquired_on": date(2014, 1, 1)},
        Typo={"acquired_on": date(2025, 3, 15)},
        Lead={"acquired_on": date(2025, 12, 1)},
    )
    refer(store, ws, ids["Src"], ids["Typo"], date(2015, 3, 1))  # the year mistyped: 3,667 days early
    refer(store, ws, ids["Src"], ids["Lead"], date(2025, 1, 10))  # a lead who took 325 days: fine
    (f,) = findings(store, ws, "dated_early")
    assert (f.people[0][1], f.numbers["days"], f.numbers["whose"]) == ("Typo", 3667, "client")
    assert len(findings(store, ws, "dated_early", lead_days=300)) == 2


# -- rings -----------------------------------------------------------------------------------


def test_the_service_refuses_any_recommendation_that_would_close_a_ring(store: Store, ws: str) -> None:
    """The issue's "secondary recommendations that would become a ring if promoted" cannot exist: a
    secondary one that would close a ring is refused when it is recorded, like a primary one."""
    ids = people(store, ws, A={}, B={}, C={}, D={})
    refer(store, ws, ids["A"], ids["B"], date(2025, 1, 1))
    refer(store, ws, ids["B"], ids["C"], date(2025, 1, 2))
    refer(store, ws, ids["D"], ids["A"], date(2025, 1, 3))  # A's primary is D
    with pytest.raises(Conflict):
        refer(store, ws, ids["C"], ids["A"], date(2025, 1, 4))  # would be A's secondary source
    assert findings(store, ws, "ring") == []


def test_a_ring_written_around_the_service_is_found(store: Store, ws: str) -> None:
    ids = people(store, ws, A={}, B={}, C={}, Tail={})
    refer(store, ws, ids["A"], ids["B"], date(2025, 1, 1))
    refer(store, ws, ids["B"], ids["C"], date(2025, 1, 2))
    refer(store, ws, ids["C"], ids["Tail"], date(2025, 1, 3))
    around = Referral(
        id=new_id("referral"),
        source=SourceRef(SourceKind.CLIENT, ids["C"]),
        client_id=ids["A"],
        referred_on=date(2025, 1, 4),
        note=None,
        primary=True,
        created_at=datetime.now(UTC),
    )
    store.write(lambda u: u.referrals.insert(ws, [around]))  # as a hand-written Cypher CREATE would
    (f,) = findings(store, ws, "ring")
    assert sorted(n for _, n in f.people) == ["A", "B", "C"]
    assert f.numbers == {"clients": 3, "recommendations": 3} and around.id in f.referrals


# -- dismissals ------------------------------------------------------------------------------


def test_a_dismissed_finding_stays_dismissed_until_it_changes(store: Store, ws: str) -> None:
    ids = people(store, ws, Ana={"phone": "+79161234567"}, Anya={"phone": "+79161234567"})
    (f,) = store.integrity_check(ws).findings
    with pytest.raises(Invalid) as bad:
        store.dismiss_finding(ws, f.key, "   ")
    assert bad.value.field == "note"
    with pytest.raises(NotFound) as missing:
        store.dismiss_finding(ws, "burst-0000000000000000", "no such finding")
    assert missing.value.field == "key"
    d = store.dismiss_finding(ws, f.key, "Sisters sharing one phone")
    assert (d.rule, d.note) == ("shared_contact", "Sisters sharing one phone")
    # later writes and later checks keep it dismissed
    people(store, ws, Bo={})
    report = store.integrity_check(ws)
    (again,) = report.findings
    assert again.key == f.key and again.dismissed is not None and again.dismissed.note == "Sisters sharing one phone"
    assert report.open == [] and report.counts()["shared_contact"] == {"open": 0, "dismissed": 1}
    # a third client on the same phone is a different finding: shown again
    ids |= people(store, ws, Anechka={"phone": "+7 916 123-45-67"})
    (changed,) = store.integrity_check(ws).findings
    assert changed.key != f.key and changed.dismissed is None
    # undismissing shows it again; undismissing twice is NotFound
    store.dismiss_finding(ws, changed.key, "one family")
    store.undismiss_finding(ws, changed.key)
    assert store.integrity_check(ws).findings[0].dismissed is None
    with pytest.raises(NotFound):
        store.undismiss_finding(ws, changed.key)


def test_thresholds_are_refused_with_their_names() -> None:
    with pytest.raises(Invalid) as bad:
        Thresholds(burst_count=0, hollow_size=1)
    assert [e.field for e in bad.value.errors] == ["burst_count", "hollow_size"]
