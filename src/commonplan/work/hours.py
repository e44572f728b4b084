"""The hours ledger: hours worked and credited, kept by double entry, append-only.

Every **entry** has two postings that sum to zero.  The accounts are a member's, a workplace's
(its workers' council) and one **credit pool** per credit kind of the federation:

- ``work`` — a workplace records hours a member worked there in a period: the member's account
  is credited ``+h``, the workplace's debited ``-h`` (the workplace received the work);
- ``credit`` — hours credited to a member for care, sickness, age or study: the member ``+h``,
  the federation's pool of that kind ``-h``.

A member's balance in a period is what they worked plus what they were credited; a workplace's
is minus the hours worked there.  The member whose hours an entry records gives their **verdict**
— confirmed, or disputed with a reason — as a row of its own (one per entry, final).  A
**correction** is a reversing entry (its postings the negated postings of the one it cancels,
with a reason), never an edit or a delete; an entry is reversed at most once and a reversal is
not reversed (record the hours again instead).  A reversal counts under the verdict of the entry
it reverses, so reversing restores every balance — confirmed, pending and disputed — to what it
was before the entry.

Who records: for ``work``, a member of that workplace's council other than the member whose
hours they are; for ``credit``, a member of the member's own workers' council other than the
member; in both cases also a facilitator of the federation.  Entries go against the periods of a
ratified plan (:func:`commonplan.reports.ledger.periods_of`).

A batch is checked whole before anything is stored: an unknown member or workplace, hours that
are negative, zero or not finite, a period outside the plan, a member of another federation, a
member in two places at once (more hours in one period, across workplaces and credits, than the
period has), a credit above its rule, or an entry already on file refuses the batch with a
message naming the row, and nothing of it is written.  An accepted batch is one entry in the
audit log holding the hash of its rows (:func:`commonplan.audit.digest` of the rows as dicts).

**How a batch is stored** (the issue asks for 10^6 postings loaded and balanced in 10 s on
PostgreSQL; benchmarks/hours.py measures it, its docstring has the numbers).  The previous way —
one ``INSERT … SELECT unnest(array)`` per table under per-row foreign keys — took 121 s to load
10^6 postings on this shared 2-core machine: PostgreSQL checks a foreign key row by row (a lookup
and a row lock per reference; 4 per entry, 2 per posting), which was 2/3 of the time, and the
client spent the rest encoding arrays and in Python per-row checks.  Now, on PostgreSQL:

- one batch at a time: ``LOCK TABLE hours_entry IN SHARE ROW EXCLUSIVE MODE`` (readers go on;
  another batch or a reversal waits), so the repeat and two-places checks see every entry on file
  (two batches at once could both pass them before) and the entries' ids can be taken as one
  block (``setval(nextval() + n − 1)``): the postings name their entries without reading them
  back;
- entries and postings go in by ``COPY … FROM STDIN`` (text format, written here row by row,
  psycopg 3's ``cursor.copy``) inside the batch's transaction: no arrays to encode, and with the
  triggers below the storing of 10^6 postings takes 3.3 s where the previous way took ~22 s on
  its schema (benchmarks/hours.py, same checks, same machine, load 2.4);
- the references of entries (batch and its round, member, council, reversed entry) and of
  postings (entry, account) are not foreign keys but **statement triggers** of migration 0004: one
  set-based query per COPY over its new rows (a transition table) — ids that are not on file, and
  an entry whose postings do not net to zero or are fewer than two — refuse the statement (an
  IntegrityError: the transaction, so the whole batch, is rolled back).  A foreign key also stops
  a referenced row from being deleted: here every hours table is **append-only** in the database
  (UPDATE, DELETE and TRUNCATE refused by trigger), and the members, councils and rounds they name
  are never deleted by commonplan (and are guarded by the accounts' and batches' foreign keys).
  On SQLite (not the store for 10^6 postings) the same references are checked by row triggers,
  the netting by one GROUP BY after the INSERTs (:func:`_nets_to_zero`), and the rows go in by
  executemany;
- the indexes are those the queries use: entries by (round, member) and a partial unique index
  on ``reverses_id`` (a reversal reverses one entry, once); postings by their key (entry,
  account) only — the balances aggregate all of a round's postings, an account index served no
  query and cost a second per 10^6 postings (a scratch table's INSERT of 10^6 rows: 1.2 s with
  the key, 2.2 s with the key and an account index);
- a batch of :data:`_ANALYZE_AFTER` rows or more ends with ``ANALYZE`` of the entries, postings
  and accounts (0.1 s): planned on the statistics of empty tables, the balances' joins went by
  nested loops (34 s for 20,000 rows);
- the per-row checks run a cheap common path (the full checks and their messages only for a row
  that fails it); members and workplaces are read as plain rows, not ORM objects; the rows' hash
  is the same :func:`commonplan.audit.digest`, written row by row (half the time of
  ``json.dumps`` of the dicts).

Balances are one aggregate query (GROUP BY account and period, a filtered sum per verdict).

**Credit rules** are the federation's setting ``hours: {quota_per_week, awake_per_week,
credits: {kind: {max_per_week, from_age, per_year}}}``.  The defaults (:data:`HOURS_DEFAULTS`)
are Twin Oaks' published labour-credit rules as recalled here — to be changed by each federation,
not an authority: one hour is one credit whatever the job; a quota of about 42 hours a week; hours
off sick and hours of care credited as worked; from age 50 the quota falls by one hour a week for
each further year of age (an ``age`` credit of ``per_year × (age − from_age)`` hours a week);
study credited up to a limit.  Credits of all kinds together are at most ``quota_per_week`` a
week: a credit stands for work, and nobody is credited more than a full week's quota.
"""

from __future__ import annotations

import functools
import hashlib
import json
import math
from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, NamedTuple, cast

from sqlalchemy import Table, bindparam, func, insert, select, text
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.exc import DBAPIError, IntegrityError
from sqlalchemy.orm import Session

from commonplan import audit
from commonplan._ledger import CsvLine, csv_lines, log_batch
from commonplan.errors import AuthorisationError, NotFoundError, PlanInputError
from commonplan.federation import member_federations, member_named, subtree
from commonplan.reports.ledger import periods_of
from commonplan.rounds.phases import ratified
from commonplan.store import Database, get
from commonplan.store.models import (
    Council,
    Federation,
    HoursAccount,
    HoursBatch,
    HoursEntry,
    HoursPosting,
    HoursVerdict,
    Member,
    Round,
)

__all__ = [
    "HOURS_DEFAULTS",
    "HOURS_PER_WEEK",
    "ROW_COLUMNS",
    "WEEKS_PER_YEAR",
    "Balance",
    "CreditRule",
    "HoursRow",
    "HoursSettings",
    "RecordedBatch",
    "StoredEntry",
    "balances",
    "confirm_hours",
    "dispute_hours",
    "entries_of",
    "hours_settings",
    "parse_hours_rows",
    "read_hours_rows",
    "record_hours",
    "reverse_hours",
    "weeks_in",
]

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


@dataclass(frozen=True)
class HoursRow:
    """One row of a batch: ``member`` (a handle) worked ``hours`` at ``workplace`` (a workers'
    council's name) in ``period``, or is credited ``hours`` of ``credit`` (care, sick …); exactly
    one of ``workplace`` and ``credit``.  ``age``: for a credit whose rule depends on it."""

    member: str
    period: str
    hours: float
    workplace: str | None = None
    credit: str | None = None
    age: int | None = None
    note: str | None = None


@dataclass(frozen=True)
class RecordedBatch:
    """An accepted batch: its id, its entries' ids in row order, and its audit entry."""

    batch: int
    entries: tuple[int, ...]
    rows_sha256: str
    audit_seq: int


@dataclass(frozen=True)
class StoredEntry:
    """An entry of the ledger with its verdict (``pending`` while the member has given none) and,
    where it was reversed, the reversing entry."""

    id: int
    batch: int
    period: str
    kind: str
    member: str
    workplace: str | None
    credit: str | None
    hours: float
    reverses: int | None
    reason: str | None
    reversed_by: int | None
    status: str
    dispute: str | None


@dataclass(frozen=True)
class Balance:
    """An account's balance in one period, split by the verdict on its entries."""

    account: str
    kind: str
    period: str
    confirmed: float
    pending: float
    disputed: float

    @property
    def total(self) -> float:
        return self.confirmed + self.pending + self.disputed


ROW_COLUMNS = ("member", "period", "hours", "workplace", "credit", "age", "note")


def read_hours_rows(path: str | Path) -> list[HoursRow]:
    """Hours rows from a CSV file with the columns of :data:`ROW_COLUMNS` (``member``,
    ``period``, ``hours`` required; a row names a ``workplace`` or a ``credit``)."""
    with open(path, newline="", encoding="utf-8") as fh:
        return parse_hours_rows(fh, str(path))


def parse_hours_rows(lines: Iterable[str], where: str) -> list[HoursRow]:
    """Hours rows from CSV text (``lines``: a file or a list of lines); ``where`` names the file
    in the messages (an upload's name, say)."""
    return [
        _row_of(line)
        for line in csv_lines(
            lines, where, what="hours", columns=ROW_COLUMNS, required=("member", "period", "hours")
        )
    ]


def _row_of(line: CsvLine) -> HoursRow:
    text, where = line.text, line.where
    age = text("age")
    try:
        hours = float(text("hours") or "")
    except ValueError:
        raise PlanInputError(
            f"{where}: hours must be a number; got {line.raw.get('hours')!r}"
        ) from None
    try:
        years = None if age is None else int(age)
    except ValueError:
        raise PlanInputError(f"{where}: age must be a whole number; got {age!r}") from None
    return HoursRow(
        member=text("member") or "",
        period=text("period") or "",
        hours=hours,
        workplace=text("workplace"),
        credit=text("credit"),
        age=years,
        note=text("note"),
    )


# ---------------------------------------------------------------------- checks


def _ratified(s: Session, round_id: int) -> tuple[Round, Federation]:
    return ratified(s, round_id, "hours are recorded")


def _facilitates(s: Session, member: Member, nodes: set[int]) -> bool:
    """A facilitator of the federation whose nodes are ``nodes``."""
    return member.role == "facilitator" and bool(member_federations(s, member) & nodes)


def _may_record(
    actor: Member,
    facilitator: bool,
    member: Member,
    workplace: Council | None,
    where: str | Callable[[], str],
) -> None:
    """Work: a member of the workplace's council; a credit: of the member's own workers' council;
    never the member themself — or a facilitator of the federation.  ``where`` names the row (a
    callable: worked out only for the message)."""
    if facilitator:
        return
    if actor.id != member.id:
        council = workplace.id if workplace is not None else member.workers_council_id
        if council is not None and actor.workers_council_id == council:
            return
    at = where if isinstance(where, str) else where()
    if actor.id == member.id:
        raise AuthorisationError(
            f"{at}: {actor.handle!r} cannot record their own hours; their workplace does, and "
            "they confirm or dispute"
        )
    council = workplace.id if workplace is not None else member.workers_council_id
    if council is None or actor.workers_council_id != council:
        where = repr(workplace.name) if workplace else f"the workplace of {member.handle!r}"
        raise AuthorisationError(
            f"{at}: {actor.handle!r} is not a member of {where}: hours are recorded by the "
            "workplace's own members (or a facilitator of the federation)"
        )


def _members(s: Session, nodes: set[int]) -> dict[str, Any]:
    """The federation's members by handle, as rows of (id, handle, workers_council_id) — all
    the checks read; ORM objects for 10^4 members take half a second to load."""
    councils = select(Council.id).where(Council.federation_id.in_(nodes))
    query = select(Member.id, Member.handle, Member.workers_council_id).where(
        Member.workers_council_id.in_(councils) | Member.consumers_council_id.in_(councils)
    )
    return {m.handle: m for m in s.execute(query)}


def _at(k: int, row: HoursRow) -> str:
    what = row.workplace or (f"{row.credit} credit" if row.credit else "?")
    return f"hours row {k} ({row.member or '?'}, {what}, {row.period or '?'})"


class _Lookup(NamedTuple):
    """What a batch's rows are checked against: the plan's periods, the federation's members by
    handle and its workplaces by name (rows of the columns the checks read), its hours rules."""

    periods: Sequence[str]
    members: Mapping[str, Any]
    workplaces: Mapping[str, Any]
    cfg: HoursSettings


def _check_row(s: Session, k: int, row: HoursRow, lookup: _Lookup) -> tuple[Member, Council | None]:
    periods, members, workplaces, cfg = lookup
    at = _at(k, row)
    member = members.get(row.member)
    if member is None:
        known = s.execute(select(Member.id).where(Member.handle == row.member)).first()
        if known is not None:
            raise AuthorisationError(
                f"{at}: {row.member!r} is a member of another federation; hours are recorded "
                "within a federation"
            )
        raise PlanInputError(f"{at}: no member with handle {row.member!r}")
    if (row.workplace is None) == (row.credit is None):
        raise PlanInputError(f"{at}: a row names either a workplace or a credit kind")
    workplace = None
    if row.workplace is not None:
        workplace = workplaces.get(row.workplace)
        if workplace is None:
            raise PlanInputError(f"{at}: no workers' council named {row.workplace!r} here")
        if row.age is not None:
            raise PlanInputError(f"{at}: hours worked give no age")
    elif row.credit not in cfg.credits:
        raise PlanInputError(
            f"{at}: credit must be one of {', '.join(cfg.credits)}; got {row.credit!r}"
        )
    if row.period not in periods:
        raise PlanInputError(
            f"{at}: period {row.period!r} is not in the plan ({periods[0]} to {periods[-1]})"
        )
    if not isinstance(row.hours, int | float) or not math.isfinite(row.hours):
        raise PlanInputError(f"{at}: hours must be a finite number; got {row.hours}")
    if row.hours <= 0:
        raise PlanInputError(
            f"{at}: hours must be more than 0; got {row.hours:g} (a correction is a reversal)"
        )
    if row.age is not None and not 0 <= row.age <= 130:
        raise PlanInputError(f"{at}: age must be between 0 and 130; got {row.age}")
    return member, workplace


def _on_file(s: Session, round_id: int) -> tuple[set[tuple[Any, ...]], dict[Any, float]]:
    """The keys of live entries (not reversed, not reversals) and the net hours on file per
    (member, period) and per (member, period, credit kind)."""
    reversed_ids = select(HoursEntry.reverses_id).where(
        HoursEntry.round_id == round_id, HoursEntry.reverses_id.is_not(None)
    )
    live = s.execute(
        select(
            HoursEntry.member_id, HoursEntry.period, HoursEntry.council_id, HoursEntry.credit
        ).where(
            HoursEntry.round_id == round_id,
            HoursEntry.reverses_id.is_(None),
            HoursEntry.id.not_in(reversed_ids),
        )
    ).all()
    sums: dict[Any, float] = defaultdict(float)
    rows = s.execute(
        select(
            HoursEntry.member_id, HoursEntry.period, HoursEntry.credit, func.sum(HoursEntry.hours)
        )
        .where(HoursEntry.round_id == round_id)
        .group_by(HoursEntry.member_id, HoursEntry.period, HoursEntry.credit)
    ).all()
    for member, period, credit, hours in rows:
        sums[(member, period)] += float(hours)
        if credit is not None:
            sums[(member, period, credit)] += float(hours)
            sums[(member, period, "")] += float(hours)
    return {tuple(x) for x in live}, sums


def _accounts(s: Session, federation: int, wanted: Mapping[str, dict[str, Any]]) -> dict[str, int]:
    """Account ids by key, creating the missing ones (``wanted``: key → column values)."""
    have = dict(
        s.execute(
            select(HoursAccount.key, HoursAccount.id).where(
                HoursAccount.federation_id == federation
            )
        ).all()
    )
    missing = [{"key": k, "federation_id": federation, **v} for k, v in wanted.items()]
    missing = [m for m in missing if m["key"] not in have]
    if missing and s.get_bind().dialect.name == "postgresql":
        # one INSERT … SELECT unnest(array) per column: 10^4 accounts in 0.1 s, not 1 s
        table = cast(Table, HoursAccount.__table__)
        names = ["key", "federation_id", "kind", "member_id", "council_id", "credit"]
        rows = select(
            *[
                func.unnest(
                    bindparam(c, [m[c] for m in missing], type_=ARRAY(table.c[c].type))
                ).label(c)
                for c in names
            ]
        )
        made = insert(table).from_select(names, rows).returning(table.c.key, table.c.id)
        have.update({key: id_ for key, id_ in s.execute(made)})
    elif missing:
        for key, id_ in s.execute(
            insert(HoursAccount).returning(
                HoursAccount.key, HoursAccount.id, sort_by_parameter_order=True
            ),
            missing,
        ):
            have[key] = id_
    return have


def _member_account(m: int) -> tuple[str, dict[str, Any]]:
    return f"member {m}", {"kind": "member", "member_id": m, "council_id": None, "credit": None}


def _other_account(fed: int, council: int | None, credit: str | None) -> tuple[str, dict[str, Any]]:
    if council is not None:
        return f"workplace {council}", {
            "kind": "workplace",
            "member_id": None,
            "council_id": council,
            "credit": None,
        }
    return f"credit {fed} {credit}", {
        "kind": "credit",
        "member_id": None,
        "council_id": None,
        "credit": credit,
    }


# ---------------------------------------------------------------------- recording


def _check_batch(
    s: Session,
    rows: Sequence[HoursRow],
    user: Member,
    facilitator: bool,
    lookup: _Lookup,
    keys: set[tuple[Any, ...]],
    sums: dict[Any, float],
) -> tuple[list[Any], list[Any]]:
    """Every row checked (see :func:`record_hours`), in order; the rows' members and workplaces.

    A row that passes the cheap tests of the common case (known member, workplace or credit,
    period, finite positive hours) skips :func:`_check_row`, which a row failing any of them goes
    through, to be refused with its message or accepted; the messages are made only for a row
    refused.  Then the checks across rows: authority, repeats, hours per period, credit caps."""
    periods, members, workplaces, cfg = lookup
    weeks = {p: weeks_in(p) for p in periods}
    credits = cfg.credits
    inf = math.inf
    who: list[Any] = []
    where: list[Any] = []
    for k, row in enumerate(rows, start=1):
        member = members.get(row.member)
        period, hours, credit = row.period, row.hours, row.credit
        place = None
        w = weeks.get(period)
        fast = member is not None and w is not None and type(hours) is float and 0 < hours < inf
        if fast:
            if row.workplace is not None:
                place = workplaces.get(row.workplace)
                fast = place is not None and credit is None and row.age is None
            else:
                age = row.age
                fast = credit in credits and (age is None or 0 <= age <= 130)
        if not fast:
            member, place = _check_row(s, k, row, lookup)
            w = weeks[period]
        assert w is not None
        assert member is not None
        if not facilitator:
            _may_record(user, facilitator, member, place, functools.partial(_at, k, row))
        mid = member.id
        key = (mid, period, place.id if place is not None else None, credit)
        if key in keys:
            raise PlanInputError(
                f"{_at(k, row)}: these hours are on file already: reverse that entry to correct it"
            )
        keys.add(key)
        total = sums[(mid, period)] = sums[(mid, period)] + hours
        if total > HOURS_PER_WEEK * w + 1e-9:
            raise PlanInputError(
                f"{_at(k, row)}: {row.member!r} would have {total:g} hours in {period}, which has "
                f"{HOURS_PER_WEEK * w:g}: a member cannot be in two places at once"
            )
        if credit is not None:
            at = _at(k, row)
            rule = credits[credit]
            try:
                cap = rule.cap_per_week(row.age) * w
            except PlanInputError as exc:
                raise PlanInputError(f"{at}: {exc}") from None
            kind = sums[(mid, period, credit)] + hours
            every = sums[(mid, period, "")] + hours
            if kind > cap + 1e-9:
                raise PlanInputError(
                    f"{at}: {kind:g} hours of {credit} credit in {period} is more "
                    f"than the rule allows ({cap:g})"
                )
            if every > cfg.quota_per_week * w + 1e-9:
                raise PlanInputError(
                    f"{at}: {every:g} hours of credits in {period} is more than a full "
                    f"quota ({cfg.quota_per_week * w:g})"
                )
            sums[(mid, period, credit)] = kind
            sums[(mid, period, "")] = every
        who.append(member)
        where.append(place)
    return who, where


_ROW_FIELDS = ("age", "credit", "hours", "member", "note", "period", "workplace")
assert tuple(sorted(HoursRow.__dataclass_fields__)) == _ROW_FIELDS  # _rows_digest writes these


def _rows_digest(rows: Sequence[HoursRow]) -> str:
    """:func:`commonplan.audit.digest` of the rows as dicts — the same text hashed, written here
    row by row (keys in order, each distinct text JSON-encoded once) where every row is a plain
    :class:`HoursRow` of text, None, whole numbers and finite floats (what a checked row holds:
    values :func:`~commonplan.audit.plain` keeps as they are); otherwise by
    :func:`~commonplan.audit.digest` itself.  Twice as fast as ``json.dumps`` of the dicts."""
    encoded: dict[Any, str] = {None: "null"}
    dumps = json.dumps
    number = (int.__repr__, float.__repr__)

    def string(value: Any) -> str:
        got = encoded.get(value)
        if got is None:
            if type(value) is not str:
                raise TypeError(value)
            got = encoded[value] = dumps(value)
        return got

    parts = []
    try:
        for row in rows:
            h, age, note = row.hours, row.age, row.note
            if type(row) is not HoursRow or type(h) not in (int, float) or not math.isfinite(h):
                raise TypeError(row)
            if age is not None and type(age) is not int:
                raise TypeError(age)
            hours = number[type(h) is float](h)
            years = "null" if age is None else int.__repr__(age)
            remark = "null" if note is None else dumps(note)
            if note is not None and type(note) is not str:
                raise TypeError(note)
            parts.append(
                f'{{"age":{years},"credit":{string(row.credit)},"hours":{hours},'
                f'"member":{string(row.member)},"note":{remark},"period":{string(row.period)},'
                f'"workplace":{string(row.workplace)}}}'
            )
    except TypeError:
        return audit.digest([vars(row) for row in rows])
    return hashlib.sha256(f"[{','.join(parts)}]".encode()).hexdigest()


_NULL = "\\N"  # NULL in COPY's text format


def _copy_text(value: Any) -> str:
    """A value as a field of PostgreSQL's COPY text format."""
    if value is None:
        return _NULL
    out = str(value)
    if "\\" in out or "\t" in out or "\n" in out or "\r" in out:
        out = (
            out.replace("\\", "\\\\").replace("\t", "\\t").replace("\n", "\\n").replace("\r", "\\r")
        )
    return out


_COPY_CHUNK = 100_000
_ANALYZE_AFTER = 10_000
"""A batch of this many rows or more refreshes the planner's statistics of entries and postings
(and accounts: ANALYZE samples 30,000 rows a table, a fraction of a second)."""


def _copy(s: Session, table: str, columns: Sequence[str], lines: Iterable[str]) -> None:
    """``COPY table (columns) FROM STDIN`` (text format) on the session's own connection, inside
    its transaction; ``lines`` each end in a newline."""
    import psycopg

    raw = s.connection().connection.driver_connection
    assert raw is not None
    statement = f"COPY {table} ({', '.join(columns)}) FROM STDIN"
    try:
        with raw.cursor() as cur, cur.copy(statement) as copy:
            chunk: list[str] = []
            for line in lines:
                chunk.append(line)
                if len(chunk) == _COPY_CHUNK:
                    copy.write("".join(chunk).encode())
                    chunk = []
            if chunk:
                copy.write("".join(chunk).encode())
    except psycopg.Error as exc:  # as SQLAlchemy raises it (IntegrityError for a trigger's refusal)
        raise DBAPIError.instance(statement, None, exc, psycopg.Error) from exc


class _Checked(NamedTuple):
    """A checked batch, row by row: the rows, each row's member and workplace (``None`` for a
    credit), and the accounts its two legs post to (the member's, the other one)."""

    rows: Sequence[HoursRow]
    who: Sequence[Member]
    where: Sequence[Council | None]
    mine: Sequence[int]
    theirs: Sequence[int]


def _store_postgresql(s: Session, round_id: int, batch: int, checked: _Checked) -> list[int]:
    """The batch's entries and postings, by two COPYs; returns the entries' ids in row order.

    The ids are taken from the entries' sequence up front (one ``nextval`` per row, in one
    statement), so the postings name their entries without reading them back.  The statement
    triggers of migration 0004 then check every reference and that each entry nets to zero."""
    rows, who, where, mine, theirs = checked
    n = len(rows)
    # a block of n ids: safe because record_hours holds a lock on hours_entry that every INSERT
    # into it waits for (see there), so no other nextval of this sequence runs in between
    last = s.execute(
        text(
            "SELECT setval(seq, nextval(seq) + :n - 1) "
            "FROM pg_get_serial_sequence('hours_entry', 'id') AS seq"
        ),
        {"n": n},
    ).scalar_one()
    ids = range(last - n + 1, last + 1)
    head = f"{round_id}\t{batch}\t"
    fields: dict[Any, str] = {None: _NULL}  # period and credit texts, each made once

    def field(value: Any) -> str:
        got = fields.get(value)
        if got is None:
            got = fields[value] = _copy_text(value)
        return got

    def entries() -> Iterator[str]:
        for i, row, member, place in zip(ids, rows, who, where, strict=True):
            age = _NULL if row.age is None else str(int(row.age))
            note = _NULL if row.note is None else _copy_text(row.note)
            if place is None:
                kind = f"credit\t{member.id}\t{_NULL}\t{field(row.credit)}"
            else:
                kind = f"work\t{member.id}\t{place.id}\t{_NULL}"
            yield f"{i}\t{head}{field(row.period)}\t{kind}\t{float(row.hours)!r}\t{age}\t{note}\n"

    _copy(
        s,
        "hours_entry",
        (
            "id",
            "round_id",
            "batch_id",
            "period",
            "kind",
            "member_id",
            "council_id",
            "credit",
            "hours",
            "age",
            "note",
        ),
        entries(),
    )

    def legs() -> Iterator[str]:
        for i, row, a, b in zip(ids, rows, mine, theirs, strict=True):
            h = repr(float(row.hours))
            yield f"{i}\t{a}\t{h}\n{i}\t{b}\t-{h}\n"

    _copy(s, "hours_posting", ("entry_id", "account_id", "hours"), legs())
    return list(ids)


def _store_sqlite(s: Session, round_id: int, batch: int, checked: _Checked) -> list[int]:
    """The batch's entries and postings by two executemany INSERTs (SQLite's driver runs them in
    C); then the netting of every entry checked by one GROUP BY, as PostgreSQL's trigger does."""
    rows, who, where, mine, theirs = checked
    conn = s.connection()
    conn.execute(
        insert(HoursEntry),
        [
            {
                "round_id": round_id,
                "batch_id": batch,
                "period": row.period,
                "kind": "work" if place is not None else "credit",
                "member_id": member.id,
                "council_id": place.id if place is not None else None,
                "credit": row.credit,
                "hours": float(row.hours),
                "age": row.age,
                "note": row.note,
            }
            for row, member, place in zip(rows, who, where, strict=True)
        ],
    )
    ids = list(
        s.execute(
            select(HoursEntry.id).where(HoursEntry.batch_id == batch).order_by(HoursEntry.id)
        ).scalars()
    )
    conn.execute(
        insert(HoursPosting),
        [
            {"entry_id": i, "account_id": a, "hours": float(row.hours)}
            for i, row, a in zip(ids, rows, mine, strict=True)
        ]
        + [
            {"entry_id": i, "account_id": b, "hours": -float(row.hours)}
            for i, row, b in zip(ids, rows, theirs, strict=True)
        ],
    )
    _nets_to_zero(s, ids[0], ids[-1])
    return ids


def _nets_to_zero(s: Session, first: int, last: int) -> None:
    """Refuse (IntegrityError) entries ``first``..``last`` unless each has two postings or more
    summing to zero — on SQLite; on PostgreSQL the postings' statement trigger checks it."""
    bad = s.execute(
        select(HoursPosting.entry_id)
        .where(HoursPosting.entry_id.between(first, last))
        .group_by(HoursPosting.entry_id)
        .having(
            (func.count() < 2)
            | (
                func.abs(func.sum(HoursPosting.hours))
                > 1e-9 * func.max(1.0, func.sum(func.abs(HoursPosting.hours)))
            )
        )
        .limit(1)
    ).scalar()
    if bad is not None:
        raise IntegrityError(
            "hours postings", None, Exception(f"hours entry {bad}: its postings do not sum to zero")
        )


def _analyze(s: Session) -> None:
    """Statistics now, not when autovacuum comes by: planned for the empty tables they were, the
    balances' joins go by nested loops (34 s for 20,000 rows, not 0.1 s; with the accounts
    unanalysed, 0.5 s of index lookups for 10^6 postings)."""
    s.execute(text("ANALYZE hours_entry, hours_posting, hours_account"))


def record_hours(
    db: Database, round_id: int, rows: Iterable[HoursRow], *, actor: str
) -> RecordedBatch:
    """Check every row, then store them all — one entry of two postings each — in one
    transaction with one audit entry; or store nothing and raise, naming the first bad row.
    A row that repeats a live entry (the same member, period and workplace or credit kind) is
    refused: reverse the entry on file and record the right hours."""
    rows = list(rows)
    if not rows:
        raise PlanInputError("the hours batch is empty")
    with db.transaction() as s:
        if s.get_bind().dialect.name == "postgresql":
            # one batch at a time: the repeat and two-places checks below see every entry on file,
            # and the block of ids _store_postgresql takes is nobody else's (an INSERT into
            # hours_entry, a reversal's too, waits for this lock; readers do not)
            s.execute(text("LOCK TABLE hours_entry IN SHARE ROW EXCLUSIVE MODE"))
        r, fed = _ratified(s, round_id)
        user = member_named(s, actor)
        nodes = set(subtree(s, fed.id))
        facilitator = _facilitates(s, user, nodes)
        cfg = hours_settings(fed.settings)
        periods = periods_of(r)
        members = _members(s, nodes)
        workplaces = {  # rows of (id, name), as members are
            c.name: c
            for c in s.execute(
                select(Council.id, Council.name).where(
                    Council.federation_id.in_(nodes), Council.kind == "workers"
                )
            )
        }
        keys, sums = _on_file(s, round_id)
        lookup = _Lookup(periods, members, workplaces, cfg)
        who, where = _check_batch(s, rows, user, facilitator, lookup, keys, sums)
        sha = _rows_digest(rows)
        batch = HoursBatch.filed(s, round_id, user.id, len(rows), sha)
        wanted = dict(
            [_member_account(m.id) for m in set(who)]
            + [
                _other_account(fed.id, w.id if w else None, row.credit)
                for row, w in {
                    (row.credit, w): (row, w) for row, w in zip(rows, where, strict=True)
                }.values()
            ]
        )
        accounts = _accounts(s, fed.id, wanted)
        mine = [accounts[f"member {m.id}"] for m in who]
        theirs = [
            accounts[f"workplace {w.id}" if w is not None else f"credit {fed.id} {row.credit}"]
            for row, w in zip(rows, where, strict=True)
        ]
        store = _store_postgresql if s.get_bind().dialect.name == "postgresql" else _store_sqlite
        ids = store(s, round_id, batch.id, _Checked(rows, who, where, mine, theirs))
        if len(rows) >= _ANALYZE_AFTER and s.get_bind().dialect.name == "postgresql":
            _analyze(s)
        logged = log_batch(s, batch, ids, actor=actor, action="hours recorded", noun="entry")
        return RecordedBatch(batch.id, tuple(ids), sha, logged.seq)


def reverse_hours(db: Database, entry: int, *, reason: str, actor: str) -> int:
    """Cancel ``entry`` by a reversing entry (its postings negated), giving the reason; returns
    the new entry's id.  Allowed to whoever may record the entry; refused for a reversal (record
    the hours again instead) and for an entry reversed already."""
    reason = (reason or "").strip()
    if not reason:
        raise PlanInputError(f"a reversal of hours entry {entry} needs a reason")
    with db.transaction() as s:
        old = get(s, HoursEntry, entry, "hours entry")
        if old.reverses_id is not None:
            raise PlanInputError(
                f"hours entry {entry} is itself a reversal (of entry {old.reverses_id}); a "
                "reversal is not reversed: record the hours again"
            )
        newer = s.execute(select(HoursEntry.id).where(HoursEntry.reverses_id == old.id)).scalar()
        if newer is not None:
            raise PlanInputError(f"hours entry {entry} was reversed already (by entry {newer})")
        _, fed = _ratified(s, old.round_id)
        user = member_named(s, actor)
        member = get(s, Member, old.member_id, "member")
        workplace = get(s, Council, old.council_id, "council") if old.council_id else None
        facilitator = _facilitates(s, user, set(subtree(s, fed.id)))
        _may_record(user, facilitator, member, workplace, f"hours entry {entry}")
        sha = audit.digest([{"reverses": entry, "reason": reason}])
        batch = HoursBatch.filed(s, old.round_id, user.id, 1, sha)
        new = HoursEntry(
            round_id=old.round_id,
            batch_id=batch.id,
            period=old.period,
            kind=old.kind,
            member_id=old.member_id,
            council_id=old.council_id,
            credit=old.credit,
            hours=-old.hours,
            age=old.age,
            reverses_id=old.id,
            reason=reason,
        )
        s.add(new)
        s.flush()
        legs = s.execute(
            select(HoursPosting.account_id, HoursPosting.hours).where(
                HoursPosting.entry_id == old.id
            )
        ).all()
        # one statement for all the legs: the database checks an entry's netting per statement
        s.execute(
            insert(HoursPosting).values(
                [{"entry_id": new.id, "account_id": a, "hours": -h} for a, h in legs]
            )
        )
        if s.get_bind().dialect.name != "postgresql":
            _nets_to_zero(s, new.id, new.id)
        audit.append(
            s,
            actor=actor,
            action="hours reversed",
            subject=f"hours entry {old.id}",
            payload={"batch": batch.id, "entry": new.id, "hours": old.hours, "reason": reason},
        )
        return new.id


def confirm_hours(db: Database, entries: Iterable[int], *, actor: str) -> tuple[int, ...]:
    """The member confirms entries of their own hours (all or none, one audit entry); returns
    the verdicts' ids."""
    return _verdicts(db, list(entries), "confirmed", None, actor)


def dispute_hours(db: Database, entry: int, *, reason: str, actor: str) -> int:
    """The member disputes an entry of their own hours, saying why; the workplace settles it by
    reversing the entry (and recording the right hours, which the member then confirms)."""
    reason = (reason or "").strip()
    if not reason:
        raise PlanInputError(f"disputing hours entry {entry} needs a reason")
    return _verdicts(db, [entry], "disputed", reason, actor)[0]


def _verdicts(
    db: Database, entries: list[int], verdict: str, reason: str | None, actor: str
) -> tuple[int, ...]:
    if not entries:
        raise PlanInputError("no hours entries to confirm")
    if len(set(entries)) != len(entries):
        raise PlanInputError("an hours entry is named twice")
    with db.transaction() as s:
        user = member_named(s, actor)
        now = datetime.now(UTC)
        made = []
        for k in entries:
            e = get(s, HoursEntry, k, "hours entry")
            _ratified(s, e.round_id)
            if e.member_id != user.id:
                raise AuthorisationError(
                    f"hours entry {k} records another member's hours: only they give a verdict"
                )
            if e.reverses_id is not None:
                raise PlanInputError(f"hours entry {k} is a reversal: it takes no verdict")
            by = s.execute(select(HoursEntry.id).where(HoursEntry.reverses_id == e.id)).scalar()
            if by is not None:
                raise PlanInputError(f"hours entry {k} was reversed (by entry {by})")
            given = s.execute(
                select(HoursVerdict.verdict).where(HoursVerdict.entry_id == e.id)
            ).scalar()
            if given is not None:
                raise PlanInputError(f"hours entry {k} is {given} already")
            v = HoursVerdict(
                entry_id=e.id, member_id=user.id, verdict=verdict, reason=reason, at=now
            )
            s.add(v)
            s.flush()
            made.append(v.id)
        audit.append(
            s,
            actor=actor,
            action=f"hours {verdict}",
            subject=f"member {user.id}",
            payload={"entries": entries, "reason": reason},
        )
        return tuple(made)


# ---------------------------------------------------------------------- reading


def _viewer(s: Session, viewer: str | None, nodes: set[int], round_id: int) -> Member | None:
    """None where the viewer sees everything (no viewer given, or a facilitator); else the member,
    refused with NotFoundError outside the federation."""
    if viewer is None:
        return None
    m = member_named(s, viewer)
    if _facilitates(s, m, nodes):
        return None
    own = [c for c in (m.workers_council_id, m.consumers_council_id) if c is not None]
    inside = s.execute(
        select(Council.id).where(Council.id.in_(own), Council.federation_id.in_(nodes))
    ).first()
    if inside is None:
        raise NotFoundError(f"no round {round_id}")
    return m


def balances(
    db: Database,
    round_id: int,
    *,
    of: str = "member",
    period: str | None = None,
    account: str | None = None,
    viewer: str | None = None,
) -> list[Balance]:
    """Balances of the ``member``, ``workplace`` or ``credit`` accounts of a round, per period,
    confirmed / pending / disputed — summed in SQL, one aggregate query (GROUP BY account and
    period, a filtered sum per verdict).  A member's balance is the hours they worked and were
    credited; a workplace's is minus the hours worked there.  ``account``: a handle, a council
    name or a credit kind.  With ``viewer``: refused outside the round's federation; a member
    (not a facilitator) sees their own account, and those of their workplace and its members."""
    if of not in ("member", "workplace", "credit"):
        raise PlanInputError(f"of must be 'member', 'workplace' or 'credit'; got {of!r}")
    with db.transaction() as s:
        r = get(s, Round, round_id, "round")
        nodes = set(subtree(s, r.federation_id))
        seer = _viewer(s, viewer, nodes, round_id)
        handles = dict(s.execute(select(Member.id, Member.handle)).all())
        names = dict(s.execute(select(Council.id, Council.name)).all())
        accounts = {
            row[0]: _account_name(row[1:], of, handles, names)
            for row in s.execute(
                select(
                    HoursAccount.id,
                    HoursAccount.member_id,
                    HoursAccount.council_id,
                    HoursAccount.credit,
                ).where(HoursAccount.kind == of)
            ).all()
        }
        target = func.coalesce(HoursEntry.reverses_id, HoursEntry.id)
        verdict = HoursVerdict.verdict
        q = (
            select(
                HoursPosting.account_id,
                HoursEntry.period,
                func.sum(HoursPosting.hours).filter(verdict == "confirmed"),
                func.sum(HoursPosting.hours).filter(
                    verdict.is_(None) | verdict.not_in(["confirmed", "disputed"])
                ),
                func.sum(HoursPosting.hours).filter(verdict == "disputed"),
            )
            .select_from(HoursEntry)
            .join(HoursPosting, HoursPosting.entry_id == HoursEntry.id)
            .outerjoin(HoursVerdict, HoursVerdict.entry_id == target)
            .where(HoursEntry.round_id == round_id)
            .group_by(HoursPosting.account_id, HoursEntry.period)
        )
        if period is not None:
            q = q.where(HoursEntry.period == period)
        wanted: set[int] | None = None  # None: every account of the kind
        if seer is not None:
            if of == "credit":
                raise AuthorisationError(f"{viewer!r} sees members' and workplaces' accounts only")
            place = seer.workers_council_id
            if of == "workplace":
                mine = {
                    a
                    for (a,) in s.execute(
                        select(HoursAccount.id).where(
                            HoursAccount.kind == "workplace", HoursAccount.council_id == place
                        )
                    )
                }
                wanted = mine
                q = q.where(HoursEntry.council_id == place)
            else:
                people = {seer.id} | set(
                    s.execute(
                        select(Member.id).where(
                            Member.workers_council_id == place,
                            Member.workers_council_id.is_not(None),
                        )
                    ).scalars()
                )
                wanted = set(
                    s.execute(
                        select(HoursAccount.id).where(
                            HoursAccount.kind == "member", HoursAccount.member_id.in_(people)
                        )
                    ).scalars()
                )
                q = q.where(HoursEntry.member_id.in_(people))  # the (round, member) index
        if account is not None:
            named = {a for a, name in accounts.items() if name == account}
            wanted = named if wanted is None else wanted & named
        if wanted is not None:
            if not wanted:
                return []
            q = q.where(HoursPosting.account_id.in_(sorted(wanted)))
        else:
            q = q.where(
                HoursPosting.account_id.in_(select(HoursAccount.id).where(HoursAccount.kind == of))
            )
        if s.get_bind().dialect.name == "postgresql":
            s.execute(text("SET LOCAL work_mem = '64MB'"))  # the aggregate's hash in memory
        # Core rows (not the ORM's result processing): 10^5 rows and more for a large round
        got = s.connection().execute(q).all()
        out = [(accounts[a], p, c or 0.0, n or 0.0, d or 0.0) for a, p, c, n, d in got]
    out.sort()
    return [Balance(name, of, p, c, n, d) for name, p, c, n, d in out]


def _account_name(
    row: Sequence[Any], of: str, handles: Mapping[int, str], names: Mapping[int, str]
) -> str:
    """An account's name from its (member_id, council_id, credit)."""
    if of == "member":
        return handles[row[0]]
    if of == "workplace":
        return names[row[1]]
    return str(row[2])


def entries_of(
    db: Database,
    round_id: int,
    *,
    member: str | None = None,
    period: str | None = None,
    viewer: str | None = None,
) -> list[StoredEntry]:
    """The entries of a round in order, with each one's verdict and reversal (a member's own,
    with ``member``).  With ``viewer``: as for :func:`balances`."""
    with db.transaction() as s:
        r = get(s, Round, round_id, "round")
        seer = _viewer(s, viewer, set(subtree(s, r.federation_id)), round_id)
        handles = dict(s.execute(select(Member.id, Member.handle)).all())
        names = dict(s.execute(select(Council.id, Council.name)).all())
        q = select(HoursEntry).where(HoursEntry.round_id == round_id).order_by(HoursEntry.id)
        if member is not None:
            q = q.where(HoursEntry.member_id == member_named(s, member).id)
        if period is not None:
            q = q.where(HoursEntry.period == period)
        if seer is not None:
            place = seer.workers_council_id
            if place is None:  # no workplace: their own entries only
                q = q.where(HoursEntry.member_id == seer.id)
            else:
                mates = select(Member.id).where(Member.workers_council_id == place)
                q = q.where(
                    (HoursEntry.member_id == seer.id)
                    | HoursEntry.member_id.in_(mates)
                    | (HoursEntry.council_id == place)
                )
        entries = list(s.execute(q).scalars())
        ids = [e.id for e in entries] + [e.reverses_id for e in entries if e.reverses_id]
        verdicts = {
            v.entry_id: v
            for v in s.execute(select(HoursVerdict).where(HoursVerdict.entry_id.in_(ids))).scalars()
        }
        reversed_by = dict(
            s.execute(
                select(HoursEntry.reverses_id, HoursEntry.id).where(
                    HoursEntry.round_id == round_id, HoursEntry.reverses_id.is_not(None)
                )
            ).all()
        )
        out = []
        for e in entries:
            v = verdicts.get(e.reverses_id or e.id)
            out.append(
                StoredEntry(
                    id=e.id,
                    batch=e.batch_id,
                    period=e.period,
                    kind=e.kind,
                    member=handles[e.member_id],
                    workplace=names.get(e.council_id) if e.council_id else None,
                    credit=e.credit,
                    hours=e.hours,
                    reverses=e.reverses_id,
                    reason=e.reason,
                    reversed_by=reversed_by.get(e.id),
                    status=v.verdict if v is not None else "pending",
                    dispute=v.reason if v is not None else None,
                )
            )
        return out
