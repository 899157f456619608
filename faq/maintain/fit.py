"""Fit the semantic layer's topic head, fusion weights and decision model, by k-fold CV.

Usage: python -m faq.maintain.fit [--write]

The topic head (faq/topics.py) is a softmax regression on the embedding, over the entries and
"outside", fitted on every corpus phrasing, tuning question and out-of-scope example; k-fold
cross-validation gives each of them a probability from a head that never saw it. Each tuning
question that reaches the ranking (no red flag, not declined by a scope rule) is scored once,
lexically and semantically, with those out-of-fold probabilities. Cross-validation then picks,
on each training fold, the fusion weights with the best hit@1, a logistic model of "the top
entry is right", and the probabilities at which to answer or offer choices (the best utility
whose wrong confident answers stay under 1 in 80); the held-out fold reports the figures. The
final head and model are fitted on everything. Locked held-out sets are never read here.
"""

from __future__ import annotations

import argparse
import json
import sys
from dataclasses import replace

import numpy as np

from faq.build import TOPIC_HEAD, default_data_dir, engine_for, load_rules
from faq.corpus import load_corpus
from faq.decision import BASE_FEATURES, FEATURES
from faq.maintain import evaluate
from faq.maintain.fit_decision import (
    Fitted,
    collect,
    cross_validate,
    fit,
    lexical_baseline,
    with_topics,
)
from faq.maintain.fit_topics import TOPIC_L2, TUNING_SETS, Topics, fit_topics, topic_rows


def _numbers(values: np.ndarray) -> str:
    return "[" + ", ".join(f"{v:.6g}" for v in values) + "]"


def _yaml(fitted: Fitted, bare: Fitted, figures: dict[str, dict[str, float]], count: int) -> str:
    described = "\n".join(
        f"# 5-fold cross-validated, {name}: "
        + ", ".join(f"{key} {value:.3f}" for key, value in values.items())
        + "."
        for name, values in figures.items()
    )
    twin = "\n".join(f"  {line}" for line in _model(bare, BASE_FEATURES).splitlines())
    return (
        "# Fitted by `python -m faq.maintain.fit --write` on the tuning sets "
        f"({count} ranked questions);\n{described}\n"
        "# Do not edit by hand. without_topics decides while the topic head does not fit the\n"
        "# corpus (an entry added or removed since it was fitted).\n"
        f"{_model(fitted, FEATURES)}"
        f"topic_weight: {fitted.fusion.topic}\n"
        f"without_topics:\n{twin}\n"
    )


def _model(fitted: Fitted, names: tuple[str, ...]) -> str:
    return (
        f"features: [{', '.join(names)}]\n"
        f"weights: {_numbers(fitted.weights)}\n"
        f"bias: {fitted.bias:.6g}\n"
        f"mean: {_numbers(fitted.mean)}\n"
        f"scale: {_numbers(fitted.scale)}\n"
        f"answer_at: {fitted.answer_at}\n"
        f"unsure_at: {fitted.unsure_at}\n"
        f"lexical_weight: {fitted.fusion.lexical}\n"
    )


def _head_json(topics: Topics) -> str:
    return json.dumps(
        {
            "about": "The topic head (faq/topics.py): softmax regression on the embedding,"
            f" fitted by `python -m faq.maintain.fit --write` on {len(topics.texts)} texts"
            f" (L2 {TOPIC_L2}). Do not edit by hand.",
            "classes": list(topics.classes),
            "weights": [[float(f"{v:.6g}") for v in row] for row in topics.weights],
        }
    )


def main() -> int:
    """Cross-validate, fit on every tuning question and, with --write, store the model."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--write", action="store_true", help="write the data directory's decision.yaml"
    )
    args = parser.parse_args()
    engine = engine_for(load_corpus(), load_rules(), semantic=True, detector=False)
    rows = topic_rows(engine, default_data_dir())
    topics = fit_topics(engine, rows)
    heard = np.mean(topics.out_of_fold.argmax(axis=1) == topics.labels)
    print(f"topic head: {len(topics.texts)} texts, out-of-fold top class right {heard:.3f}")
    examples = [e for path in TUNING_SETS for e in evaluate.read_examples(path)]
    points = with_topics(collect(engine, examples), topics)
    bare_points = [replace(pt, topics=None) for pt in points]
    figures = {
        "hybrid": cross_validate(engine, points),
        "hybrid without the topic head": cross_validate(engine, bare_points),
        "lexical only": lexical_baseline(engine, points),
    }
    fitted, bare = fit(engine, points), fit(engine, bare_points)
    print(f"{len(points)} ranked tuning questions; 5-fold CV: " + " | ".join(figures))
    for key in figures["hybrid"]:
        print(f"  {key:48} " + "   ".join(f"{f[key]:.3f}" for f in figures.values()))
    print(
        f"fitted: lexical weight {fitted.fusion.lexical}, topic weight {fitted.fusion.topic},"
        f" answer at {fitted.answer_at}, unsure at {fitted.unsure_at};"
        f" without topics: lexical weight {bare.fusion.lexical}"
    )
    if args.write:
        target = default_data_dir() / "decision.yaml"
        target.write_text(_yaml(fitted, bare, figures, len(points)), encoding="utf-8")
        head = default_data_dir() / TOPIC_HEAD
        head.write_text(_head_json(topics) + "\n", encoding="utf-8")
        print(f"wrote {target} and {head}")
        print("next: python -m faq.maintain.recut --write (this refit has no agreed_answer_at)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
