"""The hours ledger: double entry, verdicts, reversals, all-or-nothing batches, federations."""

from __future__ import annotations

import math
from collections import defaultdict
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select, update

from commonplan import audit
from commonplan.errors import AuthorisationError, NotFoundError, PhaseError, PlanInputError
from commonplan.federation import add_members, create_federation
from commonplan.store import Database
from commonplan.store.models import (
    AuditEntry,
    Federation,
    HoursAccount,
    HoursBatch,
    HoursEntry,
    HoursPosting,
    HoursVerdict,
    Round,
)
from commonplan.work.hours import (
    HoursRow,
    balances,
    confirm_hours,
    dispute_hours,
    entries_of,
    hours_settings,
    read_hours_rows,
    record_hours,
    reverse_hours,
    weeks_in,
)
from fixtures import ratified_round, small_federation, small_members


def _members(tag: str) -> list[dict[str, str]]:
    """The small federation's members, and a second hand on the farm."""
    return [*small_members(tag), {"handle": f"farmhand{tag}", "workers_council": f"Farm {tag}"}]


def _setup(db: Database) -> tuple[int, int]:
    a = create_federation(db, small_federation("A"))
    b = create_federation(db, small_federation("B"))
    add_members(db, _members("A") + _members("B"))
    return ratified_round(db, a), ratified_round(db, b)


@pytest.fixture
def ledger(database_url: str) -> tuple[Database, int, int]:
    db = Database(database_url)
    return db, *_setup(db)


GOOD = [
    HoursRow("farmhandA", "2027-01", 150.0, workplace="Farm A"),
    HoursRow("farmhandA", "2027-01", 20.0, workplace="Mill A"),
    HoursRow("millerA", "2027-01", 160.0, workplace="Mill A"),
    HoursRow("farmhandA", "2027-01", 8.0, credit="sick"),
]


def _count(db: Database, model: Any) -> int:
    with db.transaction() as s:
        return int(s.execute(select(func.count()).select_from(model)).scalar_one())


def _counts(db: Database) -> tuple[int, ...]:
    models = (HoursBatch, HoursEntry, HoursPosting, HoursVerdict, HoursAccount, AuditEntry)
    return tuple(_count(db, m) for m in models)


def _by(bs: list[Any]) -> dict[tuple[str, str], tuple[float, float, float]]:
    return {(b.account, b.period): (b.confirmed, b.pending, b.disputed) for b in bs}


def test_a_batch_is_stored_whole_in_double_entry_with_one_audit_entry(
    ledger: tuple[Database, int, int],
) -> None:
    db, ra, _ = ledger
    rec = record_hours(db, ra, GOOD, actor="facilitatorA")
    assert len(rec.entries) == 4
    with db.transaction() as s:
        legs = s.execute(
            select(HoursPosting.entry_id, func.count(), func.sum(HoursPosting.hours)).group_by(
                HoursPosting.entry_id
            )
        ).all()
        assert sorted(e for e, _, _ in legs) == list(rec.entries)
        assert all(n == 2 and total == 0 for _, n, total in legs)
        entry = s.execute(select(AuditEntry).where(AuditEntry.seq == rec.audit_seq)).scalar_one()
        assert entry.action == "hours recorded"
        assert (
            entry.payload["rows_sha256"]
            == rec.rows_sha256
            == audit.digest([r.__dict__ for r in GOOD])
        )
        assert audit.verify(s).ok
    assert _by(balances(db, ra)) == {
        ("farmhandA", "2027-01"): (0.0, 178.0, 0.0),
        ("millerA", "2027-01"): (0.0, 160.0, 0.0),
    }
    assert _by(balances(db, ra, of="workplace")) == {
        ("Farm A", "2027-01"): (0.0, -150.0, 0.0),
        ("Mill A", "2027-01"): (0.0, -180.0, 0.0),
    }
    assert _by(balances(db, ra, of="credit")) == {("sick", "2027-01"): (0.0, -8.0, 0.0)}


def test_the_member_confirms_or_disputes_and_a_reversal_corrects(
    ledger: tuple[Database, int, int],
) -> None:
    db, ra, _ = ledger
    farm, mill, _, sick = record_hours(db, ra, GOOD, actor="facilitatorA").entries
    with pytest.raises(AuthorisationError, match="another member's hours"):
        confirm_hours(db, [farm], actor="millerA")
    confirm_hours(db, [farm, sick], actor="farmhandA")
    with pytest.raises(PlanInputError, match="needs a reason"):
        dispute_hours(db, mill, reason=" ", actor="farmhandA")
    dispute_hours(db, mill, reason="I was at the farm that day", actor="farmhandA")
    with pytest.raises(PlanInputError, match="is disputed already"):
        confirm_hours(db, [mill], actor="farmhandA")
    assert _by(balances(db, ra, account="farmhandA")) == {
        ("farmhandA", "2027-01"): (158.0, 0.0, 20.0)
    }
    # the mill settles the dispute: reverse, and record what the member confirms
    with pytest.raises(AuthorisationError, match="not a member of 'Mill A'"):
        reverse_hours(db, mill, reason="wrong", actor="farmerA")
    undo = reverse_hours(db, mill, reason="booked to the wrong place", actor="millerA")
    assert _by(balances(db, ra, account="farmhandA"))[("farmhandA", "2027-01")] == (
        158.0,
        0.0,
        0.0,
    )
    with pytest.raises(PlanInputError, match=f"reversed already \\(by entry {undo}\\)"):
        reverse_hours(db, mill, reason="again", actor="millerA")
    with pytest.raises(PlanInputError, match="a reversal is not reversed"):
        reverse_hours(db, undo, reason="undo the undo", actor="millerA")
    with pytest.raises(PlanInputError, match="is a reversal: it takes no verdict"):
        confirm_hours(db, [undo], actor="farmhandA")
    # once reversed, the same hours may be recorded again
    (again,) = record_hours(db, ra, [GOOD[1]], actor="millerA").entries
    listed = {e.id: e for e in entries_of(db, ra, member="farmhandA")}
    assert listed[mill].reversed_by == undo and listed[mill].status == "disputed"
    assert listed[undo].reverses == mill and listed[undo].hours == -20.0
    assert listed[again].status == "pending"
    with db.transaction() as s:
        assert audit.verify(s).ok


BAD_ROWS = [
    (HoursRow("nobody", "2027-01", 1.0, workplace="Farm A"), "no member with handle 'nobody'"),
    (HoursRow("farmerA", "2027-01", 1.0, workplace="Bakery"), "no workers' council named"),
    (HoursRow("farmerA", "2027-01", 1.0, workplace="Street A"), "no workers' council named"),
    (HoursRow("farmerA", "2027-01", 1.0, workplace="Farm B"), "no workers' council named"),
    (HoursRow("farmerA", "2027-01", -1.0, workplace="Farm A"), "more than 0"),
    (HoursRow("farmerA", "2027-01", 0.0, workplace="Farm A"), "more than 0"),
    (HoursRow("farmerA", "2027-01", math.nan, workplace="Farm A"), "finite number"),
    (HoursRow("farmerA", "2027-01", math.inf, workplace="Farm A"), "finite number"),
    (HoursRow("farmerA", "2028-01", 1.0, workplace="Farm A"), "not in the plan"),
    (HoursRow("farmerA", "2027-01", 1.0), "either a workplace or a credit"),
    (HoursRow("farmerA", "2027-01", 1.0, "Farm A", credit="sick"), "either a workplace"),
    (HoursRow("farmerA", "2027-01", 1.0, credit="holiday"), "credit must be one of"),
    (HoursRow("farmerA", "2027-01", 200.0, credit="sick"), "more than the rule allows"),
    (HoursRow("farmerA", "2027-01", 1.0, credit="age"), "gives the member's age"),
    (HoursRow("farmerA", "2027-01", 1.0, credit="age", age=50), "more than the rule allows"),
    (HoursRow("farmerA", "2027-01", 800.0, workplace="Farm A"), "two places at once"),
    (HoursRow("farmhandA", "2027-02", 1.0, workplace="Farm A"), "on file already"),
    (HoursRow("farmerB", "2027-01", 1.0, workplace="Farm A"), "another federation"),
]


@pytest.mark.parametrize("bad,message", BAD_ROWS, ids=[m for _, m in BAD_ROWS])
def test_one_bad_row_stores_nothing_and_names_the_row(
    ledger: tuple[Database, int, int], bad: HoursRow, message: str
) -> None:
    db, ra, _ = ledger
    record_hours(
        db, ra, [HoursRow("farmhandA", "2027-02", 1.0, workplace="Farm A")], actor="farmerA"
    )
    before = _counts(db)
    rows = [GOOD[0], GOOD[2], bad, GOOD[3]]
    with pytest.raises((PlanInputError, AuthorisationError), match="hours row 3") as err:
        record_hours(db, ra, rows, actor="facilitatorA")
    assert message in str(err.value)
    assert _counts(db) == before


def test_two_places_at_once_across_workplaces_and_batches(
    ledger: tuple[Database, int, int],
) -> None:
    db, ra, _ = ledger
    month = 168 * weeks_in("2027-01")  # 728 hours
    record_hours(db, ra, [HoursRow("farmerA", "2027-01", 500.0, "Mill A")], actor="millerA")
    with pytest.raises(
        PlanInputError, match=r"hours row 1 .*has 728: a member cannot be in two places"
    ):
        record_hours(
            db, ra, [HoursRow("farmerA", "2027-01", month - 499.0, "Farm A")], actor="farmhandA"
        )
    record_hours(
        db, ra, [HoursRow("farmerA", "2027-01", month - 500.0, "Farm A")], actor="farmhandA"
    )
    rows = [
        HoursRow("millerA", "2027-02", 2.0, "Farm A"),
        HoursRow("millerA", "2027-02", 2.0, "Farm A"),
    ]
    with pytest.raises(PlanInputError, match=r"hours row 2 .*on file already"):
        record_hours(db, ra, rows, actor="farmerA")


def test_who_may_record(ledger: tuple[Database, int, int]) -> None:
    db, ra, rb = ledger
    own = HoursRow("farmerA", "2027-01", 8.0, workplace="Farm A")
    with pytest.raises(AuthorisationError, match=r"hours row 1 .*cannot record their own hours"):
        record_hours(db, ra, [own], actor="farmerA")
    with pytest.raises(AuthorisationError, match="'millerA' is not a member of 'Farm A'"):
        record_hours(db, ra, [own], actor="millerA")
    with pytest.raises(AuthorisationError, match="'facilitatorB' is not a member of 'Farm A'"):
        record_hours(db, ra, [own], actor="facilitatorB")  # a facilitator elsewhere
    # credits: by the member's own workplace, not by another
    sick = HoursRow("farmerA", "2027-01", 8.0, credit="sick")
    with pytest.raises(
        AuthorisationError, match="'millerA' is not a member of the workplace of 'farmerA'"
    ):
        record_hours(db, ra, [sick], actor="millerA")
    record_hours(db, ra, [own, sick], actor="farmhandA")
    record_hours(db, rb, [HoursRow("farmerB", "2027-01", 8.0, "Farm B")], actor="facilitatorB")
    with pytest.raises(NotFoundError):
        balances(db, ra, viewer="farmerB")
    # a member sees their own and their workplace's accounts; the facilitator all of them
    record_hours(db, ra, [HoursRow("millerA", "2027-01", 5.0, "Mill A")], actor="facilitatorA")
    assert {b.account for b in balances(db, ra, viewer="farmhandA")} == {"farmerA"}
    assert {b.account for b in balances(db, ra, viewer="millerA")} == {"millerA"}
    assert balances(db, ra, viewer="neighbourA") == []  # no workplace: their own account only
    assert entries_of(db, ra, viewer="neighbourA") == []
    assert {b.account for b in balances(db, ra, viewer="facilitatorA")} == {"farmerA", "millerA"}
    assert {b.account for b in balances(db, ra, of="workplace", viewer="millerA")} == {"Mill A"}
    assert [b.account for b in balances(db, rb, viewer="facilitatorB")] == ["farmerB"]


def test_hours_go_against_a_ratified_plan_only(ledger: tuple[Database, int, int]) -> None:
    db, ra, _ = ledger
    with db.transaction() as s:
        s.execute(update(Round).where(Round.id == ra).values(phase="vote"))
    with pytest.raises(PhaseError, match="ratified plan"):
        record_hours(db, ra, GOOD, actor="facilitatorA")


def test_credit_rules_are_settings(ledger: tuple[Database, int, int]) -> None:
    db, ra, _ = ledger
    cfg = hours_settings({})
    assert cfg.quota_per_week == 42.0 and cfg.awake_per_week == 112.0
    assert cfg.credits["age"].cap_per_week(57) == 7.0 and cfg.credits["age"].cap_per_week(40) == 0
    with db.transaction() as s:
        fed = s.execute(select(Federation).where(Federation.name == "Federation A")).scalar_one()
        fed.settings = {
            **fed.settings,
            "hours": {"quota_per_week": 30, "credits": {"parental": {"max_per_week": 30}}},
        }
    with pytest.raises(PlanInputError, match="credit must be one of parental"):
        record_hours(db, ra, [GOOD[3]], actor="facilitatorA")
    too_much = HoursRow("farmhandA", "2027-03", 131.0, credit="parental")  # 30 × 52/12 = 130
    with pytest.raises(PlanInputError, match="more than the rule allows \\(130\\)"):
        record_hours(db, ra, [too_much], actor="facilitatorA")
    with pytest.raises(PlanInputError, match="unknown hours setting"):
        hours_settings({"hours": {"quota": 1}})
    with pytest.raises(PlanInputError, match="between 0 and 168"):
        hours_settings({"hours": {"quota_per_week": -1}})


def test_hours_rows_from_csv(tmp_path: Path) -> None:
    path = tmp_path / "january.csv"
    path.write_text(
        "member,period,hours,workplace,credit,age\n"
        "farmerA,2027-01,150,Farm A,,\n"
        "farmerA,2027-01,4,,age,56\n"
    )
    assert read_hours_rows(path) == [
        HoursRow("farmerA", "2027-01", 150.0, workplace="Farm A"),
        HoursRow("farmerA", "2027-01", 4.0, credit="age", age=56),
    ]
    path.write_text("member,period,hours\nfarmerA,2027-01,lots\n")
    with pytest.raises(PlanInputError, match="line 2: hours must be a number; got 'lots'"):
        read_hours_rows(path)
    path.write_text("member,period,hours,colour\n")
    with pytest.raises(PlanInputError, match="unknown columns colour"):
        read_hours_rows(path)
    path.write_text("member,hours\n")
    with pytest.raises(PlanInputError, match="missing period"):
        read_hours_rows(path)


# ---------------------------------------------------------------------- properties

_SQLITE: dict[str, tuple[Database, int]] = {}


def _sqlite_ledger(factory: pytest.TempPathFactory) -> tuple[Database, int]:
    """One SQLite ledger for all the Hypothesis examples (a federation takes a second to set up)."""
    if "db" not in _SQLITE:
        db = Database(f"sqlite:///{factory.mktemp('hours') / 'hours.db'}")
        ra, _ = _setup(db)
        _SQLITE["db"] = (db, ra)
    return _SQLITE["db"]


_PEOPLE = ["farmerA", "farmhandA", "millerA", "neighbourA"]
_PERIODS = [f"2027-{m:02d}" for m in range(1, 13)]
_row = st.builds(
    HoursRow,
    member=st.sampled_from(_PEOPLE),
    period=st.sampled_from(_PERIODS),
    hours=st.floats(min_value=0.25, max_value=40.0, allow_nan=False),
    workplace=st.sampled_from(["Farm A", "Mill A"]),
)
_credit = st.builds(
    HoursRow,
    member=st.sampled_from(_PEOPLE[:3]),
    period=st.sampled_from(_PERIODS),
    hours=st.floats(min_value=0.25, max_value=20.0, allow_nan=False),
    credit=st.sampled_from(["sick", "care", "study"]),
)


def _sums(db: Database, ra: int) -> dict[tuple[str, str], float]:
    """Every member account's balance per period, summed here in Python from the postings."""
    with db.transaction() as s:
        rows = s.execute(
            select(HoursAccount.member_id, HoursEntry.period, HoursPosting.hours)
            .join(HoursEntry, HoursEntry.id == HoursPosting.entry_id)
            .join(HoursAccount, HoursAccount.id == HoursPosting.account_id)
            .where(HoursAccount.kind == "member", HoursEntry.round_id == ra)
        ).all()
        from commonplan.store.models import Member

        handles = dict(s.execute(select(Member.id, Member.handle)).all())
    out: dict[tuple[str, str], float] = defaultdict(float)
    for member, period, hours in rows:
        out[(handles[member], period)] += hours
    return out


@settings(
    max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    rows=st.lists(st.one_of(_row, _credit), min_size=1, max_size=6),
    reverse=st.lists(st.integers(min_value=0, max_value=5), max_size=3),
    confirm=st.booleans(),
)
def test_ledger_properties(
    tmp_path_factory: pytest.TempPathFactory,
    rows: list[HoursRow],
    reverse: list[int],
    confirm: bool,
) -> None:
    """Every entry nets to zero; the SQL balances equal the sum of the postings; a reversal
    restores every balance; rows are never deleted (counts only grow)."""
    db, ra = _sqlite_ledger(tmp_path_factory)
    before = _counts(db)
    start = _by(balances(db, ra))
    try:
        rec = record_hours(db, ra, rows, actor="facilitatorA")
    except PlanInputError:  # a duplicate, or too many hours in a month: nothing stored
        assert _counts(db) == before
        return
    after = _counts(db)
    assert all(a >= b for a, b in zip(after, before, strict=True))
    assert after[1] == before[1] + len(rows) and after[2] == before[2] + 2 * len(rows)
    if confirm:
        by_member: dict[str, list[int]] = defaultdict(list)
        for row, e in zip(rows, rec.entries, strict=True):
            by_member[row.member].append(e)
        for member, ids in by_member.items():
            confirm_hours(db, ids, actor=member)
    with db.transaction() as s:
        unbalanced = s.execute(
            select(HoursPosting.entry_id)
            .group_by(HoursPosting.entry_id)
            .having(func.abs(func.sum(HoursPosting.hours)) > 1e-9)
        ).all()
        assert unbalanced == []
    sums = _sums(db, ra)
    for b in balances(db, ra):
        assert b.total == pytest.approx(sums[(b.account, b.period)], abs=1e-9)
    mid = _by(balances(db, ra))
    for k in sorted({k % len(rec.entries) for k in reverse}):
        reverse_hours(db, rec.entries[k], reason="property test", actor="facilitatorA")
    if {k % len(rec.entries) for k in reverse} == set(range(len(rec.entries))):
        end = _by(balances(db, ra))
        for key in set(start) | set(end):
            got, was = end.get(key, (0.0, 0.0, 0.0)), start.get(key, (0.0, 0.0, 0.0))
            assert got == pytest.approx(was, abs=1e-6)
    else:
        assert mid  # some hours stay recorded
    final = _counts(db)
    assert all(a >= b for a, b in zip(final, after, strict=True))


@settings(
    max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    rows=st.lists(_row, min_size=1, max_size=5),
    bad_at=st.integers(min_value=0, max_value=5),
    bad=st.sampled_from([r for r, _ in BAD_ROWS if r.member != "farmhandA"]),
)
def test_any_batch_with_a_bad_row_stores_nothing(
    tmp_path_factory: pytest.TempPathFactory, rows: list[HoursRow], bad_at: int, bad: HoursRow
) -> None:
    db, ra = _sqlite_ledger(tmp_path_factory)
    before = _counts(db)
    rows.insert(min(bad_at, len(rows)), bad)
    with pytest.raises((PlanInputError, AuthorisationError)):
        record_hours(db, ra, rows, actor="facilitatorA")
    assert _counts(db) == before


# ---------------------------------------------------------------------- integrity in the database
#
# The references of entries and postings are checked per statement by triggers (migration 0004),
# not by per-row foreign keys; an entry's postings must net to zero (PostgreSQL's trigger; on
# SQLite the library's GROUP BY after its INSERT); every hours table is append-only.


def _refused(db: Database, statement: str, **params: Any) -> str:
    from sqlalchemy import text
    from sqlalchemy.exc import DBAPIError

    with pytest.raises(DBAPIError) as err:
        with db.transaction() as s:
            s.execute(text(statement), params)
    return str(err.value.orig)


def test_a_posting_to_a_missing_account_is_refused_and_nothing_stored(
    ledger: tuple[Database, int, int], monkeypatch: pytest.MonkeyPatch
) -> None:
    from sqlalchemy.exc import IntegrityError

    import commonplan.work.hours as hours

    db, ra, _ = ledger
    record_hours(db, ra, [GOOD[2]], actor="facilitatorA")
    before = _counts(db)
    accounts = hours._accounts

    def astray(*args: Any) -> dict[str, int]:  # the workplace's account id off by a million
        return {
            k: v + 10**6 if k.startswith("workplace") else v for k, v in accounts(*args).items()
        }

    monkeypatch.setattr(hours, "_accounts", astray)
    with pytest.raises(IntegrityError, match="account"):
        record_hours(db, ra, [GOOD[0]], actor="facilitatorA")
    assert _counts(db) == before


def test_references_of_entries_and_postings_are_checked_by_the_database(
    ledger: tuple[Database, int, int],
) -> None:
    db, ra, rb = ledger
    (entry,) = record_hours(db, ra, [GOOD[2]], actor="facilitatorA").entries
    before = _counts(db)
    with db.transaction() as s:
        batch, member, council = s.execute(
            select(HoursEntry.batch_id, HoursEntry.member_id, HoursEntry.council_id)
        ).one()
        account = s.execute(select(func.max(HoursAccount.id))).scalar_one()
    insert_entry = (
        "INSERT INTO hours_entry (round_id, batch_id, period, kind, member_id, council_id, hours,"
        " reverses_id) VALUES (:r, :b, '2027-02', 'work', :m, :c, 1.0, :x)"
    )
    good = {"r": ra, "b": batch, "m": member, "c": council, "x": None}
    for bad in ({"b": 999}, {"r": rb}, {"m": 999}, {"c": 999}, {"x": 999}):
        assert "not on file" in _refused(db, insert_entry, **{**good, **bad})
    legs = (
        "INSERT INTO hours_posting (entry_id, account_id, hours) VALUES (:e, :a, 1), (:e, :b, -1)"
    )
    assert "not on file" in _refused(db, legs, e=999, a=account, b=account - 1)
    assert "not on file" in _refused(db, legs, e=entry, a=999, b=998)
    assert _counts(db) == before


def test_every_entry_nets_to_zero_in_the_database(ledger: tuple[Database, int, int]) -> None:
    from sqlalchemy import text
    from sqlalchemy.exc import IntegrityError

    import commonplan.work.hours as hours

    db, ra, _ = ledger
    record_hours(db, ra, [GOOD[2]], actor="facilitatorA")
    before = _counts(db)
    with db.transaction() as s:
        e = s.execute(select(HoursEntry)).scalar_one()
        accounts = list(s.execute(select(HoursAccount.id)).scalars())
    new_entry = (
        "INSERT INTO hours_entry (round_id, batch_id, period, kind, member_id, council_id, hours)"
        f" VALUES ({ra}, {e.batch_id}, '2027-03', 'work', {e.member_id}, {e.council_id}, 5)"
    )
    legs = (
        "INSERT INTO hours_posting (entry_id, account_id, hours) VALUES "
        "((SELECT max(id) FROM hours_entry), :a, 5), ((SELECT max(id) FROM hours_entry), :b, :h)"
    )
    with pytest.raises(IntegrityError, match="do not sum to zero"):
        with db.transaction() as s:
            s.execute(text(new_entry))
            s.execute(text(legs), {"a": accounts[0], "b": accounts[1], "h": -4.0})
            if db.is_sqlite:  # SQLite: the library's check after its INSERT
                last = s.execute(select(func.max(HoursEntry.id))).scalar_one()
                hours._nets_to_zero(s, last, last)
    assert _counts(db) == before


def test_the_ledger_is_append_only_in_the_database(ledger: tuple[Database, int, int]) -> None:
    db, ra, _ = ledger
    record_hours(db, ra, GOOD, actor="facilitatorA")
    before = _counts(db)
    for statement in (
        "UPDATE hours_entry SET hours = 1",
        "DELETE FROM hours_posting",
        "UPDATE hours_posting SET hours = 0",
        "DELETE FROM hours_entry",
        "DELETE FROM hours_batch",
        "UPDATE hours_account SET kind = 'x'",
    ):
        assert "append-only" in _refused(db, statement)
    assert _counts(db) == before


def test_notes_and_odd_text_are_stored_as_given_and_hashed_as_audit_digest(
    ledger: tuple[Database, int, int], monkeypatch: pytest.MonkeyPatch
) -> None:
    import commonplan.work.hours as hours

    db, ra, _ = ledger
    monkeypatch.setattr(hours, "_ANALYZE_AFTER", 1)  # the statistics step too, on PostgreSQL
    note = 'tab\there, a new\nline, a back\\slash, \\N, "quotes", ünïcode'
    rows = [
        HoursRow("farmerA", "2027-01", 150, workplace="Farm A", note=note),
        HoursRow("farmerA", "2027-01", 2.5, credit="age", age=57, note="\r"),
        HoursRow("millerA", "2027-01", 1e-3, workplace="Mill A"),
    ]
    rec = record_hours(db, ra, rows, actor="facilitatorA")
    assert rec.rows_sha256 == audit.digest([vars(r) for r in rows])
    with db.transaction() as s:
        stored = s.execute(
            select(HoursEntry.note, HoursEntry.hours, HoursEntry.age).order_by(HoursEntry.id)
        ).all()
    assert [tuple(x) for x in stored] == [(note, 150.0, None), ("\r", 2.5, 57), (None, 1e-3, None)]


@settings(max_examples=60, deadline=None)
@given(
    rows=st.lists(
        st.builds(
            HoursRow,
            member=st.text(max_size=5),
            period=st.text(max_size=5),
            hours=st.one_of(st.floats(allow_nan=False, allow_infinity=False), st.integers()),
            workplace=st.none() | st.text(max_size=5),
            credit=st.none() | st.text(max_size=5),
            age=st.none() | st.integers(0, 130),
            note=st.none() | st.text(max_size=8),
        ),
        max_size=5,
    )
)
def test_the_rows_digest_is_audit_digest(rows: list[HoursRow]) -> None:
    from commonplan.work.hours import _rows_digest

    assert _rows_digest(rows) == audit.digest([vars(r) for r in rows])
