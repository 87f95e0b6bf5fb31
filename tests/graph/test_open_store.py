"""One URL picks the store."""

from __future__ import annotations

from pathlib import Path

import pytest

from graph import open_store, sqlite_path
from graph.neo4j import Neo4jStore, parse_neo4j_url
from graph.sqlite import SqliteStore
from referrals.errors import Invalid


def test_sqlite_urls() -> None:
    assert sqlite_path("sqlite:///referrals.db") == Path("referrals.db")
    assert sqlite_path("sqlite:////var/data/r.db") == Path("/var/data/r.db")
    for bad in ("sqlite://", "sqlite:///", "sqlite://host/x.db"):
        with pytest.raises(Invalid):
            sqlite_path(bad)


def test_open_store_by_scheme(tmp_path: Path) -> None:
    s = open_store(f"sqlite:///{tmp_path}/a.db")
    assert isinstance(s, SqliteStore)
    n = open_store("neo4j://127.0.0.1:1")
    assert isinstance(n, Neo4jStore)
    n.close()
    with pytest.raises(Invalid) as e:
        open_store("postgres://x")
    assert e.value.field == "REFERRALS_DATABASE_URL"


def test_neo4j_url_credentials_are_split_off_and_never_shown() -> None:
    uri, auth, db = parse_neo4j_url("neo4j+s://ana:s%40cret@db.example.com:7687?database=crm")
    assert (uri, auth, db) == ("neo4j+s://db.example.com:7687", ("ana", "s@cret"), "crm")
    store = Neo4jStore("neo4j://ana:hunter22@127.0.0.1:1")
    try:
        assert "hunter22" not in repr(store) and "ana" not in repr(store)
    finally:
        store.close()
