"""Where a request finds the store the app was built with."""

from __future__ import annotations

from flask import current_app

from referrals.config import Settings
from referrals.store import Store

EXTENSION = "referrals.store"
SETTINGS = "referrals.settings"


def current_store() -> Store:
    """The store of the running app."""
    return current_app.extensions[EXTENSION]


def current_settings() -> Settings:
    """The settings the running app was built with."""
    return current_app.extensions[SETTINGS]
