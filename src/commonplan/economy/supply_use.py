"""Supply-use tables: rectangular supply (V) and use (U) tables turned into an economy of processes.

A supply-use table says which industry made how much of which product (supply V, products ×
industries) and which products each industry used (intermediate use U, products × industries),
with labour and emissions per industry.  Industries make several products and products come from
several industries, so the table is rectangular; planning needs techniques per product.  Two
textbook assumptions (Eurostat, *Manual of Supply, Use and Input-Output Tables*, 2008, ch. 11):

* **industry technology** (the default, always non-negative): every product an industry makes is
  made with that industry's input structure.  Industry j becomes one process per product i it
  supplies, with inputs ``U[:, j] / g_j`` per unit of output (``g_j = Σ_i V[i, j]``, the industry's
  output), labour and emissions ``L_j / g_j``, and observed activity ``V[i, j]``.  A product made by
  several industries gets several techniques, and the planner chooses among them.
* **product technology**: every product has one technology wherever it is made, ``A = U V⁻¹``
  (V square and invertible); it can give negative coefficients, which are refused (or clipped
  with ``negatives="clip"``, recorded with the economy) — the reason the industry technology is the
  default.

Quirks are kept visible, never silently fixed: a product no industry supplies cannot be planned
(it is bought from outside), so it leaves the products and what industries use of it becomes a
primary input ``unsupplied`` (in the table's money unit) — its use is still counted, and capped if
asked; an industry with no output is dropped (named in the notes); negative supply is refused.

Readers: :func:`read_supply_use` takes frames (``SupplyUseFrames``), a directory of CSV files
(``supply.csv``, ``use.csv``, optional ``industries.csv`` with labour and emissions per industry and
``final_demand.csv``), or a workbook of INE's supply and use tables (Spain, see
:mod:`commonplan.economy._ine`).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Literal

import numpy as np
import scipy.sparse as sp
from numpy.typing import NDArray

from commonplan.economy.model import LABOUR, Economy, listing, repeats
from commonplan.errors import DataError, FormatError, NegativeCoefficientError, ShapeError
from commonplan.numerics.types import Array

if TYPE_CHECKING:
    import pandas as pd

__all__ = ["SupplyUse", "SupplyUseFrames", "read_supply_use", "supply_use_economy"]

Assumption = Literal["industry", "product"]
UNSUPPLIED = "unsupplied"


@dataclasses.dataclass(frozen=True)
class SupplyUse:
    """A supply-use table in arrays, labels checked: n products, k industries.

    ``supply`` V and ``use`` U are n × k; ``industry_inputs`` maps ``"labour"`` and each resource
    to its amount per industry (k); ``final_demand`` maps a name to a vector over products (n).
    """

    products: tuple[str, ...]
    industries: tuple[str, ...]
    supply: Array
    use: Array
    industry_inputs: Mapping[str, Array] = dataclasses.field(default_factory=dict)
    final_demand: Mapping[str, Array] = dataclasses.field(default_factory=dict)
    product_names: tuple[str, ...] | None = None
    industry_names: tuple[str, ...] | None = None
    units: Mapping[str, str] = dataclasses.field(default_factory=dict)
    name: str = "supply-use"
    notes: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        n, k = len(self.products), len(self.industries)
        for what, labels in (("product", self.products), ("industry", self.industries)):
            twice = repeats(labels)
            if twice:
                raise DataError(f"{self.name}: {what} code(s) given twice: {listing(twice)}")
        for what, M in (("supply", self.supply), ("use", self.use)):
            if M.shape != (n, k):
                raise ShapeError(
                    f"{self.name}: the {what} table is {M.shape[0]} × {M.shape[1]}; it must be "
                    f"products × industries, {n} × {k}"
                )
            _finite(M, f"{what} table", self.products, self.industries)
        for key, v in self.industry_inputs.items():
            if v.shape != (k,):
                raise ShapeError(f"{self.name}: {key!r} has {v.size} entries for {k} industries")
            _finite(v[None, :], repr(key), ("",), self.industries)
            if (v < 0).any():
                bad = [f"{self.industries[j]} ({v[j]:.3g})" for j in np.flatnonzero(v < 0)]
                raise NegativeCoefficientError(f"{self.name}: negative {key!r} for {listing(bad)}")
        for key, v in self.final_demand.items():
            if v.shape != (n,):
                raise ShapeError(
                    f"{self.name}: final demand {key!r} has {v.size} entries for {n} products"
                )
            _finite(v[:, None], f"final demand {key!r}", self.products, ("",))
        neg = np.argwhere(self.supply < 0)
        if len(neg):
            cells = [f"{self.products[i]} by {self.industries[j]}" for i, j in neg]
            raise NegativeCoefficientError(
                f"{self.name}: negative supply of {listing(cells)}; an industry cannot make a "
                "negative amount — fix the table"
            )


@dataclasses.dataclass(frozen=True)
class SupplyUseFrames:
    """A supply-use table as pandas frames: ``supply`` and ``use`` with products as rows and
    industries as columns (the same labels); ``industries`` with a row per industry and a column
    per primary input (``labour`` or ``hours`` and any emission); ``final_demand`` with a row per
    product and a column per category."""

    supply: pd.DataFrame
    use: pd.DataFrame
    industries: pd.DataFrame | None = None
    final_demand: pd.DataFrame | None = None
    units: Mapping[str, str] = dataclasses.field(default_factory=dict)
    name: str = "supply-use"


def read_supply_use(
    source: str | Path | SupplyUseFrames | SupplyUse,
    *,
    assumption: Assumption = "industry",
    negatives: str = "refuse",
    year: int | None = None,
    emissions: str | Path | None = None,
    hours_per_fte: float | None = None,
    name: str | None = None,
) -> Economy:
    """An economy of processes from a supply-use table (see the module's text for the method).

    ``source``: a :class:`SupplyUse`, a :class:`SupplyUseFrames`, a directory of CSV files
    (``supply.csv``, ``use.csv``, optional ``industries.csv``, ``final_demand.csv``; the first
    column holds the codes), or an INE workbook (``cne_tod_YY_en.xlsx``; ``emissions`` names INE's
    air-emission workbook, by default ``gases.xlsx`` beside it, ``year`` its column, by default the
    workbook's year; ``hours_per_fte`` converts INE's full-time equivalents to hours).
    ``assumption`` is ``"industry"`` (default) or ``"product"``.
    """
    if isinstance(source, SupplyUse):
        table = source
    elif isinstance(source, SupplyUseFrames):
        table = from_frames(source)
    else:
        path = Path(source)
        if path.is_dir():
            table = _read_csv_directory(path)
        elif path.suffix.lower() in (".xlsx", ".xlsm"):
            from commonplan.economy import _ine

            table = _ine.read_workbook(
                path, year=year, emissions=emissions, hours_per_fte=hours_per_fte
            )
        elif not path.exists():
            raise FormatError(f"{path}: no such file or directory")
        else:
            raise FormatError(
                f"{path}: a supply-use table is a directory of CSV files (supply.csv, use.csv, "
                "industries.csv, final_demand.csv) or an INE workbook (.xlsx)"
            )
    if name is not None:
        table = dataclasses.replace(table, name=name)
    return supply_use_economy(table, assumption=assumption, negatives=negatives)


def supply_use_economy(
    table: SupplyUse, *, assumption: Assumption = "industry", negatives: str = "refuse"
) -> Economy:
    """The economy of processes of ``table`` under ``assumption`` (``"industry"`` or
    ``"product"``); the notes say what was dropped or moved and why."""
    if assumption not in ("industry", "product"):
        raise DataError(f"assumption must be 'industry' or 'product', got {assumption!r}")
    t, notes = _trim(table)
    if assumption == "product":
        return _product_technology(t, negatives, notes)
    return _industry_technology(t, negatives, notes)


# ---------------------------------------------------------------------- the two assumptions


def _industry_technology(t: SupplyUse, negatives: str, notes: list[str]) -> Economy:
    V, U = t.supply, t.use
    g = V.sum(axis=0)
    rows, cols = np.nonzero(V.T > 0)  # by industry, then product: j, i
    j_of, i_of = rows, cols
    scale = 1.0 / g[j_of]
    B = sp.csc_array(U[:, j_of] * scale[None, :])
    per_unit = {key: v[j_of] * scale for key, v in t.industry_inputs.items()}
    processes = [f"{t.industries[j]}/{t.products[i]}" for j, i in zip(j_of, i_of, strict=True)]
    several = int((np.bincount(i_of, minlength=len(t.products)) > 1).sum())
    notes.append(
        f"industry technology: {len(t.industries)} industries split into {len(processes)} "
        f"processes, one per product each supplies ('industry/product'); {several} product(s) "
        "are made by several industries, so the plan chooses among their techniques"
    )
    return _economy(t, B, i_of, per_unit, processes, V[i_of, j_of], negatives, notes)


def _product_technology(t: SupplyUse, negatives: str, notes: list[str]) -> Economy:
    n, k = t.supply.shape
    if n != k:
        raise ShapeError(
            f"{t.name}: the product technology needs as many industries as products "
            f"(after dropping the empty ones: {n} products, {k} industries); use the industry "
            "technology (assumption='industry')"
        )
    try:
        Vinv = np.linalg.inv(t.supply)
    except np.linalg.LinAlgError:
        raise DataError(
            f"{t.name}: the supply table is singular, so product technologies cannot be "
            "derived; use the industry technology (assumption='industry')"
        ) from None
    A = t.use @ Vinv
    per_unit = {key: v @ Vinv for key, v in t.industry_inputs.items()}
    adjustments = []
    for key, v in per_unit.items():
        neg = np.flatnonzero(v < -1e-12 * max(1.0, float(np.abs(v).max())))
        if len(neg) and negatives != "clip":
            bad = [f"{t.products[i]} ({v[i]:.3g})" for i in neg]
            raise NegativeCoefficientError(
                f"{t.name}: the product technology gives negative {key!r} for {listing(bad)}; "
                "use the industry technology, or negatives='clip'"
            )
        if len(neg):
            adjustments.append(f"clipped {len(neg)} negative {key!r} coefficient(s) to 0")
        per_unit[key] = np.maximum(v, 0.0)
    notes.append(f"product technology: A = U V⁻¹ ({n} products, one technique each)")
    notes.extend(adjustments)
    activity = t.supply.sum(axis=1)
    return _economy(
        t, sp.csc_array(A), np.arange(n), per_unit, list(t.products), activity, negatives, notes
    )


def _economy(
    t: SupplyUse,
    B: sp.csc_array,
    makes: NDArray[np.intp],
    per_unit: dict[str, Array],
    processes: list[str],
    activity: Array,
    negatives: str,
    notes: list[str],
) -> Economy:
    labour = per_unit.pop(LABOUR, None)
    return Economy.from_processes(
        B,
        makes,
        labour,
        resources=per_unit,
        products=t.products,
        processes=processes,
        final_demand=dict(t.final_demand),
        names=t.product_names,
        gross_output=t.supply.sum(axis=1),
        activity=activity,
        units=dict(t.units),
        name=t.name,
        negatives=negatives,
        notes=notes,
        meta={"source": "supply-use table", "industries": list(t.industries)},
    )


# ---------------------------------------------------------------------- quirks


def _trim(t: SupplyUse) -> tuple[SupplyUse, list[str]]:
    """Drop industries with no output and products nobody supplies (their use becomes the
    primary input ``unsupplied``); the notes say which."""
    notes = list(t.notes)
    V, U = t.supply, t.use
    if not (V > 0).any():
        raise DataError(f"{t.name}: the supply table is empty: no industry supplies anything")
    k_keep = V.sum(axis=0) > 0
    if not k_keep.all():
        gone = [t.industries[j] for j in np.flatnonzero(~k_keep)]
        used = float(U[:, ~k_keep].sum())
        notes.append(
            f"dropped {len(gone)} industr{'y' if len(gone) == 1 else 'ies'} with no output: "
            f"{listing(gone)}" + (f" (their recorded use, {used:.6g}, too)" if used else "")
        )
    n_keep = V.sum(axis=1) > 0
    inputs = {key: v[k_keep] for key, v in t.industry_inputs.items()}
    if not n_keep.all():
        gone = [t.products[i] for i in np.flatnonzero(~n_keep)]
        bought = U[~n_keep][:, k_keep].sum(axis=0)
        if bought.any():
            inputs[UNSUPPLIED] = bought
        used = float(bought.sum())
        notes.append(
            f"{len(gone)} product(s) that no industry supplies left the plan: {listing(gone)}; "
            + (
                f"what industries use of them ({used:.6g}) is the primary input {UNSUPPLIED!r}"
                if used
                else "no industry uses them"
            )
            + ", and their final demand is not planned"
        )
    if k_keep.all() and n_keep.all():
        return t, notes
    units = dict(t.units)
    if UNSUPPLIED in inputs and "output" in units:
        units[UNSUPPLIED] = units["output"]
    trimmed = dataclasses.replace(
        t,
        products=tuple(c for c, keep in zip(t.products, n_keep, strict=True) if keep),
        industries=tuple(c for c, keep in zip(t.industries, k_keep, strict=True) if keep),
        supply=V[n_keep][:, k_keep],
        use=U[n_keep][:, k_keep],
        industry_inputs=inputs,
        final_demand={key: v[n_keep] for key, v in t.final_demand.items()},
        product_names=_kept(t.product_names, n_keep),
        industry_names=_kept(t.industry_names, k_keep),
        units=units,
        notes=(),
    )
    return trimmed, notes


def _kept(names: tuple[str, ...] | None, keep: Array) -> tuple[str, ...] | None:
    return None if names is None else tuple(s for s, k in zip(names, keep, strict=True) if k)


def _finite(M: Array, what: str, rows: Sequence[str], cols: Sequence[str]) -> None:
    bad = np.argwhere(~np.isfinite(M))
    if len(bad):
        cells = [f"[{rows[i]}, {cols[j]}]".replace("[, ", "[").replace(", ]", "]") for i, j in bad]
        raise DataError(f"the {what} has missing or non-finite entries: {listing(cells)}")


# ---------------------------------------------------------------------- frames and CSV


def from_frames(f: SupplyUseFrames) -> SupplyUse:
    """A :class:`SupplyUse` from frames; labels are matched, not assumed in order."""
    products = [str(c) for c in f.supply.index]
    industries = [str(c) for c in f.supply.columns]
    use = f.use.copy()
    use.index = use.index.map(str)
    use.columns = use.columns.map(str)
    missing = [c for c in industries if c not in use.columns]
    missing += [c for c in products if c not in use.index]
    if missing:
        raise ShapeError(
            f"{f.name}: the use table lacks rows or columns of the supply table: {listing(missing)}"
        )
    use = use.loc[products, industries]
    inputs: dict[str, Array] = {}
    if f.industries is not None:
        ind = f.industries.copy()
        ind.index = ind.index.map(str)
        absent = [c for c in industries if c not in ind.index]
        if absent:
            raise ShapeError(f"{f.name}: no primary inputs for industries {listing(absent)}")
        for col in ind.columns:
            key = LABOUR if str(col).lower() in ("labour", "labor", "hours") else str(col).lower()
            inputs[key] = _numeric(ind.loc[industries, col], f"{f.name}: column {col!r}")
    demand: dict[str, Array] = {}
    if f.final_demand is not None:
        fd = f.final_demand.copy()
        fd.index = fd.index.map(str)
        fd = fd.reindex(products).fillna(0.0)
        for col in fd.columns:
            demand[str(col)] = _numeric(fd[col], f"{f.name}: final demand {col!r}")
    return SupplyUse(
        products=tuple(products),
        industries=tuple(industries),
        supply=_numeric(f.supply, f"{f.name}: the supply table"),
        use=_numeric(use, f"{f.name}: the use table"),
        industry_inputs=inputs,
        final_demand=demand,
        units=dict(f.units),
        name=f.name,
    )


def _numeric(frame: pd.DataFrame | pd.Series, what: str) -> Array:
    import pandas as pd

    data = frame if isinstance(frame, pd.DataFrame) else frame.to_frame()
    out: Array = data.apply(pd.to_numeric, errors="coerce").to_numpy(dtype=np.float64)
    if np.isnan(out).any():
        raise DataError(f"{what} has cells that are not numbers")
    return out if isinstance(frame, pd.DataFrame) else out[:, 0]


def _read_csv_directory(d: Path) -> SupplyUse:
    import pandas as pd

    def table(file: str, required: bool) -> pd.DataFrame | None:
        p = d / file
        if not p.exists():
            if required:
                raise FormatError(
                    f"{d}: no {file}; a supply-use directory has supply.csv and use.csv "
                    "(products as rows, industries as columns), and optionally industries.csv "
                    "and final_demand.csv"
                )
            return None
        try:
            return pd.read_csv(p, index_col=0, dtype={0: str})
        except (OSError, ValueError) as exc:
            raise FormatError(f"{p}: cannot be read as CSV ({exc})") from None

    supply, use = table("supply.csv", True), table("use.csv", True)
    assert supply is not None and use is not None
    return from_frames(
        SupplyUseFrames(
            supply=supply,
            use=use,
            industries=table("industries.csv", False),
            final_demand=table("final_demand.csv", False),
            name=d.name,
        )
    )
