"""A one-statement read on Neo4j (`Store.query`: a chain, a tree, a caller's token) is one auto-commit
statement, so one Bolt exchange: no BEGIN and no COMMIT go to the server. What the driver sends is read
from its own protocol log."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date

import pytest
from neo4j.exceptions import ServiceUnavailable

from graph.neo4j import Neo4jStore
from referrals.access import Caller, CallerCheck, Role, hash_secret, new_secret
from referrals.model import ClientInput, ReferralInput, SourceKind, SourceRef
from tests.conftest import unique


@contextmanager
def sent_messages() -> Iterator[list[str]]:
    """The Bolt messages the driver sends meanwhile (its debug log: `C: RUN ...`, `C: BEGIN ...`)."""
    messages: list[str] = []

    class Collect(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            text = record.getMessage()
            if "C: " in text:
                messages.append(text.split("C: ", 1)[1].split(" ", 1)[0])

    logger = logging.getLogger("neo4j")
    handler, level = Collect(), logger.level
    logger.addHandler(handler)
    logger.setLevel(logging.DEBUG)
    try:
        yield messages
    finally:
        logger.removeHandler(handler)
        logger.setLevel(level)


def _statements(messages: list[str]) -> list[str]:
    return [m for m in messages if m in {"BEGIN", "RUN", "COMMIT", "ROLLBACK"}]


@pytest.fixture
def linked(neo4j_store: Neo4jStore) -> tuple[str, str, str]:
    ws = neo4j_store.create_workspace(unique("round trips")).id
    top = neo4j_store.create_client(ws, ClientInput(name="Ana")).id
    child = neo4j_store.create_client(ws, ClientInput(name="Bo")).id
    neo4j_store.record_referral(ws, ReferralInput(SourceRef(SourceKind.CLIENT, top), child, date(2026, 1, 5)))
    return ws, top, child


def test_a_chain_and_a_tree_are_one_statement_each_with_no_transaction(neo4j_store: Neo4jStore, linked) -> None:  # type: ignore[no-untyped-def]
    ws, top, child = linked
    with sent_messages() as chain_messages:
        assert neo4j_store.chain(ws, child).levels == 1
    with sent_messages() as tree_messages:
        assert len(neo4j_store.tree(ws, SourceRef(SourceKind.CLIENT, top), 7).nodes) == 1
    assert _statements(chain_messages) == ["RUN"]
    assert _statements(tree_messages) == ["RUN"]


def test_the_callers_token_is_one_statement(neo4j_store: Neo4jStore, linked) -> None:  # type: ignore[no-untyped-def]
    ws, _, _ = linked
    secret = new_secret()
    neo4j_store.create_token(ws, Role.VIEWER, "reader", hash_secret(secret))
    with sent_messages() as messages:
        caller = neo4j_store.find_caller(hash_secret(secret))
    assert caller is not None and caller.token.workspace_id == ws
    assert _statements(messages) == ["RUN"]


def test_a_chain_with_its_callers_check_is_one_statement(neo4j_store: Neo4jStore, linked) -> None:  # type: ignore[no-untyped-def]
    ws, top, child = linked
    secret = new_secret()
    token = neo4j_store.create_token(ws, Role.VIEWER, "reader", hash_secret(secret))
    found: list[Caller | None] = []
    with sent_messages() as messages, neo4j_store.checking(CallerCheck(hash_secret(secret), ws, found.append)):
        assert neo4j_store.chain(ws, child).levels == 1
    assert _statements(messages) == ["RUN"] and found == [Caller(token, neo4j_store.revision(ws))]
    # a read with its own options in front keeps them in front of the check
    found.clear()
    read = "CYPHER 5 MATCH (w:Workspace {id: $ws}) RETURN id(w) AS n, w.id AS id"
    with neo4j_store.checking(CallerCheck(hash_secret(secret), ws, found.append)):
        (row,) = neo4j_store.query(lambda u: u.workspaces._run(read, ws=ws))  # type: ignore[attr-defined]
    assert row["id"] == ws and isinstance(row["n"], int) and found[0] is not None


def test_a_transaction_of_several_statements_still_begins_and_commits(neo4j_store: Neo4jStore, linked) -> None:  # type: ignore[no-untyped-def]
    ws, top, _ = linked
    with sent_messages() as messages:
        neo4j_store.read(lambda u: (u.clients.get(ws, top), u.workspaces.require(ws)))
    assert _statements(messages) == ["BEGIN", "RUN", "RUN", "COMMIT"]


def test_a_retryable_failure_of_a_one_statement_read_is_retried(neo4j_store: Neo4jStore, linked) -> None:  # type: ignore[no-untyped-def]
    ws, _, child = linked
    failures = [ServiceUnavailable("the connection dropped")]

    def flaky(u):  # type: ignore[no-untyped-def]
        if failures:
            raise failures.pop()
        return u.graph.chain(ws, child)

    assert neo4j_store.query(flaky).levels == 1
    assert failures == []
