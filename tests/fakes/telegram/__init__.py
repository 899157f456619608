"""A fake Telegram Bot API server on 127.0.0.1 for end-to-end tests of the bot.

The real python-telegram-bot HTTP stack talks to it over loopback; it validates requests the
way Telegram does, records every call, queues updates for getUpdates, posts them to a webhook
and can inject faults::

    with FakeBotAPI() as fake:
        app = ApplicationBuilder().token("123:ABC").base_url(fake.base_url).build()
        ...  # initialize, start, updater.start_polling(poll_interval=0, timeout=1)
        fake.push_message(42, "hello")
        (reply,) = await fake.await_calls("sendMessage")

It serves only the methods the bot calls: getMe, getUpdates, setWebhook, deleteWebhook,
sendMessage, editMessageText, answerCallbackQuery, answerInlineQuery and setMyCommands;
any other method is answered 404. On its own: python -m tests.fakes.telegram --port 8081.
"""

from .fake import FakeBotAPI
from .messages import BOT_ID
from .server import (
    Call,
    Conflict,
    DeliveredThenDropped,
    Dropped,
    Fault,
    Forbidden,
    RateLimited,
    ServerError,
    Slow,
    Stalled,
    Unauthorized,
)
from .validation import ApiError, html_to_plain

__all__ = [
    "BOT_ID",
    "ApiError",
    "Call",
    "Conflict",
    "DeliveredThenDropped",
    "Dropped",
    "FakeBotAPI",
    "Fault",
    "Forbidden",
    "RateLimited",
    "ServerError",
    "Slow",
    "Stalled",
    "Unauthorized",
    "html_to_plain",
]
