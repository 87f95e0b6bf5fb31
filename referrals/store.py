"""The one store contract. Both stores implement it and pass the same test suite.

`Store` is what the API, the CLI and the tests hold. Its public methods are the use-cases of
referrals/usecases/, each a one-line call, so a rule is written once whatever the store. A store
adapter (graph/sqlite/, graph/neo4j/) implements only the ports (referrals/ports.py): units of work
with small row ports per aggregate, the traversals, and its own lifecycle.

Every method is scoped to one workspace (except the workspace methods themselves) and runs in one
store transaction: a method either applies all of its change or none of it. The rules, whatever the
entry point:

* no self-referral; no referral that would make a client its own ancestor (over every recorded
  recommendation, primary or secondary), also under concurrent writers;
* at most one primary source per client: the first recommendation recorded for a client is its
  primary one, later ones are secondary; replacing the primary source is an explicit re-attribution
  that is kept in the client's source history;
* emails and external ids are unique per workspace; channel names are unique per workspace
  (case-insensitively);
* no deal dated in a closed month is created, changed or deleted (closing and deal writes are
  serialized per workspace, so a deal never slips into a month while it is being closed).
"""

from __future__ import annotations

import abc
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import AbstractContextManager, contextmanager
from datetime import date, timedelta
from typing import TYPE_CHECKING, TypeVar

from referrals import analysis, asof, clock, forest, growth, network_file
from referrals.access import Caller, CallerCheck, Role, StoredResponse, Token
from referrals.attribution import PeriodFacts
from referrals.config import view_depth
from referrals.integrity import Dismissal, Report, Thresholds
from referrals.model import (
    Chain,
    Channel,
    ChannelInput,
    ChannelPatch,
    Client,
    ClientInput,
    ClientPatch,
    ClientQuery,
    ClosedMonth,
    Deal,
    DealInput,
    DealPatch,
    DealQuery,
    DeletePolicy,
    Page,
    Referral,
    ReferralInput,
    Snapshot,
    SourceChange,
    SourceRef,
    Tree,
    Workspace,
    check_limit,
)
from referrals.ports import Restoring, StoredBatch, Unit
from referrals.usecases import checks, clients, deals, imports, months, network, referrals, requests, transfer
from referrals.usecases.clients import BulkResult
from referrals.usecases.requests import IDEMPOTENCY_LEASE, IDEMPOTENCY_TTL

if TYPE_CHECKING:
    from referrals.backup import Record
    from referrals.exports import GraphFormat
    from referrals.importing import Changes, View

T = TypeVar("T")

RESTORE_GRACE = timedelta(minutes=10)  # a restore that made no progress this long is taken as dead

__all__ = ["IDEMPOTENCY_LEASE", "IDEMPOTENCY_TTL", "RESTORE_GRACE", "BulkResult", "Store"]


class Store(abc.ABC):
    """Storage of workspaces, clients, channels, referrals and deals: the ports a store implements
    (abstract) and the use-cases every store shares (concrete)."""

    kind: str
    # Whether `checking` sends the caller's check in the statement of a read (one round trip fewer per
    # request); a store whose reads cost microseconds reads the token first, and its callers need not
    # defer the check at all.
    checks_with_reads: bool = False

    # == the ports: what each store implements =============================================
    @abc.abstractmethod
    def read(self, work: Callable[[Unit], T]) -> T:
        """Run `work` in one read transaction."""

    def query(self, work: Callable[[Unit], T]) -> T:
        """Run `work`, which sends exactly one statement, as a read. One statement sees one snapshot in
        every store, so a store may spare the transaction around it (SQLite does: a chain is its
        hottest read). The contract tests hold each user of this to one statement."""
        return self.read(work)

    @abc.abstractmethod
    def write(self, work: Callable[[Unit], T]) -> T:
        """Run `work` in one write transaction, all or nothing."""

    @abc.abstractmethod
    def aside(self, work: Callable[[Unit], T]) -> T:
        """Run `work`, which writes only kept answers, in a write transaction that counts no revision."""

    @abc.abstractmethod
    def stream(self) -> AbstractContextManager[Unit]:
        """One read transaction whose `each` iterators stream."""

    @abc.abstractmethod
    def restoring(self, workspace: Workspace) -> AbstractContextManager[Restoring]:
        """Write a workspace from scratch, all or nothing; Conflict when its id exists."""

    @abc.abstractmethod
    def init_schema(self) -> int:
        """Create or migrate constraints, indexes and tables idempotently; return the version."""

    @abc.abstractmethod
    def schema_version(self) -> int | None:
        """The recorded schema version, or None for an uninitialised store."""

    @abc.abstractmethod
    def ping(self) -> None:
        """Raise Unavailable unless the store answers a trivial query."""

    @abc.abstractmethod
    def close(self) -> None:
        """Release connections."""

    @property
    @abc.abstractmethod
    def query_count(self) -> int:
        """How many statements this store has sent so far (for tests of round trips)."""

    def purge(self, ws: str) -> None:
        """Finish removing a deleted workspace's records (a store that deletes in one transaction has
        nothing left to do)."""
        return None

    def sweep_unfinished(self, grace: timedelta = RESTORE_GRACE) -> list[str]:
        """Delete what interrupted restores left (a store that restores in one transaction has nothing to
        sweep); the workspace ids swept."""
        return []

    # == the use-cases ======================================================================
    # -- workspaces --------------------------------------------------------------------------
    def create_workspace(self, name: str) -> Workspace:
        """Create an empty workspace."""
        return requests.create_workspace(self, name)

    def get_workspace(self, workspace_id: str) -> Workspace:
        """Return a workspace or raise NotFound."""
        return requests.get_workspace(self, workspace_id)

    def find_workspace(self, text: str) -> Workspace:
        """A workspace by id or by name (case-insensitive); NotFound names the ones there are."""
        return requests.find_workspace(self, text)

    def rename_workspace(self, ws: str, name: str) -> Workspace:
        """Give a workspace a new name, unique in the store (case-insensitive)."""
        return requests.rename_workspace(self, ws, name)

    def workspace_counts(self, ws: str) -> dict[str, int]:
        """How many clients, channels, referrals and deals a workspace holds."""
        return requests.workspace_counts(self, ws)

    def delete_workspace(self, ws: str, force: bool = False) -> dict[str, int]:
        """Delete a workspace with everything in it; Conflict while it holds data unless `force`.
        Returns what it held."""
        return requests.delete_workspace(self, ws, force)

    def list_workspaces(self) -> list[Workspace]:
        """All workspaces, oldest first."""
        return self.read(lambda u: u.workspaces.all())

    def revision(self, ws: str) -> int:
        """A number that grows with every change to the workspace's data (caches compare it)."""
        return requests.revision(self, ws)

    def kept_answer(self, ws: str, key: str, revision: int) -> str | None:
        """The answer of a heavy read kept for `key` at this revision of the workspace, or None."""
        return self.query(lambda u: u.answers.get(ws, key, revision))

    def keep_answer(self, ws: str, key: str, revision: int, body: str) -> None:
        """Keep a heavy read's answer for every worker until the workspace's data changes."""
        self.aside(lambda u: u.answers.put(ws, key, revision, body))

    # -- clients -----------------------------------------------------------------------------
    def create_client(self, ws: str, data: ClientInput) -> Client:
        """Create a client; Conflict on a duplicate email or external id."""
        return clients.create(self, ws, data)

    def get_client(self, ws: str, client_id: str) -> Client:
        """Return a client or raise NotFound."""
        return self.read(lambda u: u.clients.get(ws, client_id))

    def update_client(self, ws: str, client_id: str, patch: ClientPatch) -> Client:
        """Apply a patch; Conflict on a duplicate email or external id."""
        return clients.update(self, ws, client_id, patch)

    def delete_client(self, ws: str, client_id: str, policy: DeletePolicy = DeletePolicy.REFUSE) -> None:
        """Delete a client and its recommendations, handling the clients it brought in by `policy`.

        Refused (Conflict) while the client has deals, and under REFUSE while it is anyone's
        source. RELINK hands each child to the deleted client's primary source (roots when it
        has none); DETACH makes the children roots. No edge is ever left dangling.
        """
        referrals.delete_client(self, ws, client_id, policy)

    def list_clients(self, ws: str, query: ClientQuery) -> Page[Client]:
        """Clients in creation order, filtered by `query` (text matches name or email)."""
        return self.read(lambda u: u.clients.page(ws, query))

    def upsert_clients(self, ws: str, rows: Sequence[ClientInput]) -> BulkResult:
        """Create or replace clients keyed by external_id (required) in one transaction."""
        return clients.upsert(self, ws, rows)

    def put_client(self, ws: str, data: ClientInput) -> tuple[Client, bool]:
        """Create or update the client with data's external_id (required); the record and whether it is new."""
        return clients.put(self, ws, data)

    # -- channels ----------------------------------------------------------------------------
    def create_channel(self, ws: str, data: ChannelInput) -> Channel:
        """Create a channel; Conflict on a duplicate name or external id."""
        return clients.create_channel(self, ws, data)

    def get_channel(self, ws: str, channel_id: str) -> Channel:
        """Return a channel or raise NotFound."""
        return self.read(lambda u: u.channels.get(ws, channel_id))

    def update_channel(self, ws: str, channel_id: str, patch: ChannelPatch) -> Channel:
        """Apply a patch to a channel."""
        return clients.update_channel(self, ws, channel_id, patch)

    def delete_channel(self, ws: str, channel_id: str) -> None:
        """Delete a channel; Conflict while it is anyone's source."""
        clients.delete_channel(self, ws, channel_id)

    def list_channels(self, ws: str, limit: int = 50, after: str | None = None) -> Page[Channel]:
        """Channels in creation order."""
        check_limit(limit)
        return self.read(lambda u: u.channels.page(ws, limit, after))

    # -- deals -------------------------------------------------------------------------------
    def create_deal(self, ws: str, data: DealInput) -> Deal:
        """Record a deal of an existing client."""
        return deals.create(self, ws, data)

    def get_deal(self, ws: str, deal_id: str) -> Deal:
        """Return a deal or raise NotFound."""
        return self.read(lambda u: u.deals.get(ws, deal_id))

    def update_deal(self, ws: str, deal_id: str, patch: DealPatch) -> Deal:
        """Apply a patch to a deal."""
        return deals.update(self, ws, deal_id, patch)

    def delete_deal(self, ws: str, deal_id: str) -> None:
        """Delete a deal."""
        deals.delete(self, ws, deal_id)

    def list_deals(self, ws: str, query: DealQuery) -> Page[Deal]:
        """Deals in creation order, filtered by client and closing date."""
        return self.read(lambda u: u.deals.page(ws, query))

    def upsert_deals(self, ws: str, rows: Sequence[DealInput]) -> BulkResult:
        """Create or replace deals keyed by external_id (required) in one transaction."""
        return deals.upsert(self, ws, rows)

    # -- referrals ---------------------------------------------------------------------------
    def record_referral(self, ws: str, data: ReferralInput) -> Referral:
        """Record "source recommended client": primary when the client has no source yet."""
        return referrals.record(self, ws, data)

    def reattribute(self, ws: str, data: ReferralInput, reason: str | None = None) -> Referral:
        """Make `data.source` the client's primary source, keeping the change in history.

        An existing recommendation by that source is promoted; otherwise it is recorded.
        The previous primary recommendation stays recorded as a secondary one.
        """
        return referrals.reattribute(self, ws, data, reason)

    def get_referral(self, ws: str, referral_id: str) -> Referral:
        """Return a referral or raise NotFound."""
        return self.read(lambda u: u.referrals.get(ws, referral_id))

    def list_referrals(
        self,
        ws: str,
        client_id: str | None = None,
        source: SourceRef | None = None,
        limit: int | None = None,
        after: str | None = None,
    ) -> list[Referral]:
        """Referrals of one client and/or from one source (all when neither), oldest first."""
        return self.read(lambda u: u.referrals.find(ws, client_id, source, limit, after))

    def delete_referral(self, ws: str, referral_id: str) -> None:
        """Delete a recommendation; deleting a primary one leaves the client without a source."""
        referrals.delete(self, ws, referral_id)

    def source_history(self, ws: str, client_id: str) -> list[SourceChange]:
        """Every explicit change of a client's primary source, oldest first."""

        def work(u: Unit) -> list[SourceChange]:
            u.clients.get(ws, client_id)
            return u.referrals.history(ws, client_id)

        return self.read(work)

    def add_referrals(self, ws: str, rows: Sequence[ReferralInput]) -> BulkResult:
        """Record many referrals in one transaction, all or nothing.

        Rows are applied in order with the rules of record_referral; a row equal to a stored
        recommendation (same source and client) is unchanged. Invalid names the row.
        """
        return referrals.add(self, ws, rows)

    # -- traversals (one query each) ---------------------------------------------------------
    def chain(self, ws: str, client_id: str, depth: int | None = None, as_of: date | None = None) -> Chain:
        """The client's primary sources, nearest first: all of them, or the first `depth`, and in either
        case how many levels the whole chain has and where it starts (one query). With `as_of`, the
        chain as it stood that day (referrals/asof.py)."""
        d = view_depth(depth)
        if as_of is not None:
            return asof.chain(self.query(lambda u: u.graph.chain_facts(ws, client_id)), client_id, as_of).cut(d)
        return self.query(lambda u: u.graph.chain(ws, client_id)).cut(d)

    def tree(self, ws: str, root: SourceRef, depth: int | None = None, as_of: date | None = None) -> Tree:
        """Everything `root` brought in through primary sources, by level, with revenue: the whole
        downline, or `depth` levels of it and what lies beyond them (one query). With `as_of`, the
        downline as it stood that day, with revenue to that day (referrals/asof.py)."""
        d = view_depth(depth)
        if as_of is not None:
            name, facts = self.query(lambda u: u.graph.tree_facts(ws, root, as_of))
            return asof.tree(facts, root, name, d, as_of)
        return self.query(lambda u: u.graph.tree(ws, root, d))

    def period(self, ws: str, start: date, end: date) -> PeriodFacts:
        """The deals closed from `start` to `end` (inclusive) and the clients who came in then, each
        with its whole primary upline (nearest first, uncapped, each step with its recommendation
        date and whether the recommender is an active client). One query for the whole period,
        never one per deal. A client came in on its `acquired_on` date, or, without one, on the date
        of its primary recommendation. Deals come in id order, arrivals in client id order.
        """
        return self.read(lambda u: u.graph.period(ws, start, end))

    def network_growth(
        self, ws: str, months: int = 24, window: int = 3, last: str | None = None, today: date | None = None
    ) -> growth.Growth:
        """How word of mouth grows over the `months` months up to `last` (YYYY-MM; default: this month):
        monthly cohorts, root channels, first-year revenue by origin (referrals/growth.py). Two reads of
        columns (clients with their primary source; deals) in one read transaction."""
        today = today or clock.now().date()
        first, final = growth.last_months(growth.month_start(last) if last else today, months)

        def work(u: Unit) -> tuple[growth.Members, growth.Payments, dict[str, str]]:
            u.workspaces.require(ws)
            ids, acquired, recorded, kinds, sources, referred = u.graph.growth_columns(ws)
            since = list(map(asof.first_day, acquired, referred, recorded))
            members = growth.Members(ids, since, kinds, sources, referred)
            payers, amounts, currencies, days = u.graph.keyed_payments(ws)
            payments = growth.Payments(forest.key_list(payers), amounts, currencies, days)
            return members, payments, {ch.id: ch.name for ch in u.channels.each(ws)}

        members, payments, names = self.read(work)
        return growth.growth(members, payments, names, first, final, window, today)

    def network_file(self, ws: str, fmt: GraphFormat, counts: dict[str, int] | None = None) -> Iterator[bytes]:
        """Today's whole network as GraphML or GEXF (`network_file.STREAMED`), in pieces as it is read in
        one read transaction (referrals/network_file.py): the bytes of
        `exports.export(analysis.network_graph(snapshot), fmt)`, never held whole. The prologue comes
        before the first read. `counts` gets the nodes and edges written. Consume it or close it."""
        yield network_file.prologue(fmt)
        with self.stream() as u:
            yield from network_file.write(u, ws, fmt, counts)

    def network_summary(
        self, ws: str, depth: int | None = None, as_of: date | None = None
    ) -> tuple[analysis.Summary, date | None]:
        """The workspace at a glance (analysis.Summary: counts, origins, chain lengths, dead ends, the
        most prolific referrers, within `depth` levels for reach) and its first day. Today's from a few
        columns in one read transaction (referrals/forest.py); as of a day, from that day's snapshot."""
        return network.summary(self, ws, view_depth(depth), as_of)

    def key_clients(
        self,
        ws: str,
        currency: str | None = None,
        weights: analysis.Weights | None = None,
        depth: int | None = None,
        limit: int = 20,
        as_of: date | None = None,
    ) -> tuple[str | None, list[str], list[analysis.KeyClient]]:
        """Clients ranked by own revenue, the revenue they brought in and reach (analysis.key_clients):
        the ranking's currency, every currency paid in (main first) and the first `limit` clients."""
        return network.key_clients(self, ws, currency, weights or analysis.Weights(), view_depth(depth), limit, as_of)

    def integrity_check(self, ws: str, thresholds: Thresholds | None = None) -> Report:
        """What looks wrong (referrals/integrity.py): every rule over the workspace, dismissed findings
        marked and listed after the open ones. One read transaction."""
        return checks.run(self, ws, thresholds)

    def dismiss_finding(self, ws: str, key: str, note: object, thresholds: Thresholds | None = None) -> Dismissal:
        """Set a finding aside with a note (it stays dismissed on every later check); NotFound when the
        check with `thresholds` finds nothing under `key`."""
        return checks.dismiss(self, ws, key, note, thresholds)

    def undismiss_finding(self, ws: str, key: str) -> None:
        """Show a dismissed finding again; NotFound when nothing is dismissed under `key`."""
        checks.undismiss(self, ws, key)

    def snapshot(self, ws: str, as_of: date | None = None) -> Snapshot:
        """Every client, channel, recommendation and revenue total of a workspace (one read transaction);
        with `as_of`, the network as it stood that day (referrals/asof.py)."""
        return requests.snapshot(self, ws, as_of)

    # -- imports -----------------------------------------------------------------------------
    def run_import(
        self, ws: str, build: Callable[[View], Changes], dry_run: bool = False, files: Sequence[str] = ()
    ) -> Changes:
        """Read the workspace, let `build` plan the changes, and write them, all in one transaction
        (under the workspace lock, so the plan still holds when it is written) with the batch record
        that lets it be undone (`changes.batch`). Nothing is written for a dry run, or when the plan has
        any problem."""
        return imports.run(self, ws, build, dry_run, files)

    def import_batches(self, ws: str, limit: int = 50) -> list[StoredBatch]:
        """The workspace's imports, newest first (without what their undo needs)."""
        return imports.recent(self, ws, limit)

    def undo_import(self, ws: str, batch_id: str) -> imports.Undone:
        """Remove what an import created and restore what it updated, all or nothing; Conflict naming
        every later change that depends on it (see referrals/usecases/imports.py)."""
        return imports.undo(self, ws, batch_id)

    # -- backup and restore ------------------------------------------------------------------
    def dump(self, ws: str) -> Iterator[Record]:
        """Every record of a workspace in backup order (see referrals/backup.py), read in one transaction
        and streamed: memory stays flat however big the workspace. Consume it to the end."""
        return transfer.dump(self, ws)

    def restore(self, workspace: Workspace, records: Iterable[Record]) -> None:
        """Write a workspace and its records exactly as they are (ids, times, history, token hashes).

        All or nothing: when a record is refused, or `records` raises (a damaged file), nothing of the
        workspace remains. Conflict when the workspace id already exists in this store.
        """
        transfer.restore_records(self, workspace, records)

    # -- closed months -----------------------------------------------------------------------
    def close_month(self, ws: str, month: str) -> ClosedMonth:
        """Freeze the month's facts (see `period`) with their checksum, in one transaction that
        also locks out deal writes; Conflict when it is already closed."""
        return months.close(self, ws, month)

    def reopen_month(self, ws: str, month: str) -> None:
        """Drop a month's frozen facts, so its statement follows the graph again; NotFound when open."""
        months.reopen(self, ws, month)

    def list_closed_months(self, ws: str) -> list[ClosedMonth]:
        """Closed months, oldest first."""
        return self.read(lambda u: list(u.months.each(ws)))

    def month_facts(self, ws: str, month: str) -> tuple[PeriodFacts, ClosedMonth | None]:
        """A month's facts: frozen ones for a closed month (checksum verified), else the current graph."""
        return months.facts(self, ws, month)

    def range_facts(self, ws: str, start: date, end: date) -> tuple[PeriodFacts, list[ClosedMonth]]:
        """Any date range's facts: closed months' days frozen, the other days from the graph (one read)."""
        return months.range_facts(self, ws, start, end)

    # -- access tokens -----------------------------------------------------------------------
    def create_token(self, ws: str, role: Role, name: str, token_hash: str) -> Token:
        """Store a token's hash with its role; the secret itself never reaches the store."""
        return requests.create_token(self, ws, role, name, token_hash)

    def find_token(self, token_hash: str) -> Token | None:
        """The token with this hash, whatever its workspace, or None."""
        return self.read(lambda u: u.tokens.by_hash(token_hash))

    def find_caller(self, token_hash: str) -> Caller | None:
        """The token with this hash and its workspace's revision (see `revision`), read together, or None
        (one statement: every request asks it first)."""
        return self.query(lambda u: u.tokens.caller(token_hash))

    @contextmanager
    def checking(self, check: CallerCheck) -> Iterator[None]:
        """Within the block, the caller's token is checked before any answer of it is used: `check` is
        settled with what `find_caller` finds. A store that can do it sends the check with the block's
        first one-statement read (`query`: a chain, a tree), in the same statement, so a request is one
        round trip; this one reads the token first. Unsettled at the end of the block (no `query` ran),
        it is settled then; a block that raises leaves it to the caller."""
        if not check.settled:
            check.done(self.find_caller(check.token_hash))
        yield

    def list_tokens(self, ws: str) -> list[Token]:
        """The workspace's tokens, oldest first."""
        return self.read(lambda u: [t.token for t in u.tokens.each(ws)])

    def revoke_token(self, ws: str, token_id: str) -> None:
        """Delete a token; NotFound when the workspace has no such token."""
        requests.revoke_token(self, ws, token_id)

    # -- idempotent requests -----------------------------------------------------------------
    def claim_idempotency_key(
        self,
        ws: str,
        key: str,
        fingerprint: str,
        claim: str | None = None,
        lease: timedelta = IDEMPOTENCY_LEASE,
        ttl: timedelta = IDEMPOTENCY_TTL,
    ) -> StoredResponse | None:
        """Reserve `key` for a new request and return None, or return what is stored under it
        (see referrals.usecases.requests.claim_key)."""
        return requests.claim_key(self, ws, key, fingerprint, claim, lease, ttl)

    def save_idempotent_response(
        self, ws: str, key: str, status: int, body: str, location: str | None, claim: str | None = None
    ) -> None:
        """Record the response of the request that claimed `key` (a claim taken over since is left alone)."""
        self.write(lambda u: u.keys.complete(ws, key, status, body, location, claim))

    def release_idempotency_key(self, ws: str, key: str, claim: str | None = None) -> None:
        """Forget a claim whose request failed, so that a retry runs again."""
        self.write(lambda u: u.keys.release(ws, key, claim))
