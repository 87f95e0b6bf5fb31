"""Heavy reads (network summary, key clients, whole-network exports): cached, shared and bounded.

Each of them reads the whole workspace. So that one viewer cannot starve everyone else:

* a result is cached per process under (workspace, its revision, the request), so it is computed
  again only once the workspace changed (every data write counts the revision, see the stores);
* a plain-JSON result is also kept in the database under the same key, so every other worker and every
  other instance answers it from there instead of computing it again (exports stay in the process);
* identical requests that arrive together wait for the first one's result instead of computing it
  again;
* at most REFERRALS_HEAVY_CONCURRENCY heavy computations of one workspace run at once per process (a
  whole-network GraphML or GEXF, sent as it is written, holds its turn until it is sent: `streamed`);
  a request that cannot get a turn within REFERRALS_HEAVY_WAIT_SECONDS answers 429 with Retry-After.
"""

from __future__ import annotations

import functools
import hashlib
import json
import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable, Iterator
from datetime import date, datetime
from pathlib import Path
from typing import Any, TypeVar

from flask import Response, current_app, g
from flask import request as http_request
from marshmallow import Schema

from api import auth
from api.errors import ApiError
from api.store import current_settings, current_store
from referrals import i18n
from referrals.store import Store

T = TypeVar("T")
ROOT = Path(__file__).resolve().parents[1]
EXTENSION = "referrals.heavy"
MAX_ENTRIES = 32


class HeavyReads:
    """The cache, the single flights and the per-workspace bounds of one process."""

    def __init__(self, concurrency: int, wait_seconds: float, max_entries: int = MAX_ENTRIES) -> None:
        self.concurrency, self.wait_seconds, self.max_entries = concurrency, wait_seconds, max_entries
        self._mutex = threading.Lock()
        self._cache: OrderedDict[Hashable, Any] = OrderedDict()
        self._flights: dict[Hashable, threading.Lock] = {}
        self._turns: dict[str, threading.BoundedSemaphore] = {}

    def _cached(self, key: Hashable) -> tuple[bool, Any]:
        with self._mutex:
            if key in self._cache:
                self._cache.move_to_end(key)
                return True, self._cache[key]
        return False, None

    def get(self, ws: str, revision: int, request: Hashable, compute: Callable[[], T], kept: Kept | None = None) -> T:
        """The result for `request` at this revision of the workspace: cached in this process, kept in the
        database (`kept`: by another worker or instance), or computed under the bounds (and then kept)."""
        key = (ws, revision, request)
        hit, value = self._cached(key)
        if hit:
            return value  # type: ignore[no-any-return]
        with self._mutex:
            flight = self._flights.setdefault(key, threading.Lock())
            turns = self._turns.setdefault(ws, threading.BoundedSemaphore(self.concurrency))
        if not flight.acquire(timeout=self.wait_seconds):
            raise self._busy()
        try:
            hit, value = self._cached(key)  # computed while this request waited for its twin
            if hit:
                return value  # type: ignore[no-any-return]
            body = kept.get(ws, revision, request) if kept else None
            if body is not None:
                value = json.loads(body, object_hook=_revive)
            else:
                if not turns.acquire(timeout=self.wait_seconds):
                    raise self._busy()
                try:
                    value = compute()
                finally:
                    turns.release()
                if kept:
                    kept.put(ws, revision, request, value)
            with self._mutex:
                self._cache[key] = value
                while len(self._cache) > self.max_entries:
                    self._cache.popitem(last=False)
            return value
        finally:
            flight.release()
            with self._mutex:
                if not flight.locked():
                    self._flights.pop(key, None)

    def take_turn(self, ws: str) -> Callable[[], None]:
        """One of the workspace's turns for a computation that outlives its call (a file sent as it is
        written): ApiError 429 when none frees up in time; the returned function gives it back (once)."""
        with self._mutex:
            turns = self._turns.setdefault(ws, threading.BoundedSemaphore(self.concurrency))
        if not turns.acquire(timeout=self.wait_seconds):
            raise self._busy()
        given = threading.Event()

        def release() -> None:
            if not given.is_set():
                given.set()
                turns.release()

        return release

    def _busy(self) -> ApiError:
        return ApiError(
            429,
            "too many requests",
            i18n.ngettext(
                "%(n)s heavy read of this workspace is being computed already; retry shortly",
                "%(n)s heavy reads of this workspace are being computed already; retry shortly",
                self.concurrency,
            ),
            headers={"Retry-After": "2"},
        )


@functools.cache
def code_digest() -> str:
    """A digest of the code that computes answers (the `referrals` and `api` packages): instances running
    other code never serve each other's answers, whose shape may differ."""
    digest = hashlib.sha256()
    for package in ("referrals", "api"):
        root = ROOT / package
        for path in sorted(root.rglob("*.py")):
            digest.update(str(path.relative_to(ROOT)).encode() + b"\0" + path.read_bytes())
    return digest.hexdigest()


class Kept:
    """Answers kept in the database, shared by every worker and instance: JSON of the answer, keyed by a
    digest of the request and of the code (an upgrade never serves an answer of another shape), for one
    revision of the workspace. Answers too big to be worth a row are not kept."""

    MAX_BYTES = 2 * 1024 * 1024

    def __init__(self, store: Store) -> None:
        self.store = store

    @staticmethod
    def key(request: Hashable) -> str:
        return hashlib.sha256(f"{code_digest()}\x1f{request!r}".encode()).hexdigest()

    def get(self, ws: str, revision: int, request: Hashable) -> str | None:
        return self.store.kept_answer(ws, self.key(request), revision)

    def put(self, ws: str, revision: int, request: Hashable, value: Any) -> None:
        try:
            body = json.dumps(value, ensure_ascii=False, separators=(",", ":"), default=_tag)
        except TypeError:
            return  # not JSON (bytes, say): this answer stays in the process only
        if len(body) <= self.MAX_BYTES:
            self.store.keep_answer(ws, self.key(request), revision, body)


def _tag(value: Any) -> Any:
    """Dates and times in a kept answer, tagged so they come back as themselves (the response schemas
    format them)."""
    if isinstance(value, datetime):
        return {"$datetime": value.isoformat()}
    if isinstance(value, date):
        return {"$date": value.isoformat()}
    raise TypeError(f"{type(value).__name__} is not kept")


def _revive(obj: dict[str, Any]) -> Any:
    if len(obj) == 1:
        if "$date" in obj:
            return date.fromisoformat(obj["$date"])
        if "$datetime" in obj:
            return datetime.fromisoformat(obj["$datetime"])
    return obj


def _revision(store: Store, ws: str) -> int:
    """The workspace's revision: as read with the caller's token at the start of this request (one read
    fewer), else read now. Read at the start, an answer computed after a later write is kept under the
    older revision: no request of the newer revision ever takes it."""
    read_with_token = auth.revision()  # a token whose check was left to the reads is checked now
    caller = g.get("caller")
    fresh = http_request.method in ("GET", "HEAD")  # a write in this request would have moved it on
    if fresh and caller is not None and caller.workspace_id == ws and read_with_token is not None:
        return read_with_token
    return store.revision(ws)


def _reads() -> HeavyReads:
    """The app's HeavyReads (made on first use)."""
    reads: HeavyReads | None = current_app.extensions.get(EXTENSION)
    if reads is None:
        settings = current_settings()
        reads = current_app.extensions.setdefault(
            EXTENSION, HeavyReads(settings.heavy_concurrency, settings.heavy_wait_seconds)
        )
    return reads


def streamed(ws: str, pieces: Iterator[bytes], mimetype: str) -> Response:
    """A response sent as `pieces` are made (a whole-network file: never cached, never held whole), under
    one of the workspace's heavy turns, taken now (429 when none frees up in time) and given back when
    the response closes: sent to the end, or its client gone."""
    release = _reads().take_turn(ws)

    def sent() -> Iterator[bytes]:
        try:
            yield from pieces
        finally:
            release()  # the last piece is out (a server that never closes a response leaks no turn)

    body = sent()
    resp = Response(body, mimetype=mimetype)
    resp.call_on_close(release)  # closed before its last piece: the client went away (closing the
    return resp  # response closes `body`, and with it the store's read transaction)


def heavy(ws: str, request: Hashable, compute: Callable[[], T], keep: bool = True, schema: Schema | None = None) -> Any:
    """`compute()` for this request, through the app's HeavyReads (made on first use); with `keep`, the
    answer (plain JSON) is also kept in the database for every other worker until the data changes.

    With `schema`, the answer is a JSON response: the result dumped with `schema` and serialized as the
    response decorator would (same bytes), once; what is cached and kept is that text, so a repeated
    request costs two reads and no serialization at all.
    """
    reads = _reads()
    store = current_store()
    kept = Kept(store) if keep else None
    request = (request, i18n.current())  # answers hold words (titles, findings): one per language
    revision = _revision(store, ws)
    if schema is None:
        return reads.get(ws, revision, request, compute, kept)

    def text() -> str:
        return current_app.json.response(schema.dump(compute())).get_data(as_text=True)  # type: ignore[no-any-return]

    body = reads.get(ws, revision, ("json", request), text, kept)
    return current_app.response_class(body, mimetype=current_app.json.mimetype)  # type: ignore[attr-defined]
