"""Chains, trees, statistics and graph exports in the terminal."""

from __future__ import annotations

import json
import sys
from datetime import date, datetime
from pathlib import Path
from typing import Any

import click
from rich.console import Console
from rich.measure import Measurement
from rich.table import Table
from rich.tree import Tree as RichTree

from cli.main import CONTEXT, AppContext, cli
from cli.resolve import resolve_client, resolve_root, resolve_workspace, workspace_option
from referrals import analysis, growth
from referrals.config import CREDIT_DEPTH, MAX_DEPTH
from referrals.errors import Invalid
from referrals.exports import BINARY, IMAGE_FORMATS, GraphFormat, export, render_image
from referrals.model import Beyond, SourceKind, SourceRef
from referrals.money import format_amount


def money(amounts: dict[str, int]) -> str:
    """Per-currency totals as "1250.00 EUR + 300 JPY", or "-" when empty."""
    return " + ".join(f"{format_amount(m, c)} {c}" for c, m in sorted(amounts.items())) or "-"


def depth_option(f: Any) -> Any:
    """--depth of a view: how many levels to show (all by default); what lies beyond is summed up."""
    return click.option(
        "--depth",
        "-d",
        type=click.IntRange(1, MAX_DEPTH),
        default=None,
        help=f"Show at most this many levels, 1 to {MAX_DEPTH} (default: all); what lies beyond is counted.",
    )(f)


def _to_date(ctx: click.Context, param: click.Parameter, value: datetime | None) -> date | None:
    return value.date() if value else None


def as_of_option(f: Any) -> Any:
    """--as-of of a view: the network as it stood at the end of that day (default: today)."""
    return click.option(
        "--as-of",
        "as_of",
        type=click.DateTime(["%Y-%m-%d"]),
        callback=_to_date,
        help="Show the network as it stood at the end of this day, YYYY-MM-DD: clients acquired and"
        " recommendations dated by then, each client's primary source of that day, revenue to that day.",
    )(f)


def as_of_text(as_of: date | None) -> str:
    return f" as of {as_of.isoformat()}" if as_of else ""


def beyond_text(beyond: Beyond, depth: int | None) -> str:
    """ "past level 7: 3 clients, revenue 2000.50 EUR" """
    return f"past level {depth}: {beyond.clients} clients, revenue {money(dict(beyond.revenue))}"


@cli.command(context_settings=CONTEXT)
@click.argument("client")
@depth_option
@as_of_option
@workspace_option
@click.pass_obj
def chain(app: AppContext, client: str, depth: int | None, as_of: date | None, workspace: str | None) -> None:
    """Show who brought CLIENT in, level by level (CLIENT: id, email, phone or exact name)."""
    ws = resolve_workspace(app.store, workspace)
    c = resolve_client(app.store, ws, client)
    result = app.store.chain(ws, c.id, depth, as_of)
    console = Console()
    table = Table(title=f"Chain of {c.name} ({c.id}){as_of_text(as_of)}")
    for col in ("level", "source", "kind", "id", "recommended on"):
        table.add_column(col)
    for s in result.steps:
        table.add_row(str(s.level), s.name, s.source.kind.value, s.source.id, s.referred_on.isoformat())
    console.print(table)
    if not result.steps:
        console.print("no recorded source: a direct client")
    elif result.truncated and result.top is not None:
        console.print(
            f"the chain goes on above level {depth}: {result.levels} levels in all, up to {result.top.name}"
            f" ({result.top.source.kind.value}); drop --depth to see every level"
        )


@cli.command(context_settings=CONTEXT)
@click.argument("root")
@depth_option
@click.option(
    "--max-nodes",
    default=200,
    show_default=True,
    type=click.IntRange(1, 100_000),
    help="Draw at most this many clients; the rest are summarised per branch.",
)
@as_of_option
@workspace_option
@click.pass_obj
def tree(
    app: AppContext, root: str, depth: int | None, max_nodes: int, as_of: date | None, workspace: str | None
) -> None:
    """Draw everything ROOT brought in: names, level, revenue, branch size (ROOT: a client or a channel)."""
    ws = resolve_workspace(app.store, workspace)
    ref, name = resolve_root(app.store, ws, root)
    result = app.store.tree(ws, ref, depth, as_of)
    size = analysis.tree_size(result)
    revenue = money(analysis.tree_revenue(result))
    label = f"[bold]{name}[/] ({ref.kind.value}){as_of_text(as_of)} — {size} clients, revenue {revenue}"
    top = RichTree(label)
    shown = 0

    def add(parent: RichTree, branches: list[analysis.Branch]) -> None:
        nonlocal shown
        for i, b in enumerate(branches):
            if shown >= max_nodes:
                rest = branches[i:]
                hidden = len(rest) + sum(r.branch_size for r in rest)
                parent.add(f"[dim]… {hidden} more clients (raise --max-nodes)[/]")
                return
            shown += 1
            n = b.node
            mark = " [yellow]dead end[/]" if b.dead_end else ""
            if b.past_credit_depth:
                mark += f" [magenta]past level {CREDIT_DEPTH}: no credit to {name}[/]"
            node = parent.add(
                f"{n.name} [dim]L{n.level} · {money(dict(n.revenue))} · branch {b.branch_size} / "
                f"{money(b.branch_revenue)}[/]{mark}"
            )
            if n.beyond:
                node.add(
                    f"[dim]… {n.beyond.clients} more clients below level {depth}, {money(dict(n.beyond.revenue))}[/]"
                )
            add(node, b.children)

    add(top, analysis.nest(result))
    console = Console()
    console.print(top)
    console.print(
        "reach per level: " + ", ".join(f"L{i}={n}" for i, n in enumerate(analysis.reach_per_level(result), 1))
    )
    if result.beyond:
        console.print(
            f"{len(result.nodes)} clients shown; {beyond_text(result.beyond, depth)} (drop --depth to see them)"
        )


@cli.command(context_settings=CONTEXT)
@click.argument("client")
@depth_option
@as_of_option
@workspace_option
@click.pass_obj
def stats(app: AppContext, client: str, depth: int | None, as_of: date | None, workspace: str | None) -> None:
    """A client's place in the network: level, reach per level, dead ends below, revenue."""
    ws = resolve_workspace(app.store, workspace)
    c = resolve_client(app.store, ws, client)
    up = app.store.chain(ws, c.id, as_of=as_of)
    t = app.store.tree(ws, SourceRef(SourceKind.CLIENT, c.id), depth, as_of)
    top = up.top
    rows = [
        ("client", f"{c.name} ({c.id})"),
        *([("as of", as_of.isoformat())] if as_of else []),
        ("level in its chain", str(up.levels)),
        ("top of chain", f"{top.name} ({top.source.kind.value})" if top else "(direct)"),
        ("brought in directly", str(t.referred)),
        ("reach", str(analysis.tree_size(t))),
        ("reach per level", ", ".join(str(n) for n in analysis.reach_per_level(t))),
        (
            "dead ends below" + (f" (within {depth} levels)" if t.beyond else ""),
            str(sum(1 for n in t.nodes if n.referred == 0)),
        ),
        ("own revenue", money(dict(t.revenue))),
        ("branch revenue", money(analysis.tree_revenue(t))),
    ]
    if t.beyond:
        rows.append(("not shown", beyond_text(t.beyond, depth)))
    table = Table(show_header=False)
    for k, v in rows:
        table.add_row(k, v)
    Console().print(table)


@cli.group(context_settings=CONTEXT)
def network() -> None:
    """Workspace-wide analysis: summary and key clients."""


@network.command("summary", context_settings=CONTEXT)
@depth_option
@as_of_option
@workspace_option
@click.pass_obj
def network_summary(app: AppContext, depth: int | None, as_of: date | None, workspace: str | None) -> None:
    """Counts, where clients came from, the longest chain, dead ends, most prolific referrers."""
    ws = resolve_workspace(app.store, workspace)
    s, _ = app.store.network_summary(ws, depth, as_of)
    total = s.clients or 1
    table = Table(show_header=False, title=f"Workspace summary{as_of_text(as_of)}")
    for k, v in [
        ("clients", s.clients),
        ("channels", s.channels),
        ("recommendations", f"{s.primary_referrals} primary, {s.secondary_referrals} secondary"),
        ("came through a client", f"{s.from_referral} ({s.from_referral / total:.0%})"),
        ("came through a channel", f"{s.from_channel} ({s.from_channel / total:.0%})"),
        ("direct", f"{s.direct} ({s.direct / total:.0%})"),
        ("dead ends", s.dead_ends),
        ("longest chain", s.longest_chain),
        ("clients by level", ", ".join(f"L{i}={n}" for i, n in enumerate(s.clients_by_level))),
        ("revenue", money(s.revenue)),
    ]:
        table.add_row(k, str(v))
    console = Console()
    console.print(table)
    if s.prolific:
        top = Table(title="Most prolific referrers")
        for col in ("client", "brought in", "reach"):
            top.add_column(col)
        for _cid, name, referred, reach in s.prolific:
            top.add_row(name, str(referred), str(reach))
        console.print(top)


@network.command("key-clients", context_settings=CONTEXT)
@click.option("--limit", default=20, show_default=True, type=click.IntRange(1, 500))
@click.option("--currency", help="Currency of the revenue parts (default: the one most clients paid in).")
@click.option("--w-own", default=1.0, show_default=True, type=click.FloatRange(0), help="Weight of own revenue.")
@click.option(
    "--w-downline",
    default=1.0,
    show_default=True,
    type=click.FloatRange(0),
    help="Weight of the revenue of the clients brought in.",
)
@click.option("--w-reach", default=0.5, show_default=True, type=click.FloatRange(0), help="Weight of reach.")
@depth_option
@as_of_option
@workspace_option
@click.pass_obj
def network_key_clients(
    app: AppContext,
    limit: int,
    currency: str | None,
    w_own: float,
    w_downline: float,
    w_reach: float,
    depth: int | None,
    as_of: date | None,
    workspace: str | None,
) -> None:
    """Rank clients by own revenue + revenue they brought in + reach (each scaled 0..1, weighted)."""
    from referrals.money import parse_currency

    ws = resolve_workspace(app.store, workspace)
    cur, paid_in, ranked = app.store.key_clients(
        ws,
        parse_currency(currency) if currency else None,
        analysis.Weights(w_own, w_downline, w_reach),
        depth,
        limit,
        as_of,
    )
    others = [c for c in paid_in if c != cur]
    title = f"Key clients{as_of_text(as_of)}, ranked in {cur}" if cur else "Key clients (no revenue yet)"
    if others:
        title += f" (also paid in {', '.join(others)}: --currency ranks in another)"
    table = Table(title=title)
    for col in ("#", "client", "score", "own", "brought in (revenue)", "reach", "direct"):
        table.add_column(col, justify="right" if col not in ("client",) else "left")
    for i, k in enumerate(ranked, 1):
        own = _ranked_first(k.own_by_currency, cur)
        down = _ranked_first(k.downline_by_currency, cur)
        table.add_row(str(i), k.name, f"{k.score:.3f}", own, down, str(k.reach), str(k.referred))
    Console().print(table)


def _ranked_first(amounts: dict[str, int], ranked_in: str | None) -> str:
    """Every currency's amount, one a line, the ranking's currency first (0 when none was paid in it)."""
    first = {ranked_in: amounts.get(ranked_in, 0)} if ranked_in else {}
    rest = {c: m for c, m in sorted(amounts.items()) if c != ranked_in}
    return "\n".join(f"{format_amount(m, c)} {c}" for c, m in {**first, **rest}.items()) or "-"


GRAPH_SUFFIXES = {
    ".graphml": "graphml",
    ".gexf": "gexf",
    ".dot": "dot",
    ".gv": "dot",
    ".mmd": "mermaid",
    ".json": "json",
    ".svg": "svg",
    ".png": "png",
}


@network.command("growth", context_settings=CONTEXT)
@click.option("--months", default=24, show_default=True, type=click.IntRange(1, 120), help="How many months.")
@click.option("--to", "last", help="The last month, YYYY-MM (default: this month).")
@click.option(
    "--window",
    default=3,
    show_default=True,
    type=click.IntRange(1, 36),
    help="K counts the clients a cohort brought in within this many months.",
)
@click.option(
    "--format", "fmt", type=click.Choice(["table", "json"], case_sensitive=False), default="table", show_default=True
)
@workspace_option
@click.pass_obj
def network_growth(
    app: AppContext, months: int, last: str | None, window: int, fmt: str, workspace: str | None
) -> None:
    """How word of mouth grows: per monthly cohort of new clients their origin (people, channels,
    direct), the viral coefficient K, referral conversion and days to the first deal, the month's
    revenue by origin; each root channel's cascade depth; first-year revenue by origin. Definitions:
    README "How word of mouth grows"."""
    ws = resolve_workspace(app.store, workspace)
    g = app.store.network_growth(ws, months, window, last)
    if fmt.lower() == "json":
        click.echo(json.dumps(growth.to_json(g), indent=2, ensure_ascii=False, default=str))
        return
    table = Table(title=f"New clients per month, {g.first} to {g.last} (K within {window} months)")
    for head in (
        "month",
        "new",
        "people",
        "channels",
        "direct",
        "K",
        "recommended → paid",
        "days to 1st deal",
        "revenue",
    ):
        table.add_column(head, justify="left" if head == "month" else "right")
    for c in g.cohorts:
        conversion = f"{c.converted}/{c.recommended}" + (f" ({c.conversion:.0%})" if c.conversion is not None else "")
        table.add_row(
            c.month,
            str(c.new_clients),
            str(c.by_origin["people"]),
            str(c.by_origin["channels"]),
            str(c.by_origin["direct"]),
            f"{c.k:.2f}" + ("*" if c.window_open else ""),
            conversion if c.recommended else "-",
            "-" if c.median_days is None else f"{c.median_days:g}",
            money(c.revenue),
        )
    wide(table)
    if any(c.window_open for c in g.cohorts):
        click.echo(f"* window still open: those members' {window} months have not all passed, K may grow")
    chans = Table(title="Root channels: how far their chains reach")
    for head in ("channel", "clients", "cascade depth", "clients per level"):
        chans.add_column(head)
    for ch in g.channels:
        chans.add_row(ch.name, str(ch.clients), str(ch.depth), " · ".join(str(n) for n in ch.per_level) or "-")
    wide(chans)
    origins = Table(title="First-year revenue by origin (clients whose first 12 months have ended)")
    for head in ("origin", "clients", "first year ended", "first-year revenue", "average per client"):
        origins.add_column(head)
    for o in g.origins:
        origins.add_row(o.origin, str(o.clients), str(o.matured), money(o.first_year), money(o.average()))
    wide(origins)


@network.command("influence", context_settings=CONTEXT)
@click.option(
    "--months",
    default=6,
    show_default=True,
    type=click.IntRange(1, 120),
    help="A referrer is sleeping after this many months without a recommendation.",
)
@click.option("--limit", default=20, show_default=True, type=click.IntRange(1, 500), help="Rows per list.")
@click.option("--currency", help="Currency of the rankings (default: the one most clients paid in).")
@click.option(
    "--format", "fmt", type=click.Choice(["table", "json"], case_sensitive=False), default="table", show_default=True
)
@as_of_option
@workspace_option
@click.pass_obj
def network_influence(
    app: AppContext,
    months: int,
    limit: int,
    currency: str | None,
    fmt: str,
    as_of: date | None,
    workspace: str | None,
) -> None:
    """Who matters and where it stops: clients by the downline revenue they unlocked (with and without
    their own), bridge clients (whom others would be orphaned without), sleeping referrers (nobody
    recommended in --months), dead ends ranked by what the chain above them paid. Definitions: README
    "Who matters and where it stops"."""
    from referrals import clock
    from referrals.influence import influence, to_json
    from referrals.money import parse_currency

    ws = resolve_workspace(app.store, workspace)
    day = as_of or clock.now().date()
    inf = influence(app.store.snapshot(ws, as_of), day, months, parse_currency(currency) if currency else None, limit)
    if fmt.lower() == "json":
        click.echo(json.dumps(to_json(inf), indent=2, ensure_ascii=False))
        return
    seen = f"{as_of_text(as_of)}, ranked in {inf.currency}" if inf.currency else f"{as_of_text(as_of)}"

    def more(shown: int, total: int) -> None:
        if total > shown:
            click.echo(f"... and {total - shown} more (--limit)")

    table = Table(title=f"Downline revenue{seen}")
    for head in ("client", "own", "downline", "with own", "reach", "brought in"):
        table.add_column(head, justify="left" if head == "client" else "right")
    for st in inf.clients:
        table.add_row(st.name, money(st.own), money(st.downline), money(st.branch), str(st.reach), str(st.referred))
    wide(table)
    more(len(inf.clients), inf.clients_total)
    table = Table(title="Bridge clients: whom others would be orphaned without")
    for head in ("client", "orphaned", "their revenue", "orphaned clients (nearest first)"):
        table.add_column(head, justify="right" if head == "orphaned" else "left")
    for st in inf.bridges:
        names = ", ".join(n for _, n in st.orphans) + (" ..." if st.orphaned > len(st.orphans) else "")
        table.add_row(st.name, str(st.orphaned), money(st.orphaned_revenue), names)
    wide(table)
    more(len(inf.bridges), inf.bridges_total)
    table = Table(title=f"Sleeping referrers: nobody recommended in the {months} months to {day.isoformat()}")
    for head in ("client", "recommended", "last", "days quiet", "downline revenue"):
        table.add_column(head, justify="left" if head in ("client", "last") else "right")
    for sl in inf.sleeping:
        table.add_row(
            sl.name, str(sl.recommended), sl.last_recommended_on.isoformat(), str(sl.days_quiet), money(sl.downline)
        )
    wide(table)
    more(len(inf.sleeping), inf.sleeping_total)
    table = Table(title="Dead ends, by what the chain above them paid")
    for head in ("client", "level", "top", "chain above paid", "own"):
        table.add_column(head, justify="right" if head == "level" else "left")
    for d in inf.dead_ends:
        table.add_row(d.name, str(d.level), d.top or "-", money(d.upline_revenue), money(d.own))
    wide(table)
    more(len(inf.dead_ends), inf.dead_ends_total)


def wide(table: Table) -> None:
    """Print a table at its natural width: numbers are never squeezed into ellipses or wrapped."""
    console = Console()
    needed = Measurement.get(console, console.options.update_width(10_000), table).maximum
    Console(width=max(console.width, needed)).print(table)


@cli.command("export-graph", context_settings=CONTEXT)
@click.option(
    "--format",
    "fmt",
    type=click.Choice([*(f.value for f in GraphFormat), *IMAGE_FORMATS], case_sensitive=False),
    help="graphml (yEd, Gephi, Cytoscape), gexf (Gephi), dot (Graphviz), mermaid, json; tables: kumu (.xlsx),"
    " gephi-csv and cytoscape (.zip of two CSVs); or a picture: svg, png (drawn by Graphviz)."
    " Default: from --output's suffix, else graphml.",
)
@click.option("--root", help="Export only this client's or channel's tree (id, email, phone or name).")
@depth_option
@click.option(
    "--output", "-o", type=click.Path(dir_okay=False, path_type=Path), help="File to write (default: stdout)."
)
@as_of_option
@workspace_option
@click.pass_obj
def export_graph(
    app: AppContext,
    fmt: str | None,
    root: str | None,
    depth: int | None,
    output: Path | None,
    as_of: date | None,
    workspace: str | None,
) -> None:
    """Export the whole workspace, or one tree, as a graph file or a picture."""
    if fmt is None:
        fmt = GRAPH_SUFFIXES.get(output.suffix.lower(), "graphml") if output else "graphml"
    fmt = fmt.lower()
    if (fmt == "png" or fmt in BINARY) and output is None and sys.stdout.isatty():
        raise Invalid.one("output", f"{fmt} is a binary file: give --output FILE, or pipe it")
    ws = resolve_workspace(app.store, workspace)
    if root:
        ref, _ = resolve_root(app.store, ws, root)
        t = app.store.tree(ws, ref, depth, as_of)
        channel = ""
        if ref.kind is SourceKind.CLIENT:
            channel = analysis.top_channel(app.store.chain(ws, ref.id, as_of=as_of))
        graph = analysis.tree_graph(t, channel)
    else:
        graph = analysis.network_graph(app.store.snapshot(ws, as_of))
    data = render_image(graph, fmt) if fmt in IMAGE_FORMATS else export(graph, GraphFormat(fmt))
    if output is None:
        sys.stdout.buffer.write(data)
        sys.stdout.flush()
    else:
        output.write_bytes(data)
        click.echo(f"wrote {graph.number_of_nodes()} nodes and {graph.number_of_edges()} edges to {output}", err=True)
