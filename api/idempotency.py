"""Idempotency-Key on POST: the first response is stored and replayed for every repeat.

Each request claims its key with a claim id of its own; a claim whose request died (a killed
worker) frees itself after REFERRALS_IDEMPOTENCY_LEASE_SECONDS, and a stored answer is replayed for
REFERRALS_IDEMPOTENCY_TTL_HOURS, then swept. A view may name fields of its answer that must never
be stored (a token's secret): the stored answer, and so every replay, lacks them.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import logging
from datetime import timedelta

from flask import Response, g, request

from api.auth import workspace_id
from api.errors import PROBLEM, ApiError
from api.store import current_settings, current_store
from referrals.errors import Unavailable
from referrals.i18n import _
from referrals.ids import new_id

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
        raise ApiError(
            400,
            "bad request",
            _("%(header)s must be 1-%(most)s printable ASCII characters", header=HEADER, most=MAX_KEY),
            field=HEADER,
        )
    fingerprint = _fingerprint()
    settings = current_settings()
    claim = new_id("claim")
    stored = current_store().claim_idempotency_key(
        workspace_id(),
        key,
        fingerprint,
        claim=claim,
        lease=timedelta(seconds=settings.idempotency_lease_seconds),
        ttl=timedelta(hours=settings.idempotency_ttl_hours),
    )
    if stored is None:
        g.idempotency_key = (key, claim)
        return None
    if stored.fingerprint != fingerprint:
        raise ApiError(
            422, "invalid input", _("this %(header)s was used for a different request", header=HEADER), field=HEADER
        )
    if stored.status is None:
        raise ApiError(
            409,
            "conflict",
            _("a request with this %(header)s is still in progress; retry shortly", header=HEADER),
            field=HEADER,
            headers={"Retry-After": "1"},
        )
    resp = Response(stored.body, status=stored.status, mimetype=PROBLEM if stored.status >= 400 else "application/json")
    if stored.location:
        resp.headers["Location"] = stored.location
    resp.headers["Idempotent-Replayed"] = "true"
    return resp


def never_store(*fields: str) -> None:
    """Keep these fields of this request's answer out of its idempotency record (and so out of replays)."""
    g.idempotency_secret_fields = fields


def _storable(response: Response) -> str:
    body = response.get_data(as_text=True)
    secret = g.pop("idempotency_secret_fields", ())
    if not secret or response.status_code >= 400:
        return body
    doc = json.loads(body)
    for name in secret:
        doc.pop(name, None)
    return json.dumps(doc)


def after(response: Response) -> Response:
    """Store the response of a claimed request; release the claim after a server-side failure."""
    claimed = g.pop("idempotency_key", None)
    if claimed is None:
        return response
    key, claim = claimed
    store, ws = current_store(), workspace_id()
    try:
        if response.status_code >= 500:
            store.release_idempotency_key(ws, key, claim)
        else:
            store.save_idempotent_response(
                ws, key, response.status_code, _storable(response), response.headers.get("Location"), claim
            )
    except Unavailable:
        logging.getLogger(__name__).warning("could not record the response for an Idempotency-Key")
    return response


def teardown(exc: BaseException | None) -> None:
    """A request that died before `after` ran must not keep its key claimed."""
    claimed = g.pop("idempotency_key", None)
    if claimed is not None:
        with contextlib.suppress(Unavailable):
            current_store().release_idempotency_key(workspace_id(), *claimed)
