"""Supply-use tables: the industry and product technologies against hand computations, the
quirks refused or recorded, a generator of awkward tables, and INE's workbooks 2010–2016 checked
against their own totals."""

from __future__ import annotations

import json
import re
import subprocess
import sys
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import commonplan as cp
from commonplan.economy import _ine
from commonplan.economy.supply_use import UNSUPPLIED, SupplyUse, supply_use_economy

INE = Path(__file__).resolve().parents[2] / "shared" / "data" / "sut" / "spain_ine"
YEARS = range(2010, 2017)

# Two products (grain, tools), two industries: the farm makes grain and a few tools on the side.
V = np.array([[90.0, 0.0], [10.0, 50.0]])  # products × industries
U = np.array([[20.0, 5.0], [10.0, 10.0]])
HOURS = np.array([300.0, 200.0])
CO2 = np.array([40.0, 10.0])


def small(**changes: object) -> SupplyUse:
    base: dict[str, object] = {
        "products": ("grain", "tools"),
        "industries": ("farm", "smithy"),
        "supply": V,
        "use": U,
        "industry_inputs": {"labour": HOURS, "co2": CO2},
        "final_demand": {"households": np.array([65.0, 30.0])},
        "units": {"output": "euros", "labour": "hours"},
        "name": "village",
    }
    base.update(changes)
    return SupplyUse(**base)  # type: ignore[arg-type]


def test_industry_technology_splits_each_industry_by_product() -> None:
    e = supply_use_economy(small())
    assert e.processes == ("farm/grain", "farm/tools", "smithy/tools")
    assert [e.products[i] for i in e.makes] == ["grain", "tools", "tools"]
    B = e.inputs.toarray()
    # every product of an industry is made with that industry's inputs per unit of its output
    np.testing.assert_allclose(B[:, 0], U[:, 0] / 100.0)
    np.testing.assert_allclose(B[:, 1], U[:, 0] / 100.0)
    np.testing.assert_allclose(B[:, 2], U[:, 1] / 50.0)
    np.testing.assert_allclose(e.labour, [3.0, 3.0, 4.0])  # type: ignore[arg-type]
    np.testing.assert_allclose(e.activity, [90.0, 10.0, 50.0])  # type: ignore[arg-type]
    np.testing.assert_allclose(e.gross_output, [90.0, 60.0])  # type: ignore[arg-type]
    # today's use at the observed activity is what the table says was used
    assert cp.current_use(e, "labour") == pytest.approx(HOURS.sum())
    assert cp.current_use(e, "co2") == pytest.approx(CO2.sum())
    np.testing.assert_allclose(B @ e.activity, U.sum(axis=1))  # type: ignore[operator]


def test_product_technology_is_u_times_v_inverse() -> None:
    V2 = np.array([[90.0, 5.0], [10.0, 50.0]])
    e = supply_use_economy(small(supply=V2), assumption="product")
    Vinv = np.linalg.inv(V2)
    np.testing.assert_allclose(e.inputs.toarray(), U @ Vinv)
    np.testing.assert_allclose(e.labour, HOURS @ Vinv)  # type: ignore[arg-type]
    assert e.single_technique
    assert cp.current_use(e, "labour") == pytest.approx(HOURS.sum())


def test_product_technology_refuses_negative_coefficients_unless_clipped() -> None:
    # the smithy's own tools need far more labour than the farm's: a negative labour for grain
    lopsided = small(industry_inputs={"labour": np.array([10.0, 500.0])})
    with pytest.raises(cp.NegativeCoefficientError, match="negative 'labour' for grain"):
        supply_use_economy(lopsided, assumption="product")
    e = supply_use_economy(lopsided, assumption="product", negatives="clip")
    assert (e.labour >= 0).all()  # type: ignore[operator]
    assert any("clipped" in n for n in e.notes)


def test_a_rectangular_table_refuses_the_product_technology_with_what_to_do() -> None:
    three = small(
        products=("grain", "tools", "rope"),
        supply=np.vstack([V, [5.0, 0.0]]),
        use=np.vstack([U, [1.0, 1.0]]),
        final_demand={},
    )
    with pytest.raises(cp.ShapeError, match="assumption='industry'"):
        supply_use_economy(three, assumption="product")
    assert supply_use_economy(three).n == 3


def test_a_product_nobody_supplies_becomes_a_primary_input_and_is_named() -> None:
    t = small(
        products=("grain", "tools", "oil"),
        supply=np.vstack([V, [0.0, 0.0]]),
        use=np.vstack([U, [7.0, 3.0]]),
        final_demand={"households": np.array([65.0, 30.0, 4.0])},
    )
    e = supply_use_economy(t)
    assert e.products == ("grain", "tools")
    assert any("oil" in n and UNSUPPLIED in n for n in e.notes)
    np.testing.assert_allclose(e.resources[UNSUPPLIED], [0.07, 0.07, 3.0 / 50.0])
    assert cp.current_use(e, UNSUPPLIED) == pytest.approx(10.0)


def test_an_industry_with_no_output_is_dropped_and_named() -> None:
    t = small(
        industries=("farm", "smithy", "mill"),
        supply=np.hstack([V, [[0.0], [0.0]]]),
        use=np.hstack([U, [[2.0], [0.0]]]),
        industry_inputs={"labour": np.append(HOURS, 5.0)},
    )
    e = supply_use_economy(t)
    assert all(not p.startswith("mill/") for p in e.processes)
    assert any("mill" in n and "no output" in n for n in e.notes)


@pytest.mark.parametrize(
    ("changes", "error", "words"),
    [
        ({"supply": np.array([[90.0, -1.0], [10.0, 50.0]])}, cp.NegativeCoefficientError,
         "negative supply of grain by smithy"),
        ({"use": np.array([[np.nan, 5.0], [10.0, 10.0]])}, cp.DataError, r"\[grain, farm\]"),
        ({"use": U[:, :1]}, cp.ShapeError, "use table is 2 × 1"),
        ({"products": ("grain", "grain")}, cp.DataError, "given twice: grain"),
        ({"industry_inputs": {"labour": np.array([1.0, -2.0])}}, cp.NegativeCoefficientError,
         "smithy"),
        ({"industry_inputs": {"labour": np.array([1.0])}}, cp.ShapeError, "1 entries for 2"),
        ({"final_demand": {"x": np.array([1.0, np.inf])}}, cp.DataError, "tools"),
    ],
)  # fmt: skip
def test_bad_tables_are_refused_naming_the_cell(
    changes: dict[str, object], error: type[Exception], words: str
) -> None:
    with pytest.raises(error, match=words):
        supply_use_economy(small(**changes))


def test_frames_and_a_csv_directory_give_the_same_economy(tmp_path: Path) -> None:
    idx, cols = ["grain", "tools"], ["farm", "smithy"]
    frames = cp.SupplyUseFrames(
        supply=pd.DataFrame(V, index=idx, columns=cols),
        use=pd.DataFrame(U[:, ::-1], index=idx, columns=cols[::-1]),  # another order: matched
        industries=pd.DataFrame({"hours": HOURS, "co2": CO2}, index=cols),
        final_demand=pd.DataFrame({"households": [65.0, 30.0]}, index=idx),
        name="village",
    )
    a = cp.read_supply_use(frames)
    frames.supply.to_csv(tmp_path / "supply.csv")
    frames.use.to_csv(tmp_path / "use.csv")
    assert frames.industries is not None and frames.final_demand is not None
    frames.industries.to_csv(tmp_path / "industries.csv")
    frames.final_demand.to_csv(tmp_path / "final_demand.csv")
    b = cp.read_supply_use(tmp_path, name="village")
    want = supply_use_economy(small())
    for e in (a, b):
        assert e.processes == want.processes
        np.testing.assert_allclose(e.inputs.toarray(), want.inputs.toarray())
        np.testing.assert_allclose(e.labour, want.labour)  # type: ignore[arg-type]
        np.testing.assert_allclose(e.resources["co2"], want.resources["co2"])


def test_a_directory_without_its_tables_says_what_it_needs(tmp_path: Path) -> None:
    with pytest.raises(cp.FormatError, match=r"supply\.csv and use\.csv"):
        cp.read_supply_use(tmp_path)


def test_percent_caps_need_observed_activity_on_several_techniques() -> None:
    e = supply_use_economy(small())
    r = cp.optimize(e, caps={"labour": "80%"})
    assert r.success
    assert any("80% of today's use (500 hours) = 400 hours" in n for n in r.notes)
    assert r.use["labour"] == pytest.approx(400.0, rel=1e-9)  # labour binds
    bare = cp.Economy.from_processes(
        e.inputs, e.makes, e.labour, products=e.products, processes=e.processes
    )
    with pytest.raises(cp.PlanInputError, match=r"several techniques.*give the cap as an amount"):
        cp.optimize(bare, targets={"grain": 1.0}, caps={"labour": "80%"})


def test_generated_tables_build_or_are_refused_cleanly() -> None:
    """3,000 awkward tables: empty rows and columns, magnitudes from 1e-12 to 1e12, one
    industry or one product, near-singular supply.  Each builds an economy whose observed
    activity reproduces the table, or is refused with one of the project's errors."""
    rng = np.random.default_rng(20261205)
    built = refused = 0
    for _ in range(3_000):
        n, k = int(rng.integers(1, 7)), int(rng.integers(1, 7))
        scale = 10.0 ** rng.uniform(-12, 12)
        Vg = rng.random((n, k)) * (rng.random((n, k)) < rng.uniform(0.1, 1.0)) * scale
        Ug = rng.random((n, k)) * (rng.random((n, k)) < 0.5) * scale * rng.uniform(0, 2)
        if rng.random() < 0.05:
            Vg[rng.integers(n), rng.integers(k)] = -1.0
        table = SupplyUse(
            products=tuple(f"p{i}" for i in range(n)),
            industries=tuple(f"i{j}" for j in range(k)),
            supply=np.zeros((n, k)),
            use=np.zeros((n, k)),
        )
        try:
            table = SupplyUse(
                products=table.products,
                industries=table.industries,
                supply=Vg,
                use=Ug,
                industry_inputs={"labour": rng.random(k) * scale},
            )
            assumption = "product" if rng.random() < 0.3 else "industry"
            e = supply_use_economy(table, assumption=assumption)  # type: ignore[arg-type]
        except cp.CommonplanError:
            refused += 1
            continue
        built += 1
        keep_n = Vg.sum(axis=1) > 0
        keep_k = Vg.sum(axis=0) > 0
        used = e.inputs @ e.observed_activity
        want = Ug[keep_n][:, keep_k].sum(axis=1)
        np.testing.assert_allclose(used, want, rtol=1e-8, atol=1e-9 * scale)
        labour = cp.current_use(e, "labour") if e.labour is not None else 0.0
        assert labour == pytest.approx(
            float(table.industry_inputs["labour"][keep_k].sum()), rel=1e-8, abs=1e-9 * scale
        )
    assert built > 1_500 and refused > 100  # both paths were exercised


# ---------------------------------------------------------------------- INE's workbooks


def _workbook(year: int) -> Path:
    path = INE / f"cne_tod_{year % 100}_en.xlsx"
    if not path.exists():
        pytest.skip(f"{path} is not here (../shared/data/sut/spain_ine)")
    return path


def _total_row(year: int, block: str) -> float:
    """INE's "Total ramas de actividad" of an emission block, read independently."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        g = pd.read_excel(INE / "gases.xlsx", header=None)
    col = next(c for c in g.columns if str(g.iat[6, c]).startswith(str(year)))
    start = next(r for r in range(len(g)) if str(g.iat[r, 0]).startswith(block))
    row = next(
        r for r in range(start, len(g)) if str(g.iat[r, 0]).strip().startswith("Total ramas")
    )
    return float(g.iat[row, col])


def _fte_total(path: Path) -> float:
    """Total full-time equivalents (thousands) over the industries, read independently: the
    last column before "Total intermediate consumption" is the last industry."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        sheets = pd.read_excel(path, sheet_name=None, header=None)
    for frame in sheets.values():
        labels = [str(v).strip() for v in frame.iloc[:, 1]]
        if "Full-time equivalents" not in labels:
            continue
        r = labels.index("Full-time equivalents") + 1
        text = frame.astype(str)
        skip = {c for c in frame.columns if text[c].str.startswith("of which").any()}
        end = next(c for c in frame.columns if text[c].str.startswith("Total intermediate").any())
        cells = [frame.iat[r, c] for c in range(2, end) if c not in skip]
        return float(sum(float(v) for v in cells if isinstance(v, int | float) and v == v))
    raise AssertionError("no labour rows")


@pytest.mark.parametrize("year", YEARS)
def test_ine_workbooks_reproduce_their_own_totals(year: int) -> None:
    path = _workbook(year)
    e = cp.read_supply_use(path)
    x = e.observed_activity
    assert x is not None and e.name == f"spain_{year}"
    # what is made = what industries use + final uses − imports, product by product (INE rounds
    # each cell to 0.1 million euros)
    gap = e.inputs @ x + e.final_demand["net_of_imports"] - e.gross_output
    assert np.abs(gap).max() < 0.25
    # every branch reaches an industry (INE's total differs from its rounded branches by a few
    # tenths of a kilotonne)
    assert not [n for n in e.notes if "left out:" in n]
    assert cp.current_use(e, "co2") == pytest.approx(_total_row(year, "1.1- CO2"), abs=3.0)
    assert cp.current_use(e, "ghg") == pytest.approx(_total_row(year, "1.- GEI"), abs=3.0)
    hours = _fte_total(path) * 1_000 * _ine.HOURS_PER_FTE
    assert cp.current_use(e, "labour") == pytest.approx(hours, rel=1e-9)
    assert 25e9 < hours < 35e9  # Spain: about 17–19 million full-time jobs
    assert e.m > e.n > 60  # industry technology: more processes than products
    assert (e.final_demand["consumption"] >= 0).all()


def test_ine_2016_supply_is_added_up_to_the_use_tables_classification() -> None:
    e = cp.read_supply_use(_workbook(2016))
    assert any("110 products × 81 industries" in n for n in e.notes)
    assert e.n == 64  # 65 lines, one (extraterritorial organisations) with no supply


def test_hours_per_fte_is_a_choice_and_is_checked() -> None:
    path = _workbook(2014)
    a = cp.read_supply_use(path)
    b = cp.read_supply_use(path, hours_per_fte=1_800)
    assert cp.current_use(b, "labour") == pytest.approx(
        cp.current_use(a, "labour") * 1_800 / _ine.HOURS_PER_FTE
    )
    with pytest.raises(cp.FormatError, match="hours_per_fte"):
        cp.read_supply_use(path, hours_per_fte=0)


def test_a_workbook_that_is_not_ines_is_refused_clearly(tmp_path: Path) -> None:
    other = tmp_path / "other.xlsx"
    with pd.ExcelWriter(other) as w:
        pd.DataFrame([[1, 2], [3, 4]]).to_excel(w, sheet_name="Sheet1")
    with pytest.raises(cp.FormatError, match="INE's supply and use workbooks"):
        cp.read_supply_use(other)


def test_the_cli_plans_spain_2016_with_labour_and_co2_caps() -> None:
    path = _workbook(2016)
    done = subprocess.run(
        [sys.executable, "-m", "commonplan", "optimize", str(path), "--json",
         "--cap", "labour=100%", "--cap", "co2=80%"],
        capture_output=True, text=True, check=False,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    r = json.loads(done.stdout)
    e = cp.read_supply_use(path)
    co2 = 0.8 * cp.current_use(e, "co2")
    assert r["use"]["co2"] <= co2 * (1 + 1e-9)
    assert r["fulfilment"]["consumption"] > 1.0  # today's hours buy more than today's consumption
    assert any(re.search(r"co2.*80% of today's use", n) for n in r["notes"])
    want = cp.optimize(e, caps={"labour": "100%", "co2": "80%"})
    assert r["fulfilment"]["consumption"] == pytest.approx(want.fulfilment["consumption"])


def test_real_final_demand_with_negative_entries_plans_its_positive_part() -> None:
    e = cp.read_supply_use(_workbook(2016))
    net = e.final_demand["net_of_imports"]
    assert (net < 0).any()
    r = cp.optimize(e, targets="net_of_imports", caps={"labour": "100%"})
    assert r.success
    note = next(n for n in r.notes if "'net_of_imports' is negative" in n)
    assert f"for {int((net < 0).sum())} product(s), taken as 0" in note
    positive = dict(zip(e.products, np.maximum(net, 0.0), strict=True))
    clipped = cp.optimize(e, targets={"t": positive}, caps={"labour": "100%"})
    assert r.fulfilment["net_of_imports"] == pytest.approx(clipped.fulfilment["t"], rel=1e-9)
    with pytest.raises(cp.PlanInputError, match="must not be negative"):  # typed in: an error
        cp.optimize(e, targets={"t": {e.products[0]: -1.0}})
