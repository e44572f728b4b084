"""Authorisation against the signed-in member's own federations: ``*_in_scope(who, s, id)`` loads
a row of one of their federations; a row of another federation is answered exactly as an id that
does not exist (:class:`NotFoundError`, the same words), so that nobody learns what other
federations hold.  :func:`not_auditor` keeps auditors to reading.  The routes and the pages both
check through these."""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

from sqlalchemy import select
from sqlalchemy.orm import Session

from commonplan.accounts import Principal, principal, roots
from commonplan.errors import AuthorisationError, NotFoundError, PlanInputError, Said, said
from commonplan.store import get
from commonplan.store.db import no_such
from commonplan.store.models import (
    Alert,
    Council,
    Draft,
    Federation,
    HoursEntry,
    Member,
    Proposal,
    Question,
    Report,
    Round,
)

__all__ = [
    "alert_in_scope",
    "council_in_scope",
    "council_names",
    "federation_in_scope",
    "hours_entry_in_scope",
    "member_in_scope",
    "not_auditor",
    "ours",
    "plan_in_scope",
    "proposal_in_scope",
    "question_in_scope",
    "report_in_scope",
    "root_in_scope",
    "round_in_scope",
]


R = TypeVar("R", Alert, Council, Draft, Federation, HoursEntry, Proposal, Question, Report, Round)


def ours(who: Principal, s: Session, federation: int) -> bool:
    """Whether ``federation`` is part of one of the member's (root) federations."""
    (root,) = roots(s, [federation])
    return root in who.federations


def not_auditor(who: Principal, what: Said) -> None:
    """Auditors read; they do not take part."""
    if who.is_auditor:
        raise AuthorisationError(
            said("{who!r} is an auditor; auditors do not {what}", who=who.handle, what=what)
        )


def _round_federation(s: Session, round_id: int) -> int:
    return get(s, Round, round_id, "round").federation_id


def _in_scope(
    model: type[R], what: str, federation: Callable[[Session, R], int]
) -> Callable[[Principal, Session, int], R]:
    def check(who: Principal, s: Session, key: int) -> R:
        row = s.get(model, key)
        if row is None or not ours(who, s, federation(s, row)):
            raise NotFoundError(no_such(what, key))  # the words of store.get
        return row

    check.__doc__ = f"The {what} ``key`` if it is of one of ``who``'s federations."
    return check


council_in_scope = _in_scope(Council, "council", lambda s, c: c.federation_id)
federation_in_scope = _in_scope(Federation, "federation", lambda s, f: f.id)
round_in_scope = _in_scope(Round, "round", lambda s, r: r.federation_id)
proposal_in_scope = _in_scope(Proposal, "proposal", lambda s, p: _round_federation(s, p.round_id))
question_in_scope = _in_scope(Question, "question", lambda s, q: q.federation_id)
plan_in_scope = _in_scope(Draft, "plan", lambda s, d: _round_federation(s, d.round_id))
report_in_scope = _in_scope(Report, "report", lambda s, r: _round_federation(s, r.round_id))
alert_in_scope = _in_scope(Alert, "alert", lambda s, a: _round_federation(s, a.round_id))
hours_entry_in_scope = _in_scope(
    HoursEntry, "hours entry", lambda s, e: _round_federation(s, e.round_id)
)


def root_in_scope(who: Principal, s: Session, federation: int) -> Federation:
    """A root federation of ``who``'s: rounds are opened for the whole federation."""
    fed = federation_in_scope(who, s, federation)
    if fed.parent_id is not None:
        raise PlanInputError(
            said(
                "federation {federation!r} is part of a larger one; rounds are opened for the "
                "whole federation (its root)",
                federation=fed.name,
            )
        )
    return fed


def member_in_scope(who: Principal, s: Session, handle: str) -> Member:
    """A member of one of ``who``'s federations; a member of other federations only is answered
    as unknown (nothing is learnt about other federations' members)."""
    m = s.execute(select(Member).where(Member.handle == handle)).scalar_one_or_none()
    if m is None or not principal(s, m).federations & who.federations:
        raise NotFoundError(
            said(
                "no member with handle {handle!r} in {by!r}'s federations",
                handle=handle,
                by=who.handle,
            )
        )
    return m


def council_names(s: Session, ids: set[int]) -> dict[int, str]:
    if not ids:
        return {}
    rows = s.execute(select(Council.id, Council.name).where(Council.id.in_(ids)))
    return dict(rows.all())
