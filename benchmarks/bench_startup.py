"""Time `magbot ask` from cold: a fresh process per run, median of 10 after one warm-up run.

Usage: python -m benchmarks.bench_startup [--runs N]

Bytecode is cached (in a temporary folder) as it is in an install, and the embedding cache and
the remembered model checksums are as found (warm after one run: the warm-up run). Beside it,
`python -c pass`: the interpreter alone on this machine, at this load.
"""

from __future__ import annotations

import argparse
import os

from benchmarks.bench_engine import _startups


def main() -> None:
    """Print the start-up table."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=10)
    args = parser.parse_args()
    print(f"load average {os.getloadavg()[0]:.1f}")
    print("| Command | p50 | min | max | Runs |")
    print("|---|---:|---:|---:|---:|")
    for run in _startups(args.runs):
        print(f"| `{run.command}` | {run.p50_ms:,.0f} ms | {run.min_ms:,.0f} ms | ", end="")
        print(f"{run.max_ms:,.0f} ms | {run.runs} |")


if __name__ == "__main__":
    main()
