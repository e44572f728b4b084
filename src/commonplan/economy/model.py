"""The economy: products, the processes that make them, their inputs and primary inputs.

An :class:`Economy` is validated once, when it is built, and immutable afterwards (its arrays are
read-only), so everything derived from it — the split operators of the solver, the choice of
technique — is computed once and cached.

Symbols (see :mod:`commonplan.numerics`): n products, m processes; ``inputs`` is B (n × m),
``makes[k]`` the product process k makes (one unit per unit of activity), ``labour`` l (m) and each
resource r (m) per unit of activity.  An input-output table is the case m = n, ``makes = range(n)``,
B = A.

One concept — the :class:`Economy` and its validation — so one module, however long.
"""

from __future__ import annotations

import hashlib
import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

import numpy as np
import scipy.sparse as sp
from numpy.typing import ArrayLike, NDArray

from commonplan.errors import (
    DataError,
    NegativeCoefficientError,
    NonFiniteError,
    NotProductiveError,
    ShapeError,
    UnknownNameError,
)
from commonplan.numerics import (
    Prepared,
    cheapest_techniques,
    prepare,
    unproductive_blocks,
)
from commonplan.numerics.techniques import Pricer, square_matrix
from commonplan.numerics.types import Array

__all__ = ["LABOUR", "Economy"]

LABOUR = "labour"
_NEGATIVES = ("refuse", "clip")
_SHOW = 5  # how many offending items a message names before "and N more"


def listing(items: Sequence[str]) -> str:
    """The first few ``items`` for a message, then "and N more"."""
    shown = ", ".join(items[:_SHOW])
    return shown + (f" and {len(items) - _SHOW} more" if len(items) > _SHOW else "")


def repeats(items: Iterable[str]) -> list[str]:
    """The ``items`` that come again, in the order they come again (one given n times: n − 1
    times); empty where every item is different."""
    seen: set[str] = set()
    out = []
    for item in items:
        if item in seen:
            out.append(item)
        seen.add(item)
    return out


@dataclass(frozen=True, eq=False)
class Economy:
    """A validated, immutable economy.  Build it with :meth:`from_arrays` or :meth:`from_processes`.

    Attributes
    ----------
    products, names
        Product codes (unique) and readable names, length n.
    processes
        Process codes (unique), length m.
    inputs
        B, n × m sparse (CSC): input of product i per unit of activity of process k.
    makes
        Index of the product each process makes, length m.
    labour
        Direct labour per unit of activity (m), or ``None`` where the source has no labour row.
    resources
        Other primary inputs per unit of activity (m each): CO2, land, water, imports, ….
    final_demand
        Named final-demand vectors (n each); the first is the default.
    gross_output
        Observed gross output (n) where the source gives it, else ``None``.
    activity
        Observed activity of each process (m) where the source gives it (a supply table does:
        how much of each product each industry made), else ``None``; see
        :attr:`observed_activity`.
    units
        Unit of each quantity: ``"output"`` (of products), ``"labour"`` and each resource.
    notes
        Quirks found in the data that the user should know (zero rows, column sums above one …).
    adjustments
        Changes made to the data under an explicit option (e.g. clipped negative cells).
    """

    products: tuple[str, ...]
    names: tuple[str, ...]
    processes: tuple[str, ...]
    inputs: sp.csc_array
    makes: NDArray[np.intp]
    labour: Array | None
    resources: Mapping[str, Array] = field(default_factory=dict)
    final_demand: Mapping[str, Array] = field(default_factory=dict)
    gross_output: Array | None = None
    activity: Array | None = None
    units: Mapping[str, str] = field(default_factory=dict)
    name: str = "economy"
    meta: Mapping[str, Any] = field(default_factory=dict)
    notes: tuple[str, ...] = ()
    adjustments: tuple[str, ...] = ()

    # ------------------------------------------------------------------ construction

    @classmethod
    def from_arrays(
        cls,
        A: ArrayLike | sp.sparray | sp.spmatrix,
        labour: ArrayLike | None,
        *,
        products: Sequence[str] | None = None,
        resources: Mapping[str, ArrayLike] | None = None,
        final_demand: Mapping[str, ArrayLike] | ArrayLike | None = None,
        names: Sequence[str] | None = None,
        gross_output: ArrayLike | None = None,
        units: Mapping[str, str] | None = None,
        name: str = "economy",
        meta: Mapping[str, Any] | None = None,
        negatives: str = "refuse",
    ) -> Economy:
        """An input-output economy: one process per product, A square (n × n).

        ``A[i, j]`` is the amount of product i used to make one unit of product j; ``labour[j]``
        the labour per unit of j.  ``negatives="clip"`` sets negative cells of A to zero and records
        it in :attr:`adjustments`; the default refuses them, naming the cells.
        """
        M = _as_sparse(A)
        n = M.shape[0]
        if M.shape[0] != M.shape[1]:
            raise ShapeError(
                f"A must be square (products × products), got {M.shape[0]} × {M.shape[1]}"
            )
        codes = _labels(products, n, "product", "products")
        return cls._validated(
            M,
            np.arange(n),
            labour,
            products=codes,
            processes=codes,
            resources=resources,
            final_demand=final_demand,
            names=names,
            gross_output=gross_output,
            activity=None,
            units=units,
            name=name,
            meta=meta,
            negatives=negatives,
            notes=(),
        )

    @classmethod
    def from_processes(
        cls,
        inputs: ArrayLike | sp.sparray | sp.spmatrix,
        makes: ArrayLike,
        labour: ArrayLike | None,
        *,
        resources: Mapping[str, ArrayLike] | None = None,
        products: Sequence[str] | None = None,
        processes: Sequence[str] | None = None,
        final_demand: Mapping[str, ArrayLike] | ArrayLike | None = None,
        names: Sequence[str] | None = None,
        gross_output: ArrayLike | None = None,
        activity: ArrayLike | None = None,
        units: Mapping[str, str] | None = None,
        name: str = "economy",
        meta: Mapping[str, Any] | None = None,
        negatives: str = "refuse",
        notes: Sequence[str] = (),
    ) -> Economy:
        """An economy of processes (techniques): several processes may make the same product.

        ``inputs`` is products × processes (input per unit of activity); ``makes[k]`` is the product
        process k makes — an index, or a code from ``products``; ``resources`` maps a name
        (``"co2"``, ``"land"`` …) to per-process coefficients; ``activity`` is each process's
        observed activity (what a cap of "80 %" is a share of); ``notes`` are the source's quirks,
        kept with the economy.
        """
        B = _as_sparse(inputs)
        n, m = B.shape
        prod = _labels(products, n, "product", "products")
        proc = (
            _labels(processes, m, "process", "processes")
            if processes is not None
            else (prod if m == n else tuple(f"p{k}" for k in range(m)))
        )
        return cls._validated(
            B,
            _makes(makes, m, prod),
            labour,
            products=prod,
            processes=proc,
            resources=resources,
            final_demand=final_demand,
            names=names,
            gross_output=gross_output,
            activity=activity,
            units=units,
            name=name,
            meta=meta,
            negatives=negatives,
            notes=notes,
        )

    @classmethod
    def _validated(
        cls,
        B: sp.csc_array,
        mk: NDArray[np.intp],
        labour: ArrayLike | None,
        *,
        products: tuple[str, ...],
        processes: tuple[str, ...],
        resources: Mapping[str, ArrayLike] | None,
        final_demand: Mapping[str, ArrayLike] | ArrayLike | None,
        names: Sequence[str] | None,
        gross_output: ArrayLike | None,
        activity: ArrayLike | None,
        units: Mapping[str, str] | None,
        name: str,
        meta: Mapping[str, Any] | None,
        negatives: str,
        notes: Sequence[str],
    ) -> Economy:
        """The checks and the economy, from a CSC B of our own (a copy: modified in place) and
        labels and ``makes`` already checked."""
        if negatives not in _NEGATIVES:
            raise DataError(f"negatives must be one of {_NEGATIVES}, got {negatives!r}")
        prod, proc = products, processes
        n, m = B.shape
        notes = list(notes)
        adjustments: list[str] = []

        _check_finite(B.data, "input coefficient", _cells(B, prod, proc))
        neg = np.flatnonzero(B.data < 0)
        if len(neg):
            cells = _cells(B, prod, proc)
            where = [f"{cells(p)} = {B.data[p]:.3g}" for p in neg]
            if negatives == "refuse":
                raise NegativeCoefficientError(
                    f"{len(neg)} negative input coefficient(s): {listing(where)}; an input cannot "
                    "be negative — fix the data, or pass negatives='clip' (CLI: --negatives clip) "
                    "to set them to zero, recorded with the economy"
                )
            B.data[neg] = 0.0
            adjustments.append(
                f"clipped {len(neg)} negative input coefficient(s) to 0: {listing(where)}"
            )
        B.eliminate_zeros()
        B.sort_indices()

        l = None if labour is None else _vector(labour, m, "labour", proc)
        if l is not None and (l < 0).any():
            bad = [f"{proc[k]} ({l[k]:.3g})" for k in np.flatnonzero(l < 0)]
            raise NegativeCoefficientError(f"negative labour for process(es) {listing(bad)}")
        res = {str(k): _vector(v, m, f"resource {k!r}", proc) for k, v in (resources or {}).items()}
        if LABOUR in res:
            raise ShapeError("'labour' is given as the labour argument, not as a resource")
        fd = _final_demand(final_demand, n, prod)
        for k, v in fd.items():
            if (v < 0).any():
                notes.append(
                    f"final demand {k!r} is negative for {int((v < 0).sum())} product(s) "
                    "(net imports or stock changes)"
                )
        x_obs = None if gross_output is None else _vector(gross_output, n, "gross output", prod)
        act = None if activity is None else _vector(activity, m, "activity", proc)
        if act is not None and (act < 0).any():
            bad = [f"{proc[k]} ({act[k]:.3g})" for k in np.flatnonzero(act < 0)]
            raise NegativeCoefficientError(f"negative observed activity of {listing(bad)}")
        nm = tuple(str(s) for s in names) if names is not None else prod
        if len(nm) != n:
            raise ShapeError(f"{len(nm)} names for {n} products")

        notes.extend(_structure_notes(B, mk, prod))
        _check_population((meta or {}).get("population"))
        economy = cls(
            products=prod,
            names=nm,
            processes=proc,
            inputs=B,
            makes=mk,
            labour=l,
            resources=res,
            final_demand=fd,
            gross_output=x_obs,
            activity=act,
            units=dict(units or {}),
            name=name,
            meta=dict(meta or {}),
            notes=tuple(notes),
            adjustments=tuple(adjustments),
        )
        for a in (B.data, B.indices, B.indptr, mk, *res.values(), *fd.values()):
            a.setflags(write=False)
        for a in (l, x_obs, act):
            if a is not None:
                a.setflags(write=False)
        if economy.single_technique:
            economy._check_productive(economy.A)
        else:
            economy._check_some_mix_productive()
        return economy

    # ------------------------------------------------------------------ shape

    @property
    def n(self) -> int:
        """Number of products."""
        return len(self.products)

    @property
    def m(self) -> int:
        """Number of processes."""
        return len(self.processes)

    @cached_property
    def single_technique(self) -> bool:
        """True when every product has exactly one process (an input-output table)."""
        # every product has a process (checked when built): m = n means one each
        counts = np.bincount(self.makes, minlength=self.n)
        return self.m == self.n and bool(counts.max(initial=0) <= 1)

    @cached_property
    def observed_activity(self) -> Array | None:
        """Today's activity of each process (m): as given, or, for an input-output table, its
        observed gross output; ``None`` where it is not known (several techniques for a product
        and no activity given) — today's use of an input is then unknown."""
        if self.activity is not None:
            return self.activity
        if self.gross_output is not None and self.single_technique:
            out = np.asarray(self.gross_output[self.makes], dtype=np.float64)
            out.setflags(write=False)
            return out
        return None

    @property
    def resource_names(self) -> tuple[str, ...]:
        return tuple(self.resources)

    @property
    def input_names(self) -> tuple[str, ...]:
        """Labour (where the economy has it), then its resources: the inputs a cap or a
        ``min_<input>`` objective may name."""
        return ((LABOUR,) if self.labour is not None else ()) + self.resource_names

    def __repr__(self) -> str:
        """One line, whatever the size (the default would list every product)."""
        inputs = ", ".join(self.input_names) or "no primary inputs"
        demands = ", ".join(self.final_demand) or "none"
        return (
            f"Economy({self.name!r}: {self.n:,} products, {self.m:,} processes; inputs {inputs}; "
            f"final demands {demands})"
        )

    def label(self, i: int) -> str:
        """Product i for a reader: "name (code)", or the code where the name is the code."""
        code, name = self.products[i], self.names[i]
        return code if name == code else f"{name} ({code})"

    def product_index(self, code: str) -> int:
        try:
            return self._index[code]
        except KeyError:
            raise UnknownNameError(f"economy {self.name!r} has no product {code!r}") from None

    @cached_property
    def sha256(self) -> str:
        """A hash of the labels and numbers (B, makes, labour, resources): same hash, same plan."""
        h = hashlib.sha256(repr((self.products, self.processes)).encode())
        B = self.inputs
        for a in (B.indptr, B.indices, B.data, self.makes):
            h.update(np.ascontiguousarray(a).tobytes())
        for name, v in ((LABOUR, self.labour), *sorted(self.resources.items())):
            if v is not None:
                h.update(name.encode() + np.ascontiguousarray(v, dtype=np.float64).tobytes())
        return h.hexdigest()

    @cached_property
    def _index(self) -> dict[str, int]:
        return {c: i for i, c in enumerate(self.products)}

    # ------------------------------------------------------------------ techniques

    @cached_property
    def techniques(self) -> NDArray[np.intp]:
        """The process used for each product in a balanced plan (length n).

        One process per product: that one.  Several: the labour-minimising choice, which by the
        non-substitution theorem is best for every final demand (see
        :func:`commonplan.numerics.cheapest_techniques`).
        """
        if self.single_technique:
            choice = np.empty(self.n, dtype=np.intp)
            choice[self.makes] = np.arange(self.m)
        else:
            if self.labour is None:
                raise UnknownNameError(
                    f"economy {self.name!r} has several techniques per product but no labour "
                    "input to choose between them"
                )
            self._check_each_technique_productive()
            choice, _, _ = cheapest_techniques(
                self.inputs, self.makes, self.labour, start=self._productive_set
            )
            self._check_productive(square_matrix(self.inputs, choice))
        choice.setflags(write=False)
        return choice

    @cached_property
    def A(self) -> sp.csc_array:
        """The n × n input coefficients of the chosen techniques (:attr:`techniques`)."""
        if np.array_equal(self.makes, np.arange(self.n)):  # an input-output table: B is A
            return self.inputs
        return square_matrix(self.inputs, self.techniques)

    @cached_property
    def prepared(self) -> Prepared:
        """A in supply-chain order, split for the iterative solver; computed once."""
        return prepare(self.A)

    @cached_property
    def pricer(self) -> Pricer:
        """The technique-choice oracle of the optimiser, built once (it holds a sweep order)."""
        return Pricer(self.inputs, self.makes, start=self._productive_set)

    def direct(self, name: str) -> Array:
        """Direct coefficients per process of ``"labour"`` or a resource."""
        if name == LABOUR:
            if self.labour is None:
                raise UnknownNameError(
                    f"economy {self.name!r} has no labour input (its source has no labour row); "
                    f"its resources are: {', '.join(self.resources) or 'none'}"
                )
            return self.labour
        try:
            return self.resources[name]
        except KeyError:
            known = (
                ", ".join([LABOUR, *self.resources])
                if self.labour is not None
                else ", ".join(self.resources)
            )
            raise UnknownNameError(
                f"economy {self.name!r} has no resource {name!r}; it has: {known or 'none'}"
            ) from None

    def demand(self, y: str | ArrayLike | Mapping[str, float] | None = None) -> tuple[str, Array]:
        """Resolve a final demand: a name of :attr:`final_demand`, a vector, or {code: amount}."""
        if y is None:
            if not self.final_demand:
                raise UnknownNameError(
                    f"economy {self.name!r} has no final-demand vector; give one"
                )
            key = next(iter(self.final_demand))
            return key, self.final_demand[key]
        if isinstance(y, str):
            try:
                return y, self.final_demand[y]
            except KeyError:
                raise UnknownNameError(
                    f"economy {self.name!r} has no final demand {y!r}; it has: "
                    f"{', '.join(self.final_demand) or 'none'}"
                ) from None
        if isinstance(y, Mapping):
            v = np.zeros(self.n)
            for code, amount in y.items():
                v[self.product_index(str(code))] = float(amount)
            _check_finite(v, "final demand", lambda i: self.products[i])
            return "given", v
        return "given", _vector(y, self.n, "final demand", self.products)

    # ------------------------------------------------------------------ checks

    def _check_productive(self, A: sp.csc_array) -> None:
        blocks = unproductive_blocks(A)
        if blocks:
            worst = max(blocks, key=lambda b: b.spectral_radius)
            codes = tuple(self.products[i] for i in worst.members)
            raise NotProductiveError(
                f"economy {self.name!r} is not productive: products {listing(list(codes))} "
                f"together need more of themselves than they make (spectral radius "
                f"{worst.spectral_radius:.4g} ≥ 1, Hawkins–Simon fails); check their input "
                "coefficients and units",
                products=codes,
                spectral_radius=worst.spectral_radius,
            )

    def _check_some_mix_productive(self) -> None:
        """Several techniques: some activity z ≥ 0 must make a net output of every product,
        (M − B) z > 0, or no plan can deliver anything of some product (and a plan problem
        with a target on it would be bounded at t = 0 while looking unbounded).

        Deciding it: if such a z exists, {z ≥ 0 : (M − B) z ≥ 1} is not empty and has a vertex
        with at most n processes running; every product needs one of its own makers running,
        so the vertex runs exactly one process per product — a technique set whose square A is
        productive (ρ(A) < 1).  Cheap sufficient tests first: every process uses inputs worth
        less than one unit (column sums < 1: any set is productive), or the set of the processes
        using the least input per unit is productive.  Otherwise an LP decides and finds the
        products to name: maximise Σ s subject to (M − B) z ≥ s, 0 ≤ s ≤ 1, z ≥ 0 — the products
        with s = 1 are exactly those some mix makes in net (supports of such mixes add up), the
        rest are what no mix can make.
        """
        _ = self._productive_set

    @cached_property
    def _productive_set(self) -> NDArray[np.intp] | None:
        """A productive technique set (one process per product) for the optimiser's policy
        iteration to start from; ``None`` where any set is productive.  Raises
        :class:`NotProductiveError` where none is (:meth:`_check_some_mix_productive`)."""
        B, mk = self.inputs, self.makes
        colsum = np.asarray(B.sum(axis=0)).ravel()
        if self.single_technique or colsum.max(initial=0.0) < 1.0:
            return None
        order = np.lexsort((colsum, mk))  # by product, least input per unit first
        least = order[np.searchsorted(mk[order], np.arange(self.n))]
        blocks = unproductive_blocks(square_matrix(B, least))
        if not blocks:
            return least
        short, z = _not_made_in_net(B, mk)
        if not len(short):
            # the LP's basic solution runs one process per product (its vertex)
            best = np.lexsort((-z, mk))
            found = best[np.searchsorted(mk[best], np.arange(self.n))]
            return None if unproductive_blocks(square_matrix(B, found)) else found
        codes = tuple(self.products[i] for i in short)
        radius = max(b.spectral_radius for b in blocks)
        raise NotProductiveError(
            f"economy {self.name!r} is not productive: no mix of its techniques makes a net "
            f"output of {listing(list(codes))} — whichever processes run, these products need "
            "more of themselves and of one another than they make; check their input "
            "coefficients and units",
            products=codes,
            spectral_radius=radius,
        )

    def _check_each_technique_productive(self) -> None:
        # a technique whose own-product coefficient is ≥ 1 can never be part of a productive plan
        own = self.inputs[self.makes, np.arange(self.m)]
        bad = np.flatnonzero(np.asarray(own).ravel() >= 1.0)
        if len(bad):
            raise NotProductiveError(
                f"process(es) {listing([self.processes[k] for k in bad])} use at least one unit "
                "of their own product per unit made"
            )


# ---------------------------------------------------------------------- helpers


def _not_made_in_net(B: sp.csc_array, makes: NDArray[np.intp]) -> tuple[NDArray[np.intp], Array]:
    """The products no activity z ≥ 0 makes in net (see
    :meth:`Economy._check_some_mix_productive`), and the activity z of the LP max Σ s,
    (M − B) z − s ≥ 0, 0 ≤ s ≤ 1 (rows scaled to a largest coefficient of 1)."""
    from commonplan.errors import SolverError
    from commonplan.numerics import _highs
    from commonplan.numerics.techniques import makes_matrix

    n, m = B.shape
    A = sp.csc_array(sp.hstack([makes_matrix(makes, n) - B, -sp.eye_array(n)]))
    big = np.asarray(abs(A).max(axis=1).todense()).ravel()
    A = sp.csc_array(sp.diags_array(1.0 / np.where(big > 0, big, 1.0)) @ A)
    h = _highs.quiet_highs(primal_feasibility_tolerance=1e-9, dual_feasibility_tolerance=1e-9)
    cost = np.concatenate([np.zeros(m), -np.ones(n)])
    lo, hi = np.zeros(m + n), np.concatenate([np.full(m, np.inf), np.ones(n)])
    h.passModel(_highs.lp_model(cost, lo, hi, A, np.zeros(n), np.full(n, np.inf)))
    h.run()
    if _highs.outcome(h) != _highs.OPTIMAL:
        raise SolverError(f"HiGHS could not decide whether the economy is productive: "
                          f"{_highs.status_text(h)}")  # fmt: skip
    x = np.asarray(h.getSolution().col_value)
    return np.flatnonzero(x[m:] < 0.5), x[:m]


def _as_sparse(M: ArrayLike | sp.sparray | sp.spmatrix) -> sp.csc_array:
    if sp.issparse(M):
        out = sp.csc_array(M, dtype=np.float64, copy=True)
    else:
        arr = np.asarray(M, dtype=np.float64)
        if arr.ndim != 2:
            raise ShapeError(f"the coefficient matrix must be 2-dimensional, got {arr.ndim} dims")
        out = sp.csc_array(arr)
    out.sum_duplicates()
    return out


def _labels(labels: Sequence[str] | None, n: int, what: str, plural: str) -> tuple[str, ...]:
    if labels is None:
        return tuple(map(str, range(n)))  # distinct by construction
    out = tuple(map(str, labels))
    if len(out) != n:
        raise ShapeError(f"{len(out)} {what} labels for {n} {plural}")
    dup = sorted(set(repeats(out)))
    if dup:
        raise ShapeError(f"duplicate {what} label(s): {listing(dup)}")
    return out


def _makes(makes: ArrayLike, m: int, prod: tuple[str, ...]) -> NDArray[np.intp]:
    raw = np.asarray(makes)
    if raw.shape != (m,):
        raise ShapeError(
            f"makes must name one product for each of the {m} processes, got shape {raw.shape}"
        )
    if raw.dtype.kind in "USO":
        index = {c: i for i, c in enumerate(prod)}
        unknown = sorted({str(c) for c in raw if str(c) not in index})
        if unknown:
            raise UnknownNameError(f"makes names unknown product(s): {listing(unknown)}")
        mk = np.array([index[str(c)] for c in raw], dtype=np.intp)
    else:
        mk = raw.astype(np.intp)
        if len(mk) and (mk.min() < 0 or mk.max() >= len(prod)):
            raise ShapeError(f"makes must be product indices in 0..{len(prod) - 1}")
    made = np.zeros(len(prod), dtype=bool)
    made[mk] = True
    missing = np.flatnonzero(~made)
    if len(missing):
        raise ShapeError(f"no process makes product(s) {listing([prod[i] for i in missing])}")
    return mk


def _vector(v: ArrayLike, size: int, what: str, labels: Sequence[str]) -> Array:
    arr = np.array(v, dtype=np.float64).ravel()
    if arr.shape != (size,):
        raise ShapeError(f"{what} has {arr.size} entries, expected {size}")
    _check_finite(arr, what, lambda i: labels[i])
    return arr


def _cells(B: sp.csc_array, rows: Sequence[str], cols: Sequence[str]):  # type: ignore[no-untyped-def]
    """Name the cell behind position p of B.data: 'A[row, col]'."""

    def name(p: int) -> str:
        col = int(np.searchsorted(B.indptr, p, side="right")) - 1
        return f"A[{rows[B.indices[p]]}, {cols[col]}]"

    return name


def _check_population(population: Any) -> None:
    """``meta["population"]``, where given: the people the table's final demand served (what
    "today" per person divides by) — a positive, finite number."""
    if population is None:
        return
    ok = isinstance(population, int | float) and not isinstance(population, bool)
    if not ok or not math.isfinite(population) or population <= 0:
        raise DataError(
            f"the table's population must be a positive number of people, not {population!r}"
        )


def _check_finite(values: Array, what: str, where) -> None:  # type: ignore[no-untyped-def]
    bad = np.flatnonzero(~np.isfinite(values))
    if len(bad):
        raise NonFiniteError(
            f"{len(bad)} non-finite {what}(s) (NaN or infinity): "
            f"{listing([f'{where(int(p))} = {values[p]}' for p in bad])}"
        )


def _final_demand(
    fd: Mapping[str, ArrayLike] | ArrayLike | None, n: int, prod: tuple[str, ...]
) -> dict[str, Array]:
    if fd is None:
        return {}
    if isinstance(fd, Mapping):
        return {str(k): _vector(v, n, f"final demand {k!r}", prod) for k, v in fd.items()}
    return {"final_demand": _vector(fd, n, "final demand", prod)}


def _structure_notes(B: sp.csc_array, makes: NDArray[np.intp], prod: tuple[str, ...]) -> list[str]:
    notes = []
    n = B.shape[0]
    used = np.zeros(n, bool)
    used[B.indices] = True  # product appears as an input somewhere
    has_inputs = np.zeros(n, bool)
    has_inputs[makes[np.diff(B.indptr) > 0]] = True
    isolated = np.flatnonzero(~used & ~has_inputs)
    if len(isolated):
        notes.append(
            f"product(s) {listing([prod[i] for i in isolated])} have no inputs and are "
            "used by no process (all-zero row and column): their output is their final "
            "demand"
        )
    colsum = np.asarray(B.sum(axis=0)).ravel()
    big = np.flatnonzero(colsum > 1.0)
    if len(big):
        notes.append(
            f"{len(big)} process(es) use inputs worth more than one unit of output "
            f"(column sum > 1): {listing([f'{prod[makes[k]]} ({colsum[k]:.3g})' for k in big])}"
        )
    return notes
