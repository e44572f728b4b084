"""The one place where commonplan's exceptions become HTTP responses.

Every error answer has the body ``{"error": kind, "detail": message}``; the message is the
exception's own (it names what is at fault) and never a traceback.

=======================  ======  ====================================================
exception                status  kind
=======================  ======  ====================================================
RateLimitedError         429     ``rate_limited`` (with ``Retry-After``)
AuthenticationError      401     ``unauthenticated``
CSRFError                403     ``csrf``
NotFoundError            404     ``not_found``
AuthorisationError       403     ``forbidden``
PhaseError               409     ``phase``
BallotRefusedError       409     ``ballot_refused``
FloorError               422     ``floor``
PlanningError (other)    409     ``planning``
PlanInputError           422     ``plan_input``
VotingError, TieError    422     ``voting``
DataError, unknown name  422     ``data``
IntegrityError           500     ``integrity``
SolverError              500     ``solver``
other CommonplanError    500     ``error``
request validation       422     ``invalid_request`` (also a value the database refuses, and
                                 a body that cannot be parsed, which FastAPI answers 400)
unknown path, method     404/405 ``not_found`` / ``method_not_allowed``
anything else            500     ``internal`` (logged with its traceback, not shown)
=======================  ======  ====================================================

Paths outside ``/api/`` may be answered by ``app.state.render_error(request, status, kind,
detail, exc)`` when the pages install one (an HTML error page, in the page's language); otherwise
JSON too (in English: the API's words).
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from typing import Any, Protocol

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from pydantic import BaseModel
from sqlalchemy.exc import DataError as DBDataError
from sqlalchemy.exc import OperationalError
from starlette.exceptions import HTTPException as StarletteHTTPException

from commonplan import errors as cp

__all__ = ["STATUS", "ErrorBody", "install", "problem", "responses"]

log = logging.getLogger("commonplan.web")

STATUS: tuple[tuple[type[Exception], int, str], ...] = (
    (cp.RateLimitedError, 429, "rate_limited"),
    (cp.AuthenticationError, 401, "unauthenticated"),
    (cp.CSRFError, 403, "csrf"),
    (cp.NotFoundError, 404, "not_found"),
    (cp.AuthorisationError, 403, "forbidden"),
    (cp.PhaseError, 409, "phase"),
    (cp.BallotRefusedError, 409, "ballot_refused"),
    (cp.FloorError, 422, "floor"),
    (cp.PlanningError, 409, "planning"),
    (cp.PlanInputError, 422, "plan_input"),
    (cp.VotingError, 422, "voting"),
    (cp.DataError, 422, "data"),
    (cp.UnknownNameError, 422, "data"),
    (cp.IntegrityError, 500, "integrity"),
    (cp.SolverError, 500, "solver"),
    (cp.CommonplanError, 500, "error"),
)
"""Exception class → (status, kind); the first row the exception is an instance of wins."""

DESCRIPTIONS = {
    401: "Not signed in, or the session has expired",
    403: "Not allowed: a role the member lacks, or no CSRF token",
    404: "No such federation, council, member, round, proposal, question or plan (or one of "
    "another federation: answered the same)",
    409: "Not in this phase of the round, or a ballot refused",
    422: "Invalid input: the message names the field, product or council at fault",
    429: "Too many failed sign-ins; see Retry-After",
    500: "The audit log does not verify, or the planning engine failed",
}


class ErrorBody(BaseModel):
    """Every error answer."""

    error: str
    detail: str


def responses(*codes: int) -> dict[int | str, dict[str, Any]]:
    """OpenAPI entries for the error answers a route can give."""
    return {c: {"model": ErrorBody, "description": DESCRIPTIONS[c]} for c in codes}


def problem(exc: BaseException, say: Callable[[BaseException], str] = str) -> tuple[int, str, str]:
    """(status, kind, detail) of an exception, by :data:`STATUS`; ``say`` words the detail (the
    pages': :meth:`commonplan.web.text.Translator.error`, in their language)."""
    for cls, status, kind in STATUS:
        if isinstance(exc, cls):
            detail = say(exc)
            if isinstance(exc, cp.IntegrityError):
                detail = f"the records do not verify (tampering?): {detail}"
            return status, kind, detail
    return 500, "internal", "an unexpected error; it has been logged for the operators"


class RenderError(Protocol):
    """``app.state.render_error``: an error as an HTML page (``exc``: the exception, if any)."""

    def __call__(
        self,
        request: Request,
        status: int,
        kind: str,
        detail: str,
        exc: BaseException | None = None,
    ) -> Response: ...


def _answer(
    request: Request,
    status: int,
    kind: str,
    detail: str,
    headers: dict[str, str] | None = None,
    exc: BaseException | None = None,
) -> Response:
    render: RenderError | None = getattr(request.app.state, "render_error", None)
    if render is not None and not request.url.path.startswith("/api/"):
        response = render(request, status, kind, detail, exc)
        response.headers.update(headers or {})
        return response
    return JSONResponse({"error": kind, "detail": detail}, status_code=status, headers=headers)


async def _planning(request: Request, exc: Exception) -> Response:
    status, kind, detail = problem(exc)
    if status >= 500:
        log.error("%s %s: %s: %s", request.method, request.url.path, type(exc).__name__, exc)
    headers = None
    if isinstance(exc, cp.RateLimitedError):
        headers = {"Retry-After": str(exc.retry_after)}
    elif isinstance(exc, cp.AuthenticationError):
        headers = {"WWW-Authenticate": "Bearer"}
    return _answer(request, status, kind, detail, headers, exc)


async def _validation(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, RequestValidationError)
    return _answer(request, 422, "invalid_request", describe(exc.errors()) or "invalid request")


def describe(problems: Sequence[Any], where: str = "request") -> str:
    """Validation errors (FastAPI's or pydantic's) in words: ``field: message; …``, five at most."""
    lines = []
    for e in problems[:5]:
        at = ".".join(str(p) for p in e.get("loc", ()) if p != "body") or where
        lines.append(f"{at}: {e.get('msg', 'invalid')}")
    return "; ".join(lines)


async def _http(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, StarletteHTTPException)
    kinds = {
        404: "not_found",
        405: "method_not_allowed",
        401: "unauthenticated",
        413: "too_large",
    }
    detail = exc.detail if isinstance(exc.detail, str) else "invalid request"
    status = exc.status_code
    if status == 404 and detail == "Not Found":
        detail = f"no such path: {request.url.path}"
    if status == 400:  # a body FastAPI could not parse (not UTF-8, a broken form): invalid input
        status, detail = 422, "the body cannot be read (is it UTF-8 JSON, or a well-formed form?)"
        kinds[422] = "invalid_request"
    return _answer(request, status, kinds.get(status, "http"), detail, dict(exc.headers or {}))


async def _database(request: Request, exc: Exception) -> Response:
    log.error("%s %s: the database failed: %s", request.method, request.url.path, exc)
    return _answer(request, 503, "database", "the database is unavailable; try again shortly")


async def _unstorable(request: Request, exc: Exception) -> Response:
    log.warning("%s %s: the database refused a value: %s", request.method, request.url.path, exc)
    return _answer(
        request, 422, "invalid_request", "a value the database cannot store (out of range?)"
    )


async def _unexpected(request: Request, exc: Exception) -> Response:
    log.exception("%s %s failed", request.method, request.url.path, exc_info=exc)
    status, kind, detail = problem(exc)
    return _answer(request, status, kind, detail)


def _documented(app: FastAPI) -> None:
    """``app``'s OpenAPI document with the answers it really gives: FastAPI documents a 422 as
    its own ``HTTPValidationError`` (``detail`` a list), which :func:`_validation` answers as an
    :class:`ErrorBody` like every other error."""
    build = app.openapi

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            doc = build()
            body = {"$ref": "#/components/schemas/ErrorBody"}
            answer = {
                "description": DESCRIPTIONS[422],
                "content": {"application/json": {"schema": body}},
            }
            for item in doc.get("paths", {}).values():
                for operation in item.values():
                    if "422" in operation.get("responses", {}):
                        operation["responses"]["422"] = answer
            schemas = doc.get("components", {}).get("schemas", {})
            for unused in ("HTTPValidationError", "ValidationError"):
                schemas.pop(unused, None)
            app.openapi_schema = doc
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]


def install(app: FastAPI) -> None:
    """Register the handlers on ``app``, and document its 422 answers as they are."""
    _documented(app)
    app.add_exception_handler(cp.CommonplanError, _planning)
    app.add_exception_handler(RequestValidationError, _validation)
    app.add_exception_handler(StarletteHTTPException, _http)
    app.add_exception_handler(OperationalError, _database)
    app.add_exception_handler(DBDataError, _unstorable)
    app.add_exception_handler(Exception, _unexpected)
