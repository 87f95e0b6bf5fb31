"""Bulk writes find each row's nodes by an index seek, whatever the server's statistics say.

On a fresh database (statistics not sampled yet) the planner costed a scan of the whole (workspace, id)
index per row as cheaper than a seek: the first import of recommendations into a new store spent 110 s
on 2,000 rows and ran into the server's time limit. The lookups hint `USING INDEX SEEK`, which leaves
the planner no scan to choose.

The network's columns read a workspace's recommendations from its part of a relationship index, never
by a scan of every workspace's relationships."""

from __future__ import annotations

import contextlib
from typing import Any

from graph.neo4j import Neo4jStore
from graph.neo4j.clients import _REPLACE_CHANNELS, _REPLACE_CLIENTS
from graph.neo4j.deals import _CREATE, _REPLACE
from graph.neo4j.referrals import CREATE_FROM
from graph.neo4j.traversals import _NETWORK_COLUMNS
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


def test_the_network_columns_read_one_workspaces_recommendations_by_index() -> None:
    with Neo4jServer(heap="512m") as server, contextlib.closing(Neo4jStore(server.url)) as store:
        store.init_schema()
        ws = store.create_workspace("fresh").id
        with store._driver.session() as session:
            operators = _operators(session.run("EXPLAIN " + _NETWORK_COLUMNS, ws=ws).consume().plan)
        assert "DirectedRelationshipIndexSeek" in operators, operators
        assert not [op for op in operators if "Scan" in op and "Relationship" in op], operators
