"""What a plan is asked for: :class:`TargetGroup` s of products wanted together, and the
readers of plan inputs from CSV files (:func:`read_amounts` for a final demand or floors,
:func:`read_targets` for target groups).  pandas loads when a file is read."""

from __future__ import annotations

import dataclasses
import zlib
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import ArrayLike

from commonplan.economy.model import Economy, listing
from commonplan.errors import FormatError, PlanInputError, UnknownNameError

__all__ = ["TargetGroup", "read_amounts", "read_targets", "target_groups"]

_READ_ERRORS = (OSError, ValueError, EOFError, zlib.error)


@dataclass(frozen=True)
class TargetGroup:
    """A bundle of products wanted together, e.g. a council's list or a sector's programme.

    ``amounts``: {product code: amount}, a vector over the products, or the name of one of the
    economy's final-demand vectors.  ``weight``: its weight under ``objective="max_weighted"``.
    ``ceiling``: the most fulfilment wanted (1.0 = all of it; ``None`` = no limit).
    """

    name: str
    amounts: Mapping[str, float] | ArrayLike | str
    weight: float = 1.0
    ceiling: float | None = None


def target_groups(e: Economy, targets: Any) -> list[TargetGroup]:
    if targets is None:
        key, _ = e.demand(None)
        return [TargetGroup(key, key)]
    if isinstance(targets, str):
        return [TargetGroup(targets, targets)]
    if isinstance(targets, Mapping):
        values = list(targets.values())
        if values and all(isinstance(v, Mapping | str | TargetGroup) for v in values):
            return [
                v if isinstance(v, TargetGroup) else TargetGroup(str(k), v)
                for k, v in targets.items()
            ]
        return [TargetGroup("targets", targets)]
    if (
        isinstance(targets, Sequence)
        and targets
        and all(isinstance(g, TargetGroup) for g in targets)
    ):
        names = [g.name for g in targets]  # type: ignore[union-attr]
        if len(set(names)) != len(names):
            raise PlanInputError(f"target group names must be unique: {names}")
        return list(targets)  # type: ignore[arg-type]
    return [TargetGroup("targets", targets)]


@dataclasses.dataclass(frozen=True)
class _Row:
    line: int  # in the file: the header is line 1
    product: str
    amount: float
    cells: dict[str, str]  # every column, stripped


def read_amounts(
    path: str | Path, economy: Economy, *, allow_negative: bool = True
) -> dict[str, float]:
    """{product: amount} from a CSV file with columns ``product,amount``; other columns are ignored.

    For a final demand or a plan's floors: products left out get 0, each product is listed at
    most once, and every product must be one of ``economy``'s.  ``allow_negative=False`` refuses
    negative amounts (floors and targets cannot be negative).
    """
    p = Path(path)
    return _by_product(_plan_rows(p, economy, allow_negative), p, "")


def read_targets(path: str | Path, economy: Economy) -> list[TargetGroup]:
    """Target groups of a plan from a CSV file with columns ``product,amount``.

    Optional columns: ``group`` (its name; without the column all rows form one group named
    ``targets``), ``weight`` and ``ceiling`` of the group (for ``objective="max_weighted"``; the
    first non-empty value in each group counts).  Groups keep the order of their first row.
    Amounts must be ≥ 0, weights > 0 and ceilings ≥ 0.
    """
    p = Path(path)
    rows = _plan_rows(p, economy, allow_negative=False)
    grouped = bool(rows) and "group" in rows[0].cells
    blank = [str(r.line) for r in rows if grouped and not r.cells["group"]]
    if blank:
        raise FormatError(f"{p}: no group on line(s) {listing(blank)}")
    groups: dict[str, list[_Row]] = {}
    for r in rows:
        groups.setdefault(r.cells["group"] if grouped else "targets", []).append(r)
    out = []
    for name, part in groups.items():
        weight = _group_value(part, "weight", p, lambda v: v > 0, "> 0")
        out.append(
            TargetGroup(
                name,
                _by_product(part, p, f" in group {name!r}" if grouped else ""),
                weight=1.0 if weight is None else weight,
                ceiling=_group_value(part, "ceiling", p, lambda v: v >= 0, "≥ 0"),
            )
        )
    return out


def _plan_rows(path: Path, economy: Economy, allow_negative: bool) -> list[_Row]:
    """The file's non-blank rows; checks the columns, the products and the amounts."""
    if not path.is_file():
        raise FormatError(f"{path}: no such file; give a CSV file with columns product,amount")
    import pandas as pd

    try:
        raw = pd.read_csv(path, dtype=str, keep_default_na=False, skip_blank_lines=False)
    except _READ_ERRORS as exc:
        raise FormatError(
            f"{path}: cannot be read as a CSV file ({exc}); it needs a header line product,amount"
        ) from None
    columns = [str(c).strip() for c in raw.columns]
    missing = [c for c in ("product", "amount") if c not in columns]
    if missing:
        raise FormatError(
            f"{path}: needs columns product,amount; missing {', '.join(missing)} "
            f"(has {', '.join(columns) or 'none'})"
        )
    cells = [
        (k + 2, dict(zip(columns, (str(v).strip() for v in values), strict=True)))
        for k, values in enumerate(raw.itertuples(index=False))
    ]
    cells = [(line, row) for line, row in cells if any(row.values())]
    no_code = [str(line) for line, row in cells if not row["product"]]
    if no_code:
        raise FormatError(f"{path}: no product on line(s) {listing(no_code)}")
    known = set(economy.products)
    unknown = [
        f"{row['product']!r} (line {line})" for line, row in cells if row["product"] not in known
    ]
    if unknown:
        raise UnknownNameError(
            f"{path}: economy {economy.name!r} has no product(s) {listing(unknown)}; "
            f"its products are {listing(list(economy.products))}"
        )
    amounts = [_float(row["amount"]) for _, row in cells]
    bad = [
        f"line {line} ({row['product']}) = {row['amount']!r}"
        for (line, row), a in zip(cells, amounts, strict=True)
        if not np.isfinite(a) or (a < 0 and not allow_negative)
    ]
    if bad:
        need = "a finite number" + ("" if allow_negative else " ≥ 0")
        raise FormatError(f"{path}: amount must be {need}: {listing(bad)}")
    return [
        _Row(line, row["product"], a, row) for (line, row), a in zip(cells, amounts, strict=True)
    ]


def _float(text: str) -> float:
    """The number in ``text``, or NaN where it holds none or an infinity."""
    try:
        value = float(text)
    except ValueError:
        return float("nan")
    return value if np.isfinite(value) else float("nan")


def _by_product(rows: list[_Row], path: Path, where: str) -> dict[str, float]:
    out: dict[str, float] = {}
    twice = []
    for r in rows:
        if r.product in out:
            twice.append(f"{r.product!r} (line {r.line})")
        out[r.product] = r.amount
    if twice:
        raise FormatError(f"{path}: product(s) listed twice{where}: {listing(twice)}")
    return out


def _group_value(
    rows: list[_Row], column: str, path: Path, ok: Callable[[float], bool], need: str
) -> float | None:
    """The first non-empty value of ``column`` in a group's rows; each given must be valid."""
    given = [(r.line, r.cells[column]) for r in rows if r.cells.get(column)]
    bad = [f"line {line} = {v!r}" for line, v in given if not ok(_float(v))]
    if bad:
        raise FormatError(f"{path}: {column} must be a number {need}: {listing(bad)}")
    return _float(given[0][1]) if given else None
