"""The shape of safety.yaml as pydantic models; faults.py checks what a shape cannot say."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Discriminator, Field, Tag


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Clause(_Strict):
    """One way a red-flag rule fires: these concepts within this many words (in this order)."""

    near: tuple[str, ...] = Field(min_length=1)
    within: int | None = Field(default=None, ge=1)
    ordered: bool = False
    gap: int | None = Field(default=None, ge=0)


#: what a red-flag rule reads: "now" skips the past, hypothetical and general questions and
#: ruled-out signs; "questions too" reads hypothetical and general questions (poison: "what if
#: my toddler swallowed a bottle?" gets the poison advice); "everything" reads every word (crisis)
Reading = Literal["now", "questions too", "everything"]
#: what a hit of the rule does while the learned detector runs: "flag" raises the emergency;
#: "confirm" raises it unless the detector all but rules it out (under CONFIRM_AT in
#: faq/triage/assess.py), and then adds the safety net's line (for a rule that raised false
#: alarms on writing it was not written from); "defer" leaves the message to the detector, so
#: the rule is a fallback for when it is off (a category the detector reads well, whose words
#: are common); "confirm if doubtful" flags, and confirms as "confirm" does only where
#: `doubtful:` puts the sign in doubt as a report (in a clause that is a risk question,
#: hearsay, a leaflet's list, a sign cleared or made up); with rules alone, all four flag
WithDetector = Literal["flag", "confirm", "defer", "confirm if doubtful"]


class RedFlagSpec(_Strict):
    """A red-flag rule as written: what it matches, its category, priority and examples."""

    id: str = Field(min_length=1)
    category: str = Field(min_length=1)
    priority: int
    personal: bool = False
    reads: Reading = "now"
    with_detector: WithDetector = "flag"
    keeps_concern: bool = False  # the detector never names another concern for its flag
    match: tuple[Clause, ...] = ()
    patterns: tuple[str, ...] = ()
    unless: tuple[str, ...] = ()  # found anywhere in what the rule reads: it does not fire
    examples: tuple[str, ...] = Field(min_length=1)
    not_examples: tuple[str, ...] = ()


class CautionSpec(_Strict):
    """A contextual caution: the patterns that call for it and the line it adds."""

    id: str = Field(min_length=1)
    patterns: tuple[str, ...] = Field(min_length=1)
    message: str = Field(min_length=1)


class Alternative(_Strict):
    """One way a pattern of many may match, with the plain text it must match."""

    pattern: str = Field(min_length=1)
    examples: tuple[str, ...] = Field(min_length=1)
    not_examples: tuple[str, ...] = ()  # the whole pattern, every alternative, must miss them


def _written_as(value: Any) -> str:
    return "<one>" if isinstance(value, str) else "<alternatives>"


#: a regular expression, or its alternatives one by one, each with examples it must match (a
#: fault names the list, not the union's branches: see rules._problem)
Patterns = Annotated[
    Annotated[str, Tag("<one>")]
    | Annotated[tuple[Alternative, ...], Field(min_length=1), Tag("<alternatives>")],
    Discriminator(_written_as),
]


def joined(patterns: Patterns) -> str:
    """Give the one regular expression a pattern or its alternatives stand for."""
    if isinstance(patterns, str):
        return patterns
    return "|".join(f"(?:{alternative.pattern})" for alternative in patterns)


ALARM_REACH = 200  # characters after an ordinary sense of a word in which an alarm counts


class ContextSpec(_Strict):
    """The patterns that tell a clause is not about something happening now (see rules.py)."""

    def pattern(self, key: str) -> Patterns:
        """Give the pattern, or its alternatives, written under `key`."""
        patterns: Patterns = getattr(self, key)
        return patterns

    def unless_alarm(self) -> str:
        """Give the lookahead that keeps an `other_senses` match from counting when an alarm
        follows it in the message ("the marquee collapsed. A pole hit her head")."""
        return f"(?!.{{0,{ALARM_REACH}}}(?:{joined(self.alarm)}))"

    def sources(self) -> dict[str, str]:
        """Give each context pattern's one expression by name, as Context compiles them, and
        `across`, what is ruled out read over the message: `ruled_out` and `other_senses`
        guarded by `alarm` (those two are read only there)."""
        sources = {key: joined(self.pattern(key)) for key in type(self).model_fields}
        other = f"(?:{sources.pop('other_senses')}){self.unless_alarm()}"
        del sources["alarm"]
        return sources | {"across": f"{sources['ruled_out']}|{other}"}

    now: Patterns
    present: Patterns
    past: Patterns
    earlier: Patterns
    dated: Patterns
    over: Patterns
    resolved: Patterns
    hypothetical: Patterns
    unreal: Patterns
    ruled_out: Patterns
    other_senses: Patterns
    alarm: Patterns
    reported: Patterns
    not_a_report: Patterns
    answered_no: Patterns
    stated: Patterns
    lists: Patterns
    told: Patterns
    invented: Patterns


class DoubtfulSpec(_Strict):
    """What puts a sign in doubt as a report of now, and what never does."""

    forms: Patterns  # a risk question, hearsay, a leaflet's list, a sign cleared or made up
    never_with: Patterns  # now, or someone who has the sign: the message is a report


class RaisedSpec(_Strict):
    """A concern that a context makes another, more urgent one: a flag naming `concern`
    names `becomes` where the message says `when` and none of `unless` (a clot's signs in
    pregnancy), its reply adding `action`."""

    concern: str = Field(min_length=1)
    becomes: str = Field(min_length=1)
    action: str = ""
    when: Patterns
    unless: Patterns = ""


class SafetySpec(_Strict):
    """The whole of safety.yaml."""

    concepts: dict[str, tuple[str, ...]] = {}
    negation: Patterns
    context: ContextSpec
    general_question: Patterns
    personal: Patterns
    symptoms_now: Patterns
    plea: Patterns = ""
    opening_plea: Patterns = ""
    wishes: Patterns = ""  # a wish to die or not to wake, left out of a second concern's reading
    doubtful: DoubtfulSpec | None = None
    safety_net: str = Field(min_length=1)
    red_flags: tuple[RedFlagSpec, ...] = Field(min_length=1)
    cautions: tuple[CautionSpec, ...] = ()
    raised: tuple[RaisedSpec, ...] = ()
