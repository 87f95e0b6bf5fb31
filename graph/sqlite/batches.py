"""Import batches in SQLite: one row each, its undo payload a JSON text column."""

from __future__ import annotations

import json
import sqlite3
from datetime import datetime

from graph.sqlite.db import Rows, ts
from referrals.ports import StoredBatch


def _batch(row: sqlite3.Row, payload: bool) -> StoredBatch:
    return StoredBatch(
        id=row["id"],
        created_at=datetime.fromisoformat(row["created_at"]),
        files=tuple(json.loads(row["files"])),
        summary=json.loads(row["summary"]),
        undone_at=datetime.fromisoformat(row["undone_at"]) if row["undone_at"] else None,
        payload=row["payload"] if payload else None,
    )


class SqliteBatches(Rows):
    def insert(self, ws: str, batch: StoredBatch) -> None:
        self._run(
            "INSERT INTO import_batches(workspace_id, id, created_at, files, summary, undone_at, payload)"
            " VALUES (?, ?, ?, ?, ?, ?, ?)",
            (
                ws,
                batch.id,
                ts(batch.created_at),
                json.dumps(list(batch.files), ensure_ascii=False),
                json.dumps(batch.summary),
                ts(batch.undone_at) if batch.undone_at else None,
                batch.payload or "{}",
            ),
        )

    def get(self, ws: str, batch_id: str) -> StoredBatch | None:
        row = self._run("SELECT * FROM import_batches WHERE workspace_id = ? AND id = ?", (ws, batch_id)).fetchone()
        return _batch(row, payload=True) if row else None

    def recent(self, ws: str, limit: int) -> list[StoredBatch]:
        rows = self._run(
            "SELECT workspace_id, id, created_at, files, summary, undone_at, NULL AS payload FROM import_batches"
            " INDEXED BY import_batch_by_age WHERE workspace_id = ? ORDER BY created_at DESC, id DESC LIMIT ?",
            (ws, limit),
        )
        return [_batch(r, payload=False) for r in rows]

    def mark_undone(self, ws: str, batch_id: str, at: datetime) -> None:
        self._run("UPDATE import_batches SET undone_at = ? WHERE workspace_id = ? AND id = ?", (ts(at), ws, batch_id))
