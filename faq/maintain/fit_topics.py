"""The topic head's training table and its k-fold fit (faq/topics.py reads the final head).

The head is a softmax regression on the embedding, over the entries and "outside", fitted on
every corpus phrasing, tuning question and out-of-scope example; k-fold cross-validation gives
each of them a probability from a head that never saw it.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from faq.build import first_column
from faq.engine import Engine
from faq.maintain import evaluate
from faq.maintain.learn import fit_softmax, folds, softmax_probabilities
from faq.query import analyse
from faq.topics import OUTSIDE

ROOT = Path(__file__).resolve().parents[2]
TUNING_SETS = [
    ROOT / "tests" / "eval" / n
    for n in (
        *(f"dev{k}.tsv" for k in ("", *map(str, range(2, 14)))),
        "sample.tsv",
    )
]
# dev9.tsv to dev13.tsv joined these in session 54, judged on dev14 (fresh): hit@1 1.000 both,
# answered right 0.913 -> 0.990, wrong 0.000 both, out of scope declined 0.943 -> 0.952. Twice
# before (sessions 25 and 28) a refit with dev9 and dev10 was not shipped: its cross-validated
# figures bought more right answers with more wrong ones, with no fresh set to judge it on.
TOPIC_L2 = 1e-4  # the topic head's weight penalty


def topic_rows(
    engine: Engine, folder: Path, sets: Sequence[Path] = TUNING_SETS
) -> list[tuple[str, str]]:
    """Give what the topic head learns from: (text, entry id or OUTSIDE).

    Every corpus phrasing, every question of the tuning sets not labelled red-flag (out of
    scope and small talk are OUTSIDE) and the out-of-scope bank.
    """
    rows = [(t, e.id) for e in engine.entries for t in (e.question, *e.alternates)]
    for path in sets:
        rows += [
            (x.question, OUTSIDE if x.label in (evaluate.OOS, evaluate.CHITCHAT) else x.label)
            for x in evaluate.read_examples(path)
            if x.label != evaluate.RED_FLAG
        ]
    return rows + [(text, OUTSIDE) for text in first_column(folder / "oos-bank.tsv")]


@dataclass(frozen=True)
class Topics:
    """The topic head's training table, its out-of-fold probabilities and the final head."""

    classes: tuple[str, ...]
    texts: list[str]  # normalised, as queries are (texts with no words are left out)
    labels: np.ndarray  # the class of each text
    out_of_fold: np.ndarray  # a row per text, a column per class
    weights: np.ndarray  # fitted on every row


def fit_topics(engine: Engine, rows: list[tuple[str, str]], k: int = 5) -> Topics:
    """Give the topic head fitted on the rows, and each row's k-fold out-of-fold probabilities."""
    classes = (*engine.ranker.index.ids, OUTSIDE)
    queries = [analyse(text, engine.analyzer, engine.encoder) for text, _ in rows]
    kept = [i for i, q in enumerate(queries) if q.vector is not None]
    x = np.array([queries[i].vector for i in kept], dtype=np.float64)
    y = np.array([classes.index(rows[i][1]) for i in kept])
    out_of_fold = np.zeros((len(kept), len(classes)))
    for train, test in folds(len(kept), k):
        weights = fit_softmax(x[train], y[train], len(classes), TOPIC_L2)
        out_of_fold[test] = softmax_probabilities(x[test], weights)
    texts = [queries[i].normalised for i in kept]
    return Topics(classes, texts, y, out_of_fold, fit_softmax(x, y, len(classes), TOPIC_L2))
