"""Compiled inner loops (numba) for the sparse Leontief solver.

Kept apart from :mod:`commonplan.numerics.leontief` so that small economies, which use a dense
direct solve, never pay numba's compile time.  All kernels release the GIL, so the quantity system
(x) and the value system (λ) run on two cores at once.

Index arrays are ``uint32``: numba checks signed indices for wrap-around (``x[-1]``) on every
access, which halves the speed of a sparse product; unsigned indices skip that check.
"""

from __future__ import annotations

import numpy as np
from numba import njit


@njit(nogil=True, cache=True)
def gauss_seidel(indptr, indices, data, dinv, b, x, maxiter, tau):  # type: ignore[no-untyped-def]
    """Gauss–Seidel sweeps for  D x − N x = b  (rows of N in CSR, D = diag(1/dinv)), in place.

    Sweeps alternate forward and backward (symmetric Gauss–Seidel), which follows a supply chain
    in whichever direction it runs.  Stops when the largest change in a sweep is at most
    ``tau`` times the largest |x| (a cheap proxy; the caller checks the true residual), or after
    ``maxiter`` sweeps.  Returns the number of sweeps.
    """
    n = b.shape[0]
    for sweep in range(maxiter):
        dmax = 0.0
        xmax = 0.0
        forward = sweep % 2 == 0
        for t in range(n):
            i = t if forward else n - 1 - t
            s = b[i]
            for p in range(indptr[i], indptr[i + 1]):
                s += data[p] * x[indices[p]]
            v = s * dinv[i]
            d = abs(v - x[i])
            if d > dmax:
                dmax = d
            if abs(v) > xmax:
                xmax = abs(v)
            x[i] = v
        if dmax <= tau * xmax:
            return sweep + 1
    return maxiter


@njit(nogil=True, cache=True)
def residual(indptr, indices, data, dinv, b, x, r):  # type: ignore[no-untyped-def]
    """r = b − (D − N) x, for the same split operator as :func:`gauss_seidel`."""
    for i in range(b.shape[0]):
        s = b[i] - x[i] / dinv[i]
        for p in range(indptr[i], indptr[i + 1]):
            s += data[p] * x[indices[p]]
        r[i] = s
