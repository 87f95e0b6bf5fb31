"""More than one machine: the API keeps no state in a process, so two gunicorn instances on one Neo4j (and
several worker processes on one embedded file) stay right under a concurrent storm.

Every request goes to an instance picked at random, all released together:
* rings closing from both sides: A->B, B->C, ..., last->A, each edge through another instance: exactly one
  is refused, and the graph stays acyclic with one primary source per client;
* the same Idempotency-Key sent to every instance at once: one client is created and every answer that
  is not "still in progress, retry" carries its id;
* deals posted into a month while a third process (the CLI's path) closes it: every deal written is in
  the month's frozen facts, and every deal refused was refused because the month was closed.
"""

from __future__ import annotations

import http.client
import json
import random
import threading
from collections.abc import Callable, Iterator
from contextlib import ExitStack
from dataclasses import dataclass
from datetime import date
from functools import partial
from pathlib import Path
from typing import Any

import networkx as nx
import pytest

from graph import open_store
from referrals.access import Role, hash_secret, new_secret
from referrals.model import ClientQuery, DealQuery
from referrals.store import Store
from tests.conftest import unique
from tests.serving import gunicorn

ROUNDS = 6


@dataclass
class Fleet:
    """The instances' ports, the store they share (for checks and the month close) and a token."""

    ports: list[int]
    store: Store
    ws: str
    token: str

    def call(self, port: int, method: str, path: str, body: Any = None, key: str | None = None) -> tuple[int, Any]:
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
        headers = {"Authorization": f"Bearer {self.token}", "Content-Type": "application/json"}
        if key:
            headers["Idempotency-Key"] = key
        conn.request(method, "/api/v1" + path, body=None if body is None else json.dumps(body), headers=headers)
        resp = conn.getresponse()
        status, data = resp.status, resp.read()
        conn.close()
        return status, json.loads(data) if data else None

    def anywhere(self, rng: random.Random) -> int:
        return rng.choice(self.ports)


def storm(calls: list[Callable[[], Any]]) -> list[Any]:
    """Run the calls in threads released together; their results in order."""
    barrier = threading.Barrier(len(calls))
    results: list[Any] = [None] * len(calls)
    errors: list[BaseException] = []

    def run(i: int) -> None:
        barrier.wait()
        try:
            results[i] = calls[i]()
        except BaseException as e:
            errors.append(e)

    threads = [threading.Thread(target=run, args=(i,)) for i in range(len(calls))]
    for t in threads:
        t.start()
    for t in threads:
        t.join(120)
    assert not errors, errors
    return results


def _fleet(url: str, tmp: Path, instances: int, workers: int) -> Iterator[Fleet]:
    store = open_store(url)
    store.init_schema()
    ws = store.create_workspace(unique("fleet")).id
    token = new_secret()
    store.create_token(ws, Role.EDITOR, "storm", hash_secret(token))
    with ExitStack() as stack:
        ports = [
            stack.enter_context(gunicorn(url, tmp / f"instance-{i}.log", workers=workers)) for i in range(instances)
        ]
        yield Fleet(ports, store, ws, token)
    store.close()


@pytest.fixture(params=["neo4j", "sqlite"], ids=["neo4j", "sqlite"])
def fleet(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Fleet]:
    """Two instances of two workers each on the suite's Neo4j; one instance of three workers on a file."""
    if request.param == "neo4j":
        yield from _fleet(request.getfixturevalue("neo4j_url"), tmp_path, instances=2, workers=2)
    else:
        yield from _fleet(f"sqlite:///{tmp_path / 'shared.db'}", tmp_path, instances=1, workers=3)


def _clients(fleet: Fleet, prefix: str, n: int) -> list[str]:
    return [fleet.call(fleet.ports[0], "POST", "/clients", {"name": f"{prefix}{i}"})[1]["id"] for i in range(n)]


def test_rings_closing_from_both_sides_never_leave_a_cycle(fleet: Fleet) -> None:
    rng = random.Random(5)
    for round_no in range(ROUNDS):
        ring = 2 + round_no % 3
        ids = _clients(fleet, f"r{round_no}-", ring)
        calls = [
            partial(
                fleet.call,
                fleet.anywhere(rng),
                "POST",
                "/referrals",
                {"source_id": ids[i], "client_id": ids[(i + 1) % ring], "referred_on": "2025-01-01"},
            )
            for i in range(ring)
        ]
        statuses = [status for status, _ in storm(calls)]
        assert sorted(statuses) == [201] * (ring - 1) + [409], statuses
    g = nx.DiGraph()
    primaries: list[str] = []
    for r in fleet.store.list_referrals(fleet.ws):
        g.add_edge(r.source.id, r.client_id)
        if r.primary:
            primaries.append(r.client_id)
    assert nx.is_directed_acyclic_graph(g)
    assert len(primaries) == len(set(primaries)) == g.number_of_edges()


def test_one_idempotency_key_sent_to_every_instance_writes_once(fleet: Fleet) -> None:
    for round_no in range(ROUNDS):
        key = f"storm-{round_no}-{new_secret()[:8]}"
        body = {"name": f"Once {round_no}", "email": f"once{round_no}@example.org"}
        # three requests per instance, all with the key
        answers = storm([partial(fleet.call, port, "POST", "/clients", body, key) for port in fleet.ports * 3])
        made = {data["id"] for status, data in answers if status == 201}
        assert len(made) == 1, answers
        assert all(status in (201, 409) for status, _ in answers), answers  # 409: in progress, retry
        # once the first answer is stored, every retry replays it
        status, data = fleet.call(fleet.ports[-1], "POST", "/clients", body, key)
        assert (status, data["id"]) == (201, made.pop())
    clients = fleet.store.list_clients(fleet.ws, ClientQuery(limit=500)).items
    assert sorted(c.name for c in clients if c.name.startswith("Once ")) == sorted(f"Once {i}" for i in range(ROUNDS))


def test_no_deal_slips_into_a_month_closed_from_another_process(fleet: Fleet) -> None:
    rng = random.Random(7)
    (payer,) = _clients(fleet, "payer", 1)
    for round_no in range(ROUNDS):
        month = f"2023-{round_no + 1:02d}"
        day = date(2023, round_no + 1, 15)
        deal = {"client_id": payer, "amount": "1.00", "currency": "EUR", "closed_on": day.isoformat()}
        posts = [partial(fleet.call, fleet.anywhere(rng), "POST", "/deals", deal) for _ in range(6)]
        *answers, _ = storm([*posts, partial(fleet.store.close_month, fleet.ws, month)])
        written = {data["id"] for status, data in answers if status == 201}
        refused = [data for status, data in answers if status != 201]
        assert all(status in (201, 409) for status, _ in answers), answers
        assert all("closed" in json.dumps(data) for data in refused), refused
        frozen, closed = fleet.store.month_facts(fleet.ws, month)
        assert closed is not None
        assert {d.id for d, _ in frozen.deals} == written
        in_store = fleet.store.list_deals(fleet.ws, DealQuery(closed_from=day, closed_to=day, limit=100))
        assert {d.id for d in in_store.items} == written
