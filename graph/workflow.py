"""The referral write rules, written once for both stores.

A store supplies small primitives that run inside its own write transaction (`h` is a SQLite
connection or a Neo4j managed transaction); the order of checks and writes lives here, so both
stores apply exactly the same rules in the same order.
"""

from __future__ import annotations

import abc
from collections.abc import Callable, Sequence
from datetime import datetime
from typing import Any, TypeVar

from referrals import clock
from referrals.errors import Conflict
from referrals.ids import new_id
from referrals.model import Channel, Client, DeletePolicy, Referral, ReferralInput, SourceKind, SourceRef
from referrals.rules import cycle_conflict, refuse_self_referral

T = TypeVar("T")
H = Any  # the store's transaction handle


class ReferralWorkflow(abc.ABC):
    """record_referral, reattribute, delete_referral and delete_client over store primitives."""

    # -- primitives each store provides --------------------------------------------------
    @abc.abstractmethod
    def _in_write(self, work: Callable[[H], T]) -> T:
        """Run `work` in one write transaction."""

    @abc.abstractmethod
    def _lock(self, h: H, ws: str) -> None:
        """Serialize referral writes of the workspace (and check it exists)."""

    @abc.abstractmethod
    def _get_client(self, h: H, ws: str, client_id: str, field: str = "id") -> Client:
        """A client or NotFound naming `field`."""

    @abc.abstractmethod
    def _get_channel(self, h: H, ws: str, channel_id: str, field: str = "id") -> Channel:
        """A channel or NotFound naming `field`."""

    @abc.abstractmethod
    def _would_cycle(self, h: H, ws: str, source: SourceRef, client_id: str) -> bool:
        """True when the client already brought in the source, directly or through others."""

    @abc.abstractmethod
    def _primary(self, h: H, ws: str, client_id: str) -> Referral | None:
        """The client's primary recommendation."""

    @abc.abstractmethod
    def _pair(self, h: H, ws: str, source: SourceRef, client_id: str) -> Referral | None:
        """The recommendation of the client by the source, if recorded."""

    @abc.abstractmethod
    def _get_referral_in(self, h: H, ws: str, referral_id: str) -> Referral:
        """A referral or NotFound."""

    @abc.abstractmethod
    def _insert_referrals(self, h: H, ws: str, refs: Sequence[Referral]) -> None:
        """Store new referrals."""

    @abc.abstractmethod
    def _set_primary(self, h: H, ws: str, referral_id: str, primary: bool) -> None:
        """Mark a referral primary or secondary."""

    @abc.abstractmethod
    def _remove_referral(self, h: H, ws: str, referral_id: str) -> None:
        """Delete one referral."""

    @abc.abstractmethod
    def _log_change(
        self,
        h: H,
        ws: str,
        client_id: str,
        previous: Referral | None,
        current: Referral | None,
        reason: str | None,
        now: datetime,
    ) -> None:
        """Append to the client's source history."""

    @abc.abstractmethod
    def _deal_count(self, h: H, ws: str, client_id: str) -> int:
        """How many deals the client has."""

    @abc.abstractmethod
    def _children(self, h: H, ws: str, client_id: str) -> list[Referral]:
        """The primary recommendations made by the client, oldest first."""

    @abc.abstractmethod
    def _remove_client(self, h: H, ws: str, client_id: str) -> None:
        """Delete the client, every recommendation to or from it, and its history."""

    # -- the rules -----------------------------------------------------------------------
    def _check_new(self, h: H, ws: str, data: ReferralInput) -> None:
        """Lock, then: not a self-referral, both ends exist, no cycle would close."""
        refuse_self_referral(data)
        self._lock(h, ws)
        self._get_client(h, ws, data.client_id, field="client_id")
        if data.source.kind is SourceKind.CHANNEL:
            self._get_channel(h, ws, data.source.id, field="source_id")
            return
        self._get_client(h, ws, data.source.id, field="source_id")
        if self._would_cycle(h, ws, data.source, data.client_id):
            raise cycle_conflict(data.source.id, data.client_id)

    def _new_referral(self, data: ReferralInput, primary: bool, now: datetime) -> Referral:
        return Referral(
            id=new_id("referral"),
            source=data.source,
            client_id=data.client_id,
            referred_on=data.referred_on,
            note=data.note,
            primary=primary,
            created_at=now,
        )

    def _attach_primary(self, h: H, ws: str, data: ReferralInput, now: datetime) -> Referral:
        """Make data.source the primary source of a client that has none right now."""
        existing = self._pair(h, ws, data.source, data.client_id)
        if existing is None:
            ref = self._new_referral(data, True, now)
            self._insert_referrals(h, ws, [ref])
            return ref
        self._set_primary(h, ws, existing.id, True)
        return Referral(
            id=existing.id,
            source=existing.source,
            client_id=existing.client_id,
            referred_on=existing.referred_on,
            note=existing.note,
            primary=True,
            created_at=existing.created_at,
        )

    def record_referral(self, ws: str, data: ReferralInput) -> Referral:
        """Record a recommendation; primary when the client has no source yet."""

        def work(h: H) -> Referral:
            self._check_new(h, ws, data)
            if self._pair(h, ws, data.source, data.client_id):
                raise Conflict("source_id", "this source already recommended this client")
            ref = self._new_referral(data, self._primary(h, ws, data.client_id) is None, clock.now())
            self._insert_referrals(h, ws, [ref])
            return ref

        return self._in_write(work)

    def reattribute(self, ws: str, data: ReferralInput, reason: str | None = None) -> Referral:
        """Replace the client's primary source and log the change."""

        def work(h: H) -> Referral:
            self._check_new(h, ws, data)
            previous = self._primary(h, ws, data.client_id)
            if previous is not None and previous.source == data.source:
                return previous
            if previous is not None:
                self._set_primary(h, ws, previous.id, False)
            now = clock.now()
            current = self._attach_primary(h, ws, data, now)
            self._log_change(h, ws, data.client_id, previous, current, reason, now)
            return current

        return self._in_write(work)

    def delete_referral(self, ws: str, referral_id: str) -> None:
        """Delete one recommendation; a primary one is logged in the client's history."""

        def work(h: H) -> None:
            self._lock(h, ws)
            ref = self._get_referral_in(h, ws, referral_id)
            self._remove_referral(h, ws, referral_id)
            if ref.primary:
                self._log_change(h, ws, ref.client_id, ref, None, "primary recommendation deleted", clock.now())

        self._in_write(work)

    def delete_client(self, ws: str, client_id: str, policy: DeletePolicy = DeletePolicy.REFUSE) -> None:
        """Delete a client, handling the clients it brought in by `policy`; money is never dropped."""

        def work(h: H) -> None:
            self._lock(h, ws)
            self._get_client(h, ws, client_id)
            deals = self._deal_count(h, ws, client_id)
            if deals:
                raise Conflict("id", f"the client has {deals} deal(s); delete or move them first")
            children = self._children(h, ws, client_id)
            if children and policy is DeletePolicy.REFUSE:
                raise Conflict(
                    "policy", f"the client brought in {len(children)} client(s); choose relink or detach for them"
                )
            parent = self._primary(h, ws, client_id)
            now = clock.now()
            reason = f"source {client_id} deleted ({policy.value})"
            for child in children:
                self._remove_referral(h, ws, child.id)
                new: Referral | None = None
                if policy is DeletePolicy.RELINK and parent is not None:
                    new = self._attach_primary(
                        h, ws, ReferralInput(parent.source, child.client_id, child.referred_on, child.note), now
                    )
                self._log_change(h, ws, child.client_id, child, new, reason, now)
            self._remove_client(h, ws, client_id)

        self._in_write(work)
