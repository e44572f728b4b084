"""Building and validating economies: every bad input gets an error that names what is wrong."""

from __future__ import annotations

import numpy as np
import pytest

import commonplan as cp

A2 = np.array([[0.1, 0.2], [0.3, 0.1]])


def test_from_arrays_builds_an_immutable_economy() -> None:
    e = cp.Economy.from_arrays(A2, [1.0, 2.0], products=["a", "b"], final_demand=[1.0, 1.0])
    assert e.n == e.m == 2 and e.single_technique
    assert e.products == ("a", "b") and e.processes == ("a", "b")
    with pytest.raises(ValueError, match="read-only"):
        e.labour[0] = 5.0  # type: ignore[index]
    with pytest.raises(ValueError, match="read-only"):
        e.inputs.data[0] = 5.0


def test_non_finite_cell_is_named() -> None:
    A = A2.copy()
    A[1, 0] = np.nan
    with pytest.raises(cp.NonFiniteError, match=r"A\[b, a\] = nan"):
        cp.Economy.from_arrays(A, [1.0, 1.0], products=["a", "b"])
    with pytest.raises(cp.NonFiniteError, match=r"labour.*b = inf"):
        cp.Economy.from_arrays(A2, [1.0, np.inf], products=["a", "b"])


def test_bad_cell_named_past_empty_columns() -> None:
    A = np.zeros((3, 3))
    A[0, 2], A[1, 2] = 0.1, -0.2  # columns a and b are empty: cell p = 1 is in column c
    with pytest.raises(cp.NegativeCoefficientError, match=r"1 negative .*: A\[b, c\] = -0.2;"):
        cp.Economy.from_arrays(A, [1.0, 1.0, 1.0], products=["a", "b", "c"])


def test_negative_cell_refused_or_clipped_on_request() -> None:
    A = A2.copy()
    A[0, 1] = -0.01
    with pytest.raises(cp.NegativeCoefficientError, match=r"A\[a, b\] = -0.01.*negatives='clip'"):
        cp.Economy.from_arrays(A, [1.0, 1.0], products=["a", "b"])
    e = cp.Economy.from_arrays(A, [1.0, 1.0], products=["a", "b"], negatives="clip")
    assert e.A.toarray()[0, 1] == 0.0
    assert len(e.adjustments) == 1 and "A[a, b]" in e.adjustments[0]


@pytest.mark.parametrize(
    ("kwargs", "error", "match"),
    [
        ({"A": np.ones((2, 3)) * 0.1}, cp.ShapeError, "square"),
        ({"products": ["a"]}, cp.ShapeError, "1 product labels for 2 products"),
        ({"products": ["a", "a"]}, cp.ShapeError, "duplicate product label.*a"),
        ({"labour": [1.0, 2.0, 3.0]}, cp.ShapeError, "labour has 3 entries, expected 2"),
        ({"labour": [1.0, -2.0]}, cp.NegativeCoefficientError, "negative labour.*b"),
        ({"final_demand": {"hh": [1.0]}}, cp.ShapeError, "final demand 'hh' has 1 entries"),
        ({"resources": {"co2": [1.0, np.nan]}}, cp.NonFiniteError, "resource 'co2'.*b = nan"),
    ],
)
def test_bad_shapes_and_values(kwargs: dict, error: type, match: str) -> None:
    args = {"A": A2, "labour": [1.0, 1.0], "products": ["a", "b"]} | kwargs
    with pytest.raises(error, match=match):
        cp.Economy.from_arrays(args.pop("A"), args.pop("labour"), **args)


def test_non_productive_block_is_named() -> None:
    A = np.array([[0.0, 0.7, 0.0], [0.0, 0.0, 0.9], [0.0, 1.3, 0.0]])  # b and c: ρ = √(0.9·1.3)
    with pytest.raises(cp.NotProductiveError, match=r"products b, c .*1\.08") as info:
        cp.Economy.from_arrays(A, [1.0, 1.0, 1.0], products=["a", "b", "c"])
    assert info.value.products == ("b", "c")
    assert info.value.spectral_radius == pytest.approx(np.sqrt(0.9 * 1.3))
    assert isinstance(info.value, cp.CommonplanError)


def test_column_sum_above_one_is_allowed_when_productive_and_noted() -> None:
    A = np.array([[0.0, 1.2], [0.1, 0.0]])  # column b sums to 1.2, but ρ = √0.12 < 1
    e = cp.Economy.from_arrays(A, [1.0, 1.0], products=["a", "b"], final_demand=[1.0, 1.0])
    assert any("column sum > 1" in note and "b (1.2)" in note for note in e.notes)
    assert cp.balance(e).residual < 1e-12


def test_zero_row_and_column_is_handled_and_noted() -> None:
    A = np.array([[0.1, 0.0, 0.2], [0.0, 0.0, 0.0], [0.3, 0.0, 0.1]])
    e = cp.Economy.from_arrays(
        A, [1.0, 0.0, 1.0], products=["a", "z", "c"], final_demand=[1.0, 5.0, 1.0]
    )
    assert any("z" in note and "all-zero row and column" in note for note in e.notes)
    r = cp.balance(e)
    assert r.gross_output[1] == pytest.approx(5.0)  # its output is its final demand
    assert r.labour_values[1] == 0.0


def test_processes_with_several_techniques() -> None:
    B = np.array([[0.0, 0.1, 0.2], [0.3, 0.0, 0.0]])
    e = cp.Economy.from_processes(
        B,
        ["a", "a", "b"],
        [1.0, 0.5, 1.0],
        products=["a", "b"],
        processes=["a.hand", "a.machine", "b"],
        final_demand=[1.0, 1.0],
    )
    assert not e.single_technique
    # a.machine: λa = 0.5 + 0.1 λa ⇒ 5/9; then λb = 1 + 0.2 λa = 10/9, and a.hand would cost
    # 1 + 0.3 λb = 4/3 > 5/9: the machine wins
    assert e.techniques.tolist() == [1, 2]
    assert cp.embodied(e) == pytest.approx([5 / 9, 10 / 9])
    with pytest.raises(cp.UnknownNameError, match=r"unknown product.*zz"):
        cp.Economy.from_processes(B, ["a", "zz", "b"], [1.0, 1.0, 1.0], products=["a", "b"])
    with pytest.raises(cp.ShapeError, match=r"no process makes product.*b"):
        cp.Economy.from_processes(B, ["a", "a", "a"], [1.0, 1.0, 1.0], products=["a", "b"])


def test_unknown_names() -> None:
    e = cp.Economy.from_arrays(A2, None, products=["a", "b"], final_demand={"hh": [1.0, 1.0]})
    with pytest.raises(cp.UnknownNameError, match="no labour input"):
        cp.embodied(e)
    with pytest.raises(cp.UnknownNameError, match="no resource 'water'"):
        cp.embodied(e, "water")
    with pytest.raises(cp.UnknownNameError, match="no final demand 'gov'; it has: hh"):
        cp.balance(e, "gov")
    r = cp.balance(e, {"b": 2.0})
    assert r.labour_values is None and r.total_labour is None
    assert r.final_demand.tolist() == [0.0, 2.0]


def test_bad_options_raise_data_errors() -> None:
    with pytest.raises(cp.DataError, match="negatives"):
        cp.Economy.from_arrays(np.zeros((2, 2)), np.ones(2), negatives="ignore")
    with pytest.raises(cp.DataError, match="feedback"):
        cp.synthetic_economy(5, feedback=2.0)


def test_plan_package_names_load_on_first_use() -> None:
    import commonplan.plan as plan
    from commonplan.plan.inputs import TargetGroup

    assert plan.TargetGroup is TargetGroup
    assert set(plan.__all__) >= {"OptimizeResult", "plan_years", "read_targets", "current_use"}
    with pytest.raises(AttributeError):
        _ = plan.nothing_here


# ---------------------------------------------------------------------- several techniques


def _two_ways(a2: float) -> cp.Economy:
    """A made by A1 (2 units of B each) or A2 (``a2`` units of B); B made with 1 unit of A;
    C apart.  Productive iff some technique for A needs less than one unit of B: ρ = √(a·1)."""
    return cp.Economy.from_processes(
        [[0.0, 0.0, 1.0, 0.0], [2.0, a2, 0.0, 0.0], [0.0, 0.0, 0.0, 0.3]],
        makes=[0, 0, 1, 2],
        labour=[1.0, 3.0, 1.0, 1.0],
        products=["A", "B", "C"],
        processes=["A1", "A2", "B", "C"],
    )


def test_no_mix_of_techniques_makes_a_net_output_is_refused_naming_the_products() -> None:
    with pytest.raises(cp.NotProductiveError, match="no mix of its techniques makes a net output "
                       "of A, B") as caught:  # fmt: skip
        _two_ways(1.5)  # every technique set has ρ ≥ √1.5 > 1
    assert caught.value.products == ("A", "B")  # C can be made: not named
    assert caught.value.spectral_radius == pytest.approx(np.sqrt(1.5))
    with pytest.raises(cp.NotProductiveError, match="A, B"):
        _two_ways(1.0)  # ρ = 1 exactly: the net output of A and B is always zero


def test_one_productive_technique_set_is_enough_and_plans_are_bounded() -> None:
    e = _two_ways(0.5)  # A2 with B (ρ = √0.5) is productive, A1 with B is not
    assert "column sum > 1" in " ".join(e.notes)
    plan = cp.optimize(e, targets={"A": 1.0, "B": 1.0}, caps={"labour": 20.0})
    assert plan.status == "optimal", plan.message
    # by hand: only A2 can run (A1 with B needs 2 B per A, B needs 1 A per B: a net loss);
    # t units of A and B net: x_A = t + x_B, x_B = t + 0.5 x_A → x_A = 4t, x_B = 3t,
    # labour 3·4t + 1·3t = 15 t = 20
    assert plan.fulfilment["targets"] == pytest.approx(20.0 / 15.0, rel=1e-9)
    assert plan.activity is not None and plan.activity[0] == pytest.approx(0.0, abs=1e-9)


def test_an_lp_decides_when_the_least_input_set_is_not_productive() -> None:
    """A1 uses the least input per unit (0.9 of B) but with B (1.2 of A) has ρ = √1.08 > 1;
    A2 (0.5 of B, 0.45 of C) with B has ρ = √0.6: the economy is accepted, and the plan starts
    from A2 — the structured solver agrees with HiGHS instead of calling the plan unbounded."""
    e = cp.Economy.from_processes(
        [[0.0, 0.0, 1.2, 0.0], [0.9, 0.5, 0.0, 0.0], [0.0, 0.45, 0.0, 0.0]],
        makes=[0, 0, 1, 2],
        labour=[1.0, 2.0, 1.0, 1.0],
        products=["A", "B", "C"],
        processes=["A1", "A2", "B", "C"],
    )
    structured = cp.optimize(e, targets={"A": 1.0}, caps={"labour": 10.0})
    highs = cp.optimize(e, targets={"A": 1.0}, caps={"labour": 10.0}, method="highs")
    assert structured.status == highs.status == "optimal", structured.message
    # by hand, A2 only: x_A = t + 0.6 x_A → x_A = 2.5 t, x_B = 1.25 t, x_C = 1.125 t;
    # labour 2·2.5 t + 1.25 t + 1.125 t = 7.375 t = 10
    assert structured.fulfilment["targets"] == pytest.approx(10 / 7.375, rel=1e-9)
    assert highs.fulfilment["targets"] == pytest.approx(10 / 7.375, rel=1e-7)
