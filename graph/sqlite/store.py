"""The embedded default store: one SQLite file (WAL, foreign keys on), no server needed.

Every unit of work is one SQLite transaction; a write one takes the write lock up front (BEGIN
IMMEDIATE), so the checks of a use-case and the writes they guard see the same data even with many
threads or processes. The row ports of the unit live one module per aggregate next to this one.
"""

from __future__ import annotations

import os
import shutil
import sqlite3
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import ClassVar, TypeVar

from graph.common import LazyUnit
from graph.schema import SCHEMA_VERSION
from graph.sqlite import schema
from graph.sqlite.access import SqliteKeys, SqliteTokens, SqliteWorkspaces
from graph.sqlite.answers import SqliteAnswers
from graph.sqlite.batches import SqliteBatches
from graph.sqlite.checks import SqliteDismissals
from graph.sqlite.clients import SqliteChannels, SqliteClients
from graph.sqlite.db import DISK_FULL, READ_ONLY, Db
from graph.sqlite.deals import SqliteDeals
from graph.sqlite.months import SqliteMonths
from graph.sqlite.referrals import SqliteReferrals
from graph.sqlite.traversals import SqliteTraversals
from referrals.errors import Conflict, Invalid, Unavailable
from referrals.i18n import _, lazy
from referrals.model import Workspace
from referrals.ports import Unit
from referrals.store import Store

T = TypeVar("T")

_MIN_FREE_BYTES = 1 << 20  # below this, health says the disk is full before a write fails on it


class SqliteUnit(LazyUnit):
    """One transaction on one connection, and the row ports that work inside it."""

    PORTS: ClassVar[dict[str, type]] = {
        "workspaces": SqliteWorkspaces,
        "clients": SqliteClients,
        "channels": SqliteChannels,
        "referrals": SqliteReferrals,
        "deals": SqliteDeals,
        "months": SqliteMonths,
        "tokens": SqliteTokens,
        "keys": SqliteKeys,
        "batches": SqliteBatches,
        "dismissals": SqliteDismissals,
        "answers": SqliteAnswers,
        "graph": SqliteTraversals,
    }


class _Restoring:
    """A restore inside the one write transaction `SqliteStore.restoring` holds."""

    def __init__(self, unit: SqliteUnit, workspace: Workspace) -> None:
        self.unit = unit
        self.workspace = workspace

    def write(self, work: Callable[[Unit], T]) -> T:
        return work(self.unit)

    def finish(self, work: Callable[[Unit], None]) -> None:
        work(self.unit)
        orphan = self.unit.referrals._run(
            "SELECT r.id, r.source_kind FROM referrals r WHERE r.workspace_id = :ws"
            " AND NOT EXISTS (SELECT 1 FROM clients c WHERE r.source_kind = 'client' AND c.workspace_id = :ws"
            " AND c.id = r.source_id UNION ALL SELECT 1 FROM channels ch WHERE r.source_kind = 'channel'"
            " AND ch.workspace_id = :ws AND ch.id = r.source_id) LIMIT 1",
            {"ws": self.workspace.id},
        ).fetchone()
        if orphan:
            raise Invalid.one(
                "referral",
                _(
                    "%(id)s names a %(kind)s that is not in the backup",
                    id=orphan["id"],
                    kind=orphan["source_kind"],
                ),
            )


class SqliteStore(Store):
    """Store backed by one SQLite database file."""

    kind = "sqlite"

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)
        self._db = Db(self.path)
        self._units = threading.local()

    def __repr__(self) -> str:
        return f"SqliteStore({str(self.path)!r})"

    def _conn(self) -> sqlite3.Connection:
        """This thread's connection (tests reach beneath the contract with it)."""
        return self._db.conn()

    @property
    def query_count(self) -> int:
        """Statements sent so far."""
        return self._db.sent

    # -- units of work ---------------------------------------------------------------------
    def _unit(self, conn: sqlite3.Connection) -> SqliteUnit:
        """The unit of work over this thread's connection: its ports hold nothing but the connection,
        so one unit per connection serves every transaction on it (a read builds no objects)."""
        unit: SqliteUnit | None = getattr(self._units, "unit", None)
        if unit is None or unit.handle is not conn:
            unit = self._units.unit = SqliteUnit(self._db, conn)
        return unit

    def read(self, work: Callable[[Unit], T]) -> T:
        with self._db.tx() as conn:
            return work(self._unit(conn))

    def query(self, work: Callable[[Unit], T]) -> T:
        """One statement in autocommit mode: SQLite gives it one snapshot from its first row to its
        last, which is all a transaction would add (and BEGIN…COMMIT costs as much as a short chain's
        lookups)."""
        conn = self._db.conn()
        try:
            return work(self._unit(conn))
        except sqlite3.OperationalError as e:
            raise self._db.fault(e) from e

    def write(self, work: Callable[[Unit], T]) -> T:
        with self._db.tx(write=True) as conn:
            return work(self._unit(conn))

    def aside(self, work: Callable[[Unit], T]) -> T:
        with self._db.tx(write=True, counted=False) as conn:
            return work(self._unit(conn))

    @contextmanager
    def stream(self) -> Iterator[Unit]:
        with self._db.tx() as conn:
            yield self._unit(conn)

    @contextmanager
    def restoring(self, workspace: Workspace) -> Iterator[_Restoring]:
        """One write transaction: the workspace and every record as it is; any error rolls all of it back."""
        with self._db.tx(write=True) as conn:
            unit = self._unit(conn)
            if unit.workspaces.get(workspace.id) is not None:
                raise Conflict("workspace", _("workspace %(id)s already exists in this store", id=workspace.id))
            unit.workspaces.insert(workspace)
            yield _Restoring(unit, workspace)

    # -- lifecycle -------------------------------------------------------------------------
    def close(self) -> None:
        """Close every connection this store opened."""
        self._db.close()

    def schema_version(self) -> int | None:
        """The version recorded by init_schema, or None (also when the file does not exist yet)."""
        if not self.path.exists():
            return None
        self._db.count()
        return schema.version(self._db.conn())

    def init_schema(self) -> int:
        """Apply every migration above the recorded version, in one write transaction."""
        with self._db.tx(write=True, create=True) as conn:
            sent = schema.migrate(conn)
        for _sent in range(sent):
            self._db.count()
        return SCHEMA_VERSION

    def ping(self) -> None:
        """Run a trivial query, and say the store cannot be written when that is known: its last write
        failed on a storage fault, its disk has no room left, or its file or connection is read-only."""
        try:
            conn = self._db.conn()
            self._db.count()
            read_only = conn.execute("PRAGMA query_only").fetchone()[0]
        except sqlite3.Error as e:
            raise Unavailable(str(e)) from e
        if read_only or not os.access(self.path, os.W_OK) or os.statvfs(self.path).f_flag & os.ST_RDONLY:
            raise Unavailable(lazy(READ_ONLY), public=lazy(READ_ONLY))
        if shutil.disk_usage(self.path.parent).free < _MIN_FREE_BYTES:
            raise Unavailable(lazy(DISK_FULL), public=lazy(DISK_FULL))
        if self._db.write_fault:
            raise Unavailable(
                _("SQLite: the last write failed: %(fault)s", fault=lazy(self._db.write_fault)),
                public=lazy(self._db.write_fault),
            )
