"""`magbot check`: everything a maintainer must fix before a corpus change ships."""

from __future__ import annotations

import contextlib
import datetime as dt
import hashlib
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from faq.build import (
    TOPIC_HEAD,
    Rules,
    default_data_dir,
    engine_for,
    load_rules,
    verify_rule_file,
)
from faq.corpus import CorpusError, Problem, check_corpus, default_entries_dir, load_corpus
from faq.engine import Engine
from faq.maintain.entry_checks import entry_problems, review_problems
from faq.model import Entry
from faq.query import analyse
from faq.semantic import default_cache_dir

CHECK_VERSION = "magbot-check-2"  # bump when a check is added, so old verdicts expire


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
    rules = rules or load_rules()
    verify_rule_file(rules)
    folder = directory or default_entries_dir()
    entries, problems = check_corpus(folder)
    problems = [*problems, *entry_problems(entries, folder, today or dt.date.today())]
    problems.extend(review_problems(entries, rules.folder))
    if not entries or any(not p.warning for p in problems):
        return CheckResult(tuple(entries), tuple(problems), ())
    problems.extend(_topic_head(entries, rules))  # only of a corpus that loads whole
    problems.extend(_unread_sections(rules))
    # self-retrieval reads the words only (queries without vectors), whatever the engine
    engine = engine_for(entries, rules, semantic)
    return CheckResult(tuple(entries), tuple(problems), tuple(_self_retrieval(engine)), engine)


def load_checked(
    directory: Path | None = None, data_dir: Path | None = None, semantic: bool | None = None
) -> Engine:
    """Give an engine over a corpus and rules that pass `magbot check`, or raise CorpusError.

    The composition root for every command and for the bot's start-up and reload.
    """
    data = data_dir or default_data_dir()
    folder = directory or default_entries_dir()
    stamp = _passed_stamp(folder, data)  # before reading: a file changed while read differs
    rules = load_rules(data)
    if stamp is not None and stamp.exists():  # these very files passed before: skip the work
        engine = engine_for(load_corpus(folder), rules, semantic)
        if _passed_stamp(folder, data) == stamp:  # and nothing changed meanwhile
            return engine
    result = check(folder, rules=rules, semantic=semantic)
    if not result.ok or result.engine is None:
        raise CorpusError(result.errors)
    if stamp is not None and _passed_stamp(folder, data) == stamp:
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


def _topic_head(entries: Sequence[Entry], rules: Rules) -> list[Problem]:
    """Warn when the topic head was fitted on other entries than these."""
    if rules.topic_head.fits([entry.id for entry in entries]):
        return []
    reason = (
        "fitted on other entries; until `python -m faq.maintain.fit --write` refits it,"
        " the ranking and the decision read no topics"
    )
    return [Problem(TOPIC_HEAD, "classes", reason, warning=True)]


def _unread_sections(rules: Rules) -> list[Problem]:
    """Warn about a section of safety.yaml that no rule reads: an edit to it changes nothing."""
    reason = (
        "read by no rule (none says `with_detector: confirm if doubtful`);"
        " edits to it change nothing"
    )
    safety = str(rules.folder / "safety.yaml")
    return [
        Problem(safety, name, reason, warning=True) for name in rules.triage.rules.unread_sections()
    ]


def _self_retrieval(engine: Engine) -> list[Stolen]:
    stolen = []
    for entry in engine.entries:
        for phrasing in (entry.question, *entry.alternates):
            lexical = analyse(phrasing, engine.analyzer)  # BM25 alone: the words must match
            best = engine.ranker.rank(lexical, 1).hits[0].entry_id
            if best != entry.id:
                stolen.append(Stolen(entry.id, phrasing, best))
    return stolen
