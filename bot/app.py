"""The Application: handlers in order, the error handler, limits and retries, start-up hooks."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import signal
from collections.abc import Callable
from typing import Any

from telegram import BotCommand, LinkPreviewOptions, Message, MessageEntity, Update
from telegram.error import InvalidToken, TelegramError
from telegram.ext import (
    Application,
    ApplicationBuilder,
    CallbackQueryHandler,
    CommandHandler,
    ContextTypes,
    Defaults,
    InlineQueryHandler,
    MessageHandler,
    filters,
)
from telegram.request import HTTPXRequest

from bot import handlers, messages, texts
from bot.application import MagbotApplication
from bot.fairness import UserLimiter
from bot.limits import StatusRequest, rate_limiter
from bot.services import KEY, EngineHolder, FeedbackSink, MagbotContext, Services, services
from bot.settings import Settings
from faq.engine import Engine
from faq.maintain.check import load_checked
from faq.usage.store import Store

logger = logging.getLogger(__name__)

BotApp = Application[Any, Any, Any, Any, Any, Any]

#: The updates the bot asks Telegram for; anything else is never sent to it.
ALLOWED_UPDATES = [
    Update.MESSAGE,
    Update.EDITED_MESSAGE,
    Update.CALLBACK_QUERY,
    Update.INLINE_QUERY,
]
#: Connections for sending: one per worker of the intake's per-chat queues, and spare.
CONNECTIONS = 64
#: Updates process_update lets through at once (PTB's semaphore); the intake's per-chat queues
#: (bot/intake.py) decide what runs, with fewer workers than this, in both modes.
CONCURRENT_UPDATES = 64


class _AddressedToBot(filters.MessageFilter):
    """Messages meant for this bot: it is mentioned, named in /command@bot, or replied to."""

    def filter(self, message: Message) -> bool:
        bot = message.get_bot()
        replied = message.reply_to_message
        author = replied.from_user if replied is not None else None
        if author is not None and author.id == bot.id:
            return True
        handle = f"@{bot.username}".lower()
        kinds: list[str | None] = [MessageEntity.MENTION, MessageEntity.BOT_COMMAND]
        found = {**message.parse_entities(kinds), **message.parse_caption_entities(kinds)}
        return any(text.lower().endswith(handle) for text in found.values())


_NEW = filters.UpdateType.MESSAGE
_ADDRESSED = filters.ChatType.PRIVATE | (filters.ChatType.GROUPS & _AddressedToBot())


def build_application(
    engine: Engine,
    settings: Settings,
    store: Store | None = None,
    feedback: FeedbackSink | None = None,
    *,
    loader: Callable[[], Engine] | None = None,
    throttle: bool = True,
) -> BotApp:
    """Give the bot ready to run: handlers, error handler, rate limits and start-up hooks.

    feedback defaults to the store; loader is what /reload and SIGHUP build the new engine
    with (default: the shipped corpus and rules, refused unless they pass `magbot check`);
    throttle=False drops Telegram's flood limits, for benchmarks against a local server only.
    """
    preview_off = LinkPreviewOptions(is_disabled=True)
    builder = (
        ApplicationBuilder()
        .application_class(MagbotApplication)
        .token(settings.token)
        .context_types(ContextTypes(context=MagbotContext))
        .rate_limiter(rate_limiter(throttle))
        .request(StatusRequest(connection_pool_size=CONNECTIONS))
        .get_updates_request(HTTPXRequest(connection_pool_size=1))
        .concurrent_updates(CONCURRENT_UPDATES)
        .defaults(Defaults(link_preview_options=preview_off, allow_sending_without_reply=True))
        .post_init(_post_init)
        .post_stop(_post_stop)
    )
    if settings.api_base_url:
        builder = builder.base_url(settings.api_base_url)
        if settings.api_base_url.endswith("/bot"):
            builder = builder.base_file_url(settings.api_base_url[: -len("bot")] + "file/bot")
    app = builder.build()
    holder = EngineHolder(engine, loader or load_checked)
    app.bot_data[KEY] = Services(holder, settings, store, feedback or store)
    app.bot_data[handlers.USERS_KEY] = UserLimiter()
    _add_handlers(app, settings.admin_ids)
    app.add_error_handler(handlers.error_handler)
    return app


def _add_handlers(app: BotApp, admins: frozenset[int]) -> None:
    # first, for every message the bot would answer: a person over the rate limit stops here
    asked = filters.UpdateType.MESSAGES & ~filters.VIA_BOT & _ADDRESSED
    app.add_handler(MessageHandler(asked, handlers.fair_use), group=-1)
    commands = {
        "start": handlers.start,
        "help": handlers.help_command,
        "topics": handlers.topics,
        "about": handlers.about,
        "privacy": handlers.privacy,
        "forget": handlers.forget,
    }
    for name, callback in commands.items():
        app.add_handler(CommandHandler(name, callback, filters=_NEW))
    # Not an admin: the filter fails and the message falls through to unknown_command.
    only_admins = _NEW & filters.User(user_id=sorted(admins))
    app.add_handler(CommandHandler("reload", handlers.reload_corpus, filters=only_admins))
    app.add_handler(MessageHandler(_NEW & filters.COMMAND & _ADDRESSED, handlers.unknown_command))
    # a photo of a pill bottle with "my son swallowed 20 of these" is a question like any
    asked = (
        filters.UpdateType.MESSAGES
        & (filters.TEXT | filters.CAPTION)
        & ~filters.COMMAND
        & ~filters.VIA_BOT
    )
    app.add_handler(MessageHandler(asked & _ADDRESSED, handlers.question))
    other = _NEW & ~filters.TEXT & ~filters.CAPTION & ~filters.StatusUpdate.ALL & ~filters.VIA_BOT
    app.add_handler(MessageHandler(other & _ADDRESSED, handlers.not_text))
    buttons = (
        (messages.Ask, handlers.ask_button),
        (messages.Vote, handlers.vote_button),
        (messages.Page, handlers.page_button),
    )
    for kind, pressed in buttons:
        app.add_handler(CallbackQueryHandler(pressed, pattern=_decodes_to(kind)))
    app.add_handler(CallbackQueryHandler(handlers.stale_button))
    app.add_handler(InlineQueryHandler(handlers.inline_query))


def _decodes_to(kind: type) -> Callable[[object], bool]:
    return lambda data: isinstance(messages.decode(data), kind)


async def _post_init(app: BotApp) -> None:
    """Publish the command menu, apply the retention period, and reload the corpus on SIGHUP."""
    commands = [BotCommand(name, description) for name, description in texts.COMMANDS]
    try:
        await app.bot.set_my_commands(commands)
    except TelegramError as exc:  # the menu is a convenience: answer questions regardless
        logger.warning("could not publish the command menu: %s", exc)
    shared = services(app.bot_data)
    await shared.prune_if_due()
    with contextlib.suppress(AttributeError, NotImplementedError, RuntimeError, ValueError):
        # Unix only, main thread only; elsewhere /reload still works.
        asyncio.get_running_loop().add_signal_handler(
            signal.SIGHUP, lambda: app.create_task(_reload(app))
        )
    count = len(shared.engines.engine.entries)
    logger.info("serving %d entries as @%s", count, app.bot.username)
    shared.heartbeat = asyncio.get_running_loop().create_task(_heartbeat(app))


async def _post_stop(app: BotApp) -> None:
    """Stop the heartbeat with the rest of the bot."""
    task = services(app.bot_data).heartbeat
    if task is not None:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task


async def _heartbeat(app: BotApp) -> None:
    """Log that the bot is alive; stop it (exit 1) when Telegram no longer accepts the token.

    Polling gives up for good on a 401 or 404 and would leave a process that answers nobody,
    so a supervisor must see it exit instead.
    """
    shared = services(app.bot_data)
    while True:
        await asyncio.sleep(shared.settings.heartbeat_seconds)
        try:
            await app.bot.get_me()
        except InvalidToken:
            logger.error("Telegram no longer accepts the token (401 or 404): stopping")
            shared.token_rejected = True
            if shared.stop is not None:  # long polling (bot/polling.py)
                shared.stop()
            else:  # the webhook (bot/serve_webhook.py) serves until its loop stops
                app.stop_running()
            return
        except TelegramError as exc:  # unreachable for now: polling retries on its own
            logger.warning("heartbeat: the Bot API did not answer (%s)", type(exc).__name__)
            continue
        logger.info("heartbeat: alive, serving %d entries", len(shared.engines.engine.entries))


async def _reload(app: BotApp) -> None:
    """Reload the corpus after SIGHUP; a corpus that fails to load is refused and logged."""
    holder = services(app.bot_data).engines
    reason = await asyncio.to_thread(holder.reload)
    if reason is not None:
        logger.error("SIGHUP: reload refused, still serving the previous corpus:\n%s", reason)
