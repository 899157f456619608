"""Small, deterministic learners in numpy: logistic and softmax regression, k-fold splits."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class Linear:
    """A fitted linear model over standardised inputs: scores = ((x - mean) / scale) @ W + b."""

    weights: np.ndarray  # (features,) for logistic, (features, classes) for softmax
    bias: np.ndarray | float
    mean: np.ndarray
    scale: np.ndarray

    def logits(self, x: np.ndarray) -> np.ndarray:
        """Give the raw scores of the rows of x."""
        scores: np.ndarray = ((x - self.mean) / self.scale) @ self.weights + self.bias
        return scores


def fit_logistic(x: np.ndarray, y: np.ndarray, l2: float = 1e-2, steps: int = 3000) -> Linear:
    """Give a logistic regression of y (0/1) on x, by gradient descent with an L2 penalty."""
    mean, scale = _standardise(x)
    z = (x - mean) / scale
    w, b = np.zeros(x.shape[1]), 0.0
    rate = 0.5
    for _ in range(steps):
        p = 1 / (1 + np.exp(-(z @ w + b)))
        w -= rate * (z.T @ (p - y) / len(y) + l2 * w)
        b -= rate * float(np.mean(p - y))
    return Linear(w, b, mean, scale)


def fit_softmax(
    x: np.ndarray,
    y: np.ndarray,
    classes: int,
    background: int,
    l2: float = 1e-3,
    steps: int = 600,
) -> Linear:
    """Give a softmax regression of class indices y on x.

    The background class (ordinary messages) weighs as much as all the others together, and
    those share their half equally, so a small category counts as much as a large one.
    """
    mean, scale = _standardise(x)
    z = (x - mean) / scale
    onehot = np.eye(classes)[y]
    counts = np.maximum(np.bincount(y, minlength=classes).astype(float), 1)
    share = np.full(classes, 0.5 / (classes - 1))
    share[background] = 0.5
    sample = (share * len(y) / counts)[y][:, None]
    w, b = np.zeros((x.shape[1], classes)), np.zeros(classes)
    rate = 0.5
    for _ in range(steps):
        error = (softmax(z @ w + b) - onehot) * sample
        w -= rate * (z.T @ error / len(y) + l2 * w)
        b -= rate * error.mean(axis=0)
    return Linear(w, b, mean, scale)


def softmax(logits: np.ndarray) -> np.ndarray:
    """Give row-wise class probabilities."""
    shifted = np.exp(logits - logits.max(axis=-1, keepdims=True))
    probabilities: np.ndarray = shifted / shifted.sum(axis=-1, keepdims=True)
    return probabilities


def folds(size: int, k: int = 5, seed: int = 7) -> Iterator[tuple[np.ndarray, np.ndarray]]:
    """Give (train, test) index arrays for k shuffled folds."""
    order = np.random.default_rng(seed).permutation(size)
    for part in np.array_split(order, k):
        yield np.setdiff1d(order, part), part


def _standardise(x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    mean = x.mean(axis=0)
    scale = x.std(axis=0)
    return mean, np.where(scale > 1e-9, scale, 1.0)
