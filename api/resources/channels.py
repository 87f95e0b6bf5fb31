"""/channels: non-person sources of business."""

from __future__ import annotations

from typing import Any

from flask import Response, url_for
from flask.views import MethodView

from api.auth import workspace_id
from api.idempotency import HEADER_DOC
from api.resources import blueprint
from api.resources.clients import created
from api.schemas import ChannelPageSchema, ChannelPatchSchema, ChannelSchema, ChannelWriteSchema, PageArgs
from api.store import current_store
from referrals.model import Channel, ChannelInput, ChannelPatch

blp = blueprint("channels", "Channels: blog posts, social profiles, ads, events, direct")


@blp.route("/channels")
class Channels(MethodView):
    """The workspace's channels."""

    @blp.arguments(PageArgs, location="query")
    @blp.response(200, ChannelPageSchema)
    def get(self, args: dict[str, Any]) -> Any:
        """List channels in creation order."""
        return current_store().list_channels(workspace_id(), limit=args["limit"], after=args["after"])

    @blp.arguments(ChannelWriteSchema)
    @blp.response(201, ChannelSchema)
    @blp.doc(parameters=[HEADER_DOC])
    def post(self, data: dict[str, Any]) -> Any:
        """Create a channel (names are unique per workspace, ignoring case)."""
        channel = current_store().create_channel(workspace_id(), ChannelInput.parse(data))
        return created(channel, 201, url_for("channels.ChannelItem", channel_id=channel.id))


@blp.route("/channels/<channel_id>")
class ChannelItem(MethodView):
    """One channel."""

    @blp.response(200, ChannelSchema)
    def get(self, channel_id: str) -> Channel:
        """Get a channel."""
        return current_store().get_channel(workspace_id(), channel_id)

    @blp.arguments(ChannelPatchSchema)
    @blp.response(200, ChannelSchema)
    def patch(self, data: dict[str, Any], channel_id: str) -> Channel:
        """Change some fields of a channel."""
        return current_store().update_channel(workspace_id(), channel_id, ChannelPatch.parse(data))

    @blp.response(204)
    def delete(self, channel_id: str) -> Response:
        """Delete a channel that recommended no one."""
        current_store().delete_channel(workspace_id(), channel_id)
        return Response(status=204)
