"""Pattern rules kept as data (YAML): read from a data directory, compiled, matched against text."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol, TypeVar

import yaml
from pydantic import BaseModel, ValidationError

#: PyYAML's safe loader, in C (libyaml) when the wheel has it: five times faster at start-up.
SAFE_LOADER: type[yaml.SafeLoader] = getattr(yaml, "CSafeLoader", yaml.SafeLoader)

_ESCAPE = re.compile(r"\\[a-zA-Z]")
_LITERAL_WORD = re.compile(r"[a-z]{3,}")
#: a group right after a run of any letters ("[a-z]{2,}(pril|sartan)"): word endings, not words
_ENDINGS = re.compile(r"\[a-z\](?:\{\d*,?\d*\}|[+*])\((?:[^()]|\([^()]*\))*\)")


@dataclass(frozen=True)
class Rule:
    """A named set of regular expressions; it matches when any of them is found."""

    id: str
    patterns: tuple[re.Pattern[str], ...]
    message: str = ""
    personal: bool = False

    def matches(self, text: str, negation: re.Pattern[str] | None = None) -> bool:
        """Tell whether any pattern is found, not right after a negation ("no chest pain")."""
        for pattern in self.patterns:
            for found in pattern.finditer(text):
                if negation is None or not negation.search(text[: found.start()]):
                    return True
        return False

    def words(self) -> set[str]:
        """Give the plain words the patterns spell out, so typos can be corrected towards them."""
        return plain_words(self.patterns)


def plain_words(patterns: Sequence[re.Pattern[str]]) -> set[str]:
    """Give the plain words regular expressions spell out ("chest", "crampy"), not the
    endings a run of letters may take ("sartan" in "[a-z]{2,}(pril|sartan)")."""
    plain = (_ESCAPE.sub(" ", _ENDINGS.sub(" ", p.pattern)) for p in patterns)
    return {word for text in plain for word in _LITERAL_WORD.findall(text)}


def compile_rules(
    raw: list[dict[str, Any]], messages: dict[str, str] | None = None, default: str = ""
) -> list[Rule]:
    """Give rules from their YAML form; `message` may name an entry of `messages`."""
    named = messages or {}
    rules = []
    for item in raw:
        message = str(item.get("message", "")) or default
        message = named.get(message, message)
        patterns = tuple(re.compile(p) for p in item["patterns"])
        rules.append(Rule(str(item["id"]), patterns, message, bool(item.get("personal", False))))
    return rules


class DuplicateKeyError(ValueError):
    """A key written twice in a YAML mapping; YAML would silently keep the last one."""

    def __init__(self, key: str) -> None:
        self.key = key
        super().__init__(f"{key!r} is written twice; keep one")


class UniqueKeyLoader(SAFE_LOADER):  # type: ignore[valid-type,misc]
    """PyYAML's safe loader, except that a key written twice is an error, not an overwrite."""

    def construct_mapping(self, node: yaml.MappingNode, deep: bool = False) -> dict[Any, Any]:
        seen: set[Any] = set()
        for key_node, _ in node.value:
            key = self.construct_object(key_node, deep=deep)
            if key in seen:
                raise DuplicateKeyError(str(key))
            seen.add(key)
        mapping: dict[Any, Any] = super().construct_mapping(node, deep=deep)
        return mapping


class DataError(Exception):
    """A rule file is missing or malformed; the message names the file and the reason."""


def read_yaml(path: Path) -> dict[str, Any]:
    """Give one YAML file as a mapping, or raise DataError naming the file and the fault."""
    try:
        data = yaml.load(path.read_text(encoding="utf-8"), Loader=UniqueKeyLoader)
    except OSError as exc:
        raise DataError(f"{path}: cannot read: {exc.strerror or exc}") from None
    except DuplicateKeyError as exc:
        raise DataError(f"{path}: {exc}") from None
    except (yaml.YAMLError, UnicodeDecodeError) as exc:
        raise DataError(f"{path}: not valid YAML: {str(exc).splitlines()[0]}") from None
    if not isinstance(data, dict):
        raise DataError(f"{path}: must hold a mapping")
    return data


class RuleFileError(ValueError):
    """A rule file that does not fit its schema; `problems` says where and why, one per line."""

    def __init__(self, problems: Sequence[str]) -> None:
        super().__init__("\n".join(problems))
        self.problems = tuple(problems)


Model = TypeVar("Model", bound=BaseModel)


def validated(model: type[Model], data: dict[str, Any]) -> Model:
    """Give a rule file's data checked against its schema, or raise RuleFileError.

    Each fault reads "red_flags[3] (chest-pain): match.0.within: reason".
    """
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        errors = exc.errors()
        # a list whose items failed is also "too short": say only what is wrong with the items
        failed = {tuple(err["loc"][:n]) for err in errors for n in range(1, len(err["loc"]))}
        kept = [e for e in errors if not (e["type"] == "too_short" and tuple(e["loc"]) in failed)]
        raise RuleFileError([_problem(data, err) for err in kept]) from None


def _problem(data: dict[str, Any], err: Any) -> str:
    # a field written one of two ways ("<one>" pattern or "<alternatives>") is named as written
    location = tuple(part for part in err["loc"] if not str(part).startswith("<"))
    reason = "unknown key" if err["type"] == "extra_forbidden" else err["msg"]
    if err["type"] == "missing":
        reason = "missing"
    if err["type"] == "string_type" and isinstance(err.get("input"), bool):  # a bare on, no...
        reason += " (quote it: YAML reads a bare on, off, yes or no as true or false)"
    if len(location) >= 2 and isinstance(location[1], int):
        where = _rule_name(data, str(location[0]), location[1])
        rest = ".".join(str(part) for part in location[2:])
        return f"{where}: {rest}: {reason}" if rest else f"{where}: {reason}"
    return f"{'.'.join(str(part) for part in location)}: {reason}"


def _rule_name(data: dict[str, Any], section: str, index: int) -> str:
    items = data.get(section)
    item = items[index] if isinstance(items, list) and index < len(items) else None
    rule_id = str(item.get("id", "")) if isinstance(item, dict) else ""
    return f"{section}[{index}]" + (f" ({rule_id})" if rule_id else "")


# "\\d" in a single-quoted YAML string reaches re as two backslashes and a d: a literal
# backslash, which no normalised message holds; the writer meant \d
_DOUBLED_ESCAPE = re.compile(r"\\\\([dwsbDWSB])")


def regex_fault(pattern: str) -> str:
    """Give why a pattern is not a usable regular expression, or "" when it is one."""
    try:
        re.compile(pattern)
    except re.error as exc:
        return f"not a valid regular expression: {exc}"
    if doubled := _DOUBLED_ESCAPE.search(pattern):
        return (
            f"{doubled[0]} matches a backslash and a letter: in single quotes write "
            f"\\{doubled[1]} (YAML keeps both backslashes)"
        )
    return ""


class _Patterned(Protocol):
    @property
    def id(self) -> str: ...

    @property
    def patterns(self) -> tuple[str, ...]: ...


def pattern_faults(section: str, rules: Sequence[_Patterned], key: str = "patterns") -> list[str]:
    """Give "section[i] (id): key[j]: reason" for each invalid pattern these rules hold under
    `key` (their `patterns`, or another list of patterns such as a red flag's `unless`)."""
    return [
        f"{section}[{i}] ({rule.id}): {key}[{j}]: {reason}"
        for i, rule in enumerate(rules)
        for j, pattern in enumerate(getattr(rule, key))
        if (reason := regex_fault(pattern))
    ]
