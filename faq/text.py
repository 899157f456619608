"""The one tokenizer, for entries and questions alike: text → normalised words → terms."""

from __future__ import annotations

import math
import re
import unicodedata
from collections import Counter
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from functools import cache, lru_cache
from pathlib import Path

import Stemmer

from faq.spelling import MIN_CORRECTABLE, Speller, english_frequencies, english_words

_WORD = re.compile(r"[a-z]+|[0-9]+")
_OTHER_SCRIPT = re.compile(r"[^\W\da-z_]+")  # a run of letters outside the Latin script
_APOSTROPHES = re.compile(r"['’‘`´]")
_UNITS = frozenset({"mg", "mgs"})
_THOUSANDS = re.compile(r"(\d),(\d{3})\b")
# "heart attack" as typed: run together ("heartattack"), or with a "heart" that is a word of
# its own or lies nearer another ("hart", "hert", which the typo corrector made "her"); read
# as the two words, so every rule and model that knows the phrase knows these too, and a
# sentence holds as many words as its reading (a typo of "attack" is corrected later)
_ATTACK = r"att?a?c?k+s?"
_HEART_ATTACK_AS_ONE = re.compile(rf"(?:heart|hart|hert|herat|haert)({_ATTACK})")
_HEART_AS_TYPED = frozenset({"hart", "hert", "herat", "haert", "hearth"})
_ATTACK_AS_TYPED = re.compile(_ATTACK)
_COMMON_RANK = 500
_RARE_RANK = 10_000
_EVERYDAY_FLOOR = 0.25
# A run of at least 20 words of which under 1 in 10 is a small word (the, my, is...) is a list
# or random text: in the tuning sets and the triage bank every message of 20 words or more
# has at least 27% of them; random word floods have under 4%.
WORD_LIST_MIN_WORDS = 20
WORD_LIST_MAX_SHARE = 0.1
# A message of at least 4 words of which fewer than half are English or the corpus's is in
# another language, or mostly so ("beta ne poori strip kha li magnesium ki, 2 saal ka hai"),
# as is one with letters of another script and no Latin words ("мой сын выпил все таблетки"):
# the rules and models read English, so they cannot tell what it describes. Of the 41,360
# messages of the evaluation sets, 90 are such: Tagalog, Hindi-English, Quebec French,
# Spanish, Portuguese, Russian and Turkish beside English, Jamaican Creole and Tok Pisin, a
# few fragments spelled by ear ("thrat swellin.. cnt swalow"), lorem ipsum, keyboard noise.
FOREIGN_MIN_WORDS = 4
FOREIGN_MAX_SHARE = 0.5
#: The corpus and everyday questions use a few thousand words; hostile messages full of made-up
#: words must not grow memory for ever (65,536 entries of long junk words held about 20 MB).
STEM_CACHE = 8192


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
    words = _heart_attack(_WORD.findall(_THOUSANDS.sub(r"\1\2", normalize(text))))
    for i in range(1, len(words)):
        if words[i] in _UNITS and words[i - 1].isdigit():
            words[i] = "milligram"
    return words


def _heart_attack(words: list[str]) -> list[str]:
    """Give the words with "heart attack" as typed read as those two words."""
    out: list[str] = []
    for i, word in enumerate(words):
        joined = _HEART_ATTACK_AS_ONE.fullmatch(word)
        if joined:
            out += ["heart", joined[1]]
        elif word in _HEART_AS_TYPED and i + 1 < len(words):
            out.append("heart" if _ATTACK_AS_TYPED.fullmatch(words[i + 1]) else word)
        else:
            out.append(word)
    return out


@lru_cache(maxsize=STEM_CACHE)
def stem(word: str) -> str:
    """Give the English Snowball stem of a word (PyStemmer)."""
    return _stemmer()(word)


@cache
def _stemmer() -> Callable[[str], str]:
    stemmer: Callable[[str], str] = Stemmer.Stemmer("english").stemWord
    return stemmer


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
        self._speller = Speller(self._trusted, Counter(self._corpus_words), cache_dir)

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
        return self._speller.recalled

    def remember(self) -> None:
        """Store the corrections learnt so far (the corpus's, read at build) and learn no more.

        Whoever gives with_vocabulary() a cache_dir calls this once the corpus is read (the
        engine does, as it is built): messages read afterwards are never stored, so only
        corpus words reach the cache.
        """
        self._speller.remember()

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

    def is_foreign(self, text: str) -> bool:
        """Tell whether a text is in another language, which nothing here can read: letters of
        another script, or mostly words that are neither English nor the corpus's or rules'."""
        latin = [word for word in split_words(text) if word.isalpha() and len(word) > 1]
        other = _OTHER_SCRIPT.findall(normalize(text))
        if other and not latin:
            return True
        known = sum(self._is_known(word) for word in latin)
        total = len(latin) + len(other)
        return total >= FOREIGN_MIN_WORDS and known < FOREIGN_MAX_SHARE * total

    def _is_known(self, word: str) -> bool:
        """Tell whether a word is one never corrected: a stop word, a rule's, or a known word."""
        return word in self._stopwords or word in self._trusted or self._speller.is_word(word)

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
        if len(word) < MIN_CORRECTABLE or not word.isalpha():
            return word
        if self._is_known(word):
            return word
        if (
            word.endswith("in")
            and word + "g" in english_words()
            and not self._speller.is_word(word + "e")
        ):
            return word + "g"  # a dropped g: "kiddin", "breathin" (not "creatin": creatine)
        return self._speller.closest(word)


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
