"""``commonplan optimize``: the CLI over :func:`commonplan.optimize`, and the plan-input readers."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any, get_args

import numpy as np
import pytest

from cli_support import clean_error, run, run_process
from commonplan import (
    Economy,
    FormatError,
    TargetGroup,
    UnknownNameError,
    current_use,
    demo_economy,
    optimize,
    synthetic_economy,
    write_economy,
)
from commonplan.cli.economy import PlanMethod
from commonplan.plan.inputs import read_amounts, read_targets
from commonplan.plan.optimize import METHODS

CO2_70 = ("--cap", "labour=100%", "--cap", "co2=70%")


@pytest.fixture(scope="module")
def sweden() -> Economy:
    return demo_economy()


@pytest.fixture(scope="module")
def synth_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """30 products, two techniques each, no gross output (so no default cap)."""
    path = tmp_path_factory.mktemp("synth")
    write_economy(synthetic_economy(30, techniques=2, seed=1), path)
    return path


def optimize_json(*args: str | Path, exit_code: int = 0) -> dict[str, Any]:
    result = run("optimize", *args, "--json")
    assert result.exit_code == exit_code, result.output
    got: dict[str, Any] = json.loads(result.stdout)  # the whole of stdout is one JSON object
    return got


def targets_csv(path: Path) -> Path:
    """Two groups; the first non-empty weight / ceiling of each counts."""
    path.write_text(
        "product,amount,group,weight,ceiling\n"
        "A01,100,food,,\n"
        "C10T12,300,food,2,\n"
        "\n"
        "Q86,500,health,1,1\n"
        "P85,200,health,3,5\n"
    )
    return path


TWO_GROUPS = [
    TargetGroup("food", {"A01": 100.0, "C10T12": 300.0}, weight=2.0),
    TargetGroup("health", {"Q86": 500.0, "P85": 200.0}, weight=1.0, ceiling=1.0),
]


# ---------------------------------------------------------------------- results


def test_json_fulfilment_is_the_library_s(sweden: Economy) -> None:
    got = optimize_json("demo", *CO2_70)
    want = optimize(sweden, caps={"labour": "100%", "co2": "70%"})
    assert got["status"] == want.status == "optimal"
    assert got["fulfilment"].keys() == want.fulfilment.keys() == {"domestic_final_demand"}
    for group, level in want.fulfilment.items():
        assert got["fulfilment"][group] == pytest.approx(level, rel=1e-9)
    assert 0.5 < got["fulfilment"]["domestic_final_demand"] < 1  # co2, not labour, limits
    assert got["binding"] == list(want.binding)
    assert "cap co2" in got["binding"] and "cap labour" not in got["binding"]
    assert got["caps"]["co2"] == pytest.approx(0.7 * current_use(sweden, "co2"), rel=1e-12)
    assert got["use"]["co2"] == pytest.approx(got["caps"]["co2"], rel=1e-7)
    assert set(got) >= {"activity", "shadow_prices", "diagnosis", "techniques", "use"}
    assert got["diagnosis"] is None


def test_table_shows_fulfilment_caps_and_scarcest_products(sweden: Economy) -> None:
    result = run("optimize", "demo", *CO2_70)
    assert result.exit_code == 0, result.output
    out = result.stdout
    want = optimize(sweden, caps={"labour": "100%", "co2": "70%"})
    assert "optimal" in out.splitlines()[0]
    assert f"{100 * want.fulfilment['domestic_final_demand']:.1f} %" in out
    assert re.search(r"^│ co2 .*│\s+● │$", out, flags=re.MULTILINE), out
    assert re.search(r"^│ labour .*│\s+│$", out, flags=re.MULTILINE)  # labour's has no mark
    # labour does not bind, so prices are in co2; the ten highest, in order
    assert "in co2" in out and "in labour" not in out
    top = np.argsort(-want.prices_in("co2"), kind="stable")[:10]
    prices = out.split("scarcest products")[1]
    shown = re.findall(r"^│ (\S+)\s+│", prices, flags=re.MULTILINE)
    assert shown == [sweden.products[i] for i in top]
    assert "mixed techniques: none" in out


def test_prices_in_labour_hours_when_labour_binds(sweden: Economy) -> None:
    result = run("optimize", "demo")  # default: labour capped at today's hours
    assert result.exit_code == 0, result.output
    want = optimize(sweden)
    hours = want.prices_in("labour")
    i = int(np.argmax(want.shadow_prices))
    assert "in labour" in result.stdout
    assert re.search(rf"│ {re.escape(sweden.products[i])} .*│\s+{hours[i]:,.0f} │", result.stdout)
    assert "no caps given" in result.stdout  # the library's note is shown


def test_two_target_groups_weighted(sweden: Economy, tmp_path: Path) -> None:
    path = targets_csv(tmp_path / "targets.csv")
    args = ("demo", "--targets", path, "--objective", "max_weighted", "--cap", "co2=0.01%")
    got = optimize_json(*args)
    want = optimize(sweden, targets=TWO_GROUPS, objective="max_weighted", caps={"co2": "0.01%"})
    assert list(got["fulfilment"]) == ["food", "health"]
    assert got["fulfilment"]["health"] == pytest.approx(1.0)  # its ceiling
    assert 0 < got["fulfilment"]["food"] < 1
    for group, level in want.fulfilment.items():
        assert got["fulfilment"][group] == pytest.approx(level, rel=1e-9)
    assert "ceiling health" in got["binding"]
    table = run("optimize", *args)
    assert table.exit_code == 0, table.output
    assert re.search(rf"│ food\s+│\s+{100 * want.fulfilment['food']:.1f} % │", table.stdout)
    assert re.search(r"│ health\s+│\s+100\.0 % │", table.stdout)


def test_floor_from_a_file_is_the_floor_by_name(sweden: Economy, tmp_path: Path) -> None:
    name, y = sweden.demand()
    floor = tmp_path / "floor.csv"
    rows = [f"{c},{float(v)!r}" for c, v in zip(sweden.products, y, strict=True) if v]
    floor.write_text("product,amount\n" + "\n".join(rows) + "\n")
    by_file = optimize_json("demo", "--floor", floor, "--cap", "co2=120%")
    by_name = optimize_json("demo", "--floor", name, "--cap", "co2=120%")
    assert by_file["fulfilment"] == pytest.approx(by_name["fulfilment"], rel=1e-9)
    want = optimize(sweden, floors=name, caps={"co2": "120%"})
    assert by_file["fulfilment"] == pytest.approx(want.fulfilment, rel=1e-9)
    assert 0.1 < want.fulfilment[name] < 0.3  # what 120 % of today's co2 leaves above the floor


def test_min_labour(sweden: Economy) -> None:
    want = optimize(sweden, objective="min_labour")
    got = optimize_json("demo", "--objective", "min_labour", "--method", "highs")
    assert got["fulfilment"] == {"domestic_final_demand": pytest.approx(1.0)}
    assert got["use"]["labour"] == pytest.approx(want.use["labour"], rel=1e-7)
    table = run("optimize", "demo", "--objective", "min_labour")
    assert f"objective min_labour: {want.use['labour']:,.0f} hours of labour" in table.stdout


def test_capacity_mixes_techniques(synth_dir: Path) -> None:
    e = synthetic_economy(30, techniques=2, seed=1)
    free = optimize(e, caps={"labour": 1000})
    process = free.techniques["P00"]
    half = float(free.activity[e.processes.index(process)]) / 2  # type: ignore[index]
    limit = f"{process}={half!r}"
    got = optimize_json(synth_dir, "--cap", "labour=1000", "--capacity", limit)
    want = optimize(e, caps={"labour": 1000}, capacities={process: half})
    assert got["mixed"] == list(want.mixed) == ["P00"]
    assert f"capacity {process}" in got["binding"]
    assert got["fulfilment"] == pytest.approx(want.fulfilment, rel=1e-9)
    assert got["fulfilment"]["households"] < free.fulfilment["households"]
    table = run("optimize", synth_dir, "--cap", "labour=1000", "--capacity", limit)
    assert re.search(r"mixed techniques: P00 — P00\.0 [\d.]+ %, P00\.1 [\d.]+ %", table.stdout)
    assert re.search(rf"^│ {re.escape(process)} .*│\s+● │$", table.stdout, flags=re.MULTILINE)


# ---------------------------------------------------------------------- no optimal plan


INFEASIBLE = ("--floor", "domestic_final_demand", "--cap", "co2=50%")


def test_infeasible_exits_2_with_the_diagnosis() -> None:
    got = optimize_json("demo", *INFEASIBLE, exit_code=2)
    assert got["status"] == "infeasible"
    assert got["diagnosis"]["conflict"]["caps"] == ["co2"]
    assert got["diagnosis"]["relaxations"]
    table = run("optimize", "demo", *INFEASIBLE)
    assert table.exit_code == 2
    assert "Traceback" not in table.output
    assert "infeasible" in table.stdout.splitlines()[0]
    assert "diagnosis: infeasible:" in table.stdout
    assert "conflicting set (minimal): caps: co2 · floors:" in table.stdout
    assert re.search(r"│ co2 cap \+[\d.]+ %\s+│\s+[\d,]+ kt CO2 │", table.stdout)


def test_unbounded_exits_2(synth_dir: Path) -> None:
    got = optimize_json(synth_dir, exit_code=2)  # no gross output, so no default cap
    assert got["status"] == "unbounded"
    table = run("optimize", synth_dir)
    assert table.exit_code == 2
    assert "unbounded" in table.stdout and "give a cap" in table.stdout


@pytest.mark.parametrize("args", [CO2_70, INFEASIBLE])
def test_json_is_clean_from_a_real_process(args: tuple[str, ...]) -> None:
    """HiGHS writes to the C-level stdout, which CliRunner does not see: run a real process."""
    done = run_process("optimize", "demo", *args, "--json", "--method", "highs")
    assert done.returncode == (0 if args == CO2_70 else 2), done.stderr
    assert "Traceback" not in done.stderr
    got = json.loads(done.stdout)
    assert got["status"] in ("optimal", "infeasible")
    assert got["method"].startswith("highs")


# ---------------------------------------------------------------------- bad input


def test_help_documents_the_exit_status() -> None:
    result = run("optimize", "--help")
    assert result.exit_code == 0
    assert re.search(r"Example:\s+commonplan optimize demo", result.stdout)
    assert "Exit status: 0 an optimal plan; 1 bad input" in " ".join(result.stdout.split())
    assert set(get_args(PlanMethod)) == set(METHODS)


@pytest.mark.parametrize(
    ("args", "names"),
    [
        (("--cap", "foo=1"), ["'foo'", "co2"]),
        (("--cap", "co2=abc"), ["'co2'", "'abc'", "not a number"]),
        (("--cap", "co2"), ["--cap", "NAME=VALUE"]),
        (("--cap", "co2=1", "--cap", "co2=2"), ["co2", "twice"]),
        (("--cap", "co2=-5"), ["'co2'", "≥ 0"]),
        (("--capacity", "A01=lots"), ["--capacity A01", "'lots'"]),
        (("--capacity", "Z99=1"), ["'Z99'", "process"]),
        (("--targets", "households"), ["'households'", "domestic_final_demand"]),
        (("--objective", "min_land"), ["'land'", "co2"]),
        (("--objective", "most"), ["'most'", "max_weighted"]),
    ],
)
def test_bad_options(args: tuple[str, ...], names: list[str]) -> None:
    clean_error(run("optimize", "demo", *args), *names)


@pytest.mark.parametrize(
    ("option", "text", "names"),
    [
        ("--targets", "product,amount\nA01,1\n\nXYZ9,2\n", ["XYZ9", "line 4"]),
        ("--floor", "product,amount\nA01,1\nXYZ9,2\n", ["XYZ9", "line 3"]),
        ("--floor", "product,amount\nA01,-5\n", ["line 2", "A01", "'-5'", "≥ 0"]),
        ("--targets", "product,amount\nA01,-5\n", ["line 2", "A01", "'-5'"]),
        ("--targets", "product,amount\nA01,many\n", ["line 2", "A01", "'many'"]),
        ("--targets", "product,amount\nA01,\n", ["line 2", "A01"]),
        ("--targets", "code,value\nA01,1\n", ["product,amount", "missing product, amount"]),
        ("--targets", "product,amount,group\nA01,1,a\nA01,2,a\n", ["'A01'", "line 3", "'a'"]),
        ("--targets", "product,amount,group\nA01,1,a\nB,2,\n", ["no group on line(s) 3"]),
        ("--targets", "product,amount,group,weight\nA01,1,a,0\n", ["weight", "line 2"]),
        ("--targets", "product,amount,ceiling\nA01,1,x\n", ["ceiling", "line 2", "'x'"]),
    ],
)
def test_bad_csv_files(tmp_path: Path, option: str, text: str, names: list[str]) -> None:
    path = tmp_path / "plan.csv"
    path.write_text(text)
    clean_error(run("optimize", "demo", option, path), "plan.csv", *names)


def test_missing_file_and_bad_usage(tmp_path: Path) -> None:
    clean_error(run("optimize", "demo", "--floor", tmp_path / "none.csv"), "none.csv")
    clean_error(run("optimize", tmp_path / "nowhere"), "nowhere")
    usage = run("optimize", "demo", "--method", "fast")
    assert usage.exit_code == 1  # a malformed command line is bad input, not "no plan"
    assert "'fast'" in usage.output


# ---------------------------------------------------------------------- the readers


def test_read_targets(sweden: Economy, tmp_path: Path) -> None:
    groups = read_targets(targets_csv(tmp_path / "t.csv"), sweden)
    assert groups == TWO_GROUPS
    plain = tmp_path / "plain.csv"
    plain.write_text("product,amount\nA01,1.5\nB,2\n")
    assert read_targets(plain, sweden) == [TargetGroup("targets", {"A01": 1.5, "B": 2.0})]
    same = tmp_path / "same.csv"
    same.write_text("product,amount,group\nA01,1,a\nA01,2,b\n")  # one product, two groups
    assert [g.amounts for g in read_targets(same, sweden)] == [{"A01": 1.0}, {"A01": 2.0}]


def test_read_amounts(sweden: Economy, tmp_path: Path) -> None:
    path = tmp_path / "y.csv"
    path.write_text(" product , amount ,note\n A01 , -2.5 ,net exports\n\nQ86,1e3,\n")
    assert read_amounts(path, sweden) == {"A01": -2.5, "Q86": 1000.0}
    with pytest.raises(FormatError, match=r"line 2 \(A01\) = '-2.5'"):
        read_amounts(path, sweden, allow_negative=False)
    path.write_text("product,amount\nA01,1\nA01,2\n")
    with pytest.raises(FormatError, match=r"listed twice: 'A01' \(line 3\)"):
        read_amounts(path, sweden)
    path.write_text("product,amount\nnope,1\n")
    with pytest.raises(UnknownNameError, match=r"'nope' \(line 2\)"):
        read_amounts(path, sweden)
