"""A store made by an earlier version is upgraded in place by `init_schema`, keeping its data."""

from __future__ import annotations

import sqlite3
from datetime import UTC, date, datetime
from pathlib import Path

from graph.neo4j import Neo4jStore
from graph.schema import SCHEMA_VERSION
from graph.sqlite import SqliteStore
from graph.sqlite.schema import MIGRATIONS
from referrals.model import (
    ChannelInput,
    Client,
    ClientInput,
    DealInput,
    Money,
    ReferralInput,
    SourceKind,
    SourceRef,
)


def _sqlite_file_of_version(path: Path, version: int) -> sqlite3.Connection:
    """A file as `version` left it (its migrations and version row, no data), open for more rows."""
    conn = sqlite3.connect(path)
    for v in range(1, version + 1):
        steps = MIGRATIONS[v]
        for statement in steps.split(";") if isinstance(steps, str) else steps:
            if statement.strip():
                conn.execute(statement)
    conn.execute("INSERT INTO meta(key, value) VALUES ('schema_version', ?)", (str(version),))
    return conn


def _sqlite_store_of_version(path: Path, version: int) -> SqliteStore:
    """A store on an empty file as `version` left it (not upgraded until init_schema)."""
    conn = _sqlite_file_of_version(path, version)
    conn.commit()
    conn.close()
    return SqliteStore(path)


def _fair_ana_bo(store: SqliteStore) -> tuple[str, str, Client, Client]:
    """A workspace where the channel Fair brought Ana, who brought Bo, who paid 12.50 RUB in June 2024."""
    ws = store.create_workspace("old").id
    channel = store.create_channel(ws, ChannelInput(name="Fair"))
    ana = store.create_client(ws, ClientInput(name="Ana"))
    bo = store.create_client(ws, ClientInput(name="Bo"))
    store.record_referral(ws, ReferralInput(SourceRef(SourceKind.CHANNEL, channel.id), ana.id, date(2024, 5, 1)))
    store.record_referral(ws, ReferralInput(SourceRef(SourceKind.CLIENT, ana.id), bo.id, date(2024, 5, 2)))
    store.create_deal(ws, DealInput(bo.id, Money(1250, "RUB"), date(2024, 6, 1)))
    return ws, channel.id, ana, bo


def _plan(store: SqliteStore, sql: str, params: dict[str, object]) -> str:
    """SQLite's query plan of `sql`, as one line of text."""
    return " ".join(str(tuple(row)) for row in store._conn().execute("EXPLAIN QUERY PLAN " + sql, params))


def test_a_version_4_sqlite_file_gains_client_phones(tmp_path: Path) -> None:
    path = tmp_path / "v4.db"
    conn = _sqlite_file_of_version(path, 4)
    at = datetime(2024, 1, 1, tzinfo=UTC).isoformat(timespec="microseconds")
    conn.execute("INSERT INTO workspaces(id, name, created_at) VALUES ('ws_old', 'old', ?)", (at,))
    conn.execute(
        "INSERT INTO clients(workspace_id, id, name, name_key, email, status, tags, created_at, updated_at)"
        " VALUES ('ws_old', 'cl_old', 'Ana', 'ana', 'ana@example.org', 'active', '[]', ?, ?)",
        (at, at),
    )
    conn.commit()
    conn.close()
    store = SqliteStore(path)
    try:
        assert store.schema_version() == 4
        assert store.init_schema() == SCHEMA_VERSION == 11
        assert store.schema_version() == 11
        old = store.get_client("ws_old", "cl_old")
        assert (old.name, old.email, old.phone) == ("Ana", "ana@example.org", None)
        new = store.create_client("ws_old", ClientInput.parse({"name": "Bo", "phone": "+7 916 000-00-01"}))
        assert store.get_client("ws_old", new.id).phone == "+79160000001"
        plans = (
            store._conn()
            .execute(
                "EXPLAIN QUERY PLAN SELECT id FROM clients WHERE workspace_id = 'ws_old' AND phone = '+79160000001'"
            )
            .fetchall()
        )
        assert any("client_by_phone" in str(tuple(p)) for p in plans)
        assert store.import_batches("ws_old") == []  # version 6: imports are batches
        assert store.integrity_check("ws_old").findings == []  # version 7: dismissals
    finally:
        store.close()


def test_a_version_4_neo4j_database_gains_the_phone_index(neo4j_store: Neo4jStore) -> None:
    with neo4j_store._driver.session() as s:  # the database as version 4 left it
        s.run("DROP INDEX client_phone IF EXISTS").consume()
        s.run("MERGE (v:SchemaVersion {name: 'referrals'}) SET v.version = 4").consume()
    assert neo4j_store.schema_version() == 4
    assert neo4j_store.init_schema() == SCHEMA_VERSION == 11
    assert neo4j_store.schema_version() == 11
    with neo4j_store._driver.session() as s:
        names = [r["name"] for r in s.run("SHOW INDEXES YIELD name, state WHERE state = 'ONLINE' RETURN name")]
    assert "client_phone" in names


def test_a_version_5_neo4j_database_gains_import_batches(neo4j_store: Neo4jStore) -> None:
    with neo4j_store._driver.session() as s:  # the database as version 5 left it
        s.run("DROP CONSTRAINT import_batch IF EXISTS").consume()
        s.run("DROP INDEX import_batch_age IF EXISTS").consume()
        s.run("MERGE (v:SchemaVersion {name: 'referrals'}) SET v.version = 5").consume()
    assert neo4j_store.schema_version() == 5
    assert neo4j_store.init_schema() == SCHEMA_VERSION
    with neo4j_store._driver.session() as s:
        names = [r["name"] for r in s.run("SHOW INDEXES YIELD name, state WHERE state = 'ONLINE' RETURN name")]
        constraints = [r["name"] for r in s.run("SHOW CONSTRAINTS YIELD name RETURN name")]
    assert "import_batch_age" in names and "import_batch" in constraints


def test_a_version_6_neo4j_database_gains_dismissals(neo4j_store: Neo4jStore) -> None:
    with neo4j_store._driver.session() as s:  # the database as version 6 left it
        s.run("DROP CONSTRAINT dismissal_key IF EXISTS").consume()
        s.run("MERGE (v:SchemaVersion {name: 'referrals'}) SET v.version = 6").consume()
    assert neo4j_store.schema_version() == 6
    assert neo4j_store.init_schema() == SCHEMA_VERSION
    with neo4j_store._driver.session() as s:
        constraints = [r["name"] for r in s.run("SHOW CONSTRAINTS YIELD name RETURN name")]
    assert "dismissal_key" in constraints


def test_a_version_7_neo4j_database_gains_kept_answers(neo4j_store: Neo4jStore) -> None:
    with neo4j_store._driver.session() as s:  # the database as version 7 left it
        s.run("DROP CONSTRAINT answer_key IF EXISTS").consume()
        s.run("MERGE (v:SchemaVersion {name: 'referrals'}) SET v.version = 7").consume()
    assert neo4j_store.schema_version() == 7
    assert neo4j_store.init_schema() == SCHEMA_VERSION
    with neo4j_store._driver.session() as s:
        constraints = [r["name"] for r in s.run("SHOW CONSTRAINTS YIELD name RETURN name")]
    assert "answer_key" in constraints


def test_a_version_8_sqlite_file_walks_trees_from_its_indexes_alone(tmp_path: Path) -> None:
    """Version 9 widens referral_by_source and deal_by_client so that a tree's walk and its sums of
    deals never look a row up in the table; a file of version 8 gains them, and its trees stay the same."""
    from graph.sqlite.traversals import _TREE

    store = _sqlite_store_of_version(tmp_path / "v8.db", 8)
    try:
        assert store.schema_version() == 8
        ws, channel, _, _ = _fair_ana_bo(store)
        before = store.tree(ws, SourceRef(SourceKind.CHANNEL, channel), 1)
        assert store.init_schema() == SCHEMA_VERSION == 11
        after = store.tree(ws, SourceRef(SourceKind.CHANNEL, channel), 1)
        assert after == before and after.beyond.clients == 1 and after.beyond.revenue == {"RUB": 1250}
        plan = _plan(store, _TREE, {"ws": ws, "kind": "channel", "id": channel, "depth": 1, "limit": 10})
        assert "COVERING INDEX referral_by_source" in plan
        assert "COVERING INDEX deal_by_client" in plan
    finally:
        store.close()


def test_a_version_9_sqlite_file_walks_chains_and_periods_from_its_indexes_alone(tmp_path: Path) -> None:
    """Version 10 widens referral_by_client and deal_by_date so that a chain, and a period's uplines
    and deals, never look a row up in the table; a file of version 9 gains them, and its chains and
    statements stay the same."""
    from graph.sqlite.traversals import _CHAIN, _PERIOD
    from referrals.attribution import Model, statement

    store = _sqlite_store_of_version(tmp_path / "v9.db", 9)
    try:
        assert store.schema_version() == 9
        ws, _, _, bo = _fair_ana_bo(store)
        chain_before = store.chain(ws, bo.id)
        facts_before, _ = store.month_facts(ws, "2024-06")
        assert store.init_schema() == SCHEMA_VERSION == 11
        assert store.chain(ws, bo.id) == chain_before and [s.name for s in chain_before.steps] == ["Ana", "Fair"]
        facts_after, _ = store.month_facts(ws, "2024-06")
        assert facts_after == facts_before and len(facts_after.deals) == 1
        rows = statement(facts_after, Model.LINEAR)
        assert {(r.name, r.amount) for r in rows if r.currency} == {("Ana", 625), ("Fair", 625)}
        assert "COVERING INDEX referral_by_client" in _plan(store, _CHAIN, {"ws": ws, "id": bo.id, "limit": 10})
        period_plan = _plan(store, _PERIOD, {"ws": ws, "start": "2024-06-01", "end": "2024-06-30"})
        assert "COVERING INDEX deal_by_date" in period_plan
        assert period_plan.count("COVERING INDEX referral_by_client") == 2  # the walk up, then each parent
    finally:
        store.close()
