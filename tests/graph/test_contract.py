"""The store contract: every test runs against the embedded store and a real Neo4j server."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from graph.schema import SCHEMA_VERSION
from referrals import clock
from referrals.access import Role
from referrals.errors import Conflict, Invalid, NotFound
from referrals.model import (
    ChannelInput,
    ChannelPatch,
    Client,
    ClientInput,
    ClientPatch,
    ClientQuery,
    ClientStatus,
    DealInput,
    DealPatch,
    DealQuery,
    DeletePolicy,
    ReferralInput,
    SourceKind,
    SourceRef,
    Workspace,
)
from referrals.money import Money
from referrals.store import Store
from tests.conftest import unique

D = date(2024, 1, 15)


def client(store: Store, ws: Workspace, name: str, **fields: object) -> Client:
    return store.create_client(ws.id, ClientInput.parse({"name": name, **fields}))


def by(c: Client | str) -> SourceRef:
    return SourceRef(SourceKind.CLIENT, c if isinstance(c, str) else c.id)


def refer(store: Store, ws: Workspace, source: Client | SourceRef, target: Client, on: date = D):
    src = source if isinstance(source, SourceRef) else by(source)
    return store.record_referral(ws.id, ReferralInput(src, target.id, on))


def line(store: Store, ws: Workspace, n: int) -> list[Client]:
    """c0 -> c1 -> ... -> c(n-1): c(n-1) sits at level n-1 below c0."""
    people = [client(store, ws, f"p{i}") for i in range(n)]
    for a, b in zip(people, people[1:], strict=False):
        refer(store, ws, a, b)
    return people


def snapshot(store: Store, ws: Workspace) -> tuple:
    """Everything a workspace holds, to prove a refused change changed nothing."""
    clients = store.list_clients(ws.id, ClientQuery(limit=500)).items
    return (
        clients,
        store.list_channels(ws.id, limit=500).items,
        tuple(store.list_referrals(ws.id)),
        store.list_deals(ws.id, DealQuery(limit=500)).items,
    )


# -- schema and workspaces -------------------------------------------------------------


def test_schema_init_is_idempotent(store: Store) -> None:
    assert store.init_schema() == SCHEMA_VERSION
    assert store.init_schema() == SCHEMA_VERSION
    assert store.schema_version() == SCHEMA_VERSION


def test_workspaces(store: Store) -> None:
    ws = store.create_workspace("Studio Ana")
    assert store.get_workspace(ws.id) == ws
    assert ws in store.list_workspaces()
    with pytest.raises(NotFound):
        store.get_workspace("ws_missing")


def test_writes_into_an_unknown_workspace_are_refused(store: Store) -> None:
    with pytest.raises(NotFound) as e:
        store.create_client("ws_nope", ClientInput(name="A"))
    assert e.value.field == "workspace"
    with pytest.raises(NotFound):
        store.create_channel("ws_nope", ChannelInput(name="Blog"))


# -- clients ---------------------------------------------------------------------------


def test_client_round_trip(store: Store, ws: Workspace) -> None:
    c = client(
        store,
        ws,
        "  Ana Lima ",
        email="Ana@Example.COM",
        tags=["VIP", "design"],
        status="lead",
        external_id="crm-1",
        notes="met at a fair",
        acquired_on="2024-03-01",
    )
    assert c.name == "Ana Lima" and c.email == "ana@example.com" and c.tags == ("design", "vip")
    assert store.get_client(ws.id, c.id) == c


def test_client_email_and_external_id_are_unique_per_workspace(store: Store, ws: Workspace) -> None:
    client(store, ws, "A", email="a@x.com", external_id="e1")
    with pytest.raises(Conflict) as e:
        client(store, ws, "B", email="A@x.com")
    assert e.value.field == "email"
    with pytest.raises(Conflict) as e:
        client(store, ws, "C", external_id="e1")
    assert e.value.field == "external_id"
    other = store.create_workspace(unique("other"))
    client(store, other, "A elsewhere", email="a@x.com", external_id="e1")  # another workspace: fine


def test_update_client(store: Store, ws: Workspace) -> None:
    c = client(store, ws, "A", email="a@x.com", notes="n")
    updated = store.update_client(ws.id, c.id, ClientPatch.parse({"name": "Ann", "notes": None, "status": "inactive"}))
    assert (updated.name, updated.notes, updated.status, updated.email) == (
        "Ann",
        None,
        ClientStatus.INACTIVE,
        "a@x.com",
    )
    assert store.get_client(ws.id, c.id) == updated
    assert updated.updated_at >= c.updated_at and updated.created_at == c.created_at


def test_refused_update_changes_nothing(store: Store, ws: Workspace) -> None:
    client(store, ws, "A", email="a@x.com")
    b = client(store, ws, "B", email="b@x.com")
    with pytest.raises(Conflict):
        store.update_client(ws.id, b.id, ClientPatch.parse({"email": "a@x.com", "name": "Bee"}))
    assert store.get_client(ws.id, b.id) == b


def test_list_clients_pages_in_creation_order(store: Store, ws: Workspace) -> None:
    made = [client(store, ws, f"c{i}") for i in range(5)]
    seen, after = [], None
    while True:
        page = store.list_clients(ws.id, ClientQuery(limit=2, after=after))
        seen += page.items
        if page.next_after is None:
            break
        after = page.next_after
    assert [c.id for c in seen] == [c.id for c in made]


def test_list_clients_filters(store: Store, ws: Workspace) -> None:
    ana = client(store, ws, "Ana Lima", email="ana@lima.pt", tags=["vip"], acquired_on="2024-02-01")
    zoe = client(store, ws, "Zoë Ångström", email="zoe@ex.com", status="lead", acquired_on="2024-05-01")
    client(store, ws, "Bob", tags=["friend"])

    def ids(**q: object) -> list[str]:
        return [c.id for c in store.list_clients(ws.id, ClientQuery(**q)).items]  # type: ignore[arg-type]

    assert ids(text="LIMA") == [ana.id]
    assert ids(text="zoë") == [zoe.id]
    assert ids(text="ÅNGSTRÖM") == [zoe.id]
    assert ids(text="ex.com") == [zoe.id]
    assert ids(tag="VIP") == [ana.id]
    assert ids(status=ClientStatus.LEAD) == [zoe.id]
    assert ids(acquired_from=date(2024, 3, 1)) == [zoe.id]
    assert ids(acquired_to=date(2024, 3, 1)) == [ana.id]
    assert ids(text="%") == [] and ids(text="_") == []  # no wildcard injection


def test_workspaces_are_isolated(store: Store, ws: Workspace) -> None:
    c = client(store, ws, "Private", email="p@x.com")
    other = store.create_workspace(unique("other"))
    with pytest.raises(NotFound):
        store.get_client(other.id, c.id)
    with pytest.raises(NotFound):
        store.update_client(other.id, c.id, ClientPatch.parse({"name": "X"}))
    with pytest.raises(NotFound):
        store.delete_client(other.id, c.id)
    with pytest.raises(NotFound):
        store.chain(other.id, c.id)
    assert store.list_clients(other.id, ClientQuery()).items == ()
    mine = client(store, other, "Mine")
    with pytest.raises(NotFound):  # a referral may not cross workspaces
        store.record_referral(other.id, ReferralInput(by(c), mine.id, D))
    assert store.get_client(ws.id, c.id) == c


def test_client_ids_are_every_client_of_the_workspace(store: Store, ws: Workspace) -> None:
    mine = {client(store, ws, name).id for name in ("Ana", "Bruno", "Carla")}
    other = store.create_workspace(unique("other"))
    client(store, other, "Elsewhere")
    assert store.read(lambda u: u.graph.client_ids(other.id)) != []
    assert sorted(store.read(lambda u: u.graph.client_ids(ws.id))) == sorted(mine)
    empty = store.create_workspace(unique("empty")).id
    assert store.read(lambda u: u.graph.client_ids(empty)) == []


def test_delete_client(store: Store, ws: Workspace) -> None:
    c = client(store, ws, "A")
    store.delete_client(ws.id, c.id)
    with pytest.raises(NotFound):
        store.get_client(ws.id, c.id)
    with pytest.raises(NotFound):
        store.delete_client(ws.id, c.id)


def test_upsert_clients_by_external_id(store: Store, ws: Workspace) -> None:
    rows = [ClientInput(name="A", external_id="1"), ClientInput(name="B", external_id="2")]
    first = store.upsert_clients(ws.id, rows)
    assert (first.created, first.updated, first.unchanged) == (2, 0, 0)
    again = store.upsert_clients(ws.id, rows)
    assert (again.created, again.updated, again.unchanged) == (0, 0, 2) and again.ids == first.ids
    changed = store.upsert_clients(ws.id, [ClientInput(name="A2", external_id="1")])
    assert (changed.created, changed.updated) == (0, 1)
    assert store.get_client(ws.id, first.ids[0]).name == "A2"


def test_upsert_clients_is_all_or_nothing(store: Store, ws: Workspace) -> None:
    client(store, ws, "Taken", email="t@x.com")
    before = snapshot(store, ws)
    rows = [ClientInput(name=f"n{i}", external_id=f"x{i}") for i in range(50)]
    rows.append(ClientInput(name="dup", email="t@x.com", external_id="x-dup"))
    with pytest.raises(Conflict):
        store.upsert_clients(ws.id, rows)
    with pytest.raises(Invalid) as e:
        store.upsert_clients(ws.id, [ClientInput(name="a", external_id="k"), ClientInput(name="b", external_id="k")])
    assert e.value.field == "rows[1].external_id"
    assert snapshot(store, ws) == before


# -- channels --------------------------------------------------------------------------


def test_channels(store: Store, ws: Workspace) -> None:
    blog = store.create_channel(ws.id, ChannelInput.parse({"name": "Blog post: pricing", "kind": "blog"}))
    assert store.get_channel(ws.id, blog.id) == blog
    with pytest.raises(Conflict) as e:
        store.create_channel(ws.id, ChannelInput.parse({"name": "BLOG POST: PRICING"}))
    assert e.value.field == "name"
    renamed = store.update_channel(ws.id, blog.id, ChannelPatch.parse({"name": "Pricing post", "url": "https://x"}))
    assert store.get_channel(ws.id, blog.id) == renamed
    assert [c.id for c in store.list_channels(ws.id).items] == [blog.id]
    a = client(store, ws, "A")
    refer(store, ws, SourceRef(SourceKind.CHANNEL, blog.id), a)
    with pytest.raises(Conflict):
        store.delete_channel(ws.id, blog.id)
    store.delete_referral(ws.id, store.list_referrals(ws.id)[0].id)
    store.delete_channel(ws.id, blog.id)
    with pytest.raises(NotFound):
        store.get_channel(ws.id, blog.id)


# -- deals -----------------------------------------------------------------------------


def test_deals(store: Store, ws: Workspace) -> None:
    a, b = client(store, ws, "A"), client(store, ws, "B")
    d1 = store.create_deal(
        ws.id,
        DealInput.parse(
            {"client_id": a.id, "amount": "1234.50", "currency": "eur", "closed_on": "2024-03-10", "title": "Logo"}
        ),
    )
    assert d1.amount == Money(123450, "EUR")
    assert store.get_deal(ws.id, d1.id) == d1
    d2 = store.create_deal(
        ws.id, DealInput.parse({"client_id": b.id, "amount": "-5", "currency": "JPY", "closed_on": "2024-04-01"})
    )
    assert [d.id for d in store.list_deals(ws.id, DealQuery(client_id=a.id)).items] == [d1.id]
    assert [d.id for d in store.list_deals(ws.id, DealQuery(closed_from=date(2024, 4, 1))).items] == [d2.id]
    assert [d.id for d in store.list_deals(ws.id, DealQuery(closed_to=date(2024, 3, 31))).items] == [d1.id]
    up = store.update_deal(ws.id, d1.id, DealPatch.parse({"amount": "99.99"}, current=d1.amount))
    assert store.get_deal(ws.id, d1.id).amount == Money(9999, "EUR") == up.amount
    with pytest.raises(Conflict):
        store.delete_client(ws.id, a.id)  # money is never dropped silently
    store.delete_deal(ws.id, d1.id)
    with pytest.raises(NotFound):
        store.get_deal(ws.id, d1.id)


def test_deal_of_unknown_client_is_refused(store: Store, ws: Workspace) -> None:
    with pytest.raises(NotFound) as e:
        store.create_deal(ws.id, DealInput(client_id="cl_nobody", amount=Money(1, "EUR"), closed_on=D))
    assert e.value.field == "client_id"


def test_a_deal_upserted_onto_another_client_moves_its_revenue_in_trees(store: Store, ws: Workspace) -> None:
    """Trees sum deals by their client as it is now: a deal that an upsert moves from one client to
    another leaves the first's revenue and joins the second's (the embedded store keeps each deal's
    client number beside its id, and the move must carry both)."""
    fair = store.create_channel(ws.id, ChannelInput(name=unique("Fair")))
    a, b = client(store, ws, "A"), client(store, ws, "B")
    refer(store, ws, SourceRef(SourceKind.CHANNEL, fair.id), a)
    refer(store, ws, a, b)
    store.upsert_deals(ws.id, [DealInput(a.id, Money(700, "EUR"), D, external_id="inv-1")])
    root = SourceRef(SourceKind.CHANNEL, fair.id)
    assert [(n.name, dict(n.revenue)) for n in store.tree(ws.id, root, None).nodes] == [
        ("A", {"EUR": 700}),
        ("B", {}),
    ]
    moved = store.upsert_deals(ws.id, [DealInput(b.id, Money(700, "EUR"), D, external_id="inv-1")])
    assert moved.updated == 1
    assert [(n.name, dict(n.revenue)) for n in store.tree(ws.id, root, None).nodes] == [
        ("A", {}),
        ("B", {"EUR": 700}),
    ]
    cut = store.tree(ws.id, root, 1)  # past the view, the moved deal is counted once, beyond A
    assert cut.beyond.clients == 1 and dict(cut.beyond.revenue) == {"EUR": 700}


def test_upsert_deals(store: Store, ws: Workspace) -> None:
    a = client(store, ws, "A")
    rows = [DealInput(a.id, Money(100 * i, "USD"), D, external_id=f"inv-{i}") for i in range(1, 4)]
    first = store.upsert_deals(ws.id, rows)
    again = store.upsert_deals(ws.id, rows)
    assert (first.created, again.unchanged) == (3, 3) and first.ids == again.ids
    assert len(store.list_deals(ws.id, DealQuery()).items) == 3
    with pytest.raises(Invalid) as e:
        store.upsert_deals(ws.id, [DealInput("cl_nobody", Money(1, "USD"), D, external_id="z")])
    assert e.value.field == "rows[0].client_id"


# -- referrals -------------------------------------------------------------------------


def test_first_source_is_primary_later_ones_secondary(store: Store, ws: Workspace) -> None:
    a, b, c = client(store, ws, "A"), client(store, ws, "B"), client(store, ws, "C")
    first = refer(store, ws, a, c)
    second = refer(store, ws, b, c)
    assert first.primary and not second.primary
    assert store.get_referral(ws.id, first.id) == first
    assert [r.id for r in store.list_referrals(ws.id, client_id=c.id)] == [first.id, second.id]
    assert [r.id for r in store.list_referrals(ws.id, source=by(b))] == [second.id]
    with pytest.raises(Conflict):
        refer(store, ws, a, c)  # the same recommendation twice


def test_self_referral_is_refused(store: Store, ws: Workspace) -> None:
    a = client(store, ws, "A")
    with pytest.raises(Invalid):
        ReferralInput.parse({"source_id": a.id, "client_id": a.id, "referred_on": "2024-01-01"})
    with pytest.raises((Invalid, Conflict)):
        store.record_referral(ws.id, ReferralInput(by(a), a.id, D))
    assert store.list_referrals(ws.id) == []


@pytest.mark.parametrize("ring", [2, 3, 5])
def test_a_referral_closing_a_cycle_is_refused(store: Store, ws: Workspace, ring: int) -> None:
    people = line(store, ws, ring)
    before = snapshot(store, ws)
    with pytest.raises(Conflict) as e:
        refer(store, ws, people[-1], people[0])
    assert e.value.field == "source_id" and "cycle" in e.value.reason
    with pytest.raises(Conflict):
        store.reattribute(ws.id, ReferralInput(by(people[-1]), people[0].id, D))
    assert snapshot(store, ws) == before


def test_cycles_through_secondary_recommendations_are_refused(store: Store, ws: Workspace) -> None:
    a, b, root = client(store, ws, "A"), client(store, ws, "B"), client(store, ws, "Root")
    refer(store, ws, root, a)
    refer(store, ws, root, b)
    assert not refer(store, ws, a, b).primary  # secondary A -> B
    with pytest.raises(Conflict):
        refer(store, ws, b, a)


def test_unknown_ends_are_named(store: Store, ws: Workspace) -> None:
    a = client(store, ws, "A")
    with pytest.raises(NotFound) as e:
        store.record_referral(ws.id, ReferralInput(by("cl_ghost"), a.id, D))
    assert e.value.field == "source_id"
    with pytest.raises(NotFound) as e:
        store.record_referral(ws.id, ReferralInput(by(a), "cl_ghost", D))
    assert e.value.field == "client_id"
    with pytest.raises(NotFound) as e:
        store.record_referral(ws.id, ReferralInput(SourceRef(SourceKind.CHANNEL, "ch_ghost"), a.id, D))
    assert e.value.field == "source_id"


def test_reattribution_keeps_history(store: Store, ws: Workspace) -> None:
    a, b, c = client(store, ws, "A"), client(store, ws, "B"), client(store, ws, "C")
    old = refer(store, ws, a, c)
    new = store.reattribute(ws.id, ReferralInput(by(b), c.id, date(2024, 2, 1)), reason="B made the intro")
    assert new.primary and new.source == by(b)
    assert not store.get_referral(ws.id, old.id).primary  # still recorded, now secondary
    assert store.chain(ws.id, c.id).steps[0].source == by(b)
    (change,) = store.source_history(ws.id, c.id)
    assert (change.previous, change.current, change.reason) == (by(a), by(b), "B made the intro")
    assert (change.previous_referral_id, change.referral_id) == (old.id, new.id)
    # promoting the stored secondary recommendation back, and a no-op repeat
    back = store.reattribute(ws.id, ReferralInput(by(a), c.id, D))
    assert back.id == old.id and back.primary
    assert store.reattribute(ws.id, ReferralInput(by(a), c.id, D)).id == old.id
    assert len(store.source_history(ws.id, c.id)) == 2
    assert sum(r.primary for r in store.list_referrals(ws.id, client_id=c.id)) == 1


def test_deleting_a_primary_referral_leaves_a_root_and_a_trace(store: Store, ws: Workspace) -> None:
    a, b = client(store, ws, "A"), client(store, ws, "B")
    r = refer(store, ws, a, b)
    store.delete_referral(ws.id, r.id)
    assert store.chain(ws.id, b.id).steps == ()
    (change,) = store.source_history(ws.id, b.id)
    assert change.previous == by(a) and change.current is None
    with pytest.raises(NotFound):
        store.delete_referral(ws.id, r.id)


def test_delete_client_refuses_while_it_brought_people_in(store: Store, ws: Workspace) -> None:
    top, mid, leaf = line(store, ws, 3)
    before = snapshot(store, ws)
    with pytest.raises(Conflict) as e:
        store.delete_client(ws.id, mid.id)
    assert e.value.field == "policy"
    assert snapshot(store, ws) == before


def test_delete_client_relinks_children_to_its_source(store: Store, ws: Workspace) -> None:
    top, mid, leaf = line(store, ws, 3)
    other = client(store, ws, "Other")
    refer(store, ws, mid, other)
    store.delete_client(ws.id, mid.id, DeletePolicy.RELINK)
    assert [s.source for s in store.chain(ws.id, leaf.id).steps] == [by(top)]
    assert {n.client_id for n in store.tree(ws.id, by(top)).nodes} == {leaf.id, other.id}
    assert store.source_history(ws.id, leaf.id)[0].current == by(top)
    assert all(mid.id not in (r.source.id, r.client_id) for r in store.list_referrals(ws.id))


def test_delete_client_detaches_children(store: Store, ws: Workspace) -> None:
    top, mid, leaf = line(store, ws, 3)
    second = client(store, ws, "Second")
    refer(store, ws, mid, second)
    refer(store, ws, top, second)  # secondary, survives
    store.delete_client(ws.id, mid.id, DeletePolicy.DETACH)
    assert store.chain(ws.id, leaf.id).steps == ()
    assert [r.source for r in store.list_referrals(ws.id, client_id=second.id)] == [by(top)]
    assert [n.client_id for n in store.tree(ws.id, by(top)).nodes] == []  # top's link to second is secondary


def test_add_referrals_in_bulk(store: Store, ws: Workspace) -> None:
    a, b, c = client(store, ws, "A"), client(store, ws, "B"), client(store, ws, "C")
    blog = store.create_channel(ws.id, ChannelInput(name="Blog"))
    rows = [
        ReferralInput(SourceRef(SourceKind.CHANNEL, blog.id), a.id, D),
        ReferralInput(by(a), b.id, D),
        ReferralInput(by(b), c.id, D),
        ReferralInput(by(a), c.id, D),  # secondary: c already has b
    ]
    result = store.add_referrals(ws.id, rows)
    assert (result.created, result.unchanged) == (4, 0)
    assert [r.primary for r in sorted(store.list_referrals(ws.id), key=lambda r: result.ids.index(r.id))] == [
        True,
        True,
        True,
        False,
    ]
    again = store.add_referrals(ws.id, rows)
    assert (again.created, again.unchanged) == (0, 4)
    assert len(store.list_referrals(ws.id)) == 4


def test_add_referrals_is_all_or_nothing_and_names_the_row(store: Store, ws: Workspace) -> None:
    people = [client(store, ws, f"p{i}") for i in range(4)]
    before = snapshot(store, ws)
    rows = [ReferralInput(by(people[i]), people[i + 1].id, D) for i in range(3)]
    rows.append(ReferralInput(by(people[3]), people[0].id, D))  # closes a ring inside the batch
    with pytest.raises(Invalid) as e:
        store.add_referrals(ws.id, rows)
    assert e.value.field == "rows[3].source_id" and "cycle" in e.value.reason
    with pytest.raises(Invalid) as e:
        store.add_referrals(ws.id, [rows[0], ReferralInput(by(people[1]), "cl_ghost", D)])
    assert e.value.field == "rows[1].client_id"
    assert snapshot(store, ws) == before


# -- traversals ------------------------------------------------------------------------


def test_chain_levels_dates_and_channel_root(store: Store, ws: Workspace) -> None:
    blog = store.create_channel(ws.id, ChannelInput(name="Blog"))
    a, b, c = client(store, ws, "A"), client(store, ws, "B"), client(store, ws, "C")
    refer(store, ws, SourceRef(SourceKind.CHANNEL, blog.id), a, date(2023, 1, 1))
    refer(store, ws, a, b, date(2023, 6, 1))
    refer(store, ws, b, c, date(2024, 1, 1))
    chain = store.chain(ws.id, c.id)
    assert [(s.level, s.source, s.name, s.referred_on) for s in chain.steps] == [
        (1, by(b), "B", date(2024, 1, 1)),
        (2, by(a), "A", date(2023, 6, 1)),
        (3, SourceRef(SourceKind.CHANNEL, blog.id), "Blog", date(2023, 1, 1)),
    ]
    assert not chain.truncated
    assert store.chain(ws.id, a.id).steps[0].source.kind is SourceKind.CHANNEL


def test_a_chain_is_whole_unless_asked_for_less_and_then_says_where_it_ends(store: Store, ws: Workspace) -> None:
    people = line(store, ws, 10)  # people[9] is at level 9 below people[0]
    chain = store.chain(ws.id, people[9].id)
    assert [s.source.id for s in chain.steps] == [p.id for p in reversed(people[:9])]
    assert [s.level for s in chain.steps] == list(range(1, 10))
    assert (chain.levels, chain.truncated, chain.top) == (9, False, chain.steps[-1])
    cut = store.chain(ws.id, people[9].id, depth=3)
    assert [s.level for s in cut.steps] == [1, 2, 3] and cut.truncated
    assert (cut.levels, cut.top) == (9, chain.top) and cut.top.source.id == people[0].id
    assert store.chain(ws.id, people[9].id, depth=9) == chain  # deeper than seven is a view like any other
    assert store.chain(ws.id, people[0].id).top is None
    for bad in (0, 51):
        with pytest.raises(Invalid) as e:
            store.chain(ws.id, people[9].id, depth=bad)
        assert e.value.field == "depth"
    with pytest.raises(NotFound):
        store.chain(ws.id, "cl_ghost")


def test_a_tree_is_whole_unless_asked_for_less_and_then_says_what_lies_beyond(store: Store, ws: Workspace) -> None:
    people = line(store, ws, 10)
    extra = client(store, ws, "extra")
    refer(store, ws, people[0], extra)
    for i, (amount, currency) in enumerate([(100, "EUR"), (250, "EUR"), (7, "USD")]):
        store.create_deal(ws.id, DealInput(people[7 + i].id, Money(amount, currency), D))
    store.create_deal(ws.id, DealInput(people[3].id, Money(50, "EUR"), D))
    whole = store.tree(ws.id, by(people[0]))
    tree = whole.nodes
    assert sorted((n.level, n.client_id) for n in tree)[:2] == sorted([(1, people[1].id), (1, extra.id)])
    assert max(n.level for n in tree) == 9 and len(tree) == 10 and whole.depth is None and not whole.beyond
    assert all(not n.beyond for n in tree)
    cut = store.tree(ws.id, by(people[0]), depth=7)
    assert max(n.level for n in cut.nodes) == 7 and len(cut.nodes) == 8 and cut.depth == 7
    assert (cut.beyond.clients, dict(cut.beyond.revenue)) == (2, {"EUR": 250, "USD": 7})
    (last,) = [n for n in cut.nodes if n.level == 7]
    assert last.client_id == people[7].id and last.referred == 1  # fan-out counts past the cut too
    assert (last.beyond.clients, dict(last.beyond.revenue)) == (2, {"EUR": 250, "USD": 7})
    assert all(not n.beyond for n in cut.nodes if n.level < 7)
    short = store.tree(ws.id, by(people[0]), depth=2)
    assert {n.client_id for n in short.nodes} == {people[1].id, people[2].id, extra.id}
    assert (short.beyond.clients, dict(short.beyond.revenue)) == (7, {"EUR": 400, "USD": 7})
    assert store.tree(ws.id, by(people[9])).nodes == ()
    with pytest.raises(Invalid):
        store.tree(ws.id, by(people[0]), depth=51)
    with pytest.raises(NotFound):
        store.tree(ws.id, by("cl_ghost"))
    with pytest.raises(NotFound):
        store.tree(ws.id, SourceRef(SourceKind.CHANNEL, "ch_ghost"))


def test_a_cut_tree_sums_what_lies_beyond_per_branch(store: Store, ws: Workspace) -> None:
    """Two branches cut at level 1: each last-level node carries its own branch past the cut."""
    blog = store.create_channel(ws.id, ChannelInput(name="Blog"))
    a, b = client(store, ws, "A"), client(store, ws, "B")
    refer(store, ws, SourceRef(SourceKind.CHANNEL, blog.id), a)
    refer(store, ws, SourceRef(SourceKind.CHANNEL, blog.id), b)
    below_a = [client(store, ws, f"a{i}") for i in range(3)]
    for x in below_a:
        refer(store, ws, a, x)
    deep = client(store, ws, "deep")
    refer(store, ws, below_a[0], deep)
    store.create_deal(ws.id, DealInput(deep.id, Money(999, "RUB"), D))
    store.create_deal(ws.id, DealInput(b.id, Money(5, "RUB"), D))
    tree = store.tree(ws.id, SourceRef(SourceKind.CHANNEL, blog.id), depth=1)
    got = {n.client_id: (n.beyond.clients, dict(n.beyond.revenue)) for n in tree.nodes}
    assert got == {a.id: (4, {"RUB": 999}), b.id: (0, {})}
    assert (tree.beyond.clients, dict(tree.beyond.revenue)) == (4, {"RUB": 999})


def test_tree_of_a_channel(store: Store, ws: Workspace) -> None:
    blog = store.create_channel(ws.id, ChannelInput(name="Blog"))
    a, b = client(store, ws, "A"), client(store, ws, "B")
    refer(store, ws, SourceRef(SourceKind.CHANNEL, blog.id), a)
    refer(store, ws, a, b)
    tree = store.tree(ws.id, SourceRef(SourceKind.CHANNEL, blog.id)).nodes
    assert [(n.level, n.client_id, n.parent) for n in tree] == [
        (1, a.id, SourceRef(SourceKind.CHANNEL, blog.id)),
        (2, b.id, by(a)),
    ]


def test_chain_and_tree_are_one_query_each(store: Store, ws: Workspace) -> None:
    people = line(store, ws, 9)
    before = store.query_count
    store.chain(ws.id, people[-1].id)
    assert store.query_count - before == 1
    before = store.query_count
    store.tree(ws.id, by(people[0]))
    assert store.query_count - before == 1


# -- access tokens and idempotency -----------------------------------------------------


def test_tokens_store_only_hashes_and_stay_in_their_workspace(store: Store, ws: Workspace) -> None:
    from referrals.access import Role, hash_secret, new_secret

    secret = new_secret()
    token = store.create_token(ws.id, Role.EDITOR, "laptop", hash_secret(secret))
    assert store.find_token(hash_secret(secret)) == token
    assert store.find_token(hash_secret(new_secret())) is None
    assert store.list_tokens(ws.id) == [token]
    other = store.create_workspace(unique("other"))
    assert store.list_tokens(other.id) == []
    with pytest.raises(NotFound):
        store.revoke_token(other.id, token.id)
    store.revoke_token(ws.id, token.id)
    assert store.find_token(hash_secret(secret)) is None
    with pytest.raises(NotFound):
        store.create_token("ws_nope", Role.OWNER, "x", hash_secret(new_secret()))


def test_a_caller_is_its_token_with_its_workspaces_revision_in_one_read(store: Store, ws: Workspace) -> None:
    from referrals.access import Role, hash_secret, new_secret
    from referrals.model import ClientInput

    secret = new_secret()
    token = store.create_token(ws.id, Role.VIEWER, "phone", hash_secret(secret))
    sent = store.query_count
    caller = store.find_caller(hash_secret(secret))
    assert store.query_count - sent == 1
    assert caller is not None and caller.token == token and caller.revision == store.revision(ws.id)
    store.create_client(ws.id, ClientInput(name="Ana"))
    after = store.find_caller(hash_secret(secret))
    assert after is not None and after.revision == store.revision(ws.id) > caller.revision
    assert store.find_caller(hash_secret(new_secret())) is None
    store.revoke_token(ws.id, token.id)
    assert store.find_caller(hash_secret(secret)) is None


def test_a_callers_check_goes_with_a_chain_or_a_tree_and_is_settled_before_its_answer(
    store: Store, ws: Workspace
) -> None:
    from referrals.access import Caller, CallerCheck, Role, hash_secret, new_secret
    from referrals.model import ClientInput, ReferralInput, SourceKind, SourceRef

    top = store.create_client(ws.id, ClientInput(name="Ana")).id
    child = store.create_client(ws.id, ClientInput(name="Bo")).id
    store.record_referral(ws.id, ReferralInput(SourceRef(SourceKind.CLIENT, top), child, date(2026, 1, 5)))
    secret = new_secret()
    token = store.create_token(ws.id, Role.VIEWER, "phone", hash_secret(secret))
    other = store.create_workspace(unique("other"))
    events: list[object] = []

    def check(token_hash: str, workspace: str) -> CallerCheck:
        def settle(found: Caller | None) -> None:  # as the API's: the token, in the workspace expected
            events.append(found)
            if found is None or found.token.workspace_id != workspace:
                raise PermissionError("refused")

        return CallerCheck(token_hash, workspace, settle)

    # a valid token: settled with the token and the workspace's revision, then the answer
    for read in (lambda: store.chain(ws.id, child), lambda: store.tree(ws.id, SourceRef(SourceKind.CLIENT, top))):
        events.clear()
        c = check(hash_secret(secret), ws.id)
        sent = store.query_count
        with store.checking(c):
            events.append(read())
        # one statement where the store sends the check with the read (Neo4j), two where it reads it first
        assert store.query_count - sent == (1 if store.kind == "neo4j" else 2)
        assert c.settled and events[0] == Caller(token, store.revision(ws.id)) and len(events) == 2
    # unknown, revoked or another workspace's: refused before any answer
    stranger = hash_secret(new_secret())
    for token_hash, workspace in ((stranger, ws.id), (hash_secret(secret), other.id)):
        events.clear()
        with pytest.raises(PermissionError), store.checking(check(token_hash, workspace)):
            events.append(store.chain(workspace, child))
        assert len(events) == 1  # the settle only; no chain came back
    assert events[0] is not None and events[0].token == token  # found by its hash: another workspace's
    # a valid token and a read of nothing: settled with the caller, then the read's own answer
    events.clear()
    with pytest.raises(NotFound), store.checking(check(hash_secret(secret), ws.id)):
        store.chain(ws.id, "cl_00000000000000000000000000")
    assert events == [Caller(token, store.revision(ws.id))]
    # a block that reads nothing settles at its end; a settled check is not sent again
    c = check(hash_secret(secret), ws.id)
    with store.checking(c):
        pass
    assert c.settled and len(events) == 2
    sent = store.query_count
    with store.checking(c):
        store.chain(ws.id, child)
    assert store.query_count - sent == 1 and len(events) == 2
    store.revoke_token(ws.id, token.id)
    events.clear()
    with pytest.raises(PermissionError), store.checking(check(hash_secret(secret), ws.id)):
        events.append(store.tree(ws.id, SourceRef(SourceKind.CLIENT, top)))
    assert events == [None]


def test_idempotency_keys(store: Store, ws: Workspace) -> None:
    assert store.claim_idempotency_key(ws.id, "k1", "fp") is None
    pending = store.claim_idempotency_key(ws.id, "k1", "fp")
    assert pending is not None and pending.status is None and pending.fingerprint == "fp"
    store.save_idempotent_response(ws.id, "k1", 201, '{"id": 1}', "/x/1")
    done = store.claim_idempotency_key(ws.id, "k1", "other")
    assert done is not None and (done.status, done.body, done.location, done.fingerprint) == (
        201,
        '{"id": 1}',
        "/x/1",
        "fp",
    )
    other = store.create_workspace(unique("other"))
    assert store.claim_idempotency_key(other.id, "k1", "fp") is None  # keys are per workspace
    store.release_idempotency_key(ws.id, "k1")
    assert store.claim_idempotency_key(ws.id, "k1", "fp2") is None


def test_list_referrals_pages(store: Store, ws: Workspace) -> None:
    people = line(store, ws, 6)
    first = store.list_referrals(ws.id, limit=2)
    rest = store.list_referrals(ws.id, limit=10, after=first[-1].id)
    assert [r.id for r in first + rest] == [r.id for r in store.list_referrals(ws.id)]
    assert len(first) == 2 and len(rest) == len(people) - 3


def test_tree_carries_revenue_and_fan_out(store: Store, ws: Workspace) -> None:
    top, mid, leaf = line(store, ws, 3)
    side = client(store, ws, "Side")
    refer(store, ws, top, side)
    for c, amount, currency in [(top, "10", "EUR"), (mid, "5.50", "EUR"), (mid, "100", "JPY"), (leaf, "-1", "EUR")]:
        store.create_deal(
            ws.id,
            DealInput.parse({"client_id": c.id, "amount": amount, "currency": currency, "closed_on": "2024-01-01"}),
        )
    tree = store.tree(ws.id, by(top), depth=1)
    assert (tree.name, tree.revenue, tree.referred, tree.depth) == ("p0", {"EUR": 1000}, 2, 1)
    nodes = {n.client_id: n for n in tree.nodes}
    assert set(nodes) == {mid.id, side.id}
    assert nodes[mid.id].revenue == {"EUR": 550, "JPY": 100} and nodes[mid.id].referred == 1  # leaf is below the cap
    assert nodes[side.id].revenue == {} and nodes[side.id].referred == 0
    assert store.tree(ws.id, by(leaf)).revenue == {"EUR": -100}


def test_snapshot_holds_the_whole_workspace(store: Store, ws: Workspace) -> None:
    a, b = client(store, ws, "A"), client(store, ws, "B")
    blog = store.create_channel(ws.id, ChannelInput(name="Blog"))
    refer(store, ws, SourceRef(SourceKind.CHANNEL, blog.id), a)
    refer(store, ws, a, b)
    store.create_deal(ws.id, DealInput(b.id, Money(250, "USD"), D))
    store.create_deal(ws.id, DealInput(b.id, Money(50, "USD"), D))
    snap = store.snapshot(ws.id)
    assert [c.id for c in snap.clients] == [a.id, b.id] and [c.id for c in snap.channels] == [blog.id]
    assert [(r.source.id, r.client_id, r.primary) for r in snap.referrals] == [
        (blog.id, a.id, True),
        (a.id, b.id, True),
    ]
    assert snap.revenue == {b.id: {"USD": 300}}
    other = store.create_workspace(unique("other"))
    assert store.snapshot(other.id).clients == ()


# -- attribution input ------------------------------------------------------------------


def test_period_deals_with_uplines(store: Store, ws: Workspace) -> None:
    blog = store.create_channel(ws.id, ChannelInput(name="Blog"))
    people = [client(store, ws, f"p{i}", status="inactive" if i == 1 else "active") for i in range(10)]
    refer(store, ws, SourceRef(SourceKind.CHANNEL, blog.id), people[0], date(2020, 1, 1))
    for i in range(9):
        refer(store, ws, people[i], people[i + 1], date(2021, 1, i + 1))
    loner = client(store, ws, "loner")
    d_in = [
        store.create_deal(ws.id, DealInput(people[9].id, Money(500, "EUR"), date(2024, 3, 1))),
        store.create_deal(ws.id, DealInput(people[9].id, Money(-100, "EUR"), date(2024, 3, 31))),
        store.create_deal(ws.id, DealInput(loner.id, Money(7, "JPY"), date(2024, 3, 15))),
    ]
    store.create_deal(ws.id, DealInput(people[9].id, Money(1, "EUR"), date(2024, 4, 1)))  # outside
    before = store.query_count
    got = store.period(ws.id, date(2024, 3, 1), date(2024, 3, 31)).deals
    assert store.query_count - before == 1
    assert [d.id for d, _ in got] == sorted(d.id for d in d_in)
    by_id = {d.id: (d, up) for d, up in got}
    deal, upline = by_id[d_in[0].id]
    assert (deal.amount, deal.currency, deal.closed_on, deal.client_id) == (500, "EUR", date(2024, 3, 1), people[9].id)
    assert [s.name for s in upline] == [f"p{i}" for i in range(8, -1, -1)] + ["Blog"]  # uncapped, nearest first
    assert upline[0].referred_on == date(2021, 1, 9) and upline[-1].referred_on == date(2020, 1, 1)
    assert [s.active for s in upline if s.name == "p1"] == [False]
    assert by_id[d_in[2].id][1] == ()


def test_period_walks_long_and_shared_chains_to_their_top(store: Store, ws: Workspace) -> None:
    """Chains past the month query's unrolled levels, sharing their upper part, end at their channel."""
    fair = store.create_channel(ws.id, ChannelInput(name="Fair"))
    spine = line(store, ws, 31)  # p0 at the top ... p30 thirty levels down
    refer(store, ws, SourceRef(SourceKind.CHANNEL, fair.id), spine[0], date(2020, 1, 1))
    twig = client(store, ws, "twig")  # hangs off p17: shares p0..p17 with the spine
    refer(store, ws, spine[17], twig)
    payers = [spine[0], spine[5], spine[12], spine[13], spine[30], twig]
    deals = {c.id: store.create_deal(ws.id, DealInput(c.id, Money(100, "EUR"), date(2024, 3, 2))).id for c in payers}
    got = dict(store.period(ws.id, date(2024, 3, 1), date(2024, 3, 31)).deals)
    uplines = {d.client_id: [s.name for s in up] for d, up in got.items()}
    for c in payers:
        if c is twig:
            continue
        level = int(c.name[1:])
        assert uplines[c.id] == [f"p{i}" for i in range(level - 1, -1, -1)] + ["Fair"], c.name
    assert uplines[twig.id] == [f"p{i}" for i in range(17, -1, -1)] + ["Fair"]
    assert sorted(d.id for d in got) == sorted(deals.values())
    # one date object per day, shared by the deals (a month's facts hold a few thousand days, not
    # hundreds of thousands of dates)
    assert len({id(d.closed_on) for d in got}) == 1


def test_period_arrivals_by_acquired_on_or_recommendation_date(store: Store, ws: Workspace) -> None:
    blog = SourceRef(SourceKind.CHANNEL, store.create_channel(ws.id, ChannelInput(name="Blog")).id)
    a = client(store, ws, "a")
    b = client(store, ws, "b")  # recommended in March, no acquired_on: arrives in March
    c = client(store, ws, "c", acquired_on="2024-03-20")  # acquired_on wins over its April recommendation
    d = client(store, ws, "d", acquired_on="2024-02-10")  # recommended in March but acquired earlier: not new
    e = client(store, ws, "e", acquired_on="2024-03-31")  # no source at all
    client(store, ws, "f")  # neither date: never counted
    refer(store, ws, blog, a, date(2024, 1, 5))
    refer(store, ws, a, b, date(2024, 3, 1))
    refer(store, ws, b, c, date(2024, 4, 2))
    refer(store, ws, a, d, date(2024, 3, 9))
    store.record_referral(ws.id, ReferralInput(by(d), b.id, date(2024, 3, 15)))  # secondary: not an arrival
    before = store.query_count
    facts = store.period(ws.id, date(2024, 3, 1), date(2024, 3, 31))
    assert store.query_count - before == 1
    assert [(x.client_id, x.arrived_on) for x in facts.arrivals] == sorted(
        [(b.id, date(2024, 3, 1)), (c.id, date(2024, 3, 20)), (e.id, date(2024, 3, 31))]
    )
    uplines = {x.client_id: [s.name for s in x.upline] for x in facts.arrivals}
    assert uplines == {b.id: ["a", "Blog"], c.id: ["b", "a", "Blog"], e.id: []}
    assert facts.deals == ()


# -- closed months ------------------------------------------------------------------------


def test_a_closed_month_keeps_its_statement_and_refuses_deal_edits(store: Store, ws: Workspace) -> None:
    from referrals.attribution import Model, row_values, statement

    a, b, c = client(store, ws, "a"), client(store, ws, "b"), client(store, ws, "c")
    refer(store, ws, a, b, date(2024, 1, 5))
    sale = store.create_deal(ws.id, DealInput(b.id, Money(1000, "EUR"), date(2024, 3, 10)))
    later = store.create_deal(ws.id, DealInput(b.id, Money(500, "EUR"), date(2024, 4, 10)))

    def export(month: str) -> list[dict[str, object]]:
        facts, _ = store.month_facts(ws.id, month)
        return [row_values(r) for r in statement(facts, Model.LINEAR)]

    march = export("2024-03")
    closed = store.close_month(ws.id, "2024-03")
    assert (closed.month, closed.deals, closed.new_clients) == ("2024-03", 1, 0)
    assert closed.checksum.startswith("sha256:") and len(closed.checksum) == 71
    assert [m.month for m in store.list_closed_months(ws.id)] == ["2024-03"]
    with pytest.raises(Conflict) as err:
        store.close_month(ws.id, "2024-03")
    assert err.value.errors[0].field == "month"

    # the graph changes: a new top for b's chain, a re-attribution, a renamed source
    refer(store, ws, c, a, date(2024, 1, 1))
    store.update_client(ws.id, a.id, ClientPatch.parse({"name": "a renamed"}))
    assert export("2024-03") == march  # frozen
    assert export("2024-04") != []  # open months follow the graph
    assert {r["source_name"] for r in export("2024-04")} == {"a renamed", "c"}

    for attempt in (
        lambda: store.create_deal(ws.id, DealInput(b.id, Money(1, "EUR"), date(2024, 3, 31))),
        lambda: store.update_deal(ws.id, sale.id, DealPatch.parse({"amount": "11.00", "currency": "EUR"})),
        lambda: store.update_deal(ws.id, later.id, DealPatch.parse({"closed_on": "2024-03-02"})),
        lambda: store.delete_deal(ws.id, sale.id),
        lambda: store.upsert_deals(ws.id, [DealInput(b.id, Money(7, "EUR"), date(2024, 3, 3), external_id="inv-1")]),
    ):
        with pytest.raises(Conflict) as err:
            attempt()
        assert err.value.errors[0].field == "closed_on"
        assert "2024-03 is closed" in err.value.errors[0].reason
    assert [d.id for d in store.list_deals(ws.id, DealQuery()).items] == [sale.id, later.id]
    assert store.get_deal(ws.id, sale.id).amount == Money(1000, "EUR")
    store.update_deal(ws.id, later.id, DealPatch.parse({"amount": "6.00", "currency": "EUR"}))  # April is open

    store.reopen_month(ws.id, "2024-03")
    assert store.list_closed_months(ws.id) == []
    assert export("2024-03") != march  # follows the graph again
    store.delete_deal(ws.id, sale.id)
    with pytest.raises(NotFound):
        store.reopen_month(ws.id, "2024-03")


def test_closed_months_are_per_workspace(store: Store, ws: Workspace) -> None:
    other = store.create_workspace(unique("other"))
    store.close_month(ws.id, "2024-05")
    b = store.create_client(other.id, ClientInput(name="b"))
    store.create_deal(other.id, DealInput(b.id, Money(5, "USD"), date(2024, 5, 5)))  # not closed there
    assert store.list_closed_months(other.id) == []
    facts, closed = store.month_facts(other.id, "2024-05")
    assert closed is None and len(facts.deals) == 1


# -- a client's phone ---------------------------------------------------------------------


def test_a_phone_is_stored_in_e164_found_as_written_patched_and_cleared(store: Store, ws: Workspace) -> None:
    ana = client(store, ws, "Ana", phone="8 (916) 123-45-67")  # a Russian number without its code (the default)
    assert ana.phone == "+79161234567" and store.get_client(ws.id, ana.id).phone == "+79161234567"
    client(store, ws, "Bo", phone="+44 20 7946 0958")
    found = store.list_clients(ws.id, ClientQuery(text="+7 916 123 45 67")).items
    assert [c.id for c in found] == [ana.id]
    moved = store.update_client(ws.id, ana.id, ClientPatch.parse({"phone": "+49 30 901820"}))
    assert moved.phone == "+4930901820" == store.get_client(ws.id, ana.id).phone
    assert store.update_client(ws.id, ana.id, ClientPatch.parse({"notes": "x"})).phone == "+4930901820"
    assert store.update_client(ws.id, ana.id, ClientPatch.parse({"phone": None})).phone is None
    assert store.get_client(ws.id, ana.id).phone is None
    cy = ClientInput.parse({"name": "Cy", "external_id": "c1", "phone": "+1 212 555 0100"})
    result = store.upsert_clients(ws.id, [cy])
    assert store.get_client(ws.id, result.ids[0]).phone == "+12125550100"
    snap = {c.name: c.phone for c in store.snapshot(ws.id).clients}
    assert snap == {"Ana": None, "Bo": "+442079460958", "Cy": "+12125550100"}


def test_a_phone_that_is_no_number_is_refused_and_changes_nothing(store: Store, ws: Workspace) -> None:
    before = snapshot(store, ws)
    for bad in ("call me", "+7 12", "12345678901234567890123"):
        with pytest.raises(Invalid) as e:
            client(store, ws, "Ana", phone=bad)
        assert [err.field for err in e.value.errors] == ["phone"]
    assert snapshot(store, ws) == before


# -- dates and months as every entry point sees them --------------------------------------------


def test_a_date_no_place_has_reached_is_refused_by_every_write(store: Store, ws: Workspace) -> None:
    a, b = client(store, ws, "A"), client(store, ws, "B")
    future = clock.latest_today() + timedelta(days=1)
    refused = [
        lambda: refer(store, ws, a, b, on=future),
        lambda: store.add_referrals(ws.id, [ReferralInput(by(a), b.id, D), ReferralInput(by(b), a.id, future)]),
        lambda: store.create_deal(ws.id, DealInput(a.id, Money(1, "EUR"), future)),
        lambda: store.upsert_deals(ws.id, [DealInput(a.id, Money(1, "EUR"), future, external_id="x")]),
        lambda: store.create_client(ws.id, ClientInput(name="C", acquired_on=future)),
        lambda: store.upsert_clients(ws.id, [ClientInput(name="C", external_id="c", acquired_on=future)]),
        lambda: store.put_client(ws.id, ClientInput(name="C", external_id="c", acquired_on=future)),
        lambda: store.update_client(ws.id, a.id, ClientPatch.parse({"acquired_on": future.isoformat()})),
    ]
    before = snapshot(store, ws)
    for write in refused:
        with pytest.raises(Invalid) as e:
            write()
        assert "is in the future" in e.value.reason and e.value.field.split(".")[-1] in (
            "referred_on",
            "closed_on",
            "acquired_on",
        )
    assert snapshot(store, ws) == before  # nothing written
    deal = store.create_deal(ws.id, DealInput(a.id, Money(1, "EUR"), clock.latest_today()))  # today somewhere: fine
    with pytest.raises(Invalid) as e:
        store.update_deal(ws.id, deal.id, DealPatch.parse({"closed_on": future.isoformat()}))
    assert e.value.field == "closed_on"
    with pytest.raises(Invalid) as bulk:
        store.add_referrals(ws.id, [ReferralInput(by(a), b.id, D), ReferralInput(by(b), a.id, future)])
    assert bulk.value.field == "rows[1].referred_on"  # a bulk write names the row


def test_a_cycle_refusal_names_the_people(store: Store, ws: Workspace) -> None:
    ana, bruno = client(store, ws, "Ana Lima"), client(store, ws, "Bruno Costa")
    refer(store, ws, ana, bruno)
    with pytest.raises(Conflict) as e:
        refer(store, ws, bruno, ana)
    assert f"Ana Lima ({ana.id}) already brought in Bruno Costa ({bruno.id})" in e.value.reason
    with pytest.raises(Invalid) as bulk:
        store.add_referrals(ws.id, [ReferralInput(by(bruno), ana.id, D)])
    assert f"Ana Lima ({ana.id}) already brought in Bruno Costa ({bruno.id})" in bulk.value.reason


def test_only_a_month_over_everywhere_can_be_closed(store: Store, ws: Workspace) -> None:
    a = client(store, ws, "A")
    today = clock.earliest_today()
    running, following = today.strftime("%Y-%m"), (today.replace(day=28) + timedelta(days=5)).strftime("%Y-%m")
    for month in (running, following, "9999-12"):  # the calendar's last month too (its end has no next day)
        with pytest.raises(Invalid) as e:
            store.close_month(ws.id, month)
        assert e.value.field == "month" and "is not over yet" in e.value.reason
    assert store.list_closed_months(ws.id) == []
    store.create_deal(ws.id, DealInput(a.id, Money(1, "EUR"), today))  # today's deal still goes in
    last = (today.replace(day=1) - timedelta(days=1)).strftime("%Y-%m")
    assert store.close_month(ws.id, last).month == last


# -- workspaces by name --------------------------------------------------------------------------


def test_workspace_names_are_unique_and_find_by_name_or_id(store: Store) -> None:
    name = unique("Design Studio")
    ws = store.create_workspace(f"  {name} ")
    assert ws.name == name
    assert store.find_workspace(name.upper()) == ws == store.find_workspace(ws.id)
    with pytest.raises(Conflict) as e:
        store.create_workspace(name.lower())
    assert e.value.field == "name" and ws.id in e.value.reason
    for bad in ("", "   ", ws.id):
        with pytest.raises(Invalid):
            store.create_workspace(bad)
    with pytest.raises(NotFound) as missing:
        store.find_workspace("Desing Studio")
    assert missing.value.field == "workspace"
    renamed = store.rename_workspace(ws.id, name + " Moscow")
    assert store.find_workspace(name + " moscow").id == ws.id and renamed.name == name + " Moscow"
    other = store.create_workspace(unique("Other"))
    with pytest.raises(Conflict):
        store.rename_workspace(other.id, name + " MOSCOW")
    assert store.rename_workspace(ws.id, name + " moscow").name == name + " moscow"  # its own name, recased


def test_a_workspace_with_data_is_deleted_only_when_forced_and_then_wholly(store: Store) -> None:
    ws = store.create_workspace(unique("Doomed"))
    a, b = client(store, ws, "A"), client(store, ws, "B")
    refer(store, ws, a, b)
    store.create_deal(ws.id, DealInput(a.id, Money(100, "RUB"), D))
    token = store.create_token(ws.id, Role.OWNER, "t", "hash-" + ws.id)
    assert store.workspace_counts(ws.id) == {"clients": 2, "channels": 0, "referrals": 1, "deals": 1}
    with pytest.raises(Conflict) as e:
        store.delete_workspace(ws.id)
    assert "back it up first" in e.value.reason and store.get_workspace(ws.id) == ws
    kept = store.create_workspace(unique("Kept"))
    client(store, kept, "Stays")
    assert store.delete_workspace(ws.id, force=True)["clients"] == 2
    with pytest.raises(NotFound):
        store.get_workspace(ws.id)
    assert store.find_token("hash-" + ws.id) is None and token.workspace_id == ws.id
    assert store.sweep_unfinished() == []  # nothing left to sweep
    assert [c.name for c in store.list_clients(kept.id, ClientQuery()).items] == ["Stays"]
    empty = store.create_workspace(unique("Empty"))
    assert store.delete_workspace(empty.id) == {"clients": 0, "channels": 0, "referrals": 0, "deals": 0}
