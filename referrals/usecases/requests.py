"""Workspaces, access tokens and idempotency keys."""

from __future__ import annotations

from datetime import date, timedelta

from referrals import asof, clock
from referrals.access import Role, StoredResponse, Token
from referrals.errors import Conflict, Invalid, NotFound
from referrals.i18n import _, count
from referrals.ids import looks_like_id, new_id
from referrals.model import Snapshot, Workspace, name_key
from referrals.ports import Storage, StoredToken, Unit

# Defaults of the idempotency record's lifetimes (the API passes its configured ones).
IDEMPOTENCY_LEASE = timedelta(seconds=120)  # a claim whose request died frees after this
IDEMPOTENCY_TTL = timedelta(hours=24)  # a stored answer is replayed this long, then swept


WORKSPACE_NAME_MAX = 200


def workspace_name(name: str) -> str:
    """A workspace name as stored: trimmed, not blank, at most WORKSPACE_NAME_MAX characters."""
    clean = " ".join(str(name).split())
    if not clean:
        raise Invalid.one("name", _("must not be blank"))
    if len(clean) > WORKSPACE_NAME_MAX:
        raise Invalid.one("name", _("must be at most %(n)s characters", n=WORKSPACE_NAME_MAX))
    if looks_like_id(clean):
        raise Invalid.one("name", _("looks like an id: choose a name people would say"))
    return clean


def _refuse_taken(u: Unit, name: str, other_than: str | None = None) -> None:
    key = name_key(name)
    for w in u.workspaces.all():
        if w.id != other_than and name_key(w.name) == key:
            raise Conflict("name", _("workspace %(id)s is already called %(name)r", id=w.id, name=w.name))


def create_workspace(store: Storage, name: str) -> Workspace:
    """A new, empty workspace; its name is unique in the store (case-insensitive)."""
    workspace = Workspace(id=new_id("workspace"), name=workspace_name(name), created_at=clock.now())

    def work(u: Unit) -> None:
        u.workspaces.lock_names()
        _refuse_taken(u, workspace.name)
        u.workspaces.insert(workspace)

    store.write(work)
    return workspace


def find_workspace(store: Storage, text: str) -> Workspace:
    """By id, else by name (case-insensitive). NotFound lists what there is (a few of the names)."""
    given = text.strip()
    spaces = store.read(lambda u: u.workspaces.all())
    for w in spaces:
        if w.id == given:
            return w
    named = [w for w in spaces if name_key(w.name) == name_key(given)]
    if len(named) == 1:
        return named[0]
    if len(named) > 1:  # only stores from before names were unique can hold two
        ids = ", ".join(w.id for w in named)
        raise Invalid.one(
            "workspace",
            _("%(n)s workspaces are called %(name)r: use an id (%(ids)s)", n=len(named), name=given, ids=ids),
        )
    there = ", ".join(repr(w.name) for w in spaces[:10]) or _("none yet (create one: referrals workspace create NAME)")
    raise NotFound("workspace", given, field="workspace", hint="; " + _("the workspaces here: %(names)s", names=there))


def rename_workspace(store: Storage, ws: str, name: str) -> Workspace:
    clean = workspace_name(name)

    def work(u: Unit) -> Workspace:
        u.workspaces.lock_names()
        u.workspaces.lock(ws)
        _refuse_taken(u, clean, other_than=ws)
        u.workspaces.rename(ws, clean)
        found = u.workspaces.get(ws)
        assert found is not None
        return found

    return store.write(work)


def workspace_counts(store: Storage, ws: str) -> dict[str, int]:
    def work(u: Unit) -> dict[str, int]:
        u.workspaces.require(ws)
        return u.workspaces.counts(ws)

    return store.read(work)


def delete_workspace(store: Storage, ws: str, force: bool = False) -> dict[str, int]:
    """Delete a workspace and everything in it, tokens too; refused while it holds data unless forced."""

    def work(u: Unit) -> dict[str, int]:
        u.workspaces.lock(ws)
        held = u.workspaces.counts(ws)
        if not force and (held["clients"] or held["channels"]):
            raise Conflict(
                "workspace",
                _(
                    "workspace %(id)s holds %(clients)s, %(channels)s and %(deals)s: back it up first"
                    " (referrals backup --workspace %(id)s -o FILE), then delete it with --force",
                    id=ws,
                    clients=count("clients", held["clients"]),
                    channels=count("channels", held["channels"]),
                    deals=count("deals", held["deals"]),
                ),
            )
        u.workspaces.delete(ws)
        return held

    held = store.write(work)
    store.purge(ws)
    return held


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


def snapshot(store: Storage, ws: str, as_of: date | None = None) -> Snapshot:
    """Every client, channel, recommendation and revenue total, from one read transaction; with `as_of`,
    the network of that day (its revenue to that day, its source history applied)."""

    def work(u: Unit) -> Snapshot:
        u.workspaces.require(ws)
        revenue: dict[str, dict[str, int]] = {}
        for client_id, currency, total in u.deals.revenue(ws, as_of):
            revenue.setdefault(client_id, {})[currency] = total
        whole = Snapshot(tuple(u.clients.each(ws)), tuple(u.channels.each(ws)), tuple(u.referrals.each(ws)), revenue)
        if as_of is None:
            return whole
        switches = [
            asof.Switch(e.change.client_id, e.seq, e.change.referral_id, e.change.changed_at)
            for e in u.referrals.each_history(ws)
        ]
        return asof.snapshot(whole, switches, revenue, as_of)

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
