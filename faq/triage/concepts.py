"""Concepts: named word lists matched on stems, and "these concepts near each other" clauses.

A concept such as `chest: [chest, breastbone, sternum]` occurs wherever one of its words or
phrases does, compared stem by stem ("pains" and "painful" are "pain"); a word written with
a leading "=" ("=swallowed") matches that very word only, and a number range ("10+ minutes",
"30-45 bpm") any number in it; "@name" stands for every phrase of another concept. A clause
such as `{near: [chest, pain], within: 6}` holds where every concept it names occurs inside
one run of at most 6 consecutive words, in any order (in the order listed with `ordered`);
without `within`, anywhere in the message.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from itertools import product

from faq.text import split_words, stem

Span = tuple[int, int]  # the first word and the word after the last, as indices
NUMBER = "#"  # the key every number carries; a range key is "#low-high" or "#low-"
_RANGE = re.compile(r"(\d+)(?:\+|-(\d+))")


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
                number = (NUMBER,) if word.isdigit() else ()
                keys.append(frozenset((stem(word), f"={word}", *number)))
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

    def has(self, index: int, key: str) -> bool:
        """Tell whether the word at this index matches a key: a stem, "=word" or a range."""
        if key.startswith(NUMBER) and key != NUMBER:
            if NUMBER not in self.keys[index]:
                return False
            low, high = key[1:].split("-")
            value = int(self.text[self.offsets[index] :].split(" ", 1)[0])
            return int(low) <= value and (not high or value <= int(high))
        return key in self.keys[index]

    def before(self, index: int) -> str:
        """Give the text before the word at this index."""
        return self.text[: self.offsets[index]] if index < len(self.offsets) else self.text


@dataclass(frozen=True)
class Concept:
    """A named list of words and phrases, each kept as the keys of its words."""

    name: str
    phrases: tuple[tuple[str, ...], ...]  # each word's stem, "=word" or a number range
    words: frozenset[str]  # the plain words, so typos can be corrected towards them

    def spans(self, words: Words) -> list[Span]:
        """Give every place a word or phrase of the concept occurs, in order."""
        return sorted(
            (start, start + len(phrase))
            for phrase in self.phrases
            for start in words.at.get(NUMBER if phrase[0][0] == NUMBER else phrase[0], ())
            if start + len(phrase) <= len(words)
            and all(words.has(start + i, key) for i, key in enumerate(phrase))
        )


@dataclass(frozen=True)
class Near:
    """Every one of these concepts inside a run of `within` words (None: anywhere).

    `ordered` asks for them in the order listed, each after the end of the one before, and
    `gap` (with ordered) for at most that many words between one and the next.
    """

    concepts: tuple[Concept, ...]
    within: int | None = None
    ordered: bool = False
    gap: int | None = None

    def starts(self, words: Words) -> Iterator[int]:
        """Give, in order, the first word of each run of words where every concept occurs."""
        found = [concept.spans(words) for concept in self.concepts]
        if not all(found):
            return
        limit = len(words) if self.within is None else self.within
        if self.ordered:
            yield from (s for s, e in found[0] if self._chain(e, found[1:], s + limit))
            return
        for start in sorted({s for spans in found for s, _ in spans}):
            if all(any(start <= s and e - start <= limit for s, e in spans) for spans in found):
                yield start

    def _chain(self, end: int, rest: list[list[Span]], limit: int) -> bool:
        """Tell whether the next concepts follow in order from `end`, all ending by `limit`."""
        if not rest:
            return end <= limit
        most = limit if self.gap is None else end + self.gap
        return any(
            end <= s <= most and e <= limit and self._chain(e, rest[1:], limit) for s, e in rest[0]
        )


def concepts_from(raw: Mapping[str, Sequence[str]]) -> dict[str, Concept]:
    """Give the concepts of a rule file by name; "@name" in an entry stands for that concept.

    "@not @stop" is every phrase of `not` followed by every phrase of `stop`. Raises
    ValueError when a concept refers to itself, directly or not.
    """
    built: dict[str, Concept] = {}

    def build(name: str, trail: tuple[str, ...]) -> Concept:
        if name in trail:
            raise ValueError(f"concept {name!r} refers to itself: {' > '.join((*trail, name))}")
        if name not in built:
            parts = [_entry(entry, lambda ref: build(ref, (*trail, name))) for entry in raw[name]]
            phrases = tuple(dict.fromkeys(p for phrases, _ in parts for p in phrases if p))
            built[name] = Concept(name, phrases, frozenset(w for _, ws in parts for w in ws))
        return built[name]

    return {name: build(name, ()) for name in raw}


def _entry(entry: str, resolve: Callable[[str], Concept]) -> tuple[list[tuple[str, ...]], set[str]]:
    """Give the phrases (as keys) and plain words of one entry of a word list."""
    exact = entry.startswith("=")
    options: list[list[tuple[str, ...]]] = []
    words: set[str] = set()
    for token in entry.removeprefix("=").split():
        numbers = _RANGE.fullmatch(token)
        if token.startswith("@"):
            concept = resolve(token[1:])
            options.append(list(concept.phrases))
            words |= concept.words
        elif numbers:
            options.append([(f"{NUMBER}{numbers[1]}-{numbers[2] or ''}",)])
        else:
            plain = split_words(token)
            options.append([tuple(f"={w}" if exact else stem(w) for w in plain)])
            words.update(plain)
    return [tuple(k for part in combo for k in part) for combo in product(*options)], words
