"""Chains, trees, statistics and graph exports in the terminal."""

from __future__ import annotations

import json
import sys
from collections.abc import Iterator
from datetime import date, datetime
from pathlib import Path
from typing import Any

import click
from rich.console import Console
from rich.measure import Measurement
from rich.table import Table
from rich.tree import Tree as RichTree

from cli.main import CONTEXT, TABLE_OR_JSON, AppContext, FilePath, cli
from cli.resolve import resolve_client, resolve_root, resolve_workspace, workspace_option
from referrals import analysis, growth, i18n, network_file
from referrals.config import CREDIT_DEPTH, MAX_DEPTH
from referrals.errors import Invalid
from referrals.exports import BINARY, IMAGE_FORMATS, GraphFormat, export, render_image
from referrals.i18n import N_, _
from referrals.model import Beyond, SourceKind, SourceRef


def money(amounts: dict[str, int]) -> str:
    """Per-currency totals as "1250.00 EUR + 300 JPY", or "-" when empty."""
    return " + ".join(i18n.format_money(m, c) for c, m in sorted(amounts.items())) or "-"


def depth_option(f: Any) -> Any:
    """--depth of a view: how many levels to show (all by default); what lies beyond is summed up."""
    return click.option(
        "--depth",
        "-d",
        type=click.IntRange(1, MAX_DEPTH),
        default=None,
        help="Show at most this many levels, 1 to 50 (default: all); what lies beyond is counted.",
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
    return " " + _("as of %(day)s", day=i18n.format_date(as_of)) if as_of else ""


def beyond_text(beyond: Beyond, depth: int | None) -> str:
    """ "past level 7: 3 clients, revenue €2,000.50" """
    return _(
        "past level %(depth)s: %(clients)s, revenue %(revenue)s",
        depth=depth,
        clients=i18n.count("clients", beyond.clients),
        revenue=money(dict(beyond.revenue)),
    )


def kind_text(kind: SourceKind) -> str:
    """A source's kind for people."""
    return _("client") if kind is SourceKind.CLIENT else _("channel")


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
    table = Table(title=_("Chain of %(name)s (%(id)s)", name=c.name, id=c.id) + as_of_text(as_of))
    for col in (_("level"), _("source"), _("kind"), _("id"), _("recommended on")):
        table.add_column(col)
    for s in result.steps:
        table.add_row(str(s.level), s.name, kind_text(s.source.kind), s.source.id, i18n.format_date(s.referred_on))
    console.print(table)
    if not result.steps:
        console.print(_("no recorded source: a direct client"))
    elif result.truncated and result.top is not None:
        console.print(
            _(
                "the chain goes on above level %(depth)s: %(levels)s levels in all, up to %(name)s (%(kind)s);"
                " drop --depth to see every level",
                depth=depth,
                levels=result.levels,
                name=result.top.name,
                kind=kind_text(result.top.source.kind),
            )
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
    label = f"[bold]{name}[/] ({kind_text(ref.kind)}){as_of_text(as_of)} — " + _(
        "%(clients)s, revenue %(revenue)s", clients=i18n.count("clients", size), revenue=revenue
    )
    top = RichTree(label)
    shown = 0

    def add(parent: RichTree, branches: list[analysis.Branch]) -> None:
        nonlocal shown
        for i, b in enumerate(branches):
            if shown >= max_nodes:
                rest = branches[i:]
                hidden = len(rest) + sum(r.branch_size for r in rest)
                parent.add(
                    "[dim]… "
                    + i18n.ngettext(
                        "%(n)s more client (raise --max-nodes)", "%(n)s more clients (raise --max-nodes)", hidden
                    )
                    + "[/]"
                )
                return
            shown += 1
            n = b.node
            mark = " [yellow]" + _("dead end") + "[/]" if b.dead_end else ""
            if b.past_credit_depth:
                mark += " [magenta]" + _("past level %(depth)s: no credit to %(name)s", depth=CREDIT_DEPTH, name=name)
                mark += "[/]"
            branch = _("branch %(size)s / %(revenue)s", size=b.branch_size, revenue=money(b.branch_revenue))
            node = parent.add(f"{n.name} [dim]L{n.level} · {money(dict(n.revenue))} · {branch}[/]{mark}")
            if n.beyond:
                more = i18n.ngettext(
                    "%(n)s more client below level %(depth)s, %(revenue)s",
                    "%(n)s more clients below level %(depth)s, %(revenue)s",
                    n.beyond.clients,
                    depth=depth,
                    revenue=money(dict(n.beyond.revenue)),
                )
                node.add(f"[dim]… {more}[/]")
            add(node, b.children)

    add(top, analysis.nest(result))
    console = Console()
    # at its natural width: a deep branch's line is never wrapped between the tree's guides
    needed = Measurement.get(console, console.options.update_width(10_000), top).maximum
    Console(width=max(console.width, needed)).print(top)
    per_level = ", ".join(f"L{i}={n}" for i, n in enumerate(analysis.reach_per_level(result), 1))
    console.print(_("reach per level: %(levels)s", levels=per_level))
    if result.beyond:
        console.print(
            _(
                "%(shown)s shown; %(beyond)s (drop --depth to see them)",
                shown=i18n.count("clients", len(result.nodes)),
                beyond=beyond_text(result.beyond, depth),
            )
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
        (_("client"), f"{c.name} ({c.id})"),
        *([(_("as of"), i18n.format_date(as_of))] if as_of else []),
        (_("level in its chain"), str(up.levels)),
        (_("top of chain"), f"{top.name} ({kind_text(top.source.kind)})" if top else _("(direct)")),
        (_("brought in directly"), i18n.format_number(t.referred)),
        (_("reach"), i18n.format_number(analysis.tree_size(t))),
        (_("reach per level"), ", ".join(str(n) for n in analysis.reach_per_level(t))),
        (
            _("dead ends below (within %(depth)s levels)", depth=depth) if t.beyond else _("dead ends below"),
            i18n.format_number(sum(1 for n in t.nodes if n.referred == 0)),
        ),
        (_("own revenue"), money(dict(t.revenue))),
        (_("branch revenue"), money(analysis.tree_revenue(t))),
    ]
    if t.beyond:
        rows.append((_("not shown"), beyond_text(t.beyond, depth)))
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
    s, _first = app.store.network_summary(ws, depth, as_of)
    total = s.clients or 1

    def share(n: int) -> str:
        return f"{i18n.format_number(n)} ({i18n.format_percent(n / total)})"

    table = Table(show_header=False, title=_("Workspace summary") + as_of_text(as_of))
    for k, v in [
        (_("clients"), i18n.format_number(s.clients)),
        (_("channels"), i18n.format_number(s.channels)),
        (
            _("recommendations"),
            _(
                "%(primary)s primary, %(secondary)s secondary",
                primary=s.primary_referrals,
                secondary=s.secondary_referrals,
            ),
        ),
        (_("came through a client"), share(s.from_referral)),
        (_("came through a channel"), share(s.from_channel)),
        (_("direct"), share(s.direct)),
        (_("dead ends"), i18n.format_number(s.dead_ends)),
        (_("longest chain"), str(s.longest_chain)),
        (_("clients by level"), ", ".join(f"L{i}={n}" for i, n in enumerate(s.clients_by_level))),
        (_("revenue"), money(s.revenue)),
    ]:
        table.add_row(k, v)
    console = Console()
    console.print(table)
    if s.prolific:
        top = Table(title=_("Most prolific referrers"))
        for col in (_("client"), _("brought in"), _("reach")):
            top.add_column(col)
        for _cid, name, referred, reach in s.prolific:
            top.add_row(name, i18n.format_number(referred), i18n.format_number(reach))
        console.print(top)


@network.command("key-clients", context_settings=CONTEXT)
@click.option("--limit", default=20, show_default=True, type=click.IntRange(1, 500), help="Clients listed.")
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
    if cur:
        title = _("Key clients%(as_of)s, ranked in %(currency)s", as_of=as_of_text(as_of), currency=cur)
    else:
        title = _("Key clients (no revenue yet)")
    if others:
        title += " " + _("(also paid in %(currencies)s: --currency ranks in another)", currencies=", ".join(others))
    table = Table(title=title)
    heads = ("#", _("client"), _("score"), _("own"), _("brought in (revenue)"), _("reach"), _("direct"))
    for i, col in enumerate(heads):
        table.add_column(col, justify="left" if i == 1 else "right")
    for i, k in enumerate(ranked, 1):
        own = _ranked_first(k.own_by_currency, cur)
        down = _ranked_first(k.downline_by_currency, cur)
        score = i18n.format_amount_text(f"{k.score:.3f}")
        table.add_row(str(i), k.name, score, own, down, i18n.format_number(k.reach), i18n.format_number(k.referred))
    Console().print(table)


def _ranked_first(amounts: dict[str, int], ranked_in: str | None) -> str:
    """Every currency's amount, one a line, the ranking's currency first (0 when none was paid in it)."""
    first = {ranked_in: amounts.get(ranked_in, 0)} if ranked_in else {}
    rest = {c: m for c, m in sorted(amounts.items()) if c != ranked_in}
    return "\n".join(i18n.format_money(m, c) for c, m in {**first, **rest}.items()) or "-"


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
@TABLE_OR_JSON
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
    table = Table(
        title=_(
            "New clients per month, %(first)s to %(last)s (K within %(window)s months)",
            first=g.first,
            last=g.last,
            window=window,
        )
    )
    heads = (
        _("month"),
        _("new"),
        _("people"),
        _("channels"),
        _("direct"),
        "K",
        _("recommended → paid"),
        _("days to 1st deal"),
        _("revenue"),
    )
    for i, head in enumerate(heads):
        table.add_column(head, justify="left" if i == 0 else "right")
    num = i18n.format_number
    for c in g.cohorts:
        conversion = f"{num(c.converted)}/{num(c.recommended)}"
        if c.conversion is not None:
            conversion += f" ({i18n.format_percent(c.conversion)})"
        table.add_row(
            c.month,
            num(c.new_clients),
            num(c.by_origin["people"]),
            num(c.by_origin["channels"]),
            num(c.by_origin["direct"]),
            i18n.format_amount_text(f"{c.k:.2f}") + ("*" if c.window_open else ""),
            conversion if c.recommended else "-",
            "-" if c.median_days is None else num(c.median_days),
            money(c.revenue),
        )
    wide(table)
    if any(c.window_open for c in g.cohorts):
        click.echo(
            _("* window still open: those members' %(window)s months have not all passed, K may grow", window=window)
        )
    chans = Table(title=_("Root channels: how far their chains reach"))
    for head in (_("channel"), _("clients"), _("cascade depth"), _("clients per level")):
        chans.add_column(head)
    for ch in g.channels:
        chans.add_row(ch.name, num(ch.clients), str(ch.depth), " · ".join(num(n) for n in ch.per_level) or "-")
    wide(chans)
    origins = Table(title=_("First-year revenue by origin (clients whose first 12 months have ended)"))
    for head in (_("origin"), _("clients"), _("first year ended"), _("first-year revenue"), _("average per client")):
        origins.add_column(head)
    for o in g.origins:
        origins.add_row(_origin(o.origin), num(o.clients), num(o.matured), money(o.first_year), money(o.average()))
    wide(origins)


_ORIGINS = {"people": N_("people"), "channels": N_("channels"), "direct": N_("direct")}


def _origin(origin: str) -> str:
    """Where clients came from, for people (JSON keeps the machine word)."""
    return i18n.lazy(_ORIGINS[origin]) if origin in _ORIGINS else origin


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
@TABLE_OR_JSON
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
    seen = as_of_text(as_of)
    if inf.currency:
        seen += ", " + _("ranked in %(currency)s", currency=inf.currency)
    num = i18n.format_number

    def more(shown: int, total: int) -> None:
        if total > shown:
            click.echo(_("... and %(n)s more (--limit)", n=num(total - shown)))

    table = Table(title=_("Downline revenue") + seen)
    heads = (_("client"), _("own"), _("downline"), _("with own"), _("reach"), _("brought in"))
    for i, head in enumerate(heads):
        table.add_column(head, justify="left" if i == 0 else "right")
    for st in inf.clients:
        table.add_row(st.name, money(st.own), money(st.downline), money(st.branch), num(st.reach), num(st.referred))
    wide(table)
    more(len(inf.clients), inf.clients_total)
    table = Table(title=_("Bridge clients: whom others would be orphaned without"))
    heads = (_("client"), _("orphaned"), _("their revenue"), _("orphaned clients (nearest first)"))
    for i, head in enumerate(heads):
        table.add_column(head, justify="right" if i == 1 else "left")
    for st in inf.bridges:
        names = ", ".join(n for _id, n in st.orphans) + (" ..." if st.orphaned > len(st.orphans) else "")
        table.add_row(st.name, num(st.orphaned), money(st.orphaned_revenue), names)
    wide(table)
    more(len(inf.bridges), inf.bridges_total)
    table = Table(
        title=_(
            "Sleeping referrers: nobody recommended in the %(months)s months to %(day)s",
            months=months,
            day=i18n.format_date(day),
        )
    )
    heads = (_("client"), _("recommended"), _("last"), _("days quiet"), _("downline revenue"))
    for i, head in enumerate(heads):
        table.add_column(head, justify="left" if i in (0, 2) else "right")
    for sl in inf.sleeping:
        table.add_row(
            sl.name,
            num(sl.recommended),
            i18n.format_date(sl.last_recommended_on),
            num(sl.days_quiet),
            money(sl.downline),
        )
    wide(table)
    more(len(inf.sleeping), inf.sleeping_total)
    table = Table(title=_("Dead ends, by what the chain above them paid"))
    heads = (_("client"), _("level"), _("top"), _("chain above paid"), _("own"))
    for i, head in enumerate(heads):
        table.add_column(head, justify="right" if i == 1 else "left")
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
@click.option("--output", "-o", type=FilePath(dir_okay=False, path_type=Path), help="File to write (default: stdout).")
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
        raise Invalid.one("output", _("%(format)s is a binary file: give --output FILE, or pipe it", format=fmt))
    ws = resolve_workspace(app.store, workspace)
    if not root and as_of is None and fmt in network_file.STREAMED:
        _write_streamed(app.store.network_file(ws, GraphFormat(fmt), counts := {}), output)
        if output is not None:
            _wrote(counts["nodes"], counts["edges"], output)
        return
    if root:
        ref, _name = resolve_root(app.store, ws, root)
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
        _wrote(graph.number_of_nodes(), graph.number_of_edges(), output)


def _wrote(nodes: int, edges: int, output: Path) -> None:
    click.echo(
        _(
            "wrote %(nodes)s and %(edges)s to %(file)s",
            nodes=i18n.ngettext("%(n)s node", "%(n)s nodes", nodes),
            edges=i18n.ngettext("%(n)s edge", "%(n)s edges", edges),
            file=output,
        ),
        err=True,
    )


def _write_streamed(pieces: Iterator[bytes], output: Path | None) -> None:
    """A file written as it is read: to stdout piece by piece, or to a file beside `output` that takes
    its name only once whole (a failure half way leaves no half file under that name)."""
    if output is None:
        for piece in pieces:
            sys.stdout.buffer.write(piece)
        sys.stdout.flush()
        return
    part = output.with_name(output.name + ".part")
    try:
        with part.open("wb") as out:
            for piece in pieces:
                out.write(piece)
        part.replace(output)
    finally:
        part.unlink(missing_ok=True)
