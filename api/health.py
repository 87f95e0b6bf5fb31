"""Liveness and readiness: answers 200 while the store answers, 503 with Retry-After otherwise."""

from __future__ import annotations

from typing import Any

import marshmallow as ma
from flask.views import MethodView
from flask_smorest import Blueprint

from api.store import current_store

blp = Blueprint("health", __name__, url_prefix="/api/v1", description="Service health")


class HealthSchema(ma.Schema):
    """What the health check reports."""

    status = ma.fields.String(required=True, metadata={"example": "ok"})
    store = ma.fields.String(required=True, metadata={"description": "sqlite or neo4j"})
    schema_version = ma.fields.Integer(allow_none=True)


@blp.route("/health")
class Health(MethodView):
    """Service health."""

    @blp.response(200, HealthSchema)
    @blp.doc(security=[])
    def get(self) -> dict[str, Any]:
        """Check that the database answers."""
        store = current_store()
        store.ping()
        return {"status": "ok", "store": store.kind, "schema_version": store.schema_version()}
