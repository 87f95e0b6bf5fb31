"""A workspace for the network page's browser tests: a named 8-level chain and a 5,000-client tree."""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import date, timedelta

from referrals.model import (
    ChannelInput,
    ClientInput,
    ClientStatus,
    DealInput,
    ReferralInput,
    SourceKind,
    SourceRef,
)
from referrals.money import Money
from referrals.store import Store

# The story tree: the newsletter brought Ana, who started a chain eight people long.
CHAIN = ["Ana Lima", "Bruno Costa", "Carla Dias", "Duarte Reis", "Eva Matos", "Filipe Rocha", "Gina Sousa", "Hugo Vaz"]
SIDE = {"Ana Lima": ["Iris Nunes"], "Bruno Costa": ["Joana Pires", "Kiko Alves"], "Carla Dias": ["Luis Moura"]}
INACTIVE = {"Kiko Alves"}
DEALS = {"Ana Lima": 120_000, "Bruno Costa": 45_000, "Carla Dias": 30_000, "Joana Pires": 9_950, "Hugo Vaz": 5_000}
START = date(2025, 1, 6)


@dataclass
class Seeded:
    """Ids of what was written."""

    ws: str
    newsletter: str
    podcast: str
    clients: dict[str, str] = field(default_factory=dict)  # name -> id
    big_size: int = 0


def seed(store: Store, ws: str, big: int = 5000) -> Seeded:
    """Write the story tree under "Spring newsletter" and a `big`-client tree (7 levels) under "Podcast"."""
    newsletter = store.create_channel(ws, ChannelInput(name="Spring newsletter")).id
    podcast = store.create_channel(ws, ChannelInput(name="Podcast")).id
    names = CHAIN + [n for side in SIDE.values() for n in side]
    rows = [
        ClientInput(
            name=n,
            email=f"{n.split()[0].lower()}@example.com",
            external_id=f"story-{i}",
            status=ClientStatus.INACTIVE if n in INACTIVE else ClientStatus.ACTIVE,
        )
        for i, n in enumerate(names)
    ]
    ids = dict(zip(names, store.upsert_clients(ws, rows).ids, strict=True))
    refs = [ReferralInput(SourceRef(SourceKind.CHANNEL, newsletter), ids[CHAIN[0]], START)]
    for i, (up, down) in enumerate(zip(CHAIN, CHAIN[1:], strict=False)):
        refs.append(
            ReferralInput(SourceRef(SourceKind.CLIENT, ids[up]), ids[down], START + timedelta(days=7 * (i + 1)))
        )
    for up, downs in SIDE.items():
        for j, down in enumerate(downs):
            refs.append(ReferralInput(SourceRef(SourceKind.CLIENT, ids[up]), ids[down], START + timedelta(days=3 + j)))
    store.add_referrals(ws, refs)
    store.upsert_deals(
        ws,
        [
            DealInput(ids[n], Money(minor, "EUR"), START + timedelta(days=60), external_id=f"story-deal-{n}")
            for n, minor in DEALS.items()
        ],
    )
    seeded = Seeded(ws, newsletter, podcast, ids)
    if big:
        _big_tree(store, ws, podcast, big)
        seeded.big_size = big
    return seeded


def _big_tree(store: Store, ws: str, channel: str, n: int) -> None:
    rnd = random.Random(7)
    rows = [ClientInput(name=f"Listener {i:04d}", external_id=f"big-{i}") for i in range(n)]
    ids = store.upsert_clients(ws, rows).ids
    level = [0] * n
    refs = []
    for i in range(n):
        if i < 12:
            level[i] = 1
            refs.append(ReferralInput(SourceRef(SourceKind.CHANNEL, channel), ids[i], START))
            continue
        while True:
            p = rnd.randrange(i)
            if level[p] < 7:
                break
        level[i] = level[p] + 1
        refs.append(ReferralInput(SourceRef(SourceKind.CLIENT, ids[p]), ids[i], START + timedelta(days=level[i])))
    store.add_referrals(ws, refs)
    deals = [
        DealInput(ids[i], Money(rnd.randrange(1_000, 200_000), "EUR"), START + timedelta(days=30), external_id=f"bd{i}")
        for i in range(0, n, 3)
    ]
    store.upsert_deals(ws, deals)


@dataclass
class Small:
    """Ids of the small two-currency network."""

    ws: str
    channels: dict[str, str] = field(default_factory=dict)  # name -> id
    clients: dict[str, str] = field(default_factory=dict)


# Five trees: Blog (Ada > Ben > Cy, Ada > Dee), Instagram (Eli > Fay), Gus and Hal came in directly, and an
# ad nobody came through. Cy paid in USD only; Gus too.
SMALL_DEALS = {
    "Ada": (10_000, "EUR"),
    "Ben": (5_000, "EUR"),
    "Cy": (70_000, "USD"),
    "Eli": (2_000, "EUR"),
    "Gus": (500, "USD"),
    "Hal": (900, "EUR"),
}


def seed_small(store: Store, ws: str) -> Small:
    """The small network of two currencies and five trees (README "The network page")."""
    small = Small(ws)
    for name in ("Blog", "Instagram", "Unused ad"):
        small.channels[name] = store.create_channel(ws, ChannelInput(name=name)).id
    names = ["Ada", "Ben", "Cy", "Dee", "Eli", "Fay", "Gus", "Hal"]
    small.clients = dict(
        zip(
            names,
            store.upsert_clients(ws, [ClientInput(name=n, external_id=f"small-{n}") for n in names]).ids,
            strict=True,
        )
    )
    c, ch = small.clients, small.channels
    links = [
        (SourceRef(SourceKind.CHANNEL, ch["Blog"]), "Ada"),
        (SourceRef(SourceKind.CLIENT, c["Ada"]), "Ben"),
        (SourceRef(SourceKind.CLIENT, c["Ben"]), "Cy"),
        (SourceRef(SourceKind.CLIENT, c["Ada"]), "Dee"),
        (SourceRef(SourceKind.CHANNEL, ch["Instagram"]), "Eli"),
        (SourceRef(SourceKind.CLIENT, c["Eli"]), "Fay"),
    ]
    store.add_referrals(
        ws, [ReferralInput(src, c[who], START + timedelta(days=i)) for i, (src, who) in enumerate(links)]
    )
    store.upsert_deals(
        ws,
        [
            DealInput(c[n], Money(minor, cur), START + timedelta(days=30), external_id=f"small-{n}")
            for n, (minor, cur) in SMALL_DEALS.items()
        ],
    )
    return small
