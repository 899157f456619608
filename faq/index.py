"""rank-bm25 wrapped: entries → two weighted fields → ranked hits for a list of terms."""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np
from rank_bm25 import BM25Okapi

from faq.model import Hit

QUESTION_WEIGHT = 1.0
ANSWER_WEIGHT = 0.35
PHRASING_WEIGHT = 1.0
IDEAL_TERMS = 8  # chosen on the tuning sets (7-10 all close; 8 best)


class LuceneBM25(BM25Okapi):  # type: ignore[misc]  # rank-bm25 ships no type hints
    """BM25Okapi with Lucene's IDF, log(1 + (N - n + 0.5) / (n + 0.5)), scored from postings.

    BM25Okapi floors the IDF of any term found in half the documents or more to a
    small epsilon, so in a small corpus where "magnesium" and "cramp" are everywhere
    those words weigh the same as a word found nowhere. Lucene's IDF stays positive
    and still orders common terms below rare ones.

    rank-bm25 scores a term by visiting every document; this subclass keeps a posting
    list per term and visits only the documents that contain it. The formula is
    rank-bm25's own (tests compare the two).
    """

    def __init__(self, corpus: list[list[str]], k1: float = 1.5, b: float = 0.75) -> None:
        super().__init__(corpus, k1=k1, b=b)
        lengths = np.asarray(self.doc_len, dtype=float)
        self._norm = k1 * (1 - b + b * lengths / self.avgdl)
        self._postings = _postings(self.doc_freqs)

    def _calc_idf(self, nd: dict[str, int]) -> None:
        for word, freq in nd.items():
            self.idf[word] = math.log(1 + (self.corpus_size - freq + 0.5) / (freq + 0.5))

    def get_scores(self, query: list[str]) -> np.ndarray:
        """Give every document's BM25 score for the query terms."""
        score = np.zeros(self.corpus_size)
        for term in query:
            posting = self._postings.get(term)
            if posting is not None:
                docs, freqs = posting
                gain = freqs * (self.k1 + 1) / (freqs + self._norm[docs])
                score[docs] += self.idf[term] * gain
        return score


def _postings(doc_freqs: list[dict[str, int]]) -> dict[str, tuple[np.ndarray, np.ndarray]]:
    docs: dict[str, list[int]] = {}
    freqs: dict[str, list[int]] = {}
    for doc, counts in enumerate(doc_freqs):
        for term, count in counts.items():
            docs.setdefault(term, []).append(doc)
            freqs.setdefault(term, []).append(count)
    return {
        term: (np.asarray(docs[term], dtype=np.intp), np.asarray(freqs[term], dtype=float))
        for term in docs
    }


@dataclass(frozen=True)
class Document:
    """One entry as the index sees it: its id, each phrasing's terms, and the answer's terms.

    `phrasings` holds the question and every alternate; `extra_terms` (tags) join the
    question field only.
    """

    entry_id: str
    phrasings: tuple[tuple[str, ...], ...]
    answer_terms: tuple[str, ...]
    extra_terms: tuple[str, ...] = ()

    @property
    def question_terms(self) -> tuple[str, ...]:
        """Give the question field: every phrasing and tag in one bag of terms."""
        return tuple(t for phrasing in self.phrasings for t in phrasing) + self.extra_terms


@dataclass(frozen=True)
class TermScore:
    """How much one query term added to one entry's score."""

    term: str
    entry_id: str
    score: float


class Index:
    """Scores entries for a query: question and alternates weighted over the answer text.

    Three fields add up: all phrasings of an entry as one bag of terms, the single
    phrasing that matches best (so one close paraphrase counts even among many
    alternates), and the answer text at a lower weight.
    """

    def __init__(self, documents: Sequence[Document]) -> None:
        if not documents:
            raise ValueError("cannot index an empty corpus")
        self.ids = tuple(doc.entry_id for doc in documents)
        self._questions = LuceneBM25([list(doc.question_terms) or [""] for doc in documents])
        self._answers = LuceneBM25([list(doc.answer_terms) or [""] for doc in documents])
        self._exact = _unique_phrasings(documents)
        owners = [i for i, doc in enumerate(documents) for _ in doc.phrasings]
        phrasings = [list(p) or [""] for doc in documents for p in doc.phrasings]
        self._owners = np.asarray(owners, dtype=np.intp)
        self._phrasings = LuceneBM25(phrasings) if phrasings else None
        fields = (self._questions, self._answers, self._phrasings)
        # a term a field lacks counts at that field's highest IDF
        self._max_idf = {id(f): max(f.idf.values(), default=0.0) for f in fields if f is not None}

    def scores(self, terms: Sequence[str]) -> np.ndarray:
        """Give every entry's score for these terms, in index order."""
        query = list(terms)
        total = QUESTION_WEIGHT * np.asarray(self._questions.get_scores(query))
        total += ANSWER_WEIGHT * np.asarray(self._answers.get_scores(query))
        if self._phrasings is not None:
            best = np.zeros(len(self.ids))
            np.maximum.at(best, self._owners, np.asarray(self._phrasings.get_scores(query)))
            total += PHRASING_WEIGHT * best
        return total

    def search(self, terms: Sequence[str], k: int = 5) -> list[Hit]:
        """Give the k best entries, best first, ties broken by index order."""
        scores = self.scores(terms)
        order = np.argsort(-scores, kind="stable")[:k]
        return [Hit(self.ids[i], float(scores[i])) for i in order]

    def ideal(self, terms: Sequence[str], unknown: Mapping[str, float] | None = None) -> float:
        """Give the score a perfect match for the query's most telling terms would approach.

        A term the corpus has never seen counts at the highest IDF, times its weight in
        `unknown` (1 when not given), so questions about things the corpus does not cover
        get a low normalised score. Only the IDEAL_TERMS most telling terms count: a long
        question is still about a handful of things, and its every word should not have
        to match for the answer to be a confident one.
        """
        weights = unknown or {}
        fields = [(QUESTION_WEIGHT, self._questions), (ANSWER_WEIGHT, self._answers)]
        if self._phrasings is not None:
            fields.append((PHRASING_WEIGHT, self._phrasings))
        per_term = sorted(
            (
                sum(
                    weight * (bm25.k1 + 1) * self._field_idf(bm25, term, weights.get(term, 1.0))
                    for weight, bm25 in fields
                )
                for term in set(terms)
            ),
            reverse=True,
        )
        return float(sum(per_term[:IDEAL_TERMS]))

    def _field_idf(self, bm25: BM25Okapi, term: str, unknown_weight: float) -> float:
        if term in bm25.idf:
            return float(bm25.idf[term])
        return unknown_weight * self._max_idf[id(bm25)]

    def contributions(self, terms: Sequence[str], entry_ids: Sequence[str]) -> list[TermScore]:
        """Give each distinct term's share of the score of each named entry; shares add up."""
        rows = [self.ids.index(entry_id) for entry_id in entry_ids]
        query = list(terms)
        best = self._best_phrasings(query)
        out: list[TermScore] = []
        for term, count in Counter(query).items():
            share = QUESTION_WEIGHT * np.asarray(self._questions.get_scores([term]))
            share += ANSWER_WEIGHT * np.asarray(self._answers.get_scores([term]))
            if self._phrasings is not None:
                phrasing = np.asarray(self._phrasings.get_batch_scores([term], best))
                share += PHRASING_WEIGHT * phrasing
            out.extend(TermScore(term, self.ids[r], float(count * share[r])) for r in rows)
        return out

    def _best_phrasings(self, query: list[str]) -> list[int]:
        """Give, per entry, the index of its phrasing that scores highest for the query."""
        if self._phrasings is None:
            return []
        scores = np.asarray(self._phrasings.get_scores(query))
        best = [-1] * len(self.ids)
        for doc, owner in enumerate(self._owners):
            if best[owner] < 0 or scores[doc] > scores[best[owner]]:
                best[owner] = doc
        return best

    def exact(self, terms: Sequence[str]) -> str | None:
        """Give the entry one of whose phrasings has exactly these terms, if only one does."""
        return self._exact.get(tuple(terms)) if terms else None


def _unique_phrasings(documents: Sequence[Document]) -> dict[tuple[str, ...], str]:
    owners: dict[tuple[str, ...], set[str]] = {}
    for doc in documents:
        for phrasing in doc.phrasings:
            owners.setdefault(phrasing, set()).add(doc.entry_id)
    return {terms: ids.pop() for terms, ids in owners.items() if len(ids) == 1}
