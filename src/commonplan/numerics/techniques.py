"""Choice of technique when a product can be made by several processes.

With one primary input (cost c per unit of activity, e.g. labour hours) the embodied cost of each
product solves the Bellman equation

    λₚ = min over processes k that make p of ( c_k + Σᵢ Bᵢₖ λᵢ )

and, by the non-substitution theorem (Samuelson, Arrow, Koopmans), the techniques that attain the
minimum are cost-minimising for *every* final demand y ≥ 0: one technique per product, chosen once.
We solve it by policy iteration (Howard): evaluate the current choice with one Leontief value solve,
switch each product to its cheapest process at those values, repeat until nothing changes.  Each
switch lowers λ, so the iteration ends after finitely many steps; in practice a handful.
"""

from __future__ import annotations

import numpy as np
import scipy.sparse as sp
from numpy.typing import NDArray

from commonplan.errors import SolverError
from commonplan.numerics.leontief import leontief

__all__ = ["cheapest_techniques", "square_matrix"]


def square_matrix(B: sp.csc_array, choice: NDArray[np.intp]) -> sp.csc_array:
    """A for one technique per product: column p of A is column ``choice[p]`` of B."""
    return sp.csc_array(B[:, choice])


def cheapest_techniques(
    B: sp.csc_array,
    makes: NDArray[np.intp],
    c: NDArray[np.float64],
    *,
    rtol: float = 1e-12,
    maxiter: int = 100,
    method: str = "auto",
) -> tuple[NDArray[np.intp], NDArray[np.float64], int]:
    """Cost-minimising technique for every product; returns (choice, λ, policy iterations).

    ``B`` is n × m (inputs per unit of activity), ``makes[k]`` the product process k makes, ``c``
    the primary-input cost per unit of activity.  Ties — processes within ``rtol`` (relative) of
    the cheapest — go to the lowest process index, so the result does not depend on the path.
    """
    n, m = B.shape
    by_product = np.lexsort((np.arange(m), makes))  # processes grouped by product, index order
    starts = np.searchsorted(makes[by_product], np.arange(n))
    q = c.astype(np.float64)
    choice = _argmin_per_product(q, by_product, starts, rtol)
    for it in range(1, maxiter + 1):
        sol = leontief(square_matrix(B, choice), l=c[choice], rtol=rtol, method=method)
        lam = sol.lam
        assert lam is not None
        q = c + B.T @ lam
        best = _argmin_per_product(q, by_product, starts, rtol)
        better = q[best] < q[choice] - rtol * np.abs(q[choice])
        if not better.any():
            return best, lam, it  # best differs from choice only among ties
        choice = np.where(better, best, choice)
    raise SolverError(f"technique choice did not settle after {maxiter} policy iterations")


def _argmin_per_product(
    q: NDArray[np.float64], by_product: NDArray[np.intp], starts: NDArray[np.intp], rtol: float
) -> NDArray[np.intp]:
    """For each product, the lowest-index process with q within ``rtol`` of the smallest."""
    qs = q[by_product]
    mins = np.minimum.reduceat(qs, starts)
    counts = np.diff(np.append(starts, len(qs)))
    m = np.repeat(mins, counts)
    is_min = qs <= m + rtol * np.abs(m)
    # first minimal process of each group: smallest position among the minimal ones
    pos = np.where(is_min, np.arange(len(qs)), len(qs))
    first = np.minimum.reduceat(pos, starts)
    return by_product[first]
