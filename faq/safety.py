"""The safety layer: emergencies before anything else, and cautions that follow the question."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from faq.rules import Rule, compile_rules, load_data


@dataclass(frozen=True)
class RedFlag:
    """An emergency recognised in a message: which rule, and what to tell the person."""

    rule: str
    message: str


class Safety:
    """Red-flag rules and contextual cautions, from faq/data/safety.yaml."""

    def __init__(self, data: dict[str, Any]) -> None:
        self._personal = re.compile(data["personal"])
        self._general = re.compile(data["general_question"])
        self._negation = re.compile(data["negation"])
        messages = {key: " ".join(str(data[key]).split()) for key in ("urgent", "poison", "crisis")}
        self.urgent = messages["urgent"]
        self._red_flags = compile_rules(data["red_flags"], messages, default=self.urgent)
        self._cautions = compile_rules(data["cautions"])

    @classmethod
    def load(cls) -> Safety:
        """Give the safety layer shipped with the package."""
        return cls(load_data("safety.yaml"))

    def red_flag(self, text: str) -> RedFlag | None:
        """Give the first emergency rule the normalised text matches, if any.

        Rules marked personal skip general questions ("can magnesium cause chest pain?")
        unless someone's own situation is described ("my chest hurts").
        """
        personal = bool(self._personal.search(text)) or not self._general.search(text)
        for rule in self._red_flags:
            if (personal or not rule.personal) and rule.matches(text, self._negation):
                return RedFlag(rule.id, rule.message)
        return None

    def cautions(self, text: str) -> tuple[str, ...]:
        """Give the "check with your doctor first" lines the question calls for."""
        return tuple(rule.message for rule in self._cautions if rule.matches(text))

    def vocabulary(self) -> set[str]:
        """Give the words the rules look for."""
        return {w for rule in (*self._red_flags, *self._cautions) for w in rule.words()}

    @property
    def rules(self) -> tuple[Rule, ...]:
        """Give the red-flag rules, in the order they are checked."""
        return tuple(self._red_flags)
