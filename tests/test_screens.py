"""Tests of commonplan.numerics.screens: each flags what it should, and not what it shouldn't."""

from __future__ import annotations

import numpy as np
import pytest

from commonplan.errors import DataError, NonFiniteError, ShapeError
from commonplan.numerics.screens import (
    BENFORD,
    benford,
    bunching,
    digit_heaping,
    hard_measure_gap,
    robust_z,
    round_numbers,
    storming,
)


def test_bunching() -> None:
    rng = np.random.default_rng(1)
    plan = rng.uniform(100, 1000, 400)
    honest = plan * rng.normal(1.0, 0.05, 400)
    s = bunching(honest, plan)
    assert s.applicable and not s.flagged and 0.3 < s.statistic < 0.7
    # shortfalls up to 4 % reported as 100.0–101.5 %
    r = honest / plan
    faked = np.where((r > 0.96) & (r < 1.0), rng.uniform(1.0, 1.015, 400), r) * plan
    s = bunching(faked, plan)
    assert s.flagged and s.p_value < 1e-6 and "just above" in s.reason
    assert not bunching([1.0], [1.0]).applicable
    with pytest.raises(DataError, match=r"planned\[1\]"):
        bunching([1.0, 1.0], [1.0, 0.0])
    with pytest.raises(ShapeError):
        bunching([1.0], [1.0, 2.0])


def test_storming() -> None:
    rng = np.random.default_rng(2)
    even = rng.gamma(50, 1.0, (12, 30))  # 12 months of daily output
    s = storming(even)
    assert s.applicable and not s.flagged and abs(s.statistic - 1 / 3) < 0.03
    stormed = even.copy()
    stormed[:, 20:] *= 2.0  # the last ten days double
    s = storming(stormed)
    assert s.flagged and s.statistic == pytest.approx(0.5, abs=0.03) and "last 10 of 30" in s.reason
    assert not storming(np.ones((4, 2))).applicable
    assert not storming(np.zeros((4, 6))).applicable


def test_digit_heaping_and_round_numbers() -> None:
    rng = np.random.default_rng(3)
    honest = np.round(rng.uniform(100, 10_000, 500))
    assert not digit_heaping(honest).flagged
    heaped = honest.copy()
    heaped[:200] = np.round(heaped[:200] / 5) * 5
    s = digit_heaping(heaped)
    assert s.flagged and "0 or 5" in s.reason
    assert not digit_heaping(honest[:20]).applicable
    assert not round_numbers(honest).flagged
    rounded = honest.copy()
    rounded[:60] = np.round(rounded[:60] / 100) * 100
    s = round_numbers(rounded, unit=100)
    assert s.flagged and s.statistic >= 0.12
    assert not round_numbers(np.arange(1, 30) * 100.0).applicable  # all recorded in hundreds
    with pytest.raises(NonFiniteError, match=r"values\[2\]"):
        digit_heaping([1.0, 2.0, np.nan])


def test_robust_z() -> None:
    history = np.array([2.0, 2.1, 1.9, 2.05, 1.95, 2.02, 1.98])
    s = robust_z(2.03, history)
    assert s.applicable and not s.flagged
    s = robust_z(3.0, history, what="hours per tonne")
    assert s.flagged and s.statistic > 10 and "hours per tonne" in s.reason
    assert not robust_z(1.0, [1.0, 1.0, 1.0, 1.0, 1.0]).applicable
    assert not robust_z(1.0, [1.0, 2.0]).applicable


def test_benford() -> None:
    rng = np.random.default_rng(4)
    wide = 10 ** rng.uniform(0, 5, 3000)  # log-uniform: Benford exactly
    s = benford(wide)
    assert s.applicable and not s.flagged
    narrow = rng.uniform(400, 900, 3000)
    s = benford(narrow)
    assert not s.applicable and "does not apply" in s.reason
    invented = 10 ** rng.uniform(0, 5, 3000)
    invented[:1200] = rng.uniform(5, 10, 1200) * 10 ** rng.integers(0, 5, 1200)
    s = benford(invented)
    assert s.flagged and s.p_value < 1e-6
    assert BENFORD.sum() == pytest.approx(1.0)


def test_hard_measure_gap() -> None:
    # 1000 t reported; 50 MWh metered at 40 kWh/t ± 5 % → 1250 t ± 62.5
    s = hard_measure_gap(1000, 10, 50_000, 0.0, 40.0, 2.0)
    assert s.flagged and s.statistic < -3 and "energy metered implies 1250" in s.reason
    s = hard_measure_gap(1240, 10, 50_000, 0.0, 40.0, 2.0)
    assert not s.flagged
    with pytest.raises(DataError):
        hard_measure_gap(1, 1, 1, 1, 0, 1)
