"""Properties that hold for any message: the engine never fails, replies always fit and parse."""

from __future__ import annotations

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from faq.engine import Engine
from faq.model import Evidence, Reply, Source, Status
from faq.render import TELEGRAM_LIMIT, to_html, to_text
from faq.reply import DISCLAIMER
from faq.text import normalize, split_words
from tests.htmlcheck import TELEGRAM_TAGS, Tags

EXAMPLES = settings(
    max_examples=200,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)

# The engine embeds every message: fewer examples keep the suite's time in bounds.
ENGINE_EXAMPLES = settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)

# Any Unicode text a Telegram message can hold (no lone surrogates), control characters included.
any_text = st.text(st.characters(exclude_categories=["Cs"]), max_size=5000)
# Text that looks like questions: English words from the domain, digits, punctuation, typos.
PHRASES = [
    "does magnesium help",
    "500mg of mag",
    "Mg for my charley horse",
    "leg cramps at night",
    "I'm pregnant",
    "on dialysis",
    "my son is 8",
    "how long until it kicks in",
    "too much?",
    "which form is best",
    "magnesium oil spray",
    "my chest hurts",
    "took the whole bottle",
    "magnesuim pregant cramsp",
    "the is a of , . ! ?",
    "’ 😀 ✓ ß é",
]
question_like = st.lists(st.sampled_from(PHRASES), max_size=12).map(" ".join)
long_text = st.text(st.sampled_from("ab cd\n*_`[]()<>&#-!"), min_size=2000, max_size=5000)
messages = st.one_of(any_text, question_like, long_text)


@ENGINE_EXAMPLES
@given(message=messages)
def test_any_message_gets_a_reply_that_fits_and_carries_the_disclaimer(
    engine: Engine, message: str
) -> None:
    answer = engine.answer(message)

    assert isinstance(answer.status, Status)
    text = to_text(answer.reply)
    html = to_html(answer.reply)
    assert text.strip()
    assert DISCLAIMER in text
    assert len(text) <= TELEGRAM_LIMIT
    assert len(html) <= TELEGRAM_LIMIT
    assert len(answer.candidates) >= 3


@settings(ENGINE_EXAMPLES, max_examples=25)  # three answers an example, long messages among them
@given(message=messages, between=messages)
def test_an_answer_does_not_depend_on_what_was_asked_before(
    engine: Engine, message: str, between: str
) -> None:
    first = engine.answer(message)
    engine.answer(between)  # fills the typo cache and anything else an answer might keep
    second = engine.answer(message)

    assert (first.status, first.entry, first.candidates) == (
        second.status,
        second.entry,
        second.candidates,
    )


@EXAMPLES
@given(message=messages)
def test_normalising_twice_changes_nothing_and_words_are_ascii(message: str) -> None:
    once = normalize(message)

    assert normalize(once) == once
    assert split_words(once) == split_words(message)
    assert all(word.isascii() and word.isalnum() for word in split_words(message))


evidence = st.builds(
    Evidence,
    level=st.sampled_from(["high", "moderate", "low", "very-low"]),
    note=st.text(min_size=10, max_size=200),
)
sources = st.builds(
    Source,
    name=st.text(min_size=3, max_size=80),
    url=st.sampled_from(["https://www.nhs.uk/conditions/leg-cramps/", "https://e.org/?a=1&b=<2>"]),
)
replies = st.builds(
    Reply,
    body=st.one_of(any_text.filter(lambda s: len(s) < 3000), question_like),
    evidence=st.none() | evidence,
    sources=st.lists(sources, max_size=3).map(tuple),
    cautions=st.lists(st.text(max_size=100), max_size=3).map(tuple),
    disclaimer=st.just(DISCLAIMER),
)


@EXAMPLES
@given(reply=replies)
def test_any_reply_renders_to_html_with_only_telegram_tags_all_closed(reply: Reply) -> None:
    tags = Tags(to_html(reply))

    assert set(tags.seen) <= TELEGRAM_TAGS, tags.seen
    assert tags.open == [], tags.open
    assert tags.misnested == [], tags.misnested


markdownish = st.text(st.sampled_from(list("ab *_`[]()<>&#-\n>!~1.\\\"'hts:/")), max_size=400)


@EXAMPLES
@given(body=markdownish)
def test_any_markdown_body_renders_to_html_with_only_telegram_tags_all_closed(body: str) -> None:
    tags = Tags(to_html(Reply(body=body, disclaimer=DISCLAIMER)))

    assert set(tags.seen) <= TELEGRAM_TAGS, tags.seen
    assert tags.open == [], tags.open
    assert tags.misnested == [], tags.misnested
