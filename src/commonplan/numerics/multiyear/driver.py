"""Solving the T-period plan: :func:`solve_years` picks the form and times it."""

from __future__ import annotations

import time
from dataclasses import replace

from commonplan.errors import PlanInputError
from commonplan.numerics.leontief import Prepared
from commonplan.numerics.multiyear.forms import (
    HIGHS_ALGORITHMS,
    build_condensed,
    build_full,
    solve_built,
)
from commonplan.numerics.multiyear.problem import FORMS, YearsProblem, YearsSolution
from commonplan.numerics.multiyear.projected import aggregates, projectable, solve_projected

__all__ = ["solve_years"]


def solve_years(
    problem: YearsProblem,
    *,
    form: str = "auto",
    algorithm: str = "choose",
    prepared: Prepared | None = None,
    time_limit: float | None = None,
    rtol: float = 1e-9,
    maxiter: int = 2000,
) -> YearsSolution:
    """Solve the T-period plan in the ``"projected"``, ``"condensed"`` or ``"full"`` form.

    ``"auto"``: projected where it applies (:func:`projectable`: one technique per product; for
    ``"optimal"`` and ``"heavy-industry-first"`` also one asset type and one depreciation rate),
    else condensed for one technique per product, else full.  ``algorithm``: HiGHS's ``solver``
    option for the condensed and full forms (``"choose"``, ``"simplex"``, ``"ipm"``).
    ``prepared``: the Gauss–Seidel split of A (the economy's, cached) for the Leontief solves of
    the projected and condensed forms on large economies; without it they are dense LU.
    ``rtol``: the relative violation at which the projected form stops adding cuts, and HiGHS's
    tolerances.

    Accuracy: the projected form's master LP is scaled (see
    :mod:`~commonplan.numerics.multiyear.projected`) and its plan is exact
    to about 1e-12 on the Swedish table.  HiGHS's absolute tolerances on the unscaled condensed
    and full LPs (millions of SEK next to billions of hours) leave their objective up to about
    5e-4 below the optimum there (measured: max-min 0.12385 against 0.12394); on the
    well-scaled synthetic economies all three agree to 1e-9.
    """
    P = problem
    P.validate()
    if form not in FORMS:
        raise PlanInputError(f"form must be one of {', '.join(FORMS)}; got {form!r}")
    if algorithm not in HIGHS_ALGORITHMS:
        raise PlanInputError(f"algorithm must be one of {', '.join(HIGHS_ALGORITHMS)}")
    started = time.perf_counter()
    why = projectable(P)
    if form == "auto":
        form = "projected" if not why else ("condensed" if P.single_technique else "full")
    if form == "projected" and why:
        raise PlanInputError(f"the projected form cannot solve this plan: {why}")
    if form == "condensed" and not P.single_technique:
        raise PlanInputError("the condensed form needs one process per product")
    if form == "projected":
        ag = aggregates(P, prepared, min(rtol, 1e-10))
        build_s = time.perf_counter() - started
        out = solve_projected(P, ag, time_limit=time_limit, rtol=max(rtol, 1e-12), maxiter=maxiter)
    else:
        built = (
            build_condensed(P, prepared, min(rtol, 1e-10)) if form == "condensed" else build_full(P)
        )
        build_s = time.perf_counter() - started
        out = solve_built(P, built, algorithm, time_limit, rtol)
    info = dict(out.info, build_seconds=build_s)
    return replace(out, seconds=time.perf_counter() - started, info=info)
