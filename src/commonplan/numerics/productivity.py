"""Is an economy productive?  Spectral radius and the blocks that fail.

An economy with input coefficients A ≥ 0 can deliver any final demand y ≥ 0 iff ρ(A) < 1
(Hawkins–Simon).  ρ(A) is the largest Perron root over the strongly connected blocks of the
supply graph (i → j when product j uses product i), so a failure is always located in a block:
a set of products that, between them, need more of themselves than they make.

Bounds used, cheapest first (Collatz–Wielandt, for A ≥ 0):

    min_j Σᵢ aᵢⱼ ≤ ρ(A) ≤ max_j Σᵢ aᵢⱼ          (column sums; the same with row sums)

and for a block where the bounds straddle 1, the Perron root itself: dense eigenvalues for blocks
up to 2,000 products, power iteration with Collatz–Wielandt bounds above that.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp
from scipy.sparse.csgraph import connected_components

__all__ = ["Block", "spectral_radius", "unproductive_blocks"]

_DENSE_MAX = 2000


@dataclass(frozen=True)
class Block:
    """A strongly connected set of products (indices) and its Perron root."""

    members: np.ndarray
    spectral_radius: float


def spectral_radius(A: sp.sparray | sp.spmatrix | np.ndarray, *, tol: float = 1e-9) -> float:
    """ρ(A) for A ≥ 0: the largest Perron root of its strongly connected blocks."""
    M = sp.csr_array(A)
    n = M.shape[0]
    if n == 0 or M.nnz == 0:
        return 0.0
    ncomp, labels = connected_components(M, directed=True, connection="strong")
    tiny = float(np.nextafter(0.0, 1.0))
    return max((b.spectral_radius for b in _blocks(M, ncomp, labels, tiny, tol)), default=0.0)


def unproductive_blocks(A: sp.sparray | sp.spmatrix, *, tol: float = 1e-12) -> list[Block]:
    """The strongly connected blocks of A ≥ 0 whose Perron root is ≥ 1 − tol (empty: productive)."""
    if not sp.issparse(A):
        A = sp.csr_array(A)
    if A.shape[0] == 0 or A.nnz == 0:
        return []
    if _sums_below(A, 1.0 - tol):  # the common case, without converting A
        return []
    M = sp.csr_array(A)
    ncomp, labels = connected_components(M, directed=True, connection="strong")
    return [b for b in _blocks(M, ncomp, labels, 1.0 - tol, 1e-9) if b.spectral_radius >= 1.0 - tol]


def _sums_below(A: sp.sparray | sp.spmatrix, bound: float) -> bool:
    """Every column sum, or every row sum, of A ≥ 0 is below ``bound`` (so ρ(A) is).

    Two sparse products with a vector of ones: a single pass over the arrays each, whatever
    the format, and no converted copy of A.
    """
    ones = np.ones(A.shape[0])
    return bool((A @ ones).max() < bound or (A.T @ ones).max() < bound)


def _blocks(M: sp.csr_array, ncomp: int, labels: np.ndarray, threshold: float, tol: float):  # type: ignore[no-untyped-def]
    """Yield the blocks whose column-sum bound does not already put ρ below ``threshold``."""
    order = np.argsort(labels, kind="stable")
    bounds = np.searchsorted(labels[order], np.arange(ncomp + 1))
    coo = M.tocoo()
    same = labels[coo.row] == labels[coo.col]
    # column sums within each block: an upper bound on its Perron root
    inblock = np.zeros(M.shape[0])
    np.add.at(inblock, coo.col[same], coo.data[same])
    ub = np.zeros(ncomp)
    np.maximum.at(ub, labels, inblock)
    for c in np.flatnonzero(ub >= threshold):
        members = np.sort(order[bounds[c] : bounds[c + 1]])
        sub = M[members][:, members]
        yield Block(members, _perron_root(sub, tol))


def _perron_root(B: sp.csr_array, tol: float) -> float:
    n = B.shape[0]
    if n <= _DENSE_MAX:
        return float(np.max(np.abs(np.linalg.eigvals(B.toarray()))))
    # power iteration on an irreducible block; Collatz–Wielandt bounds bracket ρ
    v = np.ones(n)
    lo, hi = 0.0, np.inf
    for _ in range(10_000):
        w = B @ v
        ratio = w / v
        lo, hi = float(ratio.min()), float(ratio.max())
        if hi - lo <= tol * max(hi, 1e-300):
            break
        v = (w + v) / np.linalg.norm(
            w + v
        )  # shifted (A + I) iteration: converges on a periodic block
    return 0.5 * (lo + hi)
