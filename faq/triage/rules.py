"""The precise layer of triage: red-flag rules and contextual cautions, from safety.yaml.

A red-flag rule fires on a `match:` clause (concepts near each other, matched on stems) or on
one of its `patterns:` (regular expressions, for what concepts cannot say), unless a negation
comes right before it ("no chest pain"). Rules are tried by descending `priority:`, ties in
file order.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from faq.rules import Rule, compile_rules
from faq.triage.concepts import Concept, Near, Words, concepts_from
from faq.triage.schema import RedFlagSpec, read_safety


@dataclass(frozen=True)
class RuleHit:
    """A red-flag rule that matched, and the category it stands for."""

    rule: str
    category: str


@dataclass(frozen=True)
class RedFlag:
    """One red-flag rule: its category, priority, and the clauses and patterns that fire it."""

    id: str
    category: str
    priority: int
    personal: bool
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
        self._personal = re.compile(spec.personal)
        self._general = re.compile(spec.general_question)
        self._negation = re.compile(spec.negation)
        concepts = concepts_from(spec.concepts)
        ordered = sorted(enumerate(spec.red_flags), key=lambda pair: (-pair[1].priority, pair[0]))
        self._red_flags = tuple(_red_flag(rule, concepts) for _, rule in ordered)
        self.examples = {rule.id: rule.examples for rule in self._red_flags}
        self.not_examples = {rule.id: rule.not_examples for rule in self._red_flags}
        self._cautions = compile_rules([c.model_dump() for c in spec.cautions])
        self._symptoms_now = re.compile(spec.symptoms_now)
        self.safety_net = " ".join(spec.safety_net.split())

    def red_flag(self, text: str, sentences: Sequence[str] = ()) -> RuleHit | None:
        """Give the first emergency rule the normalised text matches, if any.

        Rules marked personal skip a message made only of general questions ("can magnesium
        cause chest pain?") unless someone's own situation is described ("my chest hurts");
        one sentence that is not a general question ("passed out twice today") is enough.
        """
        parts = sentences or (text,)
        personal = bool(self._personal.search(text)) or any(
            not self._general.search(part) for part in parts
        )
        words = Words.of(text)
        for rule in self._red_flags:
            if (personal or not rule.personal) and rule.matches(words, self._negation):
                return RuleHit(rule.id, rule.category)
        return None

    def symptoms_now(self, text: str) -> bool:
        """Tell whether the normalised text describes someone's own symptoms."""
        return bool(self._symptoms_now.search(text))

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
        clauses,
        tuple(re.compile(p) for p in spec.patterns),
        spec.examples,
        spec.not_examples,
    )
