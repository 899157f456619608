"""The one tokenizer, for entries and questions alike: text → normalised words → terms."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from functools import cache, lru_cache
from importlib import resources

from rapidfuzz import process
from rapidfuzz.distance import DamerauLevenshtein

_WORD = re.compile(r"[a-z]+|[0-9]+")
_APOSTROPHES = re.compile(r"['’‘`´]")
_UNITS = frozenset({"mg", "mgs"})
_MIN_CORRECTABLE = 4


@dataclass(frozen=True)
class Analysis:
    """What the tokenizer made of one text."""

    words: tuple[str, ...]
    terms: tuple[str, ...]
    corrections: tuple[tuple[str, str], ...] = ()

    @property
    def text(self) -> str:
        """The normalised, typo-corrected text, for pattern matching."""
        return " ".join(self.words)


def normalize(text: str) -> str:
    """Give text in NFKC, case-folded, without accents or apostrophes."""
    folded = unicodedata.normalize("NFKC", text).casefold()
    decomposed = unicodedata.normalize("NFD", folded)
    bare = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    return _APOSTROPHES.sub("", bare)


def split_words(text: str) -> list[str]:
    """Give the Latin words and numbers of a text; "mg" after a number becomes "milligram"."""
    words = _WORD.findall(normalize(text))
    for i in range(1, len(words)):
        if words[i] in _UNITS and words[i - 1].isdigit():
            words[i] = "milligram"
    return words


@lru_cache(maxsize=65536)
def stem(word: str) -> str:
    """Give the English Snowball stem of a word (PyStemmer when installed)."""
    return _stemmer()(word)


@cache
def _stemmer() -> Callable[[str], str]:
    try:
        import Stemmer  # PyStemmer: the C implementation of the same algorithm

        stemmer: Callable[[str], str] = Stemmer.Stemmer("english").stemWord
        return stemmer
    except ImportError:  # pragma: no cover - the pure-Python fallback
        import snowballstemmer

        fallback: Callable[[str], str] = snowballstemmer.stemmer("english").stemWord
        return fallback


@cache
def english_words() -> frozenset[str]:
    """Give a list of correctly spelled English words (symspellpy's frequency dictionary)."""
    path = resources.files("symspellpy") / "frequency_dictionary_en_82_765.txt"
    lines = path.read_text(encoding="utf-8").splitlines()
    return frozenset(line.split(" ", 1)[0] for line in lines if line)


class Analyzer:
    """Turns text into BM25 terms: normalise, correct typos, map synonyms, drop stop words, stem."""

    def __init__(
        self,
        synonyms: Mapping[str, str],
        stopwords: Iterable[str],
        vocabulary: Iterable[str] = (),
    ) -> None:
        self._phrases = {
            tuple(split_words(key)): tuple(split_words(value)) for key, value in synonyms.items()
        }
        self._longest = max((len(key) for key in self._phrases), default=1)
        self._stopwords = frozenset(stopwords)
        vocab = set(vocabulary) | {w for key in self._phrases for w in key}
        self._vocabulary = tuple(sorted(w for w in vocab if len(w) >= 3 and w.isalpha()))
        self._known = frozenset(self._vocabulary)

    def with_vocabulary(self, words: Iterable[str]) -> Analyzer:
        """Give a copy that corrects typos towards these words as well."""
        synonyms = {" ".join(k): " ".join(v) for k, v in self._phrases.items()}
        return Analyzer(synonyms, self._stopwords, (*self._vocabulary, *words))

    def terms(self, text: str) -> tuple[str, ...]:
        """Give the terms of a document or query, without typo correction."""
        return self._terms(split_words(text))

    def analyze(self, text: str) -> Analysis:
        """Give the words, typo corrections and terms of a question."""
        words = split_words(text)
        corrections: list[tuple[str, str]] = []
        for i, word in enumerate(words):
            fixed = self._correct(word)
            if fixed != word:
                corrections.append((word, fixed))
                words[i] = fixed
        return Analysis(tuple(words), self._terms(words), tuple(corrections))

    def _terms(self, words: list[str]) -> tuple[str, ...]:
        mapped = self._map_phrases(words)
        return tuple(stem(w) for w in mapped if w not in self._stopwords)

    def _map_phrases(self, words: list[str]) -> list[str]:
        out: list[str] = []
        i = 0
        while i < len(words):
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
        if word in self._known or word in self._stopwords or word in english_words():
            return word
        return _closest(word, self._vocabulary)


@lru_cache(maxsize=8192)
def _closest(word: str, vocabulary: tuple[str, ...]) -> str:
    limit = 1 if len(word) <= 5 else 2
    match = process.extractOne(
        word, vocabulary, scorer=DamerauLevenshtein.distance, score_cutoff=limit
    )
    return match[0] if match else word
