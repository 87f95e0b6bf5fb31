"""/referrals and /clients/{id}/source: who recommended whom, and each client's primary source."""

from __future__ import annotations

from typing import Any

from flask import Response, url_for
from flask.views import MethodView

from api.auth import workspace_id
from api.idempotency import HEADER_DOC
from api.resources import blueprint
from api.resources.clients import created
from api.schemas import (
    ReferralCreateSchema,
    ReferralListArgs,
    ReferralPageSchema,
    ReferralSchema,
    SourceSchema,
    SourceSetSchema,
)
from api.store import current_store
from referrals.errors import Invalid
from referrals.i18n import _
from referrals.model import Page, Referral, ReferralInput, SourceKind, SourceRef, kind_of_id

blp = blueprint("referrals", "Referrals: who recommended whom")

_REFERRAL_FIELDS = ("source_kind", "source_id", "client_id", "referred_on", "note")


@blp.route("/referrals")
class Referrals(MethodView):
    """Recorded recommendations."""

    @blp.arguments(ReferralListArgs, location="query")
    @blp.response(200, ReferralPageSchema)
    def get(self, args: dict[str, Any]) -> Page[Referral]:
        """List recommendations, oldest first, of one client and/or from one source."""
        source = None
        if args.get("source_id"):
            kind = args.get("source_kind") or kind_of_id(args["source_id"]) or "client"
            source = SourceRef(SourceKind(kind), args["source_id"])
        elif args.get("source_kind"):
            raise Invalid.one("source_id", _("required with source_kind"))
        limit = args["limit"]
        items = current_store().list_referrals(
            workspace_id(), client_id=args.get("client_id"), source=source, limit=limit + 1, after=args["after"]
        )
        return Page.from_overfetch(items, limit)

    @blp.arguments(ReferralCreateSchema)
    @blp.response(201, ReferralSchema)
    @blp.doc(parameters=[HEADER_DOC])
    def post(self, data: dict[str, Any]) -> Any:
        """Record "source recommended client"; the first one of a client becomes its primary source."""
        row = ReferralInput.parse({k: data[k] for k in _REFERRAL_FIELDS if k in data})
        store, ws = current_store(), workspace_id()
        if data.get("primary"):
            referral = store.reattribute(ws, row, reason=data.get("reason"))
        else:
            if data.get("reason") is not None:
                raise Invalid.one("reason", _("only with primary=true"))
            referral = store.record_referral(ws, row)
        return created(referral, 201, url_for("referrals.ReferralItem", referral_id=referral.id))


@blp.route("/referrals/<referral_id>")
class ReferralItem(MethodView):
    """One recommendation."""

    @blp.response(200, ReferralSchema)
    def get(self, referral_id: str) -> Referral:
        """Get a recommendation."""
        return current_store().get_referral(workspace_id(), referral_id)

    @blp.response(204)
    def delete(self, referral_id: str) -> Response:
        """Delete a recommendation; deleting a primary one leaves the client without a source (logged)."""
        current_store().delete_referral(workspace_id(), referral_id)
        return Response(status=204)


@blp.route("/clients/<client_id>/source")
class ClientSource(MethodView):
    """A client's primary source and its history."""

    @blp.response(200, SourceSchema)
    def get(self, client_id: str) -> dict[str, Any]:
        """The client's primary source now and every explicit change of it."""
        store, ws = current_store(), workspace_id()
        history = store.source_history(ws, client_id)  # NotFound for an unknown client
        current = next((r for r in store.list_referrals(ws, client_id=client_id) if r.primary), None)
        return {"current": current, "history": history}

    @blp.arguments(SourceSetSchema)
    @blp.response(200, ReferralSchema)
    def put(self, data: dict[str, Any], client_id: str) -> Referral:
        """Set or change the client's primary source (a client or a channel); the change is kept in history."""
        row = ReferralInput.parse({"client_id": client_id, **{k: data[k] for k in _REFERRAL_FIELDS if k in data}})
        return current_store().reattribute(workspace_id(), row, reason=data.get("reason"))
