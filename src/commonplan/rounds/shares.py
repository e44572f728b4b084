"""What a plan gives each person of a member's consumers' council, product by product, against
what the economy's people had in the table's year ("today").

For product *p*, per person of the council and per year, in the economy's output unit:

* asked    = floor_p + T_p / people            (T_p: the council's live target proposals for *p*)
* planned  = floor_p + t · T_p / people        (t: how far the plan meets the private targets)
* today    = y_p / population                  (y: the economy's final demand, all final uses)

where people = the council's members × the federation's ``people_per_member`` and floor_p is the
federation's hard floor per person.  The population is the table's (``population`` in its
``meta.json``: Sweden's 9,995,153 on 31 December 2016 for the demo); where a table gives none,
``today`` is ``None``.  Final demand counts every final use — households, public services,
investment and exports — so "today" is an upper bound on what a person consumed, said so where
it is shown.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from commonplan.federation import count_members, economy_of, floors_of, member_named
from commonplan.rounds.phases import root_of, round_at
from commonplan.rounds.plans import latest_draft, live_proposals
from commonplan.store import Database
from commonplan.store.models import Council

__all__ = ["PerPerson", "WhatWeGet", "per_person_unit", "what_we_get"]

_SCALES = {"thousand": 1e3, "million": 1e6, "billion": 1e9}


def per_person_unit(unit: str) -> tuple[float, str]:
    """The factor and unit to show an amount per person in: ``"million SEK"`` → (1e6, "SEK"),
    since a person's share of a million is read better in kronor; any other unit unchanged."""
    word, _, rest = unit.strip().partition(" ")
    factor = _SCALES.get(word.casefold())
    return (factor, rest) if factor is not None and rest else (1.0, unit)


@dataclass(frozen=True)
class PerPerson:
    """One product as the plan gives it to each person of the council, a year, in
    :attr:`WhatWeGet.unit`: ``asked`` (the floor and the council's targets met in full),
    ``planned`` (as far as the plan meets them), ``floor`` (the hard floor alone, never cut) and
    ``today`` (the economy's final demand per inhabitant in the table's year; ``None`` where
    the table gives no population).  :attr:`change` is planned against today, where today is
    positive (a table's final demand may be negative: stocks drawn down)."""

    product: str
    name: str
    need: str | None
    asked: float
    planned: float
    floor: float
    today: float | None

    @property
    def change(self) -> float | None:
        """planned / today − 1, where today is known and positive."""
        return self.planned / self.today - 1 if self.today is not None and self.today > 0 else None


@dataclass(frozen=True)
class WhatWeGet:
    """What plan ``plan`` gives each person of ``member``'s consumers' council ``council``
    (``people`` people), per product, in ``unit`` a year (the economy's output unit scaled to a
    person, see :func:`per_person_unit`); ``fulfilment`` is how far it meets the private
    targets; ``population`` and ``year_demand`` (the final demand's name) say what "today" is.
    Where the plan is not ``optimal`` (``status``: infeasible, failed) it gives nothing to count
    on, and ``rows`` is empty."""

    member: str
    plan: int
    status: str
    council: str | None
    people: float
    unit: str
    fulfilment: float | None
    population: float | None
    year_demand: str
    rows: tuple[PerPerson, ...]


def what_we_get(db: Database, round_id: int, *, member: str, plan: int | None = None) -> WhatWeGet:
    """What the round's latest plan (or its ``plan``) gives each person of ``member``'s
    consumers' council, product by product, against today (module docstring: the equations).
    Rows: every product the council asks for and every product with a hard floor, the largest
    planned amount first.  A member in no consumers' council gets the floors alone."""
    with db.transaction() as s:
        r = round_at(s, round_id)
        m = member_named(s, member)
        d = latest_draft(s, r, plan)
        fed = root_of(s, r)
        scale = float(fed.settings["people_per_member"])
        council = s.get(Council, m.consumers_council_id) if m.consumers_council_id else None
        people = scale * count_members(s, [council.id])[council.id] if council else 0.0
        targets: dict[str, float] = {}
        for p in live_proposals(s, r):
            if council is not None and p.council_id == council.id and p.kind == "target":
                for k, v in p.amounts.items():
                    targets[k] = targets.get(k, 0.0) + float(v)
        floors: dict[str, tuple[float, str]] = {}
        for f in floors_of(s, fed.id):
            old = floors.get(f.product, (0.0, f.need))
            floors[f.product] = (old[0] + f.per_person, old[1])
        t = (d.result.get("fulfilment") or {}).get("private")
        status = str(d.result.get("status"))
        settings, plan_id, handle = dict(fed.settings), d.id, m.handle
        council_name = council.name if council is not None else None
    economy = economy_of(settings)
    factor, unit = per_person_unit(economy.units.get("output", ""))
    population = economy.meta.get("population")
    demand_name, demand = economy.demand(None) if economy.final_demand else ("", None)
    met = float(t) if t is not None else None
    rows = []
    for code in sorted(set(targets) | set(floors)) if status == "optimal" else ():
        floor, need = floors.get(code, (0.0, None))
        own = targets.get(code, 0.0) / people if people else 0.0
        i = economy.product_index(code)
        today = None
        if population is not None and demand is not None:
            today = float(demand[i]) / float(population) * factor
        rows.append(
            PerPerson(
                product=code,
                name=economy.names[i],
                need=need,
                asked=(floor + own) * factor,
                planned=(floor + (met if met is not None else 0.0) * own) * factor,
                floor=floor * factor,
                today=today if today is None or math.isfinite(today) else None,
            )
        )
    rows.sort(key=lambda row: (-row.planned, row.product))
    return WhatWeGet(
        member=handle,
        plan=plan_id,
        status=status,
        council=council_name,
        people=people,
        unit=unit,
        fulfilment=met,
        population=float(population) if population is not None else None,
        year_demand=demand_name,
        rows=tuple(rows),
    )
