"""The decision stage: a ranking becomes answered, unsure or out of scope."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from faq.model import Status
from faq.ranking import Ranking


@dataclass(frozen=True)
class Thresholds:
    """Where confidence ends: fitted on the tuning sets (thresholds.yaml in the data directory)."""

    answer_confidence: float
    answer_margin: float
    unsure_confidence: float

    @classmethod
    def from_data(cls, data: dict[str, Any]) -> Thresholds:
        """Give the thresholds held in a thresholds.yaml mapping."""
        return cls(**{key: float(data[key]) for key in cls.__dataclass_fields__})


def decide(ranking: Ranking, thresholds: Thresholds) -> Status:
    """Give answered, unsure or out_of_scope for a ranking."""
    if ranking.exact:
        return Status.ANSWERED  # word for word a phrasing the maintainers wrote for it
    if (
        ranking.confidence >= thresholds.answer_confidence
        and ranking.margin >= thresholds.answer_margin
    ):
        return Status.ANSWERED
    if ranking.confidence >= thresholds.unsure_confidence:
        return Status.UNSURE
    return Status.OUT_OF_SCOPE
