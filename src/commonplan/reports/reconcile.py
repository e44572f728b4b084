"""Do the reports add up?  Reconciliation of one period's reports, and the suspects it names.

Every report measures one true flow of the period, with the reporter's standard deviation: a
workplace's output of a product, its deliveries (which the receiving council reports too), the
inputs it used, its stock change, its hours.  The true flows obey balances that no report can
escape (:mod:`commonplan.numerics.flownet`):

- each workplace and product: output = deliveries + own use + stock change;
- each input a workplace uses: what it used = what it received;
- each delivery: the sender's and the receiver's reports measure the same flow;
- inputs and hours against the plan's technical and labour coefficients, within a tolerance
  (``tolerance``, 10 % by default: techniques differ a little from workplace to workplace).

:func:`reconcile` finds the flows closest to the reports (weighted least squares: a report with a
small standard deviation moves little), tests whether the reports fit the balances at all (the
global χ² test on the degree of redundancy), tests every report (Šidák-corrected), and names
suspects by serial elimination — a council whose reports are wrong together (a farm that
inflates its output *and* its deliveries, contradicted by what arrived and the hours worked) as a
whole, a single report where one is wrong alone.  A council's common error is looked for in what
it claims to have made and sent (output, stock, own use, deliveries), not in its hours, inputs
or receipts.  A hard-to-fake measure (a meter, freight, a count of receipts) is never named
by the elimination: when it contradicts self-reports, the self-reports are named — many who
agree on a lie do not outvote it (a broken meter shows as self-reports that disagree with it
and with nothing else: look there before accusing anyone).  Reports whose errors cannot be told
apart (two partners agreeing on a false delivery that nothing else checks) are named together,
never one of them; reports nothing can check are listed as untestable.

Modelling choices, stated: a workers' council's products are those its processes make (and any
it reports output of); its hours are checked against the labour coefficient of its first
process's product; a workplace that reports output but no own use or no stock change is taken to
have none (a report of 0 with the workplace's spread), so that its output can be checked;
deliveries to or from a consumers' council, or outside the federation, leave the network.

One concept — one period's reports reconciled, from the reports to the suspects and their alerts —
so one module, however long.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any

import numpy as np

from commonplan.economy.model import Economy
from commonplan.errors import PlanInputError
from commonplan.progress import OnProgress, Steps
from commonplan.reports.ledger import (
    KINDS,
    SOURCE_SIGMA,
    WORKPLACE_KINDS,
    ReportRow,
    StoredReport,
)

if TYPE_CHECKING:
    from commonplan.store import Database

__all__ = [
    "CouncilInfo",
    "Reconciliation",
    "ReportCheck",
    "Suspect",
    "WorkplaceEstimate",
    "raise_suspect_alerts",
    "reconcile",
    "reconcile_round",
]

SD_FLOOR = 1e-4
"""A report's default spread is relative to its amount, but no smaller than its source's share
of this fraction of the period's largest report: a report of 0 is not taken as exact, and the
weights stay within a range the solver can handle (spreads within 10⁴ of each other)."""

STEPS = (
    ("checking the reports", 1.0),
    ("setting up the balances", 1.0),
    ("testing for suspects", 8.0),
    ("the global test", 2.0),
    ("the estimates", 1.0),
    ("each report's check", 1.0),
)
"""The steps of a reconciliation that ``on_progress`` hears of, with their relative weights
(roughly the time each takes: testing for suspects, a solve per council and round, most)."""

DEFAULT_TOLERANCE = 0.1
"""How far a workplace's inputs and hours per unit may be from the plan's coefficients (one
standard deviation, relative)."""


@dataclass(frozen=True)
class CouncilInfo:
    """What reconciliation needs to know of a council: its kind and the processes it runs."""

    kind: str
    processes: tuple[str, ...] = ()


@dataclass(frozen=True)
class ReportCheck:
    """One report against the balances: reported and reconciled value, the test of it."""

    index: int
    report: int | None
    council: str
    kind: str
    product: str | None
    counterpart: str | None
    source: str
    reported: float
    sigma: float
    reconciled: float
    std_error: float
    z: float
    testable: bool
    flagged: bool
    detectable: float = float("inf")
    """The smallest error in this report (in its unit) the checks would catch 9 times in 10;
    ``inf`` where nothing checks it."""


@dataclass(frozen=True)
class Suspect:
    """A report, or a council's reports together, that the balances reject — in the order named.

    ``council``: the council blamed, or ``None`` where the reports named belong to several
    councils that cannot be told apart; ``reports``: indexes (into the reports given) of what is
    named; ``size``: the estimated error (in the report's unit; for a council, the relative error
    its reports share) with ``size_se``; ``why``: in plain words."""

    rank: int
    council: str | None
    reports: tuple[int, ...]
    together: bool
    z: float
    size: float
    size_se: float
    why: str


@dataclass(frozen=True)
class WorkplaceEstimate:
    """A workplace's output of one product and its hours: reported and reconciled."""

    council: str
    product: str
    reported: float | None
    reconciled: float
    std_error: float
    hours_reported: float | None
    hours_reconciled: float | None


@dataclass(frozen=True)
class Reconciliation:
    """The reports of one period, reconciled and tested (see the module docstring)."""

    period: str | None
    alpha: float
    passed: bool
    chi2: float
    p_value: float
    redundancy: int
    checks: tuple[ReportCheck, ...]
    suspects: tuple[Suspect, ...]
    untestable: tuple[int, ...]
    workplaces: tuple[WorkplaceEstimate, ...]
    notes: tuple[str, ...] = field(default=())

    @property
    def suspected_councils(self) -> tuple[str, ...]:
        """The councils named, most suspicious first (each once)."""
        out: list[str] = []
        for s in self.suspects:
            if s.council is not None and s.council not in out:
                out.append(s.council)
        return tuple(out)

    def weakly_checked(self, share: float = 0.2) -> tuple[ReportCheck, ...]:
        """Reports the balances check, but so loosely that an error of more than ``share`` of
        the amount reported would go unnoticed one time in ten or more — where a false report
        could hide (reports nothing checks at all are :attr:`untestable`)."""
        return tuple(
            c
            for c in self.checks
            if c.testable and c.detectable > share * abs(c.reported) and c.reported != 0.0
        )

    def checks_by_index(self, index: int) -> ReportCheck:
        """The check of the report at ``index`` of the reports given."""
        for c in self.checks:
            if c.index == index:
                return c
        raise KeyError(index)

    def to_dict(self) -> dict[str, Any]:
        from dataclasses import asdict

        return asdict(self)


def _sd(
    row: ReportRow | StoredReport, scale: float, sigma: Mapping[str, float], floor: float
) -> float:
    if row.sigma is not None:
        return float(row.sigma)
    rel = float(sigma.get(row.source, SOURCE_SIGMA.get(row.source, 0.02)))
    return rel * max(abs(float(row.amount)), floor * scale, 1e-12)


def reconcile(
    reports: Sequence[ReportRow | StoredReport],
    economy: Economy,
    *,
    councils: Mapping[str, CouncilInfo],
    period: str | None = None,
    alpha: float = 0.05,
    tolerance: float = DEFAULT_TOLERANCE,
    sigma: Mapping[str, float] | None = None,
    on_progress: OnProgress | None = None,
) -> Reconciliation:
    """Reconcile the reports of one period (those of ``period`` where given; reports of one
    dekad count only where a council gave no whole-period report of the same flow) and name
    suspects.  ``councils``: every council the reports name, with its kind and processes;
    ``sigma``: relative standard deviations by source (defaults: the ledger's);
    ``on_progress`` (:mod:`commonplan.progress`): told each of :data:`STEPS` in turn, and while
    testing for suspects each council tested (each round of tests, one per suspect named, takes
    half of what is left of that step: how many suspects there are is not known ahead)."""
    from commonplan.errors import SolverError

    steps = Steps(on_progress, STEPS)
    args = (reports, economy, councils, period, alpha, tolerance, sigma, steps)
    try:
        rec = _reconcile(*args, floor=SD_FLOOR)
    except SolverError:
        # reports that contradict each other by many orders of magnitude: the solver could not
        # meet every balance to 1e-9 with spreads that far apart; once more with them closer
        try:
            rec = _reconcile(*args, floor=100 * SD_FLOOR)
        except SolverError as exc:
            raise PlanInputError(
                f"the reports{f' of {period}' if period else ''} contradict each other too "
                f"sharply to be reconciled (they span {_span(reports):.0f} orders of "
                f"magnitude): check the largest and the zero figures ({exc})"
            ) from None
        note = (
            "the reports contradict each other by orders of magnitude: small reports were given "
            f"a spread of at least {100 * SD_FLOOR:g} of the largest to reconcile them"
        )
        rec = Reconciliation(**{**vars(rec), "notes": (*rec.notes, note)})
    steps.finish()
    return rec


def _span(reports: Sequence[ReportRow | StoredReport]) -> float:
    sizes = [abs(float(r.amount)) for r in reports if float(r.amount) != 0]
    return math.log10(max(sizes) / min(sizes)) if sizes else 0.0


def _reconcile(
    reports: Sequence[ReportRow | StoredReport],
    economy: Economy,
    councils: Mapping[str, CouncilInfo],
    period: str | None,
    alpha: float,
    tolerance: float,
    sigma: Mapping[str, float] | None,
    steps: Steps,
    *,
    floor: float,
) -> Reconciliation:
    from commonplan.numerics.flownet import Quantity, flow_system, quantity_estimates
    from commonplan.numerics.reconcile import serial_group_elimination

    steps.begin("checking the reports")
    if not (0 < alpha < 1):
        raise PlanInputError(f"alpha must be between 0 and 1; got {alpha}")
    if not (math.isfinite(tolerance) and tolerance > 0):
        raise PlanInputError(f"tolerance must be a positive number; got {tolerance}")
    rows = [r for r in reports if period is None or r.period == period]
    rows = _whole_period(rows)
    if not rows:
        raise PlanInputError(f"no reports{f' for {period}' if period else ''} to reconcile")
    for k, r in enumerate(rows, start=1):
        _check(k, r, councils)
    sigmas = dict(sigma or {})
    scale = max(abs(float(r.amount)) for r in rows)
    index = {p: i for i, p in enumerate(economy.products)}
    proc = {p: j for j, p in enumerate(economy.processes)}

    # nodes: (workers' council, product)
    nodes: dict[tuple[str, str], int] = {}
    main: dict[str, int] = {}

    def node(council: str, product: str) -> int:
        key = (council, product)
        if key not in nodes:
            nodes[key] = len(nodes)
            main.setdefault(council, nodes[key])
        return nodes[key]

    made: dict[str, list[str]] = {}
    for name, info in councils.items():
        if info.kind != "workers":
            continue
        for code in info.processes:
            if code not in proc:
                raise PlanInputError(f"council {name!r} runs {code!r}, which the economy lacks")
            made.setdefault(name, []).append(economy.products[int(economy.makes[proc[code]])])
        for p in made.get(name, []):
            node(name, p)
    for r in rows:
        if r.product is not None and r.product not in index:
            raise PlanInputError(f"report of {r.council}: the economy has no product {r.product!r}")
        if councils[r.council].kind == "workers" and r.kind in ("output", "stock", "delivery"):
            assert r.product is not None
            node(r.council, r.product)

    # flows: (sender node or -1, receiver council or "", product)
    flows: dict[tuple[int, str, str], int] = {}
    uses: dict[tuple[str, str], int] = {}

    def use(council: str, product: str) -> int:
        key = (council, product)
        if key not in uses:
            uses[key] = len(uses)
        return uses[key]

    def flow(sender: str | None, receiver: str | None, product: str) -> int:
        s = nodes.get((sender, product), -1) if sender is not None else -1
        key = (s, receiver or "", product)
        if key not in flows:
            flows[key] = len(flows)
            if receiver and councils[receiver].kind == "workers" and receiver in main:
                use(receiver, product)
        return flows[key]

    kinds: list[int] = []
    targets: list[int] = []
    values: list[float] = []
    sds: list[float] = []
    reporter: list[int] = []
    order = sorted(councils)
    cid = {c: k for k, c in enumerate(order)}
    given: list[int] = []  # the report index of each measurement (-1: assumed zero)
    for k, r in enumerate(rows):
        assert r.product is not None or r.kind == "hours"
        if r.kind == "hours":
            if r.council not in main:
                continue  # a council with no product in the network: nothing to check
            q, t = Quantity.HOURS, main[r.council]
        elif r.kind == "output":
            q, t = Quantity.OUTPUT, nodes[(r.council, str(r.product))]
        elif r.kind == "stock":
            q, t = Quantity.STOCK, nodes[(r.council, str(r.product))]
        elif r.kind == "input":
            if (r.council, r.product) in nodes:
                q, t = Quantity.OWN_USE, nodes[(r.council, str(r.product))]
            elif r.council in main:
                q, t = Quantity.INPUT, use(r.council, str(r.product))
            else:
                continue
        elif r.kind == "delivery":
            q, t = Quantity.FLOW, flow(r.council, r.counterpart, str(r.product))
        else:  # receipt
            q, t = Quantity.FLOW, flow(r.counterpart, r.council, str(r.product))
        kinds.append(int(q))
        targets.append(t)
        values.append(float(r.amount))
        sds.append(_sd(r, scale, sigmas, floor))
        reporter.append(-1 if r.source in HARD_SOURCES else cid[r.council])
        given.append(k)
    # an input whose receipts nobody reported came from somewhere: an unmeasured inflow, so
    # that the input balance does not pin what was used to zero
    fed = {(rc, p) for _, rc, p in flows}
    for council, product in list(uses):
        if (council, product) not in fed:
            flow(None, council, product)
    # a node whose output is reported but not its own use or stock change: taken as none
    reported = {(q, t) for q, t in zip(kinds, targets, strict=True)}
    out_value = {
        t: v for q, t, v in zip(kinds, targets, values, strict=True) if q == Quantity.OUTPUT
    }
    notes: list[str] = []
    spread = float(sigmas.get("workplace", SOURCE_SIGMA["workplace"]))
    for t, v in sorted(out_value.items()):
        for q in (Quantity.OWN_USE, Quantity.STOCK):
            if (int(q), t) not in reported:
                kinds.append(int(q))
                targets.append(t)
                values.append(0.0)
                sds.append(spread * max(abs(v), 1e-12))
                reporter.append(-1)  # an assumption, not the council's report
                given.append(-1)
    # coefficients: inputs and hours per unit of each workplace's main product
    nk = len(uses)
    use_workplace = np.zeros(nk, np.intp)
    use_coef = np.full(nk, np.nan)
    use_sd = np.full(nk, np.nan)
    for (council, product), k in uses.items():
        use_workplace[k] = main[council]
        jp = _process_of(councils[council], economy, proc, nodes, main[council])
        if jp is not None:
            a = float(economy.inputs[index[product], jp])
            o = out_value.get(main[council])
            if a > 0 and o is not None:
                use_coef[k] = a
                use_sd[k] = tolerance * a * max(abs(o), 1e-12)
    labour_coef = np.full(len(nodes), np.nan)
    labour_sd = np.full(len(nodes), np.nan)
    if economy.labour is not None:
        for council, n in main.items():
            jp = _process_of(councils[council], economy, proc, nodes, n)
            o = out_value.get(n)
            if jp is not None and o is not None and float(economy.labour[jp]) > 0:
                labour_coef[n] = float(economy.labour[jp])
                labour_sd[n] = tolerance * float(economy.labour[jp]) * max(abs(o), 1e-12)
    sender = np.array([s for s, _, _ in flows], dtype=np.intp)
    receiver = np.array(
        [main.get(rc, -1) if rc and councils[rc].kind == "workers" else -1 for _, rc, _ in flows],
        dtype=np.intp,
    )
    flow_use = np.array([uses.get((rc, p), -1) if rc else -1 for _, rc, p in flows], dtype=np.intp)
    steps.begin("setting up the balances")
    system = flow_system(
        len(nodes),
        sender,
        receiver,
        report_kind=kinds,
        report_target=targets,
        report_value=values,
        report_sigma=sds,
        flow_use=flow_use,
        use_workplace=use_workplace,
        use_coef=use_coef,
        use_sd=use_sd,
        labour_coef=labour_coef,
        labour_sd=labour_sd,
    )
    extra = len(system.y) - len(reporter)  # the coefficients' pseudo-measurements
    groups = np.concatenate([np.array(reporter, np.intp), np.full(extra, -1)])
    # a council that falsifies does so in what it claims to have made and sent: its output,
    # stock, own use and deliveries move together; its hours, inputs and receipts need not
    shape = np.array(
        [
            0.0 if k >= 0 and _claims_little(rows[k], councils) else v
            for k, v in zip(given, system.y[: len(given)], strict=True)
        ]
        + [0.0] * extra
    )
    # hard-to-fake measures are never named alone before the self-reports they contradict
    alone = np.array(
        [k >= 0 and rows[k].source not in HARD_SOURCES for k in given] + [False] * extra
    )
    steps.begin("testing for suspects")
    found, final = serial_group_elimination(
        system.y,
        system.sigma,
        system.A,
        system.B,
        system.b,
        group_of=groups,
        direction=shape,
        singles=alone,
        alpha=alpha,
        on_tested=lambda named, k, groups: steps.advance(1.0 - 0.5**named * (1 - k / groups / 2)),
    )
    steps.begin("the global test")
    first = _first(system, alpha)
    steps.begin("the estimates")
    value, se = quantity_estimates(system, final)
    steps.begin("each report's check")
    reach = first.detectable(0.9)
    checks = []
    for i, k in enumerate(given):
        if i % 1000 == 999:
            steps.advance(i / len(given))
        if k < 0:
            continue
        r = rows[k]
        qv = value[system.quantity_of[i]]
        checks.append(
            ReportCheck(
                index=k,
                report=r.id if isinstance(r, StoredReport) else None,
                council=r.council,
                kind=r.kind,
                product=r.product,
                counterpart=r.counterpart,
                source=r.source,
                reported=float(r.amount),
                sigma=float(system.sigma[i]),
                reconciled=float(qv),
                std_error=float(se[system.quantity_of[i]]),
                z=float(first.z[i]),
                testable=bool(first.testable[i]),
                flagged=bool(first.testable[i] and abs(first.z[i]) > first.measurement_critical),
                detectable=float(reach[i]),
            )
        )
    suspects = []
    for rank, g in enumerate(found, start=1):
        members = [given[i] for i in g.members if i < len(given) and given[i] >= 0]
        blamed = order[g.group] if g.group >= 0 else None
        owners = {rows[m].council for m in members}
        if blamed is None and len(owners) == 1:  # the rest are coefficients, not reports
            blamed = owners.pop()
        size, size_se, single = g.size, g.size_se, g.measurement
        if single < 0 and len(g.members) == 1:  # a council's only report: name the report
            single = g.members[0]
            size, size_se = g.size * system.y[single], abs(g.size_se * system.y[single])
        if single < 0:
            why = (
                f"{blamed}'s reports of what it made and sent are off together: by about "
                f"{size:+.1%} of each figure reported (± {size_se:.1%})"
            )
            together = True
        else:
            named = rows[given[single]] if given[single] >= 0 else None
            what = _describe(named) if named is not None else "an assumed zero"
            why = (
                f"{what} disagrees with the other reports by about {size:+,.4g} (± {size_se:,.3g})"
            )
            if blamed is None and len({rows[m].council for m in members}) > 1:
                others = sorted({rows[m].council for m in members})
                why += (
                    f"; the balances cannot tell it apart from the reports of "
                    f"{', '.join(others)}: one of them is wrong"
                )
            together = False
        suspects.append(
            Suspect(rank, blamed, tuple(sorted(set(members))), together, g.z, size, size_se, why)
        )
    untestable = tuple(
        sorted({given[i] for i in first.untestable if i < len(given) and given[i] >= 0})
    )
    estimates = []
    hours_of = {
        main[r.council]: float(r.amount) for r in rows if r.kind == "hours" and r.council in main
    }
    for (council, product), n in sorted(nodes.items(), key=lambda kv: kv[1]):
        qo = int(np.flatnonzero((system.kind_of == Quantity.OUTPUT) & (system.target_of == n))[0])
        qh = int(np.flatnonzero((system.kind_of == Quantity.HOURS) & (system.target_of == n))[0])
        is_main = main[council] == n
        estimates.append(
            WorkplaceEstimate(
                council=council,
                product=product,
                reported=out_value.get(n),
                reconciled=float(value[qo]),
                std_error=float(se[qo]),
                hours_reported=hours_of.get(n) if is_main else None,
                hours_reconciled=float(value[qh]) if is_main and n in hours_of else None,
            )
        )
    if any(k < 0 for k in given):
        notes.append(
            "workplaces that reported output but no own use or stock change are taken to have none"
        )
    return Reconciliation(
        period=period,
        alpha=alpha,
        passed=bool(first.passed),
        chi2=float(first.chi2),
        p_value=float(first.p_value),
        redundancy=int(first.redundancy),
        checks=tuple(checks),
        suspects=tuple(suspects),
        untestable=untestable,
        workplaces=tuple(estimates),
        notes=tuple(notes),
    )


HARD_SOURCES = frozenset({"meter", "freight", "receipts"})
"""Sources of hard-to-fake measures."""


def _claims_little(r: ReportRow | StoredReport, councils: Mapping[str, CouncilInfo]) -> bool:
    """A report outside what its council claims to have made and sent (a workers' council's
    hours, inputs and receipts), or a hard-to-fake measure: no part of a council's lie."""
    if r.source in HARD_SOURCES:
        return True
    return councils[r.council].kind == "workers" and r.kind in ("hours", "input", "receipt")


def _check(k: int, r: ReportRow | StoredReport, councils: Mapping[str, CouncilInfo]) -> None:
    """The rules of the ledger (:func:`commonplan.reports.file_reports` checks them when reports
    are filed) for reports given to :func:`reconcile` directly; PlanInputError names the row."""
    at = f"report {k} ({r.council}, {r.kind})"
    for name in (r.council, r.counterpart):
        if name is not None and name not in councils:
            raise PlanInputError(f"{at}: council {name!r} is not described")
    if r.kind not in KINDS:
        raise PlanInputError(f"{at}: kind must be one of {', '.join(KINDS)}")
    if r.kind in WORKPLACE_KINDS and councils[r.council].kind != "workers":
        raise PlanInputError(f"{at}: only a workers' council reports {r.kind}")
    if (r.kind == "hours") != (r.product is None):
        raise PlanInputError(f"{at}: an hours report names no product; the others name one")
    if r.counterpart is not None and r.kind not in ("delivery", "receipt"):
        raise PlanInputError(f"{at}: only deliveries and receipts name a counterpart")
    if r.counterpart == r.council:
        raise PlanInputError(f"{at}: a council does not deliver to itself")
    if r.kind == "receipt" and r.counterpart and councils[r.counterpart].kind != "workers":
        raise PlanInputError(f"{at}: receipts come from a workers' council")
    amount = float(r.amount)
    if not math.isfinite(amount) or (amount < 0 and r.kind != "stock"):
        raise PlanInputError(f"{at}: the amount must be a finite number of at least 0")
    if r.sigma is not None and not (math.isfinite(float(r.sigma)) and float(r.sigma) > 0):
        raise PlanInputError(f"{at}: sigma must be a positive number")


def _first(system: Any, alpha: float) -> Any:
    from commonplan.numerics.reconcile import reconcile_linear

    return reconcile_linear(system.y, system.sigma, system.A, system.B, system.b, alpha=alpha)


def _process_of(
    info: CouncilInfo, economy: Economy, proc: Mapping[str, int], nodes: Mapping[Any, int], n: int
) -> int | None:
    """The process of a council that makes the product of node ``n``."""
    product = next(p for (_, p), k in nodes.items() if k == n)
    for j in info.processes:
        if economy.products[int(economy.makes[proc[j]])] == product:
            return proc[j]
    return None


def _describe(r: ReportRow | StoredReport) -> str:
    what = {
        "output": f"{r.council}'s output of {r.product}",
        "delivery": f"{r.council}'s delivery of {r.product} to {r.counterpart or 'outside'}",
        "receipt": f"{r.council}'s receipt of {r.product} from {r.counterpart or 'outside'}",
        "input": f"{r.council}'s use of {r.product}",
        "stock": f"{r.council}'s stock change of {r.product}",
        "hours": f"{r.council}'s hours",
    }[r.kind]
    return f"{what} ({r.amount:,.6g}, {r.source})"


def _whole_period(rows: Sequence[ReportRow | StoredReport]) -> list[ReportRow | StoredReport]:
    """Whole-period reports; a flow reported only by dekads counts as their sum."""
    whole = [r for r in rows if r.dekad is None]
    keys = {_key(r) for r in whole}
    parts: dict[tuple[Any, ...], list[ReportRow | StoredReport]] = {}
    for r in rows:
        if r.dekad is not None and _key(r) not in keys:
            parts.setdefault(_key(r), []).append(r)
    for group in parts.values():
        r0 = group[0]
        whole.append(
            ReportRow(
                council=r0.council,
                period=r0.period,
                kind=r0.kind,
                amount=float(sum(float(r.amount) for r in group)),
                product=r0.product,
                counterpart=r0.counterpart,
                sigma=_combined([r.sigma for r in group]),
                source=r0.source,
            )
        )
    return whole


def _combined(sigmas: Sequence[float | None]) -> float | None:
    """The standard deviation of a sum of independent reports (None if any has none)."""
    if any(s is None for s in sigmas):
        return None
    return float(math.sqrt(sum(float(s or 0.0) ** 2 for s in sigmas)))


def _key(r: ReportRow | StoredReport) -> tuple[Any, ...]:
    return (r.council, r.period, r.kind, r.product, r.counterpart, r.source)


def reconcile_round(
    db: Database,
    round_id: int,
    *,
    period: str,
    viewer: str | None = None,
    alpha: float = 0.05,
    on_progress: OnProgress | None = None,
) -> Reconciliation:
    """:func:`reconcile` the current reports of one period of a round's plan, with the councils,
    economy and spreads of the round's federation (``reporting.sigma``,
    ``reporting.tolerance``).  With ``viewer``, refused to members of other federations.
    ``on_progress``: told of reading the reports, then of :func:`reconcile`'s steps."""
    from sqlalchemy import select

    from commonplan.federation import economy_of, subtree
    from commonplan.reports.ledger import periods_of, reports_of
    from commonplan.store import get
    from commonplan.store.models import Council, Federation, Round

    steps = Steps(on_progress, [("reading the reports", 1.0), ("reconciling", 9.0)])
    steps.begin("reading the reports")
    rows = reports_of(db, round_id, viewer=viewer, period=period)
    with db.transaction() as s:
        r = get(s, Round, round_id, "round")
        if period not in periods_of(r):
            raise PlanInputError(f"period {period!r} is not in the plan of round {r.number}")
        fed = get(s, Federation, r.federation_id, "federation")
        nodes = subtree(s, fed.id)
        councils = {
            c.name: CouncilInfo(c.kind, tuple(c.processes or ()))
            for c in s.execute(select(Council).where(Council.federation_id.in_(nodes))).scalars()
        }
        cfg = dict((r.settings or {}).get("reporting") or {})
        settings = dict(fed.settings)
    economy = economy_of(settings)
    return reconcile(
        rows,
        economy,
        councils=councils,
        period=period,
        alpha=alpha,
        tolerance=float(cfg.get("tolerance", DEFAULT_TOLERANCE)),
        sigma=dict(cfg.get("sigma") or {}),
        on_progress=steps.part("reconciling"),
    )


def raise_suspect_alerts(
    db: Database, round_id: int, rec: Reconciliation, *, now: datetime | None = None
) -> list[int]:
    """An alert for each suspect of ``rec``: to the council named (the council first), or, where
    the reports named belong to councils that cannot be told apart, to the federation with all
    of them named.  Returns the alerts' ids (an open alert is not raised twice)."""
    from commonplan.monitor.alerts import raise_alert

    ids = []
    with db.transaction() as s:
        for suspect in rec.suspects:
            named = [rec.checks_by_index(i) for i in suspect.reports]
            subject = ",".join(sorted({c.product or "hours" for c in named}))
            ids.append(
                raise_alert(
                    s,
                    round_id,
                    source="reconciliation",
                    kind="reports do not add up",
                    message=suspect.why,
                    council=suspect.council,
                    period=rec.period,
                    subject=subject[:200] or None,
                    evidence={
                        "z": suspect.z,
                        "size": suspect.size,
                        "size_se": suspect.size_se,
                        "reports": [c.report for c in named if c.report is not None],
                        "together": suspect.together,
                    },
                    now=now,
                )
            )
    return ids
