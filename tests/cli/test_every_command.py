"""Every command answers --help, and a bad call of each gets one line on stderr and an exit code, never a
traceback; a read of a database that does not exist says so with its path and creates nothing."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from pathlib import Path

import click
import pytest
from click.testing import CliRunner

from cli import cli


def commands(group: click.Group = cli, path: tuple[str, ...] = ()) -> Iterator[tuple[tuple[str, ...], click.Command]]:
    for name, cmd in sorted(group.commands.items()):
        if isinstance(cmd, click.Group):
            yield from commands(cmd, (*path, name))
        else:
            yield (*path, name), cmd


ALL = list(commands())
# A bad call of each: what to pass instead of "every required argument is x" (which fits most).
BAD: dict[tuple[str, ...], list[str]] = {
    ("db", "init"): [],  # these three write: run against a folder that cannot be created
    ("demo",): [],
    ("link",): [],
    ("workspace", "create"): ["  "],
    ("serve",): ["--port", "not-a-port"],
}


def test_the_list_covers_every_command() -> None:
    assert len(ALL) >= 22 and ("chain",) in dict(ALL) and ("attribution", "export") in dict(ALL)


@pytest.mark.parametrize("path", [p for p, _ in ALL], ids=" ".join)
def test_help(path: tuple[str, ...]) -> None:
    out = CliRunner().invoke(cli, [*path, "--help"], prog_name="referrals")
    assert out.exit_code == 0 and out.output.startswith("Usage: referrals " + " ".join(path))


@pytest.mark.parametrize("path", [p for p, _ in ALL], ids=" ".join)
def test_a_bad_call_gets_one_line_and_an_exit_code(path: tuple[str, ...], tmp_path: Path) -> None:
    cmd = dict(ALL)[path]
    args = BAD.get(path)
    if args is None:
        args = []
        for p in cmd.params:
            if p.required and isinstance(p, click.Argument):
                args += ["x"]
            elif p.required:
                args += [p.opts[0], "x"]
    writes = path in (("db", "init"), ("demo",), ("link",))
    url = "sqlite:////proc/no/such/folder/r.db" if writes else f"sqlite:///{tmp_path}/typo.db"
    out = CliRunner().invoke(cli, ["--database-url", url, *path, *args])
    assert out.exit_code not in (0, None), out.output
    assert out.exception is None or isinstance(out.exception, SystemExit), repr(out.exception)  # no traceback
    lines = [line for line in out.stderr.splitlines() if line.strip()]
    assert lines and "Traceback" not in out.output
    assert lines[-1].startswith(("error:", "Error:")), out.stderr
    assert not (tmp_path / "typo.db").exists()  # nothing created by a failed call


@pytest.mark.parametrize(
    "path",
    [("db", "status"), ("workspace", "list"), ("chain", "Ana"), ("network", "summary"), ("attribution", "months")],
    ids=" ".join,
)
def test_a_read_of_a_missing_database_names_it_and_exits_5(path: tuple[str, ...], tmp_path: Path) -> None:
    typo = tmp_path / "referals.db"
    out = CliRunner().invoke(cli, ["--database-url", f"sqlite:///{typo}", *path])
    assert out.exit_code == 5
    assert out.stderr.strip().splitlines() == [
        f"error: no database file at {typo}: create it with `referrals db init`, or check"
        " REFERRALS_DATABASE_URL / --database-url"
    ]
    assert not typo.exists()


def test_a_file_with_no_tables_says_run_db_init(tmp_path: Path) -> None:
    empty = tmp_path / "other.db"
    sqlite3.connect(empty).close()  # an SQLite file, but not ours
    out = CliRunner().invoke(cli, ["--database-url", f"sqlite:///{empty}", "workspace", "list"])
    assert out.exit_code == 5 and "holds no referrals tables" in out.stderr and "run `referrals db init`" in out.stderr
