"""The ``commonplan years`` command: multi-year plans and strategies compared, from a terminal.

A thin layer over :func:`commonplan.plan.years.compare` (and :mod:`commonplan.plan.charts` for
``--plots``): it reads an economy, solves the plan under the strategy and those it is compared
with, and prints one table — a row per strategy and year — or, with ``--json``, one JSON object.
Exit status: 0 when every strategy has a plan, 1 bad input, 2 when a strategy has none
(infeasible, unbounded, or stopped at a limit; the output says which).

    commonplan years demo --strategy heavy-industry-first --compare balanced,optimal
    commonplan years econ --years 10 --progress labour=0.02 --cap co2=100%,90%,80% --plots out/
"""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, Literal

import typer
from rich.console import Console
from rich.markup import escape

from commonplan.cli import _common
from commonplan.cli._common import (
    NO_PLAN,
    JsonOpt,
    amounts,
    argument,
    new_table,
    number,
    option,
    pairs,
    read_or_demo,
    status,
)
from commonplan.errors import PlanInputError

if TYPE_CHECKING:
    from commonplan.plan.years import Comparison, YearsDiagnosis

__all__ = ["register"]

YearsMethod = Literal["auto", "projected", "condensed", "full"]
"""``commonplan.numerics.multiyear.FORMS``, spelled out for Typer."""


def register(app: typer.Typer) -> None:
    """Add the ``years`` command to the ``commonplan`` command."""
    app.command("years")(years_cmd)


def years_cmd(
    path: Annotated[
        str,
        argument(
            "PATH",
            "An economy (a directory or a labelled CSV/XLSX matrix), or the word demo: "
            "the shipped Swedish 2016 table.",
        ),
    ],
    years: Annotated[int, typer.Option("--years", min=1, help="Years in the plan.")] = 5,
    strategy: Annotated[
        str,
        typer.Option(
            "--strategy",
            metavar="STRATEGY",
            help="heavy-industry-first, balanced, consumption-first or optimal.",
        ),
    ] = "optimal",
    compare_with: Annotated[
        str | None,
        option(
            "--compare",
            "S1,S2",
            "Further strategies to solve on the same economy, comma-separated, or all.",
        ),
    ] = None,
    objective: Annotated[
        str,
        typer.Option(
            "--objective",
            metavar="OBJECTIVE",
            help="max_min: the largest consumption fulfilment held in every year; discounted: "
            "the largest discounted sum; min_labour (min_RESOURCE): the end targets in the last "
            "year with the least labour.",
        ),
    ] = "max_min",
    share: Annotated[
        float,
        typer.Option("--share", help="λ_K: heavy-industry-first's share of investment."),
    ] = 0.5,
    labour: Annotated[
        str,
        typer.Option(
            "--labour",
            metavar="HOURS|PCT|none",
            help="Year 1's hours: an amount, a share of the base output's hours, or none.",
        ),
    ] = "100%",
    labour_growth: Annotated[
        float, typer.Option("--labour-growth", help="Yearly growth of the labour force.")
    ] = 0.0,
    hours: Annotated[
        str | None,
        option(
            "--hours",
            "H1,H2,…",
            "Hours per worker each year as an index (1 = today), one per year.",
        ),
    ] = None,
    cap: Annotated[
        list[str] | None,
        option(
            "--cap",
            "RESOURCE=MAX[,MAX…]",
            "Most of a resource a year: an amount or a share of today's use, or one per "
            "year, e.g. co2=100%,90%,80%,70%,60%.  Repeat for several.",
        ),
    ] = None,
    progress: Annotated[
        list[str] | None,
        option(
            "--progress",
            "INPUT=RATE",
            "Yearly fall of coefficients: labour=0.02, inputs=0.01, co2=0.03 …",
        ),
    ] = None,
    floor: Annotated[
        list[str] | None,
        option(
            "--floor", "PRODUCT=AMOUNT", "Net output every year must reach.  Repeat for several."
        ),
    ] = None,
    population_growth: Annotated[
        float, typer.Option("--population-growth", help="Yearly growth of the population.")
    ] = 0.0,
    population: Annotated[
        float | None,
        typer.Option(
            "--population", show_default=False, help="People in year 1 (for per-head figures)."
        ),
    ] = None,
    lag: Annotated[int, typer.Option("--lag", min=1, help="Years until new capacity runs.")] = 1,
    depreciation: Annotated[
        float, typer.Option("--depreciation", help="δ: capital worn out per year.")
    ] = 0.06,
    discount: Annotated[float, typer.Option("--discount", help="β per year.")] = 0.97,
    end_capacity: Annotated[
        float,
        typer.Option("--end-capacity", help="Least end capacity, as a multiple of year 1's."),
    ] = 1.0,
    method: Annotated[
        YearsMethod,
        typer.Option(
            "--method",
            help="projected (cutting planes on the yearly aggregates), condensed or full "
            "(HiGHS on the whole LP), or auto.",
        ),
    ] = "auto",
    plots: Annotated[
        Path | None,
        option(
            "--plots", "DIR", "Write years.html (and PNGs where kaleido is installed) into DIR."
        ),
    ] = None,
    as_json: JsonOpt = False,
    wide: Annotated[
        bool,
        typer.Option(
            "--wide",
            help="Every column (output by sector group too), however wide; by default the "
            "columns that fit an 80-column terminal.",
        ),
    ] = False,
) -> None:
    """A multi-year plan with investment and capacity growth, and strategies compared on it.

    Prints, per strategy and year: consumption fulfilment and per head, the investment share of
    net output, new capacity, labour hours, CO2 and gross output by sector group.

    Example:

        commonplan years demo --strategy heavy-industry-first --compare balanced,optimal
    """
    from commonplan.plan.capital import derive_capital
    from commonplan.plan.years import compare

    names = _strategies(strategy, compare_with)
    economy = read_or_demo(path)
    options: dict[str, Any] = {
        "years": years,
        "objective": objective,
        "share": share,
        "labour": None if labour.strip().lower() == "none" else _amount(labour, "--labour"),
        "labour_growth": labour_growth,
        "hours": None if hours is None else _floats(hours, "--hours"),
        "caps": {
            k: _per_year(v, f"--cap {k}") for k, v in pairs(cap or [], "--cap", "co2=100%").items()
        }
        or None,
        "progress": amounts(progress or [], "--progress", "labour=0.02") or None,
        "floors": amounts(floor or [], "--floor", "Q86=250000") or None,
        "population": population,
        "population_growth": population_growth,
        "lag": lag,
        "discount": discount,
        "end_capacity": end_capacity,
        "method": method,
        "capital": derive_capital(economy, depreciation=depreciation),
    }
    label = f"Planning {years} years for {economy.n} products"
    with _common.progress(label, quiet=as_json) as tell:  # (`progress` is an option here)
        result = compare(economy, names, on_progress=tell, **options)
    written: list[Path] = []
    plot_notes: list[str] = []
    if plots is not None:
        from commonplan.plan.charts import save_figures

        with status(f"Drawing to {plots}…"):
            written, plot_notes = save_figures(
                result, plots, title=f"{economy.name}: {years}-year plans compared"
            )
    if as_json:
        typer.echo(json.dumps({"economy": economy.name, **result.to_dict()}))
    else:
        _print(economy.name, result, wide=wide)
    console = Console(stderr=as_json)
    for path_ in written:
        console.print(f"wrote {escape(str(path_))}", highlight=False)
    for note in plot_notes:
        console.print(f"note: {escape(note)}", style="dim", highlight=False)
    if not all(r.success for r in result.results.values()):
        raise typer.Exit(NO_PLAN)


# ---------------------------------------------------------------------- helpers


def _strategies(strategy: str, others: str | None) -> list[str]:
    from commonplan.plan.years import STRATEGIES

    names = [strategy]
    if others:
        extra = list(STRATEGIES) if others.strip() == "all" else others.split(",")
        names += [s.strip() for s in extra if s.strip()]
    unknown = [s for s in names if s not in STRATEGIES]
    if unknown:
        raise PlanInputError(
            f"unknown strateg{'y' if len(unknown) == 1 else 'ies'} {', '.join(unknown)}: "
            f"use {', '.join(STRATEGIES)}"
        )
    return list(dict.fromkeys(names))


def _amount(value: str, what: str) -> float | str:
    v = value.strip()
    return v if v.endswith("%") else number(v, what)


def _per_year(value: str, what: str) -> float | str | list[float | str]:
    parts = [p.strip() for p in value.split(",") if p.strip()]
    if len(parts) == 1:
        return _amount(parts[0], what)
    return [_amount(p, what) for p in parts]


def _floats(value: str, what: str) -> list[float]:
    return [number(p.strip(), what) for p in value.split(",") if p.strip()]


_COLUMNS = (
    "year",
    "fulfil-\nment",
    "consump-\ntion per\nhead",
    "invest-\nment\nshare",
    "new\ncapa-\ncity",
    "labour\nhours",
    "CO2",
)
"""The columns of a strategy's table (all numbers), before output by sector group."""


def _print(name: str, comparison: Comparison, *, wide: bool = False) -> None:
    """One table per strategy, a row a year: what fits 80 columns, or (``wide``) every column
    with output by sector group too."""
    console = Console()
    first = next(iter(comparison.results.values()))
    groups = list(first.groups) if wide else []
    figure = _figure if wide else _short
    console.print(
        f"{escape(name)}: {first.T}-year plans, objective {escape(first.objective)}",
        highlight=False,
    )
    for strategy, r in comparison.results.items():
        table = new_table(escape(strategy), (*_COLUMNS, *(f"output\n{g}" for g in groups)), left=())
        if not r.success:
            table.add_row("", f"[red]{escape(r.status)}[/]")
            console.print(table)
            continue
        s = r.summary()
        for t, year in enumerate(r.years):
            table.add_row(
                str(year),
                f"{100 * s['fulfilment'][t]:.1f} %",
                figure(s["consumption_per_head"][t]),
                f"{100 * s['investment_share'][t]:.1f} %",
                figure(s["capacity_built"][t]),
                figure(s["labour"][t]) if "labour" in s else "—",
                figure(s["co2"][t]) if "co2" in s else "—",
                *(figure(s[f"output {g}"][t]) for g in groups),
            )
        console.print(table)
    for strategy, r in comparison.results.items():
        colour = "green" if r.success else "red"
        console.print(
            f"{escape(strategy)}: [{colour}]{escape(r.status)}[/] — {escape(r.message)}; "
            f"objective {r.objective_value:.6g}; {escape(r.method)}, {r.iterations} "
            f"iteration(s), {r.seconds:.2f} s",
            highlight=False,
        )
    for strategy, r in comparison.results.items():
        if r.diagnosis is not None:
            _print_diagnosis(console, strategy, r.diagnosis)
    for note in first.notes:
        console.print(f"note: {escape(note)}", style="dim", highlight=False)


def _print_diagnosis(console: Console, strategy: str, d: YearsDiagnosis) -> None:
    """The year, the conflicting set and the ways out of an infeasible plan."""
    when = "the end of the plan" if d.year is None else f"year {d.year}"
    conflict = d.conflict()
    if conflict:
        minimal = "minimal" if d.minimal else "not proven minimal"
        console.print(
            f"{escape(strategy)}: first failing year: {when}; conflicting set ({minimal}): "
            f"{escape(conflict)}",
            highlight=False,
        )
    if not d.relaxations:
        return
    table = new_table(
        f"{strategy}: cheapest ways out, each alone (the whole plan)",
        ("relaxation", "factor"),
        left=("relaxation",),
    )
    for x in d.relaxations:
        table.add_row(escape(x.message), f"× {x.value:.4g}")
    console.print(table)


def _short(v: float) -> str:
    """A yearly figure in at most 8 characters: 3 significant digits and k, M, bn or tn."""
    if not math.isfinite(v):
        return "—"
    for scale, suffix in ((1e12, " tn"), (1e9, " bn"), (1e6, " M"), (1e3, " k")):
        if abs(v) >= scale:
            return f"{v / scale:.3g}{suffix}"
    return f"{v:.3g}"


def _figure(v: float) -> str:
    """A yearly figure: "—" when not finite, 4 significant digits from a million, thousands
    grouped from 100, else 3 significant digits."""
    if not math.isfinite(v):
        return "—"
    return f"{v:.4g}" if abs(v) >= 1e6 else f"{v:,.0f}" if abs(v) >= 100 else f"{v:.3g}"
