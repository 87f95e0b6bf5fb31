"""Bulk writes find each row's nodes by an index seek, whatever the server's statistics say.

On a fresh database (statistics not sampled yet) the planner costed a scan of the whole (workspace, id)
index per row as cheaper than a seek: the first import of recommendations into a new store spent 110 s
on 2,000 rows and ran into the server's time limit. The lookups hint `USING INDEX SEEK`, which leaves
the planner no scan to choose.

The network's columns read a workspace's recommendations from its part of a relationship index, never
by a scan of every workspace's relationships, and the clients recorded before a date by a range of the
(workspace, created_at) index."""

from __future__ import annotations

import contextlib
from datetime import UTC, datetime
from typing import Any

from graph.neo4j import Neo4jStore
from graph.neo4j.clients import _REPLACE_CHANNELS, _REPLACE_CLIENTS
from graph.neo4j.deals import _CREATE, _REPLACE
from graph.neo4j.referrals import CREATE_FROM
from graph.neo4j.traversals import _NETWORK_COLUMNS, _RECORDED_BEFORE
from referrals.model import ClientInput
from tools.neo4j_server import Neo4jServer

BULK = {
    "recommendations from clients": list(CREATE_FROM.values())[0],
    "recommendations from channels": list(CREATE_FROM.values())[1],
    "new deals": _CREATE,
    "replaced deals": _REPLACE,
    "replaced clients": _REPLACE_CLIENTS,
    "replaced channels": _REPLACE_CHANNELS,
}


def _operators(plan: Any) -> list[str]:
    return [plan["operatorType"].split("@")[0], *(op for child in plan.get("children", []) for op in _operators(child))]


def _steps(plan: Any) -> list[str]:
    """Each operator of a plan with what it works on ("NodeIndexSeek RANGE INDEX c:Client(…) WHERE …")."""
    here = f"{plan['operatorType'].split('@')[0]} {plan.get('args', {}).get('Details', '')}"
    return [here, *(step for child in plan.get("children", []) for step in _steps(child))]


def test_bulk_writes_seek_their_nodes_on_a_fresh_database() -> None:
    with Neo4jServer(heap="512m") as server, contextlib.closing(Neo4jStore(server.url)) as store:
        store.init_schema()
        ws = store.create_workspace("fresh").id
        ids = store.upsert_clients(ws, [ClientInput(name=f"c{i}", external_id=f"e{i}") for i in range(2000)]).ids
        row = {"id": "x", "source_id": ids[0], "client_id": ids[1], "created_at": [0, 0], "updated_at": [0, 0]}
        with store._driver.session() as session:
            for name, query in BULK.items():
                plan = session.run("EXPLAIN " + query, ws=ws, rows=[row]).consume().plan
                operators = _operators(plan)
                assert not [op for op in operators if "Scan" in op], (name, operators)
                assert any("IndexSeek" in op for op in operators), (name, operators)


def test_the_network_columns_read_one_workspaces_part_of_each_index() -> None:
    with Neo4jServer(heap="512m") as server, contextlib.closing(Neo4jStore(server.url)) as store:
        store.init_schema()
        ws = store.create_workspace("fresh").id
        with store._driver.session() as session:
            operators = _operators(session.run("EXPLAIN " + _NETWORK_COLUMNS, ws=ws).consume().plan)
            first = session.run("EXPLAIN " + _RECORDED_BEFORE, ws=ws, before=datetime(2025, 1, 1, tzinfo=UTC))
            first_steps = _steps(first.consume().plan)
        assert "DirectedRelationshipIndexSeek" in operators, operators
        assert not [op for op in operators if "Scan" in op and "Relationship" in op], operators
        # the clients recorded before a date come from the (workspace, created_at) index, not the workspace
        # index. (On an empty database the planner may seek the index's whole workspace range and filter;
        # with data it seeks the range before the date: ~2 ms at a million clients, bench/RESULTS.md.)
        seeks = [step for step in first_steps if step.startswith("NodeIndexSeek")]
        assert seeks and all("Client(workspace, created_at)" in step for step in seeks), first_steps
        assert not [step for step in first_steps if "Scan" in step.split()[0]], first_steps
