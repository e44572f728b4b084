"""Completed equal shares on real PaBuLib elections, with pabutools as the oracle.

The elections (tests/data/pabulib, README.md there) are Wrocław 2020, the city-wide vote
(76 projects, 89,419 one-project ballots, budget 16,000,000 zł), Łódź 2020, Koziny (9 projects,
1,270 ballots of up to 5 approvals, budget 478,000 zł), Warsaw 2017, Kamionek (9 projects,
927 ballots of up to 7 approvals, budget 308,298.85 zł: a decimal budget, and a META section
without its ``key;value`` line), and Warsaw 2019, Targówek Fabryczny (17 projects, 344 ballots
of up to 16 approvals, budget 400,000 zł).  Equal shares as cities complete it: every voter's
share raised by 1 zł at a time (``voter_budget_increment=1``) while the outcome fits and is not
exhaustive, then greedy by votes.

pabutools' outcomes are stored in tests/data/pabulib/pabutools_outcomes.json (written by
``python benchmarks/pabulib_real.py --write-outcomes``); pabutools is also run live on the
elections where it takes a few seconds or less (Targówek's 367 raises take it about 5 s, so
there the stored outcome stands in).  pabutools (GPL) is a test-only dependency.
"""

from __future__ import annotations

import json
from fractions import Fraction
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from commonplan.numerics.mes import equal_shares, equal_shares_completed
from commonplan.voting.pabulib import PBElection, read_pb
from pabulib_instances import (
    INCREMENT,
    LODZ_2020_KOZINY,
    PABUTOOLS_OUTCOMES,
    WARSZAWA_2017_KAMIONEK,
    WARSZAWA_2019_TARGOWEK,
    WROCLAW_2020,
    election_files,
    pabutools_completed,
    vote_count_mismatches,
)

pytest.importorskip("pabutools")
from pabutools.election import parse_pabulib

# What commonplan funds, checked against pabutools below: equal shares (in its rounds), then
# the greedy fill.  Wrocław's voters each start with 16,000,000 / 89,419 ≈ 178.93 zł: no
# project's supporters hold its cost (the most voted, 7, has 6,148 × 178.93 ≈ 1.1 M of 2 M).
GOLDEN: dict[str, dict[str, Any]] = {
    "wroclaw_2020": {
        "plain": (),
        "steps": 414,
        "raised": ("7", "200", "5", "1", "297", "4", "11", "194", "320"),
        "filled": ("342", "158"),
        "total_cost": 15_850_000.0,
    },
    "lodz_2020_koziny": {
        "plain": ("P008KO", "P006KO", "P022KO", "P143KO"),
        "steps": 728,
        "raised": ("P008KO", "P006KO", "P022KO", "P009KO", "P004KO", "P143KO"),
        "filled": ("P005KO",),
        "total_cost": 449_900.0,
    },
    "warszawa_2017_kamionek": {
        "plain": ("2542", "959", "2577", "81"),
        "steps": 203,
        "raised": ("2542", "959", "2577", "699", "81", "2028"),
        "filled": (),  # what is left, 20,098.85, pays for none of the rest
        "total_cost": 288_200.0,
    },
    "warszawa_2019_targowek": {
        "plain": ("828", "1643", "233", "1759", "1041", "840", "626", "2363", "1681", "458",
                  "476", "838", "607"),
        "steps": 367,
        "raised": ("828", "1643", "233", "1759", "1041", "840", "626", "2363", "2082", "187",
                   "1681", "838", "458", "476", "607", "843"),
        "filled": (),  # all but 829 (35,000; 14,368 left)
        "total_cost": 385_632.0,
    },
}  # fmt: skip
KEYS = list(GOLDEN)
LIVE = ["wroclaw_2020", "lodz_2020_koziny", "warszawa_2017_kamionek"]  # pabutools ≤ ~3 s each


@pytest.fixture(scope="module")
def files(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    return election_files(tmp_path_factory.mktemp("pabulib"))


@pytest.fixture(scope="module")
def elections(files: dict[str, Path]) -> dict[str, tuple[PBElection, Any, Any]]:
    """Each file read by both parsers: ours, and pabutools' (instance, profile)."""
    return {k: (read_pb(p), *parse_pabulib(str(p))) for k, p in files.items()}


def stored_outcomes() -> dict[str, Any]:
    stored = json.loads(PABUTOOLS_OUTCOMES.read_text(encoding="utf-8"))
    assert stored["increment"] == INCREMENT and set(stored["elections"]) == set(KEYS)
    return stored["elections"]  # type: ignore[no-any-return]


def test_the_stored_files_are_faithful_copies(files: dict[str, Path]) -> None:
    # the others are copied whole: their own per-project totals must match the ballots
    for path in (LODZ_2020_KOZINY, WARSZAWA_2017_KAMIONEK, WARSZAWA_2019_TARGOWEK):
        assert vote_count_mismatches(path.read_text(encoding="utf-8")) == []
    # Wrocław's votes column sums to num_votes, so the rebuilt ballots are the real profile
    head = WROCLAW_2020.read_text(encoding="utf-8")
    assert "VOTES" not in head and head.count("\n") == 19 + 76
    assert vote_count_mismatches(files["wroclaw_2020"].read_text(encoding="utf-8")) == []
    # a damaged copy is caught: one ballot moved from one project to another
    koziny = LODZ_2020_KOZINY.read_text(encoding="utf-8")
    damaged = koziny.replace("1400797134;70;K;internet;P008KO", "1400797134;70;K;internet;P009KO")
    assert vote_count_mismatches(damaged) == [
        "project P008KO: votes 625 but 624 ballots",
        "project P009KO: votes 379 but 380 ballots",
    ]
    dropped = koziny.replace("1400797134;70;K;internet;P008KO\n", "")
    assert "num_votes 1270 but 1269 ballots" in vote_count_mismatches(dropped)


@pytest.mark.parametrize("key", KEYS)
def test_both_parsers_read_the_same_election(
    key: str, elections: dict[str, tuple[PBElection, Any, Any]]
) -> None:
    e, instance, profile = elections[key]
    costs = {p: Fraction(c) for p, c in zip(e.projects, e.costs.tolist(), strict=True)}
    assert costs == {p.name: Fraction(p.cost) for p in instance}  # exact: integral costs
    # pabutools reads decimals as exact fractions, we as the nearest float
    assert e.budget == float(instance.budget_limit)
    assert e.approvals.shape == (profile.num_ballots(), len(instance))
    ours = sorted(tuple(sorted(b)) for _, b in e.votes)
    theirs = sorted(tuple(sorted(p.name for p in b)) for b in profile)
    assert ours == theirs
    names = {p: m.get("name") for p, m in zip(e.projects, e.project_meta, strict=True)}
    assert names == {p.name: instance.project_meta[p].get("name") for p in instance}


def test_real_names_are_read_verbatim(elections: dict[str, tuple[PBElection, Any, Any]]) -> None:
    e = elections["wroclaw_2020"][0]
    name = {p: m["name"] for p, m in zip(e.projects, e.project_meta, strict=True)}
    # CSV quoting with doubled quotes inside, en dashes, Polish letters, a doubled space
    assert name["106"] == (
        'Nowa droga – ul. Bogedaina przy "Park Tarnogajski" (od Armii Krajowej do Klimasa, '
        "Tarnogaj)"
    )
    assert name["306"].startswith('WROcBOX: PRZEWIJAKI TERENOWE "ALTANY" w parkach')
    assert name["65"] == "Motylarnia na Kowalach – Chcemy śliczny  Park"
    assert e.meta["unit"] == "Wrocław" and e.meta["num_votes"] == "89419"
    k = elections["lodz_2020_koziny"][0]
    assert k.meta["description"] == "Local PB in Łódź, Polesie | Koziny"
    assert k.costs.sum() == 832_900.0 and k.budget == 478_000.0
    # Kamionek's META has no "key;value" line: its first entry is read all the same (pabutools
    # takes it for the header), and its budget has grosze
    w, instance, _ = elections["warszawa_2017_kamionek"]
    assert w.meta["description"] == "Local PB in Warsaw, Praga-Południe | Kamionek"
    assert "description" not in instance.meta and instance.meta["unit"] == w.meta["unit"]
    assert w.budget == 308_298.85 and Fraction(instance.budget_limit) == Fraction(30_829_885, 100)
    # doubled apostrophes are text, not quoting; typographic quotes
    t = elections["warszawa_2019_targowek"][0]
    name = {p: m["name"] for p, m in zip(t.projects, t.project_meta, strict=True)}
    assert name["476"].startswith("Konkurs ''Kwietnik 2019'' na Targówku")
    assert name["607"].endswith("koncert jubileuszowy - „Zostawiam serce na ziemi”")
    assert t.project_meta[0]["category"] == "education,culture,public space"


@pytest.mark.parametrize("key", KEYS)
def test_completed_equal_shares_match_pabutools(
    key: str, elections: dict[str, tuple[PBElection, Any, Any]]
) -> None:
    e, instance, profile = elections[key]
    oracle = stored_outcomes()[key]
    if key in LIVE:  # the stored outcomes are pabutools' own
        assert pabutools_completed(instance, profile) == oracle
    kw: dict[str, Any] = {"tie_break": "lexicographic", "projects": e.projects}
    plain = equal_shares(e.approvals, e.costs, e.budget, **kw)
    done = equal_shares_completed(e.approvals, e.costs, e.budget, increment=INCREMENT, **kw)
    assert list(plain.ids) == oracle["plain"]
    assert list(done.mes.ids) == oracle["raised"]
    # every project here has a supporter, so pabutools' greedy funds none we leave out
    assert (e.approvals.sum(axis=0) > 0).all()
    assert list(done.ids) == oracle["completed"]
    golden = GOLDEN[key]
    assert plain.ids == golden["plain"]
    assert done.steps == golden["steps"] and done.mes.ids == golden["raised"]
    assert tuple(e.projects[j] for j in done.filled) == golden["filled"]
    assert done.total_cost == golden["total_cost"] <= e.budget
    # the last raise kept fits; one more share does not (or the kept one is exhaustive)
    assert done.mes.per_voter == pytest.approx(e.budget / e.approvals.shape[0] + done.steps)
    left = e.budget - done.total_cost
    unfunded = np.setdiff1d(np.arange(len(e.projects)), done.selected)
    assert (e.costs[unfunded] > left).all()  # nothing else fits in what is left
