"""Progress of long computations: the library's ``on_progress`` callbacks report rising fractions
that end at 1, and the command line draws them on a terminal only."""

from __future__ import annotations

import io
from pathlib import Path

import numpy as np
from rich.console import Console

from cli_support import run, run_process
from commonplan import federation
from commonplan.cli._common import progress
from commonplan.economy.io import read_economy
from commonplan.economy.synthetic import synthetic_economy, write_economy
from commonplan.plan.balance import balance
from commonplan.progress import Steps
from commonplan.store import Database

Calls = list[tuple[float, str]]


def _rising_to_one(calls: Calls) -> None:
    fractions = [f for f, _ in calls]
    assert fractions, "on_progress was never called"
    assert all(0.0 <= f <= 1.0 for f in fractions)
    assert fractions == sorted(fractions)
    assert fractions[-1] == 1.0 and fractions[0] < 1.0


def test_steps_weigh_each_step_and_never_go_back() -> None:
    calls: Calls = []
    steps = Steps(lambda f, s: calls.append((f, s)), [("a", 1.0), ("b", 3.0)])
    steps.begin("a")
    steps.advance(0.5)
    steps.begin("b")
    steps.advance(0.5)
    steps.advance(0.25)  # a step that reports less than before does not move the bar back
    steps.finish()
    assert calls == [
        (0.0, "a"),
        (0.125, "a"),
        (0.25, "b"),
        (0.625, "b"),
        (0.625, "b"),
        (1.0, "b"),
    ]


def test_a_step_made_of_a_computation_of_its_own_fills_its_share() -> None:
    calls: Calls = []
    steps = Steps(lambda f, s: calls.append((f, s)), [("reading", 1.0), ("solving", 3.0)])
    steps.begin("reading")
    inner = steps.part("solving")
    assert inner is not None
    inner(0.5, "the first half")
    inner(1.0, "the second half")
    steps.finish()
    assert calls == [
        (0.0, "reading"),
        (0.625, "the first half"),
        (1.0, "the second half"),
        (1.0, "solving"),
    ]
    assert Steps(None, [("solving", 1.0)]).part("solving") is None  # nobody listens


def test_synthetic_economy_and_writing_report_progress(tmp_path: Path) -> None:
    made: Calls = []
    economy = synthetic_economy(20_000, seed=4, on_progress=lambda f, s: made.append((f, s)))
    _rising_to_one(made)
    assert [s for _, s in made][:2] == ["drawing the inputs", "checking the economy"]
    # the callback changes nothing: the same economy as without it
    plain = synthetic_economy(20_000, seed=4)
    assert (economy.inputs != plain.inputs).nnz == 0
    written: Calls = []
    write_economy(economy, tmp_path / "e", on_progress=lambda f, s: written.append((f, s)))
    _rising_to_one(written)
    assert {s for _, s in written} == {"writing the coefficients", "writing the vectors"}
    assert np.array_equal(read_economy(tmp_path / "e").labour, economy.labour)


def test_balance_reports_its_ordering_then_its_solve() -> None:
    economy = synthetic_economy(5_000, seed=2)  # above DIRECT_MAX: Gauss–Seidel, ordered first
    calls: Calls = []
    result = balance(economy, on_progress=lambda f, s: calls.append((f, s)))
    assert result.method == "gauss-seidel"
    assert calls == [(0.0, "ordering the supply chains"), (0.8, "solving"), (1.0, "solving")]
    plain = balance(synthetic_economy(5_000, seed=2))
    assert np.array_equal(result.gross_output, plain.gross_output)


def test_adding_members_reports_progress_row_by_row(tmp_path: Path) -> None:
    db = Database(f"sqlite:///{tmp_path / 'p.db'}")
    federation.create_federation(
        db,
        {
            "name": "Big commune",
            "economy": "demo",
            "councils": [{"name": "Works", "kind": "workers", "processes": ["F"]}],
        },
    )
    rows = [{"handle": f"m{k}", "workers_council": "Works"} for k in range(2500)]
    calls: Calls = []
    added = federation.add_members(db, rows, on_progress=lambda f, s: calls.append((f, s)))
    db.dispose()
    assert added == 2500
    _rising_to_one(calls)
    # one report per thousand rows checked, each a third of the rows' share (checking is 1/3)
    checked = [f for f, s in calls if s == "checking the rows"]
    assert checked == [0.0, 1000 / 2500 / 3, 2000 / 2500 / 3]


def test_the_bar_is_drawn_on_a_terminal_only() -> None:
    terminal = io.StringIO()
    with progress("Generating", console=Console(file=terminal, force_terminal=True)) as tell:
        tell(0.5, "half way")
    assert "Generating" in terminal.getvalue()
    for forced, quiet in [(False, False), (True, True)]:  # not a terminal; --json
        sink = io.StringIO()
        console = Console(file=sink, force_terminal=forced)
        with progress("Generating", console=console, quiet=quiet) as tell:
            tell(0.5, "half way")
        assert sink.getvalue() == ""


def test_piped_output_has_no_progress_noise(tmp_path: Path) -> None:
    done = run_process("synth", "3000", "--out", str(tmp_path / "e"), "--seed", "1")
    assert done.returncode == 0, done.stderr
    assert done.stderr == ""
    assert done.stdout.startswith("wrote synthetic-3000 (3000 products")
    result = run("synth", "3000", "--out", tmp_path / "f", "--seed", "1")
    assert result.exit_code == 0 and result.stderr == ""
    assert result.stdout == done.stdout.replace(str(tmp_path / "e"), str(tmp_path / "f"))


def test_optimize_reports_the_gap_closing_and_the_same_plan() -> None:
    """A generated plan problem with several techniques a product (seed 50: column generation
    over technique sets): the bar rises through the solve — a point for each narrowing of the
    gap between the bounds — to 1, and watching changes nothing of the answer."""
    from commonplan.plan.optimize import optimize
    from commonplan.plan.stress import plan_case

    case = plan_case(50, n_max=400)
    kwargs = {**case.kwargs, "method": "structured", "diagnose": False}
    calls: Calls = []
    watched = optimize(case.economy, **kwargs, on_progress=lambda f, s: calls.append((f, s)))
    _rising_to_one(calls)
    during = [f for f, s in calls if s == "solving"]
    assert len(set(during)) >= 5 and max(during) < calls[-1][0]
    assert calls[0][1] == "solving" and calls[-1][1] == "checking the answer"
    plain = optimize(case.economy, **kwargs)
    assert watched.status == plain.status == "optimal"
    assert watched.objective_value == plain.objective_value
    assert np.array_equal(watched.activity, plain.activity)


def test_comparing_strategies_reports_each_in_turn() -> None:
    from commonplan.plan.years import compare

    economy = synthetic_economy(40, seed=3)
    calls: Calls = []
    names = ("balanced", "consumption-first")
    watched = compare(economy, names, years=3, on_progress=lambda f, s: calls.append((f, s)))
    _rising_to_one(calls)
    assert [s for _, s in calls] == ["deriving the capital", *names, names[-1]]
    assert [f for f, _ in calls] == [0.0, 1 / 9, 5 / 9, 1.0]
    plain = compare(economy, names, years=3)
    for name in names:
        assert watched.results[name].objective_value == plain.results[name].objective_value
