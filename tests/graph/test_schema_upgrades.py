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
        assert store.init_schema() == SCHEMA_VERSION == 12
        assert store.schema_version() == 12
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
    assert neo4j_store.init_schema() == SCHEMA_VERSION == 12
    assert neo4j_store.schema_version() == 12
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


def _old_fair_ana_bo(conn: sqlite3.Connection, ws: str) -> None:
    """The workspace of `_fair_ana_bo` written as versions 1 to 11 wrote rows (ids `<ws>-fair` and so on):
    the current store's writes need the columns of the current version."""
    at = datetime(2024, 1, 1, tzinfo=UTC).isoformat(timespec="microseconds")
    conn.execute("INSERT INTO workspaces(id, name, created_at) VALUES (?, 'old', ?)", (ws, at))
    conn.execute(
        "INSERT INTO channels(workspace_id, id, name, name_key, kind, created_at, updated_at)"
        " VALUES (?, ? || '-fair', 'Fair', 'fair', 'event', ?, ?)",
        (ws, ws, at, at),
    )
    for name in ("Ana", "Bo"):
        conn.execute(
            "INSERT INTO clients(workspace_id, id, name, name_key, status, created_at, updated_at)"
            " VALUES (?, ? || '-' || lower(?), ?, lower(?), 'active', ?, ?)",
            (ws, ws, name, name, name, at, at),
        )
    for n, (kind, source, client, day) in enumerate(
        [("channel", "fair", "ana", "2024-05-01"), ("client", "ana", "bo", "2024-05-02")]
    ):
        conn.execute(
            "INSERT INTO referrals(workspace_id, id, source_kind, source_id, client_id, referred_on, is_primary,"
            " created_at) VALUES (?, ? || '-rec' || ?, ?, ? || '-' || ?, ? || '-' || ?, ?, 1, ?)",
            (ws, ws, n, kind, ws, source, ws, client, day, at),
        )
    conn.execute(
        "INSERT INTO deals(workspace_id, id, client_id, amount_minor, currency, closed_on, created_at, updated_at)"
        " VALUES (?, ? || '-deal', ? || '-bo', 1250, 'RUB', '2024-06-01', ?, ?)",
        (ws, ws, ws, at, at),
    )


def test_a_version_8_sqlite_file_walks_trees_from_its_indexes_alone(tmp_path: Path) -> None:
    """Version 9 widens referral_by_source and deal_by_client (the as-of walk down and its sums of deals
    read them alone); version 12 walks today's trees over numbers. A file of version 8 gains both, and
    its trees are what its rows say."""
    from graph.sqlite.traversals import _TREE, _TREE_FACTS

    conn = _sqlite_file_of_version(tmp_path / "v8.db", 8)
    _old_fair_ana_bo(conn, "ws_old")
    conn.commit()
    conn.close()
    store = SqliteStore(tmp_path / "v8.db")
    try:
        assert store.schema_version() == 8
        assert store.init_schema() == SCHEMA_VERSION == 12
        tree = store.tree("ws_old", SourceRef(SourceKind.CHANNEL, "ws_old-fair"), 1)
        assert [n.name for n in tree.nodes] == ["Ana"]
        assert tree.beyond.clients == 1 and tree.beyond.revenue == {"RUB": 1250}
        params = {"ws": "ws_old", "kind": "channel", "id": "ws_old-fair", "depth": 1, "limit": 10}
        plan = _plan(store, _TREE, params)
        assert "COVERING INDEX referral_down" in plan and "COVERING INDEX deal_by_node" in plan
        facts_plan = _plan(store, _TREE_FACTS, {**params, "day": "2024-06-30"})
        assert "COVERING INDEX referral_by_source" in facts_plan and "COVERING INDEX deal_by_client" in facts_plan
    finally:
        store.close()


def test_a_version_11_sqlite_file_numbers_its_clients_and_walks_trees_by_number(tmp_path: Path) -> None:
    """Version 12 numbers every client (1 up) and channel (-1 down) of the file, whatever its workspace,
    and gives recommendations and deals the numbers of their ends; trees walk the numbers, and the
    clients, channels, recommendations and deals written after the upgrade take the next numbers."""
    from graph.sqlite.traversals import _TREE

    conn = _sqlite_file_of_version(tmp_path / "v11.db", 11)
    for ws in ("ws_a", "ws_b"):
        _old_fair_ana_bo(conn, ws)
    conn.commit()
    conn.close()
    store = SqliteStore(tmp_path / "v11.db")
    try:
        assert store.init_schema() == SCHEMA_VERSION == 12
        db = store._conn()
        clients = db.execute("SELECT n FROM clients ORDER BY n").fetchall()
        channels = db.execute("SELECT n FROM channels ORDER BY n").fetchall()
        assert [r[0] for r in clients] == [1, 2, 3, 4] and [r[0] for r in channels] == [-2, -1]
        assert (
            db.execute(
                "SELECT count(*) FROM referrals r WHERE r.client_n = (SELECT n FROM clients c"
                " WHERE c.workspace_id = r.workspace_id AND c.id = r.client_id) AND r.source_n = coalesce("
                "(SELECT n FROM clients c WHERE r.source_kind = 'client' AND c.workspace_id = r.workspace_id"
                " AND c.id = r.source_id), (SELECT n FROM channels h WHERE r.source_kind = 'channel'"
                " AND h.workspace_id = r.workspace_id AND h.id = r.source_id))"
            ).fetchone()[0]
            == 4
        )
        assert db.execute("SELECT count(*) FROM deals WHERE client_n IS NULL").fetchone()[0] == 0
        for ws in ("ws_a", "ws_b"):  # each workspace's tree is its own, whatever the numbers
            tree = store.tree(ws, SourceRef(SourceKind.CHANNEL, ws + "-fair"), None)
            assert [(n.name, n.client_id, n.parent.id, dict(n.revenue)) for n in tree.nodes] == [
                ("Ana", ws + "-ana", ws + "-fair", {}),
                ("Bo", ws + "-bo", ws + "-ana", {"RUB": 1250}),
            ]
        cy = store.create_client("ws_b", ClientInput(name="Cy"))
        web = store.create_channel("ws_b", ChannelInput(name="Web"))
        store.record_referral("ws_b", ReferralInput(SourceRef(SourceKind.CLIENT, "ws_b-bo"), cy.id, date(2024, 6, 2)))
        dan = store.create_client("ws_b", ClientInput(name="Dan"))
        store.record_referral("ws_b", ReferralInput(SourceRef(SourceKind.CHANNEL, web.id), dan.id, date(2024, 6, 3)))
        deal = store.create_deal("ws_b", DealInput(cy.id, Money(700, "RUB"), date(2024, 6, 4)))
        assert db.execute("SELECT n FROM clients WHERE id = ?", (cy.id,)).fetchone()[0] == 5
        assert db.execute("SELECT n FROM channels WHERE id = ?", (web.id,)).fetchone()[0] == -3
        assert db.execute("SELECT client_n FROM deals WHERE id = ?", (deal.id,)).fetchone()[0] == 5
        tree = store.tree("ws_b", SourceRef(SourceKind.CHANNEL, "ws_b-fair"), None)
        assert [(n.name, dict(n.revenue)) for n in tree.nodes] == [
            ("Ana", {}),
            ("Bo", {"RUB": 1250}),
            ("Cy", {"RUB": 700}),
        ]
        web_tree = store.tree("ws_b", SourceRef(SourceKind.CHANNEL, web.id), None)
        assert [(n.name, n.parent.id) for n in web_tree.nodes] == [("Dan", web.id)]
        assert [n.name for n in store.tree("ws_a", SourceRef(SourceKind.CHANNEL, "ws_a-fair"), None).nodes] == [
            "Ana",
            "Bo",
        ]
        plan = _plan(store, _TREE, {"ws": "ws_b", "kind": "channel", "id": web.id, "depth": 7, "limit": 10})
        assert "COVERING INDEX client_node" in plan
    finally:
        store.close()


def test_a_version_9_sqlite_file_walks_chains_and_periods_from_its_indexes_alone(tmp_path: Path) -> None:
    """Version 10 widens referral_by_client and deal_by_date so that a chain, and a period's uplines
    and deals, never look a row up in the table; version 12 walks a period's uplines over numbers. A
    file of version 9 gains both, and its chains and statements are what its rows say."""
    from graph.sqlite.traversals import _CHAIN, _PERIOD
    from referrals.attribution import Model, statement

    conn = _sqlite_file_of_version(tmp_path / "v9.db", 9)
    _old_fair_ana_bo(conn, "ws_old")
    conn.commit()
    conn.close()
    store = SqliteStore(tmp_path / "v9.db")
    try:
        assert store.schema_version() == 9
        assert store.init_schema() == SCHEMA_VERSION == 12
        bo = "ws_old-bo"
        assert [s.name for s in store.chain("ws_old", bo).steps] == ["Ana", "Fair"]
        facts, _ = store.month_facts("ws_old", "2024-06")
        assert len(facts.deals) == 1
        rows = statement(facts, Model.LINEAR)
        assert {(r.name, r.amount) for r in rows if r.currency} == {("Ana", 625), ("Fair", 625)}
        assert "COVERING INDEX referral_by_client" in _plan(store, _CHAIN, {"ws": "ws_old", "id": bo, "limit": 10})
        period_plan = _plan(store, _PERIOD, {"ws": "ws_old", "start": "2024-06-01", "end": "2024-06-30"})
        assert "COVERING INDEX deal_by_date" in period_plan
        assert period_plan.count("COVERING INDEX referral_up") == 2  # the walk up by number, then each parent
        assert "COVERING INDEX client_node" in period_plan and "COVERING INDEX channel_node" in period_plan
        assert "COVERING INDEX client_by_acquired" in period_plan
    finally:
        store.close()
