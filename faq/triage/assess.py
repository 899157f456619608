"""The triage stage: every layer may add a flag, none may remove one; cautions and the net."""

from __future__ import annotations

from dataclasses import dataclass

from faq.query import Query
from faq.triage.categories import Categories, Category
from faq.triage.rules import RuleLayer


@dataclass(frozen=True)
class Flag:
    """An emergency recognised in a message: its category, and which layer and rule fired."""

    category: Category
    layer: str
    rule: str
    score: float = 1.0

    @property
    def tier(self) -> str:
        """emergency, urgent, poison or crisis."""
        return self.category.tier.id


@dataclass(frozen=True)
class Assessment:
    """The triage verdict: an emergency, if any, the cautions, and whether to add the net."""

    flag: Flag | None
    cautions: tuple[str, ...] = ()
    caution_ids: tuple[str, ...] = ()
    symptoms_now: bool = False


class Triage:
    """The triage layers over the clinical categories, and the contextual cautions."""

    def __init__(self, rules: RuleLayer, categories: Categories) -> None:
        unknown = set(rules.categories.values()) - set(categories.ids)
        if unknown:
            raise ValueError(f"red-flag rules name unknown categories: {sorted(unknown)}")
        self.rules = rules
        self.categories = categories

    def assess(self, query: Query) -> Assessment:
        """Give the emergency a message describes, if any, and the cautions it calls for."""
        text = query.normalised
        cautions = self.rules.cautions(text)
        return Assessment(
            self._flag(query),
            tuple(rule.message for rule in cautions),
            tuple(rule.id for rule in cautions),
        )

    def _flag(self, query: Query) -> Flag | None:
        hit = self.rules.red_flag(query.normalised)
        if hit is not None:
            return Flag(self.categories.get(hit.category), "rule", hit.rule)
        return None

    def carry(self, caution_ids: tuple[str, ...]) -> str:
        """Give a short token for these cautions, for a button to carry (see `restore`)."""
        order = self._caution_order()
        mask = sum(1 << order.index(c) for c in caution_ids if c in order)
        return f"{mask:x}" if mask else ""

    def restore(self, token: str) -> tuple[str, ...]:
        """Give the caution messages a `carry` token stands for (none when it is unknown)."""
        try:
            mask = int(token, 16) if token else 0
        except ValueError:
            return ()
        order = self._caution_order()
        chosen = {order[i] for i in range(len(order)) if mask >> i & 1}
        return tuple(r.message for r in self.rules.caution_rules() if r.id in chosen)

    def vocabulary(self) -> set[str]:
        """Give the words the rules look for, so typos are corrected towards them."""
        return self.rules.vocabulary()

    def _caution_order(self) -> list[str]:
        return sorted(rule.id for rule in self.rules.caution_rules())
