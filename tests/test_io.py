"""Reading economies: the shared real tables, the demo, round trips, CSV/XLSX/pymrio, bad input."""

from __future__ import annotations

import gzip
import json
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from commonplan import (
    Economy,
    FormatError,
    MissingExtraError,
    NegativeCoefficientError,
    NotProductiveError,
    ShapeError,
    UnknownNameError,
    balance,
    synthetic_economy,
    write_economy,
)
from commonplan.economy.io import demo_economy, from_pymrio, read_economy

# tables whose A has negative cells in the source (BEA's own use tables), so need negatives="clip"
CLIP = {"bea_us_detail_398_2017", "bea_us_71_2021"}


@pytest.fixture(scope="session")
def shared_io() -> Path:
    path = Path(__file__).resolve().parents[2] / "shared" / "data" / "io"
    if not path.is_dir():
        pytest.skip(f"shared real tables not found at {path} (they live beside the repository)")
    return path


def _load(shared_io: Path, folder: str) -> Economy:
    return read_economy(shared_io / folder, negatives="clip" if folder in CLIP else "refuse")


def _has_note(economy: Economy, *words: str) -> bool:
    return any(all(w in note for w in words) for note in economy.notes)


# ---------------------------------------------------------------------- shared real tables

FOLDERS = [
    "abs_aus_114_2021",
    "bea_us_15_2021",
    "bea_us_71_2021",
    "bea_us_detail_398_2017",
    "pymrio_test_48",
    "scb_sweden_59_2016",
]


@pytest.mark.parametrize("folder", FOLDERS)
def test_every_shared_table_loads_and_balances(shared_io: Path, folder: str) -> None:
    meta = json.loads((shared_io / folder / "meta.json").read_text())
    economy = _load(shared_io, folder)
    assert economy.n == meta["check"]["n"]
    assert economy.name == folder
    assert economy.final_demand, "every shared table gets a final demand (given or implied)"
    plan = balance(economy)
    assert plan.residual <= 1e-9
    # (I − A) x = y, checked independently of the solver's own residual
    A = economy.A.toarray()
    np.testing.assert_allclose(
        plan.gross_output - A @ plan.gross_output,
        plan.final_demand,
        rtol=1e-9,
        atol=1e-9 * np.abs(plan.gross_output).max(),
    )


def test_bea_398_negatives_refused_by_default_and_clipped_on_request(shared_io: Path) -> None:
    with pytest.raises(NegativeCoefficientError, match=r"1111A0") as info:
        read_economy(shared_io / "bea_us_detail_398_2017")
    assert "negatives='clip'" in str(info.value)
    economy = read_economy(shared_io / "bea_us_detail_398_2017", negatives="clip")
    assert len(economy.adjustments) == 1 and "4 negative" in economy.adjustments[0]
    assert economy.A.min() >= 0.0


def test_bea_71_has_one_negative_cell_too(shared_io: Path) -> None:
    # not in the shared README's list of quirks, but its meta.json counts it (A_neg_count 1)
    with pytest.raises(NegativeCoefficientError, match=r"A\[212, 524\]"):
        read_economy(shared_io / "bea_us_71_2021")


def test_bea_398_quirks_and_names(shared_io: Path) -> None:
    economy = _load(shared_io, "bea_us_detail_398_2017")
    assert _has_note(economy, "S00102", "column sum > 1")
    assert _has_note(economy, "compensation", "comp_coef_per_commodity", "stands in for hours")
    # names come from commodity_names.csv beside the table
    assert economy.names[economy.product_index("1111A0")] == "Oilseed farming"
    assert economy.product_index("1111A0") == 0 and economy.products[0] == "1111A0"


def test_sweden_shared_quirks_and_guessed_columns(shared_io: Path) -> None:
    economy = _load(shared_io, "scb_sweden_59_2016")
    assert _has_note(economy, "L68A", "all-zero row and column")
    assert _has_note(economy, "labour ← 'hours_coef_10k_per_MSEK'")
    assert economy.labour is not None and economy.labour[0] == pytest.approx(0.2695463437)
    assert list(economy.final_demand) == ["domestic_final_demand", "balancing_q_minus_Urowsum"]
    assert set(economy.resources) == {"wages", "co2", "capital_consumption", "imports"}
    assert _has_note(economy, "no units given")
    assert economy.gross_output is not None and economy.gross_output[0] == 50570


def test_abs_implied_final_demand_and_no_labour(shared_io: Path) -> None:
    economy = _load(shared_io, "abs_aus_114_2021")
    assert list(economy.final_demand) == ["implied"]
    assert _has_note(economy, "implied", "(I − A) x")
    assert _has_note(economy, "no labour row")
    assert economy.labour is None
    # balancing the implied final demand gives back the table's gross output
    assert economy.gross_output is not None
    x = balance(economy).gross_output
    np.testing.assert_allclose(x, economy.gross_output, rtol=1e-9)


def test_bea_15_compensation_stands_in_for_labour(shared_io: Path) -> None:
    economy = _load(shared_io, "bea_us_15_2021")
    assert _has_note(economy, "stands in for hours")
    vec = pd.read_csv(shared_io / "bea_us_15_2021" / "vectors.csv", index_col=0)
    np.testing.assert_array_equal(economy.labour, vec["comp_coef_per_commodity"].to_numpy())
    assert _has_note(economy, "columns not used", "g_industry_output")


def test_arguments_override_guesses(shared_io: Path) -> None:
    economy = read_economy(
        shared_io / "scb_sweden_59_2016",
        labour="wage_coef",
        final_demand="y_balancing_q_minus_Urowsum",
        resources={"carbon": "co2_coef_kt_per_MSEK"},
        name="se",
    )
    assert economy.name == "se"
    assert economy.labour is not None and economy.labour[0] == pytest.approx(0.194270072)
    assert list(economy.final_demand) == ["balancing_q_minus_Urowsum"]
    assert list(economy.resources) == ["carbon"]
    with pytest.raises(UnknownNameError, match=r"'no_such_column'.*hours_coef_10k_per_MSEK"):
        read_economy(shared_io / "scb_sweden_59_2016", labour="no_such_column")


# ---------------------------------------------------------------------- the shipped demo


def test_demo_economy_is_sweden_with_hours_and_names(shared_io: Path) -> None:
    economy = demo_economy()
    shared = _load(shared_io, "scb_sweden_59_2016")
    assert economy.name == "sweden-2016" and economy.n == 59
    assert economy.products == shared.products
    np.testing.assert_array_equal(economy.A.toarray(), shared.A.toarray())
    assert economy.labour is not None and shared.labour is not None
    np.testing.assert_allclose(economy.labour, shared.labour * 10_000, rtol=1e-12)
    assert economy.units["labour"] == "hours" and economy.units["co2"] == "kt CO2"
    assert economy.units["output"] == "million SEK"
    assert list(economy.resources) == ["co2", "capital_consumption", "imports"]
    assert list(economy.final_demand) == ["domestic_final_demand", "balancing_q_minus_Urowsum"]
    assert economy.names[economy.product_index("L68A")] == (
        "Imputed rents of owner-occupied dwellings"
    )
    assert economy.names[economy.product_index("A02")] == "Forestry and logging"
    assert all(nm != code for nm, code in zip(economy.names, economy.products, strict=True))
    assert _has_note(economy, "L68A", "all-zero row and column")


def test_demo_economy_balances() -> None:
    economy = demo_economy()
    plan = balance(economy, "balancing_q_minus_Urowsum")
    assert plan.residual <= 1e-9
    assert economy.gross_output is not None
    # the balancing final demand closes the product balances: x comes back as the table's q
    np.testing.assert_allclose(plan.gross_output, economy.gross_output, rtol=1e-6, atol=1e-3)
    assert plan.total_labour is not None
    # Sweden worked about 7.9 billion hours in 2016; domestic output uses a good share of them
    assert 1e9 < plan.total_labour < 1e10


# ---------------------------------------------------------------------- round trips


def _assert_same(a: Economy, b: Economy) -> None:
    assert a.products == b.products and a.processes == b.processes and a.names == b.names
    assert a.inputs.shape == b.inputs.shape
    for attr in ("data", "indices", "indptr"):
        np.testing.assert_array_equal(getattr(a.inputs, attr), getattr(b.inputs, attr))
    np.testing.assert_array_equal(a.makes, b.makes)
    np.testing.assert_array_equal(a.labour, b.labour)
    assert list(a.resources) == list(b.resources)
    assert list(a.final_demand) == list(b.final_demand)
    for k in a.resources:
        np.testing.assert_array_equal(a.resources[k], b.resources[k])
    for k in a.final_demand:
        np.testing.assert_array_equal(a.final_demand[k], b.final_demand[k])
    assert dict(a.units) == dict(b.units) and a.name == b.name


def _as_table(e: Economy) -> Economy:
    """The same economy with process k making product k: written as A.npz, not inputs.npz."""
    t = e.techniques
    return Economy.from_arrays(
        e.A,
        None if e.labour is None else e.labour[t],
        products=e.products,
        resources={k: v[t] for k, v in e.resources.items()},
        final_demand=e.final_demand,
        units=e.units,
        name=e.name,
        meta=e.meta,
    )


def _processes_reversed(e: Economy) -> Economy:
    """The same economy with its processes listed backwards: written as inputs.npz."""
    r = np.arange(e.m)[::-1]
    return Economy.from_processes(
        e.inputs[:, r],
        e.makes[r],
        None if e.labour is None else e.labour[r],
        products=e.products,
        processes=[e.processes[k] for k in r],
        resources={k: v[r] for k, v in e.resources.items()},
        final_demand=e.final_demand,
        units=e.units,
        name=e.name,
        meta=e.meta,
    )


@pytest.mark.parametrize(
    ("techniques", "layout"), [(1, "A.npz"), (1, "inputs.npz"), (3, "inputs.npz")]
)
def test_round_trip_synthetic(tmp_path: Path, techniques: int, layout: str) -> None:
    economy = synthetic_economy(60, techniques=techniques, seed=7)
    if layout == "A.npz":
        economy = _as_table(economy)
    elif techniques == 1:  # synthetic tables list process k for product k; list them otherwise
        economy = _processes_reversed(economy)
    write_economy(economy, tmp_path)
    assert (tmp_path / layout).exists()
    back = read_economy(tmp_path)
    _assert_same(economy, back)
    assert back.single_technique == (techniques == 1)
    np.testing.assert_array_equal(back.techniques, economy.techniques)
    assert balance(back).total_labour == balance(economy).total_labour


def test_round_trip_keeps_gross_output_and_names(tmp_path: Path) -> None:
    A = np.array([[0.1, 0.2], [0.3, 0.1]])
    x = np.array([10.0, 20.0])
    economy = Economy.from_arrays(
        A,
        [0.5, 0.25],
        products=["01", "02"],
        names=["grain", "steel"],
        gross_output=x,
        final_demand={"net": x - A @ x},
        name="tiny",
    )
    write_economy(economy, tmp_path)
    back = read_economy(tmp_path)
    _assert_same(economy, back)
    np.testing.assert_array_equal(back.gross_output, x)


# ---------------------------------------------------------------------- labelled files

MATRIX = pd.DataFrame(
    {
        "01": [0.1, 0.2, 0.0],
        "02": [0.0, 0.1, 0.3],
        "03": [0.25, 0.0, 0.05],
        "hours": [2.0, 1.0, 3.0],
        "y_households": [5.0, 6.0, 7.0],
        "co2_coef_t": [0.5, 0.0, 1.5],
    },
    index=pd.Index(["01", "02", "03"]),
)


def _check_matrix_economy(economy: Economy) -> None:
    assert economy.products == ("01", "02", "03")
    np.testing.assert_array_equal(economy.A.toarray(), MATRIX.iloc[:, :3].to_numpy())
    np.testing.assert_array_equal(economy.labour, [2.0, 1.0, 3.0])
    assert list(economy.final_demand) == ["households"]
    np.testing.assert_array_equal(economy.resources["co2"], [0.5, 0.0, 1.5])
    plan = balance(economy)
    assert plan.residual <= 1e-12
    assert economy.labour is not None
    assert plan.total_labour == pytest.approx(float(economy.labour @ plan.gross_output))


def test_labelled_csv(tmp_path: Path) -> None:
    MATRIX.to_csv(tmp_path / "table.csv")
    economy = read_economy(tmp_path / "table.csv")
    _check_matrix_economy(economy)
    assert economy.name == "table"


def test_plain_csv_matrix_without_vectors(tmp_path: Path) -> None:
    MATRIX.iloc[:, :3].to_csv(tmp_path / "m.csv")
    economy = read_economy(tmp_path / "m.csv")
    assert economy.labour is None and not economy.final_demand
    assert _has_note(economy, "no labour row")
    x = balance(economy, {"01": 1.0}).gross_output
    assert x[0] > 1.0


def test_labelled_xlsx(tmp_path: Path) -> None:
    pytest.importorskip("openpyxl")
    MATRIX.to_excel(tmp_path / "table.xlsx")
    _check_matrix_economy(read_economy(tmp_path / "table.xlsx"))


def test_xlsx_without_openpyxl_names_the_install_command(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "table.xlsx").write_bytes(b"not really")
    monkeypatch.setitem(sys.modules, "openpyxl", None)
    with pytest.raises(MissingExtraError, match=r"pip install 'commonplan\[xlsx\]'"):
        read_economy(tmp_path / "table.xlsx")


# ---------------------------------------------------------------------- pymrio


def test_from_pymrio_test_system() -> None:
    pymrio = pytest.importorskip("pymrio")
    economy = from_pymrio(pymrio.load_test())
    assert economy.n == 48 and economy.products[0] == "reg1|food"
    assert set(economy.resources) == {"Value Added", "emission_type1|air", "emission_type2|water"}
    assert economy.units["emission_type1|air"] == "kg"
    assert _has_note(economy, "no labour row")
    plan = balance(economy)
    assert plan.residual <= 1e-9
    reference = pymrio.load_test()
    reference.calc_all()
    x = reference.x.to_numpy().ravel()
    np.testing.assert_allclose(plan.gross_output, x, rtol=1e-8)
    # embodied emissions agree with pymrio's multipliers M = S L
    M = reference.emissions.M.loc[("emission_type1", "air")].to_numpy()
    np.testing.assert_allclose(plan.embodied["emission_type1|air"], M, rtol=1e-8)


def test_from_pymrio_region_and_labour_row() -> None:
    pymrio = pytest.importorskip("pymrio")
    economy = from_pymrio(pymrio.load_test(), region="reg2", labour="Value Added")
    assert economy.n == 8 and all(p.startswith("reg2|") for p in economy.products)
    assert "Value Added" not in economy.resources and economy.labour is not None
    assert list(economy.final_demand) == ["final_demand_and_exports", "final_use"]
    assert economy.gross_output is not None
    np.testing.assert_allclose(balance(economy).gross_output, economy.gross_output, rtol=1e-9)
    with pytest.raises(UnknownNameError, match=r"'reg9'.*reg1"):
        from_pymrio(pymrio.load_test(), region="reg9")
    with pytest.raises(UnknownNameError, match=r"'hours'.*Value Added"):
        from_pymrio(pymrio.load_test(), labour="hours")


def test_read_economy_on_saved_pymrio_system(tmp_path: Path) -> None:
    pymrio = pytest.importorskip("pymrio")
    system = pymrio.load_test()
    system.calc_all()
    system.save_all(tmp_path)
    economy = read_economy(tmp_path)
    assert economy.n == 48 and economy.gross_output is not None
    # pymrio writes its text files with 12 significant digits
    np.testing.assert_allclose(economy.gross_output, system.x.to_numpy().ravel(), rtol=1e-10)


def test_pymrio_missing_names_the_install_command(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "pymrio", None)
    with pytest.raises(MissingExtraError, match=r"pip install 'commonplan\[pymrio\]'"):
        from_pymrio(object())


# ---------------------------------------------------------------------- bad input


def _write(path: Path, text: str) -> Path:
    path.write_text(text)
    return path


def test_non_square_csv(tmp_path: Path) -> None:
    wide = _write(tmp_path / "wide.csv", ",a,b,c\na,0.1,0.2,0.3\nb,0.1,0.2,0.3\n")
    with pytest.raises(ShapeError, match=r"wide\.csv.*square.*'c'"):
        read_economy(wide)
    tall = _write(tmp_path / "tall.csv", ",a,b\na,0.1,0.2\nb,0.1,0.2\nc,0.1,0.2\n")
    with pytest.raises(ShapeError, match=r"tall\.csv.*3 rows.*2 columns"):
        read_economy(tall)


def test_empty_and_text_cells_are_named(tmp_path: Path) -> None:
    path = _write(tmp_path / "holes.csv", ",a,b\na,0.1,\nb,0.1,0.2\n")
    with pytest.raises(FormatError, match=r"holes\.csv.*row 'a', column 'b' = empty"):
        read_economy(path)
    path = _write(tmp_path / "text.csv", ",a,b\na,0.1,0.2\nb,zero,0.2\n")
    with pytest.raises(FormatError, match=r"text\.csv.*row 'b', column 'a' = 'zero'"):
        read_economy(path)


def test_mismatched_labels(tmp_path: Path) -> None:
    path = _write(tmp_path / "labels.csv", ",a,c\na,0.1,0.2\nb,0.1,0.2\n")
    with pytest.raises(ShapeError, match=r"labels\.csv.*#2 'b' vs 'c'"):
        read_economy(path)
    table = tmp_path / "dir"
    table.mkdir()
    _write(table / "A.csv", ",a,b\na,0.1,0.2\nb,0.1,0.2\n")
    _write(table / "vectors.csv", ",y_total\nb,1\na,2\n")
    with pytest.raises(ShapeError, match=r"vectors\.csv.*#1 'a' vs 'b'"):
        read_economy(table)


def test_missing_files(tmp_path: Path) -> None:
    with pytest.raises(FormatError, match=r"nowhere.*no such file or directory"):
        read_economy(tmp_path / "nowhere")
    (tmp_path / "empty").mkdir()
    with pytest.raises(FormatError, match=r"empty.*no A\.csv\.gz"):
        read_economy(tmp_path / "empty")
    sparse = tmp_path / "sparse"
    write_economy(_as_table(synthetic_economy(5)), sparse)
    (sparse / "vectors.csv").unlink()
    with pytest.raises(FormatError, match=r"A\.npz.*needs vectors\.csv"):
        read_economy(sparse)


def test_corrupt_files(tmp_path: Path) -> None:
    table = tmp_path / "t"
    table.mkdir()
    (table / "A.csv.gz").write_bytes(gzip.compress(b",a\na,0.1\n")[:12])
    with pytest.raises(FormatError, match=r"A\.csv\.gz.*cannot be read"):
        read_economy(table)
    (table / "A.csv.gz").unlink()
    _write(table / "A.csv", ",a\na,0.1\n")
    _write(table / "meta.json", "{not json")
    with pytest.raises(FormatError, match=r"meta\.json.*not valid JSON"):
        read_economy(table)
    _write(table / "meta.json", json.dumps({"columns": {"hours": {"role": "labour"}}}))
    with pytest.raises(FormatError, match=r"meta\.json declares column 'hours'"):
        read_economy(table)
    _write(table / "meta.json", json.dumps({"columns": {"hours": {"role": "boss"}}}))
    with pytest.raises(FormatError, match=r"'hours' needs a 'role'"):
        read_economy(table)


def test_non_productive_table_names_both_products(tmp_path: Path) -> None:
    path = _write(tmp_path / "greedy.csv", ",wheat,bread\nwheat,0.6,0.7\nbread,0.6,0.5\n")
    with pytest.raises(NotProductiveError, match=r"wheat, bread|bread, wheat") as info:
        read_economy(path)
    assert set(info.value.products) == {"wheat", "bread"}
    assert info.value.spectral_radius >= 1.0


def test_meta_columns_scale_and_units(tmp_path: Path) -> None:
    _write(tmp_path / "A.csv", ",a,b\na,0.1,0.2\nb,0.3,0.1\n")
    _write(tmp_path / "vectors.csv", ",h,e,out\na,0.5,2,10\nb,0.25,4,20\n")
    meta = {
        "name": "scaled",
        "units": {"output": "tonnes"},
        "columns": {
            "h": {"role": "labour", "scale": 1000, "unit": "hours"},
            "e": {"role": "resource", "name": "energy", "unit": "MJ"},
            "out": {"role": "gross_output"},
        },
    }
    _write(tmp_path / "meta.json", json.dumps(meta))
    economy = read_economy(tmp_path)
    assert economy.name == "scaled"
    np.testing.assert_array_equal(economy.labour, [500.0, 250.0])
    np.testing.assert_array_equal(economy.resources["energy"], [2.0, 4.0])
    assert dict(economy.units) == {"output": "tonnes", "labour": "hours", "energy": "MJ"}
    np.testing.assert_allclose(economy.final_demand["implied"], [10 - 1 - 4, 20 - 3 - 2])
