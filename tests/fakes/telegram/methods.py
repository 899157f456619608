"""The Bot API methods through which the bot speaks: messages, edits, answers, its commands."""

from __future__ import annotations

import copy
import time
from typing import Any

from .messages import BOT_ID, BOT_USER, Store, shallow
from .validation import (
    JSON,
    bad_request,
    check_callback_answer,
    check_commands,
    check_inline_results,
    check_reply_markup,
    checked_text,
    require_chat_id,
    require_message_id,
)


class Messaging:
    """getMe, sendMessage, editMessageText, answerCallbackQuery, answerInlineQuery, setMyCommands.

    Callers hold the fake's lock; each method takes the request's parameters.
    """

    def __init__(self, store: Store) -> None:
        self._store = store

    def get_me(self, params: JSON) -> JSON:
        """getMe: the test bot."""
        return dict(BOT_USER)

    def send_message(self, params: JSON) -> JSON:
        """sendMessage: keep the message (its visible text) and return it."""
        chat_id = require_chat_id(params)
        visible = checked_text(params.get("text"), params.get("parse_mode"))
        markup = check_reply_markup(params.get("reply_markup"))
        replied = self._replied(chat_id, params.get("reply_parameters"))
        message = self._store.add(chat_id, dict(BOT_USER))
        message["text"] = visible
        if markup is not None:
            message["reply_markup"] = markup
        if replied is not None:
            message["reply_to_message"] = replied
        return copy.deepcopy(message)

    def edit_message_text(self, params: JSON) -> JSON:
        """editMessageText: change one of the bot's messages; an edit must change something."""
        visible = checked_text(params.get("text"), params.get("parse_mode"))
        markup = check_reply_markup(params.get("reply_markup"))
        message = self._editable(params)
        if message.get("text") == visible and message.get("reply_markup") == markup:
            raise bad_request(
                "message is not modified: specified new message content and reply markup are "
                "exactly the same as a current content and reply markup of the message"
            )
        message.update(text=visible, edit_date=int(time.time()))
        message.pop("reply_markup", None)
        if markup is not None:
            message["reply_markup"] = markup
        return copy.deepcopy(message)

    def answer_callback_query(self, params: JSON) -> bool:
        """answerCallbackQuery: once per button press."""
        check_callback_answer(params)
        self._store.close_query(str(params.get("callback_query_id") or ""))
        return True

    def answer_inline_query(self, params: JSON) -> bool:
        """answerInlineQuery: once per inline query."""
        check_inline_results(params.get("results"))
        self._store.close_query(str(params.get("inline_query_id") or ""))
        return True

    def set_my_commands(self, params: JSON) -> bool:
        """setMyCommands: only checked; the call's parameters are in the fake's record."""
        check_commands(params.get("commands"))
        return True

    def _editable(self, params: JSON) -> JSON:
        message = self._store.get(require_chat_id(params), require_message_id(params))
        if message is None:
            raise bad_request("message to edit not found")
        if message["from"]["id"] != BOT_ID:
            raise bad_request("message can't be edited")
        return message

    def _replied(self, chat_id: int | str, reply: Any) -> JSON | None:
        if not isinstance(reply, dict) or "message_id" not in reply:
            return None
        original = self._store.get(reply.get("chat_id", chat_id), reply["message_id"])
        if original is None and not reply.get("allow_sending_without_reply"):
            raise bad_request("message to be replied not found")
        return shallow(original) if original else None
