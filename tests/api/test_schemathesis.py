"""Schemathesis generates requests from /api/v1/openapi.json for every operation, on both stores.

Every answer must be documented (status, content type, body schema) and none may be a 5xx;
for invalid input too. Two checks judge the status class instead and are left out: schema-valid
input may still be refused with a documented 4xx (an email without a domain, a cycle, an unknown
id, an Idempotency-Key reused for another body), and "invalid" cases that only drop the
Authorization header (which every call here sends) or add query keys the WSGI layer cannot carry
are not invalid by the time they arrive. Refusal of invalid input is covered by the resource tests.
"""

from __future__ import annotations

import pytest
import schemathesis
from hypothesis import HealthCheck, given, note, settings
from schemathesis import GenerationMode
from schemathesis.checks import negative_data_rejection, positive_data_acceptance

from referrals.store import Store
from tests.api.conftest import Api, make_api

EXAMPLES = {"sqlite": 30, "neo4j": 15}
IGNORED = [positive_data_acceptance, negative_data_rejection]


def seeded(store: Store) -> Api:
    api = make_api(store)
    a = api.client_id("Seed A", email="seed@example.com")
    b = api.client_id("Seed B")
    api.ok(api.post("/referrals", {"source_id": a, "client_id": b, "referred_on": "2024-01-01"}), 201)
    api.ok(api.post("/deals", {"client_id": b, "amount": "10", "currency": "EUR", "closed_on": "2024-01-02"}), 201)
    return api


@pytest.mark.parametrize("mode", [GenerationMode.POSITIVE, GenerationMode.NEGATIVE], ids=["valid", "invalid"])
def test_api_conforms_to_its_schema(store: Store, mode: GenerationMode) -> None:
    api = seeded(store)
    schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", api.app)
    headers = {"Authorization": f"Bearer {api.tokens['owner']}"}
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) >= 20
    doc = api.client.get("/api/v1/openapi.json").json
    for operation in operations:
        spec = doc["paths"][operation.path][operation.method.lower()]
        if mode is GenerationMode.NEGATIVE and not (spec.get("parameters") or spec.get("requestBody")):
            continue  # nothing to send wrong
        check_operation(operation, mode, EXAMPLES[store.kind], headers)


def check_operation(operation, mode: GenerationMode, examples: int, headers: dict[str, str]) -> None:
    """Run generated cases of one operation; a failure names the operation."""

    @given(case=operation.as_strategy(generation_mode=mode))
    @settings(max_examples=examples, deadline=None, suppress_health_check=list(HealthCheck))
    def check(case: schemathesis.Case) -> None:
        note(operation.label)
        case.call_and_validate(headers=headers, excluded_checks=IGNORED)

    check()
