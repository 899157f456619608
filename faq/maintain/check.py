"""`magbot check`: everything a maintainer must fix before a corpus change ships."""

from __future__ import annotations

import contextlib
import datetime as dt
import hashlib
import re
from collections.abc import Sequence
from dataclasses import dataclass
from html.parser import HTMLParser
from pathlib import Path

from markdown_it import MarkdownIt

from faq.build import TOPIC_HEAD, Rules, engine_for, load_rules
from faq.corpus import CorpusError, Problem, check_corpus, default_entries_dir, load_corpus
from faq.engine import Engine
from faq.maintain.scaffold import PLACEHOLDER
from faq.model import REQUIRED_IDS, Entry, Reply
from faq.query import analyse
from faq.render import TELEGRAM_TAGS, to_html
from faq.rules import read_yaml
from faq.semantic import default_cache_dir

STALE_AFTER = dt.timedelta(days=365)
CHECK_VERSION = "magbot-check-2"  # bump when a check is added, so old verdicts expire
_md_with_html = MarkdownIt("commonmark", {"html": True})


@dataclass(frozen=True)
class Stolen:
    """A phrasing of one entry that ranks another entry first."""

    entry_id: str
    phrasing: str
    taken_by: str


@dataclass(frozen=True)
class CheckResult:
    """The outcome of checking a corpus: problems (errors and warnings) and self-retrieval."""

    entries: tuple[Entry, ...]
    problems: tuple[Problem, ...]
    stolen: tuple[Stolen, ...]
    engine: Engine | None = None

    @property
    def errors(self) -> list[Problem]:
        """Give every error, self-retrieval failures included, as problems."""
        stolen = [
            Problem(
                f"{s.entry_id}.md", "alternates", f"{s.phrasing!r} retrieves {s.taken_by!r} first"
            )
            for s in self.stolen
        ]
        return [p for p in self.problems if not p.warning] + stolen

    @property
    def ok(self) -> bool:
        """Tell whether the corpus may ship: no errors and every phrasing retrieves its entry."""
        return not self.stolen and not any(not p.warning for p in self.problems)


def check(
    directory: Path | None = None,
    today: dt.date | None = None,
    rules: Rules | None = None,
    semantic: bool | None = False,
) -> CheckResult:
    """Give every problem in the corpus directory, including the self-retrieval test."""
    folder = directory or default_entries_dir()
    entries, problems = check_corpus(folder)
    problems = [*problems, *_duplicate_alternates(entries), *_html_problems(entries)]
    problems.extend(_placeholders(folder))
    problems.extend(_missing_required(entries, folder))
    problems.extend(_stale(entries, today or dt.date.today()))
    rules = rules or load_rules()
    problems.extend(_review_rules(entries, rules.folder))
    if not entries or any(not p.warning for p in problems):
        return CheckResult(tuple(entries), tuple(problems), ())
    problems.extend(_topic_head(entries, rules))  # only of a corpus that loads whole
    # self-retrieval reads the words only (queries without vectors), whatever the engine
    engine = engine_for(entries, rules, semantic)
    return CheckResult(tuple(entries), tuple(problems), tuple(_self_retrieval(engine)), engine)


def load_checked(
    directory: Path | None = None, data_dir: Path | None = None, semantic: bool | None = None
) -> Engine:
    """Give an engine over a corpus and rules that pass `magbot check`, or raise CorpusError.

    The composition root for every command and for the bot's start-up and reload.
    """
    rules = load_rules(data_dir)
    folder = directory or default_entries_dir()
    stamp = _passed_stamp(folder, rules.folder)
    if stamp is not None and stamp.exists():  # these very files passed before: skip the work
        engine = engine_for(load_corpus(folder), rules, semantic)
        if _passed_stamp(folder, rules.folder) == stamp:  # and nothing changed meanwhile
            return engine
    result = check(folder, rules=rules, semantic=semantic)
    if not result.ok or result.engine is None:
        raise CorpusError(result.errors)
    if stamp is not None and _passed_stamp(folder, rules.folder) == stamp:
        with contextlib.suppress(OSError):
            stamp.parent.mkdir(parents=True, exist_ok=True)
            stamp.touch()
    return result.engine


#: Folders of model files, left out of the stamp: each is verified by its checksum on load.
MODEL_FOLDERS = ("model", "detector")


def _passed_stamp(entries: Path, data: Path) -> Path | None:
    """Give the file that records that these entries and rules passed the check."""
    digest = hashlib.sha256(CHECK_VERSION.encode())
    files = sorted(entries.glob("*.md")) + sorted(
        p for p in data.rglob("*") if p.is_file() and p.parent.name not in MODEL_FOLDERS
    )
    try:
        for path in files:
            content = path.read_bytes()
            name = str(path.relative_to(data if data in path.parents else entries)).encode()
            digest.update(b"%d:%s:%d:" % (len(name), name, len(content)) + content)
        return default_cache_dir() / "checked" / digest.hexdigest()
    except (OSError, RuntimeError):
        return None


def format_check(result: CheckResult) -> str:
    """Give the check's findings as lines a maintainer can act on."""
    errors = result.errors
    lines = [str(p) for p in result.problems if p.warning] + [str(p) for p in errors]
    warnings = len(lines) - len(errors)
    verdict = "ok" if result.ok else "FAILED"
    lines.append(
        f"{len(result.entries)} entries, {_count(len(errors), 'error')}, "
        f"{_count(warnings, 'warning')}: {verdict}"
    )
    return "\n".join(lines)


def _count(n: int, noun: str) -> str:
    return f"{n} {noun}" + ("" if n == 1 else "s")


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


def _review_rules(entries: Sequence[Entry], data: Path) -> list[Problem]:
    return [
        *_kidney_caveat(entries),
        *_evidence_or_reference(entries, set(read_yaml(data / "reference-facts.yaml")["entries"])),
        *_jargon(entries, _jargon_patterns(read_yaml(data / "jargon.yaml")["terms"])),
        *_unknown_authorities(entries, tuple(read_yaml(data / "authorities.yaml")["domains"])),
    ]


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


def _topic_head(entries: Sequence[Entry], rules: Rules) -> list[Problem]:
    """Warn when the topic head was fitted on other entries than these."""
    if rules.topic_head.fits([entry.id for entry in entries]):
        return []
    reason = (
        "fitted on other entries; until `python -m faq.maintain.fit --write` refits it,"
        " the ranking and the decision read no topics"
    )
    return [Problem(TOPIC_HEAD, "classes", reason, warning=True)]


def _self_retrieval(engine: Engine) -> list[Stolen]:
    stolen = []
    for entry in engine.entries:
        for phrasing in (entry.question, *entry.alternates):
            lexical = analyse(phrasing, engine.analyzer)  # BM25 alone: the words must match
            best = engine.ranker.rank(lexical, 1).hits[0].entry_id
            if best != entry.id:
                stolen.append(Stolen(entry.id, phrasing, best))
    return stolen
