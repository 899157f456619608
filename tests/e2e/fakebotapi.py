"""A fake Telegram Bot API server on 127.0.0.1 for end-to-end tests of the bot.

The real python-telegram-bot HTTP stack talks to it over loopback; it validates requests the
way Telegram does, records every call, queues updates for getUpdates and can inject faults::

    with FakeBotAPI() as fake:
        app = ApplicationBuilder().token("123:ABC").base_url(fake.base_url).build()
        ...  # initialize, start, updater.start_polling(poll_interval=0, timeout=1)
        fake.push_message(42, "hello")
        (reply,) = await fake.await_calls("sendMessage")
"""

from __future__ import annotations

import asyncio
import contextlib
import copy
import html
import json
import re
import socket
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass
from email import policy
from email.message import EmailMessage
from email.parser import BytesParser
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType
from typing import Any, NamedTuple, cast
from urllib.parse import parse_qsl, urlsplit

JSON = dict[str, Any]
Predicate = Callable[[JSON], bool]

BOT_ID = 4242
BOT_USERNAME = "MagTestBot"
BOT_USER: JSON = {
    "id": BOT_ID,
    "is_bot": True,
    "first_name": "Mag Test Bot",
    "username": BOT_USERNAME,
    "can_join_groups": True,
    "can_read_all_group_messages": False,
    "supports_inline_queries": True,
    "can_connect_to_business": False,
    "has_main_web_app": False,
}
DEFAULT_USER_ID = 1001
MAX_TEXT = 4096

# Update types Telegram leaves out when allowed_updates is unset or empty.
_NOT_DEFAULT_UPDATES = frozenset({"chat_member", "message_reaction", "message_reaction_count"})

# Parameters that are plain strings; PTB form-encodes every other value as JSON.
_STRING_FIELDS = frozenset(
    {
        "text", "parse_mode", "callback_query_id", "inline_query_id", "inline_message_id",
        "url", "secret_token", "ip_address", "action", "language_code", "caption", "emoji",
        "next_offset", "switch_pm_text", "switch_pm_parameter", "business_connection_id",
        "message_effect_id", "certificate", "name", "title", "description",
        "short_description", "sticker", "photo", "document", "voice", "audio", "video",
    }
)  # fmt: skip

_CHAT_ACTIONS = frozenset(
    {
        "typing", "upload_photo", "record_video", "upload_video", "record_voice",
        "upload_voice", "upload_document", "choose_sticker", "find_location",
        "record_video_note", "upload_video_note",
    }
)  # fmt: skip

_BUTTON_ACTIONS = (
    "url", "callback_data", "web_app", "login_url", "switch_inline_query",
    "switch_inline_query_current_chat", "switch_inline_query_chosen_chat", "copy_text",
    "callback_game", "pay",
)  # fmt: skip


# --------------------------------------------------------------------------- faults, records


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
class Slow:
    """Sleep, then answer normally."""

    seconds: float


@dataclass(frozen=True)
class Forbidden:
    """Answer 403 as when the user blocked the bot."""


Fault = RateLimited | ServerError | Dropped | Slow | Forbidden


class Call(NamedTuple):
    """One request the fake received, with the HTTP status it answered (0: dropped)."""

    method: str
    params: JSON
    status: int
    token: str

    @property
    def delivered(self) -> bool:
        """Whether Telegram would have carried out this call."""
        return self.status == 200


class ApiError(Exception):
    """A Bot API error answer: HTTP status `code` and Telegram's `description`."""

    def __init__(self, code: int, description: str, parameters: JSON | None = None) -> None:
        super().__init__(description)
        self.code = code
        self.description = description
        self.parameters = parameters

    def payload(self) -> JSON:
        """The JSON body Telegram sends with this error."""
        body: JSON = {"ok": False, "error_code": self.code, "description": self.description}
        if self.parameters:
            body["parameters"] = self.parameters
        return body


def _bad(description: str) -> ApiError:
    return ApiError(400, f"Bad Request: {description}")


def _fault_error(fault: Fault) -> ApiError | None:
    if isinstance(fault, RateLimited):
        return ApiError(
            429,
            f"Too Many Requests: retry after {fault.retry_after}",
            {"retry_after": fault.retry_after},
        )
    if isinstance(fault, ServerError):
        return ApiError(500, "Internal Server Error")
    if isinstance(fault, Forbidden):
        return ApiError(403, "Forbidden: bot was blocked by the user")
    return None


# --------------------------------------------------------------------------- request parsing


def _decode_field(name: str, raw: str) -> Any:
    if name in _STRING_FIELDS:
        return raw
    try:
        return json.loads(raw)
    except ValueError:
        return raw


def _parse_multipart(content_type: str, body: bytes) -> JSON:
    head = f"Content-Type: {content_type}\r\n\r\n".encode()
    message = cast(EmailMessage, BytesParser(policy=policy.HTTP).parsebytes(head + body))
    params: JSON = {}
    for part in message.iter_parts():
        name = part.get_param("name", header="content-disposition")
        if not isinstance(name, str):
            continue
        payload = cast(bytes, part.get_payload(decode=True) or b"")
        filename = part.get_filename()
        if filename is None:
            params[name] = _decode_field(name, payload.decode())
        else:
            params[name] = {"filename": filename, "size": len(payload)}
    return params


def _parse_params(content_type: str, body: bytes, query: str) -> JSON:
    params: JSON = {k: _decode_field(k, v) for k, v in parse_qsl(query, keep_blank_values=True)}
    mime = content_type.split(";")[0].strip().lower()
    if mime == "application/json" and body:
        loaded = json.loads(body)
        if not isinstance(loaded, dict):
            raise ValueError("JSON body must be an object")
        params.update(loaded)
    elif mime == "multipart/form-data":
        params.update(_parse_multipart(content_type, body))
    elif body:
        pairs = parse_qsl(body.decode(), keep_blank_values=True, strict_parsing=True)
        params.update({k: _decode_field(k, v) for k, v in pairs})
    return params


# --------------------------------------------------------------------------- HTML validation

_SIMPLE_TAGS = frozenset({"b", "strong", "i", "em", "u", "ins", "s", "strike", "del"})
_HTML_TAGS = _SIMPLE_TAGS | {"a", "code", "pre", "blockquote", "span", "tg-spoiler", "tg-emoji"}
_ENTITY_RE = re.compile(r"&(?:#[0-9]{1,7}|#[xX][0-9a-fA-F]{1,6}|lt|gt|amp|quot);")
_TAG_RE = re.compile(r"<(/?)([a-zA-Z][a-zA-Z0-9-]*)?([^<>]*)>")
_ATTR_RE = re.compile(r"""\s+([a-zA-Z-]+)(?:\s*=\s*(?:"([^"]*)"|'([^']*)'|([^\s"'=<>`]+)))?""")


def _parse_error(reason: str) -> ApiError:
    return _bad(f"can't parse entities: {reason}")


def _byte_offset(text: str, pos: int) -> int:
    return len(text[:pos].encode())


def _parse_attrs(name: str, raw: str, where: int) -> dict[str, str]:
    attrs = {
        m.group(1).lower(): html.unescape(m.group(2) or m.group(3) or m.group(4) or "")
        for m in _ATTR_RE.finditer(raw)
    }
    if _ATTR_RE.sub("", raw).strip():
        raise _parse_error(f'Can\'t parse attributes of tag "{name}" at byte offset {where}')
    return attrs


def _check_start_tag(name: str, attrs: dict[str, str], stack: list[str], where: int) -> None:
    if name not in _HTML_TAGS:
        raise _parse_error(f'Unsupported start tag "{name}" at byte offset {where}')
    if "code" in stack or ("pre" in stack and name != "code"):
        raise _parse_error(f'Tag "{name}" can\'t be nested in a code entity at byte offset {where}')
    if name == "blockquote" and name in stack:
        raise _parse_error(f"Blockquote entities can't be nested at byte offset {where}")
    if name == "a" and not attrs.get("href"):
        raise _parse_error(f'Tag "a" must have attribute "href" at byte offset {where}')
    if name == "span" and attrs.get("class") != "tg-spoiler":
        raise _parse_error(f'Tag "span" must have class "tg-spoiler" at byte offset {where}')
    if name == "tg-emoji" and not attrs.get("emoji-id"):
        raise _parse_error(f'Tag "tg-emoji" must have attribute "emoji-id" at byte offset {where}')


def _consume_tag(text: str, pos: int, stack: list[str]) -> int:
    where = _byte_offset(text, pos)
    if ">" not in text[pos:]:
        raise _parse_error(f"Unclosed start tag at byte offset {where}")
    match = _TAG_RE.match(text, pos)
    if match is None or match.group(2) is None:
        raise _parse_error(f'Unsupported start tag "" at byte offset {where}')
    closing, name, rest = match.group(1), match.group(2).lower(), match.group(3)
    if closing:
        if rest.strip() or not stack or stack[-1] != name:
            raise _parse_error(f'Unexpected end tag "{name}" at byte offset {where}')
        stack.pop()
    else:
        _check_start_tag(name, _parse_attrs(name, rest, where), stack, where)
        stack.append(name)
    return match.end()


def html_to_plain(text: str) -> str:
    """Return the visible text of Telegram HTML; raise ApiError (400) where Telegram would."""
    out: list[str] = []
    stack: list[str] = []
    pos = 0
    while pos < len(text):
        char = text[pos]
        if char == "<":
            pos = _consume_tag(text, pos, stack)
        elif char == "&":
            match = _ENTITY_RE.match(text, pos)
            if match is None:
                where = _byte_offset(text, pos)
                raise _parse_error(f'Unescaped "&" or unsupported entity at byte offset {where}')
            out.append(html.unescape(match.group()))
            pos = match.end()
        elif char == ">":
            raise _parse_error(f'Unescaped ">" at byte offset {_byte_offset(text, pos)}')
        else:
            out.append(char)
            pos += 1
    if stack:
        raise _parse_error(f'Can\'t find end tag corresponding to start tag "{stack[-1]}"')
    return "".join(out)


def _visible_text(text: str, parse_mode: Any) -> str:
    mode = str(parse_mode or "").lower()
    if mode == "html":
        return html_to_plain(text)
    if mode in ("", "markdown", "markdownv2"):
        return text  # Markdown is accepted as-is: the bot renders HTML.
    raise _bad("unsupported parse_mode")


def _checked_text(text: Any, parse_mode: Any, *, limit: int = MAX_TEXT) -> str:
    if not isinstance(text, str) or not text:
        raise _bad("message text is empty")
    visible = _visible_text(text, parse_mode)
    if not visible.strip():
        raise _bad("message text is empty")
    if len(visible) > limit:
        raise _bad("message is too long")
    return visible


# --------------------------------------------------------------------------- other validation


def _is_valid_url(url: Any) -> bool:
    if not isinstance(url, str):
        return False
    parts = urlsplit(url)
    if parts.scheme in ("http", "https"):
        return bool(parts.hostname) and " " not in url
    return parts.scheme == "tg" and bool(parts.netloc)


def _check_button(button: Any) -> None:
    if not isinstance(button, dict) or not isinstance(button.get("text"), str):
        raise _bad('can\'t parse inline keyboard button: Field "text" must be of type String')
    if not button["text"].strip():
        raise _bad("BUTTON_TEXT_INVALID")
    actions = [key for key in _BUTTON_ACTIONS if key in button]
    if not actions:
        raise _bad(
            "can't parse inline keyboard button: Text buttons are unallowed in the inline keyboard"
        )
    if len(actions) > 1:
        raise _bad(f"can't parse inline keyboard button: exactly one of {actions} is allowed")
    data = button.get("callback_data")
    if "callback_data" in button and not (isinstance(data, str) and 1 <= len(data.encode()) <= 64):
        raise _bad("BUTTON_DATA_INVALID")
    if "url" in button and not _is_valid_url(button["url"]):
        raise _bad("BUTTON_URL_INVALID")


def _check_reply_markup(markup: Any) -> JSON | None:
    """Validate reply_markup and return the part Telegram echoes (inline keyboards only)."""
    if markup is None:
        return None
    if not isinstance(markup, dict):
        raise _bad("can't parse reply keyboard markup JSON object")
    if "inline_keyboard" in markup:
        rows = markup["inline_keyboard"]
        if not isinstance(rows, list) or not all(isinstance(row, list) for row in rows):
            raise _bad('can\'t parse inline keyboard: field "inline_keyboard" must be an Array')
        for row in rows:
            for button in row:
                _check_button(button)
        return {"inline_keyboard": rows}
    if not {"keyboard", "remove_keyboard", "force_reply"} & markup.keys():
        raise _bad("can't parse reply keyboard markup JSON object")
    return None


def _check_commands(commands: Any) -> list[JSON]:
    if not isinstance(commands, list) or not commands:
        raise _bad("commands must be a non-empty array")
    if len(commands) > 100:
        raise _bad("BOT_COMMANDS_TOO_MUCH")
    for item in commands:
        command = item.get("command") if isinstance(item, dict) else None
        if not isinstance(command, str) or not re.fullmatch(r"[a-z0-9_]{1,32}", command):
            raise _bad("BOT_COMMAND_INVALID")
        description = item.get("description")
        if not isinstance(description, str) or not 1 <= len(description.strip()) <= 256:
            raise _bad("BOT_COMMAND_DESCRIPTION_INVALID")
    return [{"command": c["command"], "description": c["description"]} for c in commands]


def _check_inline_result(result: Any, seen: set[str]) -> None:
    if not isinstance(result, dict):
        raise _bad("can't parse inline query result")
    result_id = result.get("id")
    if not isinstance(result_id, str) or not 1 <= len(result_id.encode()) <= 64:
        raise _bad("RESULT_ID_INVALID")
    if result_id in seen:
        raise _bad("RESULT_ID_DUPLICATE")
    seen.add(result_id)
    content = result.get("input_message_content")
    if result.get("type") == "article":
        if not isinstance(result.get("title"), str) or not result["title"].strip():
            raise _bad("can't parse InlineQueryResultArticle: title is required")
        if not isinstance(content, dict):
            raise _bad("can't parse InlineQueryResultArticle: input_message_content is required")
    if isinstance(content, dict) and "message_text" in content:
        _checked_text(content["message_text"], content.get("parse_mode"))
    if (
        result.get("reply_markup") is not None
        and _check_reply_markup(result["reply_markup"]) is None
    ):
        raise _bad("inline query results accept only inline keyboards")


def _require_chat_id(params: JSON) -> int | str:
    chat_id = params.get("chat_id")
    if chat_id is None or chat_id == "":
        raise _bad("chat_id is empty")
    if isinstance(chat_id, int) and not isinstance(chat_id, bool):
        return chat_id
    if isinstance(chat_id, str) and re.fullmatch(r"-?\d+", chat_id):
        return int(chat_id)
    if isinstance(chat_id, str) and re.fullmatch(r"@[A-Za-z0-9_]{5,32}", chat_id):
        return chat_id
    raise _bad("chat not found")


def _require_message_id(params: JSON) -> int:
    message_id = params.get("message_id")
    if isinstance(message_id, bool) or not isinstance(message_id, int):
        raise _bad("message identifier is not specified")
    return message_id


# --------------------------------------------------------------------------- update content


def _user(user_id: int) -> JSON:
    return {
        "id": user_id,
        "is_bot": False,
        "first_name": f"User{user_id}",
        "username": f"user{user_id}",
        "language_code": "en",
    }


def _chat(chat_id: int | str, chat_type: str) -> JSON:
    if chat_type == "private":
        return {"id": chat_id, "type": "private", "first_name": f"User{chat_id}"}
    return {"id": chat_id, "type": chat_type, "title": f"Test {chat_type} {chat_id}"}


def _guess_chat_type(chat_id: int | str) -> str:
    return "supergroup" if str(chat_id).startswith(("-", "@")) else "private"


def _utf16_len(text: str) -> int:
    return len(text.encode("utf-16-le")) // 2


def _auto_entities(text: str) -> list[JSON]:
    """Return the bot_command and mention entities Telegram's clients would attach."""
    entities: list[JSON] = []
    command = re.match(r"/[A-Za-z0-9_]{1,32}(?:@[A-Za-z0-9_]{5,32})?(?![\w@])", text)
    covered = 0
    if command:
        covered = command.end()
        entities.append({"type": "bot_command", "offset": 0, "length": _utf16_len(command[0])})
    for mention in re.finditer(r"(?<![\w@])@[A-Za-z0-9_]{5,32}\b", text):
        if mention.start() >= covered:
            offset = _utf16_len(text[: mention.start()])
            entities.append({"type": "mention", "offset": offset, "length": _utf16_len(mention[0])})
    return entities


def _file(kind: str, **extra: Any) -> JSON:
    return {"file_id": f"fake-{kind}-id", "file_unique_id": f"fake-{kind}-uid", **extra}


_NON_TEXT: dict[str, JSON] = {
    "sticker": {
        "sticker": _file(
            "sticker", type="regular", width=512, height=512,
            is_animated=False, is_video=False, emoji="👍",
        )
    },
    "photo": {
        "photo": [
            _file("photo-s", width=90, height=90, file_size=1_200),
            _file("photo-m", width=800, height=800, file_size=64_000),
        ]
    },
    "voice": {"voice": _file("voice", duration=3, mime_type="audio/ogg", file_size=4_096)},
    "location": {"location": {"latitude": 52.52, "longitude": 13.405}},
    "document": {
        "document": _file(
            "document", file_name="notes.pdf", mime_type="application/pdf", file_size=2_048
        )
    },
}  # fmt: skip


def _update_type(update: JSON) -> str:
    return next((key for key in update if key != "update_id"), "")


# --------------------------------------------------------------------------- HTTP plumbing


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    block_on_close = False  # long polls and idle keep-alive connections are closed by stop()

    def __init__(self, fake: FakeBotAPI) -> None:
        self.fake = fake
        self.connections: set[socket.socket] = set()
        self.connections_lock = threading.Lock()
        super().__init__(("127.0.0.1", 0), _Handler)

    def process_request(self, request: Any, client_address: Any) -> None:
        with self.connections_lock:
            self.connections.add(request)
        super().process_request(request, client_address)

    def shutdown_request(self, request: Any) -> None:
        with self.connections_lock:
            self.connections.discard(request)
        super().shutdown_request(request)

    def handle_error(self, request: Any, client_address: Any) -> None:
        """Stay quiet: clients hang up on cancelled long polls and dropped requests."""

    def close_connections(self) -> None:
        with self.connections_lock:
            for conn in self.connections:
                with contextlib.suppress(OSError):
                    conn.shutdown(socket.SHUT_RDWR)


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True  # headers and body go out in two writes: avoid 40 ms stalls
    server: _Server

    def do_POST(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        self._answer(self.rfile.read(length))

    def do_GET(self) -> None:
        self._answer(b"")

    def log_message(self, format: str, *args: Any) -> None:
        """Keep test output clean."""

    def _answer(self, body: bytes) -> None:
        parts = urlsplit(self.path)
        content_type = self.headers.get("Content-Type", "")
        reply = self.server.fake._handle(parts.path, parts.query, content_type, body)
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


_PATH_RE = re.compile(r"/bot([^/]+)/([A-Za-z]+)/?")


# --------------------------------------------------------------------------- the fake


class FakeBotAPI:
    """A Telegram Bot API double served from a background thread on 127.0.0.1."""

    def __init__(self) -> None:
        self._cond = threading.Condition()  # guards all state below; re-entrant
        self._calls: list[Call] = []
        self._updates: list[JSON] = []
        self._filtered: list[JSON] = []
        self._next_update_id = 1
        self._next_query_id = 1
        self._last_message_id: dict[str, int] = {}
        self._messages: dict[tuple[str, int], JSON] = {}
        self._chats: dict[str, JSON] = {}
        self._open_queries: set[str] = set()
        self._faults: dict[str, list[Fault]] = {}
        self._commands: dict[str, list[JSON]] = {}
        self._webhook: JSON = {"url": ""}
        self._allowed_updates: list[str] | None = None
        self._tokens: list[str] = []
        self._closing = False
        self._server: _Server | None = None
        self._thread: threading.Thread | None = None
        self._methods: dict[str, Callable[[JSON], Any]] = {
            "getMe": lambda _: dict(BOT_USER),
            "getUpdates": self._get_updates,
            "sendMessage": self._send_message,
            "editMessageText": self._edit_message_text,
            "editMessageReplyMarkup": self._edit_message_reply_markup,
            "answerCallbackQuery": self._answer_callback_query,
            "answerInlineQuery": self._answer_inline_query,
            "setMyCommands": self._set_my_commands,
            "getMyCommands": self._get_my_commands,
            "deleteMyCommands": self._delete_my_commands,
            "deleteWebhook": self._delete_webhook,
            "setWebhook": self._set_webhook,
            "getWebhookInfo": self._get_webhook_info,
            "sendChatAction": self._send_chat_action,
            "close": lambda _: True,
            "logOut": lambda _: True,
        }
        self._canonical = {name.lower(): name for name in self._methods}

    # ----------------------------------------------------------------- lifecycle

    def start(self) -> FakeBotAPI:
        """Start serving on an ephemeral port and return self."""
        if self._server is not None:
            return self
        self._closing = False
        self._server = _Server(self)
        self._thread = threading.Thread(
            target=self._server.serve_forever,
            kwargs={"poll_interval": 0.01},
            name="FakeBotAPI",
            daemon=True,
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        """Stop serving, waking long polls and closing open connections."""
        server, thread = self._server, self._thread
        if server is None or thread is None:
            return
        with self._cond:
            self._closing = True
            self._cond.notify_all()
        server.shutdown()
        server.close_connections()
        server.server_close()
        thread.join(timeout=5)
        self._server = self._thread = None

    def __enter__(self) -> FakeBotAPI:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    @property
    def port(self) -> int:
        """The TCP port the fake listens on."""
        if self._server is None:
            raise RuntimeError("FakeBotAPI is not started")
        return int(self._server.server_address[1])

    @property
    def base_url(self) -> str:
        """The value for ApplicationBuilder().base_url() / Bot(base_url=...)."""
        return f"http://127.0.0.1:{self.port}/bot"

    @property
    def base_file_url(self) -> str:
        """The value for ApplicationBuilder().base_file_url(); files are not served (404)."""
        return f"http://127.0.0.1:{self.port}/file/bot"

    @property
    def tokens(self) -> list[str]:
        """Every distinct bot token seen, in order of first use."""
        with self._cond:
            return list(self._tokens)

    @property
    def allowed_updates(self) -> list[str] | None:
        """The allowed_updates last sent with getUpdates or setWebhook (None: never sent)."""
        with self._cond:
            return None if self._allowed_updates is None else list(self._allowed_updates)

    @property
    def webhook_url(self) -> str:
        """The URL set by setWebhook, or "" when none is set."""
        with self._cond:
            return str(self._webhook["url"])

    # ----------------------------------------------------------------- recording, waiting

    def calls(self, method: str | None = None) -> list[Call]:
        """Every call received (optionally of one method), in order, failed attempts included."""
        with self._cond:
            return [c for c in self._calls if method is None or c.method == method]

    def delivered(self, method: str) -> int:
        """How many calls of a method succeeded (HTTP 200)."""
        return sum(1 for c in self.calls(method) if c.delivered)

    def sent_messages(self, chat_id: int | str | None = None) -> list[JSON]:
        """The params of every successful sendMessage, optionally to one chat."""
        return [
            c.params
            for c in self.calls("sendMessage")
            if c.delivered and (chat_id is None or str(c.params.get("chat_id")) == str(chat_id))
        ]

    def wait_for(
        self,
        method: str,
        predicate: Predicate | None = None,
        count: int = 1,
        timeout: float = 10.0,
        *,
        delivered_only: bool = True,
    ) -> list[Call]:
        """Block the thread until `count` matching calls arrived; return all matches so far."""
        deadline = time.monotonic() + timeout
        with self._cond:
            while True:
                found = self._matching(method, predicate, delivered_only)
                remaining = deadline - time.monotonic()
                if len(found) >= count:
                    return found
                if remaining <= 0:
                    raise AssertionError(self._summary(method, count, len(found), timeout))
                self._cond.wait(remaining)

    async def await_calls(
        self,
        method: str,
        predicate: Predicate | None = None,
        count: int = 1,
        timeout: float = 10.0,
        *,
        delivered_only: bool = True,
    ) -> list[Call]:
        """Like wait_for, but polls with asyncio.sleep so the event loop keeps running."""
        deadline = time.monotonic() + timeout
        while True:
            with self._cond:
                found = self._matching(method, predicate, delivered_only)
            if len(found) >= count:
                return found
            if time.monotonic() >= deadline:
                raise AssertionError(self._summary(method, count, len(found), timeout))
            await asyncio.sleep(0.01)

    def _matching(
        self, method: str, predicate: Predicate | None, delivered_only: bool
    ) -> list[Call]:
        return [
            c
            for c in self._calls
            if c.method == method
            and (c.delivered or not delivered_only)
            and (predicate is None or predicate(c.params))
        ]

    def _summary(self, method: str, count: int, found: int, timeout: float) -> str:
        recent = "\n".join(
            f"  {c.method} -> {c.status} {json.dumps(c.params, ensure_ascii=False)[:160]}"
            for c in self._calls[-15:]
        )
        return (
            f"waited {timeout}s for {count} matching {method} call(s), got {found}; "
            f"last calls:\n{recent or '  (none)'}"
        )

    # ----------------------------------------------------------------- faults

    def inject(self, method: str, fault: Fault, times: int = 1) -> None:
        """Make the next `times` calls of `method` fail (or stall) with `fault`."""
        with self._cond:
            self._faults.setdefault(method, []).extend([fault] * times)

    def _take_fault(self, method: str) -> Fault | None:
        with self._cond:
            queue = self._faults.get(method)
            return queue.pop(0) if queue else None

    # ----------------------------------------------------------------- request handling

    def _handle(
        self, path: str, query: str, content_type: str, body: bytes
    ) -> tuple[int, JSON] | None:
        """Answer one HTTP request: (status, JSON body), or None to drop the connection."""
        match = _PATH_RE.fullmatch(path)
        if match is None:
            return 404, {"ok": False, "error_code": 404, "description": "Not Found"}
        token, name = match.groups()
        method = self._canonical.get(name.lower(), name)
        try:
            params = _parse_params(content_type, body, query)
        except ValueError:
            params = {}
            status, payload = 400, _bad("can't parse request parameters").payload()
        else:
            status, payload = self._respond(method, params)
        self._record(Call(method, params, status, token))
        return None if status == 0 else (status, payload)

    def _respond(self, method: str, params: JSON) -> tuple[int, JSON]:
        handler = self._methods.get(method)
        if handler is None:
            return 404, ApiError(404, "Not Found: method not found").payload()
        fault = self._take_fault(method)
        if isinstance(fault, Dropped):
            return 0, {}
        if isinstance(fault, Slow):
            time.sleep(fault.seconds)
        error = _fault_error(fault) if fault else None
        if error is not None:
            return error.code, error.payload()
        try:
            return 200, {"ok": True, "result": handler(params)}
        except ApiError as err:
            return err.code, err.payload()
        except (TypeError, ValueError, KeyError) as err:
            return 400, _bad(f"wrong parameter in request: {err}").payload()

    def _record(self, call: Call) -> None:
        with self._cond:
            if call.token not in self._tokens:
                self._tokens.append(call.token)
            self._calls.append(call)
            self._cond.notify_all()

    # ----------------------------------------------------------------- Bot API methods

    def _get_updates(self, params: JSON) -> list[JSON]:
        offset = int(params.get("offset") or 0)
        limit = min(max(int(params.get("limit") or 100), 1), 100)
        deadline = time.monotonic() + max(float(params.get("timeout") or 0), 0.0)
        with self._cond:
            if self._webhook["url"]:
                raise ApiError(
                    409,
                    "Conflict: can't use getUpdates method while webhook is active; "
                    "use deleteWebhook to delete the webhook first",
                )
            self._set_allowed_updates(params.get("allowed_updates"))
            if offset < 0:
                self._updates = self._updates[offset:]
            elif offset > 0:
                self._updates = [u for u in self._updates if u["update_id"] >= offset]
            while True:
                remaining = deadline - time.monotonic()
                if self._updates or remaining <= 0 or self._closing:
                    return copy.deepcopy(self._updates[:limit])
                self._cond.wait(remaining)

    def _set_allowed_updates(self, allowed: Any) -> None:
        if isinstance(allowed, list):
            self._allowed_updates = [str(kind) for kind in allowed]

    def _is_allowed(self, kind: str) -> bool:
        if self._allowed_updates:
            return kind in self._allowed_updates
        return kind not in _NOT_DEFAULT_UPDATES

    def _send_message(self, params: JSON) -> JSON:
        chat_id = _require_chat_id(params)
        visible = _checked_text(params.get("text"), params.get("parse_mode"))
        markup = _check_reply_markup(params.get("reply_markup"))
        with self._cond:
            replied = self._replied_message(chat_id, params.get("reply_parameters"))
            message = self._new_message(chat_id, dict(BOT_USER))
            message["text"] = visible
            if markup is not None:
                message["reply_markup"] = markup
            if replied is not None:
                message["reply_to_message"] = replied
            if params.get("message_thread_id") is not None:
                message["message_thread_id"] = params["message_thread_id"]
            return copy.deepcopy(message)

    def _replied_message(self, chat_id: int | str, reply: Any) -> JSON | None:
        if not isinstance(reply, dict) or "message_id" not in reply:
            return None
        original = self._messages.get((str(reply.get("chat_id", chat_id)), reply["message_id"]))
        if original is None and not reply.get("allow_sending_without_reply"):
            raise _bad("message to be replied not found")
        return _shallow_message(original) if original else None

    def _bot_message_to_edit(self, params: JSON) -> JSON:
        chat_id = _require_chat_id(params)
        message = self._messages.get((str(chat_id), _require_message_id(params)))
        if message is None:
            raise _bad("message to edit not found")
        if message["from"]["id"] != BOT_ID:
            raise _bad("message can't be edited")
        return message

    def _edit_message_text(self, params: JSON) -> JSON | bool:
        visible = _checked_text(params.get("text"), params.get("parse_mode"))
        markup = _check_reply_markup(params.get("reply_markup"))
        if params.get("inline_message_id"):
            return True
        with self._cond:
            message = self._bot_message_to_edit(params)
            return self._apply_edit(message, visible, markup)

    def _edit_message_reply_markup(self, params: JSON) -> JSON | bool:
        markup = _check_reply_markup(params.get("reply_markup"))
        if params.get("inline_message_id"):
            return True
        with self._cond:
            message = self._bot_message_to_edit(params)
            return self._apply_edit(message, message.get("text"), markup)

    def _apply_edit(self, message: JSON, text: Any, markup: JSON | None) -> JSON:
        if message.get("text") == text and message.get("reply_markup") == markup:
            raise _bad(
                "message is not modified: specified new message content and reply markup are "
                "exactly the same as a current content and reply markup of the message"
            )
        message["text"] = text
        message["edit_date"] = int(time.time())
        if markup is None:
            message.pop("reply_markup", None)
        else:
            message["reply_markup"] = markup
        return copy.deepcopy(message)

    def _answer_callback_query(self, params: JSON) -> bool:
        query_id = str(params.get("callback_query_id") or "")
        text = params.get("text")
        if isinstance(text, str) and len(text) > 200:
            raise _bad("MESSAGE_TOO_LONG")
        if "url" in params and not _is_valid_url(params["url"]):
            raise _bad("URL_INVALID")
        self._close_query(query_id)
        return True

    def _answer_inline_query(self, params: JSON) -> bool:
        results = params.get("results")
        if not isinstance(results, list):
            raise _bad("can't parse inline query results JSON object")
        if len(results) > 50:
            raise _bad("RESULTS_TOO_MUCH")
        seen: set[str] = set()
        for result in results:
            _check_inline_result(result, seen)
        self._close_query(str(params.get("inline_query_id") or ""))
        return True

    def _close_query(self, query_id: str) -> None:
        with self._cond:
            if query_id not in self._open_queries:
                raise _bad("query is too old and response timeout expired or query ID is invalid")
            self._open_queries.discard(query_id)

    @staticmethod
    def _commands_key(params: JSON) -> str:
        scope = params.get("scope") or {"type": "default"}
        return json.dumps([scope, params.get("language_code") or ""], sort_keys=True)

    def _set_my_commands(self, params: JSON) -> bool:
        commands = _check_commands(params.get("commands"))
        with self._cond:
            self._commands[self._commands_key(params)] = commands
        return True

    def _get_my_commands(self, params: JSON) -> list[JSON]:
        with self._cond:
            return copy.deepcopy(self._commands.get(self._commands_key(params), []))

    def _delete_my_commands(self, params: JSON) -> bool:
        with self._cond:
            self._commands.pop(self._commands_key(params), None)
        return True

    def _delete_webhook(self, params: JSON) -> bool:
        with self._cond:
            self._webhook = {"url": ""}
            if params.get("drop_pending_updates"):
                self._updates.clear()
        return True

    def _set_webhook(self, params: JSON) -> bool:
        url = params.get("url") or ""
        if url and not (_is_valid_url(url) and urlsplit(url).scheme in ("http", "https")):
            raise _bad("bad webhook: Failed to resolve host: Name or service not known")
        secret = params.get("secret_token")
        if secret is not None and not re.fullmatch(r"[A-Za-z0-9_-]{1,256}", str(secret)):
            raise _bad("bad webhook: secret token contains unallowed characters")
        with self._cond:
            self._webhook = {"url": url, "secret_token": secret}
            self._set_allowed_updates(params.get("allowed_updates"))
            if params.get("drop_pending_updates"):
                self._updates.clear()
        return True

    def _get_webhook_info(self, params: JSON) -> JSON:
        with self._cond:
            info: JSON = {
                "url": self._webhook["url"],
                "has_custom_certificate": False,
                "pending_update_count": len(self._updates),
                "max_connections": 40,
            }
            if self._allowed_updates:
                info["allowed_updates"] = list(self._allowed_updates)
            return info

    def _send_chat_action(self, params: JSON) -> bool:
        _require_chat_id(params)
        if params.get("action") not in _CHAT_ACTIONS:
            raise _bad("wrong parameter action in request")
        return True

    # ----------------------------------------------------------------- message store

    def _new_message(self, chat_id: int | str, sender: JSON, message_id: int | None = None) -> JSON:
        """Create and store a message; ids count up per chat, shared by bot and users."""
        key = str(chat_id)
        if message_id is None:
            message_id = self._last_message_id.get(key, 0) + 1
        self._last_message_id[key] = max(self._last_message_id.get(key, 0), message_id)
        chat = self._chats.get(key) or _chat(chat_id, _guess_chat_type(chat_id))
        message: JSON = {
            "message_id": message_id,
            "from": sender,
            "chat": dict(chat),
            "date": int(time.time()),
        }
        self._messages[(key, message_id)] = message
        return message

    def _user_message(self, chat_id: int, user_id: int | None, chat_type: str) -> JSON:
        self._chats[str(chat_id)] = _chat(chat_id, chat_type)
        sender = _user(user_id or (chat_id if chat_type == "private" else DEFAULT_USER_ID))
        return self._new_message(chat_id, sender)

    def _last_message(self, chat_id: int, *, from_bot: bool) -> JSON | None:
        key = str(chat_id)
        mine = [
            message
            for (chat, _), message in self._messages.items()
            if chat == key and (message["from"]["id"] == BOT_ID) == from_bot
        ]
        return max(mine, key=lambda message: int(message["message_id"]), default=None)

    def _bot_message(self, chat_id: int, message_id: int | None) -> JSON:
        """The bot's message a user reacts to; invented when the test never sent one."""
        if message_id is None:
            found = self._last_message(chat_id, from_bot=True)
        else:
            found = self._messages.get((str(chat_id), message_id))
        if found is not None:
            return found
        message = self._new_message(chat_id, dict(BOT_USER), message_id)
        message["text"] = "An earlier message from the bot"
        return message

    # ----------------------------------------------------------------- update builders

    def push_update(self, update: JSON) -> JSON:
        """Queue a raw update, assigning update_id if missing; return it.

        Like Telegram, an update whose type allowed_updates excludes is not queued.
        """
        with self._cond:
            if "update_id" not in update:
                update["update_id"] = self._next_update_id
            self._next_update_id = max(self._next_update_id, int(update["update_id"])) + 1
            if self._is_allowed(_update_type(update)):
                self._updates.append(update)
            else:
                self._filtered.append(update)
            self._cond.notify_all()
        return update

    def filtered_updates(self) -> list[JSON]:
        """Updates pushed but not queued because allowed_updates excluded their type."""
        with self._cond:
            return list(self._filtered)

    def pending_updates(self) -> list[JSON]:
        """Updates queued and not yet confirmed by a later getUpdates offset."""
        with self._cond:
            return copy.deepcopy(self._updates)

    def push_message(
        self,
        chat_id: int,
        text: str,
        *,
        user_id: int | None = None,
        chat_type: str = "private",
        entities: list[JSON] | None = None,
        reply_to_bot: bool = False,
        message_thread_id: int | None = None,
    ) -> JSON:
        """Queue a user's text message (command and mention entities added) and return it."""
        with self._cond:
            replied = _shallow_message(self._bot_message(chat_id, None)) if reply_to_bot else None
            message = self._user_message(chat_id, user_id, chat_type)
            message["text"] = text
            found = _auto_entities(text) if entities is None else entities
            if found:
                message["entities"] = found
            if replied is not None:
                message["reply_to_message"] = replied
            if message_thread_id is not None:
                message["message_thread_id"] = message_thread_id
                message["is_topic_message"] = True
            return self.push_update({"message": copy.deepcopy(message)})

    def push_edited_message(
        self,
        chat_id: int,
        text: str,
        *,
        message_id: int | None = None,
        user_id: int | None = None,
        chat_type: str = "private",
    ) -> JSON:
        """Queue an edit of the user's message (default: their latest) and return it."""
        with self._cond:
            original = (
                self._last_message(chat_id, from_bot=False)
                if message_id is None
                else self._messages.get((str(chat_id), message_id))
            )
            if original is None:
                original = self._user_message(chat_id, user_id, chat_type)
            original["text"] = text
            original["edit_date"] = int(time.time())
            original.pop("entities", None)
            if found := _auto_entities(text):
                original["entities"] = found
            return self.push_update({"edited_message": copy.deepcopy(original)})

    def push_callback(
        self,
        chat_id: int,
        data: str,
        *,
        message_id: int | None = None,
        user_id: int | None = None,
    ) -> JSON:
        """Queue a button press on a bot message (default: its latest in the chat)."""
        with self._cond:
            message = self._bot_message(chat_id, message_id)
            query_id = f"cbq-{self._next_query_id}"
            self._next_query_id += 1
            self._open_queries.add(query_id)
            callback = {
                "id": query_id,
                "from": _user(user_id or (chat_id if chat_id > 0 else DEFAULT_USER_ID)),
                "message": copy.deepcopy(message),
                "chat_instance": f"instance{chat_id}",
                "data": data,
            }
            return self.push_update({"callback_query": callback})

    def push_inline_query(self, user_id: int, query: str, *, offset: str = "") -> JSON:
        """Queue an inline query typed by a user and return the update."""
        with self._cond:
            query_id = f"ilq-{self._next_query_id}"
            self._next_query_id += 1
            self._open_queries.add(query_id)
            inline = {
                "id": query_id,
                "from": _user(user_id),
                "query": query,
                "offset": offset,
                "chat_type": "sender",
            }
            return self.push_update({"inline_query": inline})

    def push_non_text(
        self, chat_id: int, kind: str, *, user_id: int | None = None, chat_type: str = "private"
    ) -> JSON:
        """Queue a sticker, photo, voice, location or document message and return it."""
        if kind not in _NON_TEXT:
            raise ValueError(f"kind must be one of {sorted(_NON_TEXT)}, not {kind!r}")
        with self._cond:
            message = self._user_message(chat_id, user_id, chat_type)
            message.update(copy.deepcopy(_NON_TEXT[kind]))
            return self.push_update({"message": copy.deepcopy(message)})

    # ----------------------------------------------------------------- webhook driver

    def post_webhook(
        self, url: str, update: JSON, secret_token: str | None = None, timeout: float = 5.0
    ) -> int:
        """POST an update to the bot's webhook as Telegram would; return the HTTP status.

        This blocks: from a coroutine on the bot's own loop use apost_webhook.
        """
        if "update_id" not in update:
            with self._cond:
                update["update_id"] = self._next_update_id
                self._next_update_id += 1
        headers = {"Content-Type": "application/json"}
        if secret_token is not None:
            headers["X-Telegram-Bot-Api-Secret-Token"] = secret_token
        request = urllib.request.Request(
            url, data=json.dumps(update).encode(), headers=headers, method="POST"
        )
        try:
            with urllib.request.urlopen(request, timeout=timeout) as response:
                return int(response.status)
        except urllib.error.HTTPError as err:
            return int(err.code)

    async def apost_webhook(self, url: str, update: JSON, secret_token: str | None = None) -> int:
        """post_webhook from a worker thread, so a webhook server on this loop can answer."""
        return await asyncio.to_thread(self.post_webhook, url, update, secret_token)


def _shallow_message(message: JSON) -> JSON:
    """A copy fit for reply_to_message: Telegram does not nest replies further."""
    shallow = copy.deepcopy(message)
    shallow.pop("reply_to_message", None)
    return shallow
