"""The reports ledger: what each council says it made, delivered, received, used and worked.

A ratified plan runs over reporting **periods** (months by default: the round setting
``reporting: {start: "2027-01", every: month, periods: 12}``; weeks with ``every: week``).  In
each period every workers' council reports its output per product, its deliveries to other
councils, the inputs it used, its stock changes and the hours its members worked; consumers'
councils report what they received; hard-to-fake measures (energy meters, freight weighings,
consumers' till receipts) come in as reports of their own, with their own ``source``.

The ledger is **append-only**.  A correction is a new report that names the one it replaces
(``revises``) and says why; nothing is updated or deleted, and every accepted batch is one entry
in the audit log holding the hash of its rows.  A batch is checked whole before anything is
stored: one bad row — an unknown council or product, a negative or non-finite amount, a period
outside the plan, a council of another federation, a report already on file — refuses the batch
with a message naming the row, and nothing of it is written.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import asdict, dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from commonplan import audit
from commonplan._ledger import CsvLine, csv_lines, log_batch
from commonplan.errors import AuthorisationError, NotFoundError, PlanInputError, said
from commonplan.federation import economy_of, member_federations, member_named, subtree
from commonplan.rounds.phases import ratified
from commonplan.store import Database, get
from commonplan.store.models import Council, Federation, Member, Report, ReportBatch, Round

__all__ = [
    "KINDS",
    "SOURCES",
    "SOURCE_SIGMA",
    "FiledBatch",
    "ReportRow",
    "StoredReport",
    "file_reports",
    "parse_report_rows",
    "periods_of",
    "read_report_rows",
    "reports_of",
    "revise_report",
]

KINDS: dict[str, str] = {
    "output": "gross output of the product",
    "delivery": "the product delivered to the counterpart council (empty: out of the federation)",
    "receipt": "the product received from the counterpart council (empty: from outside)",
    "input": "the product used up in production",
    "stock": "change of the stock of the product (negative: drawn down)",
    "hours": "hours worked by the council's members",
}
"""Report kinds and what each amount means."""

WORKPLACE_KINDS = frozenset({"output", "delivery", "input", "stock", "hours"})
"""Kinds only a workers' council (a workplace) reports; ``receipt`` any council may."""

SOURCES = ("workplace", "consumers", "meter", "freight", "receipts")
"""Who measured a report: the workplace itself, a consumers' council, or a hard-to-fake measure."""

SOURCE_SIGMA: dict[str, float] = {
    "workplace": 0.02,
    "consumers": 0.02,
    "meter": 0.005,
    "freight": 0.01,
    "receipts": 0.01,
}
"""Default standard deviation of a report, relative to its amount, by source (a round setting
``reporting: {sigma: {source: relative sd}}`` overrides these)."""

ROW_COLUMNS = (
    "council",
    "period",
    "kind",
    "product",
    "counterpart",
    "amount",
    "unit",
    "sigma",
    "source",
    "dekad",
)


@dataclass(frozen=True)
class ReportRow:
    """One report as filed: councils by name, the product by its code."""

    council: str
    period: str
    kind: str
    amount: float
    product: str | None = None
    counterpart: str | None = None
    unit: str | None = None
    sigma: float | None = None
    source: str = "workplace"
    dekad: int | None = None


@dataclass(frozen=True)
class StoredReport:
    """A report in the ledger.  ``current`` is false once a revision replaced it."""

    id: int
    round: int
    batch: int
    council: str
    period: str
    kind: str
    product: str | None
    counterpart: str | None
    amount: float
    unit: str
    sigma: float | None
    source: str
    dekad: int | None
    revises: int | None
    reason: str | None
    current: bool

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True)
class FiledBatch:
    """An accepted batch: its id, the ids of its reports in row order, and the audit entry."""

    batch: int
    reports: tuple[int, ...]
    rows_sha256: str
    audit_seq: int


def check_reporting(cfg: Any) -> None:
    """PlanInputError unless ``cfg`` is a valid ``reporting`` setting: ``every`` month or week,
    ``periods`` a whole number from 1 to 520, ``start`` ``YYYY-MM`` (months) or ``YYYY-Www``
    (weeks)."""
    if not isinstance(cfg, Mapping):
        raise PlanInputError("rounds.reporting must be a mapping, e.g. {every: month, periods: 12}")
    unknown = set(cfg) - {"every", "periods", "start", "sigma"}
    if unknown:
        raise PlanInputError(
            f"unknown reporting setting(s) {sorted(unknown)}; known: every, periods, start, sigma"
        )
    fake = Round(settings={"reporting": dict(cfg)}, opened_at=datetime(2000, 1, 1, tzinfo=UTC))
    periods_of(fake)
    for source, sd in dict(cfg.get("sigma") or {}).items():
        if source not in SOURCES:
            raise PlanInputError(f"reporting.sigma: no source {source!r}; sources: {SOURCES}")
        if not (isinstance(sd, int | float) and math.isfinite(sd) and sd > 0):
            raise PlanInputError(f"reporting.sigma.{source} must be a positive number; got {sd!r}")


def periods_of(r: Round) -> tuple[str, ...]:
    """The reporting periods of a round's plan: ``YYYY-MM`` months or ``YYYY-Www`` ISO weeks.

    Setting ``reporting: {start, every, periods}`` of the round; by default 12 months from the
    month after the plan was ratified (or opened, for a round still running).
    """
    cfg = dict((r.settings or {}).get("reporting") or {})
    every = str(cfg.get("every", "month"))
    if every not in ("month", "week"):
        raise PlanInputError(f"reporting.every must be 'month' or 'week'; got {every!r}")
    count = cfg.get("periods", 12 if every == "month" else 52)
    if isinstance(count, bool) or not isinstance(count, int) or not 1 <= count <= 520:
        raise PlanInputError(
            f"reporting.periods must be a whole number from 1 to 520; got {count!r}"
        )
    when = r.closed_at or r.opened_at
    start = cfg.get("start")
    try:
        if every == "month":
            year, month = (int(x) for x in str(start or _next_month(when)).split("-"))
            date(year, month, 1)
            out = []
            for k in range(count):
                y, m = divmod(month - 1 + k, 12)
                out.append(f"{year + y:04d}-{m + 1:02d}")
            return tuple(out)
        if start:
            iso_year, iso_week = str(start).split("-W")
            first = date.fromisocalendar(int(iso_year), int(iso_week), 1)
        else:
            d = when.date()
            first = d + timedelta(days=7 - d.weekday())
    except ValueError:
        form = "YYYY-MM (2027-01)" if every == "month" else "YYYY-Www (2027-W01)"
        raise PlanInputError(f"reporting.start must be {form}; got {start!r}") from None
    out = []
    for k in range(count):
        iso = (first + timedelta(weeks=k)).isocalendar()
        out.append(f"{iso.year:04d}-W{iso.week:02d}")
    return tuple(out)


def _next_month(when: datetime) -> str:
    y, m = divmod(when.month, 12)
    return f"{when.year + y:04d}-{m + 1:02d}"


def read_report_rows(path: str | Path) -> list[ReportRow]:
    """Report rows from a CSV file with the columns of :data:`ROW_COLUMNS` (``council``,
    ``period``, ``kind``, ``amount`` required; the others may be left out or empty)."""
    with open(path, newline="", encoding="utf-8") as fh:
        return parse_report_rows(fh, str(path))


def parse_report_rows(lines: Iterable[str], where: str) -> list[ReportRow]:
    """Report rows from CSV text (``lines``: a file or a list of lines); ``where`` names the
    file in the messages (an upload's name, say)."""
    return [
        _row_of(line)
        for line in csv_lines(
            lines,
            where,
            what="report",
            columns=ROW_COLUMNS,
            required=("council", "period", "kind", "amount"),
        )
    ]


def _row_of(line: CsvLine) -> ReportRow:
    text, where = line.text, line.where
    return ReportRow(
        council=text("council") or "",
        period=text("period") or "",
        kind=text("kind") or "",
        amount=_number(text("amount"), f"{where}: amount"),
        product=text("product"),
        counterpart=text("counterpart"),
        unit=text("unit"),
        sigma=None if text("sigma") is None else _number(text("sigma"), f"{where}: sigma"),
        source=text("source") or "workplace",
        dekad=None if text("dekad") is None else int(_number(text("dekad"), f"{where}: dekad")),
    )


def _number(value: Any, what: str) -> float:
    try:
        return float(value)
    except (TypeError, ValueError):
        raise PlanInputError(f"{what} must be a number; got {value!r}") from None


def _ratified(s: Session, round_id: int) -> tuple[Round, Federation]:
    return ratified(s, round_id, said("reports are filed"))


def _may_report(s: Session, member: Member, council: Council, nodes: set[int]) -> None:
    if member.role == "facilitator" and _in_federation(s, member, nodes):
        return
    if council.id in (member.workers_council_id, member.consumers_council_id):
        return
    raise AuthorisationError(
        f"{member.handle!r} is not a member of {council.name!r}: a council's reports are filed "
        "by its own members (or a facilitator of its federation)"
    )


def _in_federation(s: Session, member: Member, nodes: set[int]) -> bool:
    return bool(member_federations(s, member) & nodes)


def _check_row(
    k: int,
    row: ReportRow,
    periods: Sequence[str],
    products: set[str],
    councils: Mapping[str, Council],
    units: Mapping[str, str],
) -> tuple[Council, Council | None, str]:
    """The reporting council, the counterpart and the unit of a valid row; else PlanInputError
    naming the row (``k``, counted from 1)."""
    at = f"report row {k} ({row.council or '?'}, {row.kind or '?'}"
    at += f", {row.product})" if row.product else ")"
    council = councils.get(row.council)
    if council is None:
        raise PlanInputError(f"{at}: no council named {row.council!r} in this federation")
    if row.kind not in KINDS:
        raise PlanInputError(f"{at}: kind must be one of {', '.join(KINDS)}; got {row.kind!r}")
    if row.kind in WORKPLACE_KINDS and council.kind != "workers":
        raise PlanInputError(f"{at}: only a workers' council reports {row.kind}")
    if row.source not in SOURCES:
        raise PlanInputError(f"{at}: source must be one of {', '.join(SOURCES)}")
    if row.period not in periods:
        raise PlanInputError(
            f"{at}: period {row.period!r} is not in the plan ({periods[0]} to {periods[-1]})"
        )
    if row.dekad is not None and row.dekad not in (1, 2, 3):
        raise PlanInputError(f"{at}: dekad must be 1, 2 or 3 (a third of the period)")
    if not math.isfinite(row.amount):
        raise PlanInputError(f"{at}: the amount must be a finite number; got {row.amount}")
    if row.amount < 0 and row.kind != "stock":
        raise PlanInputError(f"{at}: the amount cannot be negative ({row.amount:g})")
    if row.sigma is not None and not (math.isfinite(row.sigma) and row.sigma > 0):
        raise PlanInputError(f"{at}: sigma must be a positive number; got {row.sigma}")
    if row.kind == "hours":
        if row.product or row.counterpart:
            raise PlanInputError(f"{at}: an hours report names no product and no counterpart")
        unit = "hours"
    else:
        if not row.product:
            raise PlanInputError(f"{at}: a {row.kind} report names its product")
        if row.product not in products:
            raise PlanInputError(f"{at}: the economy has no product {row.product!r}")
        unit = units.get(row.product, "")
    counterpart = None
    if row.counterpart:
        if row.kind not in ("delivery", "receipt"):
            raise PlanInputError(f"{at}: only deliveries and receipts name a counterpart")
        counterpart = councils.get(row.counterpart)
        if counterpart is None:
            raise PlanInputError(f"{at}: no council named {row.counterpart!r} in this federation")
        if counterpart.id == council.id:
            raise PlanInputError(f"{at}: a council does not deliver to itself")
        if row.kind == "receipt" and counterpart.kind != "workers":
            raise PlanInputError(f"{at}: receipts come from a workers' council")
    if row.unit and unit and row.unit != unit:
        raise PlanInputError(
            f"{at}: the unit of {row.product or 'hours'} is {unit!r}, not {row.unit!r}"
        )
    return council, counterpart, row.unit or unit


def _key(round_id: int, council: int, counterpart: int | None, row: ReportRow) -> tuple[Any, ...]:
    return (
        round_id,
        council,
        row.period,
        row.dekad,
        row.kind,
        row.product,
        counterpart,
        row.source,
    )


def _stored_key(r: Report) -> tuple[Any, ...]:
    return (
        r.round_id,
        r.council_id,
        r.period,
        r.dekad,
        r.kind,
        r.product,
        r.counterpart_id,
        r.source,
    )


def file_reports(
    db: Database, round_id: int, rows: Iterable[ReportRow], *, actor: str
) -> FiledBatch:
    """Check every row, then store them all in one transaction with one audit entry; or store
    nothing and raise, naming the first bad row.  A row that repeats a report already on file (the
    same council, period, dekad, kind, product, counterpart and source) is refused: correct a
    report with :func:`revise_report`."""
    rows = list(rows)
    if not rows:
        raise PlanInputError("the report batch is empty")
    with db.transaction() as s:
        r, fed = _ratified(s, round_id)
        member = member_named(s, actor)
        economy = economy_of(fed.settings)
        nodes = set(subtree(s, fed.id))
        councils = {
            c.name: c
            for c in s.execute(select(Council).where(Council.federation_id.in_(nodes))).scalars()
        }
        periods = periods_of(r)
        products = set(economy.products)
        units = {p: economy.units.get("output", "") for p in economy.products}
        on_file = {
            _stored_key(x)
            for x in s.execute(select(Report).where(Report.round_id == round_id)).scalars()
        }
        checked = []
        for k, row in enumerate(rows, start=1):
            council, counterpart, unit = _check_row(k, row, periods, products, councils, units)
            _may_report(s, member, council, nodes)
            key = _key(round_id, council.id, counterpart.id if counterpart else None, row)
            if key in on_file:
                raise PlanInputError(
                    f"report row {k} ({row.council}, {row.kind}, {row.product or 'hours'}, "
                    f"{row.period}) is on file already: file a revision to correct it"
                )
            on_file.add(key)
            checked.append((row, council, counterpart, unit))
        sha = audit.digest([asdict(row) for row in rows])
        batch = ReportBatch.filed(s, round_id, member.id, len(rows), sha)
        stored = [
            Report(
                round_id=round_id,
                batch_id=batch.id,
                council_id=council.id,
                period=row.period,
                dekad=row.dekad,
                kind=row.kind,
                product=row.product,
                counterpart_id=counterpart.id if counterpart else None,
                amount=float(row.amount),
                unit=unit,
                sigma=row.sigma,
                source=row.source,
            )
            for row, council, counterpart, unit in checked
        ]
        s.add_all(stored)
        s.flush()
        ids = tuple(x.id for x in stored)
        entry = log_batch(s, batch, ids, actor=actor, action="reports filed", noun="report")
        return FiledBatch(batch.id, ids, sha, entry.seq)


_REVISION_KEEPS = tuple(
    "round_id council_id period dekad kind product counterpart_id unit source".split()
)
"""The columns a revision copies from the report it revises (its amount and sigma are new)."""


def revise_report(
    db: Database,
    report: int,
    *,
    amount: float,
    reason: str,
    actor: str,
    sigma: float | None = None,
) -> int:
    """File a correction of ``report``: a new report with the new amount, pointing to the old one
    and giving the reason.  The old one stays in the ledger; only the newest of a chain counts."""
    reason = (reason or "").strip()
    if not reason:
        raise PlanInputError(f"a revision of report {report} needs a reason")
    with db.transaction() as s:
        old = get(s, Report, report, "report")
        newer = s.execute(select(Report.id).where(Report.revises_id == old.id)).scalar()
        if newer is not None:
            raise PlanInputError(
                f"report {report} has been revised already (by report {newer}): revise that one"
            )
        _, fed = _ratified(s, old.round_id)
        member = member_named(s, actor)
        council = get(s, Council, old.council_id, "council")
        _may_report(s, member, council, set(subtree(s, fed.id)))
        row = ReportRow(
            council=council.name,
            period=old.period,
            kind=old.kind,
            amount=float(amount),
            product=old.product,
            sigma=sigma if sigma is not None else old.sigma,
            source=old.source,
            dekad=old.dekad,
        )
        if not math.isfinite(row.amount) or (row.amount < 0 and row.kind != "stock"):
            raise PlanInputError(
                f"revision of report {report}: the amount must be a finite number"
                + (" of at least 0" if row.kind != "stock" else "")
                + f"; got {amount}"
            )
        if row.sigma is not None and not (math.isfinite(row.sigma) and row.sigma > 0):
            raise PlanInputError(f"revision of report {report}: sigma must be positive")
        sha = audit.digest([asdict(row) | {"revises": report, "reason": reason}])
        batch = ReportBatch.filed(s, old.round_id, member.id, 1, sha)
        kept = {column: getattr(old, column) for column in _REVISION_KEEPS}
        new = Report(
            **kept,
            batch_id=batch.id,
            amount=row.amount,
            sigma=row.sigma,
            revises_id=old.id,
            reason=reason,
        )
        s.add(new)
        s.flush()
        audit.append(
            s,
            actor=actor,
            action="report revised",
            subject=f"report {old.id}",
            payload={
                "batch": batch.id,
                "report": new.id,
                "old_amount": old.amount,
                "amount": new.amount,
                "reason": reason,
                "rows_sha256": sha,
            },
        )
        return new.id


def reports_of(
    db: Database,
    round_id: int,
    *,
    viewer: str | None = None,
    period: str | None = None,
    council: str | None = None,
    current_only: bool = True,
) -> list[StoredReport]:
    """The ledger of a round (current reports only, unless ``current_only=False``), in filing
    order.  With ``viewer`` (a member's handle) it is refused unless the viewer belongs to the
    round's federation: reports are not shown to other federations."""
    with db.transaction() as s:
        r = get(s, Round, round_id, "round")
        nodes = set(subtree(s, r.federation_id))
        if viewer is not None:
            m = member_named(s, viewer)
            if not _in_federation(s, m, nodes):
                raise NotFoundError(f"no round {round_id}")
        names = dict(s.execute(select(Council.id, Council.name)).all())
        q = select(Report).where(Report.round_id == round_id).order_by(Report.id)
        if period is not None:
            q = q.where(Report.period == period)
        if council is not None:
            ids = [i for i, n in names.items() if n == council]
            if not ids:
                raise NotFoundError(f"no council named {council!r}")
            q = q.where(Report.council_id == ids[0])
        rows = list(s.execute(q).scalars())
        revised = set(
            s.execute(
                select(Report.revises_id).where(
                    Report.round_id == round_id, Report.revises_id.is_not(None)
                )
            ).scalars()
        )
        return [
            StoredReport(
                id=x.id,
                round=x.round_id,
                batch=x.batch_id,
                council=names[x.council_id],
                period=x.period,
                kind=x.kind,
                product=x.product,
                counterpart=names.get(x.counterpart_id) if x.counterpart_id else None,
                amount=x.amount,
                unit=x.unit,
                sigma=x.sigma,
                source=x.source,
                dekad=x.dekad,
                revises=x.revises_id,
                reason=x.reason,
                current=x.id not in revised,
            )
            for x in rows
            if not (current_only and x.id in revised)
        ]
