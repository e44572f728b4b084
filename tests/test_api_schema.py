"""The OpenAPI document, and Schemathesis fuzzing every operation from it (as a signed-in
facilitator of a federation with a round in progress): no answer is a server error, every status
and body is the one the document declares, and error bodies have one shape."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis.checks import (
    not_a_server_error,
    response_schema_conformance,
    status_code_conformance,
)

from test_api import (
    API,
    FACILITATOR,
    cheap_hashing,
    federation_with_members,
    first_facilitator,
    make_app,
    run_to_vote,
)

with __import__("warnings").catch_warnings():
    __import__("warnings").simplefilter("ignore", DeprecationWarning)
    from fastapi.testclient import TestClient

__all__ = ["cheap_hashing"]  # autouse, from test_api

MAX_EXAMPLES = 8


@pytest.fixture
def served(database_url: str) -> Iterator[dict[str, Any]]:
    """The app, with a federation whose round is voting, and a facilitator's bearer headers."""
    app = make_app(database_url)
    first_facilitator(app.state.db)
    with TestClient(app) as client:
        fed, headers = federation_with_members(client, FACILITATOR, "North", "n", n=2)
        run_to_vote(client, fed, headers, "North", "n")
    yield {"app": app, "headers": headers}
    app.state.db.dispose()


def fuzz(operation: Any, headers: dict[str, str]) -> None:
    """``MAX_EXAMPLES`` generated requests to one operation (a fixed seed: the same every run)."""

    @given(case=operation.as_strategy())
    @settings(
        max_examples=MAX_EXAMPLES,
        deadline=None,
        suppress_health_check=list(HealthCheck),
        derandomize=True,
        database=None,
    )
    def call(case: Any) -> None:
        response = case.call(headers=headers)
        case.validate_response(
            response,
            checks=[not_a_server_error, status_code_conformance, response_schema_conformance],
            headers=headers,
        )
        if response.status_code >= 400:
            body = response.json()
            assert set(body) == {"error", "detail"}, (operation.label, body)

    call()


def test_no_operation_answers_a_server_error(served: dict[str, Any]) -> None:
    """Every operation (but signing out, which would end the session the others use), as the
    facilitator."""
    schema = schemathesis.openapi.from_asgi("/openapi.json", served["app"])
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) >= 30
    for operation in operations:
        if not operation.path.endswith("/auth/sign-out"):
            fuzz(operation, served["headers"])


def test_the_document_names_its_operations_and_errors(database_url: str) -> None:
    app = make_app(database_url)
    with TestClient(app) as client:
        doc = client.get("/openapi.json").json()
    app.state.db.dispose()
    operations = [
        (path, method, op) for path, item in doc["paths"].items() for method, op in item.items()
    ]
    assert len(operations) >= 30
    tags = {t["name"] for t in doc["tags"]}
    for path, method, op in operations:
        assert path.startswith(API), path
        assert op.get("summary") and set(op.get("tags", [])) <= tags and op["tags"], (path, method)
        if not path.endswith(("/sign-in", "/invitations/accept")):
            assert "401" in op["responses"], (path, method)
        for code, answer in op["responses"].items():
            if code.startswith(("4", "5")) and code != "422":
                ref = answer["content"]["application/json"]["schema"]["$ref"]
                assert ref.endswith("/ErrorBody"), (path, method, code)
