"""Delivery in one process: per-chat queues, per-person fairness, the inbox, polling's liveness."""

from __future__ import annotations

import asyncio
import logging
import time
from pathlib import Path
from typing import Any

import pytest

from bot import build_application, messages, texts
from bot.app import BotApp
from bot.intake import Intake
from bot.limits import GROUP_PER_MINUTE
from faq.engine import Engine
from faq.usage.inbox import Inbox
from faq.usage.store import SqliteStore
from tests.fakes import telegram as fakebotapi
from tests.fakes.telegram import FakeBotAPI

from .conftest import GROUP, USER, settings_for, start_polling, stop, to_chat

PRIVATE_QUESTION = "what are the side effects of magnesium?"
MEMBERS = 9000  # user ids of the people writing in the group


async def test_a_burst_in_one_group_leaves_private_answers_prompt(
    bot: BotApp, fake: FakeBotAPI
) -> None:
    for n in range(100):  # from 25 members, 4 each: within each person's own rate limit
        text = f"@MagTestBot how much magnesium? ({n})"
        fake.push_message(GROUP, text, chat_type="group", sender=MEMBERS + n % 25)
    await fake.await_calls("sendMessage", to_chat(GROUP))  # the burst is being served
    latencies = []
    for n in range(40):
        chat = USER + n % 8
        asked = time.perf_counter()
        fake.push_message(chat, PRIVATE_QUESTION)
        calls = await fake.await_calls("sendMessage", to_chat(chat), count=n // 8 + 1)
        latencies.append(calls[-1].at - asked)
        await asyncio.sleep(0.05)
    await fake.await_calls("sendMessage", to_chat(GROUP), count=GROUP_PER_MINUTE, timeout=15)
    await asyncio.sleep(1.0)  # time for a 21st group reply, if the limit let one through
    await stop(bot)  # the group's backlog waits for its turn: stopping is not held up by it

    p99 = sorted(latencies)[int(0.99 * len(latencies))]
    assert p99 < 1.0, sorted(latencies)
    assert len(fake.sent_messages(GROUP)) == GROUP_PER_MINUTE


async def test_a_flooding_person_is_slowed_down_once_and_an_emergency_still_answered(
    bot: BotApp, fake: FakeBotAPI, engine: Engine
) -> None:
    flooder, other = USER, USER + 1
    for _ in range(14):
        fake.push_message(flooder, "how much magnesium should I take?")
    fake.push_message(other, PRIVATE_QUESTION)
    emergency = "my son swallowed a whole bottle of magnesium tablets"

    await fake.await_calls("sendMessage", to_chat(other))
    await fake.await_calls("sendMessage", to_chat(flooder), count=9)  # 8 answers, 1 slow down
    fake.push_message(flooder, emergency)  # over the limit still, as the window has not passed
    await fake.await_calls("sendMessage", to_chat(flooder), count=10)
    await asyncio.sleep(0.5)  # time for any further (wrong) reply to arrive
    await stop(bot)

    sent = [p["text"] for p in fake.sent_messages(flooder)]
    urgent = engine.urgent(emergency)
    assert urgent is not None
    assert len(sent) == 10
    assert sent.count(texts.SLOW_DOWN) == 1 and sent[8] == texts.SLOW_DOWN
    assert sent[9] == messages.answer_message(urgent, engine.entry, None)[0]
    assert len(fake.sent_messages(other)) == 1


async def test_a_stop_lets_a_stuck_send_go_after_the_grace_and_the_next_start_answers_it(
    fake: FakeBotAPI, engine: Engine, store: SqliteStore, tmp_path: Path
) -> None:
    inbox = tmp_path / "inbox.sqlite3"
    first = build_application(engine, settings_for(fake), store)
    fake.inject("sendMessage", fakebotapi.Stalled(5.0))  # never carried out
    await start_polling(first, inbox)
    intake: Intake = first.bot_data["tests.polling"][0]
    fake.push_message(USER, "/start")
    await asyncio.sleep(1.0)  # fetched, kept, and its reply stuck in the stall

    began = time.perf_counter()
    await intake.stop(grace=0.5)
    stopped_in = time.perf_counter() - began
    await stop(first)
    waiting = _pending(inbox)
    second = build_application(engine, settings_for(fake), store)
    await start_polling(second, inbox)
    await fake.await_calls("sendMessage", to_chat(USER))
    await stop(second)

    assert stopped_in < 2.0
    assert [u["message"]["text"] for u in waiting] == ["/start"]
    assert len(fake.sent_messages(USER)) == 1
    assert _pending(inbox) == []


async def test_an_update_fetched_twice_is_answered_once(
    bot: BotApp, fake: FakeBotAPI, tmp_path: Path
) -> None:
    update = fake.push_message(USER, "/start")
    await fake.await_calls("sendMessage", to_chat(USER))
    intake: Intake = bot.bot_data["tests.polling"][0]

    await intake.accept(update)  # as a webhook retry or a re-sent getUpdates would hand it in
    await asyncio.sleep(0.3)
    await stop(bot)

    assert len(fake.sent_messages(USER)) == 1


async def test_an_outage_of_get_updates_is_logged_once_and_nothing_is_lost(
    bot: BotApp, fake: FakeBotAPI, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="bot.polling")
    fake.inject("getUpdates", fakebotapi.ServerError(), times=3)
    fake.push_message(USER, "/start")

    await fake.await_calls("sendMessage", to_chat(USER), timeout=15)
    await stop(bot)

    logged = [r.getMessage() for r in caplog.records if r.name == "bot.polling"]
    assert sum("Bot API unreachable" in line for line in logged) == 1, logged
    assert sum("reachable again" in line for line in logged) == 1, logged


async def test_a_429_on_get_updates_is_logged_as_rate_limiting(
    bot: BotApp, fake: FakeBotAPI, caplog: pytest.LogCaptureFixture
) -> None:
    fake.inject("getUpdates", fakebotapi.RateLimited(retry_after=1))
    fake.push_message(USER, "/start")

    await fake.await_calls("sendMessage", to_chat(USER), timeout=15)
    await stop(bot)

    logged = [r.getMessage() for r in caplog.records if r.name == "bot.polling"]
    assert any("rate limited" in line for line in logged), logged
    assert not any("unreachable" in line for line in logged), logged


async def test_a_429_for_one_chat_pauses_that_chat_only(bot: BotApp, fake: FakeBotAPI) -> None:
    fake.inject("sendMessage", fakebotapi.RateLimited(retry_after=3))
    fake.push_message(USER, "/start")
    await fake.await_calls("sendMessage", to_chat(USER), delivered_only=False)
    asked = time.perf_counter()
    fake.push_message(USER + 1, "/start")

    (other,) = await fake.await_calls("sendMessage", to_chat(USER + 1))
    await fake.await_calls("sendMessage", to_chat(USER), timeout=10)
    await stop(bot)

    assert other.at - asked < 2.0  # not held behind the other chat's 3 s pause
    assert len(fake.sent_messages(USER)) == 1


def _pending(path: Path) -> list[dict[str, Any]]:
    inbox = Inbox(path)
    try:
        return inbox.pending()
    finally:
        inbox.close()
