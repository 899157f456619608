"""Typo correction towards a vocabulary, remembered between starts: word → corrected word."""

from __future__ import annotations

import hashlib
import json
from bisect import bisect_right
from collections import Counter
from collections.abc import Mapping, Sequence
from functools import cache, lru_cache
from importlib import resources
from pathlib import Path
from typing import Any

import rapidfuzz
from rapidfuzz import process
from rapidfuzz.distance import DamerauLevenshtein

from faq import files

MIN_CORRECTABLE = 4
FIX_CACHE = 4096
_DICTIONARY = resources.files("symspellpy") / "frequency_dictionary_en_82_765.txt"
#: Words general English writes often that the dictionary lacks (scripts/common_words.py).
_COMMON = resources.files("faq") / "data" / "common-words.txt"
#: Bumped when the layout of a remembered spelling file changes.
SPELLING_FORMAT = 1


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
def common_words() -> frozenset[str]:
    """Give the words people write often that the dictionary lacks ("garmin", "tonite",
    "rehydration"): never typos, though they lie near a word of the vocabulary."""
    lines = _COMMON.read_text(encoding="utf-8").splitlines()
    return frozenset(line for line in lines if line and not line.startswith("#"))


class Speller:
    """Corrects words towards trusted words, corpus words and English, remembering its work.

    The vocabulary is the trusted words plus the corpus words that are not themselves rare
    misspellings of a more common corpus word. With a cache_dir, the vocabulary and the
    corrections of the words read until remember() are stored there, keyed by everything
    they are made from, and read back on the next start.
    """

    def __init__(
        self, trusted: frozenset[str], counts: Counter[str], cache_dir: Path | None = None
    ) -> None:
        """trusted: words never corrected; counts: how often the corpus uses each word."""
        self._store = _spelling_path(cache_dir, trusted, counts) if cache_dir else None
        remembered = _recall(self._store) if self._store else None
        self._vocabulary = remembered[0] if remembered else _vocabulary(trusted, counts)
        self._known = frozenset(self._vocabulary)
        # the corrections of the corpus's words: remembered, or learnt until remember()
        self._learnt: dict[str, str] = dict(remembered[1]) if remembered else {}
        self._learning = self._store is not None
        self._recalled = len(self._learnt) if remembered else -1
        # bounded: hostile messages full of unknown words must not grow memory for ever
        self._fix = lru_cache(maxsize=FIX_CACHE)(self._closest)

    @property
    def recalled(self) -> bool:
        """Whether the vocabulary was read from the cache rather than made afresh."""
        return self._recalled >= 0

    def is_word(self, word: str) -> bool:
        """Tell whether a word is one never corrected: in the vocabulary, or English."""
        return word in self._known or _is_english(word)

    def closest(self, word: str) -> str:
        """Give the vocabulary word a word is a typo of, or the word itself."""
        fixed = self._learnt.get(word)
        if fixed is None:
            fixed = self._fix(word)
            if self._learning:
                self._learnt[word] = fixed
        return fixed

    def remember(self) -> None:
        """Store the corrections learnt so far and learn no more."""
        if not self._learning:
            return
        self._learning = False
        if self._store is not None and len(self._learnt) != self._recalled:
            _keep(self._store, self._vocabulary, self._learnt)

    def _closest(self, word: str) -> str:
        if word in common_words():
            return word
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
        if word in trusted or _is_english(word) or len(word) < MIN_CORRECTABLE:
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
        hashlib.sha256(_COMMON.read_bytes()).hexdigest(),
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


def typo_distance(word: str) -> int:
    """Give how many edits (Damerau-Levenshtein) a typo of this word may be from the word
    meant: 1 for a word of up to 5 letters, else 2."""
    return 1 if len(word) <= 5 else 2


def _closest(word: str, vocabulary: Sequence[str]) -> str:
    match = process.extractOne(
        word, vocabulary, scorer=DamerauLevenshtein.distance, score_cutoff=typo_distance(word)
    )
    return match[0] if match else word
