"""Deals in SQLite."""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterator, Sequence
from datetime import date
from typing import Any

from graph.sqlite.db import Rows, day, moment, ts
from referrals.errors import NotFound
from referrals.model import Deal, DealQuery, Page
from referrals.money import Money

DEAL_COLUMNS = (
    "id",
    "client_id",
    "amount_minor",
    "currency",
    "closed_on",
    "title",
    "external_id",
    "created_at",
    "updated_at",
)


def deal_row(ws: str, d: Deal) -> tuple[Any, ...]:
    """The workspace and the deal's DEAL_COLUMNS, in order."""
    return (
        ws,
        d.id,
        d.client_id,
        d.amount.minor,
        d.amount.currency,
        d.closed_on.isoformat(),
        d.title,
        d.external_id,
        ts(d.created_at),
        ts(d.updated_at),
    )


def deal(row: sqlite3.Row) -> Deal:
    return Deal(
        id=row["id"],
        client_id=row["client_id"],
        amount=Money(row["amount_minor"], row["currency"]),
        closed_on=date.fromisoformat(row["closed_on"]),
        title=row["title"],
        external_id=row["external_id"],
        created_at=moment(row["created_at"]),
        updated_at=moment(row["updated_at"]),
    )


# Parameters: a deal_row. The client's number is looked up by id (schema version 12): ?1 is the workspace
# and ?3 the client's id, as deal_row places them.
assert DEAL_COLUMNS[1] == "client_id"
_INSERT = (
    "INSERT INTO deals(workspace_id, "  # noqa: S608 - column table of literals (tests/graph/test_query_text.py)
    + ", ".join(DEAL_COLUMNS)
    + ", client_n) VALUES (?, "
    + ", ".join("?" for _ in DEAL_COLUMNS)
    + ", (SELECT n FROM clients WHERE workspace_id = ?1 AND id = ?3))"
)
# Parameters: a deal_row without its workspace, then the workspace and the client's id (for its number),
# then the workspace and the deal's id.
_UPDATE = (
    "UPDATE deals SET "  # noqa: S608 - column table of literals (tests/graph/test_query_text.py)
    + ", ".join(c + " = ?" for c in DEAL_COLUMNS)
    + ", client_n = (SELECT n FROM clients WHERE workspace_id = ? AND id = ?) WHERE workspace_id = ? AND id = ?"
)


class SqliteDeals(Rows):
    def get(self, ws: str, deal_id: str) -> Deal:
        row = self._run("SELECT * FROM deals WHERE workspace_id = ? AND id = ?", (ws, deal_id)).fetchone()
        if not row:
            raise NotFound("deal", deal_id)
        return deal(row)

    def insert(self, ws: str, deals: Sequence[Deal]) -> int:
        return self._many(_INSERT, [deal_row(ws, d) for d in deals])

    def replace(self, ws: str, deals: Sequence[Deal]) -> None:
        self._many(_UPDATE, [(*deal_row(ws, d)[1:], ws, d.client_id, ws, d.id) for d in deals])

    def remove(self, ws: str, deal_id: str) -> None:
        self._run("DELETE FROM deals WHERE workspace_id = ? AND id = ?", (ws, deal_id))

    def remove_all(self, ws: str, ids: Sequence[str]) -> None:
        self._run(
            "DELETE FROM deals WHERE workspace_id = ? AND id IN (SELECT value FROM json_each(?))",
            (ws, json.dumps(list(ids))),
        )

    def by_external_id(self, ws: str, external_ids: Sequence[str]) -> dict[str, Deal]:
        rows = self._run(
            # each id looked up on the (workspace, external id) index: with IN, SQLite scanned the workspace
            "SELECT t.* FROM json_each(?) v CROSS JOIN deals t ON t.workspace_id = ? AND t.external_id = v.value",
            (json.dumps(list(external_ids)), ws),
        )
        return {r["external_id"]: deal(r) for r in rows}

    def count_of(self, ws: str, client_id: str) -> int:
        return int(
            self._run(
                "SELECT count(*) FROM deals INDEXED BY deal_by_client WHERE workspace_id = ? AND client_id = ?",
                (ws, client_id),
            ).fetchone()[0]
        )

    def page(self, ws: str, query: DealQuery) -> Page[Deal]:
        rows = self._run(
            "SELECT * FROM deals WHERE workspace_id = :ws AND id > :after"
            " AND (:client IS NULL OR client_id = :client)"
            " AND (:from IS NULL OR closed_on >= :from) AND (:to IS NULL OR closed_on <= :to)"
            " ORDER BY id LIMIT :limit",
            {
                "ws": ws,
                "after": query.after or "",
                "client": query.client_id,
                "from": day(query.closed_from),
                "to": day(query.closed_to),
                "limit": query.limit + 1,
            },
        ).fetchall()
        return Page.from_overfetch([deal(r) for r in rows], query.limit)

    def each(self, ws: str) -> Iterator[Deal]:
        for r in self._run("SELECT * FROM deals WHERE workspace_id = ? ORDER BY id", (ws,)):
            yield deal(r)

    def revenue(self, ws: str, until: date | None = None) -> Iterator[tuple[str, str, int]]:
        for r in self._run(
            "SELECT client_id, currency, sum(amount_minor) AS total FROM deals WHERE workspace_id = ?"
            " AND (? IS NULL OR closed_on <= ?) GROUP BY client_id, currency",
            (ws, *(2 * [until.isoformat() if until else None])),
        ):
            yield r["client_id"], r["currency"], r["total"]
