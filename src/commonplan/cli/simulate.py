"""The ``commonplan simulate`` command: a year of a running plan, simulated, as a log and a page.

A thin layer over :func:`commonplan.monitor.simulate.simulate`: a drought in month 4, a workplace
that starts inflating its reports in month 6, and what the reports, reconciliation, the watch,
the alerts and the rolling replans make of them, month by month.

    commonplan simulate --seed 1 --out simulate.html
"""

from __future__ import annotations

import textwrap
from pathlib import Path
from typing import Annotated

import typer

from commonplan.cli._common import JsonOpt, echo_json

__all__ = ["register"]


def register(app: typer.Typer) -> None:
    """Add the ``simulate`` command to the ``commonplan`` command."""
    app.command("simulate")(simulate_cmd)


def _page_path(out: str) -> Path:
    path = Path(out)
    return path if path.suffix.lower() in (".html", ".htm") else path / "simulate.html"


def simulate_cmd(
    seed: Annotated[int, typer.Option("--seed", help="The random seed of the reports' noise.")] = 0,
    months: Annotated[
        int, typer.Option("--months", min=2, max=12, help="Months to simulate (2 to 12).")
    ] = 12,
    out: Annotated[
        str,
        typer.Option(
            "--out",
            metavar="DIR|PAGE.html",
            help="Where the page of plots goes: a file ending in .html, or a directory "
            "(simulate.html in it).",
        ),
    ] = "simulate.html",
    as_json: JsonOpt = False,
) -> None:
    """Simulate a year of a ratified plan: a drought, a workplace that inflates its reports, and
    when each is detected, who is alerted, what escalates and how the rest of the year is
    replanned.  Prints the log month by month and writes a page of plots.

    Example: commonplan simulate --seed 1 --out simulate.html
    """
    from rich.console import Console
    from rich.markup import escape
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn

    from commonplan.monitor.simulate import simulate, write_page

    with Progress(
        TextColumn("simulating"),
        BarColumn(),
        MofNCompleteColumn(),
        TextColumn("months"),
        console=Console(stderr=True),
        transient=True,
    ) as bar:
        task = bar.add_task("months", total=months)
        sim = simulate(seed=seed, months=months, progress=lambda m: bar.update(task, completed=m))
    page = write_page(sim, _page_path(out))
    if as_json:
        echo_json({**sim.to_dict(), "page": str(page)})
        return
    console = Console(width=min(Console().width, 80))
    for line in sim.lines():
        indent = " " * (len(line) - len(line.lstrip()) + 2)
        for part in textwrap.wrap(line, 80, subsequent_indent=indent) or [""]:
            console.print(escape(part), highlight=False)
    console.print(f"page: {escape(str(page))}", highlight=False)
