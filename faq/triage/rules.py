"""The precise layer of triage: red-flag rules and contextual cautions, from safety.yaml."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from faq.rules import Rule, compile_rules


@dataclass(frozen=True)
class RuleHit:
    """A red-flag rule that matched, and the category it stands for."""

    rule: str
    category: str


class RuleLayer:
    """Red-flag rules (each naming a category) and caution rules, in the order they are checked."""

    def __init__(self, data: dict[str, Any]) -> None:
        self._personal = re.compile(data["personal"])
        self._general = re.compile(data["general_question"])
        self._negation = re.compile(data["negation"])
        self._not_now = tuple(re.compile(data[k]) for k in ("hypothetical", "past", "resolved"))
        self._ongoing = re.compile(data["ongoing"])
        self._hyperbole = re.compile(data["hyperbole"])
        self._red_flags = compile_rules(data["red_flags"])
        self._categories = {str(item["id"]): str(item["category"]) for item in data["red_flags"]}
        self.examples = {
            str(item["id"]): tuple(str(e) for e in item.get("examples", ()))
            for item in data["red_flags"]
        }
        self._cautions = compile_rules(data["cautions"])
        self._symptoms_now = re.compile(data["symptoms_now"])
        self.safety_net = " ".join(str(data["safety_net"]).split())

    def red_flag(self, text: str, sentences: Sequence[str] = ()) -> RuleHit | None:
        """Give the first emergency rule the normalised text matches, if any.

        Rules marked personal skip a message made only of general questions ("can magnesium
        cause chest pain?") unless someone's own situation is described ("my chest hurts");
        one sentence that is not a general question ("passed out twice today") is enough.
        They also skip signs found only in sentences that report nothing now: hypothetical,
        past and over, or hyperbole ("fainted once years ago, fine since").
        """
        parts = sentences or (text,)
        current = [part for part in parts if self.reports_now(part)]
        personal = any(self._personal.search(p) or not self._general.search(p) for p in current)
        for rule in self._red_flags:
            if not rule.matches(text, self._negation):
                continue
            if not rule.personal or (personal and self._found_now(rule, parts, current)):
                return RuleHit(rule.id, self._categories[rule.id])
        return None

    def reports_now(self, sentence: str) -> bool:
        """Tell whether a sentence may report something now: not hypothetical, over or hyperbole."""
        if self._hyperbole.search(sentence):
            return False
        if self._ongoing.search(sentence):
            return True
        return not any(pattern.search(sentence) for pattern in self._not_now)

    def situation(self, sentences: Sequence[str]) -> tuple[float, float]:
        """Give the share of sentences that may report something now, and 1.0 if any does."""
        current = [self.reports_now(sentence) for sentence in sentences]
        return (sum(current) / len(current), float(any(current))) if current else (0.0, 0.0)

    def _found_now(self, rule: Rule, parts: Sequence[str], current: Sequence[str]) -> bool:
        """Tell whether the rule's sign is in a current sentence (or in no single sentence)."""
        where = [part for part in parts if rule.matches(part, self._negation)]
        return not where or any(part in current for part in where)

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
        return {w for rule in (*self._red_flags, *self._cautions) for w in rule.words()}

    @property
    def rules(self) -> tuple[Rule, ...]:
        """Give the red-flag rules, in the order they are checked."""
        return tuple(self._red_flags)

    @property
    def categories(self) -> dict[str, str]:
        """Give the category each red-flag rule stands for."""
        return dict(self._categories)
