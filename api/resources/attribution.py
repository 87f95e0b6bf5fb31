"""/attribution and /clients/{id}/credits: who brought in how much new business."""

from __future__ import annotations

from typing import Any

from flask import Response
from flask.views import MethodView

from api.auth import workspace_id
from api.heavy import heavy
from api.resources import blueprint
from api.schemas import (
    ClientCreditsSchema,
    ClosedMonthsSchema,
    MonthArgs,
    PeriodArgs,
    SourceStatementSchema,
    StatementExportArgs,
    StatementSchema,
    amounts,
)
from api.store import current_store
from referrals.attribution import DIRECT, HOUSE, Model, Params, credits_of, row_values, statement
from referrals.model import SourceKind, SourceRef
from referrals.money import format_amount
from referrals.usecases import statements

blp = blueprint("attribution", "Credits per source of new business")


def _params(args: dict[str, Any]) -> Params:
    return Params.parse(
        depth=args["depth"], half_life_days=args["half_life_days"], ratio=args["ratio"], rates=args["rates"].split(",")
    )


def _period(args: dict[str, Any]) -> statements.Period:
    return statements.period(current_store(), workspace_id(), args.get("month"), args.get("from_"), args.get("to"))


def _closed(p: statements.Period) -> list[dict[str, str]]:
    return [{"month": c.month, "checksum": c.checksum} for c in p.closed]


@blp.route("/attribution")
class Attribution(MethodView):
    """A month's statement."""

    @blp.arguments(MonthArgs, location="query")
    @blp.response(200, StatementSchema)
    def get(self, args: dict[str, Any]) -> Response:
        """Credits per source and currency for the deals of one calendar month, or of `from` to `to` (closed
        months' days from their frozen facts, the others from the graph): the same numbers as the CLI export.

        Computed once per change of the workspace (cached), at most a few at once per workspace (429).
        """
        request = ("attribution", tuple(sorted((k, str(v)) for k, v in args.items())))
        return heavy(workspace_id(), request, lambda: _statement(args), schema=StatementSchema())


def _statement(args: dict[str, Any]) -> dict[str, Any]:
    p = _period(args)
    rows = statement(p.facts, Model(args["model"]), _params(args))
    return {
        "month": p.month,
        "start": p.facts.start,
        "end": p.facts.end,
        "model": args["model"],
        "closed": p.is_closed_month,
        "checksum": p.closed[0].checksum if p.is_closed_month else None,
        "closed_months": _closed(p),
        "rows": [row_values(r) for r in rows],
    }


MEDIA_TYPES = {
    "csv": "text/csv; charset=utf-8",
    "json": "application/json",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}

_JSON_ROWS = {"type": "array", "items": {"type": "object"}}
EXPORT_DOC = {
    "responses": {
        "200": {
            "description": "the statement file",
            "content": {  # JSON: the statement's rows, the same columns as the CSV
                media: {"schema": _JSON_ROWS if media == "application/json" else {"type": "string"}}
                for media in sorted(set(MEDIA_TYPES.values()))
            },
        }
    }
}


@blp.route("/attribution/export")
class AttributionExport(MethodView):
    """A month's statement as a file."""

    @blp.arguments(StatementExportArgs, location="query")
    @blp.doc(**EXPORT_DOC)
    def get(self, args: dict[str, Any]) -> Response:
        """The statement of a month or a date range as CSV, JSON or the XLSX statement workbook: the same bytes
        as `referrals attribution export` with the same period, model and parameters."""
        p, model, fmt = _period(args), Model(args["model"]), args["format"]
        data, _ = statements.export(current_store(), workspace_id(), p, model, _params(args), fmt, args["all_models"])
        resp = Response(data, mimetype=MEDIA_TYPES[fmt])
        name = statements.filename(p, model, fmt, args["all_models"])
        resp.headers["Content-Disposition"] = f'attachment; filename="{name}"'
        return resp


@blp.route("/attribution/months")
class ClosedMonths(MethodView):
    """Closed months."""

    @blp.response(200, ClosedMonthsSchema)
    def get(self) -> dict[str, Any]:
        """The closed months, oldest first, with their counts and checksums (`referrals attribution months`)."""
        return {"items": current_store().list_closed_months(workspace_id())}


def _source(store: Any, ws: str, source_id: str) -> tuple[SourceRef, str]:
    """A source of credit: a client or channel id, or (direct) / (house)."""
    if source_id in (DIRECT.id, HOUSE.id):
        return (DIRECT if source_id == DIRECT.id else HOUSE), source_id
    if source_id.startswith("ch_"):
        return SourceRef(SourceKind.CHANNEL, source_id), store.get_channel(ws, source_id).name
    return SourceRef(SourceKind.CLIENT, source_id), store.get_client(ws, source_id).name


@blp.route("/attribution/sources/<source_id>")
class SourceCredits(MethodView):
    """One source's statement."""

    @blp.arguments(MonthArgs, location="query")
    @blp.response(200, SourceStatementSchema)
    def get(self, args: dict[str, Any], source_id: str) -> dict[str, Any]:
        """What one client, channel, `(direct)` or `(house)` was credited in a month or a date range, deal by
        deal, with its credit per level: the totals are the source's rows of the statement
        (`referrals attribution statement SOURCE`)."""
        store, ws = current_store(), workspace_id()
        ref, name = _source(store, ws, source_id)
        p = _period(args)
        s = statements.for_source(store, ws, p, ref, name, Model(args["model"]), _params(args))
        per_level: dict[tuple[int, str], int] = {}
        for line in s.lines:
            key = (line.level if line.level is not None else 0, line.currency)
            per_level[key] = per_level.get(key, 0) + line.credit
        payer_ids = {d.id: d.client_id for d, _ in p.facts.deals}
        return {
            "source_type": ref.kind.value if ref not in (DIRECT, HOUSE) else ref.id.strip("()"),
            "source_id": ref.id,
            "name": name,
            "month": p.month,
            "start": p.facts.start,
            "end": p.facts.end,
            "model": args["model"],
            "closed_months": _closed(p),
            "totals": amounts(s.totals),
            "levels": [
                {"level": level or None, **amounts({currency: minor})[0]}
                for (level, currency), minor in sorted(per_level.items())
            ],
            "lines": [
                {
                    "deal_id": line.deal_id,
                    "closed_on": line.closed_on,
                    "payer_id": payer_ids[line.deal_id],
                    "payer": line.payer,
                    "currency": line.currency,
                    "deal_amount": format_amount(line.deal_amount, line.currency),
                    "deal_amount_minor": line.deal_amount,
                    "level": line.level,
                    "credit": format_amount(line.credit, line.currency),
                    "credit_minor": line.credit,
                }
                for line in s.lines
            ],
        }


@blp.route("/clients/<client_id>/credits")
class ClientCredits(MethodView):
    """A client's credits as a source."""

    @blp.arguments(PeriodArgs, location="query")
    @blp.response(200, ClientCreditsSchema)
    def get(self, args: dict[str, Any], client_id: str) -> dict[str, Any]:
        """Every credit the client earned from deals closed from `from` to `to`, with totals per currency."""
        store, ws = current_store(), workspace_id()
        store.get_client(ws, client_id)  # NotFound for an unknown client
        model, params = Model(args["model"]), _params(args)
        p = _period(args)  # closed months' days: their frozen facts
        lines, totals = credits_of(p.facts, client_id, model, params)
        return {
            "client_id": client_id,
            "model": model.value,
            "totals": amounts(totals),
            "lines": [
                {
                    "deal_id": line.deal_id,
                    "level": line.level,
                    "currency": line.currency,
                    "amount": format_amount(line.amount, line.currency),
                    "amount_minor": line.amount,
                }
                for line in lines
            ],
        }
