"""Limits every request meets before a view runs, and the headers every API answer carries.

* A body over REFERRALS_MAX_BODY_BYTES answers 413 as soon as it is read (Werkzeug stops reading at
  the limit, chunked bodies included), so no request can make a worker hold an unbounded body.
* A URL over MAX_URL_BYTES answers 414 problem+json from the app (gunicorn's own limit is set above it,
  see gunicorn.conf.py, so the caller gets our envelope rather than gunicorn's HTML page).
* API answers are never cached by a browser or proxy (they carry a workspace's data) and are never
  content-sniffed into something executable.
* The interactive docs (Swagger UI, served from this app) get a Content-Security-Policy: only this
  server's scripts, plus the one inline script of the page itself, allowed by its SHA-256.
"""

from __future__ import annotations

import base64
import hashlib
import re

from flask import Flask, Response, request

from api.errors import ApiError
from referrals.config import Settings
from referrals.i18n import _

MAX_URL_BYTES = 4096


def _check_url() -> None:
    size = len(request.environ.get("RAW_URI") or request.full_path)
    if size > MAX_URL_BYTES:
        raise ApiError(
            414,
            "uri too long",
            _("the URL is %(size)s bytes long; at most %(limit)s are accepted", size=size, limit=MAX_URL_BYTES),
        )


DOCS_PATH = "/api/v1/docs"
_INLINE_SCRIPT = re.compile(r"<script>(.*?)</script>", re.DOTALL)


def docs_policy(html: str) -> str:
    """The docs page's CSP: same origin only, and its own inline scripts by hash (never 'unsafe-inline')."""
    hashes = " ".join(
        "'sha256-" + base64.b64encode(hashlib.sha256(body.encode()).digest()).decode() + "'"
        for body in _INLINE_SCRIPT.findall(html)
    )
    return "; ".join(
        (
            "default-src 'self'",
            f"script-src 'self' {hashes}".strip(),
            "style-src 'self'",
            "img-src 'self' data:",
            "connect-src 'self'",
            "object-src 'none'",
            "base-uri 'none'",
            "form-action 'self'",
            "frame-ancestors 'none'",
        )
    )


def _api_headers(response: Response) -> Response:
    if request.path.startswith("/api/"):
        response.headers["X-Content-Type-Options"] = "nosniff"
        response.headers.setdefault("Cache-Control", "no-store")
    if request.path == DOCS_PATH and response.mimetype == "text/html":
        response.headers["Content-Security-Policy"] = docs_policy(response.get_data(as_text=True))
        response.headers["Referrer-Policy"] = "no-referrer"
    return response


def init_app(app: Flask, settings: Settings) -> None:
    """Set the body limit and register the checks and headers."""
    app.config["MAX_CONTENT_LENGTH"] = settings.max_body_bytes
    app.before_request(_check_url)
    app.after_request(_api_headers)
