"""Dismissed findings of the integrity check in SQLite: one row each, by the finding's key."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator, Sequence
from datetime import datetime

from graph.sqlite.db import Rows, ts
from referrals.integrity import Dismissal

_INSERT = (
    "INSERT INTO dismissals(workspace_id, key, rule, note, summary, dismissed_at) VALUES (?, ?, ?, ?, ?, ?)"
    " ON CONFLICT(workspace_id, key) DO UPDATE SET rule = excluded.rule, note = excluded.note,"
    " summary = excluded.summary, dismissed_at = excluded.dismissed_at"
)


def _row(ws: str, d: Dismissal) -> tuple[str, ...]:
    return (ws, d.key, d.rule, d.note, d.summary, ts(d.dismissed_at))


def _dismissal(r: sqlite3.Row) -> Dismissal:
    return Dismissal(r["key"], r["rule"], r["note"], r["summary"], datetime.fromisoformat(r["dismissed_at"]))


class SqliteDismissals(Rows):
    def put(self, ws: str, dismissal: Dismissal) -> None:
        self._run(_INSERT, _row(ws, dismissal))

    def insert(self, ws: str, dismissals: Sequence[Dismissal]) -> int:
        return self._many(_INSERT, [_row(ws, d) for d in dismissals])

    def each(self, ws: str) -> Iterator[Dismissal]:
        for r in self._run("SELECT * FROM dismissals WHERE workspace_id = ? ORDER BY key", (ws,)):
            yield _dismissal(r)

    def remove(self, ws: str, key: str) -> bool:
        return self._run("DELETE FROM dismissals WHERE workspace_id = ? AND key = ?", (ws, key)).rowcount > 0
