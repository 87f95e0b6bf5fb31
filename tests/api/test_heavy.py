"""Heavy reads are computed once per change of the workspace, shared by twins, and bounded."""

from __future__ import annotations

import threading

import pytest

from api.errors import ApiError
from api.heavy import HeavyReads
from tests.api.conftest import Api

HEAVY = ["/network/summary", "/network/key-clients", "/network/export?format=dot"]


def _seed(api: Api) -> None:
    ana = api.client_id("Ana")
    for name in ("Bruno", "Carla"):
        cid = api.client_id(name)
        api.ok(api.post("/referrals", {"source_id": ana, "client_id": cid, "referred_on": "2024-01-02"}), 201)
        api.ok(
            api.post("/deals", {"client_id": cid, "amount": "10.00", "currency": "EUR", "closed_on": "2024-02-01"}), 201
        )


@pytest.mark.parametrize("path", HEAVY)
def test_a_repeat_is_served_from_cache_until_the_workspace_changes(api: Api, path: str) -> None:
    _seed(api)
    sent = api.store.query_count
    first = api.get(path)
    cold = api.store.query_count - sent
    sent = api.store.query_count
    again = api.get(path)
    assert api.store.query_count - sent == 1  # the token, read with its workspace's revision: no snapshot
    assert again.get_data() == first.get_data()
    api.client_id("Dora")
    changed = api.get(path)
    assert changed.status_code == 200 and changed.get_data() != first.get_data()
    assert cold > 1


def test_every_kind_of_write_invalidates(api: Api) -> None:
    _seed(api)
    summary = lambda: api.ok(api.get("/network/summary"))  # noqa: E731
    before = summary()
    ana = next(c for c in api.ok(api.get("/clients"))["items"] if c["name"] == "Ana")
    api.ok(api.patch(f"/clients/{ana['id']}", json={"status": "inactive"}))
    dora = api.client_id("Dora")
    assert summary()["clients"] == before["clients"] + 1
    api.ok(api.post("/referrals", {"source_id": ana["id"], "client_id": dora, "referred_on": "2024-03-01"}), 201)
    assert summary()["primary_referrals"] == before["primary_referrals"] + 1
    api.ok(api.post("/deals", {"client_id": dora, "amount": "5.00", "currency": "EUR", "closed_on": "2024-03-02"}), 201)
    assert summary()["revenue"] != before["revenue"]


def test_ten_identical_requests_at_once_compute_once(api: Api) -> None:
    _seed(api)
    sent = api.store.query_count
    api.get("/network/key-clients?limit=5")
    cold = api.store.query_count - sent
    api.client_id("Eva")  # a new revision: the next ten are cold again
    barrier, answers = threading.Barrier(10), []

    def call() -> None:
        client = api.app.test_client()
        barrier.wait()
        resp = client.get(
            "/api/v1/network/key-clients?limit=5", headers={"Authorization": f"Bearer {api.tokens['viewer']}"}
        )
        answers.append(resp.status_code)

    sent = api.store.query_count
    threads = [threading.Thread(target=call) for _ in range(10)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert answers == [200] * 10
    # ten revision reads, and the snapshot read once; each auth looks its token up once
    assert api.store.query_count - sent <= cold + 9 * 2


def test_a_workspace_gets_at_most_its_share_of_heavy_computations() -> None:
    reads = HeavyReads(concurrency=1, wait_seconds=0.2)
    started, release = threading.Event(), threading.Event()

    def slow() -> str:
        started.set()
        release.wait(10)
        return "slow"

    worker = threading.Thread(target=lambda: reads.get("ws_a", 1, "summary", slow))
    worker.start()
    assert started.wait(10)
    with pytest.raises(ApiError) as busy:
        reads.get("ws_a", 1, "key-clients", lambda: "other")
    assert busy.value.status == 429 and busy.value.headers == {"Retry-After": "2"}
    assert reads.get("ws_b", 1, "summary", lambda: "another workspace") == "another workspace"
    release.set()
    worker.join(10)
    assert reads.get("ws_a", 1, "summary", lambda: "recomputed") == "slow"  # cached


def test_another_instance_answers_from_the_kept_answer_until_the_data_changes(api: Api) -> None:
    """A second app on the same store (another worker or machine) reads the answer the first one kept,
    in one statement, instead of computing it; a write makes both compute afresh."""
    from api import create_app
    from tests.api.conftest import Api as Client

    _seed(api)
    other_app = create_app({"STORE": api.store, "TESTING": True})
    other = Client(other_app, other_app.test_client(), api.store, api.ws, api.other_ws, api.tokens)
    first = api.ok(api.get("/network/summary"))
    revision = api.store.revision(api.ws)
    sent = api.store.query_count
    assert other.ok(other.get("/network/summary")) == first
    assert api.store.query_count - sent == 2  # the token with the revision, the kept answer: no snapshot
    assert api.store.revision(api.ws) == revision  # keeping an answer is no change of the data
    api.client_id("Dora")
    sent = api.store.query_count
    assert other.ok(other.get("/network/summary"))["clients"] == first["clients"] + 1
    assert api.store.query_count - sent > 2  # computed again


def test_a_kept_answer_of_other_code_is_never_served(api: Api) -> None:
    import hashlib

    from api.heavy import Kept

    _seed(api)
    request = ("summary", None, None)
    other_code = hashlib.sha256(f"{'0' * 64}\x1f{request!r}".encode()).hexdigest()  # as other code keys it
    api.store.keep_answer(api.ws, other_code, api.store.revision(api.ws), '{"clients": 999}')
    assert Kept.key(request) != other_code
    assert api.ok(api.get("/network/summary"))["clients"] == 3


@pytest.mark.parametrize(
    "path",
    ["/network/summary", "/network/key-clients", "/network/trees", "/network/integrity", "/attribution?month=2024-02"],
)
def test_a_repeated_answer_is_the_same_bytes_and_is_not_serialized_again(
    api: Api, path: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The answer is dumped through its schema once per change; a repeat (from this process or from the
    database) is that text, byte for byte, with no schema work."""
    import marshmallow

    _seed(api)
    dumps = []
    real_dump = marshmallow.Schema.dump
    monkeypatch.setattr(marshmallow.Schema, "dump", lambda self, *a, **k: dumps.append(1) or real_dump(self, *a, **k))
    first = api.get(path)
    assert first.status_code == 200 and first.mimetype == "application/json" and dumps
    done = len(dumps)
    again = api.get(path)
    api.app.extensions.pop("referrals.heavy")  # another worker: the answer kept in the database
    kept = api.get(path)
    assert len(dumps) == done
    assert again.get_data() == first.get_data() == kept.get_data()


@pytest.mark.parametrize("fmt", ["graphml", "gexf"])
def test_a_whole_network_file_is_sent_as_it_is_written_under_one_turn(api: Api, fmt: str) -> None:
    """Today's GraphML and GEXF are never cached (nor held whole): each download reads the store afresh,
    holds one of the workspace's heavy turns while it is sent, and gives it back when it closes, finished
    or not; the bytes are those of the in-memory path."""
    from referrals import analysis
    from referrals.exports import GraphFormat, export

    _seed(api)
    api.app.extensions["referrals.heavy"] = HeavyReads(concurrency=1, wait_seconds=0.2)
    resp = api.get(f"/network/export?format={fmt}", buffered=False)
    assert resp.status_code == 200 and resp.is_streamed
    pieces = iter(resp.response)
    assert next(pieces).startswith(b"<?xml")
    assert api.get("/network/summary").status_code == 429  # the file holds the workspace's one turn
    resp.close()  # the client went away half way
    assert api.get("/network/summary").status_code == 200
    with api.get(f"/network/export?format={fmt}") as whole:  # a server closes every response it sent
        body = whole.get_data()
    assert body == export(analysis.network_graph(api.store.snapshot(api.ws)), GraphFormat(fmt))
    read_whole = api.get(f"/network/export?format={fmt}")  # read to the end, never closed (as some
    assert read_whole.get_data() == body  # WSGI clients do): the last piece gives the turn back
    assert api.get("/network/summary").status_code == 200
    read_whole.close()
    sent = api.store.query_count
    with api.get(f"/network/export?format={fmt}") as again:
        assert again.get_data() == body
    assert api.store.query_count - sent > 2  # read again: a file is not kept


def test_a_whole_network_file_for_a_revoked_token_is_refused_and_holds_no_turn(api: Api) -> None:
    """A read by a token seen valid is checked with its first store read (api/auth.py). A whole-network
    file is read after the view returns, as it is sent: a revoked token is refused all the same, no byte
    of the file is sent, and no heavy turn of the workspace stays taken."""
    from api import auth
    from referrals.access import Role, hash_secret, new_secret

    _seed(api)
    api.app.extensions["referrals.heavy"] = HeavyReads(concurrency=1, wait_seconds=0.2)
    secret = new_secret()
    token = api.store.create_token(api.ws, Role.VIEWER, "leaving", hash_secret(secret))
    assert api.get("/network/summary", token=secret).status_code == 200  # seen valid by this process
    api.store.revoke_token(api.ws, token.id)
    for _ in range(3):
        auth._homes[hash_secret(secret)] = api.ws  # as remembered before the token was revoked
        refused = api.get("/network/export?format=graphml", token=secret)
        assert refused.status_code == 401 and b"<?xml" not in refused.get_data()
    assert api.get("/network/summary").status_code == 200  # the workspace's one turn is free
