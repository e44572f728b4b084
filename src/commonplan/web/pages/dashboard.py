"""The federation's dashboard of a running plan: each workplace's reconciled output against the
plan over the periods, with its uncertainty band and the next period's forecast (Plotly, drawn
by ``static/charts.js``; the numbers listed under each chart); the workplaces ranked, most urgent
first — a member's own workplace before the others — as a list that reads on a phone beside
(or, narrow, above) the charts; the alerts of the round by level and age; the floors as the
latest replan left them.  Everything comes from :func:`commonplan.web.execution.round_status`
(:func:`commonplan.monitor.status.watch_round`)."""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Annotated, Any

from fastapi import Depends, Request
from fastapi.responses import HTMLResponse

from commonplan.accounts import Principal
from commonplan.errors import NotFoundError, said
from commonplan.store import Database
from commonplan.web import execution
from commonplan.web.charts import Chart, watch_chart
from commonplan.web.deps import DB, CurrentMember
from commonplan.web.pages._base import Fact, councils_of, page, round_info, router, time_left, tr_of
from commonplan.web.pages._running import Asked, economy, periods, qty
from commonplan.web.schemas import AlertPublic, SeriesPublic
from commonplan.web.text import Translator

MAX_CHARTS = 12
"""Charts drawn (the most urgent series); the ranked list names every series."""

HOURS = "hours"


@dataclass(frozen=True)
class Ranked:
    """A series in the ranked list: its chart's key (``None``: not drawn), name, facts, the
    change seen, and whether it is the member's own workplace."""

    key: str | None
    name: str
    facts: list[Fact]
    signal: str | None
    mine: bool
    council: str = ""


@dataclass(frozen=True)
class AlertLevel:
    title: str
    lines: list[tuple[int, str]]


def _gap(s: SeriesPublic) -> float:
    last = s.values[-1] if s.values else None
    if last is None or s.planned == 0:
        return 0.0
    return (last - s.planned) / abs(s.planned)


def _urgency(s: SeriesPublic, mine: set[str]) -> tuple[bool, bool, float, str]:
    """Own workplace first; then a change seen; then the largest shortfall or excess."""
    return (s.council not in mine, s.signal is None, -abs(_gap(s)), s.name)


def _qty(tr: Translator, s: SeriesPublic, value: float, unit: str) -> str:
    """Hours in whole hours; quantities as :func:`qty` writes them."""
    return qty(tr, float(round(value)) if s.subject == HOURS else value, unit)


def _label(tr: Translator, labels: Any, s: SeriesPublic) -> str:
    what = tr("workplace.hours") if s.subject == HOURS else labels.label(s.subject)
    return f"{s.council} · {what}"


def _alerts(tr: Translator, found: list[AlertPublic]) -> list[AlertLevel]:
    now = datetime.now(UTC)
    by: dict[tuple[int, str], list[AlertPublic]] = {}
    for a in found:
        by.setdefault((a.level, a.sits_with), []).append(a)
    out = []
    for (level, where), items in sorted(by.items(), key=lambda kv: (-kv[0][0], kv[0][1])):
        items.sort(key=lambda a: a.raised_at)  # the oldest first
        lines = [
            (
                a.id,
                tr(
                    "dashboard.alert_line",
                    message=a.message,
                    state=tr(f"alert.state.{a.state}"),
                    age=time_left(tr, (now - a.raised_at).total_seconds()),
                ),
            )
            for a in items
        ]
        out.append(AlertLevel(tr("dashboard.level", level=level, where=where), lines))
    return out


@dataclass(frozen=True)
class Sector:
    """A product's total over the workplaces that make it, per period: the plan's figure, the
    reconciled total (``None`` where any workplace's figure is unknown) and its standard error."""

    product: str
    workplaces: int
    planned: float
    values: list[float | None]
    std: list[float | None]


def sectors(series: list[SeriesPublic]) -> list[Sector]:
    """Each product's series summed over its workplaces (hours are not a sector): totals add,
    independent standard errors add in quadrature."""
    by: dict[str, list[SeriesPublic]] = {}
    for s in series:
        if s.subject != HOURS:
            by.setdefault(s.subject, []).append(s)
    out = []
    for product, group in sorted(by.items()):
        n = len(group[0].values)
        values: list[float | None] = []
        std: list[float | None] = []
        for k in range(n):
            vs = [s.values[k] for s in group]
            ss = [s.std[k] for s in group]
            if any(v is None for v in vs) or any(x is None for x in ss):
                values.append(None)
                std.append(None)
                continue
            values.append(float(sum(v for v in vs if v is not None)))
            std.append(math.sqrt(sum(float(x) ** 2 for x in ss if x is not None)))
        planned = float(sum(s.planned for s in group))
        out.append(Sector(product, len(group), planned, values, std))
    return out


def dashboard_context(
    db: Database,
    who: Principal,
    round_id: int,
    tr: Translator,
    through: str | None,
    council: str | None = None,
) -> dict[str, Any]:
    """The dashboard of the round, or with ``council`` a workplace's own page: its series, its
    indices and its alerts only."""
    info = round_info(db, who, round_id, tr)
    choices, now = periods(db, who, round_id, tr)
    held = [c.value for c in choices]
    through = through if through in held else now
    st = execution.round_status(db, who, round_id, through)
    labels = economy(db, info.round.federation)
    mine = {c.name for c in councils_of(db, who)}
    ordered = sorted(st.series, key=lambda s: _urgency(s, mine))
    if council is not None:
        if council not in {s.council for s in st.series}:
            raise NotFoundError(
                said(
                    "no workplace named {council!r} in round {number}",
                    council=council,
                    number=info.round.number,
                )
            )
        ordered = [s for s in ordered if s.council == council]
    nxt = held[held.index(through) + 1] if held.index(through) + 1 < len(held) else None
    beer = {(i.council, i.product): i for i in st.indices}
    charts: list[Chart] = []
    ranked: list[Ranked] = []
    for s in ordered:
        unit = tr("num.h", value="").strip() if s.subject == HOURS else labels.unit
        name = _label(tr, labels, s)
        key = None
        if len(charts) < MAX_CHARTS:
            key = f"watch-{len(charts) + 1}"
            charts.append(
                watch_chart(
                    tr,
                    key,
                    name,
                    st.periods,
                    s.values,
                    s.std,
                    planned=s.planned,
                    forecast=(nxt, s.forecast, s.lower, s.upper) if nxt else None,
                    unit=unit,
                )
            )
        last = s.values[-1] if s.values else None
        state = max(s.states.items(), key=lambda kv: kv[1])
        facts = [
            Fact(tr("dashboard.planned"), _qty(tr, s, s.planned, unit)),
            Fact(
                tr("dashboard.actual", period=through),
                tr("dashboard.nothing") if last is None else _qty(tr, s, last, unit),
            ),
        ]
        if last is not None and s.planned:
            facts.append(Fact(tr("dashboard.gap"), tr.number(_gap(s), "+.1%")))
        facts.append(
            Fact(
                tr("dashboard.state"),
                f"{tr.maybe('state.' + state[0].replace(' ', '_'), state[0])} "
                f"({tr.number(state[1], '.0%')})",
            )
        )
        b = beer.get((s.council, s.subject))
        if b is not None and b.productivity is not None and math.isfinite(b.productivity):
            facts.append(Fact(tr("dashboard.productivity"), tr.number(b.productivity, ".1%")))
        signal = s.signal.reason if s.signal else None
        ranked.append(Ranked(key, name, facts, signal, s.council in mine, s.council))
    totals: list[Ranked] = []
    for sec in sectors(st.series) if council is None else []:
        name = tr("dashboard.sector", product=labels.label(sec.product), count=sec.workplaces)
        key = f"sector-{len(totals) + 1}"
        charts.append(
            watch_chart(tr, key, name, st.periods, sec.values, sec.std, planned=sec.planned,
                        unit=labels.unit)
        )  # fmt: skip
        last = sec.values[-1] if sec.values else None
        facts = [
            Fact(tr("dashboard.planned"), qty(tr, sec.planned, labels.unit)),
            Fact(
                tr("dashboard.actual", period=through),
                tr("dashboard.nothing") if last is None else qty(tr, last, labels.unit),
            ),
        ]
        totals.append(Ranked(key, name, facts, None, False, ""))
    found = execution.my_alerts(db, who, round_id=round_id)
    if council is not None:
        found = [a for a in found if a.council == council]
    floors: list[str] = []
    if st.floors is None:
        floors.append(tr("dashboard.floors_none"))
    elif st.floors.safe:
        floors.append(tr("dashboard.floors_safe", period=st.floors.from_period))
    else:
        floors += [
            tr("dashboard.floors_risk", period=r.period, message=r.message)
            for r in st.floors.at_risk[:1]
        ]
    if st.floors is not None and st.floors.needs_vote:
        floors.append(tr("dashboard.floors_vote"))
    return {
        "title": tr("dashboard.title", number=info.round.number)
        if council is None
        else tr("dashboard.workplace_title", council=council, number=info.round.number),
        "council": council,
        "info": info,
        "choices": choices,
        "through": through,
        "ranked": ranked,
        "sectors": totals,
        "charts": charts,
        "more": len(ranked) > len(charts),
        "alert_levels": _alerts(tr, found),
        "floors": floors,
        "floors_ok": st.floors is None or st.floors.safe,
    }


def _shown(
    through: str | None = None, period: str | None = None, council: str | None = None
) -> Asked:
    """``through`` (or ``period``, the picker's field): the last period shown; ``council``: one
    workplace's own page (its series, indices and alerts)."""
    return Asked(council, through or period)


Shown = Annotated[Asked, Depends(_shown)]


@router.get("/rounds/{round_id}/dashboard")
def dashboard(
    round_id: int, who: CurrentMember, request: Request, db: DB, asked: Shown
) -> HTMLResponse:
    """The dashboard (:func:`_shown`: what the query asks to see)."""
    tr = tr_of(request)
    context = dashboard_context(db, who, round_id, tr, asked.period, asked.council)
    return page(request, "dashboard.html", **context)
