"""Planning rounds: proposals → draft → feedback → vote → ratified, or the next round.

1. **proposals** — consumers' councils file final-use targets (``target``: private consumption,
   {product: amount} per year for the whole council) and collective proposals (``collective``: a
   canteen, nursery, clinic … as {product: amount}); workers' councils file the hours their
   members will work (``hours``: per member per year) and capacities (``capacity``: {process:
   most activity}).
2. **draft** — :func:`compute_draft` adds the proposals up the tree and computes the optimal plan:
   hard floors for everyone, private targets fulfilled as far as the hours (less the share set
   aside for collective proposals) and the round's caps allow; every collective proposal is
   costed in labour hours (λ·amounts: the hours it embodies, directly and in its inputs).
3. **feedback** — :func:`member_view` shows each member what the draft means for them (hours of
   work, how far their councils' proposals are met, what binds); councils amend their proposals.
4. **vote** — :func:`open_vote` opens two ballot boxes over the whole federation: the budget
   (approval ballots over collective proposals, counted by the Method of Equal Shares with the
   hours set aside as budget) and ratification (yes / no / abstain, quorum and threshold) of the
   plan the count produces.  :func:`cast_ballot` keeps who voted apart from how.
5. **ratified or failed** — :func:`close_vote` counts both boxes, computes the final plan (floors,
   private targets, the chosen collective proposals) and records it; a failed vote opens the next
   round with the proposals and amendments carried over, until ``max_rounds``.

Hard floors are outside every vote: a proposal or amendment under which the floors could no
longer be produced (fewer hours, a lower capacity) is refused with the diagnosis.  Every step is
one transaction and is appended to the audit log; plans are recorded with the hash of their
inputs, from which :func:`recompute` recomputes them exactly.
"""

from __future__ import annotations

import base64
import json
import re
import secrets
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import numpy as np
from sqlalchemy import bindparam, select, text
from sqlalchemy.exc import IntegrityError as DBIntegrityError
from sqlalchemy.orm import Session

from commonplan import audit
from commonplan.economy.model import LABOUR, Economy
from commonplan.errors import (
    AuthorisationError,
    BallotRefusedError,
    CommonplanError,
    FloorError,
    NotFoundError,
    PhaseError,
    PlanInputError,
)
from commonplan.federation import (
    council_named,
    count_members,
    economy_of,
    eligible_members,
    floors_of,
    is_eligible,
    member_named,
    subtree,
)
from commonplan.plan.balance import embodied
from commonplan.plan.optimize import TargetGroup, optimize
from commonplan.store import Database, get
from commonplan.store.models import (
    Ballot,
    Council,
    Draft,
    Federation,
    Member,
    Participation,
    Proposal,
    Question,
    Round,
)
from commonplan.voting import choices as voting

__all__ = [
    "KINDS",
    "PHASES",
    "BallotPaper",
    "Consequences",
    "cast_ballot",
    "cast_ballots",
    "close_vote",
    "compute_alternative",
    "compute_draft",
    "file_proposal",
    "member_view",
    "new_receipt",
    "open_round",
    "open_vote",
    "plan_inputs",
    "recompute",
    "withdraw_proposal",
]

PHASES = ("proposals", "feedback", "vote", "ratified", "failed")
RECEIPT = re.compile(r"[A-Za-z0-9-]{4,64}")
KINDS = {
    "target": "consumers",
    "collective": "consumers",
    "hours": "workers",
    "capacity": "workers",
}
"""Proposal kinds and the kind of council that files each."""


def _now() -> datetime:
    return datetime.now(UTC)


def _facilitator(s: Session, handle: str) -> Member:
    m = member_named(s, handle)
    if m.role != "facilitator":
        raise AuthorisationError(f"{handle!r} is not a facilitator; only facilitators run rounds")
    return m


def _round(s: Session, round_id: int, *phases: str) -> Round:
    r = get(s, Round, round_id, "round")
    if phases and r.phase not in phases:
        raise PhaseError(
            f"round {r.number} is in its {r.phase!r} phase; this step needs "
            f"{' or '.join(repr(p) for p in phases)}"
        )
    return r


def _root(s: Session, r: Round) -> Federation:
    return get(s, Federation, r.federation_id, "federation")


# ---------------------------------------------------------------------- 1. proposals


def open_round(
    db: Database, federation: int, *, actor: str, deadlines: Mapping[str, str] | None = None
) -> int:
    """Open the next planning round of ``federation`` (a facilitator's step); returns its id.

    ``deadlines``: {phase: date and time} for ``proposals``, ``feedback`` and ``vote`` (naive
    times are UTC); filing, amending and voting stop at the deadline of their phase.
    """
    with db.transaction() as s:
        _facilitator(s, actor)
        fed = get(s, Federation, federation, "federation")
        return _open(s, fed, actor, _deadlines(deadlines or {}), carried=[])


DATED = ("proposals", "feedback", "vote")
"""Phases that may end at a date: filing and amending proposals, and casting ballots, stop then."""


def _deadlines(deadlines: Mapping[str, str | datetime]) -> dict[str, str]:
    out = {}
    for phase, when in deadlines.items():
        if phase not in DATED:
            raise PlanInputError(f"deadlines are for the phases {', '.join(DATED)}; got {phase!r}")
        try:
            at = when if isinstance(when, datetime) else datetime.fromisoformat(str(when))
        except ValueError:
            raise PlanInputError(
                f"the {phase} deadline must be a date and time like 2026-12-01T18:00; got {when!r}"
            ) from None
        out[phase] = (at.replace(tzinfo=UTC) if at.tzinfo is None else at).isoformat()
    return out


def _in_time(r: Round, phase: str) -> None:
    """Refuse a step of ``phase`` after that phase's deadline."""
    end = r.deadlines.get(phase)
    if end is not None and _now() > datetime.fromisoformat(end):
        raise PhaseError(f"the {phase} phase of round {r.number} ended at {end}")


def _open(
    s: Session, fed: Federation, actor: str, deadlines: dict[str, Any], carried: Sequence[Proposal]
) -> int:
    rounds = s.execute(select(Round).where(Round.federation_id == fed.id)).scalars().all()
    running = [r for r in rounds if r.phase not in ("ratified", "failed")]
    if running:
        raise PhaseError(f"round {running[0].number} of {fed.name!r} is still running")
    if any(r.phase == "ratified" for r in rounds):
        raise PhaseError(f"{fed.name!r} has ratified its plan already")
    settings = fed.settings["rounds"]
    if len(rounds) >= settings["max_rounds"]:
        raise PhaseError(f"{fed.name!r} has held its {settings['max_rounds']} rounds")
    r = Round(
        federation_id=fed.id,
        number=len(rounds) + 1,
        phase="proposals",
        settings=dict(settings),
        deadlines=deadlines,
        opened_at=_now(),
    )
    s.add(r)
    s.flush()
    for p in carried:
        s.add(
            Proposal(
                round_id=r.id,
                council_id=p.council_id,
                kind=p.kind,
                title=p.title,
                amounts=p.amounts,
                hours=p.hours,
                filed_by=p.filed_by,
                filed_at=_now(),
            )
        )
    audit.append(
        s,
        actor=actor,
        action="round opened",
        subject=f"round {r.id}",
        payload={
            "federation": fed.id,
            "number": r.number,
            "carried": len(carried),
            "settings": r.settings,
            "deadlines": deadlines,
        },
    )
    return r.id


def file_proposal(
    db: Database,
    round_id: int,
    *,
    actor: str,
    council: str,
    kind: str,
    title: str,
    amounts: Mapping[str, float] | None = None,
    hours: float | None = None,
    amends: int | None = None,
) -> int:
    """File a proposal for ``council`` (the actor must be one of its members); returns its id.

    In the feedback phase only amendments (``amends``: the id of the proposal replaced) are
    taken.  Refused with :class:`FloorError` when the floors could not be produced under it.
    """
    with db.transaction() as s:
        r = _round(s, round_id, "proposals", "feedback")
        _in_time(r, r.phase)
        m = member_named(s, actor)
        c = council_named(s, council)
        if c.id not in (m.workers_council_id, m.consumers_council_id):
            raise AuthorisationError(f"{actor!r} is not a member of {council!r}")
        if c.federation_id not in subtree(s, r.federation_id):
            raise AuthorisationError(f"{council!r} is not part of this round's federation")
        if kind not in KINDS:
            raise PlanInputError(f"proposal kind must be one of {', '.join(KINDS)}; got {kind!r}")
        if KINDS[kind] != c.kind:
            raise PlanInputError(
                f"{kind!r} proposals come from {KINDS[kind]}' councils; "
                f"{council!r} is a {c.kind}' council"
            )
        if r.phase == "feedback" and amends is None:
            raise PhaseError("in the feedback phase proposals can only be amended (give amends=)")
        old = None
        if amends is not None:
            old = get(s, Proposal, amends, "proposal")
            if old.round_id != r.id or old.council_id != c.id or old.withdrawn:
                raise PlanInputError(
                    f"proposal {amends} is not a live proposal of {council!r} in this round"
                )
            if old.kind != kind:
                raise PlanInputError(
                    f"an amendment keeps the kind of proposal {amends} ({old.kind})"
                )
        if kind == "hours" and amends is None:
            filed = [p.id for p in _live(s, r) if p.kind == "hours" and p.council_id == c.id]
            if filed:
                raise PlanInputError(
                    f"{council!r} has proposed its hours already (proposal {filed[0]}); amend it"
                )
        economy = economy_of(_root(s, r).settings)
        p = Proposal(
            round_id=r.id,
            council_id=c.id,
            kind=kind,
            title=title,
            amounts=_amounts(economy, kind, amounts),
            hours=_hours(kind, hours),
            amends_id=amends,
            filed_by=m.id,
            filed_at=_now(),
        )
        if kind == "collective" and not _labour_cost(economy, p.amounts) > 0:
            raise PlanInputError(
                f"collective proposal {title!r} takes no labour to make (its products embody no "
                "hours): there is nothing to budget; propose it as a target"
            )
        if old is not None:
            old.withdrawn = True
        s.add(p)
        s.flush()
        if kind in ("hours", "capacity"):
            _check_floors(s, r, economy, f"{kind} proposal {title!r} of {council!r}")
        audit.append(
            s,
            actor=actor,
            action="proposal filed",
            subject=f"proposal {p.id}",
            payload={
                "round": r.id,
                "council": c.name,
                "kind": kind,
                "title": title,
                "amounts": p.amounts,
                "hours": p.hours,
                "amends": amends,
            },
        )
        return p.id


def withdraw_proposal(db: Database, proposal: int, *, actor: str) -> None:
    """Withdraw a proposal (a member of the council that filed it; proposals or feedback)."""
    with db.transaction() as s:
        p = get(s, Proposal, proposal, "proposal")
        r = _round(s, p.round_id, "proposals", "feedback")
        m = member_named(s, actor)
        if p.council_id not in (m.workers_council_id, m.consumers_council_id):
            raise AuthorisationError(f"{actor!r} is not a member of the council that filed it")
        p.withdrawn = True
        s.flush()
        if p.kind in ("hours", "capacity"):
            _check_floors(s, r, economy_of(_root(s, r).settings), f"withdrawing proposal {p.id}")
        audit.append(
            s,
            actor=actor,
            action="proposal withdrawn",
            subject=f"proposal {p.id}",
            payload={"round": r.id},
        )


def _amounts(economy: Economy, kind: str, amounts: Mapping[str, float] | None) -> dict[str, Any]:
    if kind == "hours":
        if amounts:
            raise PlanInputError("an hours proposal gives hours=, not amounts")
        return {}
    if not amounts:
        raise PlanInputError(f"a {kind} proposal needs amounts {{code: amount}}")
    names = economy.processes if kind == "capacity" else economy.products
    out = {}
    for code, value in amounts.items():
        if code not in names:
            what = "process" if kind == "capacity" else "product"
            raise PlanInputError(f"the economy has no {what} {code!r}")
        try:
            v = float(value)
        except (TypeError, ValueError):
            raise PlanInputError(
                f"the amount of {code!r} must be a number; got {value!r}"
            ) from None
        if not np.isfinite(v) or v < 0:
            raise PlanInputError(f"the amount of {code!r} must be a number ≥ 0; got {value!r}")
        out[str(code)] = v
    return out


def _hours(kind: str, hours: float | None) -> float | None:
    if kind != "hours":
        if hours is not None:
            raise PlanInputError(f"a {kind} proposal gives amounts=, not hours=")
        return None
    try:
        h = float(hours)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        raise PlanInputError(f"hours per member per year must be a number; got {hours!r}") from None
    if not 0 <= h <= 8760:
        raise PlanInputError(f"hours per member per year must be between 0 and 8,760; got {h:g}")
    return h


# ---------------------------------------------------------------------- 2. the plan's inputs


def _live(s: Session, r: Round) -> list[Proposal]:
    return list(
        s.execute(
            select(Proposal)
            .where(Proposal.round_id == r.id, Proposal.withdrawn.is_(False))
            .order_by(Proposal.id)
        ).scalars()
    )


def plan_inputs(
    s: Session,
    r: Round,
    *,
    chosen: Sequence[int] | None = None,
    caps: Mapping[str, float | str] | None = None,
) -> dict[str, Any]:
    """Everything the engine needs for round ``r``'s plan, as plain data (recorded and hashed).

    Floors = Σ per-person floor × people (members × people_per_member); labour cap = Σ over
    workers' councils of hours per member (its latest proposal, else the default) × members ×
    people_per_member; private targets = Σ target proposals; ``caps`` replaces the round's caps of
    those resources (an alternative draft); ``chosen``: the collective proposals
    the budget vote chose — in the final plan they are floors too (their hours were budgeted).
    """
    fed = _root(s, r)
    settings, rounds = fed.settings, r.settings
    scale = float(settings["people_per_member"])
    councils = list(
        s.execute(select(Council).where(Council.federation_id.in_(subtree(s, fed.id)))).scalars()
    )
    members = count_members(s, [c.id for c in councils])
    people = scale * len(s.execute(eligible_members(s, fed.id)).all())
    floors: dict[str, float] = {}
    for f in floors_of(s, fed.id):
        floors[f.product] = floors.get(f.product, 0.0) + f.per_person * people
    live = _live(s, r)
    hours = {c.id: float(settings["default_hours"]) for c in councils if c.kind == "workers"}
    capacities: dict[str, float] = {}
    targets: dict[str, float] = {}
    for p in live:
        if p.kind == "hours":
            hours[p.council_id] = float(p.hours or 0.0)
        elif p.kind == "capacity":
            for k, v in p.amounts.items():
                capacities[k] = capacities.get(k, 0.0) + v
        elif p.kind == "target":
            for k, v in p.amounts.items():
                targets[k] = targets.get(k, 0.0) + v
    for p in live:
        if p.kind == "collective" and chosen is not None and p.id in chosen:
            for k, v in p.amounts.items():
                floors[k] = floors.get(k, 0.0) + v
    labour = sum(h * members[c] * scale for c, h in hours.items())
    share = 0.0 if chosen is not None else float(rounds["collective_share"])
    inputs = {
        "economy": settings["economy"],
        "floors": floors,
        "targets": targets,
        "capacities": capacities,
        "caps": {**rounds.get("caps", {}), LABOUR: labour * (1 - share)},
        "hours_offered": labour,
        "collective_budget": labour * float(rounds["collective_share"]),
        "chosen": sorted(chosen) if chosen is not None else None,
    }
    if caps:
        if LABOUR in caps:
            raise PlanInputError("labour is capped by the hours the workers' councils offer")
        inputs["caps"] = {**inputs["caps"], **caps}
        inputs["alternative_caps"] = dict(caps)
    return inputs


def _solve(economy: Economy, inputs: Mapping[str, Any], *, floors_only: bool = False) -> Any:
    """The plan for ``inputs``: the floors, then the private targets in full with the fewest hours
    (what is left of the hours offered is free time); where the hours and caps do not allow the
    targets in full, the largest common fulfilment of them (Kantorovich)."""
    floors = inputs["floors"]
    targets = inputs["targets"] if not floors_only else {}
    if not any(targets.values()):  # nothing asked beyond the floors: plan the floors alone
        targets = floors if any(floors.values()) else {economy.products[0]: 0.0}
    if not any(targets.values()):
        raise PlanInputError("nothing to plan: no floors and no targets have been proposed")
    problem = {
        "targets": [TargetGroup("private", targets)],
        "floors": floors or None,
        "caps": inputs["caps"],
        "capacities": inputs["capacities"] or None,
    }
    best = optimize(economy, objective="max_fulfilment", **problem)
    if floors_only or best.status != "optimal" or best.fulfilment["private"] < 1:
        return best
    return optimize(economy, objective="min_labour", **problem)


def _labour_cost(economy: Economy, amounts: Mapping[str, float]) -> float:
    """λ·amounts: the hours a bundle embodies, directly and in all its inputs."""
    lam = embodied(economy)
    return float(sum(lam[economy.product_index(k)] * v for k, v in amounts.items()))


def _check_floors(s: Session, r: Round, economy: Economy, what: str) -> None:
    inputs = plan_inputs(s, r)
    inputs["caps"] = {**inputs["caps"], LABOUR: inputs["hours_offered"]}
    if not any(inputs["floors"].values()):
        return
    result = _solve(economy, inputs, floors_only=True)
    if result.status == "infeasible":
        why = result.diagnosis.message if result.diagnosis is not None else result.message
        raise FloorError(
            f"refused: under the {what} the hard floors (food, housing, health, "
            f"care) could no longer all be produced. {why}"
        )


def _record(s: Session, r: Round, stage: str, inputs: dict[str, Any], actor: str) -> Draft:
    economy = economy_of(_root(s, r).settings)
    inputs = {**inputs, "economy_sha256": economy.sha256}
    result = audit.plain(_solve(economy, inputs).to_dict())
    d = Draft(
        round_id=r.id,
        stage=stage,
        inputs=inputs,
        inputs_sha256=audit.digest(inputs),
        result=result,
        result_sha256=audit.digest(result),
        computed_at=_now(),
    )
    s.add(d)
    s.flush()
    audit.append(
        s,
        actor=actor,
        action="plan computed",
        subject=f"plan {d.id}",
        payload={
            "round": r.id,
            "stage": stage,
            "inputs_sha256": d.inputs_sha256,
            "result_sha256": d.result_sha256,
            "status": result["status"],
        },
    )
    return d


def recompute(db: Database, plan: int) -> dict[str, Any]:
    """Recompute a recorded plan from its recorded inputs; returns {same, recorded, recomputed}.

    ``same`` compares the plan's numbers (fulfilment, activity, use, prices) to 1e-9 relative —
    the solver's tolerance; timings and iteration counts are not compared.
    """
    with db.transaction() as s:
        d = get(s, Draft, plan, "plan")
        economy = economy_of({"economy": d.inputs["economy"]})
        if economy.sha256 != d.inputs["economy_sha256"]:
            raise PlanInputError(
                f"plan {plan} was computed from another economy "
                f"(sha256 {d.inputs['economy_sha256'][:12]}…)"
            )
        again = audit.plain(_solve(economy, d.inputs).to_dict())
        return {"same": _same_plan(d.result, again), "recorded": d.result, "recomputed": again}


def _same_plan(a: Mapping[str, Any], b: Mapping[str, Any]) -> bool:
    """Same status and the same numbers to 1e-6 relative (of each vector's largest entry)."""
    if a["status"] != b["status"]:
        return False
    for key in ("fulfilment", "activity", "net_output", "use"):
        if not _close_maps(a.get(key) or {}, b.get(key) or {}):
            return False
    pa, pb = a.get("shadow_prices") or {}, b.get("shadow_prices") or {}
    return all(_close_maps(pa.get(k) or {}, pb.get(k) or {}) for k in ("products", "caps"))


def _close_maps(x: Mapping[str, Any], y: Mapping[str, Any]) -> bool:
    keys = sorted(set(x) | set(y))
    u = np.array([_f(x.get(k, 0.0)) for k in keys])
    v = np.array([_f(y.get(k, 0.0)) for k in keys])
    scale = max(1.0, float(np.abs(u).max(initial=0.0)))
    return bool(np.allclose(u, v, rtol=1e-6, atol=1e-6 * scale))


def _f(v: Any) -> float:
    return float(v)


def compute_draft(db: Database, round_id: int, *, actor: str) -> int:
    """Aggregate the proposals, compute the draft plan, cost the collective proposals in hours,
    and move the round to feedback (a facilitator's step); returns the plan's id."""
    with db.transaction() as s:
        _facilitator(s, actor)
        r = _round(s, round_id, "proposals", "feedback")
        d = _draft(s, r, actor)
        r.phase = "feedback"
        return d.id


def _draft(s: Session, r: Round, actor: str, inputs: dict[str, Any] | None = None) -> Draft:
    """Cost the collective proposals in hours and record the draft (``inputs``: the round's
    :func:`plan_inputs`, where the caller has them already)."""
    economy = economy_of(_root(s, r).settings)
    for p in _live(s, r):
        if p.kind == "collective":
            p.labour_cost = _labour_cost(economy, p.amounts)
    return _record(s, r, "draft", inputs if inputs is not None else plan_inputs(s, r), actor)


def compute_alternative(
    db: Database, round_id: int, *, title: str, caps: Mapping[str, float | str], actor: str
) -> int:
    """An alternative draft with other caps (e.g. CO2 at 60 % instead of 70 %) for members to rank
    against the draft in the vote (Schulze); a facilitator's step in feedback; returns its id."""
    with db.transaction() as s:
        _facilitator(s, actor)
        r = _round(s, round_id, "feedback")
        inputs = {**plan_inputs(s, r, caps=caps), "title": title}
        return _record(s, r, "alternative", inputs, actor).id


def _alternatives(s: Session, r: Round) -> list[Draft]:
    query = select(Draft).where(Draft.round_id == r.id, Draft.stage == "alternative")
    return list(s.execute(query.order_by(Draft.id)).scalars())


@dataclass(frozen=True)
class Consequences:
    """What a plan means for one member."""

    member: str
    hours_per_year: float | None
    hours_proposed: float | None
    fulfilment: float | None
    proposals: tuple[dict[str, Any], ...]
    binding: tuple[str, ...]
    prices: dict[str, float]
    status: str


def member_view(db: Database, round_id: int, *, member: str, top: int = 5) -> Consequences:
    """The latest plan of the round as it touches ``member``: the hours they would work (their
    council's offer × the share of offered hours the plan uses), how far each of their councils'
    proposals is met, what binds, and the dearest products in labour hours."""
    with db.transaction() as s:
        r = _round(s, round_id)
        m = member_named(s, member)
        d = (
            s.execute(select(Draft).where(Draft.round_id == r.id).order_by(Draft.id.desc()))
            .scalars()
            .first()
        )
        if d is None:
            raise PhaseError(f"round {r.number} has no draft plan yet")
        res = d.result
        offered = d.inputs["hours_offered"]
        used = (res.get("use") or {}).get(LABOUR)
        share = float(used) / offered if used is not None and offered else None
        own = [c for c in (m.workers_council_id, m.consumers_council_id) if c is not None]
        default = float(_root(s, r).settings["default_hours"])
        proposed = default if m.workers_council_id is not None else None
        chosen = d.inputs.get("chosen")
        t = (res.get("fulfilment") or {}).get("private")
        mine = []
        for p in _live(s, r):
            if p.council_id not in own:
                continue
            if p.kind == "hours":
                proposed = p.hours
            met: Any = t if p.kind == "target" else None
            if p.kind == "collective":
                met = None if chosen is None else (1.0 if p.id in chosen else 0.0)
            mine.append(
                {
                    "id": p.id,
                    "kind": p.kind,
                    "title": p.title,
                    "met": met,
                    "labour_cost": p.labour_cost,
                }
            )
        prices = (res.get("shadow_prices") or {}).get("products") or {}
        dear = dict(sorted(prices.items(), key=lambda kv: -_f(kv[1]))[:top])
        return Consequences(
            member=m.handle,
            hours_per_year=proposed * share if proposed is not None and share is not None else None,
            hours_proposed=proposed,
            fulfilment=_f(t) if t is not None else None,
            proposals=tuple(mine),
            binding=tuple(res.get("binding") or ()),
            prices={k: _f(v) for k, v in dear.items()},
            status=res["status"],
        )


# ---------------------------------------------------------------------- 4. the vote


def open_vote(db: Database, round_id: int, *, actor: str) -> dict[str, int]:
    """Open the budget and ratification ballot boxes (recomputing the draft if proposals were
    amended since), and a ranked box over the draft and its alternatives where there are any;
    returns {"budget": id, "ratify" (or "consent" where the round ratifies by consent): id[,
    "ranked": id]}."""
    with db.transaction() as s:
        _facilitator(s, actor)
        r = _round(s, round_id, "feedback")
        last = (
            s.execute(
                select(Draft)
                .where(Draft.round_id == r.id, Draft.stage == "draft")
                .order_by(Draft.id.desc())
            )
            .scalars()
            .first()
        )
        inputs = plan_inputs(s, r)  # the proposals as they stand: the vote is on these
        if last is None or last.inputs_sha256 != audit.digest(
            {**inputs, "economy_sha256": last.inputs["economy_sha256"]}
        ):
            _draft(s, r, actor, inputs)
        collective = [p for p in _live(s, r) if p.kind == "collective"]
        rules = r.settings
        boxes = {
            "budget": {
                "projects": [str(p.id) for p in collective],
                "titles": [p.title for p in collective],
                "costs": [p.labour_cost for p in collective],
                "budget": inputs["collective_budget"],
                "utility": rules["mes_utility"],
                "tie_break": rules["tie_break"],
            },
        }
        if rules.get("ratification", "approval") == "consent":
            boxes["consent"] = {"quorum": rules["quorum"]}
        else:
            boxes["ratify"] = {k: rules[k] for k in ("quorum", "threshold", "strict")}
        alternatives = _alternatives(s, r)
        if alternatives:  # ties go to the draft, then to the alternative proposed first
            candidates = ["draft", *(str(d.id) for d in alternatives)]
            boxes["ranked"] = {
                "candidates": candidates,
                "titles": ["the draft", *(d.inputs["title"] for d in alternatives)],
                "tie_break": candidates,
            }
        ids = {}
        for kind, options in boxes.items():
            q = Question(
                round_id=r.id,
                kind=kind,
                federation_id=r.federation_id,
                options=options,
                status="open",
            )
            s.add(q)
            s.flush()
            ids[kind] = q.id
            audit.append(
                s,
                actor=actor,
                action="ballot box opened",
                subject=f"question {q.id}",
                payload={"round": r.id, "kind": kind, "options": options},
            )
        r.phase = "vote"
        return ids


@dataclass(frozen=True)
class BallotPaper:
    """One ballot to cast: ``member``'s ``choice`` on ``question``; ``receipt`` to retry one
    whose answer was lost (else a new code is drawn)."""

    question: int
    member: str
    choice: Mapping[str, Any]
    receipt: str | None = None


def cast_ballot(
    db: Database,
    question: int,
    *,
    member: str,
    choice: Mapping[str, Any],
    receipt: str | None = None,
) -> str:
    """Cast ``member``'s ballot; returns the receipt code that finds it on the board after close.

    One member, one ballot per question, only in questions of their own federation.  A retry —
    the same receipt and the same choice after a lost reply — returns the same receipt and changes
    nothing; any other second ballot is refused, and so is a ballot after the box closed.
    """
    out = cast_ballots(db, [BallotPaper(question, member, choice, receipt)])[0]
    if isinstance(out, CommonplanError):
        raise out
    return out


def cast_ballots(db: Database, papers: Sequence[BallotPaper]) -> list[str | CommonplanError]:
    """Cast many ballots at once — the group commit of a busy service: for each paper its
    receipt code, or the error :func:`cast_ballot` raises for it (nothing of a refused paper is
    written, and it does not stop the others).

    On PostgreSQL the papers are cast in one transaction and one statement (the boxes read
    share-locked, then every member's lookup, eligibility check and both inserts); a paper that
    statement does not cast — a second ballot, a taken receipt, the same member or receipt twice
    in the batch — is cast again on its own afterwards, in the order given, for
    :func:`cast_ballot`'s answer; a race with another transaction (a unique constraint) sends
    the whole batch that way.  Within a batch the ballot rows are written in the order of their
    random ids, not the voters'.  On SQLite each
    paper is its own transaction (SQLite writes one at a time anyway).
    """
    if db.engine.dialect.name != "postgresql":
        return [_cast_portable(db, p) for p in papers]
    out, undecided = _cast_postgresql(db, papers)
    for i in sorted(undecided):  # in the order given: of two papers of one member, the first counts
        p, (clean, status), code = papers[i], undecided[i], out[i]
        if len(papers) > 1:  # once more on its own: what the batch left undecided is explained then
            out[i] = cast_ballots(db, [p])[0]
        elif isinstance(code, str):  # (the code it tried: an undecided paper has one)
            out[i] = _refusal(db, p, code, clean, status)
    return out


def _code(p: BallotPaper) -> str:
    """The paper's receipt code, checked; a new one when it brings none."""
    code = p.receipt or new_receipt()
    if not RECEIPT.fullmatch(code):
        raise BallotRefusedError(
            f"a receipt code is 4–64 letters, digits and dashes; got {code[:80]!r}"
        )
    return code


def _cast_portable(db: Database, p: BallotPaper) -> str | CommonplanError:
    """One paper in one transaction, through the ORM (SQLite)."""
    clean: dict[str, Any] = {}
    status = ""
    try:
        code = _code(p)
        with db.transaction() as s:
            # FOR SHARE: a close (FOR UPDATE) waits for ballots in flight, and they for it
            row = s.execute(
                select(Question, Round)
                .join(Round, Round.id == Question.round_id)
                .where(Question.id == p.question)
                .with_for_update(read=True, of=Question)
            ).first()
            if row is None:
                raise NotFoundError(f"no question with id {p.question}")
            q, r = row
            clean, status = voting.check_choice(q.kind, q.options, p.choice), q.status
            if q.status == "open":
                _in_time(r, "vote")
                m = member_named(s, p.member)
                if not is_eligible(s, q.federation_id, m):
                    raise BallotRefusedError(
                        f"{p.member!r} is not a member of a council that votes on question {q.id}"
                    )
                s.add(Participation(question_id=q.id, member_id=m.id))
                s.add(
                    Ballot(id=secrets.token_hex(16), question_id=q.id, receipt=code, choice=clean)
                )
                s.flush()
                return code
    except DBIntegrityError:  # voted already (a retry, or a second ballot), or receipt taken
        pass
    except CommonplanError as e:
        return e
    return _refusal(db, p, code, clean, status)


def _refusal(
    db: Database, p: BallotPaper, code: str, clean: dict[str, Any], status: str
) -> str | CommonplanError:
    """Why a paper of an eligible member was not cast: it is a retry of the ballot already cast
    (its receipt comes back), the member voted already, the box is closed, or the receipt is
    taken."""
    with db.transaction() as s:
        voted = s.execute(
            select(Participation.id)
            .join(Member, Member.id == Participation.member_id)
            .where(Participation.question_id == p.question, Member.handle == p.member)
        ).first()
        stored = s.execute(
            select(Ballot.choice).where(Ballot.question_id == p.question, Ballot.receipt == code)
        ).scalar_one_or_none()
    if voted is not None and p.receipt is not None and stored == clean:  # the same ballot again
        return p.receipt
    if voted is not None:
        return BallotRefusedError(f"{p.member!r} has voted on question {p.question} already")
    if status != "open":
        return BallotRefusedError(f"question {p.question} is closed; no more ballots")
    return BallotRefusedError(f"the receipt code {code!r} is in use; choose another (or none)")


_BOX = (
    select(
        Question.kind,
        Question.options,
        Question.status,
        Question.federation_id,
        Round.number,
        Round.deadlines,
    )
    .join(Round, Round.id == Question.round_id)
    .where(Question.id == bindparam("question"))
    .with_for_update(read=True, of=Question)
)
"""A ballot box and its round's deadlines, share-locked: a close (FOR UPDATE) waits for the
ballots in flight, and they for it."""

_CAST = text(
    """
    WITH RECURSIVE nodes(root, id) AS (
        SELECT id, id FROM federation WHERE id = ANY(CAST(:federations AS integer[]))
        UNION ALL
        SELECT nodes.root, f.id FROM federation f JOIN nodes ON f.parent_id = nodes.id
    ),
    paper AS (
        SELECT * FROM unnest(
            CAST(:papers AS integer[]), CAST(:questions AS integer[]),
            CAST(:boxes AS integer[]), CAST(:handles AS text[]),
            CAST(:ballots AS text[]), CAST(:receipts AS text[]), CAST(:choices AS text[])
        ) AS t(i, question, federation, handle, ballot, receipt, choice)
    ),
    m AS (
        SELECT paper.*, member.id AS member, EXISTS (
            SELECT 1 FROM council c
            WHERE c.id IN (member.workers_council_id, member.consumers_council_id)
              AND c.federation_id IN (SELECT id FROM nodes WHERE root = paper.federation)
        ) AS eligible
        FROM paper LEFT JOIN member ON member.handle = paper.handle
    ),
    ok AS (
        SELECT * FROM m
        WHERE eligible
          AND NOT EXISTS (
              SELECT 1 FROM participation v
              WHERE v.question_id = m.question AND v.member_id = m.member
          )
          AND NOT EXISTS (
              SELECT 1 FROM ballot b WHERE b.question_id = m.question AND b.receipt = m.receipt
          )
    ),
    who AS (
        INSERT INTO participation (question_id, member_id)
        SELECT question, member FROM ok ORDER BY question, member
    ),
    how AS (
        INSERT INTO ballot (id, question_id, receipt, choice)
        SELECT ballot, question, receipt, CAST(choice AS json) FROM ok ORDER BY ballot
    )
    SELECT m.i, m.member, m.eligible, m.i IN (SELECT i FROM ok) AS cast FROM m
    """
)
"""Many papers in one statement (PostgreSQL): each member's lookup and eligibility check (a
council in the subtree of the question's federation); the participation and ballot rows of
those eligible who have not voted and whose receipt is free — the ballots in the order of their
random ids; for each paper (i) the member's id, eligible, cast.  A race with another
transaction violates a unique constraint."""


def _cast_postgresql(
    db: Database, papers: Sequence[BallotPaper]
) -> tuple[list[str | CommonplanError], dict[int, tuple[dict[str, Any], str]]]:
    """The batch of :func:`cast_ballots` on PostgreSQL, on a plain connection: the boxes read
    share-locked (in order of id), each paper checked as :func:`cast_ballot` checks it, then
    :data:`_CAST`.  Returns the answers so far, and the papers left undecided (with their
    ballot in its stored form and the box's status): not cast though nobody refused them."""
    out: list[str | CommonplanError] = [""] * len(papers)
    undecided: dict[int, tuple[dict[str, Any], str]] = {}
    clean: dict[int, dict[str, Any]] = {}
    batch: dict[tuple[int, str], int] = {}  # (question, member) → paper
    receipts: set[tuple[int, str]] = set()
    try:
        with db.engine.begin() as c:
            boxes = {
                q: c.execute(_BOX, {"question": q}).first()
                for q in sorted({p.question for p in papers})
            }
            for i, p in enumerate(papers):
                box = boxes[p.question]
                try:
                    out[i] = _code(p)
                    if box is None:
                        raise NotFoundError(f"no question with id {p.question}")
                    kind, options, status, _, number, deadlines = box
                    clean[i] = voting.check_choice(kind, options, p.choice)
                    if status == "open":
                        _in_time(Round(number=number, deadlines=deadlines), "vote")
                except CommonplanError as e:
                    out[i] = e
                    continue
                receipt = (p.question, str(out[i]))
                if status != "open" or (p.question, p.member) in batch or receipt in receipts:
                    undecided[i] = (clean[i], status)
                else:
                    batch[p.question, p.member] = i
                    receipts.add(receipt)
            if not batch:
                return out, undecided
            federation = {q: box[3] for q, box in boxes.items() if box is not None}
            # A plan for the sizes at hand: the driver prepares a statement it runs often, and
            # PostgreSQL's generic plan of it scans the growing ballot tables (30 ms a batch).
            c.exec_driver_sql("SET LOCAL plan_cache_mode = force_custom_plan")
            cast = c.execute(
                _CAST,
                {
                    "papers": list(batch.values()),
                    "questions": [q for q, _ in batch],
                    "boxes": [federation[q] for q, _ in batch],
                    "federations": sorted({federation[q] for q, _ in batch}),
                    "handles": [m for _, m in batch],
                    "ballots": [secrets.token_hex(16) for _ in batch],
                    "receipts": [out[i] for i in batch.values()],
                    "choices": [json.dumps(clean[i]) for i in batch.values()],
                },
            ).all()
    except DBIntegrityError:  # a race with another transaction: each paper on its own
        return out, undecided | {i: (clean[i], "open") for i in batch.values()}
    for i, member, eligible, done in cast:
        p = papers[i]
        if member is None:
            out[i] = NotFoundError(f"no member with handle {p.member!r}")
        elif not eligible:
            out[i] = BallotRefusedError(
                f"{p.member!r} is not a member of a council that votes on question {p.question}"
            )
        elif not done:
            undecided[i] = (clean[i], "open")
    return out, undecided


def new_receipt() -> str:
    """A receipt code: 80 random bits in four groups of base-32, e.g. ``K7QF-2MXA-…``."""
    code = base64.b32encode(secrets.token_bytes(10)).decode()
    return "-".join(code[i : i + 4] for i in range(0, 16, 4))


def close_vote(db: Database, round_id: int, *, actor: str) -> dict[str, Any]:
    """Close and count every ballot box of the round, in one transaction: the budget by equal
    shares, then ratification; record the final plan; ratify the round or open the next one.

    A crash at any point leaves the round as it was before (boxes open, every ballot kept).
    """
    with db.transaction() as s:
        _facilitator(s, actor)
        r = _round(s, round_id, "vote")
        results = {}
        for q in s.execute(
            select(Question)
            .where(Question.round_id == r.id, Question.status == "open")
            .order_by(Question.id)
            .with_for_update()
        ).scalars():
            results[q.kind] = _close(s, q, actor)
        chosen = [int(p) for p in (results.get("budget") or {}).get("selected", [])]
        caps = None
        winner = (results.get("ranked") or {}).get("winner", "draft")
        if winner != "draft":
            caps = get(s, Draft, int(winner), "alternative draft").inputs["alternative_caps"]
        final = _record(s, r, "final", plan_inputs(s, r, chosen=chosen, caps=caps), actor)
        approved = bool((results.get("ratify") or {}).get("ratified")) or bool(
            (results.get("consent") or {}).get("passed")
        )
        ratified = approved and final.result["status"] == "optimal"
        r.phase = "ratified" if ratified else "failed"
        r.closed_at = _now()
        r.outcome = {
            "ratified": ratified,
            "plan": final.id,
            "chosen": chosen,
            "results": results,
            "next_round": None,
        }
        fed = _root(s, r)
        if not ratified and r.number < r.settings["max_rounds"]:
            r.outcome = {**r.outcome, "next_round": _open(s, fed, actor, {}, _live(s, r))}
        audit.append(
            s,
            actor=actor,
            action="round ratified" if ratified else "round failed",
            subject=f"round {r.id}",
            payload=r.outcome,
        )
        return dict(r.outcome)


def _close(s: Session, q: Question, actor: str) -> dict[str, Any]:
    ballots = [
        (b.receipt, b.choice)
        for b in s.execute(select(Ballot).where(Ballot.question_id == q.id)).scalars()
    ]
    eligible = len(s.execute(eligible_members(s, q.federation_id)).all())
    result: dict[str, Any] = audit.plain(
        voting.count(q.kind, q.options, [c for _, c in sorted(ballots)], eligible)
    )
    q.status, q.result, q.closed_at = "closed", result, _now()
    q.box_sha256 = audit.box_digest(ballots)
    audit.append(
        s,
        actor=actor,
        action="ballot box closed",
        subject=f"question {q.id}",
        payload={
            "ballots": len(ballots),
            "eligible": eligible,
            "box_sha256": q.box_sha256,
            "result_sha256": audit.digest(result),
        },
    )
    return result
