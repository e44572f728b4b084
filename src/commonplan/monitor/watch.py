"""Watching every series of a running plan: what each workplace made against what was planned.

Each series — one workplace's output of one product, its hours, an input — is watched by the
multi-state model of :mod:`commonplan.numerics.monitor` (Harrison & Stevens: steady, level step,
slope change, outlier).  The model starts where the plan starts: its prior level is the plan's
figure for a period, so the first forecast *is* the plan, and a series that keeps to the plan
raises nothing.  Each period's value is the reconciled estimate, with its standard error as the
measurement's standard deviation where reconciliation gives one (a reported figure nothing could
check has the source's default spread).  The whole history is re-filtered from the plan on every
call: the result depends only on the recorded values, so anyone can recount it.

:func:`watch` returns, per series, the last period's state probabilities, the forecast of the
next period with its 95 % interval, Beer's indices where capability and potentiality are known,
and a :class:`SeriesSignal` where the last period shows a change — with its plain-words reason,
the text of the alert it raises (:mod:`commonplan.monitor.alerts`).

A large step (many standard errors of a precise reconciled figure) is likelier an outlier than a
step under the model, whose step variance is tuned for steps of a few σ; an "outlier" whose next
value departs as far the same way did not come back, so it is signalled as the level step it
was, and the series' level restarts at the new value (West & Harrison's intervention).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import ArrayLike, NDArray

from commonplan.errors import PlanInputError

__all__ = ["SeriesSignal", "SeriesView", "Watch", "watch"]

DEFAULT_RELATIVE_SD = 0.02
"""A value's standard deviation, relative to the plan's figure, where none is given."""
MIN_RELATIVE_SD = 1e-6
"""No series is watched more tightly than this share of its planned level (a plan of exactly
constant output would otherwise leave the model no noise to work with)."""

_KINDS = {1: "level step up", 2: "level step down", 3: "trend up", 4: "trend down", 5: "outlier"}


@dataclass(frozen=True)
class SeriesSignal:
    """A change in one series, as of ``period``: what kind, how sure, how big, and why."""

    series: str
    period: str
    kind: str
    probability: float
    size: float
    reason: str


@dataclass(frozen=True)
class SeriesView:
    """One watched series after the last period."""

    name: str
    values: tuple[float, ...]
    planned: float
    states: dict[str, float]
    forecast: float
    lower: float
    upper: float
    signal: SeriesSignal | None

    def to_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "values": [None if math.isnan(v) else v for v in self.values],
            "planned": self.planned,
            "states": dict(self.states),
            "forecast": self.forecast,
            "lower": self.lower,
            "upper": self.upper,
            "signal": None if self.signal is None else vars(self.signal),
        }


@dataclass(frozen=True)
class Watch:
    """Every series after ``periods[-1]``; ``signals`` are the series that changed as of the
    last period; ``history`` every signal of every period, in order (when each change was
    first seen)."""

    periods: tuple[str, ...]
    series: tuple[SeriesView, ...]
    history: tuple[SeriesSignal, ...] = ()

    @property
    def signals(self) -> tuple[SeriesSignal, ...]:
        return tuple(s.signal for s in self.series if s.signal is not None)


def _matrix(name: str, value: ArrayLike, shape: tuple[int, int]) -> NDArray[np.float64]:
    a = np.asarray(value, dtype=float)
    if a.shape != shape:
        raise PlanInputError(
            f"{name} must be {shape[0]} series × {shape[1]} periods; got {a.shape}"
        )
    return a


STAYED_Z = 3.0
"""An "outlier" whose next value departs as far the same way (|z| ≥ this) did not come back."""


def _stayed(result: Any, signals: Any) -> NDArray[np.intp]:
    """The series flagged as an outlier last period whose value this period departs from the
    forecast the same way again: the level moved, by more than the model's step variance allows
    (a large step, many standard errors of a precise reconciled figure, is likelier an outlier
    under the model than a step: it would keep calling it one)."""
    flagged = signals.flagged
    if not flagged.size:
        return np.empty(0, dtype=np.intp)
    outlier = signals.kind[flagged] == 5
    z = result.z[flagged]
    same = np.sign(result.innovation[flagged]) == np.sign(signals.size[flagged])
    hit = outlier & same & (np.abs(np.nan_to_num(z)) >= STAYED_Z)
    out: NDArray[np.intp] = flagged[hit]
    return out


def _intervene(state: Any, series: NDArray[np.intp], y: NDArray[np.float64], sd: Any) -> Any:
    """West & Harrison's intervention after a detected change: the series' level restarts at
    this period's value (its uncertainty that of the value), all steady, the slope kept."""
    import dataclasses

    prob, mean, cov = state.prob.copy(), state.mean.copy(), state.cov.copy()
    v = np.where(np.isnan(sd[series]), state.noise_var[series], sd[series] ** 2)
    prob[series] = (1.0, 0.0, 0.0, 0.0)
    mean[series, :, 0] = y[series, None]
    cov[series, :, 0] = v[:, None]
    cov[series, :, 1] = 0.0
    changes: dict[str, Any] = {"prob": prob, "mean": mean, "cov": cov}
    for name, value in (
        ("last_forecast", y),
        ("last_innovation", 0.0),
        ("last_step_prob", 0.0),
        ("last_step_size", 0.0),
    ):
        old = getattr(state, name)
        if old is not None:
            new = old.copy()
            new[series] = y[series] if isinstance(value, np.ndarray) else value
            changes[name] = new
    return dataclasses.replace(state, **changes)


def _as_step(signal: SeriesSignal, result: Any, s: int) -> SeriesSignal:
    """The outlier ``signal`` of series ``s`` re-read as the level step it was."""
    size = float(result.innovation[s])
    way = "up" if size >= 0 else "down"
    probability = float(1.0 - result.prob_previous[s, 0])
    return SeriesSignal(
        series=signal.series,
        period=signal.period,
        kind=f"level step {way}",
        probability=probability,
        size=size,
        reason=(
            f"{signal.series}: the level stepped {way} by about {abs(size):.4g} last period and "
            f"stayed there (probability {100 * probability:.0f} %)"
        ),
    )


def watch(
    names: Sequence[str],
    values: ArrayLike,
    *,
    planned: ArrayLike,
    periods: Sequence[str],
    std: ArrayLike | None = None,
    relative_sd: float = DEFAULT_RELATIVE_SD,
) -> Watch:
    """Filter every series from its plan through the periods given.

    ``values``: n series × T periods (NaN: nothing known for that period); ``planned``: the
    plan's figure per period of each series (n); ``std``: the values' standard deviations (n × T,
    NaN where unknown), else ``relative_sd`` × the planned figure.
    """
    from commonplan.numerics.monitor import detect, forecast, initial_state, update

    n, t = len(names), len(periods)
    if n == 0 or t == 0:
        return Watch(tuple(periods), ())
    y = _matrix("values", values, (n, t))
    plan = np.asarray(planned, dtype=float)
    if plan.shape != (n,) or not np.all(np.isfinite(plan)):
        raise PlanInputError(f"planned must give one finite figure for each of the {n} series")
    if not (math.isfinite(relative_sd) and relative_sd > 0):
        raise PlanInputError(f"relative_sd must be a positive number; got {relative_sd}")
    sd = np.full((n, t), np.nan) if std is None else _matrix("std", std, (n, t))
    scale = np.maximum(np.abs(plan), np.nanmax(np.abs(y), axis=1, initial=0.0))
    floor = MIN_RELATIVE_SD * np.maximum(scale, 1e-12)
    noise = np.maximum(relative_sd * np.abs(plan), floor)
    sd = np.where(np.isnan(sd), np.nan, np.maximum(sd, floor[:, None]))
    state = initial_state(plan, noise_var=noise**2)
    history: list[SeriesSignal] = []
    seen: set[tuple[str, str, str]] = set()
    last: dict[int, SeriesSignal] = {}
    for k in range(t):
        result = update(state, y[:, k], obs_std=sd[:, k])
        state = result.state
        signals = detect(result)
        stayed = _stayed(result, signals)
        if stayed.size:
            state = _intervene(state, stayed, y[:, k], sd[:, k])
        last = {}
        for s in signals.flagged:
            lag = max(int(signals.lag[s]), 0)
            signal = SeriesSignal(
                series=names[s],
                period=periods[max(k - lag, 0)],
                kind=_KINDS[int(signals.kind[s])],
                probability=float(signals.probability[s]),
                size=float(signals.size[s]),
                reason=signals.reason(int(s), names[s]),
            )
            if s in stayed:
                signal = _as_step(signal, result, int(s))
            last[int(s)] = signal
            key = (signal.series, signal.period, signal.kind)
            if key not in seen:
                seen.add(key)
                history.append(signal)
    ahead = forecast(state, 1)
    prob = result.prob
    views = []
    for s, name in enumerate(names):
        views.append(
            SeriesView(
                name=name,
                values=tuple(float(v) for v in y[s]),
                planned=float(plan[s]),
                states={
                    "steady": float(prob[s, 0]),
                    "level step": float(prob[s, 1]),
                    "slope change": float(prob[s, 2]),
                    "outlier": float(prob[s, 3]),
                },
                forecast=float(ahead.mean[s]),
                lower=float(ahead.lower[s]),
                upper=float(ahead.upper[s]),
                signal=last.get(s),
            )
        )
    return Watch(tuple(periods), tuple(views), tuple(history))
