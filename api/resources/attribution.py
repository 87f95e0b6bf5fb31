"""/attribution and /clients/{id}/credits: who brought in how much new business."""

from __future__ import annotations

from typing import Any

from flask.views import MethodView

from api.auth import workspace_id
from api.resources import blueprint
from api.schemas import ClientCreditsSchema, MonthArgs, PeriodArgs, StatementSchema, amounts
from api.store import current_store
from referrals.attribution import Model, Params, credits_of, row_values, statement
from referrals.errors import Invalid
from referrals.money import format_amount

blp = blueprint("attribution", "Credits per source of new business")


def _params(args: dict[str, Any]) -> Params:
    return Params.parse(
        depth=args["depth"], half_life_days=args["half_life_days"], ratio=args["ratio"], rates=args["rates"].split(",")
    )


@blp.route("/attribution")
class Attribution(MethodView):
    """A month's statement."""

    @blp.arguments(MonthArgs, location="query")
    @blp.response(200, StatementSchema)
    def get(self, args: dict[str, Any]) -> dict[str, Any]:
        """Credits per source and currency for the deals of one calendar month, or of `from` to `to` (closed
        months' days from their frozen facts, the others from the graph): the same numbers as the CLI export."""
        store, ws = current_store(), workspace_id()
        month, start, end = args.get("month"), args.get("from_"), args.get("to")
        if month and (start or end):
            raise Invalid.one("month", "give month or from/to, not both")
        if month:
            facts, one = store.month_facts(ws, month)
            closed = [one] if one else []
        elif start and end:
            facts, closed = store.range_facts(ws, start, end)
        else:
            raise Invalid.one(
                "month" if not (start or end) else ("to" if start else "from"), "required: month, or from and to"
            )
        rows = statement(facts, Model(args["model"]), _params(args))
        return {
            "month": month,
            "start": facts.start,
            "end": facts.end,
            "model": args["model"],
            "closed": bool(month and closed),
            "checksum": closed[0].checksum if month and closed else None,
            "closed_months": [{"month": c.month, "checksum": c.checksum} for c in closed],
            "rows": [row_values(r) for r in rows],
        }


@blp.route("/clients/<client_id>/credits")
class ClientCredits(MethodView):
    """A client's credits as a source."""

    @blp.arguments(PeriodArgs, location="query")
    @blp.response(200, ClientCreditsSchema)
    def get(self, args: dict[str, Any], client_id: str) -> dict[str, Any]:
        """Every credit the client earned from deals closed from `from` to `to`, with totals per currency."""
        if args["from_"] > args["to"]:
            raise Invalid.one("to", "must not be before from")
        store, ws = current_store(), workspace_id()
        store.get_client(ws, client_id)  # NotFound for an unknown client
        model, params = Model(args["model"]), _params(args)
        facts, _ = store.range_facts(ws, args["from_"], args["to"])  # closed months' days: their frozen facts
        lines, totals = credits_of(facts, client_id, model, params)
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
