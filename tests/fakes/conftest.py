"""Fixtures for the fake Bot API's own tests: the fake, and a real PTB Bot pointed at it."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator

import pytest
from telegram import Bot

from tests.fakes.telegram import FakeBotAPI

TOKEN = "123:ABC"
CHAT = 5150


@pytest.fixture
def fake() -> Iterator[FakeBotAPI]:
    """A fake Bot API server on 127.0.0.1."""
    with FakeBotAPI() as server:
        yield server


@pytest.fixture
async def bot(fake: FakeBotAPI) -> AsyncIterator[Bot]:
    """python-telegram-bot's Bot, talking to the fake over HTTP."""
    async with Bot(token=TOKEN, base_url=fake.base_url) as real_bot:
        yield real_bot
