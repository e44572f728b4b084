"""Compiled inner loops (numba) for :mod:`commonplan.numerics.reconcile`.

Selected inversion (Takahashi, Fagan & Chin 1973): given K = L D Lᵀ (L unit lower triangular, in
CSC with sorted row indices and the filled pattern of the factorisation), the entries of Z = K⁻¹ on
the pattern of L + Lᵀ follow from Z = D⁻¹ L⁻¹ + (I − Lᵀ) Z, column by column from the last::

    Zᵢⱼ = − Σ_{k ∈ Sⱼ} Zᵢₖ Lₖⱼ        for i ∈ Sⱼ  (Sⱼ: rows of column j of L below the diagonal)
    Zⱼⱼ = 1 / dⱼ − Σ_{k ∈ Sⱼ} Lₖⱼ Zₖⱼ

Every Zᵢₖ needed (i, k ∈ Sⱼ) lies in the pattern, since Sⱼ is a clique of the filled graph.  The
cost is of the order of the factorisation's: no column of the inverse is ever formed.
"""

from __future__ import annotations

import numpy as np
from numba import njit


@njit(nogil=True, cache=True)
def _find(indptr, indices, col, row):  # type: ignore[no-untyped-def]
    """Position of (row, col) in a CSC pattern with sorted rows; −1 when absent."""
    lo = indptr[col]
    hi = indptr[col + 1]
    while lo < hi:
        mid = (lo + hi) >> 1
        r = indices[mid]
        if r < row:
            lo = mid + 1
        elif r > row:
            hi = mid
        else:
            return mid
    return -1


@njit(nogil=True, cache=True)
def selected_inverse(indptr, indices, lx, d):  # type: ignore[no-untyped-def]
    """Z = (L D Lᵀ)⁻¹ on the strictly-lower pattern of L (returned as values) and its diagonal.

    Returns (zx, zdiag, misses): ``misses`` counts entries needed but absent from the pattern
    (0 for a symbolic pattern; anything else means the pattern was pruned).
    """
    n = len(d)
    zx = np.zeros(len(lx))
    zdiag = np.zeros(n)
    misses = 0
    for j in range(n - 1, -1, -1):
        p0 = indptr[j]
        p1 = indptr[j + 1]
        for a in range(p0, p1):
            i = indices[a]
            s = 0.0
            for b in range(p0, p1):
                k = indices[b]
                lkj = lx[b]
                if lkj == 0.0:
                    continue
                if k == i:
                    s += zdiag[i] * lkj
                    continue
                q = _find(indptr, indices, min(i, k), max(i, k))  # Z is symmetric: its lower half
                if q >= 0:
                    s += zx[q] * lkj
                else:
                    misses += 1
            zx[a] = -s
        t = 1.0 / d[j]
        for a in range(p0, p1):
            t -= lx[a] * zx[a]
        zdiag[j] = t
    return zx, zdiag, misses


@njit(nogil=True, cache=True)
def quadratic_diag(a_indptr, a_indices, a_data, perm, z_indptr, z_indices, zx, zdiag):  # type: ignore[no-untyped-def]
    """For each column c of a CSC matrix F: cᵀ Z c, with Z given by :func:`selected_inverse`.

    ``perm[i]`` is the position of row i of F in the factorised order.  Needs Zᵢₖ for pairs of
    rows of one column of F: in the pattern when F's columns are columns of the factorised matrix.
    Returns the values and the number of missing entries.
    """
    m = len(a_indptr) - 1
    out = np.zeros(m)
    misses = 0
    for c in range(m):
        p0 = a_indptr[c]
        p1 = a_indptr[c + 1]
        s = 0.0
        for a in range(p0, p1):
            i = perm[a_indices[a]]
            va = a_data[a]
            s += va * va * zdiag[i]
            for b in range(a + 1, p1):
                k = perm[a_indices[b]]
                if i < k:
                    q = _find(z_indptr, z_indices, i, k)
                else:
                    q = _find(z_indptr, z_indices, k, i)
                if q >= 0:
                    s += 2.0 * va * a_data[b] * zx[q]
                else:
                    misses += 1
        out[c] = s
    return out, misses


@njit(nogil=True, cache=True)
def symbolic_pattern(ap, ai, n):  # type: ignore[no-untyped-def]
    """Pattern of the strictly lower factor L of a symmetric matrix (CSC, both triangles given).

    Elimination tree and row subtrees (Liu 1990; Davis's LDL): row k of L is the set of nodes
    met walking up the tree from each i < k with aᵢₖ ≠ 0.  Columns come out with sorted rows.
    """
    parent = np.full(n, -1, np.int64)
    flag = np.full(n, -1, np.int64)
    lnz = np.zeros(n, np.int64)
    for k in range(n):
        flag[k] = k
        for p in range(ap[k], ap[k + 1]):
            i = ai[p]
            while i < k and flag[i] != k:
                if parent[i] == -1:
                    parent[i] = k
                lnz[i] += 1
                flag[i] = k
                i = parent[i]
    lp = np.zeros(n + 1, np.int64)
    for k in range(n):
        lp[k + 1] = lp[k] + lnz[k]
    li = np.zeros(lp[n], np.int64)
    fill = lp[:n].copy()
    flag[:] = -1
    for k in range(n):
        flag[k] = k
        for p in range(ap[k], ap[k + 1]):
            i = ai[p]
            while i < k and flag[i] != k:
                li[fill[i]] = k
                fill[i] += 1
                flag[i] = k
                i = parent[i]
    return lp, li


@njit(nogil=True, cache=True)
def scatter_values(lp, li, sp_, si, sx):  # type: ignore[no-untyped-def]
    """Values of a sparse lower factor (CSC sp_, si, sx; sorted) on the pattern (lp, li).

    Returns the values and the number of nonzeros that fall outside the pattern.
    """
    n = len(lp) - 1
    lx = np.zeros(len(li))
    outside = 0
    for j in range(n):
        a = lp[j]
        a1 = lp[j + 1]
        for p in range(sp_[j], sp_[j + 1]):
            r = si[p]
            if r <= j:
                continue
            while a < a1 and li[a] < r:
                a += 1
            if a < a1 and li[a] == r:
                lx[a] = sx[p]
            elif sx[p] != 0.0:
                outside += 1
    return lx, outside
