"""Shared by the pages of a plan as it runs (reports, alerts, hours): numbers as people read
them, the economy's product names, the round's periods, and the rows of a multi-row form."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from urllib.parse import quote

from fastapi.responses import RedirectResponse
from sqlalchemy import select

from commonplan.accounts import Principal
from commonplan.errors import PlanInputError
from commonplan.federation import economy_of
from commonplan.store import Database
from commonplan.store.models import Council, Federation, Member
from commonplan.web import execution, public
from commonplan.web.pages._base import Choice, RoundInfo
from commonplan.web.text import Translator

FORM_ROWS = 6
"""Rows a multi-row form offers (empty ones are left out)."""


def number(value: float, tr: Translator) -> str:
    """A number as people read it in the page's language: thousands separated, no needless
    decimals, small ones to three significant digits (1,234.5; 1 234,5; 0.000123)."""
    return tr.number(float(value))


def hours(tr: Translator, value: float) -> str:
    """``31 h``, ``7.5 h``."""
    return tr("num.h", value=number(round(value, 1), tr))


def per_week(tr: Translator, value: float) -> str:
    return tr("num.h_week", value=number(round(value, 1), tr))


def qty(tr: Translator, value: float, unit: str) -> str:
    """``1,200 million SEK``; the units the library names (hours) in the page's language."""
    return tr("num.qty", value=number(value, tr), unit=tr.maybe(f"unit.{unit}", unit))


@dataclass(frozen=True)
class Economy:
    """The names a page shows for the federation's economy: product code → "name (code)", and
    the unit of outputs."""

    labels: Mapping[str, str]
    unit: str

    def label(self, code: str | None) -> str:
        return "" if code is None else self.labels.get(code, code)

    def choices(self) -> list[Choice]:
        """The products for a picker, by name."""
        return sorted((Choice(c, name) for c, name in self.labels.items()), key=lambda c: c.label)


def economy(db: Database, federation: int) -> Economy:
    with db.transaction() as s:
        fed = s.get(Federation, federation)
        settings = dict(fed.settings) if fed is not None else {}
    e = economy_of(settings)
    return Economy({code: e.label(i) for i, code in enumerate(e.products)}, e.units["output"])


def periods(
    db: Database, who: Principal, round_id: int, tr: Translator
) -> tuple[list[Choice], str]:
    """The round's periods for a picker (the current one marked), and the current one."""
    now = execution.current_period(db, who, round_id)
    held = execution.periods(db, who, round_id)
    return [Choice(p, tr("period.current", period=p) if p == now else p) for p in held], now


def pick_period(choices: list[Choice], asked: str | None, current: str) -> str:
    return asked if asked in {c.value for c in choices} else current


@dataclass(frozen=True)
class CouncilChoice:
    id: int
    name: str
    kind: str


def all_councils(db: Database, info: RoundInfo) -> list[CouncilChoice]:
    """Every council of the round's federation, by id."""
    with db.transaction() as s:
        below = public.councils_below(s, info.round.federation)
    return [CouncilChoice(c.id, c.name, c.kind) for c in below]


def councils(
    db: Database, who: Principal, info: RoundInfo, *, mine_only: bool
) -> list[CouncilChoice]:
    """The councils of the round's federation ``who`` acts for: all of them for a facilitator
    (unless ``mine_only``), else the member's own."""
    everyone = all_councils(db, info)
    if who.is_facilitator and not mine_only:
        return everyone
    return [c for c in everyone if c.id in who.councils]


def members_of(db: Database, council: int) -> list[tuple[str, str]]:
    """(handle, name) of a workers' council's members, by handle."""
    with db.transaction() as s:
        query = (
            select(Member.handle, Member.name)
            .where(Member.workers_council_id == council)
            .order_by(Member.handle)
        )
        return [(h, n or h) for h, n in s.execute(query).all()]


def council_named(db: Database, name: str) -> Council | None:
    with db.transaction() as s:
        c = s.execute(select(Council).where(Council.name == name)).scalar()
        if c is not None:
            s.expunge(c)
        return c


def parse_number(tr: Translator, row: int, field: str, text: str) -> float:
    try:
        value = tr.parse_number(text)
    except ValueError:
        raise PlanInputError(tr("form.bad_number", row=row, field=field, value=text[:40])) from None
    return value


def form_rows(form: Mapping[str, object], fields: tuple[str, ...]) -> list[dict[str, str]]:
    """The filled rows of a multi-row form: ``{field}_{k}`` for k = 1 … :data:`FORM_ROWS`; a row
    whose first field (the amount, the hours) is empty is left out (each row keeps its number
    under ``row``)."""
    out = []
    for k in range(1, FORM_ROWS + 1):
        row = {f: str(form.get(f"{f}_{k}") or "").strip() for f in fields}
        if row[fields[0]]:
            out.append({**row, "row": str(k)})
    return out


def go(path: str, done: str) -> RedirectResponse:
    """See ``path`` (which may hold a query and a fragment) with the notice ``done``."""
    path, hash_, fragment = path.partition("#")
    joiner = "&" if "?" in path else "?"
    return RedirectResponse(f"{path}{joiner}done={quote(done)}{hash_}{fragment}", status_code=303)
