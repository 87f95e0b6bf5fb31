"""Kept answers of heavy reads in Neo4j: one (:Answer) node per (workspace, request key), for one revision."""

from __future__ import annotations

from graph.neo4j.db import Rows


class Neo4jAnswers(Rows):
    def get(self, ws: str, key: str, revision: int) -> str | None:
        rows = self._run(
            "MATCH (a:Answer {workspace: $ws, key: $key}) WHERE a.revision = $revision RETURN a.body AS body",
            ws=ws,
            key=key,
            revision=revision,
        )
        return rows[0]["body"] if rows else None

    def put(self, ws: str, key: str, revision: int, body: str) -> None:
        self._run(
            "MATCH (a:Answer) WHERE a.workspace = $ws AND a.revision < $revision AND a.key <> $key DELETE a",
            ws=ws,
            revision=revision,
            key=key,
        )
        self._run(
            "MERGE (a:Answer {workspace: $ws, key: $key}) WITH a WHERE coalesce(a.revision, -1) <= $revision"
            " SET a.revision = $revision, a.body = $body",
            ws=ws,
            key=key,
            revision=revision,
            body=body,
        )
