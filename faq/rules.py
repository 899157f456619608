"""Pattern rules kept as data (YAML): read from a data directory, compiled, matched against text."""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

#: PyYAML's safe loader, in C (libyaml) when the wheel has it: five times faster at start-up.
SAFE_LOADER: type[yaml.SafeLoader] = getattr(yaml, "CSafeLoader", yaml.SafeLoader)

_ESCAPE = re.compile(r"\\[a-zA-Z]")
_LITERAL_WORD = re.compile(r"[a-z]{3,}")


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
        plain = (_ESCAPE.sub(" ", p.pattern) for p in self.patterns)
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


class DataError(Exception):
    """A rule file is missing or malformed; the message names the file and the reason."""


def read_yaml(path: Path) -> dict[str, Any]:
    """Give one YAML file as a mapping, or raise DataError naming the file and the fault."""
    try:
        data = yaml.load(path.read_text(encoding="utf-8"), Loader=SAFE_LOADER)
    except OSError as exc:
        raise DataError(f"{path}: cannot read: {exc.strerror or exc}") from None
    except (yaml.YAMLError, UnicodeDecodeError) as exc:
        raise DataError(f"{path}: not valid YAML: {str(exc).splitlines()[0]}") from None
    if not isinstance(data, dict):
        raise DataError(f"{path}: must hold a mapping")
    return data
