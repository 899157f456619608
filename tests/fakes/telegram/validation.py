"""Request checks, with the errors Telegram gives: text, HTML, buttons, commands, ids, URLs."""

from __future__ import annotations

import html
import re
from typing import Any
from urllib.parse import urlsplit

JSON = dict[str, Any]

MAX_TEXT = 4096
MAX_CALLBACK_ANSWER = 200
MAX_INLINE_RESULTS = 50

_BUTTON_ACTIONS = (
    "url", "callback_data", "web_app", "login_url", "switch_inline_query",
    "switch_inline_query_current_chat", "switch_inline_query_chosen_chat", "copy_text",
    "callback_game", "pay",
)  # fmt: skip


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


def bad_request(description: str) -> ApiError:
    """A 400 error worded as Telegram words it."""
    return ApiError(400, f"Bad Request: {description}")


# --------------------------------------------------------------------------- HTML

_HTML_TAGS = frozenset(
    {
        "b", "strong", "i", "em", "u", "ins", "s", "strike", "del",
        "a", "code", "pre", "blockquote", "span", "tg-spoiler", "tg-emoji",
    }
)  # fmt: skip
_ENTITY_RE = re.compile(r"&(?:#[0-9]{1,7}|#[xX][0-9a-fA-F]{1,6}|lt|gt|amp|quot);")
_TAG_RE = re.compile(r"<(/?)([a-zA-Z][a-zA-Z0-9-]*)?([^<>]*)>")
_ATTR_RE = re.compile(r"""\s+([a-zA-Z-]+)(?:\s*=\s*(?:"([^"]*)"|'([^']*)'|([^\s"'=<>`]+)))?""")


def _parse_error(reason: str) -> ApiError:
    return bad_request(f"can't parse entities: {reason}")


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


def _consume_entity(text: str, pos: int, out: list[str]) -> int:
    match = _ENTITY_RE.match(text, pos)
    if match is None:
        where = _byte_offset(text, pos)
        raise _parse_error(f'Unescaped "&" or unsupported entity at byte offset {where}')
    out.append(html.unescape(match.group()))
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
            pos = _consume_entity(text, pos, out)
        elif char == ">":
            raise _parse_error(f'Unescaped ">" at byte offset {_byte_offset(text, pos)}')
        else:
            out.append(char)
            pos += 1
    if stack:
        raise _parse_error(f'Can\'t find end tag corresponding to start tag "{stack[-1]}"')
    return "".join(out)


def checked_text(text: Any, parse_mode: Any) -> str:
    """Return the visible text of a message, refusing empty, unparsable or too long text."""
    if not isinstance(text, str) or not text:
        raise bad_request("message text is empty")
    mode = str(parse_mode or "").lower()
    if mode == "html":
        visible = html_to_plain(text)
    elif mode in ("", "markdown", "markdownv2"):
        visible = text  # Markdown is accepted as-is: the bot renders HTML.
    else:
        raise bad_request("unsupported parse_mode")
    if not visible.strip():
        raise bad_request("message text is empty")
    if len(visible) > MAX_TEXT:
        raise bad_request("message is too long")
    return visible


# --------------------------------------------------------------------------- keyboards, URLs


def is_valid_url(url: Any) -> bool:
    """Whether Telegram would accept `url` in a button or an answer (http, https or tg)."""
    if not isinstance(url, str):
        return False
    parts = urlsplit(url)
    if parts.scheme in ("http", "https"):
        return bool(parts.hostname) and " " not in url
    return parts.scheme == "tg" and bool(parts.netloc)


def _check_button(button: Any) -> None:
    if not isinstance(button, dict) or not isinstance(button.get("text"), str):
        raise bad_request(
            'can\'t parse inline keyboard button: Field "text" must be of type String'
        )
    if not button["text"].strip():
        raise bad_request("BUTTON_TEXT_INVALID")
    actions = [key for key in _BUTTON_ACTIONS if key in button]
    if not actions:
        raise bad_request(
            "can't parse inline keyboard button: Text buttons are unallowed in the inline keyboard"
        )
    if len(actions) > 1:
        raise bad_request(
            f"can't parse inline keyboard button: exactly one of {actions} is allowed"
        )
    data = button.get("callback_data")
    if "callback_data" in button and not (isinstance(data, str) and 1 <= len(data.encode()) <= 64):
        raise bad_request("BUTTON_DATA_INVALID")
    if "url" in button and not is_valid_url(button["url"]):
        raise bad_request("BUTTON_URL_INVALID")


def check_reply_markup(markup: Any) -> JSON | None:
    """Validate reply_markup and return the part Telegram echoes (inline keyboards only)."""
    if markup is None:
        return None
    if not isinstance(markup, dict):
        raise bad_request("can't parse reply keyboard markup JSON object")
    if "inline_keyboard" in markup:
        rows = markup["inline_keyboard"]
        if not isinstance(rows, list) or not all(isinstance(row, list) for row in rows):
            raise bad_request(
                'can\'t parse inline keyboard: field "inline_keyboard" must be an Array'
            )
        for row in rows:
            for button in row:
                _check_button(button)
        return {"inline_keyboard": rows}
    if not {"keyboard", "remove_keyboard", "force_reply"} & markup.keys():
        raise bad_request("can't parse reply keyboard markup JSON object")
    return None


# --------------------------------------------------------------------------- method parameters


def check_commands(commands: Any) -> None:
    """Check setMyCommands' list: 1-100 commands, lower-case names, 1-256 character descriptions."""
    if not isinstance(commands, list) or not commands:
        raise bad_request("commands must be a non-empty array")
    if len(commands) > 100:
        raise bad_request("BOT_COMMANDS_TOO_MUCH")
    for item in commands:
        command = item.get("command") if isinstance(item, dict) else None
        if not isinstance(command, str) or not re.fullmatch(r"[a-z0-9_]{1,32}", command):
            raise bad_request("BOT_COMMAND_INVALID")
        description = item.get("description")
        if not isinstance(description, str) or not 1 <= len(description.strip()) <= 256:
            raise bad_request("BOT_COMMAND_DESCRIPTION_INVALID")


def check_inline_results(results: Any) -> None:
    """Check answerInlineQuery's results: at most 50, unique ids, valid text and keyboards."""
    if not isinstance(results, list):
        raise bad_request("can't parse inline query results JSON object")
    if len(results) > MAX_INLINE_RESULTS:
        raise bad_request("RESULTS_TOO_MUCH")
    seen: set[str] = set()
    for result in results:
        _check_inline_result(result, seen)


def _check_inline_result(result: Any, seen: set[str]) -> None:
    if not isinstance(result, dict):
        raise bad_request("can't parse inline query result")
    result_id = result.get("id")
    if not isinstance(result_id, str) or not 1 <= len(result_id.encode()) <= 64:
        raise bad_request("RESULT_ID_INVALID")
    if result_id in seen:
        raise bad_request("RESULT_ID_DUPLICATE")
    seen.add(result_id)
    content = result.get("input_message_content")
    if result.get("type") == "article":
        if not isinstance(result.get("title"), str) or not result["title"].strip():
            raise bad_request("can't parse InlineQueryResultArticle: title is required")
        if not isinstance(content, dict):
            raise bad_request(
                "can't parse InlineQueryResultArticle: input_message_content is required"
            )
    if isinstance(content, dict) and "message_text" in content:
        checked_text(content["message_text"], content.get("parse_mode"))
    markup = result.get("reply_markup")
    if markup is not None and check_reply_markup(markup) is None:
        raise bad_request("inline query results accept only inline keyboards")


def check_callback_answer(params: JSON) -> None:
    """Check answerCallbackQuery's optional text (at most 200 characters) and URL."""
    text = params.get("text")
    if isinstance(text, str) and len(text) > MAX_CALLBACK_ANSWER:
        raise bad_request("MESSAGE_TOO_LONG")
    if "url" in params and not is_valid_url(params["url"]):
        raise bad_request("URL_INVALID")


def check_webhook(url: str, secret: Any) -> None:
    """Check setWebhook's URL (http or https; empty removes it) and secret token."""
    if url and not (is_valid_url(url) and urlsplit(url).scheme in ("http", "https")):
        raise bad_request("bad webhook: Failed to resolve host: Name or service not known")
    if secret is not None and not re.fullmatch(r"[A-Za-z0-9_-]{1,256}", str(secret)):
        raise bad_request("bad webhook: secret token contains unallowed characters")


def require_chat_id(params: JSON) -> int | str:
    """The chat_id parameter as Telegram reads it: a number or an @username."""
    chat_id = params.get("chat_id")
    if chat_id is None or chat_id == "":
        raise bad_request("chat_id is empty")
    if isinstance(chat_id, int) and not isinstance(chat_id, bool):
        return chat_id
    if isinstance(chat_id, str) and re.fullmatch(r"-?\d+", chat_id):
        return int(chat_id)
    if isinstance(chat_id, str) and re.fullmatch(r"@[A-Za-z0-9_]{5,32}", chat_id):
        return chat_id
    raise bad_request("chat not found")


def require_message_id(params: JSON) -> int:
    """The message_id parameter, which must be an integer."""
    message_id = params.get("message_id")
    if isinstance(message_id, bool) or not isinstance(message_id, int):
        raise bad_request("message identifier is not specified")
    return message_id
