"""Fixtures for the bot end-to-end tests: the fake Bot API, the real engine and store, the bot."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import pytest

from bot import ALLOWED_UPDATES, Settings, build_application, load_settings
from bot.app import BotApp
from bot.services import services
from faq.engine import Engine
from faq.usage.store import SqliteStore
from tests.fakes.telegram import FakeBotAPI

#: Shaped like a real token (digits, colon, 35 characters) so the log filter's pattern applies.
TOKEN = "424242:AAHfakeTokenForTestsOnly_abc-defghij"
ADMIN = 777
USER = 5150  # private chats: chat id == user id
GROUP = -100200300


@pytest.fixture
def fake() -> Iterator[FakeBotAPI]:
    """A fake Bot API server on 127.0.0.1."""
    with FakeBotAPI() as server:
        yield server


@pytest.fixture
def store(tmp_path: Path) -> Iterator[SqliteStore]:
    """A real SQLite store in a temporary directory."""
    opened = SqliteStore(tmp_path / "magbot.sqlite3")
    yield opened
    opened.close()


def settings_for(fake: FakeBotAPI, **extra: str) -> Settings:
    """Settings as `magbot serve` would read them, pointed at the fake server."""
    env = {
        "TELEGRAM_BOT_TOKEN": TOKEN,
        "TELEGRAM_API_BASE_URL": fake.base_url,
        "MAGBOT_ADMIN_IDS": str(ADMIN),
        **extra,
    }
    return load_settings(env)


async def start_polling(app: BotApp) -> BotApp:
    """Start the application the way run_polling does, on the test's event loop."""
    await app.initialize()
    if app.post_init is not None:
        await app.post_init(app)
    await app.start()
    assert app.updater is not None
    await app.updater.start_polling(poll_interval=0, timeout=1, allowed_updates=ALLOWED_UPDATES)
    return app


async def stop(app: BotApp) -> None:
    """Stop whatever part of the application is running, then shut it down."""
    if app.updater is not None and app.updater.running:
        await app.updater.stop()
    if app.running:
        await app.stop()
    await app.shutdown()
    await asyncio.to_thread(services(app.bot_data).close_store)  # as `magbot serve` does


@pytest.fixture
async def bot(
    fake: FakeBotAPI, engine: Engine, store: SqliteStore, monkeypatch: pytest.MonkeyPatch
) -> AsyncIterator[BotApp]:
    """The bot, polling the fake server, with the real engine and a SQLite store."""
    monkeypatch.setenv("PTB_TIMEDELTA", "true")  # as `magbot serve` sets it
    app = build_application(engine, settings_for(fake), store)
    await start_polling(app)
    try:
        yield app
    finally:
        await stop(app)


async def stored(app: BotApp) -> None:
    """Wait until the bot's queued store writes are in the database (replies never wait)."""
    assert await asyncio.to_thread(services(app.bot_data).flush_store)


def to_chat(chat_id: int) -> Any:
    """A predicate for await_calls: the call went to this chat."""
    return lambda params: str(params.get("chat_id")) == str(chat_id)
