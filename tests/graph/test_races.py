"""Writers in separate processes, released together: no edit is lost and no upsert is refused.

Each worker process opens its own store from the same URL (a separate SQLite connection to the same
file, or a separate Neo4j driver), the way gunicorn workers do. A barrier releases every worker of a
round at once; the whole test is bounded by the barrier's and the pool's timeouts.
"""

from __future__ import annotations

import multiprocessing as mp
from collections.abc import Callable
from typing import Any

import pytest

from graph import open_store
from referrals.model import ChannelInput, ChannelKind, ChannelPatch, ClientInput, ClientPatch, ClientQuery
from referrals.store import Store
from tests.conftest import unique

ROUNDS = 20
WORKERS = 4
TIMEOUT = 60

# Worker i changes field i of the record of the round: each PATCH names one field only.
CLIENT_PATCHES: list[Callable[[int], ClientPatch]] = [
    lambda k: ClientPatch(notes=f"notes {k}"),
    lambda k: ClientPatch(tags=(f"tag{k}",)),
    lambda k: ClientPatch(email=f"c{k}@example.com"),
    lambda k: ClientPatch(external_id=f"ext-{k}"),
]
CHANNEL_PATCHES: list[Callable[[int], ChannelPatch]] = [
    lambda k: ChannelPatch(notes=f"notes {k}"),
    lambda k: ChannelPatch(url=f"https://example.com/{k}"),
    lambda k: ChannelPatch(kind=ChannelKind.BLOG),
    lambda k: ChannelPatch(external_id=f"ext-{k}"),
]


def _worker(url: str, ws: str, job: str, index: int, ids: list[str], barrier: Any) -> list[str]:
    """Run one worker's share of every round; return the errors it met (as text)."""
    store = open_store(url)
    errors: list[str] = []
    try:
        for k, record_id in enumerate(ids):
            barrier.wait(TIMEOUT)
            try:
                if job == "client":
                    store.update_client(ws, record_id, CLIENT_PATCHES[index](k))
                elif job == "channel":
                    store.update_channel(ws, record_id, CHANNEL_PATCHES[index](k))
                else:  # upsert: every worker sends the same external id in the same round
                    store.upsert_clients(ws, [ClientInput(name=f"worker {index}", external_id=record_id)])
            except Exception as e:  # reported to the parent, which fails the test
                errors.append(f"{job} round {k} worker {index}: {type(e).__name__}: {e}")
    finally:
        store.close()
    return errors


def _race(url: str, ws: str, job: str, ids: list[str]) -> list[str]:
    ctx = mp.get_context("spawn")
    with ctx.Manager() as manager:
        barrier = manager.Barrier(WORKERS)
        with ctx.Pool(WORKERS) as pool:
            results = [pool.apply_async(_worker, (url, ws, job, i, ids, barrier)) for i in range(WORKERS)]
            return [e for r in results for e in r.get(TIMEOUT * 3)]


@pytest.fixture
def url(store: Store, request: pytest.FixtureRequest) -> str:
    """The URL a worker process opens the store under test by."""
    if store.kind == "sqlite":
        return f"sqlite:///{store.path}"  # type: ignore[attr-defined]
    return str(request.getfixturevalue("neo4j_url"))


def test_concurrent_patches_of_different_fields_all_land(store: Store, url: str) -> None:
    ws = store.create_workspace(unique("race")).id
    clients = [store.create_client(ws, ClientInput(name=f"client {k}")).id for k in range(ROUNDS)]
    channels = [store.create_channel(ws, ChannelInput(name=f"channel {k}")).id for k in range(ROUNDS)]
    assert _race(url, ws, "client", clients) == []
    assert _race(url, ws, "channel", channels) == []
    lost = []
    for k, cid in enumerate(clients):
        c = store.get_client(ws, cid)
        if (c.notes, c.tags, c.email, c.external_id) != (f"notes {k}", (f"tag{k}",), f"c{k}@example.com", f"ext-{k}"):
            lost.append(c)
    for k, chid in enumerate(channels):
        ch = store.get_channel(ws, chid)
        if (ch.notes, ch.url, ch.kind, ch.external_id) != (
            f"notes {k}",
            f"https://example.com/{k}",
            ChannelKind.BLOG,
            f"ext-{k}",
        ):
            lost.append(ch)
    assert lost == [], f"{len(lost)} of {2 * ROUNDS} records lost a concurrent edit"


def test_concurrent_upserts_of_one_external_id_update_instead_of_conflicting(store: Store, url: str) -> None:
    ws = store.create_workspace(unique("race")).id
    keys = [f"crm-{k}" for k in range(ROUNDS)]
    assert _race(url, ws, "upsert", keys) == []
    page = store.list_clients(ws, ClientQuery(limit=500))
    assert sorted(c.external_id or "" for c in page.items) == sorted(keys)
