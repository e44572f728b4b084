"""Helpers shared by several test modules (test modules import from here, never each other).

``small_federation(tag)`` is a federation of one commune with a farm, a mill and a street on the
Swedish demo table; ``small_members(tag)`` its four members (a farmer, a miller, a neighbour and a
facilitator who also works on the farm); ``ratified_round(db, federation)`` puts a ratified round
in place, reporting monthly from January 2027, for the tests of what comes after the vote.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from commonplan.store import Database
from commonplan.store.models import Round


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


def ratified_round(db: Database, federation: int) -> int:
    """A round of ``federation`` in its ratified phase, reporting monthly from January 2027.

    What comes after the vote needs only a ratified round; running a whole round would test the
    rounds again (tests/test_rounds.py does), so the round is put in place directly."""
    with db.transaction() as s:
        r = Round(
            federation_id=federation,
            number=1,
            phase="ratified",
            settings={"reporting": {"start": "2027-01", "every": "month", "periods": 12}},
            deadlines={},
            opened_at=datetime(2026, 11, 1, tzinfo=UTC),
            closed_at=datetime(2026, 12, 20, tzinfo=UTC),
        )
        s.add(r)
        s.flush()
        return r.id
