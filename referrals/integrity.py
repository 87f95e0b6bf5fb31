"""What looks wrong: rules over a whole workspace that find records worth a second look.

Each rule (README "What looks wrong") reads the facts a store gives (`Facts`: the clients whose contact
details meet another's, acquisition dates, every recommendation as columns, the clients whose deals are
none above zero) and yields findings that name the people, the rule and the numbers. A finding has a
stable key (the rule and what it is about), so a dismissal (with a note) keeps applying to the same
finding however often the check runs; a finding that changes in substance (another client joins a
shared contact, a burst starts on another day) gets a new key and is shown again.

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
import re
from collections import Counter, defaultdict
from collections.abc import Callable, Collection, Container, Hashable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from itertools import compress, count, repeat
from operator import and_, gt, itemgetter, lt
from typing import Any, ClassVar

from referrals import i18n
from referrals.attribution import gc_paused
from referrals.config import CREDIT_DEPTH
from referrals.errors import FieldError, Invalid
from referrals.i18n import N_, _, format_date, format_number, lazy

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
            N_("Same contact on several clients"),
            N_("Two or more clients share an email mailbox, a phone number or an external id."),
        ),
        Rule(
            "self_referral",
            N_("Recommended by a second identity"),
            N_(
                "A client recommended by someone sharing their contact details, or with such a person on its"
                " chain within the credit depth."
            ),
        ),
        Rule(
            "burst",
            N_("Burst of recommendations"),
            N_("One person recommended more than {burst_count} clients within {burst_days} days."),
        ),
        Rule(
            "hollow_cluster",
            N_("Clients who never paid"),
            N_("At least {hollow_size} clients linked by recommendations whose deals are all refunds or zero."),
        ),
        Rule(
            "dated_early",
            N_("Recommendation dated too early"),
            N_(
                "A recommendation dated before the recommending client's first day, or more than {lead_days}"
                " days before the recommended client's acquisition."
            ),
        ),
        Rule(
            "ring",
            N_("Recommendations in a ring"),
            N_(
                "Clients who recommended each other round a ring (only possible with data written outside the service)."
            ),
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
                errors.append(
                    FieldError(name, _("must be a whole number from %(low)s to %(high)s", low=low, high=high))
                )
        if errors:
            raise Invalid(errors)

    def as_dict(self) -> dict[str, int]:
        return {name: getattr(self, name) for name in self.LIMITS}


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
    local, _at, domain = email.lower().rpartition("@")
    if "+" in local:
        local = local.split("+", 1)[0]
    if domain in GMAIL:
        return local.replace(".", "") + "@gmail.com"
    if domain in YANDEX:
        return local.replace("-", ".") + "@yandex.ru"
    return f"{local}@{domain}"


def external_key(external_id: str) -> str:
    """An external id as compared: case and spaces (also no-break ones) ignored."""
    return external_id.replace(" ", "").replace("\u00a0", "").casefold()


# The domains whose addresses `mailbox` rewrites beyond lower case and a +tag.
_REWRITTEN = tuple("@" + d for d in (*GMAIL, *YANDEX))


def shared_values(emails: Iterable[str], external_ids: Iterable[str]) -> tuple[list[str], list[str]]:
    """Of the emails and the external ids a workspace holds (each one unique as stored), those whose
    comparison key (`mailbox`, `external_key`) another one shares: the values whose holders a check
    looks up. Only a value the comparison rewrites (a +tag, a Gmail or Yandex address, capitals, spaces)
    can meet another, so every other one costs a lower() and a comparison."""
    rewritten = {
        e: mailbox(m) if "+" in m or m.endswith(_REWRITTEN) else m
        for e in emails
        if "+" in (m := e.lower()) or m.endswith(_REWRITTEN) or m != e
    }
    keyed = {x: k for x in external_ids if (k := external_key(x)) != x}
    return _meeting(rewritten, emails), _meeting(keyed, external_ids)


def _meeting(rewritten: Mapping[str, str], values: Iterable[str]) -> list[str]:
    """The values (of those rewritten to a key, and the unchanged ones) whose key another value has."""
    if not rewritten:
        return []
    keys = Counter(rewritten.values())
    unchanged = set(keys).intersection(v for v in values if v not in rewritten)
    shared = {k for k, n in keys.items() if n > 1} | unchanged
    return sorted([v for v, k in rewritten.items() if k in shared] + list(unchanged))


# --- what a check reads -----------------------------------------------------------------------


Node = Hashable  # how a store names a client or channel in a check's facts (its id, or a number)


def same_ids(nodes: Collection[Node]) -> dict[Node, str]:
    """The resolver of a store whose nodes are named by their ids already."""
    return {n: n for n in nodes}  # type: ignore[misc]


@dataclass(frozen=True, slots=True)
class Facts:
    """What the rules read, column by column, as a store reads them in one go: a million clients cost a
    few lists, not a million objects. Dates are YYYY-MM-DD strings (they sort as days do).

    Clients and channels are named by the store's own node keys (`Node`): their ids, or numbers a
    store reads for less than an id (Neo4j's node numbers). The rules compute over the keys and ask
    `ids` for the ids of what they found only: a finding is keyed, sorted and worded by ids, so it is
    the same whatever the keys."""

    # the clients holding a contact value another client's value meets (`shared_values`, and phones held
    # twice): (node, email, phone, external id)
    contacts: Sequence[tuple[Node, str | None, str | None, str | None]]
    acquired: Mapping[Node, str]  # client -> its acquisition date, for the clients that have one
    # one entry per recommendation
    from_client: Sequence[bool]  # its source is a client (else a channel)
    sources: Sequence[Node]
    targets: Sequence[Node]  # the clients recommended
    days: Sequence[str]
    primary: Sequence[bool]
    # the clients with deals and none above zero: their deals and refunds per currency (minor units)
    hollow: Mapping[Node, tuple[int, Mapping[str, int]]] = field(default_factory=dict)
    # the ids of the nodes asked for (every one of them)
    ids: Callable[[Collection[Node]], Mapping[Node, str]] = same_ids


@dataclass(frozen=True, slots=True)
class Raw:
    """A finding before names are known: its people and recommendations by id, its sentence with each
    person as a placeholder (`_n`) that `render` replaces by their name."""

    rule: str
    key: str
    people: tuple[str, ...]
    pairs: tuple[tuple[str, str], ...]  # (source id, client id) of the recommendations involved
    numbers: Mapping[str, Any]
    text: str


_MARK = "\x00"  # never in a name or an id (both refuse control characters)
_PLACEHOLDER = re.compile(_MARK + "([^" + _MARK + "]*)" + _MARK)


def _n(i: str) -> str:
    """A person in a finding's sentence, named when the finding is rendered."""
    return f"{_MARK}{i}{_MARK}"


@gc_paused()
def detect(facts: Facts, thresholds: Thresholds | None = None) -> list[Raw]:
    """Every rule over the facts, by rule in RULES order (the cyclic garbage collector paused: a million
    recommendations make lists and tuples enough to trigger it again and again, and none is a cycle)."""
    th = thresholds or Thresholds()
    groups, nodes = _contact_groups(facts)
    return [
        *_shared_contacts(groups),
        *_self_referrals(groups, nodes, facts),
        *_bursts(facts, th),
        *_hollow_clusters(facts, th),
        *_dated_early(facts, th),
        *_rings(facts),
    ]


def named(raws: Iterable[Raw]) -> tuple[set[str], set[tuple[str, str]]]:
    """The ids whose names the findings need, and the recommendations whose ids they list."""
    ids: set[str] = set()
    pairs: set[tuple[str, str]] = set()
    for r in raws:
        ids.update(r.people)
        for s, c in r.pairs:
            ids.update((s, c))
            pairs.add((s, c))
    return ids, pairs


def render(
    raws: Sequence[Raw],
    names: Mapping[str, str],
    referral_ids: Mapping[tuple[str, str], str],
    dismissed: Iterable[Dismissal] = (),
    thresholds: Thresholds | None = None,
) -> Report:
    """The findings with their names and recommendation ids; dismissed ones marked and listed last."""
    gone = {d.key: d for d in dismissed}

    def name(i: str) -> str:
        return names.get(i, i)

    findings = [
        Finding(
            r.key,
            r.rule,
            _PLACEHOLDER.sub(lambda m: name(m.group(1)), r.text),
            tuple((i, name(i)) for i in r.people),
            tuple(referral_ids[p] for p in r.pairs if p in referral_ids),
            r.numbers,
            gone.get(r.key),
        )
        for r in raws
    ]
    return Report(
        thresholds or Thresholds(),
        [f for f in findings if f.dismissed is None] + [f for f in findings if f.dismissed is not None],
    )


def _listing(ids: Sequence[str]) -> str:
    shown = ", ".join(_n(i) for i in ids[:LISTED])
    return shown + (" " + _("and %(n)s more", n=format_number(len(ids) - LISTED)) if len(ids) > LISTED else "")


def _day(iso: str) -> str:
    """A stored YYYY-MM-DD day as the finding's reader writes it."""
    return format_date(date.fromisoformat(iso))


@dataclass(frozen=True, slots=True)
class _Group:
    """Clients linked by shared contact values: (field, value as written, the clients sharing it)."""

    members: tuple[str, ...]  # sorted
    shared: tuple[tuple[str, str, tuple[str, ...]], ...]


def _contact_groups(f: Facts) -> tuple[list[_Group], dict[str, Node]]:
    """Clients joined by any shared contact key (union-find), each group with what they share; and the
    node of every client in a group, by id."""
    holders: dict[tuple[str, str], list[str]] = defaultdict(list)
    written: dict[tuple[str, str], str] = {}
    id_of = f.ids({c[0] for c in f.contacts}) if f.contacts else {}
    for node, email, phone, external_id in f.contacts:
        cid = id_of[node]
        for fld, value, key in (
            ("email", email, email and mailbox(email)),
            ("phone", phone, phone),
            ("external_id", external_id, external_id and external_key(external_id)),
        ):
            if value and key:
                holders[fld, key].append(cid)
                written.setdefault((fld, key), value)
    holders = {k: sorted(ids) for k, ids in holders.items() if len(ids) > 1}
    parent: dict[str, str] = {}

    def root(x: str) -> str:
        while parent.get(x, x) != x:
            parent[x] = parent.get(parent[x], parent[x])
            x = parent[x]
        return x

    for ids in holders.values():
        first = root(ids[0])
        for other in ids[1:]:
            r = root(other)
            if r != first:
                parent[r] = first
    members: dict[str, set[str]] = defaultdict(set)
    what: dict[str, list[tuple[str, str, tuple[str, ...]]]] = defaultdict(list)
    for (fld, key), ids in holders.items():
        r = root(ids[0])
        members[r].update(ids)
        what[r].append((fld, written[fld, key], tuple(sorted(ids))))
    groups = [_Group(tuple(sorted(members[r])), tuple(sorted(what[r]))) for r in members]
    return sorted(groups, key=lambda g: g.members), {cid: node for node, cid in id_of.items()}


def _shared_contacts(groups: list[_Group]) -> list[Raw]:
    return [
        Raw(
            "shared_contact",
            finding_key("shared_contact", *g.members),
            g.members,
            (),
            {
                "clients": len(g.members),
                "shared": [{"field": fld, "value": v, "clients": len(ids)} for fld, v, ids in g.shared],
            },
            _(
                "%(clients)s share contact details: %(what)s.",
                clients=i18n.count("clients", len(g.members)),
                what="; ".join(_shared_value(fld, value, ids) for fld, value, ids in g.shared),
            ),
        )
        for g in groups
    ]


def _shared_value(field: str, value: str, ids: Sequence[str]) -> str:
    """One value two or more clients share, as a finding's summary names it."""
    return _("the %(field)s %(value)s (%(clients)s)", field=_words(field), value=value, clients=_listing(ids))


_FIELDS = {"email": N_("email"), "phone": N_("phone"), "external_id": N_("external id")}


def _words(fld: str) -> str:
    """A contact field for people."""
    return lazy(_FIELDS[fld]) if fld in _FIELDS else fld.replace("_", " ")


def _self_referrals(groups: list[_Group], nodes: Mapping[str, Node], f: Facts) -> list[Raw]:
    """Within each group of clients sharing contacts: a recommendation from one to another, or one above
    another on its primary chain within the credit depth. `nodes`: the node of each group member."""
    if not groups:
        return []
    group_of = {m: i for i, g in enumerate(groups) for m in g.members}
    member = {nodes[m]: m for m in group_of}  # node -> id, of the groups' members
    keys: dict[str, set[tuple[str, str]]] = defaultdict(set)
    for g in groups:
        for fld, value, ids in g.shared:
            for m in ids:
                keys[m].add((fld, value))

    def shared(a: str, b: str) -> str:
        """What two clients of one group share: "phone", "email and phone", or (linked only through
        others of the group) "contact details through others"."""
        both = sorted({fld for fld, _value in keys[a] & keys[b]})
        return " and ".join(x.replace("_", " ") for x in both) or "contact details through others"

    def shared_words(a: str, b: str) -> str:
        """The same for people, in their language."""
        both = sorted({fld for fld, _value in keys[a] & keys[b]})
        return _(" and ").join(_words(x) for x in both) or _("contact details through others")

    upward = list(map(and_, f.from_client, f.primary))  # primary recommendations by clients
    parent = dict(zip(compress(f.targets, upward), compress(f.sources, upward), strict=True))
    direct = [
        (member[f.targets[i]], member[f.sources[i]], f.days[i], f.primary[i])
        for i in [i for i, t in enumerate(f.targets) if t in member]
        if f.from_client[i]
        and f.sources[i] in member
        and group_of[member[f.sources[i]]] == group_of[member[f.targets[i]]]
    ]
    out: list[Raw] = []
    seen: set[tuple[str, str]] = set()
    for t, s, d, p in sorted(direct):
        seen.add((s, t))
        how, kind = shared(s, t), _("primary") if p else _("secondary")
        out.append(
            Raw(
                "self_referral",
                finding_key("self_referral", s, t),
                (t, s),
                ((s, t),),
                {"level": 1, "primary": p, "field": how},
                _(
                    "%(client)s was recommended (%(kind)s, %(day)s) by %(source)s, who shares their %(how)s.",
                    client=_n(t),
                    kind=kind,
                    day=_day(d),
                    source=_n(s),
                    how=shared_words(s, t),
                ),
            )
        )
    found: list[tuple[str, str, int, list[tuple[Node, Node]]]] = []  # (client, above, level, path)
    for cid, gi in sorted(group_of.items()):
        node, level, path = nodes[cid], 0, []
        while node in parent and level < CREDIT_DEPTH:
            path.append((parent[node], node))
            node = parent[node]
            level += 1
            above = member.get(node)
            if level > 1 and above is not None and group_of[above] == gi and (above, cid) not in seen:
                seen.add((above, cid))
                found.append((cid, above, level, list(path)))
    id_of = f.ids({n for *_, path in found for pair in path for n in pair}) if found else {}
    for cid, above, level, path in found:
        how = shared(above, cid)
        out.append(
            Raw(
                "self_referral",
                finding_key("self_referral", above, cid),
                (cid, above),
                tuple((id_of[a], id_of[b]) for a, b in path),
                {"level": level, "primary": True, "field": how},
                _(
                    "%(above)s is %(level)s levels above %(client)s on their chain and shares their %(how)s:"
                    " %(above)s is credited for %(client)s's deals.",
                    above=_n(above),
                    level=level,
                    client=_n(cid),
                    how=shared_words(above, cid),
                ),
            )
        )
    return out


def _bursts(f: Facts, th: Thresholds) -> list[Raw]:
    """Per recommending client, every stretch where a window of `burst_days` days holds more than
    `burst_count` recommendations; overlapping windows make one burst. The clients with a burst are
    found over integer arrays (numpy): the recommendations sorted by client, then day, a burst is a
    recommendation whose burst_count-th predecessor is the same client's and less than `burst_days`
    days older. Only those clients' recommendations are looked at one by one."""
    import numpy as np

    at = np.flatnonzero(np.fromiter(f.from_client, bool, len(f.from_client)))
    k, span = th.burst_count, th.burst_days
    if len(at) <= k:
        return []
    codes, _nodes = _dense([f.sources[i] for i in at.tolist()])
    ordinal = _ordinals(f.days)
    days = np.fromiter(map(ordinal.__getitem__, compress(f.days, f.from_client)), np.int64, len(at))
    order = np.lexsort((days, codes))
    c, d = codes[order], days[order]
    hit = (c[k:] == c[:-k]) & (d[k:] - d[:-k] < span)
    if not hit.any():
        return []
    made: dict[Node, list[tuple[str, Node]]] = defaultdict(list)
    for i in at[np.isin(codes, c[k:][hit])].tolist():
        made[f.sources[i]].append((f.days[i], f.targets[i]))
    bursting = list(made)
    id_of = f.ids({*bursting, *(t for s in bursting for _d, t in made[s])})
    out: list[Raw] = []
    for node in sorted(bursting, key=id_of.__getitem__):
        recs = sorted((d, id_of[t]) for d, t in made[node])
        ordinals = [ordinal[d] for d, _t in recs]
        source = id_of[node]
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
            part = recs[first : last + 1]
            clients = [t for _d, t in part]
            start, end = part[0][0], part[-1][0]
            out.append(
                Raw(
                    "burst",
                    finding_key("burst", source, start),
                    (source, *clients[:LISTED]),
                    tuple((source, t) for t in clients[:LISTED]),
                    {"clients": len(part), "most_in_window": most, "from": start, "to": end},
                    _(
                        "%(source)s recommended %(clients)s from %(start)s to %(end)s, %(most)s of them within"
                        " %(span)s days (more than %(limit)s in %(span)s days): %(listing)s.",
                        source=_n(source),
                        clients=i18n.count("clients", len(part)),
                        start=_day(start),
                        end=_day(end),
                        most=most,
                        span=span,
                        limit=th.burst_count,
                        listing=_listing(clients),
                    ),
                )
            )
    return out


def _ordinals(days: Iterable[str]) -> dict[str, int]:
    """Day numbers of YYYY-MM-DD texts, parsed once per distinct day (a network has a few thousand)."""
    fromiso = date.fromisoformat
    return {d: fromiso(d).toordinal() for d in set(days)}


def _hollow_clusters(f: Facts, th: Thresholds) -> list[Raw]:
    """Clients with deals, none above zero, joined by recommendations between them (either way)."""
    hollow = f.hollow
    if len(hollow) < th.hollow_size:
        return []
    links: dict[Node, list[Node]] = defaultdict(list)
    for s, t in _between(f, hollow.keys()):
        links[s].append(t)
        links[t].append(s)
    clusters: list[list[Node]] = []
    seen: set[Node] = set()
    for start in links:
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
        if len(cluster) >= th.hollow_size:
            clusters.append(cluster)
    if not clusters:
        return []
    id_of = f.ids({n for c in clusters for n in c})
    out: list[Raw] = []
    for nodes in sorted((sorted(c, key=id_of.__getitem__) for c in clusters), key=lambda c: id_of[c[0]]):
        cluster = [id_of[n] for n in nodes]
        refunds: dict[str, int] = defaultdict(int)
        for c in nodes:
            for cur, minor in hollow[c][1].items():
                refunds[cur] += minor
        deals = sum(hollow[c][0] for c in nodes)
        out.append(
            Raw(
                "hollow_cluster",
                finding_key("hollow_cluster", *cluster),
                tuple(cluster[:LISTED]),
                (),
                {
                    "clients": len(cluster),
                    "deals": deals,
                    "refunds": [{"currency": c, "amount_minor": m} for c, m in sorted(refunds.items()) if m],
                },
                _(
                    "%(clients)s linked by recommendations have %(deals)s and none above zero: %(listing)s.",
                    clients=i18n.count("clients", len(cluster)),
                    deals=i18n.count("deals", deals),
                    listing=_listing(cluster),
                ),
            )
        )
    return out


def _dated_early(f: Facts, th: Thresholds) -> list[Raw]:
    """Recommendations dated before the recommender's first day, or long before the client's acquisition."""
    acquired = f.acquired
    # a client's first day: its acquisition date, else the date of its primary recommendation
    first = dict(zip(compress(f.targets, f.primary), compress(f.days, f.primary), strict=True)) | acquired
    fromiso = date.fromisoformat
    found: list[tuple[str, Node, Node, str, str]] = []  # (day, source, client, whose, first day)
    # compared as YYYY-MM-DD text (in C); a channel has no first day ("", before every date)
    before = map(lt, f.days, map(first.get, f.sources, repeat("")))
    for i in compress(count(), map(and_, f.from_client, before)):
        s = f.sources[i]
        found.append((f.days[i], s, f.targets[i], "recommender", first[s]))
    if acquired:
        later = map(gt, map(acquired.get, f.targets, repeat("")), f.days)
        for i in compress(range(len(f.days)), later):
            d, t = f.days[i], f.targets[i]
            if (fromiso(acquired[t]) - fromiso(d)).days > th.lead_days:
                found.append((d, f.sources[i], t, "client", acquired[t]))
    if not found:
        return []
    id_of = f.ids({n for _d, s, t, *_ in found for n in (s, t)})
    out: list[Raw] = []
    for d, s, t, whose, since in sorted((d, id_of[s], id_of[t], w, x) for d, s, t, w, x in found):
        gap = (fromiso(since) - fromiso(d)).days
        numbers = {"referred_on": d, "first_day": since, "days": gap, "whose": whose}
        said = {"source": _n(s), "client": _n(t), "day": _day(d), "gap": gap, "since": _day(since)}
        if whose == "recommender":
            people = (s, t)
            summary = _(
                "%(source)s recommended %(client)s on %(day)s, %(gap)s days before %(source)s's own"
                " first day (%(since)s).",
                **said,
            )
        else:
            people = (t, s)
            summary = _(
                "%(client)s was recommended by %(source)s on %(day)s, %(gap)s days before they were"
                " acquired (%(since)s; more than %(limit)s days).",
                **said,
                limit=th.lead_days,
            )
        key = finding_key("dated_early", s, t, whose)
        out.append(Raw("dated_early", key, people, ((s, t),), numbers, summary))
    return out


def _between(f: Facts, among: Container[Node]) -> list[tuple[Node, Node]]:
    """(source, client) of the recommendations from one client of `among` to another (filtered in C)."""
    inside = map(and_, map(among.__contains__, f.sources), map(among.__contains__, f.targets))
    return list(compress(zip(f.sources, f.targets, strict=True), map(and_, f.from_client, inside)))


def _dense(keys: Sequence[Node]) -> tuple[Any, list[Node]]:
    """Node keys as integers 0 .. n-1 (a numpy array) and the keys by integer: numbers by a sort (in C),
    anything else by a dictionary."""
    import numpy as np

    if keys and isinstance(keys[0], int):
        unique, dense = np.unique(np.fromiter(keys, np.int64, len(keys)), return_inverse=True)
        return dense, unique.tolist()
    number: defaultdict[Node, int] = defaultdict(count().__next__)
    dense = np.fromiter(map(number.__getitem__, keys), np.int64, len(keys))
    return dense, list(number)


PEEL_ROUNDS = 64  # numpy rounds of `_on_rings` before the rest is sorted one client at a time


def _on_rings(edges: Sequence[tuple[Node, Node]]) -> set[Node]:
    """The clients that may lie on a ring of these recommendations: what is left once clients nobody
    recommended, or who recommended nobody, are taken away again and again (a ring member never is).
    The rounds run over integer arrays (numpy), each one taking away both ends of every chain at once:
    a forest of depth d goes in about d / 2 rounds. Past PEEL_ROUNDS (chains longer than ~128 levels)
    the rest is sorted topologically one client at a time (Kahn's algorithm, lists of integers)."""
    if not edges:
        return set()
    import numpy as np

    m = len(edges)
    ends, nodes = _dense([*map(itemgetter(0), edges), *map(itemgetter(1), edges)])
    src, dst = ends[:m], ends[m:]
    n = len(nodes)
    for _round in range(PEEL_ROUNDS):
        gone = (np.bincount(dst, minlength=n) == 0) | (np.bincount(src, minlength=n) == 0)
        keep = ~(gone[src] | gone[dst])
        if keep.all():
            break
        src, dst = src[keep], dst[keep]
        if not len(src):
            return set()
    else:
        a, b = _kahn(src.tolist(), dst.tolist(), n)
        src, dst = np.array(a, np.int64), np.array(b, np.int64)
    return {nodes[i] for i in np.union1d(src, dst).tolist()}


def _kahn(src: list[int], dst: list[int], n: int) -> tuple[list[int], list[int]]:
    """The edges (as two lists) among the nodes a topological sort cannot order: those on rings and
    those only reachable from them."""
    out_edges: list[list[int]] = [[] for _ in range(n)]
    indegree = [0] * n
    for a, b in zip(src, dst, strict=True):
        out_edges[a].append(b)
        indegree[b] += 1
    ready = [i for i in range(n) if not indegree[i]]
    while ready:
        for m in out_edges[ready.pop()]:
            indegree[m] -= 1
            if not indegree[m]:
                ready.append(m)
    kept = [i for i, (a, b) in enumerate(zip(src, dst, strict=True)) if indegree[a] and indegree[b]]
    return [src[i] for i in kept], [dst[i] for i in kept]


def _rings(f: Facts) -> list[Raw]:
    """Rings among client-to-client recommendations: the part no peeling can take apart (`_on_rings`) is
    split into strongly connected parts (networkx, on that small remainder only)."""
    edges = list(compress(zip(f.sources, f.targets, strict=True), f.from_client))
    left = _on_rings(edges)
    if not left:
        return []
    import networkx as nx

    id_of = f.ids(left)
    g = nx.DiGraph((id_of[s], id_of[t]) for s, t in edges if s in left and t in left)
    out: list[Raw] = []
    for part in sorted(sorted(c) for c in nx.strongly_connected_components(g) if len(c) > 1):
        inside = set(part)
        ring = sorted((s, t) for s, t in g.edges if s in inside and t in inside)
        out.append(
            Raw(
                "ring",
                finding_key("ring", *(f"{s}>{t}" for s, t in ring)),
                tuple(part[:LISTED]),
                tuple(ring[:LISTED]),
                {"clients": len(part), "recommendations": len(ring)},
                _(
                    "%(clients)s recommended each other round a ring (%(recommendations)s): %(listing)s.",
                    clients=i18n.count("clients", len(part)),
                    recommendations=i18n.count("referrals", len(ring)),
                    listing=_listing(part),
                ),
            )
        )
    return out


def describe(rule: str, th: Thresholds) -> str:
    """A rule's description with its thresholds filled in."""
    return lazy(RULES[rule].description).format(**th.as_dict())


def to_json(report: Report, limit: int | None = None) -> dict[str, Any]:
    """The report as JSON-ready dicts: the first `limit` findings (all when None; open ones come first),
    and how many more there are (`not_listed`)."""

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
            {"id": r.id, "title": lazy(r.title), "description": describe(r.id, report.thresholds), **counts[r.id]}
            for r in RULES.values()
        ],
        "open": len(report.open),
        "dismissed": len(report.findings) - len(report.open),
        "findings": [finding(f) for f in report.findings[:limit]],
        "not_listed": max(0, len(report.findings) - limit) if limit is not None else 0,
    }
