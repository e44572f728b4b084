"""The economy commands: ``demo``, ``balance``, ``values``, ``optimize``, ``synth``.

Each reads an economy, calls one library function and prints the result — a Rich table for
people, ``--json`` for programs.  ``optimize`` exits with status 2 when there is no optimal plan
(:data:`~commonplan.cli._common.NO_PLAN`).  numpy and the library load inside the commands.
"""

from __future__ import annotations

import importlib.util
import json
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, Literal

import typer
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from commonplan.cli._common import (
    NO_PLAN,
    JsonOpt,
    Negatives,
    amounts,
    argument,
    is_file,
    new_table,
    num,
    option,
    pairs,
    print_notes,
    progress,
    read_or_demo,
    status,
)
from commonplan.errors import FormatError, MissingExtraError, UnknownNameError

if TYPE_CHECKING:
    import numpy as np
    from numpy.typing import NDArray

    from commonplan.economy.model import Economy
    from commonplan.plan.balance import BalanceResult
    from commonplan.plan.optimize import OptimizeResult, TargetGroup

__all__ = ["register"]

SHOW_ALL = 60
"""Tables of economies up to this many products show every product; larger ones show ``TOP``."""
TOP = 30

Method = Literal["auto", "direct", "gauss-seidel"]
PlanMethod = Literal["auto", "structured", "highs", "highs-simplex", "highs-ipm", "highs-pdlp"]
"""``commonplan.optimize.METHODS``, spelled out for Typer."""

TOP_PRICES = 10


# ---------------------------------------------------------------------- commands

PathArg = Annotated[
    str,
    argument(
        "PATH",
        "An economy: a directory (A.csv.gz or A.npz, vectors.csv, meta.json), a labelled "
        "CSV/XLSX matrix, an INE supply-and-use workbook, or the word demo (the shipped Swedish "
        "2016 table).",
    ),
]
NegativesOpt = Annotated[
    Negatives,
    typer.Option(
        "--negatives", help="Refuse negative input coefficients, or clip them to zero (recorded)."
    ),
]


def demo() -> None:
    """Balance the shipped Swedish 2016 table: output, hours and CO2 for its final demand.

    Example:

        commonplan demo
    """
    from commonplan.economy.model import LABOUR
    from commonplan.plan.balance import balance

    economy = read_or_demo("demo")
    with progress(f"Solving for {economy.n} products") as tell:
        result = balance(economy, on_progress=tell)
    keys = [k for k in (LABOUR, "co2") if k in result.embodied]
    _print_plan(result, keys)


def balance_cmd(
    path: PathArg,
    demand: Annotated[
        str | None,
        option(
            "--demand",
            "COLUMN|FILE",
            "A final-demand vector of the economy by name, or a CSV file with columns "
            "product,amount.  Default: the economy's first final demand.",
        ),
    ] = None,
    as_json: JsonOpt = False,
    out: Annotated[
        Path | None,
        option(
            "--out",
            "FILE.csv|FILE.parquet",
            "Write one row per product to CSV or Parquet (by suffix).",
        ),
    ] = None,
    negatives: NegativesOpt = "refuse",
    method: Annotated[
        Method,
        typer.Option(
            "--method",
            help="Dense LU (direct), Gauss–Seidel, or auto (direct up to 2000 products).",
        ),
    ] = "auto",
) -> None:
    """Gross output, embodied labour and resources for a final demand: (I − A) x = y.

    Example:

        commonplan balance econ --demand households --out plan.parquet
    """
    from commonplan.plan.balance import balance
    from commonplan.plan.inputs import read_amounts

    if out is not None and out.suffix.lower() not in _WRITERS:
        raise FormatError(f"--out {out}: unknown suffix {out.suffix!r}; use .csv or .parquet")
    economy = read_or_demo(path, negatives)
    y = read_amounts(demand, economy) if demand is not None and is_file(demand) else demand
    with progress(f"Solving for {economy.n} products", quiet=as_json) as tell:
        result = balance(economy, y, method=method, on_progress=tell)
    if out is not None:
        _write_frame(result, out)
    if as_json:
        typer.echo(json.dumps(result.to_dict()))
    else:
        _print_plan(result, list(result.embodied))
    if out is not None:
        Console(stderr=as_json).print(f"wrote {escape(str(out))}", highlight=False)


def values(
    path: PathArg,
    resource: Annotated[
        list[str] | None,
        typer.Option(
            "--resource",
            "-r",
            metavar="NAME",
            show_default=False,
            help="labour or a resource of the economy; repeat for several.  Default: all.",
        ),
    ] = None,
    as_json: JsonOpt = False,
    negatives: NegativesOpt = "refuse",
) -> None:
    """Labour and each resource embodied per unit of each product: λ = l (I − A)⁻¹.

    Example:

        commonplan values econ --resource labour --resource co2
    """
    from commonplan.economy.model import LABOUR
    from commonplan.plan.balance import embodied

    economy = read_or_demo(path, negatives)
    names = resource or ([LABOUR] if economy.labour is not None else []) + list(economy.resources)
    if not names:
        raise UnknownNameError(f"economy {economy.name!r} has no labour or resource inputs")
    with status(f"Solving for {economy.n} products…"):
        lam = {k: embodied(economy, k) for k in names}
    if as_json:
        codes = economy.products
        typer.echo(
            json.dumps(
                {
                    "economy": economy.name,
                    "units": dict(economy.units),
                    "per_unit": {
                        k: dict(zip(codes, v.tolist(), strict=True)) for k, v in lam.items()
                    },
                }
            )
        )
        return
    order = _rows(lam[names[0]])
    table = _product_table(economy, economy.name)
    for k in lam:
        table.add_column(f"{k} per unit\n{_per(economy, k)}", justify="right")
    for i, row in zip(order, _cells(economy, order), strict=True):
        table.add_row(*row, *(num(v[i]) for v in lam.values()))
    if len(order) < economy.n:
        table.caption = (
            f"the {len(order)} products with the most {names[0]} per unit, of "
            f"{economy.n}; --json for all"
        )
    console = Console()
    console.print(table)
    print_notes(console, economy.notes + economy.adjustments)


def optimize_cmd(
    path: Annotated[
        str,
        argument(
            "PATH", "An economy, as for balance, or the word demo: the shipped Swedish 2016 table."
        ),
    ],
    targets: Annotated[
        str | None,
        option(
            "--targets",
            "COLUMN|FILE",
            "What is wanted: a final-demand vector of the economy by name, or a CSV file "
            "with columns product,amount and optional group, weight, ceiling (one target group "
            "per group).  Default: the economy's first final demand.",
        ),
    ] = None,
    cap: Annotated[
        list[str] | None,
        option(
            "--cap",
            "INPUT=MAX",
            "Most of labour or a resource to use: an amount in its unit, or a share of "
            "today's use, e.g. co2=70%.  Repeat for several.  Default: labour=100%.",
        ),
    ] = None,
    floor: Annotated[
        str | None,
        option(
            "--floor",
            "COLUMN|FILE",
            "Hard minimum net output: a final-demand vector by name, or a CSV file with "
            "columns product,amount.  No objective trades it away.",
        ),
    ] = None,
    capacity: Annotated[
        list[str] | None,
        option("--capacity", "PROCESS=MAX", "Most activity of a process.  Repeat for several."),
    ] = None,
    objective: Annotated[
        str,
        typer.Option(
            "--objective",
            metavar="OBJECTIVE",
            help="max_fulfilment: the largest common fulfilment of every group; max_weighted: "
            "the largest weighted sum of the groups' fulfilments, each up to its ceiling; "
            "min_labour or min_RESOURCE (min_co2 …): every target met in full with the least "
            "of it.",
        ),
    ] = "max_fulfilment",
    method: Annotated[
        PlanMethod,
        typer.Option(
            "--method",
            help="The structured solver (column generation), HiGHS with the algorithm it "
            "chooses or the one named, or auto (structured, HiGHS where it cannot certify the "
            "optimum).",
        ),
    ] = "auto",
    negatives: NegativesOpt = "refuse",
    as_json: JsonOpt = False,
) -> None:
    """The optimal plan within caps on labour and resources: how much of the targets can be had,
    by which techniques, and what is scarce (Kantorovich's plan problem).

    Prints the fulfilment of each target group, each input's use against its cap with its shadow
    price, the products with the highest shadow prices, and, when the floors and caps cannot all
    hold, the conflicting set and the cheapest relaxations.

    Exit status: 0 an optimal plan; 1 bad input (one line "error: …"); 2 no optimal plan: the
    plan is infeasible, unbounded, or the solver stopped at a limit (the output says which, and
    --json still prints the result).

    Example:

        commonplan optimize demo --cap labour=100% --cap co2=70%
    """
    from commonplan.plan.inputs import read_amounts, read_targets
    from commonplan.plan.optimize import optimize

    economy = read_or_demo(path, negatives)
    wanted: str | list[TargetGroup] | None = targets
    if targets is not None and is_file(targets):
        wanted = read_targets(targets, economy)
    floors: str | dict[str, float] | None = floor
    if floor is not None and is_file(floor):
        floors = read_amounts(floor, economy, allow_negative=False)
    caps = pairs(cap or [], "--cap", "co2=70%") or None
    limits = amounts(capacity or [], "--capacity", "P1=500")
    with progress(f"Optimising the plan for {economy.n} products", quiet=as_json) as tell:
        result = optimize(
            economy,
            targets=wanted,
            floors=floors,
            caps=caps,
            capacities=limits,
            objective=objective,
            method=method,
            on_progress=tell,
        )
    if as_json:
        typer.echo(json.dumps(result.to_dict()))
    else:
        _print_optimum(economy, result, limits)
    if not result.success:
        raise typer.Exit(NO_PLAN)


def synth(
    n: Annotated[int, typer.Argument(min=1, help="Number of products.", show_default=False)],
    out: Annotated[Path, typer.Option("--out", help="Directory to write.", show_default=False)],
    inputs: Annotated[int, typer.Option(min=0, help="Inputs drawn per process.")] = 10,
    techniques: Annotated[int, typer.Option(min=1, help="Processes per product.")] = 1,
    seed: Annotated[int, typer.Option(help="Random seed: same seed, same economy.")] = 0,
) -> None:
    """Write a random productive economy with the structure of real tables.

    Example:

        commonplan synth 100000 --out econ --techniques 2
    """
    from commonplan.economy.synthetic import synthetic_economy, write_economy

    with progress(f"Generating {n} products") as tell:
        economy = synthetic_economy(
            n, inputs_per_product=inputs, techniques=techniques, seed=seed, on_progress=tell
        )
    with progress(f"Writing {out}") as tell:
        write_economy(economy, out, on_progress=tell)
    Console().print(
        f"wrote {escape(economy.name)} ({economy.n} products, {economy.m} "
        f"processes, {economy.inputs.nnz} input coefficients) to {escape(str(out))}",
        highlight=False,
    )


def register(app: typer.Typer) -> None:
    """Add ``demo``, ``balance``, ``values``, ``optimize`` and ``synth`` to ``app``."""
    app.command()(demo)
    app.command("balance")(balance_cmd)
    app.command()(values)
    app.command("optimize")(optimize_cmd)
    app.command()(synth)


# ---------------------------------------------------------------------- helpers


def _print_optimum(e: Economy, r: OptimizeResult, capacities: Mapping[str, float]) -> None:
    """Status, objective, fulfilment, inputs against caps, scarce products; or the diagnosis."""
    console = Console()
    colour = "green" if r.success else "red"
    console.print(
        f"{escape(e.name)} — {escape(r.objective)}: [bold {colour}]{escape(r.status)}[/]",
        highlight=False,
    )
    if r.diagnosis is not None:
        _print_diagnosis(console, e, r)
    elif r.message != r.status:
        console.print(escape(r.message), highlight=False)
    if r.success:
        _print_objective(console, e, r)
        fulfil = new_table("fulfilment", ("target group", "fulfilment"), left=("target group",))
        for group, level in r.fulfilment.items():
            fulfil.add_row(escape(group), f"{100 * level:.1f} %")
        console.print(fulfil)
        _print_inputs(console, e, r, capacities)
        _print_prices(console, e, r)
        _print_mixed(console, e, r)
    console.print(
        f"solved by {r.method} in {r.iterations} iteration(s), {r.seconds:.2f} s, gap {r.gap:.2g}",
        style="dim",
        highlight=False,
    )
    print_notes(console, [*r.notes, *e.adjustments])


def _print_objective(console: Console, e: Economy, r: OptimizeResult) -> None:
    if r.objective.startswith("min_"):
        name = r.objective[4:]
        value = f"{num(r.use[name])} {e.units.get(name, '')}".rstrip() + f" of {name}"
    else:
        value = f"{r.objective_value:.4g}"
    console.print(f"objective {r.objective}: [bold]{escape(value)}[/]", highlight=False)


def _print_inputs(
    console: Console, e: Economy, r: OptimizeResult, capacities: Mapping[str, float]
) -> None:
    table = new_table(
        "labour and resources",
        ("input", "unit", "used", "cap", "of cap", "shadow\nprice", "binds"),
        left=("input", "unit"),
    )
    for name, used in r.use.items():
        cap = r.caps.get(name)
        binds = f"cap {name}" in r.binding
        table.add_row(
            escape(name),
            escape(e.units.get(name, "")),
            num(used),
            "—" if cap is None else num(cap),
            "" if not cap else f"{100 * used / cap:.1f} %",
            "" if cap is None else f"{r.cap_prices[name]:.3g}",
            "●" if binds else "",
            style="bold" if binds else None,
        )
    console.print(table)
    if r.activity is None or not capacities:
        return
    table = new_table(
        "process capacities",
        ("process", "activity", "capacity", "shadow\nprice", "binds"),
        left=("process",),
    )
    where = {code: j for j, code in enumerate(e.processes)}
    for code, most in capacities.items():
        binds = f"capacity {code}" in r.binding
        table.add_row(
            escape(code),
            num(r.activity[where[code]]),
            num(most),
            f"{r.capacity_prices[code]:.3g}",
            "●" if binds else "",
            style="bold" if binds else None,
        )
    console.print(table)


def _print_prices(console: Console, e: Economy, r: OptimizeResult) -> None:
    """The products with the highest shadow prices, in labour hours (or the binding cap's unit)."""
    if r.shadow_prices is None:
        return
    import numpy as np

    from commonplan.economy.model import LABOUR

    positive = [k for k, v in r.cap_prices.items() if v > 0]
    numeraire = LABOUR if LABOUR in positive else next(iter(positive), None)
    order = np.argsort(-r.shadow_prices, kind="stable")[:TOP_PRICES]
    table = _product_table(e, f"the {len(order)} scarcest products by shadow price")
    table.add_column("shadow price", justify="right")
    if numeraire is not None:
        table.add_column(f"in {numeraire}\n{_per(e, numeraire)}".rstrip(), justify="right")
        converted = r.prices_in(numeraire)
    for i, row in zip(order, _cells(e, order), strict=True):
        extra = [num(converted[i])] if numeraire is not None else []
        table.add_row(*row, f"{r.shadow_prices[i]:.3g}", *extra)
    console.print(table)
    name = r.objective[4:]
    per = {"max_fulfilment": "fulfilment", "max_weighted": "weighted fulfilment"}.get(
        r.objective, f"{name} ({e.units.get(name, '')})".replace(" ()", "")
    )
    console.print(
        f"shadow price: {per} per unit of the product"
        + (f"; in {numeraire}: divided by the price of the {numeraire} cap" if numeraire else ""),
        style="dim",
        highlight=False,
    )


def _print_mixed(console: Console, e: Economy, r: OptimizeResult) -> None:
    if not r.mixed or r.activity is None:
        console.print("mixed techniques: none (one process makes each product)", highlight=False)
        return
    import numpy as np

    z = r.activity
    for code in r.mixed:
        i = e.product_index(code)
        made = [j for j in np.flatnonzero(e.makes == i) if z[j] > 0]
        total = float(z[made].sum())
        shares = ", ".join(f"{escape(e.processes[j])} {100 * z[j] / total:.1f} %" for j in made)
        console.print(f"mixed techniques: {escape(e.label(i))} — {shares}", highlight=False)


def _print_diagnosis(console: Console, e: Economy, r: OptimizeResult) -> None:
    d = r.diagnosis
    assert d is not None
    console.print(f"[bold red]diagnosis:[/] {escape(d.message)}", highlight=False)
    parts = [
        f"{what}: {', '.join(items)}"
        for what, items in (
            ("caps", d.caps),
            ("floors", d.floors),
            ("capacities", d.capacities),
            ("targets", d.targets),
        )
        if items
    ]
    minimal = "minimal" if d.minimal else "not proven minimal"
    console.print(f"conflicting set ({minimal}): {escape(' · '.join(parts))}", highlight=False)
    if not d.relaxations:
        return
    table = new_table(
        "cheapest relaxations, each alone", ("relaxation", "new value"), left=("relaxation",)
    )
    for x in d.relaxations:
        if x.kind in ("caps", "floors"):
            value = f"× {x.value:.4g}"
        else:
            unit = {"cap": e.units.get(x.name, ""), "floor": e.units.get("output", "")}
            value = f"{num(x.value)} {unit.get(x.kind, '')}".rstrip()
        table.add_row(escape(x.message), escape(value))
    console.print(table)


def _write_csv(frame: Any, out: Path) -> None:
    frame.to_csv(out)


def _write_parquet(frame: Any, out: Path) -> None:
    if importlib.util.find_spec("pyarrow") is None:
        raise MissingExtraError("writing Parquet needs pyarrow: pip install 'commonplan[parquet]'")
    frame.to_parquet(out)


_WRITERS = {".csv": _write_csv, ".parquet": _write_parquet}


def _write_frame(result: BalanceResult, out: Path) -> None:
    _WRITERS[out.suffix.lower()](result.to_frame(), out)


def _rows(key: NDArray[np.float64]) -> NDArray[np.intp]:
    """Every product in table order, or the ``TOP`` largest by ``key`` for a large economy."""
    import numpy as np

    if len(key) <= SHOW_ALL:
        return np.arange(len(key))
    return np.argsort(-key, kind="stable")[:TOP]


def _product_table(economy: Economy, title: str) -> Table:
    table = Table(title=escape(title), title_justify="left")
    table.add_column("product", no_wrap=True)
    if economy.names != economy.products:
        table.add_column("name")
    return table


def _cells(economy: Economy, order: NDArray[np.intp]) -> list[list[str]]:
    named = economy.names != economy.products
    return [
        [escape(economy.products[i]), *([escape(economy.names[i])] if named else [])] for i in order
    ]


def _print_plan(result: BalanceResult, keys: Sequence[str]) -> None:
    """The plan as a table: gross output and, per unit, each of ``keys``; totals and solve below."""
    e = result.economy
    units = e.units
    out_unit = units.get("output", "")
    order = _rows(result.gross_output)
    table = _product_table(e, f"{e.name} — final demand {result.demand_name!r}")
    table.add_column(f"gross output\n{out_unit}".rstrip(), justify="right")
    for k in keys:
        table.add_column(f"{k} per unit\n{_per(e, k)}".rstrip(), justify="right")
    for i, row in zip(order, _cells(e, order), strict=True):
        table.add_row(
            *row, num(result.gross_output[i]), *(num(result.embodied[k][i]) for k in keys)
        )
    if len(order) < e.n:
        table.caption = f"the {len(order)} largest of {e.n} products by gross output"
    console = Console()
    console.print(table)
    totals = " · ".join(
        f"total {escape(k)}: [bold]{num(result.totals[k])}[/] {escape(units.get(k, ''))}".rstrip()
        for k in keys
    )
    if totals:
        console.print(totals, highlight=False)
    console.print(
        f"solved by {result.method} in {result.iterations} iteration(s), "
        f"relative residual {result.residual:.2g}",
        style="dim",
        highlight=False,
    )
    print_notes(console, result.notes + e.adjustments)


def _per(economy: Economy, key: str) -> str:
    units: Mapping[str, str] = economy.units
    if key in units and "output" in units:
        return f"{units[key]} / {units['output']}"
    return units.get(key, "")
