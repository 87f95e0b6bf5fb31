"""One module per resource; each exposes a flask-smorest Blueprint named `blp`."""

from __future__ import annotations

import json
from typing import Any

import flask
import marshmallow as ma
from flask_smorest import Blueprint
from marshmallow import missing
from webargs.flaskparser import FlaskParser, abort, is_json_request

from api import auth, idempotency
from referrals.access import Role
from referrals.i18n import gettext as _

PREFIX = "/api/v1"


class _Repeated(ValueError):
    """A key given twice in one JSON object."""


def _one_of_each(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    """A JSON object whose keys are all different ({"name": "x", "name": "y"} is refused: which name was
    meant is a guess, and readers of the same body disagree on it)."""
    obj = dict(pairs)
    if len(obj) != len(pairs):
        seen: set[str] = set()
        for key, _value in pairs:
            if key in seen:
                raise _Repeated(key)
            seen.add(key)
    return obj


class StrictParser(FlaskParser):
    """Unknown query parameters are refused, so a typo (?stauts=lead) is not silently ignored; so is a
    parameter of one value given twice (?depth=2&depth=7: which one was meant is a guess)."""

    DEFAULT_UNKNOWN_BY_LOCATION = {**FlaskParser.DEFAULT_UNKNOWN_BY_LOCATION, "query": ma.RAISE}

    def load_querystring(self, req: flask.Request, schema: ma.Schema) -> Any:
        """The query's parameters; any that takes one value and came more than once is a 422 naming it."""
        params = super().load_querystring(req, schema)
        # known parameters of one value (an unknown one is refused as unknown)
        single = {f.data_key or name for name, f in schema.fields.items()} - params.multiple_keys
        twice = sorted(k for k in req.args if k in single and len(req.args.getlist(k)) > 1)
        if twice:
            abort(422, messages={"query": {k: [_("given more than once; give it once")] for k in twice}})
        return params

    def _raw_load_json(self, req: flask.Request) -> Any:
        """The JSON body (UTF-8); one nested deeper than the parser's stack allows, or with a key given
        twice in an object, is a 400 saying so."""
        if not is_json_request(req):
            return missing
        try:
            return json.loads(req.get_data(cache=True).decode("utf-8"), object_pairs_hook=_one_of_each)
        except RecursionError:
            abort(400, messages={"json": [_("the JSON body is nested too deeply")]})
        except _Repeated as e:
            abort(400, messages={"json": [_("the key %(key)s is given twice in one object", key=json.dumps(str(e)))]})


class ApiBlueprint(Blueprint):
    """A flask-smorest Blueprint with the strict argument parser."""

    ARGUMENTS_PARSER = StrictParser()


def blueprint(name: str, description: str, minimum: Role | None = None) -> Blueprint:
    """A blueprint whose every request is authenticated and may be idempotent."""
    blp = ApiBlueprint(name, __name__, url_prefix=PREFIX, description=description)
    blp.before_request(lambda: auth.authenticate(minimum))
    blp.before_request(idempotency.before)
    blp.after_request(idempotency.after)
    blp.after_request(auth.finish)  # runs before idempotency.after: no response leaves unchecked
    blp.teardown_request(idempotency.teardown)
    return blp
