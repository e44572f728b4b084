"""Plans of a round: their inputs from the proposals, the draft and its alternatives, the
recorded plan recomputed, and what a plan means for a member or a reader.

:func:`compute_draft` adds the proposals up the tree and computes the optimal plan: hard floors
for everyone, private targets fulfilled as far as the hours (less the share set aside for
collective proposals) and the round's caps allow; every collective proposal is costed in labour
hours (λ·amounts: the hours it embodies, directly and in its inputs).  Plans are recorded with
the hash of their inputs, from which :func:`recompute` recomputes them.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass
from typing import Any

import numpy as np
from sqlalchemy import select
from sqlalchemy.orm import Session

from commonplan import audit
from commonplan.economy.model import LABOUR, Economy
from commonplan.errors import (
    FloorError,
    PhaseError,
    PlanInputError,
    PlanningError,
    Said,
    SolverError,
    said,
)
from commonplan.federation import (
    count_members,
    economy_of,
    eligible_members,
    floors_of,
    member_named,
    subtree,
)
from commonplan.plan.balance import embodied
from commonplan.plan.optimize import TargetGroup, optimize
from commonplan.rounds.phases import facilitated, move, now, root_of, round_at
from commonplan.store import Database, get
from commonplan.store.models import Council, Draft, Proposal, Round

__all__ = [
    "CollectiveCost",
    "Consequences",
    "PlanSummary",
    "compute_alternative",
    "compute_draft",
    "member_view",
    "plan_inputs",
    "plan_summary",
    "recompute",
]


def live_proposals(s: Session, r: Round) -> list[Proposal]:
    """The proposals of round ``r`` not withdrawn (nor replaced by an amendment), oldest first."""
    return list(
        s.execute(
            select(Proposal)
            .where(Proposal.round_id == r.id, Proposal.withdrawn.is_(False))
            .order_by(Proposal.id)
        ).scalars()
    )


# ---------------------------------------------------------------------- the plan's inputs


def plan_inputs(
    s: Session,
    r: Round,
    *,
    chosen: Sequence[int] | None = None,
    caps: Mapping[str, float | str] | None = None,
) -> dict[str, Any]:
    """Everything the engine needs for round ``r``'s plan, as plain data (recorded and hashed).

    Floors = Σ per-person floor × people (members × people_per_member); labour cap = Σ over
    workers' councils of hours per member (its latest proposal, else the default) × members ×
    people_per_member; private targets = Σ target proposals; ``caps`` replaces the round's caps of
    those resources (an alternative draft); ``chosen``: the collective proposals
    the budget vote chose — in the final plan they are floors too (their hours were budgeted).
    """
    fed = root_of(s, r)
    settings, rounds = fed.settings, r.settings
    scale = float(settings["people_per_member"])
    councils = list(
        s.execute(select(Council).where(Council.federation_id.in_(subtree(s, fed.id)))).scalars()
    )
    members = count_members(s, [c.id for c in councils])
    people = scale * len(s.execute(eligible_members(s, fed.id)).all())
    floors: dict[str, float] = {}
    for f in floors_of(s, fed.id):
        floors[f.product] = floors.get(f.product, 0.0) + f.per_person * people
    live = live_proposals(s, r)
    hours = {c.id: float(settings["default_hours"]) for c in councils if c.kind == "workers"}
    capacities: dict[str, float] = {}
    targets: dict[str, float] = {}
    for p in live:
        if p.kind == "hours":
            hours[p.council_id] = float(p.hours or 0.0)
        elif p.kind == "capacity":
            for k, v in p.amounts.items():
                capacities[k] = capacities.get(k, 0.0) + v
        elif p.kind == "target":
            for k, v in p.amounts.items():
                targets[k] = targets.get(k, 0.0) + v
    for p in live:
        if p.kind == "collective" and chosen is not None and p.id in chosen:
            for k, v in p.amounts.items():
                floors[k] = floors.get(k, 0.0) + v
    labour = sum(h * members[c] * scale for c, h in hours.items())
    share = 0.0 if chosen is not None else float(rounds["collective_share"])
    inputs = {
        "economy": settings["economy"],
        "floors": floors,
        "targets": targets,
        "capacities": capacities,
        "caps": {**rounds.get("caps", {}), LABOUR: labour * (1 - share)},
        "hours_offered": labour,
        "collective_budget": labour * float(rounds["collective_share"]),
        "chosen": sorted(chosen) if chosen is not None else None,
    }
    if caps:
        if LABOUR in caps:
            raise PlanInputError(said("labour is capped by the hours the workers' councils offer"))
        inputs["caps"] = {**inputs["caps"], **caps}
        inputs["alternative_caps"] = dict(caps)
    return inputs


def _solve(economy: Economy, inputs: Mapping[str, Any], *, floors_only: bool = False) -> Any:
    """The plan for ``inputs``: the floors, then the private targets in full with the fewest hours
    (what is left of the hours offered is free time); where the hours and caps do not allow the
    targets in full, the largest common fulfilment of them (Kantorovich)."""
    floors = inputs["floors"]
    targets = inputs["targets"] if not floors_only else {}
    if not any(targets.values()):  # nothing asked beyond the floors: plan the floors alone
        targets = floors if any(floors.values()) else {economy.products[0]: 0.0}
    if not any(targets.values()):
        raise PlanInputError(said("nothing to plan: no floors and no targets have been proposed"))
    problem = {
        "targets": [TargetGroup("private", targets)],
        "floors": floors or None,
        "caps": inputs["caps"],
        "capacities": inputs["capacities"] or None,
    }
    best = optimize(economy, objective="max_fulfilment", **problem)
    if floors_only or best.status != "optimal" or best.fulfilment["private"] < 1:
        return best
    return optimize(economy, objective="min_labour", **problem)


def labour_cost(economy: Economy, amounts: Mapping[str, float]) -> float:
    """λ·amounts: the hours a bundle embodies, directly and in all its inputs."""
    lam = embodied(economy)
    return float(sum(lam[economy.product_index(k)] * v for k, v in amounts.items()))


def check_floors(s: Session, r: Round, economy: Economy, what: Said) -> None:
    inputs = plan_inputs(s, r)
    inputs["caps"] = {**inputs["caps"], LABOUR: inputs["hours_offered"]}
    if not any(inputs["floors"].values()):
        return
    result = _solve(economy, inputs, floors_only=True)
    if result.status == "infeasible":
        why = result.diagnosis.message if result.diagnosis is not None else result.message
        raise FloorError(
            said(
                "refused: under the {what} the hard floors (food, housing, health, care) could "
                "no longer all be produced. {why}",
                what=what,
                why=why,
            )
        )


def _result(economy: Economy, stage: str, inputs: Mapping[str, Any]) -> dict[str, Any]:
    """The recorded form of the plan of ``inputs``: a rolling replan
    (:mod:`commonplan.monitor.rolling`) or a round's plan."""
    if stage == "replan":
        from commonplan.monitor.rolling import replan_result

        result = replan_result(economy, inputs)
    else:
        try:
            result = _solve(economy, inputs).to_dict()
        except SolverError as e:  # not the engine's failure to show as one: the inputs are at fault
            raise PlanningError(
                said(
                    "the plan cannot be computed from the proposals as they stand ({e}); a "
                    "proposal may ask for amounts out of scale: amend it, or a facilitator may "
                    "withdraw it with a reason",
                    e=e,
                )
            ) from e
    recorded: dict[str, Any] = audit.plain(result)
    return recorded


def record_plan(s: Session, r: Round, stage: str, inputs: dict[str, Any], actor: str) -> Draft:
    """Compute the plan of ``inputs``, record it with the hashes of its inputs and its result,
    and append it to the audit log (``stage``: draft, alternative, final or replan)."""
    economy = economy_of(root_of(s, r).settings)
    inputs = {**inputs, "economy_sha256": economy.sha256}
    result = _result(economy, stage, inputs)
    d = Draft(
        round_id=r.id,
        stage=stage,
        inputs=inputs,
        inputs_sha256=audit.digest(inputs),
        result=result,
        result_sha256=audit.digest(result),
        computed_at=now(),
    )
    s.add(d)
    s.flush()
    audit.append(
        s,
        actor=actor,
        action="plan computed",
        subject=f"plan {d.id}",
        payload={
            "round": r.id,
            "stage": stage,
            **({"replans": inputs["replans"]} if "replans" in inputs else {}),
            "inputs_sha256": d.inputs_sha256,
            "result_sha256": d.result_sha256,
            "status": result["status"],
        },
    )
    return d


# ---------------------------------------------------------------------- recomputing


def recompute(db: Database, plan: int) -> dict[str, Any]:
    """Recompute a recorded plan from its recorded inputs; returns {same, recorded, recomputed}.

    ``same`` compares the status and the plan's numbers (fulfilment, activity, net output, use,
    prices) to 1e-6 relative to each vector's largest entry — above the solver's feasibility
    tolerance (1e-7), so the same inputs give the same plan; timings and iteration counts are not
    compared.
    """
    with db.transaction() as s:
        d = get(s, Draft, plan, "plan")
        economy = economy_of({"economy": d.inputs["economy"]})
        if economy.sha256 != d.inputs["economy_sha256"]:
            raise PlanInputError(
                said(
                    "plan {plan} was computed from another economy (sha256 {sha256}…)",
                    plan=plan,
                    sha256=d.inputs["economy_sha256"][:12],
                )
            )
        again = _result(economy, d.stage, d.inputs)
        same = (_same_replan if d.stage == "replan" else _same_plan)(d.result, again)
        return {"same": same, "recorded": d.result, "recomputed": again}


def _same_plan(a: Mapping[str, Any], b: Mapping[str, Any]) -> bool:
    """Same status and the same numbers to 1e-6 relative (of each vector's largest entry)."""
    if a["status"] != b["status"]:
        return False
    for key in ("fulfilment", "activity", "net_output", "use"):
        if not _close_maps(a.get(key) or {}, b.get(key) or {}):
            return False
    pa, pb = a.get("shadow_prices") or {}, b.get("shadow_prices") or {}
    return all(_close_maps(pa.get(k) or {}, pb.get(k) or {}) for k in ("products", "caps"))


def _same_replan(a: Mapping[str, Any], b: Mapping[str, Any]) -> bool:
    """Two recorded replans agree: status, and every period's fulfilment, activity and use."""
    if a["status"] != b["status"] or len(a["periods"]) != len(b["periods"]):
        return False
    return all(
        pa["period"] == pb["period"]
        and all(_close_maps(pa[k] or {}, pb[k] or {}) for k in ("fulfilment", "activity", "use"))
        for pa, pb in zip(a["periods"], b["periods"], strict=True)
    )


def _close_maps(x: Mapping[str, Any], y: Mapping[str, Any]) -> bool:
    keys = sorted(set(x) | set(y))
    u = np.array([float(x.get(k, 0.0)) for k in keys])
    v = np.array([float(y.get(k, 0.0)) for k in keys])
    scale = max(1.0, float(np.abs(u).max(initial=0.0)))
    return bool(np.allclose(u, v, rtol=1e-6, atol=1e-6 * scale))


# ---------------------------------------------------------------------- drafts


def compute_draft(db: Database, round_id: int, *, actor: str) -> int:
    """Aggregate the proposals, compute the draft plan, cost the collective proposals in hours,
    and move the round to feedback (a facilitator's step); returns the plan's id."""
    with db.transaction() as s:
        r = facilitated(s, actor, round_id, "proposals", "feedback")
        d = record_draft(s, r, actor)
        move(s, r, "feedback", actor)
        return d.id


def record_draft(s: Session, r: Round, actor: str, inputs: dict[str, Any] | None = None) -> Draft:
    """Cost the collective proposals in hours and record the draft (``inputs``: the round's
    :func:`plan_inputs`, where the caller has them already)."""
    economy = economy_of(root_of(s, r).settings)
    costs = {}
    for p in live_proposals(s, r):
        if p.kind == "collective":
            p.labour_cost = costs[p.id] = labour_cost(economy, p.amounts)
    audit.append(
        s,
        actor=actor,
        action="proposals costed",
        subject=f"round {r.id}",
        payload={"labour_cost": costs},
    )
    return record_plan(s, r, "draft", inputs if inputs is not None else plan_inputs(s, r), actor)


def compute_alternative(
    db: Database, round_id: int, *, title: str, caps: Mapping[str, float | str], actor: str
) -> int:
    """An alternative draft with other caps (e.g. CO2 at 60 % instead of 70 %) for members to rank
    against the draft in the vote (Schulze); a facilitator's step in feedback; returns its id."""
    if not caps:
        raise PlanInputError(
            said(
                "alternative {title!r} names no cap: give at least one other than the draft's "
                "(e.g. {{'co2': '60%'}}), else it is the draft",
                title=title,
            )
        )
    with db.transaction() as s:
        r = facilitated(s, actor, round_id, "feedback")
        inputs = {**plan_inputs(s, r, caps=caps), "title": title}
        return record_plan(s, r, "alternative", inputs, actor).id


def alternatives(s: Session, r: Round) -> list[Draft]:
    """The alternative drafts of round ``r``, oldest first."""
    query = select(Draft).where(Draft.round_id == r.id, Draft.stage == "alternative")
    return list(s.execute(query.order_by(Draft.id)).scalars())


def ballot_alternatives(s: Session, r: Round, actor: str) -> list[Draft]:
    """The alternatives members may rank when the vote opens: each as the proposals stand now
    (recomputed and recorded again where they changed since it was computed), and only those
    the engine planned (``optimal``) — an infeasible or unfinished alternative never reaches a
    ballot: the final plan would be computed under its caps."""
    out = []
    for d in alternatives(s, r):
        asked = d.inputs
        caps = asked.get("alternative_caps") or {}  # (none: an older alternative with no cap)
        inputs = {**plan_inputs(s, r, caps=caps), "title": asked["title"]}
        if d.inputs_sha256 != audit.digest({**inputs, "economy_sha256": asked["economy_sha256"]}):
            d = record_plan(s, r, "alternative", inputs, actor)
        if d.result["status"] == "optimal":
            out.append(d)
    return out


# ---------------------------------------------------------------------- what a plan means


@dataclass(frozen=True)
class Consequences:
    """What a plan means for one member."""

    member: str
    hours_per_year: float | None
    hours_proposed: float | None
    fulfilment: float | None
    proposals: tuple[dict[str, Any], ...]
    binding: tuple[str, ...]
    prices: dict[str, float]
    status: str
    prices_in_hours: bool = False
    """``prices`` are hours of work per unit (the labour cap's price as numeraire, or the hours
    themselves where the plan meets every target with the fewest hours), else Kantorovich's
    valuations, meaningful only against one another."""


def latest_draft(s: Session, r: Round, plan: int | None = None) -> Draft:
    """Round ``r``'s latest plan, or its plan ``plan``; refused where there is none yet."""
    query = select(Draft).where(Draft.round_id == r.id)
    if plan is not None:
        query = query.where(Draft.id == plan)
    d = s.execute(query.order_by(Draft.id.desc())).scalars().first()
    if d is None:
        raise PhaseError(said("round {round} has no draft plan yet", round=r.number))
    return d


def member_view(
    db: Database, round_id: int, *, member: str, top: int = 5, plan: int | None = None
) -> Consequences:
    """The latest plan of the round (or its ``plan``) as it touches ``member``: the hours they
    would work (their council's offer × the share of offered hours the plan uses), how far each
    of their councils' proposals is met, what binds, and the dearest products in labour hours."""
    with db.transaction() as s:
        r = round_at(s, round_id)
        m = member_named(s, member)
        d = latest_draft(s, r, plan)
        res = d.result
        offered = d.inputs["hours_offered"]
        used = (res.get("use") or {}).get(LABOUR)
        share = float(used) / offered if used is not None and offered else None
        own = [c for c in (m.workers_council_id, m.consumers_council_id) if c is not None]
        default = float(root_of(s, r).settings["default_hours"])
        proposed = default if m.workers_council_id is not None else None
        chosen = d.inputs.get("chosen")
        t = (res.get("fulfilment") or {}).get("private")
        mine = []
        for p in live_proposals(s, r):
            if p.council_id not in own:
                continue
            if p.kind == "hours":
                proposed = p.hours
            met: Any = t if p.kind == "target" else None
            if p.kind == "collective":
                met = None if chosen is None else (1.0 if p.id in chosen else 0.0)
            mine.append(
                {
                    "id": p.id,
                    "kind": p.kind,
                    "title": p.title,
                    "met": met,
                    "labour_cost": p.labour_cost,
                }
            )
        shadow = res.get("shadow_prices") or {}
        prices = {k: float(v) for k, v in (shadow.get("products") or {}).items()}
        per_hour = float((shadow.get("caps") or {}).get(LABOUR) or 0.0)
        in_hours = res.get("objective") == "min_labour" or per_hour > 0
        if res.get("objective") != "min_labour" and per_hour > 0:
            prices = {k: v / per_hour for k, v in prices.items()}  # in hours of work
        dear = dict(sorted(prices.items(), key=lambda kv: -kv[1])[:top])
        return Consequences(
            member=m.handle,
            hours_per_year=proposed * share if proposed is not None and share is not None else None,
            hours_proposed=proposed,
            fulfilment=float(t) if t is not None else None,
            proposals=tuple(mine),
            binding=tuple(res.get("binding") or ()),
            prices=dear,
            status=res["status"],
            prices_in_hours=in_hours,
        )


# ---------------------------------------------------------------------- a plan as people read it


@dataclass(frozen=True)
class CollectiveCost:
    """A live collective proposal in a plan: its cost in labour hours (``None`` before the
    draft) and whether the budget vote chose it (``None`` in a draft)."""

    id: int
    council: str
    title: str
    hours: float | None
    chosen: bool | None


@dataclass(frozen=True)
class PlanSummary:
    """A recorded plan as a person reads it (see :func:`plan_summary`)."""

    plan: int
    round: int
    round_number: int
    stage: str
    status: str
    message: str | None
    fulfilment: float | None
    binding: tuple[str, ...]
    hours_offered: float
    hours_used: float | None
    collective_budget: float
    collective: tuple[CollectiveCost, ...]
    inputs_sha256: str
    result_sha256: str

    def to_dict(self) -> dict[str, Any]:
        """As JSON: the tuples as lists."""
        out = asdict(self)
        out["binding"] = list(self.binding)
        out["collective"] = [asdict(c) for c in self.collective]
        return out


def plan_summary(db: Database, plan: int) -> PlanSummary:
    """A recorded plan as a person reads it: status, fulfilment of the private targets, what
    binds, hours offered and used, the hours set aside for collective proposals, and each live
    collective proposal with its cost in labour hours (``chosen``: in the final plan or not;
    ``None`` in a draft)."""
    with db.transaction() as s:
        d = get(s, Draft, plan, "plan")
        r = get(s, Round, d.round_id, "round")
        res, inputs = d.result, d.inputs
        chosen = inputs.get("chosen")
        collective = s.execute(
            select(Proposal, Council.name)
            .join(Council, Council.id == Proposal.council_id)
            .where(
                Proposal.round_id == r.id,
                Proposal.kind == "collective",
                Proposal.withdrawn.is_(False),
            )
            .order_by(Proposal.id)
        ).all()
        used = (res.get("use") or {}).get(LABOUR)
        return PlanSummary(
            plan=d.id,
            round=r.id,
            round_number=r.number,
            stage=d.stage,
            status=res["status"],
            message=res.get("message"),
            fulfilment=(res.get("fulfilment") or {}).get("private"),
            binding=tuple(res.get("binding") or ()),
            hours_offered=float(inputs["hours_offered"]),
            hours_used=None if used is None else float(used),
            collective_budget=float(inputs["collective_budget"]),
            collective=tuple(
                CollectiveCost(
                    id=p.id,
                    council=council,
                    title=p.title,
                    hours=p.labour_cost,
                    chosen=None if chosen is None else p.id in chosen,
                )
                for p, council in collective
            ),
            inputs_sha256=d.inputs_sha256,
            result_sha256=d.result_sha256,
        )
