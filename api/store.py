"""Where a request finds the store the app was built with."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, cast

from flask import current_app, g

from referrals.access import CallerCheck
from referrals.config import Settings
from referrals.store import Store

EXTENSION = "referrals.store"
SETTINGS = "referrals.settings"
# The store's one-statement reads that can take the caller's token check along (`Store.checking`).
CHECKED_READS = frozenset({"chain", "tree"})


def plain_store() -> Store:
    """The store of the running app, as it is."""
    return current_app.extensions[EXTENSION]  # type: ignore[no-any-return]


def current_store() -> Store:
    """The store of the running app, for this request: while the request's token is still to be checked
    (api/auth.py), a view of it that checks the token before anything it reads is used."""
    store = plain_store()
    check: CallerCheck | None = g.get("pending")
    if check is None or check.settled:
        return store
    return cast(Store, _Checking(store, check))


class _Checking:
    """The store for a request whose token is still to be checked: a chain or a tree takes the check
    along (in its own statement where the store can); any other method checks the token first."""

    def __init__(self, store: Store, check: CallerCheck) -> None:
        self._store, self._check = store, check

    def __getattr__(self, name: str) -> Any:
        value = getattr(self._store, name)
        check = self._check
        if check.settled or not callable(value):
            return value
        if name in CHECKED_READS:
            return self._checked(value)
        check.done(self._store.find_caller(check.token_hash))
        return value

    def _checked(self, read: Callable[..., Any]) -> Callable[..., Any]:
        def checked(*args: Any, **kwargs: Any) -> Any:
            with self._store.checking(self._check):
                return read(*args, **kwargs)

        return checked


def current_settings() -> Settings:
    """The settings the running app was built with."""
    return current_app.extensions[SETTINGS]  # type: ignore[no-any-return]
