"""What looks wrong: rules over a whole workspace that find records worth a second look.

Each rule (README "What looks wrong") reads the facts a store streams (clients' contact details and
acquisition dates, every recommendation, every deal) and yields findings that name the people, the
rule and the numbers. A finding has a stable key (the rule and what it is about), so a dismissal
(with a note) keeps applying to the same finding however often the check runs; a finding that changes
in substance (another client joins a shared contact, a burst starts on another day) gets a new key and
is shown again.

The rules, with their thresholds (`Thresholds`, each settable per check):

* `shared_contact`: two or more clients share an email mailbox, a phone number or an external id.
  Emails are compared by mailbox: case, a `+tag`, Gmail's dots and googlemail.com, and Yandex's domain
  aliases (ya.ru, yandex.com, ...) and `-`/`.` in the login do not tell mailboxes apart; phones in
  E.164; external ids ignoring case and spaces. Clients linked by any shared value form one finding.
* `self_referral`: a client recommended by someone sharing their contact details (a second identity),
  by a primary or a secondary recommendation, or with such a person on its chain within the credit
  depth, who is then credited for the client's deals.
* `burst`: one person recommending more than `burst_count` clients within `burst_days` days. Channels
  are not held to it: a post or an event brings clients in bursts by nature.
* `hollow_cluster`: at least `hollow_size` clients, linked by recommendations, whose deals are all
  refunds or zero (each has deals, none above zero).
* `dated_early`: a recommendation dated before the recommending client's first day (its acquisition
  date, else the date of its own primary recommendation), or more than `lead_days` days before the
  recommended client's acquisition date (a typo in the year, most often).
* `ring`: recommendations that form a ring. The service refuses every recommendation that would close
  one, primary or secondary (so no secondary recommendation can become a ring when promoted); a ring
  can only come from data written around the service, e.g. by hand in Neo4j Browser.
"""

from __future__ import annotations

import hashlib
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any, ClassVar

from referrals.config import CREDIT_DEPTH
from referrals.errors import FieldError, Invalid
from referrals.model import SourceKind

LISTED = 20  # the clients a finding names at most (its numbers always count all of them)


@dataclass(frozen=True, slots=True)
class Rule:
    """One rule: a stable id, a title and what it looks for."""

    id: str
    title: str
    description: str


RULES: dict[str, Rule] = {
    r.id: r
    for r in (
        Rule(
            "shared_contact",
            "Same contact on several clients",
            "Two or more clients share an email mailbox, a phone number or an external id.",
        ),
        Rule(
            "self_referral",
            "Recommended by a second identity",
            "A client recommended by someone sharing their contact details, or with such a person on its"
            " chain within the credit depth.",
        ),
        Rule(
            "burst",
            "Burst of recommendations",
            "One person recommended more than {burst_count} clients within {burst_days} days.",
        ),
        Rule(
            "hollow_cluster",
            "Clients who never paid",
            "At least {hollow_size} clients linked by recommendations whose deals are all refunds or zero.",
        ),
        Rule(
            "dated_early",
            "Recommendation dated too early",
            "A recommendation dated before the recommending client's first day, or more than {lead_days}"
            " days before the recommended client's acquisition.",
        ),
        Rule(
            "ring",
            "Recommendations in a ring",
            "Clients who recommended each other round a ring (only possible with data written outside the service).",
        ),
    )
}


@dataclass(frozen=True, slots=True)
class Thresholds:
    """The numbers the rules compare against (README "What looks wrong")."""

    burst_count: int = 5
    burst_days: int = 7
    hollow_size: int = 3
    lead_days: int = 365

    LIMITS: ClassVar[dict[str, tuple[int, int]]] = {
        "burst_count": (1, 10_000),
        "burst_days": (1, 3_650),
        "hollow_size": (2, 10_000),
        "lead_days": (0, 36_500),
    }

    def __post_init__(self) -> None:
        errors = []
        for name, (low, high) in self.LIMITS.items():
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
                errors.append(FieldError(name, f"must be a whole number from {low} to {high}"))
        if errors:
            raise Invalid(errors)

    def as_dict(self) -> dict[str, int]:
        return {name: getattr(self, name) for name in self.LIMITS}


@dataclass(frozen=True, slots=True)
class Person:
    """What the rules read of a client."""

    id: str
    name: str
    email: str | None
    phone: str | None
    external_id: str | None
    acquired_on: date | None


@dataclass(frozen=True, slots=True)
class Rec:
    """What the rules read of a recommendation."""

    id: str
    source_kind: SourceKind
    source_id: str
    client_id: str
    referred_on: date
    primary: bool


@dataclass(frozen=True, slots=True)
class Dismissal:
    """A finding someone looked at and set aside, with why."""

    key: str
    rule: str
    note: str
    summary: str  # the finding's summary when it was dismissed
    dismissed_at: datetime


@dataclass(frozen=True, slots=True)
class Finding:
    """One thing that looks wrong: the rule, the people (id, name; clients first-named first), the
    recommendations involved, the figures, and a sentence saying it."""

    key: str
    rule: str
    summary: str
    people: tuple[tuple[str, str], ...]
    referrals: tuple[str, ...] = ()
    numbers: Mapping[str, Any] = field(default_factory=dict)
    dismissed: Dismissal | None = None


@dataclass(frozen=True, slots=True)
class Report:
    """Every finding of a check, open ones first (by rule, then as each rule orders them)."""

    thresholds: Thresholds
    findings: list[Finding]

    @property
    def open(self) -> list[Finding]:
        return [f for f in self.findings if f.dismissed is None]

    def counts(self) -> dict[str, dict[str, int]]:
        """Per rule: open and dismissed findings (every rule listed, zeros included)."""
        out = {rule: {"open": 0, "dismissed": 0} for rule in RULES}
        for f in self.findings:
            out[f.rule]["dismissed" if f.dismissed else "open"] += 1
        return out


def finding_key(rule: str, *parts: str) -> str:
    """A stable, opaque key for a finding: its rule and a digest of what it is about."""
    digest = hashlib.sha256("\x1f".join(parts).encode()).hexdigest()[:16]
    return f"{rule}-{digest}"


# --- contact details --------------------------------------------------------------------------

GMAIL = {"gmail.com": "gmail.com", "googlemail.com": "gmail.com"}
YANDEX = dict.fromkeys(
    ("yandex.ru", "ya.ru", "yandex.com", "yandex.by", "yandex.kz", "yandex.ua", "yandex.com.tr", "narod.ru"),
    "yandex.ru",
)


def mailbox(email: str) -> str:
    """The mailbox an address delivers to, as far as its provider's rules are known: lower case, no
    `+tag`; Gmail ignores dots and answers at googlemail.com too; Yandex answers at all its domains and
    reads `-` in a login as `.`."""
    local, _, domain = email.lower().rpartition("@")
    local = local.split("+", 1)[0]
    if domain in GMAIL:
        return local.replace(".", "") + "@gmail.com"
    if domain in YANDEX:
        return local.replace("-", ".") + "@yandex.ru"
    return f"{local}@{domain}"


def contact_values(p: Person) -> list[tuple[str, str, str]]:
    """(field, comparable key, value as written) of each contact detail a client has."""
    out = []
    if p.email:
        out.append(("email", mailbox(p.email), p.email))
    if p.phone:
        out.append(("phone", p.phone, p.phone))
    if p.external_id:
        out.append(("external_id", "".join(p.external_id.split()).casefold(), p.external_id))
    return out


# --- the check --------------------------------------------------------------------------------


def check(
    people: Iterable[Person],
    recs: Iterable[Rec],
    payments: Iterable[tuple[str, int, str, date]],
    channels: Mapping[str, str],
    dismissed: Iterable[Dismissal] = (),
    thresholds: Thresholds | None = None,
) -> Report:
    """Run every rule over a workspace's facts; dismissed findings are kept, marked, after the open ones."""
    th = thresholds or Thresholds()
    by_id: dict[str, Person] = {p.id: p for p in people}
    rec_list = list(recs)
    names = {**channels, **{i: p.name for i, p in by_id.items()}}
    findings: list[Finding] = []
    groups = _contact_groups(by_id)
    findings += _shared_contacts(groups, names)
    findings += _self_referrals(groups, by_id, rec_list, names)
    findings += _bursts(rec_list, names, th)
    findings += _hollow_clusters(rec_list, payments, names, th)
    findings += _dated_early(by_id, rec_list, names, th)
    findings += _rings(rec_list, names)
    gone = {d.key: d for d in dismissed}
    marked = [Finding(f.key, f.rule, f.summary, f.people, f.referrals, f.numbers, gone.get(f.key)) for f in findings]
    return Report(th, [f for f in marked if f.dismissed is None] + [f for f in marked if f.dismissed is not None])


def _who(names: Mapping[str, str], ids: Iterable[str]) -> tuple[tuple[str, str], ...]:
    return tuple((i, names.get(i, i)) for i in ids)


def _listing(names: Mapping[str, str], ids: Sequence[str]) -> str:
    shown = ", ".join(names.get(i, i) for i in ids[:LISTED])
    return shown + (f" and {len(ids) - LISTED} more" if len(ids) > LISTED else "")


@dataclass(frozen=True, slots=True)
class _Group:
    """Clients linked by shared contact values: (field, value as written, the clients sharing it)."""

    members: tuple[str, ...]  # sorted
    shared: tuple[tuple[str, str, tuple[str, ...]], ...]


def _contact_groups(by_id: Mapping[str, Person]) -> list[_Group]:
    """Clients joined by any shared contact key (union-find), each group with what they share."""
    holders: dict[tuple[str, str], list[str]] = defaultdict(list)
    written: dict[tuple[str, str], str] = {}
    for p in by_id.values():
        for fld, key, value in contact_values(p):
            holders[fld, key].append(p.id)
            written.setdefault((fld, key), value)
    shared = {k: sorted(v) for k, v in holders.items() if len(v) > 1}
    parent: dict[str, str] = {}

    def root(x: str) -> str:
        while parent.get(x, x) != x:
            parent[x] = parent.get(parent[x], parent[x])
            x = parent[x]
        return x

    for ids in shared.values():
        first = root(ids[0])
        for other in ids[1:]:
            r = root(other)
            if r != first:
                parent[r] = first
    members: dict[str, set[str]] = defaultdict(set)
    what: dict[str, list[tuple[str, str, tuple[str, ...]]]] = defaultdict(list)
    for (fld, key), ids in shared.items():
        r = root(ids[0])
        members[r].update(ids)
        what[r].append((fld, written[fld, key], tuple(ids)))
    return sorted((_Group(tuple(sorted(members[r])), tuple(sorted(what[r]))) for r in members), key=lambda g: g.members)


def _shared_contacts(groups: list[_Group], names: Mapping[str, str]) -> list[Finding]:
    out = []
    for g in groups:
        parts = [f"the {fld.replace('_', ' ')} {value} ({_listing(names, ids)})" for fld, value, ids in g.shared]
        out.append(
            Finding(
                finding_key("shared_contact", *g.members),
                "shared_contact",
                f"{len(g.members)} clients share contact details: " + "; ".join(parts) + ".",
                _who(names, g.members),
                numbers={
                    "clients": len(g.members),
                    "shared": [{"field": fld, "value": v, "clients": len(ids)} for fld, v, ids in g.shared],
                },
            )
        )
    return out


def _self_referrals(
    groups: list[_Group], by_id: Mapping[str, Person], recs: Sequence[Rec], names: Mapping[str, str]
) -> list[Finding]:
    """Within each group of clients sharing contacts: a recommendation from one to another, or one above
    another on its primary chain within the credit depth."""
    if not groups:
        return []
    group_of = {m: i for i, g in enumerate(groups) for m in g.members}

    def shared(a: str, b: str) -> str:
        """What two clients of one group share: "phone", "email and phone", or (linked only through
        others of the group) "contact details through others"."""
        mine = {(fld, key) for fld, key, _ in contact_values(by_id[a])}
        both = sorted({fld for fld, key, _ in contact_values(by_id[b]) if (fld, key) in mine})
        return " and ".join(_field_words(f) for f in both) or "contact details through others"

    parent: dict[str, tuple[str, Rec]] = {}
    direct: list[Rec] = []
    for r in recs:
        if r.primary and r.source_kind is SourceKind.CLIENT:
            parent[r.client_id] = (r.source_id, r)
        if (
            r.source_kind is SourceKind.CLIENT
            and r.client_id in group_of
            and group_of.get(r.source_id) == group_of[r.client_id]
        ):
            direct.append(r)
    out = []
    seen: set[tuple[str, str]] = set()
    for r in sorted(direct, key=lambda r: (r.client_id, r.source_id)):
        seen.add((r.source_id, r.client_id))
        how = shared(r.source_id, r.client_id)
        kind = "primary" if r.primary else "secondary"
        out.append(
            Finding(
                finding_key("self_referral", r.source_id, r.client_id),
                "self_referral",
                f"{names[r.client_id]} was recommended ({kind}, {r.referred_on.isoformat()}) by"
                f" {names[r.source_id]}, who shares their {how}.",
                _who(names, (r.client_id, r.source_id)),
                (r.id,),
                {"level": 1, "primary": r.primary, "field": how},
            )
        )
    for member, gi in sorted(group_of.items()):
        node, level, path = member, 0, []
        while node in parent and level < CREDIT_DEPTH:
            node, rec = parent[node]
            level += 1
            path.append(rec.id)
            if level > 1 and group_of.get(node) == gi and (node, member) not in seen:
                seen.add((node, member))
                how = shared(node, member)
                out.append(
                    Finding(
                        finding_key("self_referral", node, member),
                        "self_referral",
                        f"{names[node]} is {level} levels above {names[member]} on their chain and shares their"
                        f" {how}: {names[node]} is credited for {names[member]}'s deals.",
                        _who(names, (member, node)),
                        tuple(path),
                        {"level": level, "primary": True, "field": how},
                    )
                )
    return out


def _field_words(fld: str) -> str:
    return fld.replace("_", " ")


def _bursts(recs: Sequence[Rec], names: Mapping[str, str], th: Thresholds) -> list[Finding]:
    """Per recommending client, every stretch where a window of `burst_days` days holds more than
    `burst_count` recommendations; overlapping windows make one burst."""
    made: dict[str, list[Rec]] = defaultdict(list)
    for r in recs:
        if r.source_kind is SourceKind.CLIENT:
            made[r.source_id].append(r)
    out = []
    span = th.burst_days
    for source in sorted(made):
        rs = made[source]
        if len(rs) <= th.burst_count:
            continue
        rs.sort(key=lambda r: (r.referred_on, r.client_id))
        ordinals = [r.referred_on.toordinal() for r in rs]
        episodes: list[list[int]] = []  # [first index, last index, most in one window]
        i = 0
        for j, day in enumerate(ordinals):
            while day - ordinals[i] >= span:
                i += 1
            n = j - i + 1
            if n > th.burst_count:
                if episodes and i <= episodes[-1][1]:
                    episodes[-1][1] = j
                    episodes[-1][2] = max(episodes[-1][2], n)
                else:
                    episodes.append([i, j, n])
        for first, last, most in episodes:
            part = rs[first : last + 1]
            clients = [r.client_id for r in part]
            out.append(
                Finding(
                    finding_key("burst", source, part[0].referred_on.isoformat()),
                    "burst",
                    f"{names[source]} recommended {len(part)} clients from {part[0].referred_on.isoformat()} to"
                    f" {part[-1].referred_on.isoformat()}, {most} of them within {span} days"
                    f" (more than {th.burst_count} in {span} days): {_listing(names, clients)}.",
                    _who(names, [source, *clients[:LISTED]]),
                    tuple(r.id for r in part[:LISTED]),
                    {
                        "clients": len(part),
                        "most_in_window": most,
                        "from": part[0].referred_on.isoformat(),
                        "to": part[-1].referred_on.isoformat(),
                    },
                )
            )
    return out


def _hollow_clusters(
    recs: Sequence[Rec], payments: Iterable[tuple[str, int, str, date]], names: Mapping[str, str], th: Thresholds
) -> list[Finding]:
    """Clients with deals, none above zero, joined by recommendations between them (either way)."""
    deals: dict[str, int] = defaultdict(int)
    paid: set[str] = set()
    refunded: dict[str, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    for client, amount, currency, _ in payments:
        deals[client] += 1
        if amount > 0:
            paid.add(client)
        elif amount < 0:
            refunded[client][currency] += amount
    hollow = {c for c in deals if c not in paid}
    if len(hollow) < th.hollow_size:
        return []
    links: dict[str, list[str]] = defaultdict(list)
    for r in recs:
        if r.source_kind is SourceKind.CLIENT and r.source_id in hollow and r.client_id in hollow:
            links[r.source_id].append(r.client_id)
            links[r.client_id].append(r.source_id)
    out = []
    seen: set[str] = set()
    for start in sorted(links):
        if start in seen:
            continue
        seen.add(start)
        cluster, stack = [], [start]
        while stack:
            n = stack.pop()
            cluster.append(n)
            for m in links[n]:
                if m not in seen:
                    seen.add(m)
                    stack.append(m)
        if len(cluster) < th.hollow_size:
            continue
        cluster.sort()
        refunds: dict[str, int] = defaultdict(int)
        for c in cluster:
            for cur, minor in refunded.get(c, {}).items():
                refunds[cur] += minor
        count = sum(deals[c] for c in cluster)
        out.append(
            Finding(
                finding_key("hollow_cluster", *cluster),
                "hollow_cluster",
                f"{len(cluster)} clients linked by recommendations have {count} deals and none above zero:"
                f" {_listing(names, cluster)}.",
                _who(names, cluster[:LISTED]),
                numbers={
                    "clients": len(cluster),
                    "deals": count,
                    "refunds": [{"currency": c, "amount_minor": m} for c, m in sorted(refunds.items())],
                },
            )
        )
    return out


def _dated_early(
    by_id: Mapping[str, Person], recs: Sequence[Rec], names: Mapping[str, str], th: Thresholds
) -> list[Finding]:
    """Recommendations dated before the recommender's first day, or long before the client's acquisition."""
    first: dict[str, date] = {}
    for r in recs:
        if r.primary:
            first[r.client_id] = r.referred_on
    for p in by_id.values():
        if p.acquired_on is not None:
            first[p.id] = p.acquired_on
    out = []
    for r in sorted(recs, key=lambda r: (r.referred_on, r.id)):
        day = r.referred_on.isoformat()
        if r.source_kind is SourceKind.CLIENT:
            since = first.get(r.source_id)
            if since is not None and r.referred_on < since:
                gap = (since - r.referred_on).days
                out.append(
                    Finding(
                        finding_key("dated_early", r.source_id, r.client_id, "recommender"),
                        "dated_early",
                        f"{names[r.source_id]} recommended {names[r.client_id]} on {day}, {gap} days before"
                        f" {names[r.source_id]}'s own first day ({since.isoformat()}).",
                        _who(names, (r.source_id, r.client_id)),
                        (r.id,),
                        {"referred_on": day, "first_day": since.isoformat(), "days": gap, "whose": "recommender"},
                    )
                )
        p = by_id.get(r.client_id)
        if p is not None and p.acquired_on is not None and (p.acquired_on - r.referred_on).days > th.lead_days:
            gap = (p.acquired_on - r.referred_on).days
            out.append(
                Finding(
                    finding_key("dated_early", r.source_kind.value, r.source_id, r.client_id, "client"),
                    "dated_early",
                    f"{names[r.client_id]} was recommended by {names.get(r.source_id, r.source_id)} on {day},"
                    f" {gap} days before they were acquired ({p.acquired_on.isoformat()}; more than"
                    f" {th.lead_days} days).",
                    _who(names, (r.client_id, r.source_id)),
                    (r.id,),
                    {"referred_on": day, "first_day": p.acquired_on.isoformat(), "days": gap, "whose": "client"},
                )
            )
    return out


def _rings(recs: Sequence[Rec], names: Mapping[str, str]) -> list[Finding]:
    """Rings among client-to-client recommendations: what a topological sort cannot order, split into
    strongly connected parts (networkx, on that small remainder only)."""
    out_edges: dict[str, list[str]] = defaultdict(list)
    indegree: dict[str, int] = defaultdict(int)
    for r in recs:
        if r.source_kind is SourceKind.CLIENT:
            out_edges[r.source_id].append(r.client_id)
            indegree[r.client_id] += 1
    ready = [n for n in out_edges if indegree.get(n, 0) == 0]
    while ready:
        n = ready.pop()
        for m in out_edges.get(n, ()):
            indegree[m] -= 1
            if indegree[m] == 0:
                ready.append(m)
    left = {n for n, d in indegree.items() if d > 0}
    if not left:
        return []
    import networkx as nx

    g = nx.DiGraph()
    by_pair: dict[tuple[str, str], Rec] = {}
    for r in recs:
        if r.source_kind is SourceKind.CLIENT and r.source_id in left and r.client_id in left:
            g.add_edge(r.source_id, r.client_id)
            by_pair[r.source_id, r.client_id] = r
    out = []
    for part in sorted(sorted(c) for c in nx.strongly_connected_components(g) if len(c) > 1):
        inside = set(part)
        ring = sorted((r for (s, c), r in by_pair.items() if s in inside and c in inside), key=lambda r: r.id)
        out.append(
            Finding(
                finding_key("ring", *(r.id for r in ring)),
                "ring",
                f"{len(part)} clients recommended each other round a ring ({len(ring)} recommendations):"
                f" {_listing(names, part)}.",
                _who(names, part[:LISTED]),
                tuple(r.id for r in ring[:LISTED]),
                {"clients": len(part), "recommendations": len(ring)},
            )
        )
    return out


def describe(rule: str, th: Thresholds) -> str:
    """A rule's description with its thresholds filled in."""
    return RULES[rule].description.format(**th.as_dict())


def to_json(report: Report) -> dict[str, Any]:
    """The report as JSON-ready dicts."""

    def finding(f: Finding) -> dict[str, Any]:
        return {
            "key": f.key,
            "rule": f.rule,
            "summary": f.summary,
            "people": [{"id": i, "name": n} for i, n in f.people],
            "referrals": list(f.referrals),
            "numbers": dict(f.numbers),
            "dismissed": None
            if f.dismissed is None
            else {"note": f.dismissed.note, "at": f.dismissed.dismissed_at.isoformat()},
        }

    counts = report.counts()
    return {
        "thresholds": report.thresholds.as_dict(),
        "rules": [
            {"id": r.id, "title": r.title, "description": describe(r.id, report.thresholds), **counts[r.id]}
            for r in RULES.values()
        ],
        "open": len(report.open),
        "dismissed": len(report.findings) - len(report.open),
        "findings": [finding(f) for f in report.findings],
    }
