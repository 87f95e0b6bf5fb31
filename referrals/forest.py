"""The primary forest as arrays: the network-wide answers (summary, key clients) at a million clients.

`analysis.summarize` and `analysis.key_clients` answer the same questions from a Snapshot (every
record of the workspace and a networkx graph of it): exact, the reference the tests hold this module
to, and what views as of a past day still use; but at a million clients building the snapshot alone
takes minutes. Here the store hands over a few columns instead (`Columns`: the primary
recommendations as client / source kind / source, every deal's payer, amount and currency, and a few
counts) and numpy does the tree work over integer arrays:

* levels by pointer doubling: every client jumps to its ancestor 1, 2, 4, … steps up, so the longest
  chain of L steps takes log2(L) vectorized passes;
* whole downlines leaves first, one vectorized pass per level (O(clients) in all);
* downlines within a depth d by walking every client's ancestors d steps (d passes);
* names are read only for the clients a ranking shows and for those tied with its last one, so ties
  are broken by name and id exactly as the snapshot path breaks them.

Clients are named in the columns by their node keys: their ids, or numbers a store reads for less
(Neo4j's node numbers: a million ids cost ~2 s more to read there than the numbers). The answers name
the few clients they show by id and name, read by key in the same transaction (`Named`).

Clients that appear in no primary recommendation and paid nothing are never materialised: they are
counted (level 0, direct, dead ends) and only read, by name, when a ranking has room for them.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from datetime import date
from itertools import repeat
from typing import Any

import numpy as np
import numpy.typing as npt

from referrals.analysis import KeyClient, Summary, Weights

Ints = npt.NDArray[np.int64]
Key = Any  # a client's node key: its id, or a number the store names it by (see Columns)
# A column of node keys: a sequence of keys, or of ids as one array of fixed-width ASCII bytes
# (the embedded store reads them so: a million ids in 30 MB and no Python objects)
KeyColumn = Sequence[Key] | npt.NDArray[np.bytes_]
Named = Callable[[Sequence[Key]], dict[Key, tuple[str, str]]]  # node keys -> (id, name)
FirstByName = Callable[[int], list[tuple[Key, str, str]]]  # n -> the first n clients (key, id, name) by name, id

Keyed = tuple[tuple[int | float, ...], int]  # (numeric sort key, node): smaller keys rank first
_ROUNDING = 1e-6  # a score is shown rounded to 6 decimals: rounding moves it by at most half of this


@dataclass(frozen=True)
class Columns:
    """What the store hands over for the network-wide answers of today (one read transaction)."""

    clients: int  # every client of the workspace
    channels: int
    referrals: int  # every recommendation, primary or secondary
    first_day: date | None  # see analysis.first_day
    # Clients and sources by node key (all ids, or all numbers: one kind per store)
    brought_in: KeyColumn  # per primary recommendation: the client it brought in (each at most once)
    from_client: Sequence[bool] | npt.NDArray[np.bool_]  # ... whether its source is a client (else a channel)
    sources: KeyColumn  # ... the source's key
    payers: KeyColumn = ()  # per deal: the client who paid, the amount in minor units, the currency
    amounts: Sequence[int] = ()
    currencies: Sequence[str] = ()
    revenue: dict[str, int] | None = None  # per currency, when the store summed the deals itself


class Forest:
    """The clients of the primary forest (and every payer) as indexes 0..n-1, with parent links.

    `parent[i]` is the client who brought client i in (-1: nobody, or a channel did); `channel_top[i]`
    says a channel brought it in. `steps[i]` counts the client links up to the top client of i's chain,
    `level[i]` adds one when a channel stands above that top (a channel is level 0, as in
    analysis.network_graph).
    """

    def __init__(self, cols: Columns) -> None:
        m = len(cols.brought_in)
        known = Ids(cols.brought_in)
        extra: dict[Key, int] = {}  # clients outside `brought_in`: tops of chains, payers with no source
        more: list[Key] = []

        def number(column: KeyColumn, found: Ints, wanted: Ints) -> Ints:
            for k in np.flatnonzero((found < 0) & wanted).tolist():
                key = as_key(column[k])
                at = extra.get(key)
                if at is None:
                    at = extra[key] = m + len(more)
                    more.append(key)
                found[k] = at
            return found

        from_client = np.asarray(cols.from_client, np.bool_)
        up = number(cols.sources, np.where(from_client, known.lookup(cols.sources), -1), from_client)
        self.payer = number(cols.payers, known.lookup(cols.payers), np.ones(len(cols.payers), np.bool_))
        n = m + len(more)
        self.ids = _Keys(cols.brought_in, more)
        self._known, self._extra = known, extra
        parent = np.full(n, -1, np.int64)
        parent[:m] = up
        channel = np.zeros(n, np.bool_)
        channel[:m] = ~from_client
        self.parent, self.channel = parent, channel
        self.referred = np.bincount(parent[parent >= 0], minlength=n).astype(np.int64)
        self.steps, self.top = _climb(parent)
        self.level = self.steps + channel[self.top]
        self._by_steps: list[Ints] | None = None

    @property
    def numbered(self) -> bool:
        """Whether the clients' keys are node numbers (else they are the ids)."""
        return self._known.numbers

    def find(self, client: Key) -> int | None:
        """The index of a client (by its key), or None when it is not in the forest."""
        at = int(self._known.lookup([client])[0])
        return at if at >= 0 else self._extra.get(client)

    def find_all(self, client_ids: KeyColumn) -> Ints:
        """The index of each client, -1 for those not in the forest."""
        at = self._known.lookup(client_ids)
        if self._extra:
            for k in np.flatnonzero(at < 0).tolist():
                at[k] = self._extra.get(as_key(client_ids[k]), -1)
        return at

    def __len__(self) -> int:
        return len(self.ids)

    def downline(self, own: Ints | None, depth: int | None) -> tuple[Ints, Ints]:
        """Per client: how many clients it brought in through primary sources, directly or not (all
        levels, or within `depth`), and their revenue (`own`: each client's own, in one currency)."""
        n = len(self)
        reach = np.zeros(n, np.int64)
        paid = np.zeros(n, np.int64)
        own = np.zeros(n, np.int64) if own is None else own
        deepest = int(self.steps.max()) if n else 0
        if depth is None or depth >= deepest:
            for nodes in self._levels()[:0:-1]:  # the deepest clients first, up to level 1
                up = self.parent[nodes]
                np.add.at(reach, up, 1 + reach[nodes])
                np.add.at(paid, up, own[nodes] + paid[nodes])
            return reach, paid
        nodes = np.flatnonzero(self.parent >= 0)
        above = self.parent[nodes]
        for _ in range(depth):
            np.add.at(reach, above, 1)
            np.add.at(paid, above, own[nodes])
            higher = self.parent[above]
            keep = higher >= 0
            nodes, above = nodes[keep], higher[keep]
            if not len(nodes):
                break
        return reach, paid

    def _levels(self) -> list[Ints]:
        """The clients at 0, 1, 2, … client links below the top of their chain."""
        if self._by_steps is None:
            order = np.argsort(self.steps, kind="stable")
            bounds = np.searchsorted(self.steps[order], np.arange(int(self.steps.max(initial=0)) + 2))
            self._by_steps = [order[bounds[k] : bounds[k + 1]] for k in range(len(bounds) - 1)]
        return self._by_steps

    def own(self, cols: Columns) -> dict[str, Ints]:
        """Each client's own revenue per currency (refunds netted), as arrays over the forest."""
        out: dict[str, Ints] = {}
        if not len(cols.payers):
            return out
        payer = self.payer
        amount = np.fromiter(cols.amounts, np.int64, len(cols.amounts))
        codes = np.array(cols.currencies)
        for currency in sorted(set(cols.currencies)):
            pick = codes == currency
            total = np.zeros(len(self), np.int64)
            np.add.at(total, payer[pick], amount[pick])
            out[currency] = total
        return out


class Ids:
    """Distinct ids numbered by position, looked up a column at a time.

    A million lookups in a dict of a million fresh strings cost about a second (each a cache miss);
    here the ids become fixed-width bytes, hashed to 64 bits in a few vectorized passes, and a column is
    looked up by binary search over the sorted hashes, each hit confirmed byte for byte. When two ids
    share a hash (or an id is not ASCII) it falls back to the dict: the answer is the same either way.
    Node numbers (integer keys) are searched as sorted integers directly.
    """

    def __init__(self, ids: KeyColumn) -> None:
        self.ids = ids
        self.index: dict[Key, int] | None = None
        self.numbers = len(ids) > 0 and isinstance(ids[0], int | np.integer)
        if self.numbers:  # node numbers: searched as sorted integers, no hashing
            numbers = np.asarray(ids, np.int64)
            self.order = np.argsort(numbers, kind="stable")
            self.sorted_numbers = numbers[self.order]
            if len(ids) > 1 and bool((self.sorted_numbers[1:] == self.sorted_numbers[:-1]).any()):
                raise ValueError("a client has two primary recommendations")
            # Numbers dense enough (a store numbers its nodes from 0): a table from number to position,
            # looked up directly; else a binary search.
            self.table: Ints | None = None
            low, high = int(self.sorted_numbers[0]), int(self.sorted_numbers[-1])
            if low >= 0 and high < 4 * len(ids) + 1024:
                self.table = np.full(high + 1, -1, np.int64)
                self.table[numbers] = np.arange(len(ids), dtype=np.int64)
            return
        try:
            self.raw = as_bytes(ids) if len(ids) else np.array([], dtype="S1")
        except UnicodeEncodeError:
            self._fall_back()
            return
        hashes = _hash(self.raw)
        self.order = np.argsort(hashes, kind="stable")
        self.sorted = hashes[self.order]
        if len(ids) > 1 and bool((self.sorted[1:] == self.sorted[:-1]).any()):
            self._fall_back()

    def _fall_back(self) -> None:
        self.index = dict(zip(map(as_key, self.ids), range(len(self.ids)), strict=True))
        if len(self.index) != len(self.ids):
            raise ValueError("a client has two primary recommendations")

    def lookup(self, wanted: KeyColumn) -> Ints:
        """Each wanted id's position among the ids, or -1."""
        if self.index is not None:
            return np.fromiter(map(self.index.get, map(as_key, wanted), repeat(-1)), np.int64, len(wanted))
        if not len(wanted) or not len(self.ids):
            return np.full(len(wanted), -1, np.int64)
        if self.numbers:
            needles = np.asarray(wanted, np.int64)
            if self.table is not None:
                found = np.full(len(needles), -1, np.int64)
                inside = (needles >= 0) & (needles < len(self.table))
                found[inside] = self.table[needles[inside]]
                return found
            order = np.argsort(needles, kind="stable")  # searched in order: the searches walk memory forwards
            at = np.empty(len(needles), np.int64)
            at[order] = np.minimum(np.searchsorted(self.sorted_numbers, needles[order]), len(self.ids) - 1)
            return np.where(self.sorted_numbers[at] == needles, self.order[at], -1)
        try:
            raw = as_bytes(wanted)
        except UnicodeEncodeError:  # such an id is not among the ASCII ones: look the column up by dict
            self._fall_back()
            return self.lookup(wanted)
        width = max(raw.dtype.itemsize, self.raw.dtype.itemsize)
        hashes = _hash(raw.astype(f"S{width}"))
        needles = np.argsort(hashes)  # searched in order, the binary searches walk memory forwards
        at = np.empty(len(hashes), np.int64)
        at[needles] = np.minimum(np.searchsorted(self.sorted, hashes[needles]), len(self.sorted) - 1)
        candidate = self.order[at]
        hit = (self.sorted[at] == hashes) & (self.raw[candidate] == raw)
        return np.where(hit, candidate, -1)


def as_key(value: Key) -> Key:
    """A key as the rest of the code names it: an id from a fixed-width column as text."""
    return value.decode("ascii") if isinstance(value, bytes) else value


def as_bytes(column: KeyColumn) -> npt.NDArray[np.bytes_]:
    """Ids as fixed-width bytes (UnicodeEncodeError when one is not ASCII)."""
    if isinstance(column, np.ndarray) and column.dtype.kind == "S":
        return column
    return np.array(column, dtype=np.bytes_)


class _Keys:
    """The forest's clients by index: the primary recommendations' clients, then the rest."""

    def __init__(self, brought_in: KeyColumn, more: list[Key]) -> None:
        self.brought_in, self.more, self.m = brought_in, more, len(brought_in)

    def __len__(self) -> int:
        return self.m + len(self.more)

    def __getitem__(self, i: int) -> Key:
        return as_key(self.brought_in[i]) if i < self.m else self.more[i - self.m]


def key_list(column: KeyColumn) -> list[Key]:
    """A key column as a list of keys (ids as text)."""
    if isinstance(column, np.ndarray):
        return [as_key(v) for v in column.tolist()] if column.dtype.kind == "S" else column.tolist()
    return list(column)


def _hash(raw: npt.NDArray[np.bytes_]) -> npt.NDArray[np.uint64]:
    """A 64-bit hash of each fixed-width byte string (zero-padded to whole words), a word at a time."""
    words = (raw.dtype.itemsize + 7) // 8
    grid = np.zeros((len(raw), words * 8), np.uint8)
    grid[:, : raw.dtype.itemsize] = raw.view(np.uint8).reshape(len(raw), raw.dtype.itemsize)
    columns = grid.view(np.uint64)
    h = np.full(len(raw), words, np.uint64)
    for j in range(words):
        h = (h ^ columns[:, j]) * np.uint64(0x9E3779B97F4A7C15)
        h ^= h >> np.uint64(29)
    return h


def climb(parent: Ints) -> tuple[Ints, Ints, npt.NDArray[np.bool_]]:
    """For every node (`parent[i]`: its parent, -1 for none): its distance to the top of its tree, that
    top, and whether the top was reached, by pointer doubling (each round every node looks twice as far
    up, so a chain of L steps takes log2(L) rounds). A node on a ring, or below one, never reaches a top:
    64 rounds (2**64 steps, more than any forest holds) end the walk there, not in a loop."""
    n = len(parent)
    steps = (parent >= 0).astype(np.int64)
    top = np.where(parent >= 0, parent, np.arange(n))
    jump = parent.copy()
    live = np.flatnonzero(jump >= 0)
    for _ in range(64):
        if not len(live):
            break
        via = jump[live]
        steps[live] += steps[via]
        top[live] = top[via]
        jump[live] = jump[via]
        live = live[jump[live] >= 0]
    return steps, top, jump < 0


def _climb(parent: Ints) -> tuple[Ints, Ints]:
    """`climb` for the primary forest, which holds no ring (the service refuses every one)."""
    steps, top, ended = climb(parent)
    if not ended.all():
        raise ValueError("the primary recommendations close a ring")
    return steps, top


class Paid:
    """Every (client, currency) that has deals (whatever their total), as sorted numbers `client index ×
    number of currencies + the currency's place in code order`: a million deals in a few array passes,
    where a set of (key, currency) pairs and a Counter over it took ~0.2 s."""

    def __init__(self, forest: Forest, cols: Columns) -> None:
        self.names = sorted(set(cols.currencies))
        place = {cur: k for k, cur in enumerate(self.names)}
        codes = np.fromiter(map(place.__getitem__, cols.currencies), np.int64, len(cols.currencies))
        self.pairs = np.unique(forest.payer * len(self.names) + codes)
        counts = np.bincount(self.pairs % len(self.names), minlength=len(self.names)) if self.names else []
        # every currency paid in, by how many clients paid in it, then by code (analysis.currencies)
        self.currencies = [self.names[k] for k in sorted(range(len(self.names)), key=lambda k: (-counts[k], k))]

    def paid(self, client: int, currency: str) -> bool:
        """Whether the client (its index in the forest) has deals in the currency."""
        if currency not in self.names:
            return False
        code = client * len(self.names) + self.names.index(currency)
        at = int(np.searchsorted(self.pairs, code))
        return at < len(self.pairs) and int(self.pairs[at]) == code


def _first(keys: list[Keyed], k: int, forest: Forest, named: Named) -> list[tuple[str, str, int]]:
    """The k best of (numeric key, node) pairs (smaller is better), ties broken by name then id: names
    are read for the pairs ahead of the k-th and for every pair tied with it. Returns (id, name, node)."""
    keys.sort()
    if len(keys) > k:
        last = keys[k - 1][0]
        end = k
        while end < len(keys) and keys[end][0] == last:
            end += 1
        keys = keys[:end]
    found = named([forest.ids[i] for _, i in keys])
    ranked = sorted((key, *reversed(found[forest.ids[i]]), i) for key, i in keys)  # key, name, id, node
    return [(cid, name, i) for _, name, cid, i in ranked[:k]]


def _ahead(first: Ints, second: Ints, k: int) -> npt.NDArray[np.bool_]:
    """Which pairs (first, second) could be among the k largest (larger first, then larger second):
    those at least as large as the k-th largest, ties included."""
    if len(first) <= k:
        return np.ones(len(first), np.bool_)
    kth = np.lexsort((-second, -first))[k - 1]
    return (first > first[kth]) | ((first == first[kth]) & (second >= second[kth]))


def summarize(cols: Columns, named: Named, depth: int | None = None, prolific: int = 10) -> Summary:
    """analysis.summarize from columns: the same Summary, field for field."""
    forest = Forest(cols)
    primaries = len(cols.brought_in)
    from_referral = primaries - int(forest.channel.sum())
    reach, _ = forest.downline(None, depth)
    level = forest.level
    deepest = int(level.max(initial=0))
    longest_client = None
    if deepest:  # the greatest id among the deepest clients, as the snapshot path picks it
        keys = [forest.ids[i] for i in np.flatnonzero(level == deepest)]
        # by number, their ids are read: only then (a shallow network has many clients at its deepest)
        longest_client = max(cid for cid, _ in named(keys).values()) if forest.numbered else max(keys)
    by_level = np.bincount(level, minlength=deepest + 1).tolist() if len(forest) else [0]
    by_level[0] = cols.clients - primaries  # the forest holds only some of the clients without a source
    referrers = np.flatnonzero(forest.referred)
    ahead = _ahead(forest.referred[referrers], reach[referrers], prolific)
    keys = [((-int(forest.referred[i]), -int(reach[i])), int(i)) for i in referrers[ahead]]
    top = _first(keys, prolific, forest, named)
    revenue = dict(cols.revenue) if cols.revenue is not None else {}
    if cols.revenue is None:
        for amount, currency in zip(cols.amounts, cols.currencies, strict=True):
            revenue[currency] = revenue.get(currency, 0) + amount
    return Summary(
        clients=cols.clients,
        channels=cols.channels,
        primary_referrals=primaries,
        secondary_referrals=cols.referrals - primaries,
        from_referral=from_referral,
        from_channel=primaries - from_referral,
        direct=cols.clients - primaries,
        dead_ends=cols.clients - len(referrers),
        longest_chain=deepest,
        longest_chain_client=longest_client,
        clients_by_level=by_level if cols.clients else [0],
        revenue=dict(sorted(revenue.items())),
        prolific=[(cid, name, int(forest.referred[i]), int(reach[i])) for cid, name, i in top],
    )


def key_clients(
    cols: Columns,
    named: Named,
    first_by_name: FirstByName,
    currency: str | None = None,
    weights: Weights | None = None,
    depth: int | None = None,
    limit: int = 20,
) -> tuple[str | None, list[str], list[KeyClient]]:
    """analysis.key_clients from columns: the same ranking, score for score and tie for tie; also every
    currency paid in, main first (analysis.currencies)."""
    weights = weights or Weights()
    forest = Forest(cols)
    paid = Paid(forest, cols)
    paid_in = paid.currencies
    currency = currency or next(iter(paid_in), None)
    own = forest.own(cols)
    down = {cur: forest.downline(own[cur], depth) for cur in paid_in}
    reach, dl = down[currency] if currency in down else forest.downline(None, depth)
    mine = own[currency] if currency in own else np.zeros(len(forest), np.int64)
    own_c, dl_c = np.maximum(mine, 0), np.maximum(dl, 0)
    top_own = int(own_c.max(initial=0)) or 1
    top_dl = int(dl_c.max(initial=0)) or 1
    top_reach = int(reach.max(initial=0)) or 1
    score = weights.own * own_c / top_own + weights.downline * dl_c / top_dl + weights.reach * reach / top_reach

    def rounded(i: int) -> float:  # exactly the snapshot path's arithmetic, in Python floats
        return round(
            weights.own * int(own_c[i]) / top_own
            + weights.downline * int(dl_c[i]) / top_dl
            + weights.reach * int(reach[i]) / top_reach,
            6,
        )

    candidates = np.flatnonzero((score > 0) | (reach > 0))
    if len(candidates) > limit:  # only those that could reach the top `limit` once rounded
        kth = np.partition(score[candidates], len(candidates) - limit)[len(candidates) - limit]
        chosen = candidates[score[candidates] >= kth - _ROUNDING]
    else:
        chosen = candidates
    keys = [((-rounded(i), -int(reach[i])), int(i)) for i in chosen]
    positive = [kv for kv in keys if kv[0] != (0.0, 0)]
    if len(positive) < limit and len(chosen) < len(candidates):  # rounding left too few: take them all
        keys = [((-rounded(i), -int(reach[i])), int(i)) for i in candidates]
        positive = [kv for kv in keys if kv[0] != (0.0, 0)]
    ranked = _first(positive, limit, forest, named)
    key_of = {cid: forest.ids[i] for cid, _, i in ranked}
    rows = [
        KeyClient(
            cid,
            name,
            rounded(i),
            int(own_c[i]),
            int(dl_c[i]),
            int(reach[i]),
            int(forest.referred[i]),
        )
        for cid, name, i in ranked
    ]
    if len(rows) < limit:  # the rest score 0 with no reach: by name, then id
        shown = {r.client_id for r in rows}
        for key, cid, name in sorted(first_by_name(limit), key=lambda r: (r[2], r[1])):
            if len(rows) == limit:
                break
            if cid not in shown:  # a tiny own revenue may still round to a score of 0
                i = forest.find(key)
                key_of[cid] = key
                rows.append(KeyClient(cid, name, 0.0, int(own_c[i]) if i is not None else 0, 0, 0, 0))

    def by_currency(k: KeyClient) -> KeyClient:
        key = key_of[k.client_id]
        i = forest.find(key)
        if i is None:
            return k
        own_paid = {cur: int(total[i]) for cur, total in own.items() if paid.paid(i, cur)}
        below = {cur: int(d[1][i]) for cur, d in down.items() if d[1][i]}
        return replace(k, own_by_currency=own_paid, downline_by_currency=below)

    return currency, paid_in, [by_currency(k) for k in rows]
