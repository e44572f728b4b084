"""The published ballot board of a round, and finding one's ballot by its receipt."""

from __future__ import annotations

import json
import tempfile
from typing import Annotated, Any

from fastapi import APIRouter, Path
from sqlalchemy.orm import Session
from starlette.concurrency import run_in_threadpool

from commonplan.errors import AuthorisationError
from commonplan.rounds import board as service
from commonplan.web.api.scope import require, round_in_scope
from commonplan.web.deps import DB, CurrentMember, Id
from commonplan.web.errors import responses
from commonplan.web.schemas import BallotFound, BoardPublic

router = APIRouter(tags=["board"])


@router.get(
    "/rounds/{round_id}/board",
    response_model=BoardPublic,
    summary="The round's ballot board: every closed box's ballots (receipt, choice) and result",
    responses=responses(401, 403, 404, 409),
)
async def export(round_id: Id, who: CurrentMember, db: DB) -> Any:
    """The same JSON as ``commonplan board export`` writes (409 while any box is open); count it
    again with ``commonplan board recount``."""

    def run() -> BoardPublic:
        with db.transaction() as s:
            round_in_scope(who, s, round_id)
        with tempfile.TemporaryDirectory(prefix="commonplan-board-") as tmp:
            files = service.export_board(db, round_id, tmp)
            boxes = [json.loads(p.read_text("utf-8")) for p in files if p.suffix == ".json"]
        return BoardPublic(round=round_id, questions=boxes)

    return await run_in_threadpool(run)


@router.get(
    "/board/ballots/{receipt}",
    response_model=list[BallotFound],
    summary="The ballots filed under a receipt code, once their boxes have closed",
    responses=responses(401, 404, 409),
)
def find(
    receipt: Annotated[str, Path(pattern=r"^[A-Za-z0-9-]{4,64}$")], who: CurrentMember, db: DB
) -> Any:
    """Only the member's own federations are searched: of another's boxes, open or closed,
    nothing is said (404, as for a receipt nobody has)."""

    def visible(s: Session, federation: int) -> bool:
        try:
            require(who, s, federation, "")
        except AuthorisationError:
            return False
        return True

    return [f.to_dict() for f in service.find_ballot(db, receipt, visible=visible)]
