"""Watching a running plan's series: the plan is the prior, changes are named, recountable."""

from __future__ import annotations

import numpy as np
import pytest

from commonplan.errors import PlanInputError
from commonplan.monitor.watch import watch

PERIODS = [f"2027-{m:02d}" for m in range(1, 13)]


def _noise(n: int, seed: int = 0) -> np.ndarray:
    return np.random.default_rng(seed).normal(0.0, 2.0, (n, len(PERIODS)))


def test_a_series_on_plan_raises_nothing_and_forecasts_the_plan() -> None:
    plan = np.array([100.0, 5000.0, 0.25])
    y = plan[:, None] * np.ones((3, 12))
    w = watch(["a", "b", "c"], y, planned=plan, periods=PERIODS)
    assert w.signals == () and w.history == ()
    for view, p in zip(w.series, plan, strict=True):
        assert view.forecast == pytest.approx(p)
        assert view.lower < p < view.upper
        assert view.states["steady"] > 0.9


def test_a_step_an_outlier_and_a_drift_are_named_when_they_happen() -> None:
    n = 300
    plan = np.full(n, 100.0)
    y = plan[:, None] + _noise(n)
    y[0, 8:] -= 10.0  # 5σ step down from September
    y[1, 10] += 15.0  # one wrong figure in November
    std = np.full((n, 12), 2.0)
    names = [f"Works {i}, A01" for i in range(n)]
    w = watch(names, y, planned=plan, periods=PERIODS, std=std)
    first = {(s.series, s.kind): s for s in w.history}
    step = first[("Works 0, A01", "level step down")]
    assert step.period == "2027-09" and step.size == pytest.approx(-10.0, abs=3.0)
    assert "stepped down" in step.reason and step.reason.startswith("Works 0, A01")
    assert first[("Works 1, A01", "outlier")].period == "2027-11"
    # the others are steady noise: at most one false signal per 100 series-periods
    false = [s for s in w.history if s.series not in ("Works 0, A01", "Works 1, A01")]
    assert len(false) <= 0.01 * (n - 2) * 12


def test_the_same_values_give_the_same_watch() -> None:
    y = 100.0 + _noise(20, seed=3)
    a = watch([str(i) for i in range(20)], y, planned=np.full(20, 100.0), periods=PERIODS)
    b = watch([str(i) for i in range(20)], y.copy(), planned=np.full(20, 100.0), periods=PERIODS)
    assert a == b


def test_missing_periods_and_extreme_magnitudes() -> None:
    plan = np.array([1e-6, 1e9, 0.0, 42.0])
    y = np.outer(plan, np.ones(12))
    y[3, 2:5] = np.nan  # three months not reported
    w = watch(list("abcd"), y, planned=plan, periods=PERIODS)
    for view in w.series:
        assert np.isfinite([view.forecast, view.lower, view.upper]).all()
    assert w.series[3].forecast == pytest.approx(42.0)


@pytest.mark.parametrize(
    "kw,message",
    [
        ({"planned": [1.0, np.nan]}, "one finite figure"),
        ({"values": np.ones((2, 3))}, "2 series × 12 periods"),
        ({"relative_sd": 0.0}, "relative_sd"),
    ],
)
def test_bad_input_is_refused(kw: dict[str, object], message: str) -> None:
    args: dict[str, object] = {"values": np.ones((2, 12)), "planned": [1.0, 1.0]}
    args.update(kw)
    values = args.pop("values")
    with pytest.raises(PlanInputError, match=message):
        watch(["a", "b"], values, periods=PERIODS, **args)  # type: ignore[arg-type]
