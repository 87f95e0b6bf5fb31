"""Recommendations and the source history in SQLite."""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterator, Sequence
from datetime import date, datetime
from typing import Any

from graph.sqlite.db import Rows, moment, ts
from referrals.errors import NotFound
from referrals.model import Referral, SourceChange, SourceKind, SourceRef
from referrals.ports import HistoryEntry
from referrals.rules import Edge

REFERRAL_COLUMNS = ("id", "source_kind", "source_id", "client_id", "referred_on", "note", "is_primary", "created_at")
HISTORY_COLUMNS = (
    "seq",
    "client_id",
    "previous_kind",
    "previous_id",
    "previous_referral_id",
    "current_kind",
    "current_id",
    "referral_id",
    "reason",
    "changed_at",
)


def referral_row(ws: str, r: Referral) -> tuple[Any, ...]:
    """The workspace and the recommendation's REFERRAL_COLUMNS, in order."""
    return (
        ws,
        r.id,
        r.source.kind.value,
        r.source.id,
        r.client_id,
        r.referred_on.isoformat(),
        r.note,
        int(r.primary),
        ts(r.created_at),
    )


def referral(row: sqlite3.Row) -> Referral:
    return Referral(
        id=row["id"],
        source=SourceRef(SourceKind(row["source_kind"]), row["source_id"]),
        client_id=row["client_id"],
        referred_on=date.fromisoformat(row["referred_on"]),
        note=row["note"],
        primary=bool(row["is_primary"]),
        created_at=moment(row["created_at"]),
    )


def history_row(ws: str, e: HistoryEntry) -> dict[str, Any]:
    c = e.change
    return {
        "ws": ws,
        "seq": e.seq,
        "client_id": c.client_id,
        "previous_kind": c.previous.kind.value if c.previous else None,
        "previous_id": c.previous.id if c.previous else None,
        "previous_referral_id": c.previous_referral_id,
        "current_kind": c.current.kind.value if c.current else None,
        "current_id": c.current.id if c.current else None,
        "referral_id": c.referral_id,
        "reason": c.reason,
        "changed_at": ts(c.changed_at),
    }


def source_change(row: sqlite3.Row) -> SourceChange:
    def ref(kind: str | None, id_: str | None) -> SourceRef | None:
        return SourceRef(SourceKind(kind), id_) if kind and id_ else None

    return SourceChange(
        client_id=row["client_id"],
        previous=ref(row["previous_kind"], row["previous_id"]),
        previous_referral_id=row["previous_referral_id"],
        current=ref(row["current_kind"], row["current_id"]),
        referral_id=row["referral_id"],
        reason=row["reason"],
        changed_at=datetime.fromisoformat(row["changed_at"]),
    )


# Parameters: a referral_row. The numbers of both ends are looked up by id (schema version 12): ?1 is the
# workspace, ?3 the source's kind, ?4 its id and ?5 the client's id, as referral_row places them.
assert REFERRAL_COLUMNS[1:4] == ("source_kind", "source_id", "client_id")
_INSERT_REFERRAL = (
    "INSERT INTO referrals(workspace_id, "  # noqa: S608 - column table of literals (tests/graph/test_query_text.py)
    + ", ".join(REFERRAL_COLUMNS)
    + ", source_n, client_n) VALUES (?, "
    + ", ".join("?" for _ in REFERRAL_COLUMNS)
    + ", CASE ?3 WHEN 'client' THEN (SELECT n FROM clients WHERE workspace_id = ?1 AND id = ?4)"
    " ELSE (SELECT n FROM channels WHERE workspace_id = ?1 AND id = ?4) END,"
    " (SELECT n FROM clients WHERE workspace_id = ?1 AND id = ?5))"
)
_INSERT_HISTORY = (
    "INSERT INTO source_changes(workspace_id, "  # noqa: S608 - column table of literals (tests/graph/test_query_text.py)
    + ", ".join(HISTORY_COLUMNS)
    + ") VALUES (:ws, "
    + ", ".join(":" + c for c in HISTORY_COLUMNS)
    + ")"
)
# The next entry of a client's history takes the next sequence number.
_LOG = (
    "INSERT INTO source_changes(workspace_id, "  # noqa: S608 - column table of literals (tests/graph/test_query_text.py)
    + ", ".join(HISTORY_COLUMNS)
    + ") VALUES (:ws, (SELECT coalesce(max(seq), 0) + 1 FROM source_changes WHERE workspace_id = :ws"
    " AND client_id = :client_id), " + ", ".join(":" + c for c in HISTORY_COLUMNS[1:]) + ")"
)
_FIND = {
    "client": "SELECT * FROM referrals INDEXED BY referral_by_client WHERE workspace_id = :ws AND client_id = :client"
    " AND (:sk IS NULL OR (source_kind = :sk AND source_id = :sid)) AND id > :after ORDER BY id LIMIT :limit",
    "source": "SELECT * FROM referrals INDEXED BY referral_by_source WHERE workspace_id = :ws AND source_kind = :sk"
    " AND source_id = :sid AND id > :after ORDER BY id LIMIT :limit",
    "all": "SELECT * FROM referrals WHERE workspace_id = :ws AND id > :after ORDER BY id LIMIT :limit",
}


class SqliteReferrals(Rows):
    def get(self, ws: str, referral_id: str) -> Referral:
        row = self._run("SELECT * FROM referrals WHERE workspace_id = ? AND id = ?", (ws, referral_id)).fetchone()
        if not row:
            raise NotFound("referral", referral_id)
        return referral(row)

    def primary(self, ws: str, client_id: str) -> Referral | None:
        row = self._run(
            "SELECT * FROM referrals INDEXED BY referral_one_primary"
            " WHERE workspace_id = ? AND client_id = ? AND is_primary = 1",
            (ws, client_id),
        ).fetchone()
        return referral(row) if row else None

    def pair(self, ws: str, source: SourceRef, client_id: str) -> Referral | None:
        row = self._run(
            "SELECT * FROM referrals WHERE workspace_id = ? AND source_kind = ? AND source_id = ? AND client_id = ?",
            (ws, source.kind.value, source.id, client_id),
        ).fetchone()
        return referral(row) if row else None

    def would_cycle(self, ws: str, source: SourceRef, client_id: str) -> bool:
        """True when client_id is source itself or one of its ancestors (over every recommendation)."""
        if source.kind is not SourceKind.CLIENT:
            return False
        # Walk down from the client: a newly recommended client has nobody below it, so this ends at once.
        row = self._run(
            "WITH RECURSIVE down(id) AS (SELECT :client UNION SELECT r.client_id"
            " FROM referrals r INDEXED BY referral_by_source JOIN down"
            " ON r.workspace_id = :ws AND r.source_kind = 'client' AND r.source_id = down.id)"
            " SELECT EXISTS (SELECT 1 FROM down WHERE id = :source)",
            {"ws": ws, "source": source.id, "client": client_id},
        ).fetchone()
        return bool(row[0])

    def edges(self, ws: str) -> list[Edge]:
        rows = self._run(
            "SELECT source_kind, source_id, client_id, is_primary FROM referrals WHERE workspace_id = ?", (ws,)
        )
        return [Edge(SourceRef(SourceKind(r[0]), r[1]), r[2], bool(r[3])) for r in rows]

    def insert(self, ws: str, referrals: Sequence[Referral]) -> int:
        return self._many(_INSERT_REFERRAL, [referral_row(ws, r) for r in referrals])

    def set_primary(self, ws: str, referral_id: str, primary: bool) -> None:
        self._run(
            "UPDATE referrals SET is_primary = ? WHERE workspace_id = ? AND id = ?", (int(primary), ws, referral_id)
        )

    def remove(self, ws: str, referral_id: str) -> None:
        self._run("DELETE FROM referrals WHERE workspace_id = ? AND id = ?", (ws, referral_id))

    def remove_all(self, ws: str, referrals: Sequence[Referral]) -> None:
        self._run(
            "DELETE FROM referrals WHERE workspace_id = ? AND id IN (SELECT value FROM json_each(?))",
            (ws, json.dumps([r.id for r in referrals])),
        )

    def children(self, ws: str, client_id: str) -> list[Referral]:
        rows = self._run(
            "SELECT * FROM referrals INDEXED BY referral_by_source WHERE workspace_id = ? AND source_kind = 'client'"
            " AND source_id = ? AND is_primary = 1 ORDER BY id",
            (ws, client_id),
        )
        return [referral(r) for r in rows]

    def find(
        self, ws: str, client_id: str | None, source: SourceRef | None, limit: int | None, after: str | None
    ) -> list[Referral]:
        """Each filter starts from its own index."""
        params = {
            "ws": ws,
            "after": after or "",
            "limit": -1 if limit is None else limit,
            "client": client_id,
            "sk": source.kind.value if source else None,
            "sid": source.id if source else None,
        }
        shape = "client" if client_id is not None else "source" if source is not None else "all"
        return [referral(r) for r in self._run(_FIND[shape], params).fetchall()]

    def each(self, ws: str) -> Iterator[Referral]:
        for r in self._run("SELECT * FROM referrals WHERE workspace_id = ? ORDER BY id", (ws,)):
            yield referral(r)

    def each_pair(self, ws: str) -> Iterator[tuple[str, str, str, bool]]:
        for r in self._run(
            "SELECT source_id, client_id, referred_on, is_primary FROM referrals WHERE workspace_id = ?"
            " ORDER BY source_id, client_id",
            (ws,),
        ):
            yield r[0], r[1], r[2], bool(r[3])

    def log(self, ws: str, change: SourceChange) -> None:
        row = history_row(ws, HistoryEntry(0, change))
        del row["seq"]
        self._run(_LOG, row)

    def history(self, ws: str, client_id: str) -> list[SourceChange]:
        rows = self._run(
            "SELECT * FROM source_changes WHERE workspace_id = ? AND client_id = ? ORDER BY seq", (ws, client_id)
        ).fetchall()
        return [source_change(r) for r in rows]

    def each_history(self, ws: str) -> Iterator[HistoryEntry]:
        for r in self._run("SELECT * FROM source_changes WHERE workspace_id = ? ORDER BY client_id, seq", (ws,)):
            yield HistoryEntry(r["seq"], source_change(r))

    def insert_history(self, ws: str, entries: Sequence[HistoryEntry]) -> int:
        return self._many(_INSERT_HISTORY, [history_row(ws, e) for e in entries])
