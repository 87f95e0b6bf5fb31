"""Workspaces, access tokens and idempotency keys."""

from __future__ import annotations

from datetime import timedelta

from referrals import clock
from referrals.access import Role, StoredResponse, Token
from referrals.errors import NotFound
from referrals.ids import new_id
from referrals.model import Snapshot, Workspace
from referrals.ports import Storage, StoredToken, Unit

# Defaults of the idempotency record's lifetimes (the API passes its configured ones).
IDEMPOTENCY_LEASE = timedelta(seconds=120)  # a claim whose request died frees after this
IDEMPOTENCY_TTL = timedelta(hours=24)  # a stored answer is replayed this long, then swept


def create_workspace(store: Storage, name: str) -> Workspace:
    workspace = Workspace(id=new_id("workspace"), name=name, created_at=clock.now())
    store.write(lambda u: u.workspaces.insert(workspace))
    return workspace


def get_workspace(store: Storage, ws: str) -> Workspace:
    found = store.read(lambda u: u.workspaces.get(ws))
    if found is None:
        raise NotFound("workspace", ws)
    return found


def revision(store: Storage, ws: str) -> int:
    found = store.read(lambda u: u.workspaces.revision(ws))
    if found is None:
        raise NotFound("workspace", ws, field="workspace")
    return found


def snapshot(store: Storage, ws: str) -> Snapshot:
    """Every client, channel, recommendation and revenue total, from one read transaction."""

    def work(u: Unit) -> Snapshot:
        u.workspaces.require(ws)
        revenue: dict[str, dict[str, int]] = {}
        for client_id, currency, total in u.deals.revenue(ws):
            revenue.setdefault(client_id, {})[currency] = total
        return Snapshot(tuple(u.clients.each(ws)), tuple(u.channels.each(ws)), tuple(u.referrals.each(ws)), revenue)

    return store.read(work)


def create_token(store: Storage, ws: str, role: Role, name: str, token_hash: str) -> Token:
    """Store a token's hash with its role; the secret itself never reaches the store."""
    token = Token(id=new_id("token"), workspace_id=ws, role=role, name=name, created_at=clock.now())

    def work(u: Unit) -> Token:
        u.workspaces.require(ws)
        u.tokens.insert(ws, [StoredToken(token, token_hash)])
        return token

    return store.write(work)


def revoke_token(store: Storage, ws: str, token_id: str) -> None:
    if not store.write(lambda u: u.tokens.remove(ws, token_id)):
        raise NotFound("token", token_id)


def claim_key(
    store: Storage,
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
    now = clock.now()
    mine = claim or new_id("claim")

    def work(u: Unit) -> StoredResponse | None:
        u.workspaces.require(ws)
        u.keys.sweep(ws, now - ttl)
        return u.keys.claim(ws, key, fingerprint, mine, now, now - lease)

    return store.write(work)
