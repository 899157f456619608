"""Time the hybrid engine: build, answer() p50/p99, peak memory; shipped or synthetic corpus.

Usage: python -m benchmarks.bench_hybrid [--questions N] [--entries N]

Without --entries: the shipped corpus, with the embedding cache as found (warm after one run).
With --entries 1000 or 10000: the shipped entries plus synthetic ones made as
benchmarks/bench_engine.py makes them. Embedding their ~10 phrasings each with the real encoder
would take hours, so each synthetic phrasing gets a real phrasing's vector, perturbed by
Gaussian noise (sigma 0.03 per dimension, then renormalised: cosine about 0.86 with the
original), planted in a temporary embedding cache. The build then reads every vector from that
cache, as a warm start does; the timed work (analysing every phrasing, BM25 index, cache reads,
encoding the questions, scoring every phrasing) is the real engine's. Run one size per process,
so the peak memory is that size's.

Prints numbers only; the README quotes them with the machine they were measured on.
"""

from __future__ import annotations

import argparse
import os
import resource
import statistics
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from benchmarks.bench_engine import synthetic_corpus
from faq.build import Rules, build_engine, engine_for, load_rules
from faq.corpus import load_corpus
from faq.engine import Engine
from faq.maintain import evaluate
from faq.model import Entry
from faq.query import WINDOW_CHARS
from faq.semantic import Encoder, Vectors, cache_key, cached_encode, default_cache_dir

EVAL = Path(__file__).resolve().parents[1] / "tests" / "eval"
NOISE = 0.03
SEED = 20261130
ONE_TOKEN_WORDS = (
    "my",
    "leg",
    "hurts",
    "every",
    "night",
    "and",
    "i",
    "wonder",
    "if",
    "it",
    "would",
    "help",
)
WARM_UP = ("hello", "does magnesium help leg cramps", "my calf cramps. " * 40)


def main() -> None:
    """Build the engine once and time answers to the tuning questions."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--questions", type=int, default=400)
    parser.add_argument("--entries", type=int, default=0, help="synthetic corpus of this size")
    args = parser.parse_args()
    sets = [evaluate.read_examples(EVAL / name) for name in ("dev.tsv", "dev3.tsv")]
    questions = [example.question for examples in sets for example in examples][: args.questions]
    with tempfile.TemporaryDirectory(prefix="magbot-bench-") as folder:
        if args.entries:
            entries = synthetic_corpus(load_corpus(), args.entries)
            rules = load_rules()
            _plant_vectors(entries, rules, Path(folder))
            os.environ["MAGBOT_CACHE_DIR"] = folder
            started = time.perf_counter()
            engine = engine_for(entries, rules, semantic=True)
        else:
            started = time.perf_counter()
            engine = build_engine(semantic=True)
        built = time.perf_counter() - started
        if args.entries:
            _check_no_vector_was_computed(Path(folder), len(entries) + 1)
    _report(engine, questions, built)


def _report(engine: Engine, questions: Sequence[str], built: float) -> None:
    """Time answer() per question and print the figures."""
    for message in WARM_UP:  # first-call costs (lazy loads) belong to start-up
        engine.answer(message)
    times: list[float] = []
    short: list[float] = []
    long: list[float] = []
    for question in questions:
        start = time.perf_counter_ns()
        engine.answer(question)
        elapsed = (time.perf_counter_ns() - start) / 1e6
        times.append(elapsed)
        (short if len(question) <= WINDOW_CHARS else long).append(elapsed)
    phrasings = sum(1 + len(e.alternates) + bool(e.tags) for e in engine.entries)
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"entries: {len(engine.entries):,} ({phrasings:,} phrasings embedded)")
    print(f"build (embedding cache warm): {built * 1000:,.0f} ms")
    print(f"answer() over {len(times)} questions: {_percentiles(times)}")
    print(f"  the {len(short)} up to {WINDOW_CHARS} characters: {_percentiles(short)}")
    if long:  # also read in sentence windows: embedded twice
        print(f"  the {len(long)} longer: {_percentiles(long)}, max {max(long):.1f} ms")
    print(f"peak memory: {peak:.0f} MB; load average {os.getloadavg()[0]:.1f}")
    if engine.encoder is not None:
        print(f"encoder alone, one text of N tokens: {_by_length(engine.encoder)}")


def _by_length(encoder: Encoder) -> str:
    """Give the median time to embed one text of 16, 32, 64, 128 and 256 tokens."""
    words = ONE_TOKEN_WORDS
    cells = []
    for tokens in (16, 32, 64, 128, 256):
        text = " ".join((words * tokens)[: tokens - 2])  # plus [CLS] and [SEP]
        encoder.encode([text])
        times = []
        for _ in range(15):
            start = time.perf_counter_ns()
            encoder.encode([text])
            times.append((time.perf_counter_ns() - start) / 1e6)
        cells.append(f"{tokens}: {statistics.median(times):.1f} ms")
    return ", ".join(cells)


def _percentiles(times: Sequence[float]) -> str:
    ordered = sorted(times)
    p99 = ordered[min(len(ordered) - 1, int(0.99 * len(ordered)))]
    return f"p50 {statistics.median(ordered):.1f} ms, p99 {p99:.1f} ms"


def _plant_vectors(entries: Sequence[Entry], rules: Rules, cache: Path) -> None:
    """Fill the cache with real vectors for the real entries, perturbed ones for the rest."""
    encoder = Encoder.load(rules.folder / "model")
    read = engine_for(entries, rules, semantic=False).analyzer.analyze  # the engine's reading
    real_ids = {entry.id for entry in load_corpus()}
    pool = []
    for entry in (e for e in entries if e.id in real_ids):
        texts = [read(text).text for text in _phrasings(entry)]
        pool.append(_plant(cache, encoder, texts, cached_encode(encoder, texts)))
    outside = [read(text).text for text in rules.outside]
    _plant(cache, encoder, outside, cached_encode(encoder, outside, default_cache_dir()))
    vectors = np.concatenate(pool)
    rng = np.random.default_rng(SEED)
    for entry in (e for e in entries if e.id not in real_ids):
        texts = [read(text).text for text in _phrasings(entry)]
        picked = vectors[rng.integers(len(vectors), size=len(texts))]
        noisy = picked + rng.normal(0.0, NOISE, picked.shape).astype(np.float32)
        _plant(cache, encoder, texts, noisy / np.linalg.norm(noisy, axis=1, keepdims=True))


def _phrasings(entry: Entry) -> list[str]:
    """The texts the semantic index embeds per entry (as faq.ranking does)."""
    tags = [" ".join(entry.tags)] if entry.tags else []
    return [entry.question, *entry.alternates, *tags]


def _plant(cache: Path, encoder: Encoder, texts: list[str], vectors: Vectors) -> Vectors:
    """Store vectors where cached_encode() will look for these texts; give them back."""
    vectors = vectors.astype(np.float32)
    np.save(cache / f"embeddings-{cache_key(encoder, texts)}.npy", vectors, allow_pickle=False)
    return vectors


def _check_no_vector_was_computed(cache: Path, planted: int) -> None:
    """Fail loudly when the engine embedded anything itself: the plant missed."""
    found = len(list(cache.glob("embeddings-*.npy")))
    if found != planted:
        raise SystemExit(f"{found - planted} texts were embedded at build: the figures are off")


if __name__ == "__main__":
    main()
