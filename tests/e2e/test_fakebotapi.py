"""The fake Bot API driven by the real python-telegram-bot HTTP stack: nothing is mocked."""

from __future__ import annotations

import asyncio
import datetime as dtm
import socket
import threading
import time
from collections.abc import AsyncIterator, Iterator
from typing import Any

import httpx
import pytest
from telegram import (
    Bot,
    BotCommand,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    InlineQueryResultArticle,
    InputTextMessageContent,
    Update,
)
from telegram.error import BadRequest, EndPointNotFound, Forbidden, NetworkError, RetryAfter
from telegram.ext import (
    Application,
    ApplicationBuilder,
    CallbackQueryHandler,
    ContextTypes,
    MessageHandler,
    filters,
)

from . import fakebotapi
from .fakebotapi import BOT_ID, FakeBotAPI

TOKEN = "123:ABC"
CHAT = 5150

App = Application[Any, Any, Any, Any, Any, Any]


@pytest.fixture
def fake() -> Iterator[FakeBotAPI]:
    with FakeBotAPI() as server:
        yield server


@pytest.fixture
async def bot(fake: FakeBotAPI) -> AsyncIterator[Bot]:
    async with Bot(token=TOKEN, base_url=fake.base_url) as real_bot:
        yield real_bot


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


# --------------------------------------------------------------------------- plain Bot calls


async def test_get_me_returns_the_test_bot_and_records_the_token(
    bot: Bot, fake: FakeBotAPI
) -> None:
    me = await bot.get_me()

    assert (me.id, me.username, me.is_bot) == (BOT_ID, "MagTestBot", True)
    assert me.supports_inline_queries and me.can_join_groups
    assert fake.tokens == [TOKEN]
    assert fake.calls("getMe")[0].token == TOKEN


async def test_valid_html_is_delivered_and_returned_as_visible_text(
    bot: Bot, fake: FakeBotAPI
) -> None:
    keyboard = InlineKeyboardMarkup([[InlineKeyboardButton("More", callback_data="more:1")]])
    html = (
        '<b>Mg</b> &amp; <i>cramps</i> <a href="https://example.org/a?b=1&amp;c=2">src</a> '
        '<span class="tg-spoiler">s</span> <tg-spoiler>t</tg-spoiler> <u>u</u> <s>x</s>\n'
        '<blockquote expandable>quote</blockquote><pre><code class="language-python">'
        "a &lt; b</code></pre> <code>c</code> &#128170;"
    )

    first = await bot.send_message(CHAT, html, parse_mode="HTML", reply_markup=keyboard)
    second = await bot.send_message(CHAT, "plain <not> parsed")

    assert first.text == "Mg & cramps src s t u x\nquotea < b c \U0001f4aa"
    assert first.reply_markup == keyboard
    assert first.from_user is not None and first.from_user.id == BOT_ID
    assert (first.message_id, second.message_id) == (1, 2)
    assert [p["text"] for p in fake.sent_messages(CHAT)] == [html, "plain <not> parsed"]
    assert fake.sent_messages(CHAT)[0]["reply_markup"]["inline_keyboard"][0][0]["text"] == "More"


async def test_unsupported_html_tag_is_a_bad_request(bot: Bot, fake: FakeBotAPI) -> None:
    with pytest.raises(BadRequest, match=r"(?i)can't parse entities: unsupported start tag \"p\""):
        await bot.send_message(CHAT, "<p>para</p>", parse_mode="HTML")

    assert fake.delivered("sendMessage") == 0
    assert fake.calls("sendMessage")[0].status == 400


@pytest.mark.parametrize(
    "text",
    [
        "line<br>break",
        "<ul><li>item</li></ul>",
        "<h1>Title</h1>",
        "<div>box</div>",
        "1 < 2",
        "Tom & Jerry",
        "2 > 1",
        "&nbsp;",
        "<b>crossed</i>",
        "<b>never closed",
        "</b>",
        "<span>no class</span>",
        "<a>no href</a>",
        "<code><b>nested</b></code>",
        "<blockquote><blockquote>q</blockquote></blockquote>",
        "<tg-emoji>no id</tg-emoji>",
    ],
)
def test_html_that_telegram_rejects_cannot_be_parsed(text: str) -> None:
    with pytest.raises(fakebotapi.ApiError, match="can't parse entities") as raised:
        fakebotapi.html_to_plain(text)

    assert raised.value.code == 400


@pytest.mark.parametrize(
    ("text", "visible"),
    [
        ("<strong>a</strong><em>b</em><ins>c</ins><strike>d</strike><del>e</del>", "abcde"),
        ('<a href="tg://user?id=1">me</a> &quot;q&quot; &#x41;&#66;', 'me "q" AB'),
        ('<tg-emoji emoji-id="5368324170671202286">👍</tg-emoji>', "👍"),
        ("<B>upper</B>", "upper"),
    ],
)
def test_html_that_telegram_accepts_yields_its_visible_text(text: str, visible: str) -> None:
    assert fakebotapi.html_to_plain(text) == visible


async def test_text_length_is_counted_after_entity_parsing(bot: Bot) -> None:
    await bot.send_message(CHAT, "<b>" + "x" * 4096 + "</b>", parse_mode="HTML")
    await bot.send_message(CHAT, "&amp;" * 4096, parse_mode="HTML")

    with pytest.raises(BadRequest, match=r"(?i)message is too long"):
        await bot.send_message(CHAT, "x" * 4097)
    with pytest.raises(BadRequest, match=r"(?i)message text is empty"):
        await bot.send_message(CHAT, "<b> </b>", parse_mode="HTML")


@pytest.mark.parametrize(
    ("button", "error"),
    [
        (InlineKeyboardButton("Go", callback_data="é" * 32 + "a"), "BUTTON_DATA_INVALID"),
        (InlineKeyboardButton("Go", url="not a url"), "BUTTON_URL_INVALID"),
        (InlineKeyboardButton("Go", api_kwargs={"callback_data": ""}), "BUTTON_DATA_INVALID"),
    ],
)
async def test_invalid_inline_buttons_are_bad_requests(
    bot: Bot, button: InlineKeyboardButton, error: str
) -> None:
    with pytest.raises(BadRequest, match=f"(?i){error}"):
        await bot.send_message(CHAT, "pick", reply_markup=InlineKeyboardMarkup([[button]]))


async def test_callback_data_of_exactly_64_bytes_is_accepted(bot: Bot) -> None:
    data = "é" * 32  # 32 characters, 64 UTF-8 bytes
    markup = InlineKeyboardMarkup([[InlineKeyboardButton("Go", callback_data=data)]])

    message = await bot.send_message(CHAT, "pick", reply_markup=markup)

    assert message.reply_markup == markup


# --------------------------------------------------------------------------- fault injection


async def test_rate_limit_raises_retry_after_and_is_not_delivered(
    bot: Bot, fake: FakeBotAPI, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PTB_TIMEDELTA", "true")  # retry_after as timedelta, without a warning
    fake.inject("sendMessage", fakebotapi.RateLimited(retry_after=7))

    with pytest.raises(RetryAfter) as raised:
        await bot.send_message(CHAT, "first try")
    await bot.send_message(CHAT, "second try")

    assert raised.value.retry_after == dtm.timedelta(seconds=7)
    assert [c.status for c in fake.calls("sendMessage")] == [429, 200]
    assert fake.delivered("sendMessage") == 1
    assert [p["text"] for p in fake.sent_messages()] == ["second try"]


@pytest.mark.parametrize(
    ("fault", "error", "status"),
    [
        (fakebotapi.ServerError(), NetworkError, 500),
        (fakebotapi.Dropped(), NetworkError, 0),
        (fakebotapi.Forbidden(), Forbidden, 403),
    ],
)
async def test_injected_faults_surface_as_ptb_errors(
    bot: Bot,
    fake: FakeBotAPI,
    fault: fakebotapi.Fault,
    error: type[Exception],
    status: int,
) -> None:
    fake.inject("sendMessage", fault)

    with pytest.raises(error) as raised:
        await bot.send_message(CHAT, "hello")
    await bot.send_message(CHAT, "hello again")

    assert not isinstance(raised.value, BadRequest)
    assert [c.status for c in fake.calls("sendMessage")] == [status, 200]
    assert fake.delivered("sendMessage") == 1


async def test_slow_fault_delays_the_answer_but_delivers(bot: Bot, fake: FakeBotAPI) -> None:
    fake.inject("sendMessage", fakebotapi.Slow(0.3))
    started = time.monotonic()

    await bot.send_message(CHAT, "eventually")

    assert time.monotonic() - started >= 0.3
    assert fake.delivered("sendMessage") == 1


async def test_unknown_method_is_not_found(bot: Bot, fake: FakeBotAPI) -> None:
    with pytest.raises(EndPointNotFound):
        await bot.do_api_request("sendPigeon", api_kwargs={"chat_id": CHAT})

    assert fake.calls("sendPigeon")[0].status == 404


# --------------------------------------------------------------------------- other methods


async def test_get_updates_long_polls_until_an_update_is_pushed(bot: Bot, fake: FakeBotAPI) -> None:
    threading.Timer(0.2, fake.push_message, (CHAT, "late hello")).start()
    started = time.monotonic()

    updates = await bot.get_updates(timeout=5, allowed_updates=["message"])
    confirmed = await bot.get_updates(offset=updates[-1].update_id + 1, timeout=0)

    assert time.monotonic() - started < 4
    assert [u.message.text for u in updates if u.message] == ["late hello"]
    assert confirmed == ()
    assert fake.pending_updates() == []
    assert fake.allowed_updates == ["message"]


async def test_updates_of_types_not_allowed_are_never_queued(bot: Bot, fake: FakeBotAPI) -> None:
    await bot.get_updates(timeout=0, allowed_updates=["message"])

    fake.push_callback(CHAT, "ignored")
    fake.push_message(CHAT, "kept")

    assert [u["update_id"] for u in fake.pending_updates()] == [2]
    assert fake.filtered_updates()[0]["callback_query"]["data"] == "ignored"


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


async def test_set_my_commands_validates_and_round_trips(bot: Bot) -> None:
    commands = [BotCommand("start", "Say hello"), BotCommand("help", "How to ask")]

    await bot.set_my_commands(commands)

    assert await bot.get_my_commands() == tuple(commands)
    for bad in (BotCommand("Start", "Upper case"), BotCommand("a-b", "Dash"), BotCommand("x", "")):
        with pytest.raises(BadRequest):
            await bot.set_my_commands([bad])
    with pytest.raises(BadRequest):
        await bot.set_my_commands([BotCommand(f"c{i}", "d") for i in range(101)])
    await bot.delete_my_commands()
    assert await bot.get_my_commands() == ()


async def test_answer_inline_query_checks_results(bot: Bot, fake: FakeBotAPI) -> None:
    query_id = fake.push_inline_query(77, "magnesium")["inline_query"]["id"]

    def article(result_id: str, text: str) -> InlineQueryResultArticle:
        content = InputTextMessageContent(text, parse_mode="HTML")
        return InlineQueryResultArticle(result_id, "Title", content)

    with pytest.raises(BadRequest, match=r"(?i)RESULT_ID_DUPLICATE"):
        await bot.answer_inline_query(query_id, [article("1", "a"), article("1", "b")])
    with pytest.raises(BadRequest, match=r"(?i)can't parse entities"):
        await bot.answer_inline_query(query_id, [article("1", "<p>a</p>")])
    with pytest.raises(BadRequest, match=r"(?i)RESULTS_TOO_MUCH"):
        await bot.answer_inline_query(query_id, [article(str(i), "a") for i in range(51)])
    assert await bot.answer_inline_query(query_id, [article("1", "<b>a</b>")])


async def test_callback_query_can_be_answered_once(bot: Bot, fake: FakeBotAPI) -> None:
    query_id = fake.push_callback(CHAT, "yes")["callback_query"]["id"]

    with pytest.raises(BadRequest, match=r"(?i)MESSAGE_TOO_LONG"):
        await bot.answer_callback_query(query_id, text="x" * 201)
    assert await bot.answer_callback_query(query_id, text="Thanks")
    with pytest.raises(BadRequest, match=r"(?i)query is too old"):
        await bot.answer_callback_query(query_id)


async def test_editing_needs_a_known_and_changed_message(bot: Bot, fake: FakeBotAPI) -> None:
    sent = await bot.send_message(CHAT, "<b>v1</b>", parse_mode="HTML")

    edited = await bot.edit_message_text("v2", chat_id=CHAT, message_id=sent.message_id)

    assert isinstance(edited, type(sent)) and edited.text == "v2"
    with pytest.raises(BadRequest, match=r"(?i)message is not modified"):
        await bot.edit_message_text("v2", chat_id=CHAT, message_id=sent.message_id)
    with pytest.raises(BadRequest, match=r"(?i)message to edit not found"):
        await bot.edit_message_text("v3", chat_id=CHAT, message_id=999)


async def test_webhook_info_and_chat_action(bot: Bot, fake: FakeBotAPI) -> None:
    await bot.set_webhook("https://example.org/hook", secret_token="s3cret")
    info = await bot.get_webhook_info()
    await bot.send_chat_action(CHAT, "typing")

    assert info.url == "https://example.org/hook"
    with pytest.raises(BadRequest):
        await bot.send_chat_action(CHAT, "dancing")
    assert await bot.delete_webhook()
    assert fake.webhook_url == ""


def test_json_and_multipart_bodies_are_understood(fake: FakeBotAPI) -> None:
    url = f"{fake.base_url}{TOKEN}/sendMessage"

    as_json = httpx.post(url, json={"chat_id": CHAT, "text": "123"})
    as_multipart = httpx.post(url, data={"chat_id": str(CHAT), "text": "456"}, files={"f": b"x"})

    assert as_json.json()["result"]["text"] == "123"
    assert as_multipart.json()["result"]["text"] == "456"
    assert [p["text"] for p in fake.sent_messages(CHAT)] == ["123", "456"]


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
