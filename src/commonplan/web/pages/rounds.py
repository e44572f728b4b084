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
from commonplan.web.pages._running import Asked, form_rows, per_week
from commonplan.web.pages.federation import confirming
from commonplan.web.schemas import (
    ProposalAmend,
    ProposalCreate,
    ProposalPublic,
)
from commonplan.web.scope import round_in_scope
from commonplan.web.text import Translator
from commonplan.work.hours import WEEKS_PER_YEAR
from commonplan.work.quotas import compare_plans

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


MILLION = 1_000_000.0
"""From here up, totals of hours are said in millions."""
AMOUNT_LINE = re.compile(r"\s*([^\s=:]+)\s*(?:=|:|\s)\s*(\S+)\s*")


def parse_amounts(tr: Translator, raw: str) -> dict[str, str]:
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
        out[code] = tr.plain(amount)
    return out


@dataclass(frozen=True)
class Codes:
    """What a proposal may name, by name: the economy's products (for targets and collective
    proposals) and processes (for capacities; the products where each process makes one), and
    the unit of outputs."""

    products: list[Choice]
    processes: list[Choice]
    unit: str

    def of(self, kind: str) -> list[Choice]:
        return self.processes if kind == "capacity" else self.products

    def name(self, kind: str, code: str) -> str:
        return next((c.label for c in self.of(kind) if c.value == code), code)

    def code(self, tr: Translator, kind: str, row: int, typed: str) -> str:
        """The code of what a form's row names: its name as the picker offers it ("name
        (code)"), the name alone, or the code; refused naming the row where none matches."""
        wanted = typed.strip().casefold()
        for c in self.of(kind):
            plain = c.label.removesuffix(f" ({c.value})")
            if wanted in (c.value.casefold(), c.label.casefold(), plain.casefold()):
                return c.value
        raise PlanInputError(tr("proposal.unknown", row=row, text=typed[:80]))


def codes(db: Database, federation: int) -> Codes:
    with db.transaction() as s:
        fed = s.get(Federation, federation)
        settings = dict(fed.settings) if fed is not None else {}
    economy = economy_of(settings)
    products = sorted(
        (Choice(code, economy.label(i)) for i, code in enumerate(economy.products)),
        key=lambda c: c.label,
    )
    same = list(economy.processes) == list(economy.products)
    processes = products if same else [Choice(code, code) for code in economy.processes]
    return Codes(products, processes, economy.units.get("output", ""))


@dataclass(frozen=True)
class ProposalCard:
    """A proposal as its card shows it: what it asks, by name with units, and whether the
    member may amend (and withdraw) it."""

    p: ProposalPublic
    asks: list[str]
    mine: bool


def asks(tr: Translator, names: Codes, p: ProposalPublic) -> list[str]:
    """What a proposal asks, in words: "Food, beverages and tobacco (C10T12): 2 million SEK a
    year", a capacity's most activity, or the hours per member."""
    if p.kind == "hours":
        return [] if p.hours is None else [tr("proposal.hours_value", hours=tr.number(p.hours))]
    key = "proposal.capacity_amount" if p.kind == "capacity" else "proposal.amount"
    return [
        tr(key, name=names.name(p.kind, code), amount=tr.number(v), unit=names.unit)
        for code, v in p.amounts.items()
    ]


def cost_said(tr: Translator, cost: rounds.ProposalCost) -> str:
    """What a proposal would cost, in a sentence, before it is filed."""
    if cost.labour_cost is not None:
        return tr("proposal.cost_check", hours=tr.number(float(round(cost.labour_cost))))
    if cost.hours is not None:
        return tr("proposal.hours_check", hours=tr.number(cost.hours))
    return tr("proposal.capacity_check", count=len(cost.amounts))


def _proposals_context(
    db: Database, who: Principal, round_id: int, tr: Translator, what: str = ""
) -> dict[str, Any]:
    info = round_info(db, who, round_id, tr)
    councils = councils_of(db, who)
    listed = public.round_proposals(db, who, round_id)
    everything = public.round_proposals(db, who, round_id, withdrawn=True)
    names = codes(db, info.round.federation)
    may = set() if who.is_auditor else rounds.amendable(db, round_id, member=who.handle)
    kinds = proposal_kinds(tr, councils)
    chosen = next((k for k in kinds if k.value == what), None)
    return {
        "title": tr("proposals.title", number=info.round.number),
        "info": info,
        "kinds": kinds,
        "chosen": chosen,
        "kind": chosen.value.partition(":")[2] if chosen else "",
        "cards": [ProposalCard(p, asks(tr, names, p), p.id in may) for p in listed],
        "withdrawn": [p for p in everything if p.withdrawn_reason],
        "can_hide": who.is_facilitator and info.round.phase in ("proposals", "feedback"),
        "can_file": info.round.phase == "proposals" and not who.is_auditor,
        "can_change": info.round.phase in ("proposals", "feedback") and not who.is_auditor,
        "codes": names,
        "cost": None,
        "form": {"what": what, "title": "", "amounts": "", "hours": "", "rows": blank_rows()},
    }


def blank_rows() -> list[dict[str, str]]:
    return Asked().form({"product": "", "amount": ""})


@router.get("/rounds/{round_id}/proposals")
def proposals(
    round_id: int, who: CurrentMember, request: Request, db: DB, what: str = ""
) -> HTMLResponse:
    """The round's proposals; ``what`` ("council id:kind") chooses the form to file one."""
    context = _proposals_context(db, who, round_id, tr_of(request), what)
    return page(request, "proposals.html", **context)


Title = Annotated[str, Form(max_length=300)]
Amounts = Annotated[str, Form(max_length=100_000)]
Hours = Annotated[str, Form(max_length=50)]
What = Annotated[str, Form(max_length=100)]
Step = Annotated[str, Form(max_length=10)]
Reason = Annotated[str, Form(max_length=2000)]


@dataclass(frozen=True)
class ProposalForm:
    """What a proposal form (to file or to amend) sent: its title, its amounts (product rows
    picked by name, or ``CODE = amount`` lines), its hours, and the step (check the cost, or
    file)."""

    title: str
    amounts: str
    hours: str
    rows: tuple[dict[str, str], ...]
    step: str

    def fields(self, tr: Translator, names: Codes, kind: str) -> dict[str, Any]:
        """The fields as the API's body takes them (amounts by code)."""
        amounts: dict[str, str] = parse_amounts(tr, self.amounts)
        for r in self.rows:
            code = names.code(tr, kind, int(r["row"]), r["product"])
            if code in amounts:
                raise PlanInputError(tr("proposal.repeated_row", row=r["row"], name=r["product"]))
            amounts[code] = tr.plain(r["amount"])
        hours = tr.plain(self.hours.strip()) or None
        return {"title": self.title, "amounts": amounts or None, "hours": hours}

    def cost(
        self, tr: Translator, db: Database, round_id: int, names: Codes, kind: str
    ) -> rounds.ProposalCost:
        """What the proposal would cost, without filing it."""
        fields = {**self.fields(tr, names, kind), "title": self.title or "-"}
        sent = form_model(ProposalCreate, council="-", kind=kind, **fields)
        return rounds.cost_proposal(db, round_id, kind=kind, amounts=sent.amounts, hours=sent.hours)

    def shown(self, context: dict[str, Any]) -> dict[str, Any]:
        """``context`` with the form filled in as it was sent."""
        rows = {int(r["row"]): r for r in self.rows}
        filled = [rows.get(int(r["row"]), r) for r in blank_rows()]
        form = {**context["form"], **asdict(self), "rows": filled}
        return {**context, "form": form}

    def refused(
        self, request: Request, exc: CommonplanError, template: str, context: dict[str, Any]
    ) -> HTMLResponse:
        """``template`` again with the error shown, filled in as the form was sent."""
        return failed(request, exc, template, **self.shown(context))


async def _proposal_form(
    request: Request,
    title: Title = "",
    amounts: Amounts = "",
    hours: Hours = "",
    step: Step = "file",
) -> ProposalForm:
    rows = form_rows(await request.form(), ("amount", "product"))
    return ProposalForm(title, amounts, hours, tuple(rows), step)


Sent = Annotated[ProposalForm, Depends(_proposal_form)]


@router.post("/rounds/{round_id}/proposals")
def file_proposal(
    round_id: int, who: CurrentMember, request: Request, db: DB, sent: Sent, what: What = ""
) -> Response:
    """File a proposal; with ``step=check``, cost it and show the form again to file."""
    tr = tr_of(request)
    context = _proposals_context(db, who, round_id, tr, what)
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
        if sent.step == "check":
            cost = cost_said(tr, sent.cost(tr, db, round_id, context["codes"], kind))
            return page(request, "proposals.html", **{**sent.shown(context), "cost": cost})
        fields = sent.fields(tr, context["codes"], kind)
        body = form_model(ProposalCreate, council=council, kind=kind, **fields)
        acts.file_proposal(db, who, round_id, body)
    except CommonplanError as exc:
        return sent.refused(request, exc, "proposals.html", context)
    return redirect(f"/rounds/{round_id}/proposals", "filed")


def _amend_context(
    db: Database, who: Principal, proposal_id: int, tr: Translator
) -> dict[str, Any]:
    p = public.read_proposal(db, who, proposal_id)
    rounds.check_amend(db, proposal_id, member=who.handle)
    info = round_info(db, who, p.round, tr)
    names = codes(db, info.round.federation)
    given = [
        {"product": names.name(p.kind, c), "amount": tr.number(v)} for c, v in p.amounts.items()
    ]
    rows = blank_rows()
    rows[: len(given)] = [{**r, **g} for r, g in zip(rows, given, strict=False)]
    return {
        "title": tr("amend.title", title=p.title),
        "proposal": p,
        "info": info,
        "kind": p.kind,
        "codes": names,
        "cost": None,
        "form": {
            "title": p.title,
            "amounts": "",
            "rows": rows,
            "hours": f"{p.hours:g}" if p.hours is not None else "",
        },
    }


@router.get("/proposals/{proposal_id}/amend")
def amend_form(proposal_id: int, who: CurrentMember, request: Request, db: DB) -> HTMLResponse:
    """The amendment's form, filled in with the proposal: only for a member who may amend it."""
    return page(request, "amend.html", **_amend_context(db, who, proposal_id, tr_of(request)))


@router.post("/proposals/{proposal_id}/amend")
def amend(proposal_id: int, who: CurrentMember, request: Request, db: DB, sent: Sent) -> Response:
    tr = tr_of(request)
    context = _amend_context(db, who, proposal_id, tr)
    kind = context["kind"]
    try:
        if sent.step == "check":
            cost = cost_said(tr, sent.cost(tr, db, context["info"].id, context["codes"], kind))
            return page(request, "amend.html", **{**sent.shown(context), "cost": cost})
        body = form_model(ProposalAmend, **sent.fields(tr, context["codes"], kind))
        new = public.read_proposal(db, who, acts.amend_proposal(db, who, proposal_id, body))
    except CommonplanError as exc:
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


def total_hours(tr: Translator, value: float) -> str:
    """Hours of the whole economy: ``6,200 hours``, or ``12.3 million hours`` from a million."""
    if abs(value) >= MILLION:
        return tr("num.million_hours", value=tr.number(float(round(value / MILLION, 1))))
    return tr("num.hours_total", value=tr.number(float(round(value))))


@dataclass(frozen=True)
class PlanName:
    """A plan of the round as members call it: "the draft", "alternative 1: more free time"."""

    id: int
    stage: str
    name: str


def plan_names(
    db: Database, who: Principal, plans: Sequence[int], tr: Translator
) -> list[PlanName]:
    """The round's plans (ids oldest first), each named by what it is."""
    out, k = [], 0
    for plan_id in plans:
        stage = public.read_plan(db, who, plan_id).stage
        if stage == "alternative":
            k += 1
            title = public.plan_record(db, who, plan_id)[1].get("title") or ""
            name = tr("plan.name.alternative", number=k, title=title)
        else:
            name = tr.maybe(f"plan.name.{stage}", stage)
        out.append(PlanName(plan_id, stage, name))
    return out


def shown_plan(names: Sequence[PlanName]) -> PlanName:
    """The plan a round's pages show: its latest that is not an alternative."""
    return next((n for n in reversed(names) if n.stage != "alternative"), names[-1])


def scarce(
    tr: Translator, economy: Any, result: Mapping[str, Any], inputs: Mapping[str, Any]
) -> list[str]:
    """What is scarce and why, one sentence each binding cap: what 1 % more of it would give
    (the targets met further, or hours of work saved), from its shadow price."""
    prices = (result.get("shadow_prices") or {}).get("caps") or {}
    caps = result.get("caps") or inputs.get("caps") or {}
    out = []
    for item in result.get("binding") or ():
        kind, _, name = str(item).partition(" ")
        if kind != "cap" or name not in prices or name not in caps:
            continue
        step = float(caps[name]) / 100
        gain = abs(float(prices[name])) * step
        raw = str(economy.units.get(name, ""))
        unit = tr.maybe(f"unit.{raw}", raw)
        what = _resource(tr, name)
        if result.get("objective") == "min_labour":
            out.append(
                tr(
                    "plan.scarce.hours",
                    name=what,
                    step=tr.number(step),
                    unit=unit,
                    hours=tr.number(gain),
                )
            )
        else:
            out.append(
                tr(
                    "plan.scarce.share",
                    name=what,
                    step=tr.number(step),
                    unit=unit,
                    points=tr.number(gain * 100),
                )
            )
    return out


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
        Fact(tr("plan.hours_offered"), total_hours(tr, summary.hours_offered)),
    ]
    if summary.hours_used is not None:
        facts.append(Fact(tr("plan.hours_used"), total_hours(tr, summary.hours_used)))
    facts.append(Fact(tr("plan.budget"), total_hours(tr, summary.collective_budget)))
    prices = result.get("shadow_prices") or {}
    group = {"cap": "caps", "capacity": "capacities", "floor": "products"}
    binding = []
    for item in summary.binding:
        kind, _, name = str(item).partition(" ")
        price = (prices.get(group.get(kind, ""), {}) or {}).get(name)
        label = _resource(tr, name) if kind == "cap" else name
        if name in economy.products:
            label = economy.label(economy.product_index(name))
        binding.append(
            Fact(
                tr.maybe(f"plan.binding.{kind}", item, name=label),
                tr("plan.price", price=tr.number(float(price)))
                if price is not None
                else tr("plan.none"),
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
        "facts": facts,
        "binding": binding,
        "scarce": scarce(tr, economy, result, inputs),
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


@dataclass(frozen=True)
class PlanHoursSaid:
    """A plan's hours for the member, per week (as said) and per year (whole hours): to work,
    and free."""

    plan: str
    work_week: str
    free_week: str
    work_year: int


def member_hours(
    db: Database, who: Principal, names: Sequence[PlanName], tr: Translator
) -> list[PlanHoursSaid]:
    """The member's hours of work and free time under each of the round's plans (the quotas of
    :func:`commonplan.work.quotas.compare_plans`); none where they cannot be computed."""
    try:
        compared = compare_plans(db, who.handle, [n.id for n in names])
    except CommonplanError:
        return []
    called = {n.id: n.name for n in names}
    return [
        PlanHoursSaid(
            called[h.plan],
            per_week(tr, h.hours_per_week),
            per_week(tr, h.free_per_week),
            round(h.hours_per_week * WEEKS_PER_YEAR),
        )
        for h in compared
    ]


def what_you_get(
    db: Database, who: Principal, view: rounds.Consequences, names: Codes, tr: Translator
) -> list[Fact]:
    """Each of the member's councils' proposals: what the plan gives of each product asked
    (by name, with units), or how far it is met."""
    out = []
    for p in view.proposals:
        if p["kind"] == "target" and p["met"] is not None:
            asked = public.read_proposal(db, who, int(p["id"])).amounts
            met = float(p["met"])
            lines = [
                tr(
                    "plan.gets",
                    name=names.name("target", code),
                    planned=tr.number(amount * met),
                    asked=tr.number(amount),
                    unit=names.unit,
                )
                for code, amount in asked.items()
            ]
            out.append(Fact(p["title"], "; ".join([proposal_met(tr, p), *lines])))
        else:
            out.append(Fact(p["title"], proposal_met(tr, p)))
    return out


SHOWN_FIRST = 8
"""Products a member sees at once in "what each person gets"; the rest behind "all products"."""


def per_person(tr: Translator, got: rounds.WhatWeGet, plan: str) -> list[Fact]:
    """Each product the member's consumers' council gets, per person a year, in words: today,
    under ``plan`` (with the change), the hard floor within it, what was asked where the plan
    gives less."""

    def amount(value: float) -> str:  # whole units from 100 on, else three digits
        shown = round(value) if abs(value) >= 100 else float(f"{value:.3g}")
        return tr("num.qty", value=tr.number(shown), unit=got.unit)

    out = []
    for row in got.rows:
        parts = [
            tr("plan.person.under", plan=plan, amount=amount(row.planned))
            if row.today is None
            else tr(
                "plan.person.against",
                today=amount(row.today),
                plan=plan,
                amount=amount(row.planned),
                change=tr.number(row.planned / row.today - 1, "+.0%") if row.today else "—",
            )
        ]
        if row.floor > 0:
            need = tr.maybe(f"need.{row.need}", row.need or "")
            parts.append(tr("plan.person.floor", amount=amount(row.floor), need=need))
        if row.planned < row.asked * (1 - 1e-9):
            parts.append(tr("plan.person.asked", amount=amount(row.asked)))
        out.append(Fact(row.name, "; ".join(parts)))
    return out


@router.get("/rounds/{round_id}/plan")
def plan(round_id: int, who: CurrentMember, request: Request, db: DB) -> HTMLResponse:
    tr = tr_of(request)
    info, context = round_context(db, who, round_id, tr, "plan.title")
    if not info.round.plans:
        return page(request, "plan.html", view=None, whole=None, **context)
    public.in_scope(db, who, round_in_scope, round_id)
    names = plan_names(db, who, info.round.plans, tr)
    shown = shown_plan(names)
    view = rounds.member_view(db, round_id, member=who.handle, plan=shown.id)
    products = codes(db, info.round.federation)
    hours = member_hours(db, who, names, tr) if view.hours_proposed is not None else []
    mine = next((h for h in hours if h.plan == shown.name), None)
    got = rounds.what_we_get(db, round_id, member=who.handle, plan=shown.id)
    dear = [
        tr(
            "plan.dear" if view.prices_in_hours else "plan.dear_shadow",
            name=products.name("target", code),
            price=tr.number(price),
            unit=products.unit,
        )
        for code, price in view.prices.items()
    ]
    return page(
        request,
        "plan.html",
        view=view,
        plan_name=shown.name,
        hours=hours,
        mine_hours=mine,
        offered=view.hours_proposed,
        unused=None
        if mine is None or view.hours_proposed is None
        else round(max(0.0, view.hours_proposed - mine.work_year)),
        number=tr.number,
        gets=what_you_get(db, who, view, products, tr),
        got=got,
        per_person=per_person(tr, got, shown.name),
        shown_first=SHOWN_FIRST,
        dear=dear,
        whole=plan_whole(db, who, shown.id, tr),
        **context,
    )
