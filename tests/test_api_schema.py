"""The OpenAPI document, and Schemathesis fuzzing every operation from it (as a signed-in
facilitator of a federation with a round in progress): no answer is a server error, every status
and body is the one the document declares, and error bodies have one shape.  Then Schemathesis'
stateful mode, as the facilitator and as a member: sequences of calls that feed each answer's ids
into the next call (the links Schemathesis infers from the document: a federation's id to its
rounds, a round's to its proposals, questions and plans, a proposal's to its amendment and
withdrawal, …), with the same checks."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import schemathesis
from hypothesis import Phase, given
from schemathesis.checks import (
    not_a_server_error,
    response_schema_conformance,
    status_code_conformance,
)
from schemathesis.core.failures import FailureGroup

from api_support import (
    API,
    FACILITATOR,
    cheap_hashing,
    copy,
    federation_with_members,
    first_facilitator,
    fixed,
    make_app,
    run_to_vote,
    sign_in,
)

with __import__("warnings").catch_warnings():
    __import__("warnings").simplefilter("ignore", DeprecationWarning)
    from fastapi.testclient import TestClient

__all__ = ["cheap_hashing"]  # autouse, from api_support

MAX_EXAMPLES = 8


def serve(url: str) -> dict[str, Any]:
    """The app, with a federation whose round is voting, and the bearer headers of its
    facilitator (also as ``headers``) and of a member."""
    app = make_app(url)
    first_facilitator(app.state.db)
    with TestClient(app) as client:
        fed, headers = federation_with_members(client, FACILITATOR, "North", "n", n=2)
        run_to_vote(client, fed, headers, "North", "n")
        member = sign_in(client, "n0")
    return {"app": app, "headers": headers, "facilitator": headers, "member": member}


@pytest.fixture
def served(database_url: str) -> Iterator[dict[str, Any]]:
    made = serve(database_url)
    yield made
    made["app"].state.db.dispose()


@pytest.fixture
def restorable(tmp_path: Path) -> Iterator[dict[str, Any]]:
    """:func:`serve` on SQLite, with ``restore()``: the database back as it was served (each
    stateful scenario starts from the same state, so that Hypothesis meets the same answers to
    the same calls)."""
    path, kept = tmp_path / "served.db", tmp_path / "kept.db"
    made = serve(f"sqlite:///{path}")
    made["app"].state.db.dispose()
    copy(path, kept)

    def restore() -> None:
        made["app"].state.db.dispose()
        copy(kept, path)

    yield {**made, "restore": restore}
    made["app"].state.db.dispose()


CHECKS = [not_a_server_error, status_code_conformance, response_schema_conformance]


def one_shape(label: str, response: Any) -> None:
    """An error answer's body is ``{"error": kind, "detail": message}``."""
    if response.status_code >= 400:
        body = response.json()
        assert set(body) == {"error", "detail"}, (label, body)


def fuzz(operation: Any, headers: dict[str, str]) -> None:
    """``MAX_EXAMPLES`` generated requests to one operation (a fixed seed: the same every run)."""

    @given(case=operation.as_strategy())
    @fixed(max_examples=MAX_EXAMPLES)
    def call(case: Any) -> None:
        response = case.call(headers=headers)
        case.validate_response(response, checks=CHECKS, headers=headers)
        one_shape(operation.label, response)

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


ENDS_THE_SESSION = r"/(auth/sign-out|me/password|members/[^/]+/password-resets)$"
"""Operations a sequence leaves out: they end the session the sequence runs in (signing out,
changing or resetting a password)."""
SCENARIOS = 30
STEPS = 10


@pytest.mark.parametrize("who", ["facilitator", "member"])
def test_no_sequence_of_calls_answers_a_server_error(restorable: dict[str, Any], who: str) -> None:
    """``SCENARIOS`` sequences of up to ``STEPS`` linked calls each (a fixed seed), as ``who``,
    each from the served state (SQLite: a copy restored; the stateless test above runs on
    PostgreSQL too)."""
    served = restorable
    schema = schemathesis.openapi.from_asgi("/openapi.json", served["app"])
    schema = schema.exclude(path_regex=ENDS_THE_SESSION)
    workflow = schema.as_state_machine()
    assert schema.statistic.transitions.total >= 100  # links between the operations
    headers = served[who]
    seen: list[int] = []
    found: list[str] = []

    class Workflow(workflow):  # type: ignore[misc,valid-type]
        def setup(self) -> None:
            served["restore"]()

        def get_call_kwargs(self, case: Any) -> dict[str, Any]:
            return {"headers": headers}

        def validate_response(self, response: Any, case: Any, *args: Any, **kw: Any) -> None:
            seen.append(response.status_code)
            try:
                case.validate_response(response, checks=CHECKS, headers=headers)
                one_shape(case.operation.label, response)
            except (AssertionError, FailureGroup) as exc:  # noted here, reported after the run
                found.append(f"{case.operation.label} → {response.status_code}: {exc}"[:3000])

    # no shrinking (only generate): a failure is noted, and reported below
    Workflow.run(
        settings=fixed(max_examples=SCENARIOS, stateful_step_count=STEPS, phases=[Phase.generate])
    )
    assert not found, "\n\n".join(found[:5])
    assert len(seen) >= SCENARIOS and any(200 <= s < 300 for s in seen), seen


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
        assert "HTTPValidationError" not in json.dumps(op), (path, method)  # 422s: ErrorBody
        for code, answer in op["responses"].items():
            if code.startswith(("4", "5")):
                ref = answer["content"]["application/json"]["schema"]["$ref"]
                assert ref.endswith("/ErrorBody"), (path, method, code)
