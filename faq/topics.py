"""The topic head: a softmax classifier on a message's embedding, over the entries and "outside".

Where the cosine asks "which phrasing is this closest to", the head learned from every corpus
phrasing, tuning question and out-of-scope example where each entry's region ends, and how
likely a message is to be about none of them. `python -m faq.maintain.fit --write` fits it
(numpy, by k-fold cross-validation with the decision it feeds) and ships it as
data/topic-head.json; it reads the semantic layer's vector, so it costs no model run.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from faq.semantic import Vectors

OUTSIDE = "outside"  # the class of a message that no entry answers


@dataclass(frozen=True)
class TopicScores:
    """The head's probabilities for one message: each entry's, in index order, and outside's."""

    entries: np.ndarray
    outside: float


@dataclass(frozen=True)
class TopicHead:
    """A fitted softmax layer: logits = [vector, 1] @ weights, one column per class."""

    classes: tuple[str, ...]  # entry ids, then OUTSIDE
    weights: np.ndarray  # (dimensions + 1, classes); the last row is the bias

    @classmethod
    def from_data(cls, data: dict[str, Any]) -> TopicHead:
        """Give the head held in a topic-head.json mapping (ValueError when it is malformed)."""
        classes = tuple(str(c) for c in data["classes"])
        if not classes or classes[-1] != OUTSIDE or len(set(classes)) != len(classes):
            raise ValueError(f"'classes' must be distinct entry ids, then {OUTSIDE!r}")
        weights = np.asarray(data["weights"], dtype=np.float32)
        if weights.ndim != 2 or weights.shape[1] != len(classes) or weights.shape[0] < 2:
            raise ValueError(f"'weights' must be rows of {len(classes)} numbers, bias last")
        if not np.isfinite(weights).all():
            raise ValueError("'weights' must be finite numbers")
        return cls(classes, weights)

    @property
    def dimensions(self) -> int:
        """The length of the vectors it reads."""
        return int(self.weights.shape[0]) - 1

    def fits(self, ids: Sequence[str]) -> bool:
        """Tell whether the head was fitted on exactly these entries (else: refit it)."""
        return set(self.classes) == {*ids, OUTSIDE}

    def scores(self, vector: Vectors, ids: tuple[str, ...]) -> TopicScores | None:
        """Give the probabilities for entries `ids`, or None when the head was fitted on other
        entries (one added or removed since: refit it) or for other vectors."""
        if not self.fits(ids) or len(vector) != self.dimensions:
            return None
        logits = vector.astype(np.float64) @ self.weights[:-1] + self.weights[-1]
        shifted = np.exp(logits - logits.max())
        probability = dict(zip(self.classes, (shifted / shifted.sum()).tolist(), strict=True))
        return TopicScores(np.array([probability[i] for i in ids]), probability[OUTSIDE])
