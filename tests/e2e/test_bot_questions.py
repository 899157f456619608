"""Questions, buttons, feedback, non-text messages and inline mode, end to end."""

from __future__ import annotations

import pytest

from bot import messages, texts
from bot.app import BotApp
from faq.engine import Engine
from faq.model import Status
from faq.usage.store import SqliteStore
from tests.conftest import answered_entry
from tests.fakes.telegram import FakeBotAPI, html_to_plain

from .conftest import USER, stored, to_chat

UNSURE = "magnesium"
URGENT = "my chest hurts and I feel faint"


def _buttons(params: dict[str, object]) -> list[dict[str, str]]:
    markup = params.get("reply_markup")
    assert isinstance(markup, dict)
    return [button for row in markup["inline_keyboard"] for button in row]


async def test_a_question_gets_the_html_answer_related_questions_and_votes(
    bot: BotApp, fake: FakeBotAPI, engine: Engine, store: SqliteStore
) -> None:
    entry = answered_entry(engine)
    fake.push_message(USER, entry.question)

    (call,) = await fake.await_calls("sendMessage", to_chat(USER))

    buttons = _buttons(call.params)
    related = [engine.entry(i) for i in entry.related[:3]]
    assert [b["text"] for b in buttons] == [
        *(e.question for e in related if e),
        "👍 Helpful",
        "👎 Not helpful",
    ]
    assert all(len(b["callback_data"].encode()) <= 64 for b in buttons)
    assert call.params["parse_mode"] == "HTML" and "<b>Sources:</b>" in call.params["text"]
    await stored(bot)
    (row,) = store.stats().queries
    assert (row.status, row.entry_id, row.question) == (Status.ANSWERED, entry.id, None)


async def test_an_unsure_question_offers_the_suggestions_as_buttons(
    bot: BotApp, fake: FakeBotAPI, engine: Engine, store: SqliteStore
) -> None:
    expected = engine.answer(UNSURE)
    assert expected.status is Status.UNSURE
    fake.push_message(USER, UNSURE)

    (call,) = await fake.await_calls("sendMessage", to_chat(USER))

    assert [b["text"] for b in _buttons(call.params)] == [e.question for e in expected.suggested]
    await stored(bot)
    assert [q.question for q in store.stats().queries] == [UNSURE]


async def test_pressing_a_question_button_answers_that_entry_in_a_new_message(
    bot: BotApp, fake: FakeBotAPI, engine: Engine
) -> None:
    fake.push_message(USER, UNSURE)
    (first,) = await fake.await_calls("sendMessage", to_chat(USER))
    pressed = _buttons(first.params)[0]

    fake.push_callback(USER, pressed["callback_data"])
    calls = await fake.await_calls("sendMessage", to_chat(USER), count=2)
    await fake.await_calls("answerCallbackQuery")

    action = messages.decode(pressed["callback_data"])
    assert isinstance(action, messages.Ask)
    entry = engine.entry(action.entry_id)
    assert entry is not None and entry.question == pressed["text"]
    assert html_to_plain(calls[-1].params["text"]).startswith(entry.answer.split("\n")[0][:12])
    assert "👍 Helpful" in [b["text"] for b in _buttons(calls[-1].params)]


@pytest.mark.parametrize(("label", "helpful"), [("👍 Helpful", True), ("👎 Not helpful", False)])
async def test_a_vote_is_acknowledged_and_stored_with_its_query(
    bot: BotApp,
    fake: FakeBotAPI,
    engine: Engine,
    store: SqliteStore,
    label: str,
    helpful: bool,
) -> None:
    entry = answered_entry(engine)
    fake.push_message(USER, entry.question)
    (call,) = await fake.await_calls("sendMessage", to_chat(USER))
    vote = next(b for b in _buttons(call.params) if b["text"] == label)

    fake.push_callback(USER, vote["callback_data"])
    (ack,) = await fake.await_calls("answerCallbackQuery")

    assert ack.params["text"] == (texts.THANKS_HELPFUL if helpful else texts.THANKS_UNHELPFUL)
    await stored(bot)
    (feedback,) = store.stats().feedback
    (query,) = store.stats().queries
    assert (feedback.entry_id, feedback.helpful, feedback.query_id) == (entry.id, helpful, query.id)


@pytest.mark.parametrize("data", ["garbage", "q:../etc", "q:no-such-entry", "fb:?:dosage", "tp:x"])
async def test_a_stale_or_garbage_button_only_stops_the_spinner(
    bot: BotApp, fake: FakeBotAPI, data: str
) -> None:
    fake.push_callback(USER, data)

    (ack,) = await fake.await_calls("answerCallbackQuery")

    assert ack.params.get("text") in (None, texts.BUTTON_GONE)
    assert fake.sent_messages() == []


async def test_html_in_a_question_never_reaches_telegram_unescaped(
    bot: BotApp, fake: FakeBotAPI
) -> None:
    fake.push_message(USER, "<b>x</b> & <script>alert(1)</script> magnesium dose?")

    (call,) = await fake.await_calls("sendMessage", to_chat(USER))  # the fake rejects bad HTML

    assert "<script>" not in call.params["text"]
    assert fake.calls("sendMessage")[0].status == 200


async def test_a_red_flag_gets_the_urgent_message_alone(
    bot: BotApp, fake: FakeBotAPI, store: SqliteStore
) -> None:
    fake.push_message(USER, URGENT)

    (call,) = await fake.await_calls("sendMessage", to_chat(USER))

    assert "emergency" in call.params["text"]
    assert "reply_markup" not in call.params
    await stored(bot)
    assert store.stats().queries == () and store.stats().red_flags[0].count == 1


@pytest.mark.parametrize("kind", ["sticker", "photo", "voice", "location", "document"])
async def test_non_text_messages_get_asked_for_text(
    bot: BotApp, fake: FakeBotAPI, kind: str
) -> None:
    fake.push_non_text(USER, kind)

    (call,) = await fake.await_calls("sendMessage", to_chat(USER))

    assert call.params["text"] == texts.SEND_TEXT


async def test_an_edited_question_is_answered_again_quoting_the_edit(
    bot: BotApp, fake: FakeBotAPI, engine: Engine
) -> None:
    entry = answered_entry(engine)
    fake.push_message(USER, "magnesum dose??")
    await fake.await_calls("sendMessage", to_chat(USER))

    edited = fake.push_edited_message(USER, entry.question)
    calls = await fake.await_calls("sendMessage", to_chat(USER), count=2)

    quoted = calls[-1].params["reply_parameters"]["message_id"]
    assert quoted == edited["edited_message"]["message_id"]
    assert "👍 Helpful" in [b["text"] for b in _buttons(calls[-1].params)]


async def test_an_edited_command_is_not_run_again(bot: BotApp, fake: FakeBotAPI) -> None:
    fake.push_message(USER, "/start")
    await fake.await_calls("sendMessage", to_chat(USER))
    fake.push_edited_message(USER, "/forget")
    fake.push_message(USER, "/privacy")

    calls = await fake.await_calls("sendMessage", to_chat(USER), count=2)

    assert "What I store" in calls[-1].params["text"]
    assert len(fake.sent_messages(USER)) == 2


# --------------------------------------------------------------------------- inline mode


async def test_an_inline_query_offers_the_best_entries_as_articles(
    bot: BotApp, fake: FakeBotAPI, engine: Engine
) -> None:
    fake.push_inline_query(USER, "magnesium while pregnant")

    (call,) = await fake.await_calls("answerInlineQuery")

    results = call.params["results"]
    best = engine.ranker.rank(engine.analyse("magnesium while pregnant"), 1).hits[0].entry_id
    assert results[0]["id"] == best
    first = results[0]
    entry = engine.entry(best)
    assert entry is not None and first["title"] == entry.question
    assert first["description"] and first["input_message_content"]["parse_mode"] == "HTML"


async def test_an_empty_inline_query_offers_popular_entries(
    bot: BotApp, fake: FakeBotAPI, engine: Engine
) -> None:
    fake.push_inline_query(USER, "")

    (call,) = await fake.await_calls("answerInlineQuery")

    assert [r["id"] for r in call.params["results"]] == [e.id for e in engine.popular()]


async def test_a_red_flag_inline_query_offers_only_the_urgent_message(
    bot: BotApp, fake: FakeBotAPI
) -> None:
    fake.push_inline_query(USER, URGENT)

    (call,) = await fake.await_calls("answerInlineQuery")

    (result,) = call.params["results"]
    assert "emergency" in result["input_message_content"]["message_text"]


async def test_a_related_question_picked_from_the_buttons_keeps_the_questions_caution(
    bot: BotApp, fake: FakeBotAPI
) -> None:
    fake.push_message(USER, "on dialysis, is magnesium ok?")
    (first,) = await fake.await_calls("sendMessage", to_chat(USER))
    related = next(b for b in _buttons(first.params) if "Helpful" not in b["text"])

    fake.push_callback(USER, related["callback_data"])
    calls = await fake.await_calls("sendMessage", to_chat(USER), count=2)

    assert "kidney" in html_to_plain(first.params["text"]).lower()
    assert "You mentioned your kidneys" in html_to_plain(calls[-1].params["text"])


async def test_inline_answers_carry_the_cautions_of_what_was_typed(
    bot: BotApp, fake: FakeBotAPI
) -> None:
    fake.push_inline_query(USER, "pregnant which magnesium form")

    (call,) = await fake.await_calls("answerInlineQuery")

    texts = [r["input_message_content"]["message_text"] for r in call.params["results"]]
    assert texts and all("You mentioned pregnancy" in html_to_plain(t) for t in texts)


async def test_an_out_of_scope_inline_query_offers_the_decline_not_an_entry(
    bot: BotApp, fake: FakeBotAPI
) -> None:
    fake.push_inline_query(USER, "magnesium for my dog")

    (call,) = await fake.await_calls("answerInlineQuery")

    (result,) = call.params["results"]
    assert "Sorry, I can't answer" in html_to_plain(result["input_message_content"]["message_text"])
