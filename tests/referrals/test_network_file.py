"""The whole network's GraphML and GEXF written while they are read (referrals/network_file.py) are the
files the in-memory path makes (`exports.export(analysis.network_graph(snapshot))`), byte for byte, on
random networks in both stores and on names XML must escape; and they pass their schemas."""

from __future__ import annotations

import io

import networkx as nx
import pytest
import xmlschema
from hypothesis import HealthCheck, given, settings

from referrals import analysis, network_file
from referrals.exports import GraphFormat, export
from referrals.model import ChannelInput, ClientInput, DealInput, ReferralInput, SourceKind, SourceRef
from referrals.money import Money
from referrals.store import Store
from tests.conftest import unique
from tests.referrals.test_export_files import valid
from tests.referrals.test_forest import START, Net, load, nets
from tools import xsd

EXAMPLES = {"sqlite": 40, "neo4j": 6}


@pytest.fixture(scope="module")
def schemas() -> dict[str, xmlschema.XMLSchema]:
    folder = xsd.fetch(quiet=True)
    return {name: xmlschema.XMLSchema(str(folder / f"{name}.xsd")) for name in ("graphml", "gexf")}


FORMATS = sorted(network_file.STREAMED)


def streamed(store: Store, ws: str, fmt: GraphFormat) -> bytes:
    return b"".join(store.network_file(ws, fmt))


def in_memory(store: Store, ws: str, fmt: GraphFormat) -> bytes:
    return export(analysis.network_graph(store.snapshot(ws)), fmt)


def test_the_streamed_file_is_the_in_memory_one_on_random_networks(store: Store) -> None:
    @settings(
        max_examples=EXAMPLES[store.kind],
        deadline=None,
        suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
    )
    @given(net=nets())
    def run(net: Net) -> None:
        with pytest.MonkeyPatch.context() as mp:
            ws = load(store, net, mp)
        for fmt in FORMATS:
            assert streamed(store, ws, fmt) == in_memory(store, ws, fmt), fmt

    run()


def hostile(store: Store) -> str:
    """Names and notes XML must escape, a client who only recommended (no primary link at all), a
    payer nobody brought in, refunds that net to zero, three currencies, a channel that brought in no one."""
    ws = store.create_workspace(unique("xml")).id
    blog = store.create_channel(ws, ChannelInput(name='Blog "<b>" & co')).id
    store.create_channel(ws, ChannelInput(name="Idle > channel"))
    ana = store.create_client(ws, ClientInput(name="Ana & <Bruno> \"quoted\" 'single'")).id
    bob = store.create_client(ws, ClientInput(name="Боб ]]> \U0001f600")).id
    cid = store.create_client(ws, ClientInput(name="Cid")).id
    eve = store.create_client(ws, ClientInput(name="Eve")).id
    store.add_referrals(
        ws,
        [
            ReferralInput(SourceRef(SourceKind.CHANNEL, blog), ana, START),
            ReferralInput(SourceRef(SourceKind.CLIENT, ana), bob, START),
        ],
    )
    store.add_referrals(ws, [ReferralInput(SourceRef(SourceKind.CLIENT, cid), bob, START)])  # secondary
    for who, minor, currency in [(bob, 1_250, "EUR"), (bob, -1_250, "EUR"), (eve, 300, "JPY"), (ana, 99, "RUB")]:
        store.create_deal(ws, DealInput(who, Money(minor, currency), START))
    return ws


@pytest.mark.parametrize("fmt", FORMATS)
def test_names_xml_must_escape_and_nodes_outside_every_chain(
    store: Store, fmt: GraphFormat, schemas: dict[str, xmlschema.XMLSchema]
) -> None:
    ws = hostile(store)
    body = streamed(store, ws, fmt)
    assert body == in_memory(store, ws, fmt)
    valid(schemas["graphml" if fmt is GraphFormat.GRAPHML else "gexf"], body)
    g = nx.read_graphml(io.BytesIO(body)) if fmt is GraphFormat.GRAPHML else nx.read_gexf(io.BytesIO(body))
    assert g.number_of_nodes() == 6 and g.number_of_edges() == 3
    names = {a.get("name", a.get("label")) for _, a in g.nodes(data=True)}
    assert "Ana & <Bruno> \"quoted\" 'single'" in names and 'Blog "<b>" & co' in names


def test_an_empty_workspace_is_a_valid_empty_file(store: Store, schemas: dict[str, xmlschema.XMLSchema]) -> None:
    ws = store.create_workspace(unique("empty")).id
    for fmt in FORMATS:
        body = streamed(store, ws, fmt)
        assert body == in_memory(store, ws, fmt)
        valid(schemas["graphml" if fmt is GraphFormat.GRAPHML else "gexf"], body)


def test_the_prologue_comes_before_any_read(store: Store) -> None:
    """The first piece is sent before the store is asked anything (so a client sees the answer begin at
    once, however big the network); the file then counts what it wrote."""
    ws = hostile(store)
    counts: dict[str, int] = {}
    pieces = store.network_file(ws, GraphFormat.GRAPHML, counts)
    sent = store.query_count
    first = next(pieces)
    assert store.query_count == sent and first.startswith(b"<?xml")
    rest = b"".join(pieces)
    assert counts == {"nodes": 6, "edges": 3} and rest.endswith(b"</graphml>\n")


def test_pages_of_the_neo4j_reads_join_up(store: Store, monkeypatch: pytest.MonkeyPatch) -> None:
    """Neo4j reads clients and recommendations a page of sources at a time: with pages of two, every
    boundary falls inside the network, and the file is still the in-memory one."""
    import graph.neo4j.clients
    import graph.neo4j.referrals

    monkeypatch.setattr(graph.neo4j.clients, "PAGE", 2)
    monkeypatch.setattr(graph.neo4j.referrals, "PAGE", 2)
    ws = hostile(store)
    ana = store.create_client(ws, ClientInput(name="Ana 2")).id
    for k in range(4):
        cid = store.create_client(ws, ClientInput(name=f"Fan {k}")).id
        store.add_referrals(ws, [ReferralInput(SourceRef(SourceKind.CLIENT, ana), cid, START)])
    for fmt in FORMATS:
        assert streamed(store, ws, fmt) == in_memory(store, ws, fmt)
