"""The webhook server on its own: what it hands to `deliver`, and the update_ids it remembers."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest

from bot.webhook import SECRET_HEADER, RecentIds, WebhookConfig, WebhookServer

SECRET = "unit-secret"


class Inbox:
    """A deliver seam that keeps what it was given and can be told to fail."""

    def __init__(self) -> None:
        self.updates: list[dict[str, Any]] = []
        self.failures = 0

    async def deliver(self, update: dict[str, Any]) -> None:
        """Keep the update, or raise while failures are left."""
        if self.failures:
            self.failures -= 1
            raise ConnectionError("the queue is down")
        self.updates.append(update)


@pytest.fixture
def inbox() -> Inbox:
    return Inbox()


@pytest.fixture
async def url(inbox: Inbox) -> AsyncIterator[str]:
    """The webhook URL of a server on a free port, delivering to the inbox."""
    server = WebhookServer(WebhookConfig("127.0.0.1", 0, "/hook", SECRET), inbox.deliver)
    await server.start()
    try:
        yield f"http://127.0.0.1:{server.port}/hook"
    finally:
        await server.stop(grace=1.0)


async def _post(url: str, update: dict[str, Any]) -> int:
    async with httpx.AsyncClient() as client:
        answer = await client.post(url, content=json.dumps(update), headers={SECRET_HEADER: SECRET})
    return answer.status_code


def test_an_id_is_new_once_and_the_oldest_are_forgotten_first() -> None:
    recent = RecentIds(size=2)

    seen = [recent.first_time(n) for n in (1, 1, 2, 3, 1, 3)]

    assert seen == [True, False, True, True, True, False]


def test_a_forgotten_id_is_new_again() -> None:
    recent = RecentIds()
    recent.first_time(7)

    recent.forget(7)

    assert recent.first_time(7)


async def test_the_posted_update_is_delivered_as_posted(url: str, inbox: Inbox) -> None:
    update = {"update_id": 41, "message": {"text": "hi"}}

    status = await _post(url, update)

    assert (status, inbox.updates) == (200, [update])


async def test_an_update_that_could_not_be_delivered_is_taken_when_posted_again(
    url: str, inbox: Inbox
) -> None:
    inbox.failures = 1
    update = {"update_id": 42}

    statuses = [await _post(url, update) for _ in range(3)]

    assert statuses == [500, 200, 200]
    assert inbox.updates == [update]


async def test_a_stopped_server_answers_health_checks_no_more(inbox: Inbox) -> None:
    server = WebhookServer(WebhookConfig("127.0.0.1", 0, "/hook", SECRET), inbox.deliver)
    await server.start()
    health = f"http://127.0.0.1:{server.port}/healthz"
    async with httpx.AsyncClient() as client:
        before = await client.get(health)
        await server.stop(grace=1.0)
        with pytest.raises(httpx.ConnectError):
            await client.get(health)

    assert (before.status_code, before.text) == (200, "ok\n")
