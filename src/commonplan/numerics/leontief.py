"""The Leontief quantity and value systems.

Quantities (gross output x for final demand y)::

    (I − A) x = y

Values (λ, the amount of a primary input embodied in one unit of each product, for direct
coefficients l)::

    λ (I − A) = l        i.e.  λ = l (I − A)⁻¹,   and   λ y = l x

Two methods, chosen by size:

``"direct"``
    Dense LU of I − A (one factorisation serves x and λ), then one step of iterative refinement.
    Used for n ≤ ``DIRECT_MAX`` — every published national table.  Never an inverse.

``"gauss-seidel"``
    Symmetric Gauss–Seidel sweeps on the split I − A = D − N (D the diagonal 1 − aᵢᵢ, N the
    off-diagonal coefficients).  For A ≥ 0 with spectral radius ρ(A) < 1, I − A is a nonsingular
    M-matrix and D − N a regular splitting, so the sweeps converge from any start, at least as fast
    as the Neumann series (Stein–Rosenberg theorem).  Memory is the matrix and a few vectors: no
    fill-in.  x and λ run on two threads at once; several right-hand sides (labour, CO2, …) share
    each pass over the matrix.  Stops on the true relative residual ‖b − (I − A)x‖₂ / ‖b‖₂.
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

import numpy as np
import scipy.linalg as sla
import scipy.sparse as sp
from numpy.typing import NDArray

from commonplan.errors import SolverError

__all__ = [
    "DIRECT_MAX",
    "LeontiefSolution",
    "SplitOperator",
    "leontief",
    "relative_residual",
    "split_operator",
]

DIRECT_MAX = 2000
"""Largest n solved by the dense direct method under ``method="auto"``."""

Array = NDArray[np.float64]


@dataclass(frozen=True, eq=False)
class SplitOperator:
    """I − A as D − N: the rows of N (off-diagonal part of A) in CSR, and 1 / D.

    Build it once per matrix with :func:`split_operator`; :class:`commonplan.Economy` caches it.
    """

    indptr: NDArray[np.int64]
    indices: NDArray[np.uint32]
    data: Array
    dinv: Array

    @property
    def n(self) -> int:
        return len(self.dinv)


def split_operator(A: sp.sparray | sp.spmatrix) -> SplitOperator:
    """Split the rows of ``A`` (n × n) into diagonal and off-diagonal parts for Gauss–Seidel.

    Pass ``A`` for the quantity system and ``A.T`` for the value system.
    """
    csr = sp.csr_array(A, dtype=np.float64)
    csr.sum_duplicates()
    n = csr.shape[0]
    d = 1.0 - csr.diagonal()
    coo = csr.tocoo()
    off = coo.row != coo.col
    N = sp.csr_array((coo.data[off], (coo.row[off], coo.col[off])), shape=(n, n))
    N.sum_duplicates()
    if n >= np.iinfo(np.uint32).max:
        raise SolverError(f"an economy of {n} products is beyond the solver's 32-bit indexing")
    return SplitOperator(
        indptr=N.indptr.astype(np.int64),
        indices=N.indices.astype(np.uint32),
        data=N.data.astype(np.float64),
        dinv=1.0 / d,
    )


@dataclass(frozen=True)
class LeontiefSolution:
    """What :func:`leontief` found.

    ``x`` has shape (n,) or (n, k) like ``y``; ``lam`` has shape (n,) or (k, n) like ``l``.
    Residuals are relative 2-norms, the largest over right-hand sides (0.0 where not asked).
    """

    x: Array | None
    lam: Array | None
    method: str
    iterations: int
    residual_x: float
    residual_lam: float
    rtol: float

    @property
    def residual(self) -> float:
        return max(self.residual_x, self.residual_lam)


def relative_residual(M: sp.sparray | sp.spmatrix | Array, x: Array, b: Array) -> float:
    """max over columns of ‖b − M x‖₂ / ‖b‖₂ (absolute where b = 0)."""
    x2 = x.reshape(len(x), -1)
    b2 = b.reshape(len(b), -1)
    r = b2 - M @ x2
    nb = np.linalg.norm(b2, axis=0)
    nr = np.linalg.norm(r, axis=0)
    return float(np.max(np.where(nb > 0, nr / np.where(nb > 0, nb, 1.0), nr))) if len(nb) else 0.0


def leontief(
    A: sp.sparray | sp.spmatrix,
    *,
    y: Array | None = None,
    l: Array | None = None,
    method: str = "auto",
    rtol: float = 1e-10,
    maxiter: int = 5000,
    rows: SplitOperator | None = None,
    cols: SplitOperator | None = None,
) -> LeontiefSolution:
    """Solve (I − A) x = y and λ (I − A) = l.

    Parameters
    ----------
    A
        n × n input coefficients, A ≥ 0 with ρ(A) < 1 (see :func:`commonplan.numerics.productivity`).
    y
        Final demand, shape (n,) or (n, k) for k demand vectors.  ``None``: skip the quantities.
    l
        Direct primary-input coefficients, shape (n,) or (k, n) for k inputs (labour, CO2, …).
        ``None``: skip the values.
    method
        ``"auto"`` (direct up to :data:`DIRECT_MAX` products, else Gauss–Seidel), ``"direct"`` or
        ``"gauss-seidel"``.
    rtol
        Relative residual to reach; the result reports the residual actually reached.
    rows, cols
        Prepared :func:`split_operator` of ``A`` and of ``A.T``, to reuse across calls.
    """
    n = A.shape[0]
    if A.shape != (n, n):
        raise SolverError(f"A must be square, got shape {A.shape}")
    if method == "auto":
        method = "direct" if n <= DIRECT_MAX else "gauss-seidel"
    if method == "direct":
        return _direct(A, y, l, rtol)
    if method == "gauss-seidel":
        return _gauss_seidel(A, y, l, rtol, maxiter, rows, cols)
    raise SolverError(f"unknown method {method!r}: use 'auto', 'direct' or 'gauss-seidel'")


def _direct(
    A: sp.sparray | sp.spmatrix, y: Array | None, l: Array | None, rtol: float
) -> LeontiefSolution:
    n = A.shape[0]
    M = np.eye(n) - (A.toarray() if sp.issparse(A) else np.asarray(A, dtype=float))
    lu = sla.lu_factor(M, check_finite=False)
    x = lam = None
    rx = rl = 0.0
    if y is not None:
        x = sla.lu_solve(lu, y, check_finite=False)
        x = x + sla.lu_solve(lu, y - M @ x, check_finite=False)  # one refinement step
        rx = relative_residual(M, x, y)
    if l is not None:
        lt = l.T
        lam_t = sla.lu_solve(lu, lt, trans=1, check_finite=False)
        lam_t = lam_t + sla.lu_solve(lu, lt - M.T @ lam_t, trans=1, check_finite=False)
        rl = relative_residual(M.T, lam_t, lt)
        lam = lam_t.T
    return LeontiefSolution(x, lam, "direct", 1, rx, rl, rtol)


def _gauss_seidel(
    A: sp.sparray | sp.spmatrix,
    y: Array | None,
    l: Array | None,
    rtol: float,
    maxiter: int,
    rows: SplitOperator | None,
    cols: SplitOperator | None,
) -> LeontiefSolution:
    jobs: list[tuple[SplitOperator, Array]] = []
    if y is not None:
        jobs.append((rows if rows is not None else split_operator(A), y))
    if l is not None:
        jobs.append((cols if cols is not None else split_operator(sp.csr_array(A).T), l.T))
    if len(jobs) == 2:
        with ThreadPoolExecutor(max_workers=2) as pool:
            done = list(pool.map(lambda job: _sweep_until(*job, rtol, maxiter), jobs))
    else:
        done = [_sweep_until(*job, rtol, maxiter) for job in jobs]
    x = lam = None
    rx = rl = 0.0
    its = 0
    if y is not None:
        x, rx, it = done.pop(0)
        its = max(its, it)
    if l is not None:
        lam_t, rl, it = done.pop(0)
        lam = lam_t.T
        its = max(its, it)
    return LeontiefSolution(x, lam, "gauss-seidel", its, rx, rl, rtol)


def _sweep_until(
    op: SplitOperator, b: Array, rtol: float, maxiter: int
) -> tuple[Array, float, int]:
    """Gauss–Seidel on D − N until the relative residual is ≤ rtol; returns (x, residual, sweeps)."""
    from commonplan.numerics import _kernels  # numba compiles on first use only

    b2 = np.ascontiguousarray(b.reshape(op.n, -1), dtype=np.float64)
    x = b2 * op.dinv[:, None]  # first Jacobi term: a better start than zero
    r = np.empty_like(b2)
    nb = np.linalg.norm(b2, axis=0)
    nb[nb == 0] = 1.0
    tau = rtol
    sweeps = 0
    res = np.inf
    while sweeps < maxiter:
        sweeps += _kernels.gauss_seidel(
            op.indptr, op.indices, op.data, op.dinv, b2, x, rtol, maxiter - sweeps, tau
        )
        _kernels.residual(op.indptr, op.indices, op.data, op.dinv, b2, x, r)
        res = float(np.max(np.linalg.norm(r, axis=0) / nb))
        if res <= rtol:
            break
        tau /= 10.0
        if tau < 1e-17:  # cannot get smaller changes in double precision
            break
    if res > rtol:
        raise SolverError(
            f"Gauss–Seidel reached relative residual {res:.3g} after {sweeps} sweeps, not {rtol:g}; "
            "the economy is close to unproductive (spectral radius near 1) — try method='direct' "
            "or a looser rtol"
        )
    return x.reshape(b.shape), res, sweeps
