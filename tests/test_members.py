"""The facilitator's member list and invitations for many at once: account states from the
invitations and passwords stored, who voted in a round (never how), all-or-none invitations with
refusals naming the line; the library and the CLI, on SQLite and PostgreSQL."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import func, select

from cli_support import clean_error, run
from commonplan import accounts
from commonplan.errors import NotFoundError, PlanInputError, PlanningError
from commonplan.federation import add_members, create_federation, member_named
from commonplan.members import member_statuses
from commonplan.rounds import cast_round_ballots
from commonplan.store import Database
from commonplan.store.models import Invitation, Question
from fixtures import in_the_vote, small_federation, small_members


def _invitations(db: Database) -> int:
    with db.transaction() as s:
        return int(s.execute(select(func.count()).select_from(Invitation)).scalar_one())


def test_member_list_says_who_can_sign_in_and_who_voted(database_url: str) -> None:
    db = Database(database_url)
    fed, r, boxes = in_the_vote(db, "M")
    accounts.set_password(db, "facilitatorM", "a long enough password")
    made = accounts.invite_many(db, ["farmerM", " millerM "], actor="facilitatorM")
    assert [i.handle for i in made] == ["farmerM", "millerM"] and made[0].token != made[1].token
    with db.transaction() as s:
        project = s.get(Question, boxes["budget"]).options["projects"][0]  # type: ignore[union-attr]
    choices = {boxes["budget"]: {"approve": [project]}, boxes["ratify"]: {"vote": "yes"}}
    cast_round_ballots(db, r, member="neighbourM", choices=choices)
    rows = member_statuses(db, fed, round_id=r)
    got = {m.handle: (m.account, m.voted) for m in rows}
    assert got == {
        "facilitatorM": ("active", False),
        "farmerM": ("invited", False),
        "millerM": ("invited", False),
        "neighbourM": ("not invited", True),
    }
    assert [m.handle for m in rows] == sorted(got)
    farmer = next(m for m in rows if m.handle == "farmerM")
    assert farmer.workers_council == "Farm M" and farmer.consumers_council is None
    assert farmer.invited_until == made[0].expires_at
    later = member_statuses(db, fed, now=made[0].expires_at + timedelta(seconds=1))
    assert {m.handle: m.account for m in later}["farmerM"] == "invitation expired"
    assert all(m.voted is None for m in later)  # no round asked about
    other = create_federation(db, small_federation("O"))
    add_members(db, small_members("O"))
    with pytest.raises(PlanInputError, match=f"round {r} is not a round of federation {other}"):
        member_statuses(db, other, round_id=r)
    assert {m.handle for m in member_statuses(db, other)} == {
        h["handle"] for h in small_members("O")
    }


def test_invitations_for_many_are_all_or_none(database_url: str) -> None:
    db = Database(database_url)
    create_federation(db, small_federation("I"))
    add_members(db, small_members("I"))
    accounts.set_password(db, "millerI", "a long enough password")
    before = _invitations(db)
    for handles, error, words in (
        (["farmerI", "nobody"], NotFoundError, "line 2: no member with handle 'nobody'"),
        (["farmerI", "farmerI"], PlanInputError, "line 2: 'farmerI' is on line 1 already"),
        (["farmerI", "millerI"], PlanningError, "line 2: 'millerI' has a password already"),
        ([], PlanInputError, "no handles"),
    ):
        with pytest.raises(error, match=words):
            accounts.invite_many(db, handles)
        assert _invitations(db) == before  # nothing of the batch was kept
    # a facilitator invites only members of the federations they serve
    create_federation(db, small_federation("J"))
    add_members(db, small_members("J"))
    with db.transaction() as s:
        ada = accounts.principal(s, member_named(s, "facilitatorI"))
    with pytest.raises(NotFoundError, match="line 1: no member with handle 'farmerJ'"):
        accounts.invite_many(db, ["farmerJ"], by=ada)
    assert [i.handle for i in accounts.invite_many(db, ["farmerI"], by=ada)] == ["farmerI"]
    assert _invitations(db) == before + 1
    assert datetime.now(UTC) < accounts.invite_many(db, ["neighbourI"])[0].expires_at


def test_the_cli_lists_members_and_invites_from_a_file(tmp_path: Path) -> None:
    where = tmp_path / "commonplan.db"
    db = Database(f"sqlite:///{where}")
    fed = create_federation(db, small_federation("K"))
    add_members(db, small_members("K"))
    members = tmp_path / "members.csv"
    members.write_text("handle,name\nfarmerK,F\nmillerK,M\n", encoding="utf-8")
    out = run("account", "invite-many", members, "--db", where)
    assert out.exit_code == 0, out.stdout
    lines = out.stdout.splitlines()
    assert [x.split("\t")[0] for x in lines] == ["farmerK", "millerK"]
    assert all("/invitation#" in x for x in lines)
    wrong = tmp_path / "wrong.csv"
    wrong.write_text("handle\nfarmerK\nnobody\n", encoding="utf-8")
    clean_error(run("account", "invite-many", wrong, "--db", where), "line 2")
    plain = tmp_path / "handles.txt"
    plain.write_text("neighbourK\n\n", encoding="utf-8")
    assert run("account", "invite-many", plain, "--db", where).exit_code == 0
    listed = run("members", "list", fed, "--db", where, "--json")
    assert listed.exit_code == 0, (listed.stdout, listed.stderr)
    states = {m["handle"]: m["account"] for m in json.loads(listed.stdout)}
    assert states == {
        "facilitatorK": "not invited",
        "farmerK": "invited",
        "millerK": "invited",
        "neighbourK": "invited",
    }
    table = run("members", "list", fed, "--db", where)
    assert table.exit_code == 0 and "4 members" in table.stdout and "Farm K" in table.stdout
