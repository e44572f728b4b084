"""Votes and their counts: the ballot kinds, and the rules that count them.

- :mod:`~commonplan.voting.choices` — the ballot of each question kind and its count;
- :mod:`~commonplan.voting.tally` — approval ratification, consent, Schulze;
- :mod:`~commonplan.voting.pabulib` — PaBuLib files of participatory budgets;
- the Method of Equal Shares itself is numerics: :mod:`commonplan.numerics.mes`.
"""
