"""Idempotency-Key on POST: the first response is stored and replayed for every repeat."""

from __future__ import annotations

import contextlib
import hashlib
import logging

from flask import Response, g, request

from api.auth import workspace_id
from api.errors import PROBLEM, ApiError
from api.store import current_store
from referrals.errors import Unavailable

HEADER = "Idempotency-Key"
MAX_KEY = 200

HEADER_DOC = {
    "in": "header",
    "name": HEADER,
    "required": False,
    "schema": {"type": "string", "minLength": 1, "maxLength": MAX_KEY},
    "description": "a unique key per intended write; repeating the request with the same key replays the "
    "first response instead of writing again",
}


def _fingerprint() -> str:
    digest = hashlib.sha256()
    for part in (request.method, request.path, request.query_string.decode("latin-1")):
        digest.update(part.encode() + b"\0")
    digest.update(request.get_data(cache=True))
    return digest.hexdigest()


def before() -> Response | None:
    """Claim the key, or answer from what an earlier request with it stored."""
    key = request.headers.get(HEADER)
    if request.method != "POST" or key is None:
        return None
    if not 1 <= len(key) <= MAX_KEY or not key.isascii() or not key.isprintable():
        raise ApiError(400, "bad request", f"{HEADER} must be 1-{MAX_KEY} printable ASCII characters", field=HEADER)
    fingerprint = _fingerprint()
    stored = current_store().claim_idempotency_key(workspace_id(), key, fingerprint)
    if stored is None:
        g.idempotency_key = key
        return None
    if stored.fingerprint != fingerprint:
        raise ApiError(422, "invalid input", f"this {HEADER} was used for a different request", field=HEADER)
    if stored.status is None:
        raise ApiError(
            409,
            "conflict",
            f"a request with this {HEADER} is still in progress; retry shortly",
            field=HEADER,
            headers={"Retry-After": "1"},
        )
    resp = Response(stored.body, status=stored.status, mimetype=PROBLEM if stored.status >= 400 else "application/json")
    if stored.location:
        resp.headers["Location"] = stored.location
    resp.headers["Idempotent-Replayed"] = "true"
    return resp


def after(response: Response) -> Response:
    """Store the response of a claimed request; release the claim after a server-side failure."""
    key = g.pop("idempotency_key", None)
    if key is None:
        return response
    store, ws = current_store(), workspace_id()
    try:
        if response.status_code >= 500:
            store.release_idempotency_key(ws, key)
        else:
            store.save_idempotent_response(
                ws, key, response.status_code, response.get_data(as_text=True), response.headers.get("Location")
            )
    except Unavailable:
        logging.getLogger(__name__).warning("could not record the response for an Idempotency-Key")
    return response


def teardown(exc: BaseException | None) -> None:
    """A request that died before `after` ran must not keep its key claimed."""
    key = g.pop("idempotency_key", None)
    if key is not None:
        with contextlib.suppress(Unavailable):
            current_store().release_idempotency_key(workspace_id(), key)
