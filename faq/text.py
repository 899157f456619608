"""The one tokenizer, for entries and questions alike: text → normalised words → terms."""

from __future__ import annotations

import hashlib
import json
import math
import re
import unicodedata
from bisect import bisect_right
from collections import Counter
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from functools import cache, lru_cache
from importlib import resources
from pathlib import Path
from typing import Any

import rapidfuzz
import Stemmer
from rapidfuzz import process
from rapidfuzz.distance import DamerauLevenshtein

from faq import files

_WORD = re.compile(r"[a-z]+|[0-9]+")
_APOSTROPHES = re.compile(r"['’‘`´]")
_UNITS = frozenset({"mg", "mgs"})
_THOUSANDS = re.compile(r"(\d),(\d{3})\b")
_MIN_CORRECTABLE = 4
_COMMON_RANK = 500
_RARE_RANK = 10_000
_EVERYDAY_FLOOR = 0.25
FIX_CACHE = 4096
# A run of at least 20 words of which under 1 in 10 is a small word (the, my, is...) is a list
# or random text: in the tuning sets and the triage bank every message of 20 words or more
# has at least 27% of them; random word floods have under 4%.
WORD_LIST_MIN_WORDS = 20
WORD_LIST_MAX_SHARE = 0.1
#: The corpus and everyday questions use a few thousand words; hostile messages full of made-up
#: words must not grow memory for ever (65,536 entries of long junk words held about 20 MB).
STEM_CACHE = 8192
_DICTIONARY = resources.files("symspellpy") / "frequency_dictionary_en_82_765.txt"
#: Bumped when the layout of a remembered spelling file changes.
SPELLING_FORMAT = 1


@dataclass(frozen=True)
class Analysis:
    """What the tokenizer made of one text."""

    words: tuple[str, ...]
    terms: tuple[str, ...]
    corrections: tuple[tuple[str, str], ...] = ()

    def topicality(self) -> dict[str, float]:
        """Give, per term, how much the word behind it says about a topic (see topicality)."""
        weights: dict[str, float] = {}
        for word in self.words:
            term = stem(word)
            weights[term] = min(weights.get(term, 1.0), topicality(word))
        return weights

    @property
    def text(self) -> str:
        """The normalised, typo-corrected text, for pattern matching."""
        return " ".join(self.words)


def normalize(text: str) -> str:
    """Give text in NFKC, case-folded, without accents or apostrophes."""
    if text.isascii():
        return _APOSTROPHES.sub("", text.lower())
    folded = unicodedata.normalize("NFKC", text).casefold()
    decomposed = unicodedata.normalize("NFD", folded)
    bare = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    return _APOSTROPHES.sub("", bare)


def split_words(text: str) -> list[str]:
    """Give the Latin words and numbers of a text; "mg" after a number becomes "milligram"."""
    words = _WORD.findall(_THOUSANDS.sub(r"\1\2", normalize(text)))
    for i in range(1, len(words)):
        if words[i] in _UNITS and words[i - 1].isdigit():
            words[i] = "milligram"
    return words


@lru_cache(maxsize=STEM_CACHE)
def stem(word: str) -> str:
    """Give the English Snowball stem of a word (PyStemmer)."""
    return _stemmer()(word)


@cache
def _stemmer() -> Callable[[str], str]:
    stemmer: Callable[[str], str] = Stemmer.Stemmer("english").stemWord
    return stemmer


@cache
def english_frequencies() -> dict[str, int]:
    """Give how often each correctly spelled English word occurs (symspellpy's dictionary)."""
    fields = _DICTIONARY.read_text(encoding="utf-8").split()  # a third faster than by line
    return dict(zip(fields[::2], map(int, fields[1::2]), strict=True))


@cache
def english_words() -> frozenset[str]:
    """Give the correctly spelled English words."""
    return frozenset(english_frequencies())


@cache
def _background_scale() -> tuple[float, float, float]:
    counts = sorted(english_frequencies().values(), reverse=True)
    total = float(sum(counts))
    return total, math.log(total / counts[_COMMON_RANK]), math.log(total / counts[_RARE_RANK])


def topicality(word: str) -> float:
    """Give how much an unknown word says about a topic, from 0.25 (everyday) to 1 (rare).

    An everyday English word the corpus lacks ("wondered", "viewers") says little about
    what a question is about; a rare or unknown one ("tinnitus", "ozempic") says a lot.
    The scale is the word's IDF in general English, between the 500th and the 10,000th
    most frequent words.
    """
    count = english_frequencies().get(word)
    if count is None:
        return 1.0
    total, common, rare = _background_scale()
    share = (math.log(total / count) - common) / (rare - common)
    return min(1.0, max(_EVERYDAY_FLOOR, share))


class Analyzer:
    """Turns text into BM25 terms: normalise, correct typos, map synonyms, drop stop words, stem.

    Entries and questions go through the same steps. Typos are corrected towards the
    vocabulary: trusted words (synonyms, safety and scope rules) plus the corpus words that
    are not themselves rare misspellings of a more common corpus word.
    """

    def __init__(
        self,
        synonyms: Mapping[str, str],
        stopwords: Iterable[str],
        trusted: Iterable[str] = (),
        corpus_words: Iterable[str] = (),
        cache_dir: Path | None = None,
    ) -> None:
        """cache_dir: where the vocabulary and the corpus's corrections are remembered."""
        self._synonyms = dict(synonyms)
        self._phrases = {
            tuple(split_words(key)): tuple(split_words(value)) for key, value in synonyms.items()
        }
        self._longest = max((len(key) for key in self._phrases), default=1)
        self._starts = frozenset(key[0] for key in self._phrases if key)
        self._stopwords = frozenset(stopwords)
        self._trusted = frozenset(trusted) | {w for key in self._phrases for w in key}
        self._corpus_words = tuple(corpus_words)
        counts = Counter(self._corpus_words)
        self._store = _spelling_path(cache_dir, self._trusted, counts) if cache_dir else None
        remembered = _recall(self._store) if self._store else None
        self._vocabulary = remembered[0] if remembered else _vocabulary(self._trusted, counts)
        self._known = frozenset(self._vocabulary)
        # the corrections of the corpus's words: remembered, or learnt until remember()
        self._learnt: dict[str, str] = dict(remembered[1]) if remembered else {}
        self._learning = self._store is not None
        self._recalled = len(self._learnt) if remembered else -1
        # bounded: hostile messages full of unknown words must not grow memory for ever
        self._fix = lru_cache(maxsize=FIX_CACHE)(self._closest)

    def with_vocabulary(
        self, trusted: Iterable[str], corpus_words: Iterable[str], cache_dir: Path | None = None
    ) -> Analyzer:
        """Give a copy that corrects typos towards these words as well.

        With a cache_dir, the vocabulary is read from there when these words made it before,
        and the corrections learnt until remember() are stored there.
        """
        return Analyzer(
            self._synonyms,
            self._stopwords,
            (*self._trusted, *trusted),
            (*self._corpus_words, *corpus_words),
            cache_dir,
        )

    @property
    def recalled(self) -> bool:
        """Whether the vocabulary was read from the cache rather than made afresh."""
        return self._recalled >= 0

    def remember(self) -> None:
        """Store the corrections learnt so far (the corpus's, read at build) and learn no more.

        Whoever gives with_vocabulary() a cache_dir calls this once the corpus is read (the
        engine does, as it is built): messages read afterwards are never stored, so only
        corpus words reach the cache.
        """
        if not self._learning:
            return
        self._learning = False
        if self._store is not None and len(self._learnt) != self._recalled:
            _keep(self._store, self._vocabulary, self._learnt)

    def terms(self, text: str) -> tuple[str, ...]:
        """Give the terms of a document or query."""
        return self.analyze(text).terms

    def analyze(self, text: str) -> Analysis:
        """Give the words, typo corrections and terms of a text."""
        words = split_words(text)
        corrections: list[tuple[str, str]] = []
        for i, word in enumerate(words):
            fixed = self._correct(word)
            if fixed != word:
                corrections.append((word, fixed))
                words[i] = fixed
        return Analysis(tuple(words), self._terms(_mark_ages(words)), tuple(corrections))

    def _terms(self, words: list[str]) -> tuple[str, ...]:
        mapped = self._map_phrases(words)
        return tuple(stem(w) for w in mapped if w not in self._stopwords)

    def is_word_list(self, words: Sequence[str]) -> bool:
        """Tell whether words are a long run without the small words sentences need (the, my,
        is...): a pasted list or random text, not a message in language."""
        plain = [word for word in words if word.isalpha()]
        small = sum(word in self._stopwords for word in plain)
        return len(plain) >= WORD_LIST_MIN_WORDS and small < WORD_LIST_MAX_SHARE * len(plain)

    def _map_phrases(self, words: list[str]) -> list[str]:
        out: list[str] = []
        i = 0
        while i < len(words):
            if words[i] not in self._starts:
                out.append(words[i])
                i += 1
                continue
            for size in range(min(self._longest, len(words) - i), 0, -1):
                replacement = self._phrases.get(tuple(words[i : i + size]))
                if replacement is not None:
                    out.extend(replacement)
                    i += size
                    break
            else:
                out.append(words[i])
                i += 1
        return out

    def _correct(self, word: str) -> str:
        if len(word) < _MIN_CORRECTABLE or not word.isalpha():
            return word
        if word in self._stopwords or self._is_word(word):
            return word
        if word.endswith("in") and _is_english(word + "g") and not self._is_word(word + "e"):
            return word + "g"  # a dropped g: "kiddin", "breathin" (not "creatin": creatine)
        fixed = self._learnt.get(word)
        if fixed is None:
            fixed = self._fix(word)
            if self._learning:
                self._learnt[word] = fixed
        return fixed

    def _is_word(self, word: str) -> bool:
        """Tell whether a word is one never corrected: in the vocabulary, or English."""
        return word in self._known or _is_english(word)

    def _closest(self, word: str) -> str:
        return _closest(word, self._vocabulary)


def _vocabulary(trusted: frozenset[str], counts: Counter[str]) -> tuple[str, ...]:
    """Trusted words, plus corpus words that are not misspellings of far more common ones.

    A corpus word that is not English and lies within the typo distance of a word the
    corpus uses at least five times as often ("magnesuim" beside "magnesium") is a typo,
    kept in alternates on purpose; it is corrected like any other, not trusted.
    """
    usable = {w for w in (*trusted, *counts) if len(w) >= 3 and w.isalpha()}
    ranked = sorted(usable, key=lambda w: (-counts[w], w))
    frequencies = [-counts[w] for w in ranked]
    vocabulary = set()
    for word in usable:
        if word in trusted or _is_english(word) or len(word) < _MIN_CORRECTABLE:
            vocabulary.add(word)
            continue
        commoner = ranked[: bisect_right(frequencies, -5 * max(counts[word], 1))]
        if _closest(word, commoner) == word:
            vocabulary.add(word)
    return tuple(w for w in ranked if w in vocabulary)  # ties go to the commoner word


def _spelling_path(folder: Path, trusted: frozenset[str], counts: Counter[str]) -> Path | None:
    """Give the file that remembers the spelling made from these words, by this code (None
    when this code's source cannot be read, as in a zipped install: nothing is remembered)."""
    try:
        code = Path(__file__).read_bytes()
    except OSError:
        return None
    payload = [
        SPELLING_FORMAT,
        hashlib.sha256(code).hexdigest(),  # how corrections are made
        rapidfuzz.__version__,
        hashlib.sha256(_DICTIONARY.read_bytes()).hexdigest(),
        sorted(trusted),
        sorted(counts.items()),
    ]
    key = hashlib.sha256(json.dumps(payload).encode("utf-8")).hexdigest()
    return folder / f"spelling-{key}.json"


def _recall(path: Path) -> tuple[tuple[str, ...], dict[str, str]] | None:
    """Give the remembered vocabulary and corrections, or None if absent or unsound."""
    try:
        data: Any = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    if not isinstance(data, dict):
        return None
    vocabulary, fixes = data.get("vocabulary"), data.get("fixes")
    if not isinstance(vocabulary, list) or not all(isinstance(w, str) for w in vocabulary):
        return None
    if not isinstance(fixes, dict) or not all(isinstance(v, str) for v in fixes.values()):
        return None
    files.used(path)
    return tuple(vocabulary), fixes


def _keep(path: Path, vocabulary: Sequence[str], fixes: Mapping[str, str]) -> None:
    """Write the spelling atomically; give up silently when the cache is not writable."""
    text = json.dumps({"vocabulary": list(vocabulary), "fixes": dict(sorted(fixes.items()))})
    files.keep(path, text.encode("utf-8"))


def _is_english(word: str) -> bool:
    return word in english_words()


def _mark_ages(words: list[str]) -> list[str]:
    """Add "elderly" after an age of 60 or more and "child" after an age under 18."""
    out: list[str] = []
    for i, word in enumerate(words):
        out.append(word)
        if word.isdigit() and _is_age(words, i):
            age = int(word)
            if 60 <= age <= 110:
                out.append("elderly")
            elif 0 < age < 18:
                out.append("child")
    return out


def _is_age(words: list[str], i: int) -> bool:
    """Tell whether the number at i is someone's age: "72 years old", "im 72", "over 65"."""
    after = words[i + 1 : i + 4]
    before = words[max(i - 2, 0) : i]
    if after[:1] in (["yo"], ["yrs"], ["yr"], ["years"], ["year"]) and "old" in after:
        return True
    if after[:1] and after[0] in _NOT_AGES:
        return False
    return before in (["i", "am"], ["age"], ["aged"]) or before[-1:] in _AGE_LEADS


_AGE_LEADS = (["im"], ["aged"], ["age"], ["over"], ["is"], ["hes"], ["shes"], ["turned"])
_NOT_AGES = frozenset(
    {
        "milligram",
        "mg",
        "min",
        "mins",
        "minute",
        "minutes",
        "hour",
        "hours",
        "hr",
        "hrs",
        "days",
        "weeks",
        "months",
        "times",
        "percent",
        "pills",
        "tablets",
        "kg",
        "lbs",
    }
)


def _closest(word: str, vocabulary: Sequence[str]) -> str:
    limit = 1 if len(word) <= 5 else 2
    match = process.extractOne(
        word, vocabulary, scorer=DamerauLevenshtein.distance, score_cutoff=limit
    )
    return match[0] if match else word
