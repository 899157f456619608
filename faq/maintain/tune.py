"""Fit the decision thresholds on the tuning set and write faq/data/thresholds.yaml.

Usage: python -m faq.maintain.tune [FILE ...] [--write]
(default: tests/eval/dev.tsv, dev2.tsv and sample.tsv, the tuning sets)

Each labelled question is ranked once; a grid search then picks the thresholds that
maximise a utility in which a wrong confident answer costs more than a right one earns
(a health bot should rather offer choices than answer the wrong question):
  in scope:      answered right +1, unsure with the right entry in the top 3 +0.6,
                 answered wrong -2, declined 0
  out of scope:  declined +1, unsure -0.3, answered -1
Red flags and small talk are decided by rules before ranking and do not take part.
The held-out set (tests/eval/questions.tsv) is never read here.
"""

from __future__ import annotations

import argparse
import itertools
import sys
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from faq.build import build_engine
from faq.decision import Thresholds
from faq.engine import Engine
from faq.maintain import evaluate
from faq.model import Status

ROOT = Path(__file__).resolve().parents[2]
THRESHOLDS_FILE = ROOT / "faq" / "data" / "thresholds.yaml"
TUNING_SETS = [ROOT / "tests" / "eval" / name for name in ("dev.tsv", "dev2.tsv", "sample.tsv")]
GRID = [round(0.05 * i, 2) for i in range(1, 17)]
# A near-tie with the runner-up is never confident, so the margin grid starts above zero.
MARGINS = [round(0.05 * i, 2) for i in range(1, 11)]


@dataclass(frozen=True)
class Point:
    """One ranked question: its label, whether rank 1 / top 3 is right, and its scores."""

    in_scope: bool
    top_right: bool
    in_top3: bool
    confidence: float
    margin: float


def points(engine: Engine, examples: list[evaluate.Example]) -> list[Point]:
    """Give the ranked points of the examples that reach the ranking step."""
    out = []
    for example in examples:
        answer = engine.answer(example.question)
        if answer.status in (Status.RED_FLAG, Status.CHITCHAT) or not answer.candidates:
            continue
        if answer.status is Status.OUT_OF_SCOPE and answer.flags:
            continue  # declined by a scope rule, whatever the thresholds
        ids = [hit.entry_id for hit in answer.candidates]
        in_scope = example.label not in (evaluate.OOS, evaluate.CHITCHAT, evaluate.RED_FLAG)
        out.append(
            Point(
                in_scope,
                ids[0] == example.label,
                example.label in ids[:3],
                answer.confidence,
                answer.margin,
            )
        )
    return out


def utility(data: list[Point], thresholds: Thresholds) -> float:
    """Give the total utility of deciding every point with these thresholds."""
    return _Table(data).utility(thresholds)


class _Table:
    """The points as arrays, so that each grid point is scored without a loop in Python."""

    def __init__(self, data: list[Point]) -> None:
        self.inside = np.array([p.in_scope for p in data], dtype=bool)
        self.right = np.array([p.top_right for p in data], dtype=bool)
        self.top3 = np.array([p.in_top3 for p in data], dtype=bool)
        self.confidence = np.array([p.confidence for p in data], dtype=float)
        self.margin = np.array([p.margin for p in data], dtype=float)

    def utility(self, thresholds: Thresholds) -> float:
        """Give the total utility, deciding as decide() does for a ranking with no hits."""
        answered = (self.confidence >= thresholds.answer_confidence) & (
            self.margin >= thresholds.answer_margin
        )
        unsure = ~answered & (self.confidence >= thresholds.unsure_confidence)
        declined = ~answered & ~unsure
        inside, outside = self.inside, ~self.inside
        return float(
            (answered & inside & self.right).sum()
            - 2.0 * (answered & inside & ~self.right).sum()
            + 0.6 * (unsure & inside & self.top3).sum()
            + (declined & outside).sum()
            - 0.3 * (unsure & outside).sum()
            - (answered & outside).sum()
        )


def best_thresholds(data: list[Point]) -> tuple[Thresholds, float]:
    """Give the grid point with the highest utility (ties: the more cautious one)."""
    table = _Table(data)
    scored = [
        (
            round(table.utility(candidate), 6),
            candidate.answer_margin,
            candidate.answer_confidence,
            candidate,
        )
        for candidate in (
            Thresholds(answer, margin, unsure)
            for answer, margin, unsure in itertools.product(GRID, MARGINS, GRID)
            if unsure <= answer
        )
    ]
    score, _, _, best = max(scored, key=lambda row: row[:3])
    return best, score


def main() -> int:
    """Fit and print the thresholds; with --write, store them for the engine."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("files", nargs="*", type=Path, default=TUNING_SETS)
    parser.add_argument("--write", action="store_true", help="write faq/data/thresholds.yaml")
    args = parser.parse_args()
    if any(path.name in ("questions.tsv", "blind.tsv") for path in args.files):
        print("refusing to fit on a held-out set", file=sys.stderr)
        return 2
    examples = [e for path in args.files for e in evaluate.read_examples(path)]
    data = points(build_engine(), examples)
    fitted, score = best_thresholds(data)
    print(f"{len(data)} ranked questions, utility {score:.1f}: {fitted}")
    if args.write:
        THRESHOLDS_FILE.write_text(_yaml(fitted, args.files), encoding="utf-8")
        print(f"wrote {THRESHOLDS_FILE}")
    return 0


def _yaml(thresholds: Thresholds, sources: list[Path]) -> str:
    names = " ".join(_relative(path) for path in sources)
    return (
        f"# Fitted by `python -m faq.maintain.tune {names} --write` (tuning sets);\n"
        "# the held-out set (tests/eval/questions.tsv) reports the figures. Do not edit by hand.\n"
        f"answer_confidence: {thresholds.answer_confidence}\n"
        f"answer_margin: {thresholds.answer_margin}\n"
        f"unsure_confidence: {thresholds.unsure_confidence}\n"
    )


def _relative(path: Path) -> str:
    try:
        return str(path.resolve().relative_to(ROOT))
    except ValueError:
        return path.name


if __name__ == "__main__":
    sys.exit(main())
