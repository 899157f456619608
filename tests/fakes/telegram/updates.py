"""How updates reach the bot: what users do, the getUpdates queue, and the webhook."""

from __future__ import annotations

import copy
import json
import threading
import time
import urllib.error
import urllib.request
from typing import Any

from .messages import DEFAULT_USER_ID, NON_TEXT, Store, auto_entities, shallow, user
from .validation import JSON, ApiError, check_webhook

# Update types Telegram leaves out when allowed_updates is unset or empty.
_NOT_DEFAULT_UPDATES = frozenset({"chat_member", "message_reaction", "message_reaction_count"})

# --------------------------------------------------------------------------- what users do


def message_update(
    store: Store, chat_id: int, text: str, chat_type: str, to_bot: bool, sender: int | None = None
) -> JSON:
    """A user's text message, with command and mention entities; `to_bot`: a reply to the bot."""
    replied = shallow(store.latest_from_bot(chat_id)) if to_bot else None
    message = store.add_from_user(chat_id, chat_type, sender)
    message["text"] = text
    if found := auto_entities(text):
        message["entities"] = found
    if replied is not None:
        message["reply_to_message"] = replied
    return {"message": copy.deepcopy(message)}


def edited_message_update(store: Store, chat_id: int, text: str) -> JSON:
    """An edit of the user's latest message in a private chat (a new one if there is none)."""
    original = store.latest(chat_id, from_bot=False) or store.add_from_user(chat_id, "private")
    original["text"] = text
    original["edit_date"] = int(time.time())
    original.pop("entities", None)
    if found := auto_entities(text):
        original["entities"] = found
    return {"edited_message": copy.deepcopy(original)}


def non_text_update(store: Store, chat_id: int, kind: str) -> JSON:
    """A sticker, photo, voice, location or document message in a private chat."""
    if kind not in NON_TEXT:
        raise ValueError(f"kind must be one of {sorted(NON_TEXT)}, not {kind!r}")
    message = store.add_from_user(chat_id, "private")
    message.update(copy.deepcopy(NON_TEXT[kind]))
    return {"message": copy.deepcopy(message)}


def callback_update(store: Store, chat_id: int, data: str) -> JSON:
    """A press of a button with `data` on the bot's latest message in the chat."""
    callback = {
        "id": store.open_query("cbq"),
        "from": user(chat_id if chat_id > 0 else DEFAULT_USER_ID),
        "message": copy.deepcopy(store.latest_from_bot(chat_id)),
        "chat_instance": f"instance{chat_id}",
        "data": data,
    }
    return {"callback_query": callback}


def inline_query_update(store: Store, user_id: int, query: str) -> JSON:
    """An inline query: the user typed `query` after the bot's @username."""
    inline = {
        "id": store.open_query("ilq"),
        "from": user(user_id),
        "query": query,
        "offset": "",
        "chat_type": "sender",
    }
    return {"inline_query": inline}


# --------------------------------------------------------------------------- the queue


class Updates:
    """Queued updates for getUpdates, allowed_updates, and the webhook that excludes polling.

    Callers hold `cond`; getUpdates waits on it, so pushes must happen under it too.
    """

    def __init__(self, cond: threading.Condition) -> None:
        self._cond = cond
        self._queue: list[JSON] = []
        self._next_id = 1
        self.closing = False  # set while the server stops: long polls end at once
        self.allowed: list[str] | None = None
        self.webhook_url = ""

    def push(self, update: JSON) -> JSON:
        """Number the update and queue it unless allowed_updates excludes its type; return it."""
        update["update_id"] = self._next_id
        self._next_id += 1
        if self._allows(next(key for key in update if key != "update_id")):
            self._queue.append(update)
            self._cond.notify_all()
        return update

    def pending(self) -> list[JSON]:
        """Updates queued and not yet confirmed by a later getUpdates offset."""
        return copy.deepcopy(self._queue)

    def close(self) -> None:
        """End long polls in progress: the server is stopping."""
        self.closing = True
        self._cond.notify_all()

    def get_updates(self, params: JSON) -> list[JSON]:
        """getUpdates: confirm updates below `offset`, then wait up to `timeout` for some."""
        if self.webhook_url:
            raise ApiError(
                409,
                "Conflict: can't use getUpdates method while webhook is active; "
                "use deleteWebhook to delete the webhook first",
            )
        offset = int(params.get("offset") or 0)
        limit = min(max(int(params.get("limit") or 100), 1), 100)
        deadline = time.monotonic() + max(float(params.get("timeout") or 0), 0.0)
        self._set_allowed(params.get("allowed_updates"))
        if offset < 0:
            self._queue = self._queue[offset:]
        elif offset > 0:
            self._queue = [u for u in self._queue if u["update_id"] >= offset]
        while not self._queue and not self.closing and time.monotonic() < deadline:
            self._cond.wait(deadline - time.monotonic())
        return copy.deepcopy(self._queue[:limit])

    def set_webhook(self, params: JSON) -> bool:
        """setWebhook: remember the URL and allowed_updates; optionally drop queued updates."""
        url = str(params.get("url") or "")
        check_webhook(url, params.get("secret_token"))
        self.webhook_url = url
        self._set_allowed(params.get("allowed_updates"))
        self._drop_pending(params)
        return True

    def delete_webhook(self, params: JSON) -> bool:
        """deleteWebhook: back to getUpdates; optionally drop queued updates."""
        self.webhook_url = ""
        self._drop_pending(params)
        return True

    def _allows(self, kind: str) -> bool:
        if self.allowed:
            return kind in self.allowed
        return kind not in _NOT_DEFAULT_UPDATES

    def _set_allowed(self, allowed: Any) -> None:
        if isinstance(allowed, list):
            self.allowed = [str(kind) for kind in allowed]

    def _drop_pending(self, params: JSON) -> None:
        if params.get("drop_pending_updates"):
            self._queue.clear()


# --------------------------------------------------------------------------- the webhook


def post_webhook(url: str, update: JSON, secret_token: str | None, timeout: float) -> int:
    """POST an update to a webhook as Telegram would; return the HTTP status."""
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
