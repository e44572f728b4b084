"""The reports ledger: all-or-nothing batches, revisions that never delete, federations apart."""

from __future__ import annotations

import math
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select, update

from commonplan import audit
from commonplan.errors import AuthorisationError, NotFoundError, PhaseError, PlanInputError
from commonplan.federation import add_members, create_federation
from commonplan.reports import (
    ReportRow,
    file_reports,
    periods_of,
    read_report_rows,
    reports_of,
    revise_report,
)
from commonplan.store import Database
from commonplan.store.models import AuditEntry, Report, ReportBatch, Round
from fixtures import ratified_round, small_federation, small_members


@pytest.fixture
def ledger(database_url: str) -> tuple[Database, int, int]:
    db = Database(database_url)
    a = create_federation(db, small_federation("A"))
    b = create_federation(db, small_federation("B"))
    add_members(db, small_members("A") + small_members("B"))
    return db, ratified_round(db, a), ratified_round(db, b)


GOOD = [
    ReportRow("Farm A", "2027-01", "output", 10.0, product="A01"),
    ReportRow("Farm A", "2027-01", "delivery", 8.0, product="A01", counterpart="Mill A"),
    ReportRow("Farm A", "2027-01", "hours", 4100.0),
    ReportRow("Farm A", "2027-01", "stock", -1.5, product="A01"),
]


def _count(db: Database, model: Any) -> int:
    with db.transaction() as s:
        return int(s.execute(select(func.count()).select_from(model)).scalar_one())


def test_a_batch_is_stored_whole_with_one_audit_entry(ledger: tuple[Database, int, int]) -> None:
    db, ra, _ = ledger
    filed = file_reports(db, ra, GOOD, actor="farmerA")
    stored = reports_of(db, ra)
    assert [r.id for r in stored] == list(filed.reports)
    assert [(r.kind, r.amount, r.unit) for r in stored] == [
        ("output", 10.0, "million SEK"),
        ("delivery", 8.0, "million SEK"),
        ("hours", 4100.0, "hours"),
        ("stock", -1.5, "million SEK"),
    ]
    assert stored[1].counterpart == "Mill A"
    with db.transaction() as s:
        entry = s.execute(select(AuditEntry).where(AuditEntry.seq == filed.audit_seq)).scalar_one()
        assert entry.action == "reports filed"
        assert entry.payload["rows_sha256"] == filed.rows_sha256
        assert entry.payload["rows"] == 4
        # the hash recorded is the hash of the rows as filed: anyone can recompute it
        assert filed.rows_sha256 == audit.digest([r.__dict__ for r in GOOD])
        assert audit.verify(s).ok


BAD_ROWS = [
    (ReportRow("Farm Z", "2027-01", "output", 1.0, product="A01"), "no council named 'Farm Z'"),
    (ReportRow("Farm A", "2027-01", "output", 1.0, product="XX"), "no product 'XX'"),
    (ReportRow("Farm A", "2027-01", "output", -1.0, product="A01"), "cannot be negative"),
    (ReportRow("Farm A", "2027-01", "output", math.nan, product="A01"), "finite number"),
    (ReportRow("Farm A", "2027-01", "output", math.inf, product="A01"), "finite number"),
    (ReportRow("Farm A", "2028-01", "output", 1.0, product="A01"), "not in the plan"),
    (ReportRow("Farm A", "2027-01", "harvest", 1.0, product="A01"), "kind must be one of"),
    (ReportRow("Farm B", "2027-01", "output", 1.0, product="A01"), "no council named 'Farm B'"),
    (ReportRow("Street A", "2027-01", "output", 1.0, product="A01"), "only a workers' council"),
    (
        ReportRow("Farm A", "2027-01", "delivery", 1.0, product="A01", counterpart="Mill B"),
        "no council named 'Mill B'",
    ),
    (ReportRow("Farm A", "2027-01", "hours", 1.0, product="A01"), "names no product"),
    (ReportRow("Farm A", "2027-01", "output", 1.0), "names its product"),
    (ReportRow("Farm A", "2027-01", "output", 1.0, product="A01", sigma=0.0), "sigma"),
    (ReportRow("Farm A", "2027-01", "output", 1.0, product="A01", dekad=4), "dekad"),
    (ReportRow("Farm A", "2027-01", "output", 1.0, product="A01", source="rumour"), "source"),
    (ReportRow("Farm A", "2027-01", "output", 1.0, product="A01", unit="t"), "unit"),
]


@pytest.mark.parametrize("bad,message", BAD_ROWS, ids=[m for _, m in BAD_ROWS])
def test_one_bad_row_stores_nothing_and_names_the_row(
    ledger: tuple[Database, int, int], bad: ReportRow, message: str
) -> None:
    db, ra, _ = ledger
    before = audit_entries(db)
    with pytest.raises(PlanInputError, match="report row 3") as err:
        file_reports(db, ra, [*GOOD[:2], bad, *GOOD[2:]], actor="facilitatorA")
    assert message in str(err.value)
    assert _count(db, Report) == 0 and _count(db, ReportBatch) == 0
    assert audit_entries(db) == before


def audit_entries(db: Database) -> int:
    return _count(db, AuditEntry)


def test_a_report_on_file_is_refused_and_corrected_by_a_revision(
    ledger: tuple[Database, int, int],
) -> None:
    db, ra, _ = ledger
    filed = file_reports(db, ra, GOOD[:1], actor="farmerA")
    with pytest.raises(PlanInputError, match="on file already: file a revision"):
        file_reports(db, ra, [GOOD[2], GOOD[0]], actor="farmerA")
    with pytest.raises(PlanInputError, match="needs a reason"):
        revise_report(db, filed.reports[0], amount=9.0, reason=" ", actor="farmerA")
    new = revise_report(db, filed.reports[0], amount=9.0, reason="scale misread", actor="farmerA")
    current = reports_of(db, ra)
    assert [(r.id, r.amount, r.revises, r.reason) for r in current] == [
        (new, 9.0, filed.reports[0], "scale misread")
    ]
    everything = reports_of(db, ra, current_only=False)
    assert [(r.amount, r.current) for r in everything] == [(10.0, False), (9.0, True)]
    with pytest.raises(PlanInputError, match=f"revised already \\(by report {new}\\)"):
        revise_report(db, filed.reports[0], amount=8.0, reason="again", actor="farmerA")
    with pytest.raises(PlanInputError, match=r"of at least 0; got -2\.0"):
        revise_report(db, new, amount=-2.0, reason="typo", actor="farmerA")
    with db.transaction() as s:
        assert audit.verify(s).ok
        actions = s.execute(select(AuditEntry.action)).scalars().all()
    assert actions.count("report revised") == 1


def test_members_report_only_for_their_own_council_andsmall_federation(
    ledger: tuple[Database, int, int],
) -> None:
    db, ra, rb = ledger
    with pytest.raises(AuthorisationError, match="'millerA' is not a member of 'Farm A'"):
        file_reports(db, ra, GOOD[:1], actor="millerA")
    # a facilitator of another federation is a stranger here
    with pytest.raises(AuthorisationError):
        file_reports(db, ra, GOOD[:1], actor="facilitatorB")
    # a consumers' council reports what it received
    receipt = ReportRow(
        "Street A", "2027-01", "receipt", 2.0, product="C10T12", counterpart="Mill A"
    )
    file_reports(db, ra, [receipt], actor="neighbourA")
    file_reports(db, rb, [ReportRow("Farm B", "2027-01", "hours", 1.0)], actor="farmerB")
    assert [r.council for r in reports_of(db, ra, viewer="millerA")] == ["Street A"]
    with pytest.raises(NotFoundError):
        reports_of(db, ra, viewer="farmerB")
    assert [r.council for r in reports_of(db, rb, viewer="facilitatorB")] == ["Farm B"]


def test_reports_go_against_a_ratified_plan_only(ledger: tuple[Database, int, int]) -> None:
    db, ra, _ = ledger
    with db.transaction() as s:
        s.execute(update(Round).where(Round.id == ra).values(phase="vote"))
    with pytest.raises(PhaseError, match="ratified plan"):
        file_reports(db, ra, GOOD, actor="farmerA")


def test_periods_months_and_weeks() -> None:
    r = Round(
        settings={},
        opened_at=datetime(2026, 11, 1, tzinfo=UTC),
        closed_at=datetime(2026, 12, 20, tzinfo=UTC),
    )
    assert periods_of(r)[:2] == ("2027-01", "2027-02") and len(periods_of(r)) == 12
    r.settings = {"reporting": {"every": "week", "start": "2026-W52", "periods": 3}}
    assert periods_of(r) == ("2026-W52", "2026-W53", "2027-W01")
    r.settings = {"reporting": {"every": "day"}}
    with pytest.raises(PlanInputError, match="'month' or 'week'"):
        periods_of(r)


def test_report_rows_from_csv(tmp_path: Path) -> None:
    path = tmp_path / "january.csv"
    path.write_text(
        "council,period,kind,product,counterpart,amount,sigma\n"
        "Farm A,2027-01,output,A01,,10,\n"
        "Farm A,2027-01,delivery,A01,Mill A,8,0.2\n"
    )
    rows = read_report_rows(path)
    assert rows == [
        ReportRow("Farm A", "2027-01", "output", 10.0, product="A01"),
        ReportRow("Farm A", "2027-01", "delivery", 8.0, "A01", "Mill A", sigma=0.2),
    ]
    path.write_text("council,period,kind,amount\nFarm A,2027-01,hours,lots\n")
    with pytest.raises(PlanInputError, match="line 2: amount must be a number; got 'lots'"):
        read_report_rows(path)
    path.write_text("council,period,kind,amount,colour\n")
    with pytest.raises(PlanInputError, match="unknown columns colour"):
        read_report_rows(path)


_amounts = st.floats(min_value=0, max_value=1e12, allow_nan=False)


@settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(
    amounts=st.lists(_amounts, min_size=1, max_size=6),
    bad_at=st.integers(min_value=0, max_value=6),
    bad=st.sampled_from([r for r, _ in BAD_ROWS]),
)
def test_any_batch_with_a_bad_row_stores_nothing(
    tmp_path_factory: pytest.TempPathFactory, amounts: list[float], bad_at: int, bad: ReportRow
) -> None:
    db = _sqlite_ledger(tmp_path_factory)
    ra = 1
    before = (_count(db, Report), audit_entries(db))
    rows = [
        ReportRow("Farm A", "2027-02", "output", a, product=p)
        for a, p in zip(amounts, ["A01", "A02", "A03", "B", "C10T12", "C13T15"], strict=False)
    ]
    rows.insert(min(bad_at, len(rows)), bad)
    with pytest.raises(PlanInputError):
        file_reports(db, ra, rows, actor="facilitatorA")
    assert (_count(db, Report), audit_entries(db)) == before


_SQLITE: dict[str, Database] = {}


def _sqlite_ledger(factory: pytest.TempPathFactory) -> Database:
    """One SQLite ledger for all the Hypothesis examples (a federation takes a second to set up)."""
    if "db" not in _SQLITE:
        db = Database(f"sqlite:///{factory.mktemp('ledger') / 'ledger.db'}")
        a = create_federation(db, small_federation("A"))
        add_members(db, small_members("A"))
        ratified_round(db, a)
        file_reports(db, 1, GOOD, actor="farmerA")
        _SQLITE["db"] = db
    return _SQLITE["db"]
