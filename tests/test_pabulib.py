"""PaBuLib files: what we write pabutools reads as the same election, and malformed files are
refused with the line at fault."""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import scipy.sparse as sp
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from commonplan.errors import FormatError, VotingError
from commonplan.numerics.mes import equal_shares
from commonplan.voting.pabulib import pb_text, read_pb, write_pb

pytest.importorskip("pabutools")
from pabutools.election import (
    ApprovalBallot,
    ApprovalProfile,
    Cost_Sat,
    Instance,
    Project,
    parse_pabulib,
    write_pabulib,
)
from pabutools.election.pabulib import parse_pabulib_from_string
from pabutools.rules import method_of_equal_shares
from pabutools.tiebreaking import lexico_tie_breaking

A = np.array([[1, 0, 1], [0, 1, 1], [0, 0, 0], [1, 1, 1]], dtype=bool)
IDS = ["7", "12", "tree-3"]
COSTS = [10.0, 2.5, 7.0]


def test_round_trip(tmp_path: Path) -> None:
    path = tmp_path / "e.pb"
    write_pb(
        path,
        projects=IDS,
        costs=COSTS,
        approvals=sp.csr_array(A),
        budget=12,
        meta={"description": "test; with a semicolon", "country": "Sweden"},
        voters=["v1", "v2", "v3", "v4"],
        names=["Trees", "Bus shelter", "Park; east side"],
    )
    e = read_pb(path)
    assert e.projects == tuple(IDS) and e.costs.tolist() == COSTS and e.budget == 12.0
    assert e.voters == ("v1", "v2", "v3", "v4")
    assert np.array_equal(e.approvals.toarray(), A)
    assert e.votes[0] == ("v1", ("7", "tree-3")) and e.votes[2] == ("v3", ())
    assert [m["name"] for m in e.project_meta] == ["Trees", "Bus shelter", "Park; east side"]
    assert e.meta["description"] == "test; with a semicolon" and e.meta["country"] == "Sweden"
    assert e.meta["num_votes"] == "4" and e.meta["vote_type"] == "approval"
    assert e.meta["budget"] == "12"  # integral numbers are written as integers
    # to and from open files too
    buf = io.StringIO()
    write_pb(buf, projects=IDS, costs=COSTS, approvals=A, budget=12)
    again = read_pb(io.StringIO(buf.getvalue()))
    assert again.voters == ("1", "2", "3", "4") and np.array_equal(again.approvals.toarray(), A)


def test_pabutools_reads_what_we_write(tmp_path: Path) -> None:
    path = tmp_path / "e.pb"
    write_pb(path, projects=IDS, costs=COSTS, approvals=A, budget=12, names=["a", "b", "c"])
    instance, profile = parse_pabulib(str(path))
    assert instance.budget_limit == 12
    assert {p.name: p.cost for p in instance} == dict(zip(IDS, COSTS, strict=True))
    assert [sorted(p.name for p in b) for b in profile] == [
        sorted(IDS[j] for j in np.flatnonzero(row)) for row in A
    ]


def test_we_read_what_pabutools_writes(tmp_path: Path) -> None:
    projects = [Project("p1", 3), Project("p2", 5), Project("p10", 2)]
    instance = Instance(projects, budget_limit=7)
    instance.meta.update({"description": "from pabutools", "country": "PL"})
    ballots = [[0, 1], [2], [], [0, 2]]
    profile = ApprovalProfile(
        [ApprovalBallot([projects[j] for j in b]) for b in ballots], instance=instance
    )
    path = tmp_path / "pabutools.pb"
    write_pabulib(instance, profile, str(path))
    e = read_pb(path)  # pabutools writes a BOM: it is skipped
    assert sorted(zip(e.projects, e.costs.tolist(), strict=True)) == [
        ("p1", 3.0),
        ("p10", 2.0),
        ("p2", 5.0),
    ]
    assert e.budget == 7.0 and e.meta["country"] == "PL" and len(e.voters) == 4
    got = sorted(sorted(ps) for _, ps in e.votes)
    assert got == sorted(sorted(projects[j].name for j in b) for b in ballots)


def test_pb_text_from_rows() -> None:
    text = pb_text(
        projects=[
            {"project_id": "a", "cost": 1000, "name": "Clinic", "category": ["health", "care"]},
            {"project_id": "b", "cost": 250.5},
        ],
        budget=1200,
        votes=[{"voter_id": "r-1", "vote": ["a", "b"], "age": 40}, {"voter_id": "r-2", "vote": []}],
        meta={"rule": "equal_shares", "currency": "labour hours"},
    )
    assert "project_id;cost;name;category\na;1000;Clinic;health,care\nb;250.5;None;None\n" in text
    assert "voter_id;vote;age\nr-1;a,b;40\nr-2;;None\n" in text
    e = read_pb(io.StringIO(text))
    assert e.project_meta == ({"name": "Clinic", "category": "health,care"}, {})
    assert e.votes == (("r-1", ("a", "b")), ("r-2", ()))
    assert e.meta["currency"] == "labour hours"


ELECTION = """META
key;value
description;test
num_projects;2
num_votes;2
budget;10
vote_type;approval
PROJECTS
project_id;cost;name
1;4;First
2;6;Second
VOTES
voter_id;vote
a;1,2
b;2
"""


def edit(old: str, new: str) -> str:
    assert old in ELECTION
    return ELECTION.replace(old, new, 1)


MALFORMED = [
    ("hello\n" + ELECTION, 1, "data before the META section"),
    ("PROJECTS\nproject_id;cost\n1;4\n" + ELECTION, 1, "PROJECTS out of order"),
    (edit("budget;10\n", ""), 1, "META lacks 'budget'"),
    (edit("budget;10", "budget;lots"), 6, "budget 'lots' is not a number"),
    (edit("vote_type;approval", "vote_type;ordinal"), 7, "only approval elections"),
    (edit("1;4;First", "1;four;First"), 10, "project '1' costs 'four'"),
    (edit("1;4;First", "1;0;First"), 10, "a cost must be a positive number"),
    (edit("2;6;Second", "1;6;Second"), 11, "project id '1' appears twice"),
    (edit("b;2\n", "b;3\n"), 15, "voter 'b' approves '3', which is not a project"),
    (edit("b;2\n", "a;2\n"), 15, "voter id 'a' appears twice"),
    (edit("a;1,2", "a;1,1"), 14, "approves a project twice"),
    (edit("num_votes;2", "num_votes;3"), 5, "num_votes is '3' but the file has 2"),
    (edit("1;4;First", "1;4;First;extra"), 10, "4 fields but the PROJECTS header has 3"),
    (edit("project_id;cost;name", "project_id;price;name"), 9, "lacks the column 'cost'"),
    (edit("voter_id;vote", "voter_id;ballot"), 13, "lacks the column 'vote'"),
    (ELECTION.split("VOTES")[0], 11, "no VOTES section"),
    (edit("description;test", "description;test\nbudget;3"), 7, "'budget' given twice"),
    (edit("description;test", "description"), 3, "a META entry needs key;value"),
    (edit("key;value\ndescription;test", "description"), 2, "a META entry needs key;value"),
    (ELECTION + "PROJECTS\nproject_id;cost\n", 16, "a second PROJECTS section"),
]


@pytest.mark.parametrize(("text", "line", "message"), MALFORMED)
def test_malformed_files_are_refused_naming_the_line(
    text: str, line: int, message: str, tmp_path: Path
) -> None:
    path = tmp_path / "bad.pb"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(FormatError, match=f"bad.pb, line {line}: .*{message}"):
        read_pb(path)


def test_valid_base_file_and_pabulib_variants_are_read(tmp_path: Path) -> None:
    e = read_pb(io.StringIO(ELECTION))
    assert e.projects == ("1", "2") and e.votes == (("a", ("1", "2")), ("b", ("2",)))
    # a decimal comma, blank lines, a BOM, CRLF line ends, a "None" vote: as pabutools reads them
    text = "\ufeff" + edit("2;6;Second", "2;6,5;Second").replace("\n", "\r\n\r\n")
    text = text.replace("b;2\r\n", "b;None\r\n")
    path = tmp_path / "variant.pb"
    path.write_bytes(text.encode("utf-8"))
    e = read_pb(path)
    assert e.costs.tolist() == [4.0, 6.5] and e.votes[1] == ("b", ())
    assert read_pb(str(path)).projects == ("1", "2")
    # META without its "key;value" line (Warsaw's 2017 files): the first line is an entry
    e = read_pb(io.StringIO(edit("key;value\n", "")))
    assert e.meta["description"] == "test" and e.budget == 10.0 and e.projects == ("1", "2")
    e = read_pb(io.StringIO(edit("key;value\ndescription;test", "budget;10\ndescription;test")
                            .replace("budget;10\nvote_type", "vote_type")))  # fmt: skip
    assert e.budget == 10.0 and list(e.meta)[:2] == ["budget", "description"]


def test_not_utf8_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "latin.pb"
    path.write_bytes(ELECTION.replace("First", "Först").encode("latin-1"))
    with pytest.raises(FormatError, match=r"latin\.pb: not UTF-8"):
        read_pb(path)


WRITE_BAD: list[tuple[dict[str, Any], str]] = [
    (dict(projects=["a,b", "c", "d"]), "project id 'a,b' cannot be written"),
    (dict(projects=["a", "a", "d"]), "project id 'a' appears twice"),
    (dict(projects=[" a", "b", "c"]), "without surrounding spaces"),
    (dict(costs=[1, 0, 1]), "project 'b' costs 0.0: a cost must be positive"),
    (dict(costs=[1, float("nan"), 1]), "the cost of project 'b' must be finite"),
    (dict(costs=[1, 1]), "2 costs for 3 projects"),
    (dict(budget=-1), "the budget must be ≥ 0"),
    (dict(approvals=np.ones((2, 2))), r"approvals has shape \(2, 2\) but there are 3 projects"),
    (dict(voters=["x"]), "1 voter ids for 2 rows"),
    (dict(voters=["x", "x"]), "voter id 'x' appears twice"),
    (dict(meta={"num_votes": 5}), "meta 'num_votes' is 5 but the election has 2"),
    (dict(meta={"vote_type": "ordinal"}), "meta 'vote_type' is 'ordinal'"),
    (dict(meta={"description": "two\nlines"}), "holds a line break"),
]


@pytest.mark.parametrize(("change", "message"), WRITE_BAD)
def test_write_refuses_what_cannot_be_read_back(change: dict[str, Any], message: str) -> None:
    args: dict[str, Any] = dict(
        projects=["a", "b", "c"], costs=[1, 2, 3], approvals=np.eye(2, 3), budget=3
    )
    args.update(change)
    buf = io.StringIO()
    with pytest.raises(VotingError, match=message):
        write_pb(buf, **args)
    assert buf.getvalue() == ""  # nothing half-written


def test_pb_text_refuses_unknown_projects_in_votes() -> None:
    with pytest.raises(VotingError, match="voter 'v' approves 'z', which is not a project"):
        pb_text(projects=[{"project_id": "a", "cost": 1}], budget=1, votes=[
            {"voter_id": "v", "vote": ["z"]}])  # fmt: skip


@st.composite
def elections(draw: st.DrawFn) -> tuple[np.ndarray, list[int], int, bool]:
    n = draw(st.integers(1, 7))
    m = draw(st.integers(1, 5))
    cells = draw(st.lists(st.booleans(), min_size=n * m, max_size=n * m))
    costs = draw(st.lists(st.integers(1, 9), min_size=m, max_size=m))
    # META without its "key;value" line, as in Warsaw's 2017 files
    headless = draw(st.booleans())
    return np.array(cells).reshape(n, m), costs, draw(st.integers(0, 30)), headless


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(elections())
def test_pabutools_counts_our_file_as_we_do(
    election: tuple[np.ndarray, list[int], int, bool],
) -> None:
    a, costs, budget, headless = election
    ids = [f"p{j + 1}" for j in range(len(costs))]
    buf = io.StringIO()
    write_pb(buf, projects=ids, costs=costs, approvals=a, budget=budget)
    text = buf.getvalue()
    if headless:
        text = text.replace("META\nkey;value\n", "META\n", 1)
    instance, profile = parse_pabulib_from_string(text)
    theirs = method_of_equal_shares(
        instance, profile, sat_class=Cost_Sat, tie_breaking=lexico_tie_breaking
    )
    e = read_pb(io.StringIO(text))
    ours = equal_shares(
        e.approvals, e.costs, e.budget, tie_break="lexicographic", projects=e.projects
    )
    assert list(ours.ids) == [p.name for p in theirs]
    assert np.array_equal(e.approvals.toarray(), a) and e.costs.tolist() == costs
    # the first META entry is read either way (pabutools takes it for the header line)
    assert e.meta["description"] == "commonplan participatory budget" and e.budget == budget
