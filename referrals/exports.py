"""Graph exports for the tools consultants use: GraphML, GEXF, DOT, Mermaid and JSON nodes/edges."""

from __future__ import annotations

import enum
import io
import json
from collections.abc import Callable

import networkx as nx


class GraphFormat(enum.StrEnum):
    """Supported export formats."""

    GRAPHML = "graphml"  # yEd, Gephi, Cytoscape
    GEXF = "gexf"  # Gephi
    DOT = "dot"  # Graphviz
    MERMAID = "mermaid"  # Markdown docs, GitHub, GitLab
    JSON = "json"  # nodes and edges, for scripts


MEDIA_TYPES = {
    GraphFormat.GRAPHML: "application/graphml+xml",
    GraphFormat.GEXF: "application/gexf+xml",
    GraphFormat.DOT: "text/vnd.graphviz",
    GraphFormat.MERMAID: "text/vnd.mermaid",
    GraphFormat.JSON: "application/json",
}
EXTENSIONS = {
    GraphFormat.GRAPHML: "graphml",
    GraphFormat.GEXF: "gexf",
    GraphFormat.DOT: "dot",
    GraphFormat.MERMAID: "mmd",
    GraphFormat.JSON: "json",
}


def to_graphml(g: nx.DiGraph) -> bytes:
    """GraphML with typed attributes (strings, integers, booleans)."""
    buf = io.BytesIO()
    nx.write_graphml_xml(g, buf, encoding="utf-8", named_key_ids=True)
    return buf.getvalue()


def to_gexf(g: nx.DiGraph) -> bytes:
    """GEXF 1.2 with typed attributes; node labels are the names, so Gephi shows people, not ids."""
    labelled = g.copy()
    for node, attrs in labelled.nodes(data=True):
        attrs["label"] = attrs.get("name", str(node))
    buf = io.BytesIO()
    nx.write_gexf(labelled, buf, encoding="utf-8", version="1.2draft")
    return buf.getvalue()


def _dot_quote(value: object) -> str:
    text = str(value).replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")
    return f'"{text}"'


def to_dot(g: nx.DiGraph) -> str:
    """Graphviz DOT: every attribute kept; channels drawn as boxes, secondary recommendations dashed."""
    lines = ["digraph referrals {", "  rankdir=TB;", '  node [shape=ellipse, fontname="Helvetica"];']
    for node, attrs in sorted(g.nodes(data=True), key=lambda kv: str(kv[0])):
        shown = dict(attrs)
        shown.setdefault("label", attrs.get("name", node))
        if attrs.get("kind") == "channel":
            shown["shape"] = "box"
        body = ", ".join(f"{k}={_dot_quote(v)}" for k, v in sorted(shown.items()))
        lines.append(f"  {_dot_quote(node)} [{body}];")
    for u, v, attrs in sorted(g.edges(data=True), key=lambda e: (str(e[0]), str(e[1]))):
        shown = dict(attrs)
        if not attrs.get("primary", True):
            shown["style"] = "dashed"
        shown.setdefault("label", attrs.get("date", ""))
        body = ", ".join(f"{k}={_dot_quote(val)}" for k, val in sorted(shown.items()))
        lines.append(f"  {_dot_quote(u)} -> {_dot_quote(v)} [{body}];")
    lines.append("}")
    return "\n".join(lines) + "\n"


def _mermaid_label(text: object) -> str:
    # Mermaid labels in quotes: escape quotes and markup-significant characters as entity codes.
    return str(text).replace("&", "#amp;").replace('"', "#quot;").replace("<", "#lt;").replace(">", "#gt;")


def to_mermaid(g: nx.DiGraph) -> str:
    """A Mermaid flowchart: ids made safe, names as labels, secondary recommendations dotted."""
    ids = {node: f"n{i}" for i, node in enumerate(sorted(g.nodes, key=str))}
    lines = ["flowchart TD"]
    for node in sorted(g.nodes, key=str):
        attrs = g.nodes[node]
        label = _mermaid_label(attrs.get("name", node))
        shape = f'["{label}"]' if attrs.get("kind") == "channel" else f'("{label}")'
        lines.append(f"  {ids[node]}{shape}")
    for u, v, attrs in sorted(g.edges(data=True), key=lambda e: (str(e[0]), str(e[1]))):
        arrow = "-->" if attrs.get("primary", True) else "-.->"
        date = attrs.get("date")
        lines.append(f"  {ids[u]} {arrow}|{_mermaid_label(date)}| {ids[v]}" if date else f"  {ids[u]} {arrow} {ids[v]}")
    return "\n".join(lines) + "\n"


def to_json(g: nx.DiGraph) -> str:
    """Nodes and edges with their attributes (networkx node-link layout, edges under "edges")."""
    data = nx.node_link_data(g, edges="edges")
    return json.dumps(data, sort_keys=True, ensure_ascii=False)


WRITERS: dict[GraphFormat, Callable[[nx.DiGraph], bytes | str]] = {
    GraphFormat.GRAPHML: to_graphml,
    GraphFormat.GEXF: to_gexf,
    GraphFormat.DOT: to_dot,
    GraphFormat.MERMAID: to_mermaid,
    GraphFormat.JSON: to_json,
}


def export(g: nx.DiGraph, fmt: GraphFormat) -> bytes:
    """The graph in `fmt`, as bytes ready to write or send."""
    out = WRITERS[fmt](g)
    return out if isinstance(out, bytes) else out.encode("utf-8")
