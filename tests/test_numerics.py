"""The numerical core: golden values, identities, both solver methods, technique choice."""

from __future__ import annotations

import itertools

import numpy as np
import pytest
import scipy.sparse as sp
from hypothesis import given, settings
from hypothesis import strategies as st
from numpy.testing import assert_allclose

import commonplan as cp
from commonplan.numerics import (
    cheapest_techniques,
    leontief,
    prepare,
    relative_residual,
    spectral_radius,
    unproductive_blocks,
)
from commonplan.numerics._kernels import supply_chain_order

METHODS = ["direct", "gauss-seidel"]

# Miller & Blair, Input-Output Analysis (2nd ed., 2009), section 2.3: the two-sector example.
MB_Z = np.array([[150.0, 500.0], [200.0, 100.0]])
MB_X = np.array([1000.0, 2000.0])
MB_A = MB_Z / MB_X  # [[.15, .25], [.2, .05]]
MB_L = np.array([[1.254125, 0.330033], [0.264026, 1.122112]])  # (I - A)^-1, printed to 6 places


@pytest.mark.parametrize("method", METHODS)
def test_miller_blair_two_sector(method: str) -> None:
    assert_allclose(MB_A, [[0.15, 0.25], [0.2, 0.05]])
    # their new final demand (600, 1500) needs x = (1247.52, 1841.58)
    s = leontief(sp.csr_array(MB_A), y=np.array([600.0, 1500.0]), method=method, rtol=1e-12)
    assert s.x is not None
    assert_allclose(s.x, [1247.525, 1841.584], atol=1e-3)
    # the original final demand (350, 1700) gives back the observed outputs
    s = leontief(sp.csr_array(MB_A), y=np.array([350.0, 1700.0]), method=method, rtol=1e-12)
    assert_allclose(s.x, MB_X, rtol=1e-10)
    # rows of the Leontief inverse: λ for l = unit vector e_i is row i of L
    s = leontief(sp.csr_array(MB_A), l=np.eye(2), method=method, rtol=1e-12)
    assert_allclose(s.lam, MB_L, atol=1e-6)


def test_economy_api_on_miller_blair() -> None:
    e = cp.Economy.from_arrays(
        MB_A,
        [0.3, 0.25],
        products=["agri", "manu"],
        final_demand={"f": [350.0, 1700.0]},
        resources={"co2": [1.0, 0.1]},
    )
    r = cp.balance(e)
    assert_allclose(r.gross_output, MB_X, rtol=1e-10)
    lam = np.array([0.3, 0.25]) @ MB_L
    assert_allclose(r.labour_values, lam, rtol=1e-5)
    assert r.total_labour == pytest.approx(0.3 * 1000 + 0.25 * 2000, rel=1e-10)
    assert_allclose(cp.embodied(e, "co2"), np.array([1.0, 0.1]) @ MB_L, rtol=1e-5)
    assert r.to_dict()["gross_output"] == pytest.approx({"agri": 1000.0, "manu": 2000.0})
    assert r.residual <= 1e-12


@st.composite
def productive_economies(draw: st.DrawFn) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    n = draw(st.integers(2, 25))
    seed = draw(st.integers(0, 2**32 - 1))
    rng = np.random.default_rng(seed)
    density = draw(st.floats(0.05, 1.0))
    A = rng.random((n, n)) * (rng.random((n, n)) < density)
    colsum = A.sum(axis=0)
    target = rng.uniform(0.0, draw(st.floats(0.1, 0.97)), n)
    A = A * np.divide(target, colsum, out=np.zeros(n), where=colsum > 0)
    y = rng.random(n) * draw(st.floats(0.01, 1e6))
    l = rng.random(n)
    return A, y, l


@settings(max_examples=60, deadline=None)
@given(productive_economies(), st.sampled_from(METHODS))
def test_identities_on_random_productive_economies(
    case: tuple[np.ndarray, np.ndarray, np.ndarray], method: str
) -> None:
    A, y, l = case
    s = leontief(sp.csr_array(A), y=y, l=l, method=method, rtol=1e-11)
    assert s.x is not None and s.lam is not None
    M = np.eye(len(y)) - A
    assert relative_residual(M, s.x, y) <= 1e-9  # (I - A) x = y
    assert relative_residual(M.T, s.lam, l) <= 1e-9  # λ (I - A) = l
    assert s.lam @ y == pytest.approx(l @ s.x, rel=1e-9)  # labour counted both ways
    assert (s.x >= -1e-9 * np.abs(s.x).max()).all()  # A ≥ 0, y ≥ 0 ⇒ x ≥ 0


def test_gauss_seidel_agrees_with_direct_on_a_synthetic_economy() -> None:
    e = cp.synthetic_economy(3000, seed=3)
    y, l = e.final_demand["households"], e.labour
    d = leontief(e.A, y=y, l=l, method="direct")
    g = leontief(e.A, y=y, l=l, method="gauss-seidel", prepared=e.prepared)
    assert g.method == "gauss-seidel" and d.method == "direct"
    assert_allclose(g.x, d.x, rtol=1e-8)
    assert_allclose(g.lam, d.lam, rtol=1e-8)
    assert g.residual <= 1e-10
    unordered = leontief(e.A, y=y, l=l, method="gauss-seidel", prepared=prepare(e.A, reorder=False))
    assert_allclose(unordered.x, d.x, rtol=1e-8)
    assert g.iterations < unordered.iterations  # the supply-chain order pays


def test_auto_picks_direct_for_small_and_iterative_for_large() -> None:
    small = leontief(sp.csr_array(MB_A), y=np.ones(2))
    assert small.method == "direct"
    big = cp.synthetic_economy(2500, seed=1)
    assert leontief(big.A, y=np.ones(2500)).method == "gauss-seidel"


def test_several_right_hand_sides_at_once() -> None:
    e = cp.synthetic_economy(2100, seed=5)
    Y = np.column_stack([e.final_demand["households"], np.ones(e.n)])
    L = np.vstack([e.labour, e.resources["co2"]])
    s = leontief(e.A, y=Y, l=L, method="gauss-seidel")
    one = leontief(e.A, y=Y[:, 1], l=L[1], method="direct")
    assert s.x is not None and s.lam is not None
    assert s.x.shape == Y.shape and s.lam.shape == L.shape
    assert_allclose(s.x[:, 1], one.x, rtol=1e-8)
    assert_allclose(s.lam[1], one.lam, rtol=1e-8)


def test_supply_chain_order_recovers_a_hidden_acyclic_order() -> None:
    rng = np.random.default_rng(0)
    n = 400
    i, j = rng.integers(0, n, (2, 3000))
    keep = i < j  # supplier before user: a DAG
    perm = rng.permutation(n)
    G = sp.csr_array((np.ones(keep.sum()), (perm[i[keep]], perm[j[keep]])), shape=(n, n))
    G.sum_duplicates()
    GT = G.T.tocsr()
    order = supply_chain_order(
        G.indptr.astype(np.int64),
        G.indices.astype(np.uint32),
        GT.indptr.astype(np.int64),
        GT.indices.astype(np.uint32),
    )
    assert sorted(order.tolist()) == list(range(n))
    pos = np.empty(n, int)
    pos[order] = np.arange(n)
    src, dst = G.nonzero()
    assert (pos[src] < pos[dst]).all()  # every edge points forward


def test_supply_chain_order_peels_the_acyclic_ends_of_a_cyclic_graph() -> None:
    # 0 → 1 → {2 ⇄ 3} → 4 → 5, self-loops on 2 and 4, shuffled labels: the order must put
    # the chain's ends in place (sources first, sinks last) and the cycle in between
    edges = [(0, 1), (1, 2), (2, 3), (3, 2), (3, 4), (4, 5), (2, 2), (4, 4)]
    perm = np.array([3, 5, 0, 4, 1, 2])
    src, dst = perm[[a for a, _ in edges]], perm[[b for _, b in edges]]
    G = sp.csr_array((np.ones(len(edges)), (src, dst)), shape=(6, 6))
    GT = G.T.tocsr()
    order = supply_chain_order(G.indptr, G.indices, GT.indptr, GT.indices)
    assert order[:2].tolist() == perm[[0, 1]].tolist()
    assert order[4:].tolist() == perm[[4, 5]].tolist()
    assert sorted(order[2:4].tolist()) == sorted(perm[[2, 3]].tolist())


def test_prepare_lays_out_the_permuted_columns_without_their_diagonal() -> None:
    rng = np.random.default_rng(5)
    n = 60
    A = sp.random_array((n, n), density=0.1, rng=rng, format="csc") * 0.1
    A = sp.csc_array(A + sp.diags_array(rng.random(n) * 0.3))
    p = prepare(A)
    P = sp.csr_array((np.ones(n), (np.arange(n), p.order)), shape=(n, n))
    PAP = (P @ A @ P.T).toarray()
    c = p.cols
    cols = sp.csr_array((c.data, c.indices, c.indptr), shape=(n, n)).toarray()
    assert_allclose(cols, (PAP - np.diag(np.diag(PAP))).T)  # row j: the inputs of product j
    assert_allclose(1.0 / c.dinv, 1.0 - np.diag(PAP))
    for j in range(n):  # inputs upstream of j first, as the value sweeps need
        upstream = c.indices[c.indptr[j] : c.indptr[j + 1]] < j
        assert not np.any(upstream[1:] & ~upstream[:-1])
    rows = p.rows  # built on first use: the transpose
    r = sp.csr_array((rows.data, rows.indices, rows.indptr), shape=(n, n)).toarray()
    assert_allclose(r, cols.T)


def test_spectral_radius_and_unproductive_blocks() -> None:
    rng = np.random.default_rng(2)
    A = rng.random((30, 30)) * 0.05
    assert spectral_radius(A) == pytest.approx(max(abs(np.linalg.eigvals(A))), rel=1e-9)
    assert unproductive_blocks(sp.csr_array(A)) == []
    B = np.zeros((5, 5))
    B[1, 3] = 1.2  # products 1 and 3 need 1.2 of each other: ρ = 1.2
    B[3, 1] = 1.2
    B[0, 1] = 0.5
    B[2, 4] = 0.9
    blocks = unproductive_blocks(sp.csr_array(B))
    assert len(blocks) == 1
    assert blocks[0].members.tolist() == [1, 3]
    assert blocks[0].spectral_radius == pytest.approx(1.2)


def test_technique_choice_by_hand() -> None:
    # product 0: technique a (labour 1, no inputs) or b (labour 0.4 + 0.5 of product 1);
    # product 1: one technique, labour 1.  λ1 = 1, so b costs 0.9 < 1: b wins.
    B = sp.csc_array(np.array([[0.0, 0.0, 0.0], [0.0, 0.5, 0.0]]))
    choice, lam, _ = cheapest_techniques(B, np.array([0, 0, 1]), np.array([1.0, 0.4, 1.0]))
    assert choice.tolist() == [1, 2]
    assert_allclose(lam, [0.9, 1.0])
    # a tie keeps the lower index: with labour 0.5, b costs exactly 1.0 like a
    choice, _, _ = cheapest_techniques(B, np.array([0, 0, 1]), np.array([1.0, 0.5, 1.0]))
    assert choice.tolist() == [0, 2]


@pytest.mark.parametrize("seed", range(4))
def test_technique_choice_is_the_minimum_over_all_choices(seed: int) -> None:
    e = cp.synthetic_economy(6, inputs_per_product=3, techniques=2, seed=seed)
    B, makes, labour = e.inputs, e.makes, e.labour
    assert labour is not None
    _, lam, _ = cheapest_techniques(B, makes, labour)
    per_product = [np.flatnonzero(makes == p) for p in range(e.n)]
    best = np.full(e.n, np.inf)
    for combo in itertools.product(*per_product):
        c = np.array(combo)
        v = np.linalg.solve((np.eye(e.n) - B[:, c].toarray()).T, labour[c])
        best = np.minimum(best, v)
    # non-substitution: one choice attains the minimum for every product at once
    assert_allclose(lam, best, rtol=1e-9)
    assert_allclose(cp.embodied(e), best, rtol=1e-9)


def test_synthetic_economy_shape_and_determinism() -> None:
    a = cp.synthetic_economy(500, inputs_per_product=8, techniques=2, seed=7)
    b = cp.synthetic_economy(500, inputs_per_product=8, techniques=2, seed=7)
    c = cp.synthetic_economy(500, inputs_per_product=8, techniques=2, seed=8)
    assert a.n == 500 and a.m == 1000
    assert (a.inputs != b.inputs).nnz == 0 and (a.inputs != c.inputs).nnz > 0
    assert 0.9 * 8000 <= a.inputs.nnz <= 8000  # duplicates merge
    colsum = np.asarray(a.inputs.sum(axis=0)).ravel()
    assert colsum.max() < 0.7 + 1e-12 and colsum.min() >= 0.3 - 1e-12
    assert np.bincount(a.makes).tolist() == [2] * 500


def test_highs_refuses_an_unknown_option_by_name() -> None:
    from commonplan.numerics._highs import quiet_highs

    with pytest.raises(cp.SolverError, match="no_such_option"):
        quiet_highs(no_such_option=1)
