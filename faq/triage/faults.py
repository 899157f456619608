"""safety.yaml read and checked beyond its shape: each fault names where and why."""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any

from faq.rules import RuleFileError, pattern_faults, regex_fault, validated
from faq.text import split_words
from faq.triage.concepts import concepts_from
from faq.triage.schema import ContextSpec, Patterns, SafetySpec, joined


def read_safety(data: dict[str, Any], categories: Iterable[str] | None = None) -> SafetySpec:
    """Give safety.yaml checked against its schema (and the known categories, if given).

    Raises RuleFileError listing every fault as "red_flags[3] (chest-pain): reason". The
    patterns are not compiled here: `compile_faults` tells why one fails to compile.
    """
    spec = validated(SafetySpec, data)
    problems = [
        *_bad_concepts(spec),
        *_doubt_faults(spec),
        *_bad_rules(spec, categories),
        *_bad_raisings(spec, categories),
    ]
    if problems:
        raise RuleFileError(problems)
    return spec


def _where(section: str, index: int, rule_id: str) -> str:
    return f"{section}[{index}] ({rule_id})"


_NAME = re.compile(r"[a-z0-9]+(?:-[a-z0-9]+)*")
_TOKEN = r"(?:@[a-z0-9-]+|\d+(?:\+|-\d+)|[a-z0-9']+)"
_ENTRY = re.compile(rf"=?{_TOKEN}(?: {_TOKEN})*")


def _bad_concepts(spec: SafetySpec) -> list[str]:
    problems = []
    for name, entries in spec.concepts.items():
        if not _NAME.fullmatch(name):
            problems.append(f"concepts.{name}: a name is lower-case words joined by hyphens")
        if not entries:
            problems.append(f"concepts.{name}: lists no words")
        for entry in entries:
            if not _ENTRY.fullmatch(entry):
                problems.append(
                    f"concepts.{name}: {entry!r} is not lower-case words, numbers "
                    "(10+, 30-45) or @concept"
                )
            problems.extend(
                f"concepts.{name}: {entry!r}: concept {ref[1:]!r} is not defined"
                for ref in entry.split()
                if ref.startswith("@") and ref[1:] not in spec.concepts
            )
    if not problems:
        try:
            concepts_from(spec.concepts)
        except ValueError as exc:
            problems.append(f"concepts: {exc}")
    return problems


def example_faults(spec: SafetySpec) -> list[str]:
    """Give "where[i]: reason" for each example of a pattern alternative that its alternative
    misses, and each not_example the whole pattern matches (each read as plain words, as rules
    read), for patterns that compile. `magbot check` reads these; loading the rules does not,
    to start fast."""
    lists = [(where, patterns) for where, patterns in _lists(spec) if where != _OTHER_SENSES]
    top = [f for where, p in lists if not where.startswith("context.") for f in _examples(where, p)]
    context = [f for where, p in lists if where.startswith("context.") for f in _examples(where, p)]
    guard = spec.context.unless_alarm()  # no alarm after an ordinary sense
    context += _examples(_OTHER_SENSES, spec.context.other_senses, guard)
    return top + (context or _crossed(spec.context))


def compile_faults(spec: SafetySpec) -> list[str]:
    """Give "where: reason" for each pattern that does not compile, and each alternative that
    cannot be joined with the others (it matches an empty text, refers to a group by number,
    names a group or sets a flag)."""
    return [
        *(fault for where, patterns in _lists(spec) for fault in _faults(where, patterns)),
        *pattern_faults("red_flags", spec.red_flags),
        *pattern_faults("red_flags", spec.red_flags, "unless"),
        *pattern_faults("cautions", spec.cautions),
    ]


_OTHER_SENSES = "context.other_senses"


def _lists(spec: SafetySpec) -> list[tuple[str, Patterns]]:
    """Give each pattern list of safety.yaml but the red flags', with where it stands."""
    doubtful = spec.doubtful
    return [
        *((key, getattr(spec, key)) for key in _TOP_PATTERNS),
        *(
            (f"doubtful.{key}", getattr(doubtful, key))
            for key in ("forms", "never_with")
            if doubtful is not None
        ),
        *((f"context.{key}", spec.context.pattern(key)) for key in ContextSpec.model_fields),
        *((f"raised[{i}].when", raising.when) for i, raising in enumerate(spec.raised)),
        *(
            (f"raised[{i}].unless", raising.unless)
            for i, raising in enumerate(spec.raised)
            if raising.unless
        ),
    ]


def _faults(where: str, patterns: Patterns) -> list[str]:
    """Give "where: reason" for an invalid pattern, and "where[i]: reason" for an alternative
    that is invalid or cannot be joined with the others."""
    if isinstance(patterns, str):
        return [f"{where}: {why}"] if (why := regex_fault(patterns)) else []
    return [
        f"{where}[{i}]: {why}"
        for i, alternative in enumerate(patterns)
        if (why := regex_fault(alternative.pattern) or _unjoinable(alternative.pattern))
    ]


def _examples(where: str, patterns: Patterns, guard: str = "") -> list[str]:
    """Give "where[i]: reason" for an example its alternative misses or, when none does, a
    not_example the joined pattern matches; `guard` follows every alternative as it is read."""
    if isinstance(patterns, str):
        return []
    problems: list[str] = []
    for i, alternative in enumerate(patterns):
        found = re.compile(f"(?:{alternative.pattern}){guard}").search
        problems.extend(
            f"{where}[{i}]: example {example!r} is not matched by its pattern"
            for example in alternative.examples
            if not found(_plain(example))
        )
    if problems:
        return problems
    whole = re.compile(f"(?:{joined(patterns)}){guard}").search
    return [
        f"{where}[{i}]: not_example {example!r} is matched by the pattern"
        for i, alternative in enumerate(patterns)
        for example in alternative.not_examples
        if whole(_plain(example))
    ]


def _crossed(context: ContextSpec) -> list[str]:
    """Give "context.key[i]: reason" for a not_example of `ruled_out` or `other_senses` that
    the other list matches: the two are read as one expression."""
    across = re.compile(context.sources()["across"]).search
    keys = {"ruled_out": "other_senses", "other_senses": "ruled_out"}
    return [
        f"context.{key}[{i}]: not_example {example!r} is matched by context.{other}"
        for key, other in keys.items()
        if not isinstance(patterns := context.pattern(key), str)
        for i, alternative in enumerate(patterns)
        for example in alternative.not_examples
        if across(_plain(example))
    ]


def _plain(text: str) -> str:
    """Give a text as the rules read it: its words, lower case, joined by single spaces."""
    return " ".join(split_words(text))


_NUMBERED_REFERENCE = re.compile(r"(?<!\\)\\[1-9]")
#: texts a pattern list must not match with no words at all
_EMPTY_PROBES = ("", "a", "plain words")


def matches_empty(pattern: re.Pattern[str]) -> bool:
    """Tell whether a pattern can match no words at all, and so would match every clause."""
    return any(
        (found := pattern.search(text)) is not None and not found[0] for text in _EMPTY_PROBES
    )


def _unjoinable(pattern: str) -> str:
    """Give why an alternative cannot be joined with others into one expression, or ""."""
    if matches_empty(re.compile(pattern)):
        return "matches an empty text, so the whole pattern would match every clause"
    if _NUMBERED_REFERENCE.search(pattern):
        return "a numbered back-reference (\\1) points elsewhere once alternatives are joined"
    if "(?P<" in pattern or "(?<" in pattern.replace("(?<=", "").replace("(?<!", ""):
        return "a named group cannot be used: the alternatives are joined into one expression"
    if re.search(r"\(\?[aiLmsux]+[:)]", pattern):
        return "an inline flag ((?i)...) applies to every alternative once they are joined"
    return ""


_TOP_PATTERNS = (
    "negation",
    "general_question",
    "personal",
    "symptoms_now",
    "plea",
    "opening_plea",
    "wishes",
)


def _doubt_faults(spec: SafetySpec) -> list[str]:
    """Give the faults of `doubtful:`, or of its absence where a rule needs it."""
    doubting = [rule.id for rule in spec.red_flags if rule.with_detector == "confirm if doubtful"]
    if spec.doubtful is None and doubting:
        return [f"doubtful: missing, but {', '.join(doubting)} say confirm if doubtful"]
    if spec.doubtful is None:
        return []
    return [
        f"doubtful.{key}: is empty"
        for key in ("forms", "never_with")
        if not joined(getattr(spec.doubtful, key))
    ]


def _bad_raisings(spec: SafetySpec, categories: Iterable[str] | None) -> list[str]:
    """Give the faults of `raised:`: an unknown category, one that becomes itself, a concern
    raised by two entries."""
    known = None if categories is None else set(categories)
    problems: list[str] = []
    seen: set[str] = set()
    for i, raising in enumerate(spec.raised):
        where = f"raised[{i}] ({raising.concern})"
        for key in ("concern", "becomes"):
            name = getattr(raising, key)
            if known is not None and name not in known:
                problems.append(f"{where}: {key} {name!r} is not in triage/categories.yaml")
        if raising.becomes == raising.concern:
            problems.append(f"{where}: becomes the concern it raises")
        if raising.concern in seen:
            problems.append(f"{where}: the concern is raised by another entry")
        seen.add(raising.concern)
    return problems


def _bad_rules(spec: SafetySpec, categories: Iterable[str] | None) -> list[str]:
    known = None if categories is None else set(categories)
    problems: list[str] = []
    seen: set[str] = set()
    for i, rule in enumerate(spec.red_flags):
        where = _where("red_flags", i, rule.id)
        if rule.id in seen:
            problems.append(f"{where}: the id is used by another rule")
        seen.add(rule.id)
        if known is not None and rule.category not in known:
            problems.append(f"{where}: category {rule.category!r} is not in triage/categories.yaml")
        if not rule.match and not rule.patterns:
            problems.append(f"{where}: says neither match: nor patterns:")
        problems.extend(
            f"{where}: match[{j}]: gap: needs ordered: true"
            for j, clause in enumerate(rule.match)
            if clause.gap is not None and not clause.ordered
        )
        problems.extend(
            f"{where}: match[{j}]: concept {name!r} is not defined"
            for j, clause in enumerate(rule.match)
            for name in clause.near
            if name not in spec.concepts
        )
    return problems
