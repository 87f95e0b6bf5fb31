"""Every GraphML and GEXF the project writes passes the published XSDs (fetched from Maven Central by
tools/xsd.py) and reads back, every attribute intact, in networkx and python-igraph."""

from __future__ import annotations

import io
import xml.etree.ElementTree as ET
from decimal import Decimal
from pathlib import Path

import igraph
import networkx as nx
import pytest
import xmlschema

from referrals.exports import DEAD_END_COLOUR, GraphFormat, export, prepared, to_gexf
from referrals.money import format_amount
from tests.referrals.test_exports import cut_tree, sample
from tools import xsd

GEXF = "{http://www.gexf.net/1.2draft}"  # the namespace of every GEXF element, color, size, position too


@pytest.fixture(scope="module")
def schemas() -> dict[str, xmlschema.XMLSchema]:
    folder = xsd.fetch(quiet=True)
    return {name: xmlschema.XMLSchema(str(folder / f"{name}.xsd")) for name in ("graphml", "gexf")}


def valid(schema: xmlschema.XMLSchema, data: bytes) -> None:
    errors = [str(e.reason) for e in schema.iter_errors(io.BytesIO(data))]
    assert errors == []


GRAPHS = {"network": sample, "cut tree": cut_tree, "empty": nx.DiGraph}


def money(name: str, v: object) -> object:
    currency = name.rsplit("_", 1)[-1]
    if name.split("_")[0] in ("revenue", "branch", "beyond") and currency.isupper() and len(currency) == 3:
        return float(Decimal(format_amount(int(v), currency)))
    return v


def expected_graph(g: nx.DiGraph) -> dict:
    """The graph's own attributes; its depth is text ("3", or "all" for a whole tree)."""
    return {k: str(v) if k == "depth" else money(k, v) for k, v in g.graph.items()}


def expected(g: nx.DiGraph) -> tuple[dict, dict]:
    """What a reader should find: the prepared attributes, money as the number its decimal text is."""
    p = prepared(g)
    nodes = {str(n): {k: money(k, v) for k, v in a.items()} for n, a in p.nodes(data=True)}
    edges = {(str(u), str(v)): dict(a) for u, v, a in p.edges(data=True)}
    return nodes, edges


@pytest.mark.parametrize("which", GRAPHS)
def test_graphml_passes_its_xsd_and_reads_back_in_networkx_and_igraph(
    which: str, schemas: dict[str, xmlschema.XMLSchema], tmp_path: Path
) -> None:
    g = GRAPHS[which]()
    data = export(g, GraphFormat.GRAPHML)
    valid(schemas["graphml"], data)
    nodes, edges = expected(g)
    back = nx.read_graphml(io.BytesIO(data))
    assert {n: dict(a) for n, a in back.nodes(data=True)} == nodes
    assert {(u, v): {k: x for k, x in a.items() if k != "id"} for u, v, a in back.edges(data=True)} == edges
    assert {k: v for k, v in back.graph.items() if not k.endswith("_default")} == expected_graph(g)
    path = tmp_path / "g.graphml"
    path.write_bytes(data)
    ig = igraph.Graph.Read_GraphML(str(path))
    assert ig.is_directed() and ig.vcount() == len(nodes) and ig.ecount() == len(edges)
    for vertex in ig.vs:  # igraph gives every vertex every key; a value a node lacks reads as empty
        got = {k: v for k, v in vertex.attributes().items() if k != "id" and k in nodes[vertex["id"]]}
        assert got == nodes[vertex["id"]]
    names = {v.index: v["id"] for v in ig.vs}
    assert {(names[e.source], names[e.target]): e["kind"] for e in ig.es} == {e: a["kind"] for e, a in edges.items()}


@pytest.mark.parametrize("which", GRAPHS)
def test_gexf_passes_its_xsd_and_reads_back_in_networkx(which: str, schemas: dict[str, xmlschema.XMLSchema]) -> None:
    g = GRAPHS[which]()
    data = export(g, GraphFormat.GEXF)
    valid(schemas["gexf"], data)
    nodes, edges = expected(g)
    back = nx.read_gexf(io.BytesIO(data))
    for n, attrs in nodes.items():
        got = dict(back.nodes[n])
        assert got.pop("label") == attrs.get("name", n)
        assert got == attrs, n
    assert {(u, v): {k: x for k, x in a.items() if k != "id"} for u, v, a in back.edges(data=True)} == edges


def test_gexf_draws_like_the_page_colour_and_size(schemas: dict[str, xmlschema.XMLSchema]) -> None:
    g = sample()
    data = to_gexf(g)
    valid(schemas["gexf"], data)
    doc = ET.fromstring(data)
    node = {n.get("id"): n for n in doc.iter(GEXF + "node")}

    def colour(n: str) -> str:
        c = node[n].find(GEXF + "color")
        return "#" + "".join(f"{int(c.get(k)):02x}" for k in "rgb")

    assert colour("cl_2") == DEAD_END_COLOUR  # Bo brought no one in
    assert colour("cl_0") == colour("cl_1") == colour("ch_0") == "#2f5fd0"  # the blog's chain: the page's first
    assert colour("cl_3") == DEAD_END_COLOUR
    sizes = {n: float(node[n].find(GEXF + "size").get("value")) for n in node}
    assert sizes["ch_0"] == max(sizes.values()) == 30.0 and sizes["cl_3"] == 4.0  # branch revenue in EUR
    assert node["cl_0"].find(GEXF + "position") is None  # positions come from the page's layout (browser test)
    assert doc.find(GEXF + "meta").get("lastmodifieddate") == "2024-01-01"  # the data's, not today's


def test_the_validator_catches_what_the_old_writer_got_wrong(schemas: dict[str, xmlschema.XMLSchema]) -> None:
    """networkx's writer with attribute names as key ids declares `kind` twice: the XSD refuses it."""
    buf = io.BytesIO()
    nx.write_graphml_xml(sample(), buf, encoding="utf-8", named_key_ids=True)
    errors = [str(e) for e in schemas["graphml"].iter_errors(io.BytesIO(buf.getvalue()))]
    assert errors and any("duplicate" in e.lower() for e in errors), errors
    buf = io.BytesIO()
    nx.write_gexf(sample(), buf, encoding="utf-8", version="1.2draft")  # `<graph name="">`: not in the schema
    assert list(schemas["gexf"].iter_errors(io.BytesIO(buf.getvalue())))
