"""`referrals backup`, `restore` and `migrate` end to end through the command line."""

from __future__ import annotations

from pathlib import Path

from click.testing import CliRunner

from cli import cli
from graph.neo4j import Neo4jStore
from tests.conftest import make_sqlite_store
from tests.graph.test_backup import build


def run(url: str, *args: str):
    return CliRunner().invoke(cli, ["--database-url", url, *args])


def test_backup_restore_and_refusals(tmp_path: Path) -> None:
    source = make_sqlite_store(tmp_path / "a.db")
    ws = build(source, 7)
    source.close()
    a, b = f"sqlite:///{tmp_path / 'a.db'}", f"sqlite:///{tmp_path / 'b.db'}"
    first = tmp_path / "one.jsonl"
    out = run(a, "backup", "--output", str(first))
    assert out.exit_code == 0, out.output
    assert "40 clients" in out.stderr and not list(tmp_path.glob("*.partial"))
    restored = run(b, "restore", str(first))
    assert restored.exit_code == 0, restored.output
    assert f"restored {ws}" in restored.stdout
    again = run(b, "backup", "--output", "-", "--workspace", ws)
    assert again.exit_code == 0 and again.stdout_bytes == first.read_bytes()
    assert run(b, "restore", str(first)).exit_code == 4  # already there
    damaged = tmp_path / "damaged.jsonl"
    damaged.write_bytes(first.read_bytes().replace(b'"deal"', b'"deal" ', 1))
    c = f"sqlite:///{tmp_path / 'c.db'}"
    refused = run(c, "restore", str(damaged))
    assert refused.exit_code == 1 and "sha256" in refused.stderr
    assert run(c, "workspace", "list").stdout.count("ws_") == 0


def test_migrate_to_neo4j_verifies_the_copy(tmp_path: Path, neo4j_store: Neo4jStore, neo4j_url: str) -> None:
    source = make_sqlite_store(tmp_path / "a.db")
    ws = build(source, 8)
    source.close()
    neo4j_store._purge(ws)
    out = run(
        "sqlite:///" + str(tmp_path / "a.db"), "migrate", "--from", f"sqlite:///{tmp_path / 'a.db'}", "--to", neo4j_url
    )
    assert out.exit_code == 0, out.output
    assert f"migrated {ws}" in out.stdout and "verified, sha256 " in out.stdout
    assert neo4j_store.get_workspace(ws).name == "random 8"
    again = run("sqlite:///x.db", "migrate", "--from", f"sqlite:///{tmp_path / 'a.db'}", "--to", neo4j_url)
    assert again.exit_code == 4 and "already exists" in again.stderr
