"""The ranking stage: a query's terms scored against every entry (BM25 over three fields)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from faq.index import Document, Index, TermScore
from faq.model import Entry, Hit
from faq.query import Query
from faq.scope import Scope
from faq.text import Analyzer

CANDIDATES = 5


@dataclass(frozen=True)
class Ranking:
    """The best entries for a query, with how sure the ranking is."""

    hits: tuple[Hit, ...]
    confidence: float = 0.0
    margin: float = 0.0
    exact: bool = False

    @property
    def score(self) -> float:
        """The top entry's raw score (0 when nothing matched)."""
        return self.hits[0].score if self.hits else 0.0


class Ranker:
    """Ranks entries for queries; built once per corpus."""

    def __init__(self, entries: Sequence[Entry], analyzer: Analyzer, scope: Scope) -> None:
        self._analyzer = analyzer
        self._scope = scope
        self.index = Index([document(entry, analyzer) for entry in entries])

    def rank(self, query: Query, k: int = CANDIDATES) -> Ranking:
        """Give the k best entries for the query and the confidence of the first."""
        terms = query.terms
        hits = tuple(self.index.search(terms, k))
        top = hits[0].score if hits else 0.0
        second = hits[1].score if len(hits) > 1 else 0.0
        ideal = self.index.ideal(terms, self._unknown_weights(query))
        confidence = top / ideal if ideal > 0 else 0.0
        margin = (top - second) / top if top > 0 else 0.0
        exact = bool(hits) and self.index.exact(terms) == hits[0].entry_id
        return Ranking(hits, confidence, margin, exact)

    def contributions(self, query: Query, entry_ids: Sequence[str]) -> list[TermScore]:
        """Give each query term's share of the named entries' scores."""
        return self.index.contributions(query.terms, entry_ids)

    def _unknown_weights(self, query: Query) -> dict[str, float]:
        """Everyday words count less against a question that is clearly about cramps."""
        if not self._scope.anchored(query.terms):
            return {}
        return query.analysis.topicality()


def document(entry: Entry, analyzer: Analyzer) -> Document:
    """Give the index document of an entry: its phrasings, answer and tags as terms."""
    phrasings = tuple(analyzer.terms(p) for p in (entry.question, *entry.alternates))
    tags = analyzer.terms(" ".join(entry.tags))
    return Document(entry.id, phrasings, analyzer.terms(entry.answer), tags)
