"""What `magbot check` reads in the entries themselves: their files, HTML and review rules."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Sequence
from html.parser import HTMLParser
from pathlib import Path

from markdown_it import MarkdownIt

from faq.corpus import Problem
from faq.maintain.scaffold import PLACEHOLDER
from faq.model import REQUIRED_IDS, Entry, Reply
from faq.render import TELEGRAM_TAGS, to_html
from faq.rules import read_yaml

STALE_AFTER = dt.timedelta(days=365)
_md_with_html = MarkdownIt("commonmark", {"html": True})


def entry_problems(entries: Sequence[Entry], folder: Path, today: dt.date) -> list[Problem]:
    """Give the duplicate, HTML, placeholder, missing-topic and staleness problems, in order."""
    return [
        *_duplicate_alternates(entries),
        *_html_problems(entries),
        *_placeholders(folder),
        *_missing_required(entries, folder),
        *_stale(entries, today),
    ]


def review_problems(entries: Sequence[Entry], data: Path) -> list[Problem]:
    """Give the problems the medical review's rules find (their word lists live in faq/data)."""
    return [
        *_kidney_caveat(entries),
        *_evidence_or_reference(entries, set(read_yaml(data / "reference-facts.yaml")["entries"])),
        *_jargon(entries, _jargon_patterns(read_yaml(data / "jargon.yaml")["terms"])),
        *_unknown_authorities(entries, tuple(read_yaml(data / "authorities.yaml")["domains"])),
    ]


def _key(text: str) -> str:
    return " ".join(re.findall(r"[a-z0-9]+", text.casefold()))


def _duplicate_alternates(entries: Sequence[Entry]) -> list[Problem]:
    owner: dict[str, str] = {}
    problems = []
    for entry in entries:
        for phrasing in dict.fromkeys(_key(p) for p in (entry.question, *entry.alternates)):
            first = owner.setdefault(phrasing, entry.id)
            if first != entry.id:
                reason = f"{phrasing!r} is also a phrasing of {first!r}"
                problems.append(Problem(f"{entry.id}.md", "alternates", reason))
    return problems


class _TagCollector(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.tags: set[str] = set()

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.add(tag)


def _tags(html: str) -> set[str]:
    collector = _TagCollector()
    collector.feed(html)
    return collector.tags


def _raw_html(markdown: str) -> set[str]:
    """Tags written as raw HTML in the Markdown: the renderer escapes them to visible text."""
    tokens = _md_with_html.parse(markdown)
    inline = [child for t in tokens for child in (t.children or [])]
    html = "".join(t.content for t in (*tokens, *inline) if t.type in ("html_block", "html_inline"))
    return _tags(html)


def _html_problems(entries: Sequence[Entry]) -> list[Problem]:
    problems = []
    for entry in entries:
        name = f"{entry.id}.md"
        for tag in sorted(_raw_html(entry.answer)):
            reason = f"raw HTML <{tag}> would show as text; write Markdown (**bold**, - lists)"
            problems.append(Problem(name, "answer", reason))
        rendered = to_html(Reply(body=entry.answer, evidence=entry.evidence, sources=entry.sources))
        for tag in sorted(_tags(rendered) - TELEGRAM_TAGS):
            reason = f"renders to <{tag}>, which Telegram does not accept"
            problems.append(Problem(name, "answer", reason))
    return problems


def _missing_required(entries: Sequence[Entry], folder: Path) -> list[Problem]:
    present = {entry.id for entry in entries} | {path.stem for path in folder.glob("*.md")}
    return [
        Problem(f"{entry_id}.md", "-", "a required topic has no entry (docs/topics.md)", True)
        for entry_id in REQUIRED_IDS
        if entry_id not in present
    ]


def _placeholders(folder: Path) -> list[Problem]:
    return [
        Problem(path.name, "-", f"placeholder {PLACEHOLDER!r} left in line {number}")
        for path in sorted(folder.glob("*.md"))
        for number, line in enumerate(_lines(path), 1)
        if PLACEHOLDER in line
    ]


def _lines(path: Path) -> list[str]:
    return path.read_text(encoding="utf-8", errors="replace").splitlines()


def _stale(entries: Sequence[Entry], today: dt.date) -> list[Problem]:
    return [
        Problem(f"{e.id}.md", "reviewed", f"last reviewed {e.reviewed}, over 12 months ago", True)
        for e in entries
        if today - e.reviewed > STALE_AFTER
    ]


# The rules the medical review of 2026-11-30 relied on; their word lists live in faq/data.
# An amount someone takes ("350 mg", "1 oz: 156 mg"); a sentence about a concentration
# ("1.8-2.3 mg/dL", "1 mg to 120 mg per litre") names no dose.
_AMOUNT = re.compile(r"\b\d[\d,]*\s?mg\b", re.IGNORECASE)
_CONCENTRATION = re.compile(r"\bmg\s*(?:/|per lit)", re.IGNORECASE)
_SENTENCE = re.compile(r"[^.!?\n]+")
_KIDNEY = re.compile(r"\bkidney", re.IGNORECASE)


def _kidney_caveat(entries: Sequence[Entry]) -> list[Problem]:
    """An amount in mg reads as safe for everyone unless kidney disease is named."""
    reason = (
        "names an amount in mg but no kidney caveat: say what people with kidney disease "
        "should do, or link 'kidney' in related"
    )
    return [
        Problem(f"{e.id}.md", "answer", reason)
        for e in entries
        if _names_an_amount(_shown(e))
        and not _KIDNEY.search(e.answer)
        and "kidney" not in e.related
    ]


def _names_an_amount(text: str) -> bool:
    return any(_AMOUNT.search(s) and not _CONCENTRATION.search(s) for s in _SENTENCE.findall(text))


def _shown(entry: Entry) -> str:
    return f"{entry.answer}\n{entry.evidence.note if entry.evidence else ''}"


def _evidence_or_reference(entries: Sequence[Entry], reference: set[str]) -> list[Problem]:
    """Every answer shows how sure it is, unless it states reference facts only (a warning)."""
    missing = (
        "missing: add evidence: {level, note} if the answer says whether something works, "
        "or list the id in faq/data/reference-facts.yaml if it states facts only"
    )
    both = "listed in faq/data/reference-facts.yaml, so it takes no evidence block: keep one"
    return [
        Problem(f"{e.id}.md", "evidence", missing if e.evidence is None else both, True)
        for e in entries
        if (e.evidence is None) != (e.id in reference)
    ]


def _jargon_patterns(terms: Sequence[str]) -> dict[str, re.Pattern[str]]:
    """A term followed by a gloss in brackets is allowed; capitals match capitals only."""
    return {
        term: re.compile(
            rf"(?<![\w-]){re.escape(term)}(?:e?s)?(?![\w-])(?!\s*\()",
            0 if term.isupper() else re.IGNORECASE,
        )
        for term in terms
    }


def _jargon(entries: Sequence[Entry], patterns: dict[str, re.Pattern[str]]) -> list[Problem]:
    return [
        Problem(
            f"{e.id}.md",
            "evidence.note",
            f"{term!r} is jargon to a lay reader: say it in plain words or gloss it in brackets",
        )
        for e in entries
        if e.evidence
        for term, pattern in patterns.items()
        if pattern.search(e.evidence.note)
    ]


def _unknown_authorities(entries: Sequence[Entry], domains: tuple[str, ...]) -> list[Problem]:
    """A source must come from a listed authority; a scaffold's placeholder is reported once."""
    return [
        Problem(
            f"{e.id}.md",
            f"sources.{i}.url",
            f"{host!r} is not an allowed authority (faq/data/authorities.yaml)",
        )
        for e in entries
        for i, source in enumerate(e.sources)
        if PLACEHOLDER not in source.name
        for host in [(source.url.host or "").lower()]
        if not any(host == d or host.endswith(f".{d}") for d in domains)
    ]
