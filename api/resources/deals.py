"""/deals: money clients paid."""

from __future__ import annotations

from typing import Any

from flask import Response, url_for
from flask.views import MethodView

from api.auth import workspace_id
from api.idempotency import HEADER_DOC
from api.resources import blueprint
from api.resources.clients import created
from api.schemas import DealListArgs, DealPageSchema, DealPatchSchema, DealSchema, DealWriteSchema
from api.store import current_store
from referrals.model import Deal, DealInput, DealPatch, DealQuery

blp = blueprint("deals", "Deals: orders, invoices and projects clients paid")


@blp.route("/deals")
class Deals(MethodView):
    """The workspace's deals."""

    @blp.arguments(DealListArgs, location="query")
    @blp.response(200, DealPageSchema)
    def get(self, args: dict[str, Any]) -> Any:
        """List deals in creation order, by client and closing date."""
        query = DealQuery(
            client_id=args.get("client_id"),
            closed_from=args.get("closed_from"),
            closed_to=args.get("closed_to"),
            limit=args["limit"],
            after=args["after"],
        )
        return current_store().list_deals(workspace_id(), query)

    @blp.arguments(DealWriteSchema)
    @blp.response(201, DealSchema)
    @blp.alt_response(200, schema=DealSchema, description="an existing deal with this external_id, updated")
    @blp.doc(parameters=[HEADER_DOC])
    def post(self, data: dict[str, Any]) -> Any:
        """Record a deal, or update the one with the same external_id."""
        row = DealInput.parse(data)
        store, ws = current_store(), workspace_id()
        if row.external_id:
            result = store.upsert_deals(ws, [row])
            deal, status = store.get_deal(ws, result.ids[0]), 201 if result.created else 200
        else:
            deal, status = store.create_deal(ws, row), 201
        return created(deal, status, url_for("deals.DealItem", deal_id=deal.id))


@blp.route("/deals/<deal_id>")
class DealItem(MethodView):
    """One deal."""

    @blp.response(200, DealSchema)
    def get(self, deal_id: str) -> Deal:
        """Get a deal."""
        return current_store().get_deal(workspace_id(), deal_id)

    @blp.arguments(DealPatchSchema)
    @blp.response(200, DealSchema)
    def patch(self, data: dict[str, Any], deal_id: str) -> Deal:
        """Change a deal; an amount alone keeps the deal's currency."""
        store, ws = current_store(), workspace_id()
        current = store.get_deal(ws, deal_id)
        return store.update_deal(ws, deal_id, DealPatch.parse(data, current=current.amount))

    @blp.response(204)
    def delete(self, deal_id: str) -> Response:
        """Delete a deal."""
        current_store().delete_deal(workspace_id(), deal_id)
        return Response(status=204)
