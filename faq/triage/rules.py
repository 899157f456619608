"""The precise layer of triage: red-flag rules and contextual cautions, from safety.yaml.

A red-flag rule fires on a `match:` clause (concepts near each other, matched on stems) or on
one of its `patterns:` (regular expressions, for what concepts cannot say), unless a negation
comes right before it ("no chest pain"). Rules are tried by descending `priority:`, ties in
file order.

Rules read only what is happening now: the words of a clause about the past ("two years ago I
collapsed"), of a hypothetical sentence ("if my dad ever collapsed, what should I do?") and
of a ruled-out sign ("not swollen, hot or red") are blanked before they are matched, unless
the clause says now ("now", "again", "still"...) or, after a past clause, is in the present
tense ("..., his face is drooping"). A hypothetical or general question is blanked from
where it begins ("my son ate some gummies, what do I do if he is sick?" keeps the first
part). A rule that `reads: questions too` (poison) reads hypothetical and general questions
("what if my toddler swallowed a whole bottle?"); one that `reads: everything` (crisis)
reads every word. The learned detector reads the whole message either way.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from typing import Any

from faq.rules import Rule, compile_rules
from faq.text import split_words
from faq.triage.concepts import Concept, Near, Words, concepts_from
from faq.triage.schema import ContextSpec, Reading, RedFlagSpec, WithDetector, read_safety

PLEA_TAIL = 300  # characters at the end of a message where its pleas are looked for
BLANK = "_"  # stands for a word that is not about now: it matches no concept or pattern
# "now and then", "now and again" are one phrase: "and" does not begin a clause there
_CLAUSE_END = re.compile(
    r"[,;:()]+|\s[-\u2013\u2014]+\s|(?<!\bnow )(?=\b(?:and|but|so)\b)", re.IGNORECASE
)


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
class Context:
    """What tells that a clause is not about now: a past, a hypothetical, a ruled-out sign."""

    now: re.Pattern[str]  # "now", "again", "still": the clause is read whatever else it says
    present: re.Pattern[str]  # "is", "cant": ends a past begun by a clause before
    past: re.Pattern[str]  # "years ago", "in 2019": this clause and the rest of its sentence
    earlier: re.Pattern[str]  # "last week": past only when the message says it was resolved
    resolved: re.Pattern[str]  # "they said it was fine", "fine since"
    hypothetical: re.Pattern[str]  # "if ... ever", "what should I do if": from there on
    unreal: re.Pattern[str]  # "nothing has happened", "just childproofing": hypotheticals too
    ruled_out: re.Pattern[str]  # "not swollen, hot or red", "breathing fine": those words
    general: re.Pattern[str]  # "can magnesium cause...": with no `personal` word, a question
    personal: re.Pattern[str]  # "my", "he", "mum": someone's own situation

    @classmethod
    def of(cls, spec: ContextSpec, general: str, personal: str) -> Context:
        """Give the compiled patterns of safety.yaml's `context:` and its question patterns."""
        patterns = {key: re.compile(p) for key, p in spec.model_dump().items()}
        return cls(**patterns, general=re.compile(general), personal=re.compile(personal))

    def current(self, text: str, sentences: Sequence[str], questions: bool = True) -> str:
        """Give the normalised text with every word that is not about now blanked.

        `sentences` are the message's sentences as written (their commas split clauses); when
        their words do not line up with the text's, only ruled-out signs are blanked. With
        `questions` off, hypothetical and general questions are read as if they were now,
        unless the message says that nothing has happened.
        """
        words = text.split(" ")
        split = [_clauses(s) for s in sentences]
        if sum(len(clause) for clauses in split for clause in clauses) == len(words):
            resolved = bool(self.resolved.search(text))
            questions = questions or bool(self.unreal.search(text))
            keep = [
                k
                for clauses in split
                for k in self._keep([" ".join(c) for c in clauses], resolved, questions)
            ]
            words = [w if k else BLANK for w, k in zip(words, keep, strict=True)]
        return self.ruled_out.sub(_blanked, " ".join(words))

    def _keep(self, clauses: list[str], resolved: bool, questions: bool) -> list[bool]:
        """Give, word by word, whether a sentence's words are about now."""
        whole = " ".join(clauses)
        keep: list[bool] = []
        back = False
        for clause in clauses:
            if self.now.search(clause):
                back = False
            elif self.past.search(clause) or (resolved and self.earlier.search(clause)):
                back = True
            elif self.present.search(clause):
                back = False
            keep.extend([not back] * len(clause.split()))
        if questions and not self.now.search(whole):
            # a present tense does not end a hypothetical: "what do I do if she faints"
            start = self._question_start(whole)
            reports = self._reports(clauses, start)
            keep[start:] = [k and r for k, r in zip(keep[start:], reports[start:], strict=True)]
        return keep

    def _reports(self, clauses: list[str], start: int) -> list[bool]:
        """Give, word by word, whether a clause after the one where a question begins reports
        someone's present, or follows one that does before another question begins ("how do
        you know if it's a stroke, my dad's face is drooping, one side")."""
        reports: list[bool] = []
        reporting = False
        for clause in clauses:
            later = len(reports) > start
            if later and self.personal.match(clause) and self.present.search(clause):
                reporting = True
            elif self.general.search(clause) or self.hypothetical.search(clause):
                reporting = False
            reports.extend([reporting] * len(clause.split()))
        return reports

    def speaks_of_now(self, clause: str) -> bool:
        """Tell whether a clause says now or is in the present tense ("her face is drooping")."""
        return bool(self.now.search(clause) or self.present.search(clause))

    def is_general(self, sentence: str) -> bool:
        """Tell whether a sentence is a general question: a question word, no one named."""
        return bool(self.general.search(sentence)) and not self.personal.search(sentence)

    def _question_start(self, sentence: str) -> int:
        """Give the word where a hypothetical or general question begins (past the end: none)."""
        if self.is_general(sentence):
            return 0
        hypothetical = self.hypothetical.search(sentence)
        if hypothetical is None:
            return len(sentence.split())
        return len(sentence[: hypothetical.start()].split())


def _clauses(sentence: str) -> list[list[str]]:
    """Give the words of each clause of a sentence as written (its commas end clauses)."""
    return [split_words(clause) for clause in _CLAUSE_END.split(sentence) if clause]


def _blanked(match: re.Match[str]) -> str:
    return " ".join(BLANK for _ in match[0].split())


@dataclass(frozen=True)
class RedFlag:
    """One red-flag rule: its category, priority, and the clauses and patterns that fire it."""

    id: str
    category: str
    priority: int
    personal: bool
    reads: Reading
    with_detector: WithDetector
    clauses: tuple[Near, ...]
    patterns: tuple[re.Pattern[str], ...]
    examples: tuple[str, ...]
    not_examples: tuple[str, ...]

    def matches(self, words: Words, negation: re.Pattern[str]) -> bool:
        """Tell whether a clause or pattern is found, not right after a negation."""
        text = words.text
        for clause in self.clauses:
            if any(not negation.search(words.before(i)) for i in clause.starts(words)):
                return True
        for pattern in self.patterns:
            if any(not negation.search(text[: m.start()]) for m in pattern.finditer(text)):
                return True
        return False

    def words(self) -> set[str]:
        """Give the plain words the rule looks for, so typos can be corrected towards them."""
        plain = Rule(self.id, self.patterns).words()
        return plain | {w for c in self.clauses for concept in c.concepts for w in concept.words}


class RuleLayer:
    """Red-flag rules (each naming a category) and caution rules, in the order they are checked."""

    def __init__(self, data: dict[str, Any], categories: Iterable[str] | None = None) -> None:
        spec = read_safety(data, categories)
        self._negation = re.compile(spec.negation)
        self._context = Context.of(spec.context, spec.general_question, spec.personal)
        concepts = concepts_from(spec.concepts)
        ordered = sorted(enumerate(spec.red_flags), key=lambda pair: (-pair[1].priority, pair[0]))
        self._red_flags = tuple(_red_flag(rule, concepts) for _, rule in ordered)
        self._by_id = {rule.id: rule for rule in self._red_flags}
        self.examples = {rule.id: rule.examples for rule in self._red_flags}
        self.not_examples = {rule.id: rule.not_examples for rule in self._red_flags}
        self._cautions = compile_rules([c.model_dump() for c in spec.cautions])
        self._symptoms_now = re.compile(spec.symptoms_now)
        self._plea = re.compile(spec.plea) if spec.plea else None
        self.safety_net = " ".join(spec.safety_net.split())

    def red_flag(
        self, text: str, sentences: Sequence[str] = (), beside_detector: bool = False
    ) -> RuleHit | None:
        """Give the first emergency rule the normalised text matches, if any.

        `sentences` are the message's sentences as written. Rules marked personal skip a
        message made only of general questions ("can magnesium cause chest pain?") unless
        someone's own situation is described ("my chest hurts"); one sentence that is not a
        general question ("passed out twice today") is enough. `beside_detector`: the learned
        detector runs too, so a matching rule that says `with_detector: confirm` is marked
        `confirm`, and carries the next lower-priority matching rule (`otherwise`): each rule
        to confirm that matched, in order, up to the first one that flags outright.
        """
        parts = [" ".join(split_words(s)) for s in sentences] or [text]
        context = self._context
        personal = bool(context.personal.search(text)) or any(
            not context.general.search(part) for part in parts if part
        )
        readings: dict[Reading, Words] = {}
        hits: list[RuleHit] = []  # the matching rules to confirm, then one that flags
        for rule in self._red_flags:
            if not personal and rule.personal:
                continue
            reads = rule.reads
            if reads not in readings:
                readings[reads] = Words.of(self._reading(text, sentences, reads))
            if not rule.matches(readings[reads], self._negation):
                continue
            hits.append(
                RuleHit(rule.id, rule.category, beside_detector and rule.with_detector == "confirm")
            )
            if not hits[-1].confirm:
                break
        chained: RuleHit | None = None
        for hit in reversed(hits):
            chained = replace(hit, otherwise=chained)
        return chained

    def firing_sentences(self, rule_id: str, text: str, sentences: Sequence[str]) -> list[str]:
        """Give the sentences (normalised) in which this rule matches on its own, each read in
        the context of the whole message; for a message of one sentence that opens with a
        general question, its clauses that speak of now ("what are the signs of a stroke, her
        face is drooping"; not "..., my sister fainted once at school")."""
        rule = self._by_id.get(rule_id)
        parts, by_clause = self._parts(sentences)
        reading = self._reading(text, sentences, rule.reads).split(" ") if rule else []
        if rule is None or len(parts) < 2 or sum(map(len, parts)) != len(reading):
            return []
        firing, start = [], 0
        for words in parts:
            chunk = " ".join(reading[start : start + len(words)])
            start += len(words)
            if words and rule.matches(Words.of(chunk), self._negation):
                firing.append(" ".join(words))
        return [part for part in firing if not by_clause or self._context.speaks_of_now(part)]

    def _parts(self, sentences: Sequence[str]) -> tuple[list[list[str]], bool]:
        """Give the words of each sentence, or of each clause of a message of one sentence
        that opens with a general question, and whether they are clauses."""
        parts = [split_words(sentence) for sentence in sentences]
        if len(parts) != 1:
            return parts, False
        clauses = _clauses(sentences[0])
        general = bool(clauses) and self._context.is_general(" ".join(clauses[0]))
        return (clauses, True) if general else (parts, False)

    def _reading(self, text: str, sentences: Sequence[str], reads: Reading) -> str:
        """Give the text as a rule that reads `reads` sees it (see schema.Reading)."""
        if reads == "everything":
            return text
        return self._context.current(text, sentences, questions=reads == "now")

    def current(self, text: str, sentences: Sequence[str] = ()) -> str:
        """Give the normalised text as the rules read it: what is not about now blanked."""
        return self._context.current(text, sentences)

    def symptoms_now(self, text: str) -> bool:
        """Tell whether the normalised text describes someone's own symptoms."""
        return bool(self._symptoms_now.search(text))

    def without_plea(self, text: str) -> str:
        """Give the normalised text without the pleas it ends in, or "" if none or only pleas."""
        start = max(0, len(text) - PLEA_TAIL)
        found = self._plea.search(text, start) if self._plea is not None else None
        return text[: found.start()].strip() if found else ""

    def cautions(self, text: str) -> tuple[Rule, ...]:
        """Give the caution rules ("check with your doctor first") the text calls for."""
        return tuple(rule for rule in self._cautions if rule.matches(text))

    def caution_rules(self) -> tuple[Rule, ...]:
        """Give every caution rule, in order."""
        return tuple(self._cautions)

    def vocabulary(self) -> set[str]:
        """Give the words the rules look for."""
        red = {w for rule in self._red_flags for w in rule.words()}
        return red | {w for rule in self._cautions for w in rule.words()}

    @property
    def rules(self) -> tuple[RedFlag, ...]:
        """Give the red-flag rules, in the order they are checked."""
        return self._red_flags

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
        clauses,
        tuple(re.compile(p) for p in spec.patterns),
        spec.examples,
        spec.not_examples,
    )
