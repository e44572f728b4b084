"""The pages' messages for following a round's phases (the timeline, the turnout), the
facilitators' tools (set-up by form, invitations for many, the member list, confirmations,
hiding a proposal, the next planning period) and errors in plain words — kept apart from
:mod:`commonplan.web.text` only for length: :data:`EN` there includes these."""

from __future__ import annotations

__all__ = ["EN_FACIL"]

EN_FACIL: dict[str, str] = {
    # the timeline of a round's phases
    "timeline.label": "The round's phases",
    "timeline.closed": "result",
    "timeline.current": "now",
    "timeline.began": "began {at}",
    "timeline.ends": "ends {at}",
    "timeline.ended": "ended {at}",
    "timeline.turnout": "{voted} of {eligible} members have voted ({percent:.0f} %).",
    # copying
    "copy.button": "Copy",
    "copy.done": "Copied",
    # the receipt
    "receipt.copy": "Copy the receipt code",
    # errors in plain words
    "error.plain.solver": "The plan could not be computed this time. Nothing was changed; a "
    "facilitator can try again or look at the details.",
    "error.plain.internal": "Something went wrong on our side. Nothing was changed; please try "
    "again in a moment.",
    "error.plain.integrity": "The records do not check out, so nothing more can be done until a "
    "facilitator has looked at them.",
    "error.plain.error": "Something went wrong. Nothing was changed; please try again or ask a "
    "facilitator.",
    "error.plain.database": "The service cannot reach its records just now. Please try again "
    "shortly.",
    "error.plain.invalid_request": "Something in the form could not be read. Please check what "
    "you typed and send it again.",
    "error.technical": "Details for facilitators",
    "plan.failed": "This plan could not be computed. A facilitator can compute it again.",
    "find.not_yet": "The vote this receipt belongs to is still open: ballots are shown on the "
    "board once it closes. Come back then.",
    # a form's fields as its labels name them
    "form.field_required": "{field}: please fill this in.",
    "form.field_number": "{field}: please give a number, like 12 or 3.5.",
    "form.field_too_long": "{field}: too long; at most {limit} characters.",
    "form.field_too_short": "{field}: please fill this in.",
    "form.field_min": "{field}: must be at least {limit}.",
    "form.field_max": "{field}: must be at most {limit}.",
    "form.field_date": "{field}: please give a date and time in UTC like 2026-12-01 18:00.",
    "form.field_choice": "{field}: please choose one of the options.",
    "form.field_invalid": "{field}: this value cannot be used.",
    "form.field_unknown": "{field}: the form has no such field; please leave it out.",
    "field.title": "Title",
    "field.amounts": "Amounts",
    "field.hours": "Hours",
    "field.name": "Name",
    "field.level": "Level",
    "field.economy": "Economy",
    "field.councils": "Councils",
    "field.floors": "Hard floors",
    "field.kind": "Kind",
    "field.product": "Product",
    "field.per_person": "Amount per person",
    "field.receipt": "Receipt code",
    "field.reason": "Reason",
    "field.deadlines": "Deadline",
    "field.proposals": "End of the proposals phase",
    "field.feedback": "End of the feedback phase",
    "field.vote": "End of the vote",
    "field.form": "The form",
    # date and time fields
    "when.hint": "In UTC, written as 2026-12-01 18:00 (year-month-day hours:minutes).",
    "when.pattern": "YYYY-MM-DD HH:MM",
    # confirmations
    "confirm.title": "Please confirm",
    "confirm.submit": "Confirm",
    "confirm.back": "Back",
    "confirm.cannot_undo": "This cannot be undone.",
    "confirm.vote": "Open the vote of round {number} of {federation}: the ballot boxes open, "
    "members can vote, and proposals can no longer be amended.",
    "confirm.close": "Close the vote of round {number} of {federation} and count it: no more "
    "ballots are taken, and the plan is ratified or the next round opens.",
    "confirm.period": "Open the next planning period of {federation}: its first round opens "
    "for proposals.",
    "confirm.hide": "Hide the proposal “{title}” of {council}: members will see only that you "
    "hid it and why: “{reason}”.",
    # the facilitate page
    "facilitate.next_period": "Open the next planning period",
    "facilitate.next_period_hint": "The plan is ratified. The next planning period starts with "
    "a new round; deadlines are optional.",
    "facilitate.members_list": "Members and invitations",
    "facilitate.invite_many": "Invite many members",
    "facilitate.setup_yaml": "Or import a description file",
    "done.period_opened": "The next planning period is open: councils may file proposals.",
    "done.hidden": "The proposal is hidden; members see who hid it and why.",
    # set-up by form
    "setup.name": "Name of the federation",
    "setup.level": "Level (for example region or commune)",
    "setup.economy": "Economy",
    "setup.councils": "Councils, one per line",
    "setup.councils_hint": "Each line: name, kind ({workers} or {consumers}), and for a workers' "
    "council the codes of what it makes, separated by spaces. For example: North dairy, "
    "{workers}, C10T12",
    "setup.kind.workers": "workers",
    "setup.kind.consumers": "consumers",
    "setup.floors": "Hard floors (optional), one per line",
    "setup.floors_hint": "Each line: product code, amount per person per year. For example: "
    "C10T12, 0.02",
    "setup.submit": "Set up the federation",
    "setup.bad_council": "Councils, line {line}: “{text}” is not “name, kind”.",
    "setup.bad_kind": "Councils, line {line}: the kind is {workers} or {consumers}, not “{kind}”.",
    "setup.bad_floor": "Hard floors, line {line}: “{text}” is not “product, amount”.",
    "setup.no_councils": "Councils: give at least one council, one per line.",
    "setup.yaml_hint": "If you have a description file of the federation (YAML, like the "
    "example that comes with commonplan), paste it here or choose the file.",
    # invitations for many
    "invite_many.title": "Invite members",
    "invite_many.handles": "Handles, one per line",
    "invite_many.handles_hint": "Every member listed gets an invitation link, or nobody does "
    "if one of them cannot be invited.",
    "invite_many.file": "Or a CSV file with a handle column",
    "invite_many.submit": "Make the invitation links",
    "invite_many.none": "Give at least one handle, or choose a CSV file.",
    "invite_many.made": "Invitation links for {count} members",
    "invite_many.once": "Give each member their link now: the links are shown only once and "
    "work for a week.",
    "invite_many.link_for": "Link for {handle}",
    # the member list
    "members.title": "Members of {federation}",
    "members.state": "Show",
    "members.all": "everyone",
    "members.show": "Show",
    "members.count": "{count} members",
    "members.none": "No member matches.",
    "members.account.active": "can sign in",
    "members.account.invited": "invited, until {until}",
    "members.account.invitation_expired": "invitation expired",
    "members.account.not_invited": "not invited yet",
    "members.state.active": "can sign in",
    "members.state.invited": "invited",
    "members.state.invitation_expired": "invitation expired",
    "members.state.not_invited": "not invited yet",
    "members.state.voted": "voted in round {number}",
    "members.state.not_voted": "not voted in round {number}",
    "members.voted": "voted in round {number}",
    "members.not_voted": "has not voted in round {number}",
    # hiding a proposal
    "proposal.hide": "Hide this proposal as abusive",
    "proposal.hide_reason": "Why it is hidden (members read this in its place)",
    "proposal.hide_submit": "Hide it",
    "proposal.hidden_why": "A proposal of {council} was hidden by {handle}: {reason}",
}
