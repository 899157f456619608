"""The first stage: one message analysed once into the value every later stage reads."""

from __future__ import annotations

import re
from dataclasses import dataclass

from faq.text import Analysis, Analyzer

#: Telegram's own limit; a longer CLI message is read up to here, with a note.
MAX_QUERY_CHARS = 4096
_SENTENCE_END = re.compile(r"(?<=[.!?])\s+|\n+")


@dataclass(frozen=True)
class Query:
    """A message as the pipeline sees it: the text, its words and terms, its sentences."""

    text: str
    analysis: Analysis
    sentences: tuple[str, ...]
    truncated: bool = False

    @property
    def normalised(self) -> str:
        """The lower-cased, typo-corrected words joined by spaces, for the pattern rules."""
        return self.analysis.text

    @property
    def terms(self) -> tuple[str, ...]:
        """The BM25 terms of the message."""
        return self.analysis.terms

    @property
    def empty(self) -> bool:
        """True when the message holds no words at all."""
        return not self.analysis.words


def analyse(text: str, analyzer: Analyzer) -> Query:
    """Give the Query for a message: read once, up to MAX_QUERY_CHARS."""
    read = text[:MAX_QUERY_CHARS]
    return Query(
        text=text,
        analysis=analyzer.analyze(read),
        sentences=split_sentences(read),
        truncated=len(text) > MAX_QUERY_CHARS,
    )


def split_sentences(text: str) -> tuple[str, ...]:
    """Give the non-empty sentences of a text (split at . ! ? and line breaks)."""
    return tuple(part.strip() for part in _SENTENCE_END.split(text) if part.strip())
