"""Every word the pages show, keyed by message id: English here, the other languages in gettext
catalogues (:mod:`commonplan.web.i18n`).  One concept — the catalogue and the translator that reads
it — so one module, however long (the facilitators' and after-the-vote messages are kept in
:mod:`~commonplan.web.text_facil` and :mod:`~commonplan.web.text_after` only for length).

The templates and :mod:`commonplan.web.pages` never hold text of their own: they call
``t("vote.submit")`` or ``t("plan.your_hours", hours=1520.0, offered=1600.0)``.  A message is a
:meth:`str.format` template, so a translation may reorder the fields; ``{{`` and ``}}`` stand for
literal braces.  A message with a count is a :class:`~commonplan.web.i18n.Plural` (one, other),
its form chosen by the language's plural rule.  The :class:`Translator` writes numbers and dates
as its language does (the format specs keep their meaning).

To translate: edit :data:`EN`, run ``scripts/i18n extract`` (it updates
``web/locales/<lang>/LC_MESSAGES/messages.po``), and translate the new or fuzzy entries there.
A message a language lacks (or whose English changed since) shows in English.  The messages of
the library's errors (what is at fault, in ``error.detail``) are in the same catalogues, their
English template the ``msgid`` (:func:`commonplan.errors.said`): :meth:`Translator.error` shows
one in the page's language.
"""

from __future__ import annotations

import functools
import re
from typing import Any

from babel import Locale
from babel.numbers import get_decimal_symbol, get_group_symbol

from commonplan.errors import CommonplanError, Said
from commonplan.web import i18n
from commonplan.web.i18n import LANGUAGES, Plural, Translation
from commonplan.web.text_after import EN_AFTER
from commonplan.web.text_facil import EN_FACIL

__all__ = [
    "CATALOGUES",
    "DEFAULT",
    "EN",
    "LANGUAGES",
    "Plural",
    "Translator",
    "choose",
    "negotiate",
    "t",
    "translator",
]

DEFAULT = "en"

EN: dict[str, str | Plural] = {
    # the site
    "site.name": "commonplan",
    "site.footer": "Democratic planning: councils propose, everyone sees what the plan means, "
    "members vote.",
    "nav.skip": "Skip to the content",
    "nav.label": "Main",
    "nav.language": "Language",
    "nav.home": "Home",
    "nav.history": "Rounds so far",
    "nav.find": "Find my ballot",
    "nav.facilitate": "Facilitate",
    "nav.password": "Password",
    "nav.sign_out": "Sign out ({handle})",
    "nav.proposals": "Proposals",
    "nav.plan": "Draft plan",
    "nav.vote": "Vote",
    "nav.result": "Result",
    # phases, kinds, roles, statuses, resources
    "phase.proposals": "proposals",
    "phase.feedback": "feedback on the draft",
    "phase.vote": "vote",
    "phase.ratified": "ratified",
    "phase.failed": "not ratified",
    "kind.target": "private consumption target",
    "kind.collective": "collective proposal",
    "kind.hours": "hours of work",
    "kind.capacity": "capacity",
    "council.workers": "workers' council",
    "council.consumers": "consumers' council",
    "role.member": "member",
    "role.delegate": "delegate",
    "role.facilitator": "facilitator",
    "role.auditor": "auditor",
    "status.optimal": "a plan that meets every floor",
    "status.infeasible": "no plan meets every floor and cap",
    "status.unbounded": "unbounded (the table is not productive)",
    "status.limit": "stopped at a time limit",
    "resource.labour": "Labour hours",
    "resource.co2": "CO2 emissions",
    "resource.capital_consumption": "Capital consumption",
    "resource.imports": "Imports",
    # numbers and time
    "num.percent": "{value:.1%}",
    "num.hours": "{value:,.0f} hours",
    "unit.hours": "hours",
    "num.hours_total": "{value} hours",
    "num.million_hours": "{value} million hours",
    "time.passed": "the deadline has passed",
    "time.days_hours": "{days} d {hours} h left",
    "time.hours_minutes": "{hours} h {minutes} min left",
    "time.minutes": "{minutes} min",
    "time.seconds": Plural("{seconds} second", "{seconds} seconds", "seconds"),
    # notices after a step (?done=KEY)
    "done.signed_out": "You have signed out.",
    "done.password_set": "Your password is set. Sign in with it now.",
    "done.password_changed": "Your password is changed and every session has ended. Sign in "
    "with the new one.",
    "done.password_reset": "Your password was reset by a facilitator since you last signed in. "
    "If you did not ask for that, tell another facilitator at once.",
    "done.filed": "Your proposal is filed.",
    "done.amended": "Your amendment is filed; it replaces the proposal.",
    "done.withdrawn": "The proposal is withdrawn.",
    "done.federation_created": "The federation is set up. Import its members next.",
    "done.members_added": "The members are imported. Invite them to set their passwords.",
    "done.members_none": "The file held no members.",
    "done.round_opened": "The round is open: councils may file their proposals.",
    "done.draft_computed": "The draft plan is computed; members can read it and amend.",
    "done.vote_opened": "The vote is open.",
    "done.vote_closed": "The vote is closed and counted.",
    # errors: a headline per kind of the API's error mapping; the detail is the library's
    "error.error": "Something went wrong",
    "error.back": "Back to your home page",
    "error.rate_limited": "Too many failed sign-ins",
    "error.unauthenticated": "Not signed in",
    "error.csrf": "This form has expired",
    "error.not_found": "Not found",
    "error.forbidden": "Not allowed",
    "error.phase": "Not in this phase of the round",
    "error.ballot_refused": "The ballot was refused",
    "error.floor": "The hard floors would no longer be met",
    "error.planning": "The plan cannot take this",
    "error.plan_input": "Please check the form",
    "error.voting": "Please check your ballot",
    "error.data": "Please check the data",
    "error.integrity": "The records do not verify",
    "error.solver": "The planning engine failed",
    "error.invalid_request": "Please check the form",
    "error.method_not_allowed": "Not possible here",
    "error.internal": "An unexpected error",
    "error.database": "The database is unavailable",
    "error.http": "The request failed",
    # sign in, invitation
    "signin.title": "Sign in",
    "signin.handle": "Your handle",
    "signin.password": "Password",
    "signin.submit": "Sign in",
    "signin.help": "New here? Open the invitation link a facilitator gave you to set your "
    "password.",
    "signin.rate_limited": "Too many failed sign-ins for this handle or from this address. "
    "Try again in {wait}.",
    "invitation.title": "Set your password",
    "invitation.intro": "Choose the password you will sign in with. The invitation works once.",
    "invitation.token": "Invitation code",
    "invitation.token_hint": "The code after the # in the link you were given.",
    "invitation.password": "New password",
    "invitation.password_hint": "At least 10 characters; a few words you will remember.",
    "invitation.again": "The same password again",
    "invitation.submit": "Set my password",
    "invitation.mismatch": "The two passwords differ; type the same one twice.",
    "password.title": "Change your password",
    "password.intro": "Give your current password and choose a new one. You are then signed out "
    "everywhere, this device too: sign in again with the new password.",
    "password.current": "Your current password",
    "password.submit": "Change my password",
    # home
    "home.title": "Welcome, {name}",
    "home.roles": "You take part as: {roles}.",
    "home.councils": "Your councils",
    "home.council": "{name} ({kind})",
    "home.no_councils": "You are in no council.",
    "home.round": "Round {number} is in its {phase} phase.",
    "home.round_closed": "Round {number} is over: {phase}.",
    "home.time_left": "{left}",
    "home.deadline": "(the phase ends {at})",
    "home.no_round": "No planning round has been opened yet.",
    "home.no_federation": "You are not part of a federation yet; a facilitator adds you.",
    "home.asked": "What is asked of you now",
    "home.ask.wait": "Nothing yet: a facilitator opens the next round.",
    "home.ask.file": "Councils file their proposals: targets, collective proposals, hours, "
    "capacities.",
    "home.ask.read_draft": "Read what the draft plan means for you and for everyone.",
    "home.ask.amend": "Amend or withdraw your councils' proposals if the draft asks too much.",
    "home.ask.vote": "Cast your ballot.",
    "home.ask.voted": "You have voted. Keep your receipt code; after the vote closes you can "
    "find your ballot on the board.",
    "home.ask.result": "The round has ended: read the result.",
    "home.ask.facilitate": "As a facilitator, move the round on.",
    # a round's pages
    "round.head": "{federation} · round {number} · {phase}",
    "round.deadline": "This phase ends {at} ({left}).",
    "round.nav": "This round",
    # proposals
    "proposals.title": "Proposals of round {number}",
    "proposals.file": "File a proposal",
    "proposals.submit": "File the proposal",
    "proposals.feedback_only": "The draft is out: proposals can now only be amended or withdrawn.",
    "proposals.no_councils": "You are in no council, so you file no proposals; you can read "
    "everyone's.",
    "proposals.all": "Everyone's proposals ({count})",
    "proposals.none": "No proposals yet.",
    "proposals.withdrawn": "Withdrawn, with the reason given",
    "proposal.withdrawn_why": "{title} ({council}): withdrawn by {handle}: “{reason}”",
    "proposal.kind": "What do you propose, and for which of your councils?",
    "proposal.kind_hint.target": "What your consumers' council asks for its members in a year: "
    "products by name, with amounts.",
    "proposal.kind_hint.collective": "Something you share, such as a canteen, a nursery or a "
    "clinic: its products and amounts. Its cost in hours of work goes to the budget vote.",
    "proposal.kind_hint.hours": "The hours each member of your workers' council offers to work "
    "in a year.",
    "proposal.kind_hint.capacity": "The most your workplace can do of each of its processes in a "
    "year.",
    "proposal.other_kind": "Propose something else",
    "proposal.rows.target": "Products and amounts",
    "proposal.rows.collective": "Products and amounts",
    "proposal.rows.capacity": "Processes and the most of each",
    "proposal.rows_hint.target": "Type part of a product's name and pick it; amounts are in "
    "{unit} a year. Leave the rows you do not need empty.",
    "proposal.rows_hint.collective": "Type part of a product's name and pick it; amounts are in "
    "{unit} a year. Leave the rows you do not need empty.",
    "proposal.rows_hint.capacity": "Type part of a process's name and pick it; the most it can "
    "make is in {unit} a year. Leave the rows you do not need empty.",
    "proposal.row_name.target": "Product {row}",
    "proposal.row_name.collective": "Product {row}",
    "proposal.row_name.capacity": "Process {row}",
    "proposal.row_amount.target": "Amount {row} ({unit} a year)",
    "proposal.row_amount.collective": "Amount {row} ({unit} a year)",
    "proposal.row_amount.capacity": "Most activity {row} ({unit} a year)",
    "proposal.paste": "Or paste codes and amounts",
    "proposal.check": "Check the cost",
    "proposal.cost_check": "This would take {hours} hours of work a year, directly and in "
    "everything needed to make it. File it as it stands, or change it and check again.",
    "proposal.hours_check": "Each member of your workers' council would offer {hours} hours a "
    "year. File it as it stands, or change it.",
    "proposal.capacity_check": "The {count} amounts are in order; a capacity costs no hours of "
    "its own. File it as it stands, or change it.",
    "proposal.unknown": "Row {row}: there is no product or process named “{text}”; type part "
    "of its name and pick one from the list.",
    "proposal.repeated_row": "Row {row}: {name} is named twice; name each once.",
    "proposal.what": "{council}: {kind}",
    "proposal.title": "Title",
    "proposal.amounts": "Codes and amounts",
    "proposal.amounts_hint": "One per line: a product code (a process code for capacities), "
    "then the amount per year, e.g. C10T12 = 2.",
    "proposal.hours": "Hours per member per year (hours proposals)",
    "proposal.hours_hint": "The hours each member of the workers' council offers to work in "
    "a year, e.g. 1500.",
    "proposal.by": "{council}, filed by {handle} · {kind}",
    "proposal.hours_value": "{hours} hours a year for each member",
    "proposal.amount": "{name}: {amount} {unit} a year",
    "proposal.capacity_amount": "{name}: at most {amount} {unit} a year",
    "proposal.amends_earlier": "Replaces an earlier version of this proposal",
    "proposal.cost": "Costs {hours:,.0f} labour hours",
    "proposal.amend": "Amend",
    "proposal.withdraw": "Withdraw",
    "proposal.withdraw_as_facilitator": "Withdraw as facilitator",
    "proposal.withdraw_reason": "Why it is withdrawn",
    "proposal.withdraw_reason_hint": "Required: {council} and every member read it with the "
    "proposal, and it goes into the audit log.",
    "proposal.choose_kind": "Choose what you propose and for which of your councils.",
    "proposal.bad_line": "Amounts, line {line} ({text}): write a code, then the amount, "
    "e.g. C10T12 = 2.",
    "proposal.repeated": "Amounts, line {line}: {code} is named twice; name each code once.",
    "amend.title": "Amend “{title}”",
    "amend.intro": "Your amendment replaces this {kind} of {council}.",
    "amend.submit": "File the amendment",
    "amend.cancel": "Back to the proposals",
    # the plan
    "plan.title": "The plan of round {number}",
    "plan.no_draft": "There is no draft plan yet: it is computed when the proposals phase ends.",
    "plan.for_you": "What {plan} means for you",
    "plan.name.draft": "the draft",
    "plan.name.alternative": "alternative {number}: {title}",
    "plan.name.final": "the final plan",
    "plan.name.replan": "the replanned year",
    "plan.your_week": "Under {plan} you would work {work} and have {free} of free time.",
    "plan.your_year": "That is {hours} hours of work a year; your workers' council offered "
    "{offered}.",
    "plan.your_rest": "It asks {hours} hours a year fewer of you than your council offered; "
    "the collective proposals the vote chooses may take some of them.",
    "plan.compare": "Your hours under each plan you may vote on",
    "plan.compare.row": "{plan}: {work} of work, {free} free",
    "plan.scarce": "What is scarce",
    "plan.scarce.share": "{name}: the plan uses all of it. 1 % more ({step} {unit}) would meet "
    "the targets {points} percentage points further.",
    "plan.scarce.hours": "{name}: the plan uses all of it. 1 % more ({step} {unit}) would save "
    "{hours} hours of work.",
    "plan.gets": "{name}: {planned} of the {asked} {unit} a year asked",
    "plan.no_work_council": "You are in no workers' council, so the plan asks no hours of you.",
    "plan.your_fulfilment": "Private consumption targets are met to {value:.1%}.",
    "plan.your_proposals": "Your councils' proposals",
    "plan.no_proposals": "Your councils have no proposals in this round.",
    "plan.met": "{kind}: met {met}",
    "plan.met_unknown": "when the budget vote chooses",
    "plan.person.title": "What each person of {council} gets a year",
    "plan.person.title_floors": "What each person gets a year",
    "plan.person.hint": "Per person of your consumers' council ({people} people), in {unit} a "
    "year, for each product it asks for or that has a hard floor.",
    "plan.person.no_council": "You are in no consumers' council: the plan gives you the hard "
    "floors.",
    "plan.person.today": "“Today” is the economy's final demand in the year of its table per "
    "inhabitant ({population} people): households, public services, investment and exports "
    "together, so more than any one person had.",
    "plan.person.no_today": "The economy's table gives no population, so what each person had "
    "in its year cannot be shown beside the plan.",
    "plan.person.against": "today {today}; under {plan} {amount} ({change})",
    "plan.person.under": "under {plan} {amount}",
    "plan.person.floor": "of which {amount} is the hard floor for {need}, never cut",
    "plan.person.asked": "{amount} was asked",
    "plan.person.more": "All {count} products",
    "plan.person.nothing": "Your council asks for nothing and there are no hard floors.",
    "need.food": "food",
    "need.housing": "housing",
    "need.health": "health",
    "need.care": "care",
    "plan.dearest": "The dearest products",
    "plan.dearest_hint": "What one more unit of each would cost the plan in hours of work, "
    "counting what is scarce in its inputs at what it is worth in hours.",
    "plan.dear": "{name}: {price} hours of work per {unit}",
    "plan.dear_shadow": "{name}: {price} per {unit} (a shadow price: compare them with one "
    "another)",
    "plan.for_all": "What it means for everyone",
    "plan.status": "Outcome",
    "plan.fulfilment": "Private targets met",
    "plan.hours_offered": "Hours offered",
    "plan.hours_used": "Hours the plan uses",
    "plan.budget": "Hours set aside for collective proposals",
    "plan.none": "none",
    "plan.binding": "What binds",
    "plan.binding_none": "Nothing binds: every cap and capacity has room to spare.",
    "plan.binding.cap": "The cap on {name} is used up",
    "plan.binding.capacity": "The capacity of {name} is used up",
    "plan.binding.floor": "{name} is held at its floor",
    "plan.binding.ceiling": "The targets of {name} are met in full",
    "plan.price": "shadow price {price}",
    "plan.objective.max_fulfilment": "A shadow price says how much further the targets could "
    "be met with one more unit of what binds.",
    "plan.objective.min_labour": "The targets are met in full; a shadow price says how many "
    "hours one more unit of what binds would save.",
    "plan.private_targets": "Private targets",
    "plan.collective": "Collective proposals",
    "plan.chosen": "chosen",
    "plan.not_chosen": "not chosen",
    # charts
    "chart.numbers": "The numbers: {title}",
    "chart.fulfilment.title": "How far the targets are met",
    "chart.fulfilment.x": "share of the target met",
    "chart.fulfilment.summary": Plural(
        "{count} target; it is met to {overall:.1%} (the dashed line).",
        "{count} targets; together they are met to {overall:.1%} (the dashed line).",
    ),
    "chart.fulfilment.summary_none": Plural("{count} target.", "{count} targets."),
    "chart.caps.title": "What the plan uses of its caps",
    "chart.caps.x": "share of the cap used",
    "chart.caps.bar": "{used} of {cap} {unit}",
    "chart.caps.row": "{share:.1%} ({detail})",
    "chart.caps.summary": Plural(
        "{count} capped resource, not used up.", "{count} capped resources, none used up."
    ),
    "chart.caps.summary_binding": Plural(
        "{count} capped resource; used up: {binding}.",
        "{count} capped resources; used up: {binding}.",
    ),
    "chart.flows.title": Plural(
        "The largest flow between sectors", "The {count} largest flows between sectors"
    ),
    "chart.flows.row": "{source} → {target}",
    "chart.flows.summary": Plural(
        "The largest flow of the plan from the sectors that make inputs (left) to the sectors "
        "that use them (right), in {unit} a year.",
        "The {count} largest flows of the plan from the sectors that make inputs (left) to the "
        "sectors that use them (right), in {unit} a year.",
    ),
    "chart.years.x": "year",
    "chart.years.row": "{series}, {year}",
    "chart.years.summary": Plural(
        "{count} series from {first} to {last}.", "{count} series from {first} to {last}."
    ),
    # the vote
    "vote.title": "Vote in round {number}",
    "vote.intro": "Fill in each ballot, then cast them together.",
    "vote.voted": "You have voted on: {title}.",
    "vote.secret": "Your ballot is secret: it is stored apart from your name. You get one "
    "receipt code for it.",
    "vote.submit": "Cast my ballot",
    "vote.closed": "The vote has closed.",
    "vote.all_done": "You have voted on every question.",
    "vote.not_open": "The vote is not open yet.",
    "vote.nothing": "This form holds no ballot; reload the page.",
    "vote.bad_question": "The form names an unknown question {value}; reload the page.",
    "vote.unknown_kind": "This page cannot show a ballot of kind {kind}.",
    "vote.budget.title": "Collective proposals",
    "vote.budget.hint": "Tick every collective proposal you support. {budget:,.0f} hours are set "
    "aside; they are shared out by equal shares among those who support each proposal.",
    "vote.budget.cost": "{hours:,.0f} labour hours",
    "vote.budget.none": "There are no collective proposals on this ballot.",
    "vote.budget.running": "Your ticks cost {total} hours; {budget} hours are set aside.",
    "vote.budget.over": "(more than the budget: fine, the count picks within it)",
    "vote.ratify.title": "Ratify the plan",
    "vote.ratify.hint": "Should the plan, with the collective proposals the count chooses, "
    "be ratified?",
    "vote.ratify.yes": "Yes, ratify",
    "vote.ratify.no": "No",
    "vote.ratify.abstain": "Abstain",
    "vote.ratify.missing": "Ratify the plan: choose yes, no or abstain.",
    "vote.consent.title": "Consent to the plan",
    "vote.consent.hint": "Consent if you can live with the plan; object with a reason if it "
    "would do harm. A reasoned objection blocks it.",
    "vote.consent.consent": "I consent",
    "vote.consent.object": "I object",
    "vote.consent.reason": "Your reason (when you object)",
    "vote.consent.missing": "Consent to the plan: choose consent or object.",
    "vote.consent.reason_needed": "An objection needs its reason; write it in the box.",
    "vote.ranked.title": "Rank the drafts",
    "vote.ranked.hint": "Put the drafts in your order of preference; leave places blank if "
    "you like.",
    "vote.ranked.place": "Choice {place}",
    "vote.ranked.blank": "(none)",
    "vote.ranked.draft": "The draft",
    # the receipt
    "receipt.title": "Your ballot is cast",
    "receipt.cast": "Cast: {titles}.",
    "receipt.your_code": "Your receipt code",
    "receipt.keep": "Write this code down or take a picture of it now: it is shown only once, "
    "and nobody else can find it for you.",
    "receipt.later": "After the vote closes, the board shows every ballot by its receipt code; "
    "look yours up to check it was counted as you cast it:",
    "receipt.find_link": "Find my ballot",
    "receipt.secret": "The code does not say who you are; only you know it is yours.",
    # results and history
    "result.title": "Result of round {number}",
    "result.not_yet": "The result is shown when the vote has closed.",
    "result.ratified": "The plan is ratified",
    "result.failed": "The plan was not ratified",
    "result.reason": "The count: {reason}",
    "result.yes": "Yes",
    "result.no": "No",
    "result.abstain": "Abstain",
    "result.objections": "Sustained objections",
    "result.turnout": "Turnout",
    "result.sustained": "The objections",
    "result.chosen": "Collective proposals chosen",
    "result.chosen_none": "No collective proposal was chosen.",
    "result.budget": Plural(
        "They cost {cost:,.0f} of the {budget:,.0f} hours set aside; {voters} member voted.",
        "They cost {cost:,.0f} of the {budget:,.0f} hours set aside; {voters} members voted.",
        "voters",
    ),
    "result.winner": "The ranked vote chose: {winner}.",
    "result.why": "Why each collective proposal was or was not funded",
    "result.why.shares": Plural(
        "{title}: funded by equal shares (round {round}): its {n} supporter paid {paid:,.1f} of "
        "the {cost:,.0f} hours it costs.",
        "{title}: funded by equal shares (round {round}): each of its {n} supporters paid "
        "{paid:,.1f} of the {cost:,.0f} hours it costs.",
        "n",
    ),
    "result.why.fill": Plural(
        "{title}: funded with what was left, {cost:,.0f} hours ({n} supporter; among those "
        "that still fitted, the most supported).",
        "{title}: funded with what was left, {cost:,.0f} hours ({n} supporters; among those "
        "that still fitted, the most supported).",
        "n",
    ),
    "result.why.short": Plural(
        "{title}: not funded. Its {n} supporter had {left:,.0f} hours left of their share, "
        "against the {cost:,.0f} hours it costs; {budget_left:,.0f} hours were left unspent.",
        "{title}: not funded. Its {n} supporters had {left:,.0f} hours left of their shares, "
        "against the {cost:,.0f} hours it costs; {budget_left:,.0f} hours were left unspent.",
        "n",
    ),
    "result.why.nobody": "{title}: not funded: nobody approved it ({cost:,.0f} hours).",
    "result.next_round": "The next round is open.",
    "result.find": "Check your ballot by its receipt code",
    "result.head": "Log head at close: {sha} (entry {seq}). Keep it: the audit log and the "
    "board are checked against it (commonplan audit verify --head, board recount --head).",
    "result.final_plan": "The final plan",
    "history.title": "Rounds so far",
    "history.round": "Round {number}",
    "history.phase": "Phase: {phase}",
    "history.chosen": "Chosen: {titles}",
    "history.plan": "Final plan: {status}; targets met {fulfilment:.1%}; {used:,.0f} of "
    "{offered:,.0f} hours.",
    # finding one's ballot
    "find.title": "Find my ballot",
    "find.intro": "Enter the receipt code you got when you voted. Ballots are shown once the "
    "vote has closed.",
    "find.receipt": "Receipt code",
    "find.submit": "Find",
    "find.found": "The ballots filed under {receipt}",
    "find.row": "{title} (round {round})",
    "find.approve": "You supported: {titles}",
    "find.approve_none": "You supported no collective proposal",
    "find.ratify": "You voted: {vote}",
    "find.consent": "You consented",
    "find.object": "You objected: {reason}",
    "find.ranking": "Your order: {ranking}",
    "find.counted": "This is the ballot the count used, exactly as the board publishes it.",
    # facilitators
    "facilitate.title": "Facilitate",
    "facilitate.draft": "Compute the draft plan",
    "facilitate.redraft": "Compute the draft again (after amendments)",
    "facilitate.open_vote": "Open the vote",
    "facilitate.close_vote": "Close the vote and count",
    "facilitate.no_step": "There is no step {step}; the steps are draft, vote and close.",
    "facilitate.open_round": "Open a planning round",
    "facilitate.deadlines_hint": "Deadlines are optional; filing, amending and voting stop at "
    "the end of their phase.",
    "facilitate.deadline": "End of the {phase} phase",
    "facilitate.open_round_submit": "Open the round",
    "facilitate.members": "Import members",
    "facilitate.members_file": "Members file (CSV)",
    "facilitate.members_hint": "Columns: handle, name, workers_council, consumers_council, "
    "role; councils by name.",
    "facilitate.members_submit": "Import",
    "facilitate.members.none": "Choose the CSV file of the members first.",
    "facilitate.invite": "Invite a member",
    "facilitate.invite_handle": "The member's handle",
    "facilitate.invite_submit": "Make an invitation link",
    "facilitate.reset_submit": "Reset their password",
    "facilitate.reset_hint": "A reset is for a member who forgot their password: it is written "
    "to the audit log and shown to them when they next sign in.",
    "facilitate.invited": "The invitation for {handle}",
    "facilitate.invited_once": "Give this link to the member now: it is shown only once and "
    "works for a week.",
    "facilitate.setup": "Set up a federation",
    "facilitate.setup_hint": "Give its name, its economy and its councils; members are "
    "imported after.",
    "facilitate.setup_paste": "The description (YAML)",
    "facilitate.setup_file": "Or the YAML file",
    "facilitate.setup_submit": "Set it up",
    "facilitate.federation.empty": "Paste the federation's description or choose its file.",
    "facilitate.federation.yaml": "The description is not valid YAML: {error}",
    "facilitate.federation.mapping": "A federation's description is a mapping with at least "
    "'name' and its councils.",
    "upload.too_big": "{file}: the file is larger than {kib} KiB.",
    "upload.not_utf8": "{file}: the file is not UTF-8 text.",
}

EN.update(EN_AFTER)  # the reports ledger, alerts, hours and quotas (web/text_after.py)
EN.update(EN_FACIL)  # the timeline, the facilitators' tools, plain errors (web/text_facil.py)

CATALOGUES: dict[str, dict[str, Translation]] = {
    lang: {} if lang == DEFAULT else i18n.translations(lang, EN) for lang in LANGUAGES
}
"""Language tag → its translated messages (read from its catalogue once); a message left out
shows in English."""
ERRORS: dict[str, dict[str, str]] = {lang: i18n.error_translations(lang) for lang in LANGUAGES}
"""Language tag → the translations of the library's error templates (English → its own)."""


class Translator:
    """The messages of one language (falling back to English key by key), with numbers and
    dates written as the language writes them."""

    def __init__(self, lang: str) -> None:
        if lang not in CATALOGUES:
            raise KeyError(f"no catalogue for language {lang!r}; have {', '.join(CATALOGUES)}")
        self.lang = lang
        self.locale = Locale.parse(lang)
        self.messages: dict[str, str | Plural | Translation] = {**EN, **CATALOGUES[lang]}
        self.errors = ERRORS[lang]

    def __call__(self, key: str, /, **fields: Any) -> str:
        try:
            message = self.messages[key]
        except KeyError:
            raise KeyError(
                f"no message {key!r} in the {self.lang!r} catalogue (commonplan/web/text.py)"
            ) from None
        if isinstance(message, Plural | tuple):
            english = EN[key]
            if not isinstance(english, Plural):
                raise TypeError(f"the message {key!r} has plural forms but English has none")
            lang = self.lang if isinstance(message, tuple) else DEFAULT
            forms = message if isinstance(message, tuple) else (message.one, message.other)
            index = i18n.plural_index(lang, int(fields[english.field]))
            message = forms[min(index, len(forms) - 1)]
        return message.format(**{k: i18n.localised(v, self.locale) for k, v in fields.items()})

    def error(self, exc: BaseException) -> str:
        """What ``exc`` says, in this language where the library said it with a template the
        catalogue translates (:func:`commonplan.errors.said`), else as the library says it."""
        message = exc.said if isinstance(exc, CommonplanError) else None
        return str(exc) if message is None else self.said(message)

    def said(self, message: Said) -> str:
        """A message said with a template, in this language: its fields too where they were
        said so (a product's kind, an error within the error), names as they are, numbers as
        the language writes them; in English where the template is not translated."""
        template = self.errors.get(message.template)
        if template is None:
            return str(message)
        fields = {
            k: self.said(v)
            if isinstance(v, Said)
            else self.error(v)
            if isinstance(v, CommonplanError)
            else v
            for k, v in message.fields.items()
        }
        return i18n.format_in(template, fields, self.locale)

    def has(self, key: str) -> bool:
        return key in self.messages

    def maybe(self, key: str, default: str, /, **fields: Any) -> str:
        """The message ``key`` if the catalogue has it, else ``default`` (e.g. a status the
        catalogue does not know yet, shown as the library names it)."""
        return self(key, **fields) if key in self.messages else default

    @property
    def separators(self) -> str:
        """The decimal and the thousands separator (Plotly's ``separators``: ``", "``)."""
        return get_decimal_symbol(self.locale) + get_group_symbol(self.locale)

    def number(self, value: float, spec: str = "") -> str:
        """``value`` as this language writes it (``spec`` as for :func:`format`)."""
        plain = float(value) if isinstance(value, int) and not isinstance(value, bool) else value
        return format(i18n.localised(plain, self.locale), spec)  # asked for: grouped

    def parse_number(self, text: str) -> float:
        """A number typed in a form, as this language writes it or plainly (``ValueError``
        if it is not one)."""
        return i18n.parse_number_in(text, self.locale)

    def plain(self, text: str) -> str:
        """A number typed in this language as the API reads it (Swedish ``7,5`` → ``7.5``); any
        other text as it is, for the API to name."""
        try:
            return repr(self.parse_number(text))
        except ValueError:
            return text

    def date(self, moment: Any) -> str:
        """A date, or a time in UTC (said so), as this language writes it."""
        return i18n.datetime_in(moment, self.locale)


@functools.cache
def translator(lang: str = DEFAULT) -> Translator:
    return Translator(lang)


def t(key: str, /, **fields: Any) -> str:
    """The message ``key`` in the default language, with ``fields`` filled in."""
    return translator(DEFAULT)(key, **fields)


_RANGE = re.compile(r"\s*([A-Za-z]{1,8}(?:-[A-Za-z0-9]{1,8})*|\*)\s*(?:;\s*q\s*=\s*([0-9.]+))?\s*")


def negotiate(accept_language: str | None) -> str:
    """The catalogue that best fits an ``Accept-Language`` header (``sv-SE, en;q=0.8``)."""
    ranked = []
    for k, part in enumerate((accept_language or "").split(",")):
        match = _RANGE.fullmatch(part)
        if match is None:
            continue
        try:
            q = float(match[2]) if match[2] else 1.0
        except ValueError:
            continue
        ranked.append((-q, k, match[1].lower()))
    for _, _, tag in sorted(ranked):
        for candidate in (tag, tag.split("-")[0]):
            if candidate in CATALOGUES:
                return candidate
    return DEFAULT


def choose(cookie: str | None, accept_language: str | None) -> str:
    """The language of a page: the one the member chose with the switch (its cookie), else the
    best fit for the browser's ``Accept-Language``."""
    return cookie if cookie in CATALOGUES and cookie is not None else negotiate(accept_language)
