"""The reply: the parts the person sees on every path, before rendering."""

from __future__ import annotations

from collections.abc import Sequence

from faq.model import Entry, Reply

DISCLAIMER = "General information, not medical advice."
DOCTOR_NUDGE = "If your cramps are frequent, severe or worrying, please see a doctor."
URGENT_NUDGE = "I'm an FAQ bot and can't assess an emergency: please get help now."
FOOTER = f"{DOCTOR_NUDGE} {DISCLAIMER}"
UNSURE_LEAD = "I'm not sure which question you mean. Is it one of these?"
OUT_OF_SCOPE_LEAD = "Sorry, I can't answer that one."
EMPTY_LEAD = "Please type your question in words, in English."
FOREIGN_LEAD = "Sorry, I can't answer that one (I read only English)."
TRUNCATED_NOTE = "(Your message was long, so I read only its beginning.)"


def answered(entry: Entry, cautions: Sequence[str]) -> Reply:
    """Give the reply for a confident answer: the entry with its evidence and sources."""
    return Reply(
        body=entry.answer,
        evidence=entry.evidence,
        sources=entry.sources,
        cautions=tuple(cautions),
        disclaimer=FOOTER,
    )


def unsure(suggestions: Sequence[Entry], cautions: Sequence[str]) -> Reply:
    """Give the reply that offers the closest questions to choose from."""
    lines = [UNSURE_LEAD, *(f"{i}. {e.question}" for i, e in enumerate(suggestions, 1))]
    return Reply(
        body="\n".join(lines),
        cautions=tuple(cautions),
        suggestions=tuple(e.question for e in suggestions),
        disclaimer=FOOTER,
    )


def declined(covers: str, lead: str = OUT_OF_SCOPE_LEAD, cautions: Sequence[str] = ()) -> Reply:
    """Give the reply for a question outside the corpus: say what the bot covers."""
    return Reply(body=f"{lead} {covers}", cautions=tuple(cautions), disclaimer=FOOTER)


def message(text: str) -> Reply:
    """Give a small-talk reply plus the doctor nudge and the disclaimer."""
    return Reply(body=text, disclaimer=FOOTER)


def urgent(text: str) -> Reply:
    """Give an emergency reply: the urgent message and the disclaimer, nothing else."""
    return Reply(body=text, disclaimer=f"{URGENT_NUDGE} {DISCLAIMER}")
