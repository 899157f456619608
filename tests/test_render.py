"""Replies rendered as plain text and as Telegram HTML: the disclaimer, the limit, the tags."""

from __future__ import annotations

import pytest
from pydantic import HttpUrl

from faq import reply
from faq.corpus import load_corpus
from faq.engine import Engine
from faq.model import Evidence, Reply, Source, Status
from faq.render import TELEGRAM_LIMIT, markdown_to_html, markdown_to_text, to_html, to_text
from faq.reply import DISCLAIMER
from tests.conftest import picked
from tests.htmlcheck import assert_telegram_html

NHS_CRAMPS = "https://www.nhs.uk/conditions/leg-cramps/"
EVERY_CAUTION = "I'm pregnant, breastfeeding, on dialysis, my son is 8, and I take omeprazole"


@pytest.mark.parametrize(
    ("status", "message"),
    [
        (Status.ANSWERED, "does magnesium oil work"),
        (Status.UNSURE, "magnesium"),
        (Status.OUT_OF_SCOPE, "magnesium for sleep"),
        (Status.OUT_OF_SCOPE, "😀"),
        (Status.CHITCHAT, "hi"),
        (Status.RED_FLAG, "my chest hurts"),
        (Status.RED_FLAG, "I want to kill myself"),
    ],
)
def test_every_reply_ends_with_the_disclaimer_in_text_and_html(
    engine: Engine, status: Status, message: str
) -> None:
    answer = engine.answer(message)
    assert answer.status is status

    assert to_text(answer.reply).endswith(DISCLAIMER)
    assert to_html(answer.reply).endswith(f"{DISCLAIMER}</i>")


@pytest.mark.parametrize("entry_id", [entry.id for entry in load_corpus()])
def test_every_shipped_entry_with_every_caution_fits_one_telegram_message(
    engine: Engine, entry_id: str
) -> None:
    answer = picked(engine, entry_id, EVERY_CAUTION)
    assert answer is not None
    assert len(answer.reply.cautions) >= 5  # and the safety net, when the detector is unsure

    assert len(to_text(answer.reply)) <= TELEGRAM_LIMIT
    assert len(to_html(answer.reply)) <= TELEGRAM_LIMIT


@pytest.mark.parametrize("entry_id", [entry.id for entry in load_corpus()])
def test_every_shipped_entry_renders_to_telegram_html(engine: Engine, entry_id: str) -> None:
    answer = picked(engine, entry_id, EVERY_CAUTION)
    assert answer is not None

    assert_telegram_html(to_html(answer.reply))


def test_an_unsure_reply_lists_the_suggested_questions_in_order(engine: Engine) -> None:
    entries = engine.entries[:3]

    text = to_text(reply.unsure(entries, ()))

    assert text.startswith(reply.UNSURE_LEAD)
    for number, entry in enumerate(entries, 1):
        assert f"{number}. {entry.question}" in text


@pytest.mark.parametrize(
    "body",
    [
        "word\n" * 2000,
        "A paragraph of words.\n\n" * 400,
        "- a bullet point that goes on\n" * 300,
    ],
)
def test_an_over_long_multi_line_reply_is_cut_to_the_limit(body: str) -> None:
    long = Reply(body=body, disclaimer=DISCLAIMER)

    assert len(to_text(long)) <= TELEGRAM_LIMIT
    assert len(to_html(long)) <= TELEGRAM_LIMIT
    assert "…" in to_text(long)
    assert to_text(long).endswith(DISCLAIMER)


def test_an_over_long_single_paragraph_is_cut_to_the_limit() -> None:
    long = Reply(body="word " * 2000, disclaimer=DISCLAIMER)

    assert len(to_text(long)) <= TELEGRAM_LIMIT
    assert len(to_html(long)) <= TELEGRAM_LIMIT


def test_an_over_long_reply_keeps_its_disclaimer() -> None:
    long = Reply(body="word\n" * 2000, disclaimer=DISCLAIMER)

    assert DISCLAIMER in to_text(long)


@pytest.mark.parametrize(
    "body",
    [
        "**start\n" + "bold line\n" * 500 + "end**",
        "```\n" + "line of code\n" * 500 + "```",
    ],
)
def test_an_over_long_html_reply_still_closes_every_tag(body: str) -> None:
    assert_telegram_html(to_html(Reply(body=body, disclaimer=DISCLAIMER)))


MARKDOWN = """# A heading

**Bold**, *italic*, `code <b>`, a [link](https://www.nhs.uk/) and an image ![alt](https://a.b/c.png).

- one
  - nested
- two

3. three
4. four

> a quote

```
a fence <i>
```

<div>raw html</div> and <script>alert(1)</script> inline.

[bad](javascript:alert(1)) [telegram](tg://user?id=1)

---
"""


def test_rich_markdown_renders_with_only_telegram_tags() -> None:
    assert_telegram_html(to_html(Reply(body=MARKDOWN, disclaimer=DISCLAIMER)))


def test_markdown_that_is_not_a_web_link_never_becomes_a_link() -> None:
    html = markdown_to_html("[bad](javascript:alert(1)) [telegram](tg://user?id=1)")

    assert "<a" not in html
    assert "javascript" in html  # left as text, harmless


@pytest.mark.parametrize(
    ("user_text", "escaped"),
    [
        ("<script>alert(1)</script>", "&lt;script&gt;alert(1)&lt;/script&gt;"),
        ("salt & vinegar", "salt &amp; vinegar"),
        ("1 < 2 > 0", "1 &lt; 2 &gt; 0"),
        ("<b>not bold</b>", "&lt;b&gt;not bold&lt;/b&gt;"),
    ],
)
def test_text_with_markup_characters_is_escaped_in_html(user_text: str, escaped: str) -> None:
    html = to_html(Reply(body=user_text, cautions=(user_text,), disclaimer=DISCLAIMER))

    assert html.count(escaped) == 2
    assert "<script" not in html
    assert_telegram_html(html)


def test_plain_text_keeps_markup_characters_as_typed() -> None:
    text = to_text(Reply(body="<script> & 1 < 2"))

    assert text == "<script> & 1 < 2"


def test_source_names_and_urls_are_escaped_in_html() -> None:
    source = Source(name="Smith & Jones <2020>", url=HttpUrl("https://example.org/a?b=1&c=2"))

    html = to_html(Reply(body="Body text.", sources=(source,)))

    assert '<a href="https://example.org/a?b=1&amp;c=2">Smith &amp; Jones &lt;2020&gt;</a>' in html


@pytest.mark.parametrize(
    ("markdown", "text", "html"),
    [
        ("**Bold** text", "Bold text", "<b>Bold</b> text"),
        ("*italic* text", "italic text", "<i>italic</i> text"),
        ("- one\n- two", "• one\n• two", "• one\n• two"),
        ("1. first\n2. second", "1. first\n2. second", "1. first\n2. second"),
        (
            "- **take less**\n- stop",
            "• take less\n• stop",
            "• <b>take less</b>\n• stop",
        ),
        (
            "See [NHS](https://www.nhs.uk/).",
            "See NHS (https://www.nhs.uk/).",
            'See <a href="https://www.nhs.uk/">NHS</a>.',
        ),
        ("Use `code`.", "Use code.", "Use <code>code</code>."),
        ("One.\n\nTwo.", "One.\n\nTwo.", "One.\n\nTwo."),
    ],
)
def test_markdown_bullets_bold_and_links_render_in_text_and_html(
    markdown: str, text: str, html: str
) -> None:
    assert markdown_to_text(markdown) == text
    assert markdown_to_html(markdown) == html


def test_the_layout_is_body_evidence_cautions_sources_then_disclaimer() -> None:
    full = Reply(
        body="The body.",
        evidence=Evidence(level="very-low", note="Only one small trial."),
        sources=(Source(name="NHS: Leg cramps", url=HttpUrl(NHS_CRAMPS)),),
        cautions=("Ask first.",),
        disclaimer=DISCLAIMER,
    )

    assert to_text(full) == (
        "The body.\n\n"
        "Evidence (very low certainty): Only one small trial.\n\n"
        "⚠️ Ask first.\n\n"
        "Sources:\n- NHS: Leg cramps: https://www.nhs.uk/conditions/leg-cramps/\n\n"
        f"ℹ️ {DISCLAIMER}"
    )
    assert to_html(full) == (
        "The body.\n\n"
        "<b>Evidence (very low certainty):</b> Only one small trial.\n\n"
        "⚠️ Ask first.\n\n"
        '<b>Sources:</b>\n• <a href="https://www.nhs.uk/conditions/leg-cramps/">'
        "NHS: Leg cramps</a>\n\n"
        f"<i>ℹ️ {DISCLAIMER}</i>"
    )
