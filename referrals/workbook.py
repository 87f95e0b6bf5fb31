"""The attribution statement as a workbook an accountant can open as it is.

Sheets, in order:

* one per currency (`EUR`, `USD`, …): each source's credit, the deals that credited it and the credit by
  level, human headers, amounts as numbers in the currency's own format, a frozen header, an
  autofilter and a **Total** row (sums of exact integer credits, written as values);
* **New clients**: per source, the clients it recommended directly and those within the credit depth
  (counted once per source); its total of direct recommendations is the number of new clients;
* **Deals**: one line per deal and credited source — deal, date, payer, deal amount, currency, model,
  source, level, credit — so each currency's credits add up to its sheet's total;
* **Parameters**: period, model, credit depth, half-life, ratio, rates, and where the numbers come from
  (the current graph, or a closed month's frozen facts with their checksum).

Document properties carry a title, subject and keywords; the document date is the period's last day
(the data's, not the export's), so the same data gives the same bytes. Names are text cells, never
formulas. The machine column names stay in CSV and JSON (referrals/reports.py).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from decimal import Decimal
from fractions import Fraction
from typing import Any

from referrals.attribution import LEVELS, Model, Params, PeriodFacts, StatementRow, credit, statement
from referrals.i18n import N_, _, current, lazy
from referrals.model import ClosedMonth
from referrals.money import format_amount
from referrals.reports import amount_format, workbook_bytes

SOURCE_TYPES = {"client": N_("Client"), "channel": N_("Channel"), "direct": N_("Direct"), "house": N_("House")}


def _type(kind: str) -> str:
    return lazy(SOURCE_TYPES[kind])


def _date_format() -> str:
    """How a date cell is shown: as the reader's language writes days."""
    return "dd.mm.yyyy" if current() == "ru" else "yyyy-mm-dd"


def _num(value: Fraction) -> str:
    """A parameter as a decimal: 30, 0.5, 0.1 (rates are shown in percent by the caller)."""
    return format(Decimal(value.numerator) / Decimal(value.denominator), "f").rstrip("0").rstrip(".") or "0"


def _money(minor: int, currency: str) -> Decimal:
    return Decimal(format_amount(minor, currency))


def _sheet(wb: Any, title: str, head: Sequence[str], rows: Sequence[Sequence[Any]], formats: Mapping[int, str]) -> Any:
    from openpyxl.styles import Font
    from openpyxl.utils import get_column_letter

    sheet = wb.create_sheet(title[:31])
    sheet.append(list(head))
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    sheet.freeze_panes = "A2"
    for row in rows:
        sheet.append(list(row))
        for index, cell in enumerate(sheet[sheet.max_row]):
            if isinstance(cell.value, str):
                cell.data_type = "s"  # text stays text, never a formula
            elif index in formats and cell.value is not None:
                cell.number_format = formats[index]
    if rows:
        sheet.auto_filter.ref = f"A1:{get_column_letter(len(head))}{len(rows) + 1}"
    for index, name in enumerate(head, 1):
        width = max([len(str(name))] + [len(str(r[index - 1])) for r in rows if index <= len(r)])
        sheet.column_dimensions[get_column_letter(index)].width = min(width + 2, 50)
    return sheet


def _total_row(sheet: Any, values: Sequence[Any], formats: Mapping[int, str]) -> None:
    from openpyxl.styles import Font

    sheet.append(list(values))
    for index, cell in enumerate(sheet[sheet.max_row]):
        cell.font = Font(bold=True)
        if index in formats and cell.value is not None:
            cell.number_format = formats[index]


def statement_workbook(
    facts: PeriodFacts,
    model: Model,
    params: Params,
    period: str,
    closed: Sequence[ClosedMonth] = (),
    payers: Mapping[str, str] | None = None,
) -> bytes:
    """The workbook of one model's statement for `period` (see the module's docstring)."""
    from openpyxl import Workbook

    rows = statement(facts, model, params)
    payers = payers or {}
    wb = Workbook()
    first = wb.active
    assert first is not None
    wb.remove(first)
    by_currency: dict[str, list[StatementRow]] = {}
    for r in rows:
        if r.currency:
            by_currency.setdefault(r.currency, []).append(r)
    levels = [_("Level %(n)s", n=i) for i in range(1, LEVELS + 1)]
    for currency in sorted(by_currency):
        money = amount_format(currency) + f' "{currency}"'
        head = [
            _("Source"),
            _("Type"),
            _("Credit (%(currency)s)", currency=currency),
            _("Deals"),
            *levels,
            _("Above level %(n)s", n=LEVELS),
        ]
        body = []
        for r in by_currency[currency]:
            by_level = [_money(r.by_level.get(i, 0), currency) for i in range(1, LEVELS + 1)]
            above = _money(sum(v for k, v in r.by_level.items() if k > LEVELS), currency)
            body.append([r.name, _type(r.source_type), _money(r.amount, currency), r.deals, *by_level, above])
        formats = {2: money, **dict.fromkeys(range(4, 5 + LEVELS), money)}
        sheet = _sheet(wb, currency, head, body, formats)
        total = [
            _("Total"),
            None,
            _money(sum(r.amount for r in by_currency[currency]), currency),
            None,
            *(_money(sum(r.by_level.get(i, 0) for r in by_currency[currency]), currency) for i in range(1, LEVELS + 1)),
            _money(sum(v for r in by_currency[currency] for k, v in r.by_level.items() if k > LEVELS), currency),
        ]
        _total_row(sheet, total, formats)

    counted = [r for r in rows if r.new_clients]
    sheet = _sheet(
        wb,
        _("New clients"),
        [_("Source"), _("Type"), _("Recommended directly"), _("Within %(n)s levels", n=params.depth)],
        [[r.name, _type(r.source_type), r.new_clients_level_1, r.new_clients] for r in counted],
        {},
    )
    _total_row(sheet, [_("Total new clients"), None, len(facts.arrivals), None], {})

    lines = []
    for deal, upline in facts.deals:
        for c in credit(deal, upline, model, params):
            lines.append(
                [
                    deal.id,
                    deal.closed_on,
                    payers.get(deal.client_id, deal.client_id),
                    _money(deal.amount, deal.currency),
                    deal.currency,
                    model.value,
                    c.name,
                    c.level if c.level is not None else "",
                    _money(c.amount, c.currency),
                ]
            )
    deal_head = [
        _("Deal"),
        _("Date"),
        _("Payer"),
        _("Deal amount"),
        _("Currency"),
        _("Model"),
        _("Source"),
        _("Level"),
        _("Credit"),
    ]
    sheet = _sheet(wb, _("Deals"), deal_head, lines, {1: _date_format(), 3: "#,##0.00", 8: "#,##0.00"})
    for row in sheet.iter_rows(min_row=2):
        currency = row[4].value
        for cell in (row[3], row[8]):
            cell.number_format = amount_format(currency)

    source = (
        "; ".join(
            _(
                "%(month)s: frozen facts closed %(at)s UTC, sha256 %(checksum)s",
                month=c.month,
                at=f"{c.closed_at:%Y-%m-%d %H:%M}",
                checksum=c.checksum,
            )
            for c in closed
        )
        if closed
        else _("the current graph (the period has no closed month)")
    )
    parameters = [
        [_("Period"), period],
        [_("From"), facts.start],
        [_("To"), facts.end],
        [_("Model"), model.value],
        [_("Credit depth (levels)"), params.depth],
        [_("Half-life (days, time_decay)"), _num(params.half_life_days)],
        [_("Ratio (geometric)"), _num(params.ratio)],
        [_("Rates (% per level, commission plans)"), ", ".join(_num(r * 100) for r in params.rates)],
        [_("Deals"), len(facts.deals)],
        [_("New clients"), len(facts.arrivals)],
        [_("Numbers from"), source],
    ]
    name = _("Parameters")
    _sheet(wb, name, [_("Parameter"), _("Value")], parameters, {})
    wb[name]["B3"].number_format = wb[name]["B2"].number_format = _date_format()

    props = wb.properties
    props.title = _("Attribution statement %(period)s (%(model)s)", period=period, model=model.value)
    props.subject = _("credit per source of new business")
    props.keywords = f"attribution, {model.value}, {period}"
    props.description = source
    return workbook_bytes(wb, facts.end)
