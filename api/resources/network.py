"""Chains, trees, analysis and graph exports: word of mouth traced to the seventh level."""

from __future__ import annotations

from datetime import date
from typing import Any

from flask import Response
from flask.views import MethodView

from api.auth import workspace_id
from api.heavy import heavy, streamed
from api.resources import blueprint
from api.schemas import (
    ChainSchema,
    ClientStatsSchema,
    DepthArgs,
    ExportArgs,
    GrowthArgs,
    GrowthSchema,
    InfluenceArgs,
    InfluenceSchema,
    KeyClientArgs,
    KeyClientsSchema,
    SummarySchema,
    TreesArgs,
    TreeSchema,
    TreesSchema,
    amounts,
)
from api.store import current_store
from referrals import analysis, clock, network_file
from referrals.config import view_depth
from referrals.exports import EXTENSIONS, MEDIA_TYPES, GraphFormat, export
from referrals.growth import to_json as growth_json
from referrals.influence import influence
from referrals.influence import to_json as influence_json
from referrals.model import Beyond, Chain, SourceKind, SourceRef, Tree
from referrals.money import format_amount

blp = blueprint("network", "Chains, trees and network analysis")

EXPORT_DOC = {
    "responses": {
        "200": {
            "description": "the graph as a file in the requested format",
            "content": {
                media: {"schema": {"type": "object"} if media == "application/json" else {"type": "string"}}
                for media in sorted(set(MEDIA_TYPES.values()))
            },
        }
    }
}


def _depth(args: dict[str, Any]) -> int | None:
    return view_depth(args.get("depth"))


def chain_body(chain: Chain, depth: int | None) -> dict[str, Any]:
    """A chain as the API shows it."""
    return {
        "client_id": chain.client_id,
        "depth": depth,
        "levels": chain.levels,
        "truncated": chain.truncated,
        "top": _step(chain.top) if chain.top else None,
        "steps": [_step(s) for s in chain.steps],
    }


def beyond_body(beyond: Beyond) -> dict[str, Any]:
    """What a view cut at a depth leaves out."""
    return {"clients": beyond.clients, "revenue": amounts(beyond.revenue)}


def _step(s: Any) -> dict[str, Any]:
    return {
        "level": s.level,
        "source_kind": s.source.kind.value,
        "source_id": s.source.id,
        "name": s.name,
        "referral_id": s.referral_id,
        "referred_on": s.referred_on,
    }


def _branch(b: analysis.Branch) -> dict[str, Any]:
    n = b.node
    return {
        "id": n.client_id,
        "name": n.name,
        "status": n.status.value,
        "level": n.level,
        "referral_id": n.referral_id,
        "referred_on": n.referred_on,
        "referred": n.referred,
        "dead_end": b.dead_end,
        "revenue": amounts(n.revenue),
        "branch_revenue": amounts(b.branch_revenue),
        "branch_size": b.branch_size,
        "past_credit_depth": b.past_credit_depth,
        "beyond": beyond_body(n.beyond) if n.beyond else None,
        "children": [_branch(c) for c in b.children],
    }


def tree_body(tree: Tree) -> dict[str, Any]:
    """A tree nested by level, with per-node and per-branch counts and revenue."""
    return {
        "root": {
            "kind": tree.root.kind.value,
            "id": tree.root.id,
            "name": tree.name,
            "revenue": amounts(tree.revenue),
            "referred": tree.referred,
        },
        "depth": tree.depth,
        "size": analysis.tree_size(tree),
        "shown": len(tree.nodes),
        "beyond": beyond_body(tree.beyond),
        "reach_per_level": analysis.reach_per_level(tree),
        "revenue": amounts(analysis.tree_revenue(tree)),
        "dead_ends": sum(1 for n in tree.nodes if n.referred == 0),
        "children": [_branch(b) for b in analysis.nest(tree)],
    }


def export_response(body: str | bytes, fmt: GraphFormat, name: str) -> Response:
    """A graph file (the text `export` made) as a download."""
    resp = Response(body, mimetype=MEDIA_TYPES[fmt])
    resp.headers["Content-Disposition"] = f'attachment; filename="{name}.{EXTENSIONS[fmt]}"'
    return resp


def tree_export(root: SourceRef, args: dict[str, Any]) -> Response:
    """One tree as a graph file; a client's tree names the channel at the top of its chain."""
    store, ws = current_store(), workspace_id()
    tree = store.tree(ws, root, _depth(args), args["as_of"])
    top_channel = ""
    if root.kind is SourceKind.CLIENT:
        top_channel = analysis.top_channel(store.chain(ws, root.id, as_of=args["as_of"]))
    fmt = GraphFormat(args["format"])
    return export_response(export(analysis.tree_graph(tree, top_channel), fmt), fmt, f"tree-{root.id}")


@blp.route("/clients/<client_id>/chain")
class ClientChain(MethodView):
    """Upstream chain."""

    @blp.arguments(DepthArgs, location="query")
    @blp.response(200, ChainSchema)
    def get(self, args: dict[str, Any], client_id: str) -> dict[str, Any]:
        """Who brought this client in, level by level up to a root client or a channel (default 7 levels)."""
        depth = _depth(args)
        return chain_body(current_store().chain(workspace_id(), client_id, depth, args["as_of"]), depth)


@blp.route("/clients/<client_id>/tree")
class ClientTree(MethodView):
    """Downstream tree of a client."""

    @blp.arguments(DepthArgs, location="query")
    @blp.response(200, TreeSchema)
    def get(self, args: dict[str, Any], client_id: str) -> dict[str, Any]:
        """Everything this client brought in, nested by level, with revenue of each node and branch."""
        root = SourceRef(SourceKind.CLIENT, client_id)
        return tree_body(current_store().tree(workspace_id(), root, _depth(args), args["as_of"]))


@blp.route("/channels/<channel_id>/tree")
class ChannelTree(MethodView):
    """Downstream tree of a channel."""

    @blp.arguments(DepthArgs, location="query")
    @blp.response(200, TreeSchema)
    def get(self, args: dict[str, Any], channel_id: str) -> dict[str, Any]:
        """Everything this channel brought in, nested by level, with revenue of each node and branch."""
        root = SourceRef(SourceKind.CHANNEL, channel_id)
        return tree_body(current_store().tree(workspace_id(), root, _depth(args), args["as_of"]))


@blp.route("/clients/<client_id>/tree/export")
class ClientTreeExport(MethodView):
    """A client's tree as a graph file."""

    @blp.arguments(ExportArgs, location="query")
    @blp.doc(**EXPORT_DOC)
    def get(self, args: dict[str, Any], client_id: str) -> Response:
        """GraphML, GEXF, DOT, Mermaid or JSON of this client's tree."""
        return tree_export(SourceRef(SourceKind.CLIENT, client_id), args)


@blp.route("/channels/<channel_id>/tree/export")
class ChannelTreeExport(MethodView):
    """A channel's tree as a graph file."""

    @blp.arguments(ExportArgs, location="query")
    @blp.doc(**EXPORT_DOC)
    def get(self, args: dict[str, Any], channel_id: str) -> Response:
        """GraphML, GEXF, DOT, Mermaid or JSON of this channel's tree."""
        return tree_export(SourceRef(SourceKind.CHANNEL, channel_id), args)


@blp.route("/clients/<client_id>/stats")
class ClientStats(MethodView):
    """A client's place in the network."""

    @blp.arguments(DepthArgs, location="query")
    @blp.response(200, ClientStatsSchema)
    def get(self, args: dict[str, Any], client_id: str) -> dict[str, Any]:
        """Level in its chain, reach per level, dead ends below, own and branch revenue."""
        store, ws = current_store(), workspace_id()
        depth = _depth(args)
        chain = store.chain(ws, client_id, as_of=args["as_of"])
        tree = store.tree(ws, SourceRef(SourceKind.CLIENT, client_id), depth, args["as_of"])
        return {
            "client_id": client_id,
            "name": tree.name,
            "level": chain.levels,
            "top_of_chain": _step(chain.top) if chain.top else None,
            "referred": tree.referred,
            "reach": analysis.tree_size(tree),
            "reach_per_level": analysis.reach_per_level(tree),
            "dead_ends_below": sum(1 for n in tree.nodes if n.referred == 0),
            "own_revenue": amounts(tree.revenue),
            "branch_revenue": amounts(analysis.tree_revenue(tree)),
            "depth": depth,
            "beyond": beyond_body(tree.beyond),
        }


@blp.route("/network/summary")
class NetworkSummary(MethodView):
    """The workspace at a glance."""

    @blp.arguments(DepthArgs, location="query")
    @blp.response(200, SummarySchema)
    def get(self, args: dict[str, Any]) -> Response:
        """Counts, where clients came from, the longest chain, dead ends and the most prolific referrers.

        Computed once per change of the workspace (cached), at most a few at once per workspace (429).
        """
        ws, depth, as_of = workspace_id(), _depth(args), args["as_of"]
        return heavy(ws, ("summary", depth, as_of), lambda: _summary(ws, depth, as_of), schema=SummarySchema())


def _summary(ws: str, depth: int | None, as_of: date | None) -> dict[str, Any]:
    s, first_day = current_store().network_summary(ws, depth, as_of)
    total = s.clients or 1
    return {
        "first_day": first_day,
        **{
            k: getattr(s, k)
            for k in (
                "clients",
                "channels",
                "primary_referrals",
                "secondary_referrals",
                "from_referral",
                "from_channel",
                "direct",
                "dead_ends",
                "longest_chain",
                "longest_chain_client",
                "clients_by_level",
            )
        },
        "share_from_referral": round(s.from_referral / total, 4),
        "share_from_channel": round(s.from_channel / total, 4),
        "share_direct": round(s.direct / total, 4),
        "revenue": amounts(s.revenue),
        "prolific_referrers": [
            {"client_id": cid, "name": name, "referred": referred, "reach": reach}
            for cid, name, referred, reach in s.prolific
        ],
    }


@blp.route("/network/key-clients")
class KeyClients(MethodView):
    """Key clients."""

    @blp.arguments(KeyClientArgs, location="query")
    @blp.response(200, KeyClientsSchema)
    def get(self, args: dict[str, Any]) -> Response:
        """Clients ranked by own revenue, the revenue they brought in, and reach (weights tunable).

        Computed once per change of the workspace (cached), at most a few at once per workspace (429).
        """
        from referrals.money import parse_currency

        depth = _depth(args)
        currency = parse_currency(args["currency"]) if args.get("currency") else None
        weights = analysis.Weights(args["w_own"], args["w_downline"], args["w_reach"])
        ws = workspace_id()
        as_of = args["as_of"]
        request = ("key-clients", depth, currency, weights, args["limit"], as_of)
        return heavy(
            ws,
            request,
            lambda: _key_clients(ws, currency, weights, depth, args["limit"], as_of),
            schema=KeyClientsSchema(),
        )


def _key_clients(
    ws: str, currency: str | None, weights: analysis.Weights, depth: int | None, limit: int, as_of: date | None
) -> dict[str, Any]:
    currency, paid_in, ranked = current_store().key_clients(ws, currency, weights, depth, limit, as_of)

    def money(minor: int) -> dict[str, Any] | None:
        if currency is None:
            return None
        return {"currency": currency, "amount": format_amount(minor, currency), "amount_minor": minor}

    return {
        "currency": currency,
        "currencies": paid_in,
        "depth": depth,
        "weights": {"own": weights.own, "downline": weights.downline, "reach": weights.reach},
        "items": [
            {
                "client_id": k.client_id,
                "name": k.name,
                "score": k.score,
                "own_revenue": money(k.own_revenue),
                "downline_revenue": money(k.downline_revenue),
                "reach": k.reach,
                "referred": k.referred,
                "own_by_currency": amounts(k.own_by_currency),
                "downline_by_currency": amounts(k.downline_by_currency),
            }
            for k in ranked
        ],
    }


@blp.route("/network/growth")
class NetworkGrowth(MethodView):
    """How word of mouth grows."""

    @blp.arguments(GrowthArgs, location="query")
    @blp.response(200, GrowthSchema)
    def get(self, args: dict[str, Any]) -> Response:
        """Monthly cohorts of new clients (origin, viral coefficient K, referral conversion, days to the
        first deal, the month's revenue by origin), each root channel's cascade depth, and first-year
        revenue of referred, channel and direct clients.

        Computed once per change of the workspace (cached), at most a few at once per workspace (429).
        """
        ws = workspace_id()
        request = ("growth", args["months"], args["to"], args["window"], clock.now().date())
        return heavy(
            ws,
            request,
            lambda: growth_json(current_store().network_growth(ws, args["months"], args["window"], args["to"])),
            schema=GrowthSchema(),
        )


@blp.route("/network/influence")
class NetworkInfluence(MethodView):
    """Who matters and where it stops."""

    @blp.arguments(InfluenceArgs, location="query")
    @blp.response(200, InfluenceSchema)
    def get(self, args: dict[str, Any]) -> Response:
        """Clients by the downline revenue they unlocked (with and without their own), bridge clients
        (whom others would be orphaned without), sleeping referrers, and dead ends ranked by what the
        chain above them paid. Definitions: README "Who matters and where it stops".

        Computed once per change of the workspace (cached), at most a few at once per workspace (429).
        """
        from referrals.money import parse_currency

        currency = parse_currency(args["currency"]) if args.get("currency") else None
        ws = workspace_id()
        as_of = args["as_of"]
        day = as_of or clock.now().date()
        request = ("influence", args["months"], args["limit"], currency, as_of, day)
        return heavy(
            ws,
            request,
            lambda: influence_json(
                influence(current_store().snapshot(ws, as_of), day, args["months"], currency, args["limit"])
            ),
            schema=InfluenceSchema(),
        )


@blp.route("/network/trees")
class NetworkTrees(MethodView):
    """The network's trees."""

    @blp.arguments(TreesArgs, location="query")
    @blp.response(200, TreesSchema)
    def get(self, args: dict[str, Any]) -> Response:
        """Each tree of the network by its top (a channel, or a client nobody brought in), biggest first.

        Listed trees and `beyond` (those left out) add up to the workspace's clients and revenue.
        Computed once per change of the workspace (cached), at most a few at once per workspace (429).
        """
        ws, limit, as_of = workspace_id(), args["limit"], args["as_of"]
        return heavy(ws, ("trees", limit, as_of), lambda: _trees(ws, limit, as_of), schema=TreesSchema())


def _trees(ws: str, limit: int, as_of: date | None) -> dict[str, Any]:
    every = analysis.trees(current_store().snapshot(ws, as_of))
    listed, rest = every[:limit], every[limit:]
    total: analysis.Amounts = {}
    rest_revenue: analysis.Amounts = {}
    for t in every:
        analysis.add_amounts(total, t.revenue)
    for t in rest:
        analysis.add_amounts(rest_revenue, t.revenue)
    return {
        "trees": len(every),
        "clients": sum(t.clients for t in every),
        "revenue": amounts(total),
        "items": [
            {
                "kind": t.kind.value,
                "id": t.id,
                "name": t.name,
                "clients": t.clients,
                "nodes": t.nodes,
                "revenue": amounts(t.revenue),
            }
            for t in listed
        ],
        "beyond": {"trees": len(rest), "clients": sum(t.clients for t in rest), "revenue": amounts(rest_revenue)},
    }


@blp.route("/network/export")
class NetworkExport(MethodView):
    """The whole workspace as a graph file."""

    @blp.arguments(ExportArgs, location="query")
    @blp.doc(**EXPORT_DOC)
    def get(self, args: dict[str, Any]) -> Response:
        """GraphML, GEXF, DOT, Mermaid or JSON of every client, channel and recommendation.

        Today's GraphML and GEXF are sent as they are written (chunked, from one read of the store), so
        the download begins at once at any size; a download cut short is an unfinished XML file."""
        ws, fmt, as_of = workspace_id(), GraphFormat(args["format"]), args["as_of"]
        name = f"referrals-{ws}" + (f"-as-of-{as_of.isoformat()}" if as_of else "")
        if fmt in network_file.STREAMED and as_of is None:
            resp = streamed(ws, current_store().network_file(ws, fmt), MEDIA_TYPES[fmt])
            resp.headers["Content-Disposition"] = f'attachment; filename="{name}.{EXTENSIONS[fmt]}"'
            return resp
        body = heavy(
            ws,
            ("export", fmt, as_of),
            lambda: export(analysis.network_graph(current_store().snapshot(ws, as_of)), fmt),
            keep=False,  # a file, possibly big: cached in this process only
        )
        return export_response(body, fmt, name)
