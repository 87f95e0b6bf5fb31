"""Command groups and the one place where domain errors become exit codes and stderr messages."""

from __future__ import annotations

import gettext
import inspect
import logging
import os
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import click

from graph import SCHEMA_VERSION, Store, open_store, upgrade
from referrals import __version__, i18n
from referrals.access import Role, hash_secret, new_secret
from referrals.config import Settings
from referrals.errors import Conflict, DomainError, Invalid, NotFound, Unavailable
from referrals.i18n import N_, _
from referrals.model import Workspace
from referrals.usecases.requests import workspace_name

CONTEXT = {"help_option_names": ["-h", "--help"], "max_content_width": 100}

# Exit codes: 1 invalid input, 2 click usage errors, 3 not found, 4 conflict, 5 unavailable,
# 70 an unforeseen error (EX_SOFTWARE), 130 interrupted.
EXIT_INVALID, EXIT_NOT_FOUND, EXIT_CONFLICT, EXIT_UNAVAILABLE = 1, 3, 4, 5
EXIT_INTERNAL, EXIT_INTERRUPTED = 70, 130


class AppContext:
    """Settings and a lazily opened store, shared by every command of one invocation."""

    def __init__(self, database_url: str | None) -> None:
        self._url = database_url
        self._store: Store | None = None
        self.upgrade = True  # bring a store of an earlier schema up to this code's when it is opened

    @property
    def settings(self) -> Settings:
        """Environment settings, with --database-url winning over REFERRALS_DATABASE_URL."""
        base = Settings.from_env()
        return Settings(database_url=self._url or base.database_url)

    @property
    def store(self) -> Store:
        """The store, opened on first use."""
        if self._store is None:
            s = self.settings
            self._store = open_store(s.database_url)
            if self.upgrade:
                _bring_up_to_date(self._store)
        return self._store

    def close(self) -> None:
        """Close the store if it was opened."""
        if self._store is not None:
            self._store.close()


def _bring_up_to_date(store: Store) -> None:
    """Migrate a store that an earlier version left, saying so on stderr; a store not set up yet, or not
    reachable, is left to the command."""
    try:
        old = upgrade(store)
    except Unavailable:
        return
    if old is not None:
        click.echo(_("upgraded the store from schema %(old)s to %(new)s", old=old, new=SCHEMA_VERSION), err=True)


# Click's own messages (usage lines, option errors, prompts) go through the standard library's gettext:
# they come from our catalogue too, in the language the LANGUAGE variable names while a command runs.
gettext.bindtextdomain(i18n.DOMAIN, str(i18n.LOCALE_DIR))
gettext.textdomain(i18n.DOMAIN)


def speak(lang: str) -> None:
    """Answer in `lang` from now on: our messages and click's."""
    i18n.activate(lang)
    os.environ["LANGUAGE"] = i18n.current()


@contextmanager
def spoken(cmd: click.Command, ctx: click.Context) -> Iterator[None]:
    """The command's help and its options' help in the current language while they are shown (the
    English texts are the catalogue's message ids; tools/catalog.py extracts them)."""
    texts: list[tuple[Any, str]] = [(p, p.help) for p in cmd.get_params(ctx) if getattr(p, "help", None)]
    if cmd.help:
        texts.append((cmd, cmd.help))
    try:
        for owner, text in texts:
            owner.help = i18n.lazy(inspect.cleandoc(text))
        yield
    finally:
        for owner, text in texts:
            owner.help = text


# Click writes these two helps in the language of the moment it builds the option (the help option once
# per command, the version option at import): they are kept as click's English message ids instead and
# shown in the language of each run, like every other help.
HELP_OPTION = N_("Show this message and exit.")
VERSION_OPTION = N_("Show the version and exit.")


class FilePath(click.Path):
    """click.Path whose noun in its refusals ("File 'x' does not exist") is put in the reader's language
    when the refusal is made: click names it once, when the command is declared, before any language is
    chosen."""

    @property  # type: ignore[override]
    def name(self) -> str:
        return gettext.gettext(self._noun)

    @name.setter
    def name(self, noun: str) -> None:
        self._noun = noun


class SpokenCommand(click.Command):
    """A command whose help is shown in the user's language."""

    def get_help_option(self, ctx: click.Context) -> click.Option | None:
        new = self._help_option is None
        option = super().get_help_option(ctx)
        if option is not None and new:
            option.help = HELP_OPTION
        return option

    def format_help(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        with spoken(self, ctx):
            super().format_help(ctx, formatter)

    def get_short_help_str(self, limit: int = 45) -> str:
        saved = self.help
        self.help = i18n.lazy(inspect.cleandoc(saved)) if saved else saved
        try:
            return super().get_short_help_str(limit)
        finally:
            self.help = saved


class SpokenGroup(SpokenCommand, click.Group):
    """A group of spoken commands (its subcommands and subgroups are spoken too)."""

    command_class = SpokenCommand


SpokenGroup.group_class = SpokenGroup


def _lang_option(ctx: click.Context, param: click.Parameter, value: str | None) -> str | None:
    if value:
        speak(value)
    return value


class DomainAwareGroup(SpokenGroup):
    """Turns domain errors into a one-line message on stderr and a distinct exit code."""

    def main(self, *args: Any, **kwargs: Any) -> Any:
        """Run in the language of the environment (LANGUAGE, LC_ALL, LC_MESSAGES, LANG) unless --lang
        says otherwise; the process's LANGUAGE is put back afterwards."""
        before = os.environ.get("LANGUAGE")
        speak(i18n.from_environment(os.environ))
        try:
            return super().main(*args, **kwargs)
        finally:
            if before is None:
                os.environ.pop("LANGUAGE", None)
            else:
                os.environ["LANGUAGE"] = before
            i18n.activate(i18n.DEFAULT)

    def invoke(self, ctx: click.Context) -> Any:
        """Run the command; map domain errors at this single boundary."""
        try:
            return super().invoke(ctx)
        except DomainError as e:
            code = EXIT_INVALID
            if isinstance(e, NotFound):
                code = EXIT_NOT_FOUND
            elif isinstance(e, Unavailable):
                code = EXIT_UNAVAILABLE
            elif not isinstance(e, Invalid):
                code = EXIT_CONFLICT
            click.echo(_("error: %(message)s", message=e.message), err=True)
            ctx.exit(code)
        except (click.exceptions.ClickException, click.exceptions.Exit, click.exceptions.Abort):
            raise
        except KeyboardInterrupt:
            click.echo(_("interrupted"), err=True)
            ctx.exit(EXIT_INTERRUPTED)
        except Exception as e:  # a bug or an unforeseen fault: one line, the traceback only when asked
            if os.environ.get("REFERRALS_DEBUG"):
                raise
            click.echo(
                _(
                    "error: %(kind)s: %(message)s (set REFERRALS_DEBUG=1 for the traceback)",
                    kind=type(e).__name__,
                    message=str(e),
                ),
                err=True,
            )
            ctx.exit(EXIT_INTERNAL)


class DefaultCommandGroup(SpokenGroup):
    """A group whose `default` command runs when the first word is none of its commands (nor a help
    option): `referrals check --burst-count 3` is `referrals check run --burst-count 3`."""

    default = ""
    default_without_args = False  # also run it when no word follows the group (else: usage)

    def parse_args(self, ctx: click.Context, args: list[str]) -> list[str]:
        if not args:
            run = self.default_without_args
        else:
            run = args[0] not in self.commands and args[0] not in ctx.help_option_names
        if run:
            args = [self.default, *args]
        return super().parse_args(ctx, args)


@click.group(cls=DomainAwareGroup, context_settings=CONTEXT)
@click.version_option(__version__, prog_name="referrals")
@click.option(
    "--lang",
    type=click.Choice(i18n.LANGUAGES),
    is_eager=True,
    expose_value=False,
    callback=_lang_option,
    help="Language of messages, help and tables (default: from LANGUAGE, LC_ALL, LC_MESSAGES or LANG).",
)
@click.option(
    "--database-url",
    envvar="REFERRALS_DATABASE_URL",
    show_envvar=True,
    help="Store to use: sqlite:///referrals.db (default, embedded) or neo4j://user:pass@host:7687.",
)
@click.pass_context
def cli(ctx: click.Context, database_url: str | None) -> None:
    """Record word-of-mouth referral networks and credit every source of new business."""
    app = AppContext(database_url)
    ctx.obj = app
    ctx.call_on_close(app.close)


@cli.group(context_settings=CONTEXT)
def db() -> None:
    """Set up and inspect the database."""


@db.command("init", context_settings=CONTEXT)
@click.pass_obj
def db_init(app: AppContext) -> None:
    """Create or migrate tables, constraints and indexes, and remove what an interrupted restore left
    (safe to run again)."""
    version = app.store.init_schema()
    for ws in app.store.sweep_unfinished():
        click.echo(_("removed what an interrupted restore of %(workspace)s left behind", workspace=ws))
    click.echo(_("%(store)s store ready, schema version %(version)s", store=app.store.kind, version=version))


@db.command("status", context_settings=CONTEXT)
@click.pass_obj
def db_status(app: AppContext) -> None:
    """Say which store is configured, whether it answers, and its schema version."""
    app.upgrade = False  # status tells what is there; any other command upgrades it
    app.store.ping()
    version = app.store.schema_version()
    click.echo(_("store: %(store)s", store=app.store.kind))
    if version is None:
        click.echo(_("schema version: not initialised (run: referrals db init)"))
    elif version < SCHEMA_VERSION:
        click.echo(
            _(
                "schema version: %(version)s (this version of referrals upgrades it to %(new)s: run referrals db init)",
                version=version,
                new=SCHEMA_VERSION,
            )
        )
    else:
        click.echo(_("schema version: %(version)s", version=version))


@cli.group(context_settings=CONTEXT)
def workspace() -> None:
    """Create, list, rename and delete workspaces (one business's private data each). Every command
    names a workspace by its id or its name."""


@workspace.command("create", context_settings=CONTEXT)
@click.argument("name")
@click.pass_obj
def workspace_create(app: AppContext, name: str) -> None:
    """Create a workspace called NAME (unique in the store, whatever the case) and print its id."""
    workspace_name(name)  # refused before the database file is created for it
    app.store.init_schema()
    ws = app.store.create_workspace(name)
    click.echo(ws.id)


@workspace.command("rename", context_settings=CONTEXT)
@click.argument("workspace")
@click.argument("name")
@click.pass_obj
def workspace_rename(app: AppContext, workspace: str, name: str) -> None:
    """Call WORKSPACE (an id or its current name) NAME from now on."""
    ws = app.store.rename_workspace(app.store.find_workspace(workspace).id, name)
    click.echo(f"{ws.id}\t{ws.name}")


@workspace.command("delete", context_settings=CONTEXT)
@click.argument("workspace")
@click.option("--force", is_flag=True, help="Delete it even though it holds clients or channels.")
@click.option("--yes", "-y", is_flag=True, help="Do not ask for confirmation.")
@click.pass_obj
def workspace_delete(app: AppContext, workspace: str, force: bool, yes: bool) -> None:
    """Delete WORKSPACE (an id or its name) with everything in it, its tokens too. Refused while it holds
    clients or channels unless --force: back it up first with `referrals backup`."""
    ws = app.store.find_workspace(workspace)
    held = app.store.workspace_counts(ws.id)
    if held["clients"] or held["channels"]:
        what = held_text(held)
        if not force:
            raise Conflict(
                "workspace",
                _(
                    "%(name)r holds %(what)s: back it up first (referrals backup --workspace %(id)s -o"
                    " %(id)s.jsonl), then delete it with --force",
                    name=ws.name,
                    what=what,
                    id=ws.id,
                ),
            )
        click.echo(_("%(name)r (%(id)s) holds %(what)s.", name=ws.name, id=ws.id, what=what), err=True)
    if not yes:
        click.confirm(_("Delete workspace %(name)r (%(id)s) for good?", name=ws.name, id=ws.id), abort=True, err=True)
    app.store.delete_workspace(ws.id, force=force)
    click.echo(_("deleted %(id)s (%(name)s)", id=ws.id, name=ws.name))


@workspace.command("list", context_settings=CONTEXT)
@click.pass_obj
def workspace_list(app: AppContext) -> None:
    """List workspaces, oldest first."""
    for ws in app.store.list_workspaces():
        click.echo(f"{ws.id}\t{ws.name}\t{ws.created_at.date().isoformat()}")


@cli.group(context_settings=CONTEXT)
def token() -> None:
    """Create, list and revoke API tokens (only a hash of each is stored)."""


# --format of a report: a table for people or JSON for programs.
TABLE_OR_JSON = click.option(
    "--format",
    "fmt",
    type=click.Choice(["table", "json"], case_sensitive=False),
    default="table",
    show_default=True,
    help="table (for people) or json (for programs).",
)

WORKSPACE_OPTION = click.option(
    "--workspace",
    "-w",
    required=True,
    envvar="REFERRALS_WORKSPACE",
    show_envvar=True,
    help="Workspace id or name (see: referrals workspace list).",
)


@token.command("create", context_settings=CONTEXT)
@WORKSPACE_OPTION
@click.option(
    "--role",
    type=click.Choice([r.value for r in Role], case_sensitive=False),
    default=Role.EDITOR.value,
    show_default=True,
    help="viewer reads; editor also writes; owner also manages tokens.",
)
@click.option("--name", default="cli", show_default=True, help="A label to recognise the token by.")
@click.pass_obj
def token_create(app: AppContext, workspace: str, role: str, name: str) -> None:
    """Create a token and print it once; store it somewhere safe."""
    workspace = app.store.find_workspace(workspace).id
    secret = new_secret()
    created = app.store.create_token(workspace, Role(role), name, hash_secret(secret))
    click.echo(secret)
    click.echo(
        _(
            "(%(role)s token %(id)s for %(workspace)s; it will not be shown again)",
            role=created.role.value,
            id=created.id,
            workspace=workspace,
        ),
        err=True,
    )


@token.command("list", context_settings=CONTEXT)
@WORKSPACE_OPTION
@click.pass_obj
def token_list(app: AppContext, workspace: str) -> None:
    """List a workspace's tokens (ids, roles, names; never the secrets)."""
    workspace = app.store.find_workspace(workspace).id
    for t in app.store.list_tokens(workspace):
        click.echo(f"{t.id}\t{t.role.value}\t{t.name}\t{t.created_at.date().isoformat()}")


@token.command("revoke", context_settings=CONTEXT)
@WORKSPACE_OPTION
@click.argument("token_id")
@click.pass_obj
def token_revoke(app: AppContext, workspace: str, token_id: str) -> None:
    """Revoke the token TOKEN_ID at once."""
    app.store.revoke_token(app.store.find_workspace(workspace).id, token_id)
    click.echo(_("revoked %(id)s", id=token_id))


SERVE_TOKEN_NAME = "local (referrals serve)"
FIRST_WORKSPACE = "My network"


def local_token(store: Store, workspace: str | None) -> tuple[Workspace, str]:
    """The workspace for a local sign-in (the one named, else the first, else a new one) and a fresh owner
    token for it; the previous local token of that workspace is revoked (one live at a time)."""
    if workspace:
        ws = store.find_workspace(workspace)
    else:
        existing = store.list_workspaces()
        ws = existing[0] if existing else store.create_workspace(FIRST_WORKSPACE)
    for old in store.list_tokens(ws.id):
        if old.name == SERVE_TOKEN_NAME:
            store.revoke_token(ws.id, old.id)
    secret = new_secret()
    store.create_token(ws.id, Role.OWNER, SERVE_TOKEN_NAME, hash_secret(secret))
    return ws, secret


def page_url() -> str:
    """Where the page is served: REFERRALS_PAGE_URL, else http:// and REFERRALS_BIND (gunicorn's address)."""
    given = os.environ.get("REFERRALS_PAGE_URL", "").strip()
    return (given or "http://" + (os.environ.get("REFERRALS_BIND", "").strip() or "127.0.0.1:8000")).rstrip("/")


def held_text(held: dict[str, int], empty: str = "") -> str:
    """Counts of things for people, those above zero: "3 clients, 1 channel, 2 recommendations"."""
    return ", ".join(i18n.count(k, n) for k, n in held.items() if n) or empty


def print_link(site: str, ws: Workspace, secret: str) -> None:
    # The token rides in the fragment: the browser never sends it to the server, the page keeps it in the tab.
    # Printed to the terminal only; nothing writes it to a log.
    click.echo(_("network page of %(name)r, signed in: %(url)s", name=ws.name, url=f"{site}/#token={secret}"))


@cli.command(context_settings=CONTEXT)
@click.option("--url", help="Where the page is served (default: REFERRALS_PAGE_URL, else http://REFERRALS_BIND).")
@click.option("--workspace", "-w", help="Workspace to sign in to (default: the first one, or a new one).")
@click.pass_obj
def link(app: AppContext, url: str | None, workspace: str | None) -> None:
    """Print a link that opens the network page signed in (a new local owner token; creates a first
    workspace if there is none). `make serve` prints one before it starts."""
    app.store.init_schema()
    ws, secret = local_token(app.store, workspace)
    print_link((url or page_url()).rstrip("/"), ws, secret)


@cli.command(context_settings=CONTEXT)
@click.option("--url", help="Where the page is served (default: REFERRALS_PAGE_URL, else http://REFERRALS_BIND).")
@click.pass_obj
def demo(app: AppContext, url: str | None) -> None:
    """Load a sample freelancer's network into a workspace of its own (two channels, a chain ten levels deep,
    a client who passed on ten contacts, dead ends, deals in RUB and EUR, a refund) and print a link
    that opens it on the page."""
    from referrals.demo import DEMO_NAME, load_demo

    app.store.init_schema()
    try:
        ws = app.store.find_workspace(DEMO_NAME)
        click.echo(
            _("%(name)r is already here (%(id)s); delete it first to load it again", name=DEMO_NAME, id=ws.id), err=True
        )
    except NotFound:
        ws = load_demo(app.store)
        held = app.store.workspace_counts(ws.id)
        click.echo(_("loaded %(name)r (%(id)s): %(what)s", name=DEMO_NAME, id=ws.id, what=held_text(held)))
    ws, secret = local_token(app.store, ws.id)
    print_link((url or page_url()).rstrip("/"), ws, secret)


@cli.command(context_settings=CONTEXT)
@click.option("--host", default="127.0.0.1", show_default=True, help="Interface to listen on.")
@click.option("--port", default=5000, show_default=True, type=click.IntRange(1, 65535), help="TCP port.")
@click.option(
    "--workspace", "-w", help="Workspace to issue the local token for (default: the first one, or a new one)."
)
@click.pass_obj
def serve(app: AppContext, host: str, port: int, workspace: str | None) -> None:
    """Run the API and the network page with Flask's development server; print a signed-in link."""
    from api import create_app

    store = app.store
    store.init_schema()
    ws, secret = local_token(store, workspace)
    flask_app = create_app({"STORE": store, "SETTINGS": app.settings})
    site = f"http://{host}:{port}"
    base = f"{site}/api/v1"
    click.echo(
        _(
            "referrals API on %(url)s (%(store)s store, workspace %(name)r %(id)s)",
            url=base,
            store=store.kind,
            name=ws.name,
            id=ws.id,
        )
    )
    click.echo(_("local owner token: %(token)s", token=secret))
    print_link(site, ws, secret)
    click.echo(_("try: %(command)s", command=f'curl -H "Authorization: Bearer {secret}" {base}/workspace'))
    flask_app.run(host=host, port=port, debug=False, use_reloader=False)


for _param in cli.params:
    if _param.name == "version":
        _param.help = VERSION_OPTION


def main() -> None:
    """Console-script entry point."""
    # The driver logs each failed connection attempt; our own message already says what failed.
    logging.getLogger("neo4j").setLevel(logging.CRITICAL)
    sys.exit(cli.main(prog_name="referrals"))
