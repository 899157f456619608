"""The decision stage: a ranking becomes answered, unsure or out of scope.

With the semantic layer on, a small logistic model (fitted by cross-validation on the tuning
sets, shipped as decision.yaml) gives the probability that the top entry is the right one;
lexical only, the fitted thresholds of thresholds.yaml apply to the BM25 confidence.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

from faq.model import Status
from faq.ranking import Ranking

#: What the decision model reads of a ranking, in the order of its weights.
FEATURES = (
    "lexical",
    "lexical_margin",
    "semantic",
    "semantic_margin",
    "agree",
    "fused",
    "fused_margin",
    "outside",
    "inside_lead",
    "exact",
)


@dataclass(frozen=True)
class Thresholds:
    """Where lexical confidence ends: fitted on the tuning sets (thresholds.yaml)."""

    answer_confidence: float
    answer_margin: float
    unsure_confidence: float

    @classmethod
    def from_data(cls, data: dict[str, Any]) -> Thresholds:
        """Give the thresholds held in a thresholds.yaml mapping."""
        return cls(**{key: float(data[key]) for key in cls.__dataclass_fields__})


@dataclass(frozen=True)
class DecisionModel:
    """A logistic model of "the top entry is right", and where answering and offering start."""

    weights: tuple[float, ...]
    bias: float
    mean: tuple[float, ...]
    scale: tuple[float, ...]
    answer_at: float
    unsure_at: float
    lexical_weight: float  # the fusion weight the model was fitted with

    @classmethod
    def from_data(cls, data: dict[str, Any]) -> DecisionModel:
        """Give the model held in a decision.yaml mapping (its features must be FEATURES)."""
        if tuple(data["features"]) != FEATURES:
            raise ValueError(f"features must be {list(FEATURES)}, in that order")
        numbers = {key: tuple(float(v) for v in data[key]) for key in ("weights", "mean", "scale")}
        if any(len(values) != len(FEATURES) for values in numbers.values()):
            raise ValueError("weights, mean and scale need one number per feature")
        return cls(
            numbers["weights"],
            float(data["bias"]),
            numbers["mean"],
            numbers["scale"],
            float(data["answer_at"]),
            float(data["unsure_at"]),
            float(data["lexical_weight"]),
        )

    def probability(self, ranking: Ranking) -> float:
        """Give the modelled probability that the ranking's top entry is the right answer."""
        values = features(ranking)
        z = self.bias + sum(
            w * (v - m) / s
            for w, v, m, s in zip(self.weights, values, self.mean, self.scale, strict=True)
        )
        return 1.0 / (1.0 + math.exp(-max(min(z, 40.0), -40.0)))


Policy = Thresholds | DecisionModel


def features(ranking: Ranking) -> tuple[float, ...]:
    """Give the decision model's inputs for a ranking, in the order of FEATURES."""
    hits = ranking.hits
    fused = hits[0].score if hits else 0.0
    runner_up = hits[1].score if len(hits) > 1 else 0.0
    return (
        ranking.confidence,
        ranking.margin,
        ranking.semantic_top,
        ranking.semantic_margin,
        1.0 if ranking.agree else 0.0,
        fused,
        fused - runner_up,
        ranking.outside,
        ranking.semantic_top - ranking.outside,
        1.0 if ranking.exact else 0.0,
    )


def decide(ranking: Ranking, policy: Policy) -> Status:
    """Give answered, unsure or out_of_scope for a ranking."""
    if ranking.exact:
        return Status.ANSWERED  # word for word a phrasing the maintainers wrote for it
    if isinstance(policy, DecisionModel):
        status = _by_probability(policy.probability(ranking), policy)
        # one word ("magnesium") names a subject, not a question: offer choices at most
        return Status.UNSURE if status is Status.ANSWERED and ranking.terms < 2 else status
    if ranking.confidence >= policy.answer_confidence and ranking.margin >= policy.answer_margin:
        return Status.ANSWERED
    if ranking.confidence >= policy.unsure_confidence:
        return Status.UNSURE
    return Status.OUT_OF_SCOPE


def _by_probability(probability: float, model: DecisionModel) -> Status:
    if probability >= model.answer_at:
        return Status.ANSWERED
    if probability >= model.unsure_at:
        return Status.UNSURE
    return Status.OUT_OF_SCOPE
