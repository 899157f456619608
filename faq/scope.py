"""What the bot does not answer as an FAQ: small talk and questions outside its scope."""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from faq.rules import compile_rules
from faq.text import stem


@dataclass(frozen=True)
class Verdict:
    """Why a message is not an FAQ question, and what to reply."""

    rule: str
    message: str
    chitchat: bool = False

    @property
    def kind(self) -> str:
        """'small talk' or 'out of scope'."""
        return "small talk" if self.chitchat else "out of scope"


class Scope:
    """Small-talk replies and out-of-scope topics, from faq/data/scope.yaml."""

    def __init__(self, data: dict[str, Any]) -> None:
        self.covers = " ".join(str(data["covers"]).split())
        self._chitchat = compile_rules(data["chitchat"])
        self._off_topic = compile_rules(data["off_topic"])
        self._other_conditions = compile_rules(data["other_conditions"])
        self._in_scope = re.compile(data["in_scope_words"])
        self._anchors = frozenset(stem(word) for word in data["anchors"])

    def vocabulary(self) -> set[str]:
        """Give the words the rules look for."""
        rules = (*self._chitchat, *self._off_topic, *self._other_conditions)
        return {w for rule in rules for w in rule.words()}

    def anchored(self, terms: Iterable[str]) -> bool:
        """Tell whether the terms name the bot's subject (magnesium, cramps, legs...)."""
        return any(term in self._anchors for term in terms)

    def verdict(self, text: str) -> Verdict | None:
        """Give the scope verdict for a normalised message: small talk, off topic or None."""
        return self.chitchat(text) or self.off_topic(text)

    def chitchat(self, text: str) -> Verdict | None:
        """Give the small-talk reply when the whole message is small talk."""
        for rule in self._chitchat:
            if rule.matches(text):
                return Verdict(rule.id, rule.message, chitchat=True)
        return None

    def off_topic(self, text: str) -> Verdict | None:
        """Give why a question is out of scope when a rule says so, before any ranking."""
        for rule in self._off_topic:
            if rule.matches(text):
                return Verdict(rule.id, self.covers)
        if self._in_scope.search(text):
            return None
        for rule in self._other_conditions:
            if rule.matches(text):
                return Verdict(rule.id, self.covers)
        return None
