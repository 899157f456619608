"""Red-flag rules and contextual cautions, from triage.yaml: the precise layer of triage."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from faq.rules import Rule, compile_rules


@dataclass(frozen=True)
class Flag:
    """An emergency recognised in a message: which rule, and what to tell the person."""

    rule: str
    message: str


@dataclass(frozen=True)
class Assessment:
    """The triage stage's verdict: an emergency, if any, and the cautions the message calls for."""

    flag: Flag | None
    cautions: tuple[str, ...] = ()
    caution_ids: tuple[str, ...] = ()


class Triage:
    """Red-flag rules and contextual cautions, from the data directory's safety.yaml."""

    def __init__(self, data: dict[str, Any]) -> None:
        self._personal = re.compile(data["personal"])
        self._general = re.compile(data["general_question"])
        self._negation = re.compile(data["negation"])
        messages = {key: " ".join(str(data[key]).split()) for key in ("urgent", "poison", "crisis")}
        self.urgent = messages["urgent"]
        self._red_flags = compile_rules(data["red_flags"], messages, default=self.urgent)
        self._cautions = compile_rules(data["cautions"])

    def assess(self, text: str) -> Assessment:
        """Give the emergency a normalised message describes, if any, and its cautions."""
        matched = tuple(rule for rule in self._cautions if rule.matches(text))
        return Assessment(
            self.red_flag(text),
            tuple(rule.message for rule in matched),
            tuple(rule.id for rule in matched),
        )

    def carry(self, caution_ids: tuple[str, ...]) -> str:
        """Give a short token for these cautions, for a button to carry (see `restore`)."""
        order = sorted(rule.id for rule in self._cautions)
        mask = sum(1 << order.index(c) for c in caution_ids if c in order)
        return f"{mask:x}" if mask else ""

    def restore(self, token: str) -> tuple[str, ...]:
        """Give the caution messages a `carry` token stands for (none when it is unknown)."""
        try:
            mask = int(token, 16) if token else 0
        except ValueError:
            return ()
        order = sorted(rule.id for rule in self._cautions)
        chosen = {order[i] for i in range(len(order)) if mask >> i & 1}
        return tuple(rule.message for rule in self._cautions if rule.id in chosen)

    def red_flag(self, text: str) -> Flag | None:
        """Give the first emergency rule the normalised text matches, if any.

        Rules marked personal skip general questions ("can magnesium cause chest pain?")
        unless someone's own situation is described ("my chest hurts").
        """
        personal = bool(self._personal.search(text)) or not self._general.search(text)
        for rule in self._red_flags:
            if (personal or not rule.personal) and rule.matches(text, self._negation):
                return Flag(rule.id, rule.message)
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
