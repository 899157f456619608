"""The reply: the parts the person sees on every path, before rendering."""

from __future__ import annotations

from collections.abc import Sequence

from faq.model import Entry, Reply

DISCLAIMER = (
    "General information, not medical advice. If your cramps are frequent, severe or "
    "worrying, please see a doctor."
)
UNSURE_LEAD = "I'm not sure which question you mean. Is it one of these?"
OUT_OF_SCOPE_LEAD = "Sorry, I can't answer that one."
EMPTY_LEAD = "Please type your question in words, in English."
TRUNCATED_NOTE = "(Your message was long, so I read only its beginning.)"


def answered(entry: Entry, cautions: Sequence[str]) -> Reply:
    """Give the reply for a confident answer: the entry with its evidence and sources."""
    return Reply(
        body=entry.answer,
        evidence=entry.evidence,
        sources=entry.sources,
        cautions=tuple(cautions),
        disclaimer=DISCLAIMER,
    )


def unsure(suggestions: Sequence[Entry], cautions: Sequence[str]) -> Reply:
    """Give the reply that offers the closest questions to choose from."""
    lines = [UNSURE_LEAD, *(f"{i}. {e.question}" for i, e in enumerate(suggestions, 1))]
    return Reply(
        body="\n".join(lines),
        cautions=tuple(cautions),
        suggestions=tuple(e.question for e in suggestions),
        disclaimer=DISCLAIMER,
    )


def declined(covers: str, lead: str = OUT_OF_SCOPE_LEAD, cautions: Sequence[str] = ()) -> Reply:
    """Give the reply for a question outside the corpus: say what the bot covers."""
    return Reply(body=f"{lead} {covers}", cautions=tuple(cautions), disclaimer=DISCLAIMER)


def message(text: str) -> Reply:
    """Give a reply that is one message (small talk or an emergency) plus the disclaimer."""
    return Reply(body=text, disclaimer=DISCLAIMER)
