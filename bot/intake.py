"""The intake: every update, polled or posted to the webhook, enters here.

`accept` keeps the update in the inbox first (so it survives a crash), then queues it behind
its chat's earlier updates. A worker hands it to PTB's handlers and, once the reply went,
marks it done. On start, `resume` queues what the inbox holds and was never done. When the
inbox cannot be written, `accept` returns only after the update was handled, so the caller
confirms it to Telegram late rather than losing it.
"""

from __future__ import annotations

import asyncio
import logging
import time
from pathlib import Path
from typing import Any

from telegram import Update

from bot.app import BotApp
from bot.lanes import Key, Lanes
from bot.limits import RetryingLimiter
from faq.usage.inbox import Inbox, InboxError

logger = logging.getLogger(__name__)

Raw = dict[str, Any]

#: Chats served at once; a chat's own updates always wait for each other.
WORKERS = 32
#: Seconds the updates being handled get to finish on SIGTERM; the rest wait in the inbox.
SHUTDOWN_GRACE_SECONDS = 10.0
#: Handled updates are kept this long (Telegram re-sends unconfirmed ones for up to a day),
#: then deleted, so the inbox stays small.
KEEP_DONE_SECONDS = 26 * 60 * 60
PRUNE_EVERY_SECONDS = 60 * 60


class Intake:
    """Persist, then dispatch to per-chat queues; mark done after the reply."""

    def __init__(self, app: BotApp, inbox: Inbox | None, workers: int = WORKERS) -> None:
        self.app = app
        self.inbox = inbox
        limiter = app.bot.rate_limiter
        throttle = limiter.throttle if isinstance(limiter, RetryingLimiter) else None
        wait = (lambda key: throttle.wait_before(str(key))) if throttle else (lambda key: 0.0)
        self._lanes: Lanes[tuple[Raw, asyncio.Future[None] | None]] = Lanes(
            self._handle, workers, wait
        )
        self._inbox_failed = False
        self._stopped = False
        self._waiting: set[asyncio.Future[None]] = set()
        self._pruned_at = 0.0

    def start(self, *, resume: bool = True) -> None:
        """Start the workers (on the running loop) and queue what the inbox holds undone.

        resume=False (--drop-pending-updates) drops those instead, as Telegram drops its own.
        """
        self._lanes.start()
        if self.inbox is None:
            return
        try:
            if not resume:
                dropped = self.inbox.drop_pending()
                logger.info("dropped %d updates kept from the last run", dropped)
                return
            waiting = self.inbox.pending()
        except InboxError as exc:
            self._warn_once(exc)
            return
        if waiting:
            logger.info("resuming %d updates kept from the last run", len(waiting))
        for update in waiting:
            self._dispatch(update, None)

    async def accept(self, update: Raw) -> None:
        """Keep one update and queue it (see `accept_many`)."""
        await self.accept_many([update])

    async def accept_many(self, updates: list[Raw]) -> None:
        """Keep the updates and queue them; return once they may be confirmed to Telegram.

        Updates seen before (same update_id) are ignored. Without a working inbox this waits
        until the updates were handled.
        """
        fresh = self._persist(updates)
        if fresh is not None:
            for update in fresh:
                self._dispatch(update, None)
            return
        loop = asyncio.get_running_loop()
        waits = [loop.create_future() for _ in updates]
        self._waiting.update(waits)
        for update, done in zip(updates, waits, strict=True):
            self._dispatch(update, done)
        try:
            await asyncio.gather(*waits)
        finally:
            self._waiting.difference_update(waits)

    async def stop(self, grace: float = SHUTDOWN_GRACE_SECONDS) -> None:
        """Finish the updates being handled (at most `grace` seconds); the rest stay kept."""
        if self._stopped:
            return
        self._stopped = True
        waiting = self._lanes.backlog()
        await self._lanes.stop(grace)
        for unanswered in self._waiting:  # fallback mode: they are not confirmed to Telegram
            unanswered.cancel()
        if waiting:
            logger.info("stopping with %d updates queued: handled at the next start", waiting)

    def _persist(self, updates: list[Raw]) -> list[Raw] | None:
        if self.inbox is None:
            return None
        try:
            # prune first: after a week without updates Telegram may start ids anywhere, and an
            # old handled row must not make a new update look like one seen before
            self._prune_if_due()
            fresh = self.inbox.add(updates)
        except InboxError as exc:
            self._warn_once(exc)
            return None
        return fresh

    def _dispatch(self, update: Raw, done: asyncio.Future[None] | None) -> None:
        self._lanes.put(_chat_key(update), (update, done))

    async def _handle(self, job: tuple[Raw, asyncio.Future[None] | None]) -> None:
        raw, done = job
        try:
            update = Update.de_json(raw, self.app.bot)
        except Exception:  # not an update PTB can read: nothing to answer
            logger.warning("update %s could not be read; skipped", raw.get("update_id"))
        else:
            try:
                await self.app.process_update(update)  # handlers, then the error handler
            except Exception:  # the error handler itself failed: done all the same, not retried
                logger.exception("update %s failed outside the handlers", raw.get("update_id"))
        # not reached when cancelled by stop: the update is handled again at the next start
        self._mark_done(raw)
        if done is not None and not done.done():
            done.set_result(None)

    def _mark_done(self, raw: Raw) -> None:
        if self.inbox is None:
            return
        try:
            self.inbox.done(int(raw["update_id"]))
        except (InboxError, KeyError, ValueError, TypeError) as exc:
            self._warn_once(exc)

    def _prune_if_due(self) -> None:
        now = time.monotonic()
        if self.inbox is None or now - self._pruned_at < PRUNE_EVERY_SECONDS:
            return
        self._pruned_at = now
        removed = self.inbox.prune(KEEP_DONE_SECONDS)
        if removed:
            logger.info("inbox: deleted %d handled updates", removed)

    def _warn_once(self, exc: Exception) -> None:
        if not self._inbox_failed:
            self._inbox_failed = True
            logger.error(
                "the inbox cannot be used (%s): confirming updates only once answered", exc
            )


def open_inbox(path: str) -> Inbox | None:
    """Give the inbox at path, or None (logged) when it cannot be opened."""
    try:
        return Inbox(Path(path))
    except InboxError as exc:
        logger.error("%s: confirming updates only once answered", exc)
        return None


def _chat_key(update: Raw) -> Key:
    """The chat an update belongs to (its sender for inline queries), so it waits its turn."""
    for kind in ("message", "edited_message", "callback_query", "inline_query"):
        body = update.get(kind)
        if not isinstance(body, dict):
            continue
        message = body.get("message") if kind == "callback_query" else body
        chat = message.get("chat") if isinstance(message, dict) else None
        if isinstance(chat, dict) and isinstance(chat.get("id"), int):
            return int(chat["id"])
        sender = body.get("from")
        if isinstance(sender, dict) and isinstance(sender.get("id"), int):
            return int(sender["id"])
    return "other"


async def shut_down(app: BotApp, intake: Intake) -> None:
    """Shut the stopped application down, then close the intake's inbox (if it has one)."""
    await app.shutdown()
    if app.post_shutdown is not None:
        await app.post_shutdown(app)
    if intake.inbox is not None:
        intake.inbox.close()
