"""pymrio systems as economies: :func:`from_pymrio` (re-exported by
:mod:`commonplan.economy.io`)."""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from typing import Any

import numpy as np
import pandas as pd
from numpy.typing import NDArray

from commonplan.economy.model import Economy, listing
from commonplan.errors import FormatError, MissingExtraError, UnknownNameError
from commonplan.numerics.types import Array

__all__ = ["from_pymrio", "pymrio_module"]


def from_pymrio(
    iosystem: Any,
    *,
    region: str | None = None,
    labour: str | None = None,
    resources: Mapping[str, str] | None = None,
    negatives: str = "refuse",
    name: str | None = None,
) -> Economy:
    """An economy from a pymrio ``IOSystem``: its A, gross output x, and Y summed over categories.

    Products are named ``"region|sector"``.  Every row of every extension's coefficients S
    becomes a resource named by its row (``"emission_type1|air"``); ``labour`` names the row to use
    as labour instead, ``resources`` maps names to the rows to keep.  ``region`` keeps that region's
    block of A only: its default final demand is then (I − A_rr) x_r, which includes the
    intermediate goods it exports, and ``final_use`` its rows of Y.
    """
    pymrio = pymrio_module()
    io = iosystem
    A, x = io.A, io.x
    if A is None or x is None:
        if io.Z is None or io.Y is None:
            raise FormatError(
                f"pymrio system {io.name!r} has neither A and x nor Z and Y; "
                "load or calculate its core tables first"
            )
        x = pymrio.calc_x(io.Z, io.Y)
        A = pymrio.calc_A(io.Z, x)
    x_all = np.asarray(x, dtype=np.float64).ravel()
    labels = [_joined(k) for k in A.index]
    keep = np.ones(len(labels), bool)
    regions = [str(r) for r in A.index.get_level_values(0).unique()]
    if region is not None:
        if region not in regions:
            raise UnknownNameError(
                f"pymrio system {io.name!r} has no region {region!r}; "
                f"its regions are: {', '.join(regions)}"
            )
        keep = np.asarray(A.index.get_level_values(0) == region)
    a = A.to_numpy(dtype=np.float64)[np.ix_(keep, keep)]
    xr = x_all[keep]
    notes: list[str] = []
    rows, units = _pymrio_rows(pymrio, io, A, x, keep, notes)
    if io.Y is not None:
        y_use = io.Y.sum(axis=1).reindex(A.index).to_numpy(dtype=np.float64)[keep]
    else:
        y_use = xr - a @ xr
        notes.append("the pymrio system has no Y: final demand is implied, (I − A) x")
    fd = {"final_demand": y_use}
    if region is not None:
        fd = {"final_demand_and_exports": xr - a @ xr, "final_use": y_use}
        notes.append(
            f"region {region!r} cut from a multi-regional table: imports lie outside it; "
            "the default final demand (I − A_rr) x_r counts the intermediate goods it "
            "exports as final demand"
        )
    l_key = labour
    if l_key is not None and l_key not in rows:
        raise UnknownNameError(
            f"pymrio system {io.name!r} has no extension row {l_key!r}; "
            f"its rows are: {listing(list(rows)) or 'none'}"
        )
    if l_key is None:
        notes.append(
            "no labour row: pymrio extension rows become resources; pass "
            f"labour=ROW to use one of: {listing(list(rows)) or 'none'}"
        )
    wanted = dict(resources) if resources is not None else {k: k for k in rows if k != l_key}
    missing = [r for r in wanted.values() if r not in rows]
    if missing:
        raise UnknownNameError(
            f"pymrio system {io.name!r} has no extension row(s) "
            f"{listing(missing)}; its rows are: {listing(list(rows))}"
        )
    out_unit = io.unit["unit"].unique() if getattr(io, "unit", None) is not None else []
    units_out = {"output": str(out_unit[0])} if len(out_unit) == 1 else {}
    units_out |= {k: units[r] for k, r in wanted.items() if r in units}
    if l_key is not None and l_key in units:
        units_out["labour"] = units[l_key]
    economy = Economy.from_arrays(
        a,
        rows[l_key] if l_key is not None else None,
        products=[lb for lb, k in zip(labels, keep, strict=True) if k],
        resources={k: rows[r] for k, r in wanted.items()},
        final_demand=fd,
        gross_output=xr,
        units=units_out,
        name=name or str(io.name or "pymrio") + (f"-{region}" if region else ""),
        meta={"source": "pymrio", "pymrio_name": str(io.name), "region": region},
        negatives=negatives,
    )
    return dataclasses.replace(economy, notes=(*notes, *economy.notes))


def pymrio_module() -> Any:
    try:
        import pymrio
    except ImportError:
        raise MissingExtraError(
            "reading a pymrio system needs pymrio, which is not installed: "
            "pip install 'commonplan[pymrio]'"
        ) from None
    return pymrio


def _joined(label: object) -> str:
    return "|".join(map(str, label)) if isinstance(label, tuple) else str(label)


def _pymrio_rows(
    pymrio: Any, io: Any, A: pd.DataFrame, x: Any, keep: NDArray[np.bool_], notes: list[str]
) -> tuple[dict[str, Array], dict[str, str]]:
    """Every extension row's coefficients S (per unit of output) over the kept products."""
    rows: dict[str, Array] = {}
    units: dict[str, str] = {}
    for ext in io.get_extensions(data=True):
        S = ext.S if ext.S is not None else (pymrio.calc_S(ext.F, x) if ext.F is not None else None)
        if S is None:
            continue
        S = S.reindex(columns=A.columns)
        for label, row in S.iterrows():
            key = _joined(label)
            key = f"{ext.name}|{key}" if key in rows else key
            v = row.to_numpy(dtype=np.float64)[keep]
            if not np.isfinite(v).all():
                notes.append(
                    f"extension row {key!r} is undefined for products without output; "
                    "set to 0 there"
                )
                v = np.nan_to_num(v, nan=0.0, posinf=0.0, neginf=0.0)
            rows[key] = v
            try:
                units[key] = str(ext.unit.loc[label, "unit"])
            except (AttributeError, KeyError, TypeError):
                pass
    return rows, units
