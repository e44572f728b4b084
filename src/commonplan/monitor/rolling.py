"""The rolling plan of a ratified round: replans recorded like every plan, from measured reality.

:func:`measured_state` reads what the reconciled reports say about the periods done — hours
used, each workplace's activity in the last period — and :func:`replan_round` re-solves the rest
of the year with :func:`commonplan.monitor.replan.replan` from the round's ratified plan:

- floors: the federation's hard floors (the final plan's floors less the collective proposals
  the budget vote chose, which are the first target group);
- target groups in the order the round decided: the chosen collective proposals, then private
  consumption;
- caps: the final plan's (a "70 %" cap is resolved to the amount it meant);
- watched: the processes the federation's workers' councils run (their pace bounded by the
  round setting ``replan.max_change``, 20 % by default).

A replan is a plan like any other: recorded (:class:`~commonplan.store.models.Draft`, stage
``"replan"``) with its exact inputs, their hash and its result, appended to the audit log, and
recomputed from its inputs by :func:`commonplan.rounds.recompute`.  A period whose floors cannot
be met raises a "floor at risk" alert at the root of the federation (one per product short), in
the same transaction.  Whether a replan goes back to the councils is the round setting
``replan.vote_beyond`` (default 0.05): when a target group's fulfilment in any period falls more
than that below the ratified plan's, the result says so (``needs_vote``) and the alert says it.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from functools import partial
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from commonplan.economy.model import Economy
from commonplan.errors import AuthorisationError, PhaseError, PlanInputError
from commonplan.federation import economy_of, member_federations, member_named, subtree
from commonplan.monitor.alerts import raise_alert
from commonplan.monitor.replan import Measured, Replan, replan
from commonplan.plan.optimize import TargetGroup
from commonplan.reports.ledger import periods_of
from commonplan.rounds.plans import record_plan
from commonplan.store import Database, get
from commonplan.store.models import Council, Draft, Federation, Proposal, Round

__all__ = ["ReplanRecord", "measured_state", "replan_inputs", "replan_round", "solve_replan"]

DEFAULT_MAX_CHANGE = 0.2
DEFAULT_VOTE_BEYOND = 0.05


@dataclass(frozen=True)
class ReplanRecord:
    """A recorded replan: its plan id, the replan, the alerts it raised, and whether it goes back
    to the councils."""

    plan: int
    replan: Replan
    alerts: tuple[int, ...]
    needs_vote: bool


def _final(s: Session, r: Round) -> Draft:
    if r.phase != "ratified":
        raise PhaseError(
            f"round {r.number} is in its {r.phase!r} phase: only a ratified plan rolls"
        )
    d = _latest(s, r, "final")
    if d is None:
        raise PhaseError(f"round {r.number} has no final plan")
    return d


def _latest(s: Session, r: Round, stage: str) -> Draft | None:
    """The newest plan of round ``r`` at ``stage`` (``final``, ``replan`` …), or ``None``."""
    query = select(Draft).where(Draft.round_id == r.id, Draft.stage == stage)
    return s.execute(query.order_by(Draft.id.desc())).scalars().first()


def _caps(economy: Economy, caps: Mapping[str, Any]) -> dict[str, float]:
    from commonplan.plan._checks import amount, current_use

    out = {}
    for name, value in caps.items():
        out[name] = amount(value, f"cap on {name}", partial(current_use, economy, name))
    return out


def replan_inputs(
    s: Session, r: Round, measured: Measured, *, capacity: Mapping[str, float] | None = None
) -> dict[str, Any]:
    """Everything :func:`solve_replan` needs, as plain data (recorded and hashed)."""
    final = _final(s, r)
    fi = final.inputs
    fed = get(s, Federation, r.federation_id, "federation")
    economy = economy_of(fed.settings)
    chosen = list(fi.get("chosen") or [])
    collective: dict[str, float] = {}
    for p in s.execute(select(Proposal).where(Proposal.id.in_(chosen))).scalars():
        for k, v in p.amounts.items():
            collective[k] = collective.get(k, 0.0) + float(v)
    floors = {
        k: max(float(v) - collective.get(k, 0.0), 0.0) for k, v in (fi.get("floors") or {}).items()
    }
    councils = s.execute(
        select(Council).where(
            Council.federation_id.in_(subtree(s, fed.id)), Council.kind == "workers"
        )
    ).scalars()
    watched = sorted({str(p) for c in councils for p in (c.processes or ())})
    cfg = dict((r.settings or {}).get("replan") or {})
    given = {**measured.capacity, **(capacity or {})}
    return {
        "replans": final.id,
        "economy": fi["economy"],
        "periods": list(periods_of(r)),
        "floors": {k: v for k, v in floors.items() if v > 0},
        "groups": [
            {"name": "collective", "amounts": collective},
            {"name": "private", "amounts": dict(fi.get("targets") or {})},
        ],
        "caps": _caps(economy, fi.get("caps") or {}),
        "capacities": dict(fi.get("capacities") or {}),
        "watched": watched,
        "max_change": float(cfg.get("max_change", DEFAULT_MAX_CHANGE)),
        "vote_beyond": float(cfg.get("vote_beyond", DEFAULT_VOTE_BEYOND)),
        "ratified_fulfilment": dict(final.result.get("fulfilment") or {}),
        "measured": {
            "periods_done": measured.periods_done,
            "used": dict(measured.used),
            "activity": dict(measured.activity),
            "capacity": given,
        },
    }


def solve_replan(economy: Economy, inputs: Mapping[str, Any]) -> Replan:
    """The replan for recorded ``inputs`` (what :func:`commonplan.rounds.recompute` calls)."""
    m = inputs["measured"]
    return replan(
        economy,
        periods=inputs["periods"],
        measured=Measured(int(m["periods_done"]), m["used"], m["activity"], m["capacity"]),
        floors=inputs["floors"],
        groups=[TargetGroup(g["name"], g["amounts"]) for g in inputs["groups"]],
        caps=inputs["caps"],
        watched=inputs["watched"],
        capacities=inputs["capacities"],
        max_change=float(inputs["max_change"]),
    )


def replan_result(economy: Economy, inputs: Mapping[str, Any]) -> dict[str, Any]:
    """The recorded form of the replan of ``inputs``: its ``to_dict()``, a ``status`` and
    whether it needs a vote."""
    rp = solve_replan(economy, inputs)
    ratified = inputs.get("ratified_fulfilment") or {}
    private = float(ratified.get("private", 1.0))
    beyond = float(inputs.get("vote_beyond", DEFAULT_VOTE_BEYOND))
    needs_vote = any(
        float(p.fulfilment.get("private", private)) < private - beyond
        or float(p.fulfilment.get("collective", 1.0)) < 1.0 - beyond
        for p in rp.periods
    )
    return {
        **rp.to_dict(),
        "status": "optimal" if rp.floors_safe else "floor at risk",
        "needs_vote": needs_vote or not rp.floors_safe,
    }


def replan_round(
    db: Database,
    round_id: int,
    *,
    measured: Measured,
    actor: str,
    capacity: Mapping[str, float] | None = None,
    now: datetime | None = None,
) -> ReplanRecord:
    """Re-solve the rest of a ratified round's plan from ``measured`` (a facilitator of the
    federation's step), record it, and raise a floor-at-risk alert for each product short."""
    with db.transaction() as s:
        r = get(s, Round, round_id, "round")
        m = member_named(s, actor)
        if m.role != "facilitator" or r.federation_id not in member_federations(s, m):
            raise AuthorisationError(
                f"{actor!r} is not a facilitator of this round's federation: only they replan"
            )
        inputs = replan_inputs(s, r, measured, capacity=capacity)
        d = record_plan(s, r, "replan", inputs, actor)
        result = d.result
        alerts = []
        for risk in result["floors_at_risk"][:1]:  # the first period short: what to act on now
            for product, short in sorted(risk["shortfall"].items()):
                if short <= 0:
                    continue
                alerts.append(
                    raise_alert(
                        s,
                        round_id,
                        source="floor",
                        kind="floor at risk",
                        message=risk["message"],
                        period=risk["period"],
                        subject=product,
                        evidence={"plan": d.id, "shortfall": short, **risk},
                        actor=actor,
                        now=now,
                    )
                )
        rp = _from_result(result)
        return ReplanRecord(d.id, rp, tuple(alerts), bool(result["needs_vote"]))


def _from_result(result: Mapping[str, Any]) -> Replan:
    """The :class:`Replan` of a recorded result (diagnoses as their messages only)."""
    from commonplan.monitor.replan import FloorAtRisk, PeriodPlan

    periods = tuple(
        PeriodPlan(
            period=p["period"],
            status=p["status"],
            floors_met=bool(p["floors_met"]),
            fulfilment=p["fulfilment"],
            activity=p["activity"],
            use=p["use"],
            caps=p["caps"],
            binding=tuple(p["binding"]),
            reused=bool(p["reused"]),
            floors_made=p["floors_made"],
        )
        for p in result["periods"]
    )
    risks = tuple(
        FloorAtRisk(
            period=f["period"],
            shortfall=f["shortfall"],
            share_possible=float(f["share_possible"]),
            binding=tuple(f["binding"]),
            cap_prices=f["cap_prices"],
            diagnosis=None,
            message=f["message"],
        )
        for f in result["floors_at_risk"]
    )
    return Replan(str(result["from_period"]), periods, risks, 0.0)


def measured_state(
    db: Database, round_id: int, *, through: str, viewer: str | None = None
) -> Measured:
    """What the reconciled reports say of the periods up to and including ``through``: the
    hours used, and each watched process's activity in ``through`` (its councils' reconciled
    output; none where a council's output is unknown — its reports set aside by the
    reconciliation and nothing else determining it — so that its pace is not bounded by a
    partial figure)."""
    from commonplan.reports.reconcile import reconcile_round

    with db.transaction() as s:
        r = get(s, Round, round_id, "round")
        periods = periods_of(r)
        if through not in periods:
            raise PlanInputError(f"period {through!r} is not in the plan of round {r.number}")
        done = periods.index(through) + 1
        fed = get(s, Federation, r.federation_id, "federation")
        economy = economy_of(fed.settings)
        councils = {
            c.name: tuple(c.processes or ())
            for c in s.execute(
                select(Council).where(
                    Council.federation_id.in_(subtree(s, fed.id)), Council.kind == "workers"
                )
            ).scalars()
        }
    hours = 0.0
    activity: dict[str, float] = {}
    unknown: set[str] = set()
    for period in periods[:done]:
        try:
            rec = reconcile_round(db, round_id, period=period, viewer=viewer)
        except PlanInputError:
            continue  # nothing reported that period
        for w in rec.workplaces:
            if w.hours_reconciled is not None and math.isfinite(w.hours_reconciled):
                hours += w.hours_reconciled
            if period != through:
                continue
            for j in councils.get(w.council, ()):
                made = economy.products[int(economy.makes[economy.processes.index(j)])]
                if made != w.product:
                    continue
                if math.isfinite(w.reconciled):
                    activity[j] = activity.get(j, 0.0) + w.reconciled
                else:  # its reports were set aside and nothing else determines it
                    unknown.add(j)
    # a process one of whose workplaces' output is unknown has no measured pace: a partial sum
    # would bound it far below what is really made
    for j in unknown:
        activity.pop(j, None)
    return Measured(done, {"labour": hours} if hours else {}, activity, {})
