"""The graph reads in Neo4j: a chain, a tree and a period's facts are one query each."""

from __future__ import annotations

from collections.abc import Collection, Sequence
from datetime import UTC, date, datetime, time
from itertools import chain, repeat
from typing import Any, LiteralString, cast

from graph.common import Link, NodeRow, day_reader, link, period_facts, tree_of
from graph.neo4j.db import Rows, moment, native, utc_days
from referrals import asof, forest, network_file
from referrals.attribution import DealFacts, PeriodFacts, gc_paused
from referrals.config import WALK_LIMIT
from referrals.errors import NotFound
from referrals.model import (
    Chain,
    ChainStep,
    ClientStatus,
    SourceKind,
    SourceRef,
    Tree,
)

# Dates travel as ISO text: decoding 100k+ Bolt Date structures costs more than the walk that finds them.
# A period's deals and arrivals, and the primary source of every client on their chains, each
# ancestor once however many chains share it: one row holding three lists.
#
# The walk up the chains goes level by level, keeping each level's distinct clients only: chains that
# share their upper part (most do) walk it once per level instead of once per payer, as a
# variable-length pattern from every payer would. Past _PERIOD_LEVELS levels the few clients left
# finish with a variable-length walk. Each level is a subquery so an empty level still yields its row.
_PERIOD_LEVELS = 12
_PERIOD_FACTS: LiteralString = (
    "CALL () {"
    " MATCH (d:Deal) WHERE d.workspace = $ws AND d.closed_on >= $start AND d.closed_on <= $end"
    " MATCH (c:Client)-[:PAID]->(d)"
    " RETURN c, [c.id, d.id, d.amount_minor, d.currency, toString(d.closed_on)] AS deal, null AS arrived"
    " UNION ALL"
    " MATCH (c:Client) WHERE c.workspace = $ws AND c.acquired_on >= $start AND c.acquired_on <= $end"
    " RETURN c, null AS deal, [c.id, toString(c.acquired_on)] AS arrived"
    " UNION ALL"
    " MATCH ()-[r:REFERRED]->(c:Client) WHERE r.workspace = $ws AND r.referred_on >= $start"
    " AND r.referred_on <= $end AND r.primary AND c.acquired_on IS NULL"
    " RETURN c, null AS deal, [c.id, toString(r.referred_on)] AS arrived"
    "}"
    # collect() leaves the nulls out; the payers' nodes come with their deals (no lookup by id)
    " WITH collect(deal) AS deals, collect(arrived) AS arrivals, collect(DISTINCT c) AS level0"
)
_PERIOD_LEVEL: LiteralString = (
    " CALL (level@) { UNWIND level@ AS x MATCH (x)<-[:REFERRED {primary: true}]-(p:Client)"
    " RETURN collect(DISTINCT p) AS level§ }"
)
_PERIOD_REST: LiteralString = (
    " CALL (level§) { UNWIND level§ AS x MATCH (x)<-[:REFERRED*1.. {primary: true}]-(a:Client)"
    " RETURN collect(DISTINCT a) AS rest }"
    " CALL (¤, rest) { UNWIND ° + rest AS a WITH DISTINCT a MATCH (a)<-[r:REFERRED {primary: true}]-(p)"
    " RETURN collect([a.id, CASE WHEN p:Client THEN 'client' ELSE 'channel' END, p.id, toString(r.referred_on),"
    " p.name, p.status]) AS parents }"
    " RETURN deals, arrivals, parents"
)
_PERIOD: LiteralString = cast(
    LiteralString,
    _PERIOD_FACTS
    + "".join(_PERIOD_LEVEL.replace("§", str(k + 1)).replace("@", str(k)) for k in range(_PERIOD_LEVELS))
    + _PERIOD_REST.replace("§", str(_PERIOD_LEVELS))
    .replace("¤", ", ".join("level" + str(k) for k in range(_PERIOD_LEVELS + 1)))
    .replace("°", " + ".join("level" + str(k) for k in range(_PERIOD_LEVELS + 1))),
)

# Both walks go to the whole depth, with no upper bound: Cypher never uses one relationship twice in a
# path, so a walk ends even on damaged data with a loop. A tree's view depth is a parameter that only
# splits the walk's rows (a variable-length bound could not be one in Cypher 5).
_CHAIN: LiteralString = (
    "MATCH (c:Client {workspace: $ws, id: $id})"
    " OPTIONAL MATCH p = (top)-[:REFERRED*1.. {primary: true}]->(c)"
    " WITH c, p ORDER BY length(p) DESC LIMIT 1"
    " RETURN c.id AS id,"
    " CASE WHEN p IS NULL THEN [] ELSE [n IN nodes(p) | {kind: CASE WHEN n:Client THEN 'client'"
    " ELSE 'channel' END, id: n.id, name: n.name}] END AS nodes,"
    " CASE WHEN p IS NULL THEN [] ELSE [r IN relationships(p) | {id: r.id, on: r.referred_on}] END AS rels"
)
# One record: the root's name and revenue; each client on a primary path from it, as `nodes` (to $depth:
# level, id, name, status, parent id, recommendation id and date as text, its deals) or as `far` (past
# $depth: the id of its ancestor on level $depth, its level, its deals). Deals come as [currency, amount]
# pairs a node, summed in Python: a grouping over every path's row costs more in the server. Fan-out comes
# from the walk itself (every client a node brought in is on a path). Dates as text: a driver Date costs
# several times a string and `date.fromisoformat`. A PAID relationship always ends at a Deal, so its far
# end is not checked for the label (a node read per client walked).
_TREE_TEMPLATE = (
    "MATCH (root:§ {workspace: $ws, id: $id})"
    " CALL (root) { OPTIONAL MATCH (root)-[:PAID]->(d:Deal) WITH d.currency AS cur, sum(d.amount_minor) AS total"
    " WHERE cur IS NOT NULL RETURN collect([cur, total]) AS root_revenue }"
    " CALL (root) { OPTIONAL MATCH p = (root)-[:REFERRED*1.. {primary: true}]->(c:Client)"
    " WITH p, c, length(p) AS level"
    " RETURN collect(CASE WHEN level <= $depth THEN [level, c.id, c.name, c.status, nodes(p)[-2].id,"
    " last(relationships(p)).id, toString(last(relationships(p)).referred_on),"
    " [(c)-[:PAID]->(d) | [d.currency, d.amount_minor]]] END) AS nodes,"
    " collect(CASE WHEN level > $depth THEN [nodes(p)[$depth].id, level,"
    " [(c)-[:PAID]->(d) | [d.currency, d.amount_minor]]] END) AS far }"
    " RETURN root.name AS root_name, root_revenue, nodes, far"
)
_TREE_QUERIES = {
    kind: _TREE_TEMPLATE.replace("§", label)
    for kind, label in ((SourceKind.CLIENT, "Client"), (SourceKind.CHANNEL, "Channel"))
}


# The facts a view as of a day reads (referrals/asof.py): `members`, the clients whose recommendations
# count, then their recommendations (with the recommending clients), the people among them, their
# source history and, for a tree, their revenue to the day.
_FACTS_TAIL: LiteralString = (
    " CALL (members) { UNWIND members AS m MATCH (m)<-[r:REFERRED]-(s)"
    " RETURN collect([r.id, m.id, CASE WHEN s:Client THEN 'client' ELSE 'channel' END, s.id,"
    " toString(r.referred_on), [r.created_at.epochSeconds, r.created_at.nanosecond], s.name]) AS recs,"
    " collect(DISTINCT CASE WHEN s:Client THEN s END) AS sources }"
    " CALL (members, sources) { UNWIND members + sources AS p WITH DISTINCT p"
    " OPTIONAL MATCH (p)<-[pr:REFERRED {primary: true}]-()"
    " RETURN collect([p.id, p.name, p.status, toString(p.acquired_on),"
    " [p.created_at.epochSeconds, p.created_at.nanosecond], toString(pr.referred_on)])"
    " AS people }"
    " CALL (members) { UNWIND members AS m MATCH (h:SourceChange {workspace: $ws, client_id: m.id})"
    " RETURN collect([h.client_id, h.seq, h.referral_id, [h.changed_at.epochSeconds, h.changed_at.nanosecond]])"
    " AS switches }"
)
# Up from a client over every recommendation (its chain of any day is among them).
_CHAIN_FACTS: LiteralString = (
    "MATCH (root:Client {workspace: $ws, id: $id})"
    " CALL (root) { MATCH (root)<-[:REFERRED*0..]-(a:Client) RETURN collect(DISTINCT a) AS members }"
    + _FACTS_TAIL
    + " RETURN root.name AS root_name, recs, people, switches, [] AS money"
)
# Down from a root over every recommendation (its downline of any day is among them), with revenue to the day.
_TREE_FACTS_TEMPLATE = (
    "MATCH (root:§ {workspace: $ws, id: $id})"
    " CALL (root) { OPTIONAL MATCH (root)-[:REFERRED*1..]->(c:Client) RETURN collect(DISTINCT c) AS down }"
    " WITH root, CASE WHEN root:Client THEN down + [root] ELSE down END AS members"
    + _FACTS_TAIL
    + " CALL (members) { UNWIND members AS m MATCH (m)-[:PAID]->(d:Deal) WHERE d.closed_on <= $day"
    " WITH m.id AS cid, d.currency AS cur, sum(d.amount_minor) AS total RETURN collect([cid, cur, total]) AS money }"
    " RETURN root.name AS root_name, recs, people, switches, money"
)
_TREE_FACTS = {
    kind: _TREE_FACTS_TEMPLATE.replace("§", label)
    for kind, label in ((SourceKind.CLIENT, "Client"), (SourceKind.CHANNEL, "Channel"))
}


def _as_of_facts(row: Any) -> asof.Facts:
    fromiso = date.fromisoformat
    people = {
        pid: asof.Person(
            pid, name, ClientStatus(status), fromiso(acq) if acq else None, moment(created), fromiso(on) if on else None
        )
        for pid, name, status, acq, created, on in row["people"]
    }
    recs = [
        asof.Rec(rid, cid, SourceRef(SourceKind(kind), sid), fromiso(on), moment(created))
        for rid, cid, kind, sid, on, created, _ in row["recs"]
    ]
    channels = {sid: name for _, _, kind, sid, _, _, name in row["recs"] if kind == "channel"}
    switches = [asof.Switch(cid, seq, rid, moment(at)) for cid, seq, rid, at in row["switches"]]
    revenue: dict[str, dict[str, int]] = {}
    for cid, cur, total in row["money"]:
        revenue.setdefault(cid, {})[cur] = total
    return asof.Facts(people, channels, asof.group(recs), asof.group_switches(switches), revenue)


# The reads over every client and every recommendation of a workspace (growth, the integrity check) name
# clients by their node numbers (`id()`), not their ids: a recommendation's far ends are then never
# visited for their `id` property (at a million recommendations ~2 s per end in the slotted runtime,
# against ~0.4 s for the number; `elementId()`, the number's successor, costs 2.6x the number as text).
# Only the few ids an answer shows are read, by number (`node_ids`), in the same read transaction. The
# numbers are never kept: Neo4j may give a deleted node's number to a new one, so a client deleted and
# another created between two reads of one answer could be taken for each other in that one answer (a
# read transaction sees each committed write, as every Neo4j read does; it is no snapshot).
# Recommendations come grouped by their date (from the workspace's date index): a few thousand days as
# text instead of one per recommendation.
# Queries reading node numbers run as Cypher 5, where `id()` is (deprecated, but) part of the language,
# also on servers whose default is a later Cypher (should it ever go, `elementId()` is the drop-in: the
# numbers are opaque to everything above this module, at ~2.6x the read cost).
_V5: LiteralString = "CYPHER 5 "
_BY_DAY: LiteralString = (
    " CALL { MATCH ()-[r:REFERRED]->() WHERE r.workspace = $ws AND r.referred_on IS NOT NULL§"
    " WITH r.referred_on AS day, collect(id(startNode(r))) AS s, collect(id(endNode(r))) AS c,"
    " collect(coalesce(r.primary, false)) AS p"
    " RETURN collect(toString(day)) AS days, collect(s) AS sources, collect(c) AS clients, collect(p) AS primary }"
)


def _flat(row: Any) -> tuple[list[int], list[int], list[str], list[bool]]:
    """A `_BY_DAY` answer as flat columns: source and client node numbers, date, primary."""
    flat = chain.from_iterable
    days = list(flat(map(repeat, row["days"], map(len, row["clients"]))))
    return list(flat(row["sources"])), list(flat(row["clients"])), days, list(flat(row["primary"]))


# A workspace's counts, first dates and primary recommendations as columns (`network_columns`).
_NETWORK_COLUMNS = (
    _V5 + "CALL { MATCH (c:Client) WHERE c.workspace = $ws RETURN count(c) AS clients }"
    " CALL { MATCH (c:Channel) WHERE c.workspace = $ws RETURN collect(id(c)) AS channels }"
    " CALL { MATCH (c:Client) WHERE c.workspace = $ws AND c.acquired_on IS NOT NULL"
    " RETURN min(c.acquired_on) AS acquired }"
    # every recommendation of the workspace once, by the (workspace, referred_on) index: the count,
    # the first date, and the primary ones' client and source by node number
    " CALL { MATCH (s)-[r:REFERRED]->(c) WHERE r.workspace = $ws AND r.referred_on IS NOT NULL"
    " RETURN count(r) AS referrals, min(r.referred_on) AS referred,"
    " collect(CASE WHEN r.primary THEN id(c) END) AS brought_in,"
    " collect(CASE WHEN r.primary THEN id(s) END) AS sources }"
    " RETURN clients, channels, referrals, toString(acquired) AS acquired, toString(referred) AS referred,"
    " brought_in, sources"
)


# The first recording time of the clients recorded before `$before` with neither an acquisition nor a
# primary recommendation (`network_columns`), from the (workspace, created_at) index: the hint keeps the
# planner from reading every client of the workspace by its workspace index instead.
_RECORDED_BEFORE = (
    "MATCH (c:Client) USING INDEX c:Client(workspace, created_at)"
    " WHERE c.workspace = $ws AND c.created_at < $before AND c.acquired_on IS NULL"
    " AND NOT EXISTS { (c)<-[:REFERRED {primary: true}]-() }"
    " RETURN min(c.created_at).epochSeconds AS seconds"
)


# Every deal of a workspace as columns, its payer by node number (`keyed_payments`).
_PAYMENTS = (
    _V5 + "MATCH (d:Deal) WHERE d.workspace = $ws MATCH (c)-[:PAID]->(d) RETURN collect(id(c)) AS clients,"
    " collect(d.amount_minor) AS amounts, collect(d.currency) AS currencies"
)
_DATED_PAYMENTS = _PAYMENTS + ", collect(toString(d.closed_on)) AS days"


class Neo4jTraversals(Rows):
    def client_ids(self, ws: str) -> list[str]:
        """Every client's id (one query)."""
        (row,) = self._run("MATCH (c:Client) WHERE c.workspace = $ws RETURN collect(c.id) AS ids", ws=ws)
        return row["ids"]

    def growth_columns(self, ws: str) -> tuple[list[int], list[str], list[str], list[str], list[Any], list[str]]:
        """Every client's node number, acquisition date, recorded day and primary source (kind, key,
        date), as columns (one query, `_BY_DAY`): recording times come as epoch seconds, turned into days
        here once per distinct day; acquisition dates from their index (most clients have none)."""
        (row,) = self._run(
            _V5 + "CALL { MATCH (c:Client) WHERE c.workspace = $ws RETURN collect(id(c)) AS nodes,"
            " collect(c.created_at.epochSeconds) AS made }"
            " CALL { MATCH (c:Client) WHERE c.workspace = $ws AND c.acquired_on IS NOT NULL"
            " RETURN collect(id(c)) AS acquired_nodes, collect(toString(c.acquired_on)) AS acquired_days }"
            " CALL { MATCH (c:Channel) WHERE c.workspace = $ws RETURN collect(id(c)) AS channel_nodes,"
            " collect(c.id) AS channel_ids }"
            + _BY_DAY.replace("§", " AND r.primary = true")
            + " RETURN nodes, made, acquired_nodes, acquired_days, channel_nodes, channel_ids, days, sources,"
            " clients, primary",
            ws=ws,
        )
        nodes = row["nodes"]
        sources, targets, days, _primary = _flat(row)
        channels = dict(zip(row["channel_nodes"], row["channel_ids"], strict=True))
        at = list(map(dict(zip(targets, range(len(targets)), strict=True)).get, nodes))
        source = [None if i is None else sources[i] for i in at]
        acquired = dict(zip(row["acquired_nodes"], row["acquired_days"], strict=True))
        return (
            nodes,
            list(map(acquired.get, nodes, repeat(""))),
            utc_days(row["made"]),
            ["" if s is None else "channel" if s in channels else "client" for s in source],
            ["" if s is None else channels.get(s, s) for s in source],
            ["" if i is None else days[i] for i in at],
        )

    def keyed_payments(self, ws: str, dated: bool = True) -> tuple[list[int], list[int], list[str], list[str]]:
        """Every deal's payer (its node number), amount, currency and date, as columns (one query; no
        dates unless `dated`: a date as text costs ~0.25 s a million). Only clients pay (`PAID`), so the
        payer's label is not read."""
        (row,) = self._run(_DATED_PAYMENTS if dated else _PAYMENTS, ws=ws)
        return row["clients"], row["amounts"], row["currencies"], row["days"] if dated else []

    def network_file_facts(self, ws: str) -> network_file.Facts:
        """One record of lists: the primary recommendations, every recommender's first date, the deals
        per client and currency, and the latest change (times as epoch seconds and nanoseconds)."""
        (row,) = self._run(
            "CALL { MATCH (c:Client) WHERE c.workspace = $ws MATCH (c)<-[r:REFERRED {primary: true}]-(s)"
            " RETURN collect(c.id) AS brought_in, collect(s:Client) AS by_client, collect(s.id) AS sources,"
            " collect(toString(r.referred_on)) AS days }"
            " CALL { MATCH (s)-[r:REFERRED]->() WHERE r.workspace = $ws WITH s, min(r.referred_on) AS day"
            " RETURN collect(s.id) AS recommenders, collect(toString(day)) AS first }"
            " CALL { MATCH (d:Deal) WHERE d.workspace = $ws WITH d.client_id AS client, d.currency AS cur,"
            " sum(d.amount_minor) AS total RETURN collect(client) AS payers, collect(cur) AS currencies,"
            " collect(total) AS totals }"
            " CALL { MATCH (c:Client) WHERE c.workspace = $ws RETURN max(c.updated_at) AS clients }"
            " CALL { MATCH (c:Channel) WHERE c.workspace = $ws RETURN max(c.updated_at) AS channels }"
            " CALL { MATCH ()-[r:REFERRED]->() WHERE r.workspace = $ws RETURN max(r.created_at) AS referrals }"
            " RETURN brought_in, by_client, sources, days, recommenders, first, payers, currencies, totals,"
            " [t IN [clients, channels, referrals] WHERE t IS NOT NULL | [t.epochSeconds, t.nanosecond]] AS times",
            ws=ws,
        )
        return network_file.Facts(
            row["brought_in"],
            row["by_client"],
            row["sources"],
            row["days"],
            row["recommenders"],
            row["first"],
            row["payers"],
            row["currencies"],
            row["totals"],
            max(map(moment, row["times"]), default=None),
        )

    def network_columns(self, ws: str, first_day: bool = True) -> forest.Columns:
        """The counts, the first day and the primary recommendations as columns (one record of lists,
        and one more query for clients recorded before every date); clients and sources by node number
        (a million of them read in ~1.3 s, their ids in ~3.6 s warm, ~6.7 s cold). A source is a client
        unless it is one of the workspace's channels: read so, not by each source's label (~0.3 s). The
        recommendations are read once, from the workspace's part of a relationship index (the count,
        the first date and the primary ones together: ~0.9 s at a million, against 0.3 s and 1.1 s for
        a count and a walk from each client)."""
        (row,) = self._run(_NETWORK_COLUMNS, ws=ws)
        channels, sources = frozenset(row["channels"]), row["sources"]
        from_client = [s not in channels for s in sources]
        first = None
        if first_day:
            acquired, referred = row["acquired"], row["referred"]
            known = min(filter(None, (acquired, referred)), default="9999-12-31")
            # A client with neither an acquisition nor a primary recommendation starts on the day it was
            # recorded (analysis.first_day); only those recorded before every date above can move it.
            # Recording times are stored in UTC (`at()`), so "its day is before `known`" is "it was
            # recorded before `known` began in UTC", compared as stored, without a date made per client.
            (late,) = self._run(
                _RECORDED_BEFORE,
                ws=ws,
                before=datetime.combine(date.fromisoformat(known), time(), UTC),
            )
            day = utc_days([late["seconds"]])[0] if late["seconds"] is not None else None
            first = min(filter(None, (acquired, referred, day)), default=None)
        return forest.Columns(
            row["clients"],
            len(channels),
            row["referrals"],
            date.fromisoformat(first) if first else None,
            row["brought_in"],
            from_client,
            sources,
        )

    def first_by_name(self, ws: str, n: int) -> list[tuple[int, str, str]]:
        """The first n clients (node number, id, name) by name, then id (one query)."""
        rows = self._run(
            _V5 + "MATCH (c:Client) WHERE c.workspace = $ws RETURN id(c) AS key, c.id AS id, c.name AS name"
            " ORDER BY name, id LIMIT $n",
            ws=ws,
            n=n,
        )
        return [(r["key"], r["id"], r["name"]) for r in rows]

    def named(self, ws: str, keys: Sequence[int]) -> dict[int, tuple[str, str]]:
        """The ids and names of these clients and channels, by node number (one query)."""
        rows = self._run(
            _V5 + "UNWIND $nodes AS n MATCH (x) WHERE id(x) = n AND x.workspace = $ws RETURN n, x.id AS id,"
            " x.name AS name",
            ws=ws,
            nodes=list(keys),
        )
        return {r["n"]: (r["id"], r["name"]) for r in rows}

    def revenue_totals(self, ws: str) -> dict[str, int]:
        """Every deal summed per currency (one query)."""
        rows = self._run(
            "MATCH (d:Deal) WHERE d.workspace = $ws RETURN d.currency AS currency, sum(d.amount_minor) AS total",
            ws=ws,
        )
        return {r["currency"]: r["total"] for r in rows}

    def payment_columns(self, ws: str) -> tuple[list[str], list[int], list[str], list[str]]:
        """Every deal's payer, amount, currency and date, as columns (one record of lists)."""
        (row,) = self._run(
            "MATCH (d:Deal) WHERE d.workspace = $ws RETURN collect(d.client_id) AS clients,"
            " collect(d.amount_minor) AS amounts, collect(d.currency) AS currencies,"
            " collect(toString(d.closed_on)) AS days",
            ws=ws,
        )
        return row["clients"], row["amounts"], row["currencies"], row["days"]

    def contact_values(self, ws: str) -> tuple[list[str], list[str]]:
        """Every email and external id, each from its uniqueness constraint's index (one query)."""
        (row,) = self._run(
            "CALL { MATCH (c:Client) WHERE c.workspace = $ws AND c.email IS NOT NULL"
            " RETURN collect(c.email) AS emails }"
            " CALL { MATCH (c:Client) WHERE c.workspace = $ws AND c.external_id IS NOT NULL"
            " RETURN collect(c.external_id) AS external_ids } RETURN emails, external_ids",
            ws=ws,
        )
        return row["emails"], row["external_ids"]

    def shared_phones(self, ws: str) -> list[str]:
        """Phones held twice or more (one query)."""
        rows = self._run(
            "MATCH (c:Client) WHERE c.workspace = $ws AND c.phone IS NOT NULL"
            " WITH c.phone AS phone, count(*) AS n WHERE n > 1 RETURN phone",
            ws=ws,
        )
        return [r["phone"] for r in rows]

    def contact_holders(
        self, ws: str, emails: Sequence[str], phones: Sequence[str], external_ids: Sequence[str]
    ) -> list[tuple[Any, str | None, str | None, str | None]]:
        """The clients holding any of these values, each value looked up by its index, by node number
        (one query)."""
        rows = self._run(
            _V5 + "CALL { MATCH (c:Client) WHERE c.workspace = $ws AND c.email IN $emails RETURN c"
            " UNION MATCH (c:Client) WHERE c.workspace = $ws AND c.phone IN $phones RETURN c"
            " UNION MATCH (c:Client) WHERE c.workspace = $ws AND c.external_id IN $external_ids RETURN c }"
            " RETURN id(c) AS id, c.email AS email, c.phone AS phone, c.external_id AS external_id",
            ws=ws,
            emails=list(emails),
            phones=list(phones),
            external_ids=list(external_ids),
        )
        return [(r["id"], r["email"], r["phone"], r["external_id"]) for r in rows]

    def acquisitions(self, ws: str) -> dict[Any, str]:
        """Acquisition dates by client node number, from their index (one query)."""
        (row,) = self._run(
            _V5 + "MATCH (c:Client) WHERE c.workspace = $ws AND c.acquired_on IS NOT NULL"
            " RETURN collect(id(c)) AS ids, collect(toString(c.acquired_on)) AS days",
            ws=ws,
        )
        return dict(zip(row["ids"], row["days"], strict=True))

    def check_recommendations(self, ws: str) -> tuple[list[bool], list[int], list[int], list[str], list[bool]]:
        """Every recommendation's source kind, source, client, date and primary flag, as columns, with
        its ends as node numbers (`node_ids` names the few a check finds; one query, `_BY_DAY`)."""
        (row,) = self._run(
            _V5
            + "CALL { MATCH (c:Channel) WHERE c.workspace = $ws RETURN collect(id(c)) AS channel_nodes }"
            + _BY_DAY.replace("§", "")
            + " RETURN channel_nodes, days, sources, clients, primary",
            ws=ws,
        )
        sources, targets, days, primary = _flat(row)
        channels = set(row["channel_nodes"])
        return [s not in channels for s in sources], sources, targets, days, primary

    def node_ids(self, ws: str, nodes: Collection[Any]) -> dict[Any, str]:
        """The ids of these clients and channels, by the node numbers the check's reads gave (one query)."""
        rows = self._run(
            _V5 + "UNWIND $nodes AS n MATCH (x) WHERE id(x) = n AND x.workspace = $ws RETURN n, x.id AS id",
            ws=ws,
            nodes=list(nodes),
        )
        return {r["n"]: r["id"] for r in rows}

    def hollow_clients(self, ws: str) -> dict[Any, tuple[int, dict[str, int]]]:
        """Per client whose deals are none above zero, by node number: its deals and refunds per currency
        (one query)."""
        out: dict[Any, tuple[int, dict[str, int]]] = {}
        for r in self._run(
            _V5 + "MATCH (d:Deal) WHERE d.workspace = $ws WITH d.client_id AS client, collect(d) AS deals"
            " WHERE all(d IN deals WHERE d.amount_minor <= 0)"
            " MATCH (c:Client {workspace: $ws, id: client}) UNWIND deals AS d"
            " RETURN id(c) AS client, d.currency AS currency, count(*) AS n,"
            " sum(CASE WHEN d.amount_minor < 0 THEN d.amount_minor ELSE 0 END) AS refunds",
            ws=ws,
        ):
            count, per = out.get(r["client"], (0, {}))
            per[r["currency"]] = r["refunds"]
            out[r["client"]] = (count + r["n"], per)
        return out

    def names(self, ws: str, ids: Sequence[str]) -> dict[str, str]:
        """The names of these clients and channels (one query)."""
        rows = self._run(
            "CALL { MATCH (c:Client) WHERE c.workspace = $ws AND c.id IN $ids RETURN c.id AS id, c.name AS name"
            " UNION ALL MATCH (c:Channel) WHERE c.workspace = $ws AND c.id IN $ids RETURN c.id AS id, c.name AS name }"
            " RETURN id, name",
            ws=ws,
            ids=list(ids),
        )
        return {r["id"]: r["name"] for r in rows}

    def referral_ids(self, ws: str, pairs: Sequence[tuple[str, str]]) -> dict[tuple[str, str], str]:
        """The ids of the recommendations by (source id, client id) (one query)."""
        rows = self._run(
            "UNWIND $pairs AS p MATCH (c:Client {workspace: $ws, id: p[1]})<-[r:REFERRED]-(s) WHERE s.id = p[0]"
            " RETURN p[0] AS source, p[1] AS client, r.id AS id",
            ws=ws,
            pairs=[list(p) for p in pairs],
        )
        return {(r["source"], r["client"]): r["id"] for r in rows}

    def chain(self, ws: str, client_id: str) -> Chain:
        """One query: the longest primary path ending at the client (it starts at the chain's top)."""
        rows = self._run(_CHAIN, ws=ws, id=client_id)
        if not rows:
            raise NotFound("client", client_id)
        nodes, rels = rows[0]["nodes"], rows[0]["rels"]
        # nodes run top .. client; level i is the i-th node above the client.
        steps = []
        for level in range(1, len(rels) + 1):
            node, rel = nodes[len(nodes) - 1 - level], rels[len(rels) - level]
            steps.append(
                ChainStep(
                    level=level,
                    source=SourceRef(SourceKind(node["kind"]), node["id"]),
                    name=node["name"],
                    referral_id=rel["id"],
                    referred_on=native(rel["on"]),
                )
            )
        return Chain.whole(client_id, tuple(steps))

    def chain_facts(self, ws: str, client_id: str) -> asof.Facts:
        """One query up every recommendation: what the client's chain of any day is made of."""
        rows = self._run(_CHAIN_FACTS, ws=ws, id=client_id)
        if not rows:
            raise NotFound("client", client_id)
        return _as_of_facts(rows[0])

    def tree_facts(self, ws: str, root: SourceRef, day: date) -> tuple[str, asof.Facts]:
        """One query down every recommendation: what the root's downline of any day is made of, with
        revenue to `day`; and the root's name."""
        query: Any = _TREE_FACTS[root.kind]
        rows = self._run(query, ws=ws, id=root.id, day=day)
        if not rows:
            raise NotFound(root.kind.value, root.id)
        return rows[0]["root_name"], _as_of_facts(rows[0])

    def tree(self, ws: str, root: SourceRef, depth: int | None) -> Tree:
        """One query, one record: the root, every primary path from it, split at `depth`."""
        deepest = WALK_LIMIT + 1 if depth is None else depth
        with gc_paused():  # thousands of small lists: no cycles to collect
            rows = self._run(_TREE_QUERIES[root.kind], ws=ws, id=root.id, depth=deepest)
            if not rows:
                raise NotFound(root.kind.value, root.id)
            top = rows[0]
            return _tree(root, depth, deepest, top["root_name"], top["root_revenue"], top["nodes"], top["far"])

    def period(self, ws: str, start: date, end: date) -> PeriodFacts:
        """One query: the period's deals and arrivals grouped by client, each client's primary path to its top."""
        with gc_paused():
            (row,) = self._run(_PERIOD, ws=ws, start=start, end=end)
            kinds = {k.value: k for k in SourceKind}
            active = ClientStatus.ACTIVE.value
            iso = day_reader()
            parents: dict[str, Link] = {
                a: link(kinds[kind], p, name, iso(on), status == active)
                for a, kind, p, on, name, status in row["parents"]
            }
            return period_facts(
                start,
                end,
                (DealFacts(d, c, n, cur, iso(on)) for c, d, n, cur, on in row["deals"]),
                ((c, iso(on)) for c, on in row["arrivals"]),
                parents,
            )


def _tree(
    root: SourceRef,
    depth: int | None,
    deepest: int,
    name: str,
    root_revenue: list[list[Any]],
    nodes: list[list[Any]],
    far: list[list[Any]],
) -> Tree:
    """The tree from the rows of `_TREE_TEMPLATE`: fan-out counted over the paths, deals summed."""
    fanout: dict[str, int] = {}
    clients_past: dict[str, int] = {}
    own: dict[str, dict[str, int]] = {}
    past: dict[str, dict[str, int]] = {}
    for cut, level, deals in far:
        clients_past[cut] = clients_past.get(cut, 0) + 1
        if level == deepest + 1:
            fanout[cut] = fanout.get(cut, 0) + 1
        if deals:
            _add(past.setdefault(cut, {}), deals)
    shown: list[NodeRow] = []
    for level, cid, name_, status, parent, rid, on, deals in nodes:
        shown.append((level, on, cid, parent, rid, name_, status))
        fanout[parent] = fanout.get(parent, 0) + 1
        if deals:
            own[cid] = _add({}, deals)
    return tree_of(root, name, _add({}, root_revenue), depth, shown, fanout, own, past, clients_past)


def _add(into: dict[str, int], deals: list[list[Any]]) -> dict[str, int]:
    """`deals` ([currency, amount] pairs) summed into `into`."""
    for currency, minor in deals:
        into[currency] = into.get(currency, 0) + minor
    return into
