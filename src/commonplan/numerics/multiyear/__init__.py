"""The multi-year plan: capacity, investment and capital as one linear programme, in three
forms (HiGHS via highspy throughout, no modelling layer).

- :mod:`~commonplan.numerics.multiyear.problem` — the model's equations, its arrays
  (:class:`YearsProblem`) and what a solver returns (:class:`YearsSolution`);
- :mod:`~commonplan.numerics.multiyear.forms` — the ``"full"`` and ``"condensed"`` LPs, built
  and solved whole;
- :mod:`~commonplan.numerics.multiyear.projected` — the ``"projected"`` form: cutting planes on
  the yearly aggregates;
- :mod:`~commonplan.numerics.multiyear.driver` — :func:`solve_years`, which picks the form.
"""

from commonplan.numerics.multiyear.driver import solve_years
from commonplan.numerics.multiyear.problem import (
    FORMS,
    OBJECTIVES,
    STRATEGIES,
    YearsProblem,
    YearsSolution,
    capacity_path,
)
from commonplan.numerics.multiyear.projected import projectable

__all__ = [
    "FORMS",
    "OBJECTIVES",
    "STRATEGIES",
    "YearsProblem",
    "YearsSolution",
    "capacity_path",
    "projectable",
    "solve_years",
]
