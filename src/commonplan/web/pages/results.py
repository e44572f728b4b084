"""A closed round's result, the history of rounds, and finding one's ballot by its receipt."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Annotated, Any

from fastapi import Form, Request
from fastapi.responses import HTMLResponse

from commonplan import audit
from commonplan.errors import CommonplanError, PhaseError
from commonplan.web import public
from commonplan.web.deps import DB, CurrentMember
from commonplan.web.pages._base import (
    CLOSED,
    Fact,
    RoundInfo,
    failed,
    federations_of,
    info_of,
    page,
    round_context,
    router,
    tr_of,
)
from commonplan.web.pages.ballots import candidates
from commonplan.web.pages.plans import PlanName, member_hours, plan_whole
from commonplan.web.schemas import (
    PlanPublic,
    QuestionPublic,
    RoundPublic,
)
from commonplan.web.text import Translator

# ---------------------------------------------------------------------- results, history, board


def _titles(questions: Sequence[QuestionPublic]) -> dict[str, str]:
    """Collective proposal id → title, from the budget ballot's options."""
    out: dict[str, str] = {}
    for q in questions:
        if q.kind == "budget":
            out.update(
                zip((str(p) for p in q.options["projects"]), q.options["titles"], strict=True)
            )
    return out


def outcome_facts(
    tr: Translator, r: RoundPublic, questions: Sequence[QuestionPublic]
) -> dict[str, Any]:
    """A closed round's outcome in words: ratified or not and why, the collective proposals the
    budget vote chose, the ranked vote's winner."""
    outcome = r.outcome or {}
    results = outcome.get("results") or {}
    titles = _titles(questions)
    ratify, consent = results.get("ratify"), results.get("consent")
    vote = ratify or consent or {}
    facts = []
    if ratify:
        facts += [
            Fact(tr("result.yes"), str(ratify.get("yes", 0))),
            Fact(tr("result.no"), str(ratify.get("no", 0))),
            Fact(tr("result.abstain"), str(ratify.get("abstain", 0))),
        ]
    if consent:
        facts.append(Fact(tr("result.objections"), str(consent.get("sustained_count", 0))))
    if vote:
        facts.append(
            Fact(tr("result.turnout"), tr("num.percent", value=float(vote.get("turnout", 0))))
        )
    budget = results.get("budget") or {}
    chosen = [titles.get(str(p), str(p)) for p in outcome.get("chosen") or []]
    ranked = results.get("ranked") or {}
    winner = None
    if ranked:
        for q in questions:
            if q.kind == "ranked":
                winner = candidates(tr, q.options).get(str(ranked.get("winner")))
    return {
        "ratified": bool(outcome.get("ratified")),
        "why": _why_funded(tr, budget, titles),
        "reason": count_said(vote.get("reason")),
        "objections": list((consent or {}).get("sustained") or []),
        "facts": facts,
        "chosen": chosen,
        "budget": budget,
        "winner": winner,
        "next_round": outcome.get("next_round"),
        "plan": outcome.get("plan"),
    }


def count_said(reason: str | None) -> str | None:
    """The count's reason without its verdict ("ratified: 3 of 4 …" → "3 of 4 …"): the page's
    heading says it already."""
    if reason is None:
        return None
    verdict, sep, rest = reason.partition(": ")
    return rest if sep and verdict in ("ratified", "consent given") else reason


def _why_funded(tr: Translator, budget: dict[str, Any], titles: dict[str, str]) -> list[str]:
    """One sentence per collective proposal: how equal shares funded it, or why not (what its
    supporters had left of their shares against its cost), with its title."""
    out = []
    for p, w in (budget.get("why") or {}).items():
        title, cost, n = titles.get(str(p), str(p)), float(w["cost"]), int(w["supporters"])
        said = {"title": title, "n": n, "cost": cost}
        if w.get("funded") == "equal shares":
            paid = float(w["each_paid"])
            out.append(tr("result.why.shares", **said, paid=paid, round=int(w["round"])))
        elif w.get("funded") == "fill":
            out.append(tr("result.why.fill", **said))
        elif n == 0:
            out.append(tr("result.why.nobody", **said))
        else:
            left, unspent = float(w["supporters_left"]), float(w["budget_left"])
            out.append(tr("result.why.short", **said, left=left, budget_left=unspent))
    return out


@router.get("/rounds/{round_id}/result")
def result(round_id: int, who: CurrentMember, request: Request, db: DB) -> HTMLResponse:
    tr = tr_of(request)
    info, context = round_context(db, who, round_id, tr, "result.title")
    if not info.closed:
        return page(request, "result.html", outcome=None, whole=None, yours=None, **context)
    questions = public.round_questions(db, who, round_id)
    outcome = outcome_facts(tr, info.round, questions)
    whole, yours = None, None
    if outcome["plan"] is not None:
        final = PlanName(int(outcome["plan"]), "final", tr("plan.name.final"))
        whole = plan_whole(db, who, final.id, tr)
        yours = next(iter(member_hours(db, who, [final], tr)), None)
    with db.transaction() as s:
        head = audit.round_head(s, round_id)
    return page(
        request, "result.html", outcome=outcome, whole=whole, yours=yours, head=head, **context
    )


@dataclass(frozen=True)
class HistoryRow:
    info: RoundInfo
    outcome: dict[str, Any] | None
    plan: str | None


def plan_line(tr: Translator, summary: PlanPublic) -> str:
    """A recorded plan in one sentence: its status, fulfilment and hours."""
    fulfilment = summary.fulfilment
    return tr(
        "history.plan",
        status=tr.maybe(f"status.{summary.status}", summary.status),
        fulfilment=float(fulfilment) if isinstance(fulfilment, int | float) else 0.0,
        used=float(summary.hours_used or 0.0),
        offered=float(summary.hours_offered),
    )


@router.get("/history")
def history(who: CurrentMember, request: Request, db: DB) -> HTMLResponse:
    tr = tr_of(request)
    feds = []
    for _, name, held in federations_of(db, who):
        rows = []
        for r in held:
            outcome, line = None, None
            if r.phase in CLOSED:
                outcome = outcome_facts(tr, r, public.round_questions(db, who, r.id))
                if outcome["plan"] is not None:
                    line = plan_line(tr, public.read_plan(db, who, outcome["plan"]))
            rows.append(HistoryRow(info_of(db, r, tr), outcome, line))
        feds.append((name, rows))
    return page(request, "history.html", title=tr("history.title"), federations=feds)


def describe(
    tr: Translator, kind: str, choice: Mapping[str, Any], options: Mapping[str, Any]
) -> str:
    """A ballot's choice in words."""
    if kind == "budget":
        titles = dict(
            zip(
                (str(p) for p in options.get("projects", [])),
                options.get("titles", []),
                strict=False,
            )
        )
        chosen = [titles.get(str(p), str(p)) for p in choice.get("approve", [])]
        return tr("find.approve", titles=", ".join(chosen)) if chosen else tr("find.approve_none")
    if kind == "ratify":
        return tr("find.ratify", vote=tr(f"vote.ratify.{choice.get('vote')}"))
    if kind == "consent":
        reason = choice.get("objection")
        return tr("find.object", reason=reason) if reason else tr("find.consent")
    if kind == "ranked":
        names = candidates(tr, options)
        return tr(
            "find.ranking",
            ranking=" > ".join(str(names.get(c, c)) for c in choice.get("ranking", [])),
        )
    return str(dict(choice))


@router.get("/board/find")
def find_form(who: CurrentMember, request: Request) -> HTMLResponse:
    """The form; the receipt is sent by POST, never in a URL (nor in the access log)."""
    context: dict[str, Any] = {"title": tr_of(request)("find.title"), "receipt": "", "found": []}
    return page(request, "find.html", **context)


Receipt = Annotated[str, Form(max_length=200)]


@router.post("/board/find")
def find(who: CurrentMember, request: Request, db: DB, receipt: Receipt = "") -> HTMLResponse:
    tr = tr_of(request)
    receipt = receipt.strip()[:64]
    context: dict[str, Any] = {"title": tr("find.title"), "receipt": receipt, "found": []}
    if not receipt:
        return page(request, "find.html", **context)
    try:
        found = public.find_ballots(db, who, receipt)
    except PhaseError:  # its box is still open: expected, said as information
        return page(request, "find.html", **context, not_yet=tr("find.not_yet"))
    except CommonplanError as exc:
        return failed(request, exc, "find.html", **context)
    rows = []
    for f in found:
        q = public.read_question(db, who, f.question)
        rows.append(
            Fact(
                tr("find.row", title=tr.maybe(f"vote.{q.kind}.title", q.kind), round=f.round),
                describe(tr, q.kind, f.choice, q.options),
            )
        )
    context["found"] = rows
    return page(request, "find.html", **context)
