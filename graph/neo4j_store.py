"""The Neo4j store: what production runs, through the official driver.

Every write is a managed transaction (`execute_write`, retried on transient errors); every
read runs in a read transaction so a cluster can route it to a follower. All Cypher is
constant text with parameters. Writes that touch referrals first take an exclusive lock on
the workspace node, so the cycle and primary-source checks and the write they guard are
serialized per workspace: two transactions can never close a ring together.
"""

from __future__ import annotations

import os
import socket
import threading
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from datetime import date, datetime, timedelta
from typing import Any, LiteralString, TypeVar, cast
from urllib.parse import parse_qs, unquote, urlsplit, urlunsplit

import neo4j
from neo4j.exceptions import ConstraintError, DriverError, Neo4jError, ServiceUnavailable, SessionExpired

from graph.backup import Chunk, HistoryEntry, Record, StoredToken
from graph.common import (
    Link,
    freeze_month,
    link,
    month_of,
    period_facts,
    plan_client_upsert,
    plan_deal_upsert,
    refuse_closed,
    require_external_ids,
    unchunk,
)
from graph.contract import IDEMPOTENCY_LEASE, IDEMPOTENCY_TTL, RESTORE_GRACE, SCHEMA_VERSION, BulkResult, Store
from graph.workflow import ReferralWorkflow
from referrals import clock
from referrals.access import Role, StoredResponse, Token
from referrals.attribution import DealFacts, PeriodFacts, gc_paused, month_range
from referrals.config import DEFAULT_DEPTH, HARD_MAX_DEPTH, resolve_depth
from referrals.errors import Conflict, DomainError, Invalid, NotFound, TooLarge, Unavailable
from referrals.ids import new_id
from referrals.importing import Changes, View
from referrals.model import (
    Chain,
    ChainStep,
    Channel,
    ChannelInput,
    ChannelKind,
    ChannelPatch,
    Client,
    ClientInput,
    ClientPatch,
    ClientQuery,
    ClientStatus,
    ClosedMonth,
    Deal,
    DealInput,
    DealPatch,
    DealQuery,
    Page,
    Referral,
    ReferralInput,
    Snapshot,
    SourceChange,
    SourceKind,
    SourceRef,
    Tree,
    TreeNode,
    Workspace,
    check_limit,
    name_key,
)
from referrals.money import Money
from referrals.rules import Edge, ReferralGraph

T = TypeVar("T")

# Schema migrations: each version's statements run once, in order, then the version is recorded.
_MIGRATIONS: dict[int, tuple[LiteralString, ...]] = {
    1: (
        "CREATE CONSTRAINT workspace_id IF NOT EXISTS FOR (w:Workspace) REQUIRE w.id IS UNIQUE",
        "CREATE CONSTRAINT client_key IF NOT EXISTS FOR (c:Client) REQUIRE (c.workspace, c.id) IS UNIQUE",
        "CREATE CONSTRAINT client_email IF NOT EXISTS FOR (c:Client) REQUIRE (c.workspace, c.email) IS UNIQUE",
        "CREATE CONSTRAINT client_external_id IF NOT EXISTS FOR (c:Client)"
        " REQUIRE (c.workspace, c.external_id) IS UNIQUE",
        "CREATE CONSTRAINT channel_key IF NOT EXISTS FOR (c:Channel) REQUIRE (c.workspace, c.id) IS UNIQUE",
        "CREATE CONSTRAINT channel_name IF NOT EXISTS FOR (c:Channel) REQUIRE (c.workspace, c.name_key) IS UNIQUE",
        "CREATE CONSTRAINT channel_external_id IF NOT EXISTS FOR (c:Channel)"
        " REQUIRE (c.workspace, c.external_id) IS UNIQUE",
        "CREATE CONSTRAINT deal_key IF NOT EXISTS FOR (d:Deal) REQUIRE (d.workspace, d.id) IS UNIQUE",
        "CREATE CONSTRAINT deal_external_id IF NOT EXISTS FOR (d:Deal) REQUIRE (d.workspace, d.external_id) IS UNIQUE",
        "CREATE CONSTRAINT schema_name IF NOT EXISTS FOR (s:SchemaVersion) REQUIRE s.name IS UNIQUE",
        "CREATE INDEX client_workspace IF NOT EXISTS FOR (c:Client) ON (c.workspace)",
        "CREATE INDEX channel_workspace IF NOT EXISTS FOR (c:Channel) ON (c.workspace)",
        "CREATE INDEX deal_closed_on IF NOT EXISTS FOR (d:Deal) ON (d.workspace, d.closed_on)",
        "CREATE INDEX deal_client IF NOT EXISTS FOR (d:Deal) ON (d.workspace, d.client_id)",
        "CREATE INDEX referral_key IF NOT EXISTS FOR ()-[r:REFERRED]-() ON (r.workspace, r.id)",
        "CREATE INDEX source_change_client IF NOT EXISTS FOR (s:SourceChange) ON (s.workspace, s.client_id)",
    ),
    2: (
        "CREATE CONSTRAINT token_id IF NOT EXISTS FOR (t:Token) REQUIRE t.id IS UNIQUE",
        "CREATE CONSTRAINT token_hash IF NOT EXISTS FOR (t:Token) REQUIRE t.hash IS UNIQUE",
        "CREATE INDEX token_workspace IF NOT EXISTS FOR (t:Token) ON (t.workspace)",
        "CREATE INDEX deal_workspace IF NOT EXISTS FOR (d:Deal) ON (d.workspace)",
        "CREATE CONSTRAINT idempotency_key IF NOT EXISTS FOR (k:IdempotencyKey) REQUIRE (k.workspace, k.key) IS UNIQUE",
    ),
    3: (
        "CREATE INDEX client_acquired IF NOT EXISTS FOR (c:Client) ON (c.workspace, c.acquired_on)",
        "CREATE INDEX referral_date IF NOT EXISTS FOR ()-[r:REFERRED]-() ON (r.workspace, r.referred_on)",
        "CREATE CONSTRAINT closed_month IF NOT EXISTS FOR (m:ClosedMonth) REQUIRE (m.workspace, m.month) IS UNIQUE",
    ),
    4: (
        # Idempotency records of earlier versions may hold a token's secret: drop them (they only answer
        # retries); every record now expires, swept by its age.
        "MATCH (k:IdempotencyKey) DETACH DELETE k",
        "CREATE INDEX idempotency_age IF NOT EXISTS FOR (k:IdempotencyKey) ON (k.workspace, k.created_at)",
        # A restore in progress: its records exist only under this marker until the workspace node is made.
        "CREATE CONSTRAINT restore_marker IF NOT EXISTS FOR (r:RestoreInProgress) REQUIRE r.workspace IS UNIQUE",
    ),
}

# Rows per UNWIND statement of a bulk write: each statement's parameters and working memory are held
# by the server's transaction memory pool, so smaller statements leave more of it to the change itself.
_ROWS = 2_000

_DEAL_CREATE: LiteralString = (
    "UNWIND $rows AS row MATCH (c:Client {workspace: $ws, id: row.client_id}) USING INDEX c:Client(workspace, id)"
    " CREATE (c)-[:PAID]->(d:Deal) SET d = row, d.workspace = $ws RETURN count(*) AS n"
)

_IMPORT_WRITES: dict[str, LiteralString] = {
    "new channel": "UNWIND $rows AS row CREATE (c:Channel) SET c = row, c.workspace = $ws",
    "channel": "UNWIND $rows AS row MATCH (c:Channel {workspace: $ws, id: row.id}) USING INDEX c:Channel(workspace, id)"
    " SET c = row, c.workspace = $ws",
    "new client": "UNWIND $rows AS row CREATE (c:Client) SET c = row, c.workspace = $ws",
    "client": "UNWIND $rows AS row MATCH (c:Client {workspace: $ws, id: row.id}) USING INDEX c:Client(workspace, id)"
    " SET c = row, c.workspace = $ws",
}

# Every node of a workspace, label by label, 10,000 at a time.
_PURGE: tuple[LiteralString, ...] = (
    "MATCH (n:Client) WHERE n.workspace = $ws WITH n LIMIT 10000 DETACH DELETE n RETURN count(*) AS n",
    "MATCH (n:Channel) WHERE n.workspace = $ws WITH n LIMIT 10000 DETACH DELETE n RETURN count(*) AS n",
    "MATCH (n:Deal) WHERE n.workspace = $ws WITH n LIMIT 10000 DETACH DELETE n RETURN count(*) AS n",
    "MATCH (n:SourceChange) WHERE n.workspace = $ws WITH n LIMIT 10000 DETACH DELETE n RETURN count(*) AS n",
    "MATCH (n:Token) WHERE n.workspace = $ws WITH n LIMIT 10000 DETACH DELETE n RETURN count(*) AS n",
    "MATCH (n:ClosedChunk) WHERE n.workspace = $ws WITH n LIMIT 10000 DETACH DELETE n RETURN count(*) AS n",
    "MATCH (n:ClosedMonth) WHERE n.workspace = $ws WITH n LIMIT 10000 DETACH DELETE n RETURN count(*) AS n",
    "MATCH (n:IdempotencyKey) WHERE n.workspace = $ws WITH n LIMIT 10000 DETACH DELETE n RETURN count(*) AS n",
    "MATCH (n:RestoreInProgress) WHERE n.workspace = $ws WITH n LIMIT 10000 DETACH DELETE n RETURN count(*) AS n",
)

# Dates travel as ISO text: decoding 100k+ Bolt Date structures costs more than the walk that finds them.
# A period's deals and arrivals, and the primary source of every client on their chains, each
# ancestor once however many chains share it: one row holding three lists.
#
# The walk up the chains goes level by level, keeping each level's distinct clients only: chains that
# share their upper part (most do) walk it once per level instead of once per payer, as a
# variable-length pattern from every payer would. Past _PERIOD_LEVELS levels the few clients left
# finish with a variable-length walk. Each level is a subquery so an empty level still yields its row.
_PERIOD_LEVELS = 12
_PERIOD_FACTS: LiteralString = (
    "CALL () {"
    " MATCH (d:Deal) WHERE d.workspace = $ws AND d.closed_on >= $start AND d.closed_on <= $end"
    " MATCH (c:Client)-[:PAID]->(d)"
    " RETURN c, [c.id, d.id, d.amount_minor, d.currency, toString(d.closed_on)] AS deal, null AS arrived"
    " UNION ALL"
    " MATCH (c:Client) WHERE c.workspace = $ws AND c.acquired_on >= $start AND c.acquired_on <= $end"
    " RETURN c, null AS deal, [c.id, toString(c.acquired_on)] AS arrived"
    " UNION ALL"
    " MATCH ()-[r:REFERRED]->(c:Client) WHERE r.workspace = $ws AND r.referred_on >= $start"
    " AND r.referred_on <= $end AND r.primary AND c.acquired_on IS NULL"
    " RETURN c, null AS deal, [c.id, toString(r.referred_on)] AS arrived"
    "}"
    # collect() leaves the nulls out; the payers' nodes come with their deals (no lookup by id)
    " WITH collect(deal) AS deals, collect(arrived) AS arrivals, collect(DISTINCT c) AS level0"
)
_PERIOD_LEVEL: LiteralString = (
    " CALL (level@) { UNWIND level@ AS x MATCH (x)<-[:REFERRED {primary: true}]-(p:Client)"
    " RETURN collect(DISTINCT p) AS level§ }"
)
_PERIOD_REST: LiteralString = (
    " CALL (level§) { UNWIND level§ AS x MATCH (x)<-[:REFERRED*1.. {primary: true}]-(a:Client)"
    " RETURN collect(DISTINCT a) AS rest }"
    " CALL (¤, rest) { UNWIND ° + rest AS a WITH DISTINCT a MATCH (a)<-[r:REFERRED {primary: true}]-(p)"
    " RETURN collect([a.id, CASE WHEN p:Client THEN 'client' ELSE 'channel' END, p.id, toString(r.referred_on),"
    " p.name, p.status]) AS parents }"
    " RETURN deals, arrivals, parents"
)
_PERIOD: LiteralString = cast(
    LiteralString,
    _PERIOD_FACTS
    + "".join(_PERIOD_LEVEL.replace("§", str(k + 1)).replace("@", str(k)) for k in range(_PERIOD_LEVELS))
    + _PERIOD_REST.replace("§", str(_PERIOD_LEVELS))
    .replace("¤", ", ".join("level" + str(k) for k in range(_PERIOD_LEVELS + 1)))
    .replace("°", " + ".join("level" + str(k) for k in range(_PERIOD_LEVELS + 1))),
)

# Variable-length bounds cannot be parameters in Cypher 5, so one query per depth is prepared
# here from our own integer constants; a caller's depth only selects one of them.
_CHAIN_TEMPLATE = (
    "MATCH (c:Client {workspace: $ws, id: $id})"
    " OPTIONAL MATCH p = (top)-[:REFERRED*1..@ {primary: true}]->(c)"
    " WITH c, p ORDER BY length(p) DESC LIMIT 1"
    " RETURN c.id AS id,"
    " CASE WHEN p IS NULL THEN [] ELSE [n IN nodes(p) | {kind: CASE WHEN n:Client THEN 'client'"
    " ELSE 'channel' END, id: n.id, name: n.name}] END AS nodes,"
    " CASE WHEN p IS NULL THEN [] ELSE [r IN relationships(p) | {id: r.id, on: r.referred_on}] END AS rels"
)
_TREE_TEMPLATE = (
    "MATCH (root:§ {workspace: $ws, id: $id})"
    " CALL (root) { OPTIONAL MATCH (root)-[:PAID]->(d:Deal) WITH d.currency AS cur, sum(d.amount_minor) AS total"
    " WHERE cur IS NOT NULL RETURN collect([cur, total]) AS root_revenue }"
    " WITH root, root_revenue, COUNT { (root)-[:REFERRED {primary: true}]->(:Client) } AS root_referred"
    " OPTIONAL MATCH p = (root)-[:REFERRED*1..@ {primary: true}]->(c:Client)"
    " WITH root, root_revenue, root_referred, length(p) AS level, c, last(relationships(p)) AS r,"
    " nodes(p)[-2] AS parent"
    " OPTIONAL MATCH (c)-[:PAID]->(d:Deal)"
    " WITH root, root_revenue, root_referred, level, c, r, parent, d.currency AS cur, sum(d.amount_minor) AS total"
    " WITH root, root_revenue, root_referred, level, c, r, parent,"
    " collect(CASE WHEN cur IS NULL THEN null ELSE [cur, total] END) AS revenue"
    " WITH root, root_revenue, root_referred, collect(CASE WHEN c IS NULL THEN null ELSE"
    " [level, c.id, c.name, c.status, parent.id, r.id, r.referred_on, revenue,"
    " CASE WHEN level < @ THEN -1 ELSE COUNT { (c)-[:REFERRED {primary: true}]->(:Client) } END] END) AS nodes"
    " RETURN root.name AS root_name, root_revenue, root_referred, nodes"
)
_CHAIN_QUERIES = {d: _CHAIN_TEMPLATE.replace("@", str(d + 1)) for d in range(1, HARD_MAX_DEPTH + 1)}
_TREE_QUERIES = {
    (kind, d): _TREE_TEMPLATE.replace("§", label).replace("@", str(d))
    for kind, label in ((SourceKind.CLIENT, "Client"), (SourceKind.CHANNEL, "Channel"))
    for d in range(1, HARD_MAX_DEPTH + 1)
}

# Every data write starts here: it takes the workspace node's write lock until commit (writes of one
# workspace queue here, so a read-check-write sequence never interleaves with another) and counts the
# workspace's revision, which tells caches of heavy reads when the workspace changed.
_LOCK: LiteralString = (
    "MATCH (w:Workspace {id: $ws}) SET w._lock = true, w.revision = coalesce(w.revision, 0) + 1 RETURN w.id AS id"
)

_CONSTRAINT_FIELDS = (
    ("`email`", "email", "another client already has this email"),
    ("`name_key`", "name", "another channel already has this name"),
    ("`external_id`", "external_id", "another record of this kind has this external id"),
)


# Transaction memory exhausted (the server's pool, or db.memory.transaction.max): retrying cannot help.
_OUT_OF_MEMORY = frozenset(
    {
        "Neo.TransientError.General.MemoryPoolOutOfMemoryError",
        "Neo.TransientError.General.TransactionMemoryLimit",
        "Neo.TransientError.General.TransactionOutOfMemoryError",
    }
)


def _too_large(e: Neo4jError) -> TooLarge:
    return TooLarge(
        "transaction",
        f"the change is too large for one transaction in this Neo4j server's memory ({e.code}); nothing was "
        "written. Split the file into smaller ones (each is all or nothing), or give the server more heap "
        "(server.memory.heap.max_size; REFERRALS_NEO4J_HEAP for the project's own server)",
    )


def _process_alive(pid: int | None) -> bool:
    """Whether a process of this host still runs (a restore's, to tell a crash from slow progress)."""
    if not pid:
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def parse_neo4j_url(url: str) -> tuple[str, tuple[str, str] | None, str | None]:
    """Split a URL like neo4j://user:pass@host:7687?database=neo4j into (uri, auth, database)."""
    parts = urlsplit(url)
    auth = None
    if parts.username is not None:
        auth = (unquote(parts.username), unquote(parts.password or ""))
    host = parts.hostname or "localhost"
    netloc = f"[{host}]" if ":" in host else host
    if parts.port:
        netloc += f":{parts.port}"
    database = parse_qs(parts.query).get("database", [None])[0]
    return urlunsplit((parts.scheme, netloc, "", "", "")), auth, database


def _source_change(h: Any) -> SourceChange:
    def ref(kind: str | None, id_: str | None) -> SourceRef | None:
        return SourceRef(SourceKind(kind), id_) if kind and id_ else None

    return SourceChange(
        client_id=h["client_id"],
        previous=ref(h.get("previous_kind"), h.get("previous_id")),
        previous_referral_id=h.get("previous_referral_id"),
        current=ref(h.get("current_kind"), h.get("current_id")),
        referral_id=h.get("referral_id"),
        reason=h.get("reason"),
        changed_at=_native(h["changed_at"]),
    )


def _closed(n: Any) -> ClosedMonth:
    return ClosedMonth(
        month=n["month"],
        closed_at=_native(n["closed_at"]),
        deals=n["deals"],
        new_clients=n["new_clients"],
        checksum=n["checksum"],
    )


def _native(value: Any) -> Any:
    return value.to_native() if hasattr(value, "to_native") else value


def _client(n: Any) -> Client:
    return Client(
        id=n["id"],
        name=n["name"],
        email=n.get("email"),
        status=ClientStatus(n["status"]),
        tags=tuple(n.get("tags") or ()),
        external_id=n.get("external_id"),
        notes=n.get("notes"),
        acquired_on=_native(n.get("acquired_on")),
        created_at=_native(n["created_at"]),
        updated_at=_native(n["updated_at"]),
    )


def _client_props(c: Client) -> dict[str, Any]:
    return {
        "id": c.id,
        "name": c.name,
        "name_key": name_key(c.name),
        "email": c.email,
        "status": c.status.value,
        "tags": list(c.tags),
        "external_id": c.external_id,
        "notes": c.notes,
        "acquired_on": c.acquired_on,
        "created_at": c.created_at,
        "updated_at": c.updated_at,
    }


def _channel(n: Any) -> Channel:
    return Channel(
        id=n["id"],
        name=n["name"],
        kind=ChannelKind(n["kind"]),
        url=n.get("url"),
        external_id=n.get("external_id"),
        notes=n.get("notes"),
        created_at=_native(n["created_at"]),
        updated_at=_native(n["updated_at"]),
    )


def _channel_props(c: Channel) -> dict[str, Any]:
    return {
        "id": c.id,
        "name": c.name,
        "name_key": name_key(c.name),
        "kind": c.kind.value,
        "url": c.url,
        "external_id": c.external_id,
        "notes": c.notes,
        "created_at": c.created_at,
        "updated_at": c.updated_at,
    }


def _deal(n: Any) -> Deal:
    return Deal(
        id=n["id"],
        client_id=n["client_id"],
        amount=Money(n["amount_minor"], n["currency"]),
        closed_on=_native(n["closed_on"]),
        title=n.get("title"),
        external_id=n.get("external_id"),
        created_at=_native(n["created_at"]),
        updated_at=_native(n["updated_at"]),
    )


def _deal_props(d: Deal) -> dict[str, Any]:
    return {
        "id": d.id,
        "client_id": d.client_id,
        "amount_minor": d.amount.minor,
        "currency": d.amount.currency,
        "closed_on": d.closed_on,
        "title": d.title,
        "external_id": d.external_id,
        "created_at": d.created_at,
        "updated_at": d.updated_at,
    }


def _referral(r: Any) -> Referral:
    return Referral(
        id=r["id"],
        source=SourceRef(SourceKind(r["source_kind"]), r["source_id"]),
        client_id=r["client_id"],
        referred_on=_native(r["referred_on"]),
        note=r["note"],
        primary=r["primary"],
        created_at=_native(r["created_at"]),
    )


_REFERRAL_FILTER: LiteralString = (
    " WHERE ($client IS NULL OR c.id = $client) AND ($sid IS NULL OR (s.id = $sid AND"
    " CASE WHEN s:Client THEN 'client' ELSE 'channel' END = $sk)) AND r.id > $after"
)
_REFERRAL_RETURN: LiteralString = (
    " RETURN r.id AS id, CASE WHEN s:Client THEN 'client' ELSE 'channel' END AS source_kind,"
    " s.id AS source_id, c.id AS client_id, r.referred_on AS referred_on, r.note AS note,"
    " r.primary AS primary, r.created_at AS created_at"
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


class Neo4jStore(ReferralWorkflow, Store):
    """Store backed by a Neo4j 5 server (or cluster, or Aura) through the official driver."""

    kind = "neo4j"

    def __init__(
        self,
        url: str,
        max_depth: int = DEFAULT_DEPTH,
        auth: tuple[str, str] | None = None,
        retry_seconds: float = 5.0,
        down_seconds: float = 2.0,
    ) -> None:
        """Connect lazily; transient failures are retried for up to `retry_seconds` before Unavailable.

        Once Neo4j is found unreachable, calls fail at once for `down_seconds`; then one quick probe (no
        retries) decides whether they go through again, so an outage never holds request threads for
        the driver's whole retry loop call after call.
        """
        uri, url_auth, database = parse_neo4j_url(url)
        self.uri = uri
        self.database = database
        self.max_depth = max_depth
        self._driver = neo4j.GraphDatabase.driver(
            uri,
            auth=auth or url_auth,
            connection_acquisition_timeout=10,
            connection_timeout=5,
            max_transaction_retry_time=retry_seconds,
            notifications_min_severity=neo4j.NotificationMinimumSeverity.OFF,
        )
        self._sent = 0
        self._mutex = threading.Lock()
        self._down_seconds = down_seconds
        self._down_until = 0.0  # monotonic time until which Neo4j is taken as down

    def __repr__(self) -> str:
        return f"Neo4jStore({self.uri!r})"  # never the credentials

    def _mark_down(self) -> None:
        self._down_until = time.monotonic() + self._down_seconds

    def _check_up(self) -> None:
        """Fail fast while Neo4j is known down; past the pause, one probe without retries decides."""
        if not self._down_until:
            return
        if time.monotonic() < self._down_until:
            raise Unavailable("Neo4j is unavailable (known down; not retried)")
        self._probe("RETURN 1 AS ok")  # marks it down again when it fails, clears the mark when not

    # -- plumbing -----------------------------------------------------------------------
    @property
    def query_count(self) -> int:
        """Statements sent so far."""
        return self._sent

    def _run(self, tx: neo4j.ManagedTransaction, query: LiteralString, **params: Any) -> list[neo4j.Record]:
        with self._mutex:
            self._sent += 1
        try:
            return list(tx.run(query, params))
        except Neo4jError as e:
            # Raised inside the transaction function, a domain error is not retried by the driver:
            # running out of transaction memory again and again cannot succeed.
            if e.code in _OUT_OF_MEMORY:
                raise _too_large(e) from e
            raise

    def _call(self, write: bool, work: Callable[[neo4j.ManagedTransaction], T]) -> T:
        self._check_up()
        try:
            with self._driver.session(database=self.database) as session:
                if write:
                    return session.execute_write(work)
                return session.execute_read(work)
        except DomainError:
            raise
        except ConstraintError as e:
            raise self._conflict(e) from e
        except (ServiceUnavailable, SessionExpired) as e:
            self._mark_down()
            raise Unavailable(f"Neo4j is unavailable: {e}") from e
        except Neo4jError as e:
            if e.code in _OUT_OF_MEMORY:
                raise _too_large(e) from e
            if e.code and e.code.startswith("Neo.TransientError"):
                raise Unavailable(f"Neo4j is busy: {e.code}") from e
            raise
        except DriverError as e:
            self._mark_down()
            raise Unavailable(f"Neo4j is unavailable: {e}") from e

    def _probe(self, query: LiteralString) -> list[neo4j.Record]:
        """One auto-commit read with no retries: health checks must answer fast when Neo4j is down."""
        with self._mutex:
            self._sent += 1
        try:
            with self._driver.session(database=self.database, default_access_mode=neo4j.READ_ACCESS) as session:
                rows = list(session.run(query))
        except (ServiceUnavailable, SessionExpired, DriverError) as e:
            self._mark_down()
            raise Unavailable(f"Neo4j is unavailable: {e}") from e
        self._down_until = 0.0
        return rows

    def _read(self, work: Callable[[neo4j.ManagedTransaction], T]) -> T:
        return self._call(False, work)

    def _write(self, work: Callable[[neo4j.ManagedTransaction], T]) -> T:
        return self._call(True, work)

    @staticmethod
    def _conflict(e: ConstraintError) -> Conflict:
        text = e.message or ""
        for marker, field, reason in _CONSTRAINT_FIELDS:
            if marker in text:
                return Conflict(field, reason)
        return Conflict("id", "the change breaks a uniqueness rule")

    def _lock(self, tx: neo4j.ManagedTransaction, ws: str) -> None:
        # Setting a property takes the workspace node's write lock until commit: the workspace's writes queue here.
        if not self._run(tx, _LOCK, ws=ws):
            raise NotFound("workspace", ws, field="workspace")

    def _require_workspace(self, tx: neo4j.ManagedTransaction, ws: str) -> None:
        if not self._run(tx, "MATCH (w:Workspace {id: $ws}) RETURN w.id AS id", ws=ws):
            raise NotFound("workspace", ws, field="workspace")

    def close(self) -> None:
        """Close the driver and its connection pool."""
        self._driver.close()

    # -- schema ------------------------------------------------------------------------
    def schema_version(self) -> int | None:
        """The version recorded by init_schema, or None."""
        rows = self._probe("MATCH (s:SchemaVersion {name: 'referrals'}) RETURN s.version AS v")
        return rows[0]["v"] if rows else None

    def init_schema(self) -> int:
        """Create constraints and indexes (IF NOT EXISTS) and record the schema version."""
        current = self.schema_version() or 0
        try:
            for version in sorted(v for v in _MIGRATIONS if v > current):
                for statement in _MIGRATIONS[version]:
                    with self._mutex:
                        self._sent += 1
                    self._driver.execute_query(statement, database_=self.database)
                self._write(
                    lambda tx, v=version: self._run(
                        tx, "MERGE (s:SchemaVersion {name: 'referrals'}) SET s.version = $v", v=v
                    )
                )
            self._driver.execute_query("CALL db.awaitIndexes(60)", database_=self.database)
        except (ServiceUnavailable, SessionExpired) as e:
            raise Unavailable(f"Neo4j is unavailable: {e}") from e
        return SCHEMA_VERSION

    def ping(self) -> None:
        """Run a trivial query, without retries."""
        self._probe("RETURN 1 AS ok")

    # -- workspaces ----------------------------------------------------------------------
    def create_workspace(self, name: str) -> Workspace:
        """Create an empty workspace."""
        ws = Workspace(id=new_id("workspace"), name=name, created_at=clock.now())
        self._write(
            lambda tx: self._run(
                tx,
                "CREATE (:Workspace {id: $id, name: $name, created_at: $at})",
                id=ws.id,
                name=name,
                at=ws.created_at,
            )
        )
        return ws

    def get_workspace(self, workspace_id: str) -> Workspace:
        """One workspace or NotFound."""
        rows = self._read(
            lambda tx: self._run(
                tx,
                "MATCH (w:Workspace {id: $id}) RETURN w.id AS id, w.name AS name, w.created_at AS at",
                id=workspace_id,
            )
        )
        if not rows:
            raise NotFound("workspace", workspace_id)
        return Workspace(id=rows[0]["id"], name=rows[0]["name"], created_at=_native(rows[0]["at"]))

    def list_workspaces(self) -> list[Workspace]:
        """All workspaces, oldest first."""
        rows = self._read(
            lambda tx: self._run(
                tx, "MATCH (w:Workspace) RETURN w.id AS id, w.name AS name, w.created_at AS at ORDER BY id"
            )
        )
        return [Workspace(id=r["id"], name=r["name"], created_at=_native(r["at"])) for r in rows]

    # -- clients -------------------------------------------------------------------------
    def _get_client(self, tx: neo4j.ManagedTransaction, ws: str, client_id: str, field: str = "id") -> Client:
        rows = self._run(tx, "MATCH (c:Client {workspace: $ws, id: $id}) RETURN c", ws=ws, id=client_id)
        if not rows:
            raise NotFound("client", client_id, field=field)
        return _client(rows[0]["c"])

    def _create_in_workspace(self, ws: str, query: LiteralString, props: dict[str, Any]) -> None:
        """Run a CREATE under the workspace lock; NotFound when the workspace does not exist."""

        def work(tx: neo4j.ManagedTransaction) -> None:
            self._lock(tx, ws)
            self._run(tx, query, ws=ws, props=props)

        self._write(work)

    def _patch_node(
        self,
        read: Callable[[neo4j.ManagedTransaction], T],
        change: Callable[[T], T],
        query: LiteralString,
        record_id: str,
        props: Callable[[T], dict[str, Any]],
        ws: str,
    ) -> T:
        """Under the workspace lock, read a record, apply a patch and write its properties back.

        Without the lock two patches of different fields could both read the old record and the
        later write would put back the field the earlier one changed.
        """

        def work(tx: neo4j.ManagedTransaction) -> T:
            self._lock(tx, ws)
            updated = change(read(tx))
            self._run(tx, query, ws=ws, id=record_id, props=props(updated))
            return updated

        return self._write(work)

    def create_client(self, ws: str, data: ClientInput) -> Client:
        """Create a client node in an existing workspace."""
        now = clock.now()
        client = Client(
            id=new_id("client"),
            name=data.name,
            email=data.email,
            status=data.status,
            tags=data.tags,
            external_id=data.external_id,
            notes=data.notes,
            acquired_on=data.acquired_on,
            created_at=now,
            updated_at=now,
        )
        self._create_in_workspace(
            ws,
            "CREATE (c:Client) SET c = $props, c.workspace = $ws",
            _client_props(client),
        )
        return client

    def get_client(self, ws: str, client_id: str) -> Client:
        """One client or NotFound."""
        return self._read(lambda tx: self._get_client(tx, ws, client_id))

    def update_client(self, ws: str, client_id: str, patch: ClientPatch) -> Client:
        """Read, patch and write back in one write transaction."""
        return self._patch_node(
            lambda tx: self._get_client(tx, ws, client_id),
            lambda c: patch.apply(c, clock.now()),
            "MATCH (c:Client {workspace: $ws, id: $id}) SET c = $props, c.workspace = $ws",
            client_id,
            _client_props,
            ws,
        )

    def list_clients(self, ws: str, query: ClientQuery) -> Page[Client]:
        """Filtered clients in creation order."""
        rows = self._read(
            lambda tx: self._run(
                tx,
                "MATCH (c:Client) WHERE c.workspace = $ws AND c.id > $after"
                " AND ($text IS NULL OR c.name_key CONTAINS $text OR coalesce(c.email, '') CONTAINS $text)"
                " AND ($tag IS NULL OR $tag IN c.tags) AND ($status IS NULL OR c.status = $status)"
                " AND ($from IS NULL OR c.acquired_on >= $from) AND ($to IS NULL OR c.acquired_on <= $to)"
                " RETURN c ORDER BY c.id LIMIT $limit",
                ws=ws,
                after=query.after or "",
                text=name_key(query.text) if query.text else None,
                tag=query.tag.strip().lower() if query.tag else None,
                status=query.status.value if query.status else None,
                **{"from": query.acquired_from, "to": query.acquired_to},
                limit=query.limit + 1,
            )
        )
        return Page.from_overfetch([_client(r["c"]) for r in rows], query.limit)

    def upsert_clients(self, ws: str, rows: Sequence[ClientInput]) -> BulkResult:
        """Create or replace clients by external id with one UNWIND, in one transaction."""
        require_external_ids(rows)

        def work(tx: neo4j.ManagedTransaction) -> BulkResult:
            self._lock(tx, ws)  # two upserts of one new external id: the second sees the first's client
            existing = {
                r["c"]["external_id"]: _client(r["c"])
                for r in self._run(
                    tx,
                    "MATCH (c:Client) USING INDEX c:Client(workspace, external_id)"
                    " WHERE c.workspace = $ws AND c.external_id IN $exts RETURN c",
                    ws=ws,
                    exts=[r.external_id for r in rows],
                )
            }
            writes, result = plan_client_upsert(existing, rows, clock.now())
            known = {c.id for c in existing.values()}
            # CREATE for new clients: a MERGE would look each one up in the transaction's own growing
            # state as well, which makes big batches slow down row by row
            for kind, batch in (
                ("new client", [_client_props(c) for c in writes if c.id not in known]),
                ("client", [_client_props(c) for c in writes if c.id in known]),
            ):
                for start in range(0, len(batch), _ROWS):
                    self._run(tx, _IMPORT_WRITES[kind], ws=ws, rows=batch[start : start + _ROWS])
            return result

        return self._write(work)

    # -- channels ------------------------------------------------------------------------
    def _get_channel(self, tx: neo4j.ManagedTransaction, ws: str, channel_id: str, field: str = "id") -> Channel:
        rows = self._run(tx, "MATCH (c:Channel {workspace: $ws, id: $id}) RETURN c", ws=ws, id=channel_id)
        if not rows:
            raise NotFound("channel", channel_id, field=field)
        return _channel(rows[0]["c"])

    def create_channel(self, ws: str, data: ChannelInput) -> Channel:
        """Create a channel node."""
        now = clock.now()
        ch = Channel(
            id=new_id("channel"),
            name=data.name,
            kind=data.kind,
            url=data.url,
            external_id=data.external_id,
            notes=data.notes,
            created_at=now,
            updated_at=now,
        )
        self._create_in_workspace(
            ws,
            "CREATE (c:Channel) SET c = $props, c.workspace = $ws",
            _channel_props(ch),
        )
        return ch

    def get_channel(self, ws: str, channel_id: str) -> Channel:
        """One channel or NotFound."""
        return self._read(lambda tx: self._get_channel(tx, ws, channel_id))

    def update_channel(self, ws: str, channel_id: str, patch: ChannelPatch) -> Channel:
        """Read, patch and write back."""
        return self._patch_node(
            lambda tx: self._get_channel(tx, ws, channel_id),
            lambda c: patch.apply(c, clock.now()),
            "MATCH (c:Channel {workspace: $ws, id: $id}) SET c = $props, c.workspace = $ws",
            channel_id,
            _channel_props,
            ws,
        )

    def delete_channel(self, ws: str, channel_id: str) -> None:
        """Delete a channel that recommended no one."""

        def work(tx: neo4j.ManagedTransaction) -> None:
            self._lock(tx, ws)
            self._get_channel(tx, ws, channel_id)
            used = self._run(
                tx,
                "MATCH (c:Channel {workspace: $ws, id: $id})-[r:REFERRED]->() RETURN count(r) AS n",
                ws=ws,
                id=channel_id,
            )[0]["n"]
            if used:
                raise Conflict("id", f"the channel is the source of {used} referral(s); delete those first")
            self._run(tx, "MATCH (c:Channel {workspace: $ws, id: $id}) DELETE c", ws=ws, id=channel_id)

        self._write(work)

    def list_channels(self, ws: str, limit: int = 50, after: str | None = None) -> Page[Channel]:
        """Channels in creation order."""
        check_limit(limit)
        rows = self._read(
            lambda tx: self._run(
                tx,
                "MATCH (c:Channel) WHERE c.workspace = $ws AND c.id > $after RETURN c ORDER BY c.id LIMIT $limit",
                ws=ws,
                after=after or "",
                limit=limit + 1,
            )
        )
        return Page.from_overfetch([_channel(r["c"]) for r in rows], limit)

    # -- deals ---------------------------------------------------------------------------
    def _get_deal(self, tx: neo4j.ManagedTransaction, ws: str, deal_id: str) -> Deal:
        rows = self._run(tx, "MATCH (d:Deal {workspace: $ws, id: $id}) RETURN d", ws=ws, id=deal_id)
        if not rows:
            raise NotFound("deal", deal_id)
        return _deal(rows[0]["d"])

    _DEAL_MERGE: LiteralString = (
        "UNWIND $rows AS row MATCH (c:Client {workspace: $ws, id: row.client_id}) USING INDEX c:Client(workspace, id)"
        " MERGE (d:Deal {workspace: $ws, id: row.id}) SET d = row, d.workspace = $ws"
        " WITH c, d OPTIONAL MATCH (d)<-[old:PAID]-(other) WHERE other <> c DELETE old"
        " MERGE (c)-[:PAID]->(d)"
    )

    def create_deal(self, ws: str, data: DealInput) -> Deal:
        """Create a deal node linked to its client."""
        now = clock.now()
        deal = Deal(
            id=new_id("deal"),
            client_id=data.client_id,
            amount=data.amount,
            closed_on=data.closed_on,
            title=data.title,
            external_id=data.external_id,
            created_at=now,
            updated_at=now,
        )

        def work(tx: neo4j.ManagedTransaction) -> None:
            self._lock(tx, ws)  # closing a month takes it too
            self._get_client(tx, ws, data.client_id, field="client_id")
            self._refuse_closed(tx, ws, [deal.closed_on])
            self._run(tx, self._DEAL_MERGE, ws=ws, rows=[_deal_props(deal)])

        self._write(work)
        return deal

    def get_deal(self, ws: str, deal_id: str) -> Deal:
        """One deal or NotFound."""
        return self._read(lambda tx: self._get_deal(tx, ws, deal_id))

    def update_deal(self, ws: str, deal_id: str, patch: DealPatch) -> Deal:
        """Read, patch and write back."""

        def work(tx: neo4j.ManagedTransaction) -> Deal:
            self._lock(tx, ws)
            before = self._get_deal(tx, ws, deal_id)
            deal = patch.apply(before, clock.now())
            self._refuse_closed(tx, ws, [before.closed_on, deal.closed_on])
            self._run(tx, self._DEAL_MERGE, ws=ws, rows=[_deal_props(deal)])
            return deal

        return self._write(work)

    def delete_deal(self, ws: str, deal_id: str) -> None:
        """Delete a deal."""

        def work(tx: neo4j.ManagedTransaction) -> None:
            self._lock(tx, ws)
            self._refuse_closed(tx, ws, [self._get_deal(tx, ws, deal_id).closed_on])
            self._run(tx, "MATCH (d:Deal {workspace: $ws, id: $id}) DETACH DELETE d", ws=ws, id=deal_id)

        self._write(work)

    def list_deals(self, ws: str, query: DealQuery) -> Page[Deal]:
        """Filtered deals in creation order."""
        rows = self._read(
            lambda tx: self._run(
                tx,
                "MATCH (d:Deal) WHERE d.workspace = $ws AND d.id > $after"
                " AND ($client IS NULL OR d.client_id = $client)"
                " AND ($from IS NULL OR d.closed_on >= $from) AND ($to IS NULL OR d.closed_on <= $to)"
                " RETURN d ORDER BY d.id LIMIT $limit",
                ws=ws,
                after=query.after or "",
                client=query.client_id,
                **{"from": query.closed_from, "to": query.closed_to},
                limit=query.limit + 1,
            )
        )
        return Page.from_overfetch([_deal(r["d"]) for r in rows], query.limit)

    def upsert_deals(self, ws: str, rows: Sequence[DealInput]) -> BulkResult:
        """Create or replace deals by external id with one UNWIND, in one transaction."""
        require_external_ids(rows)

        def work(tx: neo4j.ManagedTransaction) -> BulkResult:
            self._lock(tx, ws)
            known = {
                r["id"]
                for r in self._run(
                    tx,
                    "MATCH (c:Client) USING INDEX c:Client(workspace, id) WHERE c.workspace = $ws AND c.id IN $ids"
                    " RETURN c.id AS id",
                    ws=ws,
                    ids=sorted({r.client_id for r in rows}),
                )
            }
            existing = {
                r["d"]["external_id"]: _deal(r["d"])
                for r in self._run(
                    tx,
                    "MATCH (d:Deal) USING INDEX d:Deal(workspace, external_id)"
                    " WHERE d.workspace = $ws AND d.external_id IN $exts RETURN d",
                    ws=ws,
                    exts=[r.external_id for r in rows],
                )
            }
            writes, result = plan_deal_upsert(existing, rows, known, clock.now())
            changed = {d.id for d in writes}
            self._refuse_closed(
                tx, ws, [d.closed_on for d in writes] + [d.closed_on for d in existing.values() if d.id in changed]
            )
            known = {d.id for d in existing.values()}
            fresh = [_deal_props(d) for d in writes if d.id not in known]
            for start in range(0, len(fresh), _ROWS):
                self._run(tx, _DEAL_CREATE, ws=ws, rows=fresh[start : start + _ROWS])
            replaced = [_deal_props(d) for d in writes if d.id in known]
            for start in range(0, len(replaced), _ROWS):
                self._run(tx, self._DEAL_MERGE, ws=ws, rows=replaced[start : start + _ROWS])
            return result

        return self._write(work)

    # -- referrals -----------------------------------------------------------------------
    def _primary(self, tx: neo4j.ManagedTransaction, ws: str, client_id: str) -> Referral | None:
        rows = self._run(
            tx,
            "MATCH (s)-[r:REFERRED {primary: true}]->(c:Client {workspace: $ws, id: $id})" + _REFERRAL_RETURN,
            ws=ws,
            id=client_id,
        )
        return _referral(rows[0]) if rows else None

    def _pair(self, tx: neo4j.ManagedTransaction, ws: str, source: SourceRef, client_id: str) -> Referral | None:
        rows = self._run(
            tx,
            "MATCH (s)-[r:REFERRED]->(c:Client {workspace: $ws, id: $client})"
            " WHERE s.id = $source AND (s:Client OR s:Channel)" + _REFERRAL_RETURN,
            ws=ws,
            client=client_id,
            source=source.id,
        )
        return _referral(rows[0]) if rows else None

    _CREATE_FROM: dict[SourceKind, LiteralString] = {
        SourceKind.CLIENT: (
            "UNWIND $rows AS row MATCH (s:Client {workspace: $ws, id: row.source_id})"
            " USING INDEX s:Client(workspace, id)"
            " MATCH (c:Client {workspace: $ws, id: row.client_id}) USING INDEX c:Client(workspace, id)"
            " CREATE (s)-[r:REFERRED {workspace: $ws, id: row.id, referred_on: row.referred_on, note: row.note,"
            " primary: row.primary, created_at: row.created_at}]->(c) RETURN count(*) AS n"
        ),
        SourceKind.CHANNEL: (
            "UNWIND $rows AS row MATCH (s:Channel {workspace: $ws, id: row.source_id})"
            " USING INDEX s:Channel(workspace, id)"
            " MATCH (c:Client {workspace: $ws, id: row.client_id}) USING INDEX c:Client(workspace, id)"
            " CREATE (s)-[r:REFERRED {workspace: $ws, id: row.id, referred_on: row.referred_on, note: row.note,"
            " primary: row.primary, created_at: row.created_at}]->(c) RETURN count(*) AS n"
        ),
    }

    def _insert_referrals(self, tx: neo4j.ManagedTransaction, ws: str, refs: Sequence[Referral]) -> None:
        self._create_referrals(tx, ws, refs)

    def _create_referrals(self, tx: neo4j.ManagedTransaction, ws: str, refs: Sequence[Referral]) -> int:
        """Create the relationships; returns how many were created (a row whose ends are missing creates none)."""
        made = 0
        for kind in SourceKind:
            batch = [
                {
                    "id": r.id,
                    "source_id": r.source.id,
                    "client_id": r.client_id,
                    "referred_on": r.referred_on,
                    "note": r.note,
                    "primary": r.primary,
                    "created_at": r.created_at,
                }
                for r in refs
                if r.source.kind is kind
            ]
            for start in range(0, len(batch), _ROWS):
                made += self._run(tx, self._CREATE_FROM[kind], ws=ws, rows=batch[start : start + _ROWS])[0]["n"]
        return made

    def _set_primary(self, tx: neo4j.ManagedTransaction, ws: str, referral_id: str, primary: bool) -> None:
        self._run(
            tx,
            "MATCH ()-[r:REFERRED {workspace: $ws, id: $id}]->() SET r.primary = $primary",
            ws=ws,
            id=referral_id,
            primary=primary,
        )

    def _log_change(
        self,
        tx: neo4j.ManagedTransaction,
        ws: str,
        client_id: str,
        previous: Referral | None,
        current: Referral | None,
        reason: str | None,
        now: datetime,
    ) -> None:
        self._run(
            tx,
            "OPTIONAL MATCH (h:SourceChange {workspace: $ws, client_id: $client})"
            " WITH coalesce(max(h.seq), 0) + 1 AS seq"
            " CREATE (:SourceChange {workspace: $ws, client_id: $client, seq: seq, previous_kind: $pk,"
            " previous_id: $pid, previous_referral_id: $prid, current_kind: $ck, current_id: $cid,"
            " referral_id: $crid, reason: $reason, changed_at: $at})",
            ws=ws,
            client=client_id,
            pk=previous.source.kind.value if previous else None,
            pid=previous.source.id if previous else None,
            prid=previous.id if previous else None,
            ck=current.source.kind.value if current else None,
            cid=current.source.id if current else None,
            crid=current.id if current else None,
            reason=reason,
            at=now,
        )

    def _get_referral_in(self, tx: neo4j.ManagedTransaction, ws: str, referral_id: str) -> Referral:
        rows = self._run(
            tx, "MATCH (s)-[r:REFERRED {workspace: $ws, id: $id}]->(c)" + _REFERRAL_RETURN, ws=ws, id=referral_id
        )
        if not rows:
            raise NotFound("referral", referral_id)
        return _referral(rows[0])

    def get_referral(self, ws: str, referral_id: str) -> Referral:
        """One referral or NotFound."""
        return self._read(lambda tx: self._get_referral_in(tx, ws, referral_id))

    def list_referrals(
        self,
        ws: str,
        client_id: str | None = None,
        source: SourceRef | None = None,
        limit: int | None = None,
        after: str | None = None,
    ) -> list[Referral]:
        """Referrals filtered by client and/or source, oldest first."""
        # One constant query per shape, so each can start from its index instead of scanning.
        if client_id is not None:
            query = _LIST_REFERRALS["to_client"]
        elif source is not None:
            query = _LIST_REFERRALS[f"from_{source.kind.value}"]
        else:
            query = _LIST_REFERRALS["all"]
        rows = self._read(
            lambda tx: self._run(
                tx,
                query,
                ws=ws,
                after=after or "",
                limit=2**62 if limit is None else limit,
                client=client_id,
                sk=source.kind.value if source else None,
                sid=source.id if source else None,
            )
        )
        return [_referral(r) for r in rows]

    def source_history(self, ws: str, client_id: str) -> list[SourceChange]:
        """Logged changes of the client's primary source, oldest first."""

        def work(tx: neo4j.ManagedTransaction) -> list[neo4j.Record]:
            self._get_client(tx, ws, client_id)
            return self._run(
                tx,
                "MATCH (h:SourceChange {workspace: $ws, client_id: $id}) RETURN h ORDER BY h.seq",
                ws=ws,
                id=client_id,
            )

        return [_source_change(r["h"]) for r in self._read(work)]

    def add_referrals(self, ws: str, rows: Sequence[ReferralInput]) -> BulkResult:
        """Check every row against the whole graph under the workspace lock, then UNWIND them."""

        def work(tx: neo4j.ManagedTransaction) -> BulkResult:
            self._lock(tx, ws)
            edges = [
                Edge(SourceRef(SourceKind(r["sk"]), r["sid"]), r["cid"], r["primary"])
                for r in self._run(
                    tx,
                    "MATCH (c:Client {workspace: $ws})<-[r:REFERRED]-(s)"
                    " RETURN CASE WHEN s:Client THEN 'client' ELSE 'channel' END AS sk, s.id AS sid,"
                    " c.id AS cid, r.primary AS primary",
                    ws=ws,
                )
            ]
            wanted_clients = sorted(
                {r.client_id for r in rows} | {r.source.id for r in rows if r.source.kind is SourceKind.CLIENT}
            )
            wanted_channels = sorted({r.source.id for r in rows if r.source.kind is SourceKind.CHANNEL})
            found = self._run(
                tx,
                # IN lists seek the index once per value; an UNWIND + MATCH per row was planned badly
                "CALL () { MATCH (c:Client) USING INDEX c:Client(workspace, id)"
                " WHERE c.workspace = $ws AND c.id IN $clients RETURN collect(c.id) AS cl }"
                " CALL () { MATCH (c:Channel) USING INDEX c:Channel(workspace, id)"
                " WHERE c.workspace = $ws AND c.id IN $channels RETURN collect(c.id) AS ch } RETURN cl, ch",
                ws=ws,
                clients=wanted_clients,
                channels=wanted_channels,
            )[0]
            plan = ReferralGraph(edges).plan(rows, set(found["cl"]), set(found["ch"]))
            now = clock.now()
            refs = [
                Referral(
                    id=new_id("referral"),
                    source=p.row.source,
                    client_id=p.row.client_id,
                    referred_on=p.row.referred_on,
                    note=p.row.note,
                    primary=p.primary,
                    created_at=now,
                )
                if not p.exists
                else None
                for p in plan
            ]
            created = [r for r in refs if r is not None]
            self._insert_referrals(tx, ws, created)
            return BulkResult(len(created), 0, len(rows) - len(created), tuple(r.id if r else "" for r in refs))

        return self._write(work)

    # -- primitives of the referral workflow (graph/workflow.py) ---------------------------
    def _in_write(self, work: Callable[[neo4j.ManagedTransaction], T]) -> T:
        return self._write(work)

    def _would_cycle(self, tx: neo4j.ManagedTransaction, ws: str, source: SourceRef, client_id: str) -> bool:
        if source.kind is not SourceKind.CLIENT:
            return False
        # Bidirectional breadth-first search: cost bounded by the nodes visited, not by paths.
        rows = self._run(
            tx,
            "MATCH (c:Client {workspace: $ws, id: $client}) USING INDEX c:Client(workspace, id)"
            " MATCH (s:Client {workspace: $ws, id: $source}) USING INDEX s:Client(workspace, id)"
            " OPTIONAL MATCH p = shortestPath((c)-[:REFERRED*]->(s)) RETURN p IS NOT NULL AS cyclic",
            ws=ws,
            client=client_id,
            source=source.id,
        )
        return bool(rows and rows[0]["cyclic"])

    def _remove_referral(self, tx: neo4j.ManagedTransaction, ws: str, referral_id: str) -> None:
        self._run(tx, "MATCH ()-[r:REFERRED {workspace: $ws, id: $id}]->() DELETE r", ws=ws, id=referral_id)

    def _deal_count(self, tx: neo4j.ManagedTransaction, ws: str, client_id: str) -> int:
        rows = self._run(
            tx, "MATCH (d:Deal {workspace: $ws, client_id: $id}) RETURN count(d) AS n", ws=ws, id=client_id
        )
        return int(rows[0]["n"])

    def _children(self, tx: neo4j.ManagedTransaction, ws: str, client_id: str) -> list[Referral]:
        rows = self._run(
            tx,
            "MATCH (s:Client {workspace: $ws, id: $id})-[r:REFERRED {primary: true}]->(c:Client)"
            + _REFERRAL_RETURN
            + " ORDER BY id",
            ws=ws,
            id=client_id,
        )
        return [_referral(r) for r in rows]

    def _remove_client(self, tx: neo4j.ManagedTransaction, ws: str, client_id: str) -> None:
        self._run(
            tx,
            "MATCH (c:Client {workspace: $ws, id: $id}) OPTIONAL MATCH (h:SourceChange {workspace: $ws,"
            " client_id: $id}) DETACH DELETE c, h",
            ws=ws,
            id=client_id,
        )

    # -- traversals ----------------------------------------------------------------------
    def chain(self, ws: str, client_id: str, depth: int | None = None) -> Chain:
        """One query: the longest primary path ending at the client, at most depth + 1 long."""
        depth = resolve_depth(depth, self.max_depth)
        query: Any = _CHAIN_QUERIES[depth]
        rows = self._read(lambda tx: self._run(tx, query, ws=ws, id=client_id))
        if not rows:
            raise NotFound("client", client_id)
        nodes, rels = rows[0]["nodes"], rows[0]["rels"]
        # nodes run top .. client; level i is the i-th node above the client.
        steps = []
        for level in range(1, len(rels) + 1):
            node, rel = nodes[len(nodes) - 1 - level], rels[len(rels) - level]
            steps.append(
                ChainStep(
                    level=level,
                    source=SourceRef(SourceKind(node["kind"]), node["id"]),
                    name=node["name"],
                    referral_id=rel["id"],
                    referred_on=_native(rel["on"]),
                )
            )
        return Chain(
            client_id=client_id, steps=tuple(s for s in steps if s.level <= depth), truncated=len(steps) > depth
        )

    def tree(self, ws: str, root: SourceRef, depth: int | None = None) -> Tree:
        """One query, one record: the root, then every primary path from it at most `depth` long."""
        depth = resolve_depth(depth, self.max_depth)
        query: Any = _TREE_QUERIES[(root.kind, depth)]
        rows = self._read(lambda tx: self._run(tx, query, ws=ws, id=root.id))
        if not rows:
            raise NotFound(root.kind.value, root.id)
        top = rows[0]
        # Above the last level every child is in the tree, so only last-level fan-out is counted in Cypher.
        children: dict[str, int] = {}
        for row in top["nodes"]:
            if row[0] > 1:
                children[row[4]] = children.get(row[4], 0) + 1
        nodes = sorted(
            (
                TreeNode(
                    level=level,
                    client_id=cid,
                    name=name,
                    status=ClientStatus(status),
                    parent=root if level == 1 else SourceRef(SourceKind.CLIENT, parent),
                    referral_id=rid,
                    referred_on=_native(on),
                    revenue=dict(revenue),
                    referred=children.get(cid, 0) if referred < 0 else referred,
                )
                for level, cid, name, status, parent, rid, on, revenue, referred in top["nodes"]
            ),
            key=lambda n: (n.level, n.referred_on, n.client_id),
        )
        return Tree(
            root=root,
            name=top["root_name"],
            revenue=dict(top["root_revenue"]),
            referred=top["root_referred"],
            depth=depth,
            nodes=tuple(nodes),
        )

    def period(self, ws: str, start: date, end: date) -> PeriodFacts:
        """One query: the period's deals and arrivals grouped by client, each client's primary path to its top."""
        with gc_paused():
            return self._read(lambda tx: self._period(tx, ws, start, end))

    def _period(self, tx: neo4j.ManagedTransaction, ws: str, start: date, end: date) -> PeriodFacts:
        (row,) = self._run(tx, _PERIOD, ws=ws, start=start, end=end)
        kinds = {k.value: k for k in SourceKind}
        active = ClientStatus.ACTIVE.value
        iso = date.fromisoformat
        parents: dict[str, Link] = {
            a: link(kinds[kind], p, name, iso(on), status == active) for a, kind, p, on, name, status in row["parents"]
        }
        return period_facts(
            start,
            end,
            (DealFacts(d, c, n, cur, iso(on)) for c, d, n, cur, on in row["deals"]),
            ((c, iso(on)) for c, on in row["arrivals"]),
            parents,
        )

    # -- imports -----------------------------------------------------------------------
    def run_import(self, ws: str, build: Callable[[View], Changes], dry_run: bool = False) -> Changes:
        """Read, plan and write in one transaction under the workspace lock (a read one for a dry run)."""

        def work(tx: neo4j.ManagedTransaction) -> Changes:
            if dry_run:
                self._require_workspace(tx, ws)
            else:
                self._lock(tx, ws)

            view = View(
                clients=[
                    _client(r["n"])
                    for r in self._run(tx, "MATCH (n:Client) WHERE n.workspace = $ws RETURN n ORDER BY n.id", ws=ws)
                ],
                channels=[
                    _channel(r["n"])
                    for r in self._run(tx, "MATCH (n:Channel) WHERE n.workspace = $ws RETURN n ORDER BY n.id", ws=ws)
                ],
                referrals=[
                    _referral(r)
                    for r in self._run(
                        tx, "MATCH (s)-[r:REFERRED]->(c:Client) WHERE r.workspace = $ws" + _REFERRAL_RETURN, ws=ws
                    )
                ],
                deals=[
                    _deal(r["n"])
                    for r in self._run(tx, "MATCH (n:Deal) WHERE n.workspace = $ws RETURN n ORDER BY n.id", ws=ws)
                ],
                closed_months=frozenset(
                    r["month"]
                    for r in self._run(
                        tx, "MATCH (n:ClosedMonth) WHERE n.workspace = $ws RETURN n.month AS month", ws=ws
                    )
                ),
            )
            changes = build(view)
            if dry_run or changes.problems or not changes.writes:
                return changes
            for kind, rows in (
                ("new channel", [_channel_props(c) for c in changes.new_channels]),
                ("channel", [_channel_props(c) for c in changes.updated_channels]),
                ("new client", [_client_props(c) for c in changes.new_clients]),
                ("client", [_client_props(c) for c in changes.updated_clients]),
            ):
                for start in range(0, len(rows), _ROWS):
                    self._run(tx, _IMPORT_WRITES[kind], ws=ws, rows=rows[start : start + _ROWS])
            self._create_referrals(tx, ws, changes.new_referrals)
            fresh = [_deal_props(d) for d in changes.new_deals]
            for start in range(0, len(fresh), _ROWS):
                self._run(tx, _DEAL_CREATE, ws=ws, rows=fresh[start : start + _ROWS])
            replaced = [_deal_props(d) for d in changes.updated_deals]
            for start in range(0, len(replaced), _ROWS):
                self._run(tx, self._DEAL_MERGE, ws=ws, rows=replaced[start : start + _ROWS])
            return changes

        return self._read(work) if dry_run else self._write(work)

    # -- backup and restore --------------------------------------------------------------
    def _stream(self, tx: neo4j.Transaction, query: LiteralString, ws: str) -> Iterator[neo4j.Record]:
        """Records as the server sends them (no list in between): for streams that must stay flat."""
        with self._mutex:
            self._sent += 1
        yield from tx.run(query, ws=ws)

    def dump(self, ws: str) -> Iterator[Record]:
        """Every record in backup order from one read transaction, streamed as the server sends it."""
        try:
            with (
                self._driver.session(database=self.database, default_access_mode=neo4j.READ_ACCESS) as session,
                session.begin_transaction() as tx,
            ):
                if not list(self._stream(tx, "MATCH (w:Workspace {id: $ws}) RETURN w.id AS id", ws)):
                    raise NotFound("workspace", ws, field="workspace")
                for r in self._stream(tx, "MATCH (c:Channel) WHERE c.workspace = $ws RETURN c ORDER BY c.id", ws):
                    yield _channel(r["c"])
                for r in self._stream(tx, "MATCH (c:Client) WHERE c.workspace = $ws RETURN c ORDER BY c.id", ws):
                    yield _client(r["c"])
                for r in self._stream(
                    tx,
                    "MATCH (s)-[r:REFERRED]->(c:Client) WHERE r.workspace = $ws WITH s, r, c ORDER BY r.id"
                    + _REFERRAL_RETURN,
                    ws,
                ):
                    yield _referral(r)
                for r in self._stream(
                    tx, "MATCH (h:SourceChange) WHERE h.workspace = $ws RETURN h ORDER BY h.client_id, h.seq", ws
                ):
                    yield HistoryEntry(r["h"]["seq"], _source_change(r["h"]))
                for r in self._stream(tx, "MATCH (d:Deal) WHERE d.workspace = $ws RETURN d ORDER BY d.id", ws):
                    yield _deal(r["d"])
                for r in self._stream(
                    tx, "MATCH (m:ClosedMonth) WHERE m.workspace = $ws RETURN m ORDER BY m.month", ws
                ):
                    yield _closed(r["m"])
                for r in self._stream(
                    tx,
                    "MATCH (m:ClosedMonth)-[:FROZEN]->(k:ClosedChunk) WHERE m.workspace = $ws"
                    " RETURN k.month AS month, k.chunk AS chunk, k.body AS body ORDER BY month, chunk",
                    ws,
                ):
                    yield Chunk(r["month"], r["chunk"], r["body"])
                for r in self._stream(tx, "MATCH (t:Token) WHERE t.workspace = $ws RETURN t ORDER BY t.id", ws):
                    yield StoredToken(self._token(r["t"]), r["t"]["hash"])
        except (ServiceUnavailable, SessionExpired, DriverError) as e:
            raise Unavailable(f"Neo4j is unavailable: {e}") from e

    _RESTORE: dict[type, LiteralString] = {
        Channel: "UNWIND $rows AS row CREATE (c:Channel) SET c = row, c.workspace = $ws RETURN count(*) AS n",
        Client: "UNWIND $rows AS row CREATE (c:Client) SET c = row, c.workspace = $ws RETURN count(*) AS n",
        HistoryEntry: "UNWIND $rows AS row CREATE (h:SourceChange) SET h = row, h.workspace = $ws RETURN count(*) AS n",
        ClosedMonth: "UNWIND $rows AS row CREATE (m:ClosedMonth) SET m = row, m.workspace = $ws RETURN count(*) AS n",
        Chunk: "UNWIND $rows AS row MATCH (m:ClosedMonth {workspace: $ws, month: row.month})"
        " CREATE (m)-[:FROZEN]->(:ClosedChunk {workspace: $ws, month: row.month, chunk: row.chunk, body: row.body})"
        " RETURN count(*) AS n",
        StoredToken: "UNWIND $rows AS row CREATE (t:Token) SET t = row, t.workspace = $ws RETURN count(*) AS n",
    }

    @staticmethod
    def _restore_props(r: Record) -> dict[str, Any]:
        if isinstance(r, Channel):
            return _channel_props(r)
        if isinstance(r, Client):
            return _client_props(r)
        if isinstance(r, Deal):
            return _deal_props(r)
        if isinstance(r, HistoryEntry):
            c = r.change
            return {
                "client_id": c.client_id,
                "seq": r.seq,
                "previous_kind": c.previous.kind.value if c.previous else None,
                "previous_id": c.previous.id if c.previous else None,
                "previous_referral_id": c.previous_referral_id,
                "current_kind": c.current.kind.value if c.current else None,
                "current_id": c.current.id if c.current else None,
                "referral_id": c.referral_id,
                "reason": c.reason,
                "changed_at": c.changed_at,
            }
        if isinstance(r, ClosedMonth):
            return {
                "month": r.month,
                "closed_at": r.closed_at,
                "deals": r.deals,
                "new_clients": r.new_clients,
                "checksum": r.checksum,
            }
        if isinstance(r, Chunk):
            return {"month": r.month, "chunk": r.chunk, "body": r.body}
        if isinstance(r, StoredToken):
            t = r.token
            return {"id": t.id, "role": t.role.value, "name": t.name, "hash": r.hash, "created_at": t.created_at}
        raise TypeError(f"not a backup record: {r!r}")

    def _restore_batch(self, ws: str, kind: type, batch: list[Record]) -> None:
        def work(tx: neo4j.ManagedTransaction) -> None:
            # the marker shows the restore is alive (sweep_unfinished leaves it alone while it is touched)
            self._run(tx, "MATCH (m:RestoreInProgress {workspace: $ws}) SET m.touched_at = $at", ws=ws, at=clock.now())
            if kind is Referral:
                made = self._create_referrals(tx, ws, [r for r in batch if isinstance(r, Referral)])
            elif kind is Deal:
                rows = self._run(tx, _DEAL_CREATE, ws=ws, rows=[self._restore_props(r) for r in batch])
                made = rows[0]["n"] if rows else 0
            else:
                rows = self._run(tx, self._RESTORE[kind], ws=ws, rows=[self._restore_props(r) for r in batch])
                made = rows[0]["n"] if rows else 0
            if made != len(batch):
                raise Invalid.one(
                    kind.__name__.lower(),
                    f"{len(batch) - made} record(s) name a client, channel or month not in the backup",
                )

        self._write(work)

    def _purge(self, ws: str) -> None:
        """Delete every node of a workspace id, in batches: what an interrupted restore may leave."""
        for i in range(len(_PURGE)):
            while self._write(lambda tx, i=i: self._run(tx, _PURGE[i], ws=ws))[0]["n"]:
                pass
        self._write(lambda tx: self._run(tx, "MATCH (w:Workspace {id: $ws}) DETACH DELETE w", ws=ws))

    def restore(self, workspace: Workspace, records: Iterable[Record]) -> None:
        """Batches of 5,000 records, each its own transaction (memory stays bounded however big the backup),
        under a RestoreInProgress marker; one last transaction creates the workspace node and its tokens
        and removes the marker, so the workspace and any way into it appear at once, complete.

        A failure deletes what was written; a crash (kill -9) leaves the marker, and `sweep_unfinished`
        (run by `referrals db init` and by every restore) deletes such leftovers.
        """
        ws = workspace.id
        if self._read(lambda tx: self._run(tx, "MATCH (w:Workspace {id: $ws}) RETURN 1 AS x", ws=ws)):
            raise Conflict("workspace", f"workspace {ws} already exists in this store")
        self.sweep_unfinished()
        self._purge(ws)
        try:
            self._write(
                lambda tx: self._run(
                    tx,
                    "CREATE (:RestoreInProgress {workspace: $ws, host: $host, pid: $pid, started_at: $at,"
                    " touched_at: $at})",
                    ws=ws,
                    host=socket.gethostname(),
                    pid=os.getpid(),
                    at=clock.now(),
                )
            )
        except Conflict:
            raise Conflict("workspace", f"workspace {ws} is being restored by another process right now") from None
        try:
            batch: list[Record] = []
            kind: type | None = None
            tokens: list[Record] = []
            for record in records:
                if isinstance(record, StoredToken):
                    tokens.append(record)  # written with the workspace node, never before it
                    continue
                if type(record) is not kind or len(batch) >= 5_000:
                    if batch and kind is not None:
                        self._restore_batch(ws, kind, batch)
                    batch, kind = [], type(record)
                batch.append(record)
            if batch and kind is not None:
                self._restore_batch(ws, kind, batch)

            def finish(tx: neo4j.ManagedTransaction) -> None:
                self._run(
                    tx,
                    "MATCH (m:RestoreInProgress {workspace: $id}) DELETE m"
                    " CREATE (:Workspace {id: $id, name: $name, created_at: $at})",
                    id=ws,
                    name=workspace.name,
                    at=workspace.created_at,
                )
                if tokens:
                    self._run(tx, self._RESTORE[StoredToken], ws=ws, rows=[self._restore_props(t) for t in tokens])

            self._write(finish)
        except BaseException:
            self._purge(ws)
            raise

    def sweep_unfinished(self, grace: timedelta = RESTORE_GRACE) -> list[str]:
        """Delete what restores that never finished left behind: those whose marker was not touched for
        `grace`, or whose process on this host is gone. Returns the workspace ids swept."""
        now, host = clock.now(), socket.gethostname()
        rows = self._read(
            lambda tx: self._run(
                tx,
                "MATCH (m:RestoreInProgress) OPTIONAL MATCH (w:Workspace {id: m.workspace})"
                " RETURN m.workspace AS ws, m.host AS host, m.pid AS pid, m.touched_at AS touched,"
                " w IS NOT NULL AS live",
            )
        )
        swept = []
        for r in rows:
            gone = r["host"] == host and not _process_alive(r["pid"])
            if not r["live"] and (gone or _native(r["touched"]) < now - grace):
                self._purge(r["ws"])
                swept.append(r["ws"])
        return swept

    # -- closed months -------------------------------------------------------------------
    def _refuse_closed(self, tx: neo4j.ManagedTransaction, ws: str, days: Sequence[date]) -> None:
        months = sorted({month_of(d) for d in days})
        if months:
            refuse_closed(
                r["month"]
                for r in self._run(
                    tx,
                    "UNWIND $months AS m MATCH (x:ClosedMonth {workspace: $ws, month: m})"
                    " USING INDEX x:ClosedMonth(workspace, month) RETURN x.month AS month",
                    ws=ws,
                    months=months,
                )
            )

    def close_month(self, ws: str, month: str) -> ClosedMonth:
        """Under the workspace lock that deal writes also take: read, freeze and record the month."""
        start, end = month_range(month)

        def work(tx: neo4j.ManagedTransaction) -> ClosedMonth:
            self._lock(tx, ws)
            if self._run(tx, "MATCH (m:ClosedMonth {workspace: $ws, month: $month}) RETURN 1", ws=ws, month=month):
                raise Conflict("month", f"{month} is already closed")
            closed, chunks = freeze_month(month, self._period(tx, ws, start, end), clock.now())
            self._run(
                tx,
                "CREATE (m:ClosedMonth {workspace: $ws, month: $month, closed_at: $closed_at, deals: $deals,"
                " new_clients: $new_clients, checksum: $checksum})"
                " WITH m UNWIND range(0, size($chunks) - 1) AS i"
                " CREATE (m)-[:FROZEN]->(:ClosedChunk {workspace: $ws, month: $month, chunk: i, body: $chunks[i]})",
                ws=ws,
                month=month,
                closed_at=closed.closed_at,
                deals=closed.deals,
                new_clients=closed.new_clients,
                checksum=closed.checksum,
                chunks=chunks,
            )
            return closed

        return self._write(work)

    def reopen_month(self, ws: str, month: str) -> None:
        """Delete the closing record and its frozen chunks."""
        month_range(month)

        def work(tx: neo4j.ManagedTransaction) -> None:
            self._lock(tx, ws)
            deleted = self._run(
                tx,
                "MATCH (m:ClosedMonth {workspace: $ws, month: $month}) OPTIONAL MATCH (m)-[:FROZEN]->(k:ClosedChunk)"
                " WITH m, collect(k) AS chunks FOREACH (k IN chunks | DETACH DELETE k)"
                " DETACH DELETE m RETURN count(*) AS n",
                ws=ws,
                month=month,
            )
            if not deleted or not deleted[0]["n"]:
                raise NotFound("closed month", month, field="month")

        self._write(work)

    def list_closed_months(self, ws: str) -> list[ClosedMonth]:
        """Closed months, oldest first."""
        rows = self._read(
            lambda tx: self._run(tx, "MATCH (m:ClosedMonth) WHERE m.workspace = $ws RETURN m ORDER BY m.month", ws=ws)
        )
        return [_closed(r["m"]) for r in rows]

    def _frozen(self, ws: str, month: str) -> tuple[ClosedMonth, list[str]] | None:
        rows = self._read(
            lambda tx: self._run(
                tx,
                "MATCH (m:ClosedMonth {workspace: $ws, month: $month}) OPTIONAL MATCH (m)-[:FROZEN]->(k:ClosedChunk)"
                " WITH m, k ORDER BY k.chunk RETURN m, collect(k.body) AS chunks",
                ws=ws,
                month=month,
            )
        )
        if not rows:
            return None
        return _closed(rows[0]["m"]), unchunk(rows[0]["chunks"])

    def snapshot(self, ws: str) -> Snapshot:
        """Four scans in one read transaction, so the parts agree with each other."""

        def work(tx: neo4j.ManagedTransaction) -> Snapshot:
            self._require_workspace(tx, ws)
            clients = tuple(
                _client(r["c"])
                for r in self._run(tx, "MATCH (c:Client) WHERE c.workspace = $ws RETURN c ORDER BY c.id", ws=ws)
            )
            channels = tuple(
                _channel(r["c"])
                for r in self._run(tx, "MATCH (c:Channel) WHERE c.workspace = $ws RETURN c ORDER BY c.id", ws=ws)
            )
            referrals = tuple(
                _referral(r)
                for r in self._run(
                    tx,
                    "MATCH (c:Client {workspace: $ws})<-[r:REFERRED]-(s)" + _REFERRAL_RETURN + " ORDER BY id",
                    ws=ws,
                )
            )
            revenue: dict[str, dict[str, int]] = {}
            for r in self._run(
                tx,
                "MATCH (d:Deal) WHERE d.workspace = $ws"
                " RETURN d.client_id AS client, d.currency AS cur, sum(d.amount_minor) AS total",
                ws=ws,
            ):
                revenue.setdefault(r["client"], {})[r["cur"]] = r["total"]
            return Snapshot(clients, channels, referrals, revenue)

        return self._read(work)

    # -- access tokens -----------------------------------------------------------------
    @staticmethod
    def _token(t: Any) -> Token:
        return Token(
            id=t["id"],
            workspace_id=t["workspace"],
            role=Role(t["role"]),
            name=t["name"],
            created_at=_native(t["created_at"]),
        )

    def create_token(self, ws: str, role: Role, name: str, token_hash: str) -> Token:
        """Store a token hash."""
        token = Token(id=new_id("token"), workspace_id=ws, role=role, name=name, created_at=clock.now())

        def work(tx: neo4j.ManagedTransaction) -> None:
            rows = self._run(
                tx,
                "MATCH (w:Workspace {id: $ws}) CREATE (t:Token {id: $id, workspace: $ws, role: $role, name: $name,"
                " hash: $hash, created_at: $at}) RETURN t.id AS id",
                ws=ws,
                id=token.id,
                role=role.value,
                name=name,
                hash=token_hash,
                at=token.created_at,
            )
            if not rows:
                raise NotFound("workspace", ws, field="workspace")

        self._write(work)
        return token

    def find_token(self, token_hash: str) -> Token | None:
        """Look a token up by its hash."""
        rows = self._read(lambda tx: self._run(tx, "MATCH (t:Token {hash: $hash}) RETURN t", hash=token_hash))
        return self._token(rows[0]["t"]) if rows else None

    def list_tokens(self, ws: str) -> list[Token]:
        """Tokens of a workspace, oldest first."""
        rows = self._read(
            lambda tx: self._run(tx, "MATCH (t:Token) WHERE t.workspace = $ws RETURN t ORDER BY t.id", ws=ws)
        )
        return [self._token(r["t"]) for r in rows]

    def revoke_token(self, ws: str, token_id: str) -> None:
        """Delete a token of this workspace."""

        def work(tx: neo4j.ManagedTransaction) -> None:
            rows = self._run(
                tx,
                "MATCH (t:Token {id: $id}) WHERE t.workspace = $ws WITH t, t.id AS id DELETE t RETURN id",
                ws=ws,
                id=token_id,
            )
            if not rows:
                raise NotFound("token", token_id)

        self._write(work)

    # -- idempotent requests -----------------------------------------------------------
    def claim_idempotency_key(
        self,
        ws: str,
        key: str,
        fingerprint: str,
        claim: str | None = None,
        lease: timedelta = IDEMPOTENCY_LEASE,
        ttl: timedelta = IDEMPOTENCY_TTL,
    ) -> StoredResponse | None:
        """Sweep expired records, then MERGE a claim under the (workspace, key) constraint (taking over one
        whose request died); only the claimer sees its own claim id come back."""
        claim = claim or new_id("claim")
        now = clock.now()

        def work(tx: neo4j.ManagedTransaction) -> StoredResponse | None:
            self._run(
                tx,
                "MATCH (k:IdempotencyKey) WHERE k.workspace = $ws AND k.created_at < $cutoff WITH k LIMIT 500 DELETE k",
                ws=ws,
                cutoff=now - ttl,
            )
            rows = self._run(
                tx,
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
                stale=now - lease,
            )
            if not rows:
                raise NotFound("workspace", ws, field="workspace")
            r = rows[0]
            return None if r["fresh"] else StoredResponse(r["fp"], r["status"], r["body"], r["location"])

        return self._write(work)

    def save_idempotent_response(
        self, ws: str, key: str, status: int, body: str, location: str | None, claim: str | None = None
    ) -> None:
        """Complete a claim with its response (only the claim named, when one is)."""
        self._write(
            lambda tx: self._run(
                tx,
                "MATCH (k:IdempotencyKey {workspace: $ws, key: $key}) WHERE $claim IS NULL OR k.claim = $claim"
                " SET k.status = $status, k.body = $body, k.location = $location",
                ws=ws,
                key=key,
                status=status,
                body=body,
                location=location,
                claim=claim,
            )
        )

    def release_idempotency_key(self, ws: str, key: str, claim: str | None = None) -> None:
        """Drop a claim (only the claim named, when one is)."""
        self._write(
            lambda tx: self._run(
                tx,
                "MATCH (k:IdempotencyKey {workspace: $ws, key: $key}) WHERE $claim IS NULL OR k.claim = $claim"
                " DELETE k",
                ws=ws,
                key=key,
                claim=claim,
            )
        )

    def revision(self, ws: str) -> int:
        """The count the workspace lock keeps: every data write takes the lock, so every change counts."""
        rows = self._read(
            lambda tx: self._run(tx, "MATCH (w:Workspace {id: $ws}) RETURN coalesce(w.revision, 0) AS r", ws=ws)
        )
        if not rows:
            raise NotFound("workspace", ws, field="workspace")
        return int(rows[0]["r"])
