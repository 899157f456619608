"""Faults from the Bot API, concurrency, the error handler, and the token kept out of logs."""

from __future__ import annotations

import logging

import pytest
from telegram import Bot
from telegram.error import InvalidToken

from bot import RedactingFilter
from bot.app import BotApp
from bot.logs import REDACTED
from tests.fakes import telegram as fakebotapi
from tests.fakes.telegram import FakeBotAPI

from .conftest import TOKEN, USER, stop, to_chat

FAULTS: list[fakebotapi.Fault] = [
    fakebotapi.RateLimited(retry_after=1),
    fakebotapi.ServerError(),
    fakebotapi.Slow(1.0),
]


async def test_every_update_is_answered_exactly_once_despite_faults(
    bot: BotApp, fake: FakeBotAPI
) -> None:
    for fault in FAULTS:
        fake.inject("sendMessage", fault)
    chats = [USER + n for n in range(8)]
    for chat in chats:
        fake.push_message(chat, "/start")

    await fake.await_calls("sendMessage", count=len(chats), timeout=15)
    await stop(bot)  # waits for handlers still running: a late duplicate would show below

    assert sorted(int(p["chat_id"]) for p in fake.sent_messages()) == chats
    statuses = sorted(c.status for c in fake.calls("sendMessage"))
    assert statuses == [200, 200, 200, 200, 200, 200, 200, 200, 429, 500]


async def test_a_reply_delivered_before_the_connection_dropped_is_not_sent_again(
    bot: BotApp, fake: FakeBotAPI, caplog: pytest.LogCaptureFixture
) -> None:
    fake.inject("sendMessage", fakebotapi.DeliveredThenDropped())
    fake.push_message(USER, "/start")
    await fake.await_calls("sendMessage", to_chat(USER))
    fake.push_message(USER + 1, "/start")  # handled after the first, whatever became of it

    await fake.await_calls("sendMessage", to_chat(USER + 1))
    await stop(bot)

    assert len(fake.calls("sendMessage")) == 2  # not retried: the person already has it
    assert len(fake.sent_messages(USER)) == 1
    assert "Bot API unreachable" in caplog.text  # the lost answer is logged, as a warning


async def test_a_connection_dropped_before_an_answer_is_not_retried_either(
    bot: BotApp, fake: FakeBotAPI
) -> None:
    # From the bot's side this looks the same as a delivery whose answer was lost.
    fake.inject("sendMessage", fakebotapi.Dropped())
    fake.push_message(USER, "/start")
    await fake.await_calls("sendMessage", to_chat(USER), delivered_only=False)
    fake.push_message(USER + 1, "/start")

    await fake.await_calls("sendMessage", to_chat(USER + 1))
    await stop(bot)

    assert [c.status for c in fake.calls("sendMessage")] == [0, 200]


async def test_a_failed_get_updates_loses_no_update(bot: BotApp, fake: FakeBotAPI) -> None:
    fake.inject("getUpdates", fakebotapi.ServerError())
    fake.push_message(USER, "/start")

    await fake.await_calls("sendMessage", to_chat(USER), timeout=10)
    await stop(bot)

    assert len(fake.sent_messages(USER)) == 1


async def test_a_slow_send_to_one_chat_does_not_hold_up_another(
    bot: BotApp, fake: FakeBotAPI
) -> None:
    # The first send to reach the fake takes 2 s. Either chat's may be first (updates are
    # handled concurrently); the other's must be answered while it waits, not 2 s later.
    fake.inject("sendMessage", fakebotapi.Slow(2.0))
    fake.push_message(USER, "/start")
    fake.push_message(USER + 1, "/start")

    (first,) = await fake.await_calls("sendMessage")
    other = USER + 1 if str(first.params["chat_id"]) == str(USER) else USER
    assert fake.sent_messages(other) == []
    (second,) = await fake.await_calls("sendMessage", to_chat(other))

    assert second.at - first.at > 1.0  # in turn, the second would follow the slow one at once


async def test_a_send_that_keeps_failing_is_logged_and_the_bot_carries_on(
    bot: BotApp, fake: FakeBotAPI, caplog: pytest.LogCaptureFixture
) -> None:
    fake.inject("sendMessage", fakebotapi.ServerError(), times=4)  # 1 try + 3 retries
    failing = fake.push_message(USER, "/start")
    await fake.await_calls("sendMessage", to_chat(USER), count=4, delivered_only=False)
    fake.push_message(USER + 1, "/privacy")

    await fake.await_calls("sendMessage", to_chat(USER + 1), timeout=10)
    await stop(bot)

    (record,) = [r for r in caplog.records if r.name == "bot.handlers"]
    assert record.levelno == logging.WARNING and record.exc_info is not None
    assert f"update {failing['update_id']} (private chat)" in record.getMessage()
    assert str(USER) not in record.getMessage()
    assert fake.sent_messages(USER) == []


async def test_a_user_who_blocked_the_bot_is_logged_at_info_without_a_traceback(
    bot: BotApp, fake: FakeBotAPI, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="bot.handlers")
    fake.inject("sendMessage", fakebotapi.Forbidden())
    fake.push_message(USER, "/start")
    await fake.await_calls("sendMessage", to_chat(USER), delivered_only=False)
    fake.push_message(USER + 1, "/start")

    await fake.await_calls("sendMessage", to_chat(USER + 1))
    await stop(bot)

    (record,) = [r for r in caplog.records if r.name == "bot.handlers"]
    assert record.levelno == logging.INFO and record.exc_info is None
    assert "blocked" in record.getMessage()


async def test_the_token_never_reaches_the_logs_even_at_debug(
    bot: BotApp, fake: FakeBotAPI, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    caplog.handler.addFilter(RedactingFilter([TOKEN]))
    fake.inject("sendMessage", fakebotapi.ServerError(), times=4)
    fake.push_message(USER, "/start")  # fails after retries: a logged traceback
    await fake.await_calls("sendMessage", to_chat(USER), count=4, delivered_only=False)
    fake.push_message(USER + 1, "how much magnesium should I take?")
    await fake.await_calls("sendMessage", to_chat(USER + 1), timeout=10)
    rejected = Bot(TOKEN, base_url=fake.base_url.replace("/bot", "/nobot"))
    with pytest.raises(InvalidToken) as raised:
        await rejected.initialize()  # Telegram's 404 for a bad token; the message quotes it
    logging.getLogger("bot.main").error("start-up failed", exc_info=raised.value)
    await stop(bot)

    assert TOKEN in str(raised.value)
    assert "HTTP Request" in caplog.text  # httpx logs every URL, token included...
    assert REDACTED in caplog.text
    assert TOKEN not in caplog.text  # ...and the filter scrubbed every one
    assert TOKEN.split(":")[1] not in caplog.text


async def test_the_bot_keeps_no_id_of_every_person_it_has_served(
    bot: BotApp, fake: FakeBotAPI
) -> None:
    people = [USER + n for n in range(30)]
    for person in people:
        fake.push_message(person, "/start")
    await fake.await_calls("sendMessage", count=len(people), timeout=30)

    # PTB notes every chat and user for a persistence; without one nothing would empty these
    kept = [
        bot._chat_ids_to_be_updated_in_persistence,
        bot._user_ids_to_be_updated_in_persistence,
        bot.chat_data,
        bot.user_data,
    ]
    assert [len(ids) for ids in kept] == [0, 0, 0, 0]
