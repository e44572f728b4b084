"""INE's supply and use tables (Spain, ``cne_tod_YY_en.xlsx``) and air-emission accounts.

What is read, and why (INE, Annual Spanish National Accounts, 2019 benchmark revision):

* supply: the current-price supply table at basic prices; use: the current-price use table *at
  basic prices* (the one that pairs with supply: the same valuation, so each product's supply
  equals its uses); labour: full-time equivalents per industry from the use table at purchasers'
  prices (the only one that carries them), times ``hours_per_fte``.
* The layout is found from the cells, not assumed: the row of industry numbers, the product rows
  (numbered in a column or in the label), the final-use columns by their titles.  The workbooks of
  2010–2015 and 2016 differ (sheet names, 64 × 63 against 110 × 81 for supply in 2016): where the
  supply table is finer than the use table, it is added up to the use table's classification
  through INE's own correspondence sheets (CPA and NACE codes), and the sums are checked against
  the use table's "Output at basic prices" row.
* "Of which" rows and columns (imputed rents inside real estate in 2010–2015) are parts of
  another line, not lines of their own: they are left out so nothing is counted twice.
* Emissions: ``gases.xlsx``, greenhouse gases (kt CO2-equivalent) and CO2 (kt) by branch (CNAE
  2009, about 63 branches, some grouped such as "05-09").  Each branch goes to the industries whose
  NACE divisions it covers, shared by their output where it covers several; households' own
  emissions are not an industry's and are left out (said in the notes).
"""

from __future__ import annotations

import re
import warnings
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from commonplan.economy.model import LABOUR, listing
from commonplan.economy.supply_use import SupplyUse
from commonplan.errors import FormatError, MissingExtraError
from commonplan.numerics.types import Array

HOURS_PER_FTE = 1_690.0
"""Default hours a year per full-time equivalent: about what OECD reports as average annual hours
actually worked per worker in Spain in 2010–2016 (1,690–1,720); pass ``hours_per_fte`` to use
another figure (INE's own hours-worked series, for one)."""

_FINAL_USES = (
    ("households", ("by households",)),
    ("npish", ("non-profit", "npish")),
    ("government", ("public administration",)),
    ("fixed_capital", ("fix capital", "fixed capital")),
    ("inventories", ("inventories",)),
    ("exports", ("total exports",)),
)
_CONSUMPTION = ("households", "npish", "government")


@dataclass(frozen=True)
class _Block:
    """One table: industries (columns) × products (rows), plus the labelled columns after the
    industries and the labelled rows under the products."""

    industries: tuple[str, ...]
    industry_names: tuple[str, ...]
    products: tuple[str, ...]
    product_names: tuple[str, ...]
    values: Array  # products × industries
    columns: dict[str, Array]  # label → vector over products
    rows: list[tuple[str, Array]]  # (label, vector over industries), in sheet order


@dataclass(frozen=True)
class _Codes:
    """A correspondence sheet: product and industry numbers with their CPA / NACE codes."""

    products: dict[str, tuple[str, str]]  # id → (name, code)
    industries: dict[str, tuple[str, str]]


def read_workbook(
    path: Path,
    *,
    year: int | None = None,
    emissions: str | Path | None = None,
    hours_per_fte: float | None = None,
) -> SupplyUse:
    """A :class:`SupplyUse` from one of INE's supply-and-use workbooks (see the module's text)."""
    sheets = _sheets(path)
    titled = {name: _title(frame) for name, frame in sheets.items()}

    def find(*words: str, without: Sequence[str] = ()) -> str:
        for name, title in titled.items():
            low = title.lower()
            if all(w in low for w in words) and not any(w in low for w in without):
                return name
        raise FormatError(
            f"{path}: no sheet titled like {' '.join(words)!r}; is this one of INE's supply and "
            "use workbooks (cne_tod_YY_en.xlsx)?"
        )

    current = ("previous year", "domestic", "imports use")
    supply = _block(sheets[find("supply table at basic prices", without=current)], path, "supply")
    use = _block(sheets[find("use table at basic prices", without=current)], path, "use")
    labour = _block(sheets[find("use table at purchaser", without=current)], path, "labour")
    codes = [_codes(sheets[n], path) for n, t in titled.items() if "correspondence" in t.lower()]
    if not codes:
        raise FormatError(f"{path}: no correspondence sheet (CPA / NACE codes)")
    coarse = min(codes, key=lambda c: len(c.industries))
    notes: list[str] = []
    if supply.products != use.products or supply.industries != use.industries:
        fine = max(codes, key=lambda c: len(c.industries))
        supply = _aggregate(supply, use, fine, coarse, path)
        notes.append(
            f"the supply table ({len(fine.products)} products × {len(fine.industries)} "
            f"industries) was added up to the use table's {len(use.products)} × "
            f"{len(use.industries)} through INE's correspondence of CPA and NACE codes"
        )
    fte = _row(labour, "full-time equivalents", path)
    fte_by = dict(zip(labour.industries, fte, strict=True))
    if len(labour.industries) != len(use.industries):
        fine = max(codes, key=lambda c: len(c.industries))
        fte_by = _sum_by(fte_by, _industry_map(fine, coarse, use.industries, path))
    missing = [c for c in use.industries if c not in fte_by]
    if missing:
        raise FormatError(f"{path}: no full-time equivalents for industries {listing(missing)}")
    h = HOURS_PER_FTE if hours_per_fte is None else float(hours_per_fte)
    if not np.isfinite(h) or h <= 0:
        raise FormatError(f"hours_per_fte must be a number of hours > 0, got {hours_per_fte!r}")
    inputs = {LABOUR: np.array([fte_by[c] for c in use.industries]) * 1_000.0 * h}
    notes.append(
        f"labour: INE's full-time equivalents × {h:,.0f} hours a year each (hours_per_fte)"
    )
    the_year = year if year is not None else _year(path, sheets)
    g = supply.values.sum(axis=0)
    source = Path(emissions) if emissions is not None else path.with_name("gases.xlsx")
    if source.exists():
        branches = _emissions(source, the_year)
        for key, by_branch in branches.items():
            inputs[key], said = _to_industries(by_branch, use.industries, coarse, g)
            notes.extend(f"{key}: {s}" for s in said)
        notes.append(f"emissions of {the_year} from {source.name} (INE air-emission accounts)")
    elif emissions is not None:
        raise FormatError(f"{source}: no such file (INE's air-emission workbook)")
    else:
        notes.append(f"no emissions: {source.name} is not beside the workbook")
    demand = _final_demand(use, supply, path)
    notes.append(
        "the use table is total use (domestic and imported together): a plan made with it "
        "makes at home what is imported today"
    )
    units = {"output": "million euros", LABOUR: "hours"}
    units.update({k: "kt CO2-eq" if k == "ghg" else "kt CO2" for k in inputs if k != LABOUR})
    return SupplyUse(
        products=use.products,
        industries=use.industries,
        supply=supply.values,
        use=use.values,
        industry_inputs=inputs,
        final_demand=demand,
        product_names=use.product_names,
        industry_names=use.industry_names,
        units=units,
        name=f"spain_{the_year}",
        notes=tuple(notes),
    )


# ---------------------------------------------------------------------- sheets


def is_workbook(path: Path) -> bool:
    """Whether ``path`` looks like INE's supply-and-use workbook: its sheet names only (fast)."""
    try:
        from openpyxl import load_workbook  # type: ignore[import-untyped]

        with warnings.catch_warnings():
            warnings.simplefilter("ignore", UserWarning)
            book = load_workbook(path, read_only=True)
        names = {n.lower().replace(" ", "") for n in book.sheetnames}
        book.close()
    except Exception:
        return False
    index = {"listoftables", "tablelist", "listatablas"}
    return bool(names & index) and bool(names & {"table1", "tabla1"})


def _sheets(path: Path) -> dict[str, Any]:
    try:
        import pandas as pd

        with warnings.catch_warnings():  # INE's workbooks have no default style: harmless
            warnings.simplefilter("ignore", UserWarning)
            return dict(
                pd.read_excel(path, sheet_name=None, header=None, dtype=object, engine="openpyxl")
            )
    except ImportError:
        raise MissingExtraError(
            f"reading {path.name} needs openpyxl: pip install 'commonplan[xlsx]'"
        ) from None
    except (OSError, ValueError, KeyError) as exc:
        raise FormatError(f"{path}: cannot be read as an Excel workbook ({exc})") from None


def _title(frame: Any) -> str:
    """The sheet's title ("Table 3. Use table at basic prices …"); "" for the index sheet, which
    lists several."""
    found = []
    for r in range(min(20, frame.shape[0])):
        for c in range(min(4, frame.shape[1])):
            v = frame.iat[r, c]
            if isinstance(v, str) and re.match(r"\s*tabl[ea]\s*\d", v, re.I):
                rest = frame.iat[r, c + 1] if c + 1 < frame.shape[1] else None
                found.append(v + (" " + rest if isinstance(rest, str) else ""))
    return found[0] if len(found) == 1 else ""


def _number(v: object) -> str | None:
    """An id in a number cell ("12", 12, 12.0, "44a", "44 bis", "44b" → "44a"), else None."""
    if isinstance(v, bool) or v is None:
        return None
    if isinstance(v, int | float | np.integer | np.floating):
        f = float(v)
        return str(int(f)) if np.isfinite(f) and f.is_integer() and f > 0 else None
    m = re.fullmatch(r"\s*(\d+)\s*(a|b|bis)?\s*", str(v), re.I)
    if not m:
        return None
    return m.group(1) + ("a" if m.group(2) else "")


def _label(v: object) -> tuple[str | None, str]:
    """A product label "12 .Basic pharmaceutical …" → ("12", "Basic pharmaceutical …")."""
    text = " ".join(str(v).split()) if isinstance(v, str) else ""
    m = re.match(r"(\d+)\s*\.\s*(.*)", text)
    return (m.group(1), m.group(2)) if m else (None, text)


def _value(v: object) -> float:
    if v is None or (isinstance(v, str) and not v.strip()):
        return 0.0
    try:
        f = float(v)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return np.nan
    return 0.0 if np.isnan(f) else f


def _block(frame: Any, path: Path, what: str) -> _Block:
    """Find the industry-number row, the product rows and the labelled columns and rows."""
    grid = frame.to_numpy(dtype=object)
    head = None
    for r in range(min(20, grid.shape[0])):
        for c0 in (2, 3):
            if c0 + 1 < grid.shape[1] and (_number(grid[r, c0]), _number(grid[r, c0 + 1])) == (
                "1",
                "2",
            ):
                head = (r, c0)
                break
        if head:
            break
    if head is None:
        raise FormatError(f"{path}: the {what} table has no row of industry numbers 1, 2, …")
    r0, c0 = head
    cols = []
    c = c0
    while c < grid.shape[1] and _number(grid[r0, c]) is not None:
        cols.append(c)
        c += 1
    titles = grid[r0 - 1] if r0 > 0 else [None] * grid.shape[1]
    keep = [c for c in cols if not str(titles[c]).strip().lower().startswith("of which")]
    products: list[tuple[int, str, str]] = []
    for r in range(r0 + 1, grid.shape[0]):
        ident, name = _label(grid[r, 1])
        if c0 == 3:
            ident = _number(grid[r, 2])
        if ident is None:
            if products:
                break
            continue
        if not name.lower().startswith("of which"):
            products.append((r, ident, name))
    if not products:
        raise FormatError(f"{path}: the {what} table has no numbered product rows")
    rows_idx = [r for r, _, _ in products]
    values = np.array([[_value(grid[r, c]) for c in keep] for r in rows_idx])
    if np.isnan(values).any():
        r, c = np.argwhere(np.isnan(values))[0]
        raise FormatError(
            f"{path}: the {what} table has a cell that is not a number (product "
            f"{products[r][1]}, industry {_number(grid[r0, keep[c]])})"
        )
    extra = {
        " ".join(str(titles[c]).split()).lower(): np.array([_value(grid[r, c]) for r in rows_idx])
        for c in range(cols[-1] + 1, grid.shape[1])
        if isinstance(titles[c], str)
    }
    below = [
        (" ".join(str(grid[r, 1]).split()).lower(), np.array([_value(grid[r, c]) for c in keep]))
        for r in range(rows_idx[-1] + 1, grid.shape[0])
        if isinstance(grid[r, 1], str)
    ]
    return _Block(
        industries=tuple(str(_number(grid[r0, c])) for c in keep),
        industry_names=tuple(" ".join(str(titles[c]).split()) for c in keep),
        products=tuple(i for _, i, _ in products),
        product_names=tuple(n for _, _, n in products),
        values=values,
        columns=extra,
        rows=below,
    )


def _row(block: _Block, heading: str, path: Path) -> Array:
    """The "Total" row under ``heading`` (e.g. full-time equivalents)."""
    for k, (label, _) in enumerate(block.rows):
        if label.startswith(heading):
            for label2, values in block.rows[k + 1 :]:
                if label2.startswith("total"):
                    if np.isnan(values).any():
                        raise FormatError(f"{path}: {heading} has cells that are not numbers")
                    return values
    raise FormatError(f"{path}: no {heading!r} rows under the use table at purchasers' prices")


def _final_demand(use: _Block, supply: _Block, path: Path) -> dict[str, Array]:
    found: dict[str, Array] = {}
    for key, words in _FINAL_USES:
        for label, v in use.columns.items():
            if any(w in label for w in words):
                found[key] = v
                break
        else:
            raise FormatError(f"{path}: the use table has no column for {key} ({words[0]!r})")
    imports = next((v for k, v in supply.columns.items() if k.startswith("total imports")), None)
    if imports is None:
        raise FormatError(f"{path}: the supply table has no 'Total imports' column")
    consumption = sum((found[k] for k in _CONSUMPTION), np.zeros(len(use.products)))
    total = sum(found.values(), np.zeros(len(use.products)))
    return {
        "consumption": consumption,
        **found,
        "imports": -imports,
        "net_of_imports": total - imports,
    }


def _year(path: Path, sheets: dict[str, Any]) -> int:
    m = re.search(r"_(\d{2})(?:_|\.)", path.name)
    if m:
        return 2000 + int(m.group(1))
    for frame in sheets.values():
        for v in frame.to_numpy(dtype=object).ravel()[:200]:
            y = re.search(r"tables (\d{4})", str(v))
            if y:
                return int(y.group(1))
    raise FormatError(f"{path}: cannot tell the year; pass year=")


# ---------------------------------------------------------------------- classifications


def _codes(frame: Any, path: Path) -> _Codes:
    grid = frame.to_numpy(dtype=object)
    products: dict[str, tuple[str, str]] = {}
    industries: dict[str, tuple[str, str]] = {}
    for r in range(grid.shape[0]):
        row = list(grid[r]) + [None] * 8
        p, i = _number(row[2]), _number(row[6])
        if p is not None and isinstance(row[1], str):
            products[p] = (" ".join(row[1].split()), str(row[3]).strip())
        if i is not None and isinstance(row[5], str):
            industries[i] = (" ".join(row[5].split()), str(row[7]).strip())
    if not industries:
        raise FormatError(f"{path}: a correspondence sheet lists no industries")
    return _Codes(products, industries)


def divisions(code: str) -> frozenset[int]:
    """The NACE/CPA divisions (two digits) a code covers: "05-09" → {5,…,9}, "10.2-10.4;10.6"
    → {10}, "26.3+26.4" → {26}, "41.001;41.003" → {41}."""
    out: set[int] = set()
    for part in re.split(r"[;+]", code.replace("–", "-")):
        ends = [int(x.strip().split(".")[0]) for x in part.split("-") if x.strip()[:1].isdigit()]
        if ends:
            out.update(range(min(ends), max(ends) + 1))
    return frozenset(out)


def _coarse_of(
    name: str, code: str, coarse: dict[str, tuple[str, str]], where: str, path: Path
) -> str:
    """The coarse line that holds a fine one: the divisions must fit, and imputed rents go with
    imputed rents (both are division 68)."""
    d = divisions(code)
    fits = [k for k, (n, c) in coarse.items() if d and d <= divisions(c)]
    best = [k for k in fits if _imputed(coarse[k][0]) == _imputed(name)] or fits
    if len(best) != 1:
        raise FormatError(
            f"{path}: the {where} {name!r} (code {code}) fits {len(best)} lines of the "
            "use table's classification; cannot add the supply table up"
        )
    return best[0]


def _imputed(name: str) -> bool:
    """Imputed rents of owner-occupied dwellings — not "real estate excluding imputed rents"."""
    low = name.lower()
    return "imputed" in low and "excluding" not in low


def _industry_map(
    fine: _Codes, coarse: _Codes, wanted: Sequence[str], path: Path
) -> dict[str, str]:
    out = {
        k: _coarse_of(n, c, coarse.industries, "industry", path)
        for k, (n, c) in fine.industries.items()
    }
    lost = set(wanted) - set(out.values())
    if lost:
        raise FormatError(f"{path}: no fine industry adds up to {listing(sorted(lost))}")
    return out


def _sum_by(values: dict[str, float], to: dict[str, str]) -> dict[str, float]:
    out: dict[str, float] = {}
    for k, v in values.items():
        out[to[k]] = out.get(to[k], 0.0) + float(v)
    return out


def _aggregate(fine: _Block, use: _Block, fcodes: _Codes, ccodes: _Codes, path: Path) -> _Block:
    """The fine supply table added up to the use table's products and industries, checked
    against the use table's output row."""
    ind = _industry_map(fcodes, ccodes, use.industries, path)
    prod = {
        k: _coarse_of(n, c, ccodes.products, "product", path)
        for k, (n, c) in fcodes.products.items()
    }
    P = np.zeros((len(use.products), len(fine.products)))
    K = np.zeros((len(fine.industries), len(use.industries)))
    pi = _positions(use, ccodes, path)
    ki = {c: j for j, c in enumerate(use.industries)}
    for a, code in enumerate(fine.products):
        P[pi[prod[code]], a] = 1.0
    for b, code in enumerate(fine.industries):
        K[b, ki[ind[code]]] = 1.0
    V = P @ fine.values @ K
    output = _row_named(use, "output at basic prices", path)
    off = np.flatnonzero(np.abs(V.sum(axis=0) - output) > 0.5 + 1e-6 * np.abs(output))
    if len(off):
        bad = [f"{use.industries[j]} ({V[:, j].sum():.1f} against {output[j]:.1f})" for j in off]
        raise FormatError(
            f"{path}: the supply table added up does not match the use table's output of "
            f"industries {listing(bad)}"
        )
    imports = next((v for k, v in fine.columns.items() if k.startswith("total imports")), None)
    columns = {} if imports is None else {"total imports": P @ imports}
    return _Block(
        use.industries, use.industry_names, use.products, use.product_names, V, columns, []
    )


def _positions(use: _Block, codes: _Codes, path: Path) -> dict[str, int]:
    """Row of the use table for each coarse product id.  The ids agree where the sheets number
    alike; 2016's use table numbers 1–65 where its correspondence has 1–44, 44a, 45–64, so
    there the lines are matched in order, and their names must agree."""
    if set(codes.products) >= set(use.products):
        return {c: i for i, c in enumerate(use.products)}
    if len(codes.products) != len(use.products):
        raise FormatError(
            f"{path}: the use table has {len(use.products)} products and its correspondence "
            f"{len(codes.products)}; cannot match them"
        )
    out = {}
    for i, (code, (name, _)) in enumerate(codes.products.items()):
        if name.split()[0].lower() != use.product_names[i].split()[0].lower():
            raise FormatError(
                f"{path}: product {use.products[i]} of the use table ({use.product_names[i]!r}) "
                f"does not match line {code} of the correspondence ({name!r})"
            )
        out[code] = i
    return out


def _row_named(block: _Block, label: str, path: Path) -> Array:
    for name, values in block.rows:
        if name.startswith(label):
            return values
    raise FormatError(f"{path}: the use table has no {label!r} row")


# ---------------------------------------------------------------------- emissions


def _emissions(path: Path, year: int) -> dict[str, dict[str, float]]:
    """{"ghg": {branch code: kt CO2-eq}, "co2": {branch code: kt CO2}} for ``year``."""
    sheets = _sheets(path)
    grid = next(iter(sheets.values())).to_numpy(dtype=object)
    col = None
    for r in range(min(12, grid.shape[0])):
        for c in range(grid.shape[1]):
            if str(grid[r, c]).strip().startswith(str(year)):
                col = c
        if col is not None:
            break
    if col is None:
        raise FormatError(f"{path}: no column for {year}")
    blocks = {"ghg": r"1\.-\s*GEI", "co2": r"1\.1-\s*CO2"}
    out: dict[str, dict[str, float]] = {}
    for key, pattern in blocks.items():
        start = next(
            (r for r in range(grid.shape[0]) if re.match(pattern, str(grid[r, 0]).strip())), None
        )
        if start is None:
            raise FormatError(f"{path}: no block {pattern!r}")
        values: dict[str, float] = {}
        for r in range(start + 1, grid.shape[0]):
            m = re.match(r"\s*(\d{2}(?:-\d{2})?)\s*:", str(grid[r, 0]))
            if not m:
                break
            values[m.group(1)] = _value(grid[r, col])
        out[key] = values
    return out


def _to_industries(
    by_branch: dict[str, float], industries: Sequence[str], codes: _Codes, output: Array
) -> tuple[Array, list[str]]:
    """Each branch's emissions shared among the industries it covers, by their output."""
    out = np.zeros(len(industries))
    d = [divisions(codes.industries.get(c, ("", ""))[1]) for c in industries]
    said: list[str] = []
    lost = []
    for branch, amount in by_branch.items():
        b = divisions(branch)
        members = [j for j, dj in enumerate(d) if dj and dj <= b]
        if not members:
            if amount:
                lost.append(f"{branch} ({amount:.6g})")
            continue
        share = output[members] / output[members].sum() if output[members].sum() > 0 else None
        out[members] += amount * (share if share is not None else 1.0 / len(members))
    if lost:
        said.append(f"branches with no industry in the table, left out: {listing(lost)}")
    said.append("households' own emissions are not an industry's and are left out")
    return out, said
