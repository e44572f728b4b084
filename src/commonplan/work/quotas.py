"""Quotas from the plan: the hours each workplace and each member work, and the free time left.

**The labour requirement.**  A plan (a :class:`~commonplan.store.models.Draft` row: a draft, an
alternative or the final ratified plan) runs each process p at activity x_p, which takes
l_p · x_p hours a year (l: the economy's direct labour per unit of activity; Σ_p l_p x_p is the
plan's ``use["labour"]``).  A workers' council runs the processes its ``processes`` name (a
product's code stands for the processes that make it).  The hours of a process are shared
between the councils that run it in proportion to their members (each stands for the same
``people_per_member`` people); the hours of processes no council runs (or only councils without
members) are spread over all workers' councils in proportion to the hours they offer — their
council's ``hours`` proposal in the plan's round, else the federation's ``default_hours``, times
their members.  Spreading by hours offered is a choice: it asks the most of the councils that
offered the most, and nothing of a council that offered none; it is the rule the draft itself
follows, whose labour cap is the sum of the hours offered.

**Quotas.**  A period is a share of the plan's year: ``weeks_in(period) / 52`` (a month 1/12, a
week 1/52).  A workplace's requirement in the period, R_w, is divided among its members so that
credits count as hours worked (Twin Oaks' rule: one credit is one hour): every member owes the
same T hours, of which their credited hours c_i are already given, so member i's quota is
q_i = max(0, T − c_i), with T the one number for which s · Σ_i q_i = R_w (s: people per member;
"water-filling": a member credited more than T owes nothing and the others share the rest).
The quotas of all members therefore add up to the plan's labour in the period exactly.

**Free time** of member i in the period = awake hours (setting ``hours.awake_per_week``, 112 by
default: 16 waking hours a day) × weeks − q_i − c_i: what the plan leaves them.  It is a result
of the plan, so members can compare plans by it with :func:`compare_plans`.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from commonplan.economy.model import Economy
from commonplan.errors import NotFoundError, PlanInputError
from commonplan.federation import count_members, economy_of, is_eligible, member_named, subtree
from commonplan.reports.ledger import periods_of
from commonplan.store import Database, get
from commonplan.store.models import (
    Council,
    Draft,
    Federation,
    HoursEntry,
    HoursVerdict,
    Member,
    Proposal,
    Round,
)
from commonplan.work.hours import WEEKS_PER_YEAR, hours_settings, weeks_in

__all__ = [
    "LabourRequirement",
    "MemberQuota",
    "PlanHours",
    "Quotas",
    "WorkplaceRequirement",
    "compare_plans",
    "labour_requirement",
    "quotas",
    "water_fill",
]


@dataclass(frozen=True)
class WorkplaceRequirement:
    """A workplace's hours a year under the plan: ``direct`` from the processes it runs (its
    share), ``spread`` its share of the labour of processes no council runs."""

    workplace: str
    members: int
    offered: float
    direct: float
    spread: float

    @property
    def total(self) -> float:
        return self.direct + self.spread


@dataclass(frozen=True)
class LabourRequirement:
    """The plan's labour, hours a year: in all (Σ l_p x_p), per process, per workplace, and the
    processes no council with members runs (their hours are in the workplaces' ``spread``)."""

    plan: int
    stage: str
    total: float
    by_process: Mapping[str, float]
    unassigned: Mapping[str, float]
    workplaces: tuple[WorkplaceRequirement, ...]


@dataclass(frozen=True)
class MemberQuota:
    """A member's hours in one period under a plan: ``quota`` to work, ``credits`` credited,
    ``offered`` by their council, and the ``free`` time left of their ``awake`` hours."""

    member: str
    workplace: str
    period: str
    weeks: float
    offered: float
    credits: float
    quota: float
    awake: float

    @property
    def free(self) -> float:
        return self.awake - self.quota - self.credits


@dataclass(frozen=True)
class Quotas:
    """Every member's quota in a period; ``requirement`` (the plan's labour in the period) equals
    ``people_per_member`` × Σ quotas."""

    plan: int
    period: str
    weeks: float
    requirement: float
    people_per_member: float
    workplaces: Mapping[str, float]
    members: tuple[MemberQuota, ...]

    def of(self, member: str) -> MemberQuota:
        for q in self.members:
            if q.member == member:
                return q
        raise NotFoundError(f"{member!r} works in no workplace of this plan")


@dataclass(frozen=True)
class PlanHours:
    """What one plan means for one member, per week: hours to work, credited, and free."""

    plan: int
    stage: str
    title: str | None
    status: str
    hours_per_week: float
    credits_per_week: float
    free_per_week: float


def water_fill(requirement: float, credits: Sequence[float]) -> list[float]:
    """Quotas q_i = max(0, T − c_i) with Σ q_i = ``requirement``: everyone owes the same T hours,
    credits counting as hours given.  Sort c ascending; with the k smallest credited active,
    T = (R + Σ_{i≤k} c_i) / k, the first k for which T ≤ c_(k+1)."""
    if requirement < 0:
        raise PlanInputError(f"a labour requirement cannot be negative; got {requirement:g}")
    if not credits:
        if requirement > 0:
            raise PlanInputError("a workplace with hours to work has no members")
        return []
    order = sorted(range(len(credits)), key=lambda i: credits[i])
    c = [credits[i] for i in order]
    level, total = 0.0, 0.0
    for k in range(1, len(c) + 1):
        total += c[k - 1]
        level = (requirement + total) / k
        if k == len(c) or level <= c[k]:
            break
    return [max(0.0, level - x) for x in credits]


def _draft(s: Session, plan: int) -> tuple[Draft, Round, Federation, Economy]:
    d = get(s, Draft, plan, "plan")
    r = get(s, Round, d.round_id, "round")
    fed = get(s, Federation, r.federation_id, "federation")
    economy = economy_of({"economy": d.inputs.get("economy", fed.settings.get("economy"))})
    recorded = d.inputs.get("economy_sha256")
    if recorded is not None and recorded != economy.sha256:
        raise PlanInputError(
            f"plan {plan} was computed from another economy (sha256 {recorded[:12]}…)"
        )
    if d.result.get("status") != "optimal":
        raise PlanInputError(
            f"plan {plan} has no activities to work ({d.result.get('status')}): its quotas "
            "follow from an optimal plan only"
        )
    return d, r, fed, economy


def _processes(economy: Economy, names: Iterable[str]) -> set[str]:
    out = set()
    for name in names:
        if name in economy.processes:
            out.add(name)
        elif name in economy.products:
            i = economy.product_index(name)
            out |= {p for j, p in enumerate(economy.processes) if int(economy.makes[j]) == i}
    return out


def _offered(
    s: Session, r: Round, fed: Federation, councils: Sequence[Council]
) -> dict[int, float]:
    """Hours per member per year each workers' council offers in round ``r``: its latest live
    ``hours`` proposal, else the federation's ``default_hours``."""
    hours = {c.id: float(fed.settings["default_hours"]) for c in councils}
    rows = s.execute(
        select(Proposal.council_id, Proposal.hours)
        .where(Proposal.round_id == r.id, Proposal.kind == "hours", Proposal.withdrawn.is_(False))
        .order_by(Proposal.id)
    ).all()
    for council, h in rows:
        if council in hours:
            hours[council] = float(h or 0.0)
    return hours


def _requirement(s: Session, plan: int) -> tuple[LabourRequirement, Draft, Round, Federation]:
    d, r, fed, economy = _draft(s, plan)
    if economy.labour is None:
        raise PlanInputError(f"plan {plan}: the economy has no labour input")
    activity = {str(p): float(x) for p, x in (d.result.get("activity") or {}).items()}
    by_process = {
        p: float(economy.labour[economy.processes.index(p)]) * x for p, x in activity.items()
    }
    councils = list(
        s.execute(
            select(Council)
            .where(Council.federation_id.in_(subtree(s, fed.id)), Council.kind == "workers")
            .order_by(Council.id)
        ).scalars()
    )
    members = count_members(s, [c.id for c in councils])
    offered = _offered(s, r, fed, councils)
    runs = {c.id: _processes(economy, c.processes or ()) for c in councils}
    direct = dict.fromkeys(runs, 0.0)
    unassigned: dict[str, float] = {}
    for p, hours in by_process.items():
        running = [c for c, ps in runs.items() if p in ps and members[c] > 0]
        people = sum(members[c] for c in running)
        if not running:
            unassigned[p] = hours
            continue
        for c in running:
            direct[c] += hours * members[c] / people
    weight = {c.id: offered[c.id] * members[c.id] for c in councils}
    spread_total = sum(unassigned.values())
    if spread_total > 0 and sum(weight.values()) <= 0:
        raise PlanInputError(
            f"plan {plan}: no workers' council with members offers hours, so the labour of "
            f"{', '.join(sorted(unassigned))} (run by no council) cannot be placed"
        )
    all_weight = sum(weight.values())
    workplaces = tuple(
        WorkplaceRequirement(
            workplace=c.name,
            members=members[c.id],
            offered=offered[c.id],
            direct=direct[c.id],
            spread=spread_total * weight[c.id] / all_weight if spread_total > 0 else 0.0,
        )
        for c in councils
    )
    req = LabourRequirement(
        plan=d.id,
        stage=d.stage,
        total=sum(by_process.values()),
        by_process=by_process,
        unassigned=unassigned,
        workplaces=workplaces,
    )
    return req, d, r, fed


def labour_requirement(db: Database, plan: int) -> LabourRequirement:
    """The labour plan ``plan`` takes, hours a year, per process and per workplace (see the
    module docstring for how processes are shared and where the unassigned labour goes)."""
    with db.transaction() as s:
        return _requirement(s, plan)[0]


def _credits(s: Session, round_id: int, period: str) -> dict[int, float]:
    """Hours credited to each member in ``period`` of the round's ledger, net of reversals and
    leaving out the disputed (an entry's verdict counts for its reversal too)."""
    target = func.coalesce(HoursEntry.reverses_id, HoursEntry.id)
    rows = s.execute(
        select(HoursEntry.member_id, func.sum(HoursEntry.hours))
        .outerjoin(HoursVerdict, HoursVerdict.entry_id == target)
        .where(
            HoursEntry.round_id == round_id,
            HoursEntry.period == period,
            HoursEntry.kind == "credit",
            (HoursVerdict.verdict.is_(None)) | (HoursVerdict.verdict != "disputed"),
        )
        .group_by(HoursEntry.member_id)
    ).all()
    return {m: float(h) for m, h in rows}


def _quotas(
    s: Session, plan: int, period: str, weeks: float, credits: Mapping[int, float] | None
) -> Quotas:
    req, d, r, fed = _requirement(s, plan)
    cfg = hours_settings(fed.settings)
    scale = float(fed.settings["people_per_member"])
    share = weeks / WEEKS_PER_YEAR
    if credits is None:
        credits = _credits(s, r.id, period)
    names = {w.workplace: w for w in req.workplaces}
    councils = dict(
        s.execute(select(Council.name, Council.id).where(Council.name.in_(names))).all()
    )
    out: list[MemberQuota] = []
    for name, w in names.items():
        people = list(
            s.execute(
                select(Member.id, Member.handle)
                .where(Member.workers_council_id == councils[name])
                .order_by(Member.handle)
            ).all()
        )
        given = [float(credits.get(m, 0.0)) for m, _ in people]
        owed = water_fill(w.total * share / scale, given) if people else []
        for (_, handle), c, q in zip(people, given, owed, strict=True):
            out.append(
                MemberQuota(
                    member=handle,
                    workplace=name,
                    period=period,
                    weeks=weeks,
                    offered=w.offered * share,
                    credits=c,
                    quota=q,
                    awake=cfg.awake_per_week * weeks,
                )
            )
    return Quotas(
        plan=d.id,
        period=period,
        weeks=weeks,
        requirement=req.total * share,
        people_per_member=scale,
        workplaces={w.workplace: w.total * share for w in req.workplaces},
        members=tuple(out),
    )


def quotas(
    db: Database, plan: int, period: str, *, credits: Mapping[str, float] | None = None
) -> Quotas:
    """Every member's quota and free time in ``period`` (one of the plan's round's periods)
    under ``plan``.  Credits are the hours credited in the round's hours ledger for the period
    (confirmed or pending, net of reversals), unless ``credits`` ({handle: hours}) gives them."""
    with db.transaction() as s:
        d = get(s, Draft, plan, "plan")
        r = get(s, Round, d.round_id, "round")
        periods = periods_of(r)
        if period not in periods:
            raise PlanInputError(
                f"period {period!r} is not in the plan ({periods[0]} to {periods[-1]})"
            )
        by_id = None if credits is None else _by_handle(s, credits)
        return _quotas(s, plan, period, weeks_in(period), by_id)


def _by_handle(s: Session, credits: Mapping[str, float]) -> dict[int, float]:
    out = {}
    for handle, hours in credits.items():
        h = float(hours)
        if not (h >= 0 and h < float("inf")):
            raise PlanInputError(f"the credits of {handle!r} must be hours ≥ 0; got {hours!r}")
        out[member_named(s, handle).id] = h
    return out


def compare_plans(
    db: Database,
    member: str,
    plans: Sequence[int],
    *,
    period: str | None = None,
    credits_per_week: float = 0.0,
) -> list[PlanHours]:
    """What each plan means for ``member``, per week: "this draft means 31 h a week for me; the
    alternative 29 h".  With ``period``, that period of each plan's round with the credits on
    file; else a plain week of the plan's year (1/52) with ``credits_per_week`` credited.  A
    member with no workplace owes no quota; another federation's plan is not found."""
    with db.transaction() as s:
        m = member_named(s, member)
        out = []
        for plan in plans:
            d = get(s, Draft, plan, "plan")
            if not is_eligible(s, _root(s, d), m):
                raise NotFoundError(f"no plan {plan}")  # another federation's plan
            if period is None:
                weeks, label, credits = 1.0, "week", {m.id: float(credits_per_week)}
            else:
                periods = periods_of(get(s, Round, d.round_id, "round"))
                if period not in periods:
                    raise PlanInputError(f"plan {plan}: period {period!r} is not in its plan")
                weeks, label = weeks_in(period), period
                credits = _credits(s, d.round_id, period)
            q = _quotas(s, plan, label, weeks, credits)
            mine = next((x for x in q.members if x.member == member), None)
            cfg = hours_settings(get(s, Federation, _root(s, d), "federation").settings)
            hours = mine.quota if mine is not None else 0.0
            credited = credits.get(m.id, 0.0)
            out.append(
                PlanHours(
                    plan=d.id,
                    stage=d.stage,
                    title=_title(d.inputs),
                    status=str(d.result.get("status")),
                    hours_per_week=hours / weeks,
                    credits_per_week=credited / weeks,
                    free_per_week=cfg.awake_per_week - (hours + credited) / weeks,
                )
            )
        return out


def _root(s: Session, d: Draft) -> int:
    return get(s, Round, d.round_id, "round").federation_id


def _title(inputs: Mapping[str, Any]) -> str | None:
    title = inputs.get("title")
    return None if title is None else str(title)
