"""The triage stage: every layer may add a flag, none may remove one; cautions and the net."""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Iterable, Sequence
from dataclasses import replace

from faq.query import Query
from faq.triage import beside
from faq.triage.categories import Categories
from faq.triage.detector import NONE, Detection, Detector
from faq.triage.flags import FLAGGED_AT_NET, Assessment, Flag, flag_threshold
from faq.triage.raising import Raising
from faq.triage.rules import RuleHit, RuleLayer

__all__ = ["CONFIRM_AT", "Assessment", "Flag", "Triage", "detection", "flag_threshold"]

log = logging.getLogger(__name__)
#: A `with_detector: confirm` rule flags unless the detector gives the message less than this:
#: on triage-dev1.tsv, before the detector was fitted on it, most of their false alarms scored
#: under 0.01 and every emergency they caught 0.74 or more; since, no emergency they catch in
#: the fitting data scores under it out of fold, and each of their examples is confirmed.
CONFIRM_AT = 0.05
#: The detector names the concern of a rule's flag when it gives its category this many times
#: the rule's (see Triage._named): on the triage tuning sets, at 1 it named 384 flags right and
#: 12 wrong, at 20 it names 367 right and 2 wrong; all but two of the rules' own examples,
#: which name a symptom with no context ("she is disoriented and incoherent"), keep theirs.
NAMED_OVER = 20.0


class Triage:
    """The triage layers over the clinical categories, and the contextual cautions."""

    def __init__(
        self, rules: RuleLayer, categories: Categories, detector: Detector | None = None
    ) -> None:
        unknown = set(rules.categories.values()) - set(categories.ids)
        if detector is not None:
            unknown |= set(detector.classes) - {NONE} - set(categories.ids)
        unknown |= {c for r in rules.raisings for c in (r.concern, r.becomes)} - set(categories.ids)
        if unknown:
            raise ValueError(f"triage names unknown categories: {sorted(unknown)}")
        if lowering := _lowering(rules.raisings, categories):
            raise ValueError(f"raised: would not make a concern more urgent: {', '.join(lowering)}")
        self.rules = rules
        self.categories = categories
        self.detector = detector
        # what a carry token's bits mean, and a short name for that meaning
        self._order = sorted(rule.id for rule in rules.caution_rules())
        self._fingerprint = hashlib.sha256(" ".join(self._order).encode()).hexdigest()[:2]

    def with_detector(self, detector: Detector | None) -> Triage:
        """Give the same rules with this learned detector (None: rules only)."""
        return Triage(self.rules, self.categories, detector)

    def assess(self, query: Query) -> Assessment:
        """Give the emergency a message describes, if any, the cautions, and the net."""
        text = query.normalised
        cautions = self.rules.cautions(text)
        hit = self.rules.red_flag(text, query.sentences, self.detector is not None)
        flag = self._by_rule(hit) if hit and not hit.confirm else None
        detection, failed = (None, False) if self._settled(flag) else self._detect(query)
        flag = (
            flag or self._confirmed(hit, detection, failed, query) or self._by_detector(detection)
        )
        flag = self._raise(self._named(flag, detection), text)
        also = self._raise(self._beside(flag, query, detection, failed), text)
        unsure = failed or (detection is not None and detection.probability >= self._net_at())
        net = flag is None and (unsure or hit is not None or self._unread(query, text))
        asked = "" if flag or net else self._asked(query)
        return Assessment(
            flag,
            tuple(rule.message for rule in cautions),
            tuple(rule.id for rule in cautions),
            net or bool(asked),
            hit.rule if hit and flag is None else "",
            asked,
            also,
        )

    def _beside(
        self, flag: Flag | None, query: Query, detection: Detection | None, failed: bool
    ) -> Flag | None:
        """Give a concern of the other kind that the message describes beside its flag: a
        medical emergency beside a crisis, or a crisis beside a medical emergency. Each needs
        its own first action, and the flag's reply alone leaves the other out ("I want to
        end it all, and my face has dropped on one side" got only the crisis lines)."""
        if flag is None:
            return None
        if flag.tier == FLAGGED_AT_NET:
            return self._medical(query, flag)
        if detection is None and not failed:  # a settled flag skipped the detector
            detection, failed = self._detect(query)
        if self.detector is None or detection is None:
            return None
        detection = beside.by_sentence(self.detector, detection, query)
        return beside.crisis_beside(self.detector, self.categories, detection)

    def _medical(self, query: Query, crisis: Flag) -> Flag | None:
        """Give the medical emergency a message in crisis also describes, if any: the first
        rule of another tier that matches and flags outright, or that waits on the detector
        and is confirmed by its chance of an emergency other than a crisis where the crisis
        is not ("I want to die. cramp lasts 15 minutes every night" is not confirmed); else
        the detector's own verdict of another tier on the message without the clauses the
        crisis rule fires in. The rules read only what is happening now, without the words of
        the writer's wish not to wake ("id rather not wake up" is no sign of too much
        magnesium)."""
        tiers = {c.id for c in self.categories if c.tier.id == FLAGGED_AT_NET}
        text, sentences = self.rules.without_wishes(query.normalised), query.sentences
        rest = self._rest(query, crisis)
        hit = self.rules.red_flag(text, sentences, self.detector is not None, tiers, second=True)
        detector = self.detector
        while hit is not None:
            texts = self._own_texts(hit, query, rest)
            kept = True  # a rule that waits on the detector, confirmed where the crisis is not
            if hit.confirm and detector is not None:
                kept = beside.medical_chance(detector, self.categories, texts) >= CONFIRM_AT
            if kept:
                reading = beside.read(detector, texts) if detector is not None else None
                return self._named(self._by_rule(hit), reading)
            hit = hit.otherwise
        if detector is None or query.word_list:
            return None
        return beside.medical_beside(detector, self.categories, rest)

    def _rest(self, query: Query, crisis: Flag) -> str:
        """Give the message without the clauses its crisis rule fires in ("" if the crisis
        was the detector's, or the rule fires in every clause)."""
        if crisis.layer != "rule":
            return ""
        rest = self.rules.without_rule(crisis.rule, query.normalised, query.sentences)
        return "" if rest == query.normalised else rest

    def _own_texts(self, hit: RuleHit, query: Query, rest: str) -> list[str]:
        """Give what the detector reads of a second concern without a crisis beside it: the
        message without its crisis clauses, the sentences a rule fired in (else the whole
        message), with and without their pleas."""
        if self.detector is None:
            return []
        firing, bare = self._texts_of(hit, query)
        if not firing:  # one sentence, or a rule no single sentence fires: the whole message
            firing, bare = [query.normalised], [self.rules.without_plea(query.normalised)]
        return list(dict.fromkeys(filter(None, [rest, *firing, *bare])))

    def _unread(self, query: Query, text: str) -> bool:
        """Tell whether a message may describe symptoms now that no layer flagged: its
        words say so, or it is in a language none of them reads."""
        return query.foreign or self.rules.symptoms_now(text)

    def _asked(self, query: Query) -> str:
        """Give the rule that reads a question's words as an emergency's signs, if any: the
        question may be about what is happening now ("how do you tell if its a stroke face
        drooping slurred speech"), so it gets the net, not the emergency reply."""
        return self.rules.asked_signs(query.normalised, query.sentences)

    def _confirmed(
        self, hit: RuleHit | None, detection: Detection | None, failed: bool, query: Query
    ) -> Flag | None:
        """Give a matched `confirm` rule the detector does not rule out, else the matched
        rule that flags outright, else a later rule to confirm that it confirms.

        The first rule flags when the detector gives the message at least CONFIRM_AT, or
        could not read it (it failed, or the message has nothing it reads): the rule is then
        all there is to go on. It flags too when the detector gives that much to a sentence
        it fired in, or to the message or such a sentence without the plea it ends in: a short
        warning after an ordinary question ("How long does magnesium take to work? I
        fainted.") is diluted in the whole message, and the detector reads a report that ends
        in a plea as a cramp question ("chest pains" 0.92, "chest pains what do i do" 0.013).
        A rule that needs no confirming comes next; only without one is each later rule to
        confirm judged, on its own sentences.
        """
        if hit is None or not hit.confirm:
            return None
        if failed or detection is None or detection.probability >= CONFIRM_AT:
            return self._by_rule(hit, detection.probability if detection is not None else 1.0)
        whole = () if query.word_list else (query.normalised,)  # as detection() reads it
        score = self._score(self._texts_of(hit, query, whole))
        if score >= CONFIRM_AT:
            return self._by_rule(hit, score)
        return self._by_rule(hit.outright) or self._later_confirmed(hit.otherwise, query)

    def _later_confirmed(self, hit: RuleHit | None, query: Query) -> Flag | None:
        """Give the first later rule to confirm that the detector confirms on its sentences."""
        while hit is not None and hit.confirm:
            score = self._score(self._texts_of(hit, query))
            if score >= CONFIRM_AT:
                return self._by_rule(hit, score)
            hit = hit.otherwise
        return None

    def _texts_of(self, hit: RuleHit, query: Query, whole: Sequence[str] = ()) -> list[list[str]]:
        """Give the sentences a rule fired in, and `whole` and those sentences without the
        plea they end in: the texts the detector reads to confirm the rule, in two calls."""
        if self.detector is None:
            return []
        firing = self.rules.firing_sentences(hit.rule, query.normalised, query.sentences)
        bare = filter(None, map(self.rules.without_plea, [*whole, *firing]))
        return [firing, list(dict.fromkeys(bare))]

    def _score(self, groups: list[list[str]]) -> float:
        """Give the detector's best score over groups of texts (1.0 if it fails: the rule flags)."""
        if self.detector is None:
            return 0.0
        try:  # each group in a call of its own: an int8 score moves with its batch's padding
            scores = (self.detector.detect(None, texts).probability for texts in groups if texts)
            return max(scores, default=0.0)
        except Exception:  # an onnxruntime fault must not cost the flag
            log.exception("the triage detector failed on a rule's sentences; the rule flags")
            return 1.0

    def _by_rule(self, hit: RuleHit | None, score: float = 1.0) -> Flag | None:
        if hit is None:
            return None
        return Flag(self.categories.get(hit.category), "rule", hit.rule, score)

    def _named(self, flag: Flag | None, detection: Detection | None) -> Flag | None:
        """Give a rule's flag the concern the detector names, where it would flag that one on
        its own in the same tier, or in the emergency tier over an urgent one.

        A rule names the category it was written for ("confused and vomiting": too much
        magnesium); the detector reads the whole message ("..., after the marathon, drinking
        water all day": low sodium). It names the concern when it gives its category NAMED_OVER
        times the rule's. A flag is never lowered to a less urgent tier, and a rule whose sign
        needs its own first action (`keeps_concern:` someone who will not wake, fitting, a
        stroke) keeps its concern: "collapsed after days of diarrhoea, won't wake up" is not
        to be given sips of fluid.
        """
        detector = self.detector
        if flag is None or flag.layer != "rule" or detector is None or detection is None:
            return flag
        if self._settled(flag) or detection.category in (NONE, flag.category.id):
            return flag
        category = self.categories.get(detection.category)
        same_or_higher = _may_name(flag.tier, category.tier.id)
        threshold = flag_threshold(category.tier.id, detector.flag_at, detector.net_at)
        named, own = detection.scores.get(category.id, 0.0), detection.scores.get(flag.category.id)
        clear = own is not None and named >= NAMED_OVER * own
        if not same_or_higher or not clear or detection.probability < threshold:
            return flag
        return replace(flag, category=category, named=detection.probability)

    def _raise(self, flag: Flag | None, text: str) -> Flag | None:
        """Give a flag the more urgent concern its context makes it, where `raised:` says so
        (a clot's signs in pregnancy: the pregnancy emergency, call now, not "get seen
        today"), its reply adding the raising's action ("do not rub the calf"); else the flag
        as it is."""
        if flag is None or not (raising := self.rules.raisings.of(flag.category.id, text)):
            return flag
        raised = self.categories.get(raising.becomes)
        action = " ".join(part for part in (raised.action, raising.action) if part)
        return replace(flag, category=replace(raised, action=action), raised_from=raising.concern)

    def _settled(self, flag: Flag | None) -> bool:
        """Tell whether a rule's flag stands as it is, whatever the detector reads: its rule
        keeps its concern, or no other category could name it (the crisis and poison tiers)."""
        if flag is None:
            return False
        if self.rules.keeps_concern(flag.rule):
            return True
        others = (c for c in self.categories if c.id != flag.category.id)
        return not any(_may_name(flag.tier, c.tier.id) for c in others)

    def _by_detector(self, detection: Detection | None) -> Flag | None:
        detector = self.detector
        if detector is None or detection is None:
            return None
        category = self.categories.get(detection.category)
        if detection.probability < flag_threshold(
            category.tier.id, detector.flag_at, detector.net_at
        ):
            return None
        where = "whole message" if detection.window == 0 else f"window {detection.window}"
        return Flag(category, "detector", where, detection.probability)

    def _detect(self, query: Query) -> tuple[Detection | None, bool]:
        """Give the detector's verdict, and whether it failed (then the net is added)."""
        if self.detector is None:
            return None, False
        try:
            return detection(self.detector, query), False
        except Exception:  # an onnxruntime fault must not cost the reply; the rules have run
            log.exception("the triage detector failed; the rules decide, else the safety net")
            return None, True

    def _net_at(self) -> float:
        return self.detector.net_at if self.detector is not None else 2.0

    def carry(self, assessment: Assessment) -> str:
        """Give a short token for the net and cautions, for a button to carry (see `restore`)."""
        order = self._order
        mask = sum(1 << (order.index(c) + 1) for c in assessment.caution_ids if c in order)
        mask |= 1 if assessment.symptoms_now else 0
        return f"{mask:x}{self._fingerprint}" if mask else ""

    def lines(self, assessment: Assessment) -> tuple[str, ...]:
        """Give the lines every reply to the message carries: the safety net, then cautions."""
        net = (self.rules.safety_net,) if assessment.symptoms_now else ()
        return (*net, *assessment.cautions)

    def restore(self, token: str) -> tuple[str, ...]:
        """Give the caution lines a `carry` token stands for (none when it is unknown)."""
        try:
            mask = int(token[:-2], 16) if len(token) > 2 else 0
        except ValueError:
            return ()
        order = self._order
        chosen = {order[i] for i in range(len(order)) if mask >> (i + 1) & 1}
        if mask > 1 and token[-2:] != self._fingerprint:  # drawn before the rules changed
            chosen = set(order)  # which cautions it meant is unknown: give them all
        lines = tuple(r.message for r in self.rules.caution_rules() if r.id in chosen)
        return (self.rules.safety_net, *lines) if mask & 1 else lines

    def vocabulary(self) -> set[str]:
        """Give the words the rules look for, so typos are corrected towards them."""
        return self.rules.vocabulary()


def _may_name(tier: str, other: str) -> bool:
    """Tell whether a category of tier `other` may name the concern of a flag of `tier`: the
    same tier, or the emergency tier over an urgent one (a flag is never lowered)."""
    return tier == other or (tier, other) == ("urgent", "emergency")


def _lowering(raisings: Iterable[Raising], categories: Categories) -> list[str]:
    """Give "concern -> becomes" for each raising into a tier that may not name the
    concern's (see _may_name): a context only keeps a concern's tier or makes an urgent one
    an emergency, never a crisis or a poisoning another kind of concern."""
    return [
        f"{r.concern} -> {r.becomes}"
        for r in raisings
        if not _may_name(categories.get(r.concern).tier.id, categories.get(r.becomes).tier.id)
    ]


def detection(detector: Detector, query: Query) -> Detection | None:
    """Give the detector's verdict on a message as triage reads it (None: nothing to read).

    The detector learned from sentences: a message that is a list of words (a pasted list,
    random text) is read only in its sentence windows that are language.
    """
    if not query.read_by_models:
        return None
    whole = None if query.word_list else query.normalised
    if whole is None and not query.windows:
        return None
    return detector.detect(whole, query.windows)
