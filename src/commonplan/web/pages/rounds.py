"""A round's proposals (file, amend, withdraw) and its draft plan with charts."""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass
from typing import Annotated, Any

from fastapi import Depends, Form, Request, Response
from fastapi.responses import HTMLResponse

from commonplan import rounds
from commonplan.accounts import Principal
from commonplan.errors import CommonplanError, PlanInputError
from commonplan.federation import economy_of
from commonplan.store import Database
from commonplan.store.models import Federation
from commonplan.web import acts, public
from commonplan.web import charts as chart
from commonplan.web.deps import DB, CurrentMember, Facilitator
from commonplan.web.pages._base import (
    Choice,
    CouncilRow,
    Fact,
    councils_of,
    failed,
    form_model,
    page,
    redirect,
    round_context,
    round_info,
    router,
    tr_of,
)
from commonplan.web.pages.federation import confirming
from commonplan.web.schemas import (
    ProposalAmend,
    ProposalCreate,
    ProposalPublic,
)
from commonplan.web.scope import round_in_scope
from commonplan.web.text import Translator

# ---------------------------------------------------------------------- proposals


def proposal_kinds(tr: Translator, councils: Sequence[CouncilRow]) -> list[Choice]:
    """The (council, kind) pairs the member may file: consumers' councils file targets and
    collective proposals, workers' councils hours and capacities."""
    return [
        Choice(f"{c.id}:{kind}", tr("proposal.what", council=c.name, kind=tr(f"kind.{kind}")))
        for c in councils
        for kind, of in rounds.KINDS.items()
        if of == c.kind
    ]


AMOUNT_LINE = re.compile(r"\s*([^\s=:]+)\s*(?:=|:|\s)\s*(\S+)\s*")


def parse_amounts(tr: Translator, raw: str) -> dict[str, str] | None:
    """``CODE = amount`` lines (or ``CODE: amount``, ``CODE amount``) → {code: amount}; the
    numbers are checked by the API's body (the message names the code)."""
    out: dict[str, str] = {}
    for k, line in enumerate(raw.splitlines(), start=1):
        if not line.strip():
            continue
        match = AMOUNT_LINE.fullmatch(line)
        if match is None:
            raise PlanInputError(tr("proposal.bad_line", line=k, text=line.strip()[:80]))
        code, amount = match[1], match[2]
        if code in out:
            raise PlanInputError(tr("proposal.repeated", line=k, code=code))
        out[code] = amount
    return out or None


def amount_lines(p: ProposalPublic) -> str:
    return "\n".join(f"{code} = {value:g}" for code, value in p.amounts.items())


@dataclass(frozen=True)
class Codes:
    """The codes a proposal may name, with their names (the economy's products, processes)."""

    products: list[Choice]
    processes: list[Choice]


def codes(db: Database, federation: int) -> Codes:
    with db.transaction() as s:
        fed = s.get(Federation, federation)
        settings = dict(fed.settings) if fed is not None else {}
    economy = economy_of(settings)
    products = [Choice(code, economy.label(i)) for i, code in enumerate(economy.products)]
    processes = (
        []
        if list(economy.processes) == list(economy.products)
        else [Choice(code, code) for code in economy.processes]
    )
    return Codes(products, processes)


def _proposals_context(
    db: Database, who: Principal, round_id: int, tr: Translator
) -> dict[str, Any]:
    info = round_info(db, who, round_id, tr)
    councils = councils_of(db, who)
    mine = {c.name for c in councils}
    listed = public.round_proposals(db, who, round_id)
    everything = public.round_proposals(db, who, round_id, withdrawn=True)
    return {
        "title": tr("proposals.title", number=info.round.number),
        "info": info,
        "kinds": proposal_kinds(tr, councils),
        "proposals": listed,
        "withdrawn": [p for p in everything if p.withdrawn_reason],
        "can_hide": who.is_facilitator and info.round.phase in ("proposals", "feedback"),
        "mine": mine,
        "can_file": info.round.phase == "proposals" and not who.is_auditor,
        "can_change": info.round.phase in ("proposals", "feedback") and not who.is_auditor,
        "codes": codes(db, info.round.federation),
        "form": {"what": "", "title": "", "amounts": "", "hours": ""},
    }


@router.get("/rounds/{round_id}/proposals")
def proposals(round_id: int, who: CurrentMember, request: Request, db: DB) -> HTMLResponse:
    return page(request, "proposals.html", **_proposals_context(db, who, round_id, tr_of(request)))


Title = Annotated[str, Form(max_length=300)]
Amounts = Annotated[str, Form(max_length=100_000)]
Hours = Annotated[str, Form(max_length=50)]
What = Annotated[str, Form(max_length=100)]
Reason = Annotated[str, Form(max_length=2000)]


@dataclass(frozen=True)
class ProposalForm:
    """What a proposal form (to file or to amend) sent: its title, amounts and hours."""

    title: str
    amounts: str
    hours: str

    def fields(self, tr: Translator) -> dict[str, Any]:
        """The fields as the API's body takes them."""
        hours = self.hours.strip() or None
        return {"title": self.title, "amounts": parse_amounts(tr, self.amounts), "hours": hours}

    def refused(
        self, request: Request, exc: CommonplanError, template: str, context: dict[str, Any]
    ) -> HTMLResponse:
        """``template`` again with the error shown, filled in as the form was sent."""
        form = {**context["form"], **asdict(self)}
        return failed(request, exc, template, **{**context, "form": form})


def _proposal_form(title: Title = "", amounts: Amounts = "", hours: Hours = "") -> ProposalForm:
    return ProposalForm(title, amounts, hours)


Sent = Annotated[ProposalForm, Depends(_proposal_form)]


@router.post("/rounds/{round_id}/proposals")
def file_proposal(
    round_id: int, who: CurrentMember, request: Request, db: DB, sent: Sent, what: What = ""
) -> Response:
    tr = tr_of(request)
    try:
        by_value = {
            f"{c.id}:{kind}": (c.name, kind)
            for c in councils_of(db, who)
            for kind, of in rounds.KINDS.items()
            if of == c.kind
        }
        if what not in by_value:
            raise PlanInputError(tr("proposal.choose_kind"))
        council, kind = by_value[what]
        body = form_model(ProposalCreate, council=council, kind=kind, **sent.fields(tr))
        acts.file_proposal(db, who, round_id, body)
    except CommonplanError as exc:
        context = _proposals_context(db, who, round_id, tr)
        context["form"]["what"] = what
        return sent.refused(request, exc, "proposals.html", context)
    return redirect(f"/rounds/{round_id}/proposals", "filed")


def _amend_context(
    db: Database, who: Principal, proposal_id: int, tr: Translator
) -> dict[str, Any]:
    p = public.read_proposal(db, who, proposal_id)
    info = round_info(db, who, p.round, tr)
    return {
        "title": tr("amend.title", title=p.title),
        "proposal": p,
        "info": info,
        "codes": codes(db, info.round.federation),
        "form": {
            "title": p.title,
            "amounts": amount_lines(p),
            "hours": f"{p.hours:g}" if p.hours is not None else "",
        },
    }


@router.get("/proposals/{proposal_id}/amend")
def amend_form(proposal_id: int, who: CurrentMember, request: Request, db: DB) -> HTMLResponse:
    return page(request, "amend.html", **_amend_context(db, who, proposal_id, tr_of(request)))


@router.post("/proposals/{proposal_id}/amend")
def amend(proposal_id: int, who: CurrentMember, request: Request, db: DB, sent: Sent) -> Response:
    tr = tr_of(request)
    try:
        body = form_model(ProposalAmend, **sent.fields(tr))
        new = public.read_proposal(db, who, acts.amend_proposal(db, who, proposal_id, body))
    except CommonplanError as exc:
        context = _amend_context(db, who, proposal_id, tr)
        return sent.refused(request, exc, "amend.html", context)
    return redirect(f"/rounds/{new.round}/proposals", "amended")


@router.post("/proposals/{proposal_id}/withdraw")
def withdraw(
    proposal_id: int, who: CurrentMember, request: Request, db: DB, reason: Reason = ""
) -> Response:
    """A member of the proposing council withdraws it; a facilitator gives the ``reason``."""
    tr = tr_of(request)
    try:
        acts.withdraw_proposal(db, who, proposal_id, reason.strip() or None)
    except CommonplanError as exc:
        round_id = public.read_proposal(db, who, proposal_id).round
        return failed(request, exc, "proposals.html", **_proposals_context(db, who, round_id, tr))
    round_id = public.read_proposal(db, who, proposal_id).round
    return redirect(f"/rounds/{round_id}/proposals", "withdrawn")


@router.post("/proposals/{proposal_id}/hide")
def hide(
    proposal_id: int,
    who: Facilitator,
    request: Request,
    db: DB,
    reason: Reason = "",
    confirm: Annotated[str, Form(max_length=10)] = "",
) -> Response:
    """A facilitator hides an abusive proposal, saying why — once confirmed (members then see
    only who hid it and why)."""
    tr = tr_of(request)
    p = public.read_proposal(db, who, proposal_id)
    try:
        if not reason.strip():
            raise PlanInputError(tr("form.field_required", field=tr("field.reason")))
        if confirm != "yes":
            said = tr("confirm.hide", title=p.title, council=p.council, reason=reason.strip())
            back = f"/rounds/{p.round}/proposals"
            return confirming(
                request, said, f"/proposals/{proposal_id}/hide", {"reason": reason}, back
            )
        acts.hide_proposal(db, who, proposal_id, reason)
    except CommonplanError as exc:
        context = _proposals_context(db, who, p.round, tr)
        return failed(request, exc, "proposals.html", **context)
    return redirect(f"/rounds/{p.round}/proposals", "hidden")


# ---------------------------------------------------------------------- plans


def _resource(tr: Translator, name: str) -> str:
    return tr.maybe(f"resource.{name}", name)


def plan_whole(db: Database, who: Principal, plan_id: int, tr: Translator) -> dict[str, Any]:
    """A plan for everyone: its facts, what binds and at what shadow price, its resources against
    their caps, and the charts (fulfilment, caps, the largest flows)."""
    summary = public.read_plan(db, who, plan_id)
    result, inputs = public.plan_record(db, who, plan_id)
    economy = economy_of({"economy": inputs["economy"]})
    fulfilment = summary.fulfilment
    overall = float(fulfilment) if isinstance(fulfilment, int | float) else None
    facts = [
        Fact(tr("plan.status"), tr.maybe(f"status.{summary.status}", summary.status)),
        Fact(
            tr("plan.fulfilment"),
            tr("num.percent", value=overall) if overall is not None else tr("plan.none"),
        ),
        Fact(tr("plan.hours_offered"), tr("num.hours", value=summary.hours_offered)),
    ]
    if summary.hours_used is not None:
        facts.append(Fact(tr("plan.hours_used"), tr("num.hours", value=summary.hours_used)))
    facts.append(Fact(tr("plan.budget"), tr("num.hours", value=summary.collective_budget)))
    prices = result.get("shadow_prices") or {}
    group = {"cap": "caps", "capacity": "capacities", "floor": "products"}
    binding = []
    for item in summary.binding:
        kind, _, name = str(item).partition(" ")
        price = (prices.get(group.get(kind, ""), {}) or {}).get(name)
        label = _resource(tr, name) if kind == "cap" else name
        if kind == "floor" and name in economy.products:
            label = economy.label(economy.product_index(name))
        binding.append(
            Fact(
                tr.maybe(f"plan.binding.{kind}", item, name=label),
                tr("plan.price", price=float(price)) if price is not None else tr("plan.none"),
            )
        )
    use, caps = result.get("use") or {}, result.get("caps") or {}
    figures: list[chart.Chart] = []
    if result.get("status") == "optimal":
        targets = inputs.get("targets") or {}
        net, floors = result.get("net_output") or {}, inputs.get("floors") or {}
        items = [
            (
                economy.label(economy.product_index(code)),
                max(
                    0.0, (float(net.get(code, 0.0)) - float(floors.get(code, 0.0))) / float(amount)
                ),
            )
            for code, amount in sorted(targets.items(), key=lambda kv: -float(kv[1]))[:15]
            if float(amount) > 0 and code in economy.products
        ]
        if not items and overall is not None:
            items = [(tr("plan.private_targets"), overall)]
        if items:
            figures.append(chart.fulfilment_bars(tr, items, overall=overall))
        if caps:
            names = {k: _resource(tr, k) for k in caps}
            figures.append(chart.caps_bars(tr, use, caps, names=names, units=economy.units))
        if result.get("activity"):
            figures.append(chart.flows_sankey(tr, economy, result["activity"]))
    return {
        "summary": summary,
        "stage": tr.maybe(f"plan.stage.{summary.stage}", summary.stage),
        "facts": facts,
        "binding": binding,
        "objective": tr.maybe(f"plan.objective.{result.get('objective')}", ""),
        "message": summary.message if summary.status != "optimal" else None,
        "charts": figures,
    }


def proposal_met(tr: Translator, p: Mapping[str, Any]) -> str:
    """How far the plan meets one of the member's councils' proposals, in words."""
    kind = tr(f"kind.{p['kind']}")
    if p["met"] is not None:
        return tr("plan.met", kind=kind, met=tr("num.percent", value=float(p["met"])))
    if p["kind"] == "collective":
        return tr("plan.met", kind=kind, met=tr("plan.met_unknown"))
    return kind


@router.get("/rounds/{round_id}/plan")
def plan(round_id: int, who: CurrentMember, request: Request, db: DB) -> HTMLResponse:
    tr = tr_of(request)
    info, context = round_context(db, who, round_id, tr, "plan.title")
    if not info.round.plans:
        return page(request, "plan.html", view=None, whole=None, **context)
    public.in_scope(db, who, round_in_scope, round_id)
    view = rounds.member_view(db, round_id, member=who.handle)
    mine = [Fact(p["title"], proposal_met(tr, p)) for p in view.proposals]
    return page(
        request,
        "plan.html",
        view=view,
        mine=mine,
        whole=plan_whole(db, who, info.round.plans[-1], tr),
        **context,
    )
