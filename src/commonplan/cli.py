"""The ``commonplan`` command: a thin layer over the library.

Each command reads an economy, calls one library function and prints the result — a Rich table
for people, ``--json`` for programs.  Errors of the :class:`commonplan.CommonplanError` tree, and a
file that cannot be opened, end the command with a one-line ``error: …`` on stderr and exit status
1, never a traceback (see :class:`_Commands`).
"""

from __future__ import annotations

import importlib.util
import json
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated, Any, Literal

import numpy as np
import pandas as pd
import typer
from numpy.typing import NDArray
from rich.console import Console
from rich.markup import escape
from rich.table import Table
from typer.core import TyperGroup

from commonplan import __version__
from commonplan.balance import BalanceResult, balance, embodied
from commonplan.economy import LABOUR, Economy
from commonplan.errors import CommonplanError, FormatError, MissingExtraError, UnknownNameError
from commonplan.io import demo_economy, read_economy
from commonplan.synthetic import synthetic_economy, write_economy

__all__ = ["app"]

SHOW_ALL = 60
"""Tables of economies up to this many products show every product; larger ones show ``TOP``."""
TOP = 30

Negatives = Literal["refuse", "clip"]
Method = Literal["auto", "direct", "gauss-seidel"]


class _Commands(TyperGroup):
    """Maps the library's errors, in one place, to a one-line message and exit status 1."""

    def invoke(self, ctx: Any) -> Any:  # Any: click's Context, or the one typer vendors
        try:
            return super().invoke(ctx)
        except CommonplanError as exc:
            _fail(str(exc))
        except OSError as exc:
            where = f": {exc.filename}" if exc.filename else ""
            _fail(f"{exc.strerror or exc}{where}")


def _fail(message: str) -> None:
    line = " ".join(message.split())
    Console(stderr=True).print(
        f"[bold red]error:[/] {escape(line)}", soft_wrap=True, highlight=False
    )
    raise typer.Exit(1)


app = typer.Typer(
    cls=_Commands,
    name="commonplan",
    help="Democratic economic planning from input-output tables.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_show_locals=False,
)


def _version(show: bool) -> None:
    if show:
        typer.echo(f"commonplan {__version__}")
        raise typer.Exit()


@app.callback()
def _main(
    version: Annotated[
        bool,
        typer.Option(
            "--version", callback=_version, is_eager=True, help="Print the version and exit."
        ),
    ] = False,
) -> None:
    """Democratic economic planning from input-output tables."""


# ---------------------------------------------------------------------- commands

PathArg = Annotated[
    Path,
    typer.Argument(
        help="An economy: a directory (A.csv.gz or A.npz, vectors.csv, meta.json) or a labelled "
        "CSV/XLSX matrix.",
        show_default=False,
    ),
]
NegativesOpt = Annotated[
    Negatives,
    typer.Option(
        "--negatives", help="Refuse negative input coefficients, or clip them to zero (recorded)."
    ),
]
JsonOpt = Annotated[bool, typer.Option("--json", help="Print one JSON object and nothing else.")]


@app.command()
def demo() -> None:
    """Balance the shipped Swedish 2016 table: output, hours and CO2 for its final demand.

    Example:

        commonplan demo
    """
    with _status("Loading the Statistics Sweden 2016 table…"):
        economy = demo_economy()
    with _status(f"Solving for {economy.n} products…"):
        result = balance(economy)
    keys = [k for k in (LABOUR, "co2") if k in result.embodied]
    _print_plan(result, keys)


@app.command("balance")
def balance_cmd(
    path: PathArg,
    demand: Annotated[
        str | None,
        typer.Option(
            "--demand",
            metavar="COLUMN|FILE",
            show_default=False,
            help="A final-demand vector of the economy by name, or a CSV file with columns "
            "product,amount.  Default: the economy's first final demand.",
        ),
    ] = None,
    as_json: JsonOpt = False,
    out: Annotated[
        Path | None,
        typer.Option(
            "--out",
            metavar="FILE.csv|FILE.parquet",
            show_default=False,
            help="Write one row per product to CSV or Parquet (by suffix).",
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
    if out is not None and out.suffix.lower() not in _WRITERS:
        raise FormatError(f"--out {out}: unknown suffix {out.suffix!r}; use .csv or .parquet")
    economy = _read(path, negatives)
    y = _demand_file(demand) if demand is not None and _is_file(demand) else demand
    with _status(f"Solving for {economy.n} products…"):
        result = balance(economy, y, method=method)
    if out is not None:
        _write_frame(result, out)
    if as_json:
        typer.echo(json.dumps(result.to_dict()))
    else:
        _print_plan(result, list(result.embodied))
    if out is not None:
        Console(stderr=as_json).print(f"wrote {escape(str(out))}", highlight=False)


@app.command()
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
    economy = _read(path, negatives)
    names = resource or ([LABOUR] if economy.labour is not None else []) + list(economy.resources)
    if not names:
        raise UnknownNameError(f"economy {economy.name!r} has no labour or resource inputs")
    with _status(f"Solving for {economy.n} products…"):
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
        table.add_row(*row, *(_num(v[i]) for v in lam.values()))
    if len(order) < economy.n:
        table.caption = (
            f"the {len(order)} products with the most {names[0]} per unit, of "
            f"{economy.n}; --json for all"
        )
    console = Console()
    console.print(table)
    _print_notes(console, economy.notes + economy.adjustments)


@app.command()
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
    with _status(f"Generating {n} products…"):
        economy = synthetic_economy(n, inputs_per_product=inputs, techniques=techniques, seed=seed)
    with _status(f"Writing {out}…"):
        write_economy(economy, out)
    Console().print(
        f"wrote {escape(economy.name)} ({economy.n} products, {economy.m} "
        f"processes, {economy.inputs.nnz} input coefficients) to {escape(str(out))}",
        highlight=False,
    )


# ---------------------------------------------------------------------- helpers


@contextmanager
def _status(message: str) -> Iterator[None]:
    """A spinner on stderr (stdout stays clean for --json); silent when stderr is not a terminal."""
    with Console(stderr=True).status(message):
        yield


def _read(path: Path, negatives: Negatives) -> Economy:
    with _status(f"Reading {path}…"):
        return read_economy(path, negatives=negatives)


def _is_file(demand: str) -> bool:
    p = Path(demand)
    return p.is_file() or p.suffix.lower() == ".csv" or "/" in demand


def _demand_file(demand: str) -> dict[str, float]:
    """{product: amount} from a CSV file with columns product,amount."""
    path = Path(demand)
    if not path.is_file():
        raise FileNotFoundError(2, "no such final-demand file", demand)
    try:
        df = pd.read_csv(path, dtype={"product": str})
    except (ValueError, UnicodeDecodeError) as exc:
        raise FormatError(f"--demand {demand}: cannot read as CSV ({exc})") from None
    missing = [c for c in ("product", "amount") if c not in df.columns]
    if missing:
        raise FormatError(
            f"--demand {demand}: needs columns product,amount; missing "
            f"{', '.join(missing)} (has {', '.join(map(str, df.columns))})"
        )
    amount = pd.to_numeric(df["amount"], errors="coerce")
    bad = df["product"][amount.isna()].tolist()
    if bad:
        raise FormatError(
            f"--demand {demand}: amount is not a number for product(s) "
            f"{', '.join(map(str, bad[:5]))}"
        )
    dup = df["product"][df["product"].duplicated()].tolist()
    if dup:
        raise FormatError(
            f"--demand {demand}: product(s) listed twice: {', '.join(map(str, dup[:5]))}"
        )
    return dict(zip(df["product"].astype(str), amount.astype(float), strict=True))


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
            *row, _num(result.gross_output[i]), *(_num(result.embodied[k][i]) for k in keys)
        )
    if len(order) < e.n:
        table.caption = f"the {len(order)} largest of {e.n} products by gross output"
    console = Console()
    console.print(table)
    totals = " · ".join(
        f"total {escape(k)}: [bold]{_num(result.totals[k])}[/] {escape(units.get(k, ''))}".rstrip()
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
    _print_notes(console, result.notes + e.adjustments)


def _print_notes(console: Console, notes: Sequence[str]) -> None:
    for note in notes:
        console.print(f"note: {escape(note)}", style="dim", highlight=False)


def _per(economy: Economy, key: str) -> str:
    units: Mapping[str, str] = economy.units
    if key in units and "output" in units:
        return f"{units[key]} / {units['output']}"
    return units.get(key, "")


def _num(v: float) -> str:
    a = abs(v)
    if a >= 100:
        return f"{v:,.0f}"
    if a >= 1:
        return f"{v:.2f}"
    return f"{v:.3g}"
