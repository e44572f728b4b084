"""What every request passes through before the routes: a cap on its body, the security headers
on every answer, and an access log that holds no secret.

- :class:`BodyLimit` (pure ASGI): a body larger than its route's cap is refused with 413 before
  it is read whole — at once when ``Content-Length`` says so, else as soon as the bytes streamed
  pass the cap (nothing beyond the cap is ever held).  :data:`SMALL` for every route,
  :data:`LARGE` for the imports (:data:`IMPORTS`: member, report and hours files, a federation's
  description).
- :class:`SecurityHeaders`: a Content-Security-Policy that allows scripts, styles, images and
  connections from this site only (no inline script: the pages load theirs from ``/static``;
  plotly.js and Swagger UI set inline *styles*, which ``style-src`` allows), no framing
  (``frame-ancestors 'none'`` and ``X-Frame-Options: DENY``), ``nosniff``, no referrer, and
  HSTS over https.
- :class:`CompressAssets`: gzip for the files every page loads (``/static``, ``/vendor``: the
  stylesheet, the scripts, plotly.js), never for pages or API answers — those hold secrets (a
  form's token, a receipt) beside text a stranger can choose, which compressed together leak the
  secret through the answer's length (BREACH).
- :class:`AccessLogFilter` on uvicorn's access log: query strings are dropped and secret path
  segments (an invitation token, a receipt) are replaced by ``…``, so the log — which holds the
  client's address and port beside each request — never ties a receipt, and so a ballot, to a
  person.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterable
from typing import Any

from fastapi import HTTPException
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

__all__ = [
    "CSP",
    "HEADERS",
    "IMPORTS",
    "LARGE",
    "SMALL",
    "AccessLogFilter",
    "BodyLimit",
    "SecurityHeaders",
    "install_access_log_filter",
    "redact",
]

SMALL = 1024 * 1024
"""The body cap of every route but the imports: 1 MiB (a ballot, a proposal, a form)."""
LARGE = 8 * 1024 * 1024
"""The body cap of the imports: a 5 MiB CSV file in a multipart form, with room to spare."""
IMPORTS = re.compile(
    r"^(/api/v1/federations(/\d+/members(/csv)?)?"
    r"|/api/v1/rounds/\d+/(reports|hours)(/csv)?"
    r"|/facilitate/federations(/\d+/members)?"
    r"|/rounds/\d+/(reports/(file|csv)|workplace/hours(/csv)?))$"
)
"""The routes that take a file or a bulk import, and so :data:`LARGE` bodies."""


def _detail(cap: int) -> str:
    return f"the request body is larger than this route takes ({cap // 1024} KiB at most)"


class BodyTooLarge(HTTPException):
    """Raised by the wrapped ``receive`` once the body passes the cap (an HTTP exception, so that
    the body parsers pass it on and the app answers it as 413)."""

    def __init__(self, cap: int) -> None:
        super().__init__(413, _detail(cap))


class BodyLimit:
    """Refuse (413) a request body larger than its route's cap, before it is read whole."""

    def __init__(self, app: ASGIApp, *, small: int = SMALL, large: int = LARGE) -> None:
        self.app = app
        self.small = small
        self.large = large

    def cap(self, path: str) -> int:
        return self.large if IMPORTS.match(path) else self.small

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        cap = self.cap(scope["path"])
        length = dict(scope["headers"]).get(b"content-length", b"")
        if length.strip().isdigit() and int(length) > cap:
            await _too_large(scope, receive, send, cap)
            return
        seen = 0
        started = False

        async def counted() -> Message:
            nonlocal seen
            message = await receive()
            if message["type"] == "http.request":
                seen += len(message.get("body", b""))
                if seen > cap:
                    raise BodyTooLarge(cap)
            return message

        async def watched(message: Message) -> None:
            nonlocal started
            started = started or message["type"] == "http.response.start"
            await send(message)

        try:
            await self.app(scope, counted, watched)
        except BodyTooLarge:
            if started:
                raise
            await _too_large(scope, receive, send, cap)
        except Exception as exc:  # a body parser that wrapped it (multipart, form)
            if not _caused_by_size(exc) or started:
                raise
            await _too_large(scope, receive, send, cap)


def _caused_by_size(exc: BaseException | None) -> bool:
    while exc is not None:
        if isinstance(exc, BodyTooLarge):
            return True
        exc = exc.__cause__ or exc.__context__
    return False


async def _too_large(scope: Scope, receive: Receive, send: Send, cap: int) -> None:
    detail = _detail(cap)
    request = Request(scope, receive)
    render = getattr(getattr(scope.get("app"), "state", None), "render_error", None)
    response: Response
    if render is not None and not scope["path"].startswith("/api/"):
        response = render(request, 413, "too_large", detail)
    else:
        response = JSONResponse({"error": "too_large", "detail": detail}, status_code=413)
    response.headers["Connection"] = "close"  # the rest of the body is never read
    await response(scope, receive, send)


CSP = "; ".join(
    (
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self' 'unsafe-inline'",  # plotly.js and Swagger UI set inline styles
        "img-src 'self' data:",
        "font-src 'self'",
        "connect-src 'self'",
        "object-src 'none'",
        "base-uri 'none'",
        "form-action 'self'",
        "frame-ancestors 'none'",
    )
)
HEADERS: dict[str, str] = {
    "Content-Security-Policy": CSP,
    "X-Frame-Options": "DENY",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "Cross-Origin-Opener-Policy": "same-origin",
    "Cross-Origin-Resource-Policy": "same-origin",
    "Permissions-Policy": "camera=(), microphone=(), geolocation=(), payment=()",
}
"""The headers every answer carries (and HSTS over https)."""
HSTS = "max-age=63072000; includeSubDomains"


class SecurityHeaders:
    """Add :data:`HEADERS` (and ``Strict-Transport-Security`` over https) to every answer."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app
        self.headers = [(k.lower().encode(), v.encode()) for k, v in HEADERS.items()]

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        extra = list(self.headers)
        if scope.get("scheme") == "https":
            extra.append((b"strict-transport-security", HSTS.encode()))

        async def with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                present = {k.lower() for k, _ in message.get("headers", [])}
                added = [(k, v) for k, v in extra if k not in present]
                message = {**message, "headers": [*message.get("headers", []), *added]}
            await send(message)

        await self.app(scope, receive, with_headers)


ASSET_PREFIXES = ("/static/", "/vendor/")
"""Paths of files that hold no secret and may be compressed."""


class CompressAssets:
    """gzip the answers under :data:`ASSET_PREFIXES` for clients that accept it (Starlette's
    ``GZipMiddleware``); everything else passes untouched."""

    def __init__(self, app: ASGIApp) -> None:
        from starlette.middleware.gzip import GZipMiddleware

        self.app = app
        self.gzip = GZipMiddleware(app, minimum_size=500, compresslevel=6)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and scope["path"].startswith(ASSET_PREFIXES):
            await self.gzip(scope, receive, send)
        else:
            await self.app(scope, receive, send)


SECRET_PATHS = (
    (re.compile(r"^(/invitation/)[^/?]+"), r"\1…"),
    (re.compile(r"^(/api/v1/board/ballots/)(?!find$)[^/?]+"), r"\1…"),
)
"""Paths whose last segment is a secret (an older invitation link, an older receipt look-up)."""


def redact(path: str) -> str:
    """``path`` as the access log shows it: no query string, secret segments as ``…``."""
    path = path.split("?", 1)[0]
    for pattern, replacement in SECRET_PATHS:
        path = pattern.sub(replacement, path)
    return path


class AccessLogFilter(logging.Filter):
    """Rewrite uvicorn's access records (``client, method, path, version, status``) through
    :func:`redact`."""

    def filter(self, record: logging.LogRecord) -> bool:
        args: Any = record.args
        if isinstance(args, tuple) and len(args) == 5 and isinstance(args[2], str):
            record.args = (args[0], args[1], redact(args[2]), args[3], args[4])
        return True


def install_access_log_filter(names: Iterable[str] = ("uvicorn.access",)) -> None:
    """Put :class:`AccessLogFilter` on uvicorn's access logger (once)."""
    for name in names:
        logger = logging.getLogger(name)
        if not any(isinstance(f, AccessLogFilter) for f in logger.filters):
            logger.addFilter(AccessLogFilter())
