"""The network as the tables Kumu, Gephi and Cytoscape import: every node and recommendation once, the
same attributes and totals as GraphML, names exact (and inert in CSV), money as numbers."""

from __future__ import annotations

import csv
import io
import zipfile
from decimal import Decimal

import networkx as nx
import openpyxl

from referrals.exports import GraphFormat, export, prepared
from referrals.money import format_amount
from tests.referrals.test_exports import sample

FORMULA = '=HYPERLINK("http://x","y")'


def network() -> nx.DiGraph:
    g = sample()
    g.nodes["cl_3"]["name"] = FORMULA  # a name a spreadsheet would run
    return g


def csvs(fmt: GraphFormat) -> dict[str, list[dict[str, str]]]:
    archive = zipfile.ZipFile(io.BytesIO(export(network(), fmt)))
    return {name: list(csv.DictReader(io.StringIO(archive.read(name).decode("utf-8")))) for name in archive.namelist()}


def test_gephi_nodes_and_edges_csv() -> None:
    files = csvs(GraphFormat.GEPHI_CSV)
    assert sorted(files) == ["edges.csv", "nodes.csv"]
    nodes = {r["Id"]: r for r in files["nodes.csv"]}
    want = prepared(network())
    assert set(nodes) == set(want.nodes)
    assert nodes["cl_0"]["Label"] == 'Ana "the boss" <Lima>' and nodes["cl_2"]["Label"] == "Bo\nNewline"
    assert nodes["cl_3"]["Label"] == "'" + FORMULA  # inert in CSV
    assert nodes["cl_1"]["revenue_EUR"] == "1250.00" and nodes["cl_1"]["revenue_JPY"] == "300"
    assert nodes["cl_2"]["dead_end"] == "true" and nodes["ch_0"]["level"] == "0"
    edges = files["edges.csv"]
    assert {(e["Source"], e["Target"]) for e in edges} == set(want.edges)
    assert {e["Type"] for e in edges} == {"Directed"} and len({e["Id"] for e in edges}) == len(edges)
    for name, attrs in want.nodes(data=True):
        for key, value in attrs.items():
            if key.startswith("revenue_"):
                assert nodes[name][key] == format_amount(value, key[-3:])  # the GraphML totals, exactly


def test_cytoscape_network_and_node_tables() -> None:
    files = csvs(GraphFormat.CYTOSCAPE)
    assert sorted(files) == ["network.csv", "nodes.csv"]
    rows = {(r["source"], r["target"]): r["interaction"] for r in files["network.csv"]}
    assert rows[("cl_0", "cl_2")] == "also recommended" and rows[("cl_0", "cl_1")] == "recommended"
    names = {r["name"] for r in files["nodes.csv"]}
    assert {n for e in rows for n in e} <= names == set(network().nodes)


def test_kumu_workbook_elements_and_connections() -> None:
    book = openpyxl.load_workbook(io.BytesIO(export(network(), GraphFormat.KUMU)))
    assert book.sheetnames == ["Elements", "Connections"]
    elements = list(book["Elements"].iter_rows(values_only=True))
    head = elements[0]
    assert head[:3] == ("ID", "Label", "Type")
    by_id = {r[0]: dict(zip(head, r, strict=True)) for r in elements[1:]}
    assert by_id["cl_3"]["Label"] == FORMULA  # a text cell: kept exactly, never run
    assert book["Elements"]["B6"].data_type == "s"
    assert by_id["ch_0"]["Type"] == "Channel" and by_id["cl_0"]["Type"] == "Client"
    assert Decimal(str(by_id["cl_1"]["revenue_EUR"])) == Decimal("1250.00")
    revenue_col = head.index("revenue_JPY") + 1
    assert book["Elements"].cell(row=1 + list(by_id).index("cl_1") + 1, column=revenue_col).number_format == "#,##0"
    connections = list(book["Connections"].iter_rows(values_only=True))
    assert connections[0][:4] == ("From", "To", "Type", "Direction")
    assert all(r[0] in by_id and r[1] in by_id and r[3] == "directed" for r in connections[1:])
    assert len(connections) - 1 == network().number_of_edges()


def test_the_same_graph_gives_the_same_bytes() -> None:
    for fmt in (GraphFormat.KUMU, GraphFormat.GEPHI_CSV, GraphFormat.CYTOSCAPE):
        assert export(network(), fmt) == export(network(), fmt)
