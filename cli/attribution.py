"""`referrals attribution export`: a month's credits per source, for a spreadsheet or an accountant."""

from __future__ import annotations

import csv
import io
import json
import sys
from datetime import date
from pathlib import Path
from typing import Any

import click
from rich.console import Console
from rich.table import Table

from cli.main import CONTEXT, AppContext, cli
from cli.resolve import resolve_workspace, workspace_option
from referrals.attribution import Model, Params, StatementRow, statement
from referrals.errors import Invalid
from referrals.money import format_amount

LEVELS = 7
COLUMNS = [
    "source_type",
    "source_id",
    "source_name",
    "currency",
    "amount",
    "amount_minor",
    "deals",
    *[f"level_{i}" for i in range(1, LEVELS + 1)],
    "above_level_7",
]


def month_range(text: str) -> tuple[date, date]:
    """YYYY-MM to its first and last day."""
    try:
        year, month = (int(part) for part in text.split("-"))
        start = date(year, month, 1)
    except ValueError:
        raise Invalid.one("month", f"{text!r} is not a month like 2024-05") from None
    end = date(year + (month == 12), month % 12 + 1, 1)
    return start, date.fromordinal(end.toordinal() - 1)


def row_values(row: StatementRow) -> dict[str, Any]:
    """One statement row as export columns (amounts as exact decimal strings)."""
    levels = row.by_level or {}
    cur = row.currency
    out: dict[str, Any] = {
        "source_type": row.source_type,
        "source_id": row.source.id,
        "source_name": row.name,
        "currency": cur,
        "amount": format_amount(row.amount, cur),
        "amount_minor": row.amount,
        "deals": row.deals,
    }
    for i in range(1, LEVELS + 1):
        out[f"level_{i}"] = format_amount(levels.get(i, 0), cur)
    out["above_level_7"] = format_amount(sum(v for k, v in levels.items() if k > LEVELS), cur)
    return out


def render(rows: list[dict[str, Any]], fmt: str) -> bytes:
    """CSV (comma, header, \\n line ends) or JSON (sorted keys, one array); identical for identical data."""
    if fmt == "json":
        return (json.dumps(rows, indent=2, ensure_ascii=False) + "\n").encode()
    buf = io.StringIO()
    writer = csv.DictWriter(buf, fieldnames=COLUMNS, lineterminator="\n")
    writer.writeheader()
    writer.writerows(rows)
    return buf.getvalue().encode()


@cli.group(context_settings=CONTEXT)
def attribution() -> None:
    """Credit every source of new business with its share of the month's deals."""


@attribution.command("export", context_settings=CONTEXT)
@click.option("--month", required=True, help="The calendar month, YYYY-MM.")
@click.option(
    "--model",
    type=click.Choice([m.value for m in Model]),
    default=Model.LINEAR.value,
    show_default=True,
    help="Attribution model or commission plan.",
)
@click.option("--format", "fmt", type=click.Choice(["csv", "json"]), help="File format (default: a table).")
@click.option("--output", "-o", type=click.Path(dir_okay=False, path_type=Path), help="File to write.")
@click.option("--depth", default=7, show_default=True, type=click.IntRange(1, 50), help="Depth cap of the chain.")
@click.option("--half-life", default="30", show_default=True, help="time_decay half-life in days.")
@click.option("--ratio", default="0.5", show_default=True, help="geometric ratio r.")
@click.option("--rates", default="10,5,3,2,1,1,0.5", show_default=True, help="Commission percent per level.")
@workspace_option
@click.pass_obj
def export(
    app: AppContext,
    month: str,
    model: str,
    fmt: str | None,
    output: Path | None,
    depth: int,
    half_life: str,
    ratio: str,
    rates: str,
    workspace: str | None,
) -> None:
    """One row per source and currency: credited amount, deals touched and credit per level."""
    start, end = month_range(month)
    params = Params.parse(depth=depth, half_life_days=half_life, ratio=ratio, rates=rates.split(","))
    ws = resolve_workspace(app.store, workspace)
    rows = [row_values(r) for r in statement(app.store.deals_with_uplines(ws, start, end), Model(model), params)]
    if fmt is None and output is None:
        table = Table(title=f"{model} credits for {month}")
        for col in ("source", "type", "amount", "deals", *[f"L{i}" for i in range(1, LEVELS + 1)]):
            table.add_column(col, justify="left" if col in ("source", "type") else "right")
        for r in rows:
            table.add_row(
                r["source_name"],
                r["source_type"],
                f"{r['amount']} {r['currency']}",
                str(r["deals"]),
                *[r[f"level_{i}"] for i in range(1, LEVELS + 1)],
            )
        Console().print(table)
        return
    data = render(rows, fmt or (output.suffix.lstrip(".") if output and output.suffix in (".csv", ".json") else "csv"))
    if output is None:
        sys.stdout.buffer.write(data)
    else:
        output.write_bytes(data)
        click.echo(f"wrote {len(rows)} rows to {output}", err=True)
