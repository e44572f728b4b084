"""Planning rounds: proposals → draft → feedback → vote → ratified, or the next round.

- :mod:`~commonplan.rounds.service` — the phases, proposals, drafts, ballots and the count;
- :mod:`~commonplan.rounds.board` — the public board: export, recount, finding one's ballot.
"""
