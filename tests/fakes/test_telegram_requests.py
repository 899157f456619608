"""The fake Bot API's answers to the bot's requests, made by the real PTB HTTP stack."""

from __future__ import annotations

import datetime as dtm
import time

import httpx
import pytest
from telegram import (
    Bot,
    BotCommand,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    InlineQueryResultArticle,
    InputTextMessageContent,
)
from telegram.error import (
    BadRequest,
    EndPointNotFound,
    Forbidden,
    InvalidToken,
    NetworkError,
    RetryAfter,
)

from tests.fakes import telegram as fake_api
from tests.fakes.telegram import BOT_ID, FakeBotAPI

from .conftest import CHAT, TOKEN

# --------------------------------------------------------------------------- messages, HTML


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


async def test_a_reply_quotes_a_known_message_only(bot: Bot) -> None:
    asked = await bot.send_message(CHAT, "question")

    reply = await bot.send_message(CHAT, "answer", reply_to_message_id=asked.message_id)

    assert reply.reply_to_message is not None and reply.reply_to_message.text == "question"
    with pytest.raises(BadRequest, match=r"(?i)message to be replied not found"):
        await bot.send_message(CHAT, "answer", reply_to_message_id=999)


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
    with pytest.raises(fake_api.ApiError, match="can't parse entities") as raised:
        fake_api.html_to_plain(text)

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
    assert fake_api.html_to_plain(text) == visible


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
        (InlineKeyboardButton(" ", callback_data="x"), "BUTTON_TEXT_INVALID"),
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


async def test_editing_needs_a_known_and_changed_message(bot: Bot, fake: FakeBotAPI) -> None:
    sent = await bot.send_message(CHAT, "<b>v1</b>", parse_mode="HTML")

    edited = await bot.edit_message_text("v2", chat_id=CHAT, message_id=sent.message_id)

    assert isinstance(edited, type(sent)) and edited.text == "v2"
    assert edited.edit_date is not None
    with pytest.raises(BadRequest, match=r"(?i)message is not modified"):
        await bot.edit_message_text("v2", chat_id=CHAT, message_id=sent.message_id)
    with pytest.raises(BadRequest, match=r"(?i)message to edit not found"):
        await bot.edit_message_text("v3", chat_id=CHAT, message_id=999)


async def test_only_the_bots_own_messages_can_be_edited(bot: Bot, fake: FakeBotAPI) -> None:
    users = fake.push_message(CHAT, "mine")["message"]["message_id"]

    with pytest.raises(BadRequest, match=r"(?i)message can't be edited"):
        await bot.edit_message_text("changed", chat_id=CHAT, message_id=users)


# --------------------------------------------------------------------------- answers, commands


async def test_set_my_commands_is_checked_and_recorded(bot: Bot, fake: FakeBotAPI) -> None:
    commands = [BotCommand("start", "Say hello"), BotCommand("help", "How to ask")]

    assert await bot.set_my_commands(commands)

    (call,) = fake.calls("setMyCommands")
    assert call.params["commands"] == [c.to_dict() for c in commands]
    for bad in (BotCommand("Start", "Upper case"), BotCommand("a-b", "Dash"), BotCommand("x", "")):
        with pytest.raises(BadRequest, match=r"(?i)BOT_COMMAND_(DESCRIPTION_)?INVALID"):
            await bot.set_my_commands([bad])
    with pytest.raises(BadRequest, match=r"(?i)BOT_COMMANDS_TOO_MUCH"):
        await bot.set_my_commands([BotCommand(f"c{i}", "d") for i in range(101)])


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
    with pytest.raises(BadRequest, match=r"(?i)query is too old"):
        await bot.answer_inline_query(query_id, [article("1", "a")])


async def test_callback_query_can_be_answered_once(bot: Bot, fake: FakeBotAPI) -> None:
    pressed = fake.push_callback(CHAT, "yes")["callback_query"]
    query_id = pressed["id"]

    assert pressed["from"]["id"] == pressed["message"]["chat"]["id"] == CHAT

    with pytest.raises(BadRequest, match=r"(?i)MESSAGE_TOO_LONG"):
        await bot.answer_callback_query(query_id, text="x" * 201)
    with pytest.raises(BadRequest, match=r"(?i)URL_INVALID"):
        await bot.answer_callback_query(query_id, url="not a url")
    assert await bot.answer_callback_query(query_id, text="x" * 200)
    with pytest.raises(BadRequest, match=r"(?i)query is too old"):
        await bot.answer_callback_query(query_id)


# --------------------------------------------------------------------------- faults, routing


async def test_rate_limit_raises_retry_after_and_is_not_delivered(
    bot: Bot, fake: FakeBotAPI, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PTB_TIMEDELTA", "true")  # retry_after as timedelta, without a warning
    fake.inject("sendMessage", fake_api.RateLimited(retry_after=7))

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
        (fake_api.ServerError(), NetworkError, 500),
        (fake_api.Dropped(), NetworkError, 0),
        (fake_api.Forbidden(), Forbidden, 403),
    ],
)
async def test_injected_faults_surface_as_ptb_errors(
    bot: Bot, fake: FakeBotAPI, fault: fake_api.Fault, error: type[Exception], status: int
) -> None:
    fake.inject("sendMessage", fault)

    with pytest.raises(error) as raised:
        await bot.send_message(CHAT, "hello")
    await bot.send_message(CHAT, "hello again")

    assert not isinstance(raised.value, BadRequest)
    assert [c.status for c in fake.calls("sendMessage")] == [status, 200]
    assert fake.delivered("sendMessage") == 1


async def test_slow_fault_delays_the_answer_but_delivers(bot: Bot, fake: FakeBotAPI) -> None:
    fake.inject("sendMessage", fake_api.Slow(0.3))
    started = time.perf_counter()

    await bot.send_message(CHAT, "eventually")

    (call,) = fake.calls("sendMessage")
    assert call.delivered and call.at - started >= 0.3
    assert time.perf_counter() - started >= 0.3


async def test_methods_the_bot_never_calls_are_not_found(bot: Bot, fake: FakeBotAPI) -> None:
    with pytest.raises(EndPointNotFound):
        await bot.do_api_request("sendPigeon", api_kwargs={"chat_id": CHAT})
    with pytest.raises(InvalidToken, match=r"(?i)the fake does not serve sendChatAction"):
        await bot.send_chat_action(CHAT, "typing")
    with pytest.raises(InvalidToken, match=r"(?i)the fake does not serve getWebhookInfo"):
        await bot.get_webhook_info()

    methods = ("sendPigeon", "sendChatAction", "getWebhookInfo")
    assert [c.status for m in methods for c in fake.calls(m)] == [404, 404, 404]


def test_json_form_and_query_parameters_are_understood(fake: FakeBotAPI) -> None:
    url = f"{fake.base_url}{TOKEN}/sendMessage"

    as_json = httpx.post(url, json={"chat_id": CHAT, "text": "123"})
    as_form = httpx.post(url, data={"chat_id": str(CHAT), "text": "456"})
    as_query = httpx.get(url, params={"chat_id": str(CHAT), "text": "789"})
    garbled = httpx.post(url, content=b"chat_id", headers={"Content-Type": "text/plain"})

    texts = ["123", "456", "789"]
    assert [r.json()["result"]["text"] for r in (as_json, as_form, as_query)] == texts
    assert [p["text"] for p in fake.sent_messages(CHAT)] == texts
    assert garbled.status_code == 400
    assert garbled.json()["description"] == "Bad Request: can't parse request parameters"
    assert httpx.get(f"http://127.0.0.1:{fake.port}/elsewhere").status_code == 404
