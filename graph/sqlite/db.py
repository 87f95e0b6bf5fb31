"""SQLite plumbing: one connection per thread, transactions, and storage faults told plainly.

Writes take SQLite's write lock up front (BEGIN IMMEDIATE), so integrity checks and the write they
guard see the same data even with many threads or processes.
"""

from __future__ import annotations

import os
import sqlite3
import threading
from collections.abc import Sequence
from datetime import date, datetime
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

from referrals.errors import Conflict, Unavailable
from referrals.i18n import N_, _, lazy

DISK_FULL = N_("the database's disk is full: free some space")
READ_ONLY = N_("the database file cannot be written (read-only file or file system)")
# Storage faults by SQLite's error name (prefixes): what the caller and health are told.
_FAULTS = (
    ("SQLITE_FULL", DISK_FULL),
    ("SQLITE_READONLY", READ_ONLY),
    ("SQLITE_IOERR", N_("the database file could not be read or written (I/O error)")),
    ("SQLITE_CANTOPEN", N_("the database file cannot be opened")),
    ("SQLITE_BUSY", N_("the database is busy")),
)

# Which field a failed UNIQUE constraint speaks of, by the columns SQLite names.
_UNIQUE_FIELDS = {
    "clients.workspace_id, clients.email": ("email", N_("another client already has this email")),
    "clients.workspace_id, clients.external_id": ("external_id", N_("another client has this external id")),
    "channels.workspace_id, channels.name_key": ("name", N_("another channel already has this name")),
    "channels.workspace_id, channels.external_id": ("external_id", N_("another channel has this external id")),
    "deals.workspace_id, deals.external_id": ("external_id", N_("another deal has this external id")),
    "referrals.workspace_id, referrals.client_id": ("client_id", N_("the client already has a primary source")),
    "referrals.workspace_id, referrals.source_kind, referrals.source_id, referrals.client_id": (
        "source_id",
        N_("this source already recommended this client"),
    ),
}


_last_moment: tuple[str, datetime | None] = ("", None)


def moment(text: str) -> datetime:
    """A stored time read back. The last one is kept: a record's two times are often one, and the
    records of one bulk write share theirs (a workspace read whole parses a million)."""
    global _last_moment
    last_text, last = _last_moment
    if text == last_text and last is not None:
        return last
    value = datetime.fromisoformat(text)
    _last_moment = (text, value)
    return value


_last_ts: tuple[datetime | None, str] = (None, "")


def ts(value: datetime) -> str:
    """A stored time: ISO 8601 with microseconds. The last one is kept: a bulk write stamps every record
    with the same time."""
    global _last_ts
    last, text = _last_ts
    if value is last:
        return text
    text = value.isoformat(timespec="microseconds")
    _last_ts = (value, text)
    return text


def day(value: date | None) -> str | None:
    """A stored date: ISO 8601, or NULL."""
    return value.isoformat() if value else None


def conflict(e: sqlite3.IntegrityError) -> Exception:
    """A broken UNIQUE rule as a Conflict naming the field."""
    text = str(e)
    for cols, (field, reason) in _UNIQUE_FIELDS.items():
        if text.endswith(cols):
            return Conflict(field, lazy(reason))
    return Conflict("id", _("the change breaks an integrity rule (%(rule)s)", rule=text))


class Db:
    """The database file: per-thread connections, statement counting, transactions."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._local = threading.local()
        self._connections: list[sqlite3.Connection] = []
        self._mutex = threading.Lock()
        self.sent = 0
        self.write_fault: str | None = None

    def conn(self, create: bool = False) -> sqlite3.Connection:
        """This thread's connection. The file must exist unless `create` (only `init_schema` creates it):
        a read of a mistyped path says so instead of leaving an empty file behind."""
        conn: sqlite3.Connection | None = getattr(self._local, "conn", None)
        if conn is None:
            if not create and not self.path.exists():
                raise Unavailable(
                    _(
                        "no database file at %(path)s: create it with `referrals db init`, or check"
                        " REFERRALS_DATABASE_URL / --database-url",
                        path=self.path.absolute(),
                    ),
                    public=_("the database file does not exist: run `referrals db init`"),
                )
            try:
                if create:
                    self.path.parent.mkdir(parents=True, exist_ok=True)
                mode = "rwc" if create else "rw"  # rw: never creates the file, even if it vanished meanwhile
                conn = sqlite3.connect(
                    f"{self.path.absolute().as_uri()}?mode={mode}",
                    uri=True,
                    isolation_level=None,
                    check_same_thread=False,
                    timeout=30,
                )
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
                public = lazy(READ_ONLY) if read_only else _("the database file cannot be opened")
                raise Unavailable(
                    _("cannot open the database file %(path)r: %(error)s", path=str(self.path), error=e), public=public
                ) from e
            self._local.conn = conn
            with self._mutex:
                self._connections.append(conn)
        return conn

    def count(self) -> None:
        with self._mutex:
            self.sent += 1

    def fault(self, e: sqlite3.OperationalError) -> Exception:
        """A storage fault (disk full, read-only file, I/O error, busy) as Unavailable with what to fix;
        any other OperationalError is a bug in a statement and stays what it is."""
        name = getattr(e, "sqlite_errorname", "") or ""
        if str(e).startswith("no such table"):
            return Unavailable(
                _(
                    "the database file %(path)s holds no referrals tables (%(error)s): run `referrals db init`",
                    path=self.path.absolute(),
                    error=e,
                ),
                public=_("the database holds no referrals tables: run `referrals db init`"),
            )
        for prefix, public in _FAULTS:
            if name.startswith(prefix):
                if prefix != "SQLITE_BUSY":
                    self.write_fault = public  # health reports it until a write succeeds again
                return Unavailable(_("SQLite: %(name)s: %(error)s", name=name, error=e), public=lazy(public))
        return e

    def tx(self, write: bool = False, create: bool = False, counted: bool = True) -> Transaction:
        """One transaction on this thread's connection (`with db.tx() as conn:`); a write one takes the
        write lock at once and, unless it only keeps answers (`counted=False`), counts the file's revision."""
        return Transaction(self, self.conn(create), write, counted)

    def close(self) -> None:
        with self._mutex:
            for conn in self._connections:
                conn.close()
            self._connections.clear()
        self._local = threading.local()


class Transaction:
    """One SQLite transaction as a context manager: BEGIN on entry, COMMIT when the block ends, ROLLBACK
    when it raises, storage faults and broken UNIQUE rules told as Unavailable and Conflict.

    A plain class rather than a generator context manager: every read is one of these, and the
    generator machinery cost as much as the BEGIN and COMMIT themselves."""

    __slots__ = ("conn", "counted", "db", "write")

    def __init__(self, db: Db, conn: sqlite3.Connection, write: bool, counted: bool = True) -> None:
        self.db = db
        self.conn = conn
        self.write = write
        self.counted = counted

    def __enter__(self) -> sqlite3.Connection:
        try:
            self.conn.execute("BEGIN IMMEDIATE" if self.write else "BEGIN")
        except sqlite3.OperationalError as e:
            raise self.db.fault(e) from e
        return self.conn

    def __exit__(self, kind: type[BaseException] | None, error: BaseException | None, tb: object) -> None:
        conn = self.conn
        if error is not None:
            conn.rollback()
            if isinstance(error, sqlite3.OperationalError):
                raise self.db.fault(error) from error
            if isinstance(error, sqlite3.IntegrityError):
                raise conflict(error) from error
            return  # the error goes on as it is
        try:
            if self.write and self.counted:
                # the file's revision: one count per committed write transaction, whatever it changed
                # (caches of heavy reads compare it); one row, so bulk writes pay nothing per row
                conn.execute(
                    "INSERT INTO meta(key, value) VALUES ('revision', '1')"
                    " ON CONFLICT(key) DO UPDATE SET value = CAST(value AS INTEGER) + 1"
                )
            conn.execute("COMMIT")
        except sqlite3.IntegrityError as e:
            conn.rollback()
            raise conflict(e) from e
        except sqlite3.OperationalError as e:
            conn.rollback()
            raise self.db.fault(e) from e
        if self.write:
            self.db.write_fault = None


class Rows:
    """Base of the row ports: statements on the unit's connection, each one counted."""

    def __init__(self, db: Db, conn: sqlite3.Connection) -> None:
        self.db = db
        self.conn = conn

    def _run(self, sql: str, params: Any = ()) -> sqlite3.Cursor:
        self.db.count()
        return self.conn.execute(sql, params)

    def _concat(self, sql: str, ws: str) -> list[list[str]]:
        """The columns of one row of group_concat(…, char(31)) aggregates over a workspace (`ws` is the
        query's one parameter), split in C: a million values cross from SQLite as a few strings, not a
        million tuples. Stored text never holds a control character (the domain refuses them), so the
        separator cannot occur inside a value."""
        row = self._run(sql, (ws,)).fetchone()
        return [split_column(col) for col in row]

    def _many(self, sql: str, rows: Sequence[Any]) -> int:
        if not rows:
            return 0
        self.db.count()
        self.conn.executemany(sql, rows)
        return len(rows)


# Columns read as group_concat(…, char(31)): a million values cross from SQLite as one string.


def split_column(text: str | None) -> list[str]:
    """A group_concat(…, char(31)) column as its values (none for NULL; "" is one empty value)."""
    return text.split("\x1f") if text is not None else []


def key_column(text: str | None) -> list[str] | npt.NDArray[np.bytes_]:
    """A group_concat(…, char(31)) column as one array of fixed-width bytes when every value is ASCII
    and of one width, as ids and dates are (no Python object per value: `forest.KeyColumn`), else as
    its values. Its bytes are viewed as a grid of rows, each a value and the separator."""
    if not text or not text.isascii():
        return split_column(text)
    raw = text.encode("ascii")
    width = raw.find(b"\x1f")
    if width < 0:
        return np.array([raw], dtype=f"S{len(raw)}")
    n = raw.count(b"\x1f") + 1
    if width == 0 or len(raw) + 1 != n * (width + 1):
        return split_column(text)
    grid = np.frombuffer(raw + b"\x1f", np.uint8).reshape(n, width + 1)
    if not (grid[:, width] == 0x1F).all() or (grid[:, :width] == 0).any():
        return split_column(text)
    return np.ascontiguousarray(grid[:, :width]).view(f"S{width}").ravel()


def flag_column(text: str | None) -> npt.NDArray[np.bool_]:
    """A group_concat(<condition>, char(31)) column — "1" or "0" a row — as booleans."""
    if not text:
        return np.zeros(0, np.bool_)
    raw = np.frombuffer(text.encode("ascii"), np.uint8)
    if len(raw) % 2 == 0 or not (raw[1::2] == 0x1F).all():
        raise ValueError("not a column of conditions")
    return raw[::2] == ord("1")
