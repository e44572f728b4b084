"""The plan page: what a round's plan means for the member — their hours and free time under
each plan they may vote on, what their councils' proposals get, what each person of their
consumers' council gets against today, what is scarce — and for everyone (totals, charts)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from fastapi import Request
from fastapi.responses import HTMLResponse

from commonplan import rounds
from commonplan.accounts import Principal
from commonplan.errors import CommonplanError
from commonplan.federation import economy_of
from commonplan.store import Database
from commonplan.web import charts as chart
from commonplan.web import public
from commonplan.web.deps import DB, CurrentMember
from commonplan.web.pages._base import (
    Fact,
    page,
    round_context,
    router,
    tr_of,
)
from commonplan.web.pages._running import per_week
from commonplan.web.pages.rounds import Codes, codes
from commonplan.web.scope import round_in_scope
from commonplan.web.text import Translator
from commonplan.work.hours import WEEKS_PER_YEAR
from commonplan.work.quotas import compare_plans


def _resource(tr: Translator, name: str) -> str:
    return tr.maybe(f"resource.{name}", name)


MILLION = 1_000_000.0
"""From here up, totals of hours are said in millions."""


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
                change="—" if row.change is None else tr.number(row.change, "+.0%"),
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
