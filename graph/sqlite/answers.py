"""Kept answers of heavy reads in SQLite: one row per (workspace, request key), for one revision."""

from __future__ import annotations

from graph.sqlite.db import Rows


class SqliteAnswers(Rows):
    def get(self, ws: str, key: str, revision: int) -> str | None:
        row = self._run(
            "SELECT body FROM answers WHERE workspace_id = ? AND key = ? AND revision = ?", (ws, key, revision)
        ).fetchone()
        return row[0] if row else None

    def put(self, ws: str, key: str, revision: int, body: str) -> None:
        self._run("DELETE FROM answers WHERE workspace_id = ? AND revision < ?", (ws, revision))
        self._run(
            "INSERT INTO answers(workspace_id, key, revision, body) VALUES (?, ?, ?, ?)"
            " ON CONFLICT(workspace_id, key) DO UPDATE SET revision = excluded.revision, body = excluded.body"
            " WHERE excluded.revision >= answers.revision",
            (ws, key, revision, body),
        )
