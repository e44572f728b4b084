"""What the route modules share: :class:`Routes` declares a route in a line (its path and the
error statuses it may answer; the summary opens the function's docstring), and
:data:`ScopedRound` is a round id of the signed-in member's federations (404 unknown or another
federation's, the same answer) — declare it after a role dependency (``Facilitator``) so that
the role is checked first, as everywhere."""

from __future__ import annotations

import inspect
from collections.abc import Callable, Sequence
from typing import Annotated, Any, TypeVar

from fastapi import APIRouter, Depends, status

from commonplan.web.deps import DB, CurrentMember, Id
from commonplan.web.errors import responses
from commonplan.web.public import in_scope
from commonplan.web.scope import round_in_scope

__all__ = ["CREATED", "READ", "STEP", "Routes", "ScopedRound"]

F = TypeVar("F", bound=Callable[..., Any])
CREATED = status.HTTP_201_CREATED
READ = (401, 403, 404)
"""What a read of one of the member's records may answer besides 200."""
STEP = (401, 403, 404, 409, 422)
"""What a step of a round may answer besides success."""


class Routes:
    """The routes of an OpenAPI tag (in its ``router``), declared in a line each:
    ``@routes.get(path, (401, 404))`` on a function whose docstring opens with its summary is
    ``router.get(path, summary=…, responses=responses(401, 404))``: the docstring's first
    paragraph is the summary (and leaves the docstring), the rest the description; the answer's
    schema is the function's return type."""

    def __init__(self, tag: str, description: str | None = None) -> None:
        self.router = APIRouter(tags=[tag])
        self.tag = tag
        self.description = description
        """The tag's description in the OpenAPI document (given where the tag is first used)."""

    def get(self, path: str, codes: Sequence[int], **extra: Any) -> Callable[[F], F]:
        return self._route("GET", path, codes, extra)

    def post(self, path: str, codes: Sequence[int], **extra: Any) -> Callable[[F], F]:
        """As :meth:`get`, for ``POST`` (``status_code=CREATED`` where it creates)."""
        return self._route("POST", path, codes, extra)

    def _route(
        self, method: str, path: str, codes: Sequence[int], extra: dict[str, Any]
    ) -> Callable[[F], F]:
        def add(endpoint: F) -> F:
            summary, _, description = inspect.cleandoc(endpoint.__doc__ or "").partition("\n\n")
            endpoint.__doc__ = description  # FastAPI takes the description from here (also when
            # the router is included in another), so the summary leaves the docstring
            route = self.router.api_route(
                path,
                methods=[method],
                summary=" ".join(summary.split()),
                responses=responses(*codes),
                **extra,
            )
            return route(endpoint)

        return add


def _round(round_id: Id, who: CurrentMember, db: DB) -> int:
    in_scope(db, who, round_in_scope, round_id)
    return round_id


ScopedRound = Annotated[int, Depends(_round)]
