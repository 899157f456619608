"""Measure magbot: answer() latency, index build time, raw rank-bm25, and `magbot ask` start-up.

Run from the repository root:

    python benchmarks/bench_engine.py            # the full run (about two minutes)
    python benchmarks/bench_engine.py --quick    # a smoke run for CI
    python benchmarks/bench_engine.py --json     # machine-readable output

It prints a Markdown table ready for the README. Latencies are measured after a warm-up
pass, so the tokenizer's caches (stems, typo corrections) are hot: they show a question
the bot has seen before, not the first time it sees one.
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import platform
import random
import statistics
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path

from rank_bm25 import BM25Okapi

from faq.corpus import load_corpus
from faq.engine import Engine
from faq.index import Document, Index
from faq.model import Entry
from faq.text import split_words

ROOT = Path(__file__).resolve().parents[1]
QUESTIONS = ROOT / "tests" / "eval" / "questions.tsv"
ASK = [sys.executable, "-m", "faq", "ask", "does magnesium help leg cramps"]
SEED = 20240611
FILLER_POOL = 20_000
SHIPPED_SHARE = 0.6  # the rest of each synthetic text is filler words
_CONSONANTS = "bcdfghjklmnprstvz"
_VOWELS = "aeiou"


@dataclass(frozen=True)
class Plan:
    """How much to repeat each measurement."""

    queries: int
    builds: int
    runs: int


FULL = Plan(queries=2000, builds=3, runs=10)
QUICK = Plan(queries=300, builds=1, runs=3)


@dataclass(frozen=True)
class Latency:
    """Percentiles of a set of timings, in milliseconds."""

    p50_ms: float
    p99_ms: float
    samples: int


@dataclass(frozen=True)
class SizeResult:
    """Every measurement for one corpus size."""

    entries: int
    engine_build_ms: float
    index_build_ms: float
    raw_build_ms: float
    answer: Latency
    raw_scores: Latency


@dataclass(frozen=True)
class Startup:
    """Wall times of one command run as a fresh process, in milliseconds."""

    command: str
    p50_ms: float
    min_ms: float
    max_ms: float
    runs: int


@dataclass(frozen=True)
class Report:
    """The whole benchmark: machine, corpus sizes and start-up."""

    machine: str
    cpus: int
    python: str
    sizes: list[SizeResult]
    startup: list[Startup]
    telegram_imported: bool


def load_questions(path: Path = QUESTIONS) -> list[str]:
    """Give the first column of a TSV of questions, without its header."""
    lines = path.read_text(encoding="utf-8").splitlines()[1:]
    return [line.split("\t", 1)[0] for line in lines if line.strip()]


def latency(samples_ns: Sequence[int]) -> Latency:
    """Give the p50 and p99 of timings taken with perf_counter_ns."""
    cuts = statistics.quantiles(samples_ns, n=100, method="inclusive")
    return Latency(cuts[49] / 1e6, cuts[98] / 1e6, len(samples_ns))


def synthetic_corpus(real: Sequence[Entry], size: int, seed: int = SEED) -> tuple[Entry, ...]:
    """Give the real entries plus generated ones, `size` in all, the same for the same seed."""
    rng = random.Random(seed)
    sample = _sampler(rng, real)
    made = [_synthetic_entry(rng, sample, real[0], n) for n in range(1, size - len(real) + 1)]
    return (*real, *made)


def _sampler(rng: random.Random, real: Sequence[Entry]) -> Callable[[int], list[str]]:
    """Draw words as a corpus would: shipped words by their frequency, filler words by Zipf."""
    counts = Counter(w for entry in real for text in _texts(entry) for w in split_words(text))
    shipped, weights = list(counts), list(counts.values())
    filler = _filler_words(rng, FILLER_POOL, set(counts))
    zipf = [1 / rank for rank in range(1, len(filler) + 1)]

    def draw(n: int) -> list[str]:
        ours = sum(rng.random() < SHIPPED_SHARE for _ in range(n))
        words = rng.choices(shipped, weights, k=ours) + rng.choices(filler, zipf, k=n - ours)
        rng.shuffle(words)
        return words

    return draw


def _texts(entry: Entry) -> tuple[str, ...]:
    return (entry.question, *entry.alternates, *entry.tags, entry.answer)


def _filler_words(rng: random.Random, count: int, avoid: set[str]) -> list[str]:
    words: dict[str, None] = {}
    while len(words) < count:
        syllables = rng.randint(2, 4)
        word = "".join(rng.choice(_CONSONANTS) + rng.choice(_VOWELS) for _ in range(syllables))
        if word not in avoid:
            words[word] = None
    return list(words)


def _synthetic_entry(
    rng: random.Random, draw: Callable[[int], list[str]], template: Entry, n: int
) -> Entry:
    alternates = tuple(" ".join(draw(rng.randint(3, 9))) for _ in range(rng.randint(5, 12)))
    sentences = (" ".join(draw(rng.randint(8, 18))).capitalize() + "." for _ in range(8))
    answer = " ".join(sentences)[: rng.randint(300, 1100)]
    return Entry(
        id=f"syn-{n:05d}",
        question=" ".join(draw(rng.randint(5, 12))).capitalize() + "?",
        alternates=alternates,
        sources=template.sources,
        reviewed=template.reviewed,
        tags=tuple(draw(rng.randint(0, 3))),
        answer=answer,
    )


def _time_ns(action: Callable[[], object]) -> int:
    start = time.perf_counter_ns()
    action()
    return time.perf_counter_ns() - start


def _best_ms(action: Callable[[], object], repeats: int) -> float:
    gc.collect()
    return min(_time_ns(action) for _ in range(repeats)) / 1e6


def _timed_each(action: Callable[[int], object], count: int) -> list[int]:
    gc.collect()
    times = []
    for i in range(count):
        start = time.perf_counter_ns()
        action(i)
        times.append(time.perf_counter_ns() - start)
    return times


def measure_size(entries: Sequence[Entry], questions: Sequence[str], plan: Plan) -> SizeResult:
    """Give build times and query latencies for the engine and raw rank-bm25 over entries."""
    engine = Engine(entries)
    # The engine's own documents, so raw rank-bm25 sees exactly the engine's tokens.
    documents: list[Document] = [engine._document(entry) for entry in engine.entries]
    corpus_tokens = [list(doc.question_terms) for doc in documents]
    raw = BM25Okapi(corpus_tokens)
    query_terms = [list(engine.analyzer.analyze(q).terms) for q in questions]
    count = max(plan.queries, len(questions))
    for question, terms in zip(questions, query_terms, strict=True):  # warm up
        engine.answer(question)
        raw.get_scores(terms)
    answers = _timed_each(lambda i: engine.answer(questions[i % len(questions)]), count)
    scores = _timed_each(lambda i: raw.get_scores(query_terms[i % len(questions)]), count)
    return SizeResult(
        entries=len(entries),
        engine_build_ms=_best_ms(lambda: Engine(entries), plan.builds),
        index_build_ms=_best_ms(lambda: Index(documents), plan.builds),
        raw_build_ms=_best_ms(lambda: BM25Okapi(corpus_tokens), plan.builds),
        answer=latency(answers),
        raw_scores=latency(scores),
    )


def startup(command: Sequence[str], runs: int) -> Startup:
    """Give the wall time of running a command as a fresh process, `runs` times."""
    times = []
    for _ in range(runs):
        start = time.perf_counter_ns()
        subprocess.run(command, check=True, capture_output=True, cwd=ROOT)
        times.append((time.perf_counter_ns() - start) / 1e6)
    label = " ".join(["python", *command[1:]])
    return Startup(label, statistics.median(times), min(times), max(times), runs)


def imports_telegram(command: Sequence[str]) -> bool:
    """Tell whether a Python command imports any `telegram` module, from -X importtime."""
    run = subprocess.run(
        [command[0], "-X", "importtime", *command[1:]],
        check=True,
        capture_output=True,
        text=True,
        cwd=ROOT,
    )
    modules = (line.rsplit("|", 1)[-1].strip() for line in run.stderr.splitlines())
    return any(name.split(".")[0] == "telegram" for name in modules)


def run(sizes: Sequence[int], plan: Plan) -> Report:
    """Give every measurement for these corpus sizes."""
    real = load_corpus()
    questions = load_questions()
    results = []
    for size in sizes:
        entries = real if size <= len(real) else synthetic_corpus(real, size)
        results.append(measure_size(entries, questions, plan))
    starts = [startup([sys.executable, "-c", "pass"], plan.runs), startup(ASK, plan.runs)]
    machine = platform.processor() or platform.machine()
    version = f"{platform.python_implementation()} {platform.python_version()}"
    return Report(machine, os.cpu_count() or 0, version, results, starts, imports_telegram(ASK))


def markdown(report: Report) -> str:
    """Give the report as Markdown tables for the README."""
    lines = [
        f"Machine: {report.machine}, {report.cpus} CPUs; Python {report.python}.",
        "",
        "| Entries | `Engine()` build | `Index()` build | rank-bm25 build "
        "| `answer()` p50 | `answer()` p99 | rank-bm25 `get_scores` p50 | p99 | Queries |",
        "|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for s in report.sizes:
        lines.append(
            f"| {s.entries:,} | {s.engine_build_ms:,.1f} ms | {s.index_build_ms:,.1f} ms "
            f"| {s.raw_build_ms:,.1f} ms | {s.answer.p50_ms:.3f} ms | {s.answer.p99_ms:.3f} ms "
            f"| {s.raw_scores.p50_ms:.3f} ms | {s.raw_scores.p99_ms:.3f} ms "
            f"| {s.answer.samples:,} |"
        )
    lines += [
        "",
        "| Command | p50 | min | max | Runs |",
        "|---|---:|---:|---:|---:|",
    ]
    for st in report.startup:
        lines.append(
            f"| `{st.command}` | {st.p50_ms:.0f} ms | {st.min_ms:.0f} ms "
            f"| {st.max_ms:.0f} ms | {st.runs} |"
        )
    verdict = "imports" if report.telegram_imported else "does not import"
    lines += ["", f"`magbot ask` {verdict} `telegram`."]
    return "\n".join(lines)


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--quick", action="store_true", help="fewer repetitions, for CI")
    parser.add_argument(
        "--sizes",
        type=lambda text: [int(part) for part in text.split(",")],
        default=[25, 1000, 10000],
        help="corpus sizes, comma-separated (default: 25,1000,10000)",
    )
    parser.add_argument("--runs", type=int, default=None, help="start-up runs (default: 10)")
    parser.add_argument("--json", action="store_true", help="print JSON instead of Markdown")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the benchmark and print its report; give the exit code."""
    args = _parser().parse_args(argv)
    plan = QUICK if args.quick else FULL
    if args.runs is not None:
        plan = Plan(plan.queries, plan.builds, max(args.runs, 2))
    start = time.perf_counter_ns()
    report = run(args.sizes, plan)
    took = (time.perf_counter_ns() - start) / 1e9
    if args.json:
        print(json.dumps({**asdict(report), "wall_seconds": round(took, 1)}, indent=2))
    else:
        print(markdown(report))
        print(f"\nThe benchmark took {took:.0f} s.")
    return 0


if __name__ == "__main__":
    sys.exit(main())
