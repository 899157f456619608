"""FakeBotAPI: the fake server as tests drive it: start, push updates, wait for calls, faults."""

from __future__ import annotations

import asyncio
import json
import threading
import time
from collections.abc import Callable
from types import TracebackType

from .messages import Store
from .methods import Messaging
from .server import Call, Fault, HttpServer, Router
from .updates import (
    Updates,
    callback_update,
    edited_message_update,
    inline_query_update,
    message_update,
    non_text_update,
    post_webhook,
)
from .validation import JSON

Predicate = Callable[[JSON], bool]


class FakeBotAPI:
    """A Telegram Bot API double served from a background thread on 127.0.0.1."""

    def __init__(self, port: int = 0) -> None:
        self._cond = threading.Condition()  # guards all state; handlers run under it
        self._store = Store()
        self._updates = Updates(self._cond)
        speak = Messaging(self._store)
        self._router = Router(
            {
                "getMe": speak.get_me,
                "getUpdates": self._updates.get_updates,
                "setWebhook": self._updates.set_webhook,
                "deleteWebhook": self._updates.delete_webhook,
                "sendMessage": speak.send_message,
                "editMessageText": speak.edit_message_text,
                "answerCallbackQuery": speak.answer_callback_query,
                "answerInlineQuery": speak.answer_inline_query,
                "setMyCommands": speak.set_my_commands,
            },
            self._cond,
        )
        self._port = port
        self._server: HttpServer | None = None

    # ----------------------------------------------------------------- lifecycle

    def start(self) -> FakeBotAPI:
        """Start serving (on an ephemeral port unless one was given) and return self."""
        if self._server is None:
            with self._cond:
                self._updates.closing = False
            self._server = HttpServer(self._port, self._router.route)
            self._server.start()
        return self

    def stop(self) -> None:
        """Stop serving, waking long polls and closing open connections."""
        if self._server is None:
            return
        with self._cond:
            self._updates.close()
        self._server.stop()
        self._server = None

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
        return self._server.port

    @property
    def base_url(self) -> str:
        """The value for ApplicationBuilder().base_url() / Bot(base_url=...)."""
        return f"http://127.0.0.1:{self.port}/bot"

    # ----------------------------------------------------------------- what the bot did

    @property
    def tokens(self) -> list[str]:
        """Every distinct bot token seen, in order of first use."""
        return list(dict.fromkeys(call.token for call in self.calls()))

    @property
    def allowed_updates(self) -> list[str] | None:
        """The allowed_updates last sent with getUpdates or setWebhook (None: never sent)."""
        with self._cond:
            allowed = self._updates.allowed
            return None if allowed is None else list(allowed)

    @property
    def webhook_url(self) -> str:
        """The URL set by setWebhook, or "" when none is set."""
        with self._cond:
            return self._updates.webhook_url

    def calls(self, method: str | None = None) -> list[Call]:
        """Every call received (optionally of one method), in order, failed attempts included."""
        with self._cond:
            return [c for c in self._router.calls if method is None or c.method == method]

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
        found: list[Call] = []
        seen = 0
        with self._cond:
            while True:
                seen = self._scan(found, seen, method, predicate, delivered_only)
                if len(found) >= count:
                    return found
                if time.monotonic() >= deadline:
                    raise AssertionError(self._summary(method, count, len(found), timeout))
                self._cond.wait(deadline - time.monotonic())

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
        found: list[Call] = []
        seen = 0
        while True:
            seen = self._scan(found, seen, method, predicate, delivered_only)
            if len(found) >= count:
                return found
            if time.monotonic() >= deadline:
                raise AssertionError(self._summary(method, count, len(found), timeout))
            await asyncio.sleep(0.01)

    def _scan(
        self,
        found: list[Call],
        seen: int,
        method: str,
        predicate: Predicate | None,
        delivered_only: bool,
    ) -> int:
        """Add the matching calls after the first `seen` to `found`; return how many are seen."""
        with self._cond:
            found.extend(
                c
                for c in self._router.calls[seen:]
                if c.method == method
                and (c.delivered or not delivered_only)
                and (predicate is None or predicate(c.params))
            )
            return len(self._router.calls)

    def _summary(self, method: str, count: int, found: int, timeout: float) -> str:
        recent = "\n".join(
            f"  {c.method} -> {c.status} {json.dumps(c.params, ensure_ascii=False)[:160]}"
            for c in self.calls()[-15:]
        )
        return (
            f"waited {timeout}s for {count} matching {method} call(s), got {found}; "
            f"last calls:\n{recent or '  (none)'}"
        )

    def inject(self, method: str, fault: Fault, times: int = 1) -> None:
        """Make the next `times` calls of `method` fail (or stall) with `fault`."""
        self._router.inject(method, fault, times)

    def clear_faults(self, method: str) -> None:
        """Forget the faults injected for `method` and not used yet."""
        self._router.clear(method)

    # ----------------------------------------------------------------- what users do

    def pending_updates(self) -> list[JSON]:
        """Updates queued and not yet confirmed by a later getUpdates offset."""
        with self._cond:
            return self._updates.pending()

    def push_message(
        self,
        chat_id: int,
        text: str,
        *,
        chat_type: str = "private",
        reply_to_bot: bool = False,
        sender: int | None = None,
    ) -> JSON:
        """Queue a user's text message (command and mention entities added) and return it.

        sender: who wrote it in a group (default: one user for every group message).
        """
        with self._cond:
            update = message_update(self._store, chat_id, text, chat_type, reply_to_bot, sender)
            return self._updates.push(update)

    def push_edited_message(self, chat_id: int, text: str) -> JSON:
        """Queue an edit of the user's latest message in a private chat and return it."""
        with self._cond:
            return self._updates.push(edited_message_update(self._store, chat_id, text))

    def push_non_text(self, chat_id: int, kind: str) -> JSON:
        """Queue a sticker, photo, voice, location or document message and return it."""
        with self._cond:
            return self._updates.push(non_text_update(self._store, chat_id, kind))

    def push_callback(self, chat_id: int, data: str) -> JSON:
        """Queue a button press on the bot's latest message in the chat and return it."""
        with self._cond:
            return self._updates.push(callback_update(self._store, chat_id, data))

    def push_inline_query(self, user_id: int, query: str) -> JSON:
        """Queue an inline query typed by a user and return the update."""
        with self._cond:
            return self._updates.push(inline_query_update(self._store, user_id, query))

    def post_webhook(
        self, url: str, update: JSON, secret_token: str | None = None, timeout: float = 5.0
    ) -> int:
        """POST an update to the bot's webhook as Telegram would (blocking); return the status."""
        return post_webhook(url, update, secret_token, timeout)

    async def apost_webhook(self, url: str, update: JSON, secret_token: str | None = None) -> int:
        """post_webhook from a worker thread, so a webhook server on this loop can answer."""
        return await asyncio.to_thread(post_webhook, url, update, secret_token, 5.0)
