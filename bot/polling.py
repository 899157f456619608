"""Long polling of our own: fetch, keep in the inbox, confirm, dispatch; stop gracefully.

PTB's Updater confirms updates to Telegram as soon as they are fetched, so a crash loses every
update not yet answered. Here the offset moves past an update only after the intake kept it.
A rejected token (401/404) or a conflict (409: another instance polls, or a webhook is set)
ends polling with the error; network trouble and 5xx answers are retried with a backoff and
logged once per outage; a 429 waits as long as Telegram asks.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import signal
from collections.abc import Coroutine, Sequence
from typing import Any

import httpx
from telegram.error import Conflict, InvalidToken, NetworkError, RetryAfter, TimedOut

from bot.app import ALLOWED_UPDATES, BotApp
from bot.intake import Intake, Raw, open_inbox, shut_down
from bot.limits import retry_seconds
from bot.services import services
from bot.settings import Settings

logger = logging.getLogger(__name__)

#: Seconds a getUpdates call waits on Telegram's side for something to arrive.
POLL_TIMEOUT = 10
#: Backoff after a failed getUpdates: doubling from the first to the last.
BACKOFF_FIRST = 0.5
BACKOFF_LAST = 30.0


class Poller:
    """Calls getUpdates until stopped, handing each batch to the intake before confirming it."""

    def __init__(
        self,
        app: BotApp,
        intake: Intake,
        allowed_updates: Sequence[str] = ALLOWED_UPDATES,
        timeout: int = POLL_TIMEOUT,
    ) -> None:
        self.app = app
        self.intake = intake
        self.allowed_updates = list(allowed_updates)
        self.timeout = timeout
        self._offset: int | None = None
        self._outage = False

    async def run(self, stopping: asyncio.Event) -> None:
        """Poll until `stopping` is set; raise InvalidToken or Conflict if polling cannot go on."""
        delay = BACKOFF_FIRST
        while not stopping.is_set():
            try:
                batch = await _unless_stopped(self._fetch(), stopping)
            except (InvalidToken, Conflict):
                raise
            except RetryAfter as exc:
                wait = retry_seconds(exc.retry_after)
                logger.warning("getUpdates: rate limited by Telegram; waiting %.0fs", wait)
                await _sleep_unless_stopped(wait, stopping)
                continue
            except TimedOut as exc:
                if isinstance(exc.__cause__, httpx.ReadTimeout):  # a long poll ran long: again
                    continue
                if not self._outage:  # no connection could be made: the same as an outage
                    logger.warning("Bot API unreachable (%s); retrying with backoff", exc)
                    self._outage = True
                await _sleep_unless_stopped(delay, stopping)
                delay = min(delay * 2, BACKOFF_LAST)
                continue
            except NetworkError as exc:
                if not self._outage:
                    logger.warning("Bot API unreachable (%s); retrying with backoff", exc)
                    self._outage = True
                await _sleep_unless_stopped(delay, stopping)
                delay = min(delay * 2, BACKOFF_LAST)
                continue
            if batch is None:
                return
            if self._outage:
                logger.info("Bot API reachable again")
                self._outage = False
            delay = BACKOFF_FIRST
            if batch:
                await self.intake.accept_many(batch)
                self._offset = max(int(update["update_id"]) for update in batch) + 1

    async def _fetch(self) -> list[Raw]:
        updates = await self.app.bot.get_updates(
            offset=self._offset, timeout=self.timeout, allowed_updates=self.allowed_updates
        )
        return [update.to_dict() for update in updates]


async def start(app: BotApp, intake: Intake, *, drop_pending: bool = False) -> None:
    """Start the application (PTB's hooks included) and the intake, ready for updates."""
    await app.initialize()
    if app.post_init is not None:
        await app.post_init(app)
    await app.start()
    await app.bot.delete_webhook(drop_pending_updates=drop_pending)
    intake.start(resume=not drop_pending)


async def stop(app: BotApp, intake: Intake) -> None:
    """Let the intake finish what it handles (bounded), then stop the application."""
    await intake.stop()
    if app.running:
        await app.stop()
        if app.post_stop is not None:
            await app.post_stop(app)
    await shut_down(app, intake)


def run_polling(app: BotApp, settings: Settings, *, drop_pending: bool) -> None:
    """Serve by long polling until SIGINT or SIGTERM; raise what ended polling otherwise."""
    asyncio.run(_serve(app, settings, drop_pending))


async def _serve(app: BotApp, settings: Settings, drop_pending: bool) -> None:
    intake = Intake(app, open_inbox(settings.inbox))
    stopping = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGINT, signal.SIGTERM):
        with contextlib.suppress(NotImplementedError, RuntimeError, ValueError):
            loop.add_signal_handler(signum, stopping.set)
    services(app.bot_data).stop = stopping.set  # the heartbeat stops us on a revoked token
    started = False
    try:
        await start(app, intake, drop_pending=drop_pending)
        started = True
        await _poll_until_stopped(Poller(app, intake), intake, stopping)
    except InvalidToken:
        if started:  # it was accepted at start: Telegram stopped accepting it
            services(app.bot_data).token_rejected = True
        raise
    finally:
        await stop(app, intake)


async def _poll_until_stopped(poller: Poller, intake: Intake, stopping: asyncio.Event) -> None:
    """Poll until a signal (or the heartbeat) asks to stop, or polling fails for good."""
    polling = asyncio.create_task(poller.run(stopping))
    waiter = asyncio.create_task(stopping.wait())
    await asyncio.wait({polling, waiter}, return_when=asyncio.FIRST_COMPLETED)
    waiter.cancel()
    if polling.done():
        polling.result()  # InvalidToken or Conflict: stop, then let main say why
        return
    await intake.stop()  # polling may wait on the intake (no inbox): stop the intake first
    polling.cancel()
    with contextlib.suppress(asyncio.CancelledError):
        await polling


async def _unless_stopped(
    fetch: Coroutine[Any, Any, list[Raw]], stopping: asyncio.Event
) -> list[Raw] | None:
    """Give the fetched batch, or None when asked to stop first (the fetch is cancelled)."""
    task = asyncio.ensure_future(fetch)
    waiter = asyncio.ensure_future(stopping.wait())
    await asyncio.wait({task, waiter}, return_when=asyncio.FIRST_COMPLETED)
    waiter.cancel()
    if not task.done():
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError, Exception):
            await task
        return None
    return task.result()


async def _sleep_unless_stopped(seconds: float, stopping: asyncio.Event) -> None:
    with contextlib.suppress(TimeoutError):
        await asyncio.wait_for(stopping.wait(), seconds)
