"""Compare rank-bm25 (the engine's lexical half) with bm25s on the same tokens.

Usage: pip install bm25s  (not a dependency of magbot: it pulls in scipy)
       python -m benchmarks.bench_bm25s [--sizes 27 1000 10000]

The documents are the question field of each entry as the engine analyses it, the queries the
questions of tests/eval/questions.tsv, analysed the same way: exactly what
benchmarks/bench_engine.py gives plain rank-bm25. Corpora beyond the shipped one are synthetic,
made as bench_engine.py makes them. bm25s uses method="robertson" with rank-bm25's k1 and b; the
two still differ for terms in over half the documents (rank-bm25 floors a negative IDF at a
fraction of the mean, bm25s at zero), so the share of queries whose top document agrees is shown.

Prints numbers only.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from collections.abc import Callable, Sequence

import numpy as np
from rank_bm25 import BM25Okapi

from benchmarks.bench_engine import load_questions, synthetic_corpus
from faq.build import engine_for, load_rules
from faq.corpus import load_corpus
from faq.ranking import document

try:
    import bm25s
except ImportError:
    sys.exit("bm25s is not installed: pip install bm25s")

BUILDS = 3


def main() -> None:
    """Time both libraries' index build and per-query scoring at each corpus size."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[27, 1000, 10000])
    args = parser.parse_args()
    real = load_corpus()
    rules = load_rules()
    questions = load_questions()
    print(f"bm25s {bm25s.__version__}; load average {os.getloadavg()[0]:.1f}")
    print("| Entries | build rank-bm25 | build bm25s | get_scores rank-bm25 p50 / p99 |", end="")
    print(" get_scores bm25s p50 / p99 | retrieve top 5 bm25s p50 / p99 | same top |")
    print("|---:|---:|---:|---:|---:|---:|---:|")
    for size in args.sizes:
        entries = real if size <= len(real) else synthetic_corpus(real, size)
        engine = engine_for(entries, rules, semantic=False)
        corpus = [list(document(entry, engine.analyzer).question_terms) for entry in entries]
        queries = [list(engine.analyzer.analyze(q).terms) for q in questions]
        queries = [q for q in queries if q]  # bm25s rejects an empty query
        print(_row(size, corpus, queries))


def _row(size: int, corpus: list[list[str]], queries: list[list[str]]) -> str:
    """Give one table row of timings for this corpus and these queries."""
    okapi_build = _best(lambda: BM25Okapi(corpus))
    bm25s_build = _best(lambda: _bm25s(corpus))
    okapi, fast = BM25Okapi(corpus), _bm25s(corpus)
    okapi_times = _each(lambda q: okapi.get_scores(q), queries)
    fast_times = _each(lambda q: fast.get_scores(q), queries)
    top_times = _each(lambda q: fast.retrieve([q], k=min(5, size), show_progress=False), queries)
    same = np.mean(
        [np.argmax(okapi.get_scores(q)) == np.argmax(fast.get_scores(q)) for q in queries]
    )
    return (
        f"| {size:,} | {okapi_build:,.1f} ms | {bm25s_build:,.1f} ms | {_cut(okapi_times)} "
        f"| {_cut(fast_times)} | {_cut(top_times)} | {same:.1%} |"
    )


def _bm25s(corpus: list[list[str]]) -> bm25s.BM25:
    retriever = bm25s.BM25(method="robertson", k1=1.5, b=0.75)
    retriever.index(corpus, show_progress=False)
    return retriever


def _best(build: Callable[[], object]) -> float:
    """Give the fastest of a few builds, in milliseconds."""
    times = []
    for _ in range(BUILDS):
        start = time.perf_counter_ns()
        build()
        times.append((time.perf_counter_ns() - start) / 1e6)
    return min(times)


def _each(action: Callable[[list[str]], object], queries: Sequence[list[str]]) -> list[float]:
    """Give the milliseconds each query took, after one untimed pass."""
    for query in queries[:50]:
        action(query)
    times = []
    for query in queries:
        start = time.perf_counter_ns()
        action(query)
        times.append((time.perf_counter_ns() - start) / 1e6)
    return times


def _cut(times: Sequence[float]) -> str:
    ordered = sorted(times)
    p99 = ordered[min(len(ordered) - 1, int(0.99 * len(ordered)))]
    return f"{statistics.median(ordered):.2f} / {p99:.2f} ms"


if __name__ == "__main__":
    main()
