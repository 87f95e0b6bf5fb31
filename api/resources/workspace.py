"""/workspace and /tokens: the caller's workspace, and its tokens (owners only)."""

from __future__ import annotations

from typing import Any

from flask import Response
from flask.views import MethodView

from api.auth import caller, workspace_id
from api.idempotency import HEADER_DOC, never_store
from api.resources import blueprint
from api.schemas import TokenCreatedSchema, TokenCreateSchema, TokenListSchema, WorkspaceSchema
from api.store import current_settings, current_store
from referrals.access import Role, hash_secret, new_secret
from referrals.attribution import Model
from referrals.config import CREDIT_DEPTH, MAX_DEPTH

blp = blueprint("workspace", "The caller's workspace")
tokens = blueprint("tokens", "Workspace tokens (owner tokens only)", minimum=Role.OWNER)


@blp.route("/workspace")
class CurrentWorkspace(MethodView):
    """The workspace of the token in use."""

    @blp.response(200, WorkspaceSchema)
    def get(self) -> dict[str, Any]:
        """The caller's workspace and role, the credit depth, and the largest depth a request takes."""
        store = current_store()
        ws = store.get_workspace(workspace_id())
        return {
            "id": ws.id,
            "name": ws.name,
            "created_at": ws.created_at,
            "role": caller().role.value,
            "max_depth": MAX_DEPTH,
            "credit_depth": CREDIT_DEPTH,
            "draw_limit": current_settings().draw_limit,
            "webgl_from": current_settings().webgl_from,
            "models": [{"name": m.value, "commission": m.is_commission} for m in Model],
        }


@tokens.route("/tokens")
class Tokens(MethodView):
    """Tokens of the workspace."""

    @tokens.response(200, TokenListSchema)
    def get(self) -> dict[str, Any]:
        """List tokens (never their secrets)."""
        return {"items": current_store().list_tokens(workspace_id())}

    @tokens.arguments(TokenCreateSchema)
    @tokens.response(201, TokenCreatedSchema)
    @tokens.doc(parameters=[HEADER_DOC])
    def post(self, data: dict[str, Any]) -> dict[str, Any]:
        """Create a token; its secret is in this answer only.

        A repeat with the same Idempotency-Key answers the same token without `token`: the secret is
        never stored, so it cannot be shown twice (revoke that token and create another if it was lost).
        """
        never_store("token")
        secret = new_secret()
        token = current_store().create_token(workspace_id(), Role(data["role"]), data["name"], hash_secret(secret))
        return {
            "id": token.id,
            "role": token.role.value,
            "name": token.name,
            "created_at": token.created_at,
            "token": secret,
        }


@tokens.route("/tokens/<token_id>")
class TokenItem(MethodView):
    """One token."""

    @tokens.response(204)
    def delete(self, token_id: str) -> Response:
        """Revoke a token at once."""
        current_store().revoke_token(workspace_id(), token_id)
        return Response(status=204)
