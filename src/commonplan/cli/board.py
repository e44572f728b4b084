"""The ``commonplan`` commands that publish and check: ``board``, ``audit verify``,
``plan recompute``.

``board recount`` and ``board find`` read an exported board alone (no database).  ``board
recount``, ``audit verify`` and ``plan recompute`` exit with status 1 when what they check
differs, after printing what differs.

    commonplan board export 1 board/ && commonplan board recount board/ --head 6a1bb766…
    commonplan board find board/ K7QF-2MXA-PL4D-9RTC
    commonplan audit verify
    commonplan plan recompute 2
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.markup import escape

from commonplan.cli._common import (
    DbOpt,
    JsonOpt,
    RoundArg,
    argument,
    database,
    echo_json,
    group,
    new_table,
    option,
    progress,
    registrar,
    say,
    status,
)

__all__ = ["register"]

board_app = group("board", "The published ballot board: export, recount, find a ballot.")
audit_app = group("audit", "The hash-chained audit log.")
plan_app = group("plan", "Recorded plans.")

DirArg = Annotated[
    Path,
    argument("DIR", "The directory of an exported board."),
]


register = registrar(board_app, audit_app, plan_app)


@board_app.command("export")
def board_export(
    round_id: RoundArg,
    directory: Annotated[Path, argument("DIR", "Where to write the board.")],
    db: DbOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Publish the round's closed ballot boxes: every ballot by receipt, the result, and a
    PaBuLib file of the budget vote.  Nothing in the board identifies a voter.

    Example:

        commonplan board export 1 board/
    """
    from commonplan.rounds import board

    with database(db) as d:
        written = board.export_board(d, round_id, directory)
    if as_json:
        echo_json({"files": [str(p) for p in written]})
        return
    for p in written:
        say(f"wrote {escape(str(p))}")


HeadOpt = Annotated[
    str | None,
    option(
        "--head",
        "SHA",
        "The log head published when the vote closed: the board must lead to it.",
    ),
]


@board_app.command("recount")
def board_recount(directory: DirArg, head: HeadOpt = None, as_json: JsonOpt = False) -> None:
    """Recount every question of an exported board from its files alone (no database), compare
    with the recorded results and with the log entries the board carries; with --head, prove the
    board against the head published at close.  Exit status 0 when everything matches, 1 when not.

    Example:

        commonplan board recount board/ --head 6a1bb766…
    """
    from commonplan.rounds import board

    with progress(f"Recounting {directory}", quiet=as_json) as tell:
        report = board.recount(directory, head=head, on_progress=tell)
    if as_json:
        echo_json(report.to_dict())
    else:
        console = Console()
        table = new_table(
            f"recount of {escape(str(directory))}",
            ("question", "kind", "ballots", "box hash", "result"),
            left=("kind", "box hash", "result"),
        )
        for q in report.questions:
            table.add_row(
                str(q.question),
                escape(q.kind),
                str(q.ballots),
                "[green]ok[/]" if q.box_ok else "[red]differs[/]",
                "[green]same[/]" if q.result_ok else "[red]differs[/]",
            )
        console.print(table)
        for problem in report.problems:
            console.print(f"[red]mismatch:[/] {escape(problem)}", highlight=False)
        if report.ok:
            console.print("[green]the recount matches the recorded results and the log[/]")
        if report.proven_head is not None:
            console.print(
                f"[green]proven against the published head {report.proven_head}[/]",
                highlight=False,
            )
        elif report.ok:
            console.print(
                f"the board's log ends at head {report.audit_head}: compare it with the head "
                "published when the vote closed (--head SHA)",
                highlight=False,
            )
    if not report.ok:
        raise typer.Exit(1)


@board_app.command("find")
def board_find(
    directory: DirArg,
    receipt: Annotated[str, argument("RECEIPT", "Your receipt code.")],
    as_json: JsonOpt = False,
) -> None:
    """Find your ballot on an exported board by its receipt.

    Example:

        commonplan board find board/ K7QF-2MXA-PL4D-9RTC
    """
    from commonplan.rounds import board

    found = board.find_ballot(directory, receipt)
    if as_json:
        echo_json({"ballots": [f.to_dict() for f in found]})
        return
    for f in found:
        say(
            f"question {f.question} ({escape(f.kind)}): "
            f"[bold]{escape(json.dumps(f.choice, sort_keys=True))}[/]"
        )


@audit_app.command("verify")
def audit_verify(
    head: Annotated[
        str | None,
        option(
            "--head",
            "SHA",
            "A head hash published earlier (at a vote's close, on its board): it must be in the "
            "log.",
        ),
    ] = None,
    db: DbOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Verify the audit log's hash chain, and replay the log to compare what it records with the
    tables: members, councils, delegates, floors, rounds, proposals, ballot boxes, plans.  Exit
    status 0 when all verify, 1 when not (each difference named by table, row and field).

    Example:

        commonplan audit verify --head 6a1bb766…
    """
    from commonplan import audit

    with database(db) as d, d.transaction() as s:
        v = audit.verify(s, expected_head=head)
    if as_json:
        echo_json({"ok": v.ok, "entries": v.entries, "head": v.head, "problems": v.problems})
    else:
        console = Console()
        for problem in v.problems:
            console.print(f"[red]problem:[/] {escape(problem)}", highlight=False)
        state = "[green]verifies[/]" if v.ok else f"[red]{len(v.problems)} problem(s)[/]"
        console.print(f"audit log: {v.entries} entries, head {v.head} — {state}", highlight=False)
    if not v.ok:
        raise typer.Exit(1)


@plan_app.command("recompute")
def plan_recompute(
    plan: Annotated[int, argument("PLAN", "The plan's id.")],
    db: DbOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Recompute a recorded plan from its recorded inputs and compare.  Exit status 0 when the
    numbers are the same, 1 when not.

    Example:

        commonplan plan recompute 2
    """
    from commonplan import rounds

    with database(db) as d:
        with status(f"Recomputing plan {plan}…"):
            out = rounds.recompute(d, plan)
    if as_json:
        echo_json(out)
    else:
        recorded = out["recorded"]["status"]
        if out["same"]:
            say(f"plan {plan} ({escape(recorded)}): [green]recomputed, the same[/]")
        else:
            say(
                f"plan {plan}: [red]the recomputed plan differs[/] (recorded "
                f"{escape(recorded)}, recomputed {escape(out['recomputed']['status'])})"
            )
    if not out["same"]:
        raise typer.Exit(1)
