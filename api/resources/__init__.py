"""One module per resource; each exposes a flask-smorest Blueprint named `blp`."""

from __future__ import annotations

from flask_smorest import Blueprint

from api import auth, idempotency
from referrals.access import Role

PREFIX = "/api/v1"


def blueprint(name: str, description: str, minimum: Role | None = None) -> Blueprint:
    """A blueprint whose every request is authenticated and may be idempotent."""
    blp = Blueprint(name, __name__, url_prefix=PREFIX, description=description)
    blp.before_request(lambda: auth.authenticate(minimum))
    blp.before_request(idempotency.before)
    blp.after_request(idempotency.after)
    blp.teardown_request(idempotency.teardown)
    return blp
