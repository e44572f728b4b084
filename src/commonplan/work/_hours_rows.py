"""The hours ledger's rows and results (:mod:`commonplan.work.hours`): a batch's rows as filed and
read from CSV, their digest for the audit log, and what recording and reading return."""

from __future__ import annotations

import hashlib
import json
import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from commonplan import audit
from commonplan._ledger import CsvLine, csv_lines
from commonplan.errors import PlanInputError


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
