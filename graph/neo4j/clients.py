"""Clients and channels in Neo4j: one property table per record (its *_props function); a node's
properties are written whole with `SET n = $props`, so no query spells the fields out."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import Any, LiteralString

from graph.neo4j.db import PAGE, Rows, at, instant, moment, native, time_of
from referrals.errors import NotFound
from referrals.model import Channel, ChannelKind, Client, ClientQuery, ClientStatus, Page, name_key


def client_props(c: Client) -> dict[str, Any]:
    return {
        "id": c.id,
        "name": c.name,
        "name_key": name_key(c.name),
        "email": c.email,
        "phone": c.phone,
        "status": c.status.value,
        "tags": list(c.tags),
        "external_id": c.external_id,
        "notes": c.notes,
        "acquired_on": c.acquired_on,
        "created_at": instant(c.created_at),
        "updated_at": instant(c.updated_at),
    }


def client(n: Any) -> Client:
    return Client(
        id=n["id"],
        name=n["name"],
        email=n.get("email"),
        phone=n.get("phone"),
        status=ClientStatus(n["status"]),
        tags=tuple(n.get("tags") or ()),
        external_id=n.get("external_id"),
        notes=n.get("notes"),
        acquired_on=native(n.get("acquired_on")),
        created_at=moment(n["created_at"]),
        updated_at=moment(n["updated_at"]),
    )


def channel_props(c: Channel) -> dict[str, Any]:
    return {
        "id": c.id,
        "name": c.name,
        "name_key": name_key(c.name),
        "kind": c.kind.value,
        "url": c.url,
        "external_id": c.external_id,
        "notes": c.notes,
        "created_at": instant(c.created_at),
        "updated_at": instant(c.updated_at),
    }


def channel(n: Any) -> Channel:
    return Channel(
        id=n["id"],
        name=n["name"],
        kind=ChannelKind(n["kind"]),
        url=n.get("url"),
        external_id=n.get("external_id"),
        notes=n.get("notes"),
        created_at=moment(n["created_at"]),
        updated_at=moment(n["updated_at"]),
    )


# A client or channel node as read: the node's properties, its times as `time_of` sends them.
_MAP: LiteralString = "c{.*, " + time_of("c", "created_at") + ", " + time_of("c", "updated_at") + "}"
_NODE: LiteralString = _MAP + " AS c"
# Every client or channel of a workspace, a page at a time in the order of the (workspace, id) index
# (ordered by both properties, the planner reads the index in order and stops at the page's end).
_EACH_CLIENT: LiteralString = (
    "MATCH (c:Client) WHERE c.workspace = $ws AND c.id > $after WITH c ORDER BY c.workspace, c.id LIMIT $n"
    " RETURN collect(" + _MAP + ") AS page"
)
_EACH_CHANNEL: LiteralString = (
    "MATCH (c:Channel) WHERE c.workspace = $ws AND c.id > $after WITH c ORDER BY c.workspace, c.id LIMIT $n"
    " RETURN collect(" + _MAP + ") AS page"
)

# CREATE for new nodes: a MERGE would look each one up in the transaction's own growing state as well,
# which makes big batches slow down row by row.
# The properties of a row as written: the row with its workspace, and its times as DateTimes.
_PROPS: LiteralString = "row{.*, workspace: $ws, " + at("created_at") + ", " + at("updated_at") + "}"
_CREATE_CLIENTS: LiteralString = "UNWIND $rows AS row CREATE (c:Client) SET c = " + _PROPS + " RETURN count(*) AS n"
_REPLACE_CLIENTS: LiteralString = (
    "UNWIND $rows AS row MATCH (c:Client {workspace: $ws, id: row.id}) USING INDEX SEEK c:Client(workspace, id)"
    " SET c = " + _PROPS + " RETURN count(*) AS n"
)
_CREATE_CHANNELS: LiteralString = "UNWIND $rows AS row CREATE (c:Channel) SET c = " + _PROPS + " RETURN count(*) AS n"
_REPLACE_CHANNELS: LiteralString = (
    "UNWIND $rows AS row MATCH (c:Channel {workspace: $ws, id: row.id}) USING INDEX SEEK c:Channel(workspace, id)"
    " SET c = " + _PROPS + " RETURN count(*) AS n"
)


class Neo4jClients(Rows):
    def get(self, ws: str, client_id: str, field: str = "id") -> Client:
        rows = self._run("MATCH (c:Client {workspace: $ws, id: $id}) RETURN " + _NODE, ws=ws, id=client_id)
        if not rows:
            raise NotFound("client", client_id, field=field)
        return client(rows[0]["c"])

    def insert(self, ws: str, clients: Sequence[Client]) -> int:
        return self._batches(_CREATE_CLIENTS, [client_props(c) for c in clients], ws)

    def replace(self, ws: str, clients: Sequence[Client]) -> None:
        self._batches(_REPLACE_CLIENTS, [client_props(c) for c in clients], ws)

    def by_external_id(self, ws: str, external_ids: Sequence[str]) -> dict[str, Client]:
        rows = self._run(
            "MATCH (c:Client) USING INDEX SEEK c:Client(workspace, external_id)"
            " WHERE c.workspace = $ws AND c.external_id IN $exts RETURN " + _NODE,
            ws=ws,
            exts=list(external_ids),
        )
        return {r["c"]["external_id"]: client(r["c"]) for r in rows}

    def known(self, ws: str, ids: Sequence[str]) -> set[str]:
        # IN lists seek the index once per value; an UNWIND + MATCH per row was planned badly. One record of
        # a list: a record per id costs ten times as much through the driver.
        (row,) = self._run(
            "MATCH (c:Client) USING INDEX SEEK c:Client(workspace, id) WHERE c.workspace = $ws AND c.id IN $ids"
            " RETURN collect(c.id) AS ids",
            ws=ws,
            ids=list(ids),
        )
        return set(row["ids"])

    def page(self, ws: str, query: ClientQuery) -> Page[Client]:
        rows = self._run(
            "MATCH (c:Client) WHERE c.workspace = $ws AND c.id > $after"
            " AND ($text IS NULL OR c.name_key CONTAINS $text OR coalesce(c.email, '') CONTAINS $text"
            " OR c.phone = $phone)"
            " AND ($tag IS NULL OR $tag IN c.tags) AND ($status IS NULL OR c.status = $status)"
            " AND ($from IS NULL OR c.acquired_on >= $from) AND ($to IS NULL OR c.acquired_on <= $to)"
            " RETURN " + _NODE + " ORDER BY c.id LIMIT $limit",
            ws=ws,
            after=query.after or "",
            text=name_key(query.text) if query.text else None,
            phone=query.phone,
            tag=query.tag.strip().lower() if query.tag else None,
            status=query.status.value if query.status else None,
            **{"from": query.acquired_from, "to": query.acquired_to},
            limit=query.limit + 1,
        )
        return Page.from_overfetch([client(r["c"]) for r in rows], query.limit)

    def each(self, ws: str) -> Iterator[Client]:
        for c in self._pages(_EACH_CLIENT, ws=ws):
            yield client(c)

    def each_named(self, ws: str) -> Iterator[tuple[str, str, str]]:
        """Pages of PAGE clients, each one record of three lists, in the order of the (workspace, id)
        index (ordered by both properties, the planner reads the index in order and stops at the page's
        end; a record per client costs the driver more than the server's whole read)."""
        after = ""
        while True:
            (page,) = self._run(
                "MATCH (c:Client) WHERE c.workspace = $ws AND c.id > $after WITH c ORDER BY c.workspace, c.id"
                " LIMIT $n RETURN collect(c.id) AS ids, collect(c.name) AS names, collect(c.status) AS statuses",
                ws=ws,
                after=after,
                n=PAGE,
            )
            if not page["ids"]:
                return
            yield from zip(page["ids"], page["names"], page["statuses"], strict=True)
            after = page["ids"][-1]

    def remove(self, ws: str, client_id: str) -> None:
        self._run(
            "MATCH (c:Client {workspace: $ws, id: $id}) OPTIONAL MATCH (h:SourceChange {workspace: $ws,"
            " client_id: $id}) DETACH DELETE c, h",
            ws=ws,
            id=client_id,
        )

    def remove_all(self, ws: str, ids: Sequence[str]) -> None:
        self._batches(
            "UNWIND $rows AS row MATCH (c:Client {workspace: $ws, id: row.id}) DETACH DELETE c RETURN count(*) AS n",
            [{"id": i} for i in ids],
            ws,
        )


class Neo4jChannels(Rows):
    def get(self, ws: str, channel_id: str, field: str = "id") -> Channel:
        rows = self._run("MATCH (c:Channel {workspace: $ws, id: $id}) RETURN " + _NODE, ws=ws, id=channel_id)
        if not rows:
            raise NotFound("channel", channel_id, field=field)
        return channel(rows[0]["c"])

    def insert(self, ws: str, channels: Sequence[Channel]) -> int:
        return self._batches(_CREATE_CHANNELS, [channel_props(c) for c in channels], ws)

    def replace(self, ws: str, channels: Sequence[Channel]) -> None:
        self._batches(_REPLACE_CHANNELS, [channel_props(c) for c in channels], ws)

    def known(self, ws: str, ids: Sequence[str]) -> set[str]:
        rows = self._run(
            "MATCH (c:Channel) USING INDEX SEEK c:Channel(workspace, id) WHERE c.workspace = $ws AND c.id IN $ids"
            " RETURN c.id AS id",
            ws=ws,
            ids=list(ids),
        )
        return {r["id"] for r in rows}

    def page(self, ws: str, limit: int, after: str | None) -> Page[Channel]:
        rows = self._run(
            "MATCH (c:Channel) WHERE c.workspace = $ws AND c.id > $after"
            " RETURN " + _NODE + " ORDER BY c.id LIMIT $limit",
            ws=ws,
            after=after or "",
            limit=limit + 1,
        )
        return Page.from_overfetch([channel(r["c"]) for r in rows], limit)

    def each(self, ws: str) -> Iterator[Channel]:
        for c in self._pages(_EACH_CHANNEL, ws=ws):
            yield channel(c)

    def uses(self, ws: str, channel_id: str) -> int:
        rows = self._run(
            "MATCH (c:Channel {workspace: $ws, id: $id})-[r:REFERRED]->() RETURN count(r) AS n", ws=ws, id=channel_id
        )
        return int(rows[0]["n"])

    def remove(self, ws: str, channel_id: str) -> None:
        self._run("MATCH (c:Channel {workspace: $ws, id: $id}) DELETE c", ws=ws, id=channel_id)

    def remove_all(self, ws: str, ids: Sequence[str]) -> None:
        self._batches(
            "UNWIND $rows AS row MATCH (c:Channel {workspace: $ws, id: row.id}) DELETE c RETURN count(*) AS n",
            [{"id": i} for i in ids],
            ws,
        )
