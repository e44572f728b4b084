"""The hours ledger's rules (:mod:`commonplan.work.hours`): a federation's ``hours`` setting — the
quota, the waking hours of a week, the credit kinds and their caps — and the weeks of a period."""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from commonplan.errors import PlanInputError

HOURS_PER_WEEK = 168.0
"""Hours in a week: nobody works or is credited more in one (the "two places at once" check)."""
WEEKS_PER_YEAR = 52.0
"""A plan's year in weeks: a month is 52/12 weeks, and a week 1/52 of the plan's year."""

HOURS_DEFAULTS: dict[str, Any] = {
    "quota_per_week": 42.0,
    "awake_per_week": 112.0,
    "credits": {
        "sick": {"max_per_week": 42.0},
        "care": {"max_per_week": 42.0},
        "study": {"max_per_week": 10.0},
        "age": {"max_per_week": 42.0, "from_age": 50, "per_year": 1.0},
    },
}
"""Twin Oaks-like defaults of the federation setting ``hours`` (see the module docstring)."""


@dataclass(frozen=True)
class CreditRule:
    """A credit kind's rule: at most ``max_per_week`` hours a week; with ``from_age``, at most
    ``per_year × (age − from_age)`` a week (zero below that age) as well."""

    kind: str
    max_per_week: float
    from_age: int | None = None
    per_year: float | None = None

    def cap_per_week(self, age: int | None) -> float:
        """The most hours of this credit a week, for a member of ``age`` where the rule needs it."""
        if self.from_age is None:
            return self.max_per_week
        if age is None:
            raise PlanInputError(f"a {self.kind} credit gives the member's age")
        return min(self.max_per_week, (self.per_year or 0.0) * max(0, age - self.from_age))


@dataclass(frozen=True)
class HoursSettings:
    """A federation's ``hours`` setting with the defaults filled in."""

    quota_per_week: float
    awake_per_week: float
    credits: Mapping[str, CreditRule]


def hours_settings(settings: Mapping[str, Any]) -> HoursSettings:
    """The ``hours`` setting of a federation's ``settings`` over :data:`HOURS_DEFAULTS`; a
    ``credits`` mapping given replaces the default kinds whole (a federation lists the kinds it
    credits).  PlanInputError names a setting that is not a number ≥ 0 or not known."""
    given = dict(settings.get("hours") or {})
    unknown = set(given) - set(HOURS_DEFAULTS)
    if unknown:
        raise PlanInputError(
            f"unknown hours setting(s) {sorted(unknown)}; known: {sorted(HOURS_DEFAULTS)}"
        )
    cfg = {**HOURS_DEFAULTS, **given}
    credits = {}
    for kind, rule in dict(cfg["credits"]).items():
        rule = dict(rule or {})
        extra = set(rule) - {"max_per_week", "from_age", "per_year"}
        if extra:
            raise PlanInputError(f"hours.credits.{kind}: unknown key(s) {sorted(extra)}")
        from_age = rule.get("from_age")
        credits[str(kind)] = CreditRule(
            kind=str(kind),
            max_per_week=_setting(rule.get("max_per_week", cfg["quota_per_week"]), kind),
            from_age=None if from_age is None else int(_setting(from_age, f"{kind}.from_age")),
            per_year=None
            if from_age is None
            else _setting(rule.get("per_year", 1.0), f"{kind}.per_year"),
        )
    return HoursSettings(
        quota_per_week=_setting(cfg["quota_per_week"], "quota_per_week"),
        awake_per_week=_setting(cfg["awake_per_week"], "awake_per_week"),
        credits=credits,
    )


def _setting(value: Any, what: str) -> float:
    try:
        v = float(value)
    except (TypeError, ValueError):
        raise PlanInputError(f"hours setting {what} must be a number; got {value!r}") from None
    if not (math.isfinite(v) and 0 <= v <= HOURS_PER_WEEK):
        raise PlanInputError(f"hours setting {what} must be between 0 and 168; got {value!r}")
    return v


def weeks_in(period: str) -> float:
    """Weeks in a reporting period: 1 for ``YYYY-Www``, 52/12 for a month ``YYYY-MM``."""
    return 1.0 if "-W" in period else WEEKS_PER_YEAR / 12
