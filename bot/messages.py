"""Answers → Telegram HTML and inline keyboards; button data; topic pages; long-message splits.

Pure functions over the engine's values: no network, tested without Telegram. The HTML of an
answer comes from ``faq.render.to_html``; everything else put into HTML here is escaped.
"""

from __future__ import annotations

import html
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from telegram import (
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    InlineQueryResultArticle,
    InputTextMessageContent,
)
from telegram.constants import ParseMode

from faq.model import Answer, Entry, Status
from faq.render import markdown_to_text, to_html

MAX_CALLBACK_BYTES = 64
MAX_MESSAGE = 4096
MAX_RELATED = 3
PAGE_SIZE = 8
MAX_LABEL = 100  # clients shorten long labels themselves; this only caps absurd ones
MAX_DESCRIPTION = 100

Keyboard = InlineKeyboardMarkup | None
Lookup = Callable[[str], Entry | None]


@dataclass(frozen=True)
class Ask:
    """A button that asks one entry's question; query_id links it to the message it came from."""

    entry_id: str
    query_id: int | None = None
    carry: str = ""  # the engine's token for the cautions of the question it came from


@dataclass(frozen=True)
class Vote:
    """A 👍 (helpful) or 👎 button under an answer."""

    entry_id: str
    helpful: bool
    query_id: int | None = None


@dataclass(frozen=True)
class Page:
    """A ◀ or ▶ button in the topic list."""

    number: int


Action = Ask | Vote | Page

_SLUG = r"([a-z0-9]+(?:-[a-z0-9]+)*)"
_QUERY = r"(?::(\d{1,18}))?"
_ASK = re.compile(rf"q:{_SLUG}{_QUERY}(?:~([0-9a-f]{{3,12}}))?")
_VOTE = re.compile(rf"fb:([+-]):{_SLUG}{_QUERY}")
_PAGE = re.compile(r"tp:(\d{1,4})")


def encode(action: Action) -> str:
    """Give the callback_data for a button (check it with `fits` before use)."""
    suffix = "" if isinstance(action, Page) or action.query_id is None else f":{action.query_id}"
    if isinstance(action, Ask):
        carried = f"~{action.carry}" if action.carry else ""
        return f"q:{action.entry_id}{suffix}{carried}"
    if isinstance(action, Vote):
        return f"fb:{'+' if action.helpful else '-'}:{action.entry_id}{suffix}"
    return f"tp:{action.number}"


def decode(data: object) -> Action | None:
    """Give the action a button's callback_data stands for, or None for anything malformed."""
    if not isinstance(data, str) or len(data.encode()) > MAX_CALLBACK_BYTES:
        return None
    if match := _ASK.fullmatch(data):
        return Ask(match[1], _number(match[2]), match[3] or "")
    if match := _VOTE.fullmatch(data):
        return Vote(match[2], match[1] == "+", _number(match[3]))
    if match := _PAGE.fullmatch(data):
        return Page(int(match[1]))
    return None


def fits(data: str) -> bool:
    """Whether Telegram accepts this as callback_data (1-64 bytes)."""
    return 1 <= len(data.encode()) <= MAX_CALLBACK_BYTES


def answer_message(
    answer: Answer, lookup: Lookup, query_id: int | None = None
) -> tuple[str, Keyboard]:
    """Give an answer's HTML and its buttons: related questions and 👍/👎, or the suggestions."""
    rows: list[list[InlineKeyboardButton]] = []
    if answer.status is Status.ANSWERED and answer.entry is not None:
        related = [e for e in map(lookup, answer.entry.related) if e is not None]
        rows = [[b] for e in related[:MAX_RELATED] if (b := _ask_button(e, query_id, answer.carry))]
        votes = [
            _button(label, Vote(answer.entry.id, helpful, query_id))
            for label, helpful in (("👍 Helpful", True), ("👎 Not helpful", False))
        ]
        rows.append([b for b in votes if b is not None])
    elif answer.status is Status.UNSURE:
        rows = [[b] for e in answer.suggested if (b := _ask_button(e, query_id, answer.carry))]
    rows = [row for row in rows if row]
    return to_html(answer.reply), InlineKeyboardMarkup(rows) if rows else None


def topics_page(entries: Sequence[Entry], page: int) -> tuple[str, InlineKeyboardMarkup]:
    """Give one page of the topic list: a button per question, ◀ ▶ to turn the page."""
    pages = max(1, -(-len(entries) // PAGE_SIZE))
    page = min(max(page, 0), pages - 1)
    shown = entries[page * PAGE_SIZE : (page + 1) * PAGE_SIZE]
    rows = [[b] for e in shown if (b := _ask_button(e, None))]
    turn = [
        _button("◀ Back", Page(page - 1)) if page > 0 else None,
        _button("Next ▶", Page(page + 1)) if page < pages - 1 else None,
    ]
    if nav := [b for b in turn if b is not None]:
        rows.append(nav)
    text = f"<b>Topics</b> (page {page + 1} of {pages}): tap a question to read the answer."
    return text, InlineKeyboardMarkup(rows)


def inline_articles(answers: Sequence[Answer]) -> list[InlineQueryResultArticle]:
    """Give inline-mode results for the engine's inline answers, one article each."""
    return [_article(answer, number) for number, answer in enumerate(answers)]


def split_html(text: str, limit: int = MAX_MESSAGE) -> list[str]:
    """Give Telegram HTML in pieces of at most `limit` UTF-16 units of visible text.

    Telegram counts a message's length after its tags are parsed, so a text whose visible
    part fits is sent whole, however long its links. A longer one is cut, counting its tags
    too (so every piece fits): on paragraph breaks where possible, then line breaks, then
    spaces; tags open at a cut are closed at the end of one piece and reopened at the start
    of the next.
    """
    if _units(_visible(text)) <= limit:
        return [text]
    atoms = _atoms(text, max(1, limit // 8))
    stacks = _stacks(atoms)
    pieces: list[str] = []
    start = 0
    while start < len(atoms):
        end = _cut(atoms, stacks, start, limit)
        body = atoms[start:end]
        while body and body[-1] in _BREAKS:
            body.pop()
        piece = "".join(t for _, t in stacks[start]) + "".join(body) + _closers(stacks[end])
        if _visible(piece).strip():
            pieces.append(piece)
        start = end
    return pieces


# --------------------------------------------------------------------------- helpers


def _number(digits: str | None) -> int | None:
    return int(digits) if digits else None


def _label(text: str) -> str:
    return text if len(text) <= MAX_LABEL else text[: MAX_LABEL - 1].rstrip() + "…"


def _button(label: str, action: Action) -> InlineKeyboardButton | None:
    data = encode(action)
    return InlineKeyboardButton(_label(label), callback_data=data) if fits(data) else None


def _ask_button(entry: Entry, query_id: int | None, carry: str = "") -> InlineKeyboardButton | None:
    # Without the query id if need be: a working button beats a linked statistic.
    return _button(entry.question, Ask(entry.id, query_id, carry)) or _button(
        entry.question, Ask(entry.id, None, carry)
    )


def _first_line(markdown: str) -> str:
    lines = [line for line in markdown_to_text(markdown).splitlines() if line.strip()]
    first = lines[0] if lines else ""
    return first if len(first) <= MAX_DESCRIPTION else first[: MAX_DESCRIPTION - 1] + "…"


def _article(answer: Answer, number: int) -> InlineQueryResultArticle:
    content = InputTextMessageContent(to_html(answer.reply), parse_mode=ParseMode.HTML)
    entry = answer.entry
    if answer.status is Status.RED_FLAG:
        title = "This may be an emergency"
    elif entry is not None:
        title = entry.question
    else:
        title = "Not a question I can answer"
    body = entry.answer if entry is not None else answer.reply.body
    result_id = entry.id if entry is not None else f"{answer.status.value}-{number}"
    return InlineQueryResultArticle(result_id, title, content, description=_first_line(body))


# --------------------------------------------------------------------------- splitting

_BREAKS = ("\n\n", "\n", " ")
_ATOM = re.compile(r"<[^<>]*>|&#?[A-Za-z0-9]{1,10};|\n\n|\n| |[^<&\n ]+|[<&]")
_TAG_NAME = re.compile(r"</?([A-Za-z][A-Za-z0-9-]*)")
Stack = tuple[tuple[str, str], ...]  # open tags: (name, start tag as written)


def _units(text: str) -> int:
    return len(text.encode("utf-16-le")) // 2


def _atoms(text: str, longest: int) -> list[str]:
    atoms: list[str] = []
    for match in _ATOM.finditer(text):
        atom = match.group()
        if atom[0] in "<&" or len(atom) <= longest:
            atoms.append(atom)
        else:
            atoms.extend(atom[i : i + longest] for i in range(0, len(atom), longest))
    return atoms


def _stacks(atoms: list[str]) -> list[Stack]:
    """The tags open before each atom, and after the last."""
    stacks: list[Stack] = [()]
    for atom in atoms:
        stack = stacks[-1]
        name = _TAG_NAME.match(atom)
        if name and atom.endswith(">"):
            if atom.startswith("</"):
                stack = stack[:-1] if stack and stack[-1][0] == name[1].lower() else stack
            else:
                stack = (*stack, (name[1].lower(), atom))
        stacks.append(stack)
    return stacks


def _closers(stack: Stack) -> str:
    return "".join(f"</{name}>" for name, _ in reversed(stack))


def _cut(atoms: list[str], stacks: list[Stack], start: int, limit: int) -> int:
    """Where the piece from `start` ends: within the limit, at the strongest break that still
    fills half the piece (paragraph, then line, then word), else as late as fits."""
    size = sum(_units(tag) for _, tag in stacks[start])
    breaks: dict[str, tuple[int, int]] = {}  # break → (end after it, size up to it)
    end = start
    while end < len(atoms):
        size += _units(atoms[end])
        if size + _units(_closers(stacks[end + 1])) > limit:
            break
        end += 1
        if atoms[end - 1] in _BREAKS:
            breaks[atoms[end - 1]] = (end, size)
    if end == len(atoms):
        return end
    for kind in _BREAKS:
        if kind in breaks and breaks[kind][1] >= limit // 2:
            return breaks[kind][0]
    return max(end, start + 1)


def _visible(piece: str) -> str:
    return html.unescape(re.sub(r"<[^<>]*>", "", piece))
