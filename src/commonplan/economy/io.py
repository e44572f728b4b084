"""Reading economies: table directories, labelled CSV/XLSX files, pymrio systems, the demo table.

:func:`read_economy` reads

* a directory ``A.csv.gz`` (or ``A.csv``, or ``A.npz`` written by ``scipy.sparse.save_npz``) +
  ``vectors.csv`` (one row per product, in the order of A) + ``meta.json``;
* a directory ``inputs.npz`` (products × processes) + ``processes.csv`` (one row per process, with
  the product it ``makes``) + ``vectors.csv`` + ``meta.json``: several techniques per product, as
  :func:`commonplan.write_economy` writes them;
* a directory holding pymrio's ``file_parameters.json`` (a saved ``IOSystem``);
* a ``.csv`` or ``.xlsx`` file: a square matrix whose first row and first column are the product
  codes, optionally followed by vector columns.

Column roles.  ``meta.json`` may declare them::

    "columns": {"hours_coef": {"role": "labour", "scale": 10000, "unit": "hours"},
                "co2_coef": {"role": "resource", "name": "co2", "unit": "kt CO2"}, ...}

with the roles ``labour``, ``resource``, ``final_demand`` and ``gross_output``.  A role it does not
declare is guessed from the column names, and each guess is recorded in ``economy.notes``:

* labour: a column with ``hours`` and ``coef`` in its name (or named ``labour``); failing that a
  compensation or wage coefficient (``comp_coef…``, ``wage_coef…``), money standing in for hours;
* final demand: every ``y_…`` column, named without ``y_``; the first is the default;
* gross output: the first ``q_…`` or ``x…`` column;
* resources: every other column with ``_coef`` in its name, named by what precedes ``_coef``.

Arguments ``labour=``, ``final_demand=`` and ``resources=`` override both.  A table with gross
output x but no final demand gets the final demand ``"implied"`` = (I − A) x.

Plan inputs.  :func:`read_amounts` reads {product: amount} from a CSV file with columns
``product,amount`` (a final demand, or a plan's floors); :func:`read_targets` reads a plan's target
groups from one with columns ``product,amount`` and optional ``group``, ``weight``, ``ceiling``.
Their errors name the file, the line and the product.
"""

from __future__ import annotations

import dataclasses
import importlib
import json
import re
import tempfile
import zlib
from collections.abc import Mapping, Sequence
from importlib.resources import files
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import scipy.sparse as sp

from commonplan.economy._mrio import from_pymrio, pymrio_module
from commonplan.economy.model import Economy, listing, repeats
from commonplan.errors import (
    DataError,
    FormatError,
    MissingExtraError,
    ShapeError,
    UnknownNameError,
)
from commonplan.numerics.types import Array

__all__ = ["demo_economy", "from_pymrio", "read_economy"]

_ROLES = ("labour", "resource", "final_demand", "gross_output")
_ALIASES = {"import_use": "imports", "va": "value_added", "wage": "wages", "comp": "compensation"}
_READ_ERRORS = (OSError, ValueError, EOFError, zlib.error)
_SHOW = 5


@dataclasses.dataclass(frozen=True)
class _Options:
    labour: str | None
    final_demand: str | Sequence[str] | None
    resources: Mapping[str, str] | None
    negatives: str
    name: str | None


@dataclasses.dataclass
class _Roles:
    """Which column plays which part; resources and final demands map name → column."""

    labour: str | None = None
    resources: dict[str, str] = dataclasses.field(default_factory=dict)
    final_demand: dict[str, str] = dataclasses.field(default_factory=dict)
    gross_output: str | None = None
    scale: dict[str, float] = dataclasses.field(default_factory=dict)
    units: dict[str, str] = dataclasses.field(default_factory=dict)
    notes: list[str] = dataclasses.field(default_factory=list)

    def used(self) -> set[str]:
        one = {c for c in (self.labour, self.gross_output) if c is not None}
        return one | set(self.resources.values()) | set(self.final_demand.values())


# ---------------------------------------------------------------------- public


def read_economy(
    path: str | Path,
    *,
    labour: str | None = None,
    final_demand: str | Sequence[str] | None = None,
    resources: Mapping[str, str] | None = None,
    negatives: str = "refuse",
    name: str | None = None,
) -> Economy:
    """Read an economy from a table directory, a ``.csv``/``.xlsx`` matrix, a saved pymrio system
    or an INE supply-and-use workbook (read by :func:`commonplan.read_supply_use`).

    ``labour`` names the labour column, ``final_demand`` one or more final-demand columns (the first
    is the default), ``resources`` maps a resource name to its column; each replaces what
    ``meta.json`` declares or the names suggest.  ``negatives="clip"`` sets negative input
    coefficients to zero (recorded in ``economy.adjustments``); the default refuses them.
    """
    p = Path(path)
    opt = _Options(labour, final_demand, resources, negatives, name)
    if not p.exists():
        raise FormatError(
            f"{p}: no such file or directory; give a table directory (A.csv.gz + "
            "vectors.csv + meta.json) or a .csv/.xlsx file holding the matrix"
        )
    if p.is_dir():
        if (p / "file_parameters.json").exists():
            if final_demand is not None:
                raise DataError(
                    "final_demand= names table columns; a pymrio system's final demand is its Y"
                )
            system = pymrio_module().load_all(p)
            return from_pymrio(
                system, labour=labour, resources=resources, negatives=negatives, name=name
            )
        return _read_directory(p, opt)
    return _read_file(p, opt)


def demo_economy() -> Economy:
    """Sweden 2016, 59 products, shipped with commonplan (Statistics Sweden supply and use tables).

    Labour in hours per million SEK, resources ``co2`` (kt CO2), ``capital_consumption`` and
    ``imports`` (million SEK); final demands ``domestic_final_demand`` (default) and
    ``balancing_q_minus_Urowsum``.  Provenance and quirks: ``data/sweden_2016/SOURCE.md``.
    """
    root = files("commonplan") / "data" / "sweden_2016"
    if isinstance(root, Path):
        return read_economy(root)
    with tempfile.TemporaryDirectory() as tmp:  # the package is zipped: copy the table out
        for item in root.iterdir():
            (Path(tmp) / item.name).write_bytes(item.read_bytes())
        return read_economy(tmp)


# ---------------------------------------------------------------------- layouts


def _read_directory(d: Path, opt: _Options) -> Economy:
    meta = _read_meta(d / "meta.json")
    names = _names_file(d)
    vec_path = d / "vectors.csv"
    vec = _read_csv(vec_path) if vec_path.exists() else None
    if (d / "inputs.npz").exists():
        if vec is None or not (d / "processes.csv").exists():
            raise FormatError(
                f"{d}: inputs.npz needs processes.csv (one row per process, with "
                "the product it 'makes') and vectors.csv (one row per product)"
            )
        B = _load_npz(d / "inputs.npz")
        proc = _read_csv(d / "processes.csv")
        if B.shape != (len(vec), len(proc)):
            raise ShapeError(
                f"{d / 'inputs.npz'} is {B.shape[0]} × {B.shape[1]}, but vectors.csv "
                f"lists {len(vec)} products and processes.csv {len(proc)} processes"
            )
        if "makes" not in proc.columns:
            raise FormatError(
                f"{d / 'processes.csv'} needs a 'makes' column: the code of the "
                "product each process makes"
            )
        makes = [str(c) for c in proc["makes"]]
        return _assemble(
            B,
            _codes(vec, vec_path),
            vec,
            proc.drop(columns="makes"),
            meta,
            opt,
            d.name,
            makes=makes,
            names=names,
            where=d,
        )
    found = [d / f for f in ("A.csv.gz", "A.csv", "A.npz") if (d / f).exists()]
    if not found:
        here = listing(sorted(f.name for f in d.iterdir())) or "nothing"
        raise FormatError(
            f"{d}: no A.csv.gz, A.csv, A.npz or inputs.npz here (found {here}); "
            "a table directory holds A.csv.gz + vectors.csv + meta.json"
        )
    matrix = found[0]
    if matrix.suffix == ".npz":
        if vec is None:
            raise FormatError(
                f"{matrix}: a sparse A.npz needs vectors.csv beside it, whose first "
                "column gives the product codes in the order of A"
            )
        A: Array | sp.csr_array = _load_npz(matrix)
        products = _codes(vec, vec_path)
        if A.shape != (len(products), len(products)):
            raise ShapeError(
                f"{matrix} is {A.shape[0]} × {A.shape[1]} but vectors.csv lists "
                f"{len(products)} products; A must be products × products"
            )
    else:
        frame = _read_csv(matrix)
        products = _codes(frame, matrix)
        _same(products, [str(c) for c in frame.columns], matrix, "the rows", "the columns")
        A = _numbers(frame, matrix)
        if vec is not None:
            _same(products, _codes(vec, vec_path), vec_path, "A's products", "vectors.csv's rows")
    vectors = vec if vec is not None else pd.DataFrame(index=pd.Index(products))
    return _assemble(A, products, vectors, vectors, meta, opt, d.name, names=names, where=d)


def _read_file(path: Path, opt: _Options) -> Economy:
    if path.suffix.lower() in (".xlsx", ".xlsm"):
        from commonplan.economy import _ine

        if _ine.is_workbook(path):  # supply and use tables: rectangular, read as such
            from commonplan.economy.supply_use import read_supply_use

            return read_supply_use(path, negatives=opt.negatives, name=opt.name)
        frame = _read_xlsx(path)
    else:
        frame = _read_csv(path)
    products = _codes(frame, path)
    n = len(products)
    if frame.shape[1] < n:
        raise ShapeError(
            f"{path}: A must be square, but it has {n} rows of products and only "
            f"{frame.shape[1]} columns"
        )
    _same(products, [str(c) for c in frame.columns[:n]], path, "the rows", "the columns")
    A = _numbers(frame.iloc[:, :n], path)
    vectors = frame.iloc[:, n:]
    return _assemble(A, products, vectors, vectors, {}, opt, path.stem, where=path)


def _assemble(
    inputs: Array | sp.csr_array,
    products: list[str],
    vec: pd.DataFrame,
    proc: pd.DataFrame,
    meta: Mapping[str, Any],
    opt: _Options,
    default_name: str,
    *,
    where: Path,
    makes: list[str] | None = None,
    names: Mapping[str, str] | None = None,
) -> Economy:
    """Give the columns their roles, read their numbers and build the economy."""
    single = makes is None
    columns = list(dict.fromkeys([*map(str, vec.columns), *map(str, proc.columns)]))
    declared = meta.get("columns", {})
    if not isinstance(declared, Mapping):
        raise FormatError(f"{where / 'meta.json'}: 'columns' must map column names to roles")
    roles = _roles(columns, declared, opt, where)
    unused = [c for c in columns if c not in roles.used() and c != "name"]
    if unused and where.is_file():
        raise ShapeError(
            f"{where}: A must be square, but after its {len(products)} × "
            f"{len(products)} block come column(s) "
            f"{listing([repr(c) for c in unused])} that are no vector commonplan "
            "recognises; name them labour, hours_coef, y_…, x_… or …_coef, or pass "
            "labour=, final_demand=, resources="
        )
    if unused:
        roles.notes.append(f"columns not used: {listing(unused)}")

    def column(col: str, frame: pd.DataFrame, file: str) -> Array:
        if col not in frame.columns:
            raise FormatError(
                f"{where}: column {col!r} must be in {file} (one value per "
                f"{'product' if file == 'vectors.csv' else 'process'})"
            )
        return _numbers(frame[[col]], where / file if where.is_dir() else where)[
            :, 0
        ] * roles.scale.get(col, 1.0)

    pfile = "vectors.csv" if single else "processes.csv"
    labour = None if roles.labour is None else column(roles.labour, proc, pfile)
    res = {k: column(c, proc, pfile) for k, c in roles.resources.items()}
    fd = {k: column(c, vec, "vectors.csv") for k, c in roles.final_demand.items()}
    x = None if roles.gross_output is None else column(roles.gross_output, vec, "vectors.csv")
    if not fd and x is not None and single:
        A = sp.csr_array(inputs)
        if opt.negatives == "clip":
            A = A.maximum(0.0)  # type: ignore[assignment]
        fd["implied"] = x - A @ x
        roles.notes.append(
            f"no final-demand column: final demand 'implied' = (I − A) x from gross "
            f"output column {roles.gross_output!r}"
        )
    if "name" in vec.columns:
        labels = [
            n if isinstance(n, str) and n else c for c, n in zip(products, vec["name"], strict=True)
        ]
    else:
        labels = [(names or {}).get(c, c) for c in products]
    units = {str(k): str(v) for k, v in meta.get("units", {}).items()} | roles.units
    if not units:
        roles.notes.append(
            "no units given (meta.json has no 'units'): quantities are in the "
            "source's own units, see its documentation"
        )
    if meta.get("adjustments"):
        roles.notes.append(f"adjustments recorded with the table: {listing(meta['adjustments'])}")
    common: dict[str, Any] = {
        "resources": res,
        "final_demand": fd,
        "gross_output": x,
        "names": labels,
        "units": units,
        "name": opt.name or str(meta.get("name") or default_name),
        "meta": dict(meta),
        "negatives": opt.negatives,
    }
    if makes is None:
        economy = Economy.from_arrays(inputs, labour, products=products, **common)
    else:
        economy = Economy.from_processes(
            inputs,
            makes,
            labour,
            products=products,
            processes=_codes(proc, where / "processes.csv"),
            **common,
        )
    return dataclasses.replace(economy, notes=(*roles.notes, *economy.notes))


# ---------------------------------------------------------------------- column roles


def _roles(columns: list[str], declared: Mapping[str, Any], opt: _Options, where: Path) -> _Roles:
    r = _Roles()
    for col, spec in declared.items():
        role = spec.get("role") if isinstance(spec, Mapping) else None
        if role not in _ROLES:
            raise FormatError(
                f"{where / 'meta.json'}: 'columns' entry {col!r} needs a 'role', one "
                f"of {', '.join(_ROLES)}"
            )
        if col not in columns:
            raise FormatError(
                f"{where / 'meta.json'} declares column {col!r}, which the table "
                f"does not have; its columns are: {listing(columns)}"
            )
        quantity = "labour" if role == "labour" else str(spec.get("name", _resource_name(col)))
        if role == "labour":
            r.labour = col
        elif role == "resource":
            r.resources[quantity] = col
        elif role == "final_demand":
            r.final_demand[str(spec.get("name", _demand_name(col)))] = col
        else:
            r.gross_output = col
        if "scale" in spec:
            try:
                r.scale[col] = float(spec["scale"])
            except (TypeError, ValueError):
                raise FormatError(
                    f"{where / 'meta.json'}: 'scale' of column {col!r} must be a "
                    f"number, got {spec['scale']!r}"
                ) from None
        if "unit" in spec and role in ("labour", "resource"):
            r.units[quantity] = str(spec["unit"])
    has = {s["role"] for s in declared.values()}
    free = [c for c in columns if c not in declared and c != "name"]
    chosen: list[str] = []

    def need(col: str, arg: str) -> str:
        if col not in columns:
            raise UnknownNameError(
                f"{where}: {arg} names column {col!r}, which the table does "
                f"not have; its columns are: {listing(columns) or 'none'}"
            )
        return col

    if opt.labour is not None:
        r.labour = need(opt.labour, "labour=")
    elif "labour" not in has:
        hours = [c for c in free if _is_hours(c)]
        pay = [
            c
            for c in free
            if re.match(r"(comp|compensation|wages?)_", c.lower()) and "coef" in c.lower()
        ]
        if hours:
            r.labour = hours[0]
            chosen.append(f"labour ← {hours[0]!r}")
        elif pay:
            r.labour = pay[0]
            r.notes.append(
                f"labour: the table has no hours, so compensation column {pay[0]!r} "
                "(money per unit of output) stands in for hours"
            )
        else:
            r.notes.append(
                "no labour row: no column of hours or compensation; embodied labour is "
                "unavailable (pass labour=COLUMN to name one)"
            )
    if opt.final_demand is not None:
        cols = [opt.final_demand] if isinstance(opt.final_demand, str) else opt.final_demand
        r.final_demand = {_demand_name(c): need(c, "final_demand=") for c in cols}
    elif "final_demand" not in has:
        r.final_demand = {_demand_name(c): c for c in free if c.startswith("y_") or c == "y"}
        if r.final_demand:
            chosen.append(
                "final demand ← "
                + ", ".join(map(repr, r.final_demand.values()))
                + " (the first is the default)"
            )
    if "gross_output" not in has:
        r.gross_output = next((c for c in free if re.match(r"[xq](_|$)", c)), None)
        if r.gross_output is not None:
            chosen.append(f"gross output ← {r.gross_output!r}")
    if opt.resources is not None:
        r.resources = {str(k): need(c, "resources=") for k, c in opt.resources.items()}
    elif "resource" not in has:
        guessed = {_resource_name(c): c for c in free if "_coef" in c and c != r.labour}
        guessed.pop("labour", None)
        r.resources = guessed
        chosen.extend(f"resource {k} ← {c!r}" for k, c in guessed.items())
    r.resources = {k: c for k, c in r.resources.items() if c != r.labour}
    if chosen:
        r.notes.insert(0, "columns chosen by name: " + "; ".join(chosen))
    return r


def _is_hours(col: str) -> bool:
    c = col.lower()
    return c in ("labour", "labor", "hours", "labour_coef", "labor_coef") or (
        "hours" in c and "coef" in c
    )


def _resource_name(col: str) -> str:
    stem = col.split("_coef")[0]
    return _ALIASES.get(stem, stem)


def _demand_name(col: str) -> str:
    return col[2:] if col.startswith("y_") else "final_demand" if col == "y" else col


# ---------------------------------------------------------------------- files


def _read_csv(path: Path) -> pd.DataFrame:
    if not path.exists():
        raise FormatError(f"{path}: no such file")
    try:
        frame = pd.read_csv(path, index_col=0, dtype={0: str})
    except _READ_ERRORS as exc:
        raise FormatError(
            f"{path}: cannot be read as a CSV table ({exc}); it must have product "
            "codes in its first column and column names in its first row"
        ) from None
    frame.columns = pd.Index([str(c) for c in frame.columns])
    return frame


def _read_xlsx(path: Path) -> pd.DataFrame:
    try:
        importlib.import_module("openpyxl")
    except ImportError:
        raise MissingExtraError(
            f"reading {path.name} needs openpyxl, which is not installed: "
            "pip install 'commonplan[xlsx]'"
        ) from None
    try:  # cells as they are, so that codes like "0101" keep their leading zero
        raw = pd.read_excel(path, header=None, sheet_name=0, dtype=object, engine="openpyxl")
    except (*_READ_ERRORS, KeyError) as exc:
        raise FormatError(
            f"{path}: cannot be read as an Excel table ({exc}); its first sheet must "
            "have product codes in column A and in row 1"
        ) from None
    frame = raw.iloc[1:, 1:]
    frame.index = pd.Index([_code(v) for v in raw.iloc[1:, 0]])
    frame.columns = pd.Index([_code(v) for v in raw.iloc[0, 1:]])
    return frame


def _code(value: object) -> str:
    if isinstance(value, float):
        return "" if np.isnan(value) else str(int(value)) if value.is_integer() else str(value)
    return "" if value is None else str(value)


def _load_npz(path: Path) -> sp.csr_array:
    try:
        return sp.csr_array(sp.load_npz(path).astype(np.float64))
    except _READ_ERRORS as exc:
        raise FormatError(
            f"{path}: cannot be read as a scipy.sparse .npz matrix ({exc}); write it "
            "with scipy.sparse.save_npz"
        ) from None


def _read_meta(path: Path) -> dict[str, Any]:
    if not path.exists():
        return {}
    try:
        meta = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise FormatError(f"{path}: not valid JSON ({exc})") from None
    if not isinstance(meta, dict):
        raise FormatError(f"{path}: must hold a JSON object (source, units, columns …)")
    return meta


def _names_file(d: Path) -> dict[str, str]:
    """Readable names from a two-column ``*names.csv`` (code, name) beside the table, if one."""
    found = sorted(d.glob("*names.csv"))
    if len(found) != 1:
        return {}
    try:
        frame = pd.read_csv(found[0], dtype=str)
    except _READ_ERRORS as exc:
        raise FormatError(
            f"{found[0]}: cannot be read as a CSV of codes and names ({exc})"
        ) from None
    if frame.shape[1] < 2:
        raise FormatError(f"{found[0]}: needs two columns, product code and name")
    return dict(zip(frame.iloc[:, 0].astype(str), frame.iloc[:, 1].astype(str), strict=True))


def _codes(frame: pd.DataFrame, path: Path) -> list[str]:
    codes = ["" if pd.isna(c) else str(c) for c in frame.index]
    blank = [str(i + 2) for i, c in enumerate(codes) if not c]
    if blank:
        raise FormatError(f"{path}: line(s) {listing(blank)} have no code in the first column")
    dup = repeats(codes)
    if dup:
        raise ShapeError(
            f"{path}: code(s) {listing(sorted(set(dup)))} appear more than once in "
            "the first column; each row must be a different product"
        )
    return codes


def _same(a: list[str], b: list[str], path: Path, what_a: str, what_b: str) -> None:
    if a == b:
        return
    if len(a) != len(b):
        raise ShapeError(
            f"{path}: {what_a} list {len(a)} products but {what_b} {len(b)}; both "
            "must list the same products in the same order"
        )
    diff = [f"#{k + 1} {x!r} vs {y!r}" for k, (x, y) in enumerate(zip(a, b, strict=True)) if x != y]
    raise ShapeError(
        f"{path}: {what_a} and {what_b} name different products at {len(diff)} "
        f"position(s): {listing(diff)}; both must list the same product codes in "
        "the same order"
    )


def _numbers(frame: pd.DataFrame, path: Path) -> Array:
    values = frame.apply(lambda s: pd.to_numeric(s, errors="coerce"))
    bad, empty = values.isna().to_numpy(), frame.isna().to_numpy()
    if bad.any():
        rows, cols = np.nonzero(bad)
        cells = [
            f"row {frame.index[i]!r}, column {frame.columns[j]!r} = "
            f"{'empty' if empty[i, j] else repr(str(frame.iat[i, j]))}"
            for i, j in zip(rows[:_SHOW], cols[:_SHOW], strict=True)
        ]
        more = f" and {len(rows) - _SHOW} more" if len(rows) > _SHOW else ""
        raise FormatError(
            f"{path}: {len(rows)} cell(s) are not numbers: {'; '.join(cells)}"
            f"{more}; write a number in each (0 for none)"
        )
    out: Array = np.asarray(values.to_numpy(dtype=np.float64), dtype=np.float64)
    return out
