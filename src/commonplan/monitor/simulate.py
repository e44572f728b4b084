"""A year of a running plan, simulated: a drought, a workplace that lies, and the loop that closes.

:func:`simulate` builds a small federation on the Swedish demo table — two communes, each with a
farm (A01), a mill (C10T12), a care home (Q87_88) and a consumers' council of households — records
a ratified plan (food and care floors, private consumption as the target, labour capped at 2016's
hours), and then lives through it month by month:

1. **Reality.**  Each workplace's true activity is its share of the current plan's monthly
   activity (the ratified plan, then the latest replan), and agriculture's capacity falls by
   ``drought`` from ``drought_month`` on.
2. **Reports**, each with relative noise ``noise``: every workplace's output, its deliveries to
   its commune's households (who report what they received) and to its commune's mill (farms:
   the mill reports receiving), the rest out of the federation, and its hours (the table's labour
   coefficient × what it really did).  One workplace, ``Care South``, inflates its output and
   its own deliveries by ``inflation`` from ``inflation_month`` on: its hours and the households'
   receipts stay true.
3. **Reconciliation** of the month (:func:`commonplan.reports.reconcile.reconcile_round`) and an
   alert for each suspect, to its council first.
4. **The watch** (:func:`commonplan.monitor.watch.watch`) of every workplace's reconciled output
   against its planned monthly share: a signal is an alert to the council.
5. **Answers and escalation.**  The drought farms explain ("the drought") and close their
   alerts; the other honest councils check their figures and close theirs; ``Care South`` never
   answers.  At each month's end :func:`commonplan.monitor.alerts.escalate_due` moves every
   alert past its deadline (7 days) one level up.
6. **Replanning** the rest of the year (:func:`commonplan.monitor.rolling.replan_round`) from the
   measured state with the drought's capacity: floors hard in every month, or a floor-at-risk
   alert with its certificate at the root.

The measured state is :func:`commonplan.monitor.rolling.measured_state`, with one addition: the
federation's workplaces run only three of the table's processes, so the hours of the others
(not reported) are counted as planned.  A workplace whose reports reconciliation names together
has no reconciled output that month (NaN, when nothing else determines it); ``measured_state``
then gives its process no measured pace, so the replan does not bound it by a partial figure.
The log says so each month.

The result is a :class:`Simulation` (``to_dict()`` for JSON) and :func:`write_page` draws it as
one offline page of Plotly figures.

One concept — the simulated year, from its federation to its figures and page — so one module,
however long.
"""

from __future__ import annotations

import math
import tempfile
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from commonplan.errors import PlanInputError

if TYPE_CHECKING:
    from commonplan.monitor.replan import Replan
    from commonplan.reports import ReportRow

__all__ = ["INFLATOR", "MonthLog", "Simulation", "figures", "simulate", "write_page"]

START = "2027-01"
COMMUNES = ("North", "South")
INFLATOR = "Care South"
"""The workplace that inflates its output and deliveries."""
SECTORS = {"Farm": "A01", "Mill": "C10T12", "Care": "Q87_88"}
SHARES = {"North": 0.6, "South": 0.4}
"""Each commune's share of the table's activity of each process the federation runs."""
TO_HOUSEHOLDS = 0.2
TO_MILL = 0.7
"""Shares of a workplace's output delivered to its commune's households and, at most, to its
commune's mill (farms)."""


@dataclass(frozen=True)
class MonthLog:
    """What happened in one month: the reports filed, what was detected, who was alerted, what
    escalated, and the replan of the rest of the year made at the month's end."""

    month: int
    period: str
    true_output: dict[str, float]
    reported: dict[str, float]
    planned: dict[str, float]
    reconciled: dict[str, float]
    std_error: dict[str, float]
    passed: bool
    suspects: tuple[str, ...]
    signals: tuple[dict[str, Any], ...]
    alerts_raised: tuple[dict[str, Any], ...]
    answered: tuple[dict[str, Any], ...]
    escalated: tuple[dict[str, Any], ...]
    levels: dict[int, int]
    unknown: tuple[str, ...]
    replan: dict[str, Any] | None


@dataclass(frozen=True)
class Simulation:
    """The simulated year (see the module docstring).  ``drought_detected``: the first month a
    farm's series signalled, and which series; ``inflation_named``: the first month the
    inflating workplace was named by reconciliation or the watch, and by which."""

    seed: int
    months: int
    drought_month: int
    drought: float
    inflation_month: int
    inflation: float
    noise: float
    workplaces: tuple[str, ...]
    log: tuple[MonthLog, ...]
    drought_detected: dict[str, Any] | None
    inflation_named: dict[str, Any] | None
    inflator_escalated: int | None
    floors: dict[str, float]
    notes: tuple[str, ...] = field(default=())

    def to_dict(self) -> dict[str, Any]:
        d = asdict(self)
        for m in d["log"]:
            m["levels"] = {str(k): v for k, v in m["levels"].items()}
        return d

    def lines(self) -> list[str]:
        """The month-by-month log in plain words."""
        out = []
        for m in self.log:
            out.append(f"{m.period} (month {m.month})")
            if m.passed:
                out.append("  reports add up")
            else:
                named = ", ".join(m.suspects) or "no one council"
                out.append(f"  reports do not add up: suspect {named}")
            for w in m.unknown:
                out.append(
                    f"  {w}'s output cannot be estimated (its reports are named together): "
                    "its pace is left unbounded in the replan"
                )
            for s in m.signals:
                out.append(f"  watch: {s['series']} — {s['kind']} since {s['period']}")
            for a in m.alerts_raised:
                out.append(f"  alert {a['id']} to {a['sits_with']}: {a['kind']} ({a['subject']})")
            for a in m.answered:
                out.append(f"  {a['council']} answers alert {a['id']}: {a['note']}")
            for a in m.escalated:
                out.append(
                    f"  alert {a['id']} not answered: up to level {a['level']}, "
                    f"with {a['sits_with']}"
                )
            rp = m.replan
            if rp is not None:
                if rp["floors_safe"]:
                    out.append(
                        f"  replan of the {_months_left(len(rp['periods']))}: floors met, private "
                        f"consumption {100 * rp['private_min']:.0f}–"
                        f"{100 * rp['private_max']:.0f} %"
                    )
                else:
                    risk = rp["at_risk"][0]
                    short = ", ".join(sorted(k for k, v in risk["shortfall"].items() if v > 0))
                    out.append(
                        f"  replan: floor at risk from {risk['period']} ({short}: "
                        f"{100 * risk['share_possible']:.0f} % possible); alert to the "
                        "federation, with its certificate"
                    )
        return out


def _months_left(n: int) -> str:
    return "month left" if n == 1 else f"{n} months left"


def _months(start: str, n: int) -> list[str]:
    y, m = (int(x) for x in start.split("-"))
    out = []
    for k in range(n):
        yy, mm = divmod(m - 1 + k, 12)
        out.append(f"{y + yy}-{mm + 1:02d}")
    return out


def _month_end(period: str) -> datetime:
    y, m = (int(x) for x in period.split("-"))
    y, m = (y + 1, 1) if m == 12 else (y, m + 1)
    return datetime(y, m, 1, tzinfo=UTC)


def _check(months: int, drought_month: int, inflation_month: int, **rates: float) -> None:
    if not 2 <= months <= 12:
        raise PlanInputError(f"months must be between 2 and 12; got {months}")
    for name, month in (("drought_month", drought_month), ("inflation_month", inflation_month)):
        if month < 1:
            raise PlanInputError(
                f"{name} must be a month from 1 on (past the last: never); got {month}"
            )
    for name, v in rates.items():
        if not (math.isfinite(v) and 0 <= v < 1):
            raise PlanInputError(f"{name} must be a share between 0 and 1; got {v}")


def _federation() -> dict[str, Any]:
    return {
        "name": "Simulated federation",
        "level": "region",
        "economy": "demo",
        "children": [
            {
                "name": f"Commune {c}",
                "level": "commune",
                "councils": [
                    *(
                        {"name": f"{w} {c}", "kind": "workers", "processes": [p]}
                        for w, p in SECTORS.items()
                    ),
                    {"name": f"Households {c}", "kind": "consumers"},
                ],
            }
            for c in COMMUNES
        ],
    }


def _members() -> list[dict[str, str]]:
    rows = [
        {"handle": f"{w.lower()}{c.lower()}", "workers_council": f"{w} {c}"}
        for c in COMMUNES
        for w in SECTORS
    ]
    rows += [
        {"handle": f"household{c.lower()}", "consumers_council": f"Households {c}"}
        for c in COMMUNES
    ]
    rows.append({"handle": "facilitator", "workers_council": "Farm North", "role": "facilitator"})
    return rows


def _setup(db: Any, months: int) -> tuple[int, dict[str, Any]]:
    """The federation, a ratified round and its final plan; returns the round and the plan
    (with its floors)."""
    import commonplan as cp
    from commonplan import rounds
    from commonplan.federation import add_members, create_federation
    from commonplan.rounds.phases import ratified_without_vote
    from commonplan.rounds.plans import record_plan

    fed = create_federation(db, _federation())
    add_members(db, _members())
    e = cp.demo_economy()
    y = e.final_demand["domestic_final_demand"]
    food, care = e.product_index("C10T12"), e.product_index("Q87_88")
    with db.transaction() as s:
        r = ratified_without_vote(
            s,
            fed,
            settings={"reporting": {"start": START, "every": "month", "periods": months}},
            opened_at=datetime(2026, 11, 1, tzinfo=UTC),
            closed_at=datetime(2026, 12, 20, tzinfo=UTC),
            actor="facilitator",
        )
        round_id = r.id
        floors = {"C10T12": 0.3 * float(y[food]), "Q87_88": 0.3 * float(y[care])}
        inputs: dict[str, Any] = {
            "economy": "demo",
            "floors": floors,
            "targets": {p: float(v) for p, v in zip(e.products, y, strict=True) if v > 0},
            "capacities": {},
            "caps": {"labour": "100%", "co2": "70%"},
            "hours_offered": 1.0,
            "collective_budget": 0.0,
            "chosen": [],
        }
        final = record_plan(s, r, "final", inputs, "facilitator").id
    plan = rounds.recompute(db, final)["recorded"]
    return round_id, {**plan, "floors": floors}


def simulate(
    *,
    seed: int = 0,
    months: int = 12,
    drought_month: int = 4,
    drought: float = 0.5,
    inflation_month: int = 6,
    inflation: float = 0.3,
    noise: float = 0.02,
    db: Any = None,
    progress: Callable[[int], None] | None = None,
) -> Simulation:
    """Simulate ``months`` months of a ratified plan (see the module docstring).  ``db``: a
    :class:`commonplan.store.Database` to run in (empty of the simulated federation's names);
    by default a temporary SQLite file.  ``progress`` is called with each month done."""
    _check(
        months, drought_month, inflation_month, drought=drought, inflation=inflation, noise=noise
    )
    from commonplan.store import Database

    if db is not None:
        return _run(
            db, seed, months, drought_month, drought, inflation_month, inflation, noise, progress
        )
    with tempfile.TemporaryDirectory(prefix="commonplan-simulate-") as where:
        db = Database(f"sqlite:///{Path(where) / 'simulate.db'}")
        try:
            return _run(
                db,
                seed,
                months,
                drought_month,
                drought,
                inflation_month,
                inflation,
                noise,
                progress,
            )
        finally:
            db.engine.dispose()


def _run(
    db: Any,
    seed: int,
    months: int,
    drought_month: int,
    drought: float,
    inflation_month: int,
    inflation: float,
    noise: float,
    progress: Callable[[int], None] | None,
) -> Simulation:
    import commonplan as cp
    from commonplan.monitor.alerts import alerts_for, escalate_due, explain, raise_alert, resolve
    from commonplan.monitor.replan import Measured
    from commonplan.monitor.rolling import measured_state, replan_round
    from commonplan.monitor.watch import watch
    from commonplan.reports import file_reports
    from commonplan.reports.reconcile import raise_suspect_alerts, reconcile_round
    from commonplan.store.models import Draft

    rng = np.random.default_rng(seed)
    e = cp.demo_economy()
    labour = e.labour
    assert labour is not None
    round_id, plan = _setup(db, months)
    grain = float(e.inputs[e.product_index("A01"), e.processes.index("C10T12")])
    per_unit = {p: float(labour[e.processes.index(p)]) for p in SECTORS.values()}
    periods = _months(START, months)
    yearly = {p: float(plan["activity"].get(p, 0.0)) for p in SECTORS.values()}
    floors = {k: float(v) for k, v in (plan.get("floors") or {}).items()}
    hours_planned = float(plan["use"]["labour"])
    hours_watched = sum(float(labour[e.processes.index(p)]) * yearly[p] for p in yearly)
    workplaces = tuple(f"{w} {c}" for c in COMMUNES for w in SECTORS)
    process = {f"{w} {c}": p for c in COMMUNES for w, p in SECTORS.items()}
    share = {f"{w} {c}": SHARES[c] for c in COMMUNES for w in SECTORS}
    handle = {f"{w} {c}": f"{w.lower()}{c.lower()}" for c in COMMUNES for w in SECTORS}
    monthly_plan = {w: share[w] * yearly[process[w]] / months for w in workplaces}
    current = {p: yearly[p] / months for p in yearly}  # the plan's activity for the month
    drought_cap = {"A01": (1 - drought) * yearly["A01"] / months}
    series: dict[str, list[float]] = {w: [] for w in workplaces}
    errors: dict[str, list[float]] = {w: [] for w in workplaces}
    signalled: set[tuple[str, str]] = set()
    log: list[MonthLog] = []
    drought_detected: dict[str, Any] | None = None
    inflation_named: dict[str, Any] | None = None
    inflator_escalated: int | None = None

    def noisy(x: float) -> float:
        return max(x * (1 + noise * float(rng.standard_normal())), 0.0)

    for k, period in enumerate(periods):
        month = k + 1
        now = _month_end(period)
        dry = month >= drought_month
        true = {}
        for w in workplaces:
            p = process[w]
            activity = current[p]
            if dry and p == "A01":
                activity = min(activity, drought_cap["A01"])
            true[w] = share[w] * activity
        lying = INFLATOR if month >= inflation_month else None
        rows, reported = _reports(period, true, lying, inflation, grain, per_unit, noisy)
        file_reports(db, round_id, rows, actor="facilitator")
        # sweep: alerts not answered by their deadline move up
        escalated: list[dict[str, Any]] = [{"id": a} for a in escalate_due(db, now=now)]
        # reconcile
        rec = reconcile_round(db, round_id, period=period)
        est = {(x.council, x.product): x for x in rec.workplaces}
        for w in workplaces:
            found = est.get((w, process[w]))
            series[w].append(found.reconciled if found is not None else math.nan)
            errors[w].append(found.std_error if found is not None else math.nan)
        raised = list(raise_suspect_alerts(db, round_id, rec, now=now))
        if INFLATOR in rec.suspected_councils and inflation_named is None:
            inflation_named = {"month": month, "period": period, "by": "reconciliation"}
        # watch the reconciled series
        names = list(workplaces)
        w_ = watch(
            names,
            np.array([series[w] for w in names]),
            planned=np.array([monthly_plan[w] for w in names]),
            periods=periods[: k + 1],
            std=np.array([errors[w] for w in names]),
        )
        signals = []
        for s in w_.signals:
            if (s.series, s.kind) in signalled:
                continue  # already signalled and alerted: the council knows
            signalled.add((s.series, s.kind))
            signals.append(
                {
                    "series": s.series,
                    "period": s.period,
                    "kind": s.kind,
                    "probability": s.probability,
                    "reason": s.reason,
                }
            )
            raised.append(
                raise_alert(
                    db,
                    round_id,
                    source="monitor",
                    kind=s.kind,
                    message=s.reason,
                    council=s.series,
                    period=s.period,
                    subject=process[s.series],
                    evidence={"probability": s.probability, "size": s.size},
                    now=now,
                )
            )
            down = s.kind in ("level step down", "trend down") or (
                s.kind == "outlier" and s.size < 0
            )
            if s.series.startswith("Farm") and drought_detected is None and down:
                drought_detected = {
                    "month": month,
                    "period": period,
                    "series": s.series,
                    "since": s.period,
                }
            if s.series == INFLATOR and inflation_named is None and "up" in s.kind:
                inflation_named = {"month": month, "period": period, "by": "watch"}
        # answers: honest councils answer within two days; the inflator never does
        answered = []
        views = {
            a.id: a
            for a in alerts_for(
                db, "facilitator", round_id=round_id, include_resolved=True, now=now
            )
        }
        for a in sorted(set(raised)):
            v = views.get(a)
            if v is None:
                continue
            if v.council is None or v.council == INFLATOR or v.council not in handle:
                continue
            if v.state != "raised":
                continue
            note = (
                "the drought cut the harvest"
                if v.council.startswith("Farm") and dry
                else "checked: the figures stand"
            )
            when = now + timedelta(days=2)
            explain(db, a, note=note, actor=handle[v.council], now=when)
            resolve(db, a, actor=handle[v.council], now=when)
            answered.append({"id": a, "council": v.council, "note": note})
        views = {
            a.id: a
            for a in alerts_for(
                db, "facilitator", round_id=round_id, include_resolved=True, now=now
            )
        }
        alerts_raised = tuple(
            {
                "id": a,
                "council": views[a].council,
                "kind": views[a].kind,
                "subject": views[a].subject,
                "source": views[a].source,
                "sits_with": views[a].sits_with,
                "level": views[a].level,
                "state": views[a].state,
            }
            for a in sorted(set(raised))
            if a in views
        )
        for up in escalated:
            v = views.get(int(up["id"]))
            if v is None:
                continue
            up.update(level=v.level, sits_with=v.sits_with, source=v.source, council=v.council)
            if v.council == INFLATOR and inflator_escalated is None:
                inflator_escalated = month
        levels: dict[int, int] = {}
        for v in views.values():
            if v.state != "resolved":
                levels[v.level] = levels.get(v.level, 0) + 1
        unknown = tuple(w for w in workplaces if not math.isfinite(series[w][-1]))
        # replan the rest of the year
        replan_d: dict[str, Any] | None = None
        if month < months:
            state = measured_state(db, round_id, through=period)
            used = dict(state.used)
            used["labour"] = (
                used.get("labour", 0.0) + (hours_planned - hours_watched) * month / months
            )
            capacity = dict(drought_cap) if dry else {}  # a drought is seen once it comes
            rec_ = replan_round(
                db,
                round_id,
                measured=Measured(state.periods_done, used, state.activity, {}),
                actor="facilitator",
                capacity=capacity,
                now=now,
            )
            rp = rec_.replan
            with db.transaction() as s:
                recorded = s.get(Draft, rec_.plan)
                assert recorded is not None
                replan_floors = {k: float(v) for k, v in recorded.inputs["floors"].items()}
            nxt = rp.periods[0]
            current = {p: float(nxt.activity.get(p, 0.0)) for p in SECTORS.values()}
            replan_d = _replan_summary(rec_.plan, rp, rec_.alerts, rec_.needs_vote, replan_floors)
        log.append(
            MonthLog(
                month=month,
                period=period,
                true_output=dict(true),
                reported=dict(reported),
                planned=dict(monthly_plan),
                reconciled={w: series[w][-1] for w in workplaces},
                std_error={w: errors[w][-1] for w in workplaces},
                passed=rec.passed,
                suspects=rec.suspected_councils,
                signals=tuple(signals),
                alerts_raised=alerts_raised,
                answered=tuple(answered),
                escalated=tuple(escalated),
                levels=levels,
                unknown=unknown,
                replan=replan_d,
            )
        )
        if progress is not None:
            progress(month)
    return Simulation(
        seed=seed,
        months=months,
        drought_month=drought_month,
        drought=drought,
        inflation_month=inflation_month,
        inflation=inflation,
        noise=noise,
        workplaces=workplaces,
        log=tuple(log),
        drought_detected=drought_detected,
        inflation_named=inflation_named,
        inflator_escalated=inflator_escalated,
        floors={k: v / months for k, v in floors.items()},
        notes=(
            "hours of the table's processes no workplace of the federation runs are counted as "
            "planned in the measured state",
        ),
    )


def _reports(
    period: str,
    true: dict[str, float],
    lying: str | None,
    inflation: float,
    grain: float,
    per_unit: dict[str, float],
    noisy: Callable[[float], float],
) -> tuple[list[ReportRow], dict[str, float]]:
    """One month's reports and each workplace's reported output: its output, its deliveries to
    its commune's households (who report receiving them), to its commune's mill (a farm: what
    the mill's output needs, by the table's coefficient) and out of the federation, and its
    hours; ``lying`` inflates its output and deliveries by ``inflation``."""
    from commonplan.reports import ReportRow

    rows: list[ReportRow] = []
    reported = {}
    for w, x in true.items():
        p, c = SECTORS[w.split()[0]], w.split()[1]
        lie = 1 + inflation if w == lying else 1.0
        parts = {f"Households {c}": TO_HOUSEHOLDS * x}
        if p == "A01":
            parts[f"Mill {c}"] = min(grain * true[f"Mill {c}"], TO_MILL * x)
        out_of = x - sum(parts.values())
        reported[w] = noisy(x) * lie
        rows.append(ReportRow(w, period, "output", reported[w], p))
        for to, amount in parts.items():
            source = "consumers" if to.startswith("Households") else "workplace"
            rows.append(ReportRow(w, period, "delivery", noisy(amount) * lie, p, to))
            rows.append(ReportRow(to, period, "receipt", noisy(amount), p, w, source=source))
        rows.append(ReportRow(w, period, "delivery", noisy(out_of) * lie, p))
        rows.append(ReportRow(w, period, "hours", noisy(per_unit[p] * x)))
    return rows, reported


def _replan_summary(
    plan: int, rp: Replan, alerts: Sequence[int], needs_vote: bool, floors: dict[str, float]
) -> dict[str, Any]:
    """What the log and the page keep of a recorded replan."""
    privates = [float(p.fulfilment.get("private", 0.0)) for p in rp.periods]
    return {
        "plan": plan,
        "floors": floors,
        "floors_safe": rp.floors_safe,
        "needs_vote": needs_vote,
        "periods": [
            {
                "period": p.period,
                "floors_met": p.floors_met,
                "fulfilment": dict(p.fulfilment),
                "floors_made": dict(p.floors_made),
                "activity": {q: float(p.activity.get(q, 0.0)) for q in SECTORS.values()},
            }
            for p in rp.periods
        ],
        "at_risk": [
            {
                "period": f.period,
                "shortfall": dict(f.shortfall),
                "share_possible": f.share_possible,
                "binding": list(f.binding),
                "message": f.message,
            }
            for f in rp.floors_at_risk
        ],
        "alerts": list(alerts),
        "private_min": min(privates),
        "private_max": max(privates),
    }


def figures(sim: Simulation) -> dict[str, Any]:
    """The page's Plotly figures: one per workplace (plan, reported, reconciled ± 2 standard
    errors), the open alerts by level, and the replanned months' fulfilment and floors."""
    import plotly.graph_objects as go

    periods = [m.period for m in sim.log]
    layout = {
        "height": 320,
        "autosize": True,
        "margin": {"l": 50, "r": 10, "t": 50, "b": 40},
        "legend": {"orientation": "h", "y": -0.2},
    }
    out: dict[str, Any] = {}
    for w in sim.workplaces:
        rec = np.array([m.reconciled[w] for m in sim.log])
        se = np.array([m.std_error[w] for m in sim.log])
        known = [k for k in range(len(periods)) if math.isfinite(rec[k] + se[k])]
        x = [periods[k] for k in known]  # a month whose output is unknown has no band
        fig = go.Figure()
        fig.add_trace(
            go.Scatter(
                x=x + x[::-1],
                y=[rec[k] + 2 * se[k] for k in known] + [rec[k] - 2 * se[k] for k in known[::-1]],
                fill="toself",
                line={"width": 0},
                fillcolor="rgba(31,119,180,0.2)",
                name="reconciled ± 2 s.e.",
                hoverinfo="skip",
            )
        )
        fig.add_trace(
            go.Scatter(
                x=periods,
                y=[m.planned[w] for m in sim.log],
                name="plan",
                line={"dash": "dash", "color": "grey"},
            )
        )
        fig.add_trace(
            go.Scatter(
                x=periods,
                y=[m.reported[w] for m in sim.log],
                name="reported",
                mode="lines+markers",
                line={"color": "#d62728"},
            )
        )
        fig.add_trace(
            go.Scatter(
                x=periods,
                y=list(rec),
                name="reconciled",
                mode="lines+markers",
                line={"color": "#1f77b4"},
            )
        )
        fig.update_layout(title=f"{w}: output, million SEK a month", **layout)
        out[w] = fig
    levels = sorted({k for m in sim.log for k in m.levels})
    fig = go.Figure()
    names = {0: "with the council", 1: "with the commune", 2: "with the federation"}
    for k in levels:
        fig.add_trace(
            go.Bar(
                x=periods,
                y=[m.levels.get(k, 0) for m in sim.log],
                name=f"level {k}: {names.get(k, 'higher')}",
            )
        )
    fig.update_layout(title="Open alerts by level", barmode="stack", **layout)
    out["alerts"] = fig
    months, private, floor_share = [], [], []
    for before, m in zip(sim.log, sim.log[1:], strict=False):
        rp = before.replan
        if rp is None:
            continue
        p = rp["periods"][0]
        months.append(m.period)
        private.append(100 * float(p["fulfilment"].get("private", 0.0)))
        made = [p["floors_made"].get(k, 0.0) / v for k, v in sim.floors.items() if v > 0]
        floor_share.append(100 * min(min(made, default=1.0), 1.0))
    fig = go.Figure()
    fig.add_trace(
        go.Bar(
            x=months,
            y=floor_share,
            name="floors made, % (least)",
            marker_color=["#2ca02c" if v >= 99.9 else "#d62728" for v in floor_share],
        )
    )
    fig.add_trace(
        go.Scatter(
            x=months, y=private, name="private consumption, % of target", mode="lines+markers"
        )
    )
    fig.update_layout(title="The replanned months: floors and fulfilment", **layout)
    out["replan"] = fig
    return out


def write_page(sim: Simulation, path: str | Path) -> Path:
    """Write ``sim`` as one offline HTML page of Plotly figures, plotly.js included (one column,
    readable on a phone); returns the file written."""
    from html import escape

    out = Path(path)
    out.parent.mkdir(parents=True, exist_ok=True)
    parts = [
        fig.to_html(
            full_html=False,
            include_plotlyjs=(i == 0),
            default_width="100%",
            default_height="22rem",
            config={"responsive": True, "displayModeBar": False},
        )
        for i, fig in enumerate(figures(sim).values())
    ]
    found = []
    if sim.drought_detected:
        d = sim.drought_detected
        found.append(
            f"Drought (month {sim.drought_month}): seen in {d['series']} in month {d['month']}."
        )
    if sim.inflation_named:
        n = sim.inflation_named
        found.append(
            f"{INFLATOR} inflating (month {sim.inflation_month}): named by "
            f"{n['by']} in month {n['month']}."
        )
    if sim.inflator_escalated:
        found.append(f"Its unanswered alert escalated in month {sim.inflator_escalated}.")
    log = "\n".join(sim.lines())
    out.write_text(
        "<!DOCTYPE html>\n<html><head><meta charset='utf-8'>"
        "<meta name='viewport' content='width=device-width, initial-scale=1'>"
        "<title>commonplan: a simulated year</title>"
        "<style>body{font-family:sans-serif;max-width:48rem;margin:auto;padding:0 .5rem}"
        "pre{white-space:pre-wrap;font-size:.8rem}.chart{max-width:100%;overflow:hidden}"
        "</style></head><body>\n"
        f"<h1>A simulated year (seed {sim.seed})</h1>\n"
        + "".join(f"<p>{escape(x)}</p>\n" for x in found)
        + "\n".join(f"<div class='chart'>{p}</div>" for p in parts)
        + f"\n<h2>Month by month</h2>\n<pre>{escape(log)}</pre>\n</body></html>\n",
        encoding="utf-8",
    )
    return out
