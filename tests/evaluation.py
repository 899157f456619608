"""What the evaluation tests share: each set's report once per process, and the README's rows.

tests/test_eval.py (the FAQ) and tests/test_triage_eval.py (triage) are two modules so that
pyproject's --dist loadscope runs them on two workers at once; each worker scores a set once
here, for the bars, the targets and the README's figures alike.
"""

from __future__ import annotations

import functools
from pathlib import Path

from faq.build import default_data_dir
from faq.engine import Engine
from faq.maintain import evaluate, figures

EVAL = Path(__file__).parent / "eval"
README = Path(__file__).parents[1] / "README.md"
STALE = "the README's figures are stale: run python -m faq.maintain.figures --write"


@functools.cache
def fitted(engine: Engine) -> frozenset[str]:
    """Give the texts the models were fitted on, which locked sets leave out."""
    return evaluate.fitted_texts(engine, default_data_dir(), figures.FITTED_SETS)


@functools.cache
def measured(engine: Engine, path: Path) -> evaluate.Report:
    """Give an engine's report on a set, measured once per process."""
    return figures.measure(engine, path, fitted(engine))


def readme_figures() -> str:
    """Give the README's figures block."""
    return figures.current(README.read_text(encoding="utf-8"))


def stale_rows(name: str, engine: Engine, lexical: Engine) -> list[str]:
    """Give the README's rows of a set that differ from what the engines measure now."""
    now = figures.rows(name, {"hybrid": engine, "lexical": lexical}, measured)
    written = [line for line in readme_figures().splitlines() if line.startswith(f"| {name} |")]
    return figures.differences("\n".join(written), "\n".join(now))
