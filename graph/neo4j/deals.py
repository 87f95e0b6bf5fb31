"""Deals in Neo4j: (client)-[:PAID]->(deal) nodes."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from datetime import date
from typing import Any, LiteralString

from graph.neo4j.db import Rows, at, instant, moment, native, time_of
from referrals.errors import NotFound
from referrals.model import Deal, DealQuery, Page
from referrals.money import Money


def deal_props(d: Deal) -> dict[str, Any]:
    return {
        "id": d.id,
        "client_id": d.client_id,
        "amount_minor": d.amount.minor,
        "currency": d.amount.currency,
        "closed_on": d.closed_on,
        "title": d.title,
        "external_id": d.external_id,
        "created_at": instant(d.created_at),
        "updated_at": instant(d.updated_at),
    }


def deal(n: Any) -> Deal:
    return Deal(
        id=n["id"],
        client_id=n["client_id"],
        amount=Money(n["amount_minor"], n["currency"]),
        closed_on=native(n["closed_on"]),
        title=n.get("title"),
        external_id=n.get("external_id"),
        created_at=moment(n["created_at"]),
        updated_at=moment(n["updated_at"]),
    )


# A deal node as read: its properties, its times as `time_of` sends them.
_MAP: LiteralString = "d{.*, " + time_of("d", "created_at") + ", " + time_of("d", "updated_at") + "}"
_NODE: LiteralString = _MAP + " AS d"
# Every deal of a workspace, a page at a time in the order of the (workspace, id) index.
_EACH: LiteralString = (
    "MATCH (d:Deal) WHERE d.workspace = $ws AND d.id > $after WITH d ORDER BY d.workspace, d.id LIMIT $n"
    " RETURN collect(" + _MAP + ") AS page"
)
_PROPS: LiteralString = "row{.*, workspace: $ws, " + at("created_at") + ", " + at("updated_at") + "}"
_CREATE: LiteralString = (
    "UNWIND $rows AS row MATCH (c:Client {workspace: $ws, id: row.client_id}) USING INDEX SEEK c:Client(workspace, id)"
    " CREATE (c)-[:PAID]->(d:Deal) SET d = " + _PROPS + " RETURN count(*) AS n"
)
# A replaced deal may have moved to another client: its PAID edge follows.
_REPLACE: LiteralString = (
    "UNWIND $rows AS row MATCH (c:Client {workspace: $ws, id: row.client_id}) USING INDEX SEEK c:Client(workspace, id)"
    " MERGE (d:Deal {workspace: $ws, id: row.id}) SET d = "
    + _PROPS
    + " WITH c, d OPTIONAL MATCH (d)<-[old:PAID]-(other) WHERE other <> c DELETE old"
    " MERGE (c)-[:PAID]->(d) RETURN count(*) AS n"
)


class Neo4jDeals(Rows):
    def get(self, ws: str, deal_id: str) -> Deal:
        rows = self._run("MATCH (d:Deal {workspace: $ws, id: $id}) RETURN " + _NODE, ws=ws, id=deal_id)
        if not rows:
            raise NotFound("deal", deal_id)
        return deal(rows[0]["d"])

    def insert(self, ws: str, deals: Sequence[Deal]) -> int:
        return self._batches(_CREATE, [deal_props(d) for d in deals], ws)

    def replace(self, ws: str, deals: Sequence[Deal]) -> None:
        self._batches(_REPLACE, [deal_props(d) for d in deals], ws)

    def remove(self, ws: str, deal_id: str) -> None:
        self._run("MATCH (d:Deal {workspace: $ws, id: $id}) DETACH DELETE d", ws=ws, id=deal_id)

    def remove_all(self, ws: str, ids: Sequence[str]) -> None:
        self._batches(
            "UNWIND $rows AS row MATCH (d:Deal {workspace: $ws, id: row.id}) DETACH DELETE d RETURN count(*) AS n",
            [{"id": i} for i in ids],
            ws,
        )

    def by_external_id(self, ws: str, external_ids: Sequence[str]) -> dict[str, Deal]:
        rows = self._run(
            "MATCH (d:Deal) USING INDEX SEEK d:Deal(workspace, external_id)"
            " WHERE d.workspace = $ws AND d.external_id IN $exts RETURN " + _NODE,
            ws=ws,
            exts=list(external_ids),
        )
        return {r["d"]["external_id"]: deal(r["d"]) for r in rows}

    def count_of(self, ws: str, client_id: str) -> int:
        rows = self._run("MATCH (d:Deal {workspace: $ws, client_id: $id}) RETURN count(d) AS n", ws=ws, id=client_id)
        return int(rows[0]["n"])

    def page(self, ws: str, query: DealQuery) -> Page[Deal]:
        rows = self._run(
            "MATCH (d:Deal) WHERE d.workspace = $ws AND d.id > $after"
            " AND ($client IS NULL OR d.client_id = $client)"
            " AND ($from IS NULL OR d.closed_on >= $from) AND ($to IS NULL OR d.closed_on <= $to)"
            " RETURN " + _NODE + " ORDER BY d.id LIMIT $limit",
            ws=ws,
            after=query.after or "",
            client=query.client_id,
            **{"from": query.closed_from, "to": query.closed_to},
            limit=query.limit + 1,
        )
        return Page.from_overfetch([deal(r["d"]) for r in rows], query.limit)

    def each(self, ws: str) -> Iterator[Deal]:
        for d in self._pages(_EACH, ws=ws):
            yield deal(d)

    def revenue(self, ws: str, until: date | None = None) -> Iterator[tuple[str, str, int]]:
        for r in self._stream(
            "MATCH (d:Deal) WHERE d.workspace = $ws AND ($until IS NULL OR d.closed_on <= $until)"
            " RETURN d.client_id AS client, d.currency AS cur, sum(d.amount_minor) AS total",
            ws=ws,
            until=until,
        ):
            yield r["client"], r["cur"], r["total"]
