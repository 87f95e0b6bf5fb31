"""The embedded default store: one SQLite file (WAL, foreign keys on), no server needed.

Writes take SQLite's write lock up front (BEGIN IMMEDIATE), so integrity checks and the
write they guard see the same data even with many threads or processes. Chains and trees
are one recursive CTE each.
"""

from __future__ import annotations

import itertools
import json
import os
import shutil
import sqlite3
import threading
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any, TypeVar

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
from graph.contract import IDEMPOTENCY_LEASE, IDEMPOTENCY_TTL, SCHEMA_VERSION, BulkResult, Store
from graph.workflow import ReferralWorkflow
from referrals import clock
from referrals.access import Role, StoredResponse, Token
from referrals.attribution import DealFacts, PeriodFacts, gc_paused, month_range
from referrals.config import DEFAULT_DEPTH, resolve_depth
from referrals.errors import Conflict, Invalid, NotFound, Unavailable
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

_MIGRATIONS: dict[int, str | tuple[str, ...]] = {
    1: """
    CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
    CREATE TABLE workspaces (
        id TEXT PRIMARY KEY, name TEXT NOT NULL, created_at TEXT NOT NULL
    );
    CREATE TABLE clients (
        workspace_id TEXT NOT NULL REFERENCES workspaces(id),
        id TEXT NOT NULL,
        name TEXT NOT NULL, name_key TEXT NOT NULL,
        email TEXT, status TEXT NOT NULL, tags TEXT NOT NULL DEFAULT '[]',
        external_id TEXT, notes TEXT, acquired_on TEXT,
        created_at TEXT NOT NULL, updated_at TEXT NOT NULL,
        PRIMARY KEY (workspace_id, id),
        CONSTRAINT client_email UNIQUE (workspace_id, email),
        CONSTRAINT client_external_id UNIQUE (workspace_id, external_id)
    ) WITHOUT ROWID;
    CREATE TABLE channels (
        workspace_id TEXT NOT NULL REFERENCES workspaces(id),
        id TEXT NOT NULL,
        name TEXT NOT NULL, name_key TEXT NOT NULL, kind TEXT NOT NULL,
        url TEXT, external_id TEXT, notes TEXT,
        created_at TEXT NOT NULL, updated_at TEXT NOT NULL,
        PRIMARY KEY (workspace_id, id),
        CONSTRAINT channel_name UNIQUE (workspace_id, name_key),
        CONSTRAINT channel_external_id UNIQUE (workspace_id, external_id)
    ) WITHOUT ROWID;
    CREATE TABLE referrals (
        workspace_id TEXT NOT NULL,
        id TEXT NOT NULL,
        source_kind TEXT NOT NULL CHECK (source_kind IN ('client', 'channel')),
        source_id TEXT NOT NULL,
        client_id TEXT NOT NULL,
        referred_on TEXT NOT NULL, note TEXT,
        is_primary INTEGER NOT NULL CHECK (is_primary IN (0, 1)),
        created_at TEXT NOT NULL,
        PRIMARY KEY (workspace_id, id),
        FOREIGN KEY (workspace_id, client_id) REFERENCES clients(workspace_id, id),
        CONSTRAINT referral_pair UNIQUE (workspace_id, source_kind, source_id, client_id),
        CHECK (NOT (source_kind = 'client' AND source_id = client_id))
    ) WITHOUT ROWID;
    CREATE UNIQUE INDEX referral_one_primary ON referrals(workspace_id, client_id) WHERE is_primary = 1;
    CREATE INDEX referral_by_client ON referrals(workspace_id, client_id, is_primary);
    CREATE INDEX referral_by_source ON referrals(workspace_id, source_kind, source_id, is_primary);
    CREATE TABLE source_changes (
        workspace_id TEXT NOT NULL, seq INTEGER NOT NULL, client_id TEXT NOT NULL,
        previous_kind TEXT, previous_id TEXT, previous_referral_id TEXT,
        current_kind TEXT, current_id TEXT, referral_id TEXT,
        reason TEXT, changed_at TEXT NOT NULL,
        PRIMARY KEY (workspace_id, client_id, seq)
    ) WITHOUT ROWID;
    CREATE TABLE deals (
        workspace_id TEXT NOT NULL,
        id TEXT NOT NULL, client_id TEXT NOT NULL,
        amount_minor INTEGER NOT NULL, currency TEXT NOT NULL, closed_on TEXT NOT NULL,
        title TEXT, external_id TEXT, created_at TEXT NOT NULL, updated_at TEXT NOT NULL,
        PRIMARY KEY (workspace_id, id),
        FOREIGN KEY (workspace_id, client_id) REFERENCES clients(workspace_id, id),
        CONSTRAINT deal_external_id UNIQUE (workspace_id, external_id)
    ) WITHOUT ROWID;
    CREATE INDEX deal_by_date ON deals(workspace_id, closed_on);
    CREATE INDEX deal_by_client ON deals(workspace_id, client_id);
    """,
    2: """
    CREATE TABLE tokens (
        id TEXT PRIMARY KEY,
        workspace_id TEXT NOT NULL REFERENCES workspaces(id),
        role TEXT NOT NULL CHECK (role IN ('viewer', 'editor', 'owner')),
        name TEXT NOT NULL,
        token_hash TEXT NOT NULL,
        created_at TEXT NOT NULL,
        CONSTRAINT token_hash UNIQUE (token_hash)
    );
    CREATE INDEX token_by_workspace ON tokens(workspace_id);
    CREATE TABLE idempotency_keys (
        workspace_id TEXT NOT NULL REFERENCES workspaces(id),
        key TEXT NOT NULL,
        fingerprint TEXT NOT NULL,
        status INTEGER, body TEXT, location TEXT,
        created_at TEXT NOT NULL,
        PRIMARY KEY (workspace_id, key)
    ) WITHOUT ROWID;
    """,
    3: """
    CREATE INDEX client_by_acquired ON clients(workspace_id, acquired_on) WHERE acquired_on IS NOT NULL;
    CREATE INDEX referral_primary_by_date ON referrals(workspace_id, referred_on) WHERE is_primary = 1;
    CREATE TABLE closed_months (
        workspace_id TEXT NOT NULL REFERENCES workspaces(id),
        month TEXT NOT NULL,
        closed_at TEXT NOT NULL,
        deals INTEGER NOT NULL,
        new_clients INTEGER NOT NULL,
        checksum TEXT NOT NULL,
        PRIMARY KEY (workspace_id, month)
    ) WITHOUT ROWID;
    CREATE TABLE closed_month_lines (
        workspace_id TEXT NOT NULL,
        month TEXT NOT NULL,
        chunk INTEGER NOT NULL,
        body TEXT NOT NULL,
        PRIMARY KEY (workspace_id, month, chunk),
        FOREIGN KEY (workspace_id, month) REFERENCES closed_months(workspace_id, month) ON DELETE CASCADE
    ) WITHOUT ROWID;
    """,
    # One statement an item (a tuple needs no splitting on semicolons).
    4: (
        # Idempotency records of earlier versions may hold a token's secret in their body: drop them all
        # (they only answer retries); claims now carry their own id and every record expires.
        "DELETE FROM idempotency_keys",
        "ALTER TABLE idempotency_keys ADD COLUMN claim TEXT",
        "CREATE INDEX idempotency_by_age ON idempotency_keys(workspace_id, created_at)",
    ),
}

_DISK_FULL = "the database's disk is full: free some space"
_READ_ONLY = "the database file cannot be written (read-only file or file system)"
# Storage faults by SQLite's error name (prefixes): what the caller and health are told.
_FAULTS = (
    ("SQLITE_FULL", _DISK_FULL),
    ("SQLITE_READONLY", _READ_ONLY),
    ("SQLITE_IOERR", "the database file could not be read or written (I/O error)"),
    ("SQLITE_CANTOPEN", "the database file cannot be opened"),
    ("SQLITE_BUSY", "the database is busy"),
)
_MIN_FREE_BYTES = 1 << 20  # below this, health says the disk is full before a write fails on it

# Which field a failed UNIQUE constraint speaks of, by the columns SQLite names.
_UNIQUE_FIELDS = {
    "clients.workspace_id, clients.email": ("email", "another client already has this email"),
    "clients.workspace_id, clients.external_id": ("external_id", "another client has this external id"),
    "channels.workspace_id, channels.name_key": ("name", "another channel already has this name"),
    "channels.workspace_id, channels.external_id": ("external_id", "another channel has this external id"),
    "deals.workspace_id, deals.external_id": ("external_id", "another deal has this external id"),
    "referrals.workspace_id, referrals.client_id": ("client_id", "the client already has a primary source"),
    "referrals.workspace_id, referrals.source_kind, referrals.source_id, referrals.client_id": (
        "source_id",
        "this source already recommended this client",
    ),
}


def _source_change(row: sqlite3.Row) -> SourceChange:
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


def _closed(row: sqlite3.Row) -> ClosedMonth:
    return ClosedMonth(
        month=row["month"],
        closed_at=datetime.fromisoformat(row["closed_at"]),
        deals=row["deals"],
        new_clients=row["new_clients"],
        checksum=row["checksum"],
    )


def _ts(value: datetime) -> str:
    return value.isoformat(timespec="microseconds")


def _d(value: date | None) -> str | None:
    return value.isoformat() if value else None


def _client(row: sqlite3.Row) -> Client:
    return Client(
        id=row["id"],
        name=row["name"],
        email=row["email"],
        status=ClientStatus(row["status"]),
        tags=tuple(json.loads(row["tags"])),
        external_id=row["external_id"],
        notes=row["notes"],
        acquired_on=date.fromisoformat(row["acquired_on"]) if row["acquired_on"] else None,
        created_at=datetime.fromisoformat(row["created_at"]),
        updated_at=datetime.fromisoformat(row["updated_at"]),
    )


def _channel(row: sqlite3.Row) -> Channel:
    return Channel(
        id=row["id"],
        name=row["name"],
        kind=ChannelKind(row["kind"]),
        url=row["url"],
        external_id=row["external_id"],
        notes=row["notes"],
        created_at=datetime.fromisoformat(row["created_at"]),
        updated_at=datetime.fromisoformat(row["updated_at"]),
    )


def _deal(row: sqlite3.Row) -> Deal:
    return Deal(
        id=row["id"],
        client_id=row["client_id"],
        amount=Money(row["amount_minor"], row["currency"]),
        closed_on=date.fromisoformat(row["closed_on"]),
        title=row["title"],
        external_id=row["external_id"],
        created_at=datetime.fromisoformat(row["created_at"]),
        updated_at=datetime.fromisoformat(row["updated_at"]),
    )


def _referral(row: sqlite3.Row) -> Referral:
    return Referral(
        id=row["id"],
        source=SourceRef(SourceKind(row["source_kind"]), row["source_id"]),
        client_id=row["client_id"],
        referred_on=date.fromisoformat(row["referred_on"]),
        note=row["note"],
        primary=bool(row["is_primary"]),
        created_at=datetime.fromisoformat(row["created_at"]),
    )


def _client_params(ws: str, cid: str, c: ClientInput | Client, created: str, updated: str) -> dict[str, Any]:
    return {
        "ws": ws,
        "id": cid,
        "name": c.name,
        "name_key": name_key(c.name),
        "email": c.email,
        "status": c.status.value,
        "tags": json.dumps(list(c.tags)),
        "external_id": c.external_id,
        "notes": c.notes,
        "acquired_on": _d(c.acquired_on),
        "created_at": created,
        "updated_at": updated,
    }


class SqliteStore(ReferralWorkflow, Store):
    """Store backed by one SQLite database file."""

    kind = "sqlite"

    def __init__(self, path: str | Path, max_depth: int = DEFAULT_DEPTH) -> None:
        self.path = Path(path)
        self.max_depth = max_depth
        self._local = threading.local()
        self._connections: list[sqlite3.Connection] = []
        self._mutex = threading.Lock()
        self._counter = itertools.count()
        self._sent = 0
        self._write_fault: str | None = None

    def __repr__(self) -> str:
        return f"SqliteStore({str(self.path)!r})"

    # -- plumbing -----------------------------------------------------------------------
    def _conn(self) -> sqlite3.Connection:
        conn: sqlite3.Connection | None = getattr(self._local, "conn", None)
        if conn is None:
            try:
                self.path.parent.mkdir(parents=True, exist_ok=True)
                conn = sqlite3.connect(self.path, isolation_level=None, check_same_thread=False, timeout=30)
                conn.row_factory = sqlite3.Row
                conn.execute("PRAGMA journal_mode = WAL")
                conn.execute("PRAGMA foreign_keys = ON")
                conn.execute("PRAGMA synchronous = NORMAL")
                conn.execute("PRAGMA busy_timeout = 30000")
                # Traversals hop between B-tree pages at random: a 64 MiB page cache and memory-mapped
                # reads (1 GiB of address space, shared through the OS page cache) halve month queries.
                conn.execute("PRAGMA cache_size = -65536")
                conn.execute("PRAGMA mmap_size = 1073741824")
            except (sqlite3.Error, OSError) as e:
                folder = self.path.parent
                read_only = folder.exists() and bool(os.statvfs(folder).f_flag & os.ST_RDONLY)
                public = _READ_ONLY if read_only else "the database file cannot be opened"
                raise Unavailable(f"cannot open the database file {str(self.path)!r}: {e}", public=public) from e
            self._local.conn = conn
            with self._mutex:
                self._connections.append(conn)
        return conn

    def _run(self, conn: sqlite3.Connection, sql: str, params: Any = ()) -> sqlite3.Cursor:
        with self._mutex:
            self._sent += 1
        return conn.execute(sql, params)

    def _many(self, conn: sqlite3.Connection, sql: str, rows: Sequence[Any]) -> None:
        with self._mutex:
            self._sent += 1
        conn.executemany(sql, rows)

    @property
    def query_count(self) -> int:
        """Statements sent so far."""
        return self._sent

    @contextmanager
    def _tx(self, write: bool = False) -> Iterator[sqlite3.Connection]:
        conn = self._conn()
        try:
            conn.execute("BEGIN IMMEDIATE" if write else "BEGIN")
        except sqlite3.OperationalError as e:
            raise self._fault(e) from e
        try:
            yield conn
        except sqlite3.OperationalError as e:
            conn.rollback()
            raise self._fault(e) from e
        except BaseException:
            conn.rollback()
            raise
        try:
            if write:
                # the file's revision: one count per committed write transaction, whatever it changed
                # (caches of heavy reads compare it); one row, so bulk writes pay nothing per row
                conn.execute(
                    "INSERT INTO meta(key, value) VALUES ('revision', '1')"
                    " ON CONFLICT(key) DO UPDATE SET value = CAST(value AS INTEGER) + 1"
                )
            conn.commit()
        except sqlite3.IntegrityError as e:
            conn.rollback()
            raise self._conflict(e) from e
        except sqlite3.OperationalError as e:
            conn.rollback()
            raise self._fault(e) from e
        if write:
            self._write_fault = None

    def _fault(self, e: sqlite3.OperationalError) -> Exception:
        """A storage fault (disk full, read-only file, I/O error, busy) as Unavailable with what to fix;
        any other OperationalError is a bug in a statement and stays what it is."""
        name = getattr(e, "sqlite_errorname", "") or ""
        for prefix, public in _FAULTS:
            if name.startswith(prefix):
                if prefix != "SQLITE_BUSY":
                    self._write_fault = public  # health reports it until a write succeeds again
                return Unavailable(f"SQLite: {name}: {e}", public=public)
        return e

    @staticmethod
    def _conflict(e: sqlite3.IntegrityError) -> Exception:
        text = str(e)
        for cols, (field, reason) in _UNIQUE_FIELDS.items():
            if text.endswith(cols):
                return Conflict(field, reason)
        return Conflict("id", f"the change breaks an integrity rule ({text})")

    @contextmanager
    def _write(self) -> Iterator[sqlite3.Connection]:
        try:
            with self._tx(write=True) as conn:
                yield conn
        except sqlite3.IntegrityError as e:
            raise self._conflict(e) from e

    def close(self) -> None:
        """Close every connection this store opened."""
        with self._mutex:
            for conn in self._connections:
                conn.close()
            self._connections.clear()
        self._local = threading.local()

    # -- schema ------------------------------------------------------------------------
    def schema_version(self) -> int | None:
        """The version recorded by init_schema, or None."""
        conn = self._conn()
        has_meta = self._run(conn, "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'meta'").fetchone()
        if not has_meta:
            return None
        row = self._run(conn, "SELECT value FROM meta WHERE key = 'schema_version'").fetchone()
        return int(row["value"]) if row else None

    def init_schema(self) -> int:
        """Apply every migration above the recorded version, each in its own transaction."""
        with self._write() as conn:
            current = self.schema_version() or 0
            for version in sorted(v for v in _MIGRATIONS if v > current):
                steps = _MIGRATIONS[version]
                for statement in steps.split(";") if isinstance(steps, str) else steps:
                    if statement.strip():
                        self._run(conn, statement)
                self._run(
                    conn,
                    "INSERT INTO meta(key, value) VALUES ('schema_version', ?) "
                    "ON CONFLICT(key) DO UPDATE SET value = excluded.value",
                    (str(version),),
                )
        return SCHEMA_VERSION

    def ping(self) -> None:
        """Run a trivial query, and say the store cannot be written when that is known: its last write
        failed on a storage fault, its disk has no room left, or its file or connection is read-only."""
        try:
            conn = self._conn()
            read_only = self._run(conn, "PRAGMA query_only").fetchone()[0]
        except sqlite3.Error as e:
            raise Unavailable(str(e)) from e
        if read_only or not os.access(self.path, os.W_OK) or os.statvfs(self.path).f_flag & os.ST_RDONLY:
            raise Unavailable("SQLite: read-only", public=_READ_ONLY)
        if shutil.disk_usage(self.path.parent).free < _MIN_FREE_BYTES:
            raise Unavailable("SQLite: disk full", public=_DISK_FULL)
        if self._write_fault:
            raise Unavailable(f"SQLite: last write failed: {self._write_fault}", public=self._write_fault)

    # -- workspaces ----------------------------------------------------------------------
    def create_workspace(self, name: str) -> Workspace:
        """Create an empty workspace."""
        ws = Workspace(id=new_id("workspace"), name=name, created_at=clock.now())
        with self._write() as conn:
            self._run(
                conn,
                "INSERT INTO workspaces(id, name, created_at) VALUES (?, ?, ?)",
                (ws.id, ws.name, _ts(ws.created_at)),
            )
        return ws

    def get_workspace(self, workspace_id: str) -> Workspace:
        """One workspace or NotFound."""
        row = self._run(
            self._conn(), "SELECT id, name, created_at FROM workspaces WHERE id = ?", (workspace_id,)
        ).fetchone()
        if not row:
            raise NotFound("workspace", workspace_id)
        return Workspace(id=row["id"], name=row["name"], created_at=datetime.fromisoformat(row["created_at"]))

    def list_workspaces(self) -> list[Workspace]:
        """All workspaces, oldest first."""
        rows = self._run(self._conn(), "SELECT id, name, created_at FROM workspaces ORDER BY id").fetchall()
        return [Workspace(id=r["id"], name=r["name"], created_at=datetime.fromisoformat(r["created_at"])) for r in rows]

    def _require_workspace(self, conn: sqlite3.Connection, ws: str) -> None:
        if not self._run(conn, "SELECT 1 FROM workspaces WHERE id = ?", (ws,)).fetchone():
            raise NotFound("workspace", ws, field="workspace")

    # -- clients -------------------------------------------------------------------------
    def _get_client(self, conn: sqlite3.Connection, ws: str, client_id: str, field: str = "id") -> Client:
        row = self._run(conn, "SELECT * FROM clients WHERE workspace_id = ? AND id = ?", (ws, client_id)).fetchone()
        if not row:
            raise NotFound("client", client_id, field=field)
        return _client(row)

    def create_client(self, ws: str, data: ClientInput) -> Client:
        """Insert a client."""
        now = clock.now()
        cid = new_id("client")
        with self._write() as conn:
            self._require_workspace(conn, ws)
            self._insert_client(conn, ws, cid, data, _ts(now), _ts(now))
        return Client(
            id=cid,
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

    def _insert_client(
        self, conn: sqlite3.Connection, ws: str, cid: str, data: ClientInput | Client, created: str, updated: str
    ) -> None:
        self._run(
            conn,
            "INSERT INTO clients(workspace_id, id, name, name_key, email, status, tags, external_id, notes,"
            " acquired_on, created_at, updated_at) VALUES (:ws, :id, :name, :name_key, :email, :status,"
            " :tags, :external_id, :notes, :acquired_on, :created_at, :updated_at)",
            _client_params(ws, cid, data, created, updated),
        )

    def get_client(self, ws: str, client_id: str) -> Client:
        """One client or NotFound."""
        return self._get_client(self._conn(), ws, client_id)

    def update_client(self, ws: str, client_id: str, patch: ClientPatch) -> Client:
        """Read, patch and write back in one write transaction."""
        with self._write() as conn:
            updated = patch.apply(self._get_client(conn, ws, client_id), clock.now())
            self._run(
                conn,
                "UPDATE clients SET name = :name, name_key = :name_key, email = :email, status = :status,"
                " tags = :tags, external_id = :external_id, notes = :notes, acquired_on = :acquired_on,"
                " updated_at = :updated_at WHERE workspace_id = :ws AND id = :id",
                _client_params(ws, client_id, updated, _ts(updated.created_at), _ts(updated.updated_at)),
            )
        return updated

    def list_clients(self, ws: str, query: ClientQuery) -> Page[Client]:
        """Filtered clients in creation order."""
        rows = self._run(
            self._conn(),
            "SELECT * FROM clients c WHERE workspace_id = :ws AND id > :after"
            " AND (:text IS NULL OR instr(name_key, :text) > 0 OR instr(coalesce(email, ''), :text) > 0)"
            " AND (:tag IS NULL OR EXISTS (SELECT 1 FROM json_each(c.tags) WHERE value = :tag))"
            " AND (:status IS NULL OR status = :status)"
            " AND (:acq_from IS NULL OR acquired_on >= :acq_from)"
            " AND (:acq_to IS NULL OR acquired_on <= :acq_to)"
            " ORDER BY id LIMIT :limit",
            {
                "ws": ws,
                "after": query.after or "",
                "text": name_key(query.text) if query.text else None,
                "tag": query.tag.strip().lower() if query.tag else None,
                "status": query.status.value if query.status else None,
                "acq_from": _d(query.acquired_from),
                "acq_to": _d(query.acquired_to),
                "limit": query.limit + 1,
            },
        ).fetchall()
        return Page.from_overfetch([_client(r) for r in rows], query.limit)

    def upsert_clients(self, ws: str, rows: Sequence[ClientInput]) -> BulkResult:
        """Insert or replace by external id, all in one transaction."""
        require_external_ids(rows)
        with self._write() as conn:
            self._require_workspace(conn, ws)
            existing = {
                r["external_id"]: _client(r)
                for r in self._run(
                    conn,
                    "SELECT * FROM clients WHERE workspace_id = ? AND external_id IN (SELECT value FROM json_each(?))",
                    (ws, json.dumps([r.external_id for r in rows])),
                )
            }
            writes, result = plan_client_upsert(existing, rows, clock.now())
            self._many(
                conn,
                "INSERT INTO clients(workspace_id, id, name, name_key, email, status, tags, external_id,"
                " notes, acquired_on, created_at, updated_at) VALUES (:ws, :id, :name, :name_key, :email,"
                " :status, :tags, :external_id, :notes, :acquired_on, :created_at, :updated_at)"
                " ON CONFLICT(workspace_id, id) DO UPDATE SET name = excluded.name,"
                " name_key = excluded.name_key, email = excluded.email, status = excluded.status,"
                " tags = excluded.tags, notes = excluded.notes, acquired_on = excluded.acquired_on,"
                " updated_at = excluded.updated_at",
                [_client_params(ws, c.id, c, _ts(c.created_at), _ts(c.updated_at)) for c in writes],
            )
        return result

    # -- channels ------------------------------------------------------------------------
    def _get_channel(self, conn: sqlite3.Connection, ws: str, channel_id: str, field: str = "id") -> Channel:
        row = self._run(conn, "SELECT * FROM channels WHERE workspace_id = ? AND id = ?", (ws, channel_id)).fetchone()
        if not row:
            raise NotFound("channel", channel_id, field=field)
        return _channel(row)

    def _write_channel(self, conn: sqlite3.Connection, ws: str, ch: Channel, insert: bool) -> None:
        params = {
            "ws": ws,
            "id": ch.id,
            "name": ch.name,
            "name_key": name_key(ch.name),
            "kind": ch.kind.value,
            "url": ch.url,
            "external_id": ch.external_id,
            "notes": ch.notes,
            "created_at": _ts(ch.created_at),
            "updated_at": _ts(ch.updated_at),
        }
        if insert:
            sql = (
                "INSERT INTO channels(workspace_id, id, name, name_key, kind, url, external_id, notes,"
                " created_at, updated_at) VALUES (:ws, :id, :name, :name_key, :kind, :url, :external_id,"
                " :notes, :created_at, :updated_at)"
            )
        else:
            sql = (
                "UPDATE channels SET name = :name, name_key = :name_key, kind = :kind, url = :url,"
                " external_id = :external_id, notes = :notes, updated_at = :updated_at"
                " WHERE workspace_id = :ws AND id = :id"
            )
        self._run(conn, sql, params)

    def create_channel(self, ws: str, data: ChannelInput) -> Channel:
        """Insert a channel."""
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
        with self._write() as conn:
            self._require_workspace(conn, ws)
            self._write_channel(conn, ws, ch, insert=True)
        return ch

    def get_channel(self, ws: str, channel_id: str) -> Channel:
        """One channel or NotFound."""
        return self._get_channel(self._conn(), ws, channel_id)

    def update_channel(self, ws: str, channel_id: str, patch: ChannelPatch) -> Channel:
        """Read, patch and write back."""
        with self._write() as conn:
            ch = patch.apply(self._get_channel(conn, ws, channel_id), clock.now())
            self._write_channel(conn, ws, ch, insert=False)
        return ch

    def delete_channel(self, ws: str, channel_id: str) -> None:
        """Delete a channel that recommended no one."""
        with self._write() as conn:
            self._get_channel(conn, ws, channel_id)
            used = self._run(
                conn,
                "SELECT count(*) FROM referrals WHERE workspace_id = ? AND source_kind = 'channel' AND source_id = ?",
                (ws, channel_id),
            ).fetchone()[0]
            if used:
                raise Conflict("id", f"the channel is the source of {used} referral(s); delete those first")
            self._run(conn, "DELETE FROM channels WHERE workspace_id = ? AND id = ?", (ws, channel_id))

    def list_channels(self, ws: str, limit: int = 50, after: str | None = None) -> Page[Channel]:
        """Channels in creation order."""
        check_limit(limit)
        rows = self._run(
            self._conn(),
            "SELECT * FROM channels WHERE workspace_id = ? AND id > ? ORDER BY id LIMIT ?",
            (ws, after or "", limit + 1),
        ).fetchall()
        return Page.from_overfetch([_channel(r) for r in rows], limit)

    # -- deals ---------------------------------------------------------------------------
    def _get_deal(self, conn: sqlite3.Connection, ws: str, deal_id: str) -> Deal:
        row = self._run(conn, "SELECT * FROM deals WHERE workspace_id = ? AND id = ?", (ws, deal_id)).fetchone()
        if not row:
            raise NotFound("deal", deal_id)
        return _deal(row)

    @staticmethod
    def _deal_params(ws: str, d: Deal) -> dict[str, Any]:
        return {
            "ws": ws,
            "id": d.id,
            "client_id": d.client_id,
            "amount_minor": d.amount.minor,
            "currency": d.amount.currency,
            "closed_on": d.closed_on.isoformat(),
            "title": d.title,
            "external_id": d.external_id,
            "created_at": _ts(d.created_at),
            "updated_at": _ts(d.updated_at),
        }

    _DEAL_INSERT = (
        "INSERT INTO deals(workspace_id, id, client_id, amount_minor, currency, closed_on, title,"
        " external_id, created_at, updated_at) VALUES (:ws, :id, :client_id, :amount_minor, :currency,"
        " :closed_on, :title, :external_id, :created_at, :updated_at)"
    )

    def create_deal(self, ws: str, data: DealInput) -> Deal:
        """Insert a deal of an existing client."""
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
        with self._write() as conn:
            self._require_workspace(conn, ws)
            self._get_client(conn, ws, data.client_id, field="client_id")
            self._refuse_closed(conn, ws, [deal.closed_on])
            self._run(conn, self._DEAL_INSERT, self._deal_params(ws, deal))
        return deal

    def get_deal(self, ws: str, deal_id: str) -> Deal:
        """One deal or NotFound."""
        return self._get_deal(self._conn(), ws, deal_id)

    def update_deal(self, ws: str, deal_id: str, patch: DealPatch) -> Deal:
        """Read, patch and write back."""
        with self._write() as conn:
            before = self._get_deal(conn, ws, deal_id)
            deal = patch.apply(before, clock.now())
            self._refuse_closed(conn, ws, [before.closed_on, deal.closed_on])
            self._run(
                conn,
                "UPDATE deals SET amount_minor = :amount_minor, currency = :currency, closed_on = :closed_on,"
                " title = :title, external_id = :external_id, updated_at = :updated_at"
                " WHERE workspace_id = :ws AND id = :id",
                self._deal_params(ws, deal),
            )
        return deal

    def delete_deal(self, ws: str, deal_id: str) -> None:
        """Delete a deal."""
        with self._write() as conn:
            self._refuse_closed(conn, ws, [self._get_deal(conn, ws, deal_id).closed_on])
            self._run(conn, "DELETE FROM deals WHERE workspace_id = ? AND id = ?", (ws, deal_id))

    def list_deals(self, ws: str, query: DealQuery) -> Page[Deal]:
        """Filtered deals in creation order."""
        rows = self._run(
            self._conn(),
            "SELECT * FROM deals WHERE workspace_id = :ws AND id > :after"
            " AND (:client IS NULL OR client_id = :client)"
            " AND (:from IS NULL OR closed_on >= :from) AND (:to IS NULL OR closed_on <= :to)"
            " ORDER BY id LIMIT :limit",
            {
                "ws": ws,
                "after": query.after or "",
                "client": query.client_id,
                "from": _d(query.closed_from),
                "to": _d(query.closed_to),
                "limit": query.limit + 1,
            },
        ).fetchall()
        return Page.from_overfetch([_deal(r) for r in rows], query.limit)

    def upsert_deals(self, ws: str, rows: Sequence[DealInput]) -> BulkResult:
        """Insert or replace deals by external id, all in one transaction."""
        require_external_ids(rows)
        with self._write() as conn:
            self._require_workspace(conn, ws)
            known = {
                r["id"]
                for r in self._run(
                    conn,
                    "SELECT id FROM clients WHERE workspace_id = ? AND id IN (SELECT value FROM json_each(?))",
                    (ws, json.dumps(sorted({r.client_id for r in rows}))),
                )
            }
            existing = {
                r["external_id"]: _deal(r)
                for r in self._run(
                    conn,
                    "SELECT * FROM deals WHERE workspace_id = ? AND external_id IN (SELECT value FROM json_each(?))",
                    (ws, json.dumps([r.external_id for r in rows])),
                )
            }
            writes, result = plan_deal_upsert(existing, rows, known, clock.now())
            changed = {d.id for d in writes}
            self._refuse_closed(
                conn,
                ws,
                [d.closed_on for d in writes] + [d.closed_on for d in existing.values() if d.id in changed],
            )
            self._many(
                conn,
                self._DEAL_INSERT + " ON CONFLICT(workspace_id, id) DO UPDATE SET client_id = excluded.client_id,"
                " amount_minor = excluded.amount_minor, currency = excluded.currency,"
                " closed_on = excluded.closed_on, title = excluded.title, updated_at = excluded.updated_at",
                [self._deal_params(ws, d) for d in writes],
            )
        return result

    # -- referrals -----------------------------------------------------------------------
    def _primary(self, conn: sqlite3.Connection, ws: str, client_id: str) -> Referral | None:
        row = self._run(
            conn,
            "SELECT * FROM referrals INDEXED BY referral_one_primary"
            " WHERE workspace_id = ? AND client_id = ? AND is_primary = 1",
            (ws, client_id),
        ).fetchone()
        return _referral(row) if row else None

    def _pair(self, conn: sqlite3.Connection, ws: str, source: SourceRef, client_id: str) -> Referral | None:
        row = self._run(
            conn,
            "SELECT * FROM referrals WHERE workspace_id = ? AND source_kind = ? AND source_id = ? AND client_id = ?",
            (ws, source.kind.value, source.id, client_id),
        ).fetchone()
        return _referral(row) if row else None

    def _would_cycle(self, conn: sqlite3.Connection, ws: str, source: SourceRef, client_id: str) -> bool:
        """True when client_id is source itself or one of its ancestors (over every recommendation)."""
        if source.kind is not SourceKind.CLIENT:
            return False
        # Walk down from the client: a newly recommended client has nobody below it, so this ends at once.
        row = self._run(
            conn,
            "WITH RECURSIVE down(id) AS (SELECT :client UNION SELECT r.client_id"
            " FROM referrals r INDEXED BY referral_by_source JOIN down"
            " ON r.workspace_id = :ws AND r.source_kind = 'client' AND r.source_id = down.id)"
            " SELECT EXISTS (SELECT 1 FROM down WHERE id = :source)",
            {"ws": ws, "source": source.id, "client": client_id},
        ).fetchone()
        return bool(row[0])

    def _log_change(
        self,
        conn: sqlite3.Connection,
        ws: str,
        client_id: str,
        previous: Referral | None,
        current: Referral | None,
        reason: str | None,
        now: datetime,
    ) -> None:
        self._run(
            conn,
            "INSERT INTO source_changes(workspace_id, seq, client_id, previous_kind, previous_id,"
            " previous_referral_id, current_kind, current_id, referral_id, reason, changed_at)"
            " VALUES (:ws, (SELECT coalesce(max(seq), 0) + 1 FROM source_changes WHERE workspace_id = :ws"
            " AND client_id = :client), :client, :pk, :pid, :prid, :ck, :cid, :crid, :reason, :at)",
            {
                "ws": ws,
                "client": client_id,
                "pk": previous.source.kind.value if previous else None,
                "pid": previous.source.id if previous else None,
                "prid": previous.id if previous else None,
                "ck": current.source.kind.value if current else None,
                "cid": current.source.id if current else None,
                "crid": current.id if current else None,
                "reason": reason,
                "at": _ts(now),
            },
        )

    def _get_referral_in(self, conn: sqlite3.Connection, ws: str, referral_id: str) -> Referral:
        row = self._run(conn, "SELECT * FROM referrals WHERE workspace_id = ? AND id = ?", (ws, referral_id)).fetchone()
        if not row:
            raise NotFound("referral", referral_id)
        return _referral(row)

    def get_referral(self, ws: str, referral_id: str) -> Referral:
        """One referral or NotFound."""
        return self._get_referral_in(self._conn(), ws, referral_id)

    def list_referrals(
        self,
        ws: str,
        client_id: str | None = None,
        source: SourceRef | None = None,
        limit: int | None = None,
        after: str | None = None,
    ) -> list[Referral]:
        """Referrals filtered by client and/or source, oldest first; each filter starts from its index."""
        params = {
            "ws": ws,
            "after": after or "",
            "limit": -1 if limit is None else limit,
            "client": client_id,
            "sk": source.kind.value if source else None,
            "sid": source.id if source else None,
        }
        if client_id is not None:
            sql = (
                "SELECT * FROM referrals INDEXED BY referral_by_client WHERE workspace_id = :ws AND client_id = :client"
                " AND (:sk IS NULL OR (source_kind = :sk AND source_id = :sid)) AND id > :after"
                " ORDER BY id LIMIT :limit"
            )
        elif source is not None:
            sql = (
                "SELECT * FROM referrals INDEXED BY referral_by_source WHERE workspace_id = :ws AND source_kind = :sk"
                " AND source_id = :sid AND id > :after ORDER BY id LIMIT :limit"
            )
        else:
            sql = "SELECT * FROM referrals WHERE workspace_id = :ws AND id > :after ORDER BY id LIMIT :limit"
        return [_referral(r) for r in self._run(self._conn(), sql, params).fetchall()]

    def source_history(self, ws: str, client_id: str) -> list[SourceChange]:
        """Logged changes of the client's primary source, oldest first."""
        conn = self._conn()
        self._get_client(conn, ws, client_id)
        rows = self._run(
            conn,
            "SELECT * FROM source_changes WHERE workspace_id = ? AND client_id = ? ORDER BY seq",
            (ws, client_id),
        ).fetchall()
        return [_source_change(r) for r in rows]

    def add_referrals(self, ws: str, rows: Sequence[ReferralInput]) -> BulkResult:
        """Check every row against the whole graph, then insert them with one executemany."""
        with self._write() as conn:
            self._require_workspace(conn, ws)
            edges = [
                Edge(SourceRef(SourceKind(r[0]), r[1]), r[2], bool(r[3]))
                for r in self._run(
                    conn,
                    "SELECT source_kind, source_id, client_id, is_primary FROM referrals WHERE workspace_id = ?",
                    (ws,),
                )
            ]
            wanted = json.dumps(
                sorted({r.client_id for r in rows} | {r.source.id for r in rows if r.source.kind is SourceKind.CLIENT})
            )
            clients = {
                r[0]
                for r in self._run(
                    conn,
                    "SELECT id FROM clients WHERE workspace_id = ? AND id IN (SELECT value FROM json_each(?))",
                    (ws, wanted),
                )
            }
            channels = {
                r[0]
                for r in self._run(
                    conn,
                    "SELECT id FROM channels WHERE workspace_id = ? AND id IN (SELECT value FROM json_each(?))",
                    (ws, json.dumps(sorted({r.source.id for r in rows if r.source.kind is SourceKind.CHANNEL}))),
                )
            }
            plan = ReferralGraph(edges).plan(rows, clients, channels)
            now = clock.now()
            ids: list[str] = []
            params = []
            for p in plan:
                if p.exists:
                    ids.append("")
                    continue
                rid = new_id("referral")
                ids.append(rid)
                params.append(
                    (
                        ws,
                        rid,
                        p.row.source.kind.value,
                        p.row.source.id,
                        p.row.client_id,
                        p.row.referred_on.isoformat(),
                        p.row.note,
                        int(p.primary),
                        _ts(now),
                    )
                )
            self._many(
                conn,
                "INSERT INTO referrals(workspace_id, id, source_kind, source_id, client_id, referred_on, note,"
                " is_primary, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                params,
            )
        created = len(params)
        return BulkResult(created, 0, len(rows) - created, tuple(ids))

    # -- primitives of the referral workflow (graph/workflow.py) ---------------------------
    def _in_write(self, work: Callable[[sqlite3.Connection], T]) -> T:
        with self._write() as conn:
            return work(conn)

    def _lock(self, conn: sqlite3.Connection, ws: str) -> None:
        # BEGIN IMMEDIATE already holds the database's write lock; only check the workspace.
        self._require_workspace(conn, ws)

    def _insert_referrals(self, conn: sqlite3.Connection, ws: str, refs: Sequence[Referral]) -> None:
        self._many(conn, self._RESTORE[Referral], [self._restore_row(ws, r) for r in refs])

    def _set_primary(self, conn: sqlite3.Connection, ws: str, referral_id: str, primary: bool) -> None:
        self._run(
            conn,
            "UPDATE referrals SET is_primary = ? WHERE workspace_id = ? AND id = ?",
            (int(primary), ws, referral_id),
        )

    def _remove_referral(self, conn: sqlite3.Connection, ws: str, referral_id: str) -> None:
        self._run(conn, "DELETE FROM referrals WHERE workspace_id = ? AND id = ?", (ws, referral_id))

    def _deal_count(self, conn: sqlite3.Connection, ws: str, client_id: str) -> int:
        return int(
            self._run(
                conn,
                "SELECT count(*) FROM deals INDEXED BY deal_by_client WHERE workspace_id = ? AND client_id = ?",
                (ws, client_id),
            ).fetchone()[0]
        )

    def _children(self, conn: sqlite3.Connection, ws: str, client_id: str) -> list[Referral]:
        rows = self._run(
            conn,
            "SELECT * FROM referrals INDEXED BY referral_by_source WHERE workspace_id = ? AND source_kind = 'client'"
            " AND source_id = ? AND is_primary = 1 ORDER BY id",
            (ws, client_id),
        )
        return [_referral(r) for r in rows]

    def _remove_client(self, conn: sqlite3.Connection, ws: str, client_id: str) -> None:
        self._run(
            conn,
            "DELETE FROM referrals WHERE workspace_id = ? AND (client_id = ? OR"
            " (source_kind = 'client' AND source_id = ?))",
            (ws, client_id, client_id),
        )
        self._run(conn, "DELETE FROM source_changes WHERE workspace_id = ? AND client_id = ?", (ws, client_id))
        self._run(conn, "DELETE FROM clients WHERE workspace_id = ? AND id = ?", (ws, client_id))

    # -- traversals ----------------------------------------------------------------------
    def chain(self, ws: str, client_id: str, depth: int | None = None) -> Chain:
        """One recursive CTE up the primary sources; level 0 is the client itself."""
        depth = resolve_depth(depth, self.max_depth)
        rows = self._run(
            self._conn(),
            "WITH RECURSIVE up(level, kind, id, referral_id, referred_on) AS ("
            " SELECT 0, 'client', id, NULL, NULL FROM clients WHERE workspace_id = :ws AND id = :id"
            " UNION ALL"
            " SELECT up.level + 1, r.source_kind, r.source_id, r.id, r.referred_on FROM up"
            " JOIN referrals r INDEXED BY referral_one_primary"
            " ON r.workspace_id = :ws AND r.client_id = up.id AND r.is_primary = 1"
            " WHERE up.kind = 'client' AND up.level <= :depth)"
            " SELECT up.level, up.kind, up.id, up.referral_id, up.referred_on,"
            " coalesce(c.name, ch.name) AS name FROM up"
            " LEFT JOIN clients c ON up.kind = 'client' AND c.workspace_id = :ws AND c.id = up.id"
            " LEFT JOIN channels ch ON up.kind = 'channel' AND ch.workspace_id = :ws AND ch.id = up.id"
            " ORDER BY up.level",
            {"ws": ws, "id": client_id, "depth": depth},
        ).fetchall()
        if not rows:
            raise NotFound("client", client_id)
        steps = tuple(
            ChainStep(
                level=r["level"],
                source=SourceRef(SourceKind(r["kind"]), r["id"]),
                name=r["name"],
                referral_id=r["referral_id"],
                referred_on=date.fromisoformat(r["referred_on"]),
            )
            for r in rows[1:]
            if r["level"] <= depth
        )
        return Chain(client_id=client_id, steps=steps, truncated=len(rows) - 1 > depth)

    def tree(self, ws: str, root: SourceRef, depth: int | None = None) -> Tree:
        """One recursive CTE down the primary recommendations, with each node's revenue and fan-out.

        Level 0 is the root itself; no level-0 row means the root does not exist.
        """
        depth = resolve_depth(depth, self.max_depth)
        rows = self._run(
            self._conn(),
            "WITH RECURSIVE down(level, id, parent_kind, parent_id, referral_id, referred_on) AS ("
            " SELECT 1, r.client_id, r.source_kind, r.source_id, r.id, r.referred_on"
            " FROM referrals r INDEXED BY referral_by_source"
            " WHERE r.workspace_id = :ws AND r.source_kind = :kind AND r.source_id = :id AND r.is_primary = 1"
            " UNION ALL"
            " SELECT down.level + 1, r.client_id, 'client', down.id, r.id, r.referred_on FROM down"
            " JOIN referrals r INDEXED BY referral_by_source ON r.workspace_id = :ws AND r.source_kind = 'client'"
            " AND r.source_id = down.id AND r.is_primary = 1 WHERE down.level < :depth),"
            " nodes(level, id, parent_kind, parent_id, referral_id, referred_on, name, status) AS ("
            " SELECT 0, id, NULL, NULL, NULL, NULL, name, status FROM clients"
            " WHERE :kind = 'client' AND workspace_id = :ws AND id = :id"
            " UNION ALL SELECT 0, id, NULL, NULL, NULL, NULL, name, NULL FROM channels"
            " WHERE :kind = 'channel' AND workspace_id = :ws AND id = :id"
            " UNION ALL SELECT down.*, c.name, c.status FROM down"
            " JOIN clients c ON c.workspace_id = :ws AND c.id = down.id)"
            " SELECT n.*,"
            " (SELECT count(*) FROM referrals r INDEXED BY referral_by_source"
            "  WHERE r.workspace_id = :ws AND r.is_primary = 1"
            "  AND r.source_kind = CASE WHEN n.level = 0 THEN :kind ELSE 'client' END AND r.source_id = n.id)"
            "  AS referred,"
            " (SELECT json_group_object(currency, total) FROM (SELECT currency, sum(amount_minor) AS total"
            "  FROM deals d INDEXED BY deal_by_client WHERE d.workspace_id = :ws AND d.client_id = n.id"
            "  GROUP BY currency)) AS revenue"
            " FROM nodes n ORDER BY n.level, n.referred_on, n.id",
            {"ws": ws, "kind": root.kind.value, "id": root.id, "depth": depth},
        ).fetchall()
        if not rows or rows[0]["level"] != 0:
            raise NotFound(root.kind.value, root.id)
        top = rows[0]
        nodes = tuple(
            TreeNode(
                level=r["level"],
                client_id=r["id"],
                name=r["name"],
                status=ClientStatus(r["status"]),
                parent=SourceRef(SourceKind(r["parent_kind"]), r["parent_id"]),
                referral_id=r["referral_id"],
                referred_on=date.fromisoformat(r["referred_on"]),
                revenue=json.loads(r["revenue"]),
                referred=r["referred"],
            )
            for r in rows[1:]
        )
        return Tree(
            root=root,
            name=top["name"],
            revenue=json.loads(top["revenue"]),
            referred=top["referred"],
            depth=depth,
            nodes=nodes,
        )

    def period(self, ws: str, start: date, end: date) -> PeriodFacts:
        """One recursive CTE: the period's deals and arrivals, then each distinct client's upline."""
        with gc_paused():
            return self._period(self._conn(), ws, start, end)

    def _period(self, conn: sqlite3.Connection, ws: str, start: date, end: date) -> PeriodFacts:
        rows = self._run(
            conn,
            "WITH RECURSIVE period AS ("
            " SELECT id, client_id, amount_minor, currency, closed_on FROM deals INDEXED BY deal_by_date"
            " WHERE workspace_id = :ws AND closed_on >= :start AND closed_on <= :end),"
            " arrivals(client_id, on_) AS ("
            " SELECT id, acquired_on FROM clients INDEXED BY client_by_acquired"
            " WHERE workspace_id = :ws AND acquired_on >= :start AND acquired_on <= :end"
            " UNION ALL"
            " SELECT r.client_id, r.referred_on FROM referrals r INDEXED BY referral_primary_by_date"
            " JOIN clients c ON c.workspace_id = :ws AND c.id = r.client_id"
            " WHERE r.workspace_id = :ws AND r.is_primary = 1 AND r.referred_on >= :start AND r.referred_on <= :end"
            " AND c.acquired_on IS NULL),"
            # every client on the chains, once: UNION drops the ancestors that chains share
            " anc(id) AS ("
            " SELECT client_id FROM period UNION SELECT client_id FROM arrivals"
            " UNION"
            " SELECT r.source_id FROM anc JOIN referrals r INDEXED BY referral_one_primary"
            " ON r.workspace_id = :ws AND r.client_id = anc.id AND r.is_primary = 1 WHERE r.source_kind = 'client')"
            " SELECT 'deal' AS row, id AS a, client_id AS b, amount_minor AS n, currency AS kind,"
            " closed_on AS on_, NULL AS name, NULL AS status FROM period"
            " UNION ALL"
            " SELECT 'arrival', client_id, NULL, NULL, NULL, on_, NULL, NULL FROM arrivals"
            " UNION ALL"
            " SELECT 'parent', anc.id, r.source_id, NULL, r.source_kind, r.referred_on, coalesce(sc.name, ch.name),"
            " sc.status FROM anc JOIN referrals r INDEXED BY referral_one_primary"
            " ON r.workspace_id = :ws AND r.client_id = anc.id AND r.is_primary = 1"
            " LEFT JOIN clients sc ON r.source_kind = 'client' AND sc.workspace_id = :ws AND sc.id = r.source_id"
            " LEFT JOIN channels ch ON r.source_kind = 'channel' AND ch.workspace_id = :ws AND ch.id = r.source_id",
            {"ws": ws, "start": start.isoformat(), "end": end.isoformat()},
        )
        deals: list[DealFacts] = []
        arrived: list[tuple[str, date]] = []
        parents: dict[str, Link] = {}
        kinds = {k.value: k for k in SourceKind}
        active = ClientStatus.ACTIVE.value
        fromiso = date.fromisoformat
        for row, a, b, n, kind, on, name, status in rows:
            if row == "parent":
                parents[a] = link(kinds[kind], b, name, fromiso(on), status == active)
            elif row == "deal":
                deals.append(DealFacts(a, b, n, kind, fromiso(on)))
            else:
                arrived.append((a, fromiso(on)))
        return period_facts(start, end, deals, arrived, parents)

    # -- imports -----------------------------------------------------------------------
    def run_import(self, ws: str, build: Callable[[View], Changes], dry_run: bool = False) -> Changes:
        """Read, plan and write inside one BEGIN IMMEDIATE transaction (a plain read one for a dry run)."""
        with self._tx() if dry_run else self._write() as conn:
            self._require_workspace(conn, ws)

            view = View(
                clients=[
                    _client(r)
                    for r in self._run(conn, "SELECT * FROM clients WHERE workspace_id = ? ORDER BY id", (ws,))
                ],
                channels=[
                    _channel(r)
                    for r in self._run(conn, "SELECT * FROM channels WHERE workspace_id = ? ORDER BY id", (ws,))
                ],
                referrals=[
                    _referral(r)
                    for r in self._run(conn, "SELECT * FROM referrals WHERE workspace_id = ? ORDER BY id", (ws,))
                ],
                deals=[
                    _deal(r) for r in self._run(conn, "SELECT * FROM deals WHERE workspace_id = ? ORDER BY id", (ws,))
                ],
                closed_months=frozenset(
                    r["month"] for r in self._run(conn, "SELECT month FROM closed_months WHERE workspace_id = ?", (ws,))
                ),
            )
            changes = build(view)
            if dry_run or changes.problems or not changes.writes:
                return changes
            for kind, records in (
                (Channel, changes.new_channels),
                (Client, changes.new_clients),
                (Referral, changes.new_referrals),
                (Deal, changes.new_deals),
            ):
                if records:
                    self._many(conn, self._RESTORE[kind], [self._restore_row(ws, r) for r in records])
            if changes.updated_channels:
                self._many(
                    conn,
                    "UPDATE channels SET name = ?3, name_key = ?4, kind = ?5, url = ?6, external_id = ?7, notes = ?8,"
                    " updated_at = ?10 WHERE workspace_id = ?1 AND id = ?2",
                    [self._restore_row(ws, c) for c in changes.updated_channels],
                )
            if changes.updated_clients:
                self._many(
                    conn,
                    "UPDATE clients SET name = ?3, name_key = ?4, email = ?5, status = ?6, tags = ?7,"
                    " external_id = ?8, notes = ?9, acquired_on = ?10, updated_at = ?12"
                    " WHERE workspace_id = ?1 AND id = ?2",
                    [self._restore_row(ws, c) for c in changes.updated_clients],
                )
            if changes.updated_deals:
                self._many(
                    conn,
                    "UPDATE deals SET client_id = ?3, amount_minor = ?4, currency = ?5, closed_on = ?6, title = ?7,"
                    " external_id = ?8, updated_at = ?10 WHERE workspace_id = ?1 AND id = ?2",
                    [self._restore_row(ws, d) for d in changes.updated_deals],
                )
            return changes

    # -- backup and restore --------------------------------------------------------------
    def dump(self, ws: str) -> Iterator[Record]:
        """Every record in backup order from one read transaction (a consistent WAL snapshot), streamed."""
        with self._tx() as conn:
            self._require_workspace(conn, ws)

            yield from (
                _channel(r) for r in self._run(conn, "SELECT * FROM channels WHERE workspace_id = ? ORDER BY id", (ws,))
            )
            yield from (
                _client(r) for r in self._run(conn, "SELECT * FROM clients WHERE workspace_id = ? ORDER BY id", (ws,))
            )
            yield from (
                _referral(r)
                for r in self._run(conn, "SELECT * FROM referrals WHERE workspace_id = ? ORDER BY id", (ws,))
            )
            for r in self._run(
                conn, "SELECT * FROM source_changes WHERE workspace_id = ? ORDER BY client_id, seq", (ws,)
            ):
                yield HistoryEntry(r["seq"], _source_change(r))
            yield from (
                _deal(r) for r in self._run(conn, "SELECT * FROM deals WHERE workspace_id = ? ORDER BY id", (ws,))
            )
            yield from (
                _closed(r)
                for r in self._run(conn, "SELECT * FROM closed_months WHERE workspace_id = ? ORDER BY month", (ws,))
            )
            for r in self._run(
                conn, "SELECT * FROM closed_month_lines WHERE workspace_id = ? ORDER BY month, chunk", (ws,)
            ):
                yield Chunk(r["month"], r["chunk"], r["body"])
            for r in self._run(conn, "SELECT * FROM tokens WHERE workspace_id = ? ORDER BY id", (ws,)):
                yield StoredToken(self._token(r), r["token_hash"])

    _RESTORE: dict[type, str] = {
        Channel: "INSERT INTO channels(workspace_id, id, name, name_key, kind, url, external_id, notes,"
        " created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        Client: "INSERT INTO clients(workspace_id, id, name, name_key, email, status, tags, external_id, notes,"
        " acquired_on, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        Referral: "INSERT INTO referrals(workspace_id, id, source_kind, source_id, client_id, referred_on, note,"
        " is_primary, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
        HistoryEntry: "INSERT INTO source_changes(workspace_id, seq, client_id, previous_kind, previous_id,"
        " previous_referral_id, current_kind, current_id, referral_id, reason, changed_at)"
        " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        Deal: "INSERT INTO deals(workspace_id, id, client_id, amount_minor, currency, closed_on, title,"
        " external_id, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        ClosedMonth: "INSERT INTO closed_months(workspace_id, month, closed_at, deals, new_clients, checksum)"
        " VALUES (?, ?, ?, ?, ?, ?)",
        Chunk: "INSERT INTO closed_month_lines(workspace_id, month, chunk, body) VALUES (?, ?, ?, ?)",
        StoredToken: "INSERT INTO tokens(id, workspace_id, role, name, token_hash, created_at)"
        " VALUES (?, ?, ?, ?, ?, ?)",
    }

    @staticmethod
    def _restore_row(ws: str, r: Record) -> tuple[Any, ...]:
        if isinstance(r, Channel):
            return (
                ws,
                r.id,
                r.name,
                name_key(r.name),
                r.kind.value,
                r.url,
                r.external_id,
                r.notes,
                _ts(r.created_at),
                _ts(r.updated_at),
            )
        if isinstance(r, Client):
            return (
                ws,
                r.id,
                r.name,
                name_key(r.name),
                r.email,
                r.status.value,
                json.dumps(list(r.tags)),
                r.external_id,
                r.notes,
                _d(r.acquired_on),
                _ts(r.created_at),
                _ts(r.updated_at),
            )
        if isinstance(r, Referral):
            return (
                ws,
                r.id,
                r.source.kind.value,
                r.source.id,
                r.client_id,
                r.referred_on.isoformat(),
                r.note,
                int(r.primary),
                _ts(r.created_at),
            )
        if isinstance(r, HistoryEntry):
            c = r.change
            return (
                ws,
                r.seq,
                c.client_id,
                c.previous.kind.value if c.previous else None,
                c.previous.id if c.previous else None,
                c.previous_referral_id,
                c.current.kind.value if c.current else None,
                c.current.id if c.current else None,
                c.referral_id,
                c.reason,
                _ts(c.changed_at),
            )
        if isinstance(r, Deal):
            return (
                ws,
                r.id,
                r.client_id,
                r.amount.minor,
                r.amount.currency,
                r.closed_on.isoformat(),
                r.title,
                r.external_id,
                _ts(r.created_at),
                _ts(r.updated_at),
            )
        if isinstance(r, ClosedMonth):
            return (ws, r.month, _ts(r.closed_at), r.deals, r.new_clients, r.checksum)
        if isinstance(r, Chunk):
            return (ws, r.month, r.chunk, r.body)
        if isinstance(r, StoredToken):
            t = r.token
            return (t.id, ws, t.role.value, t.name, r.hash, _ts(t.created_at))
        raise TypeError(f"not a backup record: {r!r}")

    def restore(self, workspace: Workspace, records: Iterable[Record]) -> None:
        """One write transaction: the workspace and every record as it is; any error rolls all of it back."""
        with self._write() as conn:
            if self._run(conn, "SELECT 1 FROM workspaces WHERE id = ?", (workspace.id,)).fetchone():
                raise Conflict("workspace", f"workspace {workspace.id} already exists in this store")
            self._run(
                conn,
                "INSERT INTO workspaces(id, name, created_at) VALUES (?, ?, ?)",
                (workspace.id, workspace.name, _ts(workspace.created_at)),
            )
            batch: list[tuple[Any, ...]] = []
            kind: type | None = None
            for record in records:
                if type(record) is not kind or len(batch) >= 5_000:
                    if batch and kind is not None:
                        self._many(conn, self._RESTORE[kind], batch)
                    batch, kind = [], type(record)
                batch.append(self._restore_row(workspace.id, record))
            if batch and kind is not None:
                self._many(conn, self._RESTORE[kind], batch)
            orphan = self._run(
                conn,
                "SELECT r.id, r.source_kind, r.source_id FROM referrals r WHERE r.workspace_id = :ws"
                " AND NOT EXISTS (SELECT 1 FROM clients c WHERE r.source_kind = 'client' AND c.workspace_id = :ws"
                " AND c.id = r.source_id UNION ALL SELECT 1 FROM channels ch WHERE r.source_kind = 'channel'"
                " AND ch.workspace_id = :ws AND ch.id = r.source_id) LIMIT 1",
                {"ws": workspace.id},
            ).fetchone()
            if orphan:
                what = f"{orphan['id']} names a {orphan['source_kind']} that is not in the backup"
                raise Invalid.one("referral", what)

    # -- closed months -------------------------------------------------------------------
    def _refuse_closed(self, conn: sqlite3.Connection, ws: str, days: Iterable[date]) -> None:
        months = sorted({month_of(d) for d in days})
        if months:
            refuse_closed(
                r["month"]
                for r in self._run(
                    conn,
                    "SELECT month FROM closed_months WHERE workspace_id = ?"
                    " AND month IN (SELECT value FROM json_each(?))",
                    (ws, json.dumps(months)),
                )
            )

    def close_month(self, ws: str, month: str) -> ClosedMonth:
        """Read and freeze the month inside the write transaction that records it."""
        start, end = month_range(month)
        with self._write() as conn:
            self._require_workspace(conn, ws)
            if self._run(
                conn, "SELECT 1 FROM closed_months WHERE workspace_id = ? AND month = ?", (ws, month)
            ).fetchone():
                raise Conflict("month", f"{month} is already closed")
            closed, chunks = freeze_month(month, self._period(conn, ws, start, end), clock.now())
            self._run(
                conn,
                "INSERT INTO closed_months(workspace_id, month, closed_at, deals, new_clients, checksum)"
                " VALUES (?, ?, ?, ?, ?, ?)",
                (ws, month, _ts(closed.closed_at), closed.deals, closed.new_clients, closed.checksum),
            )
            self._many(
                conn,
                "INSERT INTO closed_month_lines(workspace_id, month, chunk, body) VALUES (?, ?, ?, ?)",
                [(ws, month, i, body) for i, body in enumerate(chunks)],
            )
        return closed

    def reopen_month(self, ws: str, month: str) -> None:
        """Delete the frozen lines and the closing record."""
        month_range(month)
        with self._write() as conn:
            self._require_workspace(conn, ws)
            if not self._run(
                conn, "DELETE FROM closed_months WHERE workspace_id = ? AND month = ? RETURNING month", (ws, month)
            ).fetchall():
                raise NotFound("closed month", month, field="month")

    def list_closed_months(self, ws: str) -> list[ClosedMonth]:
        """Closed months, oldest first."""
        rows = self._run(
            self._conn(), "SELECT * FROM closed_months WHERE workspace_id = ? ORDER BY month", (ws,)
        ).fetchall()
        return [_closed(r) for r in rows]

    def _frozen(self, ws: str, month: str) -> tuple[ClosedMonth, list[str]] | None:
        with self._tx() as conn:
            row = self._run(
                conn, "SELECT * FROM closed_months WHERE workspace_id = ? AND month = ?", (ws, month)
            ).fetchone()
            if row is None:
                return None
            chunks = self._run(
                conn,
                "SELECT body FROM closed_month_lines WHERE workspace_id = ? AND month = ? ORDER BY chunk",
                (ws, month),
            )
            return _closed(row), unchunk(r["body"] for r in chunks)

    def snapshot(self, ws: str) -> Snapshot:
        """Four scans in one read transaction, so the parts agree with each other."""
        with self._tx() as conn:
            self._require_workspace(conn, ws)
            clients = tuple(
                _client(r) for r in self._run(conn, "SELECT * FROM clients WHERE workspace_id = ? ORDER BY id", (ws,))
            )
            channels = tuple(
                _channel(r) for r in self._run(conn, "SELECT * FROM channels WHERE workspace_id = ? ORDER BY id", (ws,))
            )
            referrals = tuple(
                _referral(r)
                for r in self._run(conn, "SELECT * FROM referrals WHERE workspace_id = ? ORDER BY id", (ws,))
            )
            revenue: dict[str, dict[str, int]] = {}
            for r in self._run(
                conn,
                "SELECT client_id, currency, sum(amount_minor) AS total FROM deals WHERE workspace_id = ?"
                " GROUP BY client_id, currency",
                (ws,),
            ):
                revenue.setdefault(r["client_id"], {})[r["currency"]] = r["total"]
        return Snapshot(clients, channels, referrals, revenue)

    # -- access tokens -----------------------------------------------------------------
    @staticmethod
    def _token(row: sqlite3.Row) -> Token:
        return Token(
            id=row["id"],
            workspace_id=row["workspace_id"],
            role=Role(row["role"]),
            name=row["name"],
            created_at=datetime.fromisoformat(row["created_at"]),
        )

    def create_token(self, ws: str, role: Role, name: str, token_hash: str) -> Token:
        """Store a token hash."""
        token = Token(id=new_id("token"), workspace_id=ws, role=role, name=name, created_at=clock.now())
        with self._write() as conn:
            self._require_workspace(conn, ws)
            self._run(
                conn,
                "INSERT INTO tokens(id, workspace_id, role, name, token_hash, created_at) VALUES (?, ?, ?, ?, ?, ?)",
                (token.id, ws, role.value, name, token_hash, _ts(token.created_at)),
            )
        return token

    def find_token(self, token_hash: str) -> Token | None:
        """Look a token up by its hash."""
        row = self._run(self._conn(), "SELECT * FROM tokens WHERE token_hash = ?", (token_hash,)).fetchone()
        return self._token(row) if row else None

    def list_tokens(self, ws: str) -> list[Token]:
        """Tokens of a workspace, oldest first."""
        rows = self._run(self._conn(), "SELECT * FROM tokens WHERE workspace_id = ? ORDER BY id", (ws,)).fetchall()
        return [self._token(r) for r in rows]

    def revoke_token(self, ws: str, token_id: str) -> None:
        """Delete a token of this workspace."""
        with self._write() as conn:
            if not self._run(
                conn, "DELETE FROM tokens WHERE workspace_id = ? AND id = ? RETURNING id", (ws, token_id)
            ).fetchone():
                raise NotFound("token", token_id)

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
        """Sweep expired records, then insert a pending claim (or take over a stale one), or return the entry."""
        now = clock.now()
        with self._write() as conn:
            self._run(
                conn,
                "DELETE FROM idempotency_keys WHERE workspace_id = :ws AND key IN (SELECT key FROM idempotency_keys"
                " WHERE workspace_id = :ws AND created_at < :cutoff LIMIT 500)",
                {"ws": ws, "cutoff": _ts(now - ttl)},
            )
            row = self._run(
                conn, "SELECT * FROM idempotency_keys WHERE workspace_id = ? AND key = ?", (ws, key)
            ).fetchone()
            stale = row is not None and row["status"] is None and row["created_at"] < _ts(now - lease)
            if row and not stale:
                return StoredResponse(row["fingerprint"], row["status"], row["body"], row["location"])
            self._run(
                conn,
                "INSERT INTO idempotency_keys(workspace_id, key, fingerprint, claim, created_at) VALUES (?, ?, ?, ?, ?)"
                " ON CONFLICT(workspace_id, key) DO UPDATE SET fingerprint = excluded.fingerprint,"
                " claim = excluded.claim, created_at = excluded.created_at",
                (ws, key, fingerprint, claim, _ts(now)),
            )
        return None

    def save_idempotent_response(
        self, ws: str, key: str, status: int, body: str, location: str | None, claim: str | None = None
    ) -> None:
        """Complete a claim with its response (only the claim named, when one is)."""
        with self._write() as conn:
            self._run(
                conn,
                "UPDATE idempotency_keys SET status = :status, body = :body, location = :location"
                " WHERE workspace_id = :ws AND key = :key AND (:claim IS NULL OR claim = :claim)",
                {"status": status, "body": body, "location": location, "ws": ws, "key": key, "claim": claim},
            )

    def release_idempotency_key(self, ws: str, key: str, claim: str | None = None) -> None:
        """Drop a claim (only the claim named, when one is)."""
        with self._write() as conn:
            self._run(
                conn,
                "DELETE FROM idempotency_keys WHERE workspace_id = :ws AND key = :key"
                " AND (:claim IS NULL OR claim = :claim)",
                {"ws": ws, "key": key, "claim": claim},
            )

    def revision(self, ws: str) -> int:
        """The database file's count of committed write transactions: it grows with every change to any
        workspace of the file (an embedded store serves one business), so it grows with every change here."""
        row = self._run(
            self._conn(),
            "SELECT (SELECT value FROM meta WHERE key = 'revision') AS revision FROM workspaces WHERE id = ?",
            (ws,),
        ).fetchone()
        if row is None:
            raise NotFound("workspace", ws, field="workspace")
        return int(row["revision"] or 0)
