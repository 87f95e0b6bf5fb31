"""Workspaces, tokens and idempotency keys in Neo4j."""

from __future__ import annotations

import os
import socket
from collections.abc import Iterator, Sequence
from datetime import datetime
from typing import Any, LiteralString, cast

import neo4j

from graph.neo4j.db import Db, Rows, moment, native, time_of
from referrals import clock
from referrals.access import Caller, CallerCheck, Role, StoredResponse, Token
from referrals.errors import NotFound
from referrals.model import Workspace
from referrals.ports import StoredToken

# Every data write starts here: it takes the workspace node's write lock until commit (writes of one
# workspace queue here, so a read-check-write sequence never interleaves with another) and counts the
# workspace's revision, which tells caches of heavy reads when the workspace changed.
# The marker of a workspace whose records are being written (a restore) or removed (a delete) in
# batches: `sweep_unfinished` deletes what such a workspace left when its process is gone.
SWEEP_MARKER: LiteralString = (
    "CREATE (:RestoreInProgress {workspace: $ws, host: $host, pid: $pid, started_at: $at, touched_at: $at})"
)


def marker(ws: str) -> dict[str, Any]:
    """The parameters of SWEEP_MARKER for this process."""
    return {"ws": ws, "host": socket.gethostname(), "pid": os.getpid(), "at": clock.now()}


_LOCK: LiteralString = (
    "MATCH (w:Workspace {id: $ws}) SET w._lock = true, w.revision = coalesce(w.revision, 0) + 1 RETURN w.id AS id"
)


class Neo4jWorkspaces(Rows):
    def lock(self, ws: str) -> None:
        if not self._run(_LOCK, ws=ws):
            raise NotFound("workspace", ws, field="workspace")

    def require(self, ws: str) -> None:
        if not self._run("MATCH (w:Workspace {id: $ws}) RETURN w.id AS id", ws=ws):
            raise NotFound("workspace", ws, field="workspace")

    def insert(self, workspace: Workspace) -> None:
        self._run(
            "CREATE (:Workspace {id: $id, name: $name, created_at: $at})",
            id=workspace.id,
            name=workspace.name,
            at=workspace.created_at,
        )

    def get(self, ws: str) -> Workspace | None:
        rows = self._run("MATCH (w:Workspace {id: $id}) RETURN w.id AS id, w.name AS name, w.created_at AS at", id=ws)
        return Workspace(id=rows[0]["id"], name=rows[0]["name"], created_at=native(rows[0]["at"])) if rows else None

    def all(self) -> list[Workspace]:
        rows = self._run("MATCH (w:Workspace) RETURN w.id AS id, w.name AS name, w.created_at AS at ORDER BY id")
        return [Workspace(id=r["id"], name=r["name"], created_at=native(r["at"])) for r in rows]

    def lock_names(self) -> None:
        # the one SchemaVersion node stands for the store: locking it queues creations and renames
        self._run("MATCH (v:SchemaVersion) SET v._names_lock = true RETURN count(v) AS n")

    def rename(self, ws: str, name: str) -> None:
        self._run("MATCH (w:Workspace {id: $ws}) SET w.name = $name", ws=ws, name=name)

    def counts(self, ws: str) -> dict[str, int]:
        (row,) = self._run(
            "RETURN COUNT { MATCH (c:Client) WHERE c.workspace = $ws } AS clients,"
            " COUNT { MATCH (c:Channel) WHERE c.workspace = $ws } AS channels,"
            " COUNT { MATCH ()-[r:REFERRED]->() WHERE r.workspace = $ws } AS referrals,"
            " COUNT { MATCH (d:Deal) WHERE d.workspace = $ws } AS deals",
            ws=ws,
        )
        return {k: row[k] for k in ("clients", "channels", "referrals", "deals")}

    def delete(self, ws: str) -> None:
        """The workspace node goes at once (its tokens stop working with it); a marker left in its place
        has `Store.purge` (or, after a crash, `sweep_unfinished`) delete the rest in batches."""
        self._run("MATCH (w:Workspace {id: $ws}) DETACH DELETE w " + SWEEP_MARKER, **marker(ws))

    def revision(self, ws: str) -> int | None:
        """The count the workspace lock keeps: every data write takes the lock, so every change counts."""
        rows = self._run("MATCH (w:Workspace {id: $ws}) RETURN coalesce(w.revision, 0) AS r", ws=ws)
        return int(rows[0]["r"]) if rows else None


# A token node as read: its properties, its time as `time_of` sends it.
_TOKEN: LiteralString = "t{.*, " + time_of("t", "created_at") + "} AS t"


def _token(t: Any) -> Token:
    return Token(
        id=t["id"],
        workspace_id=t["workspace"],
        role=Role(t["role"]),
        name=t["name"],
        created_at=moment(t["created_at"]),
    )


class Neo4jTokens(Rows):
    def insert(self, ws: str, tokens: Sequence[StoredToken]) -> int:
        return self._batches(
            "UNWIND $rows AS row CREATE (t:Token) SET t = row, t.workspace = $ws RETURN count(*) AS n",
            [
                {
                    "id": t.token.id,
                    "role": t.token.role.value,
                    "name": t.token.name,
                    "hash": t.hash,
                    "created_at": t.token.created_at,
                }
                for t in tokens
            ],
            ws,
        )

    def by_hash(self, token_hash: str) -> Token | None:
        rows = self._run("MATCH (t:Token {hash: $hash}) RETURN " + _TOKEN, hash=token_hash)
        return _token(rows[0]["t"]) if rows else None

    def caller(self, token_hash: str) -> Caller | None:
        rows = self._run(
            "MATCH (t:Token {hash: $hash}) MATCH (w:Workspace {id: t.workspace})"
            " RETURN " + _TOKEN + ", coalesce(w.revision, 0) AS r",
            hash=token_hash,
        )
        return Caller(_token(rows[0]["t"]), int(rows[0]["r"])) if rows else None

    def each(self, ws: str) -> Iterator[StoredToken]:
        for r in self._stream("MATCH (t:Token) WHERE t.workspace = $ws RETURN " + _TOKEN + " ORDER BY t.id", ws=ws):
            yield StoredToken(_token(r["t"]), r["t"]["hash"])

    def remove(self, ws: str, token_id: str) -> bool:
        rows = self._run(
            "MATCH (t:Token {id: $id}) WHERE t.workspace = $ws WITH t, t.id AS id DELETE t RETURN id",
            ws=ws,
            id=token_id,
        )
        return bool(rows)


# A one-statement read sent with its caller's token check (`Neo4jStore.checking`): the read runs only
# when the token exists in the workspace it is expected in, and each of its rows carries the token and
# the workspace's revision. The read's own options (`CYPHER 5`) stay in front.
_CHECKED_HEAD: LiteralString = (
    "MATCH (t:Token {hash: $caller_hash}) WHERE t.workspace = $caller_workspace"
    " OPTIONAL MATCH (w:Workspace {id: $caller_workspace})"
    " WITH t{.*, " + time_of("t", "created_at") + "} AS caller_token, coalesce(w.revision, 0) AS caller_revision"
    " CALL () { "
)
_CHECKED_TAIL: LiteralString = " } RETURN *"
_V5: LiteralString = "CYPHER 5 "  # the one option our reads put in front (graph/neo4j/traversals.py)


def with_caller_check(query: LiteralString) -> LiteralString:
    """`query` (one read, any columns) behind the check of `_CHECKED_HEAD`; its options stay in front."""
    if query.startswith(_V5):
        return _V5 + _CHECKED_HEAD + cast(LiteralString, query[len(_V5) :]) + _CHECKED_TAIL
    return _CHECKED_HEAD + query + _CHECKED_TAIL


class CheckingSession:
    """A session whose first statement also checks the caller's token (see `with_caller_check`).

    Rows back: the token was found in its workspace and the rows are the read's. No rows: either the
    token is not there or the read has none, and the token alone (one more statement, the rare path)
    tells which."""

    def __init__(self, db: Db, session: neo4j.Session, check: CallerCheck) -> None:
        self.db, self.session, self.check = db, session, check

    def run(self, query: LiteralString, parameters: dict[str, Any] | None = None) -> Any:
        check = self.check
        if check.settled:
            return self.session.run(query, parameters)
        params = {**(parameters or {}), "caller_hash": check.token_hash, "caller_workspace": check.workspace_id}
        rows = list(self.session.run(with_caller_check(query), params))
        if rows:
            check.done(Caller(_token(rows[0]["caller_token"]), int(rows[0]["caller_revision"])))
        else:
            check.done(Neo4jTokens(self.db, self.session).caller(check.token_hash))
        return rows


class Neo4jKeys(Rows):
    def sweep(self, ws: str, before: datetime) -> None:
        self._run(
            "MATCH (k:IdempotencyKey) WHERE k.workspace = $ws AND k.created_at < $cutoff WITH k LIMIT 500 DELETE k",
            ws=ws,
            cutoff=before,
        )

    def claim(
        self, ws: str, key: str, fingerprint: str, claim: str, now: datetime, stale_before: datetime
    ) -> StoredResponse | None:
        """One MERGE under the (workspace, key) constraint; only the claimer sees its own claim id come back."""
        rows = self._run(
            "MATCH (w:Workspace {id: $ws}) MERGE (k:IdempotencyKey {workspace: $ws, key: $key})"
            " ON CREATE SET k.claim = $claim, k.fingerprint = $fp, k.created_at = $at"
            " WITH k, k.status IS NULL AND k.created_at < $stale AS stale"
            " SET k.claim = CASE WHEN stale THEN $claim ELSE k.claim END,"
            " k.fingerprint = CASE WHEN stale THEN $fp ELSE k.fingerprint END,"
            " k.created_at = CASE WHEN stale THEN $at ELSE k.created_at END"
            " RETURN k.claim = $claim AS fresh, k.fingerprint AS fp, k.status AS status, k.body AS body,"
            " k.location AS location",
            ws=ws,
            key=key,
            claim=claim,
            fp=fingerprint,
            at=now,
            stale=stale_before,
        )
        if not rows:
            raise NotFound("workspace", ws, field="workspace")
        r = rows[0]
        return None if r["fresh"] else StoredResponse(r["fp"], r["status"], r["body"], r["location"])

    def complete(self, ws: str, key: str, status: int, body: str, location: str | None, claim: str | None) -> None:
        self._run(
            "MATCH (k:IdempotencyKey {workspace: $ws, key: $key}) WHERE $claim IS NULL OR k.claim = $claim"
            " SET k.status = $status, k.body = $body, k.location = $location",
            ws=ws,
            key=key,
            status=status,
            body=body,
            location=location,
            claim=claim,
        )

    def release(self, ws: str, key: str, claim: str | None) -> None:
        self._run(
            "MATCH (k:IdempotencyKey {workspace: $ws, key: $key}) WHERE $claim IS NULL OR k.claim = $claim DELETE k",
            ws=ws,
            key=key,
            claim=claim,
        )
