"""Recommendations (REFERRED relationships) and the source history (SourceChange nodes) in Neo4j."""

from __future__ import annotations

import heapq
from collections.abc import Iterator, Sequence
from typing import Any, LiteralString

from graph.neo4j.db import PAGE, ROWS, Rows, at, instant, moment, native, time_of
from referrals.errors import NotFound
from referrals.model import Referral, SourceChange, SourceKind, SourceRef
from referrals.ports import HistoryEntry
from referrals.rules import Edge

_PAIRS: LiteralString = (
    " RETURN collect(sid) AS sources, collect(cid) AS clients, collect(toString(r.referred_on)) AS days,"
    " collect(r.primary) AS primary"
)


def referral(r: Any) -> Referral:
    return Referral(
        id=r["id"],
        source=SourceRef(SourceKind(r["source_kind"]), r["source_id"]),
        client_id=r["client_id"],
        referred_on=native(r["referred_on"]),
        note=r["note"],
        primary=r["primary"],
        created_at=moment(r["created_at"]),
    )


def referral_props(r: Referral) -> dict[str, Any]:
    return {
        "id": r.id,
        "source_id": r.source.id,
        "client_id": r.client_id,
        "referred_on": r.referred_on,
        "note": r.note,
        "primary": r.primary,
        "created_at": instant(r.created_at),
    }


def history_props(e: HistoryEntry) -> dict[str, Any]:
    c = e.change
    return {
        "client_id": c.client_id,
        "seq": e.seq,
        "previous_kind": c.previous.kind.value if c.previous else None,
        "previous_id": c.previous.id if c.previous else None,
        "previous_referral_id": c.previous_referral_id,
        "current_kind": c.current.kind.value if c.current else None,
        "current_id": c.current.id if c.current else None,
        "referral_id": c.referral_id,
        "reason": c.reason,
        "changed_at": instant(c.changed_at),
    }


def source_change(h: Any) -> SourceChange:
    def ref(kind: str | None, id_: str | None) -> SourceRef | None:
        return SourceRef(SourceKind(kind), id_) if kind and id_ else None

    return SourceChange(
        client_id=h["client_id"],
        previous=ref(h.get("previous_kind"), h.get("previous_id")),
        previous_referral_id=h.get("previous_referral_id"),
        current=ref(h.get("current_kind"), h.get("current_id")),
        referral_id=h.get("referral_id"),
        reason=h.get("reason"),
        changed_at=moment(h["changed_at"]),
    )


_REFERRAL_FILTER: LiteralString = (
    " WHERE ($client IS NULL OR c.id = $client) AND ($sid IS NULL OR (s.id = $sid AND"
    " CASE WHEN s:Client THEN 'client' ELSE 'channel' END = $sk)) AND r.id > $after"
)
_REFERRAL_RETURN: LiteralString = (
    " RETURN r.id AS id, CASE WHEN s:Client THEN 'client' ELSE 'channel' END AS source_kind,"
    " s.id AS source_id, c.id AS client_id, r.referred_on AS referred_on, r.note AS note,"
    " r.primary AS primary, [r.created_at.epochSeconds, r.created_at.nanosecond] AS created_at"
)


# Every recommendation of a workspace, a page at a time in the order of the (workspace, id) index, as the
# maps `referral()` reads.
_EACH: LiteralString = (
    "MATCH ()-[r:REFERRED]->() WHERE r.workspace = $ws AND r.id > $after WITH r ORDER BY r.workspace, r.id"
    " LIMIT $n WITH r, startNode(r) AS s RETURN collect({id: r.id,"
    " source_kind: CASE WHEN s:Client THEN 'client' ELSE 'channel' END, source_id: s.id, client_id: endNode(r).id,"
    " referred_on: r.referred_on, note: r.note, primary: r.primary,"
    " created_at: [r.created_at.epochSeconds, r.created_at.nanosecond]}) AS page"
)
_PAGE_ORDER: LiteralString = " ORDER BY id LIMIT $limit"
_LIST_REFERRALS: dict[str, LiteralString] = {
    "to_client": "MATCH (c:Client {workspace: $ws, id: $client})<-[r:REFERRED]-(s)"
    + _REFERRAL_FILTER
    + _REFERRAL_RETURN
    + _PAGE_ORDER,
    "from_client": "MATCH (s:Client {workspace: $ws, id: $sid})-[r:REFERRED]->(c:Client)"
    + _REFERRAL_FILTER
    + _REFERRAL_RETURN
    + _PAGE_ORDER,
    "from_channel": "MATCH (s:Channel {workspace: $ws, id: $sid})-[r:REFERRED]->(c:Client)"
    + _REFERRAL_FILTER
    + _REFERRAL_RETURN
    + _PAGE_ORDER,
    "all": "MATCH (c:Client {workspace: $ws})<-[r:REFERRED]-(s)" + _REFERRAL_FILTER + _REFERRAL_RETURN + _PAGE_ORDER,
}

CREATE_FROM: dict[SourceKind, LiteralString] = {
    SourceKind.CLIENT: (
        "UNWIND $rows AS row MATCH (s:Client {workspace: $ws, id: row.source_id})"
        " USING INDEX SEEK s:Client(workspace, id)"
        " MATCH (c:Client {workspace: $ws, id: row.client_id}) USING INDEX SEEK c:Client(workspace, id)"
        " CREATE (s)-[r:REFERRED {workspace: $ws, id: row.id, referred_on: row.referred_on, note: row.note,"
        " primary: row.primary, " + at("created_at") + "}]->(c) RETURN count(*) AS n"
    ),
    SourceKind.CHANNEL: (
        "UNWIND $rows AS row MATCH (s:Channel {workspace: $ws, id: row.source_id})"
        " USING INDEX SEEK s:Channel(workspace, id)"
        " MATCH (c:Client {workspace: $ws, id: row.client_id}) USING INDEX SEEK c:Client(workspace, id)"
        " CREATE (s)-[r:REFERRED {workspace: $ws, id: row.id, referred_on: row.referred_on, note: row.note,"
        " primary: row.primary, " + at("created_at") + "}]->(c) RETURN count(*) AS n"
    ),
}

# A source change as read: its properties, its time as `time_of` sends it.
_CHANGE: LiteralString = "h{.*, " + time_of("h", "changed_at") + "} AS h"
_INSERT_HISTORY: LiteralString = (
    "UNWIND $rows AS row CREATE (h:SourceChange) SET h = row{.*, workspace: $ws, " + at("changed_at") + "}"
    " RETURN count(*) AS n"
)
# The next entry of a client's history takes the next sequence number.
_LOG: LiteralString = (
    "WITH $row AS row OPTIONAL MATCH (h:SourceChange {workspace: $ws, client_id: row.client_id})"
    " WITH row, coalesce(max(h.seq), 0) + 1 AS seq"
    " CREATE (n:SourceChange) SET n = row{.*, seq: seq, workspace: $ws, " + at("changed_at") + "}"
)


class Neo4jReferrals(Rows):
    def get(self, ws: str, referral_id: str) -> Referral:
        rows = self._run(
            "MATCH (s)-[r:REFERRED {workspace: $ws, id: $id}]->(c)" + _REFERRAL_RETURN, ws=ws, id=referral_id
        )
        if not rows:
            raise NotFound("referral", referral_id)
        return referral(rows[0])

    def primary(self, ws: str, client_id: str) -> Referral | None:
        rows = self._run(
            "MATCH (s)-[r:REFERRED {primary: true}]->(c:Client {workspace: $ws, id: $id})" + _REFERRAL_RETURN,
            ws=ws,
            id=client_id,
        )
        return referral(rows[0]) if rows else None

    def pair(self, ws: str, source: SourceRef, client_id: str) -> Referral | None:
        rows = self._run(
            "MATCH (s)-[r:REFERRED]->(c:Client {workspace: $ws, id: $client})"
            " WHERE s.id = $source AND (s:Client OR s:Channel)" + _REFERRAL_RETURN,
            ws=ws,
            client=client_id,
            source=source.id,
        )
        return referral(rows[0]) if rows else None

    def would_cycle(self, ws: str, source: SourceRef, client_id: str) -> bool:
        if source.kind is not SourceKind.CLIENT:
            return False
        # Bidirectional breadth-first search: cost bounded by the nodes visited, not by paths.
        rows = self._run(
            "MATCH (c:Client {workspace: $ws, id: $client}) USING INDEX SEEK c:Client(workspace, id)"
            " MATCH (s:Client {workspace: $ws, id: $source}) USING INDEX SEEK s:Client(workspace, id)"
            " OPTIONAL MATCH p = shortestPath((c)-[:REFERRED*]->(s)) RETURN p IS NOT NULL AS cyclic",
            ws=ws,
            client=client_id,
            source=source.id,
        )
        return bool(rows and rows[0]["cyclic"])

    def edges(self, ws: str) -> list[Edge]:
        """As columns, one record of lists: ten times faster through the driver than a record per edge."""
        (row,) = self._run(
            "MATCH (c:Client {workspace: $ws})<-[r:REFERRED]-(s) RETURN collect(s:Client) AS kinds,"
            " collect(s.id) AS sources, collect(c.id) AS clients, collect(r.primary) AS primary",
            ws=ws,
        )
        kinds = {True: SourceKind.CLIENT, False: SourceKind.CHANNEL}
        return [
            Edge(SourceRef(kinds[k], s), c, p)
            for k, s, c, p in zip(row["kinds"], row["sources"], row["clients"], row["primary"], strict=True)
        ]

    def insert(self, ws: str, referrals: Sequence[Referral]) -> int:
        """One UNWIND per source kind and ROWS rows; a row whose ends are missing creates nothing."""
        made = 0
        for kind in SourceKind:
            batch = [referral_props(r) for r in referrals if r.source.kind is kind]
            for start in range(0, len(batch), ROWS):
                made += self._run(CREATE_FROM[kind], ws=ws, rows=batch[start : start + ROWS])[0]["n"]
        return made

    def set_primary(self, ws: str, referral_id: str, primary: bool) -> None:
        self._run(
            "MATCH ()-[r:REFERRED {workspace: $ws, id: $id}]->() SET r.primary = $primary",
            ws=ws,
            id=referral_id,
            primary=primary,
        )

    def remove(self, ws: str, referral_id: str) -> None:
        self._run("MATCH ()-[r:REFERRED {workspace: $ws, id: $id}]->() DELETE r", ws=ws, id=referral_id)

    def remove_all(self, ws: str, referrals: Sequence[Referral]) -> None:
        """Found from their client (a node index seek and its few incoming relationships)."""
        self._batches(
            "UNWIND $rows AS row MATCH (:Client {workspace: $ws, id: row.client_id})<-[r:REFERRED]-()"
            " WHERE r.id = row.id DELETE r RETURN count(*) AS n",
            [{"id": r.id, "client_id": r.client_id} for r in referrals],
            ws,
        )

    def children(self, ws: str, client_id: str) -> list[Referral]:
        rows = self._run(
            "MATCH (s:Client {workspace: $ws, id: $id})-[r:REFERRED {primary: true}]->(c:Client)"
            + _REFERRAL_RETURN
            + " ORDER BY id",
            ws=ws,
            id=client_id,
        )
        return [referral(r) for r in rows]

    def find(
        self, ws: str, client_id: str | None, source: SourceRef | None, limit: int | None, after: str | None
    ) -> list[Referral]:
        # One constant query per shape, so each can start from its index instead of scanning.
        if client_id is not None:
            query = _LIST_REFERRALS["to_client"]
        elif source is not None:
            query = _LIST_REFERRALS[f"from_{source.kind.value}"]
        else:
            query = _LIST_REFERRALS["all"]
        rows = self._run(
            query,
            ws=ws,
            after=after or "",
            limit=2**62 if limit is None else limit,
            client=client_id,
            sk=source.kind.value if source else None,
            sid=source.id if source else None,
        )
        return [referral(r) for r in rows]

    def each(self, ws: str) -> Iterator[Referral]:
        for r in self._pages(_EACH, ws=ws):
            yield referral(r)

    def each_pair(self, ws: str) -> Iterator[tuple[str, str, str, bool]]:
        """The channels' recommendations in one sorted record, merged with the clients' read a page of
        sources at a time in the order of the (workspace, id) index (see ClientRows.each_named), each
        page's recommendations sorted by the server."""
        (row,) = self._run(
            "MATCH (s:Channel)-[r:REFERRED]->(c:Client) WHERE s.workspace = $ws"
            " WITH s.id AS sid, c.id AS cid, r ORDER BY sid, cid" + _PAIRS,
            ws=ws,
        )
        by_channels = zip(row["sources"], row["clients"], row["days"], row["primary"], strict=True)
        yield from heapq.merge(by_channels, self._client_pairs(ws))

    def _client_pairs(self, ws: str) -> Iterator[tuple[str, str, str, bool]]:
        after = ""
        while True:
            (page,) = self._run(
                "MATCH (s:Client) WHERE s.workspace = $ws AND s.id > $after WITH s ORDER BY s.workspace, s.id"
                " LIMIT $n WITH collect(s) AS page CALL (page) { UNWIND page AS s MATCH (s)-[r:REFERRED]->(c:Client)"
                " WITH s.id AS sid, c.id AS cid, r ORDER BY sid, cid" + _PAIRS + " }"
                " RETURN page[-1].id AS last, sources, clients, days, primary",
                ws=ws,
                after=after,
                n=PAGE,
            )
            if page["last"] is None:
                return
            yield from zip(page["sources"], page["clients"], page["days"], page["primary"], strict=True)
            after = page["last"]

    def log(self, ws: str, change: SourceChange) -> None:
        row = history_props(HistoryEntry(0, change))
        del row["seq"]
        self._run(_LOG, ws=ws, row=row)

    def history(self, ws: str, client_id: str) -> list[SourceChange]:
        rows = self._run(
            "MATCH (h:SourceChange {workspace: $ws, client_id: $id}) RETURN " + _CHANGE + " ORDER BY h.seq",
            ws=ws,
            id=client_id,
        )
        return [source_change(r["h"]) for r in rows]

    def each_history(self, ws: str) -> Iterator[HistoryEntry]:
        for r in self._stream(
            "MATCH (h:SourceChange) WHERE h.workspace = $ws RETURN " + _CHANGE + " ORDER BY h.client_id, h.seq", ws=ws
        ):
            yield HistoryEntry(r["h"]["seq"], source_change(r["h"]))

    def insert_history(self, ws: str, entries: Sequence[HistoryEntry]) -> int:
        return self._batches(_INSERT_HISTORY, [history_props(e) for e in entries], ws)
