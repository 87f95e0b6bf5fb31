"""Where a request finds the store the app was built with."""

from __future__ import annotations

from flask import current_app

from graph.contract import Store

EXTENSION = "referrals.store"


def current_store() -> Store:
    """The store of the running app."""
    return current_app.extensions[EXTENSION]
