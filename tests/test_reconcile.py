"""Tests of commonplan.numerics.reconcile and .flownet: golden values, properties, robustness."""

from __future__ import annotations

import numpy as np
import pytest
import scipy.sparse as sp
from hypothesis import given, settings
from hypothesis import strategies as st
from numpy.testing import assert_allclose
from scipy import stats

from commonplan.errors import DataError, NonFiniteError, ShapeError, SolverError
from commonplan.numerics.flownet import (
    Quantity,
    flow_system,
    quantity_estimates,
    synthetic_reports,
)
from commonplan.numerics.reconcile import (
    adjustment_covariance_column,
    group_test,
    reconcile_linear,
    serial_elimination,
    serial_group_elimination,
    sidak_critical,
)

# ------------------------------------------------------------------ golden values by hand

SPLIT = np.array([[1.0, -1.0, -1.0]])  # x1 = x2 + x3 (a splitter)
Y = np.array([100.0, 60.0, 45.0])


def test_splitter_by_hand() -> None:
    # r = 100 − 60 − 45 = −5; A V Aᵀ = 3; λ = −5/3; x̂ = y − Aᵀλ; W = AᵀA/3
    rec = reconcile_linear(Y, np.ones(3), SPLIT)
    assert_allclose(rec.x, [100 + 5 / 3, 60 - 5 / 3, 45 - 5 / 3], rtol=1e-12)
    assert_allclose(rec.adjustment, [-5 / 3, 5 / 3, 5 / 3], rtol=1e-12)
    assert_allclose(rec.adjustment_var, [1 / 3] * 3, rtol=1e-6)
    assert_allclose(rec.x_se, [np.sqrt(2 / 3)] * 3, rtol=1e-6)
    assert_allclose(np.abs(rec.z), [5 / 3 * np.sqrt(3)] * 3, rtol=1e-6)
    assert rec.redundancy == 1
    assert rec.chi2 == pytest.approx(25 / 3, rel=1e-10)
    assert rec.p_value == pytest.approx(stats.chi2.sf(25 / 3, 1), rel=1e-8)
    assert not rec.passed  # 8.33 > 3.84
    assert rec.correction == "sidak"
    assert rec.measurement_critical == pytest.approx(stats.norm.isf((1 - 0.95 ** (1 / 3)) / 2))
    # GLR size estimate: a σ² / W = 5 in magnitude, se σ²/√W = √3
    assert_allclose(np.abs(rec.bias), [5, 5, 5], rtol=1e-6)
    assert_allclose(rec.bias_se, [np.sqrt(3)] * 3, rtol=1e-6)
    # nodal test, maximum-power form: r / √(A V Aᵀ) for a single balance
    assert abs(rec.nodal_z[0]) == pytest.approx(5 / np.sqrt(3), rel=1e-6)


def test_splitter_suspects_are_one_indistinguishable_group() -> None:
    y = np.array([100.0, 60.0, 30.0])  # 10σ off: but which of the three? nothing can say
    rep = serial_elimination(y, np.ones(3), SPLIT)
    assert len(rep.suspects) == 1
    assert rep.suspects[0].group == (0, 1, 2)
    assert abs(rep.suspects[0].size) == pytest.approx(10.0, rel=1e-6)


def test_unmeasured_and_unobservable_by_hand() -> None:
    # node 1: x1 = x2 + u1; node 2: u1 = x3; node 3: x4 = u2 + u3 (u2, u3 unobservable)
    A = np.array([[1.0, -1, 0, 0], [0, 0, -1, 0], [0, 0, 0, 1]])
    B = np.array([[-1.0, 0, 0], [1, 0, 0], [0, -1, -1]])
    y = np.array([100.0, 60.0, 45.0, 7.0])
    s = np.array([1.0, 2.0, 1.0, 1.0])
    rec = reconcile_linear(y, s, A, B)
    # projected: x1 − x2 − x3 = 0, V = diag(1, 4, 1): A V Aᵀ = 6, λ = −5/6
    assert_allclose(rec.x[:3], [100 + 5 / 6, 60 - 20 / 6, 45 - 5 / 6], rtol=1e-12)
    assert rec.x[3] == 7.0
    assert rec.u[0] == pytest.approx(45 - 5 / 6, rel=1e-12)
    assert rec.u_se[0] == pytest.approx(np.sqrt(1 - 1 / 6), rel=1e-6)
    assert list(rec.u_observable) == [True, False, False]
    assert np.isnan(rec.u[1:]).all()
    assert list(rec.untestable) == [3]  # x4: nothing checks it
    assert rec.redundancy == 1
    assert rec.balance_residual <= 1e-12


def test_two_nodes_distinguishable() -> None:
    # x1 → node → x2 → node → x3, plus x4 leaving the first node: x1 = x2 + x4, x2 = x3
    A = np.array([[1.0, -1, 0, -1], [0, 1, -1, 0]])
    truth = np.array([10.0, 6.0, 6.0, 4.0])
    y = truth + np.array([0, 0, 0, 0.0])
    y[3] += 8.0
    rep = serial_elimination(y, np.ones(4) * 0.5, A)
    assert rep.suspects and 3 in rep.suspects[0].group
    # x1 and x4 only meet in the first balance: parallel columns, one group; the size is that
    # of the one eliminated (x4 too high by 8, or equally x1 too low by 8)
    assert rep.suspects[0].group == (0, 3)
    assert abs(rep.suspects[0].size) == pytest.approx(8.0, abs=1e-6)
    assert len(rep.suspects) == 1


# ------------------------------------------------------------------ against the dense closed form


def _dense(y: np.ndarray, s: np.ndarray, A: np.ndarray, B: np.ndarray, b: np.ndarray):  # type: ignore[no-untyped-def]
    if B.shape[1]:
        U, sv, _ = np.linalg.svd(B)
        r = int((sv > 1e-10 * sv.max()).sum()) if len(sv) else 0
        P = U[:, r:].T
    else:
        P = np.eye(A.shape[0])
    G, g = P @ A, P @ b
    V = np.diag(s**2)
    Mi = np.linalg.pinv(G @ V @ G.T)
    x = y - V @ G.T @ Mi @ (G @ y - g)
    W = V @ G.T @ Mi @ G @ V
    return x, np.diag(W), np.linalg.matrix_rank(G) if G.size else 0


@pytest.mark.parametrize("seed", range(12))
def test_matches_dense_closed_form(seed: int) -> None:
    rng = np.random.default_rng(seed)
    c, m, p = rng.integers(2, 9), rng.integers(3, 15), rng.integers(0, 4)
    A = sp.random(c, m, density=0.35, random_state=seed).toarray()
    B = sp.random(c, p, density=0.35, random_state=seed + 50).toarray()
    xt, ut = rng.normal(size=m) * 10, rng.normal(size=p)
    b = A @ xt + B @ ut
    s = rng.uniform(0.2, 3.0, m)
    y = xt + s * rng.normal(size=m)
    rec = reconcile_linear(y, s, A, B, b)
    xd, wd, rank = _dense(y, s, A, B, b)
    assert_allclose(rec.x, xd, rtol=1e-9, atol=1e-9 * np.abs(y).max())
    assert_allclose(rec.adjustment_var, wd, rtol=1e-5, atol=1e-6 * s.max() ** 2)
    assert rec.redundancy == rank
    # a column of W by one solve
    i = int(np.argmax(wd))
    assert_allclose(adjustment_covariance_column(rec, i)[i], wd[i], rtol=1e-5, atol=1e-9)


# ------------------------------------------------------------------ properties


@st.composite
def systems(draw):  # type: ignore[no-untyped-def]
    seed = draw(st.integers(0, 2**31 - 1))
    rng = np.random.default_rng(seed)
    c = draw(st.integers(1, 8))
    m = draw(st.integers(1, 14))
    p = draw(st.integers(0, 4))
    mag = 10.0 ** draw(st.floats(-6, 9))
    A = sp.random(c, m, density=0.4, random_state=seed % 2**31).toarray()
    A = np.round(A * 4) / 2  # balance-like coefficients, some exact cancellations
    B = np.round(sp.random(c, p, density=0.4, random_state=(seed + 1) % 2**31).toarray() * 4) / 2
    xt = rng.uniform(0.1, 1.0, m) * mag
    ut = rng.uniform(0.1, 1.0, p) * mag
    b = A @ xt + B @ ut
    s = rng.uniform(0.001, 0.05, m) * mag
    return xt, s, A, B, b, rng


@settings(max_examples=60, deadline=None)
@given(systems())
def test_balances_hold_and_exact_reports_pass(sysm) -> None:  # type: ignore[no-untyped-def]
    xt, s, A, B, b, rng = sysm
    y = xt + s * rng.standard_normal(len(xt))
    rec = reconcile_linear(y, s, A, B, b)
    assert rec.balance_residual <= 1e-9
    u = np.where(np.isnan(rec.u), 0.0, rec.u)
    if rec.u_observable.all():
        r = A @ rec.x + B @ u - b
        scale = np.abs(A) @ np.abs(rec.x) + np.abs(B) @ np.abs(u) + np.abs(b)
        assert (np.abs(r) <= 1e-9 * np.maximum(scale, 1e-300)).all()
    exact = reconcile_linear(xt, s, A, B, b)
    assert len(exact.flagged) == 0
    assert_allclose(exact.adjustment, 0.0, atol=1e-9 * np.abs(xt).max())
    assert exact.chi2 <= 1e-12 * max(1, exact.redundancy)
    assert serial_elimination(xt, s, A, B, b).suspects == ()
    assert 0 <= rec.redundancy <= min(A.shape)
    assert abs(rec.redundancy_trace - rec.redundancy) < 1e-3


def test_power_as_predicted() -> None:
    # a 5-measurement ring with one cross stream; measurement 0 shifted by 4σ
    A = np.array([[1.0, -1, 0, 0, -1], [0, 1, -1, 0, 0], [0, 0, 1, -1, 1]])
    truth = np.array([10.0, 6.0, 6.0, 10.0, 4.0])
    s = np.array([0.2, 0.3, 0.2, 0.25, 0.2])
    rec0 = reconcile_linear(truth, s, A)
    k = 4.0
    shift = k * np.sqrt(rec0.adjustment_var[0]) / s[0]
    crit = rec0.measurement_critical
    predicted = stats.norm.sf(crit - shift) + stats.norm.cdf(-crit - shift)
    rng = np.random.default_rng(7)
    n, hits = 500, 0
    for _ in range(n):
        y = truth + s * rng.standard_normal(5)
        y[0] += k * s[0]
        rec = reconcile_linear(y, s, A)
        hits += abs(rec.z[0]) > crit
    se = np.sqrt(predicted * (1 - predicted) / n)
    assert abs(hits / n - predicted) < 4 * se


def test_detectable_error_by_hand_and_caught_nine_times_in_ten() -> None:
    """Two meters of one flow: bias_se = √(σ₁² + σ₂²), so the error caught 9 times in 10 is
    (c + Φ⁻¹(0.9)) √(σ₁² + σ₂²); injected at that size it is caught about 90 % of the time."""
    A = np.array([[1.0, -1.0]])
    s = np.array([0.3, 0.4])
    rec0 = reconcile_linear(np.array([10.0, 10.0]), s, A)
    c = sidak_critical(0.05, 2)
    golden = (c + stats.norm.ppf(0.9)) * 0.5
    assert_allclose(rec0.detectable(0.9), [golden, golden], rtol=1e-9)
    assert_allclose(rec0.detectable(0.5), [c * 0.5, c * 0.5], rtol=1e-9)
    rng = np.random.default_rng(11)
    n, hits = 2000, 0
    for _ in range(n):
        y = np.array([10.0, 10.0]) + s * rng.standard_normal(2)
        y[0] += golden
        hits += abs(reconcile_linear(y, s, A).z[0]) > rec0.measurement_critical
    assert abs(hits / n - 0.9) < 4 * np.sqrt(0.09 / n)
    # a flow nothing else measures cannot be checked at all
    lone = reconcile_linear(
        np.array([10.0, 4.0]), np.array([0.3, 0.4]), np.array([[1.0, -1.0]]), np.array([[-1.0]])
    )
    assert np.isinf(lone.detectable()).all()
    with pytest.raises(ValueError, match="power"):
        rec0.detectable(1.0)


def test_global_test_size() -> None:
    A = np.array([[1.0, -1, 0, 0, -1], [0, 1, -1, 0, 0], [0, 0, 1, -1, 1]])
    truth = np.array([10.0, 6.0, 6.0, 10.0, 4.0])
    s = np.array([0.2, 0.3, 0.2, 0.25, 0.2])
    rng = np.random.default_rng(3)
    n = 700
    rej = sum(
        not reconcile_linear(truth + s * rng.standard_normal(5), s, A).passed for _ in range(n)
    )
    assert abs(rej / n - 0.05) < 4 * np.sqrt(0.05 * 0.95 / n)


# ------------------------------------------------------------------ refusals and edge cases


def test_refusals_name_the_row() -> None:
    with pytest.raises(DataError, match=r"sigma\[1\]"):
        reconcile_linear([1.0, 2.0], [1.0, 0.0], [[1.0, -1.0]])
    with pytest.raises(NonFiniteError, match=r"y\[1\]"):
        reconcile_linear([1.0, np.nan], [1.0, 1.0], [[1.0, -1.0]])
    with pytest.raises(NonFiniteError, match="row 0"):
        reconcile_linear([1.0, 2.0], [1.0, 1.0], [[1.0, np.inf]])
    with pytest.raises(ShapeError):
        reconcile_linear([1.0, 2.0], [1.0], [[1.0, -1.0]])
    with pytest.raises(ShapeError):
        reconcile_linear([1.0, 2.0], [1.0, 1.0], [[1.0, -1.0, 1.0]])
    with pytest.raises(DataError, match="alpha"):
        reconcile_linear([1.0], [1.0], [[1.0]], b=[1.0], alpha=1.5)


def test_inconsistent_balances_refused() -> None:
    # two balances on one unmeasured quantity that disagree
    with pytest.raises(SolverError, match="balance"):
        reconcile_linear([1.0], [1.0], [[0.0], [0.0]], B=[[1.0], [1.0]], b=[1.0, 2.0])
    with pytest.raises(SolverError, match="balance 0"):
        reconcile_linear([1.0], [1.0], [[0.0]], b=[3.0])


def test_empty_and_nonredundant() -> None:
    rec = reconcile_linear(np.zeros(0), np.zeros(0), np.zeros((0, 0)))
    assert rec.redundancy == 0 and rec.passed and len(rec.x) == 0
    rec = reconcile_linear([5.0, 3.0], [1.0, 1.0], np.zeros((0, 2)))
    assert_allclose(rec.x, [5.0, 3.0])
    assert list(rec.untestable) == [0, 1]
    # x1 = u: the only balance just estimates u; nothing is redundant
    rec = reconcile_linear([5.0], [0.5], [[1.0]], B=[[-1.0]])
    assert rec.redundancy == 0 and rec.p_value == 1.0
    assert rec.u[0] == pytest.approx(5.0) and rec.u_se[0] == pytest.approx(0.5, rel=1e-6)
    assert list(rec.untestable) == [0]


def test_robustness_generator() -> None:
    """Thousands of valid systems — near-singular, dependent balances, 1e-6..1e9 magnitudes,
    no redundancy, empty — and not one exception."""
    rng = np.random.default_rng(2026)
    for case in range(2000):
        c = int(rng.integers(0, 7))
        m = int(rng.integers(0, 10))
        p = int(rng.integers(0, 4))
        A = np.round(rng.normal(size=(c, m)) * (rng.random((c, m)) < 0.4) * 2) / 2
        B = np.round(rng.normal(size=(c, p)) * (rng.random((c, p)) < 0.4) * 2) / 2
        if c >= 2 and case % 3 == 0:  # a dependent balance
            A[-1], B[-1] = A[0] + A[1 % c], B[0] + B[1 % c]
        if c >= 2 and case % 7 == 0:  # near-singular
            A[-1] = A[0] * (1 + 1e-9)
            B[-1] = B[0] * (1 + 1e-9)
        mag = 10.0 ** rng.uniform(-6, 9)
        xt = rng.uniform(0.1, 1, m) * mag
        ut = rng.uniform(0.1, 1, p) * mag
        b = A @ xt + B @ ut
        s = rng.uniform(1e-3, 0.1, m) * mag * 10.0 ** rng.uniform(-2, 2, m)
        y = xt + s * rng.standard_normal(m)
        rec = reconcile_linear(y, s, A, B, b)
        assert rec.balance_residual <= 1e-9, case
        assert np.isfinite(rec.x).all() and (rec.x_se >= 0).all()
        assert np.isfinite(rec.chi2) and 0 <= rec.p_value <= 1


# ------------------------------------------------------------------ flow networks


def test_flow_system_true_values_balance() -> None:
    rng = np.random.default_rng(5)
    sr = synthetic_reports(rng, 25, suppliers=3, window=6)
    fs = sr.system()
    # with exact reports and coefficients set to the truth, every balance holds exactly
    rec = reconcile_linear(fs.y, fs.sigma, fs.A, fs.B, fs.b)
    assert rec.balance_residual <= 1e-9
    assert rec.redundancy > 0
    value, se = quantity_estimates(fs, rec)
    flows = np.flatnonzero(fs.kind_of == Quantity.FLOW)
    assert np.isfinite(value[flows]).all() and (se[flows] > 0).all()


def test_flow_system_small_by_hand() -> None:
    # workplace 0 delivers to 1 (flow 0) and to consumers (flow 1)
    fs = flow_system(
        2,
        sender=[0, 0],
        receiver=[1, -1],
        report_kind=[Quantity.FLOW, Quantity.FLOW, Quantity.OUTPUT, Quantity.FLOW],
        report_target=[0, 0, 0, 1],
        report_value=[10.0, 12.0, 30.0, 20.0],
        report_sigma=[1.0, 1.0, 1.0, 1.0],
    )
    # unmeasured: outputs of 1, own uses, stocks → balance of 0 has U0 + S0 unmeasured:
    # only the two reports of flow 0 are redundant (x_s = x_r)
    rec = reconcile_linear(fs.y, fs.sigma, fs.A, fs.B, fs.b)
    assert rec.redundancy == 1
    assert_allclose(rec.x[:2], [11.0, 11.0])
    assert set(rec.untestable) == {2, 3}
    rep = serial_elimination(fs.y + np.array([0, 6.0, 0, 0]), fs.sigma, fs.A, fs.B, fs.b)
    assert rep.suspects[0].group == (0, 1)  # sender or receiver: nothing can say


def test_flow_system_refusals() -> None:
    with pytest.raises(DataError, match=r"sender\[0\]"):
        flow_system(
            1, [3], [-1], report_kind=[], report_target=[], report_value=[], report_sigma=[]
        )
    with pytest.raises(DataError, match="report 0"):
        flow_system(
            1,
            [0],
            [-1],
            report_kind=[Quantity.FLOW],
            report_target=[5],
            report_value=[1.0],
            report_sigma=[1.0],
        )


def test_sidak() -> None:
    assert sidak_critical(0.05, 1) == pytest.approx(stats.norm.isf(0.025))
    assert sidak_critical(0.05, 0) == np.inf
    assert sidak_critical(0.05, 10**6) > 5


def test_inflating_workplace_named_by_group_elimination() -> None:
    rng = np.random.default_rng(11)
    hits = 0
    for _ in range(10):
        sr = synthetic_reports(rng, 20, suppliers=3, window=6)
        sd = np.asarray(sr.kwargs["report_sigma"])
        kind = np.asarray(sr.kwargs["report_kind"])
        nf = len(np.asarray(sr.kwargs["sender"]))
        y = sr.truth + sd * rng.standard_normal(len(sd))
        w = int(rng.integers(20))
        mine = sr.reporter == w
        sender_side = np.arange(len(sd)) < nf
        y[mine & ((kind == Quantity.OUTPUT) | (sender_side & (kind == Quantity.FLOW)))] *= 1.1
        fs = sr.system(y)
        owner = np.concatenate([sr.reporter, np.full(len(fs.y) - len(sd), -1)])
        named, _ = serial_group_elimination(fs.y, fs.sigma, fs.A, fs.B, fs.b, group_of=owner)
        hits += bool(named) and named[0].group == w
        gt = group_test(reconcile_linear(fs.y, fs.sigma, fs.A, fs.B, fs.b), owner, y=fs.y)
        assert np.isfinite(gt.z).sum() >= 1
    assert hits >= 8


@pytest.mark.parametrize("scale", [1e-6, 1.0, 1e3, 1e6, 1e9])
def test_a_balance_among_unmeasured_quantities_keeps_the_scale(scale: float) -> None:
    """Balance 0 holds only unmeasured quantities (u₁ appears nowhere else, u₂ also in balance
    1): it used to be scaled to unit norm while the others were in σ-units, so at 10⁹ its
    unknowns dwarfed the rest and exact reports were adjusted by 4 % with a redundancy of 2.
    Exact reports need no adjustment at every scale; the redundancy is 1 (balances 2 and 3 share
    u₀, the only pair that checks the reports)."""
    A = np.array(
        [
            [0, 0, 0, 0, 0, 0, 0, 0, 0],
            [0.5, 0, 0, 0, 1.5, 0, 0, 0, 0],
            [0, 1, 0, 1, 0, 2, 1, 0, 0],
            [1.5, 0, 0.5, 0, 0, 1.5, 0, 1, 1.5],
        ]
    )
    B = np.array([[0, 1.5, 1], [0, 0, 1], [2, 0, 0], [1.5, 0, 0]])
    rng = np.random.default_rng(5179)
    x, u = rng.uniform(0.1, 1.0, 9) * scale, rng.uniform(0.1, 1.0, 3) * scale
    s = rng.uniform(0.001, 0.05, 9) * scale
    exact = reconcile_linear(x, s, A, B, A @ x + B @ u)
    assert exact.redundancy == 1
    assert_allclose(exact.adjustment, 0.0, atol=1e-12 * scale)
    assert_allclose(exact.u, u, rtol=1e-12)
    noisy = reconcile_linear(x + s * rng.standard_normal(9), s, A, B, A @ x + B @ u)
    xd, wd, rank = _dense(noisy.x + noisy.adjustment, s, A, B, A @ x + B @ u)
    assert rank == 1
    assert_allclose(noisy.x, xd, rtol=1e-9, atol=1e-9 * scale)
    assert_allclose(noisy.adjustment_var, wd, rtol=1e-5, atol=1e-6 * s.max() ** 2)


def test_exact_reports_are_left_alone_in_two_thousand_systems() -> None:
    """2,000 generated systems (1–8 balances, 1–14 reports, 0–4 unmeasured quantities,
    half-integer coefficients with cancellations, magnitudes 10⁻⁶…10⁹): exact reports are
    adjusted by at most 10⁻¹⁰ of their size and never flagged."""
    worst = 0.0
    for seed in range(2000):
        rng = np.random.default_rng(seed + 10**6)
        c, m, p = int(rng.integers(1, 9)), int(rng.integers(1, 15)), int(rng.integers(0, 5))
        mag = 10.0 ** rng.uniform(-6, 9)
        A = np.round(sp.random(c, m, density=0.4, random_state=seed).toarray() * 4) / 2
        B = np.round(sp.random(c, p, density=0.4, random_state=seed + 1).toarray() * 4) / 2
        x, u = rng.uniform(0.1, 1.0, m) * mag, rng.uniform(0.1, 1.0, p) * mag
        s = rng.uniform(0.001, 0.05, m) * mag
        exact = reconcile_linear(x, s, A, B, A @ x + B @ u)
        worst = max(worst, float(np.abs(exact.adjustment).max() / mag))
        assert len(exact.flagged) == 0, seed
    assert worst <= 1e-10
