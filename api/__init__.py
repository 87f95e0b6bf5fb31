"""The HTTP API: a Flask app whose request and response bodies are marshmallow schemas."""

from __future__ import annotations

import atexit
from collections.abc import Mapping
from typing import Any, Protocol

from flask import Flask

from api import errors, guards, health, web
from api.resources import attribution, channels, clients, deals, imports, integrity, network, referrals, workspace
from api.spec import ReferralsApi, init_security, require_a_field_in_patches
from api.store import EXTENSION, SETTINGS
from graph import SCHEMA_VERSION, Store, open_store, upgrade
from referrals import __version__
from referrals.config import Settings
from referrals.errors import Unavailable


class WarningLog(Protocol):
    """Where `set_up_store` says what it did: a logging.Logger, or gunicorn's logger in its master."""

    def warning(self, msg: str, *args: Any) -> None: ...

    def error(self, msg: str, *args: Any) -> None: ...


def set_up_store(store: Store, log: WarningLog) -> None:
    """Set up a new store or upgrade one an earlier version left (the code's statements need its own
    schema), saying so in `log`; a store not reachable yet is told, not raised (health answers 503 until
    it is). gunicorn's master runs this once before it starts any worker (gunicorn.conf.py), so a long
    upgrade is never a booting worker's; every app runs it again, and finds nothing left to do."""
    try:
        if store.schema_version() is None:
            store.init_schema()
        elif (old := upgrade(store)) is not None:
            log.warning("upgraded the store from schema %s to %s", old, SCHEMA_VERSION)
    except Unavailable:
        log.warning("the database is not reachable yet; health answers 503 until it is")


def create_app(config: Mapping[str, Any] | None = None) -> Flask:
    """Build the app. `config` may hold STORE (a ready Store) or SETTINGS (a Settings)."""
    app = Flask(__name__)
    app.before_request(errors.speak)  # first: the guards' refusals speak the caller's language too
    app.config.update(
        API_TITLE="referrals",
        API_VERSION=__version__,
        OPENAPI_VERSION="3.1.0",
        OPENAPI_URL_PREFIX="/api/v1",
        OPENAPI_JSON_PATH="openapi.json",
        OPENAPI_SWAGGER_UI_PATH="docs",
        OPENAPI_SWAGGER_UI_URL="/static/vendor/swagger-ui/",
        OPENAPI_SWAGGER_UI_CONFIG={"persistAuthorization": False},
        API_SPEC_OPTIONS={
            "security": [{"bearerAuth": []}],
            "info": {"description": "Record who recommended whom and credit every source of new business."},
        },
    )
    if config:
        app.config.update(config)
    app.json.sort_keys = False  # type: ignore[attr-defined]  # fields in schema order: id first
    settings: Settings = app.config.get("SETTINGS") or Settings.from_env()
    store: Store | None = app.config.get("STORE")
    if store is None:
        store = open_store(settings.database_url)
        atexit.register(store.close)
    if app.config.get("AUTO_INIT_SCHEMA", True):
        set_up_store(store, app.logger)
    app.extensions[EXTENSION] = store
    app.extensions[SETTINGS] = settings
    guards.init_app(app, settings)

    api = ReferralsApi(app)
    init_security(api)
    blueprints = (
        health.blp,
        workspace.blp,
        workspace.tokens,
        clients.blp,
        channels.blp,
        referrals.blp,
        deals.blp,
        network.blp,
        integrity.blp,
        attribution.blp,
        imports.blp,
    )
    for blp in blueprints:
        api.register_blueprint(blp)
    require_a_field_in_patches(api)
    app.register_blueprint(web.blp)
    errors.init_app(app)
    return app
