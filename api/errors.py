"""The one place that turns errors into HTTP answers: RFC 9457 problem+json with field details."""

from __future__ import annotations

from typing import Any

from flask import Flask, Response, current_app, json, request
from werkzeug.exceptions import HTTPException

from referrals import i18n
from referrals.errors import Conflict, DomainError, Invalid, NotFound, TooLarge, Unavailable
from referrals.i18n import N_, _

PROBLEM = "application/problem+json"
RETRY_AFTER_SECONDS = 5


class ApiError(Exception):
    """An HTTP-level refusal that is not a domain rule: authentication, authorisation, headers."""

    def __init__(
        self, status: int, title: str, detail: str, field: str | None = None, headers: dict[str, str] | None = None
    ) -> None:
        super().__init__(detail)
        self.status, self.title, self.detail, self.field, self.headers = status, title, detail, field, headers


def api_problem(error: ApiError) -> Response:
    """Render an ApiError."""
    errors = [{"field": error.field, "reason": error.detail}] if error.field else None
    return problem(error.status, error.title, error.detail, errors, error.headers)


_STATUS: list[tuple[type[DomainError], int, str]] = [
    (TooLarge, 413, N_("content too large")),
    (Invalid, 422, N_("invalid input")),
    (NotFound, 404, N_("not found")),
    (Conflict, 409, N_("conflict")),
    (Unavailable, 503, N_("service unavailable")),
]
# Every other title a problem can carry (HTTP reasons, lower case): the `title` is in the caller's
# language, the `status` and each error's `field` never change.
TITLES = (
    N_("bad request"),
    N_("unauthorized"),
    N_("forbidden"),
    N_("method not allowed"),
    N_("not acceptable"),
    N_("request timeout"),
    N_("gone"),
    N_("length required"),
    N_("precondition failed"),
    N_("request entity too large"),
    N_("request uri too large"),
    N_("uri too long"),
    N_("unsupported media type"),
    N_("unprocessable entity"),
    N_("precondition required"),
    N_("too many requests"),
    N_("request header fields too large"),
    N_("internal server error"),
    N_("not implemented"),
)
# What marshmallow and webargs say of a field, as they say it: looked up in the catalogue when a
# reason is exactly one of these.
SCHEMA_REASONS = (
    N_("Missing data for required field."),
    N_("Unknown field."),
    N_("Field may not be null."),
    N_("Not a valid string."),
    N_("Not a valid integer."),
    N_("Not a valid number."),
    N_("Not a valid boolean."),
    N_("Not a valid date."),
    N_("Not a valid email address."),
    N_("Not a valid URL."),
    N_("Not a valid list."),
    N_("Not a valid mapping type."),
    N_("Invalid input type."),
    N_("Invalid value."),
    N_("Invalid JSON body."),
)


def problem(
    status: int,
    title: str,
    detail: str | None = None,
    errors: list[dict[str, str]] | None = None,
    headers: dict[str, str] | None = None,
    extensions: dict[str, Any] | None = None,
) -> Response:
    """A problem+json response."""
    body: dict[str, Any] = {"type": "about:blank", "title": i18n.lazy(title), "status": status}
    if detail:
        body["detail"] = detail
    if errors:
        body["errors"] = errors
    body.update(extensions or {})
    resp = Response(json.dumps(body), status=status, mimetype=PROBLEM)
    for k, v in (headers or {}).items():
        resp.headers[k] = v
    return resp


def domain_problem(error: DomainError) -> Response:
    """Map a domain error to its status; 503 answers say when to retry."""
    for kind, status, title in _STATUS:
        if isinstance(error, kind):
            headers = {"Retry-After": str(RETRY_AFTER_SECONDS)} if status == 503 else None
            errors = [{"field": e.field, "reason": e.reason} for e in error.errors]
            detail = error.message
            if isinstance(error, Unavailable):
                detail = _("%(what)s; retry later", what=error.public or _("the database is unavailable"))
            return problem(status, title, detail, errors, headers, dict(error.extensions))
    return problem(400, "bad request", error.message)


def schema_reason(reason: str) -> str:
    """A marshmallow or webargs reason in the caller's language when the catalogue knows it."""
    parts = [p.strip() for p in reason.split(";")]
    return "; ".join(i18n.lazy(p) if p in SCHEMA_REASONS else p for p in parts)


def http_problem(error: HTTPException) -> Response:
    """Werkzeug and webargs errors (unknown route, bad JSON, schema failures) as problem+json."""
    status = error.code or 500
    data = getattr(error, "data", None) or {}
    errors: list[dict[str, str]] = []
    messages = data.get("messages") or data.get("errors") or {}
    for location, fields in messages.items() if isinstance(messages, dict) else ():
        for field, reasons in _flatten(fields):
            errors.append({"field": field, "reason": schema_reason(reasons), "in": str(location)})
    if status == 422 and errors:
        return problem(422, "invalid input", "; ".join(f"{e['field']}: {e['reason']}" for e in errors), errors)
    detail = error.description if status < 500 else None
    if status == 400 and errors:
        detail = "; ".join(f"{e['field']}: {e['reason']}" for e in errors)
    if status == 413:
        limit = current_app.config.get("MAX_CONTENT_LENGTH")
        detail = _(
            "the request body is larger than %(limit)s bytes (REFERRALS_MAX_BODY_BYTES);"
            " split it, or import big files with `referrals import` on the command line",
            limit=limit,
        )
    # keep what the exception says of itself: Allow on a 405, WWW-Authenticate on a 401
    headers = {k: v for k, v in error.get_headers() if k.lower() != "content-type"}
    return problem(status, error.name.lower(), detail, errors or None, headers)


def _flatten(fields: Any, prefix: str = "") -> list[tuple[str, str]]:
    out: list[tuple[str, str]] = []
    if isinstance(fields, dict):
        for key, value in fields.items():
            out += _flatten(value, f"{prefix}.{key}" if prefix else str(key))
    elif isinstance(fields, list):
        out.append((prefix or "body", "; ".join(str(x) for x in fields)))
    else:
        out.append((prefix or "body", str(fields)))
    return out


def speak() -> None:
    """Answer this request in the language its Accept-Language prefers (English unless Russian is)."""
    i18n.activate(i18n.negotiate(request.headers.get("Accept-Language")))


def spoken(resp: Response) -> Response:
    """Say which language the answer speaks, and that it depends on Accept-Language."""
    resp.headers["Content-Language"] = i18n.current()
    resp.vary.add("Accept-Language")
    return resp


def init_app(app: Flask) -> None:
    """Register the handlers; any other exception is logged and answered as a bare 500. Every request
    speaks its caller's language (problem titles and details; fields and codes never change): `speak`
    runs before every other hook (create_app registers it first)."""
    app.after_request(spoken)
    app.register_error_handler(DomainError, domain_problem)
    app.register_error_handler(ApiError, api_problem)
    app.register_error_handler(HTTPException, http_problem)
