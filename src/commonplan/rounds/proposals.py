"""Proposals: filing, amending and withdrawing them, and the checks of their amounts.

Consumers' councils file final-use targets (``target``: {product: amount} per year for the whole
council) and collective proposals (``collective``: a canteen, nursery, clinic … as {product:
amount}); workers' councils file the hours their members will work (``hours``: per member per
year) and capacities (``capacity``: {process: most activity}).  A proposal or amendment under
which the hard floors could no longer be produced is refused with the diagnosis.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
from sqlalchemy.orm import Session

from commonplan import audit
from commonplan.economy.model import Economy
from commonplan.errors import AuthorisationError, PhaseError, PlanInputError, said
from commonplan.federation import council_named, economy_of, member_named, subtree
from commonplan.rounds.phases import facilitator, in_time, now, root_of, round_at
from commonplan.rounds.plans import check_floors, labour_cost, live_proposals
from commonplan.store import Database, get
from commonplan.store.models import Council, Member, Proposal, Round

__all__ = [
    "KINDS",
    "ProposalCost",
    "amendable",
    "check_amend",
    "cost_proposal",
    "file_proposal",
    "hide_proposal",
    "withdraw_proposal",
]

KINDS = {
    "target": "consumers",
    "collective": "consumers",
    "hours": "workers",
    "capacity": "workers",
}
"""Proposal kinds and the kind of council that files each."""


def _check_kind(kind: str) -> None:
    if kind not in KINDS:
        raise PlanInputError(
            said(
                "proposal kind must be one of {kinds}; got {kind!r}",
                kinds=", ".join(KINDS),
                kind=kind,
            )
        )


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
        r = round_at(s, round_id, "proposals", "feedback")
        in_time(r, r.phase)
        m = member_named(s, actor)
        c = council_named(s, council)
        if c.id not in (m.workers_council_id, m.consumers_council_id):
            raise AuthorisationError(
                said("{actor!r} is not a member of {council!r}", actor=actor, council=council)
            )
        if c.federation_id not in subtree(s, r.federation_id):
            raise AuthorisationError(
                said("{council!r} is not part of this round's federation", council=council)
            )
        _check_kind(kind)
        if KINDS[kind] != c.kind:
            raise PlanInputError(
                said(
                    "{kind!r} proposals come from {needed}' councils; "
                    "{council!r} is a {council_kind}' "
                    "council",
                    kind=kind,
                    needed=KINDS[kind],
                    council=council,
                    council_kind=c.kind,
                )
            )
        if r.phase == "feedback" and amends is None:
            raise PhaseError(
                said("in the feedback phase proposals can only be amended (give amends=)")
            )
        old = None
        if amends is not None:
            old = get(s, Proposal, amends, "proposal")
            if old.round_id != r.id or old.council_id != c.id or old.withdrawn:
                raise PlanInputError(
                    said(
                        "proposal {amends} is not a live proposal of {council!r} in this round",
                        amends=amends,
                        council=council,
                    )
                )
            _may_amend(r, old, m)
            if old.kind != kind:
                raise PlanInputError(
                    said(
                        "an amendment keeps the kind of proposal {amends} ({kind})",
                        amends=amends,
                        kind=old.kind,
                    )
                )
        if kind == "hours" and amends is None:
            filed = [
                p.id for p in live_proposals(s, r) if p.kind == "hours" and p.council_id == c.id
            ]
            if filed:
                raise PlanInputError(
                    said(
                        "{council!r} has proposed its hours already "
                        "(proposal {proposal}); amend it",
                        council=council,
                        proposal=filed[0],
                    )
                )
        economy = economy_of(root_of(s, r).settings)
        p = Proposal(
            round_id=r.id,
            council_id=c.id,
            kind=kind,
            title=title,
            amounts=_amounts(economy, kind, amounts),
            hours=_hours(kind, hours),
            amends_id=amends,
            filed_by=m.id,
            filed_at=now(),
        )
        if kind == "collective" and not labour_cost(economy, p.amounts) > 0:
            raise PlanInputError(
                said(
                    "collective proposal {title!r} takes no labour to make (its products embody no "
                    "hours): there is nothing to budget; propose it as a target",
                    title=title,
                )
            )
        if old is not None:
            old.withdrawn = True
        s.add(p)
        s.flush()
        if kind in ("hours", "capacity"):
            check_floors(
                s,
                r,
                economy,
                said(
                    "{kind} proposal {title!r} of {council!r}",
                    kind=kind,
                    title=title,
                    council=council,
                ),
            )
        audit.append(
            s,
            actor=actor,
            action="proposal filed",
            subject=f"proposal {p.id}",
            payload={"council": c.name, **audit.rows_of(s, Proposal, Proposal.id == p.id)[0]},
        )
        return p.id


def _may_amend(r: Round, p: Proposal, m: Member) -> None:
    """The rule of amending: a member of the council that filed the live proposal ``p``, while
    round ``r`` takes proposals or feedback on the draft; refused in plain words otherwise."""
    if p.withdrawn:
        raise PlanInputError(
            said(
                "proposal {proposal} is withdrawn (or replaced): amend its replacement",
                proposal=p.id,
            )
        )
    if r.phase not in ("proposals", "feedback"):
        raise PhaseError(
            said(
                "proposal {proposal} can no longer be amended: round {round} is past its "
                "proposals and feedback phases",
                proposal=p.id,
                round=r.number,
            )
        )
    if p.council_id not in (m.workers_council_id, m.consumers_council_id):
        raise AuthorisationError(
            said(
                "{member!r} is not a member of the council that filed proposal {proposal}: "
                "only its members amend it",
                member=m.handle,
                proposal=p.id,
            )
        )


def check_amend(db: Database, proposal: int, *, member: str) -> None:
    """Refuse (:class:`AuthorisationError`, :class:`PhaseError`, :class:`PlanInputError`) unless
    ``member`` may amend ``proposal`` now: the rule :func:`file_proposal` applies to an
    amendment, asked before one is written."""
    with db.transaction() as s:
        p = get(s, Proposal, proposal, "proposal")
        _may_amend(get(s, Round, p.round_id, "round"), p, member_named(s, member))


def amendable(db: Database, round_id: int, *, member: str) -> frozenset[int]:
    """The live proposals of the round ``member`` may amend (and withdraw) now: their own
    councils', while the round takes proposals or feedback."""
    with db.transaction() as s:
        r, m = round_at(s, round_id), member_named(s, member)
        out = set()
        for p in live_proposals(s, r):
            try:
                _may_amend(r, p, m)
            except (AuthorisationError, PhaseError, PlanInputError):
                continue
            out.add(p.id)
        return frozenset(out)


@dataclass(frozen=True)
class ProposalCost:
    """A proposal costed before it is filed: its amounts as they would be recorded (checked),
    its hours per member (an hours proposal), and the labour hours its products embody
    (``labour_cost``: λ·amounts, what the draft records for it; ``None`` for hours and
    capacities, which are not bundles of products)."""

    kind: str
    amounts: dict[str, float]
    hours: float | None
    labour_cost: float | None


def cost_proposal(
    db: Database,
    round_id: int,
    *,
    kind: str,
    amounts: Mapping[str, float] | None = None,
    hours: float | None = None,
) -> ProposalCost:
    """Cost a proposal without filing it: the same checks of its amounts or hours as
    :func:`file_proposal`, and the labour hours its products embody, directly and in all their
    inputs (the cost the draft records for a collective proposal, and what the plan must find
    hours for)."""
    _check_kind(kind)
    with db.transaction() as s:
        economy = economy_of(root_of(s, round_at(s, round_id)).settings)
    checked = _amounts(economy, kind, amounts)
    cost = labour_cost(economy, checked) if kind in ("target", "collective") else None
    return ProposalCost(kind, checked, _hours(kind, hours), cost)


def withdraw_proposal(
    db: Database, proposal: int, *, actor: str, reason: str | None = None
) -> None:
    """Withdraw a proposal (proposals or feedback phase): a member of the council that filed it,
    or a facilitator of the round's federation, who must say why (``reason``, recorded with the
    proposal and in the audit log, and shown to members with the proposal: the way out when one
    proposal keeps the draft from being computed)."""
    why = (reason or "").strip()
    if len(why) > 500:
        raise PlanInputError(
            said(
                "a reason for withdrawing is at most 500 characters; got {length}", length=len(why)
            )
        )
    with db.transaction() as s:
        p = get(s, Proposal, proposal, "proposal")
        r = round_at(s, p.round_id, "proposals", "feedback")
        m = member_named(s, actor)
        if p.withdrawn:
            raise PlanInputError(
                said("proposal {proposal} is withdrawn already (or replaced)", proposal=p.id)
            )
        own = p.council_id in (m.workers_council_id, m.consumers_council_id)
        if not own and m.role != "facilitator":
            raise AuthorisationError(
                said(
                    "{actor!r} is not a member of the council that filed proposal {proposal}: only "
                    "its members withdraw it (or a facilitator of the federation, saying why)",
                    actor=actor,
                    proposal=p.id,
                )
            )
        if not own:
            facilitator(s, actor, root_of(s, r))
            if not why:
                raise PlanInputError(
                    said(
                        "a facilitator withdrawing proposal {proposal} of another council must "
                        "say why "
                        "(reason=): members read it with the proposal",
                        proposal=p.id,
                    )
                )
        p.withdrawn, p.withdrawn_by, p.withdrawn_reason = True, m.id, why or None
        as_ = "council" if own else "facilitator"
        _taken_out(s, p, r, m, "withdrawn", {"as": as_, "reason": why or None})


def hide_proposal(db: Database, proposal: int, *, actor: str, reason: str) -> None:
    """Hide an abusive proposal: a facilitator of the round's federation, saying why.  It is
    withdrawn too where it was not (while proposals may still be withdrawn: the proposals and
    feedback phases); members then see only that a facilitator hid it and why — never its title
    or amounts (:func:`shown`).  Recorded with the proposal and in the audit log."""
    why = reason.strip()
    if not why or len(why) > 500:
        raise PlanInputError(
            said(
                "hiding proposal {proposal} needs a reason of 1–500 characters (members read "
                "it in the proposal's place); got {length}",
                proposal=proposal,
                length=len(why),
            )
        )
    with db.transaction() as s:
        p = get(s, Proposal, proposal, "proposal")
        if p.hidden:
            raise PlanInputError(said("proposal {proposal} is hidden already", proposal=p.id))
        r = get(s, Round, p.round_id, "round")
        m = facilitator(s, actor, root_of(s, r))
        if not p.withdrawn:
            r = round_at(s, p.round_id, "proposals", "feedback")
            p.withdrawn, p.withdrawn_by = True, m.id
        p.hidden, p.withdrawn_reason = True, why
        _taken_out(s, p, r, m, "hidden", {"hidden": True, "withdrawn": True})


def _taken_out(
    s: Session, p: Proposal, r: Round, m: Member, how: str, extra: dict[str, Any]
) -> None:
    """After a proposal is withdrawn or hidden (``how``): the floors still met without it, and
    the audit entry with the columns as verify replays them."""
    s.flush()
    if p.kind in ("hours", "capacity"):
        doing = (
            said("withdrawing proposal {proposal}", proposal=p.id)
            if how == "withdrawn"
            else said("hiding proposal {proposal}", proposal=p.id)
        )
        check_floors(s, r, economy_of(root_of(s, r).settings), doing)
    audit.append(
        s,
        actor=m.handle,
        action=f"proposal {how}",
        subject=f"proposal {p.id}",
        payload={
            "round": r.id,
            "proposal": p.id,
            "council": get(s, Council, p.council_id, "council").name,
            "by": m.handle,
            **extra,
            "withdrawn_by": p.withdrawn_by,  # the columns, as verify replays them
            "withdrawn_reason": p.withdrawn_reason,
        },
    )


def shown(p: Proposal) -> tuple[str, dict[str, Any]]:
    """A proposal's title and amounts as members may see them: a hidden one shows neither."""
    return ("", {}) if p.hidden else (p.title, dict(p.amounts or {}))


def _amounts(economy: Economy, kind: str, amounts: Mapping[str, float] | None) -> dict[str, Any]:
    if kind == "hours":
        if amounts:
            raise PlanInputError(said("an hours proposal gives hours=, not amounts"))
        return {}
    if not amounts:
        raise PlanInputError(said("a {kind} proposal needs amounts {{code: amount}}", kind=kind))
    names = economy.processes if kind == "capacity" else economy.products
    out = {}
    for code, value in amounts.items():
        if code not in names:
            what = said("process") if kind == "capacity" else said("product")
            raise PlanInputError(said("the economy has no {what} {code!r}", what=what, code=code))
        try:
            v = float(value)
        except (TypeError, ValueError):
            raise PlanInputError(
                said(
                    "the amount of {code!r} must be a number; got {value!r}", code=code, value=value
                )
            ) from None
        if not np.isfinite(v) or v < 0:
            raise PlanInputError(
                said(
                    "the amount of {code!r} must be a number ≥ 0; got {value!r}",
                    code=code,
                    value=value,
                )
            )
        low, high = (share * _scale(economy) for share in SANE)
        if v and not low <= v <= high:
            unit = economy.units.get("output", "units of output")
            raise PlanInputError(
                said(
                    "the amount of {code!r} ({v:.3g} {unit} a year) is out of scale for the "
                    "economy {economy!r}: give 0 or an amount between {low:.3g} and {high:.3g}",
                    code=code,
                    v=v,
                    unit=unit,
                    economy=economy.name,
                    low=low,
                    high=high,
                )
            )
        out[str(code)] = v
    return out


SANE = (1e-12, 1e3)
"""A non-zero amount of a proposal lies between these shares of the economy's scale (its gross
output in a year, all products together): a thousand economies, or a trillionth of one, is a
typing error — and beyond what the engine's solvers can plan with."""


def _scale(economy: Economy) -> float:
    """The size of ``economy`` in a year, in units of output: its observed gross output, else its
    largest final demand, all products together (1 where it gives neither)."""
    vectors = [economy.gross_output] if economy.gross_output is not None else []
    total = max((float(np.sum(v)) for v in [*vectors, *economy.final_demand.values()]), default=0)
    return total if total > 0 else 1.0


def _hours(kind: str, hours: float | None) -> float | None:
    if kind != "hours":
        if hours is not None:
            raise PlanInputError(said("a {kind} proposal gives amounts=, not hours=", kind=kind))
        return None
    try:
        h = float(hours)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        raise PlanInputError(
            said("hours per member per year must be a number; got {hours!r}", hours=hours)
        ) from None
    if not 0 <= h <= 8760:
        raise PlanInputError(
            said("hours per member per year must be between 0 and 8,760; got {h:g}", h=h)
        )
    return h
