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
from bisect import bisect_left, bisect_right
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from functools import cache, cached_property
from itertools import accumulate
from math import inf

from faq.text import split_words, stem

Span = tuple[int, int]  # the first word and the word after the last, as indices
NUMBER = "#"  # the key every number carries; a range key is "#low-high" or "#low-"
_RANGE = re.compile(r"(\d+)(?:\+|-(\d+))")


@dataclass(frozen=True)
class Words:
    """A normalised message as keys to match (stems, "=word", "#" for a number), and offsets."""

    text: str
    keys: tuple[frozenset[str], ...]  # each word's stem, "=" and the word, "#" for a number
    numbers: tuple[int, ...]  # each word's value when it is a number, else -1
    offsets: tuple[int, ...]  # where each word starts in the text
    at: Mapping[str, tuple[int, ...]]  # where each key occurs
    sentences: tuple[int, ...]  # where each sentence starts in the text: a negation stops there
    # the spans of each concept already looked for in this text (every rule asks again)
    found: dict[Concept, list[Span]] = field(default_factory=dict, compare=False, repr=False)
    # whether each rule (by id) matches this text, once asked (triage reads a text again)
    matched: dict[str, bool] = field(default_factory=dict, compare=False, repr=False)

    @classmethod
    def of(cls, text: str, sentence_lengths: Sequence[int] = ()) -> Words:
        """Give the keys and offsets of a normalised text (words joined by single spaces), and
        where its sentences start when their lengths in words are given and add up."""
        keys: list[frozenset[str]] = []
        numbers: list[int] = []
        offsets: list[int] = []
        position = 0
        for word in text.split(" "):
            if word:
                number = (NUMBER,) if word.isdigit() else ()
                keys.append(frozenset((stem(word), f"={word}", *number)))
                numbers.append(int(word[:18]) if number else -1)  # 18 digits: plenty
                offsets.append(position)
            position += len(word) + 1
        at: dict[str, list[int]] = {}
        for index, both in enumerate(keys):
            for key in both:
                at.setdefault(key, []).append(index)
        where = {key: tuple(indices) for key, indices in at.items()}
        sentences: tuple[int, ...] = (0,)
        if sum(sentence_lengths) == len(offsets) > 0:
            firsts = accumulate(sentence_lengths[:-1], initial=0)
            starts = {offsets[i] for i, n in zip(firsts, sentence_lengths, strict=True) if n}
            sentences = tuple(sorted(starts))
        return cls(text, tuple(keys), tuple(numbers), tuple(offsets), where, sentences)

    def __len__(self) -> int:
        return len(self.keys)

    def has(self, index: int, key: str) -> bool:
        """Tell whether the word at this index matches a key: a stem, "=word" or a range."""
        if key.startswith(NUMBER):
            low, high = key[1:].split("-")
            value = self.numbers[index]
            return value >= int(low) >= 0 and (not high or value <= int(high))
        return key in self.keys[index]

    def before(self, index: int) -> str:
        """Give the text of its sentence before the word at this index."""
        return self.ahead_of(self.offsets[index] if index < len(self.offsets) else len(self.text))

    def ahead_of(self, offset: int) -> str:
        """Give the text of its sentence before this character offset."""
        start = self.sentences[bisect_right(self.sentences, offset) - 1]
        return self.text[start:offset]


Phrase = tuple["str | Concept", ...]  # each part a word's stem, "=word", a range or a concept


@dataclass(frozen=True, eq=False)  # compared by identity: a memo key, one per rule file
class Concept:
    """A named list of words and phrases, each kept as the keys of its words and the other
    concepts it names, which are matched where they stand rather than spelled out."""

    name: str
    phrases: tuple[Phrase, ...]
    words: frozenset[str]  # the plain words, so typos can be corrected towards them

    def spans(self, words: Words) -> list[Span]:
        """Give every place a word or phrase of the concept occurs, in order, each once."""
        if self not in words.found:
            root = self._trie
            starts = {i for key in words.at.keys() & root.by_key.keys() for i in words.at[key]}
            starts.update(s for concept in root.by_concept for s, _ in concept.spans(words))
            memo: dict[tuple[int, int], frozenset[int]] = {}
            found = {(start, end) for start in starts for end in root.ends(words, start, memo)}
            words.found[self] = sorted(found)
        return words.found[self]

    def ends_from(self, words: Words, start: int) -> list[int]:
        """Give where each word or phrase of the concept that begins at `start` ends."""
        spans = self.spans(words)
        first = bisect_left(spans, (start, -1))
        return [end for _, end in spans[first : bisect_left(spans, (start + 1, -1), first)]]

    @cached_property
    def _trie(self) -> _Node:
        """The phrases as a tree, part by part: a number range under "#" and then its own key,
        a concept as a branch of its own; a phrase ends where its node is marked."""
        root = _Node()
        for phrase in self.phrases:
            node = root
            for part in phrase:
                node = node.child(part)
            node.end = True
        return root


@dataclass(eq=False)
class _Node:
    """A point in a tree of phrases: what may come next, and whether a phrase ends here."""

    by_key: dict[str, _Node] = field(default_factory=dict)
    by_concept: dict[Concept, _Node] = field(default_factory=dict)
    end: bool = False

    def child(self, part: str | Concept) -> _Node:
        """Give the node after this part, adding it when it is new."""
        if isinstance(part, Concept):
            return self.by_concept.setdefault(part, _Node())
        if part[0] == NUMBER:
            ranges = self.by_key.setdefault(NUMBER, _Node())
            return ranges.by_key.setdefault(part, _Node())
        return self.by_key.setdefault(part, _Node())

    def ends(
        self, words: Words, start: int, memo: dict[tuple[int, int], frozenset[int]]
    ) -> frozenset[int]:
        """Give where the phrases of the tree that begin at `start` end, each end once; the
        memo holds what each node gave from each word, so a run of concepts that can each
        end in several places is walked once per place, not once per way there."""
        key = (id(self), start)
        if key not in memo:
            memo[key] = frozenset(self._ends(words, start, memo))
        return memo[key]

    def _ends(
        self, words: Words, start: int, memo: dict[tuple[int, int], frozenset[int]]
    ) -> Iterator[int]:
        if self.end:
            yield start
        for concept, after in self.by_concept.items():
            for end in concept.ends_from(words, start):
                yield from after.ends(words, end, memo)
        if start >= len(words):
            return
        for key in words.keys[start]:
            child = self.by_key.get(key)
            if child is None:
                continue
            if key == NUMBER:  # the word is a number: each range that holds it
                for bounded, grandchild in child.by_key.items():
                    if words.has(start, bounded):
                        yield from grandchild.ends(words, start + 1, memo)
            else:
                yield from child.ends(words, start + 1, memo)


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
        found: list[list[Span]] = []
        for concept in self.concepts:  # a concept that is absent settles it: none after it
            spans = concept.spans(words)
            if not spans:
                return
            found.append(spans)
        limit = len(words) if self.within is None else self.within
        chain = _Chain(found, self.gap)
        if self.ordered:
            yield from (s for s, e in found[0] if chain.ends_by(e, 1) <= s + limit)
            return
        for start in sorted({s for spans in found for s, _ in spans}):
            if all(chain.first_end(index, start) <= start + limit for index in range(len(found))):
                yield start


class _Chain:
    """Where the concepts of a clause can end: from a start on, or in order from one index on."""

    def __init__(self, found: list[list[Span]], gap: int | None) -> None:
        self.found = found
        self.gap = gap
        self.starts = [[s for s, _ in spans] for spans in found]
        # per concept, the least end among its spans from each position on (sorted by start)
        self.least = [_suffix_min([e for _, e in spans]) for spans in found]
        self.ends_by = cache(self._ends_by)  # settles each (end, index) once, however long

    def first_end(self, index: int, start: int) -> float:
        """Give the earliest end of a span of one concept that begins at `start` or after."""
        first = bisect_left(self.starts[index], start)
        return self.least[index][first] if first < len(self.starts[index]) else inf

    def _ends_by(self, end: int, index: int) -> float:
        if index == len(self.found):
            return end
        if self.gap is None:  # without a gap the earliest next end is always the best choice
            following = self.first_end(index, end)
            return inf if following == inf else self._ends_by(int(following), index + 1)
        first = bisect_left(self.starts[index], end)
        last = bisect_right(self.starts[index], end + self.gap)
        return min(
            (self.ends_by(e, index + 1) for _, e in self.found[index][first:last]), default=inf
        )


def _suffix_min(values: list[int]) -> list[int]:
    return list(accumulate(reversed(values), min))[::-1]


def concepts_from(raw: Mapping[str, Sequence[str]]) -> dict[str, Concept]:
    """Give the concepts of a rule file by name; "@name" in an entry stands for that concept.

    "@not @stop" is any phrase of `not` followed by any phrase of `stop`. Raises ValueError
    when a concept refers to itself, directly or not.
    """
    built: dict[str, Concept] = {}

    def build(name: str, trail: tuple[str, ...]) -> Concept:
        if name in trail:
            raise ValueError(f"concept {name!r} refers to itself: {' > '.join((*trail, name))}")
        if name not in built:
            parts = [_entry(entry, lambda ref: build(ref, (*trail, name))) for entry in raw[name]]
            phrases = tuple(dict.fromkeys(phrase for phrase, _ in parts if phrase))
            built[name] = Concept(name, phrases, frozenset(w for _, ws in parts for w in ws))
        return built[name]

    return {name: build(name, ()) for name in raw}


def _entry(entry: str, resolve: Callable[[str], Concept]) -> tuple[Phrase, set[str]]:
    """Give the phrase (keys and concepts) and plain words of one entry of a word list."""
    exact = entry.startswith("=")
    phrase: list[str | Concept] = []
    words: set[str] = set()
    for token in entry.removeprefix("=").split():
        numbers = _RANGE.fullmatch(token)
        if token.startswith("@"):
            concept = resolve(token[1:])
            phrase.append(concept)
            words |= concept.words
        elif numbers:
            phrase.append(f"{NUMBER}{numbers[1]}-{numbers[2] or ''}")
        else:
            plain = split_words(token)
            phrase.extend(f"={w}" if exact else stem(w) for w in plain)
            words.update(plain)
    return tuple(phrase), words
