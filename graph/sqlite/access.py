"""Workspaces, tokens and idempotency keys in SQLite."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator, Sequence
from datetime import datetime

from graph.sqlite.db import Rows, ts
from referrals.access import Caller, Role, StoredResponse, Token
from referrals.errors import NotFound
from referrals.model import Workspace
from referrals.ports import StoredToken

# Everything of one workspace, children before the rows they reference.
_DELETE_WORKSPACE = (
    "DELETE FROM closed_month_lines WHERE workspace_id = ?",
    "DELETE FROM closed_months WHERE workspace_id = ?",
    "DELETE FROM idempotency_keys WHERE workspace_id = ?",
    "DELETE FROM import_batches WHERE workspace_id = ?",
    "DELETE FROM dismissals WHERE workspace_id = ?",
    "DELETE FROM answers WHERE workspace_id = ?",
    "DELETE FROM tokens WHERE workspace_id = ?",
    "DELETE FROM deals WHERE workspace_id = ?",
    "DELETE FROM source_changes WHERE workspace_id = ?",
    "DELETE FROM referrals WHERE workspace_id = ?",
    "DELETE FROM channels WHERE workspace_id = ?",
    "DELETE FROM clients WHERE workspace_id = ?",
    "DELETE FROM workspaces WHERE id = ?",
)


def _workspace(row: sqlite3.Row) -> Workspace:
    return Workspace(id=row["id"], name=row["name"], created_at=datetime.fromisoformat(row["created_at"]))


class SqliteWorkspaces(Rows):
    def lock(self, ws: str) -> None:
        # BEGIN IMMEDIATE already holds the database's write lock (and the write counts the revision)
        self.require(ws)

    def require(self, ws: str) -> None:
        if not self._run("SELECT 1 FROM workspaces WHERE id = ?", (ws,)).fetchone():
            raise NotFound("workspace", ws, field="workspace")

    def insert(self, workspace: Workspace) -> None:
        self._run(
            "INSERT INTO workspaces(id, name, created_at) VALUES (?, ?, ?)",
            (workspace.id, workspace.name, ts(workspace.created_at)),
        )

    def get(self, ws: str) -> Workspace | None:
        row = self._run("SELECT id, name, created_at FROM workspaces WHERE id = ?", (ws,)).fetchone()
        return _workspace(row) if row else None

    def all(self) -> list[Workspace]:
        return [_workspace(r) for r in self._run("SELECT id, name, created_at FROM workspaces ORDER BY id")]

    def lock_names(self) -> None:
        pass  # BEGIN IMMEDIATE already serializes every write of the file

    def rename(self, ws: str, name: str) -> None:
        self._run("UPDATE workspaces SET name = ? WHERE id = ?", (name, ws))

    def counts(self, ws: str) -> dict[str, int]:
        row = self._run(
            "SELECT (SELECT count(*) FROM clients WHERE workspace_id = :ws) AS clients,"
            " (SELECT count(*) FROM channels WHERE workspace_id = :ws) AS channels,"
            " (SELECT count(*) FROM referrals WHERE workspace_id = :ws) AS referrals,"
            " (SELECT count(*) FROM deals WHERE workspace_id = :ws) AS deals",
            {"ws": ws},
        ).fetchone()
        return {k: row[k] for k in ("clients", "channels", "referrals", "deals")}

    def delete(self, ws: str) -> None:
        for statement in _DELETE_WORKSPACE:
            self._run(statement, (ws,))

    def revision(self, ws: str) -> int | None:
        """The file's count of committed write transactions: it grows with every change to any workspace
        of the file (an embedded store serves one business), so it grows with every change here."""
        row = self._run(
            "SELECT (SELECT value FROM meta WHERE key = 'revision') AS revision FROM workspaces WHERE id = ?", (ws,)
        ).fetchone()
        return None if row is None else int(row["revision"] or 0)


def _token(row: sqlite3.Row) -> Token:
    return Token(
        id=row["id"],
        workspace_id=row["workspace_id"],
        role=Role(row["role"]),
        name=row["name"],
        created_at=datetime.fromisoformat(row["created_at"]),
    )


class SqliteTokens(Rows):
    def insert(self, ws: str, tokens: Sequence[StoredToken]) -> int:
        return self._many(
            "INSERT INTO tokens(id, workspace_id, role, name, token_hash, created_at) VALUES (?, ?, ?, ?, ?, ?)",
            [(t.token.id, ws, t.token.role.value, t.token.name, t.hash, ts(t.token.created_at)) for t in tokens],
        )

    def by_hash(self, token_hash: str) -> Token | None:
        row = self._run("SELECT * FROM tokens WHERE token_hash = ?", (token_hash,)).fetchone()
        return _token(row) if row else None

    def caller(self, token_hash: str) -> Caller | None:
        row = self._run(
            "SELECT t.*, (SELECT value FROM meta WHERE key = 'revision') AS revision FROM tokens t"
            " JOIN workspaces w ON w.id = t.workspace_id WHERE t.token_hash = ?",
            (token_hash,),
        ).fetchone()
        return Caller(_token(row), int(row["revision"] or 0)) if row else None

    def each(self, ws: str) -> Iterator[StoredToken]:
        for r in self._run("SELECT * FROM tokens WHERE workspace_id = ? ORDER BY id", (ws,)):
            yield StoredToken(_token(r), r["token_hash"])

    def remove(self, ws: str, token_id: str) -> bool:
        return bool(
            self._run("DELETE FROM tokens WHERE workspace_id = ? AND id = ? RETURNING id", (ws, token_id)).fetchone()
        )


class SqliteKeys(Rows):
    def sweep(self, ws: str, before: datetime) -> None:
        self._run(
            "DELETE FROM idempotency_keys WHERE workspace_id = :ws AND key IN (SELECT key FROM idempotency_keys"
            " WHERE workspace_id = :ws AND created_at < :cutoff LIMIT 500)",
            {"ws": ws, "cutoff": ts(before)},
        )

    def claim(
        self, ws: str, key: str, fingerprint: str, claim: str, now: datetime, stale_before: datetime
    ) -> StoredResponse | None:
        row = self._run("SELECT * FROM idempotency_keys WHERE workspace_id = ? AND key = ?", (ws, key)).fetchone()
        stale = row is not None and row["status"] is None and row["created_at"] < ts(stale_before)
        if row and not stale:
            return StoredResponse(row["fingerprint"], row["status"], row["body"], row["location"])
        self._run(
            "INSERT INTO idempotency_keys(workspace_id, key, fingerprint, claim, created_at) VALUES (?, ?, ?, ?, ?)"
            " ON CONFLICT(workspace_id, key) DO UPDATE SET fingerprint = excluded.fingerprint,"
            " claim = excluded.claim, created_at = excluded.created_at",
            (ws, key, fingerprint, claim, ts(now)),
        )
        return None

    def complete(self, ws: str, key: str, status: int, body: str, location: str | None, claim: str | None) -> None:
        self._run(
            "UPDATE idempotency_keys SET status = :status, body = :body, location = :location"
            " WHERE workspace_id = :ws AND key = :key AND (:claim IS NULL OR claim = :claim)",
            {"status": status, "body": body, "location": location, "ws": ws, "key": key, "claim": claim},
        )

    def release(self, ws: str, key: str, claim: str | None) -> None:
        self._run(
            "DELETE FROM idempotency_keys WHERE workspace_id = :ws AND key = :key"
            " AND (:claim IS NULL OR claim = :claim)",
            {"ws": ws, "key": key, "claim": claim},
        )
