"""Bearer tokens: who is calling, in which workspace, with which role."""

from __future__ import annotations

from flask import g, request

from api.errors import ApiError
from api.store import current_store
from referrals.access import Role, Token, hash_secret
from referrals.i18n import _

SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


def caller() -> Token:
    """The token of the current request (set by `authenticate`)."""
    return g.caller


def workspace_id() -> str:
    """The workspace every read and write of this request is scoped to."""
    return caller().workspace_id


def authenticate(minimum: Role | None = None) -> None:
    """Resolve the bearer token; 401 without a valid one, 403 when its role is too low.

    Reads need a viewer, writes an editor; `minimum` raises the bar for a whole blueprint.
    """
    header = request.headers.get("Authorization", "")
    scheme, _sep, secret = header.partition(" ")
    secret = secret.strip()
    if scheme.lower() != "bearer" or not secret:
        raise ApiError(
            401,
            "unauthorized",
            _("send a workspace token: Authorization: Bearer <token>"),
            headers={"WWW-Authenticate": 'Bearer realm="referrals"'},
        )
    found = current_store().find_caller(hash_secret(secret))
    if found is None:
        raise ApiError(
            401,
            "unauthorized",
            _("the token is unknown or was revoked"),
            headers={"WWW-Authenticate": 'Bearer realm="referrals", error="invalid_token"'},
        )
    token = found.token
    g.caller = token
    g.revision = found.revision  # read with the token: a cached answer of this request needs no other read
    needed = Role.VIEWER if request.method in SAFE_METHODS else Role.EDITOR
    if minimum is not None and minimum.allows(needed):
        needed = minimum
    if not token.role.allows(needed):
        raise ApiError(
            403,
            "forbidden",
            _("a %(role)s token cannot do this; it needs %(needed)s", role=token.role.value, needed=needed.value),
        )
