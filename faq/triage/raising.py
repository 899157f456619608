"""Concerns that a message's context makes more urgent: a leg clot's signs in pregnancy or the
weeks after birth are the pregnancy emergency (triage.md, 15), not the clot's "get seen today"."""

from __future__ import annotations

import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass

from faq.rules import plain_words
from faq.triage.schema import RaisedSpec, joined


@dataclass(frozen=True)
class Raising:
    """A flag naming `concern` names `becomes` where the message says `when` and not `unless`;
    its reply adds `action` (what the first concern's reply said that still holds)."""

    concern: str
    becomes: str
    action: str
    when: re.Pattern[str]
    unless: re.Pattern[str] | None

    def applies(self, text: str) -> bool:
        """Tell whether this normalised message says the context that raises the concern."""
        return bool(self.when.search(text)) and not (self.unless and self.unless.search(text))


class Raisings:
    """Every raising of safety.yaml's `raised:`, by the concern it raises."""

    def __init__(self, specs: Sequence[RaisedSpec]) -> None:
        """Compile the raisings; raises re.error where a pattern does not compile."""
        self._by_concern = {spec.concern: _raising(spec) for spec in specs}

    def __iter__(self) -> Iterator[Raising]:
        return iter(self._by_concern.values())

    def of(self, category: str, text: str) -> Raising | None:
        """Give the raising of a flag of `category` that this normalised message calls for."""
        raising = self._by_concern.get(category)
        return raising if raising is not None and raising.applies(text) else None

    def patterns(self) -> list[re.Pattern[str]]:
        """Give every compiled pattern list, for the checks that no list matches an empty text."""
        return [p for r in self for p in (r.when, r.unless) if p is not None]

    def words(self) -> set[str]:
        """Give the plain words the contexts spell out, so typos are corrected towards them
        ("postpartum", "caesarean"); not those of `unless:`, which are not looked for."""
        return plain_words([raising.when for raising in self])


def _raising(spec: RaisedSpec) -> Raising:
    unless = re.compile(joined(spec.unless)) if spec.unless else None
    action = " ".join(spec.action.split())
    return Raising(spec.concern, spec.becomes, action, re.compile(joined(spec.when)), unless)
