"""Closed months and their frozen chunks in SQLite."""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterator, Sequence
from datetime import datetime

from graph.sqlite.db import Rows, ts
from referrals.model import ClosedMonth
from referrals.ports import Chunk


def closed(row: sqlite3.Row) -> ClosedMonth:
    return ClosedMonth(
        month=row["month"],
        closed_at=datetime.fromisoformat(row["closed_at"]),
        deals=row["deals"],
        new_clients=row["new_clients"],
        checksum=row["checksum"],
    )


class SqliteMonths(Rows):
    def closed_among(self, ws: str, months: Sequence[str]) -> list[str]:
        rows = self._run(
            "SELECT month FROM closed_months WHERE workspace_id = ? AND month IN (SELECT value FROM json_each(?))",
            (ws, json.dumps(list(months))),
        )
        return [r["month"] for r in rows]

    def get(self, ws: str, month: str) -> ClosedMonth | None:
        row = self._run("SELECT * FROM closed_months WHERE workspace_id = ? AND month = ?", (ws, month)).fetchone()
        return closed(row) if row else None

    def frozen(self, ws: str, month: str) -> tuple[ClosedMonth, list[str]] | None:
        found = self.get(ws, month)
        if found is None:
            return None
        rows = self._run(
            "SELECT body FROM closed_month_lines WHERE workspace_id = ? AND month = ? ORDER BY chunk", (ws, month)
        )
        return found, [r["body"] for r in rows]

    def insert(self, ws: str, months: Sequence[ClosedMonth]) -> int:
        return self._many(
            "INSERT INTO closed_months(workspace_id, month, closed_at, deals, new_clients, checksum)"
            " VALUES (?, ?, ?, ?, ?, ?)",
            [(ws, m.month, ts(m.closed_at), m.deals, m.new_clients, m.checksum) for m in months],
        )

    def insert_chunks(self, ws: str, chunks: Sequence[Chunk]) -> int:
        return self._many(
            "INSERT INTO closed_month_lines(workspace_id, month, chunk, body) VALUES (?, ?, ?, ?)",
            [(ws, c.month, c.chunk, c.body) for c in chunks],
        )

    def remove(self, ws: str, month: str) -> bool:
        gone = self._run(
            "DELETE FROM closed_months WHERE workspace_id = ? AND month = ? RETURNING month", (ws, month)
        ).fetchall()
        return bool(gone)

    def each(self, ws: str) -> Iterator[ClosedMonth]:
        for r in self._run("SELECT * FROM closed_months WHERE workspace_id = ? ORDER BY month", (ws,)):
            yield closed(r)

    def each_chunk(self, ws: str) -> Iterator[Chunk]:
        for r in self._run("SELECT * FROM closed_month_lines WHERE workspace_id = ? ORDER BY month, chunk", (ws,)):
            yield Chunk(r["month"], r["chunk"], r["body"])
