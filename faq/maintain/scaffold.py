"""`magbot new ID`: a new entry file with every field and guidance to replace."""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path

from faq.model import ID_PATTERN

PLACEHOLDER = "TODO"

TEMPLATE = """---
id: "{id}"
question: "TODO: the question as people would ask it, in plain words"
alternates:
  # At least 5 other ways people really ask it: short, plain, worried, typos, slang.
  # Each must be unique across the corpus. Quote every string.
  - "TODO: a short way to ask it"
  - "TODO: a plain full sentence"
  - "TODO: with a typo or slang"
  - "TODO: with context, e.g. 'I'm 70 and ...'"
  - "TODO: another wording"
sources:
  # Authoritative sources only (NIH ODS, Cochrane, NHS, NICE, FDA, AAN, LactMed).
  - name: "TODO: source name"
    url: "https://TODO.example/replace-with-the-source-url"
reviewed: {today}
related: []  # ids of 2-3 related entries, e.g. ["dosage", "side-effects"]
tags: []
# Only when the answer claims that something works or helps; else delete these lines.
evidence:
  level: "low"  # high | moderate | low | very-low
  note: "TODO: what the evidence shows, in one sentence"
---
TODO: the answer, in your own words, second person ("you"), at most 1,200 characters.
Plain Markdown only: paragraphs, "- " lists, **bold**. Say when to see a doctor where it matters.
"""


class ScaffoldError(ValueError):
    """The entry cannot be created: a malformed or existing id."""


def new_entry(directory: Path, entry_id: str, today: dt.date | None = None) -> Path:
    """Create `ID.md` in the directory from the template and give its path."""
    if not re.fullmatch(ID_PATTERN, entry_id):
        raise ScaffoldError(
            f"{entry_id!r} is not a valid id: use lower-case words joined by hyphens, "
            "e.g. magnesium-sleep"
        )
    path = directory / f"{entry_id}.md"
    if path.exists():
        raise ScaffoldError(f"{path} already exists; edit it instead")
    text = TEMPLATE.format(id=entry_id, today=(today or dt.date.today()).isoformat())
    path.write_text(text, encoding="utf-8")
    return path
