"""Time `magbot ask` from cold: a fresh process per run, median of 10 after one warm-up run.

Usage: python -m benchmarks.bench_startup [--runs N] [--against DIR]

Bytecode is cached (in a temporary folder) as it is in an install, and the embedding cache and
the remembered model checksums are as found (warm after one run: the warm-up run). Beside it,
`python -c pass`: the interpreter alone on this machine, at this load.

--against DIR times this checkout and another one (say `git worktree add DIR <commit>`) turn
about, run by run, so that load from other work on the machine falls on both alike, and gives
the CPU time of each run beside its wall time.
"""

from __future__ import annotations

import argparse
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from benchmarks.bench_engine import ASK, ROOT, _startups


def main() -> None:
    """Print the start-up table, or the turn-about comparison."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=10)
    parser.add_argument("--against", type=Path, help="another checkout to compare with")
    args = parser.parse_args()
    print(f"load average {os.getloadavg()[0]:.1f}")
    if args.against:
        _compare([ROOT, args.against.resolve()], args.runs)
        return
    print("| Command | p50 | min | max | Runs |")
    print("|---|---:|---:|---:|---:|")
    for run in _startups(args.runs):
        print(f"| `{run.command}` | {run.p50_ms:,.0f} ms | {run.min_ms:,.0f} ms | ", end="")
        print(f"{run.max_ms:,.0f} ms | {run.runs} |")


def _compare(checkouts: list[Path], runs: int) -> None:
    """Run `magbot ask` in each checkout in turn; print median wall and CPU seconds."""
    timings: dict[Path, list[tuple[float, float]]] = {path: [] for path in checkouts}
    with tempfile.TemporaryDirectory() as cache:
        # importing faq here set OPENBLAS_NUM_THREADS: leave each checkout its own default
        dropped = ("PYTHONDONTWRITEBYTECODE", "OPENBLAS_NUM_THREADS")
        env = {k: v for k, v in os.environ.items() if k not in dropped}
        env["PYTHONPYCACHEPREFIX"] = cache
        for round_ in range(runs + 1):
            for path in checkouts:
                timed = _timed(path, env)
                if round_:  # the first round compiles the bytecode and warms the caches
                    timings[path].append(timed)
    print("| Checkout | wall p50 | CPU p50 | Runs |")
    print("|---|---:|---:|---:|")
    for path, pairs in timings.items():
        wall = statistics.median(w for w, _ in pairs)
        cpu = statistics.median(c for _, c in pairs)
        print(f"| {path} | {wall * 1000:,.0f} ms | {cpu * 1000:,.0f} ms | {len(pairs)} |")


def _timed(checkout: Path, env: dict[str, str]) -> tuple[float, float]:
    """Give the wall and CPU seconds of one `python -m faq ask` run in a checkout."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    command = [sys.executable, *ASK[1:]]
    subprocess.run(command, check=True, capture_output=True, cwd=checkout, env=env)
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = after.ru_utime - before.ru_utime + after.ru_stime - before.ru_stime
    return wall, cpu


if __name__ == "__main__":
    main()
