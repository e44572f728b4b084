"""Capital coefficients: how much of which capital goods a unit of capacity needs.

A multi-year plan (:func:`commonplan.plan_years`) needs, for every process k, the stock of
capital goods that one unit of capacity (one unit of output a year) ties up: the capital
coefficients Kc (products × processes).  Input-output tables rarely publish them; where they do
not, this module derives them from what tables do publish, and every step below is recorded in
:attr:`Capital.derivation`.

**Shape: rank one, Kc = s κᵀ.**  Tables that give investment at all give it by product (gross
fixed capital formation, GFCF, a final-demand column) and capital by industry (consumption of fixed
capital, "Kapitalförslitning" in the Swedish table), not the full capital-flow matrix.  So the
capital of every process is taken to be made of the same goods in the same proportions:
s (products, Σ s = 1) is the composition of investment, κ_k the capital per unit of capacity of
process k, and Kc[i, k] = s_i κ_k.  (A user who has a capital-flow matrix passes it to
:func:`capital_from_coefficients` instead.)

**Composition s.**  The GFCF column by product where the economy has one (a final demand named
``gfcf``, ``investment`` …, or the ``gfcf`` argument).  Otherwise — as for the shipped Swedish
table, whose eight final-demand columns were summed into one — a proxy: the final demand of the
capital-goods products (:func:`sector_groups`), s_i ∝ y_i (at most x_i − (A x)_i, what domestic
output leaves after intermediate use, for tables whose final demand includes imports).  For
Sweden 2016 that is construction (F, 30 %), machinery and vehicles (C25–C30, C33, 38 %) and
software and R&D (J62_63, M71-72, 31 %); the proxy includes their exports, so it overweights
machinery and vehicles.

**Capital per unit of capacity κ.**  With consumption of fixed capital d_k per unit of output (the
resource ``capital_consumption``) and geometric depreciation at rate δ, the perpetual-inventory
identity CFC = δ × stock gives κ_k = d_k / δ.  δ defaults to :data:`DEPRECIATION` = 6 % a year, a
rate between long-lived structures (≈ 3 %) and equipment and software (15–30 %).  For Sweden 2016
Σ_k d_k x_k = 669,811 million SEK, so the capital stock is 11.2 × 10⁶ million SEK, 1.5 times
gross output (about 2.5 times GDP).  Without capital consumption every process gets the same
κ = GFCF / ((g + δ) Σ_k x_k): the stock that a steady growth rate g (:data:`BASE_GROWTH`) and
δ make consistent with the year's investment.

**Base-year investment.**  GFCF by product is s × total, the total being the GFCF column where
given, else (1 + g / δ) Σ_k d_k x_k (steady growth: I = (g + δ) K and δ K = CFC): 893,081 million
SEK for Sweden 2016 — close to the national accounts' business and government fixed investment
excluding dwellings.  Without capital consumption either, the capital goods' whole final demand
is taken as investment.  :func:`commonplan.plan_years` subtracts it from the final demand to get
the consumption bundle: in a multi-year plan investment is chosen, not given.

**Sector groups** (:func:`sector_groups`): "capital goods" (Feldman's department I: what
investment is made of), "materials and energy" (mostly used up by other industries) and
"consumer goods and services" (the rest).  For NACE/SNI-coded tables (the Swedish one) the capital
goods are C25–C30, C33 (machinery, vehicles, their repair and installation), F (construction),
J62_63 (software) and M71-72 (R&D, engineering) — the asset types of GFCF — and materials and
energy are A02 (forestry), B, C16, C17, C19, C20-21, C22, C23, C24, D35, E36, E37T39.  For
NAICS-coded tables (BEA) the capital goods are the codes starting 23, 333, 334, 335, 3361, 3364
and 5415 (:data:`CAPITAL_GOODS_NAICS`), materials and energy those of :data:`MATERIALS_NAICS`.
Other tables: products with a GFCF share of final use of at least 25 % where the economy has a
GFCF column, else the tenth of products with the largest final demand (a stand-in; pass
``capital_goods=`` for a real table); materials and energy are the other products whose output
mostly (≥ 50 %) goes to other industries.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import scipy.sparse as sp
from numpy.typing import ArrayLike

from commonplan.economy.model import Economy, listing
from commonplan.errors import DataError, PlanInputError, UnknownNameError
from commonplan.numerics.types import Array, Mask
from commonplan.plan._checks import nonneg_vector, number

__all__ = [
    "BASE_GROWTH",
    "CAPITAL_GOODS_NACE",
    "CAPITAL_GOODS_NAICS",
    "DEPRECIATION",
    "GROUPS",
    "MATERIALS_NACE",
    "MATERIALS_NAICS",
    "Capital",
    "base_output",
    "capital_from_coefficients",
    "derive_capital",
    "sector_groups",
]


DEPRECIATION = 0.06
"""Default geometric depreciation rate per year."""
BASE_GROWTH = 0.02
"""Default growth rate of the base year's capital stock (for the steady-state identities)."""
CAPITAL_GOODS_NACE = ("C25", "C26", "C27", "C28", "C29", "C30", "C33", "F", "J62_63", "M71-72")
MATERIALS_NACE = (
    "A02",
    "B",
    "C16",
    "C17",
    "C19",
    "C20-21",
    "C22",
    "C23",
    "C24",
    "D35",
    "E36",
    "E37T39",
)
CAPITAL_GOODS_NAICS = ("23", "333", "334", "335", "3361", "3364", "5415")
"""NAICS code prefixes of capital goods (BEA tables): construction, machinery, computers and
electronics, electrical equipment, motor vehicles, other transport equipment, software."""
MATERIALS_NAICS = (
    "113",
    "211",
    "212",
    "213",
    "22",
    "321",
    "322",
    "324",
    "325",
    "326",
    "327",
    "331",
    "332",
)
GROUPS = ("capital goods", "materials and energy", "consumer goods and services")
INVESTMENT_NAMES = ("gfcf", "investment", "gross_fixed_capital_formation", "capital_formation")
CAPITAL_CONSUMPTION = "capital_consumption"
GFCF_SHARE_RULE = 0.25
TOP_SHARE_RULE = 0.10
INTERMEDIATE_RULE = 0.5


@dataclass(frozen=True, eq=False)
class Capital:
    """Capital coefficients Kc = S Q of an economy, and how they were obtained.

    ``composition`` S (n × r): the products each of r asset types is made of (columns sum to 1);
    ``per_capacity`` Q (r × m): capital of each asset type per unit of capacity of each process;
    ``depreciation`` δ (m) per year; ``capital_goods`` (n): the capital-goods sector group;
    ``gfcf`` (n): base-year gross fixed capital formation by product; ``derivation``: one line per
    step, for the plan's notes; ``groups``: the sector groups (:func:`sector_groups`) and
    ``base_output`` the base-year output by product the derivation used.
    """

    products: tuple[str, ...]
    processes: tuple[str, ...]
    composition: sp.csc_array
    asset_types: tuple[str, ...]
    per_capacity: sp.csr_array
    depreciation: Array
    capital_goods: Mask
    gfcf: Array
    derivation: tuple[str, ...] = ()
    groups: Mapping[str, Mask] = field(default_factory=dict)
    base_output: Array | None = None

    @property
    def coefficients(self) -> sp.csc_array:
        """Kc = S Q (n × m): units of capital good i per unit of capacity of process k."""
        return sp.csc_array(self.composition @ self.per_capacity)

    def install(self, N: Array) -> Array:
        """Kc N for new capacity N (processes, or years × processes): S (Q N), never Kc itself
        (rank one but n × m dense)."""
        N2 = np.atleast_2d(N)
        out = np.asarray(self.composition @ (self.per_capacity @ N2.T)).T
        return out.reshape((*np.shape(N)[:-1], len(self.products)))

    @property
    def per_process(self) -> Array:
        """v_k = Σ_i Kc[i, k]: capital (in output units) per unit of capacity of process k."""
        return np.asarray(self.per_capacity.sum(axis=0), dtype=np.float64).ravel()

    def to_dict(self) -> dict[str, Any]:
        Kc = self.coefficients.tocoo()
        return {
            "asset_types": list(self.asset_types),
            "capital_per_capacity": dict(
                zip(self.processes, self.per_process.tolist(), strict=True)
            ),
            "depreciation": dict(zip(self.processes, self.depreciation.tolist(), strict=True)),
            "capital_goods": [
                p for p, g in zip(self.products, self.capital_goods, strict=True) if g
            ],
            "gfcf": dict(zip(self.products, self.gfcf.tolist(), strict=True)),
            "coefficients": [
                [self.products[i], self.processes[k], float(v)]
                for i, k, v in zip(Kc.row, Kc.col, Kc.data, strict=True)
            ],
            "derivation": list(self.derivation),
        }


# ---------------------------------------------------------------------- sector groups


def sector_groups(
    economy: Economy,
    capital_goods: Sequence[str] | None = None,
    *,
    output: Array | None = None,
) -> dict[str, Mask]:
    """The three sector groups of :data:`GROUPS` as masks over the products (module docstring).

    ``capital_goods``: product codes of the capital-goods group, overriding the rules.
    ``output``: base-year output by product, if already computed (:func:`base_output`).
    """
    e = economy
    nace, naics = _is_nace(e), _is_naics(e)
    codes = np.array(e.products)
    if capital_goods is not None:
        cap = _mask(e, capital_goods, "capital_goods")
    elif nace:
        cap = np.isin(codes, CAPITAL_GOODS_NACE)
    elif naics:
        cap = _prefixed(e, CAPITAL_GOODS_NAICS)
    else:
        gfcf = _gfcf_column(e)
        y = np.maximum(_final_use(e), 0.0)
        if gfcf is not None:
            share = np.divide(gfcf, y, out=np.zeros(e.n), where=y > 0)
            cap = share >= GFCF_SHARE_RULE
        else:
            k = max(round(TOP_SHARE_RULE * e.n), 1)
            cap = np.zeros(e.n, bool)
            cap[np.argsort(-y, kind="stable")[:k]] = True
    if not cap.any():
        raise DataError(f"economy {e.name!r}: no product is a capital good; pass capital_goods=")
    if nace:
        mat = np.isin(codes, MATERIALS_NACE) & ~cap
    elif naics:
        mat = _prefixed(e, MATERIALS_NAICS) & ~cap
    else:
        x = base_output(e) if output is None else output
        used = np.asarray(e.A @ x).ravel()
        share = np.divide(used, x, out=np.zeros(e.n), where=x > 0)
        mat = (share >= INTERMEDIATE_RULE) & ~cap
    return {GROUPS[0]: cap, GROUPS[1]: mat, GROUPS[2]: ~cap & ~mat}


def _is_nace(e: Economy) -> bool:
    """A NACE/SNI A64-coded table: most of the rule's codes are among the products."""
    return sum(c in e.products for c in CAPITAL_GOODS_NACE) >= 8


def _is_naics(e: Economy) -> bool:
    """A NAICS-coded table (BEA): most codes start with digits, and at least four of the
    capital-goods prefixes are there."""
    digits = sum(c[:2].isdigit() for c in e.products)
    found = sum(any(c.startswith(p) for c in e.products) for p in CAPITAL_GOODS_NAICS)
    return digits >= 0.6 * e.n and found >= 4


def _prefixed(e: Economy, prefixes: Sequence[str]) -> Mask:
    return np.array([c.startswith(tuple(prefixes)) for c in e.products], dtype=bool)


def _mask(e: Economy, codes: Sequence[str], what: str) -> Mask:
    if isinstance(codes, str):
        codes = [c.strip() for c in codes.split(",") if c.strip()]
    known = set(e.products)
    unknown = [c for c in codes if c not in known]
    if unknown:
        raise UnknownNameError(
            f"{what}: economy {e.name!r} has no product(s) {', '.join(unknown[:5])}"
        )
    return np.isin(np.array(e.products), list(codes))


def _final_use(e: Economy) -> Array:
    if not e.final_demand:
        raise DataError(f"economy {e.name!r} has no final demand to derive capital from")
    return np.asarray(next(iter(e.final_demand.values())), dtype=np.float64)


def _capital_final_use(e: Economy, cap: Mask, x: Array) -> Array:
    """The capital goods' final demand, at most what domestic output leaves after intermediate
    use (x − A x): where final demand includes imports, only the domestic part can be invested
    from domestic capacity."""
    net = x - np.asarray(e.A @ x, dtype=np.float64).ravel()
    out: Array = np.maximum(np.minimum(_final_use(e), net), 0.0) * cap
    return out


def _gfcf_column(e: Economy) -> Array | None:
    for name, v in e.final_demand.items():
        if name.lower() in INVESTMENT_NAMES:
            return np.maximum(np.asarray(v, dtype=np.float64), 0.0)
    return None


def base_output(economy: Economy) -> Array:
    """Base-year gross output by product: observed where the economy has it, else the output
    that balances its first final demand ((I − A) x = y)."""
    e = economy
    if e.gross_output is not None:
        return np.maximum(np.asarray(e.gross_output, dtype=np.float64), 0.0)
    from commonplan.plan.balance import balance

    return np.maximum(np.asarray(balance(e).gross_output, dtype=np.float64), 0.0)


# ---------------------------------------------------------------------- derivation


def derive_capital(
    economy: Economy,
    *,
    gfcf: ArrayLike | Mapping[str, float] | str | None = None,
    capital_goods: Sequence[str] | None = None,
    depreciation: float = DEPRECIATION,
    growth: float = BASE_GROWTH,
    capital_output: float | ArrayLike | None = None,
) -> Capital:
    """Rank-one capital coefficients Kc = s κᵀ derived from the economy (module docstring).

    Parameters
    ----------
    gfcf
        Gross fixed capital formation by product (a vector, {product: amount} or the name of a
        final demand): its shape is the composition s and its sum the base-year investment.
    capital_goods
        Product codes of the capital-goods sector group (default: the rules of
        :func:`sector_groups`).
    depreciation
        δ, per year, for every process (0 < δ < 1).
    growth
        g, the base year's growth of the capital stock (steady-state identities).
    capital_output
        κ, capital per unit of capacity: one number for every process or one per process,
        overriding κ = d / δ.
    """
    e = economy
    delta = _rate(depreciation, "depreciation", upper=1.0, open_upper=True)
    g = _rate(growth, "growth", upper=1.0, lower=-delta)
    notes: list[str] = []
    x_products = base_output(e)
    groups = sector_groups(e, capital_goods, output=x_products)
    cap = groups[GROUPS[0]]
    x = _per_process(e, x_products)
    # composition s and (where given) the GFCF total
    given = _gfcf_vector(e, gfcf) if gfcf is not None else _gfcf_column(e)
    if given is not None:
        if given.sum() <= 0:
            raise PlanInputError("gfcf: gross fixed capital formation must have a positive total")
        s = given / given.sum()
        total: float | None = float(given.sum())
        notes.append(
            f"composition of investment: the GFCF column by product ({_few(e, s)}); "
            f"base-year investment {total:,.0f}"
        )
    else:
        y = _capital_final_use(e, cap, x_products)
        if y.sum() <= 0:
            raise DataError(
                f"economy {e.name!r}: the capital goods ({listing(_codes(e, cap))}) have no final "
                "demand to take the composition of investment from; pass gfcf="
            )
        s = y / y.sum()
        total = None
        notes.append(
            "composition of investment: proxy — the final demand of the capital goods "
            f"({_few(e, s)}), as the table has no GFCF column"
        )
    # κ per process
    d = e.resources.get(CAPITAL_CONSUMPTION)
    if capital_output is not None:
        kappa = np.broadcast_to(np.asarray(capital_output, dtype=np.float64), (e.m,)).copy()
        if not np.isfinite(kappa).all() or (kappa < 0).any():
            raise PlanInputError("capital_output must be finite and ≥ 0 for every process")
        notes.append("capital per unit of capacity κ: given")
    elif d is not None:
        kappa = np.asarray(d, dtype=np.float64) / delta
        stock = float(kappa @ x)
        notes.append(
            f"capital per unit of capacity κ_k = d_k / δ (capital consumption per unit of output "
            f"over depreciation {delta:g}); capital stock {stock:,.0f} = "
            f"{stock / max(float(x.sum()), 1e-300):.3g} × gross output"
        )
    else:
        base = total if total is not None else float(_capital_final_use(e, cap, x_products).sum())
        v = base / ((g + delta) * max(float(x.sum()), 1e-300))
        kappa = np.full(e.m, v)
        notes.append(
            f"capital per unit of capacity κ = {v:.4g} for every process: GFCF / ((g + δ) Σ x) "
            f"with g = {g:g}, δ = {delta:g} (no capital consumption in the table)"
        )
    if total is None:
        if d is not None:
            cfc = float(np.asarray(d) @ x)
            total = (1.0 + g / delta) * cfc
            notes.append(
                f"base-year investment (1 + g/δ) × capital consumption = {total:,.0f} "
                f"(capital consumption {cfc:,.0f}, g = {g:g}, δ = {delta:g})"
            )
        else:
            total = float(_capital_final_use(e, cap, x_products).sum())
            notes.append(
                f"base-year investment: the capital goods' whole final demand, {total:,.0f}"
            )
    return Capital(
        products=e.products,
        processes=e.processes,
        composition=sp.csc_array(s[:, None]),
        asset_types=("fixed capital",),
        per_capacity=sp.csr_array(kappa[None, :]),
        depreciation=np.full(e.m, delta),
        capital_goods=cap,
        gfcf=s * total,
        derivation=tuple(notes),
        groups=groups,
        base_output=x_products,
    )


def capital_from_coefficients(
    economy: Economy,
    coefficients: ArrayLike | sp.sparray | sp.spmatrix | Mapping[str, Mapping[str, float]],
    *,
    depreciation: float | ArrayLike = DEPRECIATION,
    capital_goods: Sequence[str] | None = None,
    gfcf: ArrayLike | Mapping[str, float] | str | None = None,
) -> Capital:
    """User-supplied capital coefficients Kc (products × processes, or {product: {process:
    amount}}): each product with a non-zero row is its own asset type (S = I, Q = Kc).

    ``depreciation``: one rate or one per process.  ``capital_goods`` defaults to the products
    with a non-zero row; ``gfcf`` (for the consumption bundle) to δ ∘ K of the base output
    spread over them as Kc does.
    """
    e = economy
    if isinstance(coefficients, Mapping):
        Kc = np.zeros((e.n, e.m))
        procs = {p: k for k, p in enumerate(e.processes)}
        for prod, row in coefficients.items():
            i = e.product_index(str(prod))
            for proc, value in row.items():
                if proc not in procs:
                    raise UnknownNameError(f"capital coefficients: no process {proc!r}")
                Kc[i, procs[proc]] = float(value)
        M = sp.csr_array(Kc)
    else:
        M = sp.csr_array(coefficients, dtype=np.float64)
    if M.shape != (e.n, e.m):
        raise PlanInputError(
            f"capital coefficients must be products × processes ({e.n} × {e.m}), got {M.shape}"
        )
    if not np.isfinite(M.data).all() or (M.data < 0).any():
        bad = M.tocoo()
        where = [
            f"{e.products[i]}/{e.processes[k]}"
            for i, k, v in zip(bad.row, bad.col, bad.data, strict=True)
            if not np.isfinite(v) or v < 0
        ]
        raise PlanInputError(f"capital coefficients must be finite and ≥ 0: {', '.join(where[:5])}")
    rows = np.flatnonzero(np.diff(M.indptr) > 0)
    if not len(rows):
        raise PlanInputError("capital coefficients are all zero")
    delta = np.broadcast_to(np.asarray(depreciation, dtype=np.float64), (e.m,)).copy()
    if ((delta <= 0) | (delta >= 1)).any():
        raise PlanInputError("depreciation must lie strictly between 0 and 1 for every process")
    S = sp.csc_array((np.ones(len(rows)), (rows, np.arange(len(rows)))), shape=(e.n, len(rows)))
    Q = sp.csr_array(M[rows])
    cap = (
        _mask(e, capital_goods, "capital_goods")
        if capital_goods is not None
        else np.isin(np.arange(e.n), rows)
    )
    x_products = base_output(e)
    x = _per_process(e, x_products)
    groups = sector_groups(e, [e.products[i] for i in np.flatnonzero(cap)], output=x_products)
    if gfcf is not None:
        invest = _gfcf_vector(e, gfcf)
    else:
        invest = np.asarray(M @ (delta * x)).ravel()
    return Capital(
        products=e.products,
        processes=e.processes,
        composition=S,
        asset_types=tuple(e.products[i] for i in rows),
        per_capacity=Q,
        depreciation=delta,
        capital_goods=cap,
        gfcf=invest,
        derivation=(
            f"capital coefficients: given, {len(rows)} capital good(s)",
            "base-year investment: "
            + (
                "given" if gfcf is not None else "replacement of the base output's capital (δ Kc x)"
            ),
        ),
        groups=groups,
        base_output=x_products,
    )


def _per_process(e: Economy, x_products: Array) -> Array:
    """Output by process: the product's output on its chosen technique, 0 on the others."""
    x = np.zeros(e.m)
    x[e.techniques] = x_products
    return x


def _gfcf_vector(e: Economy, gfcf: Any) -> Array:
    if isinstance(gfcf, str):
        _, v = e.demand(gfcf)
        out = np.asarray(v, dtype=np.float64)
    elif isinstance(gfcf, Mapping):
        out = np.zeros(e.n)
        for code, amount in gfcf.items():
            out[e.product_index(str(code))] = float(amount)
    else:
        out = np.asarray(gfcf, dtype=np.float64).ravel()
        if out.shape != (e.n,):
            raise PlanInputError(f"gfcf has {out.size} entries, expected {e.n}")
    return nonneg_vector(out, e.products, "gfcf")


def _rate(
    value: float, what: str, *, upper: float, lower: float = 0.0, open_upper: bool = False
) -> float:
    v = number(value, what)
    ok = np.isfinite(v) and v > lower and (v < upper if open_upper else v <= upper)
    if not ok:
        raise PlanInputError(f"{what} must lie between {lower:g} and {upper:g}, got {value!r}")
    return v


def _few(e: Economy, s: Array, k: int = 4) -> str:
    top = np.argsort(-s, kind="stable")[:k]
    return ", ".join(f"{e.products[i]} {100 * s[i]:.0f} %" for i in top if s[i] > 0)


def _codes(e: Economy, mask: Mask) -> list[str]:
    return [e.products[i] for i in np.flatnonzero(mask)]
