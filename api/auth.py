"""Bearer tokens: who is calling, in which workspace, with which role.

On a store that can send the check with a read (Neo4j: `Store.checks_with_reads`), a read by a token
this process has already seen valid (it remembers the workspace of each such token) is not held up by a
statement of its own: the token is checked with the request's first store read — in the same statement
for a chain or a tree (`Store.checking`), before any other read — and, at the latest, before the
response leaves (`finish`). Elsewhere (SQLite: a read costs microseconds) the token is read first. A
revoked token stops working at once on every instance: what is remembered is where a token belongs,
never that it is valid.
"""

from __future__ import annotations

from flask import Response, g, request

from api.errors import ApiError, api_problem, domain_problem
from api.store import current_store, plain_store
from referrals.access import Caller, CallerCheck, Role, Token, hash_secret
from referrals.errors import DomainError
from referrals.i18n import _

SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
HOMES_KEPT = 10_000  # tokens whose workspace this process remembers (forgotten all at once past it)
_homes: dict[str, str] = {}  # token hash -> its workspace id, learned from tokens found valid


def caller() -> Token:
    """The token of the current request (set by `authenticate`, checked by now)."""
    settle()
    return g.caller  # type: ignore[no-any-return]


def revision() -> int | None:
    """The workspace's revision read with the caller's token (checked by now)."""
    settle()
    return g.get("revision")


def workspace_id() -> str:
    """The workspace every read and write of this request is scoped to (the token's; while its check is
    still to come, the workspace it belongs to, which the check confirms before any answer is used)."""
    check: CallerCheck | None = g.get("pending")
    if check is not None and not check.settled:
        return check.workspace_id
    return caller().workspace_id


def authenticate(minimum: Role | None = None) -> None:
    """Resolve the bearer token; 401 without a valid one, 403 when its role is too low.

    Reads need a viewer, writes an editor; `minimum` raises the bar for a whole blueprint. A read by a
    token seen valid before leaves the check to the request's first store read (module docstring).
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
    token_hash = hash_secret(secret)
    store = current_store()
    home = _homes.get(token_hash) if store.checks_with_reads else None
    if home is not None and minimum is None and request.method in SAFE_METHODS:
        g.pending = CallerCheck(token_hash, home, lambda found: _admit(token_hash, found, minimum, home))
        return
    _admit(token_hash, store.find_caller(token_hash), minimum)


def _admit(token_hash: str, found: Caller | None, minimum: Role | None, home: str | None = None) -> None:
    """Take the token found (or refuse): the request's caller and its workspace's revision."""
    if found is None:
        _homes.pop(token_hash, None)
        raise ApiError(
            401,
            "unauthorized",
            _("the token is unknown or was revoked"),
            headers={"WWW-Authenticate": 'Bearer realm="referrals", error="invalid_token"'},
        )
    token = found.token
    if home is not None and token.workspace_id != home:  # a token never moves; this is a broken memory
        _homes.pop(token_hash, None)
        raise RuntimeError("a token was found in another workspace than the one it was remembered in")
    if len(_homes) >= HOMES_KEPT:
        _homes.clear()
    _homes[token_hash] = token.workspace_id
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


def settle() -> None:
    """Check the request's token now, if its check is still to come (a statement of its own)."""
    check: CallerCheck | None = g.get("pending")
    if check is not None and not check.settled:
        check.done(plain_store().find_caller(check.token_hash))


def finish(response: Response) -> Response:
    """The last word on a request whose check was left to its reads: no response leaves before its token
    was found valid (a request that read nothing, or failed before reading, is checked here)."""
    if g.get("pending") is None or "caller" in g:
        return response
    try:
        settle()
    except ApiError as e:
        refusal = api_problem(e)
    except DomainError as e:  # the store is down: the view's own answer said so too (503)
        refusal = domain_problem(e)
    else:
        if "caller" in g:
            return response
        # its check failed in the view, whatever the view made of that
        refusal = api_problem(ApiError(401, "unauthorized", _("the token is unknown or was revoked")))
    response.close()  # never sent: what it holds (a streamed file's heavy turn) is given back
    return refusal
