"""The learned layer of triage: a softmax classifier over sentence embeddings.

Fitted by `python -m faq.maintain.fit_triage` on the exemplar bank (data/triage/bank.tsv) and
hard negatives, shipped as data/triage/detector.npz. It reads the whole message and each of
its sentence windows, so a warning sign buried in a long story counts.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

from faq.semantic import Vectors

NONE = "none"


@dataclass(frozen=True)
class Detection:
    """The most likely emergency category of a message, and how likely any emergency is."""

    category: str
    probability: float  # of any emergency, in the window where it is highest
    window: int  # 0 for the whole message, else the sentence window's number


@dataclass(frozen=True)
class Detector:
    """Softmax weights over standardised embeddings, and the probability that raises a flag."""

    classes: tuple[str, ...]
    weights: np.ndarray  # (dim, classes)
    bias: np.ndarray  # (classes,)
    mean: np.ndarray
    scale: np.ndarray
    flag_at: float  # probability of any emergency that raises a flag
    net_at: float  # lower probability that adds the "if this is happening now" line
    model_checksum: str

    @classmethod
    def load(cls, path: Path) -> Detector:
        """Give the detector stored in an .npz file (ValueError when it is malformed)."""
        with np.load(path, allow_pickle=False) as data:
            classes = tuple(str(c) for c in data["classes"])
            detector = cls(
                classes,
                np.asarray(data["weights"], dtype=np.float32),
                np.asarray(data["bias"], dtype=np.float32),
                np.asarray(data["mean"], dtype=np.float32),
                np.asarray(data["scale"], dtype=np.float32),
                float(data["flag_at"]),
                float(data["net_at"]),
                str(data["model_checksum"]),
            )
        if NONE not in classes or detector.weights.shape[1] != len(classes):
            raise ValueError(f"{path}: classes and weights do not match")
        return detector

    def save(self, path: Path) -> None:
        """Write the detector to an .npz file."""
        np.savez(
            path,
            classes=np.array(self.classes),
            weights=self.weights,
            bias=self.bias,
            mean=self.mean,
            scale=self.scale,
            flag_at=self.flag_at,
            net_at=self.net_at,
            model_checksum=self.model_checksum,
        )

    def probabilities(self, vectors: Vectors) -> np.ndarray:
        """Give each row's class probabilities, in the order of `classes`."""
        logits = ((vectors - self.mean) / self.scale) @ self.weights + self.bias
        shifted = np.exp(logits - logits.max(axis=1, keepdims=True))
        return np.asarray(shifted / shifted.sum(axis=1, keepdims=True))

    def detect(self, vectors: Vectors) -> Detection | None:
        """Give the strongest emergency over the message and its windows (None without any)."""
        if not len(vectors):
            return None
        probabilities = self.probabilities(vectors)
        none = self.classes.index(NONE)
        emergency = 1.0 - probabilities[:, none]
        window = int(np.argmax(emergency))
        row = probabilities[window].copy()
        row[none] = -1.0
        return Detection(self.classes[int(np.argmax(row))], float(emergency[window]), window)
