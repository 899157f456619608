"""Webhook mode from start to stop: the bot, our webhook server, setWebhook, signals.

Start: initialize, post_init (command menu, SIGHUP, heartbeat), start the handlers and the
intake (which answers what the inbox kept from the last run), listen, then setWebhook, so that
Telegram's first post finds a server. Each accepted post goes to the intake, which keeps it in
the inbox before the server answers 200. Stop (SIGINT, SIGTERM or `app.stop_running()`):
refuse new posts, let the updates being handled finish for up to STOP_GRACE seconds (the rest
stay in the inbox for the next start), then post_stop and shutdown.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import signal
from urllib.parse import urlsplit

from bot.app import ALLOWED_UPDATES, BotApp
from bot.intake import Intake, open_inbox, shut_down
from bot.settings import Settings
from bot.webhook import WebhookConfig, WebhookServer

logger = logging.getLogger(__name__)

#: Seconds the updates in hand get to be answered once the bot is told to stop.
STOP_GRACE = 10.0


def webhook_config(settings: Settings) -> WebhookConfig:
    """The server's configuration from the settings: listen address, port, path and secret."""
    return WebhookConfig(
        listen=settings.webhook_listen,
        port=settings.webhook_port,
        path=urlsplit(settings.webhook_url or "").path or "/",
        secret=settings.webhook_secret or "",
    )


async def start_webhook(
    app: BotApp, settings: Settings, intake: Intake, *, drop_pending: bool = False
) -> WebhookServer:
    """Give the server, listening, once the bot is started and Telegram knows the URL."""
    await app.initialize()
    if app.post_init is not None:
        await app.post_init(app)
    await app.start()
    intake.start(resume=not drop_pending)
    server = WebhookServer(webhook_config(settings), intake.accept)
    await server.start()
    await app.bot.set_webhook(
        url=str(settings.webhook_url),
        secret_token=settings.webhook_secret,
        allowed_updates=ALLOWED_UPDATES,
        drop_pending_updates=drop_pending,
    )
    return server


async def stop_webhook(
    app: BotApp, server: WebhookServer | None, intake: Intake, grace: float = STOP_GRACE
) -> None:
    """Stop accepting, give the updates in hand up to `grace` s, then shut the bot down."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + grace
    if server is not None:
        await server.stop(grace)
    await intake.stop(max(deadline - loop.time(), 0.1))
    if app.running:
        stopping = asyncio.ensure_future(app.stop())
        await asyncio.wait({stopping}, timeout=max(deadline - loop.time(), 0.1))
        if not stopping.done():
            logger.warning("stopping: updates still being answered after %.0f s are dropped", grace)
        if app.post_stop is not None:
            await app.post_stop(app)
    await shut_down(app, intake)


def run_webhook(app: BotApp, settings: Settings, *, drop_pending: bool = False) -> None:
    """Serve the webhook until SIGINT, SIGTERM or `app.stop_running()`, then stop in bounds."""
    loop = asyncio.new_event_loop()
    asyncio.set_event_loop(loop)
    stop = _StopOnSignal(loop)
    server: WebhookServer | None = None
    intake = Intake(app, open_inbox(settings.inbox))
    try:
        server = loop.run_until_complete(
            start_webhook(app, settings, intake, drop_pending=drop_pending)
        )
        stop.serve_until_told()
    finally:
        try:
            loop.run_until_complete(stop_webhook(app, server, intake))
        finally:
            _cancel_leftovers(loop)
            loop.close()
            asyncio.set_event_loop(None)


class _StopOnSignal:
    """SIGINT and SIGTERM stop the loop; one that comes during start-up is kept for later."""

    def __init__(self, loop: asyncio.AbstractEventLoop) -> None:
        self._loop = loop
        self._told = False
        self._serving = False
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(sig, self._on_signal)

    def serve_until_told(self) -> None:
        """Run the loop until a signal (or stop_running) stops it."""
        if self._told:
            return
        self._serving = True
        self._loop.run_forever()
        logger.info("stopping: no new updates are accepted")

    def _on_signal(self) -> None:
        self._told = True
        if self._serving:
            self._loop.stop()


def _cancel_leftovers(loop: asyncio.AbstractEventLoop) -> None:
    """Cancel the tasks still pending (handlers past the grace period), as asyncio.run does."""
    tasks = asyncio.all_tasks(loop)
    for task in tasks:
        task.cancel()
    if tasks:
        with contextlib.suppress(Exception):
            loop.run_until_complete(asyncio.gather(*tasks, return_exceptions=True))
