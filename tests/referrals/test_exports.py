"""Graph exports: JSON reads back into the same graph; DOT and Mermaid stay well-formed (GraphML and
GEXF: test_export_files.py)."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime

import networkx as nx
import pytest

from referrals import analysis
from referrals.exports import GraphFormat, export, prepared
from referrals.model import Channel, ChannelKind, Client, ClientStatus, Referral, Snapshot, SourceKind, SourceRef

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


def test_dot_is_escaped_and_marks_secondary_edges() -> None:
    dot = export(sample(), GraphFormat.DOT).decode()
    assert dot.startswith("digraph referrals {") and dot.rstrip().endswith("}")
    assert 'label="Ana \\"the boss\\" <Lima>"' in dot and 'label="Bo\\nNewline"' in dot
    assert '"cl_0" -> "cl_2" [' in dot and 'style="dashed"' in dot
    assert '"ch_0" [' in dot and 'shape="box"' in dot


def test_mermaid_is_escaped() -> None:
    text = export(sample(), GraphFormat.MERMAID).decode()
    assert text.startswith("flowchart TD\n")
    assert "#quot;the boss#quot; #lt;Lima#gt;" in text and "Zoë #amp; Co" in text
    assert "-.->" in text and "-->|2024-01-02|" in text
    assert '"' not in text.replace('("', "").replace('")', "").replace('["', "").replace('"]', "")


@pytest.mark.parametrize("fmt", list(GraphFormat))
def test_every_format_exports_an_empty_graph(fmt: GraphFormat) -> None:
    assert export(nx.DiGraph(), fmt)
