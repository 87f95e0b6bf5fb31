"""/clients: people and companies of the workspace."""

from __future__ import annotations

from typing import Any

from flask import Response, url_for
from flask.views import MethodView

from api.auth import workspace_id
from api.idempotency import HEADER_DOC
from api.resources import blueprint
from api.schemas import (
    ClientDeleteArgs,
    ClientListArgs,
    ClientPageSchema,
    ClientPatchSchema,
    ClientSchema,
    ClientWriteSchema,
)
from api.store import current_store
from referrals.model import Client, ClientInput, ClientPatch, ClientQuery, ClientStatus, DeletePolicy

blp = blueprint("clients", "Clients: the people and companies of a workspace")


def created(record: Any, status: int, location: str) -> tuple[Any, int, dict[str, str]]:
    """A write's answer: 201 with Location for a new record, 200 for an upsert of an existing one."""
    return record, status, {"Location": location}


@blp.route("/clients")
class Clients(MethodView):
    """The workspace's clients."""

    @blp.arguments(ClientListArgs, location="query")
    @blp.response(200, ClientPageSchema)
    def get(self, args: dict[str, Any]) -> Any:
        """List clients in creation order, filtered by text, tag, status or acquisition date."""
        query = ClientQuery(
            text=args.get("q"),
            tag=args.get("tag"),
            status=ClientStatus(args["status"]) if args.get("status") else None,
            acquired_from=args.get("acquired_from"),
            acquired_to=args.get("acquired_to"),
            limit=args["limit"],
            after=args["after"],
        )
        return current_store().list_clients(workspace_id(), query)

    @blp.arguments(ClientWriteSchema)
    @blp.response(201, ClientSchema)
    @blp.alt_response(200, schema=ClientSchema, description="an existing client with this external_id, updated")
    @blp.doc(parameters=[HEADER_DOC])
    def post(self, data: dict[str, Any]) -> Any:
        """Create a client, or update the one with the same external_id."""
        row = ClientInput.parse(data)
        store, ws = current_store(), workspace_id()
        if row.external_id:
            client, new = store.put_client(ws, row)
            status = 201 if new else 200
        else:
            client, status = store.create_client(ws, row), 201
        return created(client, status, url_for("clients.ClientItem", client_id=client.id))


@blp.route("/clients/<client_id>")
class ClientItem(MethodView):
    """One client."""

    @blp.response(200, ClientSchema)
    def get(self, client_id: str) -> Client:
        """Get a client."""
        return current_store().get_client(workspace_id(), client_id)

    @blp.arguments(ClientPatchSchema)
    @blp.response(200, ClientSchema)
    def patch(self, data: dict[str, Any], client_id: str) -> Client:
        """Change some fields of a client; null clears an optional field."""
        return current_store().update_client(workspace_id(), client_id, ClientPatch.parse(data))

    @blp.arguments(ClientDeleteArgs, location="query")
    @blp.response(204)
    def delete(self, args: dict[str, Any], client_id: str) -> Response:
        """Delete a client; say what happens to the clients it brought in with on_branch."""
        current_store().delete_client(workspace_id(), client_id, DeletePolicy(args["on_branch"]))
        return Response(status=204)
