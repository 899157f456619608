"""The bot's pure parts: button data, keyboards, topic pages, message splitting, mentions."""

from __future__ import annotations

import re

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bot import messages
from bot.handlers import strip_mention
from faq.engine import Engine
from faq.model import Status
from tests.conftest import answered_entry
from tests.fakes.telegram import html_to_plain

# --------------------------------------------------------------------------- button data


@pytest.mark.parametrize(
    ("action", "data"),
    [
        (messages.Ask("dosage"), "q:dosage"),
        (messages.Ask("stop-cramp-now", 12), "q:stop-cramp-now:12"),
        (messages.Vote("dosage", True), "fb:+:dosage"),
        (messages.Vote("side-effects", False, 9), "fb:-:side-effects:9"),
        (messages.Page(3), "tp:3"),
    ],
)
def test_button_data_round_trips(action: messages.Action, data: str) -> None:
    assert messages.encode(action) == data
    assert messages.decode(data) == action


@pytest.mark.parametrize(
    "data",
    [
        None,
        "",
        "q:",
        "q:Dosage",
        "q:../etc/passwd",
        "q:dosage:",
        "q:dosage:-1",
        "q:dosage:12:13",
        "fb:x:dosage",
        "fb:+:",
        "tp:",
        "tp:-1",
        "tp:12345",
        "q:" + "a" * 63,
        "hello",
    ],
)
def test_malformed_button_data_decodes_to_nothing(data: str | None) -> None:
    assert messages.decode(data) is None


def test_every_button_the_bot_can_draw_fits_in_64_bytes(engine: Engine) -> None:
    biggest = 10**18 - 1  # the largest query id the decoder accepts
    for entry in engine.entries:
        answer = engine.follow(entry.id)
        assert answer is not None
        _, markup = messages.answer_message(answer, engine.entry, biggest)
        assert markup is not None
        for row in markup.inline_keyboard:
            for button in row:
                assert isinstance(button.callback_data, str)
                assert messages.fits(button.callback_data)
                assert messages.decode(button.callback_data) is not None


# --------------------------------------------------------------------------- keyboards


def test_an_answer_has_up_to_three_related_questions_then_the_votes(engine: Engine) -> None:
    entry = answered_entry(engine)
    answer = engine.answer(entry.question)

    text, markup = messages.answer_message(answer, engine.entry, 7)

    assert markup is not None
    *related, votes = markup.inline_keyboard
    assert [row[0].text for row in related] == [
        e.question for e in map(engine.entry, entry.related[:3]) if e
    ]
    assert [b.callback_data for b in votes] == [f"fb:+:{entry.id}:7", f"fb:-:{entry.id}:7"]
    assert html_to_plain(text)


@pytest.mark.parametrize(
    "question", ["my chest hurts and I feel faint", "hello", "what's the weather tomorrow"]
)
def test_emergencies_small_talk_and_declines_have_no_buttons(engine: Engine, question: str) -> None:
    answer = engine.answer(question)
    assert answer.status in (Status.RED_FLAG, Status.CHITCHAT, Status.OUT_OF_SCOPE)

    _, markup = messages.answer_message(answer, engine.entry)

    assert markup is None


def test_topic_pages_cover_every_entry_once(engine: Engine) -> None:
    seen: list[str] = []
    page, pages = 0, -(-len(engine.entries) // messages.PAGE_SIZE)
    for page in range(pages):
        text, markup = messages.topics_page(engine.entries, page)
        assert f"page {page + 1} of {pages}" in text
        for row in markup.inline_keyboard:
            action = messages.decode(row[0].callback_data)
            if isinstance(action, messages.Ask):
                seen.append(action.entry_id)
    assert seen == [e.id for e in engine.entries]
    assert (
        messages.topics_page(engine.entries, 99)[0] == messages.topics_page(engine.entries, page)[0]
    )


def test_popular_entries_are_the_most_related_to(engine: Engine) -> None:
    counts = {e.id: sum(e.id in other.related for other in engine.entries) for e in engine.entries}

    chosen = engine.popular(3)

    assert [counts[e.id] for e in chosen] == sorted(counts.values(), reverse=True)[:3]


# --------------------------------------------------------------------------- splitting


def test_a_short_message_is_not_split() -> None:
    assert messages.split_html("<b>hi</b> there") == ["<b>hi</b> there"]


def test_a_message_whose_visible_text_fits_is_not_split_however_long_its_links() -> None:
    # Telegram counts the text after its tags are parsed (the /about list of sources)
    links = "\n".join(
        f'<a href="https://example.org/{"x" * 200}/{n}">source {n}</a>' for n in range(30)
    )

    assert messages.split_html(links) == [links]


def test_a_long_message_is_split_on_paragraph_boundaries() -> None:
    paragraphs = [f"<b>Part {n}</b> " + " ".join(["magnesium"] * 150) for n in range(12)]

    pieces = messages.split_html("\n\n".join(paragraphs))

    assert len(pieces) > 1
    assert all(len(p) <= messages.MAX_MESSAGE for p in pieces)
    assert all(p.startswith("<b>Part ") and p.endswith("magnesium") for p in pieces)
    assert "\n\n".join(pieces).split("\n\n") == paragraphs


def test_tags_open_at_a_cut_are_closed_and_reopened() -> None:
    text = (
        "<pre>"
        + "a line of code\n" * 20
        + '</pre>\n<a href="https://x.org">'
        + "link " * 30
        + "</a>"
    )

    pieces = messages.split_html(text, limit=100)

    assert all(len(p) <= 100 for p in pieces)
    code, links = pieces[:3], pieces[-2:]
    assert all(p.startswith("<pre>a line") and p.endswith("code</pre>") for p in code)
    assert all(p.startswith('<a href="https://x.org">link') and p.endswith("</a>") for p in links)
    for piece in pieces:
        html_to_plain(piece)  # raises like Telegram on unbalanced tags


_WORD = st.text(alphabet="abcxyz&<>é💪", min_size=1, max_size=12).map(
    lambda w: w.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
)


@st.composite
def _telegram_html(draw: st.DrawFn) -> str:
    parts: list[str] = []
    for _ in range(draw(st.integers(1, 40))):
        words = " ".join(draw(st.lists(_WORD, min_size=1, max_size=8)))
        tag = draw(st.sampled_from(["", "b", "i", "pre", "code", "a"]))
        if tag == "a":
            words = f'<a href="https://example.org/?a=1&amp;b=2">{words}</a>'
        elif tag:
            words = f"<{tag}>{words}</{tag}>"
        parts.append(words + draw(st.sampled_from([" ", "\n", "\n\n"])))
    return "".join(parts).strip()


@settings(max_examples=200, deadline=None)
@given(text=_telegram_html(), limit=st.integers(100, 400))  # room for the longest tag
def test_split_pieces_fit_parse_and_keep_every_visible_character(text: str, limit: int) -> None:
    pieces = messages.split_html(text, limit)

    assert all(len(html_to_plain(p).encode("utf-16-le")) // 2 <= limit for p in pieces)
    visible = "".join(html_to_plain(p) for p in pieces)
    assert re.sub(r"\s", "", visible) == re.sub(r"\s", "", html_to_plain(text))


# --------------------------------------------------------------------------- mentions


@pytest.mark.parametrize(
    ("text", "question"),
    [
        ("@MagTestBot how much magnesium?", "how much magnesium?"),
        ("how much magnesium, @magtestbot?", "how much magnesium, ?"),
        ("@MagTestBotter hi", "@MagTestBotter hi"),
        ("@MagTestBot", ""),
    ],
)
def test_the_mention_is_taken_out_of_the_question(text: str, question: str) -> None:
    assert strip_mention(text, "MagTestBot") == question
