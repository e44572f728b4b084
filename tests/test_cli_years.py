"""``commonplan years``: the CLI over :func:`commonplan.years.compare` and the charts."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np

from cli_support import clean_error, run, run_process
from commonplan import demo_economy, synthetic_economy, write_economy
from commonplan.plan.years import compare

GROWTH = ("--progress", "labour=0.02", "--labour-growth", "0.005")


def test_json_matches_the_library_numbers() -> None:
    done = run("years", "demo", "--strategy", "heavy-industry-first", "--compare",
               "balanced,optimal", *GROWTH, "--json")  # fmt: skip
    assert done.exit_code == 0, done.output
    out = json.loads(done.stdout)
    assert out["economy"] == "sweden-2016"
    assert out["strategies"] == ["heavy-industry-first", "balanced", "optimal"]
    library = compare(
        demo_economy(),
        ["heavy-industry-first", "balanced", "optimal"],
        progress={"labour": 0.02},
        labour_growth=0.005,
    )
    for name, r in library.results.items():
        got = out["results"][name]
        assert got["status"] == "optimal"
        np.testing.assert_allclose(got["summary"]["fulfilment"], r.fulfilment, rtol=1e-9)
        np.testing.assert_allclose(got["summary"]["labour"], r.use["labour"], rtol=1e-9)
        assert len(got["summary"]["investment_share"]) == 5
        assert sorted(got["groups"]["capital goods"])[0] == "C25"


def test_table_and_plots(tmp_path: Path) -> None:
    done = run("years", "demo", "--compare", "all", "--years", "3", *GROWTH,
               "--plots", tmp_path / "plots")  # fmt: skip
    assert done.exit_code == 0, done.output
    for strategy in ("heavy-industry-first", "balanced", "consumption-first", "optimal"):
        assert strategy in done.stdout
    assert "investment" in done.stdout and "output" in done.stdout
    assert "capital stock 11,163,517" in done.stdout  # the derivation, as a note
    page = tmp_path / "plots" / "years.html"
    assert page.exists() and "plotly" in page.read_text()[:2_000_000].lower()
    html = page.read_text()
    assert "heavy-industry-first" in html and "Consumption per head" in html
    pngs = list((tmp_path / "plots").glob("*.png"))
    if not pngs:  # kaleido is not a dependency: then the command says so
        assert "kaleido" in done.output


def test_per_year_caps_hours_and_floors_reach_the_plan(tmp_path: Path) -> None:
    e = synthetic_economy(40, seed=5)
    write_economy(e, tmp_path / "econ")
    done = run("years", tmp_path / "econ", "--years", "4", "--cap", "co2=100%,95%,90%,85%",
               "--hours", "1,1,0.97,0.95", "--floor", f"{e.products[0]}=0.05",
               "--objective", "discounted", "--json")  # fmt: skip
    assert done.exit_code == 0, done.output
    r = json.loads(done.stdout)["results"]["optimal"]
    co2 = np.array(r["use"]["co2"])
    cap = np.array(r["caps"]["co2"], dtype=float)
    np.testing.assert_allclose(cap / cap[0], [1.0, 0.95, 0.90, 0.85], rtol=1e-12)
    assert (co2 <= cap * (1 + 1e-7)).all()
    hours = np.array(r["caps"]["labour"], dtype=float)
    np.testing.assert_allclose(hours / hours[0], [1, 1, 0.97, 0.95], rtol=1e-12)


def test_bad_input_is_one_line() -> None:
    clean_error(run("years", "demo", "--strategy", "great-leap"), "great-leap")
    clean_error(run("years", "demo", "--cap", "steel=1"), "steel")
    clean_error(run("years", "demo", "--progress", "labour=fast"), "labour", "fast")
    clean_error(run("years", "demo", "--cap", "co2=1,2"), "2 values for 5 years")


def test_no_plan_exits_2() -> None:
    done = run("years", "demo", "--end-capacity", "3")  # triple the capacity in five years
    assert done.exit_code == 2, done.output
    assert "infeasible" in done.stdout


def test_real_process_prints_clean_json() -> None:
    done = run_process("years", "demo", "--years", "2", "--json")
    assert done.returncode == 0, done.stderr
    json.loads(done.stdout)  # nothing but JSON on stdout (HiGHS's banner kept off it)


def test_an_infeasible_later_year_is_printed_with_its_diagnosis() -> None:
    """The CO2 cap falls to 5 % in year 3: the year, the conflicting set and the ways out."""
    args = ("--floor", "D35=50000", "--cap", "co2=100%,100%,5%,5%,5%")
    done = run("years", "demo", *args)
    assert done.exit_code == 2, done.output
    out = " ".join(done.stdout.split())
    assert "infeasible in year 3: the floors of Electricity, gas, steam" in out
    assert "first failing year: year 3; conflicting set (minimal): caps: co2 · floors: D35" in out
    assert "co2 cap +" in out and "in every year" in out
    as_json = json.loads(run("years", "demo", *args, "--json").stdout)
    diagnosis = as_json["results"]["optimal"]["diagnosis"]
    assert diagnosis["year"] == 3 and diagnosis["conflict"]["floors"] == ["D35"]
    assert diagnosis["conflict"]["caps"] == ["co2"]
