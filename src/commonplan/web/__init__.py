"""The web service: a REST API (``/api/v1``) and, on the same app, the pages.

``create_app(db_url=None, *, settings=None)`` (:mod:`commonplan.web.app`) builds the FastAPI app:
``app.state.db`` (a :class:`~commonplan.store.Database`, migrated on open), ``app.state.settings``
(:class:`~commonplan.accounts.Settings`), the error mapping (:mod:`commonplan.web.errors`) and the
API routes.  ``commonplan serve`` runs it under uvicorn.

How the server-rendered pages reuse it
--------------------------------------

- **Add the pages to the app**: ``app = create_app(db); app.include_router(pages.router)``, or
  call a ``pages.install(app)`` from :func:`create_app` once the pages module exists.
- **Who is signed in**: depend on :data:`commonplan.web.deps.MaybeMember` (``None`` when nobody
  is: redirect to the sign-in page) or :data:`~commonplan.web.deps.CurrentMember` (401 when
  nobody is).  Both read the session cookie (or a bearer token) and give a
  :class:`~commonplan.accounts.Principal`: ``handle``, ``role``, ``roles``, ``councils``,
  ``delegate_of``, ``federations``.  ``Facilitator`` and ``Overseer`` add a role check.
  Authorise reads with :mod:`commonplan.web.api.scope` (``round_in_scope(who, s, id)`` …).
- **Signing in from a form**: show the form with
  ``token = deps.form_token(request, response, settings)`` in a hidden field ``csrf_token``;
  on post call ``deps.check_form_token(request, form["csrf_token"])``, then
  ``new = auth.sign_in(db, handle, password, client=deps.client_address(request),
  settings=settings)`` and ``deps.set_session_cookie(response, request, settings, new)``.
  Sign out: ``auth.sign_out(db, token)`` and ``set_session_cookie(..., None)``.
- **CSRF on forms**: every signed-in form carries a hidden field ``csrf_token`` with
  ``deps.csrf_token_of(request)`` (set once ``CurrentMember``/``MaybeMember`` ran).  A POST with a
  cookie session and without it is refused by the dependency itself (403 ``csrf``) — the form
  routes need do nothing more.  JavaScript sends it in the ``X-CSRF-Token`` header.
- **Errors**: the services raise the :mod:`commonplan.errors` tree; the handlers answer JSON on
  ``/api/`` paths.  For HTML error pages set ``app.state.render_error = fn(request, status, kind,
  detail) -> Response``: it is used for every path outside ``/api/``.
- **Acting**: call the services (:mod:`commonplan.rounds` …) with ``actor=who.handle`` — never
  a handle from the form.
"""

from commonplan.accounts import Principal, Settings
from commonplan.web.app import API_PREFIX, create_app

__all__ = ["API_PREFIX", "Principal", "Settings", "create_app"]
