"""Updates through the fake Bot API: the queue, a polling and a webhook Application, and the
fake run on its own."""

from __future__ import annotations

import asyncio
import queue
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import AsyncIterator
from pathlib import Path
from typing import IO, Any

import httpx
import pytest
from telegram import Bot, Update
from telegram.error import BadRequest, Conflict
from telegram.ext import (
    Application,
    ApplicationBuilder,
    CallbackQueryHandler,
    ContextTypes,
    MessageHandler,
    filters,
)

from tests.fakes.telegram import FakeBotAPI

from .conftest import CHAT, TOKEN

ROOT = Path(__file__).resolve().parents[2]

App = Application[Any, Any, Any, Any, Any, Any]


async def echo(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Reply with the user's own text."""
    message = update.effective_message
    if message is not None and message.text is not None:
        await message.reply_text(message.text)


async def button(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Acknowledge the press and show which button it was."""
    query = update.callback_query
    if query is not None:
        await query.answer()
        await query.edit_message_text(f"You chose {query.data}")


def _build_app(fake: FakeBotAPI) -> App:
    app = ApplicationBuilder().token(TOKEN).base_url(fake.base_url).build()
    app.add_handler(MessageHandler(filters.TEXT & ~filters.COMMAND, echo))
    app.add_handler(CallbackQueryHandler(button))
    return app


async def _stop(app: App) -> None:
    if app.updater is not None and app.updater.running:
        await app.updater.stop()
    if app.running:
        await app.stop()
    await app.shutdown()


@pytest.fixture
async def polling_app(fake: FakeBotAPI) -> AsyncIterator[App]:
    app = _build_app(fake)
    await app.initialize()
    await app.start()
    assert app.updater is not None
    await app.updater.start_polling(poll_interval=0, timeout=1, allowed_updates=Update.ALL_TYPES)
    yield app
    await _stop(app)


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


# --------------------------------------------------------------------------- the queue


async def test_get_updates_long_polls_until_an_update_is_pushed(bot: Bot, fake: FakeBotAPI) -> None:
    threading.Timer(0.2, fake.push_message, (CHAT, "late hello")).start()
    started = time.monotonic()

    updates = await bot.get_updates(timeout=5, allowed_updates=["message"])
    confirmed = await bot.get_updates(offset=updates[-1].update_id + 1, timeout=0)

    assert 0.15 < time.monotonic() - started < 4
    assert [u.message.text for u in updates if u.message] == ["late hello"]
    assert confirmed == ()
    assert fake.pending_updates() == []
    assert fake.allowed_updates == ["message"]


async def test_updates_of_types_not_allowed_are_never_queued(bot: Bot, fake: FakeBotAPI) -> None:
    await bot.get_updates(timeout=0, allowed_updates=["message"])

    fake.push_callback(CHAT, "ignored")
    fake.push_message(CHAT, "kept")

    assert [u["update_id"] for u in fake.pending_updates()] == [2]


@pytest.mark.parametrize("kind", ["sticker", "photo", "voice", "location", "document"])
async def test_non_text_messages_parse_as_ptb_objects(
    bot: Bot, fake: FakeBotAPI, kind: str
) -> None:
    fake.push_non_text(CHAT, kind)

    (update,) = await bot.get_updates(timeout=0)

    assert update.message is not None and update.message.text is None
    assert getattr(update.message, kind)


async def test_commands_and_mentions_get_entities(bot: Bot, fake: FakeBotAPI) -> None:
    fake.push_message(-100123, "/help@MagTestBot ask @MagTestBot", chat_type="supergroup")

    (update,) = await bot.get_updates(timeout=0)

    assert update.message is not None
    found = update.message.parse_entities()
    assert [(e.type, text) for e, text in found.items()] == [
        ("bot_command", "/help@MagTestBot"),
        ("mention", "@MagTestBot"),
    ]
    assert update.message.from_user is not None and update.message.from_user.id != -100123
    assert update.message.chat.type == "supergroup"


async def test_a_reply_to_the_bot_and_an_edit_refer_to_the_right_messages(
    bot: Bot, fake: FakeBotAPI
) -> None:
    sent = await bot.send_message(CHAT, "from the bot")
    fake.push_message(CHAT, "first", reply_to_bot=True)
    fake.push_edited_message(CHAT, "/first edited")

    reply, edit = await bot.get_updates(timeout=0)

    assert reply.message is not None and reply.message.reply_to_message is not None
    assert reply.message.reply_to_message.message_id == sent.message_id
    assert edit.edited_message is not None and edit.edited_message.text == "/first edited"
    assert edit.edited_message.message_id == reply.message.message_id
    assert edit.edited_message.entities[0].type == "bot_command"


async def test_setting_a_webhook_stops_get_updates_until_it_is_deleted(
    bot: Bot, fake: FakeBotAPI
) -> None:
    fake.push_message(CHAT, "dropped with the webhook")

    await bot.set_webhook("https://example.org/hook", secret_token="s3cret")

    assert fake.webhook_url == "https://example.org/hook"
    with pytest.raises(Conflict):
        await bot.get_updates(timeout=0)
    for url, secret in (("ftp://example.org/hook", None), ("https://example.org", "bad secret")):
        with pytest.raises(BadRequest, match=r"(?i)bad webhook"):
            await bot.set_webhook(url, secret_token=secret)
    assert await bot.delete_webhook(drop_pending_updates=True)
    assert fake.webhook_url == ""
    assert await bot.get_updates(timeout=0) == ()


# --------------------------------------------------------------------------- whole Application


async def test_polling_application_echoes_a_pushed_message(
    polling_app: App, fake: FakeBotAPI
) -> None:
    fake.push_message(CHAT, "hello bot")

    await fake.await_calls("sendMessage", lambda p: p["chat_id"] == CHAT, timeout=5)

    assert [p["text"] for p in fake.sent_messages(CHAT)] == ["hello bot"]
    assert fake.allowed_updates == Update.ALL_TYPES
    assert fake.delivered("getMe") == 1 and fake.delivered("deleteWebhook") == 1


async def test_stopping_the_updater_confirms_fetched_updates(
    polling_app: App, fake: FakeBotAPI
) -> None:
    fake.push_message(CHAT, "one")
    await fake.await_calls("sendMessage", timeout=5)

    await _stop(polling_app)

    assert fake.pending_updates() == []


async def test_polling_application_answers_a_button_press_exactly_once(
    polling_app: App, fake: FakeBotAPI
) -> None:
    fake.push_callback(CHAT, "magnesium")

    (edit,) = await fake.await_calls("editMessageText", timeout=5)

    assert edit.params["text"] == "You chose magnesium"
    assert fake.delivered("answerCallbackQuery") == 1


async def test_webhook_application_accepts_only_the_right_secret(fake: FakeBotAPI) -> None:
    app = _build_app(fake)
    port = _free_port()
    url = f"http://127.0.0.1:{port}/hook"
    await app.initialize()
    await app.start()
    assert app.updater is not None
    await app.updater.start_webhook(
        listen="127.0.0.1", port=port, url_path="hook", webhook_url=url, secret_token="s3cret"
    )
    try:
        update = fake.push_message(CHAT, "via webhook")
        wrong = await fake.apost_webhook(url, update, secret_token="wrong")
        right = await fake.apost_webhook(url, update, secret_token="s3cret")
        await fake.await_calls("sendMessage", timeout=5)
    finally:
        await _stop(app)

    assert (wrong, right) == (403, 200)
    assert fake.webhook_url == url
    assert [p["text"] for p in fake.sent_messages(CHAT)] == ["via webhook"]


async def test_wait_for_times_out_with_a_summary(fake: FakeBotAPI) -> None:
    with pytest.raises(AssertionError, match="got 0"):
        await fake.await_calls("sendMessage", timeout=0.05)
    with pytest.raises(AssertionError, match="sendMessage"):
        await asyncio.to_thread(fake.wait_for, "sendMessage", None, 1, 0.05)


# --------------------------------------------------------------------------- run on its own


def _lines(stream: IO[str]) -> queue.Queue[str]:
    """The stream's lines, read by a thread so that a test can wait with a timeout."""
    lines: queue.Queue[str] = queue.Queue()

    def read() -> None:
        for line in stream:
            lines.put(line)

    threading.Thread(target=read, daemon=True).start()
    return lines


def _read_until(lines: queue.Queue[str], needle: str, timeout: float = 10.0) -> str:
    deadline = time.monotonic() + timeout
    seen = ""
    while needle not in seen:
        seen += lines.get(timeout=max(deadline - time.monotonic(), 0.01))
    return seen


def test_run_on_its_own_it_relays_typed_lines_and_prints_replies() -> None:
    port = _free_port()
    base_url = f"http://127.0.0.1:{port}/bot"
    command = [sys.executable, "-m", "tests.fakes.telegram", "--port", str(port), "--chat", "77"]
    process = subprocess.Popen(
        command, cwd=ROOT, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True
    )
    assert process.stdin is not None and process.stdout is not None
    try:
        lines = _lines(process.stdout)
        banner = _read_until(lines, "Ctrl-C")
        process.stdin.write("hello fake\n")
        process.stdin.flush()
        polled = httpx.post(f"{base_url}{TOKEN}/getUpdates", data={"timeout": "5"}, timeout=10)
        reply = {"chat_id": "77", "text": "<b>hi</b> back", "parse_mode": "HTML"}
        httpx.post(f"{base_url}{TOKEN}/sendMessage", data=reply)
        httpx.post(f"{base_url}{TOKEN}/sendMessage", data={**reply, "text": "<p>bad</p>"})
        printed = _read_until(lines, "bot: hi back")
        refused = _read_until(lines, "refused")
        process.send_signal(signal.SIGINT)
        assert process.wait(timeout=10) == 0
    finally:
        process.kill()

    assert f"TELEGRAM_API_BASE_URL={base_url} " in banner
    assert [u["message"]["text"] for u in polled.json()["result"]] == ["hello fake"]
    assert polled.json()["result"][0]["message"]["from"]["id"] == 77
    assert "<b>" not in printed
    assert refused.startswith("! sendMessage refused (400)")
    assert _read_until(lines, "stopped")
