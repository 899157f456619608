"""The values triage gives: a flag (an emergency recognised) and the whole assessment."""

from __future__ import annotations

from dataclasses import dataclass

from faq.triage.categories import Category

FLAGGED_AT_NET = "crisis"  # the tier the detector flags from the safety net's threshold


@dataclass(frozen=True)
class Flag:
    """An emergency recognised in a message: its category, and which layer and rule fired."""

    category: Category
    layer: str
    rule: str
    score: float = 1.0
    named: float = 0.0  # the detector's score when it named the concern of a rule's flag
    raised_from: str = ""  # the concern the flag named before its context raised it

    @property
    def tier(self) -> str:
        """emergency, urgent, poison or crisis."""
        return self.category.tier.id


@dataclass(frozen=True)
class Assessment:
    """The triage verdict: an emergency, if any, the cautions, and whether to add the net."""

    flag: Flag | None
    cautions: tuple[str, ...] = ()
    caution_ids: tuple[str, ...] = ()
    symptoms_now: bool = False
    net_rule: str = ""  # a rule that waited on the detector, matched, and was ruled out
    asked_rule: str = ""  # a rule that matched the message's questions read as reports
    also: Flag | None = None  # a concern of the other kind beside the flag (Triage._beside)


def flag_threshold(tier: str, flag: float, net: float) -> float:
    """Give the probability at which a detector verdict of this tier raises a flag.

    `flag` and `net` are the detector's thresholds (detector.json: flag_at and net_at).

    A likely crisis is flagged where the safety net would begin: the net's "if this is
    happening now and severe" line is the wrong words for someone who may want to die, and
    the crisis reply (helplines, someone to talk to now) costs little when it is not needed.
    """
    return net if tier == FLAGGED_AT_NET else flag
