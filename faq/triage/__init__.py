"""Triage: emergencies recognised before anything else, and the cautions a question calls for."""

from faq.triage.assess import Assessment, Flag, Triage
from faq.triage.categories import Categories, Category, Tier
from faq.triage.rules import RuleLayer

__all__ = ["Assessment", "Categories", "Category", "Flag", "RuleLayer", "Tier", "Triage"]
