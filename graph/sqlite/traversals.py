"""The graph reads in SQLite: chains and trees are one recursive CTE each, a period's facts one more."""

from __future__ import annotations

import json
from collections.abc import Collection, Sequence
from datetime import date, datetime
from typing import Any

from graph.common import Link, NodeRow, day_reader, link, period_facts, tree_of
from graph.sqlite.db import Rows, flag_column, key_column, split_column
from referrals import asof, forest, network_file
from referrals.attribution import DealFacts, PeriodFacts, gc_paused
from referrals.config import WALK_LIMIT
from referrals.errors import NotFound
from referrals.integrity import same_ids
from referrals.model import (
    Chain,
    ChainStep,
    ClientStatus,
    SourceKind,
    SourceRef,
    Tree,
)

# Stored text to its enum member by a dict lookup (an Enum call costs ten times as much, per row).
_KINDS = {k.value: k for k in SourceKind}
_STATUSES = {s.value: s for s in ClientStatus}


# The facts a view as of a day reads (referrals/asof.py), as rows of one shape: what, then six values.
# Every CTE read by more than one part is MATERIALIZED: SQLite would walk it again for each.
_PEOPLE = (
    " SELECT 'person', c.id, c.name, c.status, c.acquired_on, c.created_at, p.referred_on FROM people"
    " JOIN clients c ON c.workspace_id = :ws AND c.id = people.id"
    " LEFT JOIN referrals p INDEXED BY referral_by_client"
    " ON p.workspace_id = :ws AND p.client_id = c.id AND p.is_primary = 1"
    " UNION ALL SELECT 'rec', id, client_id, source_kind, source_id, referred_on, created_at FROM recs"
    " UNION ALL SELECT 'channel', ch.id, ch.name, NULL, NULL, NULL, NULL FROM channels ch"
    " WHERE ch.workspace_id = :ws AND ch.id IN (SELECT source_id FROM recs WHERE source_kind = 'channel'"
    " UNION SELECT :id WHERE :kind = 'channel')"
    " UNION ALL SELECT 'switch', h.client_id, h.seq, h.referral_id, h.changed_at, NULL, NULL FROM members"
    " JOIN source_changes h ON h.workspace_id = :ws AND h.client_id = members.id"
)
_RECS = (
    " recs AS MATERIALIZED (SELECT r.id, r.client_id, r.source_kind, r.source_id, r.referred_on, r.created_at"
    " FROM members CROSS JOIN referrals r INDEXED BY referral_by_client"  # CROSS JOIN: by member, not a scan
    " ON r.workspace_id = :ws AND r.client_id = members.id),"
    " people(id) AS MATERIALIZED (SELECT id FROM members UNION SELECT source_id FROM recs WHERE source_kind = 'client')"
)
# Up from a client over every recommendation (its chain of any day is among them).
_CHAIN_FACTS = (
    "WITH RECURSIVE members(id) AS MATERIALIZED (SELECT :id UNION SELECT r.source_id FROM members"  # noqa: S608
    " JOIN referrals r INDEXED BY referral_by_client ON r.workspace_id = :ws AND r.client_id = members.id"
    " WHERE r.source_kind = 'client')," + _RECS + _PEOPLE
)
# Down from a root over every recommendation (its downline of any day is among them), with revenue to the day.
_TREE_FACTS = (
    "WITH RECURSIVE down(id) AS ("  # noqa: S608 - literals only (tests/graph/test_query_text.py)
    " SELECT r.client_id FROM referrals r INDEXED BY referral_by_source"
    " WHERE r.workspace_id = :ws AND r.source_kind = :kind AND r.source_id = :id"
    " UNION SELECT r.client_id FROM down JOIN referrals r INDEXED BY referral_by_source"
    " ON r.workspace_id = :ws AND r.source_kind = 'client' AND r.source_id = down.id),"
    " members(id) AS MATERIALIZED (SELECT id FROM down UNION SELECT :id WHERE :kind = 'client'),"
    + _RECS
    + _PEOPLE
    + " UNION ALL SELECT 'money', d.client_id, d.currency, sum(d.amount_minor), NULL, NULL, NULL FROM members"
    " CROSS JOIN deals d INDEXED BY deal_by_client ON d.workspace_id = :ws AND d.client_id = members.id"
    " WHERE d.closed_on <= :day GROUP BY d.client_id, d.currency"
)


# A tree in one statement: the walk down the primary sources over numbers (schema version 12; each
# recommendation's client, its id and its date read from the index referral_down alone), then rows in
# parts, each of eight columns:
#   0  the root: its name (and status);
#   1  each node to :depth: level, date, id, parent, recommendation, name, status (the view's order);
#   2  each last-level node (`cut`): the clients past it, and how many of them it brought in itself;
#   3  the deals of every walked node summed per currency (from deal_by_node alone), as its own
#      (far = 0) or, past the view, as its cut's (far = 1);
#   4  the root's own deals per currency;
#   5  any node where the walk stopped at its limit, with its fan-out counted.
# Unordered: sorting the rows in SQL costs more than sorting the nodes in Python (a temporary B-tree).
_TREE = (
    # MATERIALIZED: the walk is read by several parts, and a CTE that is not materialized is walked again
    "WITH RECURSIVE root(n, id, name, status) AS MATERIALIZED ("
    " SELECT n, id, name, status FROM clients WHERE :kind = 'client' AND workspace_id = :ws AND id = :id"
    " UNION ALL SELECT n, id, name, NULL FROM channels WHERE :kind = 'channel' AND workspace_id = :ws AND id = :id),"
    " down(level, n, id, parent_id, referral_id, referred_on, cut) AS MATERIALIZED ("
    " SELECT 1, r.client_n, r.client_id, root.id, r.id, r.referred_on, CASE WHEN :depth = 1 THEN r.client_id END"
    " FROM root CROSS JOIN referrals r INDEXED BY referral_down ON r.source_n = root.n AND r.is_primary = 1"
    " UNION ALL"
    " SELECT down.level + 1, r.client_n, r.client_id, down.id, r.id, r.referred_on,"
    " CASE WHEN down.level + 1 = :depth THEN r.client_id ELSE down.cut END FROM down"
    " JOIN referrals r INDEXED BY referral_down ON r.source_n = down.n AND r.is_primary = 1"
    " WHERE down.level < :limit)"
    " SELECT 0, 0, id, NULL, NULL, NULL, name, status FROM root"
    " UNION ALL SELECT 1, down.level, down.referred_on, down.id, down.parent_id, down.referral_id, c.name, c.status"
    " FROM down JOIN clients c INDEXED BY client_node ON c.n = down.n WHERE down.level <= :depth"
    " UNION ALL SELECT 2, count(*), cut, sum(level = :depth + 1), NULL, NULL, NULL, NULL FROM down"
    " WHERE level > :depth GROUP BY cut"
    " UNION ALL SELECT 3, down.level > :depth AS far, CASE WHEN down.level > :depth THEN down.cut ELSE down.id END"
    " AS node, d.currency, sum(d.amount_minor), NULL, NULL, NULL FROM down"  # CROSS JOIN: by node, not a scan
    " CROSS JOIN deals d INDEXED BY deal_by_node ON d.client_n = down.n"
    " GROUP BY far, node, d.currency"
    " UNION ALL SELECT 4, 0, :id, currency, sum(amount_minor), NULL, NULL, NULL FROM deals INDEXED BY deal_by_client"
    " WHERE :kind = 'client' AND workspace_id = :ws AND client_id = :id GROUP BY currency"
    " UNION ALL SELECT 5, level, id, (SELECT count(*) FROM referrals r INDEXED BY referral_down"
    " WHERE r.source_n = down.n AND r.is_primary = 1),"
    " NULL, NULL, NULL, NULL FROM down WHERE level = :limit"
)


def _as_of_facts(rows: Any) -> asof.Facts:
    people: dict[str, asof.Person] = {}
    channels: dict[str, str] = {}
    recs: list[asof.Rec] = []
    switches: list[asof.Switch] = []
    revenue: dict[str, dict[str, int]] = {}
    fromiso, stamp = date.fromisoformat, datetime.fromisoformat
    for what, a, b, c, d, e, f in rows:
        if what == "person":
            people[a] = asof.Person(a, b, _STATUSES[c], fromiso(d) if d else None, stamp(e), fromiso(f) if f else None)
        elif what == "rec":
            recs.append(asof.Rec(a, b, SourceRef(_KINDS[c], d), fromiso(e), stamp(f)))
        elif what == "channel":
            channels[a] = b
        elif what == "switch":
            switches.append(asof.Switch(a, b, c, stamp(d)))
        else:
            revenue.setdefault(a, {})[b] = c
    return asof.Facts(people, channels, asof.group(recs), asof.group_switches(switches), revenue)


# Up the primary sources from a client to the top (level 0 is the client), from the index alone.
_CHAIN = (
    "WITH RECURSIVE up(level, kind, id, referral_id, referred_on) AS ("
    " SELECT 0, 'client', id, NULL, NULL FROM clients WHERE workspace_id = :ws AND id = :id"
    " UNION ALL"
    " SELECT up.level + 1, r.source_kind, r.source_id, r.id, r.referred_on FROM up"
    " JOIN referrals r INDEXED BY referral_by_client"
    " ON r.workspace_id = :ws AND r.client_id = up.id AND r.is_primary = 1"
    " WHERE up.kind = 'client' AND up.level < :limit)"
    " SELECT up.level, up.kind, up.id, up.referral_id, up.referred_on,"
    " coalesce(c.name, ch.name) AS name FROM up"
    " LEFT JOIN clients c ON up.kind = 'client' AND c.workspace_id = :ws AND c.id = up.id"
    " LEFT JOIN channels ch ON up.kind = 'channel' AND ch.workspace_id = :ws AND ch.id = up.id"
    " ORDER BY up.level"
)

# A period's deals and arrivals, then the primary source of every client on their chains, each once:
# the walk up compares the clients' numbers in referral_up (schema version 12), and the sources' ids,
# names and statuses come by number from client_node and channel_node (a source's sign is its kind);
# every part reads its index alone.
_PERIOD = (
    "WITH RECURSIVE period AS ("
    " SELECT id, client_n, client_id, amount_minor, currency, closed_on FROM deals INDEXED BY deal_by_date"
    " WHERE workspace_id = :ws AND closed_on >= :start AND closed_on <= :end),"
    " arrivals(n, client_id, on_) AS ("
    " SELECT n, id, acquired_on FROM clients INDEXED BY client_by_acquired"
    " WHERE workspace_id = :ws AND acquired_on >= :start AND acquired_on <= :end"
    " UNION ALL"
    " SELECT r.client_n, r.client_id, r.referred_on FROM referrals r INDEXED BY referral_primary_by_date"
    " JOIN clients c ON c.workspace_id = :ws AND c.id = r.client_id"
    " WHERE r.workspace_id = :ws AND r.is_primary = 1 AND r.referred_on >= :start AND r.referred_on <= :end"
    " AND c.acquired_on IS NULL),"
    # every client on the chains, once: UNION drops the ancestors that chains share
    " anc(n) AS ("
    " SELECT client_n FROM period UNION SELECT n FROM arrivals"
    " UNION"
    " SELECT r.source_n FROM anc JOIN referrals r INDEXED BY referral_up"
    " ON r.client_n = anc.n AND r.is_primary = 1 WHERE r.source_n > 0)"
    " SELECT 'deal' AS row, id AS a, client_id AS b, amount_minor AS n, currency AS kind,"
    " closed_on AS on_, NULL AS name, NULL AS status FROM period"
    " UNION ALL"
    " SELECT 'arrival', client_id, NULL, NULL, NULL, on_, NULL, NULL FROM arrivals"
    " UNION ALL"
    " SELECT 'parent', r.client_id, coalesce(sc.id, ch.id), NULL,"
    " CASE WHEN r.source_n > 0 THEN 'client' ELSE 'channel' END, r.referred_on, coalesce(sc.name, ch.name),"
    " sc.status FROM anc JOIN referrals r INDEXED BY referral_up ON r.client_n = anc.n AND r.is_primary = 1"
    " LEFT JOIN clients sc INDEXED BY client_node ON r.source_n > 0 AND sc.n = r.source_n"
    " LEFT JOIN channels ch INDEXED BY channel_node ON r.source_n < 0 AND ch.n = r.source_n"
)


# Every deal of a workspace as columns (`keyed_payments`), with or without its date.
_PAYMENTS = (
    "SELECT group_concat(client_id, char(31)), group_concat(amount_minor, char(31)),"
    " group_concat(currency, char(31)), group_concat(closed_on, char(31)) FROM deals WHERE workspace_id = ?"
)
_UNDATED_PAYMENTS = (
    "SELECT group_concat(client_id, char(31)), group_concat(amount_minor, char(31)),"
    " group_concat(currency, char(31)), NULL FROM deals WHERE workspace_id = ?"
)


class SqliteTraversals(Rows):
    def client_ids(self, ws: str) -> list[str]:
        """Every client's id (one query)."""
        (ids,) = self._concat("SELECT group_concat(id, char(31)) FROM clients WHERE workspace_id = ?", ws)
        return ids

    def growth_columns(self, ws: str) -> tuple[list[str], list[str], list[str], list[str], list[str], list[str]]:
        """Every client's id, acquisition date, recorded day and primary source (kind, id, date), as
        columns: the clients and the primary recommendations read apart (two scans) and matched here,
        which is five times faster than an index lookup per client in SQL."""
        ids, acquired, recorded = self._concat(
            "SELECT group_concat(id, char(31)), group_concat(coalesce(acquired_on, ''), char(31)),"
            " group_concat(substr(created_at, 1, 10), char(31)) FROM clients WHERE workspace_id = ?",
            ws,
        )
        clients, kinds, sources, days = self._concat(
            "SELECT group_concat(client_id, char(31)), group_concat(source_kind, char(31)),"
            " group_concat(source_id, char(31)), group_concat(referred_on, char(31))"
            " FROM referrals WHERE workspace_id = ? AND is_primary = 1",  # a scan: twice as fast as the index
            ws,
        )
        at = dict(zip(clients, range(len(clients)), strict=True))
        rows = list(map(at.get, ids))

        def column(values: list[str]) -> list[str]:
            return ["" if j is None else values[j] for j in rows]

        return ids, acquired, recorded, column(kinds), column(sources), column(days)

    def network_file_facts(self, ws: str) -> network_file.Facts:
        """Three scans: the primary recommendations, every recommender's first date, the deals per
        client and currency; and the latest change. Ids and dates of one width come as fixed-width
        bytes (`key_column`): no Python string per client."""
        brought_in, by_client, sources, days = self._run(
            "SELECT group_concat(client_id, char(31)), group_concat(source_kind = 'client', char(31)),"
            " group_concat(source_id, char(31)), group_concat(referred_on, char(31))"
            " FROM referrals WHERE workspace_id = ? AND is_primary = 1",
            (ws,),
        ).fetchone()
        recommenders, first = self._run(
            "SELECT group_concat(source_id, char(31)), group_concat(day, char(31)) FROM (SELECT source_id,"
            " min(referred_on) AS day FROM referrals WHERE workspace_id = ? GROUP BY source_id)",
            (ws,),
        ).fetchone()
        payers, currencies, totals = self._run(
            "SELECT group_concat(client_id, char(31)), group_concat(currency, char(31)),"
            " group_concat(total, char(31)) FROM (SELECT client_id, currency, sum(amount_minor) AS total"
            " FROM deals WHERE workspace_id = ? GROUP BY client_id, currency)",
            (ws,),
        ).fetchone()
        (latest,) = self._run(  # every stored time is UTC in one format: the text's order is the time's
            "SELECT max(t) FROM (SELECT max(updated_at) AS t FROM clients WHERE workspace_id = :ws UNION ALL"
            " SELECT max(updated_at) FROM channels WHERE workspace_id = :ws UNION ALL"
            " SELECT max(created_at) FROM referrals WHERE workspace_id = :ws)",
            {"ws": ws},
        ).fetchone()
        return network_file.Facts(
            key_column(brought_in),
            flag_column(by_client),
            key_column(sources),
            key_column(days),
            key_column(recommenders),
            key_column(first),
            key_column(payers),
            split_column(currencies),
            list(map(int, split_column(totals))),
            datetime.fromisoformat(latest) if latest else None,
        )

    def network_columns(self, ws: str, first_day: bool = True) -> forest.Columns:
        """The counts, the first day and the primary recommendations as columns: one scan of the
        recommendations for them all (group_concat skips the NULLs of secondary ones), two small
        queries for the rest."""
        clients, channels, acquired = self._run(
            "SELECT (SELECT count(*) FROM clients WHERE workspace_id = :ws),"
            " (SELECT count(*) FROM channels WHERE workspace_id = :ws),"
            " (SELECT min(acquired_on) FROM clients INDEXED BY client_by_acquired"
            " WHERE workspace_id = :ws AND acquired_on IS NOT NULL)",
            {"ws": ws},
        ).fetchone()
        brought_in, by_client, sources, count, referred = self._run(
            "SELECT group_concat(CASE is_primary WHEN 1 THEN client_id END, char(31)),"
            " group_concat(CASE is_primary WHEN 1 THEN source_kind = 'client' END, char(31)),"
            " group_concat(CASE is_primary WHEN 1 THEN source_id END, char(31)),"
            " count(*), min(referred_on) FROM referrals WHERE workspace_id = ?",
            (ws,),
        ).fetchone()
        # ids of one width come as fixed-width bytes: no Python string per client
        brought_in, sources = key_column(brought_in), key_column(sources)
        from_client = flag_column(by_client)
        if not first_day:
            return forest.Columns(clients, channels, count, None, brought_in, from_client, sources)
        known = min(filter(None, (acquired, referred)), default="9999-12-31")
        # A client with neither an acquisition nor a primary recommendation starts on the day it was
        # recorded (analysis.first_day); only those recorded before every date above can move it.
        (recorded,) = self._run(
            "SELECT min(substr(c.created_at, 1, 10)) FROM clients c WHERE c.workspace_id = :ws"
            " AND c.acquired_on IS NULL AND c.created_at < :known AND NOT EXISTS (SELECT 1 FROM referrals r"
            " INDEXED BY referral_one_primary WHERE r.workspace_id = :ws AND r.client_id = c.id AND r.is_primary = 1)",
            {"ws": ws, "known": known},
        ).fetchone()
        first = min(filter(None, (acquired, referred, recorded)), default=None)
        return forest.Columns(
            clients,
            channels,
            count,
            date.fromisoformat(first) if first else None,
            brought_in,
            from_client,
            sources,
        )

    def first_by_name(self, ws: str, n: int) -> list[tuple[str, str, str]]:
        """The first n clients (key, id, name) by name, then id (one query); the key is the id."""
        rows = self._run(
            "SELECT id, name FROM clients WHERE workspace_id = ? ORDER BY name, id LIMIT ?", (ws, n)
        ).fetchall()
        return [(r[0], r[0], r[1]) for r in rows]

    def named(self, ws: str, keys: Sequence[str]) -> dict[str, tuple[str, str]]:
        """Ids and names by node key: this store's keys are the ids (`names`, one query)."""
        return {cid: (cid, name) for cid, name in self.names(ws, keys).items()}

    def revenue_totals(self, ws: str) -> dict[str, int]:
        """Every deal summed per currency (one query)."""
        rows = self._run(
            "SELECT currency, sum(amount_minor) FROM deals WHERE workspace_id = ? GROUP BY currency", (ws,)
        )
        return {r[0]: r[1] for r in rows}

    def payment_columns(self, ws: str) -> tuple[list[str], list[int], list[str], list[str]]:
        """Every deal's payer, amount, currency and date, as columns (one query)."""
        clients, amounts, currencies, days = self._concat(
            "SELECT group_concat(client_id, char(31)), group_concat(amount_minor, char(31)),"
            " group_concat(currency, char(31)), group_concat(closed_on, char(31)) FROM deals WHERE workspace_id = ?",
            ws,
        )
        return clients, list(map(int, amounts)), currencies, days

    def keyed_payments(self, ws: str, dated: bool = True) -> tuple[forest.KeyColumn, list[int], list[str], list[str]]:
        """`payment_columns` with the payers as a key column (this store's node keys are the clients'
        ids: of one width, fixed-width bytes); without `dated`, no dates."""
        payers, amounts, currencies, days = self._run(_PAYMENTS if dated else _UNDATED_PAYMENTS, (ws,)).fetchone()
        return key_column(payers), list(map(int, split_column(amounts))), split_column(currencies), split_column(days)

    def contact_values(self, ws: str) -> tuple[list[str], list[str]]:
        """Every email and external id, each read from its unique index alone (two queries)."""
        (emails,) = self._concat(
            "SELECT group_concat(email, char(31)) FROM clients WHERE workspace_id = ? AND email IS NOT NULL", ws
        )
        (external_ids,) = self._concat(
            "SELECT group_concat(external_id, char(31)) FROM clients"
            " WHERE workspace_id = ? AND external_id IS NOT NULL",
            ws,
        )
        return emails, external_ids

    def shared_phones(self, ws: str) -> list[str]:
        """Phones held twice or more, grouped on their index (one query)."""
        rows = self._run(
            "SELECT phone FROM clients INDEXED BY client_by_phone WHERE workspace_id = ? AND phone IS NOT NULL"
            " GROUP BY phone HAVING count(*) > 1",
            (ws,),
        )
        return [r[0] for r in rows]

    def contact_holders(
        self, ws: str, emails: Sequence[str], phones: Sequence[str], external_ids: Sequence[str]
    ) -> list[tuple[str, str | None, str | None, str | None]]:
        """The clients holding any of these values, each value looked up by its index (one query)."""
        rows = self._run(
            "SELECT c.id, c.email, c.phone, c.external_id FROM json_each(:emails) v CROSS JOIN clients c"
            " ON c.workspace_id = :ws AND c.email = v.value"
            " UNION SELECT c.id, c.email, c.phone, c.external_id FROM json_each(:phones) v CROSS JOIN clients c"
            " INDEXED BY client_by_phone ON c.workspace_id = :ws AND c.phone = v.value"
            " UNION SELECT c.id, c.email, c.phone, c.external_id FROM json_each(:external_ids) v CROSS JOIN clients c"
            " ON c.workspace_id = :ws AND c.external_id = v.value",
            {
                "ws": ws,
                "emails": json.dumps(list(emails)),
                "phones": json.dumps(list(phones)),
                "external_ids": json.dumps(list(external_ids)),
            },
        )
        return [tuple(r) for r in rows]  # type: ignore[misc]

    def acquisitions(self, ws: str) -> dict[str, str]:
        """Acquisition dates by client, from their index (one query)."""
        ids, days = self._concat(
            "SELECT group_concat(id, char(31)), group_concat(acquired_on, char(31)) FROM clients"
            " WHERE workspace_id = ? AND acquired_on IS NOT NULL",
            ws,
        )
        return dict(zip(ids, days, strict=True))

    def check_recommendations(self, ws: str) -> tuple[list[bool], list[str], list[str], list[str], list[bool]]:
        """Every recommendation's source kind, source, client, date and primary flag, as columns (one query)."""
        kinds, sources, clients, days, primary = self._concat(
            "SELECT group_concat(source_kind = 'client', char(31)), group_concat(source_id, char(31)),"
            " group_concat(client_id, char(31)), group_concat(referred_on, char(31)),"
            " group_concat(is_primary, char(31)) FROM referrals WHERE workspace_id = ?",
            ws,
        )
        return list(map("1".__eq__, kinds)), sources, clients, days, list(map("1".__eq__, primary))

    def node_ids(self, ws: str, nodes: Collection[Any]) -> dict[Any, str]:
        """The check's reads name clients and channels by their ids already."""
        return same_ids(nodes)

    def hollow_clients(self, ws: str) -> dict[str, tuple[int, dict[str, int]]]:
        """Per client whose deals are none above zero: its deals and refunds per currency (one query)."""
        out: dict[str, tuple[int, dict[str, int]]] = {}
        for cid, currency, deals, refunds in self._run(
            "SELECT client_id, currency, count(*), sum(min(amount_minor, 0)) FROM deals"
            " WHERE workspace_id = :ws AND client_id IN (SELECT client_id FROM deals WHERE workspace_id = :ws"
            " GROUP BY client_id HAVING max(amount_minor) <= 0) GROUP BY client_id, currency",
            {"ws": ws},
        ):
            count, per = out.get(cid, (0, {}))
            per[currency] = refunds
            out[cid] = (count + deals, per)
        return out

    def names(self, ws: str, ids: Sequence[str]) -> dict[str, str]:
        """The names of these clients and channels (one query)."""
        rows = self._run(
            "WITH wanted(id) AS (SELECT value FROM json_each(:ids))"  # CROSS JOIN: look each id up by its key
            " SELECT c.id, c.name FROM wanted CROSS JOIN clients c ON c.workspace_id = :ws AND c.id = wanted.id"
            " UNION ALL SELECT ch.id, ch.name FROM wanted"
            " CROSS JOIN channels ch ON ch.workspace_id = :ws AND ch.id = wanted.id",
            {"ws": ws, "ids": json.dumps(list(ids))},
        )
        return dict(rows.fetchall())

    def referral_ids(self, ws: str, pairs: Sequence[tuple[str, str]]) -> dict[tuple[str, str], str]:
        """The ids of the recommendations by (source id, client id) (one query)."""
        rows = self._run(
            "WITH wanted(source, client) AS (SELECT json_extract(value, '$[0]'), json_extract(value, '$[1]')"
            " FROM json_each(:pairs))"  # CROSS JOIN: each pair looked up by its client, not a scan per pair
            " SELECT r.source_id, r.client_id, r.id FROM wanted CROSS JOIN referrals r INDEXED BY referral_by_client"
            " ON r.workspace_id = :ws AND r.client_id = wanted.client AND r.source_id = wanted.source",
            {"ws": ws, "pairs": json.dumps([list(p) for p in pairs])},
        )
        return {(s, c): i for s, c, i in rows}

    def chain(self, ws: str, client_id: str) -> Chain:
        """One recursive CTE up the primary sources to the top; level 0 is the client itself."""
        rows = self._run(
            _CHAIN,
            {"ws": ws, "id": client_id, "limit": WALK_LIMIT},
        ).fetchall()
        if not rows:
            raise NotFound("client", client_id)
        kinds, fromiso = _KINDS, date.fromisoformat
        steps = tuple(
            ChainStep(
                level=level,
                source=SourceRef(kinds[kind], source_id),
                name=name,
                referral_id=referral_id,
                referred_on=fromiso(on),
            )
            for level, kind, source_id, referral_id, on, name in rows[1:]
        )
        return Chain.whole(client_id, steps)

    def chain_facts(self, ws: str, client_id: str) -> asof.Facts:
        """One recursive CTE up every recommendation: what the client's chain of any day is made of."""
        return _as_of_facts(self._run(_CHAIN_FACTS, {"ws": ws, "id": client_id, "kind": "client"}))

    def tree_facts(self, ws: str, root: SourceRef, day: date) -> tuple[str, asof.Facts]:
        """One recursive CTE down every recommendation: what the root's downline of any day is made of,
        with revenue to `day`; and the root's name (NotFound for no root)."""
        facts = _as_of_facts(
            self._run(_TREE_FACTS, {"ws": ws, "id": root.id, "kind": root.kind.value, "day": day.isoformat()})
        )
        name = (
            facts.people[root.id].name
            if root.kind is SourceKind.CLIENT and root.id in facts.people
            else facts.channels.get(root.id)
        )
        if name is None:
            raise NotFound(root.kind.value, root.id)
        return name, facts

    def tree(self, ws: str, root: SourceRef, depth: int | None) -> Tree:
        """One statement (`_TREE`): the nodes to `depth` with each one's revenue and fan-out, and for
        each node on the last level the clients and revenue of its branch past it.

        No root row means the root does not exist. Fan-out comes from the walk itself: every client a
        node brought in is walked, in the view or past it."""
        with gc_paused():  # thousands of small tuples and nodes: no cycles to collect
            return self._tree(ws, root, depth)

    def _tree(self, ws: str, root: SourceRef, depth: int | None) -> Tree:
        limit = WALK_LIMIT
        deepest = limit + 1 if depth is None else depth
        cursor = self._run(_TREE, {"ws": ws, "kind": root.kind.value, "id": root.id, "depth": deepest, "limit": limit})
        cursor.row_factory = None  # plain tuples: the rows are unpacked by position
        name = None
        shown: list[NodeRow] = []
        fanout: dict[str, int] = {}
        own: dict[str, dict[str, int]] = {}
        past: dict[str, dict[str, int]] = {}
        clients_past: dict[str, int] = {}
        root_revenue: dict[str, int] = {}
        for row in cursor.fetchall():
            part = row[0]
            if part == 1:  # a node, its columns in the view's order
                shown.append(row[1:])
                fanout[row[4]] = fanout.get(row[4], 0) + 1
            elif part == 3:  # deals per currency: a node's own (far = 0) or past a cut (far = 1)
                _, far, node, currency, total, *_ = row
                (past if far else own).setdefault(node, {})[currency] = total
            elif part == 2:  # a last-level node: clients past it, and those it brought in itself
                clients_past[row[2]] = row[1]
                fanout[row[2]] = row[3]
            elif part == 4:
                root_revenue[row[3]] = row[4]
            elif part == 5:  # a node where the walk stopped: its fan-out counted apart
                fanout[row[2]] = row[3]
            else:
                name = row[6]
        if name is None:
            raise NotFound(root.kind.value, root.id)
        return tree_of(root, name, root_revenue, depth, shown, fanout, own, past, clients_past)

    def period(self, ws: str, start: date, end: date) -> PeriodFacts:
        """One recursive CTE: the period's deals and arrivals, then each distinct client's upline."""
        with gc_paused():
            return self._period(ws, start, end)

    def _period(self, ws: str, start: date, end: date) -> PeriodFacts:
        rows = self._run(
            _PERIOD,
            {"ws": ws, "start": start.isoformat(), "end": end.isoformat()},
        )
        deals: list[DealFacts] = []
        arrived: list[tuple[str, date]] = []
        parents: dict[str, Link] = {}
        kinds = _KINDS
        active = ClientStatus.ACTIVE.value
        day = day_reader()
        for row, a, b, n, kind, on, name, status in rows:
            if row == "parent":
                parents[a] = link(kinds[kind], b, name, day(on), status == active)
            elif row == "deal":
                deals.append(DealFacts(a, b, n, kind, day(on)))
            else:
                arrived.append((a, day(on)))
        return period_facts(start, end, deals, arrived, parents)
