"""Shared fixtures: both stores, a real Neo4j server started once per session."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from graph.neo4j import Neo4jStore
from graph.sqlite import SqliteStore
from referrals.ids import new_id
from referrals.model import Workspace
from referrals.store import Store

# The suite speaks English unless a test asks for another language: the command line follows LANGUAGE,
# LC_ALL, LC_MESSAGES and LANG, which a developer's shell may set to anything.
for _name in ("LANGUAGE", "LC_ALL", "LC_MESSAGES"):
    os.environ.pop(_name, None)
os.environ["LANG"] = "C.UTF-8"

STORES = ["sqlite", "neo4j"]


@pytest.fixture(scope="session")
def neo4j_url() -> Iterator[str]:
    """REFERRALS_TEST_NEO4J_URL when given, else a throw-away server started from the cached jars."""
    given = os.environ.get("REFERRALS_TEST_NEO4J_URL")
    if given:
        _NEO4J_INFO["server"] = "Neo4j: given by REFERRALS_TEST_NEO4J_URL"
        yield given
        return
    from tools.neo4j_server import Neo4jServer

    server = Neo4jServer()
    server.start()
    _NEO4J_INFO["server"] = f"Neo4j: started by the suite in {server.startup_seconds:.1f}s at {server.url}"
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


def unique(name: str) -> str:
    """A workspace name no other test takes: names are unique per store, and the Neo4j server is shared."""
    return f"{name} {new_id('workspace')[-8:]}"


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
    return store.create_workspace(unique("test"))


_NEO4J_INFO: dict[str, str] = {}


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    """Show how many tests ran on each store, so a run that silently lost Neo4j is visible."""
    counts: dict[str, dict[str, int]] = {s: {} for s in STORES}
    for outcome in ("passed", "failed", "skipped", "error"):
        for report in terminalreporter.stats.get(outcome, []):
            nodeid = getattr(report, "nodeid", "")
            if getattr(report, "when", "call") != "call" and outcome == "passed":
                continue
            for s in STORES:
                if f"[{s}" in nodeid or f"-{s}]" in nodeid or f"-{s}-" in nodeid:
                    counts[s][outcome] = counts[s].get(outcome, 0) + 1
    terminalreporter.section("stores")
    for s in STORES:
        parts = ", ".join(f"{n} {k}" for k, n in sorted(counts[s].items())) or "no tests"
        terminalreporter.write_line(f"[{s}] {parts}")
    for line in _NEO4J_INFO.values():
        terminalreporter.write_line(line)
