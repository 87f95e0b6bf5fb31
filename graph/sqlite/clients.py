"""Clients and channels in SQLite: one column table per record, the statements derived from it."""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterator, Sequence
from datetime import date
from typing import Any

from graph.sqlite.db import Rows, day, moment, ts
from referrals.errors import NotFound
from referrals.model import Channel, ChannelKind, Client, ClientQuery, ClientStatus, Page, name_key

# The columns of a client (besides workspace_id), in one place: the statements below are built from it.
CLIENT_COLUMNS = (
    "id",
    "name",
    "name_key",
    "email",
    "phone",
    "status",
    "tags",
    "external_id",
    "notes",
    "acquired_on",
    "created_at",
    "updated_at",
)


def client_row(ws: str, c: Client) -> tuple[Any, ...]:
    """The workspace and the client's CLIENT_COLUMNS, in order (positional parameters bind faster than
    named ones: a bulk write binds a million)."""
    return (
        ws,
        c.id,
        c.name,
        name_key(c.name),
        c.email,
        c.phone,
        c.status.value,
        json.dumps(list(c.tags)) if c.tags else "[]",
        c.external_id,
        c.notes,
        day(c.acquired_on),
        ts(c.created_at),
        ts(c.updated_at),
    )


def client(row: sqlite3.Row) -> Client:
    return Client(
        id=row["id"],
        name=row["name"],
        email=row["email"],
        phone=row["phone"],
        status=ClientStatus(row["status"]),
        tags=tuple(json.loads(tags)) if (tags := row["tags"]) != "[]" else (),
        external_id=row["external_id"],
        notes=row["notes"],
        acquired_on=date.fromisoformat(row["acquired_on"]) if row["acquired_on"] else None,
        created_at=moment(row["created_at"]),
        updated_at=moment(row["updated_at"]),
    )


# A new client takes the next number of the file (schema version 12); channels count down from -1.
_INSERT_CLIENT = (
    "INSERT INTO clients(workspace_id, "  # noqa: S608 - column table of literals (tests/graph/test_query_text.py)
    + ", ".join(CLIENT_COLUMNS)
    + ", n) VALUES (?, "
    + ", ".join("?" for _ in CLIENT_COLUMNS)
    + ", (SELECT coalesce(max(n), 0) + 1 FROM clients))"
)
# Parameters: a client_row without its workspace, then the workspace and the id.
_UPDATE_CLIENT = (
    "UPDATE clients SET " + ", ".join(c + " = ?" for c in CLIENT_COLUMNS) + " WHERE workspace_id = ? AND id = ?"  # noqa: S608 - column table of literals (tests/graph/test_query_text.py)
)


class SqliteClients(Rows):
    def get(self, ws: str, client_id: str, field: str = "id") -> Client:
        row = self._run("SELECT * FROM clients WHERE workspace_id = ? AND id = ?", (ws, client_id)).fetchone()
        if not row:
            raise NotFound("client", client_id, field=field)
        return client(row)

    def insert(self, ws: str, clients: Sequence[Client]) -> int:
        return self._many(_INSERT_CLIENT, [client_row(ws, c) for c in clients])

    def replace(self, ws: str, clients: Sequence[Client]) -> None:
        self._many(_UPDATE_CLIENT, [(*client_row(ws, c)[1:], ws, c.id) for c in clients])

    def by_external_id(self, ws: str, external_ids: Sequence[str]) -> dict[str, Client]:
        rows = self._run(
            # each id looked up on the (workspace, external id) index: with IN, SQLite scanned the workspace
            "SELECT t.* FROM json_each(?) v CROSS JOIN clients t ON t.workspace_id = ? AND t.external_id = v.value",
            (json.dumps(list(external_ids)), ws),
        )
        return {r["external_id"]: client(r) for r in rows}

    def known(self, ws: str, ids: Sequence[str]) -> set[str]:
        rows = self._run(
            "SELECT id FROM clients WHERE workspace_id = ? AND id IN (SELECT value FROM json_each(?))",
            (ws, json.dumps(list(ids))),
        )
        return {r[0] for r in rows}

    def page(self, ws: str, query: ClientQuery) -> Page[Client]:
        rows = self._run(
            "SELECT * FROM clients c WHERE workspace_id = :ws AND id > :after"
            " AND (:text IS NULL OR instr(name_key, :text) > 0 OR instr(coalesce(email, ''), :text) > 0"
            " OR phone = :phone)"
            " AND (:tag IS NULL OR EXISTS (SELECT 1 FROM json_each(c.tags) WHERE value = :tag))"
            " AND (:status IS NULL OR status = :status)"
            " AND (:acq_from IS NULL OR acquired_on >= :acq_from)"
            " AND (:acq_to IS NULL OR acquired_on <= :acq_to)"
            " ORDER BY id LIMIT :limit",
            {
                "ws": ws,
                "after": query.after or "",
                "text": name_key(query.text) if query.text else None,
                "phone": query.phone,
                "tag": query.tag.strip().lower() if query.tag else None,
                "status": query.status.value if query.status else None,
                "acq_from": day(query.acquired_from),
                "acq_to": day(query.acquired_to),
                "limit": query.limit + 1,
            },
        ).fetchall()
        return Page.from_overfetch([client(r) for r in rows], query.limit)

    def each(self, ws: str) -> Iterator[Client]:
        for r in self._run("SELECT * FROM clients WHERE workspace_id = ? ORDER BY id", (ws,)):
            yield client(r)

    def each_named(self, ws: str) -> Iterator[tuple[str, str, str]]:
        for r in self._run("SELECT id, name, status FROM clients WHERE workspace_id = ? ORDER BY id", (ws,)):
            yield r[0], r[1], r[2]

    def remove(self, ws: str, client_id: str) -> None:
        self._run(
            "DELETE FROM referrals WHERE workspace_id = ? AND (client_id = ? OR"
            " (source_kind = 'client' AND source_id = ?))",
            (ws, client_id, client_id),
        )
        self._run("DELETE FROM source_changes WHERE workspace_id = ? AND client_id = ?", (ws, client_id))
        self._run("DELETE FROM clients WHERE workspace_id = ? AND id = ?", (ws, client_id))

    def remove_all(self, ws: str, ids: Sequence[str]) -> None:
        self._run(
            "DELETE FROM clients WHERE workspace_id = ? AND id IN (SELECT value FROM json_each(?))",
            (ws, json.dumps(list(ids))),
        )


# -- channels -----------------------------------------------------------------------------

CHANNEL_COLUMNS = ("id", "name", "name_key", "kind", "url", "external_id", "notes", "created_at", "updated_at")


def channel_row(ws: str, c: Channel) -> dict[str, Any]:
    return {
        "ws": ws,
        "id": c.id,
        "name": c.name,
        "name_key": name_key(c.name),
        "kind": c.kind.value,
        "url": c.url,
        "external_id": c.external_id,
        "notes": c.notes,
        "created_at": ts(c.created_at),
        "updated_at": ts(c.updated_at),
    }


def channel(row: sqlite3.Row) -> Channel:
    return Channel(
        id=row["id"],
        name=row["name"],
        kind=ChannelKind(row["kind"]),
        url=row["url"],
        external_id=row["external_id"],
        notes=row["notes"],
        created_at=moment(row["created_at"]),
        updated_at=moment(row["updated_at"]),
    )


_INSERT_CHANNEL = (
    "INSERT INTO channels(workspace_id, "  # noqa: S608 - column table of literals (tests/graph/test_query_text.py)
    + ", ".join(CHANNEL_COLUMNS)
    + ", n) VALUES (:ws, "
    + ", ".join(":" + c for c in CHANNEL_COLUMNS)
    + ", (SELECT coalesce(min(n), 0) - 1 FROM channels))"
)
_UPDATE_CHANNEL = (
    "UPDATE channels SET "  # noqa: S608 - column table of literals (tests/graph/test_query_text.py)
    + ", ".join(c + " = :" + c for c in CHANNEL_COLUMNS)
    + " WHERE workspace_id = :ws AND id = :id"
)


class SqliteChannels(Rows):
    def get(self, ws: str, channel_id: str, field: str = "id") -> Channel:
        row = self._run("SELECT * FROM channels WHERE workspace_id = ? AND id = ?", (ws, channel_id)).fetchone()
        if not row:
            raise NotFound("channel", channel_id, field=field)
        return channel(row)

    def insert(self, ws: str, channels: Sequence[Channel]) -> int:
        return self._many(_INSERT_CHANNEL, [channel_row(ws, c) for c in channels])

    def replace(self, ws: str, channels: Sequence[Channel]) -> None:
        self._many(_UPDATE_CHANNEL, [channel_row(ws, c) for c in channels])

    def known(self, ws: str, ids: Sequence[str]) -> set[str]:
        rows = self._run(
            "SELECT id FROM channels WHERE workspace_id = ? AND id IN (SELECT value FROM json_each(?))",
            (ws, json.dumps(list(ids))),
        )
        return {r[0] for r in rows}

    def page(self, ws: str, limit: int, after: str | None) -> Page[Channel]:
        rows = self._run(
            "SELECT * FROM channels WHERE workspace_id = ? AND id > ? ORDER BY id LIMIT ?", (ws, after or "", limit + 1)
        ).fetchall()
        return Page.from_overfetch([channel(r) for r in rows], limit)

    def each(self, ws: str) -> Iterator[Channel]:
        for r in self._run("SELECT * FROM channels WHERE workspace_id = ? ORDER BY id", (ws,)):
            yield channel(r)

    def uses(self, ws: str, channel_id: str) -> int:
        return int(
            self._run(
                "SELECT count(*) FROM referrals WHERE workspace_id = ? AND source_kind = 'channel' AND source_id = ?",
                (ws, channel_id),
            ).fetchone()[0]
        )

    def remove(self, ws: str, channel_id: str) -> None:
        self._run("DELETE FROM channels WHERE workspace_id = ? AND id = ?", (ws, channel_id))

    def remove_all(self, ws: str, ids: Sequence[str]) -> None:
        self._run(
            "DELETE FROM channels WHERE workspace_id = ? AND id IN (SELECT value FROM json_each(?))",
            (ws, json.dumps(list(ids))),
        )
