"""Plausibility screens over a period's reports: evidence beside the balances, council by council.

:func:`screen_period` runs the pure screens of :mod:`commonplan.numerics.screens` on what the
ledger holds for a period of a round's plan (and, where a screen needs a history, the periods up
to it), and gives each council its findings, each with the screen's statistic, p-value or
score, threshold, whether it flags, whether it applies, and the reason in plain words naming the
council and the product.  A screen that cannot judge says why ("not applicable"); none proves
anything: each says where to look.

==========================  ===================================================================
finding                     on what
==========================  ===================================================================
fulfilment bunching         the council's output of each product in each period so far against
                            the final plan's per-period figure (``result["activity"]`` of the
                            process that makes it, over the number of periods)
storming                    the council's dekad (third-of-period) output reports, periods so far
last-digit heaping,         every amount the council has reported so far
round numbers
hours per unit              the council's hours over its output of its first process's product,
                            robust z against the other workplaces running that process
Benford (sector level)      every output report of the period, only where the amounts span at
                            least two orders of magnitude (a finding of the federation, not of
                            a council)
hard measure                a self-report against a meter, freight or receipts report of the
                            same flow (the sender's delivery against the receiver's receipts)
==========================  ===================================================================

:func:`raise_screen_alerts` raises an alert (source ``screen``) for each flagged finding: to the
council (level 0: the council first), or to the federation for a sector-level finding.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import asdict, dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any

import numpy as np

from commonplan.numerics import screens
from commonplan.numerics.screens import Screen
from commonplan.reports.ledger import SOURCE_SIGMA, StoredReport
from commonplan.reports.reconcile import HARD_SOURCES

if TYPE_CHECKING:
    from commonplan.store import Database

__all__ = ["Finding", "Screening", "raise_screen_alerts", "screen_period"]

SECTOR = ""
"""The key of :attr:`Screening.councils` under which sector-level findings (Benford) stand."""


@dataclass(frozen=True)
class Finding:
    """One screen's evidence about one council (``council`` empty: the whole sector) and, where
    it is about one, a product (its code; ``product_name`` its name).  ``p_value`` is nan for a
    score (robust z); ``statistic``, ``p_value`` and ``threshold`` are nan where the screen does
    not apply."""

    council: str
    screen: str
    product: str | None
    product_name: str | None
    statistic: float
    p_value: float
    threshold: float
    flagged: bool
    applicable: bool
    reason: str

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready dict: nan becomes ``None``."""
        return {k: (None if isinstance(v, float) and not math.isfinite(v) else v)
                for k, v in asdict(self).items()}  # fmt: skip


@dataclass(frozen=True)
class Screening:
    """The screens' findings for one period, by council (:data:`SECTOR` for the sector)."""

    period: str
    councils: Mapping[str, tuple[Finding, ...]] = field(default_factory=dict)

    @property
    def findings(self) -> tuple[Finding, ...]:
        return tuple(f for c in sorted(self.councils) for f in self.councils[c])

    @property
    def flagged(self) -> tuple[Finding, ...]:
        return tuple(f for f in self.findings if f.flagged)

    def to_dict(self) -> dict[str, Any]:
        return {
            "period": self.period,
            "councils": {c: [f.to_dict() for f in fs] for c, fs in sorted(self.councils.items())},
        }


def _finding(council: str, product: str | None, name: str | None, s: Screen) -> Finding:
    where = council or "the sector"
    about = f"{where}, {name}" if name else where
    reason = f"{about}: {s.reason}" if s.applicable else f"{about}: not applicable — {s.reason}"
    return Finding(
        council=council,
        screen=s.name,
        product=product,
        product_name=name,
        statistic=float(s.statistic),
        p_value=float(s.p_value),
        threshold=float(s.threshold),
        flagged=bool(s.flagged),
        applicable=bool(s.applicable),
        reason=reason,
    )


def _na(screen: str, council: str, product: str | None, name: str | None, why: str) -> Finding:
    nan = float("nan")
    return _finding(council, product, name, Screen(screen, nan, nan, nan, False, False, why, 0))


def _sd(r: StoredReport, sigma: Mapping[str, float]) -> float:
    if r.sigma is not None:
        return float(r.sigma)
    return float(sigma.get(r.source, SOURCE_SIGMA.get(r.source, 0.02))) * abs(float(r.amount))


def _flow(r: StoredReport) -> tuple[Any, ...] | None:
    """The flow a report measures, so that two reports of it can be compared."""
    if r.kind == "delivery" and r.counterpart is not None:
        return ("flow", r.council, r.counterpart, r.product)
    if r.kind == "receipt" and r.counterpart is not None:
        return ("flow", r.counterpart, r.council, r.product)
    if r.kind in ("output", "stock", "input", "hours"):
        return (r.kind, r.council, r.product)
    return None


def screen_reports(
    reports: Sequence[StoredReport],
    *,
    period: str,
    periods: Sequence[str],
    councils: Mapping[str, tuple[str, ...]],
    makes: Mapping[str, str],
    labour: Mapping[str, float],
    planned: Mapping[str, float] | None,
    label: Callable[[str], str] = str,
    sigma: Mapping[str, float] | None = None,
) -> Screening:
    """The findings for ``period`` from the current ``reports`` of the round (all periods).

    ``councils``: each workers' council and its processes; ``makes``: process → product code;
    ``labour``: process → hours per unit; ``planned``: process → activity of the final plan per
    period (``None``: no final plan); ``label``: a product's name; ``sigma``: relative standard
    deviations by source (defaults: the ledger's)."""
    sig = dict(sigma or {})
    so_far = {p for p in periods if p <= period} | {period}
    mine = [r for r in reports if r.current and r.period in so_far]
    now = [r for r in mine if r.period == period]
    out: dict[str, list[Finding]] = {}

    def add(f: Finding) -> None:
        out.setdefault(f.council, []).append(f)

    # hours per unit of each workplace's first process, for the robust z across workplaces
    per_unit: dict[str, dict[str, float]] = {}
    for council, procs in councils.items():
        if not procs:
            continue
        product = makes[procs[0]]
        made = sum(
            float(r.amount)
            for r in now
            if r.council == council and r.kind == "output" and r.product == product
            and r.dekad is None
        )  # fmt: skip
        hours = [float(r.amount) for r in now if r.council == council and r.kind == "hours"]
        if made > 0 and hours:
            per_unit.setdefault(procs[0], {})[council] = sum(hours) / made

    for council in sorted(councils):
        procs = councils[council]
        own = [r for r in mine if r.council == council]
        for j in procs:
            p = makes[j]
            name = label(p)
            # fulfilment bunched just above 100 %
            if planned is None:
                add(_na("bunching", council, p, name, "there is no final plan to fulfil"))
            elif planned.get(j, 0.0) <= 0:
                add(_na("bunching", council, p, name, f"the final plan asks no {name} of it"))
            else:
                got = [
                    sum(float(r.amount) for r in own
                        if r.period == q and r.kind == "output" and r.product == p
                        and r.dekad is None)
                    for q in sorted({r.period for r in own if r.kind == "output"
                                     and r.product == p and r.dekad is None})
                ]  # fmt: skip
                if not got:
                    add(_na("bunching", council, p, name, "no output reported yet"))
                else:
                    s = screens.bunching(got, [planned[j]] * len(got))
                    add(_finding(council, p, name, s))
            # storming: dekad output reports
            thirds: dict[str, list[float]] = {}
            for r in own:
                if r.kind == "output" and r.product == p and r.dekad is not None:
                    thirds.setdefault(r.period, [0.0, 0.0, 0.0])[r.dekad - 1] += float(r.amount)
            if len(thirds) < 2:
                why = f"{len(thirds)} periods reported by thirds: need at least 2"
                add(_na("storming", council, p, name, why))
            else:
                add(_finding(council, p, name, screens.storming(list(thirds.values()))))
        # heaping and round numbers over the council's own reports
        amounts = [float(r.amount) for r in own if r.kind != "hours"]
        if own:
            add(_finding(council, None, None, screens.digit_heaping(amounts)))
            add(_finding(council, None, None, screens.round_numbers(amounts)))
        # hours per unit against the labour coefficient, across workplaces of the process
        if procs:
            j = procs[0]
            p, name = makes[j], label(makes[j])
            peers = per_unit.get(j, {})
            if council not in peers:
                why = "no hours and output both reported this period"
                add(_na("hours per unit", council, p, name, why))
            else:
                others = [v for c, v in peers.items() if c != council]
                what = f"hours per unit (plan: {labour.get(j, float('nan')):.4g})"
                s = screens.robust_z(peers[council], others, what=what)
                if not s.applicable:
                    why = f"{len(others)} other workplaces run {j}: need at least 5 to compare"
                    nan = float("nan")
                    s = Screen(s.name, nan, nan, nan, False, False, why, s.n)
                add(_finding(council, p, name, _rename(s, "hours per unit")))

    # disagreement with the hard-to-fake measures of the same flow
    hard: dict[tuple[Any, ...], list[StoredReport]] = {}
    for r in now:
        key = _flow(r)
        if key is not None and r.source in HARD_SOURCES:
            hard.setdefault(key, []).append(r)
    for r in now:
        key = _flow(r)
        if key is None or r.source in HARD_SOURCES or key not in hard:
            continue
        measure = hard[key][0]
        m, msd = float(measure.amount), _sd(measure, sig)
        s = screens.hard_measure_gap(
            float(r.amount),
            _sd(r, sig),
            m,
            msd,
            1.0,
            0.0,
            what=f"{measure.council}'s {measure.kind} measured by {measure.source}",
        )
        pname = label(r.product) if r.product else None
        add(_finding(r.council, r.product, pname, s))

    # Benford at sector level: every output report of the period
    outputs = [float(r.amount) for r in now if r.kind == "output" and r.dekad is None]
    add(_finding(SECTOR, None, None, screens.benford(outputs)))
    return Screening(period, {c: tuple(fs) for c, fs in out.items()})


def _rename(s: Screen, name: str) -> Screen:
    return Screen(name, s.statistic, s.p_value, s.threshold, s.flagged, s.applicable, s.reason, s.n)


def screen_period(
    db: Database, round_id: int, *, period: str, viewer: str | None = None
) -> Screening:
    """:func:`screen_reports` on the ledger of a round, with its federation's councils and
    economy and the final plan's activities; with ``viewer``, refused to members of other
    federations (as the ledger is)."""
    from sqlalchemy import select

    from commonplan.errors import PlanInputError
    from commonplan.federation import economy_of, subtree
    from commonplan.reports.ledger import periods_of, reports_of
    from commonplan.store import get
    from commonplan.store.models import Council, Draft, Federation, Round

    rows = reports_of(db, round_id, viewer=viewer)
    with db.transaction() as s:
        r = get(s, Round, round_id, "round")
        held = periods_of(r)
        if period not in held:
            raise PlanInputError(f"period {period!r} is not in the plan of round {r.number}")
        fed = get(s, Federation, r.federation_id, "federation")
        nodes = subtree(s, fed.id)
        councils = {
            c.name: tuple(c.processes or ())
            for c in s.execute(select(Council).where(Council.federation_id.in_(nodes))).scalars()
            if c.kind == "workers"
        }
        plan_id = (r.outcome or {}).get("plan")
        q = select(Draft).where(Draft.round_id == round_id, Draft.stage == "final")
        if plan_id is not None:
            q = select(Draft).where(Draft.id == int(plan_id), Draft.round_id == round_id)
        draft = s.execute(q.order_by(Draft.id.desc()).limit(1)).scalar()
        activity = dict((draft.result or {}).get("activity") or {}) if draft else None
        cfg = dict((r.settings or {}).get("reporting") or {})
        settings = dict(fed.settings)
    e = economy_of(settings)
    makes = {j: e.products[int(e.makes[k])] for k, j in enumerate(e.processes)}
    labour = (
        {j: float(e.labour[k]) for k, j in enumerate(e.processes)} if e.labour is not None else {}
    )
    index = {p: i for i, p in enumerate(e.products)}
    planned = (
        {j: float(a) / len(held) for j, a in activity.items() if np.isfinite(float(a))}
        if activity is not None
        else None
    )
    return screen_reports(
        rows,
        period=period,
        periods=held,
        councils={c: tuple(j for j in ps if j in makes) for c, ps in councils.items()},
        makes=makes,
        labour=labour,
        planned=planned,
        label=lambda p: e.label(index[p]) if p in index else p,
        sigma=dict(cfg.get("sigma") or {}),
    )


def raise_screen_alerts(
    db: Database, round_id: int, screening: Screening, *, now: datetime | None = None
) -> list[int]:
    """An alert (source ``screen``) for each flagged finding: to its council first, or to the
    federation for a sector-level one.  Returns the alerts' ids (an open alert is not raised
    twice)."""
    from commonplan.monitor.alerts import raise_alert

    ids = []
    with db.transaction() as s:
        for f in screening.flagged:
            d = f.to_dict()
            ids.append(
                raise_alert(
                    s,
                    round_id,
                    source="screen",
                    kind=f"screen: {f.screen}",
                    message=f.reason,
                    council=f.council or None,
                    period=screening.period,
                    subject=(f.product or f.screen)[:200],
                    evidence={k: d[k] for k in ("screen", "statistic", "p_value", "threshold")},
                    now=now,
                )
            )
    return ids
