"""Helpers shared by several test modules (test modules import from here, never each other).

``small_federation(tag)`` is a federation of one commune with a farm, a mill and a street on the
Swedish demo table; ``small_members(tag)`` its four members (a farmer, a miller, a neighbour and a
facilitator who also works on the farm); ``ratified_round(db, federation)`` puts a ratified round
in place, reporting monthly from January 2027, for the tests of what comes after the vote;
``drafted(db, tag, voters)`` puts it (with more members) in the feedback phase of its first
round, ``in_the_vote`` in its vote;
``leap_reports(db, round_id, tag)`` files a month of the famine case (the farm inflates its
harvest and its deliveries) for the tests of reconciliation.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from commonplan import audit
from commonplan.store import Database
from commonplan.store.models import Draft, Round


def small_federation(tag: str) -> dict[str, Any]:
    return {
        "name": f"Federation {tag}",
        "level": "region",
        "economy": "demo",
        "children": [
            {
                "name": f"Commune {tag}",
                "level": "commune",
                "councils": [
                    {"name": f"Farm {tag}", "kind": "workers", "processes": ["A01"]},
                    {"name": f"Mill {tag}", "kind": "workers", "processes": ["C10T12"]},
                    {"name": f"Street {tag}", "kind": "consumers"},
                ],
            }
        ],
    }


def small_members(tag: str) -> list[dict[str, str]]:
    return [
        {"handle": f"farmer{tag}", "workers_council": f"Farm {tag}"},
        {"handle": f"miller{tag}", "workers_council": f"Mill {tag}"},
        {"handle": f"neighbour{tag}", "consumers_council": f"Street {tag}"},
        {"handle": f"facilitator{tag}", "workers_council": f"Farm {tag}", "role": "facilitator"},
    ]


def drafted(
    db: Database, tag: str, voters: int = 0, **settings: Any
) -> tuple[int, int, dict[str, int]]:
    """:func:`small_federation` ``tag`` (its description's ``settings`` added: floors, rounds …)
    with :func:`small_members` and ``voters`` more members of its street (``voter{tag}{i}``), a
    round in its feedback phase: the street's target for bread and its collective proposal of a
    canteen, the draft.  Returns (federation, round, {"bread": id, "canteen": id})."""
    from commonplan.federation import add_members, create_federation
    from commonplan.rounds import compute_draft, file_proposal, open_round

    fed = create_federation(db, {**small_federation(tag), **settings})
    street = f"Street {tag}"
    extra = [{"handle": f"voter{tag}{i}", "consumers_council": street} for i in range(voters)]
    add_members(db, [*small_members(tag), *extra])
    facilitator = f"facilitator{tag}"
    r = open_round(db, fed, actor=facilitator)
    ids = {
        title: file_proposal(
            db, r, actor=f"neighbour{tag}", council=street, kind=kind, title=title, amounts=amounts
        )
        for title, kind, amounts in (
            ("bread", "target", {"C10T12": 100.0}),
            ("canteen", "collective", {"I": 1.0}),
        )
    }
    compute_draft(db, r, actor=facilitator)
    return fed, r, ids


def in_the_vote(db: Database, tag: str, voters: int = 0) -> tuple[int, int, dict[str, int]]:
    """:func:`drafted`, and the vote opened: (federation, round, ballot boxes)."""
    from commonplan.rounds import open_vote

    fed, r, _ = drafted(db, tag, voters)
    return fed, r, open_vote(db, r, actor=f"facilitator{tag}")


def ratified_round(db: Database, federation: int) -> int:
    """A round of ``federation`` in its ratified phase, reporting monthly from January 2027.

    What comes after the vote needs only a ratified round; running a whole round would test the
    rounds again (tests/test_rounds.py does), so the round is put in place directly (and logged,
    as :func:`commonplan.rounds.phases.ratified_without_vote` does)."""
    from commonplan.rounds.phases import ratified_without_vote

    with db.transaction() as s:
        return ratified_without_vote(
            s,
            federation,
            settings={"reporting": {"start": "2027-01", "every": "month", "periods": 12}},
            opened_at=datetime(2026, 11, 1, tzinfo=UTC),
            closed_at=datetime(2026, 12, 20, tzinfo=UTC),
            actor="system",
        ).id


FARM_HOURS_PER_WEEK = (31.0, 29.0)
"""What the final plan and its alternative ask of each member of the farm, hours a week."""


def plan_drafts(db: Database, round_id: int, farm_members: int = 2) -> tuple[int, int]:
    """A final plan and an alternative for the round of :func:`ratified_round`, recorded directly
    (as tests/test_quotas.py does, without the solver): the farm (``farm_members`` members, one
    person each) runs A01 at the activity that asks each of its members 31 hours a week, 29 in
    the alternative; the mill runs C10T12.  The round's outcome names the final plan."""
    from commonplan.economy.io import demo_economy

    e = demo_economy()
    labour = e.labour
    assert labour is not None
    per_unit = float(labour[e.processes.index("A01")])
    ids = []
    for stage, weekly in zip(("final", "alternative"), FARM_HOURS_PER_WEEK, strict=True):
        activity = {"A01": weekly * 52 * farm_members / per_unit, "C10T12": 1.0}
        result = {"status": "optimal", "activity": activity}
        inputs = {"economy": "demo", "economy_sha256": e.sha256, "title": stage}
        with db.transaction() as s:
            d = Draft(
                round_id=round_id,
                stage=stage,
                inputs=inputs,
                inputs_sha256=audit.digest(inputs),
                result=result,
                result_sha256=audit.digest(result),
                computed_at=datetime.now(UTC),
            )
            s.add(d)
            s.flush()
            ids.append(d.id)
    with db.transaction() as s:
        r = s.get(Round, round_id)
        assert r is not None
        r.outcome = {"ratified": True, "plan": ids[0]}
    return ids[0], ids[1]


def after_the_vote(db: Database, tag: str, password: Callable[[str], str]) -> dict[str, int]:
    """:func:`small_federation` ``tag`` with :func:`small_members` (passwords set), a ratified
    round and its two plans: ``{"federation", "round", "final", "alternative"}``."""
    from commonplan import accounts
    from commonplan.federation import add_members, create_federation

    fed = create_federation(db, small_federation(tag))
    add_members(db, small_members(tag))
    for m in small_members(tag):
        accounts.set_password(db, m["handle"], password(m["handle"]))
    round_id = ratified_round(db, fed)
    final, alternative = plan_drafts(db, round_id)
    return {"federation": fed, "round": round_id, "final": final, "alternative": alternative}


def leap_reports(db: Database, round_id: int, tag: str, lie: float = 1.3) -> None:
    """One month of the famine case: the farm inflates its harvest and its delivery to the
    mill; what the mill received, the hours and the street's till receipts give it away."""
    from commonplan.economy.io import demo_economy
    from commonplan.reports import ReportRow, file_reports

    e = demo_economy()
    grain = 1000.0 * float(e.inputs[e.product_index("A01"), e.processes.index("C10T12")])
    hours = float(e.labour[e.processes.index("A01")]) * grain  # type: ignore[index]
    p = "2027-01"
    farm, mill, street = f"Farm {tag}", f"Mill {tag}", f"Street {tag}"
    file_reports(
        db,
        round_id,
        [
            ReportRow(farm, p, "output", lie * grain, "A01"),
            ReportRow(farm, p, "delivery", lie * grain, "A01", mill),
            ReportRow(farm, p, "hours", hours),
        ],
        actor=f"farmer{tag}",
    )
    file_reports(
        db,
        round_id,
        [
            ReportRow(mill, p, "receipt", grain, "A01", farm),
            ReportRow(mill, p, "input", grain, "A01"),
            ReportRow(mill, p, "output", 1000.0, "C10T12"),
            ReportRow(mill, p, "delivery", 1000.0, "C10T12", street),
            ReportRow(street, p, "receipt", 7.0, "C10T12"),  # from outside: nothing checks it
        ],
        actor=f"facilitator{tag}",
    )
    file_reports(
        db,
        round_id,
        [ReportRow(street, p, "receipt", 1000.0, "C10T12", mill, source="receipts")],
        actor=f"neighbour{tag}",
    )


def monitored_plan(
    db: Database, round_id: int, tag: str, *, months: int = 6, drop_from: int = 4
) -> dict[str, float]:
    """A final plan for the round of :func:`ratified_round` of :func:`small_federation` ``tag``
    (food and care floors, labour capped at 2016's; solved and recorded by ``record_plan``) and
    ``months`` of monthly reports: the farm on plan every month, the mill on plan until month
    ``drop_from``, then a third short (output, delivery to the street and hours alike).  Returns
    the plan's activity per process (a year)."""
    from commonplan.economy.io import demo_economy
    from commonplan.reports import ReportRow, file_reports
    from commonplan.rounds.plans import record_plan

    e = demo_economy()
    y = e.final_demand["domestic_final_demand"]
    food, care = e.product_index("C10T12"), e.product_index("Q87_88")
    inputs = {
        "economy": "demo",
        "floors": {"C10T12": 0.3 * float(y[food]), "Q87_88": 0.3 * float(y[care])},
        "targets": {p: float(v) for p, v in zip(e.products, y, strict=True) if v > 0},
        "capacities": {},
        "caps": {"labour": "100%", "co2": "70%"},
        "hours_offered": 1.0,
        "collective_budget": 0.0,
        "chosen": [],
    }
    with db.transaction() as s:
        r = s.get(Round, round_id)
        assert r is not None
        result = record_plan(s, r, "final", inputs, f"facilitator{tag}").result
        activity = {str(k): float(v) for k, v in result["activity"].items()}
    labour = e.labour
    assert labour is not None
    for who, council, process in (("farmer", "Farm", "A01"), ("miller", "Mill", "C10T12")):
        rows = []
        for m in range(1, months + 1):
            month = f"2027-{m:02d}"
            made = activity.get(process, 0.0) / 12
            if council == "Mill" and m >= drop_from:
                made *= 2 / 3
            hours = float(labour[e.processes.index(process)]) * made
            rows += [
                ReportRow(f"{council} {tag}", month, "output", made, process),
                ReportRow(f"{council} {tag}", month, "hours", hours),
                ReportRow(f"{council} {tag}", month, "delivery", made, process, f"Street {tag}"),
            ]
        file_reports(db, round_id, rows, actor=f"{who}{tag}")
    return activity
