"""The network page: one HTML file and its scripts, served by the API's own app.

The page talks only to this server: every script, style and library is local (see
`api/static/vendor/README.md`), and the Content-Security-Policy below keeps it that way — the browser
refuses any request, script or font from another origin. The token lives in the tab's sessionStorage,
never in a cookie, so the page adds no cookie-based way in beside the API's bearer tokens.
"""

from __future__ import annotations

from flask import Blueprint, Response, current_app, jsonify

from referrals import i18n

blp = Blueprint("web", __name__)

# Everything same-origin: no inline script or style attribute in the markup (the page sets styles
# through the CSSOM, which CSP allows). Images may be data:/blob: URLs (the PNG and SVG exports).
CONTENT_SECURITY_POLICY = "; ".join(
    (
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self'",
        "img-src 'self' data: blob:",
        "connect-src 'self'",
        "font-src 'self'",
        "object-src 'none'",
        "base-uri 'none'",
        "form-action 'self'",
        "frame-ancestors 'none'",
    )
)


@blp.get("/")
def page() -> Response:
    """The interactive referral-tree page."""
    resp = current_app.send_static_file("app/index.html")
    resp.headers["Content-Security-Policy"] = CONTENT_SECURITY_POLICY
    resp.headers["Cache-Control"] = "no-cache"
    resp.headers["Referrer-Policy"] = "no-referrer"
    resp.headers["X-Content-Type-Options"] = "nosniff"
    return resp


@blp.get("/app/i18n/<lang>.json")
def page_catalogue(lang: str) -> Response:
    """The page's words in `lang` (referrals/i18n.py: page_messages), for static/app/i18n.js."""
    if lang not in i18n.LANGUAGES:
        return Response(status=404)
    resp = jsonify({"lang": lang, "messages": i18n.page_messages(lang)})
    resp.headers["Cache-Control"] = "no-cache"
    return resp
