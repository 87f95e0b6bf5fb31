"""chain, tree, stats, network and export-graph in the terminal."""

from __future__ import annotations

import io
import json
from datetime import date
from pathlib import Path

import networkx as nx
import pytest
from click.testing import CliRunner

from cli import cli
from graph.sqlite import SqliteStore
from referrals.model import ChannelInput, ClientInput, DealInput, ReferralInput, SourceKind, SourceRef
from referrals.money import Money
from tests.graph.test_as_of import story


@pytest.fixture
def run(tmp_path: Path):
    url = f"sqlite:///{tmp_path}/net.db"
    store = SqliteStore(tmp_path / "net.db")
    store.init_schema()
    ws = store.create_workspace("Studio").id
    ids = store.upsert_clients(
        ws,
        [
            ClientInput(name=f"P{i}", email=f"p{i}@x.com", external_id=str(i), phone=f"+791600000{i:02d}")
            for i in range(12)
        ],
    ).ids
    blog = store.create_channel(ws, ChannelInput(name="Pricing post"))
    rows = [ReferralInput(SourceRef(SourceKind.CHANNEL, blog.id), ids[0], date(2023, 1, 1))]
    rows += [ReferralInput(SourceRef(SourceKind.CLIENT, ids[i]), ids[i + 1], date(2024, 1, 1)) for i in range(9)]
    rows += [ReferralInput(SourceRef(SourceKind.CLIENT, ids[0]), ids[11], date(2024, 2, 1))]
    store.add_referrals(ws, rows)
    store.create_deal(ws, DealInput(ids[1], Money(12345, "EUR"), date(2024, 3, 1)))
    store.create_deal(ws, DealInput(ids[8], Money(2005, "EUR"), date(2024, 3, 1)))  # nine levels below the blog
    store.close()

    def invoke(*args: str):
        return CliRunner().invoke(cli, ["--database-url", url, *args], catch_exceptions=False)

    return invoke


def test_chain(run) -> None:
    out = run("chain", "P9")
    assert out.exit_code == 0, out.output
    assert "P8" in out.output and "P0" in out.output and "Pricing post" in out.output  # the whole chain
    assert "goes on" not in out.output
    cut = run("chain", "P9", "--depth", "7")
    assert "P2" in cut.output and "P1 " not in cut.output
    assert "goes on above level 7: 10 levels in all, up to Pricing post (channel)" in " ".join(cut.output.split())
    assert run("chain", "P9", "--depth", "9").exit_code == 0  # the bound is 50 here as everywhere
    too_deep = run("chain", "P9", "--depth", "51")
    assert too_deep.exit_code == 2 and "1<=x<=50" in too_deep.stderr
    assert run("chain", "p1@x.com").exit_code == 0
    by_phone = run("chain", "8 916 000-00-09")  # a phone as people write it finds its client
    assert by_phone.exit_code == 0 and by_phone.output == out.output
    missing = run("chain", "Nobody")
    assert missing.exit_code == 3 and "not found" in missing.stderr


def test_tree_is_whole_and_a_cut_says_what_lies_beyond(run) -> None:
    whole = run("tree", "Pricing post")
    assert whole.exit_code == 0, whole.output
    text = " ".join(whole.output.split())
    assert "Pricing post (channel) — 11 clients, revenue €143.50" in text
    assert "L10" in text and "past level 7: no credit to Pricing post" in text
    assert "dead end" in text and "not shown" not in text
    cut = run("tree", "Pricing post", "--depth", "7")
    text = " ".join(cut.output.split())
    assert "Pricing post (channel) — 11 clients, revenue €143.50" in text  # the same totals as the whole
    assert "L7" in text and "L8" not in text
    assert "P6 L7 · - · branch 3 / €20.05" in text  # the level-7 client's branch goes on past the cut
    assert "… 3 more clients below level 7, €20.05" in text
    assert "8 clients shown; past level 7: 3 clients, revenue €20.05 (drop --depth to see them)" in text
    small = run("tree", "P0", "--max-nodes", "2")
    assert "more clients (raise --max-nodes)" in small.output
    assert run("tree", "P0", "--depth", "51").exit_code == 2


def test_stats_and_network(run) -> None:
    stats = run("stats", "P2")
    assert stats.exit_code == 0 and "level in its chain" in stats.output and "Pricing post" in stats.output
    deep = " ".join(run("stats", "P9").output.split())
    assert "level in its chain │ 10" in deep and "top of chain │ Pricing post (channel)" in deep  # not P2
    cut = " ".join(run("stats", "P0", "--depth", "2").output.split())
    assert "reach │ 10" in cut and "branch revenue │ €143.50" in cut
    assert "not shown │ past level 2: 7 clients, revenue €20.05" in cut
    summary = run("network", "summary")
    assert summary.exit_code == 0 and "came through a channel" in summary.output and "P0" in summary.output
    keys = run("network", "key-clients", "--limit", "3")
    assert keys.exit_code == 0 and "Key clients, ranked in EUR" in keys.output


def test_key_clients_show_every_currency_and_rank_in_the_one_asked(run) -> None:
    assert run("deal", "add", "P11", "700", "--currency", "USD", "--on", "2024-03-02").exit_code == 0
    eur = run("network", "key-clients", "--limit", "12")
    assert eur.exit_code == 0, eur.output
    text = " ".join(eur.output.split())
    assert "Key clients, ranked in EUR (also paid in USD: --currency ranks in another)" in text
    lines = eur.output.splitlines()
    p11 = next(i for i, line in enumerate(lines) if " P11 " in line)
    assert "€0.00 │" in lines[p11] and "$700.00 │" in lines[p11 + 1]  # paid in USD only: shown
    p0 = next(i for i, line in enumerate(lines) if " P0 " in line)
    assert "€143.50 │" in lines[p0] and "$700.00 │" in lines[p0 + 1]  # brought in, every currency
    usd = run("network", "key-clients", "--limit", "12", "--currency", "usd", "--w-downline", "0", "--w-reach", "0")
    first = next(line for line in usd.output.splitlines() if line.replace(" ", "").startswith("│1│"))
    assert " P11 " in first and "$700.00" in first and "ranked in USD" in " ".join(usd.output.split())


def test_export_graph(run, tmp_path: Path) -> None:
    target = tmp_path / "net.graphml"
    out = run("export-graph", "--format", "graphml", "--output", str(target))
    assert out.exit_code == 0 and "13 nodes and 11 edges" in out.stderr
    g = nx.read_graphml(target)
    assert g.number_of_nodes() == 13
    gexf = run("export-graph", "--format", "gexf", "--root", "P5", "--depth", "2")
    sub = nx.read_gexf(io.BytesIO(gexf.stdout_bytes))
    assert sorted(sub.nodes[n]["name"] for n in sub.nodes) == ["P5", "P6", "P7"]
    assert run("export-graph", "--format", "mermaid").stdout.startswith("flowchart TD")


@pytest.mark.parametrize("fmt", ["graphml", "gexf"])
def test_the_whole_network_file_is_written_as_it_is_read(run, tmp_path: Path, monkeypatch, fmt: str) -> None:
    """stdout and --output carry the in-memory path's bytes; a read that fails half way leaves no file
    under the name asked for (nor a .part beside it), and what was there stays."""
    from referrals import analysis, network_file
    from referrals.exports import GraphFormat, export

    store = SqliteStore(tmp_path / "net.db")
    ws = store.list_workspaces()[0].id
    want = export(analysis.network_graph(store.snapshot(ws)), GraphFormat(fmt))
    assert run("export-graph", "--format", fmt).stdout_bytes == want
    target = tmp_path / f"net.{fmt}"
    assert run("export-graph", "-o", str(target)).exit_code == 0 and target.read_bytes() == want
    target.write_bytes(b"kept")
    real = network_file.Attributes.nodes

    def broken(self, batch):  # the store gives out half way through the nodes
        raise OSError("disk gone")

    monkeypatch.setattr(network_file.Attributes, "nodes", broken)
    failed = run("export-graph", "-o", str(target))
    assert failed.exit_code != 0, failed.output
    monkeypatch.setattr(network_file.Attributes, "nodes", real)
    assert target.read_bytes() == b"kept" and not list(tmp_path.glob("*.part"))


def test_export_graph_draws_svg_and_png_through_graphviz(run, tmp_path: Path, monkeypatch) -> None:
    svg = run("export-graph", "--format", "svg")
    assert svg.exit_code == 0 and svg.stdout.startswith("<?xml") and "</svg>" in svg.stdout
    png = tmp_path / "net.png"
    out = run("export-graph", "-o", str(png))  # the format follows the file's suffix
    assert out.exit_code == 0 and png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    dot = tmp_path / "net.gv"
    assert run("export-graph", "-o", str(dot)).exit_code == 0 and dot.read_text().startswith("digraph referrals {")
    monkeypatch.setenv("PATH", str(tmp_path))  # no `dot` to be found
    missing = run("export-graph", "--format", "svg")
    assert missing.exit_code == 5 and "apt-get install graphviz" in missing.stderr


def test_views_take_as_of(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    store = SqliteStore(tmp_path / "story.db")
    store.init_schema()
    ws, ids, _ = story(store, monkeypatch)
    monkeypatch.undo()
    store.close()

    def run(*args: str) -> str:
        result = CliRunner().invoke(
            cli, ["--database-url", f"sqlite:///{tmp_path}/story.db", *args, "--workspace", ws], catch_exceptions=False
        )
        assert result.exit_code == 0, result.output
        return result.output

    march = ("--as-of", "2024-03-14")
    out = run("chain", ids["Carla"], *march)
    assert "as of 2024-03-14" in out and "Bruno" in out and "Ana" in out and "Blog" in out
    assert "Podcast" in run("chain", ids["Carla"]) and "Ana" not in run("chain", ids["Carla"])
    tree = run("tree", "Blog", *march)
    assert "3 clients, revenue €100.00" in tree and "Carla" in tree
    assert "1 client," in run("tree", "Blog")
    stats = run("stats", "Ana", *march)
    assert "as of" in stats and "2024-03-14" in stats
    summary = run("network", "summary", *march)
    assert "as of 2024-03-14" in summary
    key = run("network", "key-clients", "--as-of", "2024-01-31")
    assert "Ana" in key and "Bruno" not in key
    out_file = tmp_path / "march.graphml"
    run("export-graph", "-o", str(out_file), *march)
    g = nx.read_graphml(out_file)
    assert sorted(d["name"] for _, d in g.nodes(data=True) if d.get("kind") == "client") == ["Ana", "Bruno", "Carla"]
    bad = CliRunner().invoke(
        cli,
        [
            "--database-url",
            f"sqlite:///{tmp_path}/story.db",
            "chain",
            "Ana",
            "--as-of",
            "14.03.2024",
            "--workspace",
            ws,
        ],
    )
    assert bad.exit_code != 0 and "--as-of" in bad.output


def test_network_growth(tmp_path: Path) -> None:
    from tests.referrals.test_growth import story as growth_story

    store = SqliteStore(tmp_path / "growth.db")
    store.init_schema()
    ws, _, _ = growth_story(store)
    store.close()
    base = ["--database-url", f"sqlite:///{tmp_path}/growth.db", "network", "growth", "--workspace", ws]
    table = CliRunner().invoke(
        cli, [*base, "--months", "3", "--to", "2025-03", "--window", "2"], catch_exceptions=False
    )
    assert table.exit_code == 0, table.output
    assert "2025-01" in table.output and "0.50" in table.output and "1/1 (100%)" in table.output
    assert "Blog" in table.output and "1 · 2 · 1" in table.output and "€46.67" in table.output
    js = CliRunner().invoke(
        cli, [*base, "--months", "3", "--to", "2025-03", "--format", "json"], catch_exceptions=False
    )
    body = json.loads(js.output)
    assert [c["new_clients"] for c in body["cohorts"]] == [2, 1, 1]
    bad = CliRunner().invoke(cli, [*base, "--to", "March"])
    assert bad.exit_code == 1 and "to:" in bad.output


def test_network_influence(tmp_path: Path) -> None:
    from tests.referrals.test_influence import _with_secondary

    store = SqliteStore(tmp_path / "influence.db")
    store.init_schema()
    ws, _ = _with_secondary(store)
    store.close()
    base = ["--database-url", f"sqlite:///{tmp_path}/influence.db", "network", "influence", "--workspace", ws]
    table = CliRunner().invoke(cli, [*base, "--as-of", "2025-12-01", "--limit", "1"], catch_exceptions=False)
    assert table.exit_code == 0, table.output
    out = table.output
    assert "Ana" in out and "€140.00" in out and "€340.00" in out
    assert "Bruno, Carla" in out  # Ana's orphans; Eva has Dan's recommendation too
    assert "... and 1 more (--limit)" in out and "... and 2 more (--limit)" in out
    assert "Eva" in out and "€300.00" in out  # the first dead end, under Bruno 100 + Ana 200
    js = CliRunner().invoke(cli, [*base, "--as-of", "2025-12-01", "--format", "json"], catch_exceptions=False)
    body = json.loads(js.output)
    assert [s["name"] for s in body["sleeping"]["items"]] == ["Ana", "Bruno", "Dan"]
    bad = CliRunner().invoke(cli, [*base, "--months", "0"])
    assert bad.exit_code != 0 and "--months" in bad.output
