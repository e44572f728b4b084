"""The phases of a round: opening it (the root federation's rounds only), its deadlines, and the
checks every step makes — who facilitates, which phase the round is in, whether it is in time.

A round moves through :data:`PHASES`: ``proposals`` → ``feedback`` → ``vote`` → ``ratified`` or
``failed`` (and then the next round, until the federation's ``max_rounds``).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from commonplan import audit
from commonplan.errors import (
    AuthorisationError,
    PhaseError,
    PlanInputError,
    PlanningError,
    Said,
    said,
)
from commonplan.federation import ROUND_DEFAULTS, member_federations, member_named, path_up
from commonplan.store import Database, get
from commonplan.store.models import Federation, Member, Proposal, Round

__all__ = ["DATED", "PHASES", "open_period", "open_round"]

PHASES = ("proposals", "feedback", "vote", "ratified", "failed")


def now() -> datetime:
    return datetime.now(UTC)


def facilitator(s: Session, handle: str, federation: Federation) -> Member:
    """The member ``handle``, refused unless a facilitator of ``federation``: through a council
    in its tree, or serving it as staff (a facilitator of one federation runs nothing of
    another's)."""
    m = member_named(s, handle)
    if m.role != "facilitator":
        raise AuthorisationError(
            said("{handle!r} is not a facilitator; only facilitators run rounds", handle=handle)
        )
    if federation.id not in member_federations(s, m):
        raise AuthorisationError(
            said(
                "{handle!r} is not a facilitator of {federation!r} (id {federation_id}): "
                "facilitators run the rounds of their own federation only",
                handle=handle,
                federation=federation.name,
                federation_id=federation.id,
            )
        )
    return m


def facilitated(s: Session, handle: str, round_id: int, *phases: str) -> Round:
    """Round ``round_id`` (refused unless in one of ``phases``), for a step of a facilitator of
    its federation."""
    r = get(s, Round, round_id, "round")
    facilitator(s, handle, root_of(s, r))
    return round_at(s, round_id, *phases)


def round_at(s: Session, round_id: int, *phases: str) -> Round:
    """Round ``round_id``, refused unless in one of ``phases`` (any phase when none given)."""
    r = get(s, Round, round_id, "round")
    if phases and r.phase not in phases:
        raise PhaseError(
            said(
                "round {round} is in its {phase!r} phase; this step needs {needed}",
                round=r.number,
                phase=r.phase,
                needed=" or ".join(repr(p) for p in phases),
            )
        )
    return r


def ratified(s: Session, round_id: int, doing: Said) -> tuple[Round, Federation]:
    """Round ``round_id`` and its federation, refused unless ratified: ``doing`` (e.g. "reports
    are filed") happens against a ratified plan."""
    r = get(s, Round, round_id, "round")
    if r.phase != "ratified":
        raise PhaseError(
            said(
                "round {round} is in its {phase!r} phase: {doing} against a ratified plan",
                round=r.number,
                phase=r.phase,
                doing=doing,
            )
        )
    return r, get(s, Federation, r.federation_id, "federation")


def root_of(s: Session, r: Round) -> Federation:
    """The federation round ``r`` plans for (a root federation)."""
    return get(s, Federation, r.federation_id, "federation")


# ---------------------------------------------------------------------- opening a round


def open_round(
    db: Database, federation: int, *, actor: str, deadlines: Mapping[str, str] | None = None
) -> int:
    """Open the next planning round of ``federation`` (a facilitator's step); returns its id.

    ``deadlines``: {phase: date and time} for ``proposals``, ``feedback`` and ``vote`` (naive
    times are UTC); filing, amending and voting stop at the deadline of their phase.
    """
    with db.transaction() as s:
        fed = get(s, Federation, federation, "federation")
        facilitator(s, actor, get(s, Federation, path_up(s, fed.id)[-1], "federation"))
        return start_round(s, fed, actor, _deadlines(deadlines or {}), carried=[])


def open_period(
    db: Database, federation: int, *, actor: str, deadlines: Mapping[str, str] | None = None
) -> int:
    """Open the first round of the next planning period of ``federation`` (a facilitator's step,
    once the current period's plan is ratified); returns its id.  Where the federation reports
    from a fixed start, the new plan's reports start where the ratified one's end."""
    with db.transaction() as s:
        fed = get(s, Federation, federation, "federation")
        facilitator(s, actor, get(s, Federation, path_up(s, fed.id)[-1], "federation"))
        return start_round(s, fed, actor, _deadlines(deadlines or {}), carried=[], next_period=True)


def _next_reporting(settings: dict[str, Any], ratified: Round) -> dict[str, Any]:
    """``settings`` with a fixed reporting start moved to the period after ``ratified``'s last."""
    from commonplan.reports.ledger import periods_of

    reporting = dict(settings.get("reporting") or {})
    if not reporting.get("start"):
        return settings  # by default the reports start the month after the plan is ratified
    last = periods_of(ratified)[-1]
    after = Round(settings={"reporting": {**reporting, "start": last, "periods": 2}})
    return {**settings, "reporting": {**reporting, "start": periods_of(after)[1]}}


DATED = ("proposals", "feedback", "vote")
"""Phases that may end at a date: filing and amending proposals, and casting ballots, stop then."""


def _deadlines(deadlines: Mapping[str, str | datetime]) -> dict[str, str]:
    out = {}
    for phase, when in deadlines.items():
        if phase not in DATED:
            raise PlanInputError(
                said(
                    "deadlines are for the phases {phases}; got {phase!r}",
                    phases=", ".join(DATED),
                    phase=phase,
                )
            )
        try:
            at = when if isinstance(when, datetime) else datetime.fromisoformat(str(when))
        except ValueError:
            raise PlanInputError(
                said(
                    "the {phase} deadline must be a date and time like 2026-12-01T18:00; got "
                    "{when!r}",
                    phase=phase,
                    when=when,
                )
            ) from None
        out[phase] = (at.replace(tzinfo=UTC) if at.tzinfo is None else at).isoformat()
    return out


def in_time(r: Round, phase: str) -> None:
    """Refuse a step of ``phase`` after that phase's deadline."""
    end = r.deadlines.get(phase)
    if end is not None and now() > datetime.fromisoformat(end):
        raise PhaseError(
            said(
                "the {phase} phase of round {round} ended at {end}",
                phase=phase,
                round=r.number,
                end=end,
            )
        )


def start_round(
    s: Session,
    fed: Federation,
    actor: str,
    deadlines: dict[str, Any],
    carried: Sequence[Proposal],
    *,
    next_period: bool = False,
) -> int:
    """Open round n + 1 of ``fed`` with the ``carried`` proposals copied into it — in the current
    planning period, or as the first round of the next one (``next_period``); returns its id."""
    rounds = s.execute(select(Round).where(Round.federation_id == fed.id)).scalars().all()
    running = [r for r in rounds if r.phase not in ("ratified", "failed")]
    if running:
        raise PhaseError(
            said(
                "round {number} of {federation!r} is still running",
                number=running[0].number,
                federation=fed.name,
            )
        )
    period = max((r.period for r in rounds), default=1)
    ratified = [r for r in rounds if r.period == period and r.phase == "ratified"]
    settings = _settings_of(s, fed)
    if next_period:
        if not ratified:
            raise PhaseError(
                said(
                    "{federation!r} has not ratified a plan for planning period {period} yet: its "
                    "rounds go on until one is ratified, and the next period opens after that",
                    federation=fed.name,
                    period=period,
                )
            )
        period += 1
        settings = _next_reporting(settings, ratified[-1])
    elif ratified:
        raise PhaseError(
            said(
                "{federation!r} has ratified its plan for planning period {period} already; "
                "open the next planning period instead (open_period; `commonplan round open "
                "FED --next-period`)",
                federation=fed.name,
                period=period,
            )
        )
    held = sum(r.period == period for r in rounds)
    if held >= settings["max_rounds"]:
        raise PhaseError(
            said(
                "{federation!r} has held its {rounds} rounds of planning period {period}",
                federation=fed.name,
                rounds=settings["max_rounds"],
                period=period,
            )
        )
    r = Round(
        federation_id=fed.id,
        number=len(rounds) + 1,
        period=period,
        phase="proposals",
        settings=dict(settings),
        deadlines=deadlines,
        opened_at=now(),
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
                filed_at=now(),
            )
        )
    s.flush()
    _log_opened(s, r, actor)
    return r.id


def _log_opened(s: Session, r: Round, actor: str) -> None:
    """Log round ``r`` opened, with the proposals carried into it (their rows)."""
    audit.append(
        s,
        actor=actor,
        action="round opened",
        subject=f"round {r.id}",
        payload={
            "federation": r.federation_id,
            "number": r.number,
            "period": r.period,
            "carried": audit.rows_of(s, Proposal, Proposal.round_id == r.id),
            "settings": r.settings,
            "deadlines": r.deadlines,
        },
    )


def move(s: Session, r: Round, phase: str, actor: str) -> None:
    """Move round ``r`` to ``phase`` (one of :data:`PHASES` before the close), logged."""
    r.phase = phase
    audit.append(
        s, actor=actor, action="round phase", subject=f"round {r.id}", payload={"phase": phase}
    )


RATIFIED_WITHOUT_VOTE: dict[str, Any] = {
    "ratified": True,
    "plan": None,
    "chosen": [],
    "results": {},
    "next_round": None,
}
"""The outcome of a round put in place as ratified (:func:`ratified_without_vote`)."""


def ratified_without_vote(
    s: Session,
    federation: int,
    *,
    settings: Mapping[str, Any],
    opened_at: datetime,
    closed_at: datetime,
    actor: str,
) -> Round:
    """A round of ``federation`` put in place as ratified, without proposals or a vote: what comes
    after the vote (reports, hours, replans) simulated or tested.  Logged as opened and ratified
    like any round, so the log still accounts for every round."""
    held = s.execute(select(Round.id).where(Round.federation_id == federation)).all()
    r = Round(
        federation_id=federation,
        number=len(held) + 1,
        phase="ratified",
        settings=dict(settings),
        deadlines={},
        outcome=dict(RATIFIED_WITHOUT_VOTE),
        opened_at=opened_at,
        closed_at=closed_at,
    )
    s.add(r)
    s.flush()
    _log_opened(s, r, actor)
    audit.append(
        s, actor=actor, action="round ratified", subject=f"round {r.id}", payload=r.outcome or {}
    )
    return r


def _settings_of(s: Session, fed: Federation) -> dict[str, Any]:
    """The round rules of ``fed``; refused for a federation that is part of a larger one."""
    top = fed
    while top.parent_id is not None:
        top = get(s, Federation, top.parent_id, "federation")
    if top is not fed:
        raise PlanningError(
            said(
                "federation {federation!r} (id {federation_id}) is part of {top!r} (id {top_id}); "
                "rounds are opened for the whole federation: open the round for {top_id}",
                federation=fed.name,
                federation_id=fed.id,
                top=top.name,
                top_id=top.id,
            )
        )
    return dict(fed.settings.get("rounds") or ROUND_DEFAULTS)
