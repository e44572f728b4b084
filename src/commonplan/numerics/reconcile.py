"""Linear data reconciliation by weighted least squares, with gross-error tests.

Measurements y (m) of quantities x, independent, with standard deviations σ (V = diag σ²);
unmeasured quantities u (p); linear balances that the true quantities satisfy::

    A x + B u = b                                   (c constraints)

The reconciled estimates minimise (y − x)ᵀ V⁻¹ (y − x) subject to the balances.  With the
Lagrange multipliers λ (c) and w = −u, the optimality conditions, x eliminated, are the
symmetric quasi-definite system::

    [ A V Aᵀ   B ] [ λ ]   [ A y − b ]
    [ Bᵀ       0 ] [ w ] = [    0    ]          x̂ = y − V Aᵀ λ,   û = −w

The unmeasured u are projected out *implicitly* (Crowe's projection P with P B = 0 is never
formed): the KKT matrix is factorised once, sparsely, and every statistic comes from that
factor.  Let Q be the λλ block of its inverse (Q = Pᵀ (P A V Aᵀ Pᵀ)⁺ P).  Then, textbook
(Narasimhan & Jordache 2000, ch. 3, 7, 8):

* adjustments a = y − x̂ = V Aᵀ Q (A y − b), covariance W = V Aᵀ Q A V;
* Cov(x̂) = V − W; Var(ûₖ) = −(K⁻¹)ᵤᵤ,ₖₖ; uₖ is *unobservable* when it is not determined by the
  balances and the measurements (a null direction of B touches it): no estimate is given;
* global test γ = aᵀ V⁻¹ a ~ χ²(ν), ν = rank(P A) the *degree of redundancy*.  V^{-1/2} W V^{-1/2}
  is an orthogonal projector of rank ν, so ν = trace(W V⁻¹) = Σ Wᵢᵢ / σᵢ² (an integer; computed
  so, no separate rank-revealing factorisation);
* measurement test zᵢ = aᵢ / √Wᵢᵢ ~ N(0, 1); a measurement with Wᵢᵢ = 0 is *nonredundant*:
  nothing can check it, it is listed as untestable and never tested;
* the generalised likelihood ratio for a bias in measurement i gives the same statistic, zᵢ², and
  the estimated bias b̂ᵢ = aᵢ σᵢ² / Wᵢᵢ with standard error σᵢ² / √Wᵢᵢ;
* nodal (constraint) test in its maximum-power form zⱼ = λⱼ / √Qⱼⱼ (Cov(λ) = Q); it is defined
  also for balances that contain unmeasured quantities;
* the m measurement tests are run at the Šidák level 1 − (1 − α)^{1/m'} (m' the testable ones).

Gross errors.  :func:`serial_elimination` (Ripps; Serth & Heenan's iterative measurement test)
names single reports, each with the group of reports indistinguishable from it (parallel columns
of P A: |corr(zᵢ, zⱼ)| = 1, found from one column of W) and the likelihood-ratio set of reports
it could equally be.  :func:`group_test` / :func:`serial_group_elimination` test one common
error in all reports of one reporter (GLR with a given direction, default proportional), for a
workplace that falsifies several reports consistently.

Numerics.  Rows are scaled so that diag(A V Aᵀ) = 1, B's columns to unit norm, rows without
measured quantities to unit norm over B.  The KKT matrix is regularised to
[[S + εI, B], [Bᵀ, −εI]] (ε = 1e-9): symmetric quasi-definite, so an LDLᵀ exists for any
symmetric ordering (Vanderbei 1995).  SuperLU factorises it with a fill-reducing symmetric
ordering and diagonal pivots; iterative refinement against the unregularised system removes ε from
the solution, until every balance holds to 1e-12 relative (checked again in original units
against 1e-9); the diagonal of K⁻¹ needed for W, Var(û) and Q comes from selected inversion of the
factor (:mod:`._reconcile_kernels`).  Dependent balances and unobservable u are the null
directions that ε keeps finite (Var(û) ≳ 1/ε marks u unobservable).  The diagonals carry an
O(ε/μ) error for the smallest eigenvalue μ of the scaled system (≈ 1e-7 relative in practice).
When the stationary refinement stalls (ε not small against an eigenvalue of either sign),
GMRES on the unregularised system, preconditioned by the factor, finishes the solve.  Small
systems (KKT ≤ 3000) that still miss the tolerance, whose factor needed an off-diagonal pivot,
or whose trace(W V⁻¹) is not an integer to 1e-4, are redone densely with the SVD
pseudo-inverse; large ones retry with ε = 1e-7 and 1e-5 (diagonals then less exact) before a
:class:`SolverError`.  No dense inverse is ever formed for a large system.

One concept — reconciliation and the gross-error tests that work on its adjustments and their
covariance — so one module, however long.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, TypeAlias

import numpy as np
import scipy.sparse as sp
import scipy.sparse.linalg as spla
from numpy.typing import ArrayLike, NDArray
from scipy import stats

from commonplan.errors import DataError, NonFiniteError, ShapeError, SolverError
from commonplan.numerics.types import Array, Index, Mask

__all__ = [
    "GrossError",
    "GrossErrorReport",
    "GroupSuspect",
    "GroupTest",
    "Reconciliation",
    "adjustment_covariance_column",
    "group_test",
    "reconcile_linear",
    "serial_elimination",
    "serial_group_elimination",
    "sidak_critical",
]

Matrix: TypeAlias = "sp.sparray | sp.spmatrix | NDArray[Any] | list[list[float]]"

EPS = 1e-9
"""Regularisation of the scaled KKT system (relative to unit-norm rows and columns)."""

UNTESTABLE = 1e-6
"""Wᵢᵢ / σᵢ² below this: measurement i is nonredundant (untestable)."""

PARALLEL = 1e-6
"""|corr(zᵢ, zⱼ)| ≥ 1 − PARALLEL: gross errors in i and j cannot be told apart."""

BALANCE_RTOL = 1e-9
"""Largest relative balance residual accepted, |A x̂ + B û − b| / (|A||x̂| + |B||û| + |b|)."""


def sidak_critical(alpha: float, tests: int) -> float:
    """Two-sided critical |z| for ``tests`` independent tests at family-wise level α (Šidák)."""
    if tests <= 0:
        return float("inf")
    beta = -np.expm1(np.log1p(-alpha) / tests)  # 1 − (1 − α)^(1/tests), without cancellation
    return float(stats.norm.isf(beta / 2))


@dataclass(frozen=True, eq=False)
class Reconciliation:
    """What :func:`reconcile_linear` found.  Arrays indexed like y (m), u (p) or the rows (c).

    Untestable measurements have ``z = nan``; unobservable unmeasured quantities ``u = nan`` and
    ``u_se = nan``.  ``excluded`` measurements were treated as unmeasured (serial elimination):
    their ``x`` is the estimate from everything else and ``x_se`` its standard error.
    """

    x: Array
    x_se: Array
    u: Array
    u_se: Array
    u_observable: Mask
    adjustment: Array
    adjustment_var: Array
    z: Array
    testable: Mask
    redundancy: int
    redundancy_trace: float
    chi2: float
    p_value: float
    global_critical: float
    alpha: float
    measurement_critical: float
    correction: str
    nodal_z: Array
    balance_residual: float
    excluded: Index
    sigma: Array
    _solver: _Solver | None = field(default=None, repr=False)

    @property
    def passed(self) -> bool:
        """The global test accepts the measurements (γ ≤ χ²₁₋α(ν))."""
        return self.chi2 <= self.global_critical

    @property
    def untestable(self) -> Index:
        """Measurements nothing can check (zero adjustment variance), excluded ones left out."""
        mask = ~self.testable
        mask[self.excluded] = False
        return np.flatnonzero(mask)

    @property
    def flagged(self) -> Index:
        """Measurements whose |z| exceeds the Šidák critical value, most suspicious first."""
        with np.errstate(invalid="ignore"):
            hit = np.flatnonzero(np.abs(self.z) > self.measurement_critical)
        return hit[np.argsort(-np.abs(self.z[hit]), kind="stable")]

    @property
    def bias(self) -> Array:
        """GLR estimate of a gross error in each measurement, aᵢ σᵢ² / Wᵢᵢ (nan if untestable)."""
        s2 = self.sigma**2
        with np.errstate(invalid="ignore", divide="ignore"):
            return np.where(self.testable, self.adjustment * s2 / self.adjustment_var, np.nan)

    def detectable(self, power: float = 0.9) -> Array:
        """The smallest gross error in each measurement (in its unit) that the measurement test
        at its level catches with probability ``power``: (c + Φ⁻¹(power)) σᵢ² / √Var aᵢ, since
        an error b shifts zᵢ by b √Var aᵢ / σᵢ² (the far tail neglected).  ``inf`` where
        nothing checks the measurement; a large value marks one the balances barely check."""
        if not 0.0 < power < 1.0:
            raise ValueError(f"power must lie strictly between 0 and 1, not {power}")
        reach = self.measurement_critical + float(stats.norm.ppf(power))
        return np.where(self.testable, reach * self.bias_se, np.inf)

    @property
    def bias_se(self) -> Array:
        """Standard error of :attr:`bias`, σᵢ² / √Wᵢᵢ (nan if untestable)."""
        with np.errstate(invalid="ignore", divide="ignore"):
            return np.where(self.testable, self.sigma**2 / np.sqrt(self.adjustment_var), np.nan)


@dataclass(frozen=True, eq=False)
class _Solver:
    """The scaled, factorised KKT system, kept for extra solves (columns of W)."""

    lu: Any
    At: sp.csr_array  # scaled A, measured columns only (c × m'), rows scaled
    measured: Index  # original indices of the measured columns of At
    sigma: Array
    c: int
    p: int

    def w_column(self, i: int) -> Array:
        """Column i of the adjustment covariance W (original units), zero for excluded ones."""
        out = np.zeros(len(self.sigma))
        pos = np.searchsorted(self.measured, i)
        if pos >= len(self.measured) or self.measured[pos] != i:
            return out
        col = self.At[:, [pos]].toarray().ravel()
        rhs = np.concatenate([col, np.zeros(self.p)])
        z = self.lu.solve(rhs)[: self.c]
        wt = self.At.T @ z  # column of W̃ = Ãᵀ Q Ã
        out[self.measured] = wt * self.sigma[self.measured] * self.sigma[i]
        return out


def adjustment_covariance_column(rec: Reconciliation, i: int) -> Array:
    """Column i of W = Cov(y − x̂): one solve with the kept factor."""
    if rec._solver is None:
        return np.zeros(len(rec.x))
    return rec._solver.w_column(i)


def _as_csr(M: Matrix | None, rows: int, cols: int, name: str) -> sp.csr_array:
    if M is None:
        return sp.csr_array((rows, cols))
    csr = sp.csr_array(M, dtype=np.float64)
    if csr.ndim != 2:
        raise ShapeError(f"{name} must be a matrix, got {csr.ndim} dimensions")
    csr.sum_duplicates()
    bad = ~np.isfinite(csr.data)
    if bad.any():
        k = int(np.flatnonzero(bad)[0])
        row = int(np.searchsorted(csr.indptr, k, side="right") - 1)
        raise NonFiniteError(
            f"{name} holds a non-finite coefficient in row {row}, column {csr.indices[k]}"
        )
    return csr


def _validate(
    y: ArrayLike,
    sigma: ArrayLike,
    A: Matrix,
    B: Matrix | None,
    b: ArrayLike | None,
) -> tuple[Array, Array, sp.csr_array, sp.csr_array, Array]:
    yv = np.asarray(y, dtype=np.float64).reshape(-1)
    sv = np.asarray(sigma, dtype=np.float64).reshape(-1)
    m = len(yv)
    if len(sv) != m:
        raise ShapeError(f"sigma has {len(sv)} entries, y has {m}: one per measurement")
    for name, v in (("y", yv), ("sigma", sv)):
        bad = np.flatnonzero(~np.isfinite(v))
        if len(bad):
            raise NonFiniteError(f"{name}[{bad[0]}] is {v[bad[0]]}: measurements must be finite")
    bad = np.flatnonzero(sv <= 0)
    if len(bad):
        raise DataError(
            f"sigma[{bad[0]}] is {sv[bad[0]]}: every measurement needs a positive standard "
            "deviation (a quantity known exactly belongs in the balances, as a constant in b)"
        )
    if A is None:
        raise ShapeError("A (the coefficients of the measured quantities) is required")
    Ac = _as_csr(A, 0, m, "A")
    if Ac.shape[1] != m:
        raise ShapeError(f"A has {Ac.shape[1]} columns, y has {m} measurements")
    c = Ac.shape[0]
    Bc = _as_csr(B, c, 0, "B")
    if Bc.shape[0] != c:
        raise ShapeError(f"B has {Bc.shape[0]} rows, A has {c}: one row per balance")
    bv = np.zeros(c) if b is None else np.asarray(b, dtype=np.float64).reshape(-1)
    if len(bv) != c:
        raise ShapeError(f"b has {len(bv)} entries, A has {c} rows")
    bad = np.flatnonzero(~np.isfinite(bv))
    if len(bad):
        raise NonFiniteError(f"b[{bad[0]}] is {bv[bad[0]]}: balances must be finite")
    return yv, sv, Ac, Bc, bv


def _anchored_scales(
    Bu: sp.csr_array, R: Array, pure: Index, measured_rows: NDArray[np.bool_]
) -> Array:
    """Scales for the balances among unmeasured quantities alone (``pure`` rows), in the units of
    the balances with measurements: a row with measurements is scaled by its measurements' σ,
    which fixes each unmeasured quantity's column scale cⱼ = maxᵢ |Rᵢ Bᵢⱼ| over those rows; a
    pure row r then gets Rᵣ = geometric mean of cⱼ / |Bᵣⱼ| over its anchored columns, and
    anchors its other columns in turn (breadth first).  Rows never reached (a block of
    balances with no measurement at all) keep 1 / ‖Bᵣ‖.  Without this a pure row scaled to unit
    norm made its unknowns as large as the quantities (10⁹ against σ-units of 10²): the KKT
    system lost the digits the estimates need (exact reports adjusted by 4 %)."""
    out = R[pure].copy()
    P = abs(Bu[pure]).tocsr()
    P.eliminate_zeros()
    held = sp.diags_array(np.where(measured_rows, R, 0.0)) @ abs(Bu)
    colscale = np.asarray(sp.csr_array(held).max(axis=0).todense()).ravel()
    reached = np.zeros(len(pure), dtype=bool)
    for _ in range(len(pure)):
        known = (colscale > 0).astype(np.float64)
        K = (P @ sp.diags_array(known)).tocsr()
        K.eliminate_zeros()
        count = np.diff(K.indptr)
        new = (count > 0) & ~reached
        if not new.any():
            break
        L = K.copy()
        L.data = np.log(colscale[L.indices]) - np.log(L.data)
        mean = np.asarray(L.sum(axis=1)).ravel() / np.maximum(count, 1)
        out[new] = np.exp(mean[new])
        reached |= new
        more = sp.diags_array(np.where(reached, out, 0.0)) @ P
        reach = np.asarray(sp.csr_array(more).max(axis=0).todense()).ravel()
        colscale = np.where(colscale > 0, colscale, reach)
    return out


def _row_norms(M: sp.csr_array) -> Array:
    out: Array = np.sqrt(np.asarray((M.multiply(M)).sum(axis=1), dtype=np.float64).ravel())
    return out


def reconcile_linear(
    y: ArrayLike,
    sigma: ArrayLike,
    A: Matrix,
    B: Matrix | None = None,
    b: ArrayLike | None = None,
    *,
    alpha: float = 0.05,
    exclude: ArrayLike | None = None,
) -> Reconciliation:
    """Reconcile measurements ``y`` (std ``sigma``) to the balances A x + B u = b.

    ``A`` (c × m) and ``B`` (c × p, unmeasured quantities; ``None`` for none) are sparse or dense
    matrices; ``b`` defaults to zero.  ``exclude``: measurements to treat as unmeasured (their
    reports ignored), as serial elimination does.  Tests at level ``alpha`` (global χ² test;
    measurement tests with the Šidák correction).  Raises :class:`DataError` (naming the entry)
    for non-finite or non-positive σ, and :class:`SolverError` when the balances are
    inconsistent (no x, u satisfy them).
    """
    if not 0.0 < alpha < 1.0:
        raise DataError(f"alpha must lie strictly between 0 and 1, got {alpha}")
    yv, sv, Ac, Bc, bv = _validate(y, sigma, A, B, b)
    m, c, p = len(yv), Ac.shape[0], Bc.shape[1]
    ex = np.zeros(m, dtype=bool)
    if exclude is not None:
        idx = np.asarray(exclude, dtype=np.intp).reshape(-1)
        if len(idx) and (idx.min() < 0 or idx.max() >= m):
            raise ShapeError(f"exclude names measurements outside 0..{m - 1}")
        ex[idx] = True
    measured = np.flatnonzero(~ex)
    excl = np.flatnonzero(ex)
    # unknowns of the solve: measured x scaled by σ; unmeasured = [u, excluded x]
    As = (Ac[:, measured] @ sp.diags_array(sv[measured])).tocsr()
    Bu = sp.hstack([Bc, Ac[:, excl]], format="csr") if len(excl) else Bc
    q = Bu.shape[1]
    # scaling: rows so that diag(A V Aᵀ) = 1; B's columns then to unit norm; rows without
    # measured quantities last, to unit norm over B — so that ε is small against S and Bᵀ S⁻¹ B
    na, nb = _row_norms(As), _row_norms(Bu)
    bad = np.flatnonzero((na == 0) & (nb == 0) & (bv != 0))
    if len(bad):
        j = int(bad[0])
        raise SolverError(f"balance {j} has no quantities but asks for {bv[j]}: inconsistent")
    R = 1.0 / np.where(na > 0, na, np.where(nb > 0, nb, 1.0))
    pure = np.flatnonzero((na == 0) & (nb > 0))
    if len(pure):
        R[pure] = _anchored_scales(Bu, R, pure, na > 0)
    Bs = (sp.diags_array(R) @ Bu).tocsc()
    cn = np.sqrt(np.asarray(Bs.multiply(Bs).sum(axis=0)).ravel())
    dcol = 1.0 / np.where(cn > 0, cn, 1.0)
    Bt = (Bs @ sp.diags_array(dcol)).tocsr()
    if len(pure):
        f = np.ones(c)
        f[pure] = 1.0 / _row_norms(Bt)[pure]
        R = R * f
        Bt = (sp.diags_array(f) @ Bt).tocsr()
    At = (sp.diags_array(R) @ As).tocsr()
    bt = R * bv
    yt = yv[measured] / sv[measured]
    rhs = np.concatenate([At @ yt - bt, np.zeros(q)])

    if c == 0 or len(measured) + q == 0:
        return _trivial(yv, sv, p, excl, alpha, c)

    S = (At @ At.T).tocsr()
    Sabs = (abs(At) @ abs(At).T).tocsr()
    # keep the full pattern of S (no cancellation dropping entries the selected inverse needs)
    S = (S + Sabs * 1e-300).tocsr()
    Ktrue = sp.block_array([[S, Bt], [Bt.T, None]], format="csc")
    lu: Any = None
    ok, eps = False, EPS
    big = Ktrue.shape[0] > DENSE_FALLBACK
    for eps in (EPS, 1e-7, 1e-5) if big else (EPS,):
        # larger ε: stabler pivots, slower refinement, diagonals less exact (O(ε/μ))
        Kreg = (Ktrue + sp.diags_array(np.concatenate([np.full(c, eps), np.full(q, -eps)]))).tocsc()
        lu = _sparse_factor(Kreg, big and eps == 1e-5)
        if lu is not None:
            sol, ok = _refine(lu, Ktrue, rhs, At, Bt, yt, bt)
            if ok:
                break
    small = Kreg.shape[0] <= DENSE_FALLBACK
    # symmetric pivots not stable enough (badly scaled): partial pivoting, dense
    dense = not ok and small
    if not dense:
        # selected inversion of the sparse factor: diag of K⁻¹, quadratic forms of A's columns
        from commonplan.numerics import _reconcile_kernels as kern

        zdiag, wdiag = _selected(lu, Kreg, At, kern)
        tr = float(np.clip(wdiag, 0.0, 1.0).sum())
        # ε is not small against some eigenvalue (nearly dependent balances, nearly
        # unobservable quantities): the projector's diagonal is off; use the exact inverse
        dense = abs(tr - round(tr)) > 1e-4 and small
    if dense:
        lu = _DenseFactor(Ktrue.toarray(), Bt.toarray())
        sol, ok = _refine(lu, Ktrue, rhs, At, Bt, yt, bt)
        zdiag, wdiag = lu.selected(At)
    lam, w = sol[:c], sol[c:]
    xt = yt - At.T @ lam
    ut = -w
    wt = np.clip(wdiag, 0.0, 1.0)  # Wᵢᵢ / σᵢ² (a projector's diagonal)
    qdiag = zdiag[:c]
    tdiag = -zdiag[c:]  # Var of scaled unmeasured
    trace = float(wt.sum())
    nu = round(trace)
    testable_m = wt > UNTESTABLE

    # back to original units
    x = yv.copy()
    x_se = np.zeros(m)
    adj = np.zeros(m)
    wvar = np.zeros(m)
    x[measured] = xt * sv[measured]
    adj[measured] = yv[measured] - x[measured]
    wvar[measured] = wt * sv[measured] ** 2
    x_se[measured] = sv[measured] * np.sqrt(np.clip(1.0 - wt, 0.0, 1.0))
    testable = np.zeros(m, dtype=bool)
    testable[measured] = testable_m
    allu = ut * dcol
    allvar = np.clip(tdiag, 0.0, None) * dcol**2
    observable = tdiag < 1e-2 / eps
    u = np.where(observable[:p], allu[:p], np.nan)
    u_se = np.where(observable[:p], np.sqrt(allvar[:p]), np.nan)
    x[excl] = np.where(observable[p:], allu[p:], np.nan)
    x_se[excl] = np.where(observable[p:], np.sqrt(allvar[p:]), np.nan)
    adj[excl] = np.nan
    wvar[excl] = 0.0

    with np.errstate(invalid="ignore", divide="ignore"):
        z = np.where(testable, adj / np.sqrt(wvar), np.nan)
        nodal = np.where(qdiag > UNTESTABLE, lam / np.sqrt(np.abs(qdiag)), np.nan)
    gamma = float(np.dot(At.T @ lam, At.T @ lam))
    # balance check in original units
    xfull = x.copy()
    xfull[excl] = allu[p:]  # unobservable ones too: any solution satisfies the balances
    ufull = allu[:p]
    resid = Ac @ xfull + Bc @ ufull - bv
    scale = abs(Ac) @ np.abs(xfull) + abs(Bc) @ np.abs(ufull) + np.abs(bv)
    with np.errstate(invalid="ignore", divide="ignore"):
        rel = np.where(scale > 0, np.abs(resid) / scale, np.abs(resid))
    worst = float(np.max(rel, initial=0.0))
    if worst > BALANCE_RTOL:
        j = int(np.argmax(rel))
        raise SolverError(
            f"balance {j} cannot be met (relative residual {worst:.2e}): the balances are "
            "inconsistent or too ill-conditioned to reconcile"
        )
    tests = int(testable.sum())
    return Reconciliation(
        x=x,
        x_se=x_se,
        u=u,
        u_se=u_se,
        u_observable=observable[:p].copy(),
        adjustment=adj,
        adjustment_var=wvar,
        z=z,
        testable=testable,
        redundancy=nu,
        redundancy_trace=trace,
        chi2=gamma,
        p_value=float(stats.chi2.sf(gamma, nu)) if nu > 0 else 1.0,
        global_critical=float(stats.chi2.isf(alpha, nu)) if nu > 0 else float("inf"),
        alpha=alpha,
        measurement_critical=sidak_critical(alpha, tests),
        correction="sidak",
        nodal_z=nodal,
        balance_residual=worst,
        excluded=excl,
        sigma=sv,
        _solver=_Solver(lu=lu, At=At, measured=measured, sigma=sv, c=c, p=q),
    )


DENSE_FALLBACK = 3000
"""Largest KKT system refactorised densely (partial pivoting) when the sparse one is inaccurate."""


def _sparse_factor(K: sp.csc_array, required: bool) -> Any:
    """SuperLU with a symmetric fill-reducing ordering and diagonal pivots (an LDLᵀ); ``None``
    when a pivot vanished in rounding (or forced a row interchange) and a dense fallback is
    allowed."""
    try:
        lu = spla.splu(
            K, permc_spec="MMD_AT_PLUS_A", diag_pivot_thresh=0.0, options={"SymmetricMode": True}
        )
    except RuntimeError as exc:
        if not required:
            return None
        raise SolverError(f"the reconciliation system could not be factorised: {exc}") from exc
    if not np.array_equal(lu.perm_r, lu.perm_c):  # a zero pivot forced a row interchange
        if not required:
            return None
        raise SolverError("the reconciliation factor needed off-diagonal pivots (not an LDLᵀ)")
    return lu


def _refine(
    lu: Any, K: sp.csc_array, rhs: Array, At: sp.csr_array, Bt: sp.csr_array, yt: Array, bt: Array
) -> tuple[Array, bool]:
    """Solve K z = rhs with the regularised factor and iterative refinement against K, until
    the balances hold row by row: |Ã x̃ + B̃ ũ − b̃| ≤ 1e-12 (|Ã||x̃| + |B̃||ũ| + |b̃|), and
    B̃ᵀ λ̃ = 0 normwise (relative to max |B̃ᵀ||λ̃|)."""
    c = At.shape[0]
    aA, aB = abs(At), abs(Bt)

    def error(z: Array) -> tuple[float, float]:
        lam, w = z[:c], z[c:]
        x = yt - At.T @ lam
        r1 = np.abs(At @ x - Bt @ w - bt)
        s1 = aA @ np.abs(x) + aB @ np.abs(w) + np.abs(bt)
        e1 = float(np.max(r1 / np.where(s1 > 0, s1, 1.0), initial=0.0))
        # normwise (B̃'s columns have unit norm): this block is optimality, not balance
        r2 = float(np.max(np.abs(Bt.T @ lam), initial=0.0))
        m2 = float(np.max(np.abs(lam), initial=0.0)) + 1e-300
        return e1, r2 / m2 if r2 > 1e-14 * max(1.0, float(np.max(np.abs(yt), initial=0.0))) else 0.0

    def done(e: tuple[float, float]) -> bool:
        return e[0] <= 1e-12 and e[1] <= 1e-10

    sol = lu.solve(rhs)
    best, best_err = sol, (np.inf, np.inf)
    for _ in range(30):
        e = error(sol)
        if done(e):
            return sol, True
        if e[0] + 1e-3 * e[1] < best_err[0] + 1e-3 * best_err[1]:
            best, best_err = sol, e
        sol = sol + lu.solve(rhs - K @ sol)
    # the stationary iteration stalls when ε is not small against an eigenvalue of either sign:
    # GMRES on K itself, preconditioned by the regularised factor, then a few more steps
    n = K.shape[0]
    M = spla.LinearOperator((n, n), matvec=lu.solve, dtype=np.float64)
    for _ in range(3):
        z, _info = spla.gmres(K, rhs, x0=best, M=M, rtol=1e-15, atol=0.0, restart=60, maxiter=4)
        e = error(z)
        if e[0] + 1e-3 * e[1] < best_err[0] + 1e-3 * best_err[1]:
            best, best_err = z, e
        if done(e):
            return z, True
    return best, best_err[0] <= 1e-10 and best_err[1] <= 1e-8


class _DenseFactor:
    """Small systems the sparse LDLᵀ could not solve accurately (dependent balances at extreme
    scales, rounding pivots): the Moore–Penrose inverse of the unregularised KKT matrix by SVD,
    with unobservable unmeasured quantities found from the null space of B."""

    def __init__(self, K: NDArray[np.float64], Bt: NDArray[np.float64]) -> None:
        self.Z = np.linalg.pinv(K, rcond=1e-15, hermitian=True)
        q = Bt.shape[1]
        self.unobservable = np.zeros(q, dtype=bool)
        if q:
            _, sv, vt = np.linalg.svd(Bt, full_matrices=True)
            rank = int((sv > 1e-10 * max(sv.max(initial=0.0), 1e-300)).sum())
            null = vt[rank:]
            self.unobservable = np.abs(null).max(axis=0, initial=0.0) > 1e-8

    def solve(self, rhs: Array) -> Array:
        out: Array = self.Z @ rhs
        return out

    def selected(self, At: sp.csr_array) -> tuple[Array, Array]:
        c = At.shape[0]
        Ad = At.toarray()
        wd = np.einsum("ij,ij->j", Ad, self.Z[:c, :c] @ Ad)
        zd = np.diag(self.Z).copy()
        zd[c:][self.unobservable] = -np.inf  # Var(û) = −(K⁺)ᵤᵤ: infinite, not determined
        return zd, wd


def _selected(lu: Any, K: sp.csc_array, At: sp.csr_array, kern: Any) -> tuple[Array, Array]:
    """diag(K⁻¹) in the original order, and aᵢᵀ Q aᵢ for each column aᵢ of At."""
    if not np.array_equal(lu.perm_r, lu.perm_c):  # pragma: no cover - diag pivots asked for
        raise SolverError("the reconciliation factor was not symmetric (off-diagonal pivots)")
    L = sp.csc_array(lu.L)
    L.sort_indices()
    d = lu.U.diagonal()
    n = L.shape[0]
    # the factor's full symbolic pattern (SuperLU's L omits the fill entries that came out 0,
    # which the selected inverse still needs)
    perm = lu.perm_c.astype(np.int64)
    Kp = sp.csc_array(K)
    inv = np.empty(n, np.int64)
    inv[perm] = np.arange(n)
    Kperm = sp.csc_array(Kp[inv][:, inv])
    Kperm = (Kperm + Kperm.T).tocsc()  # both triangles (pattern only matters)
    Kperm.sort_indices()
    indptr, indices = kern.symbolic_pattern(
        Kperm.indptr.astype(np.int64), Kperm.indices.astype(np.int64), n
    )
    lx, outside = kern.scatter_values(
        indptr, indices, L.indptr.astype(np.int64), L.indices.astype(np.int64), L.data
    )
    if outside:  # pragma: no cover - SuperLU's pattern lies within the symbolic one
        raise SolverError("the factor has entries outside its symbolic pattern")
    zx, zd, miss = kern.selected_inverse(indptr, indices, lx, d)
    Ac = sp.csc_array(At)
    Ac.sort_indices()
    wd, miss2 = kern.quadratic_diag(
        Ac.indptr.astype(np.int64),
        Ac.indices.astype(np.int64),
        Ac.data,
        perm,
        indptr,
        indices,
        zx,
        zd,
    )
    if miss or miss2:  # pragma: no cover - SuperLU keeps the symbolic pattern
        raise SolverError("selected inversion met a pruned factor pattern")
    return zd[perm], wd


def _trivial(yv: Array, sv: Array, p: int, excl: Index, alpha: float, c: int) -> Reconciliation:
    """No balances (or nothing to reconcile): estimates are the measurements, nothing tested."""
    m = len(yv)
    x = yv.copy()
    x[excl] = np.nan
    xs = sv.copy()
    xs[excl] = np.nan
    return Reconciliation(
        x=x,
        x_se=xs,
        u=np.full(p, np.nan),
        u_se=np.full(p, np.nan),
        u_observable=np.zeros(p, dtype=bool),
        adjustment=np.where(np.isin(np.arange(m), excl), np.nan, 0.0),
        adjustment_var=np.zeros(m),
        z=np.full(m, np.nan),
        testable=np.zeros(m, dtype=bool),
        redundancy=0,
        redundancy_trace=0.0,
        chi2=0.0,
        p_value=1.0,
        global_critical=float("inf"),
        alpha=alpha,
        measurement_critical=float("inf"),
        correction="sidak",
        nodal_z=np.full(c, np.nan),
        balance_residual=0.0,
        excluded=excl,
        sigma=sv,
    )


@dataclass(frozen=True)
class GrossError:
    """One suspect of serial elimination.

    ``index``: the measurement eliminated; ``group``: every measurement whose gross error would
    explain the data equally well at that step (parallel columns of P A: cannot be told apart),
    ``index`` included — blame the group, not one member, when it has more than one.
    ``confusable``: the measurements a single gross error could be in, at that step, at level α —
    the likelihood-ratio set {j : zₘₐₓ² − zⱼ² ≤ χ²₁,₁₋α} (approximate: the locations are not
    nested hypotheses); it contains ``group``.  Use it to say "one of these", not "this one".
    ``z``: its measurement statistic when picked; ``size`` and ``size_se``: the estimated gross
    error, y − (estimate from all other, non-suspect measurements), at the end.
    """

    index: int
    group: tuple[int, ...]
    confusable: tuple[int, ...]
    z: float
    size: float
    size_se: float
    step: int


@dataclass(frozen=True, eq=False)
class GrossErrorReport:
    """What :func:`serial_elimination` found: suspects in the order picked (most suspicious
    first), the measurements nothing can check, and the first and last reconciliations."""

    suspects: tuple[GrossError, ...]
    untestable: Index
    initial: Reconciliation
    final: Reconciliation
    method: str = "serial elimination (iterative measurement test, Šidák-corrected)"

    @property
    def ranked(self) -> Index:
        return np.array([s.index for s in self.suspects], dtype=np.intp)


def serial_elimination(
    y: ArrayLike,
    sigma: ArrayLike,
    A: Matrix,
    B: Matrix | None = None,
    b: ArrayLike | None = None,
    *,
    alpha: float = 0.05,
    max_suspects: int | None = None,
    gate: str = "measurement",
) -> GrossErrorReport:
    """Name gross errors by serial elimination (Ripps 1965; Serth & Heenan 1986's IMT).

    Repeat: reconcile; eliminate the testable measurement with the largest |z| (treat it as
    unmeasured) while ``gate`` rejects, and note the group of measurements indistinguishable
    from it.  ``gate``: ``"measurement"`` (default; the iterative measurement test): the largest
    |z| exceeds the Šidák critical value, so the family-wise false-accusation rate per round is
    α; ``"global"`` (Ripps' original): the global χ² test rejects; ``"both"``: both reject
    (fewest accusations, least power — the global test on many degrees of freedom is weak
    against one error).  Sizes of the
    named errors are estimated at the end, each suspect against all other, non-suspect,
    measurements.
    """
    rec = reconcile_linear(y, sigma, A, B, b, alpha=alpha)
    first = rec
    yv = np.asarray(y, dtype=np.float64).reshape(-1)
    picked: list[tuple[int, tuple[int, ...], tuple[int, ...], float, int]] = []
    limit = len(yv) if max_suspects is None else max_suspects
    step = 0
    if gate not in ("measurement", "global", "both"):
        raise DataError(f"gate must be 'measurement', 'global' or 'both', got {gate!r}")
    while len(picked) < limit:
        z = np.where(rec.testable, np.abs(rec.z), -1.0)
        i = int(np.argmax(z)) if len(z) else -1
        if i < 0 or z[i] <= 0:
            break
        mt = bool(z[i] > rec.measurement_critical)
        gt = not rec.passed
        go = {"measurement": mt, "global": gt, "both": mt and gt}[gate]
        if not go:
            break
        wcol = adjustment_covariance_column(rec, i)
        with np.errstate(invalid="ignore", divide="ignore"):
            corr = wcol / np.sqrt(rec.adjustment_var * rec.adjustment_var[i])
        grp = np.flatnonzero(rec.testable & (np.abs(corr) >= 1.0 - PARALLEL))
        group = tuple(int(k) for k in np.union1d(grp, [i]))
        t2 = np.where(rec.testable, rec.z**2, -np.inf)
        near = np.flatnonzero(t2 >= t2[i] - float(stats.chi2.isf(alpha, 1)))
        near = near[np.argsort(-t2[near], kind="stable")]
        conf = tuple(int(k) for k in near) + tuple(k for k in group if k not in set(near))
        picked.append((i, group, conf, float(rec.z[i]), step))
        step += 1
        rec = reconcile_linear(y, sigma, A, B, b, alpha=alpha, exclude=[p[0] for p in picked])
    suspects = tuple(
        GrossError(
            index=i,
            group=g,
            confusable=cf,
            z=zz,
            size=float(yv[i] - rec.x[i]),
            size_se=float(
                np.hypot(np.asarray(sigma, dtype=np.float64).reshape(-1)[i], rec.x_se[i])
            ),
            step=s,
        )
        for i, g, cf, zz, s in picked
    )
    return GrossErrorReport(
        suspects=suspects, untestable=first.untestable, initial=first, final=rec
    )


@dataclass(frozen=True, eq=False)
class GroupTest:
    """The GLR test for one common gross error in each group of measurements (a reporter's).

    Group g's alternative: y = x + δ f_g + e, f_g a given direction on the group's measurements
    (default: their reported values — every report inflated by the same factor 1 + δ).  Then
    ``z[g]`` = f̃ᵀ ã / √(f̃ᵀ W̃ f̃) ~ N(0, 1) under no error (ã, W̃ adjustments and their
    covariance scaled by σ, f̃ = f / σ), ``size[g]`` = δ̂ = f̃ᵀ ã / f̃ᵀ W̃ f̃ with ``size_se[g]``
    = 1 / √(f̃ᵀ W̃ f̃); groups whose direction nothing can check have ``z = nan``.
    ``critical``: Šidák level over the testable groups; ``ranked``: most suspicious first.
    """

    z: Array
    size: Array
    size_se: Array
    critical: float

    @property
    def ranked(self) -> Index:
        zz = np.where(np.isnan(self.z), -1.0, np.abs(self.z))
        return np.argsort(-zz, kind="stable").astype(np.intp)

    @property
    def flagged(self) -> Index:
        r = self.ranked
        with np.errstate(invalid="ignore"):
            return r[np.abs(self.z[r]) > self.critical]


def group_test(
    rec: Reconciliation,
    group_of: ArrayLike,
    *,
    direction: ArrayLike | None = None,
    y: ArrayLike | None = None,
    on_tested: Callable[[int, int], None] | None = None,
) -> GroupTest:
    """Test each group of measurements for one common gross error (see :class:`GroupTest`).

    ``group_of[i]``: the group (e.g. the reporter) of measurement i, −1 for none; groups are
    0..max.  ``direction``: the error's shape per measurement (default ``y``, the reports
    themselves: a proportional bias).  One solve with the kept factor per group;
    ``on_tested(k, groups)``, where given, is called as group k is tested.
    """
    g = np.asarray(group_of, dtype=np.intp).reshape(-1)
    m = len(rec.x)
    if len(g) != m:
        raise ShapeError(f"group_of has {len(g)} entries for {m} measurements")
    if direction is None:
        if y is None:
            raise DataError("group_test needs the reports y (or an explicit direction)")
        f = np.asarray(y, dtype=np.float64).reshape(-1)
    else:
        f = np.asarray(direction, dtype=np.float64).reshape(-1)
    if len(f) != m:
        raise ShapeError(f"direction has {len(f)} entries for {m} measurements")
    ng = int(g.max(initial=-1)) + 1
    z = np.full(ng, np.nan)
    size = np.full(ng, np.nan)
    se = np.full(ng, np.nan)
    sol = rec._solver
    if sol is None or ng == 0:
        return GroupTest(z, size, se, float("inf"))
    meas = sol.measured
    ft = np.zeros(m)
    ft[meas] = f[meas] / sol.sigma[meas]
    at = np.where(np.isnan(rec.adjustment), 0.0, rec.adjustment) / sol.sigma
    order = np.argsort(g, kind="stable")
    bounds = np.searchsorted(g[order], np.arange(ng + 1))
    for k in range(ng):
        if on_tested is not None:
            on_tested(k, ng)
        idx = order[bounds[k] : bounds[k + 1]]
        idx = idx[rec.testable[idx]]
        if not len(idx):
            continue
        fk = np.zeros(len(meas))
        pos = np.searchsorted(meas, idx)
        fk[pos] = ft[idx]
        h = sol.At @ fk
        qh = sol.lu.solve(np.concatenate([h, np.zeros(sol.p)]))[: sol.c]
        den = float(h @ qh)
        if den <= UNTESTABLE * float(fk @ fk):
            continue
        num = float(ft[idx] @ at[idx])
        z[k] = num / np.sqrt(den)
        size[k] = num / den
        se[k] = 1.0 / np.sqrt(den)
    return GroupTest(z, size, se, sidak_critical(rec.alpha, int(np.isfinite(z).sum())))


@dataclass(frozen=True, eq=False)
class GroupSuspect:
    """One suspect of :func:`serial_group_elimination`.

    ``group``: the group (reporter) blamed, or −1 when a single report is named whose
    indistinguishable set spans several groups; ``measurement``: the single report named, or −1
    when the whole group's reports are (a common error); ``members``: the measurements excluded
    at this step, and for a single report the reports indistinguishable from it.  ``z``: the
    statistic when named; ``size``, ``size_se``: the estimated error (δ̂ in units of the
    direction for a group, the GLR bias for a single report) and its standard error.
    """

    group: int
    measurement: int
    members: tuple[int, ...]
    z: float
    size: float
    size_se: float
    step: int


def serial_group_elimination(
    y: ArrayLike,
    sigma: ArrayLike,
    A: Matrix,
    B: Matrix | None = None,
    b: ArrayLike | None = None,
    *,
    group_of: ArrayLike,
    direction: ArrayLike | None = None,
    singles: bool | ArrayLike = True,
    alpha: float = 0.05,
    max_suspects: int | None = None,
    on_tested: Callable[[int, int, int], None] | None = None,
) -> tuple[tuple[GroupSuspect, ...], Reconciliation]:
    """Serial elimination by groups (reporters) and single reports together.

    Each round: the group tests of :func:`group_test` (one common error in all of a reporter's
    reports) at the Šidák level α/2 over the groups; if none rejects and ``singles``, the
    measurement tests at α/2 over the reports; the largest |z| that rejects is named and its
    measurements excluded (a whole group, or one report), and everything is re-tested.  A
    reporter that falsifies several reports consistently (its output and its own delivery
    reports, which its partners contradict one by one) is named by its group test; one that
    inflates a single report usually by its group test too, else by that report.  Without
    ``singles`` the groups alone are tested, at α.  ``singles`` may also be a mask over the
    measurements: only those may be named alone (a hard-to-fake measure — a meter, a count of
    receipts — is then named only with its reporter's other reports, never alone before the
    self-reports it contradicts).  Returns the suspects in order and the last
    reconciliation (suspects excluded).  ``on_tested(named, k, groups)``, where given, is called
    as group k of ``groups`` is tested, ``named`` suspects named before.
    """
    g = np.asarray(group_of, dtype=np.intp).reshape(-1)
    yv = np.asarray(y, dtype=np.float64).reshape(-1)
    if isinstance(singles, bool):
        alone = np.full(len(yv), singles)
    else:
        alone = np.asarray(singles, dtype=bool).reshape(-1)
        if len(alone) != len(yv):
            raise ShapeError(f"singles has {len(alone)} entries for {len(yv)} measurements")
    any_single = bool(alone.any())
    excluded: list[int] = []
    named: list[GroupSuspect] = []
    limit = len(yv) if max_suspects is None else max_suspects
    rec = reconcile_linear(y, sigma, A, B, b, alpha=alpha)
    if len(g) != len(yv):
        raise ShapeError(f"group_of has {len(g)} entries for {len(yv)} measurements")
    gg = g.copy()
    while len(named) < limit:
        told = None if on_tested is None else functools.partial(on_tested, len(named))
        gt = group_test(rec, gg, direction=direction, y=yv, on_tested=told)
        zg = np.where(np.isnan(gt.z), 0.0, np.abs(gt.z))
        zs = np.where(rec.testable & alone, np.abs(rec.z), 0.0) if any_single else np.zeros(len(yv))
        # groups first, at α/2 over the groups; then single reports, at α/2 over them
        crit_g = sidak_critical(alpha / 2 if any_single else alpha, int(np.isfinite(gt.z).sum()))
        crit_s = (
            sidak_critical(alpha / 2, int((rec.testable & alone).sum())) if any_single else np.inf
        )
        kg = int(np.argmax(zg)) if len(zg) else -1
        ks = int(np.argmax(zs)) if len(zs) else -1
        best_g = zg[kg] / crit_g if kg >= 0 else 0.0
        best_s = zs[ks] / crit_s if ks >= 0 else 0.0
        if best_g <= 1.0 and best_s <= 1.0:
            break
        if best_g > 1.0:
            best_s = 0.0
        if best_g >= best_s:
            members = tuple(int(i) for i in np.flatnonzero(gg == kg))
            named.append(
                GroupSuspect(
                    kg,
                    -1,
                    members,
                    float(gt.z[kg]),
                    float(gt.size[kg]),
                    float(gt.size_se[kg]),
                    len(named),
                )
            )
            excluded.extend(members)
            gg[gg == kg] = -1
        else:
            wcol = adjustment_covariance_column(rec, ks)
            with np.errstate(invalid="ignore", divide="ignore"):
                corr = wcol / np.sqrt(rec.adjustment_var * rec.adjustment_var[ks])
            same = np.union1d(np.flatnonzero(rec.testable & (np.abs(corr) >= 1 - PARALLEL)), [ks])
            owners = set(int(o) for o in g[same])
            who = owners.pop() if len(owners) == 1 else -1
            named.append(
                GroupSuspect(
                    who,
                    ks,
                    tuple(int(i) for i in same),
                    float(rec.z[ks]),
                    float(rec.bias[ks]),
                    float(rec.bias_se[ks]),
                    len(named),
                )
            )
            excluded.append(ks)
            gg[ks] = -1
        rec = reconcile_linear(y, sigma, A, B, b, alpha=alpha, exclude=excluded)
    return tuple(named), rec
