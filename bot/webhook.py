"""The webhook server: Telegram posts updates here; each accepted update goes to `deliver`.

A request is judged on its headers before any byte of its body is read: wrong path or method,
a missing or wrong secret token (403), a declared body over the cap (413). A chunked body is
counted as it streams and cut off at the cap. An update whose update_id was seen recently is
answered 200 and not delivered again, as Telegram re-posts what it thinks went unanswered.
GET /healthz answers 200 "ok" while updates are accepted, 503 while stopping.
"""

from __future__ import annotations

import asyncio
import hmac
import json
import logging
import sys
from collections import OrderedDict
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from types import TracebackType
from typing import Any

from tornado.httpserver import HTTPServer
from tornado.netutil import bind_sockets
from tornado.web import Application, RequestHandler, stream_request_body

logger = logging.getLogger(__name__)

#: Hands one update (the posted JSON object) to the bot; raising makes Telegram post it again.
Deliver = Callable[[dict[str, Any]], Awaitable[None]]

SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"
HEALTH_PATH = "/healthz"
#: Telegram's updates are a few KiB; anything near this is not one.
MAX_BODY = 1024 * 1024
#: How many update_ids are remembered to answer a re-posted update only once.
RECENT_UPDATES = 10_000
_IDLE_SECONDS = 60  # a connection that sends nothing (also: headers not complete) is closed
_BODY_SECONDS = 10  # a body slower than this is dropped
_MAX_HEADER_BYTES = 16 * 1024


@dataclass(frozen=True)
class WebhookConfig:
    """Where the server listens and what it accepts."""

    listen: str
    port: int  # 0: any free port (see WebhookServer.port)
    path: str  # the webhook URL's path, e.g. "/telegram/hook"
    secret: str = ""
    max_body: int = MAX_BODY


class ListenError(Exception):
    """The server cannot listen on its address (taken, or not this machine's)."""


class RecentIds:
    """The last `size` update_ids seen, oldest forgotten first."""

    def __init__(self, size: int = RECENT_UPDATES) -> None:
        self._size = size
        self._ids: OrderedDict[int, None] = OrderedDict()

    def first_time(self, update_id: int) -> bool:
        """Remember the id; give whether it was new."""
        if update_id in self._ids:
            self._ids.move_to_end(update_id)
            return False
        self._ids[update_id] = None
        if len(self._ids) > self._size:
            self._ids.popitem(last=False)
        return True

    def forget(self, update_id: int) -> None:
        """Drop the id, so that the update is accepted when it is posted again."""
        self._ids.pop(update_id, None)


class WebhookServer:
    """A tornado HTTP server for one webhook path and the health endpoint."""

    def __init__(self, config: WebhookConfig, deliver: Deliver) -> None:
        self.config = config
        self.deliver = deliver
        self.recent = RecentIds()
        self.accepting = False
        self.in_flight = 0
        self._idle = asyncio.Event()
        self._idle.set()
        self._http: HTTPServer | None = None
        self._port = config.port

    @property
    def port(self) -> int:
        """The port listened on (the one the system chose when 0 was asked for)."""
        return self._port

    async def start(self) -> None:
        """Listen and accept updates; raise ListenError when the address cannot be bound."""
        routes = [(r".*", _Handler, {"server": self})]
        app = Application(routes, log_function=_log_request)
        self._http = HTTPServer(
            app,
            max_body_size=sys.maxsize,  # _Handler enforces the cap before reading a body
            max_header_size=_MAX_HEADER_BYTES,
            idle_connection_timeout=_IDLE_SECONDS,
            body_timeout=_BODY_SECONDS,
        )
        try:
            sockets = bind_sockets(self.config.port, self.config.listen)
        except OSError as exc:
            where = f"{self.config.listen}:{self.config.port}"
            raise ListenError(f"cannot listen on {where}: {exc.strerror or exc}") from None
        self._port = int(sockets[0].getsockname()[1])
        self._http.add_sockets(sockets)
        self.accepting = True
        logger.info("webhook: listening on %s:%d", self.config.listen, self._port)

    async def stop(self, grace: float) -> None:
        """Stop accepting, let updates being handed over finish for up to `grace` s, close."""
        self.accepting = False
        if self._http is None:
            return
        self._http.stop()
        try:
            await asyncio.wait_for(self._idle.wait(), grace)
        except TimeoutError:
            logger.warning("webhook: %d requests still open after %.0f s", self.in_flight, grace)
        try:
            await asyncio.wait_for(self._http.close_all_connections(), 1.0)
        except TimeoutError:
            logger.warning("webhook: connections still open at stop")
        self._http = None

    async def hand_over(self, update: dict[str, Any]) -> int:
        """Deliver a new update once; give the HTTP status for Telegram."""
        update_id = update["update_id"]
        if not self.recent.first_time(update_id):
            logger.debug("webhook: update %d was posted again; already handed over", update_id)
            return 200
        self.in_flight += 1
        self._idle.clear()
        try:
            await self.deliver(update)
        except Exception as exc:  # Telegram posts it again later
            self.recent.forget(update_id)
            reason = type(exc).__name__
            logger.error("webhook: could not hand over update %d (%s)", update_id, reason)
            return 500
        finally:
            self.in_flight -= 1
            if self.in_flight == 0:
                self._idle.set()
        return 200


_REASONS = {
    400: "not a JSON update",
    403: "wrong or missing secret token",
    404: "unknown path",
    405: "method not allowed",
    413: "body over the size cap",
    500: "the update could not be handed over",
    503: "stopping",
}


@stream_request_body
class _Handler(RequestHandler):
    """Judges each request on its headers, then reads at most the cap of its body."""

    def initialize(self, server: WebhookServer) -> None:
        self.server = server
        self.body = bytearray()

    async def prepare(self) -> None:
        """Answer (and so close) every request that is refused before its body is read."""
        config = self.server.config
        path, method = self.request.path, self.request.method
        if path == HEALTH_PATH:
            self._health(method)
        elif path != config.path:
            self._refuse(404)
        elif method != "POST":
            self.set_header("Allow", "POST")
            self._refuse(405)
        elif not self._has_secret(config.secret):
            self._refuse(403)
        elif not self.server.accepting:
            self._refuse(503)
        elif self._declared_length() > config.max_body:
            self._refuse(413)

    def data_received(self, chunk: bytes) -> None:
        """Keep the body up to the cap; past it, answer 413 and drop the connection."""
        if self._finished:
            return
        self.body += chunk
        if len(self.body) > self.server.config.max_body:
            self.body.clear()
            self._refuse(413)

    async def post(self) -> None:
        """Hand the update over and answer 200, or 400 when it is not an update."""
        if self._finished:
            return
        update = _parse_update(bytes(self.body))
        if update is None:
            self._refuse(400)
            return
        status = await self.server.hand_over(update)
        if status != 200:
            self._refuse(status)
            return
        self.finish()

    def write_error(self, status_code: int, **kwargs: Any) -> None:
        """A short plain reason, never a traceback."""
        self._plain(_REASONS.get(status_code, "error"))

    def log_exception(
        self,
        typ: type[BaseException] | None,
        value: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        """One line, without a traceback (a client hanging up mid-body ends up here)."""
        logger.info("webhook: request ended early (%s)", type(value).__name__)

    def _health(self, method: str | None) -> None:
        if method != "GET":
            self.set_header("Allow", "GET")
            self._refuse(405)
            return
        self.set_status(200 if self.server.accepting else 503)
        self._plain("ok" if self.server.accepting else "stopping")

    def _has_secret(self, secret: str) -> bool:
        given = self.request.headers.get(SECRET_HEADER, "")
        return bool(given) and hmac.compare_digest(given.encode(), secret.encode())

    def _declared_length(self) -> int:
        raw = self.request.headers.get("Content-Length", "0")
        try:
            return int(raw)
        except ValueError:
            return 0  # tornado refuses a malformed Content-Length itself

    def _refuse(self, status: int) -> None:
        self.set_status(status)
        self._plain(_REASONS.get(status, "refused"))

    def _plain(self, text: str) -> None:
        self.set_header("Content-Type", "text/plain; charset=utf-8")
        self.finish(text + "\n")


def _parse_update(body: bytes) -> dict[str, Any] | None:
    try:
        update = json.loads(body)
    except (ValueError, RecursionError):  # bytes that are not UTF-8 JSON, or nested too deep
        return None
    if not isinstance(update, dict):
        return None
    update_id = update.get("update_id")
    if not isinstance(update_id, int) or isinstance(update_id, bool):
        return None
    return update


def _log_request(handler: RequestHandler) -> None:
    """One line per request, without the path (it may be secret) or the client's address."""
    status = handler.get_status()
    reason = _REASONS.get(status, "")
    level = logging.DEBUG if status < 400 else logging.INFO
    logger.log(level, "webhook: %s answered %d %s", handler.request.method, status, reason)
