"""The ballot path of a busy service: ``POST /api/v1/questions/{id}/ballots``, group-committed.

A vote brings many ballots at once.  :class:`BallotPath` is an ASGI middleware in front of the
application: a ballot sent with a bearer token, as JSON, with no receipt of its own (not a
retry), is checked against :class:`~commonplan.web.schemas.BallotCreate` and handed to the
worker's :class:`BallotDesk`, which casts what arrives together in one go — the sessions read in
one query (:func:`~commonplan.accounts.signed_in`), the ballots in one transaction
(:func:`~commonplan.rounds.cast_ballots`) — and answers each with its receipt once the
transaction has committed.  Batches form by themselves: while one is in the database the next
gathers, so a quiet service casts each ballot at once and a busy one commits many per trip.

Everything else — another request, a cookie session (which needs its CSRF token), a retry, and
any ballot the desk does not cast (a refusal, an auditor, an unknown session, a malformed
body) — goes on to the application's own route (:func:`commonplan.web.api.votes.cast_route`),
which answers it as it answers every request: the fast path only ever takes ballots the route
would take, and says of them what the route says (201 and the receipt).
"""

from __future__ import annotations

import asyncio
import contextlib
import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from pydantic import ValidationError
from starlette.concurrency import run_in_threadpool
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from commonplan.accounts import Settings, SignedIn, signed_in
from commonplan.rounds import BallotPaper, cast_ballots
from commonplan.store import Database
from commonplan.web.deps import MAX_ID
from commonplan.web.schemas import BallotCreate, Receipt

__all__ = ["BallotDesk", "BallotPath"]

MAX_BODY = 64 * 1024
"""A larger ballot goes to the route (which refuses or takes it as it would)."""
MAX_BATCH = 512


@dataclass(frozen=True)
class _Ballot:
    token: str
    question: int
    choice: dict[str, Any]


class BallotDesk:
    """Gathers the ballots of one worker process and casts them together.

    :meth:`cast` answers the receipt of a ballot cast, or ``None`` for one not cast here (the
    caller then takes the ordinary route, which explains).  One batch is in the database at a
    time; the ballots that arrive meanwhile are the next batch (at most :data:`MAX_BATCH`).
    """

    def __init__(self, db: Database, settings: Settings) -> None:
        self.db = db
        self.settings = settings
        self._waiting: list[tuple[_Ballot, asyncio.Future[str | None]]] = []
        self._drainer: asyncio.Task[None] | None = None

    async def cast(self, token: str, question: int, choice: dict[str, Any]) -> str | None:
        loop = asyncio.get_running_loop()
        answer: asyncio.Future[str | None] = loop.create_future()
        self._waiting.append((_Ballot(token, question, choice), answer))
        drainer = self._drainer
        if drainer is None or drainer.done() or drainer.get_loop() is not loop:
            self._drainer = loop.create_task(self._drain())  # kept: a task nobody holds may vanish
        return await answer

    async def _drain(self) -> None:
        loop = asyncio.get_running_loop()
        while self._waiting:
            batch = self._waiting[:MAX_BATCH]
            del self._waiting[:MAX_BATCH]
            try:
                receipts = await run_in_threadpool(self._cast, [b for b, _ in batch])
            except Exception:  # the database failed: the route tries each and explains
                receipts = [None] * len(batch)
            for (_, answer), receipt in zip(batch, receipts, strict=True):
                if answer.get_loop() is loop:
                    _answer(answer, receipt)
                    continue
                with contextlib.suppress(RuntimeError):  # another loop's; closed: nobody waits
                    answer.get_loop().call_soon_threadsafe(_answer, answer, receipt)

    def _cast(self, ballots: Sequence[_Ballot]) -> list[str | None]:
        """The sessions, then the ballots of members who may vote (not auditors): one query and
        one transaction; ``None`` where the route must answer."""
        who = signed_in(self.db, [b.token for b in ballots], settings=self.settings)
        papers = {
            i: BallotPaper(b.question, w.handle, b.choice)
            for i, (b, w) in enumerate(zip(ballots, who, strict=True))
            if isinstance(w, SignedIn) and w.role != "auditor"
        }
        out: list[str | None] = [None] * len(ballots)
        for i, receipt in zip(papers, cast_ballots(self.db, list(papers.values())), strict=True):
            out[i] = receipt if isinstance(receipt, str) else None
        return out


def _answer(answer: asyncio.Future[str | None], receipt: str | None) -> None:
    if not answer.done():
        answer.set_result(receipt)


class BallotPath:
    """ASGI middleware: ballots that :class:`BallotDesk` can cast go to it, everything else to
    ``app``.  ``db`` and ``settings`` are the application's; ``prefix`` is where its API is."""

    def __init__(self, app: ASGIApp, db: Database, settings: Settings, prefix: str) -> None:
        self.app = app
        self.desk = BallotDesk(db, settings)
        self.path = re.compile(re.escape(prefix) + r"/questions/([1-9][0-9]{0,9})/ballots")

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        ballot = _ballot_request(scope, self.path)
        if ballot is None:
            await self.app(scope, receive, send)
            return
        question, token = ballot
        body, complete = await _body(receive)
        receipt = None
        if complete:
            try:
                sent = BallotCreate.model_validate_json(body)
            except ValidationError:
                sent = None
            if sent is not None and sent.receipt is None:
                receipt = await self.desk.cast(token, question, sent.choice)
        if receipt is None:  # the route answers, from the same body
            await self.app(scope, _replay(body, complete, receive), send)
            return
        answer = Receipt(question=question, receipt=receipt).model_dump_json().encode()
        await send(
            {
                "type": "http.response.start",
                "status": 201,
                "headers": [
                    (b"content-type", b"application/json"),
                    (b"content-length", str(len(answer)).encode()),
                ],
            }
        )
        await send({"type": "http.response.body", "body": answer})


def _ballot_request(scope: Scope, ballots: re.Pattern[str]) -> tuple[int, str] | None:
    """(question, bearer token) of a JSON ballot sent with a bearer token, else ``None``."""
    if scope["type"] != "http" or scope["method"] != "POST":
        return None
    path: str = scope["path"]
    root: str = scope.get("root_path", "")
    if root and path.startswith(root):
        path = path[len(root) :]
    match = ballots.fullmatch(path)
    if match is None or int(match[1]) > MAX_ID:
        return None
    headers = dict(reversed(scope["headers"]))  # the first of a repeated header, as Starlette
    scheme, _, token = headers.get(b"authorization", b"").decode("latin-1").partition(" ")
    kind = headers.get(b"content-type", b"").split(b";")[0].strip().lower()
    token = token.strip() if scheme.lower() == "bearer" else ""
    if not token or kind != b"application/json":
        return None
    return int(match[1]), token


async def _body(receive: Receive) -> tuple[bytes, bool]:
    """The request's body, up to :data:`MAX_BODY` (then ``complete`` is false: the rest is still
    to be received by whoever answers)."""
    chunks: list[bytes] = []
    size = 0
    while True:
        message = await receive()
        if message["type"] != "http.request":  # the client went away
            return b"".join(chunks), False
        chunk = message.get("body", b"")
        chunks.append(chunk)
        size += len(chunk)
        if not message.get("more_body", False):
            return b"".join(chunks), True
        if size > MAX_BODY:
            return b"".join(chunks), False


def _replay(body: bytes, complete: bool, receive: Receive) -> Receive:
    """``receive`` that first gives back what was read of the body."""
    pending = [{"type": "http.request", "body": body, "more_body": not complete}]

    async def replay() -> Message:
        return pending.pop() if pending else await receive()

    return replay
