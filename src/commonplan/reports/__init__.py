"""After the vote: what workplaces report they made, and whether the reports add up.

- :mod:`~commonplan.reports.ledger` — the append-only ledger of production reports (outputs,
  deliveries, receipts, inputs, stocks, hours, hard-to-fake measures), filed in all-or-nothing
  batches, corrected by revisions, each batch in the audit log;
- :mod:`~commonplan.reports.reconcile` — one period's reports reconciled against the balances
  they must satisfy, tested, and the suspects named (``cp.reconcile``);
- :mod:`~commonplan.reports.screening` — the plausibility screens beside the balances, council
  by council (fulfilment bunching, storming, heaping, hours per unit, Benford, hard measures).
"""

from commonplan.reports import ledger
from commonplan.reports.ledger import *  # noqa: F403 (the ledger's public names)

__all__: list[str] = []
__all__ += ledger.__all__
