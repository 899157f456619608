"""What the bot does not answer as an FAQ: small talk and questions outside its scope."""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any, NamedTuple

from pydantic import BaseModel, ConfigDict, Field

from faq.rules import Rule, RuleFileError, compile_rules, pattern_faults, regex_fault, validated
from faq.text import stem


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class ScopeRule(_Strict):
    """A small-talk or out-of-scope rule: its patterns, and its reply (small talk) or what
    an out-of-scope reply says before what the bot covers (optional)."""

    id: str = Field(min_length=1)
    patterns: tuple[str, ...] = Field(min_length=1)
    message: str = ""


class Settled(_Strict):
    """What says the cramps are sorted (words), read only in a message that asks a benefit
    for another condition (asked); a group named "remedy" in words is kept in the text."""

    asked: str = Field(min_length=1)
    words: str = Field(min_length=1)


class ScopeSpec(_Strict):
    """The whole of scope.yaml."""

    covers: str = Field(min_length=1)
    lists: dict[str, str] = {}  # "@name" in a pattern stands for these alternatives
    chitchat: tuple[ScopeRule, ...] = ()
    off_topic: tuple[ScopeRule, ...] = ()
    other_conditions: tuple[ScopeRule, ...] = ()
    in_scope_words: str
    settled: Settled | None = None  # its words are not read as in-scope words
    anchors: tuple[str, ...] = ()


_LIST_NAME = re.compile(r"@([\w-]+)")  # any word after "@", so a misspelt name is a fault
_LIST_KEY = re.compile(r"[a-z][a-z-]*")


def read_scope(data: dict[str, Any]) -> ScopeSpec:
    """Give scope.yaml checked against its schema, its named lists put in place of their
    names, or raise RuleFileError naming each fault (those of the lists first: a pattern
    cannot be checked without them)."""
    spec = validated(ScopeSpec, data)
    if faults := _list_faults(spec) + _unknown_lists(spec):
        raise RuleFileError(faults)
    spec = _with_lists(spec)
    problems = [
        *(
            f"chitchat[{i}] ({r.id}): message: missing"
            for i, r in enumerate(spec.chitchat)
            if not r.message
        ),
        *pattern_faults("chitchat", spec.chitchat),
        *pattern_faults("off_topic", spec.off_topic),
        *pattern_faults("other_conditions", spec.other_conditions),
    ]
    problems += [
        f"{name}: {fault}"
        for name, pattern in _single(spec).items()
        if (fault := regex_fault(pattern))
    ]
    if problems:
        raise RuleFileError(problems)
    return spec


def _sections(spec: ScopeSpec) -> dict[str, tuple[ScopeRule, ...]]:
    return {
        "chitchat": spec.chitchat,
        "off_topic": spec.off_topic,
        "other_conditions": spec.other_conditions,
    }


def _single(spec: ScopeSpec) -> dict[str, str]:
    """Give the patterns of the spec that are not rules, by name."""
    settled = spec.settled
    extra = {"settled.asked": settled.asked, "settled.words": settled.words} if settled else {}
    return {"in_scope_words": spec.in_scope_words, **extra}


def _list_faults(spec: ScopeSpec) -> list[str]:
    """Give "lists: name: reason" for a name that is not lower-case words joined by
    hyphens, or a list that names another ("@" in it)."""
    return [
        f"lists: {name}: {reason}"
        for name, value in spec.lists.items()
        for reason, bad in (
            ("a name is lower-case words joined by hyphens", not _LIST_KEY.fullmatch(name)),
            ("a list cannot name another list (@)", "@" in value),
        )
        if bad
    ]


def _labelled_patterns(spec: ScopeSpec) -> list[tuple[str, str]]:
    """Give every pattern of the spec with where it stands ("off_topic[6] (id)")."""
    return [
        (f"{section}[{i}] ({rule.id})", pattern)
        for section, rules in _sections(spec).items()
        for i, rule in enumerate(rules)
        for pattern in rule.patterns
    ] + list(_single(spec).items())


def _unknown_lists(spec: ScopeSpec) -> list[str]:
    """Give "where: @name is not in lists" for each name no list has."""
    return [
        f"{where}: @{name} is not in lists"
        for where, pattern in _labelled_patterns(spec)
        for name in _LIST_NAME.findall(pattern)
        if name not in spec.lists
    ]


def _with_lists(spec: ScopeSpec) -> ScopeSpec:
    """Give the spec with every "@name" replaced by its list's alternatives."""

    def expand(pattern: str) -> str:
        return _LIST_NAME.sub(lambda found: spec.lists[found[1]], pattern)

    def rules(section: tuple[ScopeRule, ...]) -> tuple[ScopeRule, ...]:
        return tuple(
            rule.model_copy(update={"patterns": tuple(map(expand, rule.patterns))})
            for rule in section
        )

    update: dict[str, Any] = {name: rules(section) for name, section in _sections(spec).items()}
    if spec.settled:
        words = {"asked": expand(spec.settled.asked), "words": expand(spec.settled.words)}
        update["settled"] = spec.settled.model_copy(update=words)
    update["in_scope_words"] = expand(spec.in_scope_words)
    return spec.model_copy(update=update)


class _Settling(NamedTuple):
    """The compiled `settled` patterns."""

    asked: re.Pattern[str]
    words: re.Pattern[str]


def _remedy_kept(found: re.Match[str]) -> str:
    return f" {found.groupdict().get('remedy') or ''} "


@dataclass(frozen=True)
class Verdict:
    """Why a message is not an FAQ question, and what to reply."""

    rule: str
    message: str
    chitchat: bool = False

    @property
    def kind(self) -> str:
        """'small talk' or 'out of scope'."""
        return "small talk" if self.chitchat else "out of scope"


class Scope:
    """Small-talk replies and out-of-scope topics, from faq/data/scope.yaml."""

    def __init__(self, data: dict[str, Any]) -> None:
        spec = read_scope(data)
        self.covers = " ".join(spec.covers.split())
        self._chitchat = compile_rules([r.model_dump() for r in spec.chitchat])
        self._off_topic = compile_rules([r.model_dump() for r in spec.off_topic])
        self._other_conditions = compile_rules([r.model_dump() for r in spec.other_conditions])
        self._in_scope = re.compile(spec.in_scope_words)
        settled = spec.settled
        self._settled = (
            _Settling(re.compile(settled.asked), re.compile(settled.words)) if settled else None
        )
        self._anchors = frozenset(stem(word) for word in spec.anchors)

    def vocabulary(self) -> set[str]:
        """Give the words the rules look for."""
        rules = (*self._chitchat, *self._off_topic, *self._other_conditions)
        return {w for rule in rules for w in rule.words()}

    def anchored(self, terms: Iterable[str]) -> bool:
        """Tell whether the terms name the bot's subject (magnesium, cramps, legs...)."""
        return any(term in self._anchors for term in terms)

    def verdict(self, text: str) -> Verdict | None:
        """Give the scope verdict for a normalised message: small talk, off topic or None."""
        return self.chitchat(text) or self.off_topic(text)

    def chitchat(self, text: str) -> Verdict | None:
        """Give the small-talk reply when the whole message is small talk."""
        for rule in self._chitchat:
            if rule.matches(text):
                return Verdict(rule.id, rule.message, chitchat=True)
        return None

    def _declined(self, rule: Rule) -> Verdict:
        """Give an out-of-scope verdict: the rule's own line, if any, then what the bot covers."""
        return Verdict(rule.id, f"{rule.message} {self.covers}".strip())

    def _unsettled(self, text: str) -> str:
        """Give the text without what says the cramps are sorted ("my cramps are gone now,
        can it help my hair"), so that only the rest can keep another condition in scope;
        the remedy that sorted them stays ("magnesium fixed my cramps" -> "magnesium")."""
        if self._settled is None or not self._settled.asked.search(text):
            return text
        return self._settled.words.sub(_remedy_kept, text)

    def off_topic(self, text: str) -> Verdict | None:
        """Give why a question is out of scope when a rule says so, before any ranking."""
        for rule in self._off_topic:
            if rule.matches(text):
                return self._declined(rule)
        if self._in_scope.search(self._unsettled(text)):
            return None
        for rule in self._other_conditions:
            if rule.matches(text):
                return self._declined(rule)
        return None
