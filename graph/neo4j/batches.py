"""Import batches in Neo4j: one (:ImportBatch) node each, its undo payload a JSON string property."""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

from graph.neo4j.db import Rows, native
from referrals.ports import StoredBatch


def _batch(r: Any) -> StoredBatch:
    return StoredBatch(
        id=r["id"],
        created_at=native(r["created_at"]),
        files=tuple(r["files"] or ()),
        summary=json.loads(r["summary"]),
        undone_at=native(r["undone_at"]),
        payload=r["payload"],
    )


class Neo4jBatches(Rows):
    def insert(self, ws: str, batch: StoredBatch) -> None:
        self._run(
            "CREATE (b:ImportBatch {workspace: $ws, id: $id, created_at: $created_at, files: $files,"
            " summary: $summary, undone_at: $undone_at, payload: $payload})",
            ws=ws,
            id=batch.id,
            created_at=batch.created_at,
            files=list(batch.files),
            summary=json.dumps(batch.summary),
            undone_at=batch.undone_at,
            payload=batch.payload or "{}",
        )

    def get(self, ws: str, batch_id: str) -> StoredBatch | None:
        rows = self._run(
            "MATCH (b:ImportBatch {workspace: $ws, id: $id}) RETURN b.id AS id, b.created_at AS created_at,"
            " b.files AS files, b.summary AS summary, b.undone_at AS undone_at, b.payload AS payload",
            ws=ws,
            id=batch_id,
        )
        return _batch(rows[0]) if rows else None

    def recent(self, ws: str, limit: int) -> list[StoredBatch]:
        rows = self._run(
            "MATCH (b:ImportBatch) WHERE b.workspace = $ws RETURN b.id AS id, b.created_at AS created_at,"
            " b.files AS files, b.summary AS summary, b.undone_at AS undone_at, null AS payload"
            " ORDER BY created_at DESC, id DESC LIMIT $limit",
            ws=ws,
            limit=limit,
        )
        return [_batch(r) for r in rows]

    def mark_undone(self, ws: str, batch_id: str, at: datetime) -> None:
        self._run("MATCH (b:ImportBatch {workspace: $ws, id: $id}) SET b.undone_at = $at", ws=ws, id=batch_id, at=at)
