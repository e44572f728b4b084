"""The ``commonplan monitor`` commands: where a running plan stands, and its rest re-solved.

A thin layer over :mod:`commonplan.monitor.status` and :mod:`commonplan.monitor.rolling`:
``monitor status`` watches every workplace's reconciled output and hours against the plan (and
with ``--alerts`` sends each change to its council); ``monitor replan`` re-solves the rest of the
year from what the reports measured, and exits with status 2 when a floor is at risk.  The
alerts themselves are ``commonplan alerts list|acknowledge|…``.

    commonplan monitor status 1 --through 2027-05 --as ada
    commonplan monitor replan 1 --through 2027-05 --as ada --capacity A01=2000
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated

import typer
from rich.console import Console
from rich.markup import escape

from commonplan.cli._common import (
    NO_PLAN,
    AsOpt,
    DbOpt,
    JsonOpt,
    RoundArg,
    amounts,
    database,
    echo_json,
    group,
    new_table,
    num,
    option,
    pct,
    registrar,
    say,
    status,
)

if TYPE_CHECKING:
    from commonplan.monitor.rolling import ReplanRecord
    from commonplan.monitor.status import RoundStatus

__all__ = ["register"]

monitor_app = group(
    "monitor",
    "The running plan: every series watched, the rest replanned (alerts: `commonplan alerts`).",
)

register = registrar(monitor_app)


ThroughOpt = Annotated[
    str, option("--through", "PERIOD", "The last period reported, e.g. 2027-05.")
]


def _ratio(x: float | None) -> str:
    return "–" if x is None else pct(x) if x != float("inf") else "∞"


def _state(states: dict[str, float]) -> str:
    name, p = max(states.items(), key=lambda kv: kv[1])
    return f"{name} {100 * p:.0f} %"


def print_status(console: Console, st: RoundStatus) -> None:
    """The series table, Beer's indices, the signals and the floors (what ``status`` shows)."""
    table = new_table(
        f"{escape(st.federation)}, as of {st.through}",
        ("series", "planned", "actual", "forecast", "95 % interval", "state"),
        left=("series", "state"),
    )
    for s in st.series:
        v = s.view
        actual = s.values[-1]
        table.add_row(
            escape(s.name),
            num(s.planned),
            "–" if actual != actual else num(actual),
            num(v.forecast),
            f"{num(v.lower)}–{num(v.upper)}",
            _state(v.states),
        )
    console.print(table)
    if st.indices:
        beer = new_table(
            "Beer's indices, last period",
            ("workplace", "product", "productivity", "latency", "performance"),
            left=("workplace", "product"),
        )
        for i in st.indices:
            beer.add_row(
                escape(i.council),
                escape(i.product),
                _ratio(i.productivity),
                _ratio(i.latency),
                _ratio(i.performance),
            )
        console.print(beer)
    signals = st.watch.signals
    if signals:
        console.print("signals:", highlight=False)
        for sig in signals:
            console.print(f"  {sig.period} [bold]{escape(sig.kind)}[/]: {escape(sig.reason)}")
    else:
        console.print("signals: none — every series keeps to its plan", highlight=False)
    f = st.floors
    if f is None:
        console.print("floors: no replan yet", highlight=False)
    elif f.safe:
        console.print(f"floors: met in every period (replan {f.plan})", highlight=False)
    else:
        for r in f.at_risk:
            console.print(f"floors at risk: {escape(r['message'])}", highlight=False)


@monitor_app.command("status")
def monitor_status(
    round_id: RoundArg,
    through: ThroughOpt,
    actor: AsOpt,
    alerts: Annotated[
        bool, typer.Option("--alerts", help="Send each change to its council as an alert.")
    ] = False,
    db: DbOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Every workplace's reconciled output and hours against the plan, up to a period: the
    forecast of the next, the model's state, Beer's indices, the changes seen and the floors.

    Example:

        commonplan monitor status 1 --through 2027-05 --as ada --alerts
    """
    from commonplan.monitor.status import raise_monitor_alerts, watch_round

    with database(db) as d:
        with status(f"Watching every series through {through}…"):
            st = watch_round(d, round_id, through=through, viewer=actor)
        raised = raise_monitor_alerts(d, round_id, st) if alerts else []
    if as_json:
        echo_json({**st.to_dict(), "alerts": raised})
        return
    console = Console()
    print_status(console, st)
    if alerts:
        say(
            f"alerts raised or open: {', '.join(map(str, raised))}"
            if raised
            else "no alerts to raise"
        )


def print_replan(console: Console, rec: ReplanRecord) -> None:
    """Each remaining period's fulfilment and floors, the floors at risk, and the vote."""
    rp = rec.replan
    groups = sorted({g for p in rp.periods for g in p.fulfilment})
    table = new_table(
        f"replan {rec.plan} from {rp.from_period}",
        ("period", *groups, "status"),
        left=("period", "status"),
    )
    for p in rp.periods:
        table.add_row(
            p.period,
            *(pct(float(p.fulfilment.get(g, 0.0))) for g in groups),
            "floors met" if p.floors_met else "[bold red]floors at risk[/]",
        )
    console.print(table)
    risks = rp.floors_at_risk
    if risks:  # the first period short is what to act on now; later ones say the same
        console.print(f"floor at risk: {escape(risks[0].message)}", highlight=False)
        if len(risks) > 1:
            console.print(
                f"floors at risk in {len(risks)} periods: {risks[0].period} to {risks[-1].period}",
                highlight=False,
            )
    if rec.alerts:
        console.print(f"alerts raised: {', '.join(map(str, rec.alerts))}", highlight=False)
    console.print(
        "goes back to the councils for a vote"
        if rec.needs_vote
        else "within the round's margin: no new vote needed",
        highlight=False,
    )


@monitor_app.command("replan")
def monitor_replan(
    round_id: RoundArg,
    through: ThroughOpt,
    actor: AsOpt,
    capacity: Annotated[
        list[str] | None,
        option(
            "--capacity",
            "PROCESS=MAX",
            "The most activity per period a process can reach now (repeatable).",
        ),
    ] = None,
    db: DbOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Re-solve the rest of the plan from what the reports measured through a period (a
    facilitator): floors hard every period, targets in the round's order.  Exit status 2 when a
    floor is at risk.

    Example:

        commonplan monitor replan 1 --through 2027-03 --as ada --capacity A01=2000
    """
    from commonplan.monitor.rolling import measured_state, replan_round

    caps = amounts(capacity or [], "--capacity", "A01=2000")
    with database(db) as d:
        with status(f"Replanning after {through}…"):
            measured = measured_state(d, round_id, through=through, viewer=actor)
            rec = replan_round(d, round_id, measured=measured, actor=actor, capacity=caps)
    if as_json:
        echo_json(
            {
                "plan": rec.plan,
                "replan": rec.replan.to_dict(),
                "alerts": list(rec.alerts),
                "needs_vote": rec.needs_vote,
            }
        )
    else:
        print_replan(Console(), rec)
    if not rec.replan.floors_safe:
        raise typer.Exit(NO_PLAN)
