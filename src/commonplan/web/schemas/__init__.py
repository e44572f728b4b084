"""Request and response bodies of the REST API, split by direction: ``XCreate`` (what a client
sends), ``XPublic`` (what the service answers) — one module a family of routes:

- :mod:`~commonplan.web.schemas.accounts` — sign-in, sessions, invitations, passwords;
- :mod:`~commonplan.web.schemas.federations` — federations, councils, delegates, floors, members;
- :mod:`~commonplan.web.schemas.rounds` — proposals, plans, votes, ballots, the board, the
  audit log;
- :mod:`~commonplan.web.schemas.after_vote` — reports and their reconciliation, alerts, hours
  worked, the monitor.
"""

from __future__ import annotations

from commonplan.web.schemas import accounts, after_vote, federations, rounds
from commonplan.web.schemas.accounts import *  # noqa: F403 (each module's __all__)
from commonplan.web.schemas.after_vote import *  # noqa: F403
from commonplan.web.schemas.federations import *  # noqa: F403
from commonplan.web.schemas.rounds import *  # noqa: F403

__all__: list[str] = []
__all__ += accounts.__all__
__all__ += federations.__all__
__all__ += rounds.__all__
__all__ += after_vote.__all__
