"""The Telegram objects the fake hands out, and the messages and queries it remembers."""

from __future__ import annotations

import copy
import re
import time
from typing import Any

from .validation import JSON, bad_request

BOT_ID = 4242
BOT_USER: JSON = {
    "id": BOT_ID,
    "is_bot": True,
    "first_name": "Mag Test Bot",
    "username": "MagTestBot",
    "can_join_groups": True,
    "can_read_all_group_messages": False,
    "supports_inline_queries": True,
    "can_connect_to_business": False,
    "has_main_web_app": False,
}
#: The sender of messages pushed to group chats.
DEFAULT_USER_ID = 1001


def user(user_id: int) -> JSON:
    """A human Telegram user."""
    return {
        "id": user_id,
        "is_bot": False,
        "first_name": f"User{user_id}",
        "username": f"user{user_id}",
        "language_code": "en",
    }


def chat(chat_id: int | str, chat_type: str) -> JSON:
    """A private chat (titled after the user) or a group, supergroup or channel."""
    if chat_type == "private":
        return {"id": chat_id, "type": "private", "first_name": f"User{chat_id}"}
    return {"id": chat_id, "type": chat_type, "title": f"Test {chat_type} {chat_id}"}


def shallow(message: JSON) -> JSON:
    """A copy fit for reply_to_message: Telegram does not nest replies further."""
    copied = copy.deepcopy(message)
    copied.pop("reply_to_message", None)
    return copied


def _utf16_len(text: str) -> int:
    return len(text.encode("utf-16-le")) // 2


def auto_entities(text: str) -> list[JSON]:
    """The bot_command and mention entities Telegram's clients would attach to `text`."""
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


#: The fields of a message that carries something other than text, by kind.
NON_TEXT: dict[str, JSON] = {
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


class Store:
    """Messages by chat (ids count up per chat) and the queries still waiting for an answer."""

    def __init__(self) -> None:
        self._messages: dict[tuple[str, int], JSON] = {}
        self._chats: dict[str, JSON] = {}
        self._last_id: dict[str, int] = {}
        self._open_queries: set[str] = set()
        self._next_query = 1

    def add(self, chat_id: int | str, sender: JSON, message_id: int | None = None) -> JSON:
        """Create and keep a message from `sender`; the next id in the chat unless given."""
        key = str(chat_id)
        if message_id is None:
            message_id = self._last_id.get(key, 0) + 1
        self._last_id[key] = max(self._last_id.get(key, 0), message_id)
        known = self._chats.get(key)
        guessed = "supergroup" if key.startswith(("-", "@")) else "private"
        message: JSON = {
            "message_id": message_id,
            "from": sender,
            "chat": dict(known or chat(chat_id, guessed)),
            "date": int(time.time()),
        }
        self._messages[(key, message_id)] = message
        return message

    def add_from_user(self, chat_id: int, chat_type: str, sender: int | None = None) -> JSON:
        """A new message from a user: `sender`, else the chat's owner in private chats, else
        DEFAULT_USER_ID."""
        self._chats[str(chat_id)] = chat(chat_id, chat_type)
        author = sender or (chat_id if chat_type == "private" else DEFAULT_USER_ID)
        return self.add(chat_id, user(author))

    def get(self, chat_id: int | str, message_id: int) -> JSON | None:
        """The stored message, or None."""
        return self._messages.get((str(chat_id), message_id))

    def latest(self, chat_id: int, *, from_bot: bool) -> JSON | None:
        """The newest message in the chat from the bot, or from anyone else."""
        key = str(chat_id)
        found = [
            message
            for (chat_key, _), message in self._messages.items()
            if chat_key == key and (message["from"]["id"] == BOT_ID) == from_bot
        ]
        return max(found, key=lambda message: int(message["message_id"]), default=None)

    def latest_from_bot(self, chat_id: int) -> JSON:
        """The bot's newest message in the chat; invented when the bot has sent none."""
        found = self.latest(chat_id, from_bot=True)
        if found is not None:
            return found
        message = self.add(chat_id, dict(BOT_USER))
        message["text"] = "An earlier message from the bot"
        return message

    def open_query(self, prefix: str) -> str:
        """A new callback or inline query id that the bot may answer once."""
        query_id = f"{prefix}-{self._next_query}"
        self._next_query += 1
        self._open_queries.add(query_id)
        return query_id

    def close_query(self, query_id: str) -> None:
        """Mark a query answered; refuse ids that are unknown or already answered."""
        if query_id not in self._open_queries:
            raise bad_request(
                "query is too old and response timeout expired or query ID is invalid"
            )
        self._open_queries.discard(query_id)
