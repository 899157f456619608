"""The first stage: one message analysed once into the value every later stage reads."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field, replace

from faq.semantic import Encoder, Vectors
from faq.text import Analysis, Analyzer

#: Telegram's own limit; a longer CLI message is read up to here, with a note.
MAX_QUERY_CHARS = 4096
#: A message longer than this is also read by triage sentence by sentence (a longer sentence
#: in pieces of this length), so a warning sign at the end of a long story counts as much as
#: one at the start, and is not diluted by the ordinary sentences around it.
WINDOW_CHARS = 240
MAX_WINDOWS = 12


_SENTENCE_END = re.compile(r"(?<=[.!?])\s+|\n+")


@dataclass(frozen=True)
class Query:
    """A message as the pipeline sees it: the text, its words and terms, its sentences."""

    text: str
    analysis: Analysis
    sentences: tuple[str, ...]
    truncated: bool = False
    vector: Vectors | None = None  # the whole message, when the semantic layer is on and ranks
    read_by_models: bool = False  # its windows and parts are set: the learned detector reads it
    windows: tuple[str, ...] = field(default=(), repr=False)  # sentence windows, normalised
    #: each sentence as the models read it, when there are two or more (pasted lists left out)
    parts: tuple[str, ...] = field(default=(), repr=False)
    word_list: bool = False  # a long run of words without sentences: a list or random text
    foreign: bool = False  # mostly words that are neither English nor the corpus's

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
        """True when the message holds no words: nothing of two letters or more ("%s %s")."""
        return not any(len(word) > 1 and word.isalpha() for word in self.analysis.words)


def analyse(
    text: str, analyzer: Analyzer, encoder: Encoder | None = None, embed: bool = True
) -> Query:
    """Give the Query for a message: read once, up to MAX_QUERY_CHARS, embedded if on.

    `embed` off: read for the models but not embedded, for triage alone (Engine.urgent),
    which reads the windows and sentences but not the vector; ranking such a query would
    rank it by its words alone.
    """
    read = text[:MAX_QUERY_CHARS]
    sentences = split_sentences(read)
    analysis = analyzer.analyze(read)
    query = Query(
        text,
        analysis,
        sentences,
        len(text) > MAX_QUERY_CHARS,
        word_list=analyzer.is_word_list(analysis.words),
        foreign=analyzer.is_foreign(read),
    )
    if encoder is None or query.empty:
        return query
    # the models read the words as corrected, so a typo costs the meaning nothing; a window
    # that is a pasted list is left out, one in language is read even inside a list
    windows = _in_language(sentence_windows(sentences), analyzer)
    readings = {sentence: analyzer.analyze(sentence) for sentence in sentences}
    listed = {s for s, reading in readings.items() if analyzer.is_word_list(reading.words)}
    parts = [r.text for s, r in readings.items() if s not in listed] if len(sentences) > 1 else []
    parts = list(dict.fromkeys(parts))  # two sentences may read the same once corrected
    if listed:  # a list dilutes a sentence packed beside it: read the rest without it too
        unlisted = sentence_windows(sentences, keep=lambda sentence: sentence not in listed)
        windows = list(dict.fromkeys([*windows, *_in_language(unlisted, analyzer)]))
    vector = encoder.encode([query.normalised])[0] if embed else None
    return replace(
        query, vector=vector, read_by_models=True, windows=tuple(windows), parts=tuple(parts)
    )


def _in_language(windows: Iterable[str], analyzer: Analyzer) -> list[str]:
    """Give the windows as the models read them (normalised), leaving out pasted lists."""
    readings = (analyzer.analyze(window) for window in windows)
    return [r.text for r in readings if not analyzer.is_word_list(r.words)]


def sentence_windows(
    sentences: tuple[str, ...], keep: Callable[[str], bool] | None = None
) -> list[str]:
    """Give the message (the sentences `keep` keeps) in at most MAX_WINDOWS windows.

    Windows hold whole sentences and cover everything kept; a sentence longer than a window
    is cut at word boundaries; when there are too many windows, neighbours are merged, so the
    end of a long message is always read. (Reading each sentence alone raised false alarms on
    long ordinary questions: 4.5% of held-out 1.) One window is the whole message, so none is
    given, unless `keep` left sentences out.
    """
    kept = [sentence for sentence in sentences if keep is None or keep(sentence)]
    size = max(WINDOW_CHARS, sum(len(s) + 1 for s in kept) // MAX_WINDOWS + 1)
    pieces = (piece for sentence in kept for piece in _pack(sentence.split(), size))
    windows = _pack(pieces, size)
    while len(windows) > MAX_WINDOWS:
        windows = [" ".join(windows[i : i + 2]) for i in range(0, len(windows), 2)]
    return windows if len(windows) > 1 or len(kept) < len(sentences) else []


def _pack(parts: Iterable[str], size: int) -> list[str]:
    """Give the parts joined by spaces, in order, into pieces shorter than `size` where they fit.

    Words packed this way make a sentence's pieces; those pieces packed again make windows.
    """
    pieces: list[str] = []
    for part in parts:
        if pieces and len(pieces[-1]) + len(part) < size:
            pieces[-1] = f"{pieces[-1]} {part}"
        else:
            pieces.append(part[: size * 2])
    return pieces


def split_sentences(text: str) -> tuple[str, ...]:
    """Give the non-empty sentences of a text (split at . ! ? and line breaks)."""
    return tuple(part.strip() for part in _SENTENCE_END.split(text) if part.strip())
