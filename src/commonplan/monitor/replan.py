"""Rolling replanning: the rest of the plan period re-solved from measured reality.

Planners who replan today re-solve from their own forecasts and protect no floor.  Here the
remaining periods of a ratified plan are re-solved from what the reconciled reports say happened
— hours and resources already used, the activity each workplace reached, capacity lost (a
drought, a breakdown) — under four rules:

1. **Floors are hard in every period.**  Each remaining period must produce its share of every
   floor (the yearly floor ÷ the number of periods): people eat every month, so a shortfall
   cannot be made good later.  Where a period's floors cannot be met any more the answer is a
   :class:`FloorAtRisk` — the shortfall per product, what binds, the shadow prices of the caps
   and the cheapest ways out (the diagnosis of :func:`commonplan.optimize`) — never a smaller
   floor.  The plan for that period is then the largest common share of the floors that can be
   made, so everyone can see what is missing.
2. **Other targets fall back in the order the round decided.**  ``groups`` are given in priority
   order (e.g. the collective proposals the budget vote chose, then private consumption): each
   group gets the largest fulfilment (up to all of it) that still leaves every group before it
   at the level it reached — the last group gives way first.
3. **What is left is spread evenly.**  Each cap (labour hours, CO2 …) for the whole plan period,
   less what the reports say has been used, is divided evenly over the remaining periods (an
   input whose use was not measured is taken to have been used as planned).
4. **Workplaces change pace gradually.**  The activity of each watched process (the processes the
   federation's workplaces run) may rise at most ``max_change`` (20 % by default) from one period
   to the next, starting from the activity measured in the last period, and never above its
   measured capacity.  A fall is not bounded: a workplace can always do less.

    period k:  maximise  t_g  (g in priority order, t_g ≤ 1)
               subject to  (M − B) z ≥ f/P + Σ_{h before g} t_h* T_h / P + t_g T_g / P
                           l z ≤ (L − L_used)/(P − p),  c z ≤ (C − C_used)/(P − p)
                           z_j ≤ min(capacity_j, (1 + max_change) z_j^{k−1})   (watched j)

Periods whose problem is the same as the period before (no ramp bound binding any more) reuse
its solution.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from commonplan.economy.model import Economy
from commonplan.errors import PlanInputError
from commonplan.plan.optimize import Diagnosis, OptimizeResult, TargetGroup, optimize

__all__ = ["FloorAtRisk", "Measured", "PeriodPlan", "Replan", "replan"]

_SLACK = 1e-9
"""Relative slack on the levels earlier groups reached, so that rounding cannot make the next
group's problem infeasible."""


@dataclass(frozen=True)
class Measured:
    """What the reconciled reports say about the periods done so far.

    ``periods_done``: how many periods of the plan are over; ``used``: labour hours and each
    capped resource used in them, in total; ``activity``: each watched process's activity in the
    last period done; ``capacity``: the most activity per period a watched process can reach now
    (where reality lowered or raised it)."""

    periods_done: int
    used: Mapping[str, float] = field(default_factory=dict)
    activity: Mapping[str, float] = field(default_factory=dict)
    capacity: Mapping[str, float] = field(default_factory=dict)


@dataclass(frozen=True)
class FloorAtRisk:
    """A period whose floors cannot be met: how much of each is missing and why."""

    period: str
    shortfall: Mapping[str, float]
    share_possible: float
    binding: tuple[str, ...]
    cap_prices: Mapping[str, float]
    diagnosis: Diagnosis | None
    message: str

    def to_dict(self) -> dict[str, Any]:
        return {
            "period": self.period,
            "shortfall": dict(self.shortfall),
            "share_possible": self.share_possible,
            "binding": list(self.binding),
            "cap_prices": dict(self.cap_prices),
            "diagnosis": self.diagnosis.to_dict() if self.diagnosis else None,
            "message": self.message,
        }


@dataclass(frozen=True)
class PeriodPlan:
    """The plan of one remaining period."""

    period: str
    status: str
    floors_met: bool
    fulfilment: Mapping[str, float]
    activity: Mapping[str, float]
    use: Mapping[str, float]
    caps: Mapping[str, float]
    binding: tuple[str, ...]
    reused: bool
    floors_made: Mapping[str, float] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return {
            "period": self.period,
            "status": self.status,
            "floors_met": self.floors_met,
            "floors_made": dict(self.floors_made),
            "fulfilment": dict(self.fulfilment),
            "activity": dict(self.activity),
            "use": dict(self.use),
            "caps": dict(self.caps),
            "binding": list(self.binding),
            "reused": self.reused,
        }


@dataclass(frozen=True)
class Replan:
    """The re-solved rest of a plan: one :class:`PeriodPlan` per remaining period, and a
    :class:`FloorAtRisk` for every period whose floors cannot be met."""

    from_period: str
    periods: tuple[PeriodPlan, ...]
    floors_at_risk: tuple[FloorAtRisk, ...]
    seconds: float

    @property
    def floors_safe(self) -> bool:
        return not self.floors_at_risk

    def to_dict(self) -> dict[str, Any]:
        return {
            "from_period": self.from_period,
            "periods": [p.to_dict() for p in self.periods],
            "floors_at_risk": [f.to_dict() for f in self.floors_at_risk],
            "floors_safe": self.floors_safe,
        }


def _scaled(amounts: Mapping[str, float], factor: float) -> dict[str, float]:
    return {k: float(v) * factor for k, v in amounts.items() if float(v) != 0.0}


def _add(into: dict[str, float], amounts: Mapping[str, float], factor: float) -> None:
    for k, v in amounts.items():
        into[k] = into.get(k, 0.0) + float(v) * factor


def _check(
    economy: Economy,
    periods: Sequence[str],
    measured: Measured,
    caps: Mapping[str, float],
    watched: Sequence[str],
    max_change: float,
) -> None:
    if not periods:
        raise PlanInputError("a plan to replan has at least one period")
    if not 0 <= measured.periods_done < len(periods):
        raise PlanInputError(
            f"periods_done must be between 0 and {len(periods) - 1} (the plan has "
            f"{len(periods)} periods); got {measured.periods_done}"
        )
    if not (math.isfinite(max_change) and max_change >= 0):
        raise PlanInputError(f"max_change must be a number of at least 0; got {max_change}")
    known = set(economy.processes)
    for what, names in (
        ("watched process", watched),
        ("measured activity of", measured.activity),
        ("measured capacity of", measured.capacity),
    ):
        unknown = sorted(set(names) - known)
        if unknown:
            raise PlanInputError(f"{what} {unknown[0]!r}: the economy has no such process")
    inputs = set(economy.input_names)
    for name, value in [*caps.items(), *measured.used.items()]:
        if name not in inputs:
            raise PlanInputError(f"{name!r} is not labour or a resource of the economy")
        if not (math.isfinite(float(value)) and float(value) >= 0):
            raise PlanInputError(f"{name}: amounts must be finite and at least 0; got {value}")
    for name, value in [*measured.activity.items(), *measured.capacity.items()]:
        if not (math.isfinite(float(value)) and float(value) >= 0):
            raise PlanInputError(f"process {name}: activity must be finite and at least 0")


def replan(
    economy: Economy,
    *,
    periods: Sequence[str],
    measured: Measured,
    floors: Mapping[str, float],
    groups: Sequence[TargetGroup],
    caps: Mapping[str, float],
    watched: Sequence[str] = (),
    capacities: Mapping[str, float] | None = None,
    max_change: float = 0.2,
    method: str = "auto",
) -> Replan:
    """Re-solve the periods after ``measured.periods_done`` (see the module's docstring).

    ``floors``, each group's ``amounts`` ({product: amount}) and ``caps`` ({input: amount}) are
    for the whole plan period, as ratified; ``capacities`` ({process: most activity}) likewise.
    ``watched``: the processes whose pace is bounded by ``max_change`` (the workplaces').
    """
    import time

    started = time.perf_counter()
    _check(economy, periods, measured, caps, watched, max_change)
    n = len(periods)
    left = n - measured.periods_done
    per = 1.0 / n
    floors_k = _scaled(floors, per)
    # an input whose use nobody measured is taken to have been used as planned
    done = measured.periods_done
    caps_k = {
        name: max(float(total) - float(measured.used.get(name, total * done / n)), 0.0) / left
        for name, total in caps.items()
    }
    ratified_capacity = {k: float(v) * per for k, v in (capacities or {}).items()}
    previous = {j: float(measured.activity.get(j, math.inf)) for j in watched}
    plans: list[PeriodPlan] = []
    risks: list[FloorAtRisk] = []
    last_key: tuple[Any, ...] | None = None
    for period in periods[measured.periods_done :]:
        bounds = dict(ratified_capacity)
        for j in watched:
            ramp = (1.0 + max_change) * previous[j]
            cap = min(bounds.get(j, math.inf), measured.capacity.get(j, math.inf), ramp)
            if math.isfinite(cap):
                bounds[j] = cap
        key = (tuple(sorted(bounds.items())),)
        if key == last_key and plans:
            plans.append(_reused(plans[-1], period))
            if risks and risks[-1].period == plans[-2].period:
                risks.append(_moved(risks[-1], period))
            continue
        plan, risk = _period(
            economy, period, floors_k, groups, per, caps_k, bounds, watched, method
        )
        plans.append(plan)
        if risk is not None:
            risks.append(risk)
        for j in watched:
            previous[j] = float(plan.activity.get(j, 0.0))
        last_key = key
    return Replan(
        from_period=periods[measured.periods_done],
        periods=tuple(plans),
        floors_at_risk=tuple(risks),
        seconds=time.perf_counter() - started,
    )


def _reused(p: PeriodPlan, period: str) -> PeriodPlan:
    return PeriodPlan(
        period,
        p.status,
        p.floors_met,
        p.fulfilment,
        p.activity,
        p.use,
        p.caps,
        p.binding,
        True,
        p.floors_made,
    )


def _moved(r: FloorAtRisk, period: str) -> FloorAtRisk:
    """The same certificate for a later period with the same problem (its message names it)."""
    message = period + r.message[len(r.period) :] if r.message.startswith(r.period) else r.message
    return FloorAtRisk(
        period, r.shortfall, r.share_possible, r.binding, r.cap_prices, r.diagnosis, message
    )


class _Solve:
    """``optimize`` under the period's caps and capacities, the capacities added lazily: solve
    without them, add those the plan exceeds, solve again, until none is exceeded.  The answer is
    the same as with every capacity from the start (a plan within all of them that is optimal
    without some of them is optimal with them all), and the structured solver stays fast: only
    the few capacities that bind become rows of its master problem."""

    def __init__(
        self, economy: Economy, caps: Mapping[str, float], bounds: Mapping[str, float], method: str
    ) -> None:
        self.economy, self.caps, self.bounds, self.method = economy, dict(caps), bounds, method
        self.active: dict[str, float] = {}
        self.index = {p: j for j, p in enumerate(economy.processes)}

    def __call__(self, **problem: Any) -> OptimizeResult:
        while True:
            res = self._optimize(problem)
            if res.activity is None or res.status == "infeasible":
                return res
            over = {
                j: b
                for j, b in self.bounds.items()
                if j not in self.active and res.activity[self.index[j]] > b * (1 + 1e-9) + 1e-12
            }
            if not over:
                return res
            self.active.update(over)

    def _optimize(self, problem: Mapping[str, Any]) -> OptimizeResult:
        """``"auto"`` here means the structured solver however many capacities bind (a
        workplace's pace bound is a row of its small master problem: 50 of them solve in
        hundredths of a second where HiGHS takes minutes at 10⁴ products), and ``"auto"``'s own
        choice only where that stops uncertified."""
        first = "structured" if self.method == "auto" else self.method
        kw = {"caps": self.caps, "capacities": dict(self.active) or None, **problem}
        res = optimize(self.economy, method=first, **kw)
        if res.status == "limit" and first != self.method:
            res = optimize(self.economy, method=self.method, **kw)
        return res


def _period(
    economy: Economy,
    period: str,
    floors: Mapping[str, float],
    groups: Sequence[TargetGroup],
    per: float,
    caps: Mapping[str, float],
    capacities: Mapping[str, float],
    watched: Sequence[str],
    method: str,
) -> tuple[PeriodPlan, FloorAtRisk | None]:
    solve = _Solve(economy, caps, capacities, method)
    held = dict(floors)
    fulfilment: dict[str, float] = {}
    result: OptimizeResult | None = None
    for g in groups:
        if not isinstance(g.amounts, Mapping):
            raise PlanInputError(
                f"target group {g.name!r}: give its amounts as {{product: amount}}"
            )
        amounts = _scaled(g.amounts, per)
        if not amounts:
            fulfilment[g.name] = 1.0
            continue
        res = solve(
            targets=[TargetGroup(g.name, amounts, ceiling=1.0)],
            floors=held or None,
            objective="max_weighted",
        )
        if res.status == "infeasible":
            return _at_risk(economy, period, floors, res, solve, watched)
        t = max(min(float(res.fulfilment.get(g.name, 0.0)), 1.0), 0.0)
        fulfilment[g.name] = t
        _add(held, amounts, t * (1.0 - _SLACK))
        result = res
    if result is None:  # no target groups: the floors alone
        wanted = dict(floors) or {economy.products[0]: 0.0}
        result = solve(targets=[TargetGroup("floors", wanted)], floors=dict(floors) or None)
        if result.status == "infeasible":
            return _at_risk(economy, period, floors, result, solve, watched)
    return _plan(period, result, fulfilment, True, watched, floors), None


def _plan(
    period: str,
    res: OptimizeResult,
    fulfilment: Mapping[str, float],
    floors_met: bool,
    watched: Sequence[str],
    floors: Mapping[str, float],
) -> PeriodPlan:
    activity: dict[str, float] = {}
    if res.activity is not None:
        index = {p: i for i, p in enumerate(res.processes)}
        activity = {j: float(res.activity[index[j]]) for j in watched if j in index}
    made: dict[str, float] = {}
    if res.net_output is not None:
        where = {p: i for i, p in enumerate(res.products)}
        made = {p: float(res.net_output[where[p]]) for p in floors if p in where}
    return PeriodPlan(
        period=period,
        status=res.status,
        floors_met=floors_met,
        fulfilment=dict(fulfilment),
        activity=activity,
        use=dict(res.use),
        caps=dict(res.caps),
        binding=tuple(res.binding),
        reused=False,
        floors_made=made,
    )


def _at_risk(
    economy: Economy,
    period: str,
    floors: Mapping[str, float],
    infeasible: OptimizeResult,
    solve: _Solve,
    watched: Sequence[str],
) -> tuple[PeriodPlan, FloorAtRisk]:
    """The largest common share of the floors that can be made, and what is missing."""
    best = solve(targets=[TargetGroup("floors", dict(floors))])
    share = float(best.fulfilment.get("floors", 0.0)) if best.status == "optimal" else 0.0
    share = max(min(share, 1.0), 0.0)
    shortfall = {p: float(v) * (1.0 - share) for p, v in floors.items() if v > 0}
    worst = sorted(shortfall.items(), key=lambda kv: -kv[1])[:3]
    unit = economy.units.get("output", "")
    what = ", ".join(f"{p} short by {v:,.4g}{' ' + unit if unit else ''}" for p, v in worst)
    message = (
        f"{period}: the floors cannot be met — at most {share:.1%} of them can be made ({what})"
    )
    # floors are never cut, so the ways out worth naming are more of a cap or a capacity
    ways = [
        r
        for r in (infeasible.diagnosis.relaxations if infeasible.diagnosis else ())
        if r.kind not in ("floor", "floors")
    ]
    if ways:
        message += f"; cheapest way out: {ways[0].message}"
    risk = FloorAtRisk(
        period=period,
        shortfall=shortfall,
        share_possible=share,
        binding=tuple(best.binding),
        cap_prices=dict(best.cap_prices),
        diagnosis=infeasible.diagnosis,
        message=message,
    )
    return _plan(period, best, {"floors": share}, False, watched, floors), risk
