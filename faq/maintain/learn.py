"""Small, deterministic learners in numpy: logistic regression and k-fold splits."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class Linear:
    """A fitted linear model over standardised inputs: scores = ((x - mean) / scale) @ W + b."""

    weights: np.ndarray  # (features,)
    bias: float
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


def folds(size: int, k: int = 5, seed: int = 7) -> Iterator[tuple[np.ndarray, np.ndarray]]:
    """Give (train, test) index arrays for k shuffled folds."""
    order = np.random.default_rng(seed).permutation(size)
    for part in np.array_split(order, k):
        yield np.setdiff1d(order, part), part


def grouped_folds(
    keys: Sequence[str], k: int = 5, seed: int = 7
) -> Iterator[tuple[np.ndarray, np.ndarray]]:
    """Give (train, test) index arrays for k shuffled folds that keep rows of one key together."""
    names, group = np.unique(np.asarray(keys), return_inverse=True)
    for _, part in folds(len(names), k, seed):
        held = np.isin(group, part)
        yield np.flatnonzero(~held), np.flatnonzero(held)


def _standardise(x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    mean = x.mean(axis=0)
    scale = x.std(axis=0)
    return mean, np.where(scale > 1e-9, scale, 1.0)


def fit_softmax(
    x: np.ndarray, y: np.ndarray, classes: int, l2: float = 1e-4, steps: int = 1500
) -> np.ndarray:
    """Give the weights ((features + 1) x classes, bias last) of a softmax regression of y.

    Full-batch gradient descent with Adam on the mean cross-entropy and an L2 penalty on the
    weights (not the bias); deterministic, starting from zero.
    """
    design = np.hstack([x, np.ones((len(x), 1))])
    target = np.eye(classes)[y]
    weights = np.zeros((design.shape[1], classes))
    first, second = np.zeros_like(weights), np.zeros_like(weights)
    penalty = np.ones_like(weights)
    penalty[-1] = 0.0
    for step in range(1, steps + 1):
        logits = design @ weights
        logits -= logits.max(axis=1, keepdims=True)
        p = np.exp(logits)
        p /= p.sum(axis=1, keepdims=True)
        gradient = design.T @ (p - target) / len(x) + 2 * l2 * penalty * weights
        first = 0.9 * first + 0.1 * gradient
        second = 0.999 * second + 0.001 * gradient**2
        step_size = 0.05 * np.sqrt(1 - 0.999**step) / (1 - 0.9**step)
        weights -= step_size * first / (np.sqrt(second) + 1e-8)
    return weights


def softmax_probabilities(x: np.ndarray, weights: np.ndarray) -> np.ndarray:
    """Give the class probabilities of the rows of x under softmax weights (bias last)."""
    logits = x @ weights[:-1] + weights[-1]
    logits -= logits.max(axis=1, keepdims=True)
    p = np.exp(logits)
    return np.asarray(p / p.sum(axis=1, keepdims=True))
