"""The CSV readers of reports and hours against a generator that tries to break them: any text
in any cell, missing and extra columns, ragged rows.  Each answers rows or a PlanInputError
naming where — never another exception."""

from __future__ import annotations

import csv
import io

from hypothesis import given, settings
from hypothesis import strategies as st

from commonplan.errors import PlanInputError
from commonplan.reports.ledger import parse_report_rows
from commonplan.work.hours import parse_hours_rows

_CELL = st.one_of(
    st.text(max_size=12),
    st.sampled_from(["", "1", "-2.5", "1e308", "1e999", "nan", "inf", "0x10", "1,5", "A01", "3"]),
)
_COLUMNS = st.lists(
    st.sampled_from(
        ["council", "period", "kind", "amount", "product", "counterpart", "sigma", "source",
         "dekad", "unit", "member", "hours", "workplace", "credit", "age", "note", "colour"]
    ),
    min_size=0,
    max_size=9,
    unique=True,
)  # fmt: skip


def _csv(columns: list[str], rows: list[list[str]]) -> io.StringIO:
    out = io.StringIO()
    w = csv.writer(out)
    w.writerow(columns)
    for r in rows:
        w.writerow(r)  # ragged rows too: csv.DictReader pads or collects the rest
    return io.StringIO(out.getvalue(), newline="")  # read as a file is: quoted newlines kept


_ROWS = st.lists(st.lists(_CELL, min_size=1, max_size=11), max_size=6)


@settings(max_examples=1500, deadline=None)
@given(
    columns=st.one_of(_COLUMNS, _COLUMNS.map(lambda c: ["council", "period", "kind", "amount"])),
    rows=_ROWS,
)
def test_report_rows_parse_or_are_refused_in_plain_words(
    columns: list[str], rows: list[list[str]]
) -> None:
    try:
        parsed = parse_report_rows(_csv(columns, rows), "upload.csv")
    except PlanInputError as exc:
        assert "upload.csv" in str(exc)
        return
    assert len(parsed) == len(rows)
    for r in parsed:
        assert isinstance(r.amount, float)


@settings(max_examples=1500, deadline=None)
@given(
    columns=st.one_of(_COLUMNS, _COLUMNS.map(lambda c: ["member", "period", "hours", "workplace"])),
    rows=_ROWS,
)
def test_hours_rows_parse_or_are_refused_in_plain_words(
    columns: list[str], rows: list[list[str]]
) -> None:
    try:
        parsed = parse_hours_rows(_csv(columns, rows), "hours.csv")
    except PlanInputError as exc:
        assert "hours.csv" in str(exc)
        return
    assert len(parsed) == len(rows)
    for r in parsed:
        assert isinstance(r.hours, float)
