"""The flask-smorest Api, adjusted so the OpenAPI document tells the truth about errors and auth."""

from __future__ import annotations

import http
from typing import Any

import marshmallow as ma
from flask_smorest import Api
from flask_smorest.utils import prepare_response

from api.errors import PROBLEM


class FieldErrorSchema(ma.Schema):
    """One refused field."""

    field = ma.fields.String(required=True, metadata={"example": "email"})
    reason = ma.fields.String(required=True, metadata={"example": "another client already has this email"})
    location = ma.fields.String(data_key="in", metadata={"description": "json, query, path or header"})


class ProblemExampleSchema(ma.Schema):
    """One row of a group of import problems."""

    row = ma.fields.Integer(required=True)
    value = ma.fields.String(required=True)


class ProblemGroupSchema(ma.Schema):
    """Import problems of one file with the same column and reason."""

    file = ma.fields.String(required=True)
    column = ma.fields.String(required=True)
    reason = ma.fields.String(required=True)
    rows = ma.fields.String(required=True, metadata={"example": "3–302, 310"})
    count = ma.fields.Integer(required=True)
    examples = ma.fields.List(ma.fields.Nested(ProblemExampleSchema), required=True)
    text = ma.fields.String(required=True, metadata={"description": "the group as the CLI prints it"})


class ProblemSchema(ma.Schema):
    """RFC 9457 problem details, with the refused fields when there are any."""

    type = ma.fields.String(required=True, metadata={"example": "about:blank"})
    title = ma.fields.String(required=True, metadata={"example": "conflict"})
    status = ma.fields.Integer(required=True, metadata={"example": 409})
    detail = ma.fields.String()
    errors = ma.fields.List(ma.fields.Nested(FieldErrorSchema))
    groups = ma.fields.List(
        ma.fields.Nested(ProblemGroupSchema),
        metadata={"description": "an import's problems grouped by file, column and reason (POST /imports)"},
    )


class ReferralsApi(Api):
    """Api whose error responses are documented as application/problem+json, behind bearer auth."""

    ERROR_SCHEMA = ProblemSchema

    def _register_responses(self) -> None:
        for status in http.HTTPStatus:
            response: dict[str, Any] = {"description": status.phrase}
            if not (100 <= status < 200) and status not in (204, 304):
                response["schema"] = self.ERROR_SCHEMA
            prepare_response(response, self.spec, PROBLEM)
            self.spec.components.response(status.name, response, lazy=True)
        response = {"description": "An error (problem details)", "schema": self.ERROR_SCHEMA}
        prepare_response(response, self.spec, PROBLEM)
        self.spec.components.response("DEFAULT_ERROR", response, lazy=True)

    def _register_error_handlers(self) -> None:
        """Errors are rendered by api.errors; nothing to add here."""


def init_security(api: Api) -> None:
    """Declare bearer tokens as the default security of every operation."""
    api.spec.components.security_scheme(
        "bearerAuth",
        {"type": "http", "scheme": "bearer", "description": "a workspace token from `referrals token create`"},
    )


def require_a_field_in_patches(api: Api) -> None:
    """PATCH bodies must name at least one field (api.schemas.PatchSchema): say so in the document."""
    from api.schemas import PatchSchema

    names = {cls.__name__.removesuffix("Schema") for cls in _subclasses(PatchSchema)}
    for name, schema in api.spec.components.schemas.items():
        if name in names:
            schema["minProperties"] = PatchSchema.MIN_PROPERTIES


def _subclasses(cls: type) -> set[type]:
    out = set()
    for sub in cls.__subclasses__():
        out |= {sub} | _subclasses(sub)
    return out
