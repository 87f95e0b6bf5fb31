"""The network as tables, for the tools consultants import spreadsheets into:

* **Kumu** — one workbook with an `Elements` sheet (`ID`, `Label`, `Type`, then every attribute) and a
  `Connections` sheet (`From`, `To` by element ID, `Type`, `Direction`, `Date`);
* **Gephi** (Data Laboratory → Import Spreadsheet) — `nodes.csv` (`Id`, `Label`, attributes) and
  `edges.csv` (`Source`, `Target`, `Type` = Directed, `Id`, `Label`, attributes) in one zip;
* **Cytoscape** (File → Import → Network from File, then Table from File) — `network.csv` (`source`,
  `target`, `interaction`, attributes) and `nodes.csv` (`name`, the node's id, then `label` and
  attributes) in one zip.

The columns are the GraphML/GEXF attributes (referrals/exports.py) with money in major units, so every
total agrees with the other exports; text that a spreadsheet would run as a formula is made inert.
"""

from __future__ import annotations

import csv
import io
import zipfile
from collections.abc import Sequence
from decimal import Decimal
from typing import Any

import networkx as nx

from referrals.exports import EDGE_FIELDS, NODE_FIELDS, _edges, _is_money, _nodes, _text, declared_fields, prepared
from referrals.reports import FixedTimeZip, amount_format, neutralise, workbook_bytes

Table = tuple[list[str], list[list[Any]]]


def _value(name: str, value: Any, inert: bool = True) -> Any:
    """A cell: money as an exact decimal, counts and levels as numbers, flags as true/false, text made
    inert for CSV (a workbook's text cells are typed as text, so they keep every character)."""
    if value is None:
        return ""
    if _is_money(name):
        return Decimal(_text(name, value))
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return value
    return neutralise(str(value)) if inert else str(value)


def node_table(g: nx.DiGraph, head: Sequence[str], inert: bool = True) -> Table:
    """One row per node: its id, its label, then every attribute (`head` names the first two columns)."""
    nodes = _nodes(g)
    fields = [name for name, _ in declared_fields((a for _, a in nodes), NODE_FIELDS) if name != "name"]
    rows = [
        [node, _value("name", a.get("name", node), inert), *(_value(f, a.get(f), inert) for f in fields)]
        for node, a in nodes
    ]
    return [*head, *fields], rows


def edge_table(g: nx.DiGraph, head: Sequence[str], fixed: Sequence[Any] = (), inert: bool = True) -> Table:
    """One row per recommendation: its ends, the `fixed` cells, then every edge attribute."""
    edges = _edges(g)
    fields = [name for name, _ in declared_fields((a for _, _, a in edges), EDGE_FIELDS)]
    rows = [[u, v, *fixed, *(_value(f, a.get(f), inert) for f in fields)] for u, v, a in edges]
    return [*head, *fields], rows


def _interaction(head: list[str], row: list[Any]) -> str:
    """What a recommendation is called in the tools: the primary one, or another one."""
    return "also recommended" if "primary" in head and row[head.index("primary")] == "false" else "recommended"


def _csv(table: Table) -> bytes:
    head, rows = table
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\n")
    writer.writerow(head)
    writer.writerows([str(c) if isinstance(c, Decimal) else c for c in row] for row in rows)
    return buf.getvalue().encode("utf-8")


def _zip(files: dict[str, bytes]) -> bytes:
    buf = io.BytesIO()
    with FixedTimeZip(buf, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in files.items():
            archive.writestr(name, data)
    return buf.getvalue()


def to_gephi(g: nx.DiGraph) -> bytes:
    """nodes.csv and edges.csv for Gephi's spreadsheet import, in one zip."""
    g = prepared(g)
    nodes = node_table(g, ["Id", "Label"])
    head, rows = edge_table(g, ["Source", "Target"], ["Directed"])
    head.insert(2, "Type")
    edges = (head[:3] + ["Id"] + head[3:], [[*r[:3], f"e{i}", *r[3:]] for i, r in enumerate(rows)])
    return _zip({"nodes.csv": _csv(nodes), "edges.csv": _csv(edges)})


def to_cytoscape(g: nx.DiGraph) -> bytes:
    """network.csv (source, target, interaction) and nodes.csv (name = id) for Cytoscape, in one zip."""
    g = prepared(g)
    head, rows = edge_table(g, ["source", "target"])
    interaction = ["recommended" if r[head.index("primary")] == "true" else "also recommended" for r in rows]
    network = (
        head[:2] + ["interaction"] + head[2:],
        [[*r[:2], i, *r[2:]] for r, i in zip(rows, interaction, strict=True)],
    )
    return _zip({"network.csv": _csv(network), "nodes.csv": _csv(node_table(g, ["name", "label"]))})


def to_kumu(g: nx.DiGraph) -> bytes:
    """One workbook with Kumu's Elements and Connections sheets (connections name elements by ID)."""
    from openpyxl import Workbook
    from openpyxl.styles import Font

    g = prepared(g)
    head, rows = node_table(g, ["ID", "Label"], inert=False)
    kind = head.index("kind") if "kind" in head else None
    elements = (
        head[:2] + ["Type"] + [h for i, h in enumerate(head) if i >= 2 and i != kind],
        [
            [*r[:2], str(r[kind]).capitalize() if kind else "", *(c for i, c in enumerate(r) if i >= 2 and i != kind)]
            for r in rows
        ],
    )
    ehead, erows = edge_table(g, ["From", "To"], inert=False)
    primary = ehead.index("primary") if "primary" in ehead else None
    connections = (
        ehead[:2] + ["Type", "Direction"] + ehead[2:],
        [
            [
                *r[:2],
                "recommended" if primary is None or r[primary] == "true" else "also recommended",
                "directed",
                *r[2:],
            ]
            for r in erows
        ],
    )
    wb = Workbook()
    first = wb.active
    assert first is not None
    wb.remove(first)
    for title, (columns, body) in (("Elements", elements), ("Connections", connections)):
        sheet = wb.create_sheet(title)
        sheet.append(columns)
        for cell in sheet[1]:
            cell.font = Font(bold=True)
        sheet.freeze_panes = "A2"
        formats = [amount_format(_is_money(c)) if _is_money(c) else None for c in columns]
        for row in body:
            sheet.append(row)
            for cell, number_format in zip(sheet[sheet.max_row], formats, strict=True):
                if isinstance(cell.value, str):
                    cell.data_type = "s"  # text stays text, never a formula
                elif number_format:
                    cell.number_format = number_format  # the currency's own decimals (0 for JPY)
    return workbook_bytes(wb)
