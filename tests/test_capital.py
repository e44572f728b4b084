"""Capital coefficients: the documented derivation on the Swedish table, other rules, user input."""

from __future__ import annotations

import numpy as np
import pytest

from commonplan import Economy, PlanInputError, UnknownNameError, demo_economy, synthetic_economy
from commonplan.plan.capital import (
    CAPITAL_GOODS_NACE,
    GROUPS,
    capital_from_coefficients,
    derive_capital,
    sector_groups,
)


@pytest.fixture(scope="module")
def sweden() -> Economy:
    return demo_economy()


def test_sweden_derivation_golden_values(sweden: Economy) -> None:
    """κ_k = d_k / δ; investment (1 + g/δ) Σ d x = 893,081 MSEK; composition ∝ capital goods' y."""
    c = derive_capital(sweden)
    d = sweden.resources["capital_consumption"]
    x = sweden.gross_output
    assert float(d @ x) == pytest.approx(669_811.0, rel=1e-6)  # Σ d_k x_k, million SEK
    np.testing.assert_allclose(c.per_process, d / 0.06, rtol=1e-12)
    assert c.per_process[sweden.products.index("A01")] == pytest.approx(0.2031364154 / 0.06)
    assert c.gfcf.sum() == pytest.approx(669_811.0 * (1 + 0.02 / 0.06), rel=1e-6)
    assert c.gfcf.sum() == pytest.approx(893_081.3, rel=1e-6)
    s = c.composition.toarray().ravel()
    assert s.sum() == pytest.approx(1.0)
    y = sweden.final_demand["domestic_final_demand"]
    f = sweden.products.index("F")
    cap = np.isin(np.array(sweden.products), CAPITAL_GOODS_NACE)
    assert s[f] == pytest.approx(y[f] / y[cap].sum())  # construction: 381,107 of 1,274,636
    assert s[f] == pytest.approx(381_107 / 1_274_636)
    assert (s[~cap] == 0).all()
    # Kc = s κᵀ, and the capital stock is 1.51 × gross output
    Kc = c.coefficients.toarray()
    np.testing.assert_allclose(Kc, np.outer(s, d / 0.06), rtol=1e-12)
    assert Kc.sum(axis=0) @ x / x.sum() == pytest.approx(1.511, abs=1e-3)
    assert any("proxy" in line for line in c.derivation)


def test_sweden_sector_groups(sweden: Economy) -> None:
    g = sector_groups(sweden)
    assert tuple(g) == GROUPS
    names = {k: {sweden.products[i] for i in np.flatnonzero(v)} for k, v in g.items()}
    assert names["capital goods"] == set(CAPITAL_GOODS_NACE)
    assert {"C24", "D35", "B"} <= names["materials and energy"]
    assert {"Q86", "C10T12", "G45-47"} <= names["consumer goods and services"]
    total = sum(v.astype(int) for v in g.values())
    assert (total == 1).all()  # a partition


def test_options_change_the_derivation(sweden: Economy) -> None:
    slow = derive_capital(sweden, depreciation=0.03)
    base = derive_capital(sweden)
    np.testing.assert_allclose(slow.per_process, 2 * base.per_process, rtol=1e-12)
    given = derive_capital(sweden, gfcf={"F": 3.0, "C28": 1.0})
    s = given.composition.toarray().ravel()
    assert s[sweden.products.index("F")] == pytest.approx(0.75)
    assert given.gfcf.sum() == pytest.approx(4.0)
    flat = derive_capital(sweden, capital_output=2.0)
    assert (flat.per_process == 2.0).all()
    with pytest.raises(PlanInputError, match="depreciation"):
        derive_capital(sweden, depreciation=1.5)
    with pytest.raises(PlanInputError, match=r"gfcf must be finite and ≥ 0.*F"):
        derive_capital(sweden, gfcf={"F": -1.0})


def test_tables_without_capital_data_are_calibrated() -> None:
    """No capital consumption: κ = GFCF / ((g + δ) Σ x); capital goods the top tenth by y."""
    e = synthetic_economy(200, seed=4)
    c = derive_capital(e)
    y = e.final_demand["households"]
    g = sector_groups(e)
    cap = g["capital goods"]
    assert cap.sum() == 20
    assert y[cap].min() >= y[~cap].max()
    from commonplan.plan.capital import base_output

    x = base_output(e)
    assert c.per_process[0] == pytest.approx(y[cap].sum() / (0.08 * x.sum()))
    assert c.gfcf.sum() == pytest.approx(y[cap].sum())


def test_user_supplied_coefficients(sweden: Economy) -> None:
    coef = {"F": {"H49": 2.0, "C24": 1.0}, "C28": {"C24": 0.5}}
    c = capital_from_coefficients(sweden, coef, depreciation=0.1)
    assert c.asset_types == ("C28", "F")
    Kc = c.coefficients.toarray()
    assert Kc[sweden.products.index("F"), sweden.processes.index("H49")] == 2.0
    assert c.per_process[sweden.processes.index("C24")] == pytest.approx(1.5)
    assert c.capital_goods.sum() == 2
    with pytest.raises(UnknownNameError, match="ZZ"):
        capital_from_coefficients(sweden, {"F": {"ZZ": 1.0}})
    with pytest.raises(PlanInputError, match=r"≥ 0.*F/H49"):
        capital_from_coefficients(sweden, {"F": {"H49": -1.0}})
    with pytest.raises(PlanInputError, match="products × processes"):
        capital_from_coefficients(sweden, np.ones((3, 3)))


def test_capital_to_dict_round_trips_the_numbers(sweden: Economy) -> None:
    c = derive_capital(sweden)
    d = c.to_dict()
    assert d["capital_per_capacity"]["F"] == pytest.approx(
        c.per_process[sweden.products.index("F")]
    )
    assert sorted(d["capital_goods"]) == sorted(CAPITAL_GOODS_NACE)
    assert sum(d["gfcf"].values()) == pytest.approx(c.gfcf.sum())
