"""Real PaBuLib elections stored in tests/data/pabulib (see its README.md), and both libraries'
completed equal shares on them: what tests/test_pabulib_real.py checks and
benchmarks/pabulib_real.py times.

Wrocław 2020 is stored as its META and PROJECTS sections only: every ballot approves exactly one
project (min_length = max_length = 1), so the per-project ``votes`` determine the profile up to
the voters' order, which equal shares does not depend on.  :func:`wroclaw_2020_text` rebuilds
the whole file from them (voter ``k`` approving the ``k``-th vote in project order).
"""

from __future__ import annotations

import csv
import io
from collections import Counter
from collections.abc import Sequence
from pathlib import Path
from typing import Any

DATA = Path(__file__).parent / "data" / "pabulib"
WROCLAW_2020 = DATA / "poland_wroclaw_2020.projects.pb"
LODZ_2020_KOZINY = DATA / "poland_lodz_2020_koziny.pb"
WARSZAWA_2017_KAMIONEK = DATA / "poland_warszawa_2017_kamionek.pb"
WARSZAWA_2019_TARGOWEK = DATA / "poland_warszawa_2019_targowek-fabryczny-elsnerow-i-utrata.pb"
PABUTOOLS_OUTCOMES = DATA / "pabutools_outcomes.json"
"""pabutools' outcomes on every election, written by ``benchmarks/pabulib_real.py
--write-outcomes`` (the test checks this file against pabutools live where that is quick)."""
INCREMENT = 1  # money per voter per raise, as the cities that use equal shares raise it

TITLES = {
    "wroclaw_2020": "Wrocław 2020",
    "lodz_2020_koziny": "Łódź 2020 Koziny",
    "warszawa_2017_kamionek": "Warsaw 2017 Kamionek",
    "warszawa_2019_targowek": "Warsaw 2019 Targówek Fabryczny",
}


def election_files(folder: Path) -> dict[str, Path]:
    """Every election's file, by key (Wrocław's rebuilt into ``folder``)."""
    wroclaw = folder / "poland_wroclaw_2020.pb"
    wroclaw.write_text(wroclaw_2020_text(), encoding="utf-8")
    return {
        "wroclaw_2020": wroclaw,
        "lodz_2020_koziny": LODZ_2020_KOZINY,
        "warszawa_2017_kamionek": WARSZAWA_2017_KAMIONEK,
        "warszawa_2019_targowek": WARSZAWA_2019_TARGOWEK,
    }


def _sections(text: str) -> dict[str, list[list[str]]]:
    """Rows of each section (header first), split as PaBuLib files are: on ``;``, CSV-quoted."""
    out: dict[str, list[list[str]]] = {}
    rows: list[list[str]] = []
    for row in csv.reader(io.StringIO(text, newline=""), delimiter=";"):
        if row and row[0].strip().lower() in ("meta", "projects", "votes"):
            rows = out.setdefault(row[0].strip().lower(), [])
        elif row:
            rows.append(row)
    return out


def _table(rows: list[list[str]]) -> list[dict[str, str]]:
    return [dict(zip(rows[0], r, strict=True)) for r in rows[1:]]


def vote_count_mismatches(text: str) -> list[str]:
    """What disagrees between a file's own totals and its ballots: each project's ``votes``
    against the ballots approving it, and ``num_votes``/``num_projects`` against the rows.
    Empty for a faithful copy."""
    s = _sections(text)
    meta = {r[0]: r[1] for r in s["meta"] if len(r) >= 2}
    projects = _table(s["projects"])
    ballots = _table(s["votes"])
    counted = Counter(p for b in ballots for p in b["vote"].split(",") if p)
    bad = [
        f"project {p['project_id']}: votes {p['votes']} but {counted[p['project_id']]} ballots"
        for p in projects
        if int(p["votes"]) != counted[p["project_id"]]
    ]
    if int(meta["num_votes"]) != len(ballots):
        bad.append(f"num_votes {meta['num_votes']} but {len(ballots)} ballots")
    if int(meta["num_projects"]) != len(projects):
        bad.append(f"num_projects {meta['num_projects']} but {len(projects)} projects")
    return bad


def wroclaw_2020_text() -> str:
    """The whole Wrocław 2020 file: the stored META and PROJECTS, then one ``voter_id;vote``
    line per vote (``votes`` of each project, in project order)."""
    head = WROCLAW_2020.read_text(encoding="utf-8")
    s = _sections(head)
    meta = {r[0]: r[1] for r in s["meta"] if len(r) >= 2}
    projects = _table(s["projects"])
    if meta["min_length"] != "1" or meta["max_length"] != "1":
        raise ValueError("Wrocław 2020 is rebuilt from vote counts only if every ballot has one")
    total = sum(int(p["votes"]) for p in projects)
    if total != int(meta["num_votes"]):
        raise ValueError(f"the votes column sums to {total}, not num_votes {meta['num_votes']}")
    ballots = [p["project_id"] for p in projects for _ in range(int(p["votes"]))]
    lines = ["VOTES", "voter_id;vote"] + [f"{k};{p}" for k, p in enumerate(ballots, start=1)]
    return head + "\n".join(lines) + "\n"


def pabutools_completed(
    instance: Any, profile: Any, multiprofile: bool = True, plain: bool = True
) -> dict[str, Any]:
    """pabutools on an election as its ``parse_pabulib`` reads it: equal shares at B / n
    (``plain``), iterated equal shares (``voter_budget_increment=INCREMENT``) alone (``raised``)
    and followed by ``greedy_utilitarian_welfare`` through ``completion_by_rule_combination``
    (``completed``); ``Cost_Sat``, lexicographic ties.  ``plain=False`` leaves the first out
    (``"plain"`` is then ``None``).

    ``multiprofile``: count identical ballots once, with their multiplicity (pabutools'
    ``ApprovalMultiProfile``, which its equal shares supports: the same election, and for
    Wrocław's 89,419 one-project ballots 76 distinct ones).
    """
    from pabutools.election import Cost_Sat
    from pabutools.rules import (
        completion_by_rule_combination,
        greedy_utilitarian_welfare,
        method_of_equal_shares,
    )
    from pabutools.tiebreaking import lexico_tie_breaking

    if multiprofile:
        profile = profile.as_multiprofile()
    ties = {"sat_class": Cost_Sat, "tie_breaking": lexico_tie_breaking}
    raised: list[str] = []

    def recorded_mes(*args: Any, **kwargs: Any) -> Any:
        """pabutools' equal shares, its outcome kept: what the raising alone funds."""
        out = method_of_equal_shares(*args, **kwargs)
        raised.extend(p.name for p in out)
        return out

    both = completion_by_rule_combination(
        instance,
        profile,
        [recorded_mes, greedy_utilitarian_welfare],
        [{**ties, "voter_budget_increment": INCREMENT}, ties],
    )
    at_b_over_n = method_of_equal_shares(instance, profile, **ties) if plain else None
    return {
        "budget": str(instance.budget_limit),
        "voters": int(profile.num_ballots()),
        "plain": None if at_b_over_n is None else [p.name for p in at_b_over_n],
        "raised": raised,
        "completed": [p.name for p in both],
    }


def approved(path: Path) -> set[str]:
    """Projects at least one ballot approves (pabutools' greedy also funds the others, last)."""
    from commonplan.voting.pabulib import read_pb

    e = read_pb(path)
    votes = e.approvals.sum(axis=0)
    return {p for p, v in zip(e.projects, votes, strict=True) if v > 0}


def supported_only(names: Sequence[str], supported: set[str]) -> list[str]:
    return [p for p in names if p in supported]
