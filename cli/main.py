"""Command groups and the one place where domain errors become exit codes and stderr messages."""

from __future__ import annotations

import logging
import sys
from typing import Any

import click

from graph import Store, open_store
from referrals import __version__
from referrals.config import Settings
from referrals.errors import DomainError, Invalid, NotFound, Unavailable

CONTEXT = {"help_option_names": ["-h", "--help"], "max_content_width": 100}

# Exit codes: 1 usage/invalid input, 2 click usage errors, 3 not found, 4 conflict, 5 unavailable.
EXIT_INVALID, EXIT_NOT_FOUND, EXIT_CONFLICT, EXIT_UNAVAILABLE = 1, 3, 4, 5


class AppContext:
    """Settings and a lazily opened store, shared by every command of one invocation."""

    def __init__(self, database_url: str | None) -> None:
        self._url = database_url
        self._store: Store | None = None

    @property
    def settings(self) -> Settings:
        """Environment settings, with --database-url winning over REFERRALS_DATABASE_URL."""
        base = Settings.from_env()
        return Settings(database_url=self._url or base.database_url, max_depth=base.max_depth)

    @property
    def store(self) -> Store:
        """The store, opened on first use."""
        if self._store is None:
            s = self.settings
            self._store = open_store(s.database_url, max_depth=s.max_depth)
        return self._store

    def close(self) -> None:
        """Close the store if it was opened."""
        if self._store is not None:
            self._store.close()


class DomainAwareGroup(click.Group):
    """Turns domain errors into a one-line message on stderr and a distinct exit code."""

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
            click.echo(f"error: {e.message}", err=True)
            ctx.exit(code)


@click.group(cls=DomainAwareGroup, context_settings=CONTEXT)
@click.version_option(__version__, prog_name="referrals")
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
    """Create or migrate tables, constraints and indexes (safe to run again)."""
    version = app.store.init_schema()
    click.echo(f"{app.store.kind} store ready, schema version {version}")


@db.command("status", context_settings=CONTEXT)
@click.pass_obj
def db_status(app: AppContext) -> None:
    """Say which store is configured, whether it answers, and its schema version."""
    app.store.ping()
    version = app.store.schema_version()
    click.echo(f"store: {app.store.kind}")
    click.echo(f"schema version: {version if version is not None else 'not initialised (run: referrals db init)'}")


@cli.group(context_settings=CONTEXT)
def workspace() -> None:
    """Create and list workspaces (one business's private data each)."""


@workspace.command("create", context_settings=CONTEXT)
@click.argument("name")
@click.pass_obj
def workspace_create(app: AppContext, name: str) -> None:
    """Create a workspace called NAME and print its id."""
    clean = name.strip()
    if not clean:
        raise Invalid.one("name", "must not be blank")
    app.store.init_schema()
    ws = app.store.create_workspace(clean)
    click.echo(ws.id)


@workspace.command("list", context_settings=CONTEXT)
@click.pass_obj
def workspace_list(app: AppContext) -> None:
    """List workspaces, oldest first."""
    for ws in app.store.list_workspaces():
        click.echo(f"{ws.id}\t{ws.name}\t{ws.created_at.date().isoformat()}")


@cli.command(context_settings=CONTEXT)
@click.option("--host", default="127.0.0.1", show_default=True, help="Interface to listen on.")
@click.option("--port", default=5000, show_default=True, type=click.IntRange(1, 65535), help="TCP port.")
@click.pass_obj
def serve(app: AppContext, host: str, port: int) -> None:
    """Run the API with Flask's development server (use gunicorn in production)."""
    from api import create_app

    flask_app = create_app({"STORE": app.store, "SETTINGS": app.settings})
    click.echo(f"referrals API on http://{host}:{port}/api/v1 ({app.store.kind} store)")
    flask_app.run(host=host, port=port, debug=False, use_reloader=False)


def main() -> None:
    """Console-script entry point."""
    # The driver logs each failed connection attempt; our own message already says what failed.
    logging.getLogger("neo4j").setLevel(logging.CRITICAL)
    sys.exit(cli.main(prog_name="referrals"))
