"""API tokens and roles: a token is shown once; only its SHA-256 hash is ever stored."""

from __future__ import annotations

import enum
import hashlib
import secrets
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

TOKEN_PREFIX = "rfk_"


class Role(enum.StrEnum):
    """What a token may do in its workspace; each role includes the ones before it."""

    VIEWER = "viewer"  # read everything
    EDITOR = "editor"  # also record and change data
    OWNER = "owner"  # also manage tokens

    def allows(self, needed: Role) -> bool:
        """True when this role is at least `needed`."""
        order = list(Role)
        return order.index(self) >= order.index(needed)


@dataclass(frozen=True, slots=True, kw_only=True)
class Token:
    """A stored token: never the secret itself."""

    id: str
    workspace_id: str
    role: Role
    name: str
    created_at: datetime


@dataclass(frozen=True, slots=True)
class Caller:
    """Who a request comes from, and the revision of their workspace when the token was read: both in
    one read, so a request's cached answer needs no second one."""

    token: Token
    revision: int


class CallerCheck:
    """A bearer token still to be checked against the workspace it is expected in, and what to do with
    what the store finds (`Store.checking`): the token with its workspace's revision, or None.

    `settle` runs once; it may raise (an unknown token is refused), and the store lets that through.
    """

    __slots__ = ("_settle", "settled", "token_hash", "workspace_id")

    def __init__(self, token_hash: str, workspace_id: str, settle: Callable[[Caller | None], None]) -> None:
        self.token_hash = token_hash
        self.workspace_id = workspace_id
        self._settle = settle
        self.settled = False

    def done(self, found: Caller | None) -> None:
        """Hand what was found to `settle` (once; later calls do nothing)."""
        if self.settled:
            return
        self.settled = True
        self._settle(found)


def new_secret() -> str:
    """A fresh bearer token: 256 random bits, URL-safe."""
    return TOKEN_PREFIX + secrets.token_urlsafe(32)


def hash_secret(secret: str) -> str:
    """The stored form of a token. Tokens are random, so a fast hash is enough (no dictionary to try)."""
    return hashlib.sha256(secret.encode()).hexdigest()


@dataclass(frozen=True, slots=True)
class StoredResponse:
    """The first response to a POST with an Idempotency-Key, replayed for repeats."""

    fingerprint: str
    status: int | None  # None while the first request is still being handled
    body: str | None
    location: str | None
