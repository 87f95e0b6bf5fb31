"""Chains, trees, stats, summary, key clients and exports over HTTP, on both stores."""

from __future__ import annotations

import io

import networkx as nx
import pytest

from tests.api.conftest import Api


@pytest.fixture
def net(api: Api) -> dict[str, str]:
    """blog -> p0 -> p1 -> ... -> p9 (a nine-level line) plus p0 -> side; deals on p1, p3 and side."""
    ids = {"blog": api.ok(api.post("/channels", {"name": "Pricing post", "kind": "blog"}), 201)["id"]}
    for i in range(10):
        ids[f"p{i}"] = api.client_id(f"P{i}")
    ids["side"] = api.client_id("Side")
    api.ok(
        api.post(
            "/referrals",
            {"source_kind": "channel", "source_id": ids["blog"], "client_id": ids["p0"], "referred_on": "2023-01-01"},
        ),
        201,
    )
    for i in range(9):
        api.ok(
            api.post(
                "/referrals",
                {"source_id": ids[f"p{i}"], "client_id": ids[f"p{i + 1}"], "referred_on": f"2024-01-{i + 1:02d}"},
            ),
            201,
        )
    api.ok(api.post("/referrals", {"source_id": ids["p0"], "client_id": ids["side"], "referred_on": "2024-03-01"}), 201)
    for who, amount in (("p1", "100.00"), ("p3", "50.50"), ("side", "10")):
        api.ok(
            api.post("/deals", {"client_id": ids[who], "amount": amount, "currency": "EUR", "closed_on": "2024-05-01"}),
            201,
        )
    return ids


def test_chain_to_the_seventh_level(api: Api, net: dict[str, str]) -> None:
    body = api.ok(api.get(f"/clients/{net['p9']}/chain"))
    assert body["depth"] == 7 and body["truncated"] is True
    assert [s["name"] for s in body["steps"]] == ["P8", "P7", "P6", "P5", "P4", "P3", "P2"]
    assert body["steps"][0]["referred_on"] == "2024-01-09"
    short = api.ok(api.get(f"/clients/{net['p1']}/chain"))
    assert [(s["name"], s["source_kind"]) for s in short["steps"]] == [("P0", "client"), ("Pricing post", "channel")]
    assert api.get(f"/clients/{net['p9']}/chain?depth=8").status_code == 422
    assert api.get("/clients/cl_ghost/chain").status_code == 404


def test_tree_nested_with_revenue(api: Api, net: dict[str, str]) -> None:
    body = api.ok(api.get(f"/clients/{net['p0']}/tree?depth=3"))
    assert body["root"]["name"] == "P0" and body["root"]["referred"] == 2
    assert body["size"] == 4 and body["reach_per_level"] == [2, 1, 1]
    assert body["revenue"] == [{"currency": "EUR", "amount": "160.50", "amount_minor": 16050}]
    p1, side = body["children"]
    assert (p1["name"], side["name"]) == ("P1", "Side")
    assert p1["branch_size"] == 2 and p1["branch_revenue"][0]["amount"] == "150.50"
    assert p1["children"][0]["children"][0]["name"] == "P3" and p1["children"][0]["children"][0]["dead_end"] is False
    assert side["dead_end"] is True and side["revenue"][0]["amount"] == "10.00"
    channel = api.ok(api.get(f"/channels/{net['blog']}/tree"))
    assert channel["root"]["kind"] == "channel" and channel["size"] == 8  # p0..p6 and side within 7 levels
    assert channel["reach_per_level"] == [1, 2, 1, 1, 1, 1, 1]


def test_stats_summary_and_key_clients(api: Api, net: dict[str, str]) -> None:
    stats = api.ok(api.get(f"/clients/{net['p2']}/stats"))
    assert stats["level"] == 3 and stats["top_of_chain"]["name"] == "Pricing post"
    assert stats["reach"] == 7 and stats["dead_ends_below"] == 1 and stats["branch_revenue"][0]["amount"] == "50.50"
    summary = api.ok(api.get("/network/summary"))
    assert (summary["clients"], summary["from_channel"], summary["from_referral"], summary["direct"]) == (11, 1, 10, 0)
    assert summary["longest_chain"] == 10 and summary["longest_chain_client"] == net["p9"]
    assert summary["dead_ends"] == 2 and summary["prolific_referrers"][0]["name"] == "P0"
    keys = api.ok(api.get("/network/key-clients?limit=3"))
    assert keys["currency"] == "EUR" and len(keys["items"]) == 3
    # P1: own 100.00/100.00 + brought in 50.50/160.50 + 0.5 x reach 7/8; P0: 0 + 160.50/160.50 + 0.5 x 8/8
    assert [k["name"] for k in keys["items"][:2]] == ["P1", "P0"]
    assert keys["items"][0]["score"] == round(1 + 5050 / 16050 + 0.5 * 7 / 8, 6)
    reach_only = api.ok(api.get("/network/key-clients?w_own=0&w_downline=0&w_reach=1&limit=1"))
    assert reach_only["items"][0]["reach"] == 8
    assert api.get("/network/key-clients?currency=XYZ").status_code == 422


@pytest.mark.parametrize(("fmt", "reader"), [("graphml", nx.read_graphml), ("gexf", nx.read_gexf)])
def test_exports_read_back(api: Api, net: dict[str, str], fmt: str, reader) -> None:
    whole = api.get(f"/network/export?format={fmt}")
    assert whole.status_code == 200 and whole.headers["Content-Disposition"].startswith("attachment")
    g = reader(io.BytesIO(whole.data))
    assert g.number_of_nodes() == 12 and g.number_of_edges() == 11
    assert g.nodes[net["p3"]]["revenue_EUR"] == 5050 and g.nodes[net["p3"]]["channel"] == "Pricing post"
    assert g.nodes[net["p3"]]["level"] == 4 and g.edges[net["p0"], net["side"]]["primary"] is True
    one = reader(io.BytesIO(api.get(f"/clients/{net['p5']}/tree/export?format={fmt}&depth=2").data))
    assert set(one.nodes) == {net["p5"], net["p6"], net["p7"]}
    assert one.nodes[net["p5"]]["level"] == 0 and one.nodes[net["p7"]]["level"] == 2
    assert one.nodes[net["p7"]]["channel"] == "Pricing post"


def test_text_exports(api: Api, net: dict[str, str]) -> None:
    dot = api.get(f"/channels/{net['blog']}/tree/export?format=dot")
    assert dot.mimetype == "text/vnd.graphviz" and dot.data.startswith(b"digraph")
    mermaid = api.get("/network/export?format=mermaid")
    assert mermaid.mimetype == "text/vnd.mermaid" and b"flowchart TD" in mermaid.data
    assert api.get("/network/export?format=pdf").status_code == 422


def test_a_chain_or_tree_request_is_one_query_after_auth(api: Api, net: dict[str, str]) -> None:
    for path in (f"/clients/{net['p9']}/chain", f"/clients/{net['p0']}/tree", f"/channels/{net['blog']}/tree"):
        before = api.store.query_count
        api.ok(api.get(path))
        assert api.store.query_count - before == 2, path  # the token lookup, then one query
