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
        """
        parts = sentences or (text,)
        personal = bool(self._personal.search(text)) or any(
            not self._general.search(part) for part in parts
        )
        for rule in self._red_flags:
            if (personal or not rule.personal) and rule.matches(text, self._negation):
                return RuleHit(rule.id, self._categories[rule.id])
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
        return {w for rule in (*self._red_flags, *self._cautions) for w in rule.words()}

    @property
    def rules(self) -> tuple[Rule, ...]:
        """Give the red-flag rules, in the order they are checked."""
        return tuple(self._red_flags)

    @property
    def categories(self) -> dict[str, str]:
        """Give the category each red-flag rule stands for."""
        return dict(self._categories)
