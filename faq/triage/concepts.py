"""Concepts: named word lists matched on stems, and "these concepts near each other" clauses.

A concept such as `chest: [chest, breastbone, sternum]` occurs wherever one of its words or
phrases does, compared stem by stem ("pains" and "painful" are "pain"); a word written with
a leading "=" ("=swallowed") matches that very word only. A clause such as
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
    keys: tuple[frozenset[str], ...]  # each word's stem, and the word itself after "="
    offsets: tuple[int, ...]
    at: Mapping[str, tuple[int, ...]]  # where each key occurs

    @classmethod
    def of(cls, text: str) -> Words:
        """Give the stems and offsets of a normalised text (words joined by single spaces)."""
        keys: list[frozenset[str]] = []
        offsets: list[int] = []
        position = 0
        for word in text.split(" "):
            if word:
                keys.append(frozenset((stem(word), f"={word}")))
                offsets.append(position)
            position += len(word) + 1
        at: dict[str, list[int]] = {}
        for index, both in enumerate(keys):
            for key in both:
                at.setdefault(key, []).append(index)
        where = {key: tuple(indices) for key, indices in at.items()}
        return cls(text, tuple(keys), tuple(offsets), where)

    def __len__(self) -> int:
        return len(self.keys)

    def before(self, index: int) -> str:
        """Give the text before the word at this index."""
        return self.text[: self.offsets[index]] if index < len(self.offsets) else self.text


@dataclass(frozen=True)
class Concept:
    """A named list of words and phrases, each kept as the stems of its words."""

    name: str
    phrases: tuple[tuple[str, ...], ...]  # each word's stem, or "=word" for the word itself
    words: frozenset[str]  # the plain words, so typos can be corrected towards them

    @classmethod
    def of(cls, name: str, entries: Iterable[str]) -> Concept:
        """Give the concept for a list of words and phrases as written in the rule file."""
        split = [(entry.startswith("="), split_words(entry)) for entry in entries]
        keys = (tuple(f"={w}" if exact else stem(w) for w in words) for exact, words in split)
        phrases = tuple(dict.fromkeys(phrase for phrase in keys if phrase))
        return cls(name, phrases, frozenset(w for _, words in split for w in words))

    def spans(self, words: Words) -> list[Span]:
        """Give every place a word or phrase of the concept occurs, in order."""
        keys = words.keys
        return sorted(
            (start, start + len(phrase))
            for phrase in self.phrases
            for start in words.at.get(phrase[0], ())
            if start + len(phrase) <= len(keys)
            and all(key in keys[start + i] for i, key in enumerate(phrase))
        )


@dataclass(frozen=True)
class Near:
    """Every one of these concepts inside a run of `within` words (None: anywhere).

    `ordered` asks for them in the order listed, each after the end of the one before.
    """

    concepts: tuple[Concept, ...]
    within: int | None = None
    ordered: bool = False

    def starts(self, words: Words) -> Iterator[int]:
        """Give, in order, the first word of each run of words where every concept occurs."""
        found = [concept.spans(words) for concept in self.concepts]
        if not all(found):
            return
        limit = len(words) if self.within is None else self.within
        if self.ordered:
            yield from (s for s, e in found[0] if _in_order(e, found[1:], s + limit))
            return
        for start in sorted({s for spans in found for s, _ in spans}):
            if all(any(start <= s and e - start <= limit for s, e in spans) for spans in found):
                yield start


def _in_order(end: int, rest: list[list[Span]], limit: int) -> bool:
    """Tell whether each next concept occurs after the previous one, all before `limit`."""
    for spans in rest:
        following = [e for s, e in spans if s >= end]
        if not following:
            return False
        end = min(following)
    return end <= limit


def concepts_from(raw: Mapping[str, Iterable[str]]) -> dict[str, Concept]:
    """Give the concepts of a rule file by name."""
    return {name: Concept.of(name, entries) for name, entries in raw.items()}
