"""The one store contract. Both stores implement it and pass the same test suite.

Every method is scoped to one workspace (except the workspace methods themselves) and runs in
one store transaction: a method either applies all of its change or none of it. Rules the
stores enforce inside that transaction, whatever the entry point:

* no self-referral; no referral that would make a client its own ancestor (over every
  recorded recommendation, primary or secondary), also under concurrent writers;
* at most one primary source per client: the first recommendation recorded for a client is
  its primary one, later ones are secondary; replacing the primary source is an explicit
  re-attribution that is kept in the client's source history;
* emails and external ids are unique per workspace; channel names are unique per workspace
  (case-insensitively);
* no deal dated in a closed month is created, changed or deleted (closing and deal writes are
  serialized per workspace, so a deal never slips into a month while it is being closed).
"""

from __future__ import annotations

import abc
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import date, timedelta

from graph.backup import Record
from referrals.access import Role, StoredResponse, Token
from referrals.attribution import PeriodFacts, checksum, month_range, thaw
from referrals.errors import Conflict
from referrals.importing import Changes, View
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
)

SCHEMA_VERSION = 4

# Defaults of the idempotency record's lifetimes (the API passes its configured ones).
IDEMPOTENCY_LEASE = timedelta(seconds=120)  # a claim whose request died frees after this
IDEMPOTENCY_TTL = timedelta(hours=24)  # a stored answer is replayed this long, then swept
RESTORE_GRACE = timedelta(minutes=10)  # a restore that made no progress this long is taken as dead


@dataclass(frozen=True, slots=True)
class BulkResult:
    """What a bulk write did, row by row in input order."""

    created: int
    updated: int
    unchanged: int
    ids: tuple[str, ...]


class Store(abc.ABC):
    """Storage of workspaces, clients, channels, referrals and deals."""

    kind: str
    max_depth: int

    # -- lifecycle ---------------------------------------------------------------------
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

    # -- workspaces --------------------------------------------------------------------
    @abc.abstractmethod
    def create_workspace(self, name: str) -> Workspace:
        """Create an empty workspace."""

    @abc.abstractmethod
    def get_workspace(self, workspace_id: str) -> Workspace:
        """Return a workspace or raise NotFound."""

    @abc.abstractmethod
    def list_workspaces(self) -> list[Workspace]:
        """All workspaces, oldest first."""

    # -- clients -----------------------------------------------------------------------
    @abc.abstractmethod
    def create_client(self, ws: str, data: ClientInput) -> Client:
        """Create a client; Conflict on a duplicate email or external id."""

    @abc.abstractmethod
    def get_client(self, ws: str, client_id: str) -> Client:
        """Return a client or raise NotFound."""

    @abc.abstractmethod
    def update_client(self, ws: str, client_id: str, patch: ClientPatch) -> Client:
        """Apply a patch; Conflict on a duplicate email or external id."""

    @abc.abstractmethod
    def delete_client(self, ws: str, client_id: str, policy: DeletePolicy = DeletePolicy.REFUSE) -> None:
        """Delete a client and its recommendations, handling the clients it brought in by `policy`.

        Refused (Conflict) while the client has deals, and under REFUSE while it is anyone's
        source. RELINK hands each child to the deleted client's primary source (roots when it
        has none); DETACH makes the children roots. No edge is ever left dangling.
        """

    @abc.abstractmethod
    def list_clients(self, ws: str, query: ClientQuery) -> Page[Client]:
        """Clients in creation order, filtered by `query` (text matches name or email)."""

    @abc.abstractmethod
    def upsert_clients(self, ws: str, rows: Sequence[ClientInput]) -> BulkResult:
        """Create or replace clients keyed by external_id (required) in one transaction."""

    # -- channels ----------------------------------------------------------------------
    @abc.abstractmethod
    def create_channel(self, ws: str, data: ChannelInput) -> Channel:
        """Create a channel; Conflict on a duplicate name or external id."""

    @abc.abstractmethod
    def get_channel(self, ws: str, channel_id: str) -> Channel:
        """Return a channel or raise NotFound."""

    @abc.abstractmethod
    def update_channel(self, ws: str, channel_id: str, patch: ChannelPatch) -> Channel:
        """Apply a patch to a channel."""

    @abc.abstractmethod
    def delete_channel(self, ws: str, channel_id: str) -> None:
        """Delete a channel; Conflict while it is anyone's source."""

    @abc.abstractmethod
    def list_channels(self, ws: str, limit: int = 50, after: str | None = None) -> Page[Channel]:
        """Channels in creation order."""

    # -- deals -------------------------------------------------------------------------
    @abc.abstractmethod
    def create_deal(self, ws: str, data: DealInput) -> Deal:
        """Record a deal of an existing client."""

    @abc.abstractmethod
    def get_deal(self, ws: str, deal_id: str) -> Deal:
        """Return a deal or raise NotFound."""

    @abc.abstractmethod
    def update_deal(self, ws: str, deal_id: str, patch: DealPatch) -> Deal:
        """Apply a patch to a deal."""

    @abc.abstractmethod
    def delete_deal(self, ws: str, deal_id: str) -> None:
        """Delete a deal."""

    @abc.abstractmethod
    def list_deals(self, ws: str, query: DealQuery) -> Page[Deal]:
        """Deals in creation order, filtered by client and closing date."""

    @abc.abstractmethod
    def upsert_deals(self, ws: str, rows: Sequence[DealInput]) -> BulkResult:
        """Create or replace deals keyed by external_id (required) in one transaction."""

    # -- referrals ---------------------------------------------------------------------
    @abc.abstractmethod
    def record_referral(self, ws: str, data: ReferralInput) -> Referral:
        """Record "source recommended client": primary when the client has no source yet."""

    @abc.abstractmethod
    def reattribute(self, ws: str, data: ReferralInput, reason: str | None = None) -> Referral:
        """Make `data.source` the client's primary source, keeping the change in history.

        An existing recommendation by that source is promoted; otherwise it is recorded.
        The previous primary recommendation stays recorded as a secondary one.
        """

    @abc.abstractmethod
    def get_referral(self, ws: str, referral_id: str) -> Referral:
        """Return a referral or raise NotFound."""

    @abc.abstractmethod
    def list_referrals(self, ws: str, client_id: str | None = None, source: SourceRef | None = None) -> list[Referral]:
        """Referrals of one client and/or from one source (all when neither), oldest first."""

    @abc.abstractmethod
    def delete_referral(self, ws: str, referral_id: str) -> None:
        """Delete a recommendation; deleting a primary one leaves the client without a source."""

    @abc.abstractmethod
    def source_history(self, ws: str, client_id: str) -> list[SourceChange]:
        """Every explicit change of a client's primary source, oldest first."""

    @abc.abstractmethod
    def add_referrals(self, ws: str, rows: Sequence[ReferralInput]) -> BulkResult:
        """Record many referrals in one transaction, all or nothing.

        Rows are applied in order with the rules of record_referral; a row equal to a stored
        recommendation (same source and client) is unchanged. Invalid names the row.
        """

    # -- traversals (one query each) -----------------------------------------------------
    @abc.abstractmethod
    def chain(self, ws: str, client_id: str, depth: int | None = None) -> Chain:
        """The client's primary sources, nearest first, at most `depth` levels (one query)."""

    @abc.abstractmethod
    def tree(self, ws: str, root: SourceRef, depth: int | None = None) -> Tree:
        """Everything `root` brought in through primary sources, by level, with revenue (one query)."""

    @abc.abstractmethod
    def period(self, ws: str, start: date, end: date) -> PeriodFacts:
        """The deals closed from `start` to `end` (inclusive) and the clients who came in then, each
        with its whole primary upline (nearest first, uncapped, each step with its recommendation
        date and whether the recommender is an active client). One query for the whole period,
        never one per deal. A client came in on its `acquired_on` date, or, without one, on the date
        of its primary recommendation. Deals come in id order, arrivals in client id order.
        """

    # -- imports -----------------------------------------------------------------------
    @abc.abstractmethod
    def run_import(self, ws: str, build: Callable[[View], Changes], dry_run: bool = False) -> Changes:
        """Read the workspace, let `build` plan the changes, and write them, all in one transaction
        (under the workspace lock, so the plan still holds when it is written). Nothing is written for
        a dry run, or when the plan has any problem."""

    # -- backup and restore --------------------------------------------------------------
    @abc.abstractmethod
    def dump(self, ws: str) -> Iterator[Record]:
        """Every record of a workspace in backup order (see graph/backup.py), read in one transaction
        and streamed: memory stays flat however big the workspace. Consume it to the end."""

    @abc.abstractmethod
    def restore(self, workspace: Workspace, records: Iterable[Record]) -> None:
        """Write a workspace and its records exactly as they are (ids, times, history, token hashes).

        All or nothing: when a record is refused, or `records` raises (a damaged file), nothing of the
        workspace remains. Conflict when the workspace id already exists in this store.
        """

    def sweep_unfinished(self, grace: timedelta = RESTORE_GRACE) -> list[str]:
        """Delete what interrupted restores left (a store that restores in one transaction has nothing to
        sweep); the workspace ids swept."""
        return []

    # -- closed months -------------------------------------------------------------------
    @abc.abstractmethod
    def close_month(self, ws: str, month: str) -> ClosedMonth:
        """Freeze the month's facts (see `period`) with their checksum, in one transaction that
        also locks out deal writes; Conflict when it is already closed."""

    @abc.abstractmethod
    def reopen_month(self, ws: str, month: str) -> None:
        """Drop a month's frozen facts, so its statement follows the graph again; NotFound when open."""

    @abc.abstractmethod
    def list_closed_months(self, ws: str) -> list[ClosedMonth]:
        """Closed months, oldest first."""

    @abc.abstractmethod
    def _frozen(self, ws: str, month: str) -> tuple[ClosedMonth, list[str]] | None:
        """A closed month and its frozen lines in order, or None when the month is open."""

    def month_facts(self, ws: str, month: str) -> tuple[PeriodFacts, ClosedMonth | None]:
        """A month's facts: frozen ones for a closed month (checksum verified), else the current graph."""
        start, end = month_range(month)
        frozen = self._frozen(ws, month)
        if frozen is None:
            self.get_workspace(ws)
            return self.period(ws, start, end), None
        closed, lines = frozen
        if checksum(lines) != closed.checksum:
            raise Conflict("month", f"the frozen facts of {month} do not match their checksum; restore from a backup")
        return thaw(start, end, lines), closed

    @abc.abstractmethod
    def snapshot(self, ws: str) -> Snapshot:
        """Every client, channel, recommendation and revenue total of a workspace (one read transaction)."""

    # -- access tokens -------------------------------------------------------------------
    @abc.abstractmethod
    def create_token(self, ws: str, role: Role, name: str, token_hash: str) -> Token:
        """Store a token's hash with its role; the secret itself never reaches the store."""

    @abc.abstractmethod
    def find_token(self, token_hash: str) -> Token | None:
        """The token with this hash, whatever its workspace, or None."""

    @abc.abstractmethod
    def list_tokens(self, ws: str) -> list[Token]:
        """The workspace's tokens, oldest first."""

    @abc.abstractmethod
    def revoke_token(self, ws: str, token_id: str) -> None:
        """Delete a token; NotFound when the workspace has no such token."""

    # -- idempotent requests -------------------------------------------------------------
    @abc.abstractmethod
    def claim_idempotency_key(
        self,
        ws: str,
        key: str,
        fingerprint: str,
        claim: str | None = None,
        lease: timedelta = IDEMPOTENCY_LEASE,
        ttl: timedelta = IDEMPOTENCY_TTL,
    ) -> StoredResponse | None:
        """Reserve `key` for a new request (as `claim`) and return None, or return what is stored under it.

        A stored entry whose status is None belongs to a request still being handled; one pending for
        longer than `lease` belonged to a request that died (killed worker, crash) and is taken over.
        Records older than `ttl` are swept (a few hundred a call) and never answered.
        """

    @abc.abstractmethod
    def save_idempotent_response(
        self, ws: str, key: str, status: int, body: str, location: str | None, claim: str | None = None
    ) -> None:
        """Record the response of the request that claimed `key` (a claim taken over since is left alone)."""

    @abc.abstractmethod
    def release_idempotency_key(self, ws: str, key: str, claim: str | None = None) -> None:
        """Forget a claim whose request failed, so that a retry runs again."""

    @abc.abstractmethod
    def revision(self, ws: str) -> int:
        """A number that grows with every change to the workspace's data (caches compare it)."""
