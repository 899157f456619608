"""The index: Lucene IDF and posting-list scoring agree with rank-bm25's own formula."""

import math

import numpy as np
import pytest
from rank_bm25 import BM25Okapi

from faq.build import build_engine
from faq.index import Index, LuceneBM25
from faq.ranking import document

CORPUS = [
    ["magnesium", "cramp", "leg"],
    ["magnesium", "cramp", "pregnant"],
    ["magnesium", "oil", "topical", "topical"],
    ["magnesium", "cramp", "dose", "milligram"],
    ["quinine", "tonic", "cramp"],
]


class _PlainLucene(BM25Okapi):  # type: ignore[misc]  # rank-bm25 ships no type hints
    """rank-bm25's own scoring loop with the same IDF, as the reference."""

    def _calc_idf(self, nd: dict[str, int]) -> None:
        for word, freq in nd.items():
            self.idf[word] = math.log(1 + (self.corpus_size - freq + 0.5) / (freq + 0.5))


@pytest.mark.parametrize(
    "query",
    [["magnesium"], ["cramp", "pregnant"], ["topical", "oil", "oil"], ["unknown"], []],
)
def test_posting_scores_equal_rank_bm25s_loop(query: list[str]) -> None:
    ours = LuceneBM25(CORPUS).get_scores(query)
    reference = _PlainLucene(CORPUS).get_scores(query)

    assert np.allclose(ours, reference)


def test_a_term_in_most_documents_keeps_a_positive_idf_below_a_rare_one() -> None:
    index = LuceneBM25(CORPUS)

    assert 0 < index.idf["magnesium"] < index.idf["pregnant"]


def test_okapi_would_floor_the_common_terms_that_lucene_keeps_apart() -> None:
    okapi = BM25Okapi(CORPUS)

    assert okapi.idf["magnesium"] == okapi.idf["cramp"]


def test_the_shipped_index_scores_match_rank_bm25_on_real_queries() -> None:
    engine = build_engine()
    documents = [list(document(entry, engine.analyzer).question_terms) for entry in engine.entries]
    ours, reference = LuceneBM25(documents), _PlainLucene(documents)
    for question in ("is mag oil any good", "pregnant and cramping", "how much is too much"):
        terms = list(engine.analyzer.terms(question))
        assert np.allclose(ours.get_scores(terms), reference.get_scores(terms))


def test_the_engine_indexes_each_entry_as_its_analyzer_reads_it() -> None:
    engine = build_engine()
    fresh = Index([document(entry, engine.analyzer) for entry in engine.entries])
    for question in ("is mag oil any good", "pregnant and cramping", "magnesuim for cramps"):
        terms = list(engine.analyzer.terms(question))
        assert np.array_equal(engine.ranker.index.scores(terms), fresh.scores(terms))
