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
from faq.ranking import Fusion, Ranking

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
    "topic",
    "topic_best",
    "topic_outside",
    "topic_agree",
)
#: What a ranking without the topic head gives (a corpus changed since the head was fitted).
BASE_FEATURES = FEATURES[:10]


@dataclass(frozen=True)
class Thresholds:
    """Where lexical confidence ends: fitted on the tuning sets (thresholds.yaml)."""

    answer_confidence: float
    answer_margin: float
    unsure_confidence: float

    @classmethod
    def from_data(cls, data: dict[str, Any]) -> Thresholds:
        """Give the thresholds held in a thresholds.yaml mapping, its offer cut no higher than
        its answer cut."""
        thresholds = cls(**{key: float(data[key]) for key in cls.__dataclass_fields__})
        if thresholds.unsure_confidence > thresholds.answer_confidence:
            raise ValueError("unsure_confidence must not lie above answer_confidence")
        return thresholds


@dataclass(frozen=True)
class DecisionModel:
    """A logistic model of "the top entry is right", and where answering and offering start.

    The shipped model reads the topic head; its `without_topics` twin, fitted the same way
    without it, decides while the head does not fit the corpus (an entry added or removed
    since it was fitted), so a new entry costs the engine nothing but the head's help.
    agreed_answer_at, when set, is where answering starts instead of answer_at when the
    ranking is unanimous (BM25, the embedding and the topic head each rank the top entry
    first); faq.maintain.recut chooses it, between the two other cuts, on read sets the model
    never saw.
    """

    weights: tuple[float, ...]
    bias: float
    mean: tuple[float, ...]
    scale: tuple[float, ...]
    answer_at: float
    unsure_at: float
    fusion: Fusion  # the fusion weights the model was fitted with
    without_topics: DecisionModel | None = None
    agreed_answer_at: float | None = None

    @classmethod
    def from_data(cls, data: dict[str, Any], names: tuple[str, ...] = FEATURES) -> DecisionModel:
        """Give the model held in a decision.yaml mapping (its features must be `names`)."""
        if tuple(data["features"]) != names:
            raise ValueError(f"features must be {list(names)}, in that order")
        numbers = {key: tuple(float(v) for v in data[key]) for key in ("weights", "mean", "scale")}
        if any(len(values) != len(names) for values in numbers.values()):
            raise ValueError("weights, mean and scale need one number per feature")
        bare = data.get("without_topics")
        twin = cls.from_data(bare, BASE_FEATURES) if names == FEATURES and bare else None
        answer_at, unsure_at = _cuts(data)
        agreed = _agreed_cut(data, answer_at, unsure_at)
        lexical = float(data["lexical_weight"])
        alone = twin.fusion.lexical if twin else lexical
        return cls(
            numbers["weights"],
            float(data["bias"]),
            numbers["mean"],
            numbers["scale"],
            answer_at,
            unsure_at,
            Fusion(lexical, float(data.get("topic_weight", 0.0)), alone),
            twin,
            agreed,
        )

    def for_ranking(self, ranking: Ranking) -> DecisionModel:
        """Give the model that decides this ranking: the twin when it has no topics."""
        if ranking.topics is None and self.without_topics is not None:
            return self.without_topics
        return self

    def probability(self, ranking: Ranking) -> float:
        """Give the modelled probability that the ranking's top entry is the right answer.

        A feature the ranking cannot give (NaN: no topic head, and no twin) counts as its
        mean over the tuning questions, so it moves the probability neither way.
        """
        model = self.for_ranking(ranking)
        values = features(ranking)[: len(model.weights)]
        z = model.bias + sum(
            w * (v - m) / s
            for w, v, m, s in zip(model.weights, values, model.mean, model.scale, strict=True)
            if not math.isnan(v)
        )
        return 1.0 / (1.0 + math.exp(-max(min(z, 40.0), -40.0)))


Policy = Thresholds | DecisionModel


def features(ranking: Ranking) -> tuple[float, ...]:
    """Give the decision model's inputs for a ranking, in the order of FEATURES."""
    hits = ranking.hits
    fused = hits[0].score if hits else 0.0
    runner_up = hits[1].score if len(hits) > 1 else 0.0
    topics = ranking.topics
    unknown = (math.nan,) * 4
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
        *(
            (topics.top, topics.best, topics.outside, 1.0 if topics.agree else 0.0)
            if topics is not None
            else unknown
        ),
    )


@dataclass(frozen=True)
class Decision:
    """What the decision stage made of a ranking, and why, in words for the trace."""

    status: Status
    why: str


def decide(ranking: Ranking, policy: Policy) -> Status:
    """Give answered, unsure or out_of_scope for a ranking."""
    return decision(ranking, policy).status


def decision(ranking: Ranking, policy: Policy) -> Decision:
    """Give a ranking's status with the figures and the cut that chose it."""
    if ranking.exact:  # word for word a phrasing the maintainers wrote for it
        return Decision(Status.ANSWERED, "the exact phrasing of an entry")
    if isinstance(policy, DecisionModel):
        return _by_model(ranking, policy)
    confidence, margin = ranking.confidence, ranking.margin
    figures = f"BM25 confidence {confidence:.3f}, margin {margin:.3f}"
    if confidence >= policy.answer_confidence and margin >= policy.answer_margin:
        cuts = f"{policy.answer_confidence:.3f} and {policy.answer_margin:.3f}"
        return Decision(Status.ANSWERED, f"{figures}, at or above {cuts}")
    if confidence >= policy.unsure_confidence:
        cut = f"{policy.unsure_confidence:.3f}"
        return Decision(Status.UNSURE, f"{figures}: offered from {cut}, not answered")
    return Decision(Status.OUT_OF_SCOPE, f"{figures}, under {policy.unsure_confidence:.3f}")


def _by_model(ranking: Ranking, policy: DecisionModel) -> Decision:
    """Give the decision model's verdict: answered from the answer cut (the agreed cut when
    the ranking is unanimous), offered from the offer cut; one word is offered at most."""
    model = policy.for_ranking(ranking)
    probability = model.probability(ranking)
    agreed = model.agreed_answer_at if ranking.unanimous else None
    answer_at = agreed if agreed is not None else model.answer_at
    why_lower = " (unanimous: BM25, the embedding and the topic head)"
    cut = f"{answer_at:.2f}{why_lower if agreed is not None else ''}"
    figures = f"probability {probability:.3f}; answer from {cut}, offer from {model.unsure_at:.2f}"
    if model is not policy:
        figures += "; the model without the topic head"
    if probability < model.unsure_at:
        return Decision(Status.OUT_OF_SCOPE, figures)
    if probability < answer_at:
        return Decision(Status.UNSURE, figures)
    # one word ("magnesium") names a subject, not a question: offer choices at most
    if ranking.terms < 2:
        return Decision(Status.UNSURE, f"{figures}; one word is offered at most")
    return Decision(Status.ANSWERED, figures)


def _cuts(data: dict[str, Any]) -> tuple[float, float]:
    """Give a decision.yaml mapping's answer and offer cuts, checked to be probabilities with
    the offer cut no higher than the answer cut (else nothing between them is ever offered,
    and a message under the answer cut is answered as if it were over it)."""
    answer_at, unsure_at = float(data["answer_at"]), float(data["unsure_at"])
    if not 0.0 <= unsure_at <= answer_at <= 1.0:
        raise ValueError("unsure_at and answer_at must be probabilities, unsure_at <= answer_at")
    return answer_at, unsure_at


def _agreed_cut(data: dict[str, Any], answer_at: float, unsure_at: float) -> float | None:
    """Give a decision.yaml mapping's agreed_answer_at, checked to lie between the other cuts."""
    if "agreed_answer_at" not in data:
        return None
    cut = float(data["agreed_answer_at"])
    if not unsure_at <= cut <= answer_at:
        raise ValueError("agreed_answer_at must lie between unsure_at and answer_at")
    return cut
