"""Commands in private chats and groups, through the real PTB stack against the fake Bot API."""

from __future__ import annotations

import pytest

from bot.app import BotApp
from bot.texts import COMMANDS, UNKNOWN_COMMAND
from faq.engine import Engine
from faq.model import Status
from faq.reply import DISCLAIMER
from faq.usage.store import SqliteStore
from tests.fakes.telegram import FakeBotAPI

from .conftest import GROUP, USER, stored, to_chat


async def _command(fake: FakeBotAPI, text: str, chat: int = USER, **kwargs: object) -> str:
    fake.push_message(chat, text, **kwargs)  # type: ignore[arg-type]
    (call,) = await fake.await_calls("sendMessage", to_chat(chat))
    assert call.params["parse_mode"] == "HTML"
    return str(call.params["text"])


async def test_the_command_menu_is_published_at_start_without_reload(
    bot: BotApp, fake: FakeBotAPI
) -> None:
    (call,) = fake.calls("setMyCommands")

    published = [c["command"] for c in call.params["commands"]]
    assert published == [name for name, _ in COMMANDS]
    assert "reload" not in published


async def test_start_greets_with_what_the_bot_covers_and_the_disclaimer(
    bot: BotApp, fake: FakeBotAPI
) -> None:
    text = await _command(fake, "/start")

    assert "magnesium for leg cramps" in text
    assert DISCLAIMER in text


async def test_help_names_every_command_and_the_inline_handle(
    bot: BotApp, fake: FakeBotAPI
) -> None:
    text = await _command(fake, "/help")

    assert all(f"/{name}" in text for name, _ in COMMANDS)
    assert "@MagTestBot" in text


async def test_topics_lists_questions_and_paging_edits_the_same_message(
    bot: BotApp, fake: FakeBotAPI, engine: Engine
) -> None:
    await _command(fake, "/topics")
    first = fake.sent_messages(USER)[0]["reply_markup"]["inline_keyboard"]
    fake.push_callback(USER, first[-1][-1]["callback_data"])  # Next ▶
    (edit,) = await fake.await_calls("editMessageText")
    await fake.await_calls("answerCallbackQuery")

    second = edit.params["reply_markup"]["inline_keyboard"]
    assert first[-1][-1]["text"] == "Next ▶" and len(first) == 9  # 8 questions + ◀ ▶ row
    assert first[0][0]["text"] == engine.entries[0].question
    assert second[0][0]["text"] == engine.entries[8].question
    assert [b["text"] for b in second[-1]] == ["◀ Back", "Next ▶"]
    assert "page 2 of" in edit.params["text"]
    assert fake.delivered("sendMessage") == 1  # edited, not sent again


async def test_pressing_the_page_already_shown_is_quietly_acknowledged(
    bot: BotApp, fake: FakeBotAPI
) -> None:
    await _command(fake, "/topics")
    fake.push_callback(USER, "tp:0")

    await fake.await_calls("answerCallbackQuery")
    await fake.await_calls("editMessageText", delivered_only=False)

    assert fake.delivered("editMessageText") == 0  # "not modified" from Telegram, ignored


async def test_about_lists_sources_as_links_and_the_latest_review(
    bot: BotApp, fake: FakeBotAPI, engine: Engine
) -> None:
    text = await _command(fake, "/about")

    latest = max(entry.reviewed for entry in engine.entries)
    assert latest.isoformat() in text
    for source in engine.entries[0].sources:
        assert f'href="{source.url}"' in text


async def test_privacy_says_what_is_kept_and_for_how_long(bot: BotApp, fake: FakeBotAPI) -> None:
    text = await _command(fake, "/privacy")

    assert "90 days" in text and "/forget" in text and "hash" in text


async def test_forget_deletes_what_was_stored_for_that_user_only(
    bot: BotApp, fake: FakeBotAPI, store: SqliteStore
) -> None:
    store.record_query(
        user_id=USER + 1, status=Status.UNSURE, entry_id=None, score=1.0, question="q"
    )
    fake.push_message(USER, "what is the weather like")
    await fake.await_calls("sendMessage", to_chat(USER))
    await stored(bot)
    before = len(store.stats().queries)

    fake.push_message(USER, "/forget")
    calls = await fake.await_calls("sendMessage", to_chat(USER), count=2)

    assert before == 2
    assert calls[-1].params["text"] == "Done: I deleted 1 record linked to you."
    assert [q.question for q in store.stats().queries] == ["q"]


async def test_an_unknown_command_points_to_help(bot: BotApp, fake: FakeBotAPI) -> None:
    text = await _command(fake, "/frobnicate")

    assert text == UNKNOWN_COMMAND


# --------------------------------------------------------------------------- groups


async def test_help_addressed_to_this_bot_in_a_group_is_answered_as_a_reply(
    bot: BotApp, fake: FakeBotAPI
) -> None:
    update = fake.push_message(GROUP, "/help@MagTestBot", chat_type="supergroup")

    (call,) = await fake.await_calls("sendMessage", to_chat(GROUP))

    assert "How to ask" in call.params["text"]
    assert call.params["reply_parameters"]["message_id"] == update["message"]["message_id"]


@pytest.mark.parametrize(
    "text",
    [
        "/help@OtherBot",
        "/frobnicate",
        "magnesium is great, I take it every night",
        "ask @SomeoneElse about magnesium",
    ],
)
async def test_group_messages_not_meant_for_the_bot_are_ignored(
    bot: BotApp, fake: FakeBotAPI, text: str
) -> None:
    fake.push_message(GROUP, text, chat_type="supergroup")
    fake.push_message(GROUP, "/privacy@MagTestBot", chat_type="supergroup")  # a marker

    (call,) = await fake.await_calls("sendMessage", to_chat(GROUP))

    assert "What I store" in call.params["text"]
    assert len(fake.sent_messages(GROUP)) == 1


async def test_a_mention_in_a_group_is_answered_without_the_mention(
    bot: BotApp, fake: FakeBotAPI, engine: Engine
) -> None:
    fake.push_message(GROUP, "@MagTestBot can I take magnesium while pregnant?", chat_type="group")

    (call,) = await fake.await_calls("sendMessage", to_chat(GROUP))

    expected = engine.answer("can I take magnesium while pregnant?")
    assert expected.entry is not None
    assert expected.entry.answer.split()[0] in call.params["text"]


async def test_a_reply_to_the_bot_in_a_group_is_answered(bot: BotApp, fake: FakeBotAPI) -> None:
    fake.push_message(GROUP, "/start@MagTestBot", chat_type="supergroup")
    await fake.await_calls("sendMessage", to_chat(GROUP))

    fake.push_message(GROUP, "is it safe in pregnancy?", chat_type="supergroup", reply_to_bot=True)
    calls = await fake.await_calls("sendMessage", to_chat(GROUP), count=2)

    assert "pregnan" in calls[-1].params["text"].lower()


async def test_reload_from_a_non_admin_in_a_group_looks_like_any_unknown_command(
    bot: BotApp, fake: FakeBotAPI
) -> None:
    fake.push_message(GROUP, "/frobnicate@MagTestBot", chat_type="supergroup")
    (unknown,) = await fake.await_calls("sendMessage", to_chat(GROUP))
    fake.push_message(GROUP, "/reload@MagTestBot", chat_type="supergroup")  # not an admin
    fake.push_message(GROUP, "/reload", chat_type="supergroup")  # not addressed: ignored
    fake.push_message(GROUP, "/privacy@MagTestBot", chat_type="supergroup")  # a marker

    calls = await fake.await_calls("sendMessage", to_chat(GROUP), count=3)

    assert calls[1].params["text"] == unknown.params["text"] == UNKNOWN_COMMAND
    assert "What I store" in calls[2].params["text"]
    assert len(fake.sent_messages(GROUP)) == 3
    assert "reload" not in " ".join(str(c.params["text"]).lower() for c in calls)
