"""The HTTP side: a threaded server on 127.0.0.1, routing, the call record, injected faults."""

from __future__ import annotations

import contextlib
import json
import re
import socket
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, NamedTuple
from urllib.parse import parse_qsl, urlsplit

from .validation import JSON, ApiError, bad_request

Handler = Callable[[JSON], Any]
#: An HTTP status and JSON body, or None to close the connection without an answer.
Reply = tuple[int, JSON] | None
Respond = Callable[[str, str, str, bytes], Reply]

# --------------------------------------------------------------------------- faults


@dataclass(frozen=True)
class RateLimited:
    """Answer 429 Too Many Requests with parameters.retry_after."""

    retry_after: int


@dataclass(frozen=True)
class ServerError:
    """Answer 500 Internal Server Error."""


@dataclass(frozen=True)
class Dropped:
    """Close the connection without sending any response."""


@dataclass(frozen=True)
class DeliveredThenDropped:
    """Carry the request out (the message is sent), then close the connection unanswered."""


@dataclass(frozen=True)
class Stalled:
    """Sleep, then close the connection without carrying the request out (it never arrived)."""

    seconds: float


@dataclass(frozen=True)
class Conflict:
    """Answer 409 as when another instance polls with the same token."""


@dataclass(frozen=True)
class Slow:
    """Sleep, then answer normally."""

    seconds: float


@dataclass(frozen=True)
class Forbidden:
    """Answer 403 as when the user blocked the bot."""


@dataclass(frozen=True)
class Unauthorized:
    """Answer 401 as when the token was revoked."""


Fault = (
    RateLimited
    | ServerError
    | Dropped
    | DeliveredThenDropped
    | Stalled
    | Slow
    | Forbidden
    | Unauthorized
    | Conflict
)


def _fault_error(fault: Fault) -> ApiError | None:
    if isinstance(fault, RateLimited):
        description = f"Too Many Requests: retry after {fault.retry_after}"
        return ApiError(429, description, {"retry_after": fault.retry_after})
    if isinstance(fault, ServerError):
        return ApiError(500, "Internal Server Error")
    if isinstance(fault, Forbidden):
        return ApiError(403, "Forbidden: bot was blocked by the user")
    if isinstance(fault, Unauthorized):
        return ApiError(401, "Unauthorized")
    if isinstance(fault, Conflict):
        description = (
            "Conflict: terminated by other getUpdates request; "
            "make sure that only one bot instance is running"
        )
        return ApiError(409, description)
    return None


# --------------------------------------------------------------------------- requests


class Call(NamedTuple):
    """One request the fake received, with the HTTP status it answered (0: dropped)."""

    method: str
    params: JSON
    status: int
    token: str
    at: float  # time.perf_counter() when it was answered
    wall: float  # time.time() then: comparable with what other processes stamp

    @property
    def delivered(self) -> bool:
        """Whether Telegram would have carried out this call."""
        return self.status == 200


# Parameters that are plain strings; PTB form-encodes every other value as JSON.
_STRING_FIELDS = frozenset(
    {
        "text", "parse_mode", "callback_query_id", "inline_query_id", "url", "secret_token",
        "ip_address", "language_code", "next_offset", "business_connection_id",
        "message_effect_id",
    }
)  # fmt: skip


def _decode_field(name: str, raw: str) -> Any:
    if name in _STRING_FIELDS:
        return raw
    try:
        return json.loads(raw)
    except ValueError:
        return raw


def parse_params(content_type: str, body: bytes, query: str) -> JSON:
    """The parameters of a request: query string, then a JSON or form-encoded body."""
    params: JSON = {k: _decode_field(k, v) for k, v in parse_qsl(query, keep_blank_values=True)}
    if content_type.split(";")[0].strip().lower() == "application/json" and body:
        loaded = json.loads(body)
        if not isinstance(loaded, dict):
            raise ValueError("JSON body must be an object")
        params.update(loaded)
    elif body:
        pairs = parse_qsl(body.decode(), keep_blank_values=True, strict_parsing=True)
        params.update({k: _decode_field(k, v) for k, v in pairs})
    return params


_PATH_RE = re.compile(r"/bot([^/]+)/([A-Za-z]+)/?")


class Router:
    """Answers /bot<token>/<method> with the method's handler, unless a fault was injected.

    Handlers run one at a time under `cond`; every request is kept in `calls`.
    """

    def __init__(self, handlers: dict[str, Handler], cond: threading.Condition) -> None:
        self._handlers = handlers
        self._cond = cond
        self._faults: dict[str, list[Fault]] = {}
        self._drop_answer: dict[tuple[str, int], bool] = {}  # carried out, answer withheld
        self.calls: list[Call] = []

    def inject(self, method: str, fault: Fault, times: int) -> None:
        """Make the next `times` calls of `method` fail (or stall) with `fault`."""
        with self._cond:
            self._faults.setdefault(method, []).extend([fault] * times)

    def clear(self, method: str) -> None:
        """Forget the faults still waiting for `method`."""
        with self._cond:
            self._faults.pop(method, None)

    def route(self, path: str, query: str, content_type: str, body: bytes) -> Reply:
        """Answer one HTTP request and record it."""
        match = _PATH_RE.fullmatch(path)
        if match is None:
            return 404, {"ok": False, "error_code": 404, "description": "Not Found"}
        token, method = match.groups()
        try:
            params = parse_params(content_type, body, query)
        except ValueError:
            params = {}
            status, payload = 400, bad_request("can't parse request parameters").payload()
        else:
            status, payload = self._respond(method, params)
        with self._cond:
            dropped = status == 0 or self._drop_answer.pop((method, id(params)), False)
            answered = time.perf_counter(), time.time()
            self.calls.append(Call(method, params, status, token, *answered))
            self._cond.notify_all()
        return None if dropped else (status, payload)

    def _respond(self, method: str, params: JSON) -> tuple[int, JSON]:
        handler = self._handlers.get(method)
        if handler is None:
            # PTB reports a 404 from a method it knows as InvalidToken: say what is missing.
            return 404, ApiError(404, f"Not Found: the fake does not serve {method}").payload()
        with self._cond:
            queued = self._faults.get(method)
            fault = queued.pop(0) if queued else None
        if isinstance(fault, Dropped):
            return 0, {}
        if isinstance(fault, Stalled):
            time.sleep(fault.seconds)
            return 0, {}
        if isinstance(fault, DeliveredThenDropped):
            with self._cond:
                self._drop_answer[(method, id(params))] = True
        if isinstance(fault, Slow):
            time.sleep(fault.seconds)
        error = _fault_error(fault) if fault else None
        if error is not None:
            return error.code, error.payload()
        return self._call(handler, params)

    def _call(self, handler: Handler, params: JSON) -> tuple[int, JSON]:
        try:
            with self._cond:
                result = handler(params)
        except ApiError as err:
            return err.code, err.payload()
        except (TypeError, ValueError, KeyError) as err:
            return 400, bad_request(f"wrong parameter in request: {err}").payload()
        return 200, {"ok": True, "result": result}


# --------------------------------------------------------------------------- HTTP


class HttpServer(ThreadingHTTPServer):
    """A thread per connection on 127.0.0.1; stop() also closes idle keep-alive connections."""

    daemon_threads = True
    block_on_close = False

    def __init__(self, port: int, respond: Respond) -> None:
        self.respond = respond
        self._connections: set[socket.socket] = set()
        self._lock = threading.Lock()
        self._thread: threading.Thread | None = None
        super().__init__(("127.0.0.1", port), _RequestHandler)

    @property
    def port(self) -> int:
        """The port listened on (the one chosen by the system when 0 was asked for)."""
        return int(self.server_address[1])

    def start(self) -> None:
        """Serve from a daemon thread."""
        kwargs = {"poll_interval": 0.01}
        self._thread = threading.Thread(target=self.serve_forever, kwargs=kwargs, daemon=True)
        self._thread.start()

    def stop(self) -> None:
        """Stop serving and close every connection."""
        self.shutdown()
        with self._lock:
            for conn in self._connections:
                with contextlib.suppress(OSError):
                    conn.shutdown(socket.SHUT_RDWR)
        self.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)

    def process_request(self, request: Any, client_address: Any) -> None:
        """Note the connection, then serve it."""
        with self._lock:
            self._connections.add(request)
        super().process_request(request, client_address)

    def shutdown_request(self, request: Any) -> None:
        """Forget the connection, then close it."""
        with self._lock:
            self._connections.discard(request)
        super().shutdown_request(request)

    def handle_error(self, request: Any, client_address: Any) -> None:
        """Stay quiet: clients hang up on cancelled long polls and dropped requests."""


class _RequestHandler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True  # headers and body go out in two writes: avoid 40 ms stalls
    server: HttpServer

    def do_POST(self) -> None:
        """Answer a POST."""
        length = int(self.headers.get("Content-Length") or 0)
        self._answer(self.rfile.read(length))

    def do_GET(self) -> None:
        """Answer a GET (parameters in the query string)."""
        self._answer(b"")

    def log_message(self, format: str, *args: Any) -> None:
        """Keep test output clean."""

    def _answer(self, body: bytes) -> None:
        parts = urlsplit(self.path)
        content_type = self.headers.get("Content-Type", "")
        reply = self.server.respond(parts.path, parts.query, content_type, body)
        if reply is None:
            self.close_connection = True
            return
        status, payload = reply
        data = json.dumps(payload).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)
