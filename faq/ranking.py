"""The ranking stage: BM25 (lexical) and sentence-embedding cosine (semantic), fused per entry."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

import numpy as np

from faq.index import Document, Index, TermScore
from faq.model import Entry, Hit
from faq.query import Query
from faq.scope import Scope
from faq.semantic import Encoder, Vectors, cached_encode
from faq.topics import TopicHead, TopicScores

CANDIDATES = 5


class Reader(Protocol):
    """What makes index documents: an Analyzer, or a memo over one during a build."""

    def terms(self, text: str) -> tuple[str, ...]:
        """Give the BM25 terms of a text."""
        ...


@dataclass(frozen=True)
class Ranking:
    """The best entries for a query, with what the decision needs to know about them."""

    hits: tuple[Hit, ...]
    confidence: float = 0.0  # the lexical top score over the ideal score of the query
    margin: float = 0.0  # how far the lexical top is ahead of the lexical runner-up
    exact: bool = False  # word for word a phrasing the maintainers wrote for the top entry
    semantic_top: float = 0.0  # the best cosine of any entry
    semantic_margin: float = 0.0  # its lead over the next entry's
    agree: bool = False  # lexical and semantic rank the same entry first
    outside: float = 0.0  # the best cosine with the bank of out-of-scope examples
    terms: int = 0  # how many distinct terms the query has
    topics: Topics | None = None  # what the topic head says, when there is one that fits
    unanimous: bool = False  # BM25, the embedding and the topic head each rank the top first

    @property
    def score(self) -> float:
        """The top entry's fused score (0 when nothing matched)."""
        return self.hits[0].score if self.hits else 0.0


@dataclass(frozen=True)
class Topics:
    """What the topic head says of a query, beside the fused ranking."""

    top: float  # its probability of the fused ranking's top entry
    best: float  # its highest probability of any entry
    outside: float  # its probability that no entry answers the message
    agree: bool  # its likeliest entry is the fused ranking's top entry


@dataclass(frozen=True)
class Fusion:
    """How the scores add up: the lexical share of lexical and semantic, plus the topic head's
    probability times its weight (chosen by cross-validation, in decision.yaml); without the
    head's probabilities, the lexical share fitted without them."""

    lexical: float = 1.0
    topic: float = 0.0
    alone: float | None = None  # the lexical share without topics (None: the same)

    def fuse(
        self, lexical: np.ndarray, semantic: np.ndarray, topics: TopicScores | None
    ) -> np.ndarray:
        """Give every entry's fused score."""
        if topics is None:
            share = self.lexical if self.alone is None else self.alone
            return share * lexical + (1 - share) * semantic
        fused = self.lexical * lexical + (1 - self.lexical) * semantic
        return fused + self.topic * topics.entries


LEXICAL_ONLY = Fusion()


class SemanticIndex:
    """Every phrasing of every entry as a unit vector; an entry scores its best cosine."""

    def __init__(
        self,
        entries: Sequence[Entry],
        encoder: Encoder,
        cache: Path | None = None,
        outside: Sequence[str] = (),
        read: Callable[[str], str] = str,
    ) -> None:
        """read: how a text is normalised before embedding (as queries are)."""
        # cached per entry, so editing one entry re-embeds only its phrasings
        blocks = [
            cached_encode(encoder, [read(text) for text in _phrasings(entry)], cache)
            for entry in entries
        ]
        self._vectors = np.concatenate(blocks) if blocks else np.zeros((0, encoder.dim))
        self._owners = np.repeat(np.arange(len(blocks)), [len(b) for b in blocks])
        self._size = len(entries)
        texts = [read(text) for text in outside]
        self._outside = cached_encode(encoder, texts, cache) if texts else None

    def scores(self, vector: Vectors) -> Vectors:
        """Give each entry's best cosine with the query vector, in index order."""
        best = np.full(self._size, -1.0, dtype=np.float32)
        np.maximum.at(best, self._owners, self._vectors @ vector)
        return best

    def outside(self, vector: Vectors) -> float:
        """Give the best cosine of the query with the out-of-scope bank (0 without one)."""
        if self._outside is None or not len(self._outside):
            return 0.0
        return float(np.max(self._outside @ vector))


class Ranker:
    """Ranks entries for queries; built once per corpus."""

    def __init__(
        self,
        entries: Sequence[Entry],
        analyzer: Reader,
        scope: Scope,
        semantic: SemanticIndex | None = None,
        fusion: Fusion | None = None,
        topic_head: TopicHead | None = None,
    ) -> None:
        self._scope = scope
        self.index = Index([document(entry, analyzer) for entry in entries])
        self.semantic = semantic
        self.fusion = fusion if semantic is not None and fusion is not None else LEXICAL_ONLY
        self.topic_head = topic_head if semantic is not None else None

    def rank(self, query: Query, k: int = CANDIDATES) -> Ranking:
        """Give the k best entries for the query and what the decision needs about them."""
        lexical, semantic = self.scores(query)
        return self.ranking(query, lexical, semantic, self.topic_scores(query), k)

    def scores(self, query: Query) -> tuple[np.ndarray, np.ndarray]:
        """Give every entry's lexical and semantic score, in index order."""
        ideal = self.index.ideal(query.terms, self._unknown_weights(query))
        size = len(self.index.ids)
        lexical = self.index.scores(query.terms) / ideal if ideal > 0 else np.zeros(size)
        return lexical, self._semantic(query)

    def topic_scores(self, query: Query) -> TopicScores | None:
        """Give the topic head's probabilities (None: no head, no vector, or a stale head)."""
        if self.topic_head is None or query.vector is None:
            return None
        return self.topic_head.scores(query.vector, self.index.ids)

    def ranking(
        self,
        query: Query,
        lexical: np.ndarray,
        semantic: np.ndarray,
        topics: TopicScores | None = None,
        k: int = CANDIDATES,
        fusion: Fusion | None = None,
    ) -> Ranking:
        """Give the ranking that fuses these scores with the fusion weights (the fitted ones)."""
        terms = query.terms
        fused = (fusion or self.fusion).fuse(lexical, semantic, topics)
        order = np.argsort(-fused, kind="stable")[:k]
        hits = tuple(
            Hit(
                self.index.ids[i],
                float(fused[i]),
                float(lexical[i]),
                float(semantic[i]),
                None if topics is None else float(topics.entries[i]),
            )
            for i in order
        )
        lex_top, lex_second = _top_two(lexical)
        sem_top, sem_second = _top_two(semantic)
        return Ranking(
            hits,
            confidence=float(lexical[lex_top]),
            margin=_lead(lexical, lex_top, lex_second),
            exact=bool(hits) and self.index.exact(terms) == hits[0].entry_id,
            semantic_top=float(semantic[sem_top]),
            semantic_margin=float(semantic[sem_top] - semantic[sem_second]),
            agree=self.semantic is not None and lex_top == sem_top,
            outside=self._outside(query),
            terms=len(set(terms)),
            topics=_topics(topics, order, hits),
            unanimous=self.semantic is not None
            and _unanimous(order, lexical, lex_top, sem_top, topics),
        )

    def contributions(self, query: Query, entry_ids: Sequence[str]) -> list[TermScore]:
        """Give each query term's share of the named entries' BM25 scores."""
        return self.index.contributions(query.terms, entry_ids)

    def _semantic(self, query: Query) -> Vectors:
        if self.semantic is None or query.vector is None:
            return np.zeros(len(self.index.ids), dtype=np.float32)
        return self.semantic.scores(query.vector)

    def _outside(self, query: Query) -> float:
        if self.semantic is None or query.vector is None:
            return 0.0
        return self.semantic.outside(query.vector)

    def _unknown_weights(self, query: Query) -> dict[str, float]:
        """Everyday words count less against a question that is clearly about cramps."""
        if not self._scope.anchored(query.terms):
            return {}
        return query.analysis.topicality()


def _topics(topics: TopicScores | None, order: np.ndarray, hits: tuple[Hit, ...]) -> Topics | None:
    if topics is None or not hits:
        return None
    best = int(np.argmax(topics.entries))
    top = float(topics.entries[order[0]])
    return Topics(top, float(topics.entries[best]), topics.outside, best == int(order[0]))


def _unanimous(
    order: np.ndarray, lexical: np.ndarray, lex_top: int, sem_top: int, topics: TopicScores | None
) -> bool:
    """True when BM25 (with a match), the embedding and the topic head each rank order[0] first.

    The head's "outside" does not veto: requiring the top entry to beat it cost 29 right
    answers (offered instead) for 4 fewer out-of-scope answers on the locked sets (session 72).
    """
    if topics is None or not len(order) or lexical[lex_top] <= 0:
        return False
    return lex_top == sem_top == int(order[0]) == int(np.argmax(topics.entries))


def _phrasings(entry: Entry) -> list[str]:
    tags = [" ".join(entry.tags)] if entry.tags else []
    return [entry.question, *entry.alternates, *tags]


def document(entry: Entry, analyzer: Reader) -> Document:
    """Give the index document of an entry: its phrasings, answer and tags as terms."""
    phrasings = tuple(analyzer.terms(p) for p in (entry.question, *entry.alternates))
    tags = analyzer.terms(" ".join(entry.tags))
    return Document(entry.id, phrasings, analyzer.terms(entry.answer), tags)


def _top_two(scores: np.ndarray) -> tuple[int, int]:
    order = np.argsort(-scores, kind="stable")
    return int(order[0]), int(order[1] if len(order) > 1 else order[0])


def _lead(scores: np.ndarray, top: int, second: int) -> float:
    best = float(scores[top])
    return (best - float(scores[second])) / best if best > 0 else 0.0
