"""After ratification: the next planning period, and hiding an abusive proposal — the
facilitator's steps, in the domain (refusals named), in the audit log (verify replays them and
finds them edited outside commonplan) and from the CLI; on SQLite and PostgreSQL."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import update

from cli_support import clean_error, run
from commonplan import audit
from commonplan.errors import AuthorisationError, PhaseError, PlanInputError
from commonplan.federation import add_members, create_federation
from commonplan.reports.ledger import periods_of
from commonplan.rounds import hide_proposal, open_period, open_round, withdraw_proposal
from commonplan.rounds.proposals import shown
from commonplan.store import Database
from commonplan.store.models import Proposal, Round
from fixtures import drafted, ratified_round, small_federation, small_members

REPORTING = {"reporting": {"start": "2027-01", "every": "month", "periods": 12}}


def _problems(db: Database) -> list[str]:
    with db.transaction() as s:
        return list(audit.verify(s).problems)


def test_the_next_planning_period_opens_after_ratification(database_url: str) -> None:
    db = Database(database_url)
    fed = create_federation(db, {**small_federation("P"), "rounds": REPORTING})
    add_members(db, small_members("P"))
    with pytest.raises(PhaseError, match="not ratified a plan for planning period 1"):
        open_period(db, fed, actor="facilitatorP")
    first = ratified_round(db, fed)
    with pytest.raises(PhaseError, match="open the next planning period instead"):
        open_round(db, fed, actor="facilitatorP")
    with pytest.raises(AuthorisationError, match="farmerP"):
        open_period(db, fed, actor="farmerP")
    second = open_period(db, fed, actor="facilitatorP")
    with db.transaction() as s:
        a, b = s.get(Round, first), s.get(Round, second)
        assert a is not None and b is not None
        assert (a.period, b.period, b.number, b.phase) == (1, 2, a.number + 1, "proposals")
        # the new plan reports from where the ratified one's reports end
        assert periods_of(a)[-1] == "2027-12" and periods_of(b)[:2] == ("2028-01", "2028-02")
    with pytest.raises(PhaseError, match="still running"):
        open_period(db, fed, actor="facilitatorP")
    assert _problems(db) == []
    with db.transaction() as s:  # a round moved to another period behind commonplan's back
        s.execute(update(Round).where(Round.id == second).values(period=7))
    assert any(f"round {second}" in p and "period" in p for p in _problems(db))


def test_a_facilitator_hides_an_abusive_proposal_saying_why(database_url: str) -> None:
    db = Database(database_url)
    _, r, ids = drafted(db, "H")
    why = "it insults a member of the street council"
    with pytest.raises(PlanInputError, match="reason"):
        hide_proposal(db, ids["canteen"], actor="facilitatorH", reason="  ")
    with pytest.raises(AuthorisationError, match="neighbourH"):
        hide_proposal(db, ids["canteen"], actor="neighbourH", reason=why)
    hide_proposal(db, ids["canteen"], actor="facilitatorH", reason=why)
    with pytest.raises(PlanInputError, match="hidden already"):
        hide_proposal(db, ids["canteen"], actor="facilitatorH", reason=why)
    with db.transaction() as s:
        p = s.get(Proposal, ids["canteen"])
        assert p is not None and p.hidden and p.withdrawn and p.withdrawn_reason == why
        assert shown(p) == ("", {})  # members see who hid it and why, not what it said
        bread = s.get(Proposal, ids["bread"])
        assert bread is not None and shown(bread) == (bread.title, bread.amounts)
    # a proposal its council withdrew can still be hidden afterwards
    withdraw_proposal(db, ids["bread"], actor="neighbourH")
    hide_proposal(db, ids["bread"], actor="facilitatorH", reason="abusive title")
    assert _problems(db) == []
    with db.transaction() as s:  # unhidden behind commonplan's back
        s.execute(update(Proposal).where(Proposal.id == ids["canteen"]).values(hidden=False))
    assert any(f"proposal {ids['canteen']}" in p and "hidden" in p for p in _problems(db))
    assert r


def test_the_cli_hides_and_opens_the_next_period(tmp_path: Path) -> None:
    where = tmp_path / "commonplan.db"
    db = Database(f"sqlite:///{where}")
    _, r, ids = drafted(db, "C")
    clean_error(run("proposal", "withdraw", ids["canteen"], "--hide", "--as", "facilitatorC",
                    "--db", where), "reason")  # fmt: skip
    hid = run("proposal", "withdraw", ids["canteen"], "--hide", "--reason", "spam",
              "--as", "facilitatorC", "--db", where)  # fmt: skip
    assert hid.exit_code == 0 and hid.stdout.startswith(f"hid proposal {ids['canteen']}: spam")
    fed = create_federation(db, {**small_federation("N"), "rounds": REPORTING})
    add_members(db, small_members("N"))
    ratified_round(db, fed)
    refused = run("round", "open", fed, "--as", "facilitatorN", "--db", where)
    clean_error(refused, "open the next planning period instead")
    opened = run("round", "open", fed, "--next-period", "--as", "facilitatorN", "--db", where)
    assert opened.exit_code == 0 and "of the next planning period" in opened.stdout
    with db.transaction() as s:
        assert s.get(Round, r) is not None
        newest = max(s.query(Round).filter(Round.federation_id == fed).all(), key=lambda x: x.id)
        assert newest.period == 2 and newest.phase == "proposals"
