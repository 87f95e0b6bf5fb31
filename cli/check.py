"""`referrals check`: what looks wrong in a workspace, and findings set aside with a note."""

from __future__ import annotations

import json
from typing import Any

import click
from rich.console import Console
from rich.table import Table

from cli.main import CONTEXT, TABLE_OR_JSON, AppContext, DefaultCommandGroup, cli
from cli.resolve import resolve_workspace, workspace_option
from referrals import i18n
from referrals.i18n import N_, _
from referrals.integrity import RULES, Thresholds, describe, to_json

_HELP = {
    "burst_count": N_("A burst: a person recommending more than this many clients ..."),
    "burst_days": N_("... within this many days."),
    "hollow_size": N_("The smallest cluster of linked clients whose deals are all refunds or zero."),
    "lead_days": N_("A recommendation more than this many days before the client's acquisition is too early."),
}


def threshold_options(f: Any) -> Any:
    """--burst-count, --burst-days, --hollow-size, --lead-days, each with its default and bounds."""
    defaults = Thresholds()
    for name in reversed(Thresholds.LIMITS):
        low, high = Thresholds.LIMITS[name]
        f = click.option(
            "--" + name.replace("_", "-"),
            name,
            type=click.IntRange(low, high),
            default=getattr(defaults, name),
            show_default=True,
            help=_HELP[name],
        )(f)
    return f


def thresholds(given: dict[str, int]) -> Thresholds:
    return Thresholds(**{name: given[name] for name in Thresholds.LIMITS})


class CheckGroup(DefaultCommandGroup):
    """`referrals check` runs the check (`check run`); `check dismiss` and `check undismiss` manage
    findings set aside."""

    default = "run"
    default_without_args = True


@cli.group("check", cls=CheckGroup, context_settings=CONTEXT)
def check_group() -> None:
    """What looks wrong: the same email mailbox, phone or external id on several clients, clients
    recommended by a second identity, bursts of recommendations, clusters of clients who never paid,
    recommendations dated too early, rings. `referrals check` lists the open findings; `check dismiss KEY
    --note TEXT` sets one aside (it stays dismissed), `check undismiss KEY` shows it again. Rules and
    thresholds: README "What looks wrong"."""


@check_group.command("run", context_settings=CONTEXT)
@threshold_options
@click.option("--all", "show_all", is_flag=True, help="List dismissed findings too, with their notes.")
@click.option("--limit", default=50, show_default=True, type=click.IntRange(1, 100_000), help="Findings listed.")
@TABLE_OR_JSON
@workspace_option
@click.pass_obj
def check_run(app: AppContext, show_all: bool, limit: int, fmt: str, workspace: str | None, **given: int) -> None:
    """Run every rule and list the open findings (dismissed ones are counted; --all lists them)."""
    ws = resolve_workspace(app.store, workspace)
    report = app.store.integrity_check(ws, thresholds(given))
    if fmt.lower() == "json":
        click.echo(json.dumps(to_json(report, limit), indent=2, ensure_ascii=False))
        return
    counts = report.counts()
    table = Table(title=_("Rules"))
    table.add_column(_("rule"), no_wrap=True)
    table.add_column(_("what it looks for"))
    table.add_column(_("open"), justify="right", no_wrap=True)
    table.add_column(_("dismissed"), justify="right", no_wrap=True)
    for rule in RULES.values():
        table.add_row(rule.id, describe(rule.id, report.thresholds), *map(i18n.format_number, counts[rule.id].values()))
    Console().print(table)  # the descriptions wrap; names and counts never do
    listable = report.findings if show_all else report.open
    shown = listable[:limit]
    if not report.findings:
        click.echo(_("No findings."))
    for f in shown:
        head = f"[{f.rule}] {f.key}" + ("  " + _("(dismissed)") if f.dismissed else "")
        click.echo(f"\n{head}\n  {f.summary}")
        if f.dismissed:
            day = i18n.format_date(f.dismissed.dismissed_at.date())
            click.echo("  " + _("dismissed %(day)s: %(note)s", day=day, note=f.dismissed.note))
    if len(listable) > limit:
        click.echo("\n" + _("... and %(n)s more (--limit)", n=i18n.format_number(len(listable) - limit)))
    hidden = len(report.findings) - len(listable)
    if hidden:
        click.echo(
            "\n"
            + i18n.ngettext(
                "%(n)s dismissed finding not listed (--all lists them).",
                "%(n)s dismissed findings not listed (--all lists them).",
                hidden,
            )
        )
    if not report.open and report.findings:
        click.echo(_("No open findings."))
    elif report.open:
        click.echo("\n" + _("Set one aside: referrals check dismiss KEY --note TEXT"))


@check_group.command("dismiss", context_settings=CONTEXT)
@click.argument("key")
@click.option("--note", required=True, help="Why it is set aside (kept with it).")
@threshold_options
@workspace_option
@click.pass_obj
def check_dismiss(app: AppContext, key: str, note: str, workspace: str | None, **given: int) -> None:
    """Set the finding KEY aside with a note: it stays dismissed while it stays the same. Give the
    thresholds of the check that found it, if they were not the defaults."""
    ws = resolve_workspace(app.store, workspace)
    d = app.store.dismiss_finding(ws, key, note, thresholds(given))
    click.echo(_("dismissed %(key)s (%(rule)s): %(summary)s", key=d.key, rule=d.rule, summary=d.summary))


@check_group.command("undismiss", context_settings=CONTEXT)
@click.argument("key")
@workspace_option
@click.pass_obj
def check_undismiss(app: AppContext, key: str, workspace: str | None) -> None:
    """Show the dismissed finding KEY again."""
    ws = resolve_workspace(app.store, workspace)
    app.store.undismiss_finding(ws, key)
    click.echo(_("%(key)s is shown again", key=key))
