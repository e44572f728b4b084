"""Economies: the input-output data a plan is made from.

- :mod:`~commonplan.economy.model` — :class:`Economy` (products, processes, coefficients, labour
  and resources), validated once when it is built and immutable afterwards;
- :mod:`~commonplan.economy.io` — reading and writing tables (CSV directories, the shipped demo,
  pymrio systems);
- :mod:`~commonplan.economy.supply_use` — rectangular supply and use tables (industry or
  product technology) and INE's workbooks (:mod:`~commonplan.economy._ine`);
- :mod:`~commonplan.economy.synthetic` — random productive economies with real tables' structure.
"""

from commonplan.economy.model import LABOUR, Economy

__all__ = ["LABOUR", "Economy"]
