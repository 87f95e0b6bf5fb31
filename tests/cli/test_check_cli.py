"""`referrals check`: open findings with their keys, thresholds as options, dismissals that stay."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

from click.testing import CliRunner

from cli import cli
from graph.sqlite import SqliteStore
from referrals.model import ClientInput, ReferralInput, SourceKind, SourceRef


def test_check_lists_dismisses_and_shows_again(tmp_path: Path) -> None:
    store = SqliteStore(tmp_path / "check.db")
    store.init_schema()
    ws = store.create_workspace("Studio").id
    ana, anya, olga, *contacts = (
        store.create_client(ws, ClientInput.parse(data)).id
        for data in (
            {"name": "Ana", "email": "ana.lima@gmail.com"},
            {"name": "Anya", "email": "analima+work@gmail.com"},
            {"name": "Olga"},
            *({"name": f"Contact {i}"} for i in range(4)),
        )
    )
    for i, c in enumerate(contacts):
        store.record_referral(ws, ReferralInput(SourceRef(SourceKind.CLIENT, olga), c, date(2025, 5, 1 + i)))
    store.close()

    def run(*args: str):
        return CliRunner().invoke(cli, ["--database-url", f"sqlite:///{tmp_path}/check.db", *args])

    out = run("check")
    assert out.exit_code == 0, out.output
    assert "[shared_contact] shared_contact-" in out.output and "ana.lima@gmail.com (Ana, Anya)" in out.output
    assert "burst" in out.output and "[burst]" not in out.output  # four in four days: no burst by default
    burst = run("check", "--burst-count", "3", "--format", "json")
    (found,) = [f for f in json.loads(burst.output)["findings"] if f["rule"] == "burst"]
    assert found["numbers"]["clients"] == 4 and found["people"][0]["name"] == "Olga"
    # dismissing the burst needs the thresholds that found it
    missing = run("check", "dismiss", found["key"], "--note", "a party")
    assert missing.exit_code == 3 and "give the thresholds that found it" in missing.stderr
    done = run("check", "dismiss", found["key"], "--note", "a birthday party", "--burst-count", "3")
    assert done.exit_code == 0 and "dismissed" in done.output
    again = run("check", "--burst-count", "3")
    assert "[burst]" not in again.output and "1 dismissed finding not listed (--all lists them)." in again.output
    listed = run("check", "--burst-count", "3", "--all")
    assert "(dismissed)" in listed.output and "a birthday party" in listed.output
    assert run("check", "undismiss", found["key"]).exit_code == 0
    assert "[burst]" in run("check", "--burst-count", "3").output
    gone = run("check", "undismiss", found["key"])
    assert gone.exit_code == 3 and gone.stderr.startswith("error:")
    one = run("check", "--burst-count", "3", "--limit", "1")
    assert one.output.count("\n[") == 1 and "... and 1 more (--limit)" in one.output
    bad = run("check", "--hollow-size", "1")
    assert bad.exit_code == 2 and "--hollow-size" in bad.stderr
