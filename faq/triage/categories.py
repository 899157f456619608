"""The emergency categories and tiers of the clinical map, as data, and the reply each gives."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

TIERS = ("emergency", "urgent", "poison", "crisis")
#: Beside a crisis, a second concern of these tiers leads the reply: its first action (call
#: the emergency number) cannot wait for the crisis lines. Not a poisoning: the poison rules
#: read a plan too ("I'm going to take the whole bottle tonight"), where the crisis lines
#: come first, and the crisis reply says to call if something has been taken.
LEADS_A_CRISIS = ("emergency",)


@dataclass(frozen=True)
class Tier:
    """How urgent a category is, and what everyone in it is told to do."""

    id: str
    heading: str
    action: str
    numbers: str
    stop: str
    aside: str = ""  # what a reply says of this tier as a second concern, if not its own


@dataclass(frozen=True)
class Category:
    """One kind of emergency: its tier, the concern in plain words, a first action if any."""

    id: str
    tier: Tier
    concern: str
    action: str = ""

    def reply(self, also: Category | None = None) -> str:
        """Give the reply in Markdown: the concern, what to do now, and the numbers to call;
        with `also`, a second concern's too (first, if it is an emergency beside a crisis),
        each line said once."""
        if also is None:
            blocks = [self._what_to_do()]
        elif self.tier.id == "crisis" and also.tier.id in LEADS_A_CRISIS:
            blocks = [also._what_to_do(), self._what_to_do()]
        else:
            blocks = [self._what_to_do(), also._as_second()]
        parts = [part for block in blocks for part in block]
        return "\n\n".join(dict.fromkeys(part for part in parts if part))

    def _with_numbers(self, *lines: str) -> tuple[str, ...]:
        return (*lines, self.tier.stop, self.tier.numbers)

    def _what_to_do(self) -> tuple[str, ...]:
        now = " ".join(part for part in (self.tier.action, self.action) if part)
        return self._with_numbers(f"**{self.tier.heading}** {self.concern}", now)

    def _as_second(self) -> tuple[str, ...]:
        return self._with_numbers(self.tier.aside) if self.tier.aside else self._what_to_do()


class Categories:
    """Every category by id, in the order of the clinical map."""

    def __init__(self, data: dict[str, Any]) -> None:
        tiers = {key: _tier(key, data["tiers"][key]) for key in TIERS}
        self._by_id: dict[str, Category] = {}
        for item in data["categories"]:
            category = _category(item, tiers)
            if category.id in self._by_id:
                raise ValueError(f"category {category.id!r} is defined twice")
            self._by_id[category.id] = category

    def __iter__(self) -> Iterator[Category]:
        return iter(self._by_id.values())

    def __len__(self) -> int:
        return len(self._by_id)

    def get(self, category_id: str) -> Category:
        """Give the category with this id, or raise KeyError naming it."""
        if category_id not in self._by_id:
            raise KeyError(f"unknown triage category {category_id!r}")
        return self._by_id[category_id]

    @property
    def ids(self) -> tuple[str, ...]:
        """The category ids, in order."""
        return tuple(self._by_id)


def _tier(key: str, item: dict[str, Any]) -> Tier:
    return Tier(
        key,
        _clean(item["heading"]),
        _clean(item["action"]),
        _clean(item["numbers"]),
        _clean(item.get("stop", "")),
        _clean(item.get("aside", "")),
    )


def _category(item: dict[str, Any], tiers: dict[str, Tier]) -> Category:
    tier = str(item["tier"])
    if tier not in tiers:
        raise ValueError(f"category {item.get('id')!r}: tier {tier!r} is not one of {TIERS}")
    return Category(
        str(item["id"]), tiers[tier], _clean(item["concern"]), _clean(item.get("action", ""))
    )


def _clean(text: object) -> str:
    return " ".join(str(text or "").split())
