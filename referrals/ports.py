"""The ports: what the use-cases need from a store, one small protocol per aggregate.

A store adapter (graph/sqlite/, graph/neo4j/) implements them; the use-cases (referrals/usecases/)
are written once against them. Every method of a row port runs inside the unit of work it was
handed (one store transaction), is scoped to one workspace, and is batch-shaped where a use-case
writes many records (a list in, one statement or one UNWIND per few thousand rows out), so no
use-case turns into a query per row.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Iterator, Sequence
from contextlib import AbstractContextManager
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any, Protocol, TypeVar

from referrals import asof, forest, integrity, network_file
from referrals.access import Caller, StoredResponse, Token
from referrals.attribution import PeriodFacts
from referrals.model import (
    Chain,
    Channel,
    Client,
    ClientQuery,
    ClosedMonth,
    Deal,
    DealQuery,
    Page,
    Referral,
    SourceChange,
    SourceRef,
    Tree,
    Workspace,
)
from referrals.rules import Edge

T = TypeVar("T")


@dataclass(frozen=True, slots=True)
class HistoryEntry:
    """One source change with its per-client sequence number, as stored."""

    seq: int
    change: SourceChange


@dataclass(frozen=True, slots=True)
class Chunk:
    """Part of a closed month's frozen lines, as stored."""

    month: str
    chunk: int
    body: str


@dataclass(frozen=True, slots=True)
class StoredToken:
    """A token with its hash, as stored (the secret itself is never stored)."""

    token: Token
    hash: str


@dataclass(frozen=True, slots=True)
class StoredBatch:
    """One import as stored: what it wrote, counted, and (`payload`, only from `BatchRows.get`) what
    its undo needs, an opaque JSON text the use-case writes and reads (referrals/usecases/imports.py)."""

    id: str
    created_at: datetime
    files: tuple[str, ...]
    summary: dict[str, dict[str, int]]  # kind -> {"created": n, "updated": n}
    undone_at: datetime | None = None
    payload: str | None = None


class WorkspaceRows(Protocol):
    def lock(self, ws: str) -> None:
        """Serialize this workspace's writes until the unit ends, and count a revision; NotFound when absent."""

    def require(self, ws: str) -> None:
        """NotFound (field `workspace`) unless the workspace exists."""

    def insert(self, workspace: Workspace) -> None: ...

    def get(self, ws: str) -> Workspace | None: ...

    def all(self) -> list[Workspace]:
        """Every workspace, by id."""

    def revision(self, ws: str) -> int | None:
        """The workspace's revision count, None when it does not exist."""

    def lock_names(self) -> None:
        """Serialize workspace creations and renames until the unit ends (names are unique per store)."""

    def rename(self, ws: str, name: str) -> None: ...

    def counts(self, ws: str) -> dict[str, int]:
        """How many clients, channels, referrals and deals the workspace holds."""

    def delete(self, ws: str) -> None:
        """Remove the workspace and everything in it (a store may finish the removal in `Store.purge`)."""


class ClientRows(Protocol):
    def get(self, ws: str, client_id: str, field: str = "id") -> Client:
        """The client, or NotFound naming `field`."""

    def insert(self, ws: str, clients: Sequence[Client]) -> int:
        """Store new clients; how many were written."""

    def replace(self, ws: str, clients: Sequence[Client]) -> None:
        """Write every field of existing clients (by id)."""

    def by_external_id(self, ws: str, external_ids: Sequence[str]) -> dict[str, Client]: ...

    def known(self, ws: str, ids: Sequence[str]) -> set[str]:
        """Which of `ids` are clients of the workspace."""

    def page(self, ws: str, query: ClientQuery) -> Page[Client]: ...

    def each(self, ws: str) -> Iterator[Client]:
        """Every client, by id."""

    def each_named(self, ws: str) -> Iterator[tuple[str, str, str]]:
        """Every client as (id, name, status), by id (code point order), streamed."""

    def remove(self, ws: str, client_id: str) -> None:
        """Delete the client, every recommendation to or from it, and its source history."""

    def remove_all(self, ws: str, ids: Sequence[str]) -> None:
        """Delete these clients, which nothing points at any more (the caller has checked)."""


class ChannelRows(Protocol):
    def get(self, ws: str, channel_id: str, field: str = "id") -> Channel: ...

    def insert(self, ws: str, channels: Sequence[Channel]) -> int: ...

    def replace(self, ws: str, channels: Sequence[Channel]) -> None: ...

    def known(self, ws: str, ids: Sequence[str]) -> set[str]: ...

    def page(self, ws: str, limit: int, after: str | None) -> Page[Channel]: ...

    def each(self, ws: str) -> Iterator[Channel]: ...

    def uses(self, ws: str, channel_id: str) -> int:
        """How many recommendations the channel is the source of."""

    def remove(self, ws: str, channel_id: str) -> None: ...

    def remove_all(self, ws: str, ids: Sequence[str]) -> None:
        """Delete these channels, which no recommendation names any more (the caller has checked)."""


class ReferralRows(Protocol):
    def get(self, ws: str, referral_id: str) -> Referral: ...

    def primary(self, ws: str, client_id: str) -> Referral | None: ...

    def pair(self, ws: str, source: SourceRef, client_id: str) -> Referral | None:
        """The recommendation of the client by the source, if recorded."""

    def would_cycle(self, ws: str, source: SourceRef, client_id: str) -> bool:
        """True when the client already brought in the source, directly or through others."""

    def edges(self, ws: str) -> list[Edge]:
        """Every recommendation of the workspace as a graph edge."""

    def insert(self, ws: str, referrals: Sequence[Referral]) -> int:
        """Store new recommendations; how many were written (a row whose ends are missing writes none)."""

    def set_primary(self, ws: str, referral_id: str, primary: bool) -> None: ...

    def remove(self, ws: str, referral_id: str) -> None: ...

    def remove_all(self, ws: str, referrals: Sequence[Referral]) -> None:
        """Delete these recommendations (as read from the store)."""

    def children(self, ws: str, client_id: str) -> list[Referral]:
        """The primary recommendations the client made, by id."""

    def find(
        self, ws: str, client_id: str | None, source: SourceRef | None, limit: int | None, after: str | None
    ) -> list[Referral]:
        """Recommendations of one client and/or from one source (all when neither), by id."""

    def each(self, ws: str) -> Iterator[Referral]: ...

    def each_pair(self, ws: str) -> Iterator[tuple[str, str, str, bool]]:
        """Every recommendation as (source id, client id, date YYYY-MM-DD, primary), by source id then
        client id (code point order), streamed."""

    def log(self, ws: str, change: SourceChange) -> None:
        """Append a change of the client's primary source to its history."""

    def history(self, ws: str, client_id: str) -> list[SourceChange]: ...

    def each_history(self, ws: str) -> Iterator[HistoryEntry]:
        """Every history entry, by client and sequence."""

    def insert_history(self, ws: str, entries: Sequence[HistoryEntry]) -> int: ...


class DealRows(Protocol):
    def get(self, ws: str, deal_id: str) -> Deal: ...

    def insert(self, ws: str, deals: Sequence[Deal]) -> int:
        """Store new deals of existing clients; how many were written."""

    def replace(self, ws: str, deals: Sequence[Deal]) -> None: ...

    def remove(self, ws: str, deal_id: str) -> None: ...

    def remove_all(self, ws: str, ids: Sequence[str]) -> None: ...

    def by_external_id(self, ws: str, external_ids: Sequence[str]) -> dict[str, Deal]: ...

    def count_of(self, ws: str, client_id: str) -> int: ...

    def page(self, ws: str, query: DealQuery) -> Page[Deal]: ...

    def each(self, ws: str) -> Iterator[Deal]: ...

    def revenue(self, ws: str, until: date | None = None) -> Iterator[tuple[str, str, int]]:
        """(client id, currency, revenue in minor units) for every client with deals (closed by `until`)."""


class MonthRows(Protocol):
    def closed_among(self, ws: str, months: Sequence[str]) -> list[str]:
        """Which of `months` are closed."""

    def get(self, ws: str, month: str) -> ClosedMonth | None: ...

    def frozen(self, ws: str, month: str) -> tuple[ClosedMonth, list[str]] | None:
        """A closed month and its stored chunks in order, or None when it is open."""

    def insert(self, ws: str, months: Sequence[ClosedMonth]) -> int: ...

    def insert_chunks(self, ws: str, chunks: Sequence[Chunk]) -> int: ...

    def remove(self, ws: str, month: str) -> bool:
        """Delete a closed month and its chunks; False when it was not closed."""

    def each(self, ws: str) -> Iterator[ClosedMonth]: ...

    def each_chunk(self, ws: str) -> Iterator[Chunk]: ...


class TokenRows(Protocol):
    def insert(self, ws: str, tokens: Sequence[StoredToken]) -> int: ...

    def by_hash(self, token_hash: str) -> Token | None: ...

    def caller(self, token_hash: str) -> Caller | None:
        """The token with this hash and its workspace's revision, in one read; None when unknown."""

    def each(self, ws: str) -> Iterator[StoredToken]: ...

    def remove(self, ws: str, token_id: str) -> bool: ...


class BatchRows(Protocol):
    """The imports of a workspace, each with what its undo needs."""

    def insert(self, ws: str, batch: StoredBatch) -> None: ...

    def get(self, ws: str, batch_id: str) -> StoredBatch | None:
        """The batch with its payload."""

    def recent(self, ws: str, limit: int) -> list[StoredBatch]:
        """The newest batches first, without their payloads."""

    def mark_undone(self, ws: str, batch_id: str, at: datetime) -> None: ...


class DismissalRows(Protocol):
    """Findings of the integrity check set aside with a note, by their stable key."""

    def put(self, ws: str, dismissal: integrity.Dismissal) -> None:
        """Store the dismissal, replacing one of the same key."""

    def insert(self, ws: str, dismissals: Sequence[integrity.Dismissal]) -> int: ...

    def each(self, ws: str) -> Iterator[integrity.Dismissal]:
        """Every dismissal, by key."""

    def remove(self, ws: str, key: str) -> bool:
        """Forget a dismissal; False when there was none."""


class AnswerRows(Protocol):
    """Answers of heavy reads (JSON text) kept in the database, so every worker of every instance reuses
    them until the workspace's data changes: one per (workspace, request key), for one revision."""

    def get(self, ws: str, key: str, revision: int) -> str | None:
        """The answer stored for `key` at `revision`, or None."""

    def put(self, ws: str, key: str, revision: int, body: str) -> None:
        """Store the answer (replacing the key's older one) and drop the workspace's answers of revisions
        before `revision`, which no request can ask for again."""


class KeyRows(Protocol):
    """Idempotency records: one answer per (workspace, key), claimed by one request at a time."""

    def sweep(self, ws: str, before: datetime) -> None:
        """Delete a bounded batch of records created before `before`."""

    def claim(
        self, ws: str, key: str, fingerprint: str, claim: str, now: datetime, stale_before: datetime
    ) -> StoredResponse | None:
        """Take the key for `claim` (new, or pending since before `stale_before`) and return None, or
        return what is stored under it."""

    def complete(self, ws: str, key: str, status: int, body: str, location: str | None, claim: str | None) -> None: ...

    def release(self, ws: str, key: str, claim: str | None) -> None: ...


class Traversals(Protocol):
    """The graph reads, one query each."""

    def chain(self, ws: str, client_id: str) -> Chain:
        """The whole chain, every step up to its top."""

    def tree(self, ws: str, root: SourceRef, depth: int | None) -> Tree:
        """The downline to `depth` levels (None: all), with what lies beyond each last-level node."""

    def client_ids(self, ws: str) -> list[str]:
        """Every client's id (one column, in no particular order)."""

    def growth_columns(self, ws: str) -> tuple[list[Any], list[str], list[str], list[str], list[Any], list[str]]:
        """Every client as six columns ("" for none): its node key (its id, or anything the store reads
        for less, as the integrity check's reads), acquisition date, the (UTC) day it was recorded, and
        its primary source's kind ("client", "channel"), key (a channel's id; a client's node key) and
        date."""

    def keyed_payments(self, ws: str, dated: bool = True) -> tuple[forest.KeyColumn, list[int], list[str], list[str]]:
        """Every deal as `payment_columns` has it, its payer named by its node key (as `growth_columns`
        and `network_columns` name clients), as a key column (`forest.KeyColumn`). Without `dated` the
        dates column may be left empty."""

    def network_file_facts(self, ws: str) -> network_file.Facts:
        """What the whole network's GraphML or GEXF needs before its first node (see network_file.Facts;
        columns in no particular order, each pair of them in one order)."""

    def network_columns(self, ws: str, first_day: bool = True) -> forest.Columns:
        """How many clients, channels and recommendations (primary or not) the workspace holds, its
        first day (analysis.first_day; None without `first_day`, which spares its reads), and every
        primary recommendation as three columns: the client it brought in, whether its source is a
        client (else a channel), the source; clients and sources by node key (`growth_columns`). No deals."""

    def first_by_name(self, ws: str, n: int) -> list[tuple[Any, str, str]]:
        """The first n clients as (node key, id, name), by name then id (code point order)."""

    def named(self, ws: str, keys: Sequence[Any]) -> dict[Any, tuple[str, str]]:
        """The id and name of each of these clients and channels, by their node keys (keys not found
        are left out)."""

    def revenue_totals(self, ws: str) -> dict[str, int]:
        """Every deal summed per currency (minor units), refunds netted."""

    def payment_columns(self, ws: str) -> tuple[list[str], list[int], list[str], list[str]]:
        """Every deal as four columns: payer, amount (minor units), currency, date (YYYY-MM-DD)."""

    def contact_values(self, ws: str) -> tuple[list[str], list[str]]:
        """Every email and every external id the workspace's clients hold (each unique as stored)."""

    def shared_phones(self, ws: str) -> list[str]:
        """The phone numbers two or more clients hold."""

    # The integrity check's reads name clients and channels by the store's node keys (integrity.Node):
    # their ids, or anything the store reads for less and can name with `node_ids` in the same unit.

    def contact_holders(
        self, ws: str, emails: Sequence[str], phones: Sequence[str], external_ids: Sequence[str]
    ) -> list[tuple[Any, str | None, str | None, str | None]]:
        """(node, email, phone, external id) of the clients holding any of these values."""

    def acquisitions(self, ws: str) -> dict[Any, str]:
        """Client node -> acquisition date (YYYY-MM-DD), for the clients that have one."""

    def check_recommendations(self, ws: str) -> tuple[list[bool], list[Any], list[Any], list[str], list[bool]]:
        """Every recommendation as five columns: whether its source is a client, its source node, its
        client node, its date (YYYY-MM-DD), whether it is primary."""

    def hollow_clients(self, ws: str) -> dict[Any, tuple[int, dict[str, int]]]:
        """The clients (nodes) with deals and none above zero: their deals and refunds per currency
        (minor units)."""

    def node_ids(self, ws: str, nodes: Collection[Any]) -> dict[Any, str]:
        """The ids of these nodes (as the check's reads above named them)."""

    def names(self, ws: str, ids: Sequence[str]) -> dict[str, str]:
        """The names of these clients and channels (ids not found are left out)."""

    def referral_ids(self, ws: str, pairs: Sequence[tuple[str, str]]) -> dict[tuple[str, str], str]:
        """The ids of the recommendations by (source id, client id)."""

    def chain_facts(self, ws: str, client_id: str) -> asof.Facts:
        """Every client above the client over every recommendation, with what the as-of rule reads."""

    def tree_facts(self, ws: str, root: SourceRef, day: date) -> tuple[str, asof.Facts]:
        """Every client below the root over every recommendation, with what the as-of rule reads and
        revenue to `day`; and the root's name."""

    def period(self, ws: str, start: date, end: date) -> PeriodFacts: ...


class Unit(Protocol):
    """One store transaction and the row ports that work inside it."""

    workspaces: WorkspaceRows
    clients: ClientRows
    channels: ChannelRows
    referrals: ReferralRows
    deals: DealRows
    months: MonthRows
    tokens: TokenRows
    keys: KeyRows
    batches: BatchRows
    dismissals: DismissalRows
    answers: AnswerRows
    graph: Traversals


class Restoring(Protocol):
    """A restore in progress: what `Storage.restoring` yields."""

    def write(self, work: Callable[[Unit], T]) -> T:
        """Run `work` as part of the restore (a store may give each batch a transaction of its own)."""

    def finish(self, work: Callable[[Unit], None]) -> None:
        """Run the last part and make the workspace appear, complete."""


class Storage(Protocol):
    """What a store adapter provides: units of work and its own lifecycle."""

    kind: str

    def read(self, work: Callable[[Unit], T]) -> T:
        """Run `work` in one read transaction."""

    def query(self, work: Callable[[Unit], T]) -> T:
        """Run `work`, which sends exactly one statement, as a read (a store may run it outside a
        transaction, since one statement sees one snapshot)."""

    def write(self, work: Callable[[Unit], T]) -> T:
        """Run `work` in one write transaction, all or nothing (a store may retry it on transient errors)."""

    def aside(self, work: Callable[[Unit], T]) -> T:
        """Run `work`, which writes only the store's own bookkeeping (kept answers), in a write transaction
        that is not a change of any workspace's data: it counts no revision."""

    def stream(self) -> AbstractContextManager[Unit]:
        """One read transaction whose `each` iterators stream (memory stays flat however big the workspace)."""

    def purge(self, ws: str) -> None:
        """Finish removing a deleted workspace's records."""

    def restoring(self, workspace: Workspace) -> AbstractContextManager[Restoring]:
        """Write a workspace from scratch, all or nothing: Conflict when its id exists; on any error
        (also from the records being read) nothing of it remains."""
