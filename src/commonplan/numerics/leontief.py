"""The Leontief quantity and value systems.

Quantities (gross output x for final demand y)::

    (I − A) x = y

Values (λ, the amount of a primary input embodied in one unit of each product, for direct
coefficients l)::

    λ (I − A) = l        i.e.  λ = l (I − A)⁻¹,   and   λ y = l x

Two methods, chosen by size:

``"direct"``
    Dense LU of I − A (one factorisation serves x and λ), then one step of iterative refinement.
    Used for n ≤ ``DIRECT_MAX`` — every published national table.  Never an inverse.  The LU runs
    on one BLAS thread (:func:`one_blas_thread`).

``"gauss-seidel"``
    Gauss–Seidel sweeps on the split I − A = D − N (D the diagonal 1 − aᵢᵢ, N the
    off-diagonal coefficients).  For A ≥ 0 with spectral radius ρ(A) < 1, I − A is a nonsingular
    M-matrix and D − N a regular splitting, so the sweeps converge from any start and in any order,
    at least as fast as the Neumann series (Stein–Rosenberg theorem).  Memory is the matrix and a
    few vectors: no fill-in.  :func:`prepare` first puts the products in supply-chain order
    (upstream first: Kahn's peeling of sources and sinks, Eades–Lin–Smyth's degree rule where
    there are none), which makes I − A nearly triangular: the value system λ is then swept
    forward (from raw materials to final goods) and the quantity system x backward, so
    each sweep carries a change along a whole supply chain.  Both sweep over the columns of A
    (the inputs of each product, their cache-friendliest layout): λ gathers,
    λⱼ ← (lⱼ + Σᵢ λᵢ aᵢⱼ) / (1 − aⱼⱼ), and x scatters, keeping b + N x so that
    xⱼ ← (b + N x)ⱼ / (1 − aⱼⱼ) adds aᵢⱼ δ to row i.  x and λ run on two threads at once.  Each
    stops at the first sweep whose relative residual ‖b − (I − A)x‖₂ / ‖b‖₂ is within rtol (for
    x it comes with the scatter; for λ the next sweep measures it from the few entries below the
    diagonal), and that residual is then recomputed from scratch to confirm it.
"""

from __future__ import annotations

from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass
from functools import cached_property
from typing import Any

import numpy as np
import scipy.linalg as sla
import scipy.sparse as sp
from numpy.typing import NDArray

from commonplan.errors import SolverError
from commonplan.numerics.types import Array

__all__ = [
    "DIRECT_MAX",
    "LeontiefSolution",
    "Prepared",
    "SplitOperator",
    "leontief",
    "one_blas_thread",
    "prepare",
    "process_layout",
    "relative_residual",
    "solve_prepared",
    "split_operator",
    "supply_chain_order",
]

DIRECT_MAX = 2000
"""Largest n solved by the dense direct method under ``method="auto"``."""

BLAS_THREADS = 1
"""BLAS threads for the dense LUs of the solvers (:func:`one_blas_thread`)."""

_controller: Any = None


@contextmanager
def one_blas_thread() -> Iterator[None]:
    """BLAS limited to :data:`BLAS_THREADS` thread(s) inside the block (threadpoolctl).

    The solvers factor many small and mid-size dense matrices (policy iteration: one LU of
    I − A_s per technique set).  A multi-threaded BLAS gains little on them and, on a machine
    whose cores are busy with other work, loses badly: its threads spin waiting for one another.
    Measured on the 2-core development machine, shared (median and worst of 5 LUs):
    n = 300: 0.61 ms (worst 36 ms) on 2 threads against 0.63 ms (9 ms) on one; n = 2,000:
    200 ms (360 ms) against 120 ms (194 ms); and the optimal plans that factor 67 LUs of
    933 × 933, 8.9 s against 1.9 s.  The process-wide setting is restored on leaving; the
    controller is made once (0.35 ms), the limit then costs 12 µs.
    """
    global _controller
    if _controller is None:
        from threadpoolctl import ThreadpoolController

        _controller = ThreadpoolController()
    with _controller.limit(limits=BLAS_THREADS, user_api="blas"):
        yield


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
    if n >= np.iinfo(np.uint32).max:
        raise SolverError(f"an economy of {n} products is beyond the solver's 32-bit indexing")
    counts = np.diff(csr.indptr)
    row = np.repeat(np.arange(n, dtype=csr.indices.dtype), counts)
    on_diag = csr.indices == row
    d = np.ones(n)
    d[row[on_diag]] -= csr.data[on_diag]
    off = ~on_diag
    indptr = np.zeros(n + 1, dtype=np.int64)
    np.cumsum(np.bincount(row[off], minlength=n), out=indptr[1:])
    return SplitOperator(
        indptr=indptr,
        indices=csr.indices[off].astype(np.uint32),
        data=csr.data[off],
        dinv=1.0 / d,
    )


@dataclass(frozen=True, eq=False)
class Prepared:
    """I − A prepared for Gauss–Seidel: the columns of A, permuted to supply-chain order.

    ``order[k]`` is the original index of the k-th product in that order (identity when not
    reordered).  Build it with :func:`prepare`; :class:`commonplan.Economy` caches it.
    """

    cols: SplitOperator  # of (P A Pᵀ)ᵀ: row j lists the inputs of product j, x and λ sweep it
    order: NDArray[np.intp]
    reordered: bool

    @cached_property
    def rows(self) -> SplitOperator:
        """The rows of P A Pᵀ (the sweeps need only :attr:`cols`; built on first use)."""
        c = self.cols
        t = sp.csr_array((c.data, c.indices, c.indptr), shape=(c.n, c.n)).T.tocsr()
        return SplitOperator(t.indptr.astype(np.int64), t.indices.astype(np.uint32), t.data, c.dinv)


def prepare(A: sp.sparray | sp.spmatrix, *, reorder: bool = True) -> Prepared:
    """Split I − A for Gauss–Seidel, in supply-chain order unless ``reorder=False``.

    Straight from A's columns (CSC, as :class:`commonplan.Economy` keeps it): the order
    (:func:`supply_chain_order`) and one pass that lays the columns out permuted, without their
    diagonal and partitioned (:func:`process_layout`) — no conversion of A.
    """
    A = _canonical(A)
    n = A.shape[0]
    if n >= np.iinfo(np.uint32).max:
        raise SolverError(f"an economy of {n} products is beyond the solver's 32-bit indexing")
    reordered = reorder and n >= 2
    order = _order(A) if reordered else np.arange(n, dtype=np.int64)
    pos = np.empty(n, dtype=np.int64)
    pos[order] = np.arange(n)
    _, _, _, cols = process_layout(A, np.arange(n, dtype=np.int64), pos)
    return Prepared(cols, order.astype(np.intp), reordered)


def process_layout(
    B: sp.csc_array, makes: NDArray[np.int64], pos: NDArray[np.int64]
) -> tuple[NDArray[np.int64], NDArray[np.int64], NDArray[np.int64], SplitOperator]:
    """The columns of B (n × m, CSC) grouped by the position ``pos`` of the product each process
    ``makes``, rows renumbered to positions, own coefficients apart (1 / (1 − own) in ``dinv``),
    inputs upstream of a process's own product first.

    Returns (perm, proc_ptr, inv, layout): grouped process q is process ``perm[q]`` (``inv`` the
    inverse), the processes of the product in position i are ``proc_ptr[i]:proc_ptr[i + 1]``
    (see :func:`~commonplan.numerics._kernels.group_processes`).  For a square A with
    ``makes = range(n)``, the layout is :attr:`Prepared.cols`.  Filled on two threads.
    """
    from commonplan.numerics import _kernels

    m = len(makes)
    perm, proc_ptr, inv, where, indptr = _kernels.group_processes(B.indptr, B.indices, makes, pos)
    indices = np.empty(indptr[-1], dtype=np.uint32)
    data = np.empty(indptr[-1])
    dinv = np.empty(m)

    def fill(k: tuple[int, int]) -> None:
        _kernels.fill_processes(
            B.indptr, B.indices, B.data, makes, inv, where, indptr, indices, data, dinv, *k
        )

    with ThreadPoolExecutor(max_workers=2) as pool:  # the kernel releases the GIL
        list(pool.map(fill, [(0, m // 2), (m // 2, m)]))
    return perm, proc_ptr, inv, SplitOperator(indptr, indices, data, dinv)


def supply_chain_order(A: sp.sparray | sp.spmatrix) -> NDArray[np.intp]:
    """Products in supply-chain order, most upstream first (see
    :func:`~commonplan.numerics._kernels.supply_chain_order`).

    ``order[k]`` is the product in position k.  Only the pattern of A matters.
    """
    return _order(_canonical(A)).astype(np.intp)


def _canonical(A: sp.sparray | sp.spmatrix) -> sp.csc_array:
    """A as CSC, float64, duplicates summed (no copy where it already is)."""
    A = sp.csc_array(A, dtype=np.float64)
    A.sum_duplicates()
    return A


def _order(A: sp.csc_array) -> NDArray[np.int64]:
    """The order of :func:`supply_chain_order` from A's columns (the inputs of each product)
    and their transpose (the users of each), built as a pattern only."""
    from commonplan.numerics import _kernels

    users_ptr, users = _kernels.transpose_pattern(A.indptr, A.indices)
    order: NDArray[np.int64] = _kernels.supply_chain_order(users_ptr, users, A.indptr, A.indices)
    return order


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
    prepared: Prepared | None = None,
) -> LeontiefSolution:
    """Solve (I − A) x = y and λ (I − A) = l.

    Parameters
    ----------
    A
        n × n input coefficients, A ≥ 0 with ρ(A) < 1 (see
        :func:`commonplan.numerics.unproductive_blocks`).
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
    prepared
        :func:`prepare` of ``A``, to reuse across calls (Gauss–Seidel only).
    """
    n = A.shape[0]
    if A.shape != (n, n):
        raise SolverError(f"A must be square, got shape {A.shape}")
    if method == "auto":
        method = "direct" if n <= DIRECT_MAX else "gauss-seidel"
    if method == "direct":
        return _direct(A, y, l, rtol)
    if method == "gauss-seidel":
        return _gauss_seidel(prepared if prepared is not None else prepare(A), y, l, rtol, maxiter)
    raise SolverError(f"unknown method {method!r}: use 'auto', 'direct' or 'gauss-seidel'")


def _direct(
    A: sp.sparray | sp.spmatrix, y: Array | None, l: Array | None, rtol: float
) -> LeontiefSolution:
    n = A.shape[0]
    M = np.eye(n) - (A.toarray() if sp.issparse(A) else np.asarray(A, dtype=float))
    x = lam = None
    rx = rl = 0.0
    with one_blas_thread():
        lu = sla.lu_factor(M, check_finite=False)
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


def solve_prepared(
    prepared: Prepared,
    *,
    y: Array | None = None,
    l: Array | None = None,
    rtol: float = 1e-10,
    maxiter: int = 5000,
) -> LeontiefSolution:
    """:func:`leontief` by Gauss–Seidel on an operator already prepared (see :class:`Prepared`)."""
    return _gauss_seidel(prepared, y, l, rtol, maxiter)


def _gauss_seidel(
    prep: Prepared, y: Array | None, l: Array | None, rtol: float, maxiter: int
) -> LeontiefSolution:
    """Each right-hand side is its own job; jobs share two threads (x backward, λ forward)."""
    order = prep.order
    jobs: list[tuple[str, Array, int]] = []
    y2 = None if y is None else y.reshape(len(order), -1)
    l2 = None if l is None else l.reshape(-1, len(order))
    xdir, ldir = (-1, 1) if prep.reordered else (0, 0)
    if y2 is not None:
        jobs += [("x", np.ascontiguousarray(col[order]), xdir) for col in y2.T]
    if l2 is not None:
        jobs += [("lam", np.ascontiguousarray(row[order]), ldir) for row in l2]

    def run(job: tuple[str, Array, int]) -> tuple[Array, float, int]:
        kind, b, direction = job
        sweep = sweep_quantities if kind == "x" else sweep_values
        return sweep(prep.cols, b, direction, rtol, maxiter)

    if len(jobs) > 1:
        with ThreadPoolExecutor(max_workers=2) as pool:
            done = list(pool.map(run, jobs))
    else:
        done = [run(job) for job in jobs]
    sols = [np.empty_like(v) for v, _, _ in done]
    for out, (v, _, _) in zip(sols, done, strict=True):
        out[order] = v
    its = max((it for _, _, it in done), default=0)
    x = lam = None
    rx = rl = 0.0
    if y2 is not None:
        k = y2.shape[1]
        x = np.column_stack(sols[:k]).reshape(y.shape)  # type: ignore[union-attr]
        rx = max(r for _, r, _ in done[:k])
        sols, done = sols[k:], done[k:]
    if l2 is not None:
        lam = np.vstack(sols).reshape(l.shape)  # type: ignore[union-attr]
        rl = max(r for _, r, _ in done)
    return LeontiefSolution(x, lam, "gauss-seidel", its, rx, rl, rtol)


NO_PICK = np.empty(0, dtype=np.int64)


def sweep_quantities(
    op: SplitOperator,
    b: Array,
    direction: int,
    rtol: float,
    maxiter: int,
    *,
    pick: NDArray[np.int64] = NO_PICK,
    x0: Array | None = None,
) -> tuple[Array, float, int]:
    """Gauss–Seidel for  (I − A) x = b  until ‖b − (I − A) x‖₂ ≤ rtol ‖b‖₂: (x, residual, sweeps).

    ``op`` holds the *columns* of A (row j of its arrays: the inputs of product j, or of process
    ``pick[j]``), as :attr:`Prepared.cols` or the pricer's process layout.  Sweeps in scatter form
    (:func:`~commonplan.numerics._kernels.scatter_sweeps`), which keeps b + N x and so the
    residual after every sweep; the last is checked against one recomputed from scratch.  (Near
    the rounding floor — a product used by thousands sums thousands of terms, so at 10⁶ products
    the residual cannot be computed much below 1e-12 — the two differ; b + N x is then kept as
    recomputed and the sweeps go on: one more is enough.)  Starts from ``x0`` (copied) if given,
    else from zero.
    """
    from commonplan.numerics import _kernels  # numba compiles on first use only

    nb = float(np.linalg.norm(b))
    if nb == 0:  # x = 0 exactly (a warm start would leave its rounding behind)
        return np.zeros_like(b), 0.0, 0
    tol2 = (rtol * nb) ** 2
    args = (op.indptr, op.indices, op.data, op.dinv, pick)
    if x0 is None:
        x, acc = np.zeros_like(b), b.copy()
    else:
        x, acc = np.array(x0, dtype=np.float64), np.empty_like(b)
        _kernels.scatter_residual(*args, b, x, acc)
    sweeps = 0
    rn2 = best = np.inf
    while sweeps < maxiter:
        done, _, reached = _kernels.scatter_sweeps(*args, acc, x, maxiter - sweeps, tol2, direction)
        sweeps += done
        rn2 = _kernels.scatter_residual(*args, b, x, acc)  # the true residual; acc afresh
        if rn2 <= tol2 or not reached or not rn2 < best:  # done, stalled, or rounding
            break
        best = rn2
    return x, _checked(rn2, nb, rtol, sweeps), sweeps


def sweep_values(
    op: SplitOperator,
    b: Array,
    direction: int,
    rtol: float,
    maxiter: int,
    *,
    pick: NDArray[np.int64] = NO_PICK,
    x0: Array | None = None,
) -> tuple[Array, float, int]:
    """Gauss–Seidel for  λ (I − A) = b  until ‖b − λ (I − A)‖₂ ≤ rtol ‖b‖₂: (λ, residual, sweeps).

    ``op`` as for :func:`sweep_quantities` (the columns of A: here a gather, λⱼ from the inputs of
    j).  The sweeps measure the residual one sweep late for the price of the backward entries
    (:func:`~commonplan.numerics._kernels.gather_sweeps`) and stop when the one predicted for the
    newest iterate is below the tolerance; the true residual is then computed to confirm it.
    Starts from ``x0`` (copied) if given, else from zero.
    """
    from commonplan.numerics import _kernels

    nb = float(np.linalg.norm(b))
    if nb == 0:  # λ = 0 exactly: a warm start's leftovers, scaled up by the Lagrangian bound's
        return np.zeros_like(b), 0.0, 0  # normalisation, would make it meaningless
    tol2 = (rtol * nb) ** 2
    args = (op.indptr, op.indices, op.data, op.dinv, pick)
    lam = np.zeros_like(b) if x0 is None else np.array(x0, dtype=np.float64)
    dprev = np.zeros(len(b), dtype=np.float32)  # the last changes: half the cache of float64
    sweeps = 0
    rn2 = best = np.inf
    known = False
    while sweeps < maxiter:
        done, _, reached = _kernels.gather_sweeps(
            *args, b, lam, dprev, known, maxiter - sweeps, tol2, direction
        )
        sweeps += done
        known = True
        rn2 = _kernels.gather_residual(*args, b, lam)  # the true residual
        if rn2 <= tol2 or not reached or not rn2 < best:  # done, stalled, or rounding
            break
        best = rn2
    return lam, _checked(rn2, nb, rtol, sweeps), sweeps


def _checked(rn2: float, nb: float, rtol: float, sweeps: int) -> float:
    res = float(np.sqrt(rn2)) / nb
    if not res <= rtol:
        raise SolverError(
            f"Gauss–Seidel reached relative residual {res:.3g} after {sweeps} sweeps, "
            f"not {rtol:g}; "
            "the economy is close to unproductive (spectral radius near 1) — try method='direct' "
            "or a looser rtol"
        )
    return res
