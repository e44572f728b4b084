"""Members' accounts — the library the web service and the ``commonplan account`` commands sign
people in with.  Nothing here knows HTTP: :mod:`commonplan.web` and the CLI call these, and
:mod:`commonplan.web.errors` maps the exceptions (:class:`AuthenticationError`,
:class:`RateLimitedError`, :class:`CSRFError`, in :mod:`commonplan.errors`' tree and importable
from here) to status codes.  One module a concept:

- :mod:`~commonplan.accounts.settings` — :class:`Settings`, how the service signs people in
  (from ``COMMONPLAN_*`` variables), and :func:`hosts_of`, the Host headers it answers;
- :mod:`~commonplan.accounts.principals` — the :class:`Principal` a signed-in member is
  authorised as (councils, delegate terms, root federations), and :func:`roots`;
- :mod:`~commonplan.accounts.passwords` — setting a password at the terminal
  (:func:`set_password`) and changing one's own (:func:`change_password`); hashing (Argon2id)
  is in ``_hashing``;
- :mod:`~commonplan.accounts.invitations` — one-time tokens with which a member sets a password:
  :func:`invite`, :func:`invite_many`, :func:`reset_password` (audit-logged, told to the member
  at their next sign-in), :func:`accept_invitation`;
- :mod:`~commonplan.accounts.staff` — facilitators and auditors serving a federation
  (:func:`add_staff`), and whom a facilitator may invite or reset: only staff of *every*
  federation a member belongs to (a member outside theirs is answered as unknown);
- :mod:`~commonplan.accounts.throttle` — the sign-in rate limit (OWASP's "device cookies",
  :func:`device_token`): failures are stored, counted in buckets, and a full bucket holds the
  next attempt back, before the password is checked; nobody can lock a member out;
- :mod:`~commonplan.accounts.sessions` — :func:`sign_in`, :func:`authenticate`,
  :func:`signed_in`, :func:`sign_out`, :func:`sessions_of`: random 256-bit tokens of which the
  database keeps only the SHA-256, with a sliding expiry;
- :mod:`~commonplan.accounts.tokens` — :func:`csrf_token` (HMAC-SHA256 keyed by the session
  token: never stored, it dies with the session; see :mod:`commonplan.web.deps`) and
  :func:`same_token`.

The public names of these modules are importable from here::

    from commonplan import accounts
    session = accounts.sign_in(db, "ada", password, client="203.0.113.7")
"""

from __future__ import annotations

from commonplan.accounts.invitations import (
    Invited,
    accept_invitation,
    invite,
    invite_many,
    reset_password,
)
from commonplan.accounts.passwords import change_password, set_password
from commonplan.accounts.principals import Principal, principal, roots
from commonplan.accounts.sessions import (
    NewSession,
    SignedIn,
    authenticate,
    sessions_of,
    sign_in,
    sign_out,
    signed_in,
)
from commonplan.accounts.settings import LOOPBACK as LOOPBACK  # for the CLI, not in __all__
from commonplan.accounts.settings import Settings, hosts_of
from commonplan.accounts.staff import add_staff
from commonplan.accounts.throttle import device_token
from commonplan.accounts.tokens import csrf_token, same_token
from commonplan.errors import AuthenticationError, CSRFError, RateLimitedError

__all__ = [
    "AuthenticationError",
    "CSRFError",
    "Invited",
    "NewSession",
    "Principal",
    "RateLimitedError",
    "Settings",
    "SignedIn",
    "accept_invitation",
    "add_staff",
    "authenticate",
    "change_password",
    "csrf_token",
    "device_token",
    "hosts_of",
    "invite",
    "invite_many",
    "principal",
    "reset_password",
    "roots",
    "same_token",
    "sessions_of",
    "set_password",
    "sign_in",
    "sign_out",
    "signed_in",
]
