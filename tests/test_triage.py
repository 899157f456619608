"""The triage categories as data: every category of the clinical map, and what each reply says."""

from __future__ import annotations

import re

import pytest

from faq.build import load_rules
from faq.render import to_text
from faq.reply import urgent
from faq.triage import Categories, Category

CATEGORIES = load_rules().triage.categories

#: The 26 categories of triage.md, by id, with their tiers.
CLINICAL_MAP = {
    "heart": "emergency", "breathing": "emergency", "collapse": "emergency",
    "stroke": "emergency", "seizure": "emergency", "allergy": "emergency",
    "magnesium-toxicity": "emergency", "leg-artery": "emergency", "compartment": "emergency",
    "cauda-equina": "emergency", "sepsis": "emergency", "heat-illness": "emergency",
    "low-sodium": "emergency", "dehydration": "emergency", "pregnancy-emergency": "emergency",
    "tetany": "emergency", "rising-weakness": "emergency", "cannot-walk": "emergency",
    "tetanus": "emergency", "dvt": "urgent", "rhabdo": "urgent", "cramp-wont-stop": "urgent",
    "quinine-harm": "urgent", "child-leg-pain": "urgent", "swallowed-too-much": "poison",
    "self-harm": "crisis",
}  # fmt: skip

NUMBERS = {
    "emergency": ("112", "911", "999", "000"),
    "urgent": ("today", "112", "911", "999"),
    "poison": ("1-800-222-1222", "13 11 26", "0800 764 766", "do not try to make them vomit"),
    "crisis": ("988", "116 123", "13 11 14", "findahelpline.com"),
}


def test_every_category_of_the_clinical_map_is_a_record_with_its_tier() -> None:
    assert {c.id: c.tier.id for c in CATEGORIES} == CLINICAL_MAP


@pytest.mark.parametrize("category", list(CATEGORIES), ids=lambda c: c.id)
def test_each_reply_names_its_concern_and_carries_its_tiers_numbers(category: Category) -> None:
    text = to_text(urgent(category.reply()))

    assert category.concern in text
    for words in NUMBERS[category.tier.id]:
        assert words.casefold() in text.casefold()
    if category.tier.id != "crisis":
        assert re.search(r"do not (take|give) (any )?more", text, re.IGNORECASE)


def test_no_crisis_reply_carries_a_dose_figure() -> None:
    text = to_text(urgent(CATEGORIES.get("self-harm").reply()))

    assert not re.search(r"\d+\s*(mg|milligram|gram|g\b|tablet|pill)", text, re.IGNORECASE)


def test_an_unknown_tier_is_refused_with_the_category_named() -> None:
    data = {
        "tiers": {t: {"heading": "h", "action": "a", "numbers": "n"} for t in NUMBERS},
        "categories": [{"id": "odd", "tier": "someday", "concern": "c"}],
    }
    with pytest.raises(ValueError, match="odd"):
        Categories(data)
