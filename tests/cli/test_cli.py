"""The command line: set-up commands, errors on stderr with exit codes, help everywhere."""

from __future__ import annotations

import time
from pathlib import Path

import click
import pytest
from click.testing import CliRunner

from cli import cli
from graph.schema import SCHEMA_VERSION


@pytest.fixture
def run(tmp_path: Path):
    url = f"sqlite:///{tmp_path}/cli.db"

    def invoke(*args: str, env: dict[str, str] | None = None):
        return CliRunner().invoke(cli, ["--database-url", url, *args], env=env, catch_exceptions=False)

    return invoke


def test_db_init_and_status(run) -> None:
    first = run("db", "init")
    assert first.exit_code == 0 and f"schema version {SCHEMA_VERSION}" in first.output
    assert run("db", "init").exit_code == 0  # idempotent
    status = run("db", "status")
    assert (
        status.exit_code == 0
        and "store: sqlite" in status.output
        and f"schema version: {SCHEMA_VERSION}" in status.output
    )


def test_db_init_on_neo4j(neo4j_url: str) -> None:
    result = CliRunner().invoke(cli, ["--database-url", neo4j_url, "db", "init"], catch_exceptions=False)
    assert result.exit_code == 0 and "neo4j store ready" in result.output


def test_workspaces(run) -> None:
    created = run("workspace", "create", "  Studio Ana  ")
    assert created.exit_code == 0 and created.output.startswith("ws_")
    listed = run("workspace", "list")
    assert created.output.strip() in listed.output and "Studio Ana" in listed.output
    blank = run("workspace", "create", "   ")
    assert blank.exit_code == 1 and "name: must not be blank" in blank.stderr


def test_a_workspace_goes_by_its_name_everywhere(run) -> None:
    """The story of the issue: create "Design Studio", then use the name as a person would."""
    ws = run("workspace", "create", "Design Studio").output.strip()
    token = run("token", "create", "--workspace", "Design Studio")
    assert token.exit_code == 0, token.stderr
    assert run("token", "list", "--workspace", "design studio").output.count("\teditor\t") == 1
    twice = run("workspace", "create", "design studio")
    assert twice.exit_code == 4 and f"workspace {ws} is already called 'Design Studio'" in twice.stderr
    run("workspace", "create", "Second")  # two workspaces now: a read needs one named
    assert run("network", "summary", "--workspace", "Design Studio").exit_code == 0
    env_named = run("network", "summary", env={"REFERRALS_WORKSPACE": "DESIGN STUDIO"})
    assert env_named.exit_code == 0, env_named.stderr
    typo = run("network", "summary", "--workspace", "Desing Studio")
    assert typo.exit_code == 3 and "'Design Studio', 'Second'" in typo.stderr
    renamed = run("workspace", "rename", "Design Studio", "Studio Moscow")
    assert renamed.exit_code == 0 and renamed.output.strip() == f"{ws}\tStudio Moscow"
    assert run("token", "list", "--workspace", "Studio Moscow").exit_code == 0


def test_deleting_a_workspace_asks_and_refuses_while_it_holds_data(run, tmp_path: Path) -> None:
    from graph.sqlite import SqliteStore
    from referrals.model import ClientInput

    ws = run("workspace", "create", "Old clients").output.strip()
    store = SqliteStore(tmp_path / "cli.db")
    store.create_client(ws, ClientInput(name="Ana"))
    store.close()
    refused = run("workspace", "delete", "Old clients", "--yes")
    assert refused.exit_code == 4 and "holds 1 client:" in refused.stderr and "referrals backup" in refused.stderr
    declined = CliRunner().invoke(
        cli,
        ["--database-url", f"sqlite:///{tmp_path}/cli.db", "workspace", "delete", "Old clients", "--force"],
        input="n\n",
    )
    assert declined.exit_code == 1 and "Aborted" in declined.output
    assert "Old clients" in run("workspace", "list").output
    gone = run("workspace", "delete", "old clients", "--force", "--yes")
    assert gone.exit_code == 0 and gone.stdout.strip() == f"deleted {ws} (Old clients)"
    assert "Old clients" not in run("workspace", "list").output


def test_bad_url_and_unreachable_server_fail_clearly() -> None:
    result = CliRunner().invoke(cli, ["--database-url", "mysql://x", "db", "status"])
    assert result.exit_code == 1 and "REFERRALS_DATABASE_URL" in result.stderr
    result = CliRunner().invoke(cli, ["--database-url", "neo4j://127.0.0.1:1", "db", "status"])
    assert result.exit_code == 5 and "unavailable" in result.stderr


def _commands(group: click.Group, prefix: tuple[str, ...] = ()):
    for name, cmd in group.commands.items():
        yield (*prefix, name), cmd
        if isinstance(cmd, click.Group):
            yield from _commands(cmd, (*prefix, name))


def test_every_command_has_help_and_is_in_the_readme() -> None:
    readme = (Path(__file__).resolve().parents[2] / "README.md").read_text()
    for path, cmd in _commands(cli):
        assert cmd.help, f"{' '.join(path)} has no help text"
        for flag in ("-h", "--help"):
            result = CliRunner().invoke(cli, [*path, flag])
            assert result.exit_code == 0 and "Usage:" in result.output
        assert f"referrals {' '.join(path)}" in readme, f"README does not mention `referrals {' '.join(path)}`"


def test_tokens(run) -> None:
    ws = run("workspace", "create", "Studio").output.strip()
    made = run("token", "create", "--workspace", ws, "--role", "viewer", "--name", "accountant")
    assert made.exit_code == 0 and made.stdout.startswith("rfk_") and "not be shown again" in made.stderr
    listed = run("token", "list", "--workspace", ws)
    assert "viewer\taccountant" in listed.output and made.stdout.strip() not in listed.output
    token_id = listed.output.split("\t")[0]
    assert run("token", "revoke", "--workspace", ws, token_id).exit_code == 0
    assert run("token", "list", "--workspace", ws).output == ""
    again = run("token", "revoke", "--workspace", ws, token_id)
    assert again.exit_code == 3 and "not found" in again.stderr
    bad = run("token", "create", "--workspace", "ws_nope")
    assert bad.exit_code == 3


def test_serve_prints_a_working_token(tmp_path: Path) -> None:
    import json
    import urllib.request

    from tests.serving import serve

    with serve(tmp_path / "serve.db") as (port, banner):
        token = banner["local owner token"]
        req = urllib.request.Request(
            f"http://127.0.0.1:{port}/api/v1/workspace", headers={"Authorization": f"Bearer {token}"}
        )
        for _ in range(50):
            try:
                with urllib.request.urlopen(req, timeout=2) as resp:
                    body = json.load(resp)
                break
            except OSError:
                time.sleep(0.1)
        assert body["role"] == "owner" and body["name"] == "My network"


def test_a_store_of_an_earlier_schema_is_told_by_status_and_upgraded_by_any_other_command(tmp_path: Path) -> None:
    from tests.graph.test_schema_upgrades import _old_fair_ana_bo, _sqlite_file_of_version

    conn = _sqlite_file_of_version(tmp_path / "old.db", 11)
    _old_fair_ana_bo(conn, "ws_old")
    conn.commit()
    conn.close()
    url = f"sqlite:///{tmp_path}/old.db"

    def run(*args: str):
        return CliRunner().invoke(cli, ["--database-url", url, *args], catch_exceptions=False)

    status = run("db", "status")
    assert (
        status.exit_code == 0 and "schema version: 11 (" in status.stdout and "run referrals db init" in status.stdout
    )
    assert "schema version: 11 (" in run("db", "status").stdout  # status reads, never writes
    tree = run("tree", "Fair", "--workspace", "ws_old")
    assert tree.exit_code == 0, tree.output
    assert "Ana" in tree.stdout and "Bo" in tree.stdout
    assert f"upgraded the store from schema 11 to {SCHEMA_VERSION}" in tree.stderr
    assert f"schema version: {SCHEMA_VERSION}\n" in run("db", "status").stdout
    assert "upgraded" not in run("tree", "Fair", "--workspace", "ws_old").stderr  # once
