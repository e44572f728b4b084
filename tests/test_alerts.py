"""Alerts: the council first, escalation up the federation when not answered, time-travelled."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select

from commonplan import audit
from commonplan.errors import AuthorisationError, NotFoundError, PhaseError, PlanInputError
from commonplan.federation import add_members, create_federation
from commonplan.monitor.alerts import (
    acknowledge,
    alerts_for,
    correct,
    escalate_due,
    explain,
    open_steps,
    raise_alert,
    resolve,
)
from commonplan.store import Database
from commonplan.store.models import Alert, AlertEvent, AuditEntry
from fixtures import ratified_round, small_federation, small_members

T0 = datetime(2027, 2, 3, 9, 0, tzinfo=UTC)
DAY = timedelta(days=1)


@pytest.fixture
def fed(database_url: str) -> tuple[Database, int, int]:
    db = Database(database_url)
    a = create_federation(db, small_federation("A"))
    b = create_federation(db, small_federation("B"))
    add_members(db, small_members("A") + small_members("B"))
    return db, ratified_round(db, a), ratified_round(db, b)


def _raise(db: Database, r: int, **kw: object) -> int:
    args: dict[str, object] = {
        "source": "monitor",
        "kind": "level step down",
        "message": "Farm A's output of A01 fell by a third in January",
        "council": "Farm A",
        "period": "2027-01",
        "subject": "A01",
        "now": T0,
    }
    args.update(kw)
    return raise_alert(db, r, **args)  # type: ignore[arg-type]


def _seen_by(db: Database, who: str, now: datetime) -> list[int]:
    return [a.id for a in alerts_for(db, who, now=now)]


def test_an_unanswered_alert_climbs_the_federation_one_level_at_a_time(
    fed: tuple[Database, int, int],
) -> None:
    db, ra, _ = fed
    alert = _raise(db, ra)
    assert _raise(db, ra) == alert  # the same open alert is not raised twice
    [view] = alerts_for(db, "farmerA", now=T0)
    assert (view.level, view.sits_with, view.deadline) == (0, "Farm A", T0 + 7 * DAY)
    # the council first: the miller (another council of the same commune) does not see it yet
    assert _seen_by(db, "millerA", T0) == []
    assert escalate_due(db, now=T0 + 6 * DAY) == []
    assert escalate_due(db, now=T0 + 7 * DAY) == [alert]
    [view] = alerts_for(db, "millerA", now=T0 + 7 * DAY)
    assert (view.level, view.sits_with) == (1, "Commune A")
    assert view.deadline == T0 + 14 * DAY
    assert escalate_due(db, now=T0 + 14 * DAY) == [alert]
    [view] = alerts_for(db, "neighbourA", now=T0 + 14 * DAY)
    assert (view.level, view.sits_with) == (2, "Federation A")
    # at the root it stays, overdue
    assert escalate_due(db, now=T0 + 30 * DAY) == []
    [view] = alerts_for(db, "farmerA", now=T0 + 30 * DAY)
    assert view.overdue and view.level == 2
    assert [h.action for h in view.history] == ["raise", "escalate", "escalate"]
    assert "now with Commune A" in (view.history[1].note or "")
    # nobody in another federation sees it, at any level
    assert _seen_by(db, "farmerB", T0 + 30 * DAY) == []
    assert _seen_by(db, "facilitatorB", T0 + 30 * DAY) == []


def test_answered_alerts_do_not_escalate_and_resolve_by_the_rules(
    fed: tuple[Database, int, int],
) -> None:
    db, ra, _ = fed
    alert = _raise(db, ra)
    with pytest.raises(AuthorisationError, match="'millerA' cannot acknowledge alert"):
        acknowledge(db, alert, actor="millerA", now=T0)
    acknowledge(db, alert, actor="farmerA", now=T0 + DAY)
    with pytest.raises(PhaseError, match="is acknowledged: it cannot be acknowledged now"):
        acknowledge(db, alert, actor="farmerA", now=T0 + DAY)
    with pytest.raises(PlanInputError, match="the note is empty"):
        explain(db, alert, note="  ", actor="farmerA", now=T0 + DAY)
    with pytest.raises(AuthorisationError, match="only a facilitator"):
        resolve(db, alert, actor="farmerA", now=T0 + DAY)  # not explained yet
    view = explain(db, alert, note="hail on 3 February", actor="farmerA", now=T0 + 2 * DAY)
    assert view.state == "explained"
    resolved = resolve(db, alert, actor="farmerA", now=T0 + 3 * DAY)
    assert resolved.state == "resolved" and not resolved.overdue
    assert escalate_due(db, now=T0 + 60 * DAY) == []
    assert alerts_for(db, "farmerA", now=T0 + 60 * DAY) == []
    [kept] = alerts_for(db, "farmerA", include_resolved=True, now=T0 + 60 * DAY)
    assert [h.action for h in kept.history] == ["raise", "acknowledge", "explain", "resolve"]
    with pytest.raises(PhaseError):
        correct(db, alert, note="later", actor="farmerA", now=T0 + 61 * DAY)
    # every transition is in the audit log, and the log verifies
    with db.transaction() as s:
        actions = s.execute(select(AuditEntry.action).order_by(AuditEntry.seq)).scalars().all()
        assert audit.verify(s).ok
    assert [a for a in actions if a.startswith("alert")] == [
        "alert raise",
        "alert acknowledge",
        "alert explain",
        "alert resolve",
    ]


def test_a_facilitator_of_another_federation_cannot_touch_an_alert(
    fed: tuple[Database, int, int],
) -> None:
    db, ra, _ = fed
    alert = _raise(db, ra)
    with pytest.raises(AuthorisationError):
        resolve(db, alert, actor="facilitatorB", now=T0)
    resolve(db, alert, actor="facilitatorA", note="seen at the assembly", now=T0)


def test_a_floor_at_risk_goes_to_the_root_at_once(fed: tuple[Database, int, int]) -> None:
    db, ra, _ = fed
    alert = raise_alert(
        db,
        ra,
        source="floor",
        kind="floor at risk",
        message="the food floor (C10T12) cannot be met from March",
        subject="C10T12",
        evidence={"shortfall": {"C10T12": 12.5}},
        now=T0,
    )
    for who in ("farmerA", "millerA", "neighbourA", "facilitatorA"):
        [view] = alerts_for(db, who, now=T0)
        assert (view.id, view.sits_with, view.council) == (alert, "Federation A", None)
    assert view.evidence == {"shortfall": {"C10T12": 12.5}}
    assert escalate_due(db, now=T0 + 100 * DAY) == []
    assert _seen_by(db, "neighbourB", T0) == []


def test_bad_alerts_are_refused(fed: tuple[Database, int, int]) -> None:
    db, ra, _ = fed
    with pytest.raises(PlanInputError, match="source is one of"):
        _raise(db, ra, source="gossip")
    with pytest.raises(PlanInputError, match="message is empty"):
        _raise(db, ra, message=" ")
    with pytest.raises(NotFoundError, match="no council named 'Farm B' in 'Federation A'"):
        _raise(db, ra, council="Farm B")


@settings(
    max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    steps=st.lists(
        st.tuples(
            st.sampled_from(["acknowledge", "explain", "correct", "resolve", "wait"]),
            st.sampled_from(["farmerA", "millerA", "facilitatorA", "facilitatorB"]),
            st.integers(min_value=0, max_value=10),
        ),
        max_size=8,
    )
)
def test_every_alert_keeps_a_deadline_and_its_whole_history(
    tmp_path_factory: pytest.TempPathFactory, steps: list[tuple[str, str, int]]
) -> None:
    db = Database(f"sqlite:///{tmp_path_factory.mktemp('alerts') / 'a.db'}")
    a = create_federation(db, small_federation("A"))
    create_federation(db, small_federation("B"))
    add_members(db, small_members("A") + small_members("B"))
    r = ratified_round(db, a)
    alert = _raise(db, r)
    now, done = T0, 1
    actions = {"acknowledge": acknowledge, "resolve": resolve}
    for action, who, days in steps:
        now += days * DAY
        if action == "wait":
            done += len(escalate_due(db, now=now))
            continue
        try:
            if action in actions:
                actions[action](db, alert, actor=who, now=now)
            else:
                (explain if action == "explain" else correct)(
                    db, alert, note="because", actor=who, now=now
                )
            done += 1
        except (AuthorisationError, PhaseError):
            pass
    with db.transaction() as s:
        row = s.execute(select(Alert)).scalar_one()
        events = s.execute(select(func.count()).select_from(AlertEvent)).scalar_one()
        assert row.deadline is not None and row.level <= 2
        assert events == done  # one history row for every transition that happened
        assert audit.verify(s).ok


def test_open_steps_are_the_transitions_allowed_now(database_url: str) -> None:
    """What a page offers: the council's steps by state, resolving for the council only once it
    has explained, for a facilitator always; nothing for another council's member."""
    db = Database(database_url)
    fed = create_federation(db, small_federation("S"))
    add_members(db, small_members("S"))
    rid = ratified_round(db, fed)
    a = raise_alert(db, rid, source="screen", kind="k", council="Farm S", message="m", now=T0)
    assert open_steps(db, a, viewer="farmerS") == ("acknowledge", "explain", "correct")
    assert open_steps(db, a, viewer="facilitatorS") == (
        "acknowledge",
        "explain",
        "correct",
        "resolve",
    )
    assert open_steps(db, a, viewer="millerS") == ()
    explain(db, a, note="why", actor="farmerS", now=T0)
    assert open_steps(db, a, viewer="farmerS") == ("explain", "correct", "resolve")
    resolve(db, a, actor="farmerS", now=T0)
    assert open_steps(db, a, viewer="facilitatorS") == ()
    db.dispose()
