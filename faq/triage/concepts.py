"""Concepts: named word lists matched on stems, and "these concepts near each other" clauses.

A concept such as `chest: [chest, breastbone, sternum]` occurs wherever one of its words or
phrases does, compared stem by stem ("pains" and "painful" are "pain"). A clause such as
`{near: [chest, pain], within: 6}` holds where every concept it names occurs inside one run of
at most 6 consecutive words, in any order; without `within`, anywhere in the message.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass

from faq.text import split_words, stem

Span = tuple[int, int]  # the first word and the word after the last, as indices


@dataclass(frozen=True)
class Words:
    """A normalised message as stems, with where each word starts in the text."""

    text: str
    stems: tuple[str, ...]
    offsets: tuple[int, ...]
    at: Mapping[str, tuple[int, ...]]  # where each stem occurs

    @classmethod
    def of(cls, text: str) -> Words:
        """Give the stems and offsets of a normalised text (words joined by single spaces)."""
        stems: list[str] = []
        offsets: list[int] = []
        position = 0
        for word in text.split(" "):
            if word:
                stems.append(stem(word))
                offsets.append(position)
            position += len(word) + 1
        at: dict[str, list[int]] = {}
        for index, term in enumerate(stems):
            at.setdefault(term, []).append(index)
        where = {term: tuple(indices) for term, indices in at.items()}
        return cls(text, tuple(stems), tuple(offsets), where)

    def before(self, index: int) -> str:
        """Give the text before the word at this index."""
        return self.text[: self.offsets[index]] if index < len(self.offsets) else self.text


@dataclass(frozen=True)
class Concept:
    """A named list of words and phrases, each kept as the stems of its words."""

    name: str
    phrases: tuple[tuple[str, ...], ...]
    words: frozenset[str]  # the plain words, so typos can be corrected towards them

    @classmethod
    def of(cls, name: str, entries: Iterable[str]) -> Concept:
        """Give the concept for a list of words and phrases as written in the rule file."""
        split = [split_words(entry) for entry in entries]
        phrases = tuple(dict.fromkeys(tuple(stem(w) for w in words) for words in split if words))
        return cls(name, phrases, frozenset(w for words in split for w in words))

    def spans(self, words: Words) -> list[Span]:
        """Give every place a word or phrase of the concept occurs, in order."""
        stems = words.stems
        return sorted(
            (start, start + len(phrase))
            for phrase in self.phrases
            for start in words.at.get(phrase[0], ())
            if stems[start : start + len(phrase)] == phrase
        )


@dataclass(frozen=True)
class Near:
    """Every one of these concepts inside a run of `within` words (None: anywhere)."""

    concepts: tuple[Concept, ...]
    within: int | None = None

    def starts(self, words: Words) -> Iterator[int]:
        """Give, in order, the first word of each run of words where every concept occurs."""
        found = [concept.spans(words) for concept in self.concepts]
        if not all(found):
            return
        limit = len(words.stems) if self.within is None else self.within
        for start in sorted({s for spans in found for s, _ in spans}):
            if all(any(start <= s and e - start <= limit for s, e in spans) for spans in found):
                yield start


def concepts_from(raw: Mapping[str, Iterable[str]]) -> dict[str, Concept]:
    """Give the concepts of a rule file by name."""
    return {name: Concept.of(name, entries) for name, entries in raw.items()}
