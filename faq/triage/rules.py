"""The precise layer of triage: red-flag rules and contextual cautions, from safety.yaml.

A red-flag rule fires on a `match:` clause (concepts near each other, matched on stems) or on
one of its `patterns:` (regular expressions, for what concepts cannot say), unless a negation
comes right before it ("no chest pain"). Rules are tried by descending `priority:`, ties in
file order.

Rules read only what is happening now: see faq/triage/context.py.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Collection, Iterable, Sequence
from dataclasses import dataclass, fields, replace
from typing import Any

from faq.rules import Rule, RuleFileError, compile_rules, plain_words
from faq.text import split_words
from faq.triage.clauses import BLANK, clauses_of
from faq.triage.concepts import Concept, Near, Words, concepts_from
from faq.triage.context import Context
from faq.triage.faults import compile_faults, example_faults, matches_empty, read_safety
from faq.triage.raising import Raisings
from faq.triage.schema import Reading, RedFlagSpec, SafetySpec, WithDetector, joined

PLEA_TAIL = 300  # characters at the end of a message where its pleas are looked for


@dataclass(frozen=True)
class RuleHit:
    """A red-flag rule that matched, the category it stands for, and whether it needs confirming."""

    rule: str
    category: str
    confirm: bool = False  # beside the detector it flags unless the detector rules it out
    otherwise: RuleHit | None = None  # for a rule to confirm: the next rule that matched

    @property
    def outright(self) -> RuleHit | None:
        """Give the first matched rule, this one or one after it, that flags with no confirming."""
        hit: RuleHit | None = self
        while hit is not None and hit.confirm:
            hit = hit.otherwise
        return hit


@dataclass(frozen=True)
class RedFlag:
    """One red-flag rule: its category, priority, and the clauses and patterns that fire it."""

    id: str
    category: str
    priority: int
    personal: bool
    reads: Reading
    with_detector: WithDetector
    keeps_concern: bool
    clauses: tuple[Near, ...]
    patterns: tuple[re.Pattern[str], ...]
    unless: tuple[re.Pattern[str], ...]
    examples: tuple[str, ...]
    not_examples: tuple[str, ...]

    @property
    def defers(self) -> bool:
        """Tell whether the rule leaves the message to the detector when it runs."""
        return self.with_detector == "defer"

    @property
    def doubts(self) -> bool:
        """Tell whether the rule waits on the detector only where its sign is in doubt."""
        return self.with_detector == "confirm if doubtful"

    def waits(self, in_doubt: bool) -> bool:
        """Tell whether a hit waits on the detector's confirmation beside it, where the
        rule's sign is `in_doubt` as a report or not."""
        return self.with_detector == "confirm" or (in_doubt and self.doubts)

    def matches(self, words: Words, negation: re.Pattern[str]) -> bool:
        """Tell whether a clause or pattern is found, not right after a negation (a pattern
        that reads the whole message first names its sign `(?P<sign>...)`, where the
        negation is looked for), in a text where none of the rule's `unless` is found."""
        text = words.text
        if any(pattern.search(text) for pattern in self.unless):
            return False
        for clause in self.clauses:
            if any(not negation.search(words.before(i)) for i in clause.starts(words)):
                return True
        for pattern in self.patterns:
            if any(not negation.search(words.ahead_of(_sign(m))) for m in pattern.finditer(text)):
                return True
        return False

    def words(self) -> set[str]:
        """Give the plain words the rule looks for, so typos can be corrected towards them."""
        plain = plain_words(self.patterns + self.unless)
        return plain | {w for c in self.clauses for concept in c.concepts for w in concept.words}


def _lined_up(words: Sequence[str], parts: Sequence[Sequence[str]]) -> list[str]:
    """Give `words` cut into runs as long as each of `parts` (a text's sentences or clauses
    as written), or none if they do not add up to as many words."""
    if sum(map(len, parts)) != len(words):
        return []
    runs, start = [], 0
    for part in parts:
        runs.append(" ".join(words[start : start + len(part)]))
        start += len(part)
    return runs


def _sign(match: re.Match[str]) -> int:
    """Give where a pattern's sign begins: its `sign` group if it names one."""
    return match.start("sign") if "sign" in match.re.groupindex else match.start()


#: how many texts' words (and which rules match them) the rule layer keeps: a message's
#: readings and clauses come one after another, and every rule asks for them again
READINGS_KEPT = 32


class RuleLayer:
    """Red-flag rules (each naming a category) and caution rules, in the order they are checked."""

    def __init__(self, spec: SafetySpec) -> None:
        """Compile a rule file already read; raises re.error where a pattern does not compile."""
        self._spec = spec
        self._context = Context.of(
            spec.context,
            joined(spec.general_question),
            joined(spec.personal),
            joined(spec.negation),
        )
        concepts = concepts_from(spec.concepts)
        ordered = sorted(enumerate(spec.red_flags), key=lambda pair: (-pair[1].priority, pair[0]))
        self._red_flags = tuple(_red_flag(rule, concepts) for _, rule in ordered)
        self._by_id = {rule.id: rule for rule in self._red_flags}
        self.examples = {rule.id: rule.examples for rule in self._red_flags}
        self.not_examples = {rule.id: rule.not_examples for rule in self._red_flags}
        self._cautions = compile_rules([c.model_dump() for c in spec.cautions])
        self._symptoms_now = re.compile(joined(spec.symptoms_now))
        self._plea = re.compile(joined(spec.plea)) if spec.plea else None
        self._opening_plea = re.compile(joined(spec.opening_plea)) if spec.opening_plea else None
        self._wishes = re.compile(joined(spec.wishes)) if spec.wishes else None
        doubtful = spec.doubtful
        self._doubtful = (
            (re.compile(joined(doubtful.forms)), re.compile(joined(doubtful.never_with)))
            if doubtful is not None
            else None
        )
        self.raisings = Raisings(spec.raised)
        self.safety_net = " ".join(spec.safety_net.split())
        # Triage reads a message several times (each reading, each second look, the net),
        # and each time every rule asks for the same texts' words: the last few are kept,
        # with what each rule found in them.
        self._words = functools.lru_cache(maxsize=READINGS_KEPT)(Words.of)

    @classmethod
    def read(cls, data: dict[str, Any], categories: Iterable[str] | None = None) -> RuleLayer:
        """Give the rules of safety.yaml's data, or raise RuleFileError naming each fault."""
        spec = read_safety(data, categories)
        try:
            layer = cls(spec)
        except re.error as exc:  # only now is it worth finding which pattern, and why
            reason = f"a pattern is not a valid regular expression: {exc}"
            raise RuleFileError(compile_faults(spec) or [reason]) from None
        if layer._matches_nothing():  # a list that matches every clause turns rules off
            reason = "a pattern list matches an empty text, so it matches every clause"
            raise RuleFileError(compile_faults(spec) or [reason])
        return layer

    def _matches_nothing(self) -> bool:
        """Tell whether a joined list of patterns matches an empty text: one alternative
        that can match nothing makes the whole list match every clause."""
        lists = [
            *(getattr(self._context, f.name) for f in fields(self._context)),
            self._symptoms_now,
            *(p for p in (self._plea, self._opening_plea, self._wishes) if p is not None),
            *(self._doubtful or ()),
            *self.raisings.patterns(),
        ]
        return any(map(matches_empty, lists))

    def authoring_faults(self) -> list[str]:
        """Give what `magbot check` finds beyond what loading does, as "where[i]: reason": an
        alternative that cannot be joined, and an example its pattern reads wrongly."""
        return compile_faults(self._spec) or example_faults(self._spec)

    def unread_sections(self) -> tuple[str, ...]:
        """Give the optional sections of safety.yaml that no rule reads (`doubtful:` with no
        rule that says `with_detector: confirm if doubtful`)."""
        doubted = any(rule.doubts for rule in self._red_flags)
        return ("doubtful",) if self._doubtful is not None and not doubted else ()

    def red_flag(
        self,
        text: str,
        sentences: Sequence[str] = (),
        beside_detector: bool = False,
        skip: Collection[str] = (),
        second: bool = False,
    ) -> RuleHit | None:
        """Give the first emergency rule the normalised text matches, if any.

        `sentences` are the message's sentences as written. Rules marked personal skip a
        message made only of general questions ("can magnesium cause chest pain?") unless
        someone's own situation is described ("my chest hurts"); one sentence that is not a
        general question ("passed out twice today") is enough. `beside_detector`: the learned
        detector runs too, so a matching rule that says `with_detector: confirm` (or `confirm
        if doubtful`, where its sign is in doubt: see in_doubt) is marked `confirm`, and
        carries the next lower-priority matching rule (`otherwise`): each rule to confirm
        that matched, in order, up to the first one that flags outright; a rule that says
        `with_detector: defer` is not read at all beside the detector. When no rule
        matches, the message is read again with its questions as reports, by every rule,
        if a sentence, or the last clause of the last, says it is happening now (see
        Context.reports_now); a rule that matches then flags outright. Rules of the
        categories in `skip` are not read. `second`: the reading for a second concern beside
        a crisis (see Triage._beside): a rule that reads questions too reads only what is
        happening now, and one that defers to the detector is read, marked to confirm.
        """
        split = [split_words(s) for s in sentences]
        parts = [" ".join(words) for words in split] or [text]
        lengths = self._units(sentences, split)
        context = self._context
        personal = bool(context.personal.search(text)) or any(
            not context.general.search(part) for part in parts if part
        )
        readable = [
            r
            for r in self._red_flags
            if not (beside_detector and r.defers and not second) and r.category not in skip
        ]
        rules: Sequence[RedFlag] = [r for r in readable if personal or not r.personal]
        hits = self._hits(rules, text, sentences, lengths, beside_detector, second=second)
        if not hits and context.reports_now(text, sentences):  # "..., my dad has it now"
            # someone's own situation, named or not: "does a fit need an ambulance, on minute 7";
            # the writer says it is happening now, so no rule waits for the detector, which
            # reads the question ("what should you do if someone collapses? it's happening")
            hits = self._hits(
                readable, text, sentences, lengths, beside_detector=False, reported=True
            )
        chained: RuleHit | None = None
        for hit in reversed(hits):
            chained = replace(hit, otherwise=chained)
        return chained

    def asked_signs(self, text: str, sentences: Sequence[str] = ()) -> str:
        """Give the first rule that matches the message with its questions read as reports
        ("how do you tell if its a stroke face drooping slurred speech"; not "can magnesium
        cause cramps"), or "": a question that names an emergency's signs, which gets the
        safety net when no layer flags it. Past and ruled-out signs stay unread; every rule
        is read, those that defer to the detector too, as the net is no flag."""
        units = self._units(sentences, [split_words(s) for s in sentences])
        hits = self._hits(self._red_flags, text, sentences, units, False, reported=True)
        return hits[0].rule if hits else ""

    def _units(self, sentences: Sequence[str], split: Sequence[Sequence[str]]) -> list[int]:
        """Give the lengths in words of the stretches a negation reaches over (`split`: each
        sentence's words)."""
        return self._context.denial_units(sentences, [len(words) for words in split])

    def _hits(
        self,
        rules: Sequence[RedFlag],
        text: str,
        sentences: Sequence[str],
        lengths: Sequence[int],
        beside_detector: bool,
        reported: bool = False,
        second: bool = False,
    ) -> list[RuleHit]:
        """Give the matching rules to confirm, in order, then the first one that flags."""
        readings: dict[Reading, Words] = {}
        hits: list[RuleHit] = []
        for rule in rules:
            reads: Reading = "now" if second and rule.reads == "questions too" else rule.reads
            if reads not in readings:
                reading = self._reading(text, sentences, reads, reported)
                readings[reads] = self._words(reading, tuple(lengths))
            if not self._matches(rule, readings[reads]):
                continue
            in_doubt = beside_detector and rule.doubts and self.in_doubt(rule.id, text, sentences)
            waits = rule.waits(in_doubt) or (second and rule.defers)
            hits.append(RuleHit(rule.id, rule.category, beside_detector and waits))
            if not hits[-1].confirm:
                break
        return hits

    def _matches(self, rule: RedFlag, words: Words) -> bool:
        """Tell whether a rule matches these words, asking the rule once per text."""
        if rule.id not in words.matched:
            words.matched[rule.id] = rule.matches(words, self._context.negation)
        return words.matched[rule.id]

    def firing_sentences(self, rule_id: str, text: str, sentences: Sequence[str]) -> list[str]:
        """Give the sentences (normalised) in which this rule matches on its own, each read in
        the context of the whole message; for a message of one sentence that opens with a
        general question, its clauses that speak of now ("what are the signs of a stroke, her
        face is drooping"; not "..., my sister fainted once at school")."""
        rule = self._by_id.get(rule_id)
        parts, by_clause = self._parts(sentences)
        reading = self._reading(text, sentences, rule.reads).split(" ") if rule else []
        chunks = _lined_up(reading, parts) if len(parts) >= 2 else []
        if rule is None or not chunks:
            return []
        firing = [
            " ".join(words)
            for words, chunk in zip(parts, chunks, strict=True)
            if words and self._matches(rule, self._words(chunk))
        ]
        return [part for part in firing if not by_clause or self._context.speaks_of_now(part)]

    def _parts(self, sentences: Sequence[str]) -> tuple[list[list[str]], bool]:
        """Give the words of each sentence, or of each clause of a message of one sentence
        that opens with a general question, and whether they are clauses."""
        parts = [split_words(sentence) for sentence in sentences]
        if len(parts) != 1:
            return parts, False
        clauses = clauses_of(sentences[0])
        general = bool(clauses) and self._context.is_general(" ".join(clauses[0]))
        return (clauses, True) if general else (parts, False)

    def _reading(
        self, text: str, sentences: Sequence[str], reads: Reading, reported: bool = False
    ) -> str:
        """Give the text as a rule that reads `reads` sees it (see schema.Reading); with
        `reported`, its questions as reports if a sentence says it is happening now."""
        if reads == "everything":
            return text
        return self._context.current(text, sentences, reads == "now", reported)

    def current(self, text: str, sentences: Sequence[str] = ()) -> str:
        """Give the normalised text as the rules read it: what is not about now blanked."""
        return self._context.current(text, sentences)

    def in_doubt(self, rule_id: str, text: str, sentences: Sequence[str] = ()) -> bool:
        """Tell whether a rule's sign is in doubt as a report: the message says nothing of
        now, and each clause the rule fires in on its own (read whole, not blanked as the
        rule reads the message) carries a form of doubt (a risk question, hearsay, a
        leaflet's list, a sign cleared, a figure of speech or a story; not "i have chest pain
        after magnesium, is that a known side effect"), and the rest of the message, its
        other clauses read together, does not fire the rule ("my ankles swell on hot days
        and my left calf is hot and twice the size": the sign spans two clauses of its own).
        A sign found in no single clause, or in a message whose clauses cannot be lined up
        with its words, is not in doubt."""
        rule = self._by_id.get(rule_id)
        if self._doubtful is None or rule is None:
            return False
        forms, never_with = self._doubtful
        if never_with.search(text):
            return False
        firing, kept = self._split(rule, self._clauses(text, sentences))
        if not firing or not all(forms.search(clause) for clause in firing):
            return False
        return not kept or not self._matches(rule, self._words(" ".join(kept)))

    def _split(self, rule: RedFlag, clauses: list[str]) -> tuple[list[str], list[str]]:
        """Give the clauses in which a rule fires on its own, and the others, in order."""
        fires = [self._matches(rule, self._words(clause)) for clause in clauses]
        firing = [clause for clause, fired in zip(clauses, fires, strict=True) if fired]
        return firing, [clause for clause, fired in zip(clauses, fires, strict=True) if not fired]

    def _clauses(self, text: str, sentences: Sequence[str]) -> list[str]:
        """Give the normalised text's clauses, cut where the sentences as written end their
        clauses; none where their words do not line up with it (a typo corrected into two
        words: "1hr" is "1 hr")."""
        parts = [words for sentence in sentences for words in clauses_of(sentence) if words]
        return _lined_up(text.split(" "), parts) if parts else [text]

    def symptoms_now(self, text: str) -> bool:
        """Tell whether the normalised text describes someone's own symptoms."""
        return bool(self._symptoms_now.search(text))

    def without_rule(self, rule_id: str, text: str, sentences: Sequence[str] = ()) -> str:
        """Give the normalised text without the clauses in which a rule fires on its own ("i
        want to die, my dads having a stroke": "my dads having a stroke"); the text itself
        where its clauses cannot be lined up with it, or every clause fires the rule."""
        rule = self._by_id.get(rule_id)
        clauses = self._clauses(text, sentences) if rule is not None else []
        if rule is None or len(clauses) < 2:
            return text
        kept = self._split(rule, clauses)[1]
        return " ".join(kept) if kept else text

    def without_wishes(self, text: str) -> str:
        """Give the normalised text with the words of a wish to die or not to wake blanked
        ("id rather just not wake up"): what a crisis flag's reply answers, read by no rule
        that looks for a second concern beside it."""
        if self._wishes is None:
            return text
        words = text.split(" ")
        for found in self._wishes.finditer(text):
            first = text.count(" ", 0, found.start())
            last = first + found.group().count(" ")
            words[first : last + 1] = [BLANK] * (last - first + 1)
        return " ".join(words)

    def without_plea(self, text: str) -> str:
        """Give the normalised text without the pleas it opens or ends in ("if anyone knows
        cpr ...", "..., what do i do"), or "" if it has none or is only pleas."""
        start = max(0, len(text) - PLEA_TAIL)
        found = self._plea.search(text, start) if self._plea is not None else None
        bare = text[: found.start()].strip() if found else text
        opening = self._opening_plea.match(bare) if self._opening_plea is not None else None
        bare = bare[opening.end() :].strip() if opening else bare
        return "" if bare == text else bare

    def cautions(self, text: str) -> tuple[Rule, ...]:
        """Give the caution rules ("check with your doctor first") the text calls for."""
        return tuple(rule for rule in self._cautions if rule.matches(text))

    def caution_rules(self) -> tuple[Rule, ...]:
        """Give every caution rule, in order."""
        return tuple(self._cautions)

    def vocabulary(self) -> set[str]:
        """Give the words the rules look for."""
        red = {w for rule in self._red_flags for w in rule.words()}
        cautions = {w for rule in self._cautions for w in rule.words()}
        return red | cautions | self.raisings.words() | self._context.words()

    @property
    def rules(self) -> tuple[RedFlag, ...]:
        """Give the red-flag rules, in the order they are checked."""
        return self._red_flags

    def keeps_concern(self, rule_id: str) -> bool:
        """Tell whether a rule's flag always names the rule's own category."""
        rule = self._by_id.get(rule_id)
        return rule is not None and rule.keeps_concern

    @property
    def categories(self) -> dict[str, str]:
        """Give the category each red-flag rule stands for."""
        return {rule.id: rule.category for rule in self._red_flags}


def _red_flag(spec: RedFlagSpec, concepts: dict[str, Concept]) -> RedFlag:
    clauses = tuple(
        Near(
            tuple(concepts[name] for name in clause.near),
            clause.within,
            clause.ordered,
            clause.gap,
        )
        for clause in spec.match
    )
    return RedFlag(
        spec.id,
        spec.category,
        spec.priority,
        spec.personal,
        spec.reads,
        spec.with_detector,
        spec.keeps_concern,
        clauses,
        tuple(re.compile(p) for p in spec.patterns),
        tuple(re.compile(p) for p in spec.unless),
        spec.examples,
        spec.not_examples,
    )
