"""A round's proposals: listed, filed by a form per kind (with the labour cost shown before
filing), amended, withdrawn and hidden. The plan page is in :mod:`~commonplan.web.pages.plans`."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from typing import Annotated, Any

from fastapi import Depends, Form, Request, Response
from fastapi.responses import HTMLResponse

from commonplan import rounds
from commonplan.accounts import Principal
from commonplan.errors import CommonplanError, PlanInputError
from commonplan.federation import economy_of
from commonplan.store import Database
from commonplan.store.models import Federation
from commonplan.web import acts, public
from commonplan.web.deps import DB, CurrentMember, Facilitator
from commonplan.web.pages._base import (
    Choice,
    CouncilRow,
    councils_of,
    failed,
    form_model,
    page,
    redirect,
    round_info,
    router,
    tr_of,
)
from commonplan.web.pages._running import Asked, form_rows
from commonplan.web.pages.federation import confirming
from commonplan.web.schemas import (
    ProposalAmend,
    ProposalCreate,
    ProposalPublic,
)
from commonplan.web.text import Translator

# ---------------------------------------------------------------------- proposals


def proposal_kinds(tr: Translator, councils: Sequence[CouncilRow]) -> list[Choice]:
    """The (council, kind) pairs the member may file: consumers' councils file targets and
    collective proposals, workers' councils hours and capacities."""
    return [
        Choice(f"{c.id}:{kind}", tr("proposal.what", council=c.name, kind=tr(f"kind.{kind}")))
        for c in councils
        for kind, of in rounds.KINDS.items()
        if of == c.kind
    ]


AMOUNT_LINE = re.compile(r"\s*([^\s=:]+)\s*(?:=|:|\s)\s*(\S+)\s*")


def parse_amounts(tr: Translator, raw: str) -> dict[str, str]:
    """``CODE = amount`` lines (or ``CODE: amount``, ``CODE amount``) → {code: amount}; the
    numbers are checked by the API's body (the message names the code)."""
    out: dict[str, str] = {}
    for k, line in enumerate(raw.splitlines(), start=1):
        if not line.strip():
            continue
        match = AMOUNT_LINE.fullmatch(line)
        if match is None:
            raise PlanInputError(tr("proposal.bad_line", line=k, text=line.strip()[:80]))
        code, amount = match[1], match[2]
        if code in out:
            raise PlanInputError(tr("proposal.repeated", line=k, code=code))
        out[code] = tr.plain(amount)
    return out


@dataclass(frozen=True)
class Codes:
    """What a proposal may name, by name: the economy's products (for targets and collective
    proposals) and processes (for capacities; the products where each process makes one), and
    the unit of outputs."""

    products: list[Choice]
    processes: list[Choice]
    unit: str

    def of(self, kind: str) -> list[Choice]:
        return self.processes if kind == "capacity" else self.products

    def name(self, kind: str, code: str) -> str:
        return next((c.label for c in self.of(kind) if c.value == code), code)

    def code(self, tr: Translator, kind: str, row: int, typed: str) -> str:
        """The code of what a form's row names: its name as the picker offers it ("name
        (code)"), the name alone, or the code; refused naming the row where none matches."""
        wanted = typed.strip().casefold()
        for c in self.of(kind):
            plain = c.label.removesuffix(f" ({c.value})")
            if wanted in (c.value.casefold(), c.label.casefold(), plain.casefold()):
                return c.value
        raise PlanInputError(tr("proposal.unknown", row=row, text=typed[:80]))


def codes(db: Database, federation: int) -> Codes:
    with db.transaction() as s:
        fed = s.get(Federation, federation)
        settings = dict(fed.settings) if fed is not None else {}
    economy = economy_of(settings)
    products = sorted(
        (Choice(code, economy.label(i)) for i, code in enumerate(economy.products)),
        key=lambda c: c.label,
    )
    same = list(economy.processes) == list(economy.products)
    processes = products if same else [Choice(code, code) for code in economy.processes]
    return Codes(products, processes, economy.units.get("output", ""))


@dataclass(frozen=True)
class ProposalCard:
    """A proposal as its card shows it: what it asks, by name with units, and whether the
    member may amend (and withdraw) it."""

    p: ProposalPublic
    asks: list[str]
    mine: bool


def asks(tr: Translator, names: Codes, p: ProposalPublic) -> list[str]:
    """What a proposal asks, in words: "Food, beverages and tobacco (C10T12): 2 million SEK a
    year", a capacity's most activity, or the hours per member."""
    if p.kind == "hours":
        return [] if p.hours is None else [tr("proposal.hours_value", hours=tr.number(p.hours))]
    key = "proposal.capacity_amount" if p.kind == "capacity" else "proposal.amount"
    return [
        tr(key, name=names.name(p.kind, code), amount=tr.number(v), unit=names.unit)
        for code, v in p.amounts.items()
    ]


def cost_said(tr: Translator, cost: rounds.ProposalCost) -> str:
    """What a proposal would cost, in a sentence, before it is filed."""
    if cost.labour_cost is not None:
        return tr("proposal.cost_check", hours=tr.number(float(round(cost.labour_cost))))
    if cost.hours is not None:
        return tr("proposal.hours_check", hours=tr.number(cost.hours))
    return tr("proposal.capacity_check", count=len(cost.amounts))


def _proposals_context(
    db: Database, who: Principal, round_id: int, tr: Translator, what: str = ""
) -> dict[str, Any]:
    info = round_info(db, who, round_id, tr)
    councils = councils_of(db, who)
    listed = public.round_proposals(db, who, round_id)
    everything = public.round_proposals(db, who, round_id, withdrawn=True)
    names = codes(db, info.round.federation)
    may = set() if who.is_auditor else rounds.amendable(db, round_id, member=who.handle)
    kinds = proposal_kinds(tr, councils)
    chosen = next((k for k in kinds if k.value == what), None)
    return {
        "title": tr("proposals.title", number=info.round.number),
        "info": info,
        "kinds": kinds,
        "chosen": chosen,
        "kind": chosen.value.partition(":")[2] if chosen else "",
        "cards": [ProposalCard(p, asks(tr, names, p), p.id in may) for p in listed],
        "withdrawn": [p for p in everything if p.withdrawn_reason],
        "can_hide": who.is_facilitator and info.round.phase in ("proposals", "feedback"),
        "can_file": info.round.phase == "proposals" and not who.is_auditor,
        "can_change": info.round.phase in ("proposals", "feedback") and not who.is_auditor,
        "codes": names,
        "cost": None,
        "form": {"what": what, "title": "", "amounts": "", "hours": "", "rows": blank_rows()},
    }


def blank_rows() -> list[dict[str, str]]:
    return Asked().form({"product": "", "amount": ""})


@router.get("/rounds/{round_id}/proposals")
def proposals(
    round_id: int, who: CurrentMember, request: Request, db: DB, what: str = ""
) -> HTMLResponse:
    """The round's proposals; ``what`` ("council id:kind") chooses the form to file one."""
    context = _proposals_context(db, who, round_id, tr_of(request), what)
    return page(request, "proposals.html", **context)


Title = Annotated[str, Form(max_length=300)]
Amounts = Annotated[str, Form(max_length=100_000)]
Hours = Annotated[str, Form(max_length=50)]
What = Annotated[str, Form(max_length=100)]
Step = Annotated[str, Form(max_length=10)]
Reason = Annotated[str, Form(max_length=2000)]


@dataclass(frozen=True)
class ProposalForm:
    """What a proposal form (to file or to amend) sent: its title, its amounts (product rows
    picked by name, or ``CODE = amount`` lines), its hours, and the step (check the cost, or
    file)."""

    title: str
    amounts: str
    hours: str
    rows: tuple[dict[str, str], ...]
    step: str

    def fields(self, tr: Translator, names: Codes, kind: str) -> dict[str, Any]:
        """The fields as the API's body takes them (amounts by code)."""
        amounts: dict[str, str] = parse_amounts(tr, self.amounts)
        for r in self.rows:
            code = names.code(tr, kind, int(r["row"]), r["product"])
            if code in amounts:
                raise PlanInputError(tr("proposal.repeated_row", row=r["row"], name=r["product"]))
            amounts[code] = tr.plain(r["amount"])
        hours = tr.plain(self.hours.strip()) or None
        return {"title": self.title, "amounts": amounts or None, "hours": hours}

    def cost(
        self, tr: Translator, db: Database, round_id: int, names: Codes, kind: str
    ) -> rounds.ProposalCost:
        """What the proposal would cost, without filing it."""
        fields = {**self.fields(tr, names, kind), "title": self.title or "-"}
        sent = form_model(ProposalCreate, council="-", kind=kind, **fields)
        return rounds.cost_proposal(db, round_id, kind=kind, amounts=sent.amounts, hours=sent.hours)

    def shown(self, context: dict[str, Any]) -> dict[str, Any]:
        """``context`` with the form filled in as it was sent."""
        rows = {int(r["row"]): r for r in self.rows}
        filled = [rows.get(int(r["row"]), r) for r in blank_rows()]
        form = {**context["form"], **asdict(self), "rows": filled}
        return {**context, "form": form}

    def refused(
        self, request: Request, exc: CommonplanError, template: str, context: dict[str, Any]
    ) -> HTMLResponse:
        """``template`` again with the error shown, filled in as the form was sent."""
        return failed(request, exc, template, **self.shown(context))


async def _proposal_form(
    request: Request,
    title: Title = "",
    amounts: Amounts = "",
    hours: Hours = "",
    step: Step = "file",
) -> ProposalForm:
    rows = form_rows(await request.form(), ("amount", "product"))
    return ProposalForm(title, amounts, hours, tuple(rows), step)


Sent = Annotated[ProposalForm, Depends(_proposal_form)]


@router.post("/rounds/{round_id}/proposals")
def file_proposal(
    round_id: int, who: CurrentMember, request: Request, db: DB, sent: Sent, what: What = ""
) -> Response:
    """File a proposal; with ``step=check``, cost it and show the form again to file."""
    tr = tr_of(request)
    context = _proposals_context(db, who, round_id, tr, what)
    try:
        by_value = {
            f"{c.id}:{kind}": (c.name, kind)
            for c in councils_of(db, who)
            for kind, of in rounds.KINDS.items()
            if of == c.kind
        }
        if what not in by_value:
            raise PlanInputError(tr("proposal.choose_kind"))
        council, kind = by_value[what]
        if sent.step == "check":
            cost = cost_said(tr, sent.cost(tr, db, round_id, context["codes"], kind))
            return page(request, "proposals.html", **{**sent.shown(context), "cost": cost})
        fields = sent.fields(tr, context["codes"], kind)
        body = form_model(ProposalCreate, council=council, kind=kind, **fields)
        acts.file_proposal(db, who, round_id, body)
    except CommonplanError as exc:
        return sent.refused(request, exc, "proposals.html", context)
    return redirect(f"/rounds/{round_id}/proposals", "filed")


def _amend_context(
    db: Database, who: Principal, proposal_id: int, tr: Translator
) -> dict[str, Any]:
    p = public.read_proposal(db, who, proposal_id)
    rounds.check_amend(db, proposal_id, member=who.handle)
    info = round_info(db, who, p.round, tr)
    names = codes(db, info.round.federation)
    given = [
        {"product": names.name(p.kind, c), "amount": tr.number(v)} for c, v in p.amounts.items()
    ]
    rows = blank_rows()
    rows[: len(given)] = [{**r, **g} for r, g in zip(rows, given, strict=False)]
    return {
        "title": tr("amend.title", title=p.title),
        "proposal": p,
        "info": info,
        "kind": p.kind,
        "codes": names,
        "cost": None,
        "form": {
            "title": p.title,
            "amounts": "",
            "rows": rows,
            "hours": f"{p.hours:g}" if p.hours is not None else "",
        },
    }


@router.get("/proposals/{proposal_id}/amend")
def amend_form(proposal_id: int, who: CurrentMember, request: Request, db: DB) -> HTMLResponse:
    """The amendment's form, filled in with the proposal: only for a member who may amend it."""
    return page(request, "amend.html", **_amend_context(db, who, proposal_id, tr_of(request)))


@router.post("/proposals/{proposal_id}/amend")
def amend(proposal_id: int, who: CurrentMember, request: Request, db: DB, sent: Sent) -> Response:
    tr = tr_of(request)
    context = _amend_context(db, who, proposal_id, tr)
    kind = context["kind"]
    try:
        if sent.step == "check":
            cost = cost_said(tr, sent.cost(tr, db, context["info"].id, context["codes"], kind))
            return page(request, "amend.html", **{**sent.shown(context), "cost": cost})
        body = form_model(ProposalAmend, **sent.fields(tr, context["codes"], kind))
        new = public.read_proposal(db, who, acts.amend_proposal(db, who, proposal_id, body))
    except CommonplanError as exc:
        return sent.refused(request, exc, "amend.html", context)
    return redirect(f"/rounds/{new.round}/proposals", "amended")


@router.post("/proposals/{proposal_id}/withdraw")
def withdraw(
    proposal_id: int, who: CurrentMember, request: Request, db: DB, reason: Reason = ""
) -> Response:
    """A member of the proposing council withdraws it; a facilitator gives the ``reason``."""
    tr = tr_of(request)
    try:
        acts.withdraw_proposal(db, who, proposal_id, reason.strip() or None)
    except CommonplanError as exc:
        round_id = public.read_proposal(db, who, proposal_id).round
        return failed(request, exc, "proposals.html", **_proposals_context(db, who, round_id, tr))
    round_id = public.read_proposal(db, who, proposal_id).round
    return redirect(f"/rounds/{round_id}/proposals", "withdrawn")


@router.post("/proposals/{proposal_id}/hide")
def hide(
    proposal_id: int,
    who: Facilitator,
    request: Request,
    db: DB,
    reason: Reason = "",
    confirm: Annotated[str, Form(max_length=10)] = "",
) -> Response:
    """A facilitator hides an abusive proposal, saying why — once confirmed (members then see
    only who hid it and why)."""
    tr = tr_of(request)
    p = public.read_proposal(db, who, proposal_id)
    try:
        if not reason.strip():
            raise PlanInputError(tr("form.field_required", field=tr("field.reason")))
        if confirm != "yes":
            said = tr("confirm.hide", title=p.title, council=p.council, reason=reason.strip())
            back = f"/rounds/{p.round}/proposals"
            return confirming(
                request, said, f"/proposals/{proposal_id}/hide", {"reason": reason}, back
            )
        acts.hide_proposal(db, who, proposal_id, reason)
    except CommonplanError as exc:
        context = _proposals_context(db, who, p.round, tr)
        return failed(request, exc, "proposals.html", **context)
    return redirect(f"/rounds/{p.round}/proposals", "hidden")
