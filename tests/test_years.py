"""Multi-year plans: Feldman's closed form, stock-flow identities, the forms against one another,
and a strategy comparison on the Swedish table checked by an independent recomputation."""

from __future__ import annotations

import copy
import dataclasses
from collections.abc import Callable

import numpy as np
import pytest
import scipy.sparse as sp

from commonplan import Economy, PlanInputError, UnknownNameError, demo_economy, synthetic_economy
from commonplan.numerics.multiyear import YearsProblem, capacity_path, solve_years
from commonplan.plan.capital import capital_from_coefficients, derive_capital
from commonplan.plan.years import STRATEGIES, YearsResult, compare, plan_years

# ---------------------------------------------------------------------- Feldman's two sectors

V_K, V_C, DELTA, GAMMA = 2.0, 1.5, 0.05, 0.6  # capital-output ratios, depreciation, λ_K


def feldman(gamma: float = GAMMA) -> tuple[Economy, object]:
    """Product K (capital goods, made with capital only) and C (consumer goods)."""
    e = Economy.from_processes(
        np.zeros((2, 2)),
        [0, 1],
        [1.0, 1.0],
        products=["K", "C"],
        final_demand={"c": [0.0, 1.0]},
        name="feldman",
    )
    capital = capital_from_coefficients(
        e, [[V_K, V_C], [0.0, 0.0]], depreciation=DELTA, capital_goods=["K"]
    )
    return e, capital


def feldman_plan(gamma: float, years: int, method: str = "auto") -> YearsResult:
    e, capital = feldman()
    return plan_years(
        e,
        years=years,
        capital=capital,  # type: ignore[arg-type]
        strategy="heavy-industry-first",
        share=gamma,
        objective="discounted",
        discount=0.9,
        consumption=[0.0, 1.0],
        labour=None,
        capacity=[1.0, 1.0],
        end_capacity=0.0,
        method=method,
    )


@pytest.mark.parametrize("gamma", [0.3, 0.6, 0.9])
def test_feldman_growth_rates_closed_form(gamma: float) -> None:
    """K_k grows at g = γ / v_k − δ; K_c follows A (1 + g)^t + (K_c0 − A)(1 − δ)^t."""
    T = 14
    r = feldman_plan(gamma, T)
    assert r.success, r.message
    assert r.capacity is not None and r.fulfilment is not None
    g = gamma / V_K - DELTA
    t = np.arange(T)  # capacity in years 1 … T (the end capacity depends on an idle last year)
    np.testing.assert_allclose(r.capacity[:T, 0], (1 + g) ** t, rtol=1e-9)
    A = (1 - gamma) / (V_C * (g + DELTA))
    expected_c = A * (1 + g) ** t + (1 - A) * (1 - DELTA) ** t
    np.testing.assert_allclose(r.capacity[:T, 1], expected_c, rtol=1e-9)
    np.testing.assert_allclose(r.fulfilment, expected_c, rtol=1e-9)  # consumer capacity used
    # consumer capacity's growth converges to the capital sector's
    gap = np.abs(r.capacity[1:T, 1] / r.capacity[: T - 1, 1] - (1 + g))
    assert (np.diff(gap) < 0).all() and gap[-1] < 0.3 * gap[0]
    assert r.check() == []


def test_feldman_projected_equals_full_highs() -> None:
    a, b = feldman_plan(GAMMA, 6, "projected"), feldman_plan(GAMMA, 6, "full")
    assert a.method == "projected" and b.method.startswith("full")
    np.testing.assert_allclose(a.fulfilment, b.fulfilment, rtol=1e-8)  # type: ignore[arg-type]
    assert a.objective_value == pytest.approx(b.objective_value, rel=1e-9)


def test_feldman_share_holds_and_more_share_means_faster_capital_growth() -> None:
    low, high = feldman_plan(0.3, 6), feldman_plan(0.9, 6)
    for r, gamma in ((low, 0.3), (high, 0.9)):
        assert r.investment is not None
        inv = r.investment[:5, 0]  # capital goods installed (all investment is good K)
        to_k = r.new_capacity[:5, 0] * V_K  # type: ignore[index]
        np.testing.assert_allclose(to_k, gamma * inv, rtol=1e-9)
    assert high.capacity[5, 0] > low.capacity[5, 0]  # type: ignore[index]
    assert high.fulfilment[1] < low.fulfilment[1]  # type: ignore[index]  # consumption waits


# ---------------------------------------------------------------------- stock-flow identities


@pytest.fixture(scope="module")
def synth() -> Economy:
    return synthetic_economy(80, seed=3)


@pytest.mark.parametrize("strategy", list(STRATEGIES))
@pytest.mark.parametrize("lag", [1, 2])
def test_stock_flow_identities_every_year(synth: Economy, strategy: str, lag: int) -> None:
    r = plan_years(
        synth,
        strategy=strategy,
        lag=lag,
        progress={"labour": 0.02},
        labour_growth=0.01,
        floors={p: 0.1 for p in synth.products[:10]},
    )
    assert r.success, r.message
    K, N, S, D, I = r.capacity, r.new_capacity, r.capital_stock, r.depreciation, r.investment
    assert K is not None and N is not None and S is not None and D is not None and I is not None
    delta = r.capital.depreciation
    Kc = r.capital.coefficients.toarray()
    for t in range(r.T):
        arriving_N = N[t + 1 - lag] if t + 1 >= lag else delta * K[0]  # pipeline: replacement
        np.testing.assert_allclose(K[t + 1], (1 - delta) * K[t] + arriving_N, rtol=1e-12)
        arriving_I = I[t + 1 - lag] if t + 1 >= lag else Kc @ (delta * K[0])
        np.testing.assert_allclose(S[t + 1], S[t] - D[t] + arriving_I, rtol=1e-9, atol=1e-9)
        np.testing.assert_allclose(S[t], Kc @ K[t], rtol=1e-12)
    assert r.check() == []


# ---------------------------------------------------------------------- the forms agree


def _problem(e: Economy, strategy: str, objective: str) -> YearsProblem:
    capital = derive_capital(e)
    r = plan_years(e, strategy=strategy, objective="discounted", method="projected", years=4)
    P = r.problem
    if objective == "min_input":
        P = P.with_(objective="min_input", phi=np.eye(1, P.k, 0)[0], c_lo=np.array([0, 0, 0, 1.0]))
    elif objective == "max_min":
        P = P.with_(objective="max_min")
    assert capital.products == e.products
    return P


@pytest.mark.parametrize("strategy", STRATEGIES)
@pytest.mark.parametrize("objective", ["max_min", "discounted", "min_input"])
def test_projected_condensed_full_agree(synth: Economy, strategy: str, objective: str) -> None:
    P = _problem(synth, strategy, objective)
    sols = {form: solve_years(P, form=form) for form in ("projected", "condensed", "full")}
    statuses = {s.status for s in sols.values()}
    assert len(statuses) == 1, {f: s.status for f, s in sols.items()}
    if statuses == {"optimal"}:
        ref = sols["full"].objective
        for form, s in sols.items():
            assert s.objective == pytest.approx(ref, rel=1e-7, abs=1e-9), form
        np.testing.assert_allclose(sols["projected"].c, sols["full"].c, rtol=1e-6, atol=1e-7)


def test_capacity_path_is_the_recursion() -> None:
    P = _problem(synthetic_economy(20, seed=1), "optimal", "discounted").with_(lag=2)
    P = P.with_(pipeline=np.ones((1, P.m)))
    N = np.arange(P.T * P.m, dtype=float).reshape(P.T, P.m)
    K = capacity_path(P, N)
    assert np.allclose(K[1], (1 - P.delta) * P.K0 + 1.0)
    assert np.allclose(K[3], (1 - P.delta) * K[2] + N[1])


# ---------------------------------------------------------------------- Sweden, end to end


@pytest.fixture(scope="module")
def sweden() -> Economy:
    return demo_economy()


@pytest.fixture(scope="module")
def sweden_comparison(sweden: Economy):  # type: ignore[no-untyped-def]
    return compare(
        sweden,
        ["heavy-industry-first", "balanced", "consumption-first", "optimal"],
        progress={"labour": 0.02},
        labour_growth=0.005,
        caps={"co2": "100%"},
        floors={"Q86": 250_000.0, "Q87_88": 250_000.0},
    )


def test_sweden_comparison_independent_recomputation(sweden: Economy, sweden_comparison) -> None:  # type: ignore[no-untyped-def]
    """Every constraint recomputed with plain numpy from z_t, N_t, K_t and the table's own A."""
    A = sweden.A.toarray()
    l = sweden.labour
    co2 = sweden.resources["co2"]
    d = sweden.resources["capital_consumption"]
    x0 = sweden.gross_output
    hours0 = float(l @ x0)
    co2_0 = float(co2 @ x0)
    delta = 0.06
    s = np.zeros(sweden.n)
    cap_codes = ["C25", "C26", "C27", "C28", "C29", "C30", "C33", "F", "J62_63", "M71-72"]
    idx = [sweden.products.index(c) for c in cap_codes]
    y = sweden.final_demand["domestic_final_demand"]
    s[idx] = y[idx] / y[idx].sum()
    Kc = np.outer(s, d / delta)  # the documented derivation, recomputed
    gfcf = s * (1 + 0.02 / delta) * float(d @ x0)
    Y = np.maximum(y - gfcf, 0.0)
    floors = np.zeros(sweden.n)
    floors[sweden.products.index("Q86")] = floors[sweden.products.index("Q87_88")] = 250_000.0
    for name, r in sweden_comparison.results.items():
        assert r.success, (name, r.message)
        z, N, K, c = r.activity, r.new_capacity, r.capacity, r.fulfilment
        np.testing.assert_allclose(r.capital.coefficients.toarray(), Kc, rtol=1e-9)
        assert np.allclose(K[0], x0)
        for t in range(5):
            net = z[t] - A @ z[t]
            invest = Kc @ N[t]
            assert (net - invest - floors - c[t] * Y >= -1e-6 * np.maximum(np.abs(net), 1)).all()
            assert (z[t] <= K[t] * (1 + 1e-7) + 1e-6).all()
            assert float((0.98**t) * l @ z[t]) <= hours0 * 1.005**t * (1 + 1e-7)
            assert float(co2 @ z[t]) <= co2_0 * (1 + 1e-7)
            assert np.allclose(K[t + 1], (1 - delta) * K[t] + N[t], rtol=1e-10)
            assert (net - floors >= -1e-6 * np.maximum(floors, 1)).all()  # floors, every year
        assert (K[5] >= x0 * (1 - 1e-7) - 1e-6).all()  # capacity not run down
        summary = r.summary()
        for t in range(5):  # the reported figures are these arrays' sums
            assert summary["labour"][t] == pytest.approx((0.98**t) * l @ z[t], rel=1e-9)
            assert summary["investment"][t] == pytest.approx(float((Kc @ N[t]).sum()), rel=1e-9)
    hif = sweden_comparison.results["heavy-industry-first"]
    v = d / delta
    cap_mask = np.isin(np.array(sweden.products), cap_codes)
    for t in range(4):
        installed = v * hif.new_capacity[t]
        assert installed[cap_mask].sum() == pytest.approx(0.5 * installed.sum(), rel=1e-8)
    cf = sweden_comparison.results["consumption-first"]
    for t in range(5):
        np.testing.assert_allclose(cf.new_capacity[t], delta * cf.capacity[t], rtol=1e-9)


def test_sweden_strategies_rank_as_theory_says(sweden_comparison) -> None:  # type: ignore[no-untyped-def]
    """The optimum is at least as good as every strategy on the objective (max-min), and the
    frame has one row per strategy and year."""
    res = sweden_comparison.results
    best = res["optimal"].objective_value
    for name, r in res.items():
        assert r.objective_value <= best * (1 + 1e-8), name
    frame = sweden_comparison.to_frame()
    assert len(frame) == 20
    assert set(frame["strategy"]) == set(res)
    assert {"consumption_per_head", "investment_share", "labour", "co2", "capacity_built"} <= set(
        frame.columns
    )
    assert {"output capital goods", "output consumer goods and services"} <= set(frame.columns)
    assert res["heavy-industry-first"].to_dict()["summary"]["fulfilment"][0] > 0


# ---------------------------------------------------------------------- objectives and inputs


def test_min_labour_reaches_end_targets_every_floor_holding(synth: Economy) -> None:
    r = plan_years(
        synth,
        objective="min_labour",
        labour=None,
        consumption_floor=0.5,
        progress={"labour": 0.03},
    )
    assert r.success, r.message
    assert r.fulfilment is not None
    assert r.fulfilment[-1] >= 1 - 1e-9
    assert (r.fulfilment >= 0.5 - 1e-9).all()
    total = sum(r.use["labour"])
    assert r.objective_value == pytest.approx(total, rel=1e-8)
    more = plan_years(
        synth, objective="min_labour", labour=None, consumption_floor=0.8, progress={"labour": 0.03}
    )
    assert more.objective_value > r.objective_value  # a higher floor costs labour
    assert r.check() == []


def test_infeasible_is_a_result(synth: Economy) -> None:
    r = plan_years(synth, consumption_floor=3.0)
    assert r.status == "infeasible" and not r.success
    assert r.to_dict()["status"] == "infeasible"
    assert np.isnan(r.summary()["fulfilment"]).all()


def test_inputs_are_checked_with_names(sweden: Economy) -> None:
    with pytest.raises(PlanInputError, match="strategy"):
        plan_years(sweden, strategy="five-year")
    with pytest.raises(UnknownNameError, match="steel"):
        plan_years(sweden, caps={"steel": 1.0})
    with pytest.raises(UnknownNameError, match="XX"):
        plan_years(sweden, floors={"XX": 1.0})
    with pytest.raises(PlanInputError, match="years"):
        plan_years(sweden, years=0)
    too_much = plan_years(sweden, floors={"Q86": 1e9})  # year 1: a result, diagnosed
    assert too_much.status == "infeasible" and too_much.diagnosis is not None
    assert too_much.diagnosis.year == 1 and too_much.diagnosis.floors == ("Q86",)
    assert too_much.message.startswith("infeasible in year 1: the floors of Human health")
    with pytest.raises(PlanInputError, match="3 values for 5 years"):
        plan_years(sweden, caps={"co2": [1.0, 2.0, 3.0]})
    with pytest.raises(UnknownNameError, match="progress"):
        plan_years(sweden, progress={"robots": 0.1})


def test_lower_hours_mean_less_consumption(synth: Economy) -> None:
    full = plan_years(synth, objective="discounted")
    short = plan_years(synth, objective="discounted", hours=[1, 0.95, 0.9, 0.9, 0.9])
    assert short.objective_value < full.objective_value
    assert short.caps["labour"][2] == pytest.approx(0.9 * full.caps["labour"][2])


def test_several_techniques_use_the_full_lp() -> None:
    e = synthetic_economy(25, techniques=2, seed=2)
    r = plan_years(e, years=3)
    assert r.success and r.method.startswith("full")
    assert r.check() == []
    with pytest.raises(PlanInputError, match="projected"):
        plan_years(e, years=3, method="projected")


def test_problem_matrix_shapes_are_validated() -> None:
    P = _problem(synthetic_economy(10, seed=0), "optimal", "discounted")
    with pytest.raises(PlanInputError, match="f has shape"):
        solve_years(P.with_(f=np.zeros((2, 3))))
    with pytest.raises(PlanInputError, match="S is"):
        solve_years(P.with_(S=sp.csc_array(np.ones((3, 1)))))


def test_the_numerics_speak_the_planners_strategy_names() -> None:
    r = plan_years(synthetic_economy(20, seed=1), years=3, strategy="heavy-industry-first")
    assert r.problem.strategy == "heavy-industry-first"
    P = r.problem.with_(strategy="share")  # the old internal word is refused
    with pytest.raises(PlanInputError, match="strategy must be one of"):
        solve_years(P)


def test_capacity_vector_names_the_bad_processes() -> None:
    e = synthetic_economy(10, seed=0)
    bad = np.ones(e.m)
    bad[3] = -2.0
    with pytest.raises(PlanInputError, match=rf"capacity must be finite and ≥ 0.*{e.processes[3]}"):
        plan_years(e, years=2, capacity=bad)


# ---------------------------------------------------------------------- infeasible years diagnosed


def _limits_only(P: YearsProblem, year: int | None, keep: dict[str, set[int]]) -> YearsProblem:
    """Years 1 … ``year`` of P (the whole plan for None) with only the limits in ``keep``:
    other floors 0, caps inf, consumption minimum 0, capacities 10⁶ × the largest."""
    from commonplan.numerics.multiyear.diagnosis import truncated

    Q = P if year is None else truncated(P, year)
    f = Q.f.copy()
    f[:, [i for i in range(P.n) if i not in keep["floor"]]] = 0.0
    cap = Q.cap.copy()
    cap[:, [q for q in range(P.k) if q not in keep["cap"]]] = np.inf
    K0 = Q.K0.copy()
    free = [k for k in range(P.m) if k not in keep["capacity"]]
    K0[free] = 1e6 * P.K0.max()
    return Q.with_(
        f=f,
        cap=cap,
        K0=K0,
        K_end=Q.K_end if keep["end"] else np.zeros(P.m),
        c_lo=Q.c_lo if keep["consumption"] else np.zeros(Q.T),
    )


def _members(r: YearsResult) -> dict[str, set[int]]:
    d, e = r.diagnosis, r.economy
    assert d is not None
    inputs = list(r.caps)
    return {
        "floor": {e.products.index(c) for c in d.floors},
        "cap": {inputs.index(c) for c in d.caps},
        "capacity": {e.processes.index(c) for c in d.capacities},
        "end": {0} if d.end_capacity else set(),
        "consumption": {0} if d.consumption else set(),
    }


def _assert_conflict_holds(r: YearsResult) -> None:
    """Solved independently (the condensed form where it applies, every other limit lifted;
    the full form's LP but not the diagnosis's row toggling otherwise): the conflicting
    set is infeasible on its own, and dropping any one member makes it feasible."""
    assert r.diagnosis is not None and r.diagnosis.minimal
    members = _members(r)
    P, year = r.problem, r.diagnosis.year
    form = "condensed" if P.single_technique else "full"
    assert solve_years(_limits_only(P, year, members), form=form).status == "infeasible"
    for kind, items in members.items():
        for item in items:
            fewer = {k: v - {item} if k == kind else v for k, v in members.items()}
            status = solve_years(_limits_only(P, year, fewer), form=form).status
            assert status == "optimal", (kind, item)


LATER = {"years": 4, "end_capacity": 0.0}
CO2_PATH = [1.0, 1.0, 0.2, 0.2]


def _later(e: Economy, floors: float = 0.3, co2: float = 1.0) -> YearsResult:
    """Floors at 30 % of the households' demand; the CO2 cap falls to 20 % in year 3."""
    y = e.final_demand["households"]
    caps = {"co2": [f"{100 * c * co2}%" for c in CO2_PATH]}
    return plan_years(e, floors=dict(zip(e.products, floors * y, strict=True)), caps=caps, **LATER)


def test_a_later_year_is_diagnosed_like_year_one() -> None:
    """Years 1 and 2 hold; in year 3 the CO2 cap cannot carry the floors."""
    e = synthetic_economy(30, seed=4)
    r = _later(e)
    assert r.status == "infeasible" and r.diagnosis is not None
    d = r.diagnosis
    assert d.year == 3 and d.caps == ("co2",) and d.floors and not d.capacities
    assert r.message.startswith("infeasible in year 3: the floors of ")
    assert "within the co2 cap; cheapest ways out: every floor −33.3 %" in r.message
    _assert_conflict_holds(r)
    from commonplan.numerics.multiyear.diagnosis import truncated

    assert solve_years(truncated(r.problem, 2)).status == "optimal"
    assert solve_years(truncated(r.problem, 3)).status == "infeasible"
    # every relaxation listed works on the whole plan, and a little less of it does not
    assert {x.kind for x in d.relaxations} == {"floors", "cap", "caps"}
    for x in d.relaxations:
        for part, holds in ((1.0, True), (0.999, False)):
            down, up = 1 - part * x.change, 1 + part * x.change
            again = _later(e, floors=0.3 * down if x.kind == "floors" else 0.3,
                           co2=up if x.kind in ("cap", "caps") else 1.0)  # fmt: skip
            assert again.success == holds, (x.message, part)
    # by hand: CO2 per unit of the floors is fixed, so the floors must fall to 20/30 of them
    assert d.relaxations[0].change == pytest.approx(1 / 3, rel=1e-5)
    assert [x.change for x in d.relaxations] == sorted(x.change for x in d.relaxations)
    json = r.to_dict()["diagnosis"]
    assert json["year"] == 3 and json["conflict"]["caps"] == ["co2"] and json["conflict"]["minimal"]


def test_year_one_and_capacity_conflicts_name_the_processes() -> None:
    """A floor beyond year 1's capacity: year 1, the floor and the capacity of its process."""
    e = synthetic_economy(12, seed=5)
    P0 = plan_years(e, years=3).problem
    k = int(e.techniques[2])
    r = plan_years(e, years=3, floors={e.products[2]: 2.0 * float(P0.K0[k])}, labour=None)
    d = r.diagnosis
    assert d is not None and d.year == 1
    assert d.floors == (e.products[2],) and e.processes[k] in d.capacities
    _assert_conflict_holds(r)
    capacity = [x for x in d.relaxations if x.kind == "capacity"]
    for x in capacity:
        more = dict(zip(e.processes, P0.K0, strict=True))
        more[x.name] *= 1 + x.change
        floors = {e.products[2]: 2.0 * float(P0.K0[k])}
        again = plan_years(e, years=3, floors=floors, labour=None, capacity=more)
        assert again.success, x.message


def test_growing_floors_fail_where_capacity_cannot_follow() -> None:
    """Floors of consumer goods doubling every year outgrow what investment in Feldman's
    economy can build by year 3 (the numerics' own arrays: plan_years holds floors constant)."""
    from commonplan.numerics.multiyear.diagnosis import diagnose_years

    e, capital = feldman()
    r = plan_years(
        e, years=5, capital=capital, consumption=[0.0, 1.0], labour=None, capacity=[1.0, 1.0]
    )
    growing = r.problem.with_(f=np.outer(0.6 * 2.0 ** np.arange(5), [0.0, 1.0]))
    assert solve_years(growing).status == "infeasible"
    found = diagnose_years(growing)
    assert found.year == 3 and found.minimal  # 0.6 and 1.2 held; 2.4 in year 3 is not
    kinds = {(m.kind, m.index) for m in found.members}
    assert kinds == {("floor", 1), ("capacity", 0), ("capacity", 1)}
    assert {lever.kind for lever in found.levers} == {"floor", "floors", "capacity"}

    def relaxed(kind: str, index: int, factor: float) -> YearsProblem:
        if kind == "capacity":  # more capacity of that process in year 1 (and at the end)
            more = np.where(np.arange(2) == index, factor, 1.0)
            return growing.with_(K0=growing.K0 * more, K_end=growing.K_end * more)
        return growing.with_(f=growing.f * factor)

    for lever in found.levers:
        worked = solve_years(relaxed(lever.kind, lever.index, lever.factor)).status
        assert worked == "optimal", lever
        nearly = lever.factor * (0.999 if lever.kind == "capacity" else 1.001)
        assert solve_years(relaxed(lever.kind, lever.index, nearly)).status == "infeasible"


# ---------------------------------------------------------------------- check() catches tampering


@pytest.fixture(scope="module")
def plans() -> dict[str, YearsResult]:
    e = synthetic_economy(15, seed=6)
    floors = {p: 0.05 for p in e.products[:4]}
    out = {
        s: plan_years(
            e, years=4, strategy=s, lag=2, floors=floors, consumption_floor=0.2, caps={"co2": "90%"}
        )
        for s in STRATEGIES
    }
    for r in out.values():
        assert r.success and r.check() == []
    return out


def _tampered(r: YearsResult, name: str, change: Callable[[np.ndarray], None]) -> YearsResult:
    value = copy.deepcopy(getattr(r, name))
    change(value)
    return dataclasses.replace(r, **{name: value})


def _bump(t: int, k: int, by: float) -> Callable[[np.ndarray], None]:
    def change(a: np.ndarray) -> None:
        a[t, k] += by * max(abs(a[t, k]), 1.0)

    return change


TAMPERING = [  # (field, change, message that must appear)
    ("gross_output", _bump(1, 0, 0.1), "gross output is not what"),
    ("net_output", _bump(1, 0, 0.1), "net output is not what"),
    ("investment", _bump(0, 0, 0.1), "investment is not what"),
    ("capital_stock", _bump(2, 0, 0.1), "capital stock does not follow S' = S − depreciation"),
    ("depreciation", _bump(1, 0, 0.1), "capital stock does not follow"),
    ("capital_stock", _bump(2, 0, 0.1), "capital stock is not what"),
    ("capacity", _bump(2, 3, 0.1), "year 2: capacity does not follow K' = (1 − δ) K + N"),
    ("capacity", _bump(0, 3, 0.1), "capacity in year 1 is not the capacity given"),
    ("activity", _bump(1, 3, 5.0), "runs above its capacity"),
    ("fulfilment", lambda c: c.__setitem__(2, c[2] + 0.5), "short by"),
    ("fulfilment", lambda c: c.__setitem__(1, 0.1), "fulfilment 0.1 outside"),
    ("set_aside", lambda J: J.__setitem__(0, 0.0), "installed than set aside"),
    ("new_capacity", _bump(3, 1, 1.0), "cannot run within the plan"),
    ("new_capacity", lambda N: N.__setitem__((0, 1), -1.0), "negative"),
]


@pytest.mark.parametrize(("name", "change", "message"), TAMPERING)
def test_check_catches_a_tampered_result(
    plans: dict[str, YearsResult],
    name: str,
    change: Callable[[np.ndarray], None],
    message: str,
) -> None:
    bad = _tampered(plans["optimal"], name, change)
    found = bad.check()
    assert any(message in m for m in found), found


def test_check_catches_tampered_caps_uses_floors_objective_and_rules(
    plans: dict[str, YearsResult],
) -> None:
    r = plans["optimal"]
    assert r.activity is not None and r.capacity is not None
    low = {k: v * 0.5 for k, v in r.caps.items()}
    assert any("above cap" in m for m in dataclasses.replace(r, caps=low).check())
    use = {k: v * 1.1 for k, v in r.use.items()}
    assert any("use of labour is not" in m for m in dataclasses.replace(r, use=use).check())
    moved = dataclasses.replace(r, objective_value=r.objective_value + 0.1)
    assert any("objective value" in m for m in moved.check())
    # a floor: the floored product's process idle in year 2
    P = r.problem
    idle = r.activity.copy()
    idle[1, P.choice[0]] = 0.0
    assert any(f"floor of {r.economy.products[0]} not met" in m for m in
               dataclasses.replace(r, activity=idle).check())  # fmt: skip
    # the end capacity
    K = r.capacity.copy()
    K[-1] *= 0.5
    assert any("end of plan" in m for m in dataclasses.replace(r, capacity=K).check())
    # each strategy's rule: one process's new capacity moved (a group process for the share)
    for strategy, words in (
        ("heavy-industry-first", "share of investment"),
        ("balanced", "balanced rule"),
        ("consumption-first", "consumption-first rule"),
    ):
        s = plans[strategy]
        k = int(np.flatnonzero(s.problem.group)[0]) if strategy == "heavy-industry-first" else 0
        bad = _tampered(s, "new_capacity", _bump(0, k, 0.5))
        assert any(words in m for m in bad.check()), (strategy, bad.check())


# ---------------------------------------------------------------------- random plans


def _random_plan(seed: int) -> YearsResult:
    """A small random multi-year question: 2–12 products, 1–2 techniques, any strategy,
    objective and lag, floors, falling caps, technical progress — a share infeasible."""
    rng = np.random.default_rng(seed)
    n = int(rng.integers(2, 13))
    techniques = int(rng.integers(1, 3))
    e = synthetic_economy(n, techniques=techniques, seed=seed, inputs_per_product=3)
    y = e.final_demand["households"]
    years = int(rng.integers(1, 6))
    strategy = str(rng.choice(STRATEGIES))
    objective = str(rng.choice(["max_min", "discounted", "min_labour"]))
    lag = int(rng.integers(1, 3))
    floors = rng.uniform(0, 0.9) * y * (rng.random(n) < 0.5)
    co2 = np.sort(rng.uniform(0.2, 1.2, years))[::-1]
    options: dict[str, object] = {
        "years": years,
        "strategy": strategy,
        "objective": objective,
        "lag": lag if lag <= years else 1,
        "floors": dict(zip(e.products, floors, strict=True)),
        "caps": {"co2": [f"{100 * float(c):.1f}%" for c in co2]},
        "progress": {"labour": float(rng.uniform(0, 0.03))},
        "consumption_floor": float(rng.choice([0.0, 0.3, 0.9])),
        "end_capacity": float(rng.choice([0.0, 1.0])),
        "share": float(rng.uniform(0.2, 0.8)),
    }  # fmt: skip
    if objective == "min_labour":
        options["labour"] = None
    return plan_years(e, **options)  # type: ignore[arg-type]


@pytest.mark.parametrize("batch", range(4))
def test_random_plans_hold_or_are_diagnosed(batch: int) -> None:
    """300 random plans, no exception: every plan passes check(); every infeasible one is
    diagnosed with a year, a minimal conflicting set and relaxations that work."""
    statuses: dict[str, int] = {}
    for seed in range(75 * batch, 75 * (batch + 1)):
        r = _random_plan(seed)
        statuses[r.status] = statuses.get(r.status, 0) + 1
        if r.success:
            assert r.check() == [], (seed, r.check())
        elif r.status == "infeasible":
            d = r.diagnosis
            assert d is not None and d.message.startswith("infeasible"), seed
            assert d.year is not None or d.end_capacity, (seed, d.message)
            assert d.minimal and (d.caps or d.floors or d.capacities or d.consumption
                                  or d.end_capacity or d.strategy), (seed, d)  # fmt: skip
            # checked independently where lifting a capacity can be written as a larger K_0
            # (with the end capacity in the set, a larger K_0 would lift its end row too)
            if r.problem.strategy == "optimal" and not d.end_capacity:
                _assert_conflict_holds(r)
        else:
            pytest.fail(f"seed {seed}: {r.status}: {r.message}")
    assert statuses.get("optimal", 0) > 0 and statuses.get("infeasible", 0) > 0, statuses
