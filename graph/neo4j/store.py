"""The Neo4j store: what production runs, through the official driver.

A unit of work is one managed transaction (retried by the driver on transient errors); its row ports
live one module per aggregate next to this one. Writes first take an exclusive lock on the workspace
node (`WorkspaceRows.lock`), so the checks of a use-case and the writes they guard are serialized per
workspace: two transactions can never close a ring together.
"""

from __future__ import annotations

import os
import socket
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from datetime import timedelta
from typing import Any, ClassVar, LiteralString, TypeVar

import neo4j
from neo4j.exceptions import DriverError, ServiceUnavailable, SessionExpired

from graph.common import LazyUnit
from graph.neo4j import schema
from graph.neo4j.access import CheckingSession, Neo4jKeys, Neo4jTokens, Neo4jWorkspaces
from graph.neo4j.answers import Neo4jAnswers
from graph.neo4j.batches import Neo4jBatches
from graph.neo4j.checks import Neo4jDismissals
from graph.neo4j.clients import Neo4jChannels, Neo4jClients
from graph.neo4j.db import Db, native, parse_neo4j_url
from graph.neo4j.deals import Neo4jDeals
from graph.neo4j.months import Neo4jMonths
from graph.neo4j.referrals import Neo4jReferrals
from graph.neo4j.traversals import Neo4jTraversals
from graph.schema import SCHEMA_VERSION
from referrals import clock
from referrals.access import CallerCheck
from referrals.errors import Conflict, Unavailable
from referrals.i18n import _
from referrals.model import Workspace
from referrals.ports import Unit
from referrals.store import RESTORE_GRACE, Store

T = TypeVar("T")

__all__ = ["Neo4jStore", "parse_neo4j_url"]

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
    "MATCH (n:ImportBatch) WHERE n.workspace = $ws WITH n LIMIT 1000 DETACH DELETE n RETURN count(*) AS n",
    "MATCH (n:Dismissal) WHERE n.workspace = $ws WITH n LIMIT 10000 DETACH DELETE n RETURN count(*) AS n",
    "MATCH (n:Answer) WHERE n.workspace = $ws WITH n LIMIT 100 DETACH DELETE n RETURN count(*) AS n",
    "MATCH (n:RestoreInProgress) WHERE n.workspace = $ws WITH n LIMIT 10000 DETACH DELETE n RETURN count(*) AS n",
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


class Neo4jUnit(LazyUnit):
    """One transaction (or one auto-commit statement: `Neo4jStore.query`) and the row ports that work in it."""

    PORTS: ClassVar[dict[str, type]] = {
        "workspaces": Neo4jWorkspaces,
        "clients": Neo4jClients,
        "channels": Neo4jChannels,
        "referrals": Neo4jReferrals,
        "deals": Neo4jDeals,
        "months": Neo4jMonths,
        "tokens": Neo4jTokens,
        "keys": Neo4jKeys,
        "batches": Neo4jBatches,
        "dismissals": Neo4jDismissals,
        "answers": Neo4jAnswers,
        "graph": Neo4jTraversals,
    }


class _Restoring:
    """A restore in batches, each its own transaction, under the workspace's RestoreInProgress marker."""

    def __init__(self, store: Neo4jStore, workspace: Workspace) -> None:
        self.store = store
        self.workspace = workspace

    def write(self, work: Callable[[Unit], T]) -> T:
        def batch(u: Unit) -> T:
            # the marker shows the restore is alive (sweep_unfinished leaves it alone while it is touched)
            u.workspaces._run(  # type: ignore[attr-defined]
                "MATCH (m:RestoreInProgress {workspace: $ws}) SET m.touched_at = $at",
                ws=self.workspace.id,
                at=clock.now(),
            )
            return work(u)

        return self.store.write(batch)

    def finish(self, work: Callable[[Unit], None]) -> None:
        """One last transaction removes the marker and creates the workspace node with what `work`
        writes (its tokens), so the workspace and any way into it appear at once, complete."""

        def last(u: Unit) -> None:
            u.workspaces._run(  # type: ignore[attr-defined]
                "MATCH (m:RestoreInProgress {workspace: $id}) DELETE m", id=self.workspace.id
            )
            u.workspaces.insert(self.workspace)
            work(u)

        self.store.write(last)


# A stream reads a whole workspace in one read transaction (a backup, a migration's copy and its checksum):
# long by nature, not a runaway query, so it sets its own limit instead of the server's default one for
# transactions (60 s on the project's own server; a 1M-client workspace takes minutes to read).
STREAM_SECONDS = 3600.0
# The caller check of the `checking` block this thread (or task) is in.
_CHECK: ContextVar[CallerCheck | None] = ContextVar("referrals_neo4j_caller_check", default=None)


class Neo4jStore(Store):
    """Store backed by a Neo4j 5 server (or cluster, or Aura) through the official driver."""

    kind = "neo4j"
    checks_with_reads = True  # a chain or a tree carries its caller's token check (`checking`)

    def __init__(
        self,
        url: str,
        auth: tuple[str, str] | None = None,
        retry_seconds: float = 5.0,
        down_seconds: float = 2.0,
    ) -> None:
        """Connect lazily; transient failures are retried for up to `retry_seconds` before Unavailable.

        Once Neo4j is found unreachable, calls fail at once for `down_seconds`; then one quick probe (no
        retries) decides whether they go through again.
        """
        self._db = Db(url, auth, retry_seconds, down_seconds)
        self._driver = self._db.driver
        self.uri = self._db.uri
        self.database = self._db.database

    def __repr__(self) -> str:
        return f"Neo4jStore({self.uri!r})"  # never the credentials

    @property
    def query_count(self) -> int:
        """Statements sent so far."""
        return self._db.sent

    # -- units of work ---------------------------------------------------------------------
    def read(self, work: Callable[[Unit], T]) -> T:
        return self._db.call(False, lambda tx: work(Neo4jUnit(self._db, tx)))

    def write(self, work: Callable[[Unit], T]) -> T:
        return self._db.call(True, lambda tx: work(Neo4jUnit(self._db, tx)))

    def query(self, work: Callable[[Unit], T]) -> T:
        """One statement as an auto-commit read (`Db.single`): a chain, a tree, a caller's token is one
        round trip to Neo4j instead of a transaction's two. One statement sees one snapshot either way.
        In a `checking` block, the first such statement also checks the caller's token."""
        check = _CHECK.get()
        if check is None or check.settled:
            return self._db.single(lambda session: work(Neo4jUnit(self._db, session)))
        return self._db.single(lambda session: work(Neo4jUnit(self._db, CheckingSession(self._db, session, check))))

    @contextmanager
    def checking(self, check: CallerCheck) -> Iterator[None]:
        """The caller's token goes with the block's first `query`, in its statement: a request for a chain
        or a tree is one round trip to Neo4j, token included (see `Store.checking`)."""
        armed = _CHECK.set(check)
        try:
            yield
        finally:
            _CHECK.reset(armed)
        if not check.settled:
            check.done(self.find_caller(check.token_hash))

    def aside(self, work: Callable[[Unit], T]) -> T:
        """A write that takes no workspace lock: the revision is counted by the lock alone."""
        return self.write(work)

    @contextmanager
    def stream(self) -> Iterator[Unit]:
        """An explicit read transaction: the records stream as the server sends them."""
        self._db.check_up()
        try:
            with (
                self._driver.session(
                    database=self.database, default_access_mode=neo4j.READ_ACCESS, bookmark_manager=self._db.bookmarks
                ) as session,
                session.begin_transaction(timeout=STREAM_SECONDS) as tx,
            ):
                yield Neo4jUnit(self._db, tx)
        except (ServiceUnavailable, SessionExpired, DriverError) as e:
            self._db.mark_down()
            raise Unavailable(_("Neo4j is unavailable: %(error)s", error=e)) from e

    def _admin(self, query: LiteralString, **params: Any) -> list[neo4j.Record]:
        """A statement of the store's own housekeeping, in a write transaction of its own."""
        return self.write(lambda u: u.workspaces._run(query, **params))  # type: ignore[attr-defined]

    @contextmanager
    def restoring(self, workspace: Workspace) -> Iterator[_Restoring]:
        """Batches, each its own transaction (memory stays bounded however big the backup), under a
        RestoreInProgress marker; the last creates the workspace node. A failure deletes what was
        written; a crash (kill -9) leaves the marker, and `sweep_unfinished` (run by `referrals db init`
        and by every restore) deletes such leftovers."""
        ws = workspace.id
        if self.read(lambda u: u.workspaces.get(ws)) is not None:
            raise Conflict("workspace", _("workspace %(id)s already exists in this store", id=ws))
        self.sweep_unfinished()
        self._purge(ws)
        try:
            self._admin(
                "CREATE (:RestoreInProgress {workspace: $ws, host: $host, pid: $pid, started_at: $at,"
                " touched_at: $at})",
                ws=ws,
                host=socket.gethostname(),
                pid=os.getpid(),
                at=clock.now(),
            )
        except Conflict:
            raise Conflict(
                "workspace", _("workspace %(id)s is being restored by another process right now", id=ws)
            ) from None
        try:
            yield _Restoring(self, workspace)
        except BaseException:
            self._purge(ws)
            raise

    def _purge(self, ws: str) -> None:
        """Delete every node of a workspace id, in batches: what an interrupted restore may leave."""
        for i in range(len(_PURGE)):
            while self._admin(_PURGE[i], ws=ws)[0]["n"]:
                pass
        self._admin("MATCH (w:Workspace {id: $ws}) DETACH DELETE w", ws=ws)

    def purge(self, ws: str) -> None:
        """Delete a deleted workspace's records in batches, then its marker."""
        self._purge(ws)

    def sweep_unfinished(self, grace: timedelta = RESTORE_GRACE) -> list[str]:
        """Delete what restores that never finished left behind: those whose marker was not touched for
        `grace`, or whose process on this host is gone. Returns the workspace ids swept."""
        now, host = clock.now(), socket.gethostname()
        rows = self.read(
            lambda u: u.workspaces._run(  # type: ignore[attr-defined]
                "MATCH (m:RestoreInProgress) OPTIONAL MATCH (w:Workspace {id: m.workspace})"
                " RETURN m.workspace AS ws, m.host AS host, m.pid AS pid, m.touched_at AS touched,"
                " w IS NOT NULL AS live"
            )
        )
        swept = []
        for r in rows:
            gone = r["host"] == host and not _process_alive(r["pid"])
            if not r["live"] and (gone or native(r["touched"]) < now - grace):
                self._purge(r["ws"])
                swept.append(r["ws"])
        return swept

    # -- lifecycle -------------------------------------------------------------------------
    def close(self) -> None:
        """Close the driver and its connection pool."""
        self._driver.close()

    def schema_version(self) -> int | None:
        """The version recorded by init_schema, or None."""
        rows = self._db.probe("MATCH (s:SchemaVersion {name: 'referrals'}) RETURN s.version AS v")
        return rows[0]["v"] if rows else None

    def init_schema(self) -> int:
        """Create constraints and indexes (IF NOT EXISTS) and record the schema version."""
        try:
            schema.migrate(self._driver, self.database, self.schema_version() or 0, self._db.count)
        except (ServiceUnavailable, SessionExpired) as e:
            raise Unavailable(_("Neo4j is unavailable: %(error)s", error=e)) from e
        return SCHEMA_VERSION

    def ping(self) -> None:
        """Run a trivial query, without retries."""
        self._db.probe("RETURN 1 AS ok")
