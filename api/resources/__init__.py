"""One module per resource; each exposes a flask-smorest Blueprint named `blp`."""

from __future__ import annotations

from typing import Any

import flask
import marshmallow as ma
from flask_smorest import Blueprint
from webargs.flaskparser import FlaskParser, abort

from api import auth, idempotency
from referrals.access import Role

PREFIX = "/api/v1"


class StrictParser(FlaskParser):
    """Unknown query parameters are refused, so a typo (?stauts=lead) is not silently ignored."""

    DEFAULT_UNKNOWN_BY_LOCATION = {**FlaskParser.DEFAULT_UNKNOWN_BY_LOCATION, "query": ma.RAISE}

    def _raw_load_json(self, req: flask.Request) -> Any:
        """The JSON body; one nested deeper than the parser's stack allows is a 400, not a crash."""
        try:
            return super()._raw_load_json(req)
        except RecursionError:
            abort(400, messages={"json": ["the JSON body is nested too deeply"]})


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
