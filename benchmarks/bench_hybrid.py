"""Time the hybrid engine on the shipped corpus: build, answer() p50/p99, peak memory.

Usage: python -m benchmarks.bench_hybrid [--questions N]

Prints numbers only; the README quotes them with the machine they were measured on.
"""

from __future__ import annotations

import argparse
import resource
import statistics
import time
from pathlib import Path

from faq.build import build_engine
from faq.maintain import evaluate

EVAL = Path(__file__).resolve().parents[1] / "tests" / "eval"


def main() -> None:
    """Build the engine twice (cold, then with the embedding cache warm) and time answers."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--questions", type=int, default=400)
    args = parser.parse_args()
    started = time.perf_counter()
    engine = build_engine(semantic=True)
    built = time.perf_counter() - started
    sets = [evaluate.read_examples(EVAL / name) for name in ("dev.tsv", "dev3.tsv")]
    questions = [example.question for examples in sets for example in examples][: args.questions]
    times = []
    for question in questions:
        start = time.perf_counter_ns()
        engine.answer(question)
        times.append((time.perf_counter_ns() - start) / 1e6)
    times.sort()
    p99 = times[min(len(times) - 1, int(0.99 * len(times)))]
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"build (embedding cache as found): {built * 1000:.0f} ms")
    p50 = statistics.median(times)
    print(f"answer() over {len(times)} questions: p50 {p50:.1f} ms, p99 {p99:.1f} ms")
    print(f"peak memory: {peak:.0f} MB")


if __name__ == "__main__":
    main()
