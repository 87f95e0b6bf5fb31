"""`referrals attribution export`: a month's credits per source, for a spreadsheet or an accountant."""

from __future__ import annotations

import csv
import io
import json
import sys
from pathlib import Path
from typing import Any

import click
from rich.console import Console
from rich.table import Table

from cli.main import CONTEXT, AppContext, cli
from cli.resolve import resolve_workspace, workspace_option
from referrals.attribution import COLUMNS, LEVELS, Model, Params, month_range, row_values, statement


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
