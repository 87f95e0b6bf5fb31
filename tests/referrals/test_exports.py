"""Graph exports: JSON reads back into the same graph; DOT and Mermaid stay well-formed (GraphML and
GEXF: test_export_files.py)."""

from __future__ import annotations

import json
import shutil
import subprocess
from datetime import UTC, date, datetime
from pathlib import Path

import networkx as nx
import pytest

from referrals import analysis
from referrals.exports import DEAD_END_COLOUR, GraphFormat, export, prepared, render_image
from referrals.model import (
    Beyond,
    Channel,
    ChannelKind,
    Client,
    ClientStatus,
    Referral,
    Snapshot,
    SourceKind,
    SourceRef,
    Tree,
    TreeNode,
)

T0 = datetime(2024, 1, 1, tzinfo=UTC)


def sample() -> nx.DiGraph:
    clients = [
        Client(
            id=f"cl_{i}",
            name=n,
            email=None,
            status=ClientStatus.ACTIVE,
            tags=(),
            external_id=None,
            notes=None,
            acquired_on=None,
            created_at=T0,
            updated_at=T0,
        )
        for i, n in enumerate(['Ana "the boss" <Lima>', "Zoë & Co", "Bo\nNewline", "D"])
    ]
    blog = Channel(
        id="ch_0",
        name="Blog: {pricing}",
        kind=ChannelKind.BLOG,
        url=None,
        external_id=None,
        notes=None,
        created_at=T0,
        updated_at=T0,
    )
    refs = [
        Referral(
            id="r0",
            source=SourceRef(SourceKind.CHANNEL, "ch_0"),
            client_id="cl_0",
            referred_on=date(2023, 5, 1),
            note=None,
            primary=True,
            created_at=T0,
        ),
        Referral(
            id="r1",
            source=SourceRef(SourceKind.CLIENT, "cl_0"),
            client_id="cl_1",
            referred_on=date(2024, 1, 2),
            note=None,
            primary=True,
            created_at=T0,
        ),
        Referral(
            id="r2",
            source=SourceRef(SourceKind.CLIENT, "cl_1"),
            client_id="cl_2",
            referred_on=date(2024, 2, 3),
            note=None,
            primary=True,
            created_at=T0,
        ),
        Referral(
            id="r3",
            source=SourceRef(SourceKind.CLIENT, "cl_0"),
            client_id="cl_2",
            referred_on=date(2024, 2, 4),
            note=None,
            primary=False,
            created_at=T0,
        ),
    ]
    revenue = {"cl_1": {"EUR": 125000, "JPY": 300}, "cl_2": {"EUR": -500}}
    return analysis.network_graph(Snapshot(tuple(clients), (blog,), tuple(refs), revenue))


def cut_tree() -> nx.DiGraph:
    """A channel's tree cut at level 1: the last level says what lies beyond it."""
    blog = SourceRef(SourceKind.CHANNEL, "ch_blog")
    nodes = (
        TreeNode(
            level=1,
            client_id="cl_a",
            name="Анна «&» <Ко>",
            status=ClientStatus.ACTIVE,
            parent=blog,
            referral_id="rf_1",
            referred_on=date(2024, 1, 5),
            revenue={"RUB": 125_050},
            referred=2,
            beyond=Beyond(clients=3, revenue={"RUB": 99_900, "EUR": 1_000}),
        ),
        TreeNode(
            level=1,
            client_id="cl_b",
            name='Bo "quoted"',
            status=ClientStatus.LEAD,
            parent=blog,
            referral_id="rf_2",
            referred_on=date(2024, 2, 1),
            revenue={},
            referred=0,
        ),
    )
    tree = Tree(
        root=blog,
        name="Блог",
        revenue={},
        referred=2,
        depth=1,
        nodes=nodes,
        beyond=Beyond(clients=3, revenue={"RUB": 99_900, "EUR": 1_000}),
    )
    return analysis.tree_graph(tree)


def same_graph(
    a: nx.DiGraph, b: nx.DiGraph, drop_node: frozenset[str] = frozenset(), drop_edge: frozenset[str] = frozenset()
) -> None:
    assert set(a.nodes) == set(b.nodes)
    assert set(a.edges) == set(b.edges)
    for n in a.nodes:
        assert a.nodes[n] == {k: v for k, v in b.nodes[n].items() if k not in drop_node}, n
    for u, v in a.edges:
        assert a.edges[u, v] == {k: x for k, x in b.edges[u, v].items() if k not in drop_edge}


def test_json_nodes_and_edges() -> None:
    """What GraphML and GEXF carry; money in minor units (the page draws from it)."""
    g = sample()
    back = nx.node_link_graph(json.loads(export(g, GraphFormat.JSON)), edges="edges")
    same_graph(prepared(g), back)
    assert back.nodes["cl_1"]["revenue_EUR"] == 125000 and back.nodes["ch_0"]["branch_revenue_EUR"] == 124500


def test_dot_is_styled_like_the_page_and_escaped() -> None:
    dot = export(sample(), GraphFormat.DOT).decode()
    assert dot.startswith("digraph referrals {") and dot.rstrip().endswith("}")
    assert 'label="Ana \\"the boss\\" <Lima>\\nlevel 1"' in dot  # name, then its level
    assert 'label="Zoë & Co\\nlevel 2 · 1250.00 EUR, 300 JPY"' in dot  # revenue in the label, per currency
    assert 'label="Bo\\nNewline\\nlevel 3 · -5.00 EUR · dead end"' in dot
    bo = next(line for line in dot.splitlines() if line.startswith('  "cl_2" ['))
    assert f'color="{DEAD_END_COLOUR}"' in bo and 'style="filled,dashed"' in bo  # dead ends as on the page
    blog = next(line for line in dot.splitlines() if line.startswith('  "ch_0" ['))
    assert 'shape="box"' in blog and 'fillcolor="#2f5fd0"' in blog and 'data_channel_kind="blog"' in blog
    assert '{ rank=same; "cl_0"; }' in dot and '{ rank=same; "ch_0"; "cl_3"; }' in dot  # one rank per level
    assert '"cl_0" -> "cl_2" [' in dot and 'style="dashed"' in dot  # the secondary recommendation


def test_dot_renders_with_graphviz_without_a_warning() -> None:
    dot = shutil.which("dot")
    assert dot, "Graphviz is needed: python -m tools.graphviz ensure"
    for g in (sample(), cut_tree(), nx.DiGraph()):
        done = subprocess.run([dot, "-Tsvg"], input=export(g, GraphFormat.DOT), capture_output=True, check=False)
        assert done.returncode == 0 and done.stderr == b"", done.stderr
        svg = done.stdout.decode()
        assert svg.startswith("<?xml") and "</svg>" in svg
    assert "Zoë &amp; Co" in render_image(sample(), "svg").decode()
    assert render_image(sample(), "png")[:8] == b"\x89PNG\r\n\x1a\n"


def test_mermaid_is_styled_and_escaped() -> None:
    text = export(sample(), GraphFormat.MERMAID).decode()
    assert text.startswith("flowchart TD\n")
    assert "#quot;the boss#quot; #lt;Lima#gt;<br/>level 1" in text and "Zoë #amp; Co<br/>level 2" in text
    assert "-.->" in text and "-->|2024-01-02|" in text
    assert "classDef c0 fill:#2f5fd033,stroke:#2f5fd0" in text and "class n0,n1,n2,n3 c0" in text
    assert f"classDef deadend stroke:{DEAD_END_COLOUR}" in text and "class n3,n4 deadend" in text
    unquoted = text.replace('("', "").replace('")', "").replace('["', "").replace('"]', "")
    assert '"' not in unquoted


@pytest.mark.parametrize("fmt", list(GraphFormat))
def test_every_format_exports_an_empty_graph(fmt: GraphFormat) -> None:
    assert export(nx.DiGraph(), fmt)


def test_mermaid_renders_with_mermaids_own_renderer(tmp_path: Path) -> None:
    """@mermaid-js/mermaid-cli on Debian's Chromium draws every Mermaid export (names, escapes and styles)."""
    from tools import mermaid

    binary = mermaid.ensure()
    config = mermaid.puppeteer_config()
    for i, g in enumerate((sample(), cut_tree())):
        source, target = tmp_path / f"g{i}.mmd", tmp_path / f"g{i}.svg"
        source.write_bytes(export(g, GraphFormat.MERMAID))
        done = subprocess.run(
            [str(binary), "-p", str(config), "-i", str(source), "-o", str(target), "-q"],
            capture_output=True,
            timeout=120,
            check=False,
        )
        assert done.returncode == 0, done.stderr.decode()
        svg = target.read_text()
        assert svg.startswith("<svg") and "Parse error" not in svg
    drawn = (tmp_path / "g0.svg").read_text()
    assert "Zoë &amp; Co" in drawn and "#quot;" not in drawn and "dead end" in drawn
    assert "#2f5fd0" in drawn.lower() and "stroke-dasharray" in drawn  # the channel's class and the dead ends'
