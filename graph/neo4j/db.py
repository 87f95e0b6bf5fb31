"""Neo4j plumbing: the driver, managed transactions with their failures told plainly, and a fail-fast
breaker so an outage never holds request threads for the driver's whole retry loop call after call.

Every write is a managed transaction (`execute_write`, retried on transient errors); every read runs
in a read transaction so a cluster can route it to a follower. All Cypher is constant text with
parameters.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from typing import Any, LiteralString, TypeVar
from urllib.parse import parse_qs, unquote, urlsplit, urlunsplit

import neo4j
from neo4j.exceptions import ConstraintError, DriverError, Neo4jError, ServiceUnavailable, SessionExpired

from referrals.errors import Conflict, DomainError, TooLarge, Unavailable
from referrals.i18n import N_, _, lazy

T = TypeVar("T")

# Rows per UNWIND statement of a bulk write: each statement's parameters and working memory are held
# by the server's transaction memory pool, so smaller statements leave more of it to the change itself.
ROWS = 2_000
PAGE = 20_000  # records read as one page of lists (a record per row costs the driver ~20 µs)

_CONSTRAINT_FIELDS = (
    ("`email`", "email", N_("another client already has this email")),
    ("`name_key`", "name", N_("another channel already has this name")),
    ("`external_id`", "external_id", N_("another record of this kind has this external id")),
)

# Transaction memory exhausted (the server's pool, or db.memory.transaction.max): retrying cannot help.
_OUT_OF_MEMORY = frozenset(
    {
        "Neo.TransientError.General.MemoryPoolOutOfMemoryError",
        "Neo.TransientError.General.TransactionMemoryLimit",
        "Neo.TransientError.General.TransactionOutOfMemoryError",
    }
)


def too_large(e: Neo4jError) -> TooLarge:
    return TooLarge(
        "transaction",
        _(
            "the change is too large for one transaction in this Neo4j server's memory (%(code)s); nothing was"
            " written. Split the file into smaller ones (each is all or nothing), or give the server more heap"
            " (server.memory.heap.max_size; REFERRALS_NEO4J_HEAP for the project's own server)",
            code=e.code,
        ),
    )


def native(value: Any) -> Any:
    """A driver temporal value as Python's."""
    return value.to_native() if hasattr(value, "to_native") else value


_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def instant(value: datetime) -> list[int]:
    """A time (with its offset) as [seconds, nanoseconds] since the epoch: the form bulk writes send times
    in, turned back into a DateTime by `at()` in the query. The driver's own conversion of a Python
    datetime costs ~100 µs a value (time zones looked up per value), more than the server takes to
    write the record it belongs to."""
    since = value - _EPOCH
    return [since.days * 86_400 + since.seconds, since.microseconds * 1_000]


def moment(parts: list[int] | None) -> datetime | None:
    """A time read as `time_of()` sends it, as Python's (in UTC); None for a property not set. Reading
    DateTime values through the driver costs ~100 µs each, as writing them does."""
    if parts is None or parts[0] is None:
        return None
    return _EPOCH + timedelta(seconds=parts[0], microseconds=parts[1] // 1_000)


def utc_days(seconds: Sequence[int]) -> list[str]:
    """Times read as epoch seconds, as their UTC days (YYYY-MM-DD), each distinct day formatted once."""
    days = [s // 86400 for s in seconds]
    text = {d: (_EPOCH + timedelta(days=d)).date().isoformat() for d in set(days)}
    return list(map(text.__getitem__, days))


def time_of(node: LiteralString, field: LiteralString) -> LiteralString:
    """A map projection entry that reads the DateTime `<node>.<field>` as [seconds, nanoseconds] since the
    epoch (`moment()` turns it back)."""
    return field + ": [" + node + "." + field + ".epochSeconds, " + node + "." + field + ".nanosecond]"


def at(field: LiteralString) -> LiteralString:
    """A map projection entry that reads `row.<field>`, sent as `instant()`, as a DateTime in UTC."""
    return field + ": datetime({epochSeconds: row." + field + "[0], nanosecond: row." + field + "[1]})"


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


def conflict(e: ConstraintError) -> Conflict:
    text = e.message or ""
    for marker, field, reason in _CONSTRAINT_FIELDS:
        if marker in text:
            return Conflict(field, lazy(reason))
    return Conflict("id", _("the change breaks a uniqueness rule"))


class Db:
    """The driver, statement counting and the breaker."""

    def __init__(self, url: str, auth: tuple[str, str] | None, retry_seconds: float, down_seconds: float) -> None:
        uri, url_auth, database = parse_neo4j_url(url)
        self.uri = uri
        self.database = database
        self.driver = neo4j.GraphDatabase.driver(
            uri,
            auth=auth or url_auth,
            connection_acquisition_timeout=10,
            connection_timeout=5,
            max_transaction_retry_time=retry_seconds,
            notifications_min_severity=neo4j.NotificationMinimumSeverity.OFF,
        )
        # One bookmark manager for every session of this process: a read that follows a write sees it,
        # also on a cluster whose reads are routed to another member (causal consistency)
        self.bookmarks = neo4j.GraphDatabase.bookmark_manager()
        self.sent = 0
        self._mutex = threading.Lock()
        self._down_seconds = down_seconds
        self.retry_seconds = retry_seconds
        self._down_until = 0.0  # monotonic time until which Neo4j is taken as down

    def count(self) -> None:
        with self._mutex:
            self.sent += 1

    def mark_down(self) -> None:
        self._down_until = time.monotonic() + self._down_seconds

    def check_up(self) -> None:
        """Fail fast while Neo4j is known down; past the pause, one probe without retries decides."""
        if not self._down_until:
            return
        if time.monotonic() < self._down_until:
            raise Unavailable(_("Neo4j is unavailable (known down; not retried)"))
        self.probe("RETURN 1 AS ok")  # marks it down again when it fails, clears the mark when not

    def call(self, write: bool, work: Callable[[neo4j.ManagedTransaction], T]) -> T:
        self.check_up()
        with self._failures(), self.driver.session(database=self.database, bookmark_manager=self.bookmarks) as session:
            if write:
                return session.execute_write(work)
            return session.execute_read(work)

    def single(self, work: Callable[[neo4j.Session], T]) -> T:
        """`work` sending one statement, as an auto-commit read: one round trip where a transaction takes
        two (BEGIN goes with the statement, COMMIT is a second exchange). A failure the driver calls
        retryable is retried for up to the store's retry time, as a transaction function's is."""
        self.check_up()
        with self._failures():
            give_up = time.monotonic() + self.retry_seconds
            pause = 0.05
            while True:
                try:
                    with self.driver.session(
                        database=self.database, default_access_mode=neo4j.READ_ACCESS, bookmark_manager=self.bookmarks
                    ) as session:
                        return work(session)
                except (Neo4jError, DriverError) as e:
                    if not e.is_retryable() or time.monotonic() + pause > give_up:
                        raise
                time.sleep(pause)
                pause = min(pause * 2, 1.0)

    @contextmanager
    def _failures(self) -> Iterator[None]:
        """The driver's failures as the store's errors (Neo4j found down is remembered: `check_up`)."""
        try:
            yield
        except DomainError:
            raise
        except ConstraintError as e:
            raise conflict(e) from e
        except (ServiceUnavailable, SessionExpired) as e:
            self.mark_down()
            raise Unavailable(_("Neo4j is unavailable: %(error)s", error=e)) from e
        except Neo4jError as e:
            if e.code in _OUT_OF_MEMORY:
                raise too_large(e) from e
            if e.code and e.code.startswith("Neo.TransientError"):
                raise Unavailable(_("Neo4j is busy: %(code)s", code=e.code)) from e
            raise
        except DriverError as e:
            self.mark_down()
            raise Unavailable(_("Neo4j is unavailable: %(error)s", error=e)) from e

    def probe(self, query: LiteralString) -> list[neo4j.Record]:
        """One auto-commit read with no retries: health checks must answer fast when Neo4j is down."""
        self.count()
        try:
            with self.driver.session(database=self.database, default_access_mode=neo4j.READ_ACCESS) as session:
                rows = list(session.run(query))
        except (ServiceUnavailable, SessionExpired, DriverError) as e:
            self.mark_down()
            raise Unavailable(_("Neo4j is unavailable: %(error)s", error=e)) from e
        self._down_until = 0.0
        return rows


class Rows:
    """Base of the row ports: statements in the unit's transaction, each one counted."""

    def __init__(self, db: Db, tx: neo4j.ManagedTransaction | neo4j.Transaction | neo4j.Session) -> None:
        self.db = db
        self.tx = tx

    def _run(self, query: LiteralString, **params: Any) -> list[neo4j.Record]:
        self.db.count()
        try:
            return list(self.tx.run(query, params))
        except Neo4jError as e:
            # Raised inside the transaction function, a domain error is not retried by the driver:
            # running out of transaction memory again and again cannot succeed.
            if e.code in _OUT_OF_MEMORY:
                raise too_large(e) from e
            raise

    def _stream(self, query: LiteralString, **params: Any) -> Iterator[neo4j.Record]:
        """Records as the server sends them (no list in between): for streams that must stay flat."""
        self.db.count()
        yield from self.tx.run(query, params)

    def _pages(self, query: LiteralString, **params: Any) -> Iterator[dict[str, Any]]:
        """The maps of a read in pages: `query` returns one record whose `page` lists at most $n maps
        with an `id` above $after, in the order of their ids. One record a page instead of one a row
        (a record costs the driver ~60 µs to receive, a map in a list ~5 µs), and no more than a page
        held at once, so whole-workspace streams stay flat."""
        after = ""
        while True:
            (row,) = self._run(query, after=after, n=PAGE, **params)
            page = row["page"]
            yield from page
            if len(page) < PAGE:
                return
            after = page[-1]["id"]

    def _batches(self, query: LiteralString, rows: list[dict[str, Any]], ws: str) -> int:
        """One UNWIND statement per ROWS rows; the sum of the counts they return (0 for none)."""
        made = 0
        for start in range(0, len(rows), ROWS):
            got = self._run(query, ws=ws, rows=rows[start : start + ROWS])
            made += got[0]["n"] if got else 0
        return made
