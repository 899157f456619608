"""What the bot says outside of answers: greetings, help, about, privacy; Telegram HTML, escaped."""

from __future__ import annotations

import html
from collections.abc import Sequence

from faq.model import Entry
from faq.reply import FOOTER

#: The command menu published with setMyCommands (/reload is for admins and left out).
COMMANDS: tuple[tuple[str, str], ...] = (
    ("start", "What I can answer"),
    ("help", "How to ask, in private chats and groups"),
    ("topics", "Browse every question"),
    ("about", "Sources and when they were last reviewed"),
    ("privacy", "What I store and for how long"),
    ("forget", "Delete everything stored about you"),
)

SEND_TEXT = "Please send me your question as text."
UNKNOWN_COMMAND = "I don't know that command. Send /help to see what I can do."
THANKS_HELPFUL = "Thanks! Glad it helped."
THANKS_UNHELPFUL = "Thanks for telling me. The maintainers review answers that did not help."
BUTTON_GONE = "That question is no longer available. Send /topics to browse."
SLOW_DOWN = (
    "You're sending messages faster than I can answer them well. Please wait half a minute, "
    "then ask again. If this is an emergency, call your local emergency number now."
)
APOLOGY = "Sorry, something went wrong on my side. Please try again in a moment."


def _e(text: str) -> str:
    return html.escape(text, quote=False)


_NOTE = f"<i>ℹ️ {_e(FOOTER)}</i>"


def start(covers: str) -> str:
    """Give the greeting: what the bot covers, how to ask, and the disclaimer."""
    return (
        f"<b>Hello!</b> {_e(covers)}\n\n"
        "Just type your question, for example: <i>How much magnesium should I take?</i>\n\n"
        f"{_NOTE}"
    )


def help_text(username: str) -> str:
    """Give how to ask, the commands, and how to use the bot in groups and inline."""
    bot = _e(f"@{username}")
    return (
        "<b>How to ask</b>\n"
        "Type your question in plain words, e.g. <i>Can I take magnesium while pregnant?</i> "
        "Under an answer, tap a related question to read it, and 👍 or 👎 to tell the "
        "maintainers whether it helped.\n\n"
        "<b>Commands</b>\n"
        + "\n".join(f"/{name} - {_e(what)}" for name, what in COMMANDS)
        + "\n\n<b>Groups and other chats</b>\n"
        f"In a group, mention {bot} in your question or reply to one of my messages. "
        f"In any chat, type {bot} and a few words to pick an answer to share.\n\n"
        f"{_NOTE}"
    )


def about(entries: Sequence[Entry]) -> str:
    """Give where the answers come from: every source, the latest review date, the disclaimer."""
    sources = {str(s.url): s.name for entry in entries for s in entry.sources}
    listed = sorted(sources.items(), key=lambda item: item[1].lower())
    reviewed = max((entry.reviewed for entry in entries), default=None)
    lines = [
        "<b>About this bot</b>",
        f"I answer from {len(entries)} written entries. I pick the entry that matches your "
        "words best; I do not make up answers. Every entry cites its sources"
        + (f" and was last reviewed on or before {reviewed.isoformat()}." if reviewed else "."),
        "",
        "<b>Sources used</b>",
        *(f'• <a href="{html.escape(url)}">{_e(name)}</a>' for url, name in listed),
        "",
        _NOTE,
    ]
    return "\n".join(lines)


def privacy(retention_days: int) -> str:
    """Give what is stored, in what form, for how long, and how to delete it."""
    return (
        "<b>What I store</b>\n"
        "For each message you send me: the time, a salted hash of your Telegram user id "
        "(not the id itself), what I did (answered, unsure, out of scope, small talk) and "
        "which entry answered. The text of your question is kept only when I could not answer "
        "it, so the maintainers can write the missing entry. Your 👍/👎 votes are kept too.\n\n"
        "Messages that may be an emergency are only counted per day: no text, no user. "
        "Searches typed after my name in other chats are not stored.\n\n"
        f"Everything is deleted after {retention_days} days. "
        "Send /forget to delete everything linked to you now."
    )


def forgotten(count: int | None) -> str:
    """Give the reply to /forget: how many records went, or that it failed."""
    if count is None:
        return "Sorry, I could not delete your data just now. Please try again later."
    if count == 0:
        return "There was nothing stored about you."
    return f"Done: I deleted {count} record{'s' if count != 1 else ''} linked to you."


def reloaded(reason: str | None, entries: int) -> str:
    """Give the admin the outcome of /reload: live, or refused with the reason."""
    if reason is None:
        return f"Reloaded: {entries} entries are now live."
    return (
        f"<b>Reload refused.</b> Still serving the previous corpus ({entries} entries).\n"
        f"<pre>{_e(reason)}</pre>"
    )
