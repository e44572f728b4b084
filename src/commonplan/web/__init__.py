"""The web service: a REST API (``/api/v1``) and, on the same app, the server-rendered pages.

``create_app(db_url=None, *, settings=None)`` builds the FastAPI app; ``commonplan serve`` runs
it under uvicorn.  Modules:

- :mod:`~commonplan.web.app` — the factory: ``app.state.db`` (a :class:`~commonplan.store.Database`,
  migrated on open), ``app.state.settings`` (:class:`~commonplan.accounts.Settings`), the error
  mapping, the ballot path, the API and the pages;
- :mod:`~commonplan.web.deps` — typed dependencies: ``DB``, ``AppSettings``, ``CurrentMember``
  (a :class:`~commonplan.accounts.Principal`; 401 when nobody is signed in), ``MaybeMember``,
  ``Facilitator``, ``Overseer``, CSRF and the session cookie;
- :mod:`~commonplan.web.scope` — is this row of the member's federations? (``round_in_scope(who,
  s, id)`` …; 404 unknown, 403 another federation's), and ``not_auditor``;
- :mod:`~commonplan.web.public` — what the service shows of its records (the schemas' ``*Public``
  types), each read checked against the member's federations;
- :mod:`~commonplan.web.acts` — what a member does (file a proposal, cast ballots, invite …):
  checks who may, then calls the domain with ``actor=who.handle``;
- :mod:`~commonplan.web.api` — the REST routes, one module per resource, thin over ``public``
  and ``acts``; :mod:`~commonplan.web.schemas` — their bodies and answers;
- :mod:`~commonplan.web.pages` — the pages, by page family, over the same ``public`` and
  ``acts``; :mod:`~commonplan.web.text` — every word on them; :mod:`~commonplan.web.charts`;
- :mod:`~commonplan.web.errors` — the exception tree → status codes (JSON under ``/api/``, else
  ``app.state.render_error``); :mod:`~commonplan.web.ballot_path` — the group-committed ballots.

The routes and pages never call each other: both read through ``public`` and act through
``acts`` (or the domain), so authorisation, validation and messages are the same in both.
"""

from commonplan.accounts import Principal, Settings
from commonplan.web.app import API_PREFIX, create_app

__all__ = ["API_PREFIX", "Principal", "Settings", "create_app"]
