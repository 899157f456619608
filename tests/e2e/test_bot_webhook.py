"""Webhook mode: our server in front of the bot, posted to as Telegram and attackers would.

Requests are judged on their headers before any body byte is read; accepted updates are handed to
the bot once each and answered through the fake Bot API.
"""

from __future__ import annotations

import asyncio
import json
import logging
import socket
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any, NamedTuple

import httpx
import pytest

from bot import ALLOWED_UPDATES, Settings, build_application
from bot.app import BotApp
from bot.intake import Intake
from bot.serve_webhook import start_webhook, stop_webhook
from bot.webhook import HEALTH_PATH, MAX_BODY, SECRET_HEADER, WebhookServer
from faq.engine import Engine
from faq.usage.inbox import Inbox
from tests.fakes.telegram import FakeBotAPI

from .conftest import USER, settings_for, to_chat

SECRET = "s3cret_token-1"
NINETY_MB = 90 * 1024 * 1024


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class Hooked(NamedTuple):
    """The bot behind our webhook server, and where to post."""

    app: BotApp
    server: WebhookServer
    intake: Intake
    url: str

    @property
    def port(self) -> int:
        """The port the webhook server listens on."""
        return self.server.port


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
async def hooked(
    webhook_settings: Settings, engine: Engine, tmp_path: Path
) -> AsyncIterator[Hooked]:
    """The bot serving a webhook on 127.0.0.1, started as `magbot serve` starts it."""
    app = build_application(engine, webhook_settings)
    intake = Intake(app, Inbox(tmp_path / "inbox.sqlite3"))
    server = await start_webhook(app, webhook_settings, intake)
    try:
        yield Hooked(app, server, intake, str(webhook_settings.webhook_url))
    finally:
        await stop_webhook(app, server, intake)


async def _post(url: str, body: bytes, secret: str | None = SECRET) -> httpx.Response:
    headers = {"Content-Type": "application/json"}
    if secret is not None:
        headers[SECRET_HEADER] = secret
    async with httpx.AsyncClient() as client:
        return await client.post(url, content=body, headers=headers)


def _head(port: int, length: int | None, secret: str, chunked: bool = False) -> bytes:
    lines = ["POST /hook HTTP/1.1", f"Host: 127.0.0.1:{port}", "Content-Type: application/json"]
    lines.append(f"{SECRET_HEADER}: {secret}")
    lines.append("Transfer-Encoding: chunked" if chunked else f"Content-Length: {length}")
    return ("\r\n".join(lines) + "\r\n\r\n").encode()


async def _answer(reader: asyncio.StreamReader) -> bytes:
    """Everything the server sends until it closes the connection (10 s at most)."""
    return await asyncio.wait_for(reader.read(), timeout=10)


async def test_a_post_with_the_secret_is_answered(hooked: Hooked, fake: FakeBotAPI) -> None:
    update = fake.push_message(USER, "/start")

    status = await fake.apost_webhook(hooked.url, update, secret_token=SECRET)
    await fake.await_calls("sendMessage", to_chat(USER))

    assert status == 200
    assert fake.webhook_url == hooked.url
    assert fake.calls("setWebhook")[0].params["secret_token"] == SECRET
    assert fake.allowed_updates == ALLOWED_UPDATES


@pytest.mark.parametrize("secret", ["wrong", "", None])
async def test_a_post_without_the_right_secret_is_refused_and_not_processed(
    hooked: Hooked, fake: FakeBotAPI, secret: str | None
) -> None:
    refused = fake.push_message(USER, "/start")
    accepted = fake.push_message(USER + 1, "/start")

    status = await fake.apost_webhook(hooked.url, refused, secret_token=secret)
    await fake.apost_webhook(hooked.url, accepted, secret_token=SECRET)
    await fake.await_calls("sendMessage", to_chat(USER + 1))
    await stop_webhook(hooked.app, hooked.server, hooked.intake)

    assert status == 403
    assert fake.sent_messages(USER) == []


@pytest.mark.parametrize(("secret", "status"), [("wrong", b"403"), (SECRET, b"413")])
async def test_a_90_mb_post_is_refused_on_its_headers_before_its_body_is_sent(
    hooked: Hooked, secret: str, status: bytes
) -> None:
    reader, writer = await asyncio.open_connection("127.0.0.1", hooked.port)
    writer.write(_head(hooked.port, NINETY_MB, secret))  # the headers only, no body byte
    await writer.drain()

    answer = await _answer(reader)  # the server answers and hangs up without the body
    writer.close()

    assert answer.startswith(b"HTTP/1.1 " + status), answer


async def test_a_chunked_body_over_the_cap_is_cut_off(hooked: Hooked, fake: FakeBotAPI) -> None:
    reader, writer = await asyncio.open_connection("127.0.0.1", hooked.port)
    writer.write(_head(hooked.port, None, SECRET, chunked=True))
    chunk = b" " * 65536
    sent = 0
    while sent <= MAX_BODY:  # no terminating chunk: the server must not wait for one
        last = sent + len(chunk) > MAX_BODY  # its CRLF unsent: all that was sent gets read
        writer.write(b"%x\r\n" % len(chunk) + chunk + (b"" if last else b"\r\n"))
        await writer.drain()
        sent += len(chunk)

    answer = await _answer(reader)
    writer.close()
    after = await fake.apost_webhook(hooked.url, fake.push_message(USER, "/start"), SECRET)

    assert answer.startswith(b"HTTP/1.1 413"), answer
    assert after == 200


async def test_an_update_posted_twice_is_answered_once(hooked: Hooked, fake: FakeBotAPI) -> None:
    update = fake.push_message(USER, "/start")

    first = await fake.apost_webhook(hooked.url, update, secret_token=SECRET)
    again = await fake.apost_webhook(hooked.url, update, secret_token=SECRET)
    # every update in hand is answered first
    await stop_webhook(hooked.app, hooked.server, hooked.intake)

    assert (first, again) == (200, 200)
    assert len(fake.sent_messages(USER)) == 1


@pytest.mark.parametrize(
    "body",
    [
        b"{not json",
        b"\xff\xfe",
        b"[1, 2]",
        b'{"message": {}}',
        b'{"update_id": "7"}',
        b'{"update_id": true}',
        b"[" * 100_000 + b"]" * 100_000,
        b"",
    ],
)
async def test_a_body_that_is_not_an_update_gets_400_and_the_bot_keeps_answering(
    hooked: Hooked, fake: FakeBotAPI, body: bytes, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)

    refused = await _post(hooked.url, body)
    status = await fake.apost_webhook(hooked.url, fake.push_message(USER, "/start"), SECRET)
    await fake.await_calls("sendMessage", to_chat(USER))

    assert refused.status_code == 400
    assert status == 200
    assert "Traceback" not in caplog.text
    assert all(record.exc_info is None for record in caplog.records)
    assert SECRET not in caplog.text


@pytest.mark.parametrize(
    "update",
    [
        {"update_id": 90001, "message": "not an object"},
        {"update_id": 90002, "message": {"chat": 5}},
        {"update_id": 90003, "callback_query": []},
    ],
)
async def test_an_update_the_bot_cannot_read_is_taken_and_dropped_without_a_traceback(
    hooked: Hooked, fake: FakeBotAPI, update: dict[str, Any], caplog: pytest.LogCaptureFixture
) -> None:
    taken = await _post(hooked.url, _json(update))
    status = await fake.apost_webhook(hooked.url, fake.push_message(USER, "/start"), SECRET)
    await fake.await_calls("sendMessage", to_chat(USER))

    assert (taken.status_code, status) == (200, 200)  # Telegram must not post it again
    assert "could not be read; skipped" in caplog.text
    assert all(record.exc_info is None for record in caplog.records)


@pytest.mark.parametrize(
    ("method", "path", "status"),
    [("GET", "/hook", 405), ("PUT", "/hook", 405), ("POST", "/other", 404), ("GET", "/", 404)],
)
async def test_other_paths_and_methods_are_refused_and_say_nothing(
    hooked: Hooked, method: str, path: str, status: int
) -> None:
    async with httpx.AsyncClient() as client:
        answer = await client.request(
            method, f"http://127.0.0.1:{hooked.port}{path}", headers={SECRET_HEADER: SECRET}
        )

    assert answer.status_code == status
    assert SECRET not in answer.text and "Traceback" not in answer.text


async def test_the_health_endpoint_answers_ok_while_serving_without_the_secret(
    hooked: Hooked,
) -> None:
    async with httpx.AsyncClient() as client:
        health = await client.get(f"http://127.0.0.1:{hooked.port}{HEALTH_PATH}")

    assert (health.status_code, health.text) == (200, "ok\n")


async def test_after_stop_the_port_is_closed(hooked: Hooked) -> None:
    await stop_webhook(hooked.app, hooked.server, hooked.intake)

    with pytest.raises(OSError):
        await asyncio.open_connection("127.0.0.1", hooked.port)


def _json(update: dict[str, Any]) -> bytes:
    return json.dumps(update).encode()


async def test_a_refused_update_is_not_remembered_as_seen(hooked: Hooked, fake: FakeBotAPI) -> None:
    update = fake.push_message(USER, "/start")

    refused = await _post(hooked.url, _json(update), secret="wrong")
    accepted = await _post(hooked.url, _json(update))
    await fake.await_calls("sendMessage", to_chat(USER))

    assert (refused.status_code, accepted.status_code) == (403, 200)
