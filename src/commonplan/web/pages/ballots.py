"""The ballot form of a round and its receipt."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from fastapi import Request, Response
from fastapi.responses import HTMLResponse
from starlette.concurrency import run_in_threadpool

from commonplan import rounds
from commonplan.accounts import Principal
from commonplan.errors import CommonplanError, VotingError
from commonplan.store import Database
from commonplan.web import acts, public
from commonplan.web.deps import DB, CurrentMember
from commonplan.web.pages._base import (
    Choice,
    failed,
    form_model,
    page,
    round_info,
    router,
    tr_of,
)
from commonplan.web.schemas import (
    BallotCreate,
    QuestionPublic,
)
from commonplan.web.text import Translator

# ---------------------------------------------------------------------- the vote


@dataclass(frozen=True)
class Ballot:
    """A ballot box as the form shows it: its question and the options to choose from."""

    question: QuestionPublic
    title: str
    options: list[Choice]
    costs: dict[str, float]
    budget: float | None


def ballots(tr: Translator, questions: Sequence[QuestionPublic]) -> list[Ballot]:
    out = []
    for q in questions:
        o = q.options
        costs: dict[str, float] = {}
        budget = None
        if q.kind == "budget":
            options = [
                Choice(str(p), str(title))
                for p, title in zip(o["projects"], o["titles"], strict=True)
            ]
            costs = {
                str(p): float(c or 0.0) for p, c in zip(o["projects"], o["costs"], strict=True)
            }
            budget = float(o["budget"])
        elif q.kind == "ranked":
            options = [Choice(c, name) for c, name in candidates(tr, o).items()]
        else:
            options = []
        out.append(Ballot(q, tr.maybe(f"vote.{q.kind}.title", q.kind), options, costs, budget))
    return out


def candidates(tr: Translator, options: Mapping[str, Any]) -> dict[str, str]:
    """A ranked ballot's candidates → their names (the draft, then the alternatives' titles)."""
    return {
        str(c): tr("vote.ranked.draft") if c == "draft" else str(title)
        for c, title in zip(options.get("candidates", []), options.get("titles", []), strict=True)
    }


FormValues = Mapping[str, Sequence[str]]


def choice_of(tr: Translator, ballot: Ballot, form: FormValues) -> dict[str, Any]:
    """The API's ``choice`` for one ballot box from the form's fields ``q<ID>…``."""
    q = ballot.question
    name = f"q{q.id}"
    given = list(form.get(name, ()))
    if q.kind == "budget":
        return {"approve": given}
    if q.kind == "ratify":
        if len(given) != 1:
            raise VotingError(tr("vote.ratify.missing"))
        return {"vote": given[0]}
    if q.kind == "consent":
        if len(given) != 1:
            raise VotingError(tr("vote.consent.missing"))
        reason = " ".join(form.get(f"{name}_reason", ())).strip()
        if given[0] == "object" and not reason:
            raise VotingError(tr("vote.consent.reason_needed"))
        return {"objection": reason if given[0] == "object" else None}
    if q.kind == "ranked":
        ranking = [
            v
            for k in range(1, len(ballot.options) + 1)
            for v in form.get(f"{name}_rank{k}", ())
            if v
        ]
        return {"ranking": ranking}
    raise VotingError(tr("vote.unknown_kind", kind=q.kind))


def _vote_context(db: Database, who: Principal, round_id: int, tr: Translator) -> dict[str, Any]:
    info = round_info(db, who, round_id, tr)
    questions = public.round_questions(db, who, round_id)
    open_ = [q for q in questions if q.status == "open" and not q.voted]
    return {
        "title": tr("vote.title", number=info.round.number),
        "info": info,
        "ballots": ballots(tr, open_),
        "voted": [q for q in questions if q.voted],
        "closed": bool(questions) and all(q.status != "open" for q in questions),
        "receipt": rounds.new_receipt(),
        "values": {},
    }


@router.get("/rounds/{round_id}/vote")
def vote(round_id: int, who: CurrentMember, request: Request, db: DB) -> HTMLResponse:
    return page(request, "vote.html", **_vote_context(db, who, round_id, tr_of(request)))


@router.post("/rounds/{round_id}/vote")
async def cast(round_id: int, who: CurrentMember, request: Request, db: DB) -> Response:
    """Every ballot box of the form, with one receipt (the one the form was rendered with, so a
    resubmitted form changes nothing); each choice is checked before any is cast."""
    tr = tr_of(request)
    form = await request.form()
    values = {k: [str(v) for v in form.getlist(k)] for k in form}
    receipt = (values.get("receipt") or [""])[0] or None

    def run() -> list[tuple[Ballot, str]]:
        ids = []
        for raw in values.get("question", []):
            if not raw.isdigit():
                raise VotingError(tr("vote.bad_question", value=raw[:20]))
            ids.append(int(raw))
        if not ids:
            raise VotingError(tr("vote.nothing"))
        boxes = ballots(tr, [public.read_question(db, who, q) for q in ids])
        choices = {b.question.id: choice_of(tr, b, values) for b in boxes}
        form_model(BallotCreate, choice={}, receipt=receipt)  # the receipt as the API takes it
        code = acts.cast_round(db, who, round_id, choices, receipt)
        return [(b, code) for b in boxes]

    try:
        done = await run_in_threadpool(run)
    except CommonplanError as exc:
        context = await run_in_threadpool(_vote_context, db, who, round_id, tr)
        if receipt:
            context["receipt"] = receipt
        context["values"] = values
        return failed(request, exc, "vote.html", **context)
    info = await run_in_threadpool(round_info, db, who, round_id, tr)
    return page(
        request,
        "receipt.html",
        status=201,
        title=tr("receipt.title"),
        info=info,
        receipt=done[0][1],
        cast=[b.title for b, _ in done],
        copy_js=True,
    )
