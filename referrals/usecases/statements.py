"""A period's statement as every front end asks for it: which facts (a month, or a date range), the
export file of one model or of all of them, and one source's credits deal by deal.

The CLI, the API and the page's downloads all come through here, so the same period, model and
parameters give the same numbers and the same bytes wherever they are asked for.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import TYPE_CHECKING

from referrals.attribution import Model, Params, PeriodFacts, statement
from referrals.errors import Invalid
from referrals.i18n import _
from referrals.model import ClosedMonth, SourceRef
from referrals.reports import FORMATS, render, side_by_side, statement_rows
from referrals.source_statement import SourceStatement, source_statement
from referrals.workbook import statement_workbook

if TYPE_CHECKING:
    from referrals.store import Store


@dataclass(frozen=True)
class Period:
    """The facts of a month or a date range, the closed months whose frozen facts they use, and the
    period's name in titles and file names (`2024-05`, `2024-05-01..2024-06-15`)."""

    facts: PeriodFacts
    closed: tuple[ClosedMonth, ...]
    name: str
    month: str | None

    @property
    def is_closed_month(self) -> bool:
        return self.month is not None and bool(self.closed)


def period(store: Store, ws: str, month: str | None, start: date | None, end: date | None) -> Period:
    """The facts of `month`, or of `start` to `end` (inclusive); Invalid naming the field otherwise."""
    if month and (start or end):
        raise Invalid.one("month", _("give a month, or from and to, not both"))
    if month:
        facts, closed = store.month_facts(ws, month)
        return Period(facts, (closed,) if closed else (), month, month)
    if start and end:
        facts, ranged = store.range_facts(ws, start, end)
        return Period(facts, tuple(ranged), f"{start.isoformat()}..{end.isoformat()}", None)
    missing = "month" if not (start or end) else ("to" if start else "from")
    raise Invalid.one(missing, _("required: a month, or from and to"))


def payers(store: Store, ws: str, facts: PeriodFacts) -> dict[str, str]:
    """The names of the period's payers (one streamed read)."""
    wanted = {deal.client_id for deal, _ in facts.deals}
    with store.stream() as u:
        return {c.id: c.name for c in u.clients.each(ws) if c.id in wanted}


def export(
    store: Store, ws: str, p: Period, model: Model, params: Params, fmt: str, all_models: bool = False
) -> tuple[bytes, int]:
    """The statement file (csv, json or xlsx) and its number of rows. One model's XLSX is the statement
    workbook (a sheet per currency, new clients, deals, parameters); every other file is the rows."""
    if fmt not in FORMATS:
        raise Invalid.one("format", _("one of %(formats)s", formats=", ".join(FORMATS)))
    if all_models:
        columns, rows = side_by_side({m: statement(p.facts, m, params) for m in Model})
        title = f"all models {p.name}"
    else:
        columns, rows = statement_rows(statement(p.facts, model, params))
        title = f"{model.value} {p.name}"
    if fmt == "xlsx" and not all_models:
        data = statement_workbook(p.facts, model, params, p.name, list(p.closed), payers(store, ws, p.facts))
        return data, len(rows)
    return render(columns, rows, fmt, title), len(rows)


def filename(p: Period, model: Model, fmt: str, all_models: bool = False) -> str:
    """The file name a download suggests: `attribution-2024-05-linear.csv`."""
    label = "all-models" if all_models else model.value.replace("_", "-")
    return f"attribution-{p.name.replace('..', '_to_')}-{label}.{fmt}"


def for_source(
    store: Store, ws: str, p: Period, source: SourceRef, name: str, model: Model, params: Params
) -> SourceStatement:
    """One source's credits in the period, deal by deal, with totals per currency."""
    return source_statement(p.facts, source, name, model, params, p.name, p.closed, payers(store, ws, p.facts))
