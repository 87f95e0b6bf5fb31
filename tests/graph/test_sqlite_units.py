"""Units of work on the embedded store: a read sees one snapshot across its statements, a one-statement
query runs in autocommit, and each thread works through its own connection and unit."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from datetime import date
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from graph.sqlite import SqliteStore
from graph.sqlite.db import flag_column, key_column, split_column
from referrals import forest
from referrals.model import (
    ChannelInput,
    ClientInput,
    DealInput,
    DealQuery,
    DeletePolicy,
    Money,
    ReferralInput,
    SourceKind,
    SourceRef,
    Workspace,
)
from referrals.ports import Unit
from tests.conftest import make_sqlite_store


@pytest.fixture
def sqlite_store(tmp_path: Path) -> Iterator[SqliteStore]:
    store = make_sqlite_store(tmp_path / "referrals.db")
    yield store
    store.close()


@pytest.fixture
def ws(sqlite_store: SqliteStore) -> Workspace:
    return sqlite_store.create_workspace("test")


def _count(unit: Unit) -> int:
    return unit.clients._run("SELECT count(*) FROM clients").fetchone()[0]  # type: ignore[attr-defined]


def _in_thread(work: Callable[[], object]) -> object:
    out: list[object] = []
    t = threading.Thread(target=lambda: out.append(work()))
    t.start()
    t.join()
    return out[0]


def test_a_read_sees_one_snapshot_across_its_statements(sqlite_store: SqliteStore, ws: Workspace) -> None:
    sqlite_store.create_client(ws.id, ClientInput(name="Ana"))

    def work(unit: Unit) -> tuple[int, int]:
        first = _count(unit)
        _in_thread(lambda: sqlite_store.create_client(ws.id, ClientInput(name="Bo")))  # commits meanwhile
        return first, _count(unit)

    assert sqlite_store.read(work) == (1, 1)
    assert sqlite_store.query(_count) == 2  # the write did land


def test_a_one_statement_query_runs_outside_a_transaction(sqlite_store: SqliteStore) -> None:
    assert sqlite_store.read(lambda u: u.handle.in_transaction) is True  # type: ignore[attr-defined]
    assert sqlite_store.query(lambda u: u.handle.in_transaction) is False  # type: ignore[attr-defined]


def test_a_thread_reuses_its_unit_and_never_shares_it(sqlite_store: SqliteStore) -> None:
    mine = sqlite_store.read(lambda u: u)
    assert sqlite_store.read(lambda u: u) is mine
    assert sqlite_store.write(lambda u: u) is mine
    theirs = _in_thread(lambda: sqlite_store.read(lambda u: u))
    assert theirs is not mine
    assert theirs.handle is not mine.handle  # type: ignore[attr-defined]
    sqlite_store.close()  # a closed store opens a new connection, and a new unit over it
    assert sqlite_store.read(lambda u: u) is not mine


@given(st.lists(st.text(st.characters(min_codepoint=1, exclude_characters="\x1f"), min_size=1, max_size=4), max_size=6))
def test_a_key_column_holds_the_values_joined_whatever_their_widths(values: list[str]) -> None:
    """Values of one width in ASCII become fixed-width bytes; any other mix stays text; either way the
    same values in the same order."""
    column = key_column("\x1f".join(values) if values else None)  # no rows: SQL's group_concat is NULL
    assert forest.key_list(column) == values
    one_width = len({len(v) for v in values}) == 1 and all(v.isascii() and "\0" not in v for v in values)
    assert isinstance(column, np.ndarray) == (one_width and bool(values))


def test_key_columns_of_ids_dates_and_flags() -> None:
    ids = ["cl_01m91t0kjkv0bc7xh3xrmpnbaq", "ch_01m91t0kjkv0bc7xh3xrmpnbar"]
    column = key_column("\x1f".join(ids))
    assert isinstance(column, np.ndarray) and column.dtype == np.dtype("S29") and forest.key_list(column) == ids
    assert forest.key_list(key_column("2025-01-31")) == ["2025-01-31"]
    assert key_column(None) == [] and key_column("") == [""]  # "": one empty value, as split_column has it
    assert split_column(None) == [] and split_column("") == [""] and split_column("a\x1fb") == ["a", "b"]
    assert key_column("ab\x1fc") == ["ab", "c"]  # two widths: text
    assert flag_column("1\x1f0\x1f1").tolist() == [True, False, True]
    assert flag_column(None).tolist() == []
    with pytest.raises(ValueError):
        flag_column("10\x1f1")  # a value of two characters: not a condition


# Every recommendation and deal whose numbers are not those of its ends (empty when the file agrees).
_NUMBERS_ASTRAY = (
    "SELECT 'referral', r.id FROM referrals r WHERE r.client_n IS NOT (SELECT n FROM clients c"
    " WHERE c.workspace_id = r.workspace_id AND c.id = r.client_id) OR r.source_n IS NOT CASE r.source_kind"
    " WHEN 'client' THEN (SELECT n FROM clients c WHERE c.workspace_id = r.workspace_id AND c.id = r.source_id)"
    " ELSE (SELECT n FROM channels h WHERE h.workspace_id = r.workspace_id AND h.id = r.source_id) END"
    " UNION ALL SELECT 'deal', d.id FROM deals d WHERE d.client_n IS NOT (SELECT n FROM clients c"
    " WHERE c.workspace_id = d.workspace_id AND c.id = d.client_id)"
)


def test_numbers_follow_every_write_and_stay_one_per_client(sqlite_store: SqliteStore) -> None:
    """Schema 12's numbers: clients count up and channels down across workspaces, every write keeps
    each recommendation's and deal's numbers those of its ends, and a number freed by deleting the last
    client is taken again only once nothing refers to it (its recommendations went with it)."""
    db = sqlite_store._conn()
    day = date(2024, 5, 1)
    made: dict[str, list[str]] = {}
    for name in ("one", "two"):
        ws = sqlite_store.create_workspace(name).id
        fair = sqlite_store.create_channel(ws, ChannelInput(name="Fair"))
        ana = sqlite_store.create_client(ws, ClientInput(name="Ana"))
        bo = sqlite_store.create_client(ws, ClientInput(name="Bo"))
        sqlite_store.record_referral(ws, ReferralInput(SourceRef(SourceKind.CHANNEL, fair.id), ana.id, day))
        sqlite_store.record_referral(ws, ReferralInput(SourceRef(SourceKind.CLIENT, ana.id), bo.id, day))
        sqlite_store.reattribute(ws, ReferralInput(SourceRef(SourceKind.CHANNEL, fair.id), bo.id, day))
        sqlite_store.upsert_deals(ws, [DealInput(ana.id, Money(500, "RUB"), day, external_id="inv")])
        sqlite_store.upsert_deals(ws, [DealInput(bo.id, Money(500, "RUB"), day, external_id="inv")])
        made[ws] = [fair.id, ana.id, bo.id]
    numbers = dict(db.execute("SELECT id, n FROM clients UNION ALL SELECT id, n FROM channels").fetchall())
    one, two = made
    assert [numbers[i] for i in made[one]] == [-1, 1, 2] and [numbers[i] for i in made[two]] == [-2, 3, 4]
    assert db.execute(_NUMBERS_ASTRAY).fetchall() == []

    last = made[two][2]  # Bo of the second workspace holds the highest number
    sqlite_store.delete_deal(two, sqlite_store.list_deals(two, DealQuery(client_id=last)).items[0].id)
    sqlite_store.delete_client(two, last, DeletePolicy.REFUSE)
    cy = sqlite_store.create_client(two, ClientInput(name="Cy"))
    assert db.execute("SELECT n FROM clients WHERE id = ?", (cy.id,)).fetchone()[0] == 4
    assert db.execute("SELECT count(*) FROM referrals WHERE source_n = 4 OR client_n = 4").fetchone()[0] == 0
    tree = sqlite_store.tree(two, SourceRef(SourceKind.CHANNEL, made[two][0]), None)
    assert [n.name for n in tree.nodes] == ["Ana"]
    assert tuple(db.execute("SELECT count(*), count(DISTINCT n) FROM clients").fetchone()) == (4, 4)
    assert db.execute(_NUMBERS_ASTRAY).fetchall() == []
