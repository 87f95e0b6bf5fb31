"""The app of bench/api_load.py: the real app, plus bare twins of its endpoints for the comparison.

A bare twin does the same store query as its endpoint, in the same process and app, and answers a
few bytes of JSON: no token check, no argument schema, no response schema, no analysis. The real
endpoint's throughput over its twin's is what the API layer costs. Served by gunicorn with the
project's gunicorn.conf.py (`bench.bare:app`); the workspace comes from REFERRALS_BENCH_WORKSPACE.
Never part of the product: nothing outside bench/ imports it.
"""

from __future__ import annotations

import json
import os
from datetime import date
from typing import Any

from flask import Blueprint, Response, request

from api import create_app
from api.store import current_store
from referrals.model import ClientInput, ReferralInput, SourceKind, SourceRef

bare = Blueprint("bare", __name__, url_prefix="/bare")


def _ws() -> str:
    return os.environ["REFERRALS_BENCH_WORKSPACE"]


def _json(value: Any) -> Response:
    return Response(json.dumps(value), mimetype="application/json")


@bare.get("/chain/<client_id>")
def chain(client_id: str) -> Response:
    return _json({"levels": current_store().chain(_ws(), client_id).levels})


@bare.get("/tree/<client_id>")
def tree(client_id: str) -> Response:
    depth = int(request.args.get("depth", 7))
    return _json({"nodes": len(current_store().tree(_ws(), SourceRef(SourceKind.CLIENT, client_id), depth).nodes)})


@bare.get("/stats/<client_id>")
def stats(client_id: str) -> Response:
    store, ws = current_store(), _ws()
    levels = store.chain(ws, client_id).levels
    nodes = len(store.tree(ws, SourceRef(SourceKind.CLIENT, client_id), None).nodes)
    return _json({"levels": levels, "nodes": nodes})


@bare.get("/revision")
def revision() -> Response:
    """What a heavy read costs once its answer is computed: the workspace's revision."""
    return _json({"revision": current_store().revision(_ws())})


@bare.get("/month/<month>")
def month(month: str) -> Response:
    facts, _ = current_store().month_facts(_ws(), month)
    return _json({"deals": len(facts.deals)})


@bare.post("/clients")
def new_client() -> Response:
    body = request.get_json()
    return _json({"id": current_store().create_client(_ws(), ClientInput(name=body["name"])).id})


@bare.post("/referrals")
def new_referral() -> Response:
    body = request.get_json()
    source = SourceRef(SourceKind.CLIENT, body["source_id"])
    made = current_store().record_referral(
        _ws(), ReferralInput(source, body["client_id"], date.fromisoformat(body["referred_on"]))
    )
    return _json({"id": made.id})


app = create_app()
app.register_blueprint(bare)
