"""Graph exports for the tools consultants use: GraphML, GEXF, DOT, Mermaid and JSON nodes/edges."""

from __future__ import annotations

import enum
import functools
import json
import re
import shutil
import subprocess
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

import networkx as nx

from referrals.errors import Unavailable
from referrals.i18n import N_, _, lazy
from referrals.money import format_amount


class GraphFormat(enum.StrEnum):
    """Supported export formats."""

    GRAPHML = "graphml"  # yEd, Gephi, Cytoscape
    GEXF = "gexf"  # Gephi
    DOT = "dot"  # Graphviz
    MERMAID = "mermaid"  # Markdown docs, GitHub, GitLab
    JSON = "json"  # nodes and edges, for scripts
    KUMU = "kumu"  # Kumu: one workbook, Elements and Connections sheets
    GEPHI_CSV = "gephi-csv"  # Gephi's spreadsheet import: nodes.csv and edges.csv in a zip
    CYTOSCAPE = "cytoscape"  # Cytoscape: network.csv and nodes.csv in a zip


MEDIA_TYPES = {
    GraphFormat.GRAPHML: "application/graphml+xml",
    GraphFormat.GEXF: "application/gexf+xml",
    GraphFormat.DOT: "text/vnd.graphviz",
    GraphFormat.MERMAID: "text/vnd.mermaid",
    GraphFormat.JSON: "application/json",
    GraphFormat.KUMU: "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    GraphFormat.GEPHI_CSV: "application/zip",
    GraphFormat.CYTOSCAPE: "application/zip",
}
EXTENSIONS = {
    GraphFormat.GRAPHML: "graphml",
    GraphFormat.GEXF: "gexf",
    GraphFormat.DOT: "dot",
    GraphFormat.MERMAID: "mmd",
    GraphFormat.JSON: "json",
    GraphFormat.KUMU: "xlsx",
    GraphFormat.GEPHI_CSV: "zip",
    GraphFormat.CYTOSCAPE: "zip",
}
BINARY = frozenset({GraphFormat.KUMU, GraphFormat.GEPHI_CSV, GraphFormat.CYTOSCAPE})


# -- what every format carries --------------------------------------------------------------------

# Colours of the page (api/static/app/state.js): channels in turn, clients of no channel grey, dead ends red.
CHANNEL_COLOURS = ("#2f5fd0", "#1a9e77", "#e6a100", "#7b4fd0", "#1b8aa8", "#6d8f00", "#c26b00", "#8c564b")
NO_CHANNEL_COLOUR = "#8a93a3"
DEAD_END_COLOUR = "#b42318"

# Typed attributes, in the order files declare them; money (`revenue_EUR`, `branch_revenue_EUR`,
# `beyond_revenue_EUR`, one per currency) is a decimal in major units, typed double.
NODE_FIELDS: dict[str, str] = {
    "name": "string",
    "kind": "string",  # client or channel
    "level": "int",  # steps below the top of the chain (0: a channel, or a client nobody brought in)
    "channel": "string",  # the channel at the top of the chain, "" when it starts at a client
    "channel_kind": "string",  # blog, social, … (channels only)
    "status": "string",  # lead, active, inactive (clients only)
    "dead_end": "boolean",  # a client who brought no one in
    "past_credit_depth": "boolean",  # further below the view's root than credit reaches (tree exports)
    "referred_on": "string",  # ISO date of the primary recommendation that brought the client in
    "first_referral": "string",  # ISO date of the first recommendation the node made
    "branch_clients": "int",  # the clients below it, however deep (beyond a cut tree's last level too)
    "beyond_clients": "int",  # of a cut tree: the clients below its last level
}
EDGE_FIELDS: dict[str, str] = {"kind": "string", "primary": "boolean", "date": "string"}
GRAPH_FIELDS: dict[str, str] = {"depth": "string", "beyond_clients": "int", "modified": "string"}
MONEY_PREFIXES = ("revenue_", "branch_revenue_", "beyond_revenue_")


def _is_money(name: str) -> str | None:
    """The currency of a money attribute's name, or None."""
    for prefix in MONEY_PREFIXES:
        if name.startswith(prefix) and len(name) == len(prefix) + 3 and name[len(prefix) :].isupper():
            return name[len(prefix) :]
    return None


def prepared(g: nx.DiGraph) -> nx.DiGraph:
    """The graph with what exports add to the analysis attributes: dead ends, the dates a client came in
    and first recommended someone, and each node's branch (clients and revenue below it, itself
    included for revenue; the beyond of a cut tree counted in). Primary edges define the branches."""
    out = g.copy()
    children: dict[str, list[str]] = {n: [] for n in out.nodes}
    for u, v, attrs in out.edges(data=True):
        date = attrs.get("date")
        if attrs.get("primary", True):
            children[u].append(v)
            if date:
                out.nodes[v]["referred_on"] = date
        if date and date < out.nodes[u].get("first_referral", "9999"):
            out.nodes[u]["first_referral"] = date
    order = list(nx.topological_sort(out.edge_subgraph((u, v) for u in children for v in children[u])))
    placed = set(order)
    order += [n for n in out.nodes if n not in placed]
    for node in reversed(order):
        attrs = out.nodes[node]
        clients = int(attrs.get("beyond_clients", 0))
        money: dict[str, int] = {}
        for name, value in attrs.items():
            currency = _is_money(name)
            if currency and (name.startswith("revenue_") or name.startswith("beyond_revenue_")):
                money[currency] = money.get(currency, 0) + int(value)
        for child in children[node]:
            c = out.nodes[child]
            clients += 1 + c["branch_clients"]
            for name, value in c.items():
                if name.startswith("branch_revenue_"):
                    money[name[15:]] = money.get(name[15:], 0) + value
        attrs["branch_clients"] = clients
        for currency, minor in sorted(money.items()):
            attrs[f"branch_revenue_{currency}"] = minor
        if attrs.get("kind") == "client":
            attrs["dead_end"] = not children[node] and not attrs.get("beyond_clients")
    return out


def _type(name: str, value: object, declared: dict[str, str]) -> str:
    if name in declared:
        return declared[name]
    if _is_money(name):
        return "double"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int):
        return "long"
    return "string"


def _text(name: str, value: object) -> str:
    currency = _is_money(name)
    if currency:
        return format_amount(int(value), currency)  # type: ignore[call-overload]
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def declared_fields(items: Iterable[dict[str, object]], declared: dict[str, str]) -> list[tuple[str, str]]:
    """(name, type) of every attribute the items hold: the declared ones first, in their order."""
    seen: dict[str, str] = {}
    for attrs in items:
        for name, value in attrs.items():
            if name not in seen:
                seen[name] = _type(name, value, declared)
    known = [(n, seen[n]) for n in declared if n in seen]
    return known + sorted((n, t) for n, t in seen.items() if n not in declared)


def _nodes(g: nx.DiGraph) -> list[tuple[str, dict[str, object]]]:
    return sorted(((str(n), a) for n, a in g.nodes(data=True)), key=lambda kv: kv[0])


def _edges(g: nx.DiGraph) -> list[tuple[str, str, dict[str, object]]]:
    return sorted(((str(u), str(v), a) for u, v, a in g.edges(data=True)), key=lambda e: (e[0], e[1]))


# -- GraphML and GEXF, written a piece at a time ---------------------------------------------------
#
# Both are written as text, in pieces (`XmlWriter`): the prologue, the declarations (`Head`), nodes and
# edges a batch at a time, the end. A tree's file is all of them joined; the whole network's file
# (referrals/network_file.py) sends each piece as soon as it is made, so it is never held whole.
# Attributes are written in the order their declarations have (declared fields first, then the rest by
# name), whatever order a node's dict holds them in.

_ATTRIBUTE = str.maketrans(
    {"&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "\n": "&#10;", "\r": "&#13;", "\t": "&#09;"}
)
_TEXT = str.maketrans({"&": "&amp;", "<": "&lt;", ">": "&gt;"})
_PROLOGUE = "<?xml version='1.0' encoding='utf-8'?>\n"

Node = tuple[str, dict[str, object]]
EdgeItem = tuple[str, str, dict[str, object]]


_ATTRIBUTE_SPECIAL = re.compile('[&<>"\n\r\t]').search
_TEXT_SPECIAL = re.compile("[&<>]").search


def _q(value: str) -> str:
    """An attribute value, quoted."""
    return '"' + (value.translate(_ATTRIBUTE) if _ATTRIBUTE_SPECIAL(value) else value) + '"'


def _escaped_text(value: object) -> str:
    text = str(value) if not isinstance(value, bool) else _boolean(value)
    return text.translate(_TEXT) if _TEXT_SPECIAL(text) else text


def _escaped_attribute(value: object) -> str:
    text = str(value) if not isinstance(value, bool) else _boolean(value)
    return text.translate(_ATTRIBUTE) if _ATTRIBUTE_SPECIAL(text) else text


def _boolean(value: object) -> str:
    return "true" if value else "false"


Plan = list[tuple[str, str, Callable[[object], str]]]
# Attributes whose text this module's callers make from enums and dates: nothing in them to escape.
_PLAIN = frozenset({"kind", "status", "channel_kind", "referred_on", "first_referral", "date"})


def _plan(fields: list[tuple[str, str]], opening: Callable[[str], str], attribute: bool) -> Plan:
    """Per declared attribute: its name, the text before its value, and how its value is written (as
    `_text` has it, escaped where the value can need it: money, numbers and booleans never do)."""
    plan: Plan = []
    for name, kind in fields:
        currency = _is_money(name)
        write: Callable[[object], str]
        if currency:
            write = functools.partial(_money_text, currency=currency)
        elif kind == "boolean":
            write = _boolean
        elif kind in ("int", "long") or name in _PLAIN:
            write = str
        else:
            write = _escaped_attribute if attribute else _escaped_text
        plan.append((name, opening(name), write))
    return plan


def _money_text(value: object, currency: str) -> str:
    return format_amount(int(value), currency)  # type: ignore[call-overload]


@dataclass(frozen=True)
class Head:
    """What the file declares before its first node: the graph's own attributes, the attributes nodes
    and edges carry (name, type; in the order they are written), and GEXF's drawing (each channel's
    colour, the currency that sizes nodes and the biggest branch revenue in it)."""

    graph: dict[str, object]
    node_fields: list[tuple[str, str]]
    edge_fields: list[tuple[str, str]]
    palette: dict[str, str]
    currency: str | None
    biggest: int


def head_of(g: nx.DiGraph, nodes: list[Node], edges: list[EdgeItem]) -> Head:
    """The head of a prepared graph (nodes and edges as `_nodes` and `_edges` list them)."""
    currency = main_currency(g)
    return Head(
        dict(sorted(g.graph.items())),
        declared_fields((a for _, a in nodes), NODE_FIELDS),
        declared_fields((a for _, _, a in edges), EDGE_FIELDS),
        colours(g),
        currency,
        max((max(0, int(a.get(f"branch_revenue_{currency}", 0))) for _, a in nodes), default=0),
    )


class XmlWriter:
    """One file's pieces, as UTF-8 bytes: `prologue`, `head`, `nodes` (any number of batches, in id
    order), `edges` (numbered on from where the last batch ended), `end`."""

    def __init__(self) -> None:
        self.head_: Head | None = None
        self.node_plan: Plan = []
        self.edge_plan: Plan = []
        self.edge_number = 0

    def prologue(self) -> bytes:
        raise NotImplementedError

    def head(self, head: Head) -> bytes:
        raise NotImplementedError

    def nodes(self, nodes: Iterable[Node]) -> bytes:
        raise NotImplementedError

    def edges(self, edges: Iterable[EdgeItem]) -> bytes:
        raise NotImplementedError

    def end(self) -> bytes:
        raise NotImplementedError

    @staticmethod
    def _values(out: list[str], attrs: dict[str, object], plan: Plan, closing: str) -> None:
        """Each attribute the item holds, in the order of the declarations."""
        for name, opening, write in plan:
            if name in attrs:
                out.append(opening + write(attrs[name]) + closing)

    def whole(self, head: Head, nodes: Iterable[Node], edges: Iterable[EdgeItem]) -> bytes:
        """The file in one piece (a tree's, or any graph small enough to hold)."""
        return b"".join((self.prologue(), self.head(head), self.nodes(nodes), self.edges(edges), self.end()))


GRAPHML_NS = "http://graphml.graphdrawing.org/xmlns"
XSI_NS = "http://www.w3.org/2001/XMLSchema-instance"


class GraphmlWriter(XmlWriter):
    """GraphML 1.0 as its XSD has it: one key per attribute and domain (ids `g_…`, `n_…`, `e_…`), typed
    (string, int, long, boolean; money a double in major units), nodes and edges in id order."""

    def prologue(self) -> bytes:
        location = f"{GRAPHML_NS} http://graphml.graphdrawing.org/xmlns/1.0/graphml.xsd"
        return (
            f'{_PROLOGUE}<graphml xmlns="{GRAPHML_NS}" xmlns:xsi="{XSI_NS}" xsi:schemaLocation="{location}">\n'.encode()
        )

    def head(self, head: Head) -> bytes:
        self.head_ = head
        self.node_plan = _plan(head.node_fields, lambda name: f'      <data key="n_{name}">', False)
        self.edge_plan = _plan(head.edge_fields, lambda name: f'      <data key="e_{name}">', False)
        out = []
        for domain, prefix, fields in (
            ("graph", "g", declared_fields([head.graph], GRAPH_FIELDS)),
            ("node", "n", head.node_fields),
            ("edge", "e", head.edge_fields),
        ):
            for name, kind in fields:
                out.append(
                    f'  <key id={_q(f"{prefix}_{name}")} for="{domain}" attr.name={_q(name)} attr.type="{kind}" />\n'
                )
        out.append('  <graph id="referrals" edgedefault="directed">\n')
        for name, value in head.graph.items():
            out.append(f"    <data key={_q('g_' + name)}>{_text(name, value).translate(_TEXT)}</data>\n")
        return "".join(out).encode()

    def nodes(self, nodes: Iterable[Node]) -> bytes:
        assert self.head_ is not None, "head first"
        plan, values, out = self.node_plan, self._values, []
        for node, attrs in nodes:
            out.append(f"    <node id={_q(node)}>\n")
            values(out, attrs, plan, "</data>\n")
            out.append("    </node>\n")
        return "".join(out).encode()

    def edges(self, edges: Iterable[EdgeItem]) -> bytes:
        assert self.head_ is not None, "head first"
        plan, values, out, i = self.edge_plan, self._values, [], self.edge_number
        for u, v, attrs in edges:
            out.append(f'    <edge id="e{i}" source={_q(u)} target={_q(v)}>\n')
            values(out, attrs, plan, "</data>\n")
            out.append("    </edge>\n")
            i += 1
        self.edge_number = i
        return "".join(out).encode()

    def end(self) -> bytes:
        return b"  </graph>\n</graphml>\n"


GEXF_NS = "http://www.gexf.net/1.2draft"
GEXF_TYPES = {"string": "string", "int": "integer", "long": "long", "boolean": "boolean", "double": "double"}


class GexfWriter(XmlWriter):
    """GEXF 1.2draft (the version whose XSD is published; Gephi 0.9 and later read it): typed attributes,
    names as labels, a colour by the chain's channel (the page's colours; dead ends red), a size by
    branch revenue in the main currency (the page's download adds the positions of its layout).
    The published schema (gexf.xsd, `node-content`) declares `color`, `size` and `position` in the GEXF
    namespace, with the viz module's types, so that is where they are written; Gephi reads them by
    their local names. `lastmodifieddate` is the data's last change when the graph knows it."""

    opened = False  # the nodes closed and the edges begun

    def prologue(self) -> bytes:
        location = f"{GEXF_NS} http://www.gexf.net/1.2draft/gexf.xsd"
        spaces = f'xmlns="{GEXF_NS}" xmlns:xsi="{XSI_NS}" xsi:schemaLocation="{location}"'
        return f'{_PROLOGUE}<gexf {spaces} version="1.2">\n'.encode()

    def head(self, head: Head) -> bytes:
        self.head_ = head
        self.node_plan = _plan(head.node_fields, lambda name: f'          <attvalue for="{name}" value="', True)
        self.edge_plan = _plan(head.edge_fields, lambda name: f'          <attvalue for="{name}" value="', True)
        modified = f" lastmodifieddate={_q(str(head.graph['modified']))}" if "modified" in head.graph else ""
        out = [
            f"  <meta{modified}>\n    <creator>referrals</creator>\n",
            "    <description>word-of-mouth referral network</description>\n  </meta>\n",
            '  <graph defaultedgetype="directed" mode="static">\n',
        ]
        for domain, fields in (("node", head.node_fields), ("edge", head.edge_fields)):
            if fields:
                out.append(f'    <attributes class="{domain}" mode="static">\n')
                for name, kind in fields:
                    out.append(f'      <attribute id={_q(name)} title={_q(name)} type="{GEXF_TYPES[kind]}" />\n')
                out.append("    </attributes>\n")
        out.append("    <nodes>\n")
        return "".join(out).encode()

    def nodes(self, nodes: Iterable[Node]) -> bytes:
        head = self.head_
        assert head is not None, "head first"
        sized = f"branch_revenue_{head.currency}"
        out = []
        for node, attrs in nodes:
            out.append(f"      <node id={_q(node)} label={_q(str(attrs.get('name', node)))}>\n        <attvalues>\n")
            self._values(out, attrs, self.node_plan, '" />\n')
            colour = (
                DEAD_END_COLOUR
                if attrs.get("dead_end")
                else head.palette.get(str(attrs.get("channel")), NO_CHANNEL_COLOUR)
            )
            share = max(0, int(attrs.get(sized, 0))) / head.biggest if head.biggest else 0.0  # type: ignore[call-overload]
            out.append(
                f'        </attvalues>\n        <color r="{int(colour[1:3], 16)}" g="{int(colour[3:5], 16)}"'
                f' b="{int(colour[5:7], 16)}" />\n        <size value="{4 + 26 * share**0.5:.2f}" />\n      </node>\n'
            )
        return "".join(out).encode()

    def edges(self, edges: Iterable[EdgeItem]) -> bytes:
        head = self.head_
        assert head is not None, "head first"
        out = [] if self.opened else ["    </nodes>\n    <edges>\n"]
        self.opened, i = True, self.edge_number
        for u, v, attrs in edges:
            out.append(f'      <edge id="e{i}" source={_q(u)} target={_q(v)}>\n        <attvalues>\n')
            self._values(out, attrs, self.edge_plan, '" />\n')
            out.append("        </attvalues>\n      </edge>\n")
            i += 1
        self.edge_number = i
        return "".join(out).encode()

    def end(self) -> bytes:
        closing = "" if self.opened else "    </nodes>\n    <edges>\n"
        return (closing + "    </edges>\n  </graph>\n</gexf>\n").encode()


XML_WRITERS: dict[GraphFormat, type[XmlWriter]] = {GraphFormat.GRAPHML: GraphmlWriter, GraphFormat.GEXF: GexfWriter}


def to_graphml(g: nx.DiGraph) -> bytes:
    """GraphML of the graph (see GraphmlWriter)."""
    g = prepared(g)
    nodes, edges = _nodes(g), _edges(g)
    return GraphmlWriter().whole(head_of(g, nodes, edges), nodes, edges)


def main_currency(g: nx.DiGraph) -> str | None:
    """The currency most revenue is in (what sizes nodes), ties by code; None without revenue."""
    totals: dict[str, int] = {}
    for _node, attrs in g.nodes(data=True):
        for name, value in attrs.items():
            if name.startswith("revenue_") and _is_money(name):
                totals[name[8:]] = totals.get(name[8:], 0) + max(0, int(value))
    return min(totals, key=lambda c: (-totals[c], c)) if totals else None


def colours(g: nx.DiGraph) -> dict[str, str]:
    """Each channel's colour: the page's palette in turn, channels by name."""
    return palette(str(a.get("channel")) for _, a in g.nodes(data=True) if a.get("channel"))


def palette(channels: Iterable[str]) -> dict[str, str]:
    """Colours of these channel names: the page's palette in turn, by name."""
    names = sorted(set(channels))
    return {name: CHANNEL_COLOURS[i % len(CHANNEL_COLOURS)] for i, name in enumerate(names)}


def to_gexf(g: nx.DiGraph) -> bytes:
    """GEXF of the graph (see GexfWriter)."""
    g = prepared(g)
    nodes, edges = _nodes(g), _edges(g)
    return GexfWriter().whole(head_of(g, nodes, edges), nodes, edges)


def _dot_quote(value: object) -> str:
    text = str(value).replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")
    return f'"{text}"'


def _money_line(attrs: dict[str, object]) -> str:
    """The node's own revenue for a label: "1250.00 EUR, 300 JPY" ("" without any)."""
    parts = []
    for name, value in sorted(attrs.items()):
        currency = _is_money(name)
        if currency and name.startswith("revenue_") and value:
            parts.append(f"{format_amount(int(value), currency)} {currency}")  # type: ignore[call-overload]
    return ", ".join(parts)


def _label(attrs: dict[str, object], node: str) -> str:
    """Name, then level and revenue, as the page's tooltips have them."""
    lines = [str(attrs.get("name", node))]
    facts = []
    if attrs.get("kind") != "channel" and "level" in attrs:
        facts.append(f"level {attrs['level']}")
    money = _money_line(attrs)
    if money:
        facts.append(money)
    if attrs.get("dead_end"):
        facts.append("dead end")
    if facts:
        lines.append(" · ".join(facts))
    return "\n".join(lines)


def _colour_of(attrs: dict[str, object], palette: dict[str, str]) -> str:
    return palette.get(str(attrs.get("channel")), NO_CHANNEL_COLOUR)


def to_dot(g: nx.DiGraph) -> str:
    """Graphviz DOT styled like the page: each chain in its channel's colour (channels as filled boxes),
    dead ends with a red dashed border, one rank per level, names with level and revenue in the labels,
    secondary recommendations dashed. Every export attribute is kept on its node or edge (money as
    decimal text), so the file is data as well as a drawing."""
    g = prepared(g)
    palette = colours(g)
    lines = [
        "digraph referrals {",
        '  graph [rankdir=TB, fontname="DejaVu Sans", nodesep=0.3, ranksep=0.5];',
        '  node [shape=box, style="rounded,filled", fontname="DejaVu Sans", fontsize=10, fontcolor="#1d2433"];',
        '  edge [color="#8a93a3", fontname="DejaVu Sans", fontsize=8, fontcolor="#5b6472"];',
    ]
    levels: dict[int, list[str]] = {}
    for node, attrs in _nodes(g):
        colour = _colour_of(attrs, palette)
        style: dict[str, object] = {"label": _label(attrs, node), "color": colour, "fillcolor": colour + "33"}
        if attrs.get("kind") == "channel":
            style.update(shape="box", style="filled", fillcolor=colour, fontcolor="#ffffff")
        else:
            style["shape"] = "ellipse"
            style["style"] = "filled"
        if attrs.get("dead_end"):
            style.update(color=DEAD_END_COLOUR, style="filled,dashed", penwidth=2)
        data = {f"data_{k}": _text(k, v) for k, v in attrs.items()}
        body = ", ".join(f"{k}={_dot_quote(v)}" for k, v in {**style, **data}.items())
        lines.append(f"  {_dot_quote(node)} [{body}];")
        if isinstance(attrs.get("level"), int):
            levels.setdefault(int(attrs["level"]), []).append(node)  # type: ignore[arg-type]
    for level in sorted(levels):
        lines.append(f"  {{ rank=same; {'; '.join(_dot_quote(n) for n in levels[level])}; }}")
    for u, v, attrs in _edges(g):
        style = {"label": attrs.get("date", "")}
        if not attrs.get("primary", True):
            style.update(style="dashed", constraint="false")
        data = {f"data_{k}": _text(k, x) for k, x in attrs.items()}
        body = ", ".join(f"{k}={_dot_quote(x)}" for k, x in {**style, **data}.items())
        lines.append(f"  {_dot_quote(u)} -> {_dot_quote(v)} [{body}];")
    lines.append("}")
    return "\n".join(lines) + "\n"


def _mermaid_label(text: object) -> str:
    # Mermaid labels in quotes: escape quotes and markup-significant characters as entity codes.
    return str(text).replace("&", "#amp;").replace('"', "#quot;").replace("<", "#lt;").replace(">", "#gt;")


def to_mermaid(g: nx.DiGraph) -> str:
    """A Mermaid flowchart styled like the page: a class per channel colour, dead ends red and dashed,
    names with level and revenue, channels as boxes, secondary recommendations dotted."""
    g = prepared(g)
    palette = colours(g)
    nodes = _nodes(g)
    ids = {node: f"n{i}" for i, (node, _) in enumerate(nodes)}
    classes = {colour: f"c{i}" for i, colour in enumerate(dict.fromkeys([*palette.values(), NO_CHANNEL_COLOUR]))}
    lines = ["flowchart TD"]
    members: dict[str, list[str]] = {}
    for node, attrs in nodes:
        label = "<br/>".join(_mermaid_label(part) for part in _label(attrs, node).split("\n"))
        shape = f'["{label}"]' if attrs.get("kind") == "channel" else f'("{label}")'
        lines.append(f"  {ids[node]}{shape}")
        members.setdefault(classes[_colour_of(attrs, palette)], []).append(ids[node])
        if attrs.get("dead_end"):
            members.setdefault("deadend", []).append(ids[node])
    for u, v, attrs in _edges(g):
        arrow = "-->" if attrs.get("primary", True) else "-.->"
        date = attrs.get("date")
        lines.append(f"  {ids[u]} {arrow}|{_mermaid_label(date)}| {ids[v]}" if date else f"  {ids[u]} {arrow} {ids[v]}")
    for colour, name in classes.items():
        lines.append(f"  classDef {name} fill:{colour}33,stroke:{colour},color:#1d2433")
    lines.append(f"  classDef deadend stroke:{DEAD_END_COLOUR},stroke-width:2px,stroke-dasharray:3 2")
    for name, ids_ in members.items():
        lines.append(f"  class {','.join(ids_)} {name}")
    return "\n".join(lines) + "\n"


def to_json(g: nx.DiGraph) -> str:
    """Nodes and edges with what GraphML and GEXF carry (networkx node-link layout, edges under
    "edges"), for scripts and the page: money in integer minor units with its currency in the name
    (`revenue_EUR: 155050`), as machine values are everywhere in JSON here."""
    data = nx.node_link_data(prepared(g), edges="edges")
    return json.dumps(data, sort_keys=True, ensure_ascii=False)


WRITERS: dict[GraphFormat, Callable[[nx.DiGraph], bytes | str]] = {
    GraphFormat.GRAPHML: to_graphml,
    GraphFormat.GEXF: to_gexf,
    GraphFormat.DOT: to_dot,
    GraphFormat.MERMAID: to_mermaid,
    GraphFormat.JSON: to_json,
    GraphFormat.KUMU: lambda g: _tables().to_kumu(g),
    GraphFormat.GEPHI_CSV: lambda g: _tables().to_gephi(g),
    GraphFormat.CYTOSCAPE: lambda g: _tables().to_cytoscape(g),
}


def _tables() -> Any:
    from referrals import tables  # the table writers build on this module

    return tables


IMAGE_FORMATS = ("svg", "png")
GRAPHVIZ_HINT = N_("Graphviz is not installed: install Debian's package with `apt-get install graphviz`")


def render_image(g: nx.DiGraph, fmt: str) -> bytes:
    """The graph drawn by Graphviz (`dot`) as SVG or PNG, from the styled DOT. Unavailable naming the
    Debian package when `dot` is missing; Graphviz's own message when it fails."""
    dot = shutil.which("dot")
    if dot is None:
        raise Unavailable(lazy(GRAPHVIZ_HINT), public=lazy(GRAPHVIZ_HINT))
    done = subprocess.run([dot, f"-T{fmt}"], input=to_dot(g).encode(), capture_output=True, check=False)
    if done.returncode != 0:
        raise Unavailable(_("Graphviz failed: %(error)s", error=done.stderr.decode(errors="replace").strip()))
    return done.stdout


def export(g: nx.DiGraph, fmt: GraphFormat) -> bytes:
    """The graph in `fmt`, as bytes ready to write or send."""
    out = WRITERS[fmt](g)
    return out if isinstance(out, bytes) else out.encode("utf-8")
