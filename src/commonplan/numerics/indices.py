"""Stafford Beer's indices of a workplace: actuality, capability, potentiality.

From *Brain of the Firm* (1972; 2nd ed. 1981, ch. "The Cybernetic Factory" and the Cybersyn
appendix), three levels of achievement, each a quantity of output (or any measured activity):

actuality
    what we are managing to do now, with existing resources, under existing constraints.
capability
    what we could achieve now, if we really worked at it, with existing resources and under
    existing constraints — here: the plan's capacities.
potentiality
    what we ought to be doing by developing our resources and removing constraints, although
    still operating within the bounds of what is already known to be feasible — here: the best
    technique known.

and three ratios, each normally in [0, 1]::

    productivity = actuality / capability
    latency      = capability / potentiality
    performance  = productivity × latency = actuality / potentiality

Zero denominators get a stated meaning instead of a division error:

* 0 / 0 is NaN — *undefined*: nothing could be done and nothing was done (a closed line); the
  ``defined`` masks say where.
* x / 0 with x > 0 is +∞ — the denominator was understated (more was done than was judged
  possible); the ``over_capability`` and ``over_potentiality`` masks flag every ratio above 1,
  finite or not.
* performance is computed as actuality / potentiality, equal to the product wherever capability
  is positive, and still meaningful where it is zero (0 when nothing was done of what was
  potentially possible).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike, NDArray

from commonplan.errors import DataError, NonFiniteError, ShapeError
from commonplan.numerics.types import Array

__all__ = ["BeerIndices", "beer_indices"]


@dataclass(frozen=True, eq=False)
class BeerIndices:
    """Beer's three ratios per workplace (shape of the inputs), with where each is defined.

    ``over_capability``: actuality > capability; ``over_potentiality``: capability >
    potentiality — the estimate in the denominator is too low and should be revised.
    """

    productivity: Array
    latency: Array
    performance: Array
    over_capability: NDArray[np.bool_]
    over_potentiality: NDArray[np.bool_]

    @property
    def defined(self) -> NDArray[np.bool_]:
        """Where all three ratios are numbers (not 0 / 0)."""
        return ~(np.isnan(self.productivity) | np.isnan(self.latency) | np.isnan(self.performance))


def _ratio(num: Array, den: Array) -> Array:
    pos = den > 0
    out = np.where(num > 0, np.inf, np.nan)
    np.divide(num, den, out=out, where=pos)
    return out


def beer_indices(
    actuality: ArrayLike,
    capability: ArrayLike,
    potentiality: ArrayLike,
    *,
    names: list[str] | None = None,
) -> BeerIndices:
    """productivity = A / C, latency = C / P, performance = A / P for each workplace.

    The three arrays have one shape (a scalar broadcasts) and hold finite values ≥ 0; ``names``
    (optional, one per workplace of a 1-d input) name the workplace in error messages.
    """
    arrays = [np.asarray(a, dtype=np.float64) for a in (actuality, capability, potentiality)]
    labels = ("actuality", "capability", "potentiality")
    try:
        a, c, p = np.broadcast_arrays(*arrays)
    except ValueError:
        shapes = ", ".join(f"{n} {x.shape}" for n, x in zip(labels, arrays, strict=True))
        raise ShapeError(f"actuality, capability and potentiality must match: {shapes}") from None
    if names is not None and (a.ndim != 1 or len(names) != a.shape[0]):
        raise ShapeError(f"names must give one name per workplace ({a.shape}), got {len(names)}")
    for label, x in zip(labels, (a, c, p), strict=True):
        for bad, err, what in (
            (~np.isfinite(x), NonFiniteError, "is not a finite number"),
            (x < 0, DataError, "is negative"),
        ):
            if bad.any():
                idx = tuple(int(i) for i in np.argwhere(bad)[0])
                where = idx[0] if len(idx) == 1 else idx
                who = names[idx[0]] if names is not None else f"workplace {where}"
                raise err(f"{label} of {who} {what} ({x[idx]!r}); it must be a quantity ≥ 0")
    with np.errstate(invalid="ignore"):
        return BeerIndices(
            productivity=_ratio(a, c),
            latency=_ratio(c, p),
            performance=_ratio(a, p),
            over_capability=a > c,
            over_potentiality=c > p,
        )
