"""Heavy reads (network summary, key clients, whole-network exports): cached, shared and bounded.

Each of them reads the whole workspace. So that one viewer cannot starve everyone else:

* a result is cached per process under (workspace, its revision, the request), so it is computed
  again only once the workspace changed (every data write counts the revision, see the stores);
* identical requests that arrive together wait for the first one's result instead of computing it
  again;
* at most REFERRALS_HEAVY_CONCURRENCY heavy computations of one workspace run at once per process;
  a request that cannot get a turn within REFERRALS_HEAVY_WAIT_SECONDS answers 429 with Retry-After.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable
from typing import Any, TypeVar

from flask import current_app

from api.errors import ApiError
from api.store import current_settings, current_store

T = TypeVar("T")
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

    def get(self, ws: str, revision: int, request: Hashable, compute: Callable[[], T]) -> T:
        """The result for `request` at this revision of the workspace: cached, or computed under the bounds."""
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
            if not turns.acquire(timeout=self.wait_seconds):
                raise self._busy()
            try:
                value = compute()
            finally:
                turns.release()
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

    def _busy(self) -> ApiError:
        return ApiError(
            429,
            "too many requests",
            f"{self.concurrency} heavy read(s) of this workspace are being computed already; retry shortly",
            headers={"Retry-After": "2"},
        )


def heavy(ws: str, request: Hashable, compute: Callable[[], T]) -> T:
    """`compute()` for this request, through the app's HeavyReads (made on first use)."""
    reads: HeavyReads | None = current_app.extensions.get(EXTENSION)
    if reads is None:
        settings = current_settings()
        reads = current_app.extensions.setdefault(
            EXTENSION, HeavyReads(settings.heavy_concurrency, settings.heavy_wait_seconds)
        )
    return reads.get(ws, current_store().revision(ws), request, compute)
