"""Chains, trees, stats, summary, key clients and exports over HTTP, on both stores."""

from __future__ import annotations

import io

import networkx as nx
import pytest

from api import auth
from tests.api.conftest import Api
from tests.graph.test_as_of import story


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


def test_a_chain_is_whole_and_a_cut_one_names_its_top(api: Api, net: dict[str, str]) -> None:
    body = api.ok(api.get(f"/clients/{net['p9']}/chain"))
    assert (body["depth"], body["levels"], body["truncated"]) == (None, 10, False)
    assert [s["name"] for s in body["steps"]] == ["P8", "P7", "P6", "P5", "P4", "P3", "P2", "P1", "P0", "Pricing post"]
    assert body["steps"][0]["referred_on"] == "2024-01-09" and body["top"] == body["steps"][-1]
    seven = api.ok(api.get(f"/clients/{net['p9']}/chain?depth=7"))
    assert (seven["depth"], seven["levels"], seven["truncated"], len(seven["steps"])) == (7, 10, True, 7)
    assert seven["top"]["name"] == "Pricing post" and seven["top"]["level"] == 10
    short = api.ok(api.get(f"/clients/{net['p1']}/chain"))
    assert [(s["name"], s["source_kind"]) for s in short["steps"]] == [("P0", "client"), ("Pricing post", "channel")]
    assert api.ok(api.get(f"/clients/{net['p9']}/chain?depth=9"))["levels"] == 10  # past seven: fine
    assert api.get(f"/clients/{net['p9']}/chain?depth=51").status_code == 422
    assert api.get("/clients/cl_ghost/chain").status_code == 404


def test_a_tree_is_whole_and_a_cut_one_says_what_lies_beyond(api: Api, net: dict[str, str]) -> None:
    body = api.ok(api.get(f"/clients/{net['p0']}/tree?depth=3"))
    assert body["root"]["name"] == "P0" and body["root"]["referred"] == 2
    assert (body["size"], body["shown"], body["reach_per_level"]) == (10, 4, [2, 1, 1])
    assert body["beyond"] == {"clients": 6, "revenue": []}
    assert body["revenue"] == [{"currency": "EUR", "amount": "160.50", "amount_minor": 16050}]
    p1, side = body["children"]
    assert (p1["name"], side["name"]) == ("P1", "Side")
    assert p1["branch_size"] == 8 and p1["branch_revenue"][0]["amount"] == "150.50"  # also past the cut
    p3 = p1["children"][0]["children"][0]
    assert p3["name"] == "P3" and p3["dead_end"] is False and p3["beyond"] == {"clients": 6, "revenue": []}
    assert p1["beyond"] is None and p3["children"] == []
    assert side["dead_end"] is True and side["revenue"][0]["amount"] == "10.00"
    channel = api.ok(api.get(f"/channels/{net['blog']}/tree"))
    assert channel["root"]["kind"] == "channel" and channel["size"] == channel["shown"] == 11
    assert channel["depth"] is None and channel["beyond"] == {"clients": 0, "revenue": []}
    assert channel["reach_per_level"] == [1, 2, 1, 1, 1, 1, 1, 1, 1, 1]
    node = channel["children"][0]
    past = []
    while node["children"]:
        node = node["children"][0]
        past.append((node["name"], node["level"], node["past_credit_depth"]))
    assert [p for p in past if p[2]] == [("P7", 8, True), ("P8", 9, True), ("P9", 10, True)]
    cut = api.ok(api.get(f"/channels/{net['blog']}/tree?depth=7"))
    assert (cut["size"], cut["shown"], cut["beyond"]["clients"]) == (11, 8, 3) and cut["revenue"] == channel["revenue"]


def test_stats_summary_and_key_clients(api: Api, net: dict[str, str]) -> None:
    stats = api.ok(api.get(f"/clients/{net['p2']}/stats"))
    assert stats["level"] == 3 and stats["top_of_chain"]["name"] == "Pricing post"
    assert stats["reach"] == 7 and stats["dead_ends_below"] == 1 and stats["branch_revenue"][0]["amount"] == "50.50"
    deep = api.ok(api.get(f"/clients/{net['p9']}/stats"))
    assert deep["level"] == 10 and deep["top_of_chain"]["name"] == "Pricing post"  # not the level-7 client
    cut = api.ok(api.get(f"/clients/{net['p0']}/stats?depth=2"))
    assert cut["reach"] == 10 and cut["beyond"]["clients"] == 7 and cut["branch_revenue"][0]["amount"] == "160.50"
    summary = api.ok(api.get("/network/summary"))
    assert (summary["clients"], summary["from_channel"], summary["from_referral"], summary["direct"]) == (11, 1, 10, 0)
    assert summary["longest_chain"] == 10 and summary["longest_chain_client"] == net["p9"]
    assert summary["dead_ends"] == 2 and summary["prolific_referrers"][0]["name"] == "P0"
    keys = api.ok(api.get("/network/key-clients?limit=3"))
    assert keys["currency"] == "EUR" and len(keys["items"]) == 3 and keys["depth"] is None
    # P1: own 100.00/100.00 + brought in 50.50/160.50 + 0.5 x reach 8/10; P0: 0 + 160.50/160.50 + 0.5 x 10/10
    assert [k["name"] for k in keys["items"][:2]] == ["P1", "P0"]
    assert keys["items"][0]["score"] == round(1 + 5050 / 16050 + 0.5 * 8 / 10, 6)
    reach_only = api.ok(api.get("/network/key-clients?w_own=0&w_downline=0&w_reach=1&limit=1"))
    assert reach_only["items"][0]["reach"] == 10
    assert api.get("/network/key-clients?currency=XYZ").status_code == 422


def test_key_clients_rank_in_a_picked_currency_and_show_every_currency(api: Api, net: dict[str, str]) -> None:
    """A client who paid only in USD shows what it paid, not "own 0.00", whichever currency ranks."""
    for who, amount, currency in (("p5", "700.00", "USD"), ("p4", "5.00", "USD")):
        deal = {"client_id": net[who], "amount": amount, "currency": currency, "closed_on": "2024-05-02"}
        api.ok(api.post("/deals", deal), 201)
    eur = api.ok(api.get("/network/key-clients?limit=20"))
    assert eur["currency"] == "EUR" and eur["currencies"] == ["EUR", "USD"]  # 3 clients paid in EUR, 2 in USD
    by_name = {k["name"]: k for k in eur["items"]}
    p5 = by_name["P5"]
    assert p5["own_revenue"]["amount_minor"] == 0
    assert p5["own_by_currency"] == [{"currency": "USD", "amount": "700.00", "amount_minor": 70000}]
    assert by_name["P3"]["downline_by_currency"] == [{"currency": "USD", "amount": "705.00", "amount_minor": 70500}]
    assert by_name["P0"]["downline_by_currency"] == [
        {"currency": "EUR", "amount": "160.50", "amount_minor": 16050},
        {"currency": "USD", "amount": "705.00", "amount_minor": 70500},
    ]
    usd = api.ok(api.get("/network/key-clients?limit=20&currency=usd"))
    assert usd["currency"] == "USD" and usd["items"][0]["name"] == "P0"
    # P0: 0 + 705.00/705.00 + 0.5 x 10/10; P5: 700.00/700.00 + 0 + 0.5 x 4/10
    usd_scores = {k["name"]: k["score"] for k in usd["items"]}
    assert (usd_scores["P0"], usd_scores["P5"]) == (1.5, 1.2)
    usd = api.ok(api.get("/network/key-clients?limit=20&currency=USD&w_downline=0&w_reach=0"))
    assert usd["items"][0]["name"] == "P5"
    assert usd["items"][0]["own_revenue"]["amount"] == "700.00"
    assert {k["name"]: k["own_by_currency"] for k in usd["items"]} == {
        k["name"]: k["own_by_currency"] for k in eur["items"]
    }  # the same money, whichever currency ranks


def test_the_networks_trees_biggest_first_add_up_to_the_workspace(api: Api, net: dict[str, str]) -> None:
    lone = api.client_id("Lone")
    api.ok(api.post("/deals", {"client_id": lone, "amount": "3", "currency": "USD", "closed_on": "2024-05-02"}), 201)
    empty = api.ok(api.post("/channels", {"name": "Unused ad", "kind": "ad"}), 201)["id"]
    body = api.ok(api.get("/network/trees"))
    assert (body["trees"], body["clients"]) == (3, 12)
    assert [(t["kind"], t["name"], t["clients"], t["nodes"]) for t in body["items"]] == [
        ("channel", "Pricing post", 11, 12),
        ("client", "Lone", 1, 1),
        ("channel", "Unused ad", 0, 1),
    ]
    assert body["items"][0]["id"] == net["blog"] and body["items"][1]["id"] == lone and body["items"][2]["id"] == empty
    summary = api.ok(api.get("/network/summary"))
    assert body["revenue"] == summary["revenue"]
    assert body["beyond"] == {"trees": 0, "clients": 0, "revenue": []}
    one = api.ok(api.get("/network/trees?limit=1"))
    assert [t["name"] for t in one["items"]] == ["Pricing post"]
    assert one["beyond"] == {
        "trees": 2,
        "clients": 1,
        "revenue": [{"currency": "USD", "amount": "3.00", "amount_minor": 300}],
    }
    tree = api.ok(api.get(f"/channels/{net['blog']}/tree"))
    assert one["items"][0]["revenue"] == tree["revenue"] and one["items"][0]["clients"] == tree["size"]
    assert api.get("/network/trees?limit=0").status_code == 422


@pytest.mark.parametrize(("fmt", "reader"), [("graphml", nx.read_graphml), ("gexf", nx.read_gexf)])
def test_exports_read_back(api: Api, net: dict[str, str], fmt: str, reader) -> None:
    whole = api.get(f"/network/export?format={fmt}")
    assert whole.status_code == 200 and whole.headers["Content-Disposition"].startswith("attachment")
    g = reader(io.BytesIO(whole.data))
    assert g.number_of_nodes() == 12 and g.number_of_edges() == 11
    p3 = g.nodes[net["p3"]]
    assert p3["revenue_EUR"] == 50.5 and p3["channel"] == "Pricing post"  # money in major units, not cents
    assert isinstance(p3["dead_end"], bool) and p3["branch_clients"] >= 0
    assert g.nodes[net["p3"]]["level"] == 4 and g.edges[net["p0"], net["side"]]["primary"] is True
    one = reader(io.BytesIO(api.get(f"/clients/{net['p5']}/tree/export?format={fmt}&depth=2").data))
    assert set(one.nodes) == {net["p5"], net["p6"], net["p7"]}
    assert one.nodes[net["p5"]]["level"] == 0 and one.nodes[net["p7"]]["level"] == 2
    assert one.nodes[net["p7"]]["beyond_clients"] == 2  # p8 and p9 lie past the cut
    assert one.nodes[net["p7"]]["channel"] == "Pricing post"


def test_text_exports(api: Api, net: dict[str, str]) -> None:
    dot = api.get(f"/channels/{net['blog']}/tree/export?format=dot")
    assert dot.mimetype == "text/vnd.graphviz" and dot.data.startswith(b"digraph")
    mermaid = api.get("/network/export?format=mermaid")
    assert mermaid.mimetype == "text/vnd.mermaid" and b"flowchart TD" in mermaid.data
    assert api.get("/network/export?format=pdf").status_code == 422


def test_a_chain_or_tree_request_is_one_statement_with_its_token(api: Api, net: dict[str, str]) -> None:
    paths = (f"/clients/{net['p9']}/chain", f"/clients/{net['p0']}/tree", f"/channels/{net['blog']}/tree")
    auth._homes.clear()  # a token this process has not seen yet: read first, then the view
    before = api.store.query_count
    api.ok(api.get(paths[0]))
    assert api.store.query_count - before == 2
    for path in paths:  # seen valid: on Neo4j the token is checked in the view's own statement
        before = api.store.query_count
        api.ok(api.get(path))
        assert api.store.query_count - before == (1 if api.store.kind == "neo4j" else 2), path


# -- as of a day ------------------------------------------------------------------------------


def test_every_view_takes_as_of(api: Api, monkeypatch: pytest.MonkeyPatch) -> None:
    """The story of tests/graph/test_as_of.py: Blog > Ana > Bruno > Carla until Bruno's re-attribution
    to the Podcast on 2024-04-10; deals Bruno 100 EUR (Feb 10), Carla 50 EUR (Mar 15)."""
    _, ids, blog = story(api.store, monkeypatch, api.ws)
    monkeypatch.undo()
    march, today = "as_of=2024-03-14", ""
    tree = api.ok(api.get(f"/channels/{blog}/tree?{march}"))
    assert tree["size"] == 3 and tree["revenue"] == [{"currency": "EUR", "amount": "100.00", "amount_minor": 10000}]
    assert api.ok(api.get(f"/channels/{blog}/tree"))["size"] == 1
    chain = api.ok(api.get(f"/clients/{ids['Carla']}/chain?{march}"))
    assert [s["name"] for s in chain["steps"]] == ["Bruno", "Ana", "Blog"]
    assert [s["name"] for s in api.ok(api.get(f"/clients/{ids['Carla']}/chain"))["steps"]] == ["Bruno", "Podcast"]
    stats = api.ok(api.get(f"/clients/{ids['Ana']}/stats?{march}"))
    assert (stats["reach"], stats["level"], stats["top_of_chain"]["name"]) == (2, 1, "Blog")
    summary = api.ok(api.get(f"/network/summary?{march}"))
    assert (summary["clients"], summary["from_channel"], summary["longest_chain"]) == (3, 1, 3)
    assert api.ok(api.get("/network/summary?as_of=2024-01-31"))["clients"] == 1  # a day apart: not one cache entry
    assert api.ok(api.get(f"/network/summary{today}"))["longest_chain"] == 2
    key = api.ok(api.get(f"/network/key-clients?{march}"))["items"]
    downline = {k["name"]: k["downline_revenue"]["amount"] for k in key}
    assert downline == {"Ana": "100.00", "Bruno": "0.00", "Carla": "0.00"}  # Carla's deal (Mar 15) not in yet
    later = api.ok(api.get("/network/key-clients?as_of=2024-03-20"))["items"]
    assert {k["name"]: k["downline_revenue"]["amount"] for k in later}["Ana"] == "150.00"
    trees = api.ok(api.get(f"/network/trees?{march}"))
    assert trees["clients"] == 3 and ("Blog", 3) in {(t["name"], t["clients"]) for t in trees["items"]}
    graph = nx.read_graphml(io.BytesIO(api.get(f"/network/export?format=graphml&{march}").data))
    assert sorted(d["name"] for _, d in graph.nodes(data=True) if d.get("kind") == "client") == [
        "Ana",
        "Bruno",
        "Carla",
    ]
    resp = api.get(f"/network/export?format=graphml&{march}")
    assert "as-of-2024-03-14" in resp.headers["Content-Disposition"]
    part = nx.read_graphml(io.BytesIO(api.get(f"/channels/{blog}/tree/export?format=graphml&{march}").data))
    assert part.number_of_nodes() == 4
    # refusals name the field
    bad = api.get(f"/channels/{blog}/tree?as_of=2024-02-30")
    assert bad.status_code == 422 and bad.get_json()["errors"][0]["field"] == "as_of"
    early = api.get(f"/clients/{ids['Carla']}/chain?as_of=2024-02-01")
    assert early.status_code == 404 and early.get_json()["errors"][0]["field"] == "as_of"
    assert "it became a client on 2024-03-01" in early.get_json()["errors"][0]["reason"]


def test_growth_over_http(api: Api) -> None:
    from tests.referrals.test_growth import story as growth_story

    _, _, blog = growth_story(api.store, api.ws)
    body = api.ok(api.get("/network/growth?months=3&to=2025-03&window=2"))
    assert (body["from"], body["to"], body["window"], body["clients"]) == ("2025-01", "2025-03", 2, 5)
    jan, feb, mar = body["cohorts"]
    assert (jan["month"], jan["k"], jan["by_origin"]) == ("2025-01", 0.5, {"people": 0, "channels": 1, "direct": 1})
    assert (feb["conversion"], feb["median_days_to_first_deal"], mar["conversion"]) == (1.0, 10, 0.0)
    assert mar["revenue_by_origin"]["direct"] == [{"currency": "EUR", "amount": "30.00", "amount_minor": 3000}]
    assert body["channels"] == [{"id": blog, "name": "Blog", "clients": 4, "depth": 3, "per_level": [1, 2, 1]}]
    people = body["origins"][0]
    assert people["average"] == [{"currency": "EUR", "amount": "46.67", "amount_minor": 4667}]
    for query, field in (("to=2025-13", "to"), ("months=0", "months"), ("window=99", "window")):
        bad = api.get(f"/network/growth?{query}")
        assert bad.status_code == 422 and bad.get_json()["errors"][0]["field"] == field, query


def test_influence_over_http(api: Api) -> None:
    from datetime import date

    from referrals.model import ReferralInput, SourceKind, SourceRef
    from tests.referrals.test_growth import story as growth_story

    _, ids, _ = growth_story(api.store, api.ws)
    api.store.record_referral(
        api.ws, ReferralInput(SourceRef(SourceKind.CLIENT, ids["Dan"]), ids["Eva"], date(2025, 3, 10))
    )
    body = api.ok(api.get("/network/influence?as_of=2025-12-01&months=6&limit=1"))
    assert (body["currency"], body["day"], body["months"]) == ("EUR", "2025-12-01", 6)
    (ana,) = body["clients"]["items"]
    assert body["clients"]["total"] == 2
    assert (ana["name"], ana["downline_revenue"][0]["amount"], ana["branch_revenue"][0]["amount"]) == (
        "Ana",
        "140.00",
        "340.00",
    )
    (bridge,) = body["bridges"]["items"]
    assert (bridge["orphaned"], [o["name"] for o in bridge["orphans"]]) == (2, ["Bruno", "Carla"])
    assert (body["sleeping"]["total"], body["sleeping"]["items"][0]["name"]) == (3, "Ana")
    assert (body["dead_ends"]["total"], body["dead_ends"]["items"][0]["name"]) == (3, "Eva")
    assert body["dead_ends"]["items"][0]["upline_revenue"][0]["amount_minor"] == 30_000
    # as of a day before Carla came in, Ana's branch holds Bruno and Eva only
    early = api.ok(api.get("/network/influence?as_of=2025-04-01"))
    assert early["clients"]["items"][0]["reach"] == 2
    for query, field in (("months=0", "months"), ("limit=0", "limit"), ("currency=EURO", "currency")):
        bad = api.get(f"/network/influence?{query}")
        assert bad.status_code == 422 and bad.get_json()["errors"][0]["field"] == field, query
