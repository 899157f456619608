"""The topic head: loaded verified from its data file, and the learner that fits it."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from faq.build import TOPIC_HEAD, build_engine, load_rules
from faq.maintain.learn import fit_softmax, softmax_probabilities
from faq.rules import DataError


def _edit(data_dir: Path, **fields: Any) -> None:
    path = data_dir / TOPIC_HEAD
    head = json.loads(path.read_text(encoding="utf-8"))
    head.update(fields)
    path.write_text(json.dumps(head), encoding="utf-8")


@pytest.mark.parametrize(
    ("fields", "reason"),
    [
        ({"classes": ["dosage", "kidney"]}, "'classes' must be distinct entry ids, then 'outside'"),
        ({"classes": ["dosage", "dosage", "outside"]}, "'classes' must be distinct"),
        ({"weights": [[0.0, 1.0]]}, "'weights' must be rows of 28 numbers"),
        ({"weights": [[float("nan")] * 28] * 385}, "'weights' must be finite"),
        ({"weights": "many"}, "malformed"),
    ],
)
def test_a_topic_head_that_does_not_fit_is_refused_naming_the_file(
    data_dir: Path, fields: dict[str, Any], reason: str
) -> None:
    _edit(data_dir, **fields)

    with pytest.raises(DataError, match=rf"{TOPIC_HEAD}: .*{reason}") as caught:
        load_rules(data_dir)
    assert "\n" not in str(caught.value)


def test_a_missing_or_unreadable_topic_head_is_named(data_dir: Path) -> None:
    (data_dir / TOPIC_HEAD).write_text("{not json", encoding="utf-8")

    with pytest.raises(DataError, match=rf"{TOPIC_HEAD}: cannot read"):
        load_rules(data_dir)
    (data_dir / TOPIC_HEAD).unlink()
    with pytest.raises(DataError, match=rf"{TOPIC_HEAD}: cannot read"):
        load_rules(data_dir)


def test_a_head_for_vectors_of_another_size_stops_the_semantic_engine(data_dir: Path) -> None:
    _edit(data_dir, weights=[[0.0] * 28] * 11)

    with pytest.raises(DataError, match="another size"):
        build_engine(data_dir=data_dir, semantic=True)
    assert build_engine(data_dir=data_dir, semantic=False).ranker.topic_head is None


def test_the_softmax_learner_separates_three_clusters() -> None:
    rng = np.random.default_rng(0)
    centres = np.array([[3.0, 0.0], [0.0, 3.0], [-3.0, -3.0]])
    labels = rng.integers(0, 3, 300)
    points = centres[labels] + rng.normal(0, 0.5, (300, 2))

    weights = fit_softmax(points, labels, 3)
    probabilities = softmax_probabilities(points, weights)

    assert weights.shape == (3, 3)
    assert (probabilities.argmax(axis=1) == labels).mean() > 0.98
    assert np.allclose(probabilities.sum(axis=1), 1.0)
