"""The ``commonplan`` command, run in-process with Typer's CliRunner and once as a real process."""

from __future__ import annotations

import json
import re
from importlib.resources import files
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import scipy.sparse as sp
import typer
from numpy.testing import assert_allclose
from typer.core import TyperGroup

from cli_support import clean_error, run, run_process
from commonplan import (
    Economy,
    balance,
    demo_economy,
    embodied,
    read_economy,
    synthetic_economy,
    write_economy,
)
from commonplan.cli import app


@pytest.fixture(scope="module")
def sweden() -> Economy:
    return demo_economy()


@pytest.fixture(scope="module")
def sweden_dir() -> Path:
    """The shipped table that demo_economy() reads."""
    path = Path(str(files("commonplan") / "data" / "sweden_2016"))
    assert (path / "meta.json").is_file()
    return path


def tiny_dir(tmp_path: Path, A: list[list[float]]) -> Path:
    """A valid three-product economy on disk whose matrix is then replaced by ``A``."""
    good = Economy.from_arrays(
        np.full((3, 3), 0.1),
        [1.0, 2.0, 3.0],
        products=["steel", "coal", "bread"],
        final_demand={"households": [0.0, 1.0, 5.0]},
        name="tiny",
    )
    write_economy(good, tmp_path)
    sp.save_npz(tmp_path / "A.npz", sp.csr_matrix(np.array(A)))
    return tmp_path


# ---------------------------------------------------------------------- demo


def test_demo_shows_swedish_products_and_the_library_totals(sweden: Economy) -> None:
    result = run("demo")
    assert result.exit_code == 0, result.output
    for code, name in zip(sweden.products, sweden.names, strict=True):
        assert re.search(rf"│ {re.escape(code)}\s+│ {re.escape(name)}\s+│", result.stdout), code
    plan = balance(sweden)
    assert sweden.labour is not None
    hours = float(sweden.labour[sweden.techniques] @ plan.gross_output)  # l·x
    co2 = float(sweden.resources["co2"][sweden.techniques] @ plan.gross_output)
    shown = re.search(r"total labour: ([\d,]+) (\S+) · total co2: ([\d,]+)", result.stdout)
    assert shown, result.stdout
    assert abs(int(shown[1].replace(",", "")) - hours) <= 0.5
    assert shown[2] == sweden.units["labour"]
    assert abs(int(shown[3].replace(",", "")) - co2) <= 0.5
    assert f"solved by {plan.method}" in result.stdout
    for note in plan.notes:
        assert " ".join(note.split()[:4]) in result.stdout


def test_entry_point_runs_as_a_real_process(sweden: Economy) -> None:
    done = run_process("demo")
    assert done.returncode == 0, done.stderr
    assert "Traceback" not in done.stderr
    assert all(name in done.stdout for name in sweden.names)


@pytest.mark.parametrize("command", ["demo", "balance", "values", "synth"])
def test_help_shows_an_example(command: str) -> None:
    result = run(command, "--help")
    assert result.exit_code == 0
    assert re.search(rf"Example:\s+commonplan {command}\b", result.stdout)


# ---------------------------------------------------------------------- balance


def test_balance_json_matches_the_library(sweden: Economy, sweden_dir: Path) -> None:
    result = run("balance", sweden_dir, "--json")
    assert result.exit_code == 0, result.output
    got = json.loads(result.stdout)  # the whole of stdout is one JSON object
    plan = balance(sweden)
    assert list(got["gross_output"]) == list(sweden.products)
    assert_allclose(list(got["gross_output"].values()), plan.gross_output, rtol=1e-9)
    name, y = sweden.demand()
    assert got["final_demand_name"] == name
    lam = got["labour_values"]
    assert got["total_labour"] == pytest.approx(
        sum(lam[c] * y[i] for i, c in enumerate(sweden.products)), rel=1e-9
    )
    assert got["total_labour"] == pytest.approx(plan.total_labour, rel=1e-9)


def test_balance_table_of_a_large_economy_shows_the_largest(tmp_path: Path) -> None:
    e = synthetic_economy(200, seed=3)
    write_economy(e, tmp_path)
    result = run("balance", tmp_path, "--method", "gauss-seidel")
    assert result.exit_code == 0, result.output
    x = balance(e).gross_output
    shown = re.findall(r"│ (P\d+)\s+│", result.stdout)
    assert shown == [e.products[i] for i in np.argsort(-x, kind="stable")[:30]]
    assert "30 largest of 200 products" in result.stdout
    assert "gauss-seidel" in result.stdout


@pytest.mark.parametrize("suffix", [".csv", ".parquet"])
def test_balance_out_round_trips(sweden_dir: Path, tmp_path: Path, suffix: str) -> None:
    out = tmp_path / f"plan{suffix}"
    result = run("balance", sweden_dir, "--out", out)
    assert result.exit_code == 0, result.output
    if suffix == ".csv":
        back = pd.read_csv(out, index_col="product", dtype={"product": str, "name": str})
    else:
        back = pd.read_parquet(out)
    want = balance(read_economy(sweden_dir)).to_frame()
    pd.testing.assert_index_equal(back.index, want.index)
    assert list(back.columns) == list(want.columns)
    assert list(back["name"]) == list(want["name"])
    numeric = want.columns.drop("name")
    assert_allclose(back[numeric].to_numpy(), want[numeric].to_numpy(), rtol=1e-12)


def test_balance_demand_from_a_file(sweden: Economy, sweden_dir: Path, tmp_path: Path) -> None:
    demand = tmp_path / "demand.csv"
    demand.write_text("product,amount\nA01,100\nQ86,250.5\n")
    result = run("balance", sweden_dir, "--demand", demand, "--json")
    assert result.exit_code == 0, result.output
    got = json.loads(result.stdout)
    want = balance(sweden, {"A01": 100.0, "Q86": 250.5})
    assert_allclose(list(got["gross_output"].values()), want.gross_output, rtol=1e-9)
    assert got["gross_output"]["A01"] >= 100.0


def test_synth_then_balance(tmp_path: Path) -> None:
    out = tmp_path / "synth"
    result = run("synth", "1000", "--out", out, "--seed", "7")
    assert result.exit_code == 0, result.output
    assert "1000 products" in result.stdout
    result = run("balance", out, "--json")
    assert result.exit_code == 0, result.output
    got = json.loads(result.stdout)
    e = synthetic_economy(1000, seed=7)
    assert list(got["gross_output"]) == list(e.products)
    assert_allclose(list(got["gross_output"].values()), balance(e).gross_output, rtol=1e-9)


def test_values_json_matches_embodied(tmp_path: Path) -> None:
    e = synthetic_economy(50, techniques=2, seed=1)
    write_economy(e, tmp_path)
    result = run("values", tmp_path, "--json")
    assert result.exit_code == 0, result.output
    got = json.loads(result.stdout)["per_unit"]
    assert list(got) == ["labour", "co2"]
    for k in got:
        assert_allclose(list(got[k].values()), embodied(e, k), rtol=1e-9)
    table = run("values", tmp_path, "--resource", "co2")
    assert table.exit_code == 0
    assert "co2 per unit" in table.stdout and "labour per unit" not in table.stdout


# ---------------------------------------------------------------------- errors


def test_missing_path(tmp_path: Path) -> None:
    clean_error(run("balance", tmp_path / "nowhere"), "nowhere")


def test_unknown_demand_name(sweden_dir: Path, sweden: Economy) -> None:
    message = clean_error(run("balance", sweden_dir, "--demand", "nope"), "'nope'")
    assert all(k in message for k in sweden.final_demand)  # says what there is instead


def test_missing_demand_file(sweden_dir: Path, tmp_path: Path) -> None:
    clean_error(run("balance", sweden_dir, "--demand", tmp_path / "none.csv"), "none.csv")


def test_demand_file_without_the_columns(sweden_dir: Path, tmp_path: Path) -> None:
    bad = tmp_path / "demand.csv"
    bad.write_text("code,value\nA01,1\n")
    clean_error(run("balance", sweden_dir, "--demand", bad), "product,amount", "demand.csv")


def test_demand_file_with_an_unknown_product(sweden_dir: Path, tmp_path: Path) -> None:
    bad = tmp_path / "demand.csv"
    bad.write_text("product,amount\nXYZ9,1\n")
    clean_error(run("balance", sweden_dir, "--demand", bad), "XYZ9")


def test_not_productive(tmp_path: Path) -> None:
    path = tiny_dir(tmp_path, [[0.0, 0.9, 0.1], [1.2, 0.0, 0.1], [0.0, 0.0, 0.2]])
    message = clean_error(run("balance", path, columns=60), "not productive", "steel", "coal")
    assert len(message) > 60  # a long message stays on one line
    assert "bread" not in message.split("products")[1].split("together")[0]


def test_negative_cell_refused_then_clipped(tmp_path: Path) -> None:
    path = tiny_dir(tmp_path, [[0.1, 0.1, 0.1], [0.1, 0.1, -0.2], [0.1, 0.1, 0.1]])
    clean_error(run("balance", path), "A[coal, bread]", "--negatives clip")
    result = run("balance", path, "--negatives", "clip")
    assert result.exit_code == 0, result.output
    assert "clipped 1 negative" in result.stdout


def test_unknown_out_suffix(sweden_dir: Path, tmp_path: Path) -> None:
    clean_error(run("balance", sweden_dir, "--out", tmp_path / "plan.xlsx"), ".xlsx", ".parquet")
    assert not (tmp_path / "plan.xlsx").exists()


def test_unknown_resource(sweden_dir: Path) -> None:
    clean_error(run("values", sweden_dir, "--resource", "land"), "'land'", "co2")


def test_the_guide_documents_every_command_and_option() -> None:
    readme = (Path(__file__).parents[1] / "docs" / "cli.md").read_text(encoding="utf-8")
    group = typer.main.get_command(app)
    assert isinstance(group, TyperGroup)
    assert set(group.commands) >= {
        "demo",
        "balance",
        "values",
        "optimize",
        "synth",
        "vote",
        "board",
    }
    commands = []
    for name, command in group.commands.items():
        subcommands = getattr(command, "commands", None)
        if subcommands:  # a group: `commonplan vote cast`, …
            commands += [(f"{name} {sub}", c) for sub, c in subcommands.items()]
        else:
            commands.append((name, command))
    for name, command in commands:
        assert f"`commonplan {name}" in readme, name
        for param in command.params:
            for opt in param.opts:
                if opt.startswith("-") and opt != "--help":
                    assert f"`{opt}" in readme, f"{name} {opt}"
