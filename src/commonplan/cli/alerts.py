"""The ``commonplan alerts`` commands: a deviation goes to the workplace first, and up the
federation only if nobody answers.

A thin layer over :mod:`commonplan.monitor.alerts`: who sees an alert and who may move it is the
library's rule; the command passes ``--as`` on.  ``alerts escalate`` is the sweeper a cron job
runs (every hour, say): each alert past its deadline and not resolved moves one level up.

    commonplan alerts list --as farmer
    commonplan alerts explain 3 --note "the drought cut the harvest" --as farmer
    commonplan alerts resolve 3 --as ada
    commonplan alerts escalate
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Annotated

import typer
from rich.console import Console
from rich.markup import escape

from commonplan.cli._common import (
    AsOpt,
    DbOpt,
    JsonOpt,
    argument,
    database,
    echo_json,
    group,
    json_or_none,
    new_table,
    option,
    registrar,
    say,
)
from commonplan.errors import PlanInputError

if TYPE_CHECKING:
    from commonplan.monitor.alerts import AlertView
    from commonplan.store import Database

__all__ = ["register"]

alerts_app = group("alerts", "Alerts: a deviation goes to the workplace first, then up.")

register = registrar(alerts_app)


AlertArg = Annotated[int, argument("ALERT", "The alert's id.")]


def _when(t: datetime) -> str:
    return t.astimezone(UTC).strftime("%Y-%m-%d %H:%M")


def where(a: AlertView) -> str:
    """Where an alert sits: its level and who holds it."""
    return f"{a.level}, with {a.sits_with}"


@alerts_app.command("list")
def alerts_list(
    actor: AsOpt,
    round_id: Annotated[int | None, option("--round", "ROUND", "Only this round's.")] = None,
    show_all: Annotated[bool, typer.Option("--all", help="Resolved alerts too.")] = False,
    db: DbOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Your alerts, most urgent first: those of your councils, and those that reached a
    federation node you belong to.

    Example:

        commonplan alerts list --round 1 --as farmer
    """
    from commonplan.monitor.alerts import alerts_for

    with database(db) as d:
        views = alerts_for(d, actor, round_id=round_id, include_resolved=show_all)
    none = f"no {'' if show_all else 'open '}alerts for {escape(actor)}"
    if json_or_none(as_json, [a.to_dict() for a in views], views, none):
        return
    table = new_table(
        f"alerts for {escape(actor)}",
        ("id", "level", "state", "deadline", "message"),
        left=("level", "state", "deadline", "message"),
    )
    for a in views:
        deadline = _when(a.deadline) + (" [bold red]overdue[/]" if a.overdue else "")
        about = f"{a.period} " if a.period else ""
        table.add_row(
            str(a.id), escape(where(a)), a.state, deadline, escape(f"{about}{a.kind}: {a.message}")
        )
    Console().print(table)


NoteOpt = Annotated[str | None, option("--note", "TEXT", "What happened, in a few words.")]


def _step(db: str | None, as_json: bool, act: Callable[[Database], AlertView]) -> None:
    """Take one step of an alert's life (``act``) on the database, then say where it stands."""
    with database(db) as d:
        view = act(d)
    if as_json:
        echo_json(view.to_dict())
    else:
        say(
            f"alert {view.id} is [bold]{view.state}[/] (level {escape(where(view))}; "
            f"deadline {_when(view.deadline)})"
        )


@alerts_app.command("acknowledge")
def alerts_acknowledge(
    alert: AlertArg, actor: AsOpt, db: DbOpt = None, as_json: JsonOpt = False
) -> None:
    """Say your council has seen the alert (the deadline stands).

    Example:

        commonplan alerts acknowledge 3 --as farmer
    """
    from commonplan.monitor import alerts

    _step(db, as_json, lambda d: alerts.acknowledge(d, alert, actor=actor))


NOTED = {
    "explain": """Say why the numbers are what they are (a drought, a breakdown …).

    Example:

        commonplan alerts explain 3 --note "the drought cut the harvest" --as farmer
    """,
    "correct": """Say your council corrected what was wrong (name the revised report in the note:
    commonplan report revise files it).

    Example:

        commonplan alerts correct 3 --note "report 12 revised by report 20" --as farmer
    """,
    "resolve": """Close the alert: a facilitator of the federation, or the council once it has
    explained or corrected it while the alert is still with the council.

    Example:

        commonplan alerts resolve 3 --as ada
    """,
}
"""The steps that take a note, each the library's function of that name, with its help."""


def _noted(step: str) -> Callable[..., None]:
    """The command of one of the :data:`NOTED` steps (explaining and correcting need a note)."""

    def command(
        alert: AlertArg,
        actor: AsOpt,
        note: NoteOpt = None,
        db: DbOpt = None,
        as_json: JsonOpt = False,
    ) -> None:
        from commonplan.monitor import alerts

        act = getattr(alerts, step)
        said = note if step == "resolve" else note or ""
        _step(db, as_json, lambda d: act(d, alert, note=said, actor=actor))

    command.__name__ = f"alerts_{step}"
    command.__doc__ = NOTED[step]
    return command


for _name in NOTED:
    alerts_app.command(_name)(_noted(_name))


def instant(text: str, what: str) -> datetime:
    """An ISO date-time (UTC unless it gives an offset), or PlanInputError naming ``what``."""
    try:
        t = datetime.fromisoformat(text)
    except ValueError:
        raise PlanInputError(
            f"{what}: {text!r} is not an ISO date-time, e.g. 2027-02-10T09:00"
        ) from None
    return t.replace(tzinfo=UTC) if t.tzinfo is None else t


@alerts_app.command("escalate")
def alerts_escalate(
    now: Annotated[
        str | None,
        option(
            "--now", "ISO", "The time to sweep at (UTC unless an offset is given); default: now."
        ),
    ] = None,
    db: DbOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Move every alert past its deadline and not resolved one level up, with a new deadline
    (at the root it stays, overdue); prints what moved.  The sweeper a cron job runs.

    Example:

        commonplan alerts escalate --db postgresql://planner@db/commonplan
    """
    from sqlalchemy import select

    from commonplan.monitor.alerts import escalate_due
    from commonplan.store.models import Alert, AlertEvent

    at = instant(now, "--now") if now is not None else None
    with database(db) as d:
        moved = escalate_due(d, now=at)
        with d.transaction() as s:
            rows = []
            for i in moved:
                level = s.execute(select(Alert.level).where(Alert.id == i)).scalar_one()
                note = s.execute(
                    select(AlertEvent.note)
                    .where(AlertEvent.alert_id == i)
                    .order_by(AlertEvent.id.desc())
                    .limit(1)
                ).scalar_one()
                rows.append({"alert": i, "level": level, "note": note})
    if as_json:
        echo_json({"moved": rows})
        return
    if not rows:
        say("no alert past its deadline moved")
    for r in rows:
        say(f"alert {r['alert']} → level {r['level']}: {escape(str(r['note'] or ''))}")
