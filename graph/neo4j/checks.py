"""Dismissed findings of the integrity check in Neo4j: one (:Dismissal) node each, by the finding's key."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import Any

from graph.neo4j.db import Rows, native
from referrals.integrity import Dismissal

_MERGE = (
    "UNWIND $rows AS row MERGE (d:Dismissal {workspace: $ws, key: row.key})"
    " SET d.rule = row.rule, d.note = row.note, d.summary = row.summary, d.dismissed_at = row.dismissed_at"
    " RETURN count(*) AS n"
)


def _props(d: Dismissal) -> dict[str, Any]:
    return {"key": d.key, "rule": d.rule, "note": d.note, "summary": d.summary, "dismissed_at": d.dismissed_at}


class Neo4jDismissals(Rows):
    def put(self, ws: str, dismissal: Dismissal) -> None:
        self._run(_MERGE, ws=ws, rows=[_props(dismissal)])

    def insert(self, ws: str, dismissals: Sequence[Dismissal]) -> int:
        return self._batches(_MERGE, [_props(d) for d in dismissals], ws)

    def each(self, ws: str) -> Iterator[Dismissal]:
        for r in self._stream(
            "MATCH (d:Dismissal) WHERE d.workspace = $ws RETURN d.key AS key, d.rule AS rule, d.note AS note,"
            " d.summary AS summary, d.dismissed_at AS at ORDER BY key",
            ws=ws,
        ):
            yield Dismissal(r["key"], r["rule"], r["note"], r["summary"], native(r["at"]))

    def remove(self, ws: str, key: str) -> bool:
        rows = self._run(
            "MATCH (d:Dismissal {workspace: $ws, key: $key}) DELETE d RETURN count(*) AS n", ws=ws, key=key
        )
        return bool(rows and rows[0]["n"])
