"""Recording from the terminal: clients, channels, who recommended whom, and deals.

People are named as they are said: an id, an email, a phone or a name (any case); a near miss gets a
"did you mean …?". Dates are ISO 8601 (2024-05-31) or written the Russian way (31.05.2024); today by
default. Every value goes through the same validation as the API, and errors name the field.
"""

from __future__ import annotations

import re
from collections import Counter
from datetime import date
from typing import Any

import click
from rich.console import Console
from rich.table import Table

from cli.main import CONTEXT, AppContext, cli
from cli.resolve import resolve_channel, resolve_client, resolve_root, resolve_workspace, workspace_option
from referrals import i18n
from referrals.errors import Invalid
from referrals.i18n import N_, _
from referrals.model import (
    ChannelInput,
    ChannelKind,
    ClientInput,
    ClientPatch,
    ClientQuery,
    ClientStatus,
    DealInput,
    DealQuery,
    ReferralInput,
)
from referrals.money import Money, format_amount, parse_amount, parse_currency

_DOTTED = re.compile(r"^(\d{1,2})\.(\d{1,2})\.(\d{4})$")


def parse_day(text: str | None, field: str) -> date:
    """An ISO 8601 date or DD.MM.YYYY; today (this machine's) when not given."""
    if text is None:
        return date.today()
    t = text.strip()
    try:
        m = _DOTTED.match(t)
        if m:
            return date(int(m[3]), int(m[2]), int(m[1]))
        return date.fromisoformat(t)
    except ValueError:
        raise Invalid.one(field, _("%(text)r is not a date like 2024-05-31 or 31.05.2024", text=text)) from None


# A client's status as a table shows it (the API and the exports keep the machine word).
_STATUS = {"lead": N_("lead"), "active": N_("active"), "inactive": N_("inactive")}


def _on_option(f: Any) -> Any:
    return click.option("--on", "on", help="The date: 2024-05-31 or 31.05.2024 (default: today).")(f)


# -- clients ------------------------------------------------------------------------------------


def contact_options(f: Any) -> Any:
    """--email, --phone and --status of `client add` and `client edit`."""
    f = click.option(
        "--status",
        type=click.Choice([s.value for s in ClientStatus], case_sensitive=False),
        help="Where the client stands.",
    )(f)
    f = click.option("--phone", help="Any usual way of writing it: +7 916 123-45-67, 8 (916) 123-45-67.")(f)
    return click.option("--email", help="Email address.")(f)


def acquired_and_notes_options(f: Any) -> Any:
    """--acquired-on and --notes of `client add` and `client edit`."""
    f = click.option("--notes", help="Free text kept with the client.")(f)
    return click.option("--acquired-on", help="When the client came in: 2024-05-31 or 31.05.2024.")(f)


@cli.group(context_settings=CONTEXT)
def client() -> None:
    """Add, edit and list clients."""


@client.command("add", context_settings=CONTEXT)
@click.argument("name")
@contact_options
@click.option("--tag", "tags", multiple=True, help="A tag (repeat for more).")
@acquired_and_notes_options
@workspace_option
@click.pass_obj
def client_add(app: AppContext, name: str, workspace: str | None, **fields: Any) -> None:
    """Add a client called NAME and print its id."""
    ws = resolve_workspace(app.store, workspace)
    data: dict[str, Any] = {"name": name, **{k: v for k, v in fields.items() if v not in (None, ())}}
    if "tags" in data:
        data["tags"] = list(data["tags"])
    if "acquired_on" in data:
        data["acquired_on"] = parse_day(data["acquired_on"], "acquired_on")
    made = app.store.create_client(ws, ClientInput.parse(data))
    click.echo(made.id)


@client.command("edit", context_settings=CONTEXT)
@click.argument("who")
@click.option("--name", help="New name.")
@contact_options
@acquired_and_notes_options
@workspace_option
@click.pass_obj
def client_edit(app: AppContext, who: str, workspace: str | None, **fields: Any) -> None:
    """Change the fields given of client WHO (an id, email, phone or name)."""
    ws = resolve_workspace(app.store, workspace)
    c = resolve_client(app.store, ws, who)
    data = {k: v for k, v in fields.items() if v is not None}
    if not data:
        raise Invalid.one("client", _("name at least one field to change (see --help)"))
    if "acquired_on" in data:
        data["acquired_on"] = parse_day(data["acquired_on"], "acquired_on")
    changed = app.store.update_client(ws, c.id, ClientPatch.parse(data))
    click.echo(f"{changed.id}\t{changed.name}")


@client.command("list", context_settings=CONTEXT)
@click.option("--search", help="Part of a name or email, or a phone.")
@click.option("--limit", default=50, show_default=True, type=click.IntRange(1, 500), help="Clients listed.")
@workspace_option
@click.pass_obj
def client_list(app: AppContext, search: str | None, limit: int, workspace: str | None) -> None:
    """List clients (oldest first), or those matching --search."""
    ws = resolve_workspace(app.store, workspace)
    page = app.store.list_clients(ws, ClientQuery(text=search, limit=limit))
    table = Table()
    for col in (_("id"), _("name"), _("email"), _("phone"), _("status"), _("acquired")):
        table.add_column(col)
    for c in page.items:
        acquired = i18n.format_date(c.acquired_on) if c.acquired_on else ""
        table.add_row(c.id, c.name, c.email or "", c.phone or "", i18n.lazy(_STATUS[c.status.value]), acquired)
    Console().print(table)
    if page.next_after:
        click.echo(
            _("more clients follow: raise --limit or narrow --search (shown %(n)s)", n=len(page.items)), err=True
        )


# -- channels -----------------------------------------------------------------------------------


@cli.group(context_settings=CONTEXT)
def channel() -> None:
    """Add and list channels: a blog post, a social profile, an ad, an event."""


@channel.command("add", context_settings=CONTEXT)
@click.argument("name")
@click.option(
    "--kind",
    type=click.Choice([k.value for k in ChannelKind], case_sensitive=False),
    default=ChannelKind.OTHER.value,
    show_default=True,
    help="What sort of channel it is.",
)
@click.option("--url", help="Where it lives on the web.")
@workspace_option
@click.pass_obj
def channel_add(app: AppContext, name: str, kind: str, url: str | None, workspace: str | None) -> None:
    """Add a channel called NAME and print its id."""
    ws = resolve_workspace(app.store, workspace)
    data = {"name": name, "kind": kind, **({"url": url} if url else {})}
    click.echo(app.store.create_channel(ws, ChannelInput.parse(data)).id)


@channel.command("list", context_settings=CONTEXT)
@workspace_option
@click.pass_obj
def channel_list(app: AppContext, workspace: str | None) -> None:
    """List channels."""
    ws = resolve_workspace(app.store, workspace)
    after = None
    while True:
        page = app.store.list_channels(ws, limit=500, after=after)
        for ch in page.items:
            click.echo(f"{ch.id}\t{ch.name}\t{ch.kind.value}")
        if page.next_after is None:
            return
        after = page.next_after


# -- recommendations and deals ------------------------------------------------------------------


@cli.command(context_settings=CONTEXT)
@click.argument("source")
@click.argument("who")
@_on_option
@click.option("--note", help="Free text kept with the recommendation.")
@workspace_option
@click.pass_obj
def refer(app: AppContext, source: str, who: str, on: str | None, note: str | None, workspace: str | None) -> None:
    """Record that SOURCE (a client or a channel) recommended client WHO."""
    ws = resolve_workspace(app.store, workspace)
    src, src_name = resolve_root(app.store, ws, source)
    target = resolve_client(app.store, ws, who)
    row = ReferralInput(src, target.id, parse_day(on, "on"), note)
    made = app.store.record_referral(ws, row)
    role = _("primary source") if made.primary else _("a further recommendation (the primary source stays)")
    click.echo(f"{made.id}\t{src_name} → {target.name}\t{role}")


@cli.group(context_settings=CONTEXT)
def deal() -> None:
    """Record deals: money a client paid."""


@deal.command("add", context_settings=CONTEXT)
@click.argument("who")
@click.argument("amount")
@click.option(
    "--currency",
    envvar="REFERRALS_CURRENCY",
    show_envvar=True,
    help="ISO 4217 code (default: the one most of the workspace's deals are in).",
)
@_on_option
@click.option("--title", help="What the deal was for.")
@workspace_option
@click.pass_obj
def deal_add(
    app: AppContext,
    who: str,
    amount: str,
    currency: str | None,
    on: str | None,
    title: str | None,
    workspace: str | None,
) -> None:
    """Record that client WHO paid AMOUNT (a plain decimal: 1500, 1234.50)."""
    ws = resolve_workspace(app.store, workspace)
    payer = resolve_client(app.store, ws, who)
    code = parse_currency(currency) if currency else _usual_currency(app, ws)
    money = Money(parse_amount(amount.replace(" ", "").replace("\u00a0", ""), code), code)
    made = app.store.create_deal(ws, DealInput(payer.id, money, parse_day(on, "on"), title))
    click.echo(f"{made.id}\t{payer.name}\t{format_amount(money.minor, code)} {code}\t{made.closed_on.isoformat()}")


def _usual_currency(app: AppContext, ws: str) -> str:
    seen = Counter(d.amount.currency for d in app.store.list_deals(ws, DealQuery(limit=500)).items)
    if not seen:
        raise Invalid.one("currency", _("give --currency (such as RUB or EUR): the workspace has no deals yet"))
    return seen.most_common(1)[0][0]


__all__ = ["channel", "client", "deal", "parse_day", "refer", "resolve_channel"]
