"""Webhook mode: only requests carrying the secret token are processed."""

from __future__ import annotations

import socket
from collections.abc import AsyncIterator

import pytest

from bot import ALLOWED_UPDATES, Settings, build_application
from bot.app import BotApp
from faq.engine import Engine
from tests.fakes.telegram import FakeBotAPI

from .conftest import USER, settings_for, stop, to_chat

SECRET = "s3cret_token-1"


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture
def webhook_settings(fake: FakeBotAPI) -> Settings:
    port = _free_port()
    return settings_for(
        fake,
        MAGBOT_WEBHOOK_URL=f"http://127.0.0.1:{port}/hook",
        MAGBOT_WEBHOOK_LISTEN="127.0.0.1",
        MAGBOT_WEBHOOK_PORT=str(port),
        MAGBOT_WEBHOOK_SECRET=SECRET,
    )


@pytest.fixture
async def hooked(webhook_settings: Settings, engine: Engine) -> AsyncIterator[BotApp]:
    """The bot serving a webhook on 127.0.0.1, set up as run_webhook would."""
    app = build_application(engine, webhook_settings)
    settings = webhook_settings
    await app.initialize()
    assert app.updater is not None
    await app.updater.start_webhook(
        listen=settings.webhook_listen,
        port=settings.webhook_port,
        url_path=settings.webhook_path,
        webhook_url=settings.webhook_url,
        secret_token=settings.webhook_secret,
        allowed_updates=ALLOWED_UPDATES,
    )
    await app.start()
    try:
        yield app
    finally:
        await stop(app)


async def test_a_post_with_the_secret_is_answered(
    hooked: BotApp, fake: FakeBotAPI, webhook_settings: Settings
) -> None:
    update = fake.push_message(USER, "/start")
    url = str(webhook_settings.webhook_url)

    status = await fake.apost_webhook(url, update, secret_token=SECRET)
    await fake.await_calls("sendMessage", to_chat(USER))

    assert status == 200
    assert fake.webhook_url == url
    assert fake.calls("setWebhook")[0].params["secret_token"] == SECRET
    assert fake.allowed_updates == ALLOWED_UPDATES


@pytest.mark.parametrize("secret", ["wrong", None])
async def test_a_post_without_the_right_secret_is_refused_and_not_processed(
    hooked: BotApp, fake: FakeBotAPI, webhook_settings: Settings, secret: str | None
) -> None:
    url = str(webhook_settings.webhook_url)
    refused = fake.push_message(USER, "/start")
    accepted = fake.push_message(USER + 1, "/start")

    status = await fake.apost_webhook(url, refused, secret_token=secret)
    await fake.apost_webhook(url, accepted, secret_token=SECRET)
    await fake.await_calls("sendMessage", to_chat(USER + 1))
    await stop(hooked)

    assert status == 403
    assert fake.sent_messages(USER) == []
