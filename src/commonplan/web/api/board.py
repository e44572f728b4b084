"""The published ballot board of a round, and finding one's ballot by its receipt."""

from __future__ import annotations

import json
import tempfile
from pathlib import Path as FilePath

from starlette.concurrency import run_in_threadpool

from commonplan.rounds import board
from commonplan.web import public
from commonplan.web.api._routes import READ, Routes
from commonplan.web.deps import DB, CurrentMember, Id
from commonplan.web.schemas import BallotFound, BoardPublic, ReceiptLookup
from commonplan.web.scope import round_in_scope

routes = Routes("board", "The published ballot board and finding one's ballot.")


@routes.get("/rounds/{round_id}/board", (*READ, 409))
async def export(round_id: Id, who: CurrentMember, db: DB) -> BoardPublic:
    """The round's ballot board: every closed box's ballots (receipt, choice) and result

    The same JSON as ``commonplan board export`` writes, with the log entries its results
    depend on (409 while any box is open); count it again with ``commonplan board recount``."""

    def run() -> BoardPublic:
        public.in_scope(db, who, round_in_scope, round_id)
        with tempfile.TemporaryDirectory(prefix="commonplan-board-") as tmp:
            files = board.export_board(db, round_id, tmp)
            boxes = [json.loads(p.read_text("utf-8")) for p in files if p.suffix == ".json"]
            lines = (FilePath(tmp) / board.LOG).read_text("utf-8").splitlines()
        return BoardPublic(round=round_id, questions=boxes, log=[json.loads(x) for x in lines])

    return await run_in_threadpool(run)


@routes.post("/board/ballots/find", (401, 403, 404, 409))
def find(body: ReceiptLookup, who: CurrentMember, db: DB) -> list[BallotFound]:
    """The ballots filed under a receipt code, once their boxes have closed

    The receipt goes in the body, never in a URL (URLs are logged, and a receipt next to the
    client's address would tie a ballot to a person).  Only the member's own federations are
    searched: of another's boxes, open or closed, nothing is said (404, as for a receipt nobody
    has)."""
    return public.find_ballots(db, who, body.receipt)
