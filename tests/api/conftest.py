"""An app per store with two workspaces and a token of every role."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from werkzeug.test import TestResponse

from api import create_app
from referrals.access import Role, hash_secret, new_secret
from referrals.store import Store
from tests.conftest import unique


@dataclass
class Api:
    """A test client that sends a bearer token."""

    app: Flask
    client: FlaskClient
    store: Store
    ws: str
    other_ws: str
    tokens: dict[str, str]  # role name (or "other") -> secret

    def call(self, method: str, path: str, token: str | None = "editor", **kw: Any) -> TestResponse:
        headers = dict(kw.pop("headers", {}))
        if token is not None:
            headers["Authorization"] = f"Bearer {self.tokens.get(token, token)}"
        return self.client.open(f"/api/v1{path}", method=method, headers=headers, **kw)

    def get(self, path: str, **kw: Any) -> TestResponse:
        return self.call("GET", path, **kw)

    def post(self, path: str, json: Any = None, **kw: Any) -> TestResponse:
        return self.call("POST", path, json=json, **kw)

    def patch(self, path: str, json: Any = None, **kw: Any) -> TestResponse:
        return self.call("PATCH", path, json=json, **kw)

    def put(self, path: str, json: Any = None, **kw: Any) -> TestResponse:
        return self.call("PUT", path, json=json, **kw)

    def delete(self, path: str, **kw: Any) -> TestResponse:
        return self.call("DELETE", path, **kw)

    def ok(self, resp: TestResponse, status: int = 200) -> Any:
        assert resp.status_code == status, (resp.status_code, resp.get_data(as_text=True))
        return resp.json

    def client_id(self, name: str, **fields: Any) -> str:
        return self.ok(self.post("/clients", {"name": name, **fields}), 201)["id"]


def token_for(store: Store, ws: str, role: Role) -> str:
    secret = new_secret()
    store.create_token(ws, role, role.value, hash_secret(secret))
    return secret


def make_api(store: Store) -> Api:
    ws = store.create_workspace(unique("mine")).id
    other = store.create_workspace(unique("theirs")).id
    tokens = {r.value: token_for(store, ws, r) for r in Role}
    tokens["other"] = token_for(store, other, Role.OWNER)
    app = create_app({"STORE": store, "TESTING": True})
    return Api(app, app.test_client(), store, ws, other, tokens)


@pytest.fixture
def api(store: Store) -> Api:
    return make_api(store)
