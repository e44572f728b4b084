"""Plans: what an economy must produce, what it costs, and the best plan within its limits.

- :mod:`~commonplan.plan.balance` — the balanced plan (I − A) x = y and embodied inputs λ;
- :mod:`~commonplan.plan.optimize` — Kantorovich's optimal plan under caps, floors and
  capacities, with its diagnosis when it cannot hold;
- :mod:`~commonplan.plan.capital`, :mod:`~commonplan.plan.years` — capital stocks and
  multi-year plans that invest in capacity; :mod:`~commonplan.plan.charts` draws them.
"""
