"""The handlers: read the update, ask the engine, render, reply. No ranking or safety logic here.

Edited messages: an edited question is answered again, as a reply quoting the edited message,
so a corrected typo gets the answer it deserves (the first answer stays). Edited commands and
other edited messages are ignored.

Groups: commands (``/help`` and ``/help@MagTestBot``; PTB ignores ``/help@OtherBot``), messages
that mention the bot (the mention is removed before asking) and replies to the bot's messages
are answered; other chatter is ignored. Replies in groups quote the message they answer.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import re

from telegram import CallbackQuery, InlineKeyboardMarkup, Update
from telegram.constants import ParseMode
from telegram.error import BadRequest, Forbidden, NetworkError, RetryAfter, TelegramError
from telegram.ext import ApplicationHandlerStop

from bot import messages, texts
from bot.fairness import UserLimiter, Verdict
from bot.services import MagbotContext
from bot.work import on_engine_thread

logger = logging.getLogger(__name__)

Context = MagbotContext
INLINE_CACHE_SECONDS = 60
USERS_KEY = "magbot.users"  # the UserLimiter in Application.bot_data


async def fair_use(update: Update, context: Context) -> None:
    """Let a message through within the person's rate limit; past it, answer only emergencies.

    The first message over the limit gets one "slow down", later ones silence until the
    window passes; an emergency that triage finds is answered either way (a person's messages
    wait for each other, so this costs one thread at most).
    """
    user, message = update.effective_user, update.effective_message
    limiter = context.bot_data.get(USERS_KEY)
    if user is None or message is None or not isinstance(limiter, UserLimiter):
        return
    verdict = limiter.check(user.id)
    if verdict is Verdict.ALLOWED:
        return
    words = strip_mention(message.text or message.caption or "", context.bot.username)
    engine = context.engine
    urgent = await on_engine_thread(engine.urgent, words) if words else None
    if urgent is not None:
        text, markup = messages.answer_message(urgent, engine.entry, None)
        await _send(update, context, text, markup)
    elif verdict is Verdict.WARN:
        await _send(update, context, texts.SLOW_DOWN)
    raise ApplicationHandlerStop


async def start(update: Update, context: Context) -> None:
    """Greet the person: what the bot covers, how to ask, and the disclaimer."""
    await _send(update, context, texts.start(context.engine.scope.covers))


async def help_command(update: Update, context: Context) -> None:
    """Explain how to ask, the commands, and how to use the bot in groups and inline."""
    await _send(update, context, texts.help_text(context.bot.username))


async def topics(update: Update, context: Context) -> None:
    """Show the first page of every question as buttons, with ◀ ▶ to turn pages."""
    text, markup = messages.topics_page(context.engine.entries, 0)
    await _send(update, context, text, markup)


async def about(update: Update, context: Context) -> None:
    """List the sources behind the answers, the latest review date and the disclaimer."""
    await _send(update, context, texts.about(context.engine.entries))


async def privacy(update: Update, context: Context) -> None:
    """Say what is stored, in what form, for how long, and how to delete it."""
    await _send(update, context, texts.privacy(context.services.settings.retention_days))


async def forget(update: Update, context: Context) -> None:
    """Delete everything stored about the person and say how many records went."""
    user = update.effective_user
    count = await context.services.forget(user.id) if user else 0
    await _send(update, context, texts.forgotten(count))


async def reload_corpus(update: Update, context: Context) -> None:
    """Tell the admin the corpus is live, or why it was refused (the old one keeps serving)."""
    holder = context.services.engines
    reason = await asyncio.to_thread(holder.reload)
    await _send(update, context, texts.reloaded(reason, len(holder.engine.entries)))


async def unknown_command(update: Update, context: Context) -> None:
    """Say the command is unknown and point to /help (admin-only commands look the same)."""
    await _send(update, context, texts.UNKNOWN_COMMAND)


async def question(update: Update, context: Context) -> None:
    """Answer a question in words, with related questions and 👍/👎 (or suggestions) below."""
    message = update.effective_message
    words = (message.text or message.caption) if message is not None else None
    if not words:
        return
    engine = context.engine
    # embedding and ranking cost CPU: a worker thread keeps every other chat's loop free
    answer = await on_engine_thread(engine.answer, strip_mention(words, context.bot.username))
    query_id = await context.services.record_query(answer, _user_id(update))
    text, markup = messages.answer_message(answer, engine.entry, query_id)
    await _send(update, context, text, markup, quote=True if update.edited_message else None)


async def not_text(update: Update, context: Context) -> None:
    """Ask for the question as text (after a sticker, photo, voice note, location...)."""
    await _send(update, context, texts.SEND_TEXT)


async def ask_button(update: Update, context: Context) -> None:
    """Answer the question on the pressed button, as a new message."""
    query, action = _pressed(update)
    ask = action if isinstance(action, messages.Ask) else messages.Ask("")
    engine = context.engine
    answer = engine.follow(ask.entry_id, ask.carry)
    if answer is None:  # an entry removed by a reload since the button was drawn
        await query.answer(texts.BUTTON_GONE)
        return
    await query.answer()
    text, markup = messages.answer_message(answer, engine.entry, ask.query_id)
    await _send(update, context, text, markup, quote=False)


async def vote_button(update: Update, context: Context) -> None:
    """Thank the person for 👍/👎 and hand the vote to the feedback sink."""
    query, vote = _pressed(update)
    if not isinstance(vote, messages.Vote):
        await query.answer()
        return
    if context.engine.entry(vote.entry_id) is None:  # forged, or removed by a reload
        await query.answer()
        return
    shared = context.services
    await shared.record_feedback(query.from_user.id, vote.entry_id, vote.helpful, vote.query_id)
    await query.answer(texts.THANKS_HELPFUL if vote.helpful else texts.THANKS_UNHELPFUL)


async def page_button(update: Update, context: Context) -> None:
    """Turn the topic list to another page, in the same message."""
    query, page = _pressed(update)
    number = page.number if isinstance(page, messages.Page) else 0
    text, markup = messages.topics_page(context.engine.entries, number)
    await query.answer()
    try:
        await query.edit_message_text(text, parse_mode=ParseMode.HTML, reply_markup=markup)
    except BadRequest as exc:  # a double tap asks for the page already shown
        if "not modified" not in str(exc).lower():
            raise


async def stale_button(update: Update, context: Context) -> None:
    """Stop the spinner on a button whose data is not understood; nothing else happens."""
    query, _ = _pressed(update)
    await query.answer()


async def inline_query(update: Update, context: Context) -> None:
    """Offer the entries that match what was typed after @bot (popular ones when nothing)."""
    query = update.inline_query
    if query is None:
        return
    answers = await on_engine_thread(context.engine.inline, query.query)
    results = messages.inline_articles(answers)
    await query.answer(results, cache_time=INLINE_CACHE_SECONDS)


async def error_handler(update: object, context: Context) -> None:
    """Log what failed and where (never the token); a blocked bot is routine; keep running."""
    error = context.error
    where = _where(update)
    if isinstance(error, Forbidden):
        logger.info("%s: Telegram refused to deliver (%s); blocked or removed", where, error)
        return
    transient = isinstance(error, RetryAfter | NetworkError) and not isinstance(error, BadRequest)
    level = logging.WARNING if transient else logging.ERROR
    what = "failed"
    if isinstance(error, RetryAfter):
        what = "rate limited by Telegram"
    elif transient:
        what = "Bot API unreachable"
    logger.log(level, "%s: %s", where, what, exc_info=error)
    chat = update.effective_chat if isinstance(update, Update) else None
    if chat is not None and not isinstance(error, TelegramError):
        with contextlib.suppress(TelegramError):
            await context.bot.send_message(chat.id, texts.APOLOGY)


def strip_mention(text: str, username: str) -> str:
    """Give the text without @username mentions, so the engine sees only the question."""
    return " ".join(re.sub(rf"@{re.escape(username)}\b", " ", text, flags=re.I).split())


# --------------------------------------------------------------------------- helpers


def _user_id(update: Update) -> int | None:
    return update.effective_user.id if update.effective_user else None


def _pressed(update: Update) -> tuple[CallbackQuery, messages.Action | None]:
    query = update.callback_query
    if query is None:  # handlers registered as CallbackQueryHandler never see this
        raise TypeError("not a callback query update")
    return query, messages.decode(query.data)


def _where(update: object) -> str:
    if not isinstance(update, Update):
        return "outside an update"
    chat = update.effective_chat  # its kind only: chat ids are personal data, kept out of logs
    return f"update {update.update_id} ({chat.type if chat else 'no'} chat)"


async def _send(
    update: Update,
    context: Context,
    text: str,
    markup: InlineKeyboardMarkup | None = None,
    *,
    quote: bool | None = None,
) -> None:
    """Send HTML where the update came from, split to fit, with the buttons under the last part.

    quote None quotes the person's message in groups only (PTB's default); True always.
    """
    message, chat = update.effective_message, update.effective_chat
    pieces = messages.split_html(text)
    for number, piece in enumerate(pieces, 1):
        keyboard = markup if number == len(pieces) else None
        if message is not None:
            first_quote = quote if number == 1 else False
            await message.reply_html(piece, reply_markup=keyboard, do_quote=first_quote)
        elif chat is not None:
            await context.bot.send_message(
                chat.id, piece, parse_mode=ParseMode.HTML, reply_markup=keyboard
            )
