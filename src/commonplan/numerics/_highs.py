"""HiGHS set up once: a quiet instance with its options, a model from arrays, and the solver's
statuses read as the outcomes every plan solver reports.

Used by :mod:`~commonplan.numerics.lp`, :mod:`~commonplan.numerics.decomposition` and
:mod:`~commonplan.numerics.multiyear`; ``highspy`` is imported on first use.
"""

from __future__ import annotations

import os
import sys
from typing import Any

import numpy as np
import scipy.sparse as sp

from commonplan.errors import SolverError
from commonplan.numerics.types import Array

__all__ = [
    "INFEASIBLE",
    "LIMIT",
    "OPTIMAL",
    "UNBOUNDED",
    "iterations",
    "lp_model",
    "outcome",
    "quiet_highs",
    "status_text",
    "tolerances",
]

OPTIMAL, INFEASIBLE, UNBOUNDED, LIMIT = "optimal", "infeasible", "unbounded", "limit"
"""The outcomes of a solve: proved optimal, proved infeasible, unbounded, stopped at a limit."""


def quiet_highs(**options: Any) -> Any:
    """A ``highspy.Highs`` with logging off and ``options`` set (``None`` values skipped).

    HiGHS prints its banner to the C-level stdout when an instance is made, before any option can
    be set; that would corrupt ``--json`` output, so the descriptor is pointed at /dev/null while
    it is made.  An option HiGHS refuses raises :class:`SolverError`.
    """
    import highspy

    sys.stdout.flush()
    saved = os.dup(1)
    try:
        with open(os.devnull, "w") as devnull:
            os.dup2(devnull.fileno(), 1)
            h = highspy.Highs()  # type: ignore[no-untyped-call]
            h.setOptionValue("output_flag", False)
    finally:
        os.dup2(saved, 1)
        os.close(saved)
    for name, value in options.items():
        if value is not None and h.setOptionValue(name, value) != highspy.HighsStatus.kOk:
            raise SolverError(f"HiGHS refused option {name}={value!r}")
    return h


def tolerances(rtol: float) -> dict[str, float]:
    """HiGHS's tolerances for a relative optimality tolerance ``rtol``: well inside the agreement
    promised between solvers.

    The dual tolerance is ``rtol`` itself: HiGHS's prices are what certifies its plan (the
    Lagrangian bound at its cap prices), and reduced costs left at 10 ``rtol`` certified gaps of
    4e-9–1e-8 on degenerate problems (exact copies of techniques), which ``method="auto"`` then
    solved again with the structured solver (2–3× HiGHS's time).  At ``rtol`` HiGHS took one
    more simplex iteration there, for gaps of 1e-16.
    """
    feasibility = min(1e-7, rtol * 10)
    return {
        "primal_feasibility_tolerance": feasibility,
        "dual_feasibility_tolerance": min(1e-7, rtol),
        "ipm_optimality_tolerance": min(1e-8, rtol),
    }


def lp_model(cost: Array, lo: Array, hi: Array, A: sp.csc_array, rlo: Array, rhi: Array) -> Any:
    """A ``highspy.HighsLp``: minimise cost·x, lo ≤ x ≤ hi, rlo ≤ A x ≤ rhi (±inf: no bound)."""
    import highspy

    inf = highspy.kHighsInf

    def bound(v: Array) -> Array:
        return np.where(np.isfinite(v), v, np.where(v > 0, inf, -inf))

    A.sort_indices()
    model = highspy.HighsLp()
    model.num_col_ = A.shape[1]
    model.num_row_ = A.shape[0]
    model.col_cost_ = np.asarray(cost, dtype=np.float64)  # (assign whole arrays: pybind copies)
    model.col_lower_ = bound(lo)
    model.col_upper_ = bound(hi)
    model.row_lower_ = bound(rlo)
    model.row_upper_ = bound(rhi)
    model.a_matrix_.format_ = highspy.MatrixFormat.kColwise
    model.a_matrix_.start_ = A.indptr.astype(np.int32)
    model.a_matrix_.index_ = A.indices.astype(np.int32)
    model.a_matrix_.value_ = A.data
    return model


def outcome(h: Any) -> str | None:
    """The outcome of the last run of ``h``: :data:`OPTIMAL`, :data:`INFEASIBLE`,
    :data:`UNBOUNDED` (or unbounded-or-infeasible), :data:`LIMIT` (time or iteration limit), or
    ``None`` for any other model status (numerical trouble)."""
    import highspy

    S = highspy.HighsModelStatus
    status = h.getModelStatus()
    if status == S.kOptimal:
        return OPTIMAL
    if status == S.kInfeasible:
        return INFEASIBLE
    if status in (S.kUnbounded, S.kUnboundedOrInfeasible):
        return UNBOUNDED
    if status in (S.kTimeLimit, S.kIterationLimit):
        return LIMIT
    return None


def iterations(h: Any) -> int:
    """Simplex, interior-point and PDLP iterations of the last run of ``h``."""
    info = h.getInfo()
    return int(info.simplex_iteration_count + info.ipm_iteration_count + info.pdlp_iteration_count)


def status_text(h: Any) -> str:
    """HiGHS's own words for the last run's model status."""
    return str(h.modelStatusToString(h.getModelStatus()))
