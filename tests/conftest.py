"""Shared fixtures: both stores, a real Neo4j server started once per session."""

from __future__ import annotations

import os
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from graph.contract import Store
from graph.neo4j_store import Neo4jStore
from graph.sqlite_store import SqliteStore
from referrals.model import Workspace

STORES = ["sqlite", "neo4j"]


@pytest.fixture(scope="session")
def neo4j_url() -> Iterator[str]:
    """REFERRALS_TEST_NEO4J_URL when given, else a throw-away server started from the cached jars."""
    given = os.environ.get("REFERRALS_TEST_NEO4J_URL")
    if given:
        yield given
        return
    from tools.neo4j_server import Neo4jServer

    server = Neo4jServer()
    server.start()
    print(f"\nNeo4j started in {server.startup_seconds:.1f}s at {server.url}", file=sys.stderr)
    try:
        yield server.url
    finally:
        server.stop()


@pytest.fixture(scope="session")
def neo4j_store(neo4j_url: str) -> Iterator[Neo4jStore]:
    """One driver for the session; tests isolate themselves by workspace."""
    store = Neo4jStore(neo4j_url)
    store.init_schema()
    yield store
    store.close()


def make_sqlite_store(path: Path) -> SqliteStore:
    """A fresh embedded store in its own file."""
    store = SqliteStore(path)
    store.init_schema()
    return store


@pytest.fixture(params=STORES)
def store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Store]:
    """Each store in turn; test ids end in [sqlite] or [neo4j]."""
    if request.param == "sqlite":
        s = make_sqlite_store(tmp_path / "referrals.db")
        yield s
        s.close()
    else:
        yield request.getfixturevalue("neo4j_store")


@pytest.fixture
def ws(store: Store) -> Workspace:
    """A new, empty workspace in the store under test."""
    return store.create_workspace("test")
