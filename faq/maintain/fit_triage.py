"""Fit the learned triage detector on the exemplar bank and hard negatives, by k-fold CV.

Usage: python -m faq.maintain.fit_triage [--write]

Positives are the bank's lay phrasings of the 26 categories; negatives are the bank's hard
negatives, every corpus phrasing, every tuning question not labelled red-flag and the
out-of-scope bank. 5-fold cross-validation gives, for every message, a probability of "an
emergency" it was not trained on; the flag threshold is the highest that keeps the
cross-validated false alarms at FALSE_ALARMS, and the safety-net threshold the highest that
keeps the cross-validated recall at NET_TARGET (a message between the two gets the "if this
is happening now" line, not the emergency reply). The locked held-out sets
(tests/eval/*heldout*.tsv) are never read here.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np

from faq.build import default_data_dir, engine_for, load_rules
from faq.corpus import load_corpus
from faq.engine import Engine
from faq.maintain import evaluate
from faq.maintain.fit import TUNING_SETS
from faq.maintain.learn import Linear, fit_softmax, folds, softmax
from faq.query import Query, analyse
from faq.semantic import Encoder, cached_encode, default_cache_dir
from faq.triage.detector import NONE, Detector

FALSE_ALARMS = 0.025
NET_TARGET = 0.99


def bank(folder: Path) -> list[tuple[str, str]]:
    """Give the (text, label) rows of the exemplar bank."""
    lines = (folder / "triage" / "bank.tsv").read_text(encoding="utf-8").splitlines()[1:]
    return [(t, label) for t, label in (line.split("\t") for line in lines if line.strip())]


def negatives(engine: Engine, folder: Path) -> list[str]:
    """Give the ordinary messages: corpus phrasings, tuning questions, out-of-scope examples."""
    texts = [t for e in engine.entries for t in (e.question, *e.alternates)]
    for path in TUNING_SETS:
        texts += [x.question for x in evaluate.read_examples(path) if x.label != "red-flag"]
    lines = (folder / "oos-bank.tsv").read_text(encoding="utf-8").splitlines()[1:]
    return texts + [line.split("\t")[0] for line in lines if line.strip()]


def fit(x: np.ndarray, y: np.ndarray, classes: int) -> Linear:
    """Give the softmax model of the labels."""
    return fit_softmax(x, y, classes, background=classes - 1)


def emergency(model: Linear, x: np.ndarray, none: int) -> tuple[np.ndarray, np.ndarray]:
    """Give each row's probability of any emergency and its most likely category."""
    p = softmax(model.logits(x))
    chance = 1 - p[:, none]
    p[:, none] = -1
    return chance, p.argmax(axis=1)


def threshold(chance: np.ndarray, positive: np.ndarray, target: float) -> float:
    """Give the highest probability at which at least `target` of the positives are flagged."""
    scores = np.sort(chance[positive])
    allowed = int(np.floor((1 - target) * len(scores)))
    return float(scores[allowed]) - 1e-6


def main() -> int:
    """Cross-validate, report recall per category and false alarms, fit, and optionally write."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--write", action="store_true", help="write triage/detector.npz")
    args = parser.parse_args()
    folder = default_data_dir()
    engine = engine_for(load_corpus(), load_rules(), semantic=True, detector=False)
    encoder = engine.encoder
    assert isinstance(encoder, Encoder)
    classes = (*engine.triage.categories.ids, NONE)
    exemplars = bank(folder)
    rows = exemplars + [(t, NONE) for t in negatives(engine, folder)]
    queries = [analyse(text, engine.analyzer) for text, _ in rows]
    texts = [query.normalised for query in queries]  # the embedding reads corrected words
    x = cached_encode(encoder, texts, default_cache_dir())
    y = np.array([classes.index(label) for _, label in rows])
    none = classes.index(NONE)
    chance, guess = np.zeros(len(rows)), np.zeros(len(rows), dtype=int)
    for train, test in folds(len(rows), 5):
        model = fit(x[train], y[train], len(classes))
        chance[test], guess[test] = emergency(model, x[test], none)
    positive = y != none
    flag_at = float(np.quantile(chance[~positive], 1 - FALSE_ALARMS))
    net_at = threshold(chance, positive, NET_TARGET)
    _report(classes, y, chance, guess, flag_at, net_at, positive)
    _report_with_rules(engine, queries, chance >= flag_at, positive, len(exemplars))
    final = fit(x, y, len(classes))
    detector = Detector(
        classes, final.weights.astype(np.float32), np.asarray(final.bias, dtype=np.float32),
        final.mean.astype(np.float32), final.scale.astype(np.float32),
        flag_at, net_at, encoder.checksum,
    )  # fmt: skip
    if args.write:
        detector.save(folder / "triage" / "detector.npz")
        print(f"wrote {folder / 'triage' / 'detector.npz'}")
    return 0


def _report_with_rules(
    engine: Engine, queries: list[Query], flagged: np.ndarray, positive: np.ndarray, banked: int
) -> None:
    rules = engine.triage.rules
    ruled = np.array([rules.red_flag(q.normalised, q.plain_sentences) is not None for q in queries])
    either = flagged | ruled
    hard = ~positive & (np.arange(len(queries)) < banked)
    rest = ~positive & ~hard
    print(
        f"  with the rules: recall {either[positive].mean():.3f}, false alarms "
        f"{either[hard].mean():.3f} of the bank's {int(hard.sum())} hard negatives and "
        f"{either[rest].mean():.3f} of the {int(rest.sum())} other ordinary messages"
    )


def _report(
    classes: tuple[str, ...],
    y: np.ndarray,
    chance: np.ndarray,
    guess: np.ndarray,
    flag_at: float,
    net_at: float,
    positive: np.ndarray,
) -> None:
    flagged = chance >= flag_at
    named = guess == y
    ordinary = int((~positive).sum())
    print(f"flag at {flag_at:.3f}, safety net at {net_at:.3f}; 5-fold CV:")
    print(f"  recall {flagged[positive].mean():.3f}, right category {named[positive].mean():.3f}")
    print(f"  false alarms {flagged[~positive].mean():.3f} of {ordinary} ordinary messages")
    print(f"  safety net on ordinary messages {(chance >= net_at)[~positive].mean():.3f}")
    for index, name in enumerate(classes[:-1]):
        mine = y == index
        print(f"  {name:22} recall {flagged[mine].mean():.3f}  category {named[mine].mean():.3f}")


if __name__ == "__main__":
    sys.exit(main())
