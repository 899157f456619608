"""Fixtures for the bot end-to-end tests: the fake Bot API, the real engine and store, the bot."""

from __future__ import annotations

import asyncio
import subprocess
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import pytest

from bot import Settings, build_application, load_settings, polling
from bot.app import BotApp
from bot.intake import Intake
from bot.services import services
from faq.engine import Engine
from faq.usage.inbox import Inbox
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
def processes() -> Iterator[list[subprocess.Popen[str]]]:
    """Started servers, killed at the end if a test left one running."""
    started: list[subprocess.Popen[str]] = []
    yield started
    for process in started:
        if process.poll() is None:
            process.kill()
            process.communicate(timeout=10)


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


_POLLING = "tests.polling"  # where start_polling keeps what stop needs, in bot_data


async def start_polling(app: BotApp, inbox: Path | None = None) -> BotApp:
    """Start the application the way `magbot serve` does, on the test's event loop.

    Without an inbox file, updates are confirmed only once answered (the intake's fallback).
    """
    intake = Intake(app, Inbox(inbox) if inbox is not None else None)
    await polling.start(app, intake)
    stopping = asyncio.Event()
    poller = polling.Poller(app, intake, timeout=1)
    app.bot_data[_POLLING] = (intake, stopping, asyncio.create_task(poller.run(stopping)))
    return app


async def stop(app: BotApp) -> None:
    """Stop whatever part of the application is running, then shut it down."""
    running = app.bot_data.pop(_POLLING, None)
    if running is not None:
        intake, stopping, task = running
        stopping.set()
        await task
        await polling.stop(app, intake)
    else:
        if app.running:
            await app.stop()
        await app.shutdown()
    await asyncio.to_thread(services(app.bot_data).close_store)  # as `magbot serve` does


@pytest.fixture
async def bot(
    fake: FakeBotAPI,
    engine: Engine,
    store: SqliteStore,
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
) -> AsyncIterator[BotApp]:
    """The bot, polling the fake server, with the real engine and a SQLite store."""
    monkeypatch.setenv("PTB_TIMEDELTA", "true")  # as `magbot serve` sets it
    app = build_application(engine, settings_for(fake), store)
    await start_polling(app, tmp_path / "inbox.sqlite3")
    try:
        yield app
    finally:
        await stop(app)


async def stored(app: BotApp) -> None:
    """Wait until the bot's queued store writes are in the database (replies never wait)."""
    assert await asyncio.to_thread(services(app.bot_data).flush_store)


async def ask(fake: FakeBotAPI, user: int, text: str, timeout: float = 10.0) -> dict[str, Any]:
    """Send a message from a person in their private chat; give the bot's reply."""
    count = len(fake.sent_messages(user)) + 1
    fake.push_message(user, text)
    calls = await fake.await_calls("sendMessage", to_chat(user), count=count, timeout=timeout)
    return calls[-1].params


def to_chat(chat_id: int) -> Any:
    """A predicate for await_calls: the call went to this chat."""
    return lambda params: str(params.get("chat_id")) == str(chat_id)
