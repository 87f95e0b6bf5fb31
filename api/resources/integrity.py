"""/network/integrity: what looks wrong, and findings set aside with a note."""

from __future__ import annotations

from typing import Any

from flask import Response
from flask.views import MethodView

from api.auth import workspace_id
from api.heavy import heavy
from api.idempotency import HEADER_DOC
from api.resources import blueprint
from api.schemas import DismissalSchema, DismissRequestSchema, IntegrityQuerySchema, IntegritySchema
from api.store import current_store
from referrals.integrity import Dismissal, Thresholds, to_json

blp = blueprint("integrity", "What looks wrong: the integrity check and its dismissals")


def thresholds(args: dict[str, Any]) -> Thresholds:
    """The thresholds given in a request (each has its default)."""
    return Thresholds(**{name: args[name] for name in Thresholds.LIMITS})


@blp.route("/network/integrity")
class Integrity(MethodView):
    """The integrity check."""

    @blp.arguments(IntegrityQuerySchema, location="query")
    @blp.response(200, IntegritySchema)
    def get(self, args: dict[str, Any]) -> Response:
        """Every rule over the workspace (README "What looks wrong"): the same email mailbox, phone or
        external id on several clients, clients recommended by a second identity, bursts, clusters of
        clients who never paid, recommendations dated too early, rings. Each finding names the people,
        the rule and the numbers; dismissed findings come after the open ones, with their note. The first
        `limit` findings are listed and `not_listed` counts the rest.

        Computed once per change of the workspace (cached), at most a few at once per workspace (429).
        """
        ws, th, limit = workspace_id(), thresholds(args), args["limit"]
        return heavy(
            ws,
            ("integrity", th, limit),
            lambda: to_json(current_store().integrity_check(ws, th), limit),
            schema=IntegritySchema(),
        )


@blp.route("/network/integrity/dismissals")
class Dismissals(MethodView):
    """Findings set aside."""

    @blp.arguments(DismissRequestSchema)
    @blp.response(201, DismissalSchema)
    @blp.doc(parameters=[HEADER_DOC])
    def post(self, data: dict[str, Any]) -> Dismissal:
        """Dismiss a finding with a note: it stays dismissed on every later check while it stays the same
        (a finding that changes gets a new key). Give the thresholds of the check that found it; 404 when
        that check finds nothing under `key`. Dismissing again replaces the note."""
        return current_store().dismiss_finding(workspace_id(), data["key"], data["note"], thresholds(data))


@blp.route("/network/integrity/dismissals/<key>")
class DismissalItem(MethodView):
    """One dismissal."""

    @blp.response(204)
    def delete(self, key: str) -> Response:
        """Show a dismissed finding again; 404 when nothing is dismissed under `key`."""
        current_store().undismiss_finding(workspace_id(), key)
        return Response(status=204)
