"""Triage: emergencies recognised before anything else, and the cautions a question calls for."""

from faq.triage.rules import Flag, Triage

__all__ = ["Flag", "Triage"]
