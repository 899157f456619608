"""What the learned detector reads of a second concern beside a flag (see Triage._beside): a
crisis beside a medical emergency, or a medical emergency beside a crisis."""

from __future__ import annotations

import logging
from dataclasses import replace

from faq.query import Query
from faq.triage.categories import Categories
from faq.triage.detector import NONE, Detection, Detector
from faq.triage.flags import FLAGGED_AT_NET, Flag, flag_threshold

log = logging.getLogger(__name__)
#: Tiers the detector's own verdict never adds beside a crisis: the crisis itself, and a
#: poisoning, which it reads in a plan ("been saving my tablets, 90 now, enough?": 11 of the
#: tuning sets' 528 crises flagged by the rule); the poison rules read one that happened.
RULES_BESIDE_A_CRISIS = (FLAGGED_AT_NET, "poison")


def by_sentence(detector: Detector, detection: Detection, query: Query) -> Detection:
    """Give the detection with the likeliest category of each of the message's sentences
    added to its `tops`, when it was read whole: a second concern is often a sentence of its
    own ("I can't do this anymore. My calf is swollen and hot")."""
    if query.windows or not query.parts:
        return detection
    try:
        sentences = detector.detect(None, query.parts)
    except Exception:  # an onnxruntime fault must not cost the flag already raised
        log.exception("the triage detector failed on a flagged message's sentences")
        return detection
    tops = dict(detection.tops)
    for name, chance in sentences.tops.items():
        tops[name] = max(tops.get(name, 0.0), chance)
    return replace(detection, tops=tops)


def crisis_beside(detector: Detector, categories: Categories, detection: Detection) -> Flag | None:
    """Give the crisis the detector would flag on its own (from the net's threshold) in the
    message or in one of its sentences, beside another emergency, if any. Its reply says it
    as an if: at that threshold 1 in 80 of the emergencies of the triage tuning sets got one,
    most from a sentence such as "he says it is nothing" read alone."""
    found = [
        (chance, categories.get(name))
        for name, chance in detection.tops.items()
        if name != NONE and categories.get(name).tier.id == FLAGGED_AT_NET
    ]
    at = detector.flag_at, detector.net_at
    flagged = [(p, c) for p, c in found if p >= flag_threshold(c.tier.id, *at)]
    if not flagged:
        return None
    chance, category = max(flagged, key=lambda pair: pair[0])
    return Flag(category, "detector", "beside the flag", chance)


def medical_beside(detector: Detector, categories: Categories, rest: str) -> Flag | None:
    """Give the detector's verdict of a medical tier on a message in crisis without its
    crisis clauses (`rest`), where it would flag it on its own ("I want to die. there's a red
    line going up my leg ...": a spreading infection, which no rule reads)."""
    detection = read(detector, [rest]) if rest else None
    if detection is None or detection.category == NONE:
        return None
    category = categories.get(detection.category)
    threshold = flag_threshold(category.tier.id, detector.flag_at, detector.net_at)
    if category.tier.id in RULES_BESIDE_A_CRISIS or detection.probability < threshold:
        return None
    return Flag(category, "detector", "beside the crisis", detection.probability)


def medical_chance(detector: Detector, categories: Categories, texts: list[str]) -> float:
    """Give the detector's highest chance of an emergency other than a crisis in these texts,
    each read in a call of its own (0.0 if it fails: the crisis reply is given, and a rule
    that waits on the detector is a noisy one)."""
    if not texts:
        return 0.0
    others = [
        i
        for i, name in enumerate(detector.classes)
        if name != NONE and categories.get(name).tier.id != FLAGGED_AT_NET
    ]
    try:  # each text alone: an int8 score moves with its batch's padding
        chances = [detector.probabilities([text])[0, others].sum() for text in texts]
    except Exception:  # an onnxruntime fault must not cost the reply
        log.exception("the triage detector failed on a second concern; none is added")
        return 0.0
    return float(max(chances))


def read(detector: Detector, texts: list[str]) -> Detection | None:
    """Give the detector's verdict on texts (the best of them), to name a second concern as a
    flag's is named or to find one (None if there are none, or it fails)."""
    if not texts:
        return None
    try:
        return detector.detect(None, texts)
    except Exception:  # a refinement: the rule's own concern stands
        log.exception("the triage detector failed on a second concern")
        return None
