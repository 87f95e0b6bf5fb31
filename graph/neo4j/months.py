"""Closed months in Neo4j: (:ClosedMonth)-[:FROZEN]->(:ClosedChunk) nodes."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import Any

from graph.neo4j.db import Rows, native
from referrals.model import ClosedMonth
from referrals.ports import Chunk


def closed(n: Any) -> ClosedMonth:
    return ClosedMonth(
        month=n["month"],
        closed_at=native(n["closed_at"]),
        deals=n["deals"],
        new_clients=n["new_clients"],
        checksum=n["checksum"],
    )


class Neo4jMonths(Rows):
    def closed_among(self, ws: str, months: Sequence[str]) -> list[str]:
        rows = self._run(
            "UNWIND $months AS m MATCH (x:ClosedMonth {workspace: $ws, month: m})"
            " USING INDEX SEEK x:ClosedMonth(workspace, month) RETURN x.month AS month",
            ws=ws,
            months=list(months),
        )
        return [r["month"] for r in rows]

    def get(self, ws: str, month: str) -> ClosedMonth | None:
        rows = self._run("MATCH (m:ClosedMonth {workspace: $ws, month: $month}) RETURN m", ws=ws, month=month)
        return closed(rows[0]["m"]) if rows else None

    def frozen(self, ws: str, month: str) -> tuple[ClosedMonth, list[str]] | None:
        rows = self._run(
            "MATCH (m:ClosedMonth {workspace: $ws, month: $month}) OPTIONAL MATCH (m)-[:FROZEN]->(k:ClosedChunk)"
            " WITH m, k ORDER BY k.chunk RETURN m, collect(k.body) AS chunks",
            ws=ws,
            month=month,
        )
        return (closed(rows[0]["m"]), list(rows[0]["chunks"])) if rows else None

    def insert(self, ws: str, months: Sequence[ClosedMonth]) -> int:
        return self._batches(
            "UNWIND $rows AS row CREATE (m:ClosedMonth) SET m = row, m.workspace = $ws RETURN count(*) AS n",
            [
                {
                    "month": m.month,
                    "closed_at": m.closed_at,
                    "deals": m.deals,
                    "new_clients": m.new_clients,
                    "checksum": m.checksum,
                }
                for m in months
            ],
            ws,
        )

    def insert_chunks(self, ws: str, chunks: Sequence[Chunk]) -> int:
        return self._batches(
            "UNWIND $rows AS row MATCH (m:ClosedMonth {workspace: $ws, month: row.month})"
            " CREATE (m)-[:FROZEN]->(:ClosedChunk {workspace: $ws, month: row.month, chunk: row.chunk, body: row.body})"
            " RETURN count(*) AS n",
            [{"month": c.month, "chunk": c.chunk, "body": c.body} for c in chunks],
            ws,
        )

    def remove(self, ws: str, month: str) -> bool:
        rows = self._run(
            "MATCH (m:ClosedMonth {workspace: $ws, month: $month}) OPTIONAL MATCH (m)-[:FROZEN]->(k:ClosedChunk)"
            " WITH m, collect(k) AS chunks FOREACH (k IN chunks | DETACH DELETE k)"
            " DETACH DELETE m RETURN count(*) AS n",
            ws=ws,
            month=month,
        )
        return bool(rows and rows[0]["n"])

    def each(self, ws: str) -> Iterator[ClosedMonth]:
        for r in self._stream("MATCH (m:ClosedMonth) WHERE m.workspace = $ws RETURN m ORDER BY m.month", ws=ws):
            yield closed(r["m"])

    def each_chunk(self, ws: str) -> Iterator[Chunk]:
        for r in self._stream(
            "MATCH (m:ClosedMonth)-[:FROZEN]->(k:ClosedChunk) WHERE m.workspace = $ws"
            " RETURN k.month AS month, k.chunk AS chunk, k.body AS body ORDER BY month, chunk",
            ws=ws,
        ):
            yield Chunk(r["month"], r["chunk"], r["body"])
