"""The ``commonplan report`` commands: what workplaces report they made, and whether it adds up.

A thin layer over :mod:`commonplan.reports`: the ledger (file a batch, revise a report, list)
and the reconciliation of one period (the global test, each workplace's reported and reconciled
output, the suspects with why, the reports nothing can check).  Who may file, revise or see is
the library's rule; the command passes ``--as`` on.

    commonplan report file 1 january.csv --as farmer
    commonplan report revise 12 --amount 950 --reason "double-counted a delivery" --as farmer
    commonplan report list 1 --period 2027-01 --as farmer
    commonplan report reconcile 1 --period 2027-01 --alerts --as ada
    commonplan report suspects 1 --period 2027-01 --as ada
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from commonplan.cli._common import (
    AsOpt,
    BatchWords,
    DbOpt,
    JsonOpt,
    OnlyPeriodOpt,
    RoundArg,
    argument,
    database,
    echo_json,
    group,
    json_or_none,
    new_table,
    num,
    option,
    progress,
    registrar,
    reply,
    store_batch,
)

if TYPE_CHECKING:
    from commonplan.reports import StoredReport
    from commonplan.reports.reconcile import Reconciliation, ReportCheck, Suspect

__all__ = ["register"]

report_app = group(
    "report", "Production reports after the vote: file, revise, list, reconcile, suspects."
)

register = registrar(report_app)


PeriodOpt = Annotated[str, option("--period", "PERIOD", "The reporting period, e.g. 2027-01.")]
AlphaOpt = Annotated[
    float,
    typer.Option(
        "--alpha",
        metavar="A",
        help="Significance level of the tests (the global test's false-alarm rate).",
    ),
]
FILED = BatchWords("reports", "filed", ("report", "reports"))


@report_app.command("file")
def report_file(
    round_id: RoundArg,
    rows: Annotated[
        Path,
        argument(
            "FILE.csv",
            "Columns council, period, kind, amount (required); product, counterpart, unit, "
            "sigma, source, dekad.",
        ),
    ],
    actor: AsOpt,
    db: DbOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """File a batch of reports against a ratified plan, all or nothing: one bad row stores
    nothing and names the row.

    Kinds: output, delivery, receipt, input, stock, hours; sources: workplace, consumers,
    meter, freight, receipts.

    Example:

        commonplan report file 1 january.csv --as farmer
    """
    from commonplan.reports import file_reports, read_report_rows

    store_batch(db, read_report_rows(rows), file_reports, round_id, actor, as_json, FILED)


@report_app.command("revise")
def report_revise(
    report: Annotated[int, argument("REPORT", "The report's id.")],
    amount: Annotated[float, option("--amount", "X", "The right amount, in the report's unit.")],
    reason: Annotated[str, option("--reason", "TEXT", "Why the report was wrong.")],
    actor: AsOpt,
    sigma: Annotated[
        float | None, option("--sigma", "SD", "Its standard deviation, if not the source's.")
    ] = None,
    db: DbOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Correct a report: a new report with the right amount that names the old one and says
    why.  Nothing is changed or deleted; only the newest of a chain counts.

    Example:

        commonplan report revise 12 --amount 950 --reason "counted a delivery twice" --as farmer
    """
    from commonplan.reports import revise_report

    with database(db) as d:
        new = revise_report(d, report, amount=amount, reason=reason, actor=actor, sigma=sigma)
    reply(
        as_json,
        {"report": new, "revises": report, "amount": amount},
        f"filed report [bold]{new}[/], revising report {report}",
    )


@report_app.command("list")
def report_list(
    round_id: RoundArg,
    actor: AsOpt,
    period: OnlyPeriodOpt = None,
    council: Annotated[str | None, option("--council", "NAME", "Only this council's.")] = None,
    show_all: Annotated[
        bool, typer.Option("--all", help="Revised reports too (dimmed), not only current ones.")
    ] = False,
    db: DbOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """The reports of a round, period by period: council, kind, product, counterpart, amount
    and source.

    Example:

        commonplan report list 1 --period 2027-01 --as farmer
    """
    from commonplan.reports import reports_of

    with database(db) as d:
        rows = reports_of(
            d, round_id, viewer=actor, period=period, council=council, current_only=not show_all
        )
    none = f"no reports{f' for {escape(period)}' if period else ''} in round {round_id}"
    if json_or_none(as_json, [r.to_dict() for r in rows], rows, none):
        return
    console = Console()
    for p in sorted({r.period for r in rows}):
        console.print(_ledger_table(f"round {round_id}, {p}", [r for r in rows if r.period == p]))


def _ledger_table(title: str, rows: Sequence[StoredReport]) -> Table:
    table = Table(title=title, title_justify="left")
    for col in ("id", "council", "kind", "product", "from/to", "amount", "source"):
        right = col in ("id", "amount")
        table.add_column(col, justify="right" if right else "left", no_wrap=right)
    for r in rows:
        ident = str(r.id) if r.revises is None else f"{r.id}←{r.revises}"
        kind = r.kind + (f" ({r.dekad}/3)" if r.dekad else "")
        table.add_row(
            ident,
            escape(r.council),
            kind,
            escape(r.product or ""),
            escape(r.counterpart or ""),
            escape(f"{num(r.amount)} {r.unit}".strip()),
            r.source,
            style=None if r.current else "dim",
        )
    return table


def _named(c: ReportCheck) -> str:
    what = f"{c.council}, {c.kind}" + (f" of {c.product}" if c.product else "")
    return (f"report {c.report}: " if c.report is not None else "") + what


@report_app.command("reconcile")
def report_reconcile(
    round_id: RoundArg,
    period: PeriodOpt,
    actor: AsOpt,
    alpha: AlphaOpt = 0.05,
    alerts: Annotated[
        bool,
        typer.Option("--alerts", help="Raise an alert for each suspect, to its council first."),
    ] = False,
    db: DbOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Reconcile a period's reports against the balances they must satisfy: the global test in
    one line, then each workplace's reported and reconciled output (± its standard error), the
    suspects with why, and the reports nothing can check.

    Example:

        commonplan report reconcile 1 --period 2027-01 --alerts --as ada
    """
    rec, raised = _reconciled(db, round_id, period, actor, alpha, as_json, alerts=alerts)
    if as_json:
        echo_json(rec.to_dict() | ({"alerts": raised} if raised is not None else {}))
        return
    console = Console()
    console.print(verdict(rec), highlight=False, soft_wrap=True)
    if rec.workplaces:
        console.print(_workplace_table(rec))
    _print_suspects(console, rec.suspects)
    if rec.untestable:
        console.print("reports nothing can check:", highlight=False)
        for i in rec.untestable:
            c = rec.checks_by_index(i)
            console.print(f"  {escape(_named(c))} ({num(c.reported)}, {c.source})", highlight=False)
    weak = rec.weakly_checked()
    if weak:
        console.print(
            "reports checked only loosely (an error of more than a fifth could go unnoticed):",
            highlight=False,
        )
        for c in weak:
            console.print(
                f"  {escape(_named(c))} ({num(c.reported)}, {c.source}): an error smaller than"
                f" {num(c.detectable)} is caught less than 9 times in 10",
                highlight=False,
            )
    for note in rec.notes:
        console.print(f"note: {escape(note)}", style="dim", highlight=False)
    if raised is not None:
        n = len(raised)
        ids = ", ".join(str(i) for i in raised)
        console.print(
            f"raised {n} alert{'s' if n != 1 else ''}{f' ({ids})' if n else ''}: "
            "commonplan alerts list shows them",
            highlight=False,
        )


def _reconciled(
    db: str | None,
    round_id: int,
    period: str,
    actor: str,
    alpha: float,
    as_json: bool,
    *,
    alerts: bool = False,
) -> tuple[Reconciliation, list[int] | None]:
    """The period's reconciliation, with a progress bar on a terminal, and with ``alerts`` the
    ids of the suspects' alerts it raised (else None)."""
    from commonplan.reports.reconcile import raise_suspect_alerts, reconcile_round

    with database(db) as d:
        with progress(f"Reconciling the reports of {period}", quiet=as_json) as tell:
            rec = reconcile_round(
                d, round_id, period=period, viewer=actor, alpha=alpha, on_progress=tell
            )
        return rec, raise_suspect_alerts(d, round_id, rec) if alerts else None


def verdict(rec: Reconciliation) -> str:
    """The global test in one line, in plain words (the χ² test on the degrees of redundancy)."""
    where = f"{escape(rec.period or 'the period')}: the reports"
    if rec.redundancy == 0:
        return f"{where} cannot be checked: no balance ties them to each other"
    test = f"χ² {rec.chi2:.3g} on {rec.redundancy} df, p = {rec.p_value:.2g}"
    if rec.passed:
        return f"{where} [bold green]add up[/] ({test} ≥ α {rec.alpha:g})"
    return f"{where} [bold red]do not add up[/] ({test} < α {rec.alpha:g})"


def _workplace_table(rec: Reconciliation) -> Table:
    table = new_table(
        "output: reported and reconciled",
        ("council", "product", "reported", "reconciled ± se", "hours", "hours rec."),
        left=("council", "product"),
    )
    for w in rec.workplaces:
        table.add_row(
            escape(w.council),
            escape(w.product),
            "—" if w.reported is None else num(w.reported),
            _estimate(w.reconciled, w.std_error),
            "" if w.hours_reported is None else num(w.hours_reported),
            "" if w.hours_reconciled is None else num(w.hours_reconciled),
        )
    return table


def _estimate(value: float, se: float) -> str:
    """A reconciled value ± its standard error; "unknown" where nothing determines it."""
    if not (math.isfinite(value) and math.isfinite(se)):
        return "unknown"
    return f"{num(value)} ± {num(se)}"


def _print_suspects(console: Console, suspects: Sequence[Suspect]) -> None:
    if not suspects:
        console.print("suspects: none", highlight=False)
        return
    console.print("suspects, most likely first:", highlight=False)
    for s in suspects:
        who = s.council if s.council is not None else "one of several councils"
        console.print(
            f"  {s.rank}. [bold]{escape(who)}[/] (z = {s.z:.3g}): {escape(s.why)}",
            highlight=False,
        )


@report_app.command("suspects")
def report_suspects(
    round_id: RoundArg,
    period: PeriodOpt,
    actor: AsOpt,
    alpha: AlphaOpt = 0.05,
    db: DbOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Only the suspects of a period's reconciliation, most likely first, each with why.

    Example:

        commonplan report suspects 1 --period 2027-01 --as ada
    """
    rec, _ = _reconciled(db, round_id, period, actor, alpha, as_json)
    if as_json:
        echo_json(rec.to_dict()["suspects"])
        return
    _print_suspects(Console(), rec.suspects)
