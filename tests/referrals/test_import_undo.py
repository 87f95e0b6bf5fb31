"""Every import is a batch that `undo` takes back exactly, on both stores — and refuses to take back,
naming each, while later changes depend on it."""

from __future__ import annotations

import io
from datetime import date

import pytest

from referrals.errors import Conflict, NotFound
from referrals.importing import Parsed, plan_files, read_file
from referrals.model import (
    ClientInput,
    ClientPatch,
    ClientQuery,
    DealInput,
    ReferralInput,
    SourceKind,
    SourceRef,
    Workspace,
)
from referrals.money import Money
from referrals.store import Store
from referrals.usecases.transfer import backup

CLIENTS = (
    "name,email,phone,referred by,acquired on\n"
    "Анна Иванова,anna@example.org,,,2024-01-10\n"
    "Борис Петров,,+7 916 123-45-67,Анна Иванова,2024-02-01\n"
    "Вера,,,Борис Петров,2024-03-05\n"
)
DEALS = 'client,amount,currency,closed on\nБорис Петров,"1 250,00",RUB,2024-02-20\nВера,99.90,EUR,2024-03-15\n'


def imported(store: Store, ws: Workspace, *files: tuple[str, str]):
    parsed = Parsed()
    for name, text in files:
        parsed.add(read_file(name, text.encode()))
    changes = store.run_import(ws.id, lambda view: plan_files(parsed, view), files=[n for n, _ in files])
    assert changes.problems == [], [str(p) for p in changes.problems]
    return changes


def backup_bytes(store: Store, ws: Workspace) -> bytes:
    out = io.BytesIO()
    backup(store, ws.id, out)
    return out.getvalue()


def named(store: Store, ws: Workspace, name: str):
    (c,) = store.list_clients(ws.id, ClientQuery(text=name)).items
    return c


def test_undo_removes_what_an_import_created_and_restores_what_it_updated(store: Store, ws: Workspace) -> None:
    imported(store, ws, ("first.csv", "name,email\nАнна Иванова,anna@example.org\nГлеб,gleb@example.org\n"))
    start = backup_bytes(store, ws)
    changes = imported(store, ws, ("clients.csv", CLIENTS), ("deals.csv", DEALS))
    assert changes.batch and changes.batch.startswith("im_")
    assert changes.summary["clients"]["updated"] == 1  # Анна gets her acquired date
    assert backup_bytes(store, ws) != start

    newest, first = store.import_batches(ws.id)
    assert newest.id == changes.batch and newest.files == ("clients.csv", "deals.csv")
    assert newest.summary["clients"] == {"created": 2, "updated": 1}
    assert newest.summary["deals"] == {"created": 2, "updated": 0} and newest.undone_at is None
    assert first.files == ("first.csv",) and newest.payload is None

    done = store.undo_import(ws.id, changes.batch)
    assert done.removed == {"channels": 0, "clients": 2, "referrals": 2, "deals": 2}
    assert done.restored == {"channels": 0, "clients": 1, "deals": 0}
    assert backup_bytes(store, ws) == start  # byte for byte what the workspace held before
    assert named(store, ws, "Анна").acquired_on is None
    assert store.import_batches(ws.id)[0].undone_at is not None

    with pytest.raises(Conflict) as again:
        store.undo_import(ws.id, changes.batch)
    assert "undone already" in again.value.reason
    with pytest.raises(NotFound) as missing:
        store.undo_import(ws.id, "im_00000000000000000000000000")
    assert missing.value.field == "batch"

    redo = imported(store, ws, ("clients.csv", CLIENTS), ("deals.csv", DEALS))  # the same files redo it
    assert redo.writes == changes.writes and redo.batch != changes.batch


def test_undo_is_refused_while_later_changes_depend_on_it_and_changes_nothing(store: Store, ws: Workspace) -> None:
    changes = imported(store, ws, ("clients.csv", CLIENTS), ("deals.csv", DEALS))
    vera, boris = named(store, ws, "Вера"), named(store, ws, "Борис")
    gleb = store.create_client(ws.id, ClientInput.parse({"name": "Глеб"}))
    store.record_referral(ws.id, ReferralInput(SourceRef(SourceKind.CLIENT, vera.id), gleb.id, date(2024, 4, 1)))
    store.create_deal(ws.id, DealInput(boris.id, Money(500, "RUB"), date(2024, 4, 2)))
    store.update_client(ws.id, vera.id, ClientPatch.parse({"notes": "called back"}))
    store.close_month(ws.id, "2024-03")
    before = backup_bytes(store, ws)

    with pytest.raises(Conflict) as refused:
        store.undo_import(ws.id, changes.batch)
    reasons = [e.reason for e in refused.value.errors]
    assert any("Вера" in r and "Глеб" in r and "recorded since" in r for r in reasons), reasons
    assert any(r.startswith("deal ") and "Борис Петров" in r for r in reasons), reasons
    assert f"client Вера ({vera.id}) it created was changed since" in reasons
    assert any("2024-03 is closed" in r for r in reasons), reasons
    assert len(reasons) == 4 and "4 later changes depend on it" in refused.value.message
    assert backup_bytes(store, ws) == before  # the refusal wrote nothing
    assert store.import_batches(ws.id)[0].undone_at is None


def test_undo_of_an_earlier_import_waits_for_the_later_one_that_builds_on_it(store: Store, ws: Workspace) -> None:
    start = backup_bytes(store, ws)
    first = imported(store, ws, ("clients.csv", CLIENTS))
    second = imported(store, ws, ("more.csv", "name,referred by,acquired on\nДина,Вера,2024-05-01\n"))
    with pytest.raises(Conflict) as refused:
        store.undo_import(ws.id, first.batch)
    assert "Вера" in refused.value.message and "Дина" in refused.value.message
    assert f"by import {second.batch} (undo that first)" in refused.value.message
    store.undo_import(ws.id, second.batch)
    store.undo_import(ws.id, first.batch)
    assert backup_bytes(store, ws) == start


def test_an_edited_updated_record_blocks_undo_and_batches_go_with_their_workspace(store: Store) -> None:
    ws = store.create_workspace("Undo " + store.kind)
    imported(store, ws, ("a.csv", "name,email\nАнна,anna@example.org\n"))
    fill = imported(store, ws, ("b.csv", "name,email,phone\nАнна,anna@example.org,+7 916 111-22-33\n"))
    assert fill.summary["clients"]["updated"] == 1
    store.update_client(ws.id, named(store, ws, "Анна").id, ClientPatch.parse({"notes": "VIP"}))
    with pytest.raises(Conflict) as refused:
        store.undo_import(ws.id, fill.batch)
    assert [e.reason for e in refused.value.errors] == [
        f"client Анна ({named(store, ws, 'Анна').id}) it updated was changed since"
    ]
    store.delete_workspace(ws.id, force=True)
    assert store.read(lambda u: u.batches.recent(ws.id, 10)) == []


def test_a_dry_run_or_an_import_that_writes_nothing_makes_no_batch(store: Store, ws: Workspace) -> None:
    imported(store, ws, ("clients.csv", CLIENTS))
    again = imported(store, ws, ("clients.csv", CLIENTS))
    assert again.writes == 0 and again.batch is None
    parsed = Parsed()
    parsed.add(read_file("x.csv", b"name\nNew\n"))
    dry = store.run_import(ws.id, lambda view: plan_files(parsed, view), dry_run=True)
    assert dry.writes == 1 and dry.batch is None
    assert len(store.import_batches(ws.id)) == 1
