"""The Gauss–Seidel kernels (scatter form for x, gather form for λ) against scipy's spsolve."""

from __future__ import annotations

import numpy as np
import pytest
import scipy.sparse as sp
import scipy.sparse.linalg as spla
from numpy.testing import assert_allclose

import commonplan as cp
from commonplan.numerics.leontief import prepare, sweep_quantities, sweep_values
from commonplan.numerics.techniques import Pricer, upstream_order


def _economy(n: int, seed: int) -> tuple[sp.csc_array, np.ndarray, np.ndarray]:
    e = cp.synthetic_economy(n, seed=seed, feedback=0.3)
    assert e.labour is not None
    return e.A, np.asarray(e.final_demand["households"]), e.labour


@pytest.mark.parametrize("seed", range(3))
@pytest.mark.parametrize("reorder", [True, False])
def test_sweeps_match_spsolve(seed: int, reorder: bool) -> None:
    A, y, l = _economy(300, seed)
    M = sp.csc_array(sp.identity(300) - A)
    x_ref = spla.spsolve(M, y)
    lam_ref = spla.spsolve(sp.csc_array(M.T), l)
    prep = prepare(A, reorder=reorder)
    o = prep.order
    xdir, ldir = (-1, 1) if reorder else (0, 0)
    x, rx, sx = sweep_quantities(prep.cols, np.ascontiguousarray(y[o]), xdir, 1e-12, 5000)
    lam, rl, sl = sweep_values(prep.cols, np.ascontiguousarray(l[o]), ldir, 1e-12, 5000)
    assert rx <= 1e-12 and rl <= 1e-12 and sx > 0 and sl > 0
    assert_allclose(x, x_ref[o], rtol=1e-10)
    assert_allclose(lam, lam_ref[o], rtol=1e-10)
    # the residuals reported are the true ones
    Mp = M[o][:, o]
    true_x = np.linalg.norm(y[o] - Mp @ x) / np.linalg.norm(y)
    true_lam = np.linalg.norm(l[o] - Mp.T @ lam) / np.linalg.norm(l)
    assert true_x == pytest.approx(rx, rel=1e-3, abs=1e-15)
    assert true_lam == pytest.approx(rl, rel=1e-3, abs=1e-15)


@pytest.mark.parametrize("direction", [1, -1, 0])
def test_every_direction_converges_from_a_warm_start(direction: int) -> None:
    A, y, l = _economy(200, 7)
    prep = prepare(A)
    o = prep.order
    M = sp.csc_array(sp.identity(200) - A)
    x_ref = spla.spsolve(M, y)[o]
    lam_ref = spla.spsolve(sp.csc_array(M.T), l)[o]
    rng = np.random.default_rng(0)
    for x0 in (None, x_ref * rng.uniform(0.5, 1.5, 200)):
        x, _, _ = sweep_quantities(prep.cols, y[o].copy(), direction, 1e-12, 5000, x0=x0)
        assert_allclose(x, x_ref, rtol=1e-10)
    for x0 in (None, lam_ref * rng.uniform(0.5, 1.5, 200)):
        lam, _, _ = sweep_values(prep.cols, l[o].copy(), direction, 1e-12, 5000, x0=x0)
        assert_allclose(lam, lam_ref, rtol=1e-10)


def test_unreachable_tolerance_raises_instead_of_spinning() -> None:
    A, y, _ = _economy(200, 3)
    prep = prepare(A)
    with pytest.raises(cp.SolverError):
        sweep_quantities(prep.cols, y[prep.order].copy(), -1, 1e-30, 5000)
    with pytest.raises(cp.SolverError):
        sweep_values(prep.cols, y[prep.order].copy(), 1, 1e-30, 5000)


@pytest.mark.parametrize("seed", range(3))
def test_pricer_sweeps_through_the_chosen_processes(seed: int) -> None:
    """The pricer's x and λ, swept through its process layout with a choice, match spsolve."""
    e = cp.synthetic_economy(500, techniques=3, seed=seed)
    assert e.labour is not None
    pricer = Pricer(e.inputs, e.makes, method="gauss-seidel")
    choice, lam = pricer.values(e.labour)
    M = sp.csc_array(sp.identity(500) - e.inputs[:, choice])
    assert_allclose(lam, spla.spsolve(sp.csc_array(M.T), e.labour[choice]), rtol=1e-10)
    y = e.final_demand["households"]
    Y = np.column_stack([y, np.ones(500), np.zeros(500), 0.3 * y, y + 1e-3])
    X = pricer.quantities(choice, Y)
    for j in (0, 1, 3, 4):
        assert_allclose(X[:, j], spla.spsolve(M, Y[:, j]), rtol=1e-10)
        assert np.linalg.norm(Y[:, j] - M @ X[:, j]) <= 1e-12 * np.linalg.norm(Y[:, j])
    assert not X[:, 2].any()
    assert_allclose(X[:, 3], 0.3 * X[:, 0], rtol=1e-15)  # a multiple: solved once
    # the order the pricer sweeps in is a permutation of the products
    assert sorted(upstream_order(e.inputs, e.makes).tolist()) == list(range(500))


@pytest.mark.parametrize("share", [(0.3, 0.7), (0.85, 0.97)])
def test_sweeps_with_extrapolation_match_a_dense_solve(share: tuple[float, float]) -> None:
    """Long enough for the steady-ratio extrapolation to fire (and, near ρ(A) = 1, not to)."""
    e = cp.synthetic_economy(1500, seed=11, intermediate_share=share, feedback=0.5)
    assert e.labour is not None
    y, l = np.asarray(e.final_demand["households"]), e.labour
    M = np.eye(1500) - e.A.toarray()
    prep = prepare(e.A)
    o = prep.order
    x, rx, _ = sweep_quantities(prep.cols, np.ascontiguousarray(y[o]), -1, 1e-12, 5000)
    lam, rl, _ = sweep_values(prep.cols, np.ascontiguousarray(l[o]), 1, 1e-12, 5000)
    assert rx <= 1e-12 and rl <= 1e-12
    assert_allclose(x, np.linalg.solve(M, y)[o], rtol=1e-9)
    assert_allclose(lam, np.linalg.solve(M.T, l)[o], rtol=1e-9)
