"""`referrals attribution`: a month's credits per source for a spreadsheet or an accountant; closing months."""

from __future__ import annotations

import sys
from datetime import datetime
from pathlib import Path
from typing import Any

import click
from rich.console import Console
from rich.measure import Measurement
from rich.table import Table

from cli.main import CONTEXT, AppContext, FilePath, cli
from cli.resolve import resolve_root, resolve_workspace, workspace_option
from referrals import i18n
from referrals import source_statement as source_statements
from referrals.attribution import LEVELS, Model, Params, statement
from referrals.config import CREDIT_DEPTH, MAX_DEPTH
from referrals.errors import Invalid
from referrals.i18n import N_, _
from referrals.reports import FORMATS, as_dicts, side_by_side, statement_rows
from referrals.usecases import statements


@cli.group(context_settings=CONTEXT)
def attribution() -> None:
    """Credit every source of new business with its share of the month's deals; close finished months."""


def _format(fmt: str | None, output: Path | None) -> str | None:
    """The file format: --format, else the output file's suffix, else csv for a file; None for a table.
    Invalid when --format contradicts a known suffix (an XLSX never lands in a file named .csv), and
    when a workbook would go to a terminal."""
    suffix = output.suffix.lower().lstrip(".") if output is not None else ""
    if fmt:
        fmt = fmt.lower()
        if suffix in FORMATS and suffix != fmt:
            raise Invalid.one(
                "format",
                _(
                    "--format %(format)s, but %(file)s names a %(suffix)s file: drop --format or rename the file",
                    format=fmt,
                    file=output.name,
                    suffix=suffix,
                ),
            )
        if fmt == "xlsx" and output is None and sys.stdout.isatty():
            raise Invalid.one("output", _("an XLSX workbook is binary: give --output FILE.xlsx, or pipe it"))
        return fmt
    if output is None:
        return None
    return suffix if suffix in FORMATS else "csv"


def period_options(f: Any) -> Any:
    """--month or --from/--to, and --model: what every statement command is asked for."""
    for option in reversed(
        (
            click.option("--month", help="The calendar month, YYYY-MM (or a date range with --from and --to)."),
            click.option(
                "--from", "start", type=click.DateTime(["%Y-%m-%d"]), help="First day of a date range, YYYY-MM-DD."
            ),
            click.option(
                "--to", "end", type=click.DateTime(["%Y-%m-%d"]), help="Last day of the range (inclusive), YYYY-MM-DD."
            ),
            click.option(
                "--model",
                type=click.Choice([m.value for m in Model], case_sensitive=False),
                default=Model.LINEAR.value,
                show_default=True,
                help="Attribution model or commission plan.",
            ),
        )
    ):
        f = option(f)
    return f


@attribution.command("export", context_settings=CONTEXT)
@period_options
@click.option("--all-models", is_flag=True, help="Every model side by side: one amount column per model.")
@click.option(
    "--format",
    "fmt",
    type=click.Choice(FORMATS, case_sensitive=False),
    help="File format (default: from the --output suffix, else a table on the terminal).",
)
@click.option("--output", "-o", type=FilePath(dir_okay=False, path_type=Path), help="File to write.")
@click.option(
    "--depth",
    default=CREDIT_DEPTH,
    show_default=True,
    type=click.IntRange(1, MAX_DEPTH),
    help="Credit depth: how many levels of a chain share a deal's credit.",
)
@click.option("--half-life", default="30", show_default=True, help="time_decay half-life in days.")
@click.option("--ratio", default="0.5", show_default=True, help="geometric ratio r.")
@click.option("--rates", default="10,5,3,2,1,1,0.5", show_default=True, help="Commission percent per level.")
@workspace_option
@click.pass_obj
def export(
    app: AppContext,
    month: str | None,
    start: datetime | None,
    end: datetime | None,
    model: str,
    all_models: bool,
    fmt: str | None,
    output: Path | None,
    depth: int,
    half_life: str,
    ratio: str,
    rates: str,
    workspace: str | None,
) -> None:
    """One row per source and currency: credited amount, deals touched, new clients brought that month
    (directly and within seven levels) and credit per level — for --month, or any date range with
    --from and --to.

    A closed month is exported from its frozen facts, so it never changes; an open month follows the
    current graph; a range takes the days of closed months from their frozen facts and the other days
    from the graph. The same data always gives the same bytes.
    """
    params = Params.parse(depth=depth, half_life_days=half_life, ratio=ratio, rates=rates.split(","))
    ws = resolve_workspace(app.store, workspace)
    p = _period(app, ws, month, start, end)
    chosen = _format(fmt, output)
    if chosen is None:
        if all_models:
            columns, rows = side_by_side({m: statement(p.facts, m, params) for m in Model})
            title = _("all models %(period)s", period=p.name)
        else:
            columns, rows = statement_rows(statement(p.facts, Model(model), params))
            title = f"{model_name(model)} {p.name}"
        note = "".join(
            " "
            + _(
                "(%(month)s closed %(day)s, %(checksum)s…)",
                month=c.month,
                day=i18n.format_date(c.closed_at.date()),
                checksum=c.checksum[:19],
            )
            for c in p.closed
        )
        console = Console()
        table = _table(columns, as_dicts(columns, rows), f"{title}{note}", all_models)
        # never squeeze amounts into ellipses: a wide table is printed at its natural width
        needed = Measurement.get(console, console.options.update_width(10_000), table).maximum
        Console(width=max(console.width, needed)).print(table)
        return
    data, count = statements.export(app.store, ws, p, Model(model), params, chosen, all_models)
    if output is None:
        sys.stdout.buffer.write(data)
    else:
        output.write_bytes(data)
        click.echo(
            i18n.ngettext("wrote %(n)s row to %(file)s", "wrote %(n)s rows to %(file)s", count, file=output), err=True
        )


@attribution.command("statement", context_settings=CONTEXT)
@click.argument("source")
@period_options
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["html", "xlsx"], case_sensitive=False),
    help="html (a page to send or print) or xlsx (default: from the --output suffix, else a table).",
)
@click.option("--output", "-o", type=FilePath(dir_okay=False, path_type=Path), help="File to write.")
@click.option(
    "--depth", default=CREDIT_DEPTH, show_default=True, type=click.IntRange(1, MAX_DEPTH), help="Credit depth."
)
@workspace_option
@click.pass_obj
def source_statement_command(
    app: AppContext,
    source: str,
    month: str | None,
    start: datetime | None,
    end: datetime | None,
    model: str,
    fmt: str | None,
    output: Path | None,
    depth: int,
    workspace: str | None,
) -> None:
    """What one person or channel (SOURCE: id, email, phone or name) was credited over a month or a date
    range, deal by deal, with a total per currency: the same totals as that source's rows of
    `attribution export`. Written as HTML or XLSX to send them, or shown as a table."""
    ws = resolve_workspace(app.store, workspace)
    ref, name = resolve_root(app.store, ws, source)
    p = _period(app, ws, month, start, end)
    params = Params.parse(depth=depth)
    chosen = (fmt or (output.suffix.lower().lstrip(".") if output else "")).lower() or None
    if chosen not in (None, "html", "xlsx"):
        raise Invalid.one("output", _("a statement is written as .html or .xlsx"))
    if chosen == "xlsx" and output is None and sys.stdout.isatty():
        raise Invalid.one("output", _("an XLSX workbook is binary: give --output FILE.xlsx, or pipe it"))
    s = statements.for_source(app.store, ws, p, ref, name, Model(model), params)
    if chosen is None:
        table = Table(title=f"{name}: {model_name(model)} {p.name}")
        heads = (_("date"), _("deal"), _("payer"), _("deal amount"), _("level"), _("credit"))
        for i, head in enumerate(heads):
            table.add_column(head, justify="right" if i >= 3 else "left")
        for line in s.lines:
            table.add_row(
                i18n.format_date(line.closed_on),
                line.deal_id,
                line.payer,
                i18n.format_money(line.deal_amount, line.currency),
                "" if line.level is None else str(line.level),
                i18n.format_money(line.credit, line.currency),
            )
        for currency, total in s.totals.items():
            table.add_row(_("total"), "", "", "", "", i18n.format_money(total, currency))
        Console().print(table)
        if not s.lines:
            click.echo(
                _(
                    "%(name)s was credited nothing in %(period)s under %(model)s",
                    name=name,
                    period=p.name,
                    model=model_name(model),
                )
            )
        return
    data = source_statements.to_html(s) if chosen == "html" else source_statements.to_xlsx(s)
    if output is None:
        sys.stdout.buffer.write(data)
    else:
        output.write_bytes(data)
        click.echo(
            i18n.ngettext(
                "wrote %(n)s credit line for %(name)s to %(file)s",
                "wrote %(n)s credit lines for %(name)s to %(file)s",
                len(s.lines),
                name=name,
                file=output,
            ),
            err=True,
        )


def _period(
    app: AppContext, ws: str, month: str | None, start: datetime | None, end: datetime | None
) -> statements.Period:
    """The facts of --month, or of --from/--to."""
    return statements.period(app.store, ws, month, start.date() if start else None, end.date() if end else None)


# A model as a table names it: in English its --model word (titles) or a short column heading.
_MODEL = {
    "first_touch": N_("first_touch"),
    "last_touch": N_("last_touch"),
    "linear": N_("linear"),
    "position_based": N_("position_based"),
    "time_decay": N_("time_decay"),
    "geometric": N_("geometric"),
    "unilevel": N_("unilevel"),
    "unilevel_compressed": N_("unilevel_compressed"),
}
_SHORT = {
    "first_touch": N_("first"),
    "last_touch": N_("last"),
    "linear": N_("linear"),
    "position_based": N_("position"),
    "time_decay": N_("decay"),
    "geometric": N_("geometric"),
    "unilevel": N_("unilevel"),
    "unilevel_compressed": N_("compressed"),
}


def model_name(model: str) -> str:
    """A model's name for people (the --model word in English)."""
    return i18n.lazy(_MODEL[model]) if model in _MODEL else model


_SOURCE_TYPES = {"client": N_("client"), "channel": N_("channel"), "direct": N_("direct"), "house": N_("house")}


_PSEUDO = {"(house)": N_("(house)"), "(direct)": N_("(direct)")}


def _source_name(name: str) -> str:
    """A source's name as the table shows it: the remainder and direct rows in the user's language."""
    return i18n.lazy(_PSEUDO[name]) if name in _PSEUDO else name


def _source_type(kind: str) -> str:
    """A source's type as the table shows it (the exports keep the machine value)."""
    return i18n.lazy(_SOURCE_TYPES[kind]) if kind in _SOURCE_TYPES else kind


def _table(columns: list[str], rows: list[dict[str, Any]], title: str, all_models: bool) -> Table:
    """A terminal table: the source column never wraps; credit per level shares one column."""
    table = Table(title=title)
    table.add_column(_("source"), no_wrap=True)
    table.add_column(_("type"))
    if all_models:
        table.add_column(_("cur"))
        table.add_column(_("new"), justify="right")
        for model in columns[6:]:
            table.add_column(i18n.lazy(_SHORT[model]) if model in _SHORT else model, justify="right", no_wrap=True)
        for r in rows:
            table.add_row(
                _source_name(r["source_name"]),
                _source_type(r["source_type"]),
                r["currency"] or "",
                i18n.format_number(r["new_clients"]),
                *[i18n.format_amount_text(r[m]) if r[m] else "" for m in columns[6:]],
            )
        return table
    table.add_column(_("amount"), justify="right", no_wrap=True)
    for head in (_("deals"), _("new L1"), _("new L1-7")):
        table.add_column(head, justify="right")
    table.add_column(_("by level"))
    for r in rows:
        levels = [
            f"L{i} {i18n.format_amount_text(r[f'level_{i}'])}"
            for i in range(1, LEVELS + 1)
            if r[f"level_{i}"].strip("0.-")
        ]
        if r["above_level_7"].strip("0.-"):
            levels.append(f">L7 {i18n.format_amount_text(r['above_level_7'])}")
        table.add_row(
            _source_name(r["source_name"]),
            _source_type(r["source_type"]),
            i18n.format_amount_text(r["amount"], r["currency"]) if r["currency"] else "-",
            i18n.format_number(r["deals"]),
            i18n.format_number(r["new_clients_level_1"]),
            i18n.format_number(r["new_clients"]),
            ", ".join(levels),
        )
    return table


@attribution.command("close", context_settings=CONTEXT)
@click.option("--month", required=True, help="The calendar month to close, YYYY-MM.")
@workspace_option
@click.pass_obj
def close(app: AppContext, month: str, workspace: str | None) -> None:
    """Freeze a month: its deals and the chains that credit them are stored with a checksum.

    Later changes to the graph no longer change the month's statement, and its deals can no longer be
    created, changed or deleted until it is reopened.
    """
    ws = resolve_workspace(app.store, workspace)
    closed = app.store.close_month(ws, month)
    click.echo(
        _(
            "closed %(month)s: %(deals)s, %(clients)s, %(checksum)s",
            month=closed.month,
            deals=i18n.count("deals", closed.deals),
            clients=i18n.ngettext("%(n)s new client", "%(n)s new clients", closed.new_clients),
            checksum=closed.checksum,
        )
    )


@attribution.command("reopen", context_settings=CONTEXT)
@click.option("--month", required=True, help="The calendar month to reopen, YYYY-MM.")
@workspace_option
@click.pass_obj
def reopen(app: AppContext, month: str, workspace: str | None) -> None:
    """Drop a closed month's frozen facts: its statement follows the current graph again."""
    ws = resolve_workspace(app.store, workspace)
    app.store.reopen_month(ws, month)
    click.echo(_("reopened %(month)s", month=month))


@attribution.command("months", context_settings=CONTEXT)
@workspace_option
@click.pass_obj
def months(app: AppContext, workspace: str | None) -> None:
    """List the closed months with their counts and checksums."""
    ws = resolve_workspace(app.store, workspace)
    table = Table(title=_("closed months"))
    for head in (_("month"), _("closed at"), _("deals"), _("new clients"), _("checksum")):
        table.add_column(head)
    for m in app.store.list_closed_months(ws):
        table.add_row(
            m.month,
            f"{i18n.format_date(m.closed_at.date())} {m.closed_at:%H:%M:%S}",
            i18n.format_number(m.deals),
            i18n.format_number(m.new_clients),
            m.checksum,
        )
    Console().print(table)
