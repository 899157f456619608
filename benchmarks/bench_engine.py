"""Measure magbot: answer() latency, index build time, raw rank-bm25, and `magbot ask` start-up.

Run from the repository root:

    python benchmarks/bench_engine.py            # the full run (two to three minutes)
    python benchmarks/bench_engine.py --quick    # a smoke run for CI (under 30 s)
    python benchmarks/bench_engine.py --json     # machine-readable output

Each corpus is asked every question once ("first seen": typo corrections not yet cached),
then the questions are repeated in whole passes (warm caches), up to about 2,000 queries
or a time budget, whichever comes first. The engine is built once per corpus, in a process
where that corpus is new; Index() and BM25Okapi() builds take the best of a few runs.
"""

from __future__ import annotations

import argparse
import gc
import json
import math
import os
import platform
import random
import statistics
import subprocess
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass
from importlib import resources
from itertools import accumulate
from pathlib import Path

from rank_bm25 import BM25Okapi

from faq.build import engine_for, load_rules
from faq.corpus import load_corpus
from faq.engine import Engine
from faq.index import Document, Index
from faq.model import Entry
from faq.ranking import document
from faq.spelling import english_words
from faq.text import split_words, stem

ROOT = Path(__file__).resolve().parents[1]
QUESTIONS = ROOT / "tests" / "eval" / "questions.tsv"
ASK = [sys.executable, "-m", "faq", "ask", "does magnesium help leg cramps"]
SEED = 20240611
FILLER_POOL = 20_000  # the most frequent English words, drawn by Zipf's law
SHIPPED_SHARE = 0.6  # the rest of each synthetic text is filler words


@dataclass(frozen=True)
class Plan:
    """How much to measure: sizes, query and build repetitions, start-up runs."""

    sizes: tuple[int, ...]
    queries: int
    budget_s: float  # per corpus, for the repeated passes
    builds: int
    runs: int


FULL = Plan(sizes=(25, 1000, 10000), queries=2000, budget_s=30.0, builds=3, runs=10)
QUICK = Plan(sizes=(25, 1000), queries=1, budget_s=1.0, builds=1, runs=3)


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
    first_seen: Latency
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
    load: float  # the one-minute load average when the run started
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
    draw = _sampler(rng, real)
    made = [_synthetic_entry(rng, draw, real[0], n) for n in range(1, size - len(real) + 1)]
    return (*real, *made)


def _sampler(rng: random.Random, real: Sequence[Entry]) -> Callable[[int], list[str]]:
    """Draw words as text would: shipped words by their frequency, English words by Zipf's law."""
    counts = Counter(w for entry in real for text in _texts(entry) for w in split_words(text))
    shipped, shipped_cum = list(counts), list(accumulate(counts.values()))
    filler = _filler_words(FILLER_POOL, set(counts))
    zipf_cum = list(accumulate(1 / rank for rank in range(1, len(filler) + 1)))

    def draw(n: int) -> list[str]:
        ours = sum(rng.random() < SHIPPED_SHARE for _ in range(n))
        words = rng.choices(shipped, cum_weights=shipped_cum, k=ours)
        words += rng.choices(filler, cum_weights=zipf_cum, k=n - ours)
        rng.shuffle(words)
        return words

    return draw


def _texts(entry: Entry) -> tuple[str, ...]:
    return (entry.question, *entry.alternates, *entry.tags, entry.answer)


def _filler_words(count: int, avoid: set[str]) -> list[str]:
    """Give the most frequent English words not in `avoid`, most frequent first."""
    path = resources.files("symspellpy") / "frequency_dictionary_en_82_765.txt"
    words = (line.split(" ", 1)[0] for line in path.read_text(encoding="utf-8").splitlines())
    fresh = (w for w in words if w.isalpha() and w not in avoid)
    return [w for _, w in zip(range(count), fresh, strict=False)]


def _synthetic_entry(
    rng: random.Random, draw: Callable[[int], list[str]], template: Entry, n: int
) -> Entry:
    alternates = tuple(" ".join(draw(rng.randint(3, 9))) for _ in range(rng.randint(5, 12)))
    sentences = (" ".join(draw(rng.randint(8, 18))).capitalize() + "." for _ in range(8))
    return Entry(
        id=f"syn-{n:05d}",
        question=" ".join(draw(rng.randint(5, 12))).capitalize() + "?",
        alternates=alternates,
        sources=template.sources,
        reviewed=template.reviewed,
        tags=tuple(draw(rng.randint(0, 3))),
        answer=" ".join(sentences)[: rng.randint(300, 1100)],
    )


def _timed_each(action: Callable[[int], object], count: int) -> list[int]:
    """Give the nanoseconds each of action(0) … action(count - 1) took."""
    gc.collect()
    times = []
    for i in range(count):
        start = time.perf_counter_ns()
        action(i)
        times.append(time.perf_counter_ns() - start)
    return times


def _best_ms(action: Callable[[], object], repeats: int) -> float:
    return min(_timed_each(lambda _: action(), repeats)) / 1e6


def _passes(first_ns: Sequence[int], plan: Plan) -> int:
    """Give how many whole passes over the questions fit the query target and time budget."""
    wanted = math.ceil(plan.queries / len(first_ns))
    affordable = int(plan.budget_s * 1e9 // max(sum(first_ns), 1))
    return max(1, min(wanted, affordable))


def measure_size(entries: Sequence[Entry], questions: Sequence[str], plan: Plan) -> SizeResult:
    """Give build times and query latencies for the engine and raw rank-bm25 over entries."""
    start = time.perf_counter_ns()
    engine = engine_for(entries, load_rules(), semantic=False)
    engine_ms = (time.perf_counter_ns() - start) / 1e6
    first = _timed_each(lambda i: engine.answer(questions[i]), len(questions))
    count = _passes(first, plan) * len(questions)
    warm = _timed_each(lambda i: engine.answer(questions[i % len(questions)]), count)
    # The engine's own documents, so raw rank-bm25 sees exactly the engine's tokens.
    documents: list[Document] = [document(entry, engine.analyzer) for entry in engine.entries]
    corpus = [list(doc.question_terms) for doc in documents]
    return SizeResult(
        entries=len(entries),
        engine_build_ms=engine_ms,
        index_build_ms=_best_ms(lambda: Index(documents), plan.builds),
        raw_build_ms=_best_ms(lambda: BM25Okapi(corpus), plan.builds),
        first_seen=latency(first),
        answer=latency(warm),
        raw_scores=_raw_latency(engine, corpus, questions, count),
    )


def _raw_latency(
    engine: Engine, corpus: list[list[str]], questions: Sequence[str], count: int
) -> Latency:
    """Give the latency of BM25Okapi.get_scores for the engine's analysed query terms."""
    raw = BM25Okapi(corpus)
    queries = [list(engine.analyzer.analyze(q).terms) for q in questions]
    for terms in queries:  # warm up
        raw.get_scores(terms)
    return latency(_timed_each(lambda i: raw.get_scores(queries[i % len(queries)]), count))


def startup(command: Sequence[str], runs: int, env: dict[str, str]) -> Startup:
    """Give the wall time of running a command as a fresh process, after one untimed run."""
    times = []
    for _ in range(runs + 1):
        start = time.perf_counter_ns()
        subprocess.run(command, check=True, capture_output=True, cwd=ROOT, env=env)
        times.append((time.perf_counter_ns() - start) / 1e6)
    times = times[1:]  # the first run may have compiled the bytecode
    label = " ".join(["python", *command[1:]])
    return Startup(label, statistics.median(times), min(times), max(times), runs)


def _startups(runs: int) -> list[Startup]:
    """Time `python -c pass` and `magbot ask` with bytecode caching on, as in an install."""
    with tempfile.TemporaryDirectory() as cache:
        env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
        env["PYTHONPYCACHEPREFIX"] = cache  # keeps .pyc files out of the working tree
        return [startup([sys.executable, "-c", "pass"], runs, env), startup(ASK, runs, env)]


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


def run(plan: Plan) -> Report:
    """Give every measurement the plan asks for."""
    load = os.getloadavg()[0]
    english_words()  # one-off loads that belong to start-up, not to a build
    stem("warming")
    real = load_corpus()
    questions = load_questions()
    results = []
    for size in plan.sizes:
        entries = real if size <= len(real) else synthetic_corpus(real, size)
        results.append(measure_size(entries, questions, plan))
    starts = _startups(plan.runs)
    machine = platform.processor() or platform.machine()
    version = f"{platform.python_implementation()} {platform.python_version()}"
    cpus = os.cpu_count() or 0
    return Report(machine, cpus, load, version, results, starts, imports_telegram(ASK))


def markdown(report: Report) -> str:
    """Give the report as Markdown tables for the README."""
    return "\n".join(
        [
            f"Machine: {report.machine}, {report.cpus} CPUs (load average {report.load:.2f} "
            f"at the start); Python {report.python}.",
            "",
            *_build_table(report.sizes),
            "",
            *_query_table(report.sizes),
            "",
            "rank-bm25 scores the question field alone; `answer()` also analyses the question,",
            "runs the safety and scope rules and scores every field of the index.",
            "",
            *_startup_table(report),
        ]
    )


def _build_table(sizes: Sequence[SizeResult]) -> list[str]:
    rows = [
        "| Entries | lexical engine build | `Index(documents)` | rank-bm25 `BM25Okapi(tokens)` |",
        "|---:|---:|---:|---:|",
    ]
    for s in sizes:
        rows.append(
            f"| {s.entries:,} | {_ms(s.engine_build_ms)} | {_ms(s.index_build_ms)} "
            f"| {_ms(s.raw_build_ms)} |"
        )
    return rows


def _query_table(sizes: Sequence[SizeResult]) -> list[str]:
    rows = [
        "| Entries | `answer()` p50 | p99 | first seen p50 | p99 "
        "| rank-bm25 `get_scores` p50 | p99 | Queries |",
        "|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for s in sizes:
        cells = (s.answer, s.first_seen, s.raw_scores)
        times = " | ".join(f"{_ms(c.p50_ms)} | {_ms(c.p99_ms)}" for c in cells)
        rows.append(f"| {s.entries:,} | {times} | {s.answer.samples:,} |")
    return rows


def _startup_table(report: Report) -> list[str]:
    rows = ["| Command | p50 | min | max | Runs |", "|---|---:|---:|---:|---:|"]
    for st in report.startup:
        rows.append(
            f"| `{st.command}` | {_ms(st.p50_ms)} | {_ms(st.min_ms)} | {_ms(st.max_ms)} "
            f"| {st.runs} |"
        )
    verdict = "imports" if report.telegram_imported else "does not import"
    return [*rows, "", f"`magbot ask` {verdict} `telegram` (checked with `-X importtime`)."]


def _ms(value: float) -> str:
    """Format milliseconds with about three significant digits."""
    if value >= 100:
        return f"{value:,.0f} ms"
    return f"{value:.1f} ms" if value >= 10 else f"{value:.2f} ms"


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(description="Benchmark the magbot engine and CLI start-up.")
    parser.add_argument(
        "--quick", action="store_true", help="fewer repetitions and sizes 25,1000, for CI"
    )
    parser.add_argument(
        "--sizes",
        type=lambda text: tuple(int(part) for part in text.split(",")),
        default=None,
        help="corpus sizes, comma-separated (default: 25,1000,10000)",
    )
    parser.add_argument("--runs", type=int, default=None, help="start-up runs (default: 10)")
    parser.add_argument("--json", action="store_true", help="print JSON instead of Markdown")
    return parser


def _plan(args: argparse.Namespace) -> Plan:
    plan = QUICK if args.quick else FULL
    sizes = args.sizes or plan.sizes
    runs = max(args.runs, 2) if args.runs is not None else plan.runs
    return Plan(sizes, plan.queries, plan.budget_s, plan.builds, runs)


def main(argv: Sequence[str] | None = None) -> int:
    """Run the benchmark and print its report; give the exit code."""
    args = _parser().parse_args(argv)
    start = time.perf_counter_ns()
    report = run(_plan(args))
    took = (time.perf_counter_ns() - start) / 1e9
    if args.json:
        print(json.dumps({**asdict(report), "wall_seconds": round(took, 1)}, indent=2))
    else:
        print(markdown(report))
        print(f"\nThe benchmark took {took:.0f} s.")
    return 0


if __name__ == "__main__":
    sys.exit(main())
