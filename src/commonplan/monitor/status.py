"""Where a running plan stands: every workplace's series watched, Beer's indices, the floors.

:func:`watch_round` puts together, for a ratified round and the periods up to ``through``:

- **one series per (workers' council, product it makes)** of reconciled output — the estimate
  of :func:`commonplan.reports.reconcile_round` for each period (NaN where the period has no
  reports), its standard error as the value's ``std`` — and **one series of each council's
  hours**; all watched by :func:`commonplan.monitor.watch.watch`;
- the **planned figure** of each series: the final plan's activity of the council's process
  divided by the number of periods.  A process run by several councils is shared between them
  by their member counts (equally when none has members yet) — a simple rule, stated here,
  not a claim about who makes what.  A council's planned hours are its planned activities
  times the labour per unit of each process;
- **Beer's indices** (:func:`commonplan.numerics.beer_indices`) per workplace and product for
  the last period: actuality = the reconciled output; capability = the plan's per-period figure,
  or the measured capacity (``capacity``: {process: most activity per period}, e.g. what a
  council says it can still do after a breakdown) where that is lower; potentiality = the
  council's capacity proposal of the round ({process: most activity per year}, divided by the
  periods and shared like the plan) where it made one, else the capability (latency 1: nothing
  better is known);
- **the floors' status**, from the latest replan of the round
  (:func:`commonplan.monitor.rolling.replan_round`): met in every remaining period, or at risk
  (the period, the shortfall per product and the plain-words message); ``None`` before any
  replan.

:func:`raise_monitor_alerts` sends each signal of the last period with probability ≥ 0.5 to the
council whose series it is (source ``"monitor"``), the watch's reason as the message.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import numpy as np
from sqlalchemy import func, select

from commonplan.errors import NotFoundError, PlanInputError
from commonplan.federation import economy_of, subtree
from commonplan.monitor.alerts import raise_alert
from commonplan.monitor.rolling import _final, _latest
from commonplan.monitor.watch import SeriesView, Watch, watch
from commonplan.numerics.indices import beer_indices
from commonplan.reports.ledger import periods_of
from commonplan.store import Database, get
from commonplan.store.models import Council, Federation, Member, Proposal, Round

__all__ = [
    "ALERT_PROBABILITY",
    "FloorsStatus",
    "RoundStatus",
    "WorkplaceIndices",
    "WorkplaceSeries",
    "raise_monitor_alerts",
    "watch_round",
]

ALERT_PROBABILITY = 0.5
"""A signal of the last period raises an alert from this probability of change."""

HOURS = "hours"
"""The ``subject`` of a council's hours series."""


@dataclass(frozen=True)
class WorkplaceSeries:
    """One watched series: ``council``'s output of ``subject`` (a product) or its hours
    (``subject == "hours"``), the plan's figure per period, the reconciled values and their
    standard errors (NaN: nothing reported), and the watch's view after the last period."""

    council: str
    subject: str
    processes: tuple[str, ...]
    planned: float
    values: tuple[float, ...]
    std: tuple[float, ...]
    view: SeriesView

    @property
    def name(self) -> str:
        return self.view.name

    def to_dict(self) -> dict[str, Any]:
        return {
            "council": self.council,
            "subject": self.subject,
            "processes": list(self.processes),
            "planned": self.planned,
            "values": [None if math.isnan(v) else v for v in self.values],
            "std": [None if math.isnan(v) else v for v in self.std],
            **{k: v for k, v in self.view.to_dict().items() if k not in ("values", "planned")},
        }


@dataclass(frozen=True)
class WorkplaceIndices:
    """Beer's indices of one workplace and product in the last period (``None``: undefined —
    nothing reported, or 0 / 0)."""

    council: str
    product: str
    actuality: float | None
    capability: float
    potentiality: float
    productivity: float | None
    latency: float | None
    performance: float | None

    def to_dict(self) -> dict[str, Any]:
        return dict(vars(self))


@dataclass(frozen=True)
class FloorsStatus:
    """The floors as the latest replan (``plan``) left them: ``safe`` when every remaining
    period meets them; else ``at_risk``, one entry per period short: period, shortfall per
    product, message."""

    plan: int
    from_period: str
    safe: bool
    needs_vote: bool
    at_risk: tuple[dict[str, Any], ...]

    def to_dict(self) -> dict[str, Any]:
        return {**vars(self), "at_risk": [dict(r) for r in self.at_risk]}


@dataclass(frozen=True)
class RoundStatus:
    """A running round as of period ``through``: the periods watched, every series, the watch,
    Beer's indices of the last period and the floors' status."""

    round: int
    federation: str
    through: str
    periods: tuple[str, ...]
    series: tuple[WorkplaceSeries, ...]
    watch: Watch
    indices: tuple[WorkplaceIndices, ...]
    floors: FloorsStatus | None

    def to_dict(self) -> dict[str, Any]:
        return {
            "round": self.round,
            "federation": self.federation,
            "through": self.through,
            "periods": list(self.periods),
            "series": [s.to_dict() for s in self.series],
            "signals": [vars(s) for s in self.watch.signals],
            "history": [vars(s) for s in self.watch.history],
            "indices": [i.to_dict() for i in self.indices],
            "floors": None if self.floors is None else self.floors.to_dict(),
        }


def _num(x: float) -> float | None:
    return None if math.isnan(x) or math.isinf(x) else float(x)


@dataclass
class _Plan:
    federation: str
    periods: tuple[str, ...]
    councils: dict[str, tuple[str, ...]]
    makes: dict[str, str]  # process → product
    labour: dict[str, float]  # process → hours per unit
    per_period: dict[tuple[str, str], float]  # (council, process) → planned activity
    potential: dict[tuple[str, str], float]  # (council, process) → proposed capacity, per period
    floors: FloorsStatus | None


def _shares(members: Mapping[str, int], runners: list[str]) -> dict[str, float]:
    total = sum(members.get(c, 0) for c in runners)
    if total == 0:
        return {c: 1.0 / len(runners) for c in runners}
    return {c: members.get(c, 0) / total for c in runners}


def _read_plan(db: Database, round_id: int, viewer: str | None) -> _Plan:
    from commonplan.federation import member_named
    from commonplan.reports.ledger import _in_federation

    with db.transaction() as s:
        r = get(s, Round, round_id, "round")
        if viewer is not None and not _in_federation(
            s, member_named(s, viewer), set(subtree(s, r.federation_id))
        ):
            raise NotFoundError(f"no round {round_id}")
        final = _final(s, r)
        periods = periods_of(r)
        fed = get(s, Federation, r.federation_id, "federation")
        economy = economy_of(fed.settings)
        rows = s.execute(
            select(Council)
            .where(Council.federation_id.in_(subtree(s, fed.id)), Council.kind == "workers")
            .order_by(Council.name)
        ).scalars()
        councils = {c.name: tuple(str(p) for p in (c.processes or ())) for c in rows}
        ids = dict(
            s.execute(select(Council.name, Council.id).where(Council.name.in_(councils))).all()
        )
        counts = dict(
            s.execute(
                select(Member.workers_council_id, func.count(Member.id))
                .where(Member.workers_council_id.in_(ids.values()))
                .group_by(Member.workers_council_id)
            ).all()
        )
        members = {name: int(counts.get(i, 0)) for name, i in ids.items()}
        proposed: dict[tuple[str, str], float] = {}
        by_id = {i: name for name, i in ids.items()}
        for p in s.execute(
            select(Proposal)
            .where(
                Proposal.round_id == r.id,
                Proposal.kind == "capacity",
                Proposal.withdrawn.is_(False),
                Proposal.council_id.in_(ids.values()),
            )
            .order_by(Proposal.id)
        ).scalars():
            for process, most in (p.amounts or {}).items():
                proposed[(by_id[p.council_id], str(process))] = float(most)  # the latest wins
        replan = _latest(s, r, "replan")
        floors = None
        if replan is not None:
            res = replan.result
            floors = FloorsStatus(
                plan=replan.id,
                from_period=str(res.get("from_period", "")),
                safe=not res.get("floors_at_risk"),
                needs_vote=bool(res.get("needs_vote")),
                at_risk=tuple(
                    {
                        "period": f["period"],
                        "shortfall": {k: float(v) for k, v in f["shortfall"].items() if v > 0},
                        "message": f["message"],
                    }
                    for f in res.get("floors_at_risk") or ()
                ),
            )
        activity = {str(k): float(v) for k, v in (final.result.get("activity") or {}).items()}
        federation = fed.name
    t = len(periods)
    makes = {j: economy.products[int(economy.makes[i])] for i, j in enumerate(economy.processes)}
    labour = (
        {j: float(economy.labour[i]) for i, j in enumerate(economy.processes)}
        if economy.labour is not None
        else {}
    )
    runners: dict[str, list[str]] = {}
    for c, processes in councils.items():
        for j in processes:
            if j not in makes:
                raise PlanInputError(f"council {c!r} runs {j!r}, not a process of the economy")
            runners.setdefault(j, []).append(c)
    per_period: dict[tuple[str, str], float] = {}
    potential: dict[tuple[str, str], float] = {}
    for j, cs in runners.items():
        share = _shares(members, cs)
        for c in cs:
            per_period[(c, j)] = activity.get(j, 0.0) / t * share[c]
            if (c, j) in proposed:
                potential[(c, j)] = proposed[(c, j)] / t
    return _Plan(federation, periods, councils, makes, labour, per_period, potential, floors)


def watch_round(
    db: Database,
    round_id: int,
    *,
    through: str,
    viewer: str | None = None,
    capacity: Mapping[str, float] | None = None,
) -> RoundStatus:
    """Watch every workplace's reconciled output and hours of a ratified round up to and
    including period ``through`` (see the module's docstring for what each figure is).

    ``viewer``: refused to members of other federations (as :func:`reconcile_round`);
    ``capacity``: measured capacity, {process: most activity per period}, which lowers a
    workplace's capability where it is below the plan's figure."""
    from commonplan.reports.reconcile import reconcile_round

    plan = _read_plan(db, round_id, viewer)
    if through not in plan.periods:
        raise PlanInputError(f"period {through!r} is not in the plan of round {round_id}")
    periods = plan.periods[: plan.periods.index(through) + 1]
    t = len(periods)
    keys: list[tuple[str, str, tuple[str, ...]]] = []  # (council, subject, processes)
    for c, processes in plan.councils.items():
        made: dict[str, list[str]] = {}
        for j in processes:
            made.setdefault(plan.makes[j], []).append(j)
        keys += [(c, product, tuple(js)) for product, js in made.items()]
        if processes:
            keys.append((c, HOURS, processes))
    index = {(c, subject): k for k, (c, subject, _) in enumerate(keys)}
    values = np.full((len(keys), t), np.nan)
    std = np.full((len(keys), t), np.nan)
    for k, period in enumerate(periods):
        try:
            rec = reconcile_round(db, round_id, period=period, viewer=viewer)
        except PlanInputError:
            continue  # nothing reported that period
        hours: dict[str, float] = {}
        for w in rec.workplaces:
            at = index.get((w.council, w.product))
            if at is not None and math.isfinite(w.reconciled):
                values[at, k] = w.reconciled
                std[at, k] = w.std_error if math.isfinite(w.std_error) else np.nan
            if w.hours_reconciled is not None and math.isfinite(w.hours_reconciled):
                hours[w.council] = w.hours_reconciled  # one figure per council
        for c, h in hours.items():
            at = index.get((c, HOURS))
            if at is not None:
                values[at, k] = h
    planned = []
    for c, subject, js in keys:
        if subject == HOURS:
            planned.append(sum(plan.per_period[(c, j)] * plan.labour.get(j, 0.0) for j in js))
        else:
            planned.append(sum(plan.per_period[(c, j)] for j in js))
    names = [f"{c} · {subject}" for c, subject, _ in keys]
    watched = watch(names, values, planned=np.asarray(planned), periods=periods, std=std)
    series = tuple(
        WorkplaceSeries(
            council=c,
            subject=subject,
            processes=js,
            planned=planned[k],
            values=tuple(float(v) for v in values[k]),
            std=tuple(float(v) for v in std[k]),
            view=watched.series[k],
        )
        for k, (c, subject, js) in enumerate(keys)
    )
    indices = _indices(plan, series, capacity or {})
    return RoundStatus(
        round_id, plan.federation, through, periods, series, watched, indices, plan.floors
    )


def _indices(
    plan: _Plan, series: tuple[WorkplaceSeries, ...], capacity: Mapping[str, float]
) -> tuple[WorkplaceIndices, ...]:
    outputs = [s for s in series if s.subject != HOURS]
    if not outputs:
        return ()
    actual, capable, potential = [], [], []
    for s in outputs:
        cap = sum(
            min(plan.per_period[(s.council, j)], float(capacity.get(j, math.inf)))
            for j in s.processes
        )
        pot = sum(
            plan.potential.get(
                (s.council, j), min(plan.per_period[(s.council, j)], capacity.get(j, math.inf))
            )
            for j in s.processes
        )
        actual.append(s.values[-1])
        capable.append(cap)
        potential.append(pot)
    a = np.asarray(actual)
    b = beer_indices(
        np.nan_to_num(a, nan=0.0),
        np.asarray(capable),
        np.asarray(potential),
        names=[s.name for s in outputs],
    )
    out = []
    for k, s in enumerate(outputs):
        known = not math.isnan(a[k])
        out.append(
            WorkplaceIndices(
                council=s.council,
                product=s.subject,
                actuality=float(a[k]) if known else None,
                capability=capable[k],
                potentiality=potential[k],
                productivity=_num(b.productivity[k]) if known else None,
                latency=_num(b.latency[k]),
                performance=_num(b.performance[k]) if known else None,
            )
        )
    return tuple(out)


def raise_monitor_alerts(
    db: Database, round_id: int, status: RoundStatus, *, now: datetime | None = None
) -> list[int]:
    """Raise an alert (source ``"monitor"``) to the council of each series whose last period
    shows a change with probability ≥ :data:`ALERT_PROBABILITY`; its message is the watch's
    reason.  An alert already open for the same series, change and period is not raised twice
    (:func:`raise_alert`).  Returns the alerts' ids."""
    ids = []
    for s in status.series:
        sig = s.view.signal
        if sig is None or sig.probability < ALERT_PROBABILITY:
            continue
        ids.append(
            raise_alert(
                db,
                round_id,
                source="monitor",
                kind=sig.kind,
                council=s.council,
                period=sig.period,
                subject=s.subject,
                message=sig.reason,
                evidence={
                    "series": s.name,
                    "planned": s.planned,
                    "value": _num(s.values[-1]),
                    "probability": sig.probability,
                    "size": sig.size,
                    "through": status.through,
                },
                now=now,
            )
        )
    return ids
