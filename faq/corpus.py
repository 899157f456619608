"""Markdown + YAML front matter → validated entries, with errors that name file and field."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any

import frontmatter
import yaml
from pydantic import ValidationError

from faq.model import MAX_ANSWER_CHARS, Entry
from faq.rules import DuplicateKeyError, UniqueKeyLoader

BOM = "\ufeff"


@dataclass(frozen=True)
class Problem:
    """One thing wrong with the corpus: where, which field, and why."""

    file: str
    field: str
    reason: str
    warning: bool = False

    def __str__(self) -> str:
        kind = "warning" if self.warning else "error"
        return f"{self.file}: {kind}: {self.field}: {self.reason}"


class CorpusError(Exception):
    """The corpus failed validation; `problems` lists every fault found."""

    def __init__(self, problems: Iterable[Problem]) -> None:
        self.problems = tuple(problems)
        super().__init__("\n".join(str(p) for p in self.problems))


def default_entries_dir() -> Path:
    """Give the directory of the entries shipped with the package."""
    return Path(str(resources.files("faq") / "entries"))


def load_corpus(directory: Path | None = None) -> tuple[Entry, ...]:
    """Give every entry in the directory, validated, or raise CorpusError listing all faults."""
    entries, problems = check_corpus(directory)
    errors = [p for p in problems if not p.warning]
    if errors:
        raise CorpusError(errors)
    return entries


def check_corpus(directory: Path | None = None) -> tuple[tuple[Entry, ...], list[Problem]]:
    """Give the entries that parse and every problem found in the directory."""
    folder = directory or default_entries_dir()
    paths = sorted(folder.glob("*.md"))
    if not paths:
        return (), [Problem(str(folder), "-", "no entries (*.md) found")]
    parsed: dict[str, Entry] = {}
    problems: list[Problem] = []
    for path in paths:
        entry, found = parse_entry(path)
        problems.extend(found)
        if entry is not None:
            parsed[path.name] = entry
    problems.extend(_cross_check(parsed, {path.stem for path in paths}))
    return tuple(parsed.values()), problems


def parse_entry(path: Path) -> tuple[Entry | None, list[Problem]]:
    """Give the entry in one file, or None and the reasons it is not valid."""
    name = path.name
    try:
        raw = path.read_bytes().decode("utf-8")
    except UnicodeDecodeError as exc:
        return None, [Problem(name, "-", f"not UTF-8 text ({exc.reason} at byte {exc.start})")]
    if raw.startswith(BOM):
        return None, [Problem(name, "-", "starts with a byte-order mark (BOM); save as UTF-8")]
    try:
        meta, content = _split(raw)
    except yaml.YAMLError as exc:
        return None, [Problem(name, "front matter", f"invalid YAML: {_yaml_reason(exc)}")]
    except DuplicateKeyError as exc:
        return None, [Problem(name, exc.key, str(exc))]
    except ValueError as exc:
        return None, [Problem(name, "front matter", str(exc))]
    problems = _surprises(name, meta)
    if problems:
        return None, problems
    try:
        entry = Entry.model_validate({**meta, "answer": content.strip()})
    except ValidationError as exc:
        return None, _from_validation(name, exc)
    if entry.id != path.stem:
        return entry, [
            Problem(name, "id", f"id {entry.id!r} must equal the file name {path.stem!r}")
        ]
    return entry, []


def _split(raw: str) -> tuple[dict[str, Any], str]:
    """Give the front matter as a mapping with text keys, and the Markdown body."""
    if not raw.startswith("---"):
        raise ValueError("missing: the file must start with a '---' line")
    matter, content = frontmatter.default_handlers.YAMLHandler().split(raw)
    meta = yaml.load(matter, Loader=UniqueKeyLoader)
    if not isinstance(meta, dict):
        raise ValueError("must be a mapping of fields (key: value lines)")
    odd = [key for key in meta if not isinstance(key, str)]
    if odd:
        raise ValueError(f"YAML read the key {odd[0]!r} as {type(odd[0]).__name__}; quote it")
    return meta, content


def _yaml_reason(exc: yaml.YAMLError) -> str:
    mark = getattr(exc, "problem_mark", None)
    where = f" (line {mark.line + 1}, column {mark.column + 1})" if mark else ""
    return f"{getattr(exc, 'problem', None) or exc}{where}"


def _surprises(name: str, meta: dict[str, Any]) -> list[Problem]:
    """YAML 1.1 turns `no` into False and `10:00` into 600: catch those with a hint."""
    problems = []
    for key, value in meta.items():
        for path, item in _walk(str(key), value):
            if isinstance(item, bool | int | float) and not _numeric_ok(path, item):
                problems.append(
                    Problem(
                        name,
                        path,
                        f"YAML read this as {type(item).__name__} {item!r}; put the text in quotes",
                    )
                )
    if "reviewed" in meta and not _is_date(meta["reviewed"]):
        problems.append(Problem(name, "reviewed", "must be a date written as YYYY-MM-DD"))
    return problems


def _is_date(value: object) -> bool:
    """A YAML date, quoted or not ("2026-11-30" is as good as 2026-11-30)."""
    if isinstance(value, dt.date):
        return True
    if not isinstance(value, str) or not re.fullmatch(r"\d{4}-\d{2}-\d{2}", value):
        return False
    try:
        dt.date.fromisoformat(value)
    except ValueError:
        return False
    return True


def _numeric_ok(path: str, item: object) -> bool:
    return False if isinstance(item, bool) else path == "reviewed"


def _walk(path: str, value: object) -> Iterable[tuple[str, object]]:
    if isinstance(value, dict):
        for key, item in value.items():
            yield from _walk(f"{path}.{key}", item)
    elif isinstance(value, list):
        for i, item in enumerate(value):
            yield from _walk(f"{path}[{i}]", item)
    else:
        yield path, value


def _from_validation(name: str, exc: ValidationError) -> list[Problem]:
    """One problem per pydantic error, without "too short" echoes of an invalid item."""
    errors = exc.errors()
    failed = {tuple(err["loc"][:n]) for err in errors for n in range(1, len(err["loc"]))}
    return [
        _from_pydantic(name, err)
        for err in errors
        if not (err["type"] == "too_short" and tuple(err["loc"]) in failed)
    ]


def _from_pydantic(name: str, err: Any) -> Problem:
    loc = ".".join(str(part) for part in err["loc"]) or "-"
    reason = err["msg"]
    if err["type"] == "extra_forbidden":
        reason = "unknown key (allowed: id, question, alternates, sources, reviewed, related, "
        reason += "tags, evidence)"
    elif loc == "answer" and err["type"] == "string_too_long":
        length = len(err.get("input", ""))
        reason = f"answer is {length} characters; the limit is {MAX_ANSWER_CHARS}"
    return Problem(name, loc, reason)


def _cross_check(parsed: dict[str, Entry], files: set[str]) -> list[Problem]:
    problems: list[Problem] = []
    owner: dict[str, str] = {}
    for name, entry in parsed.items():
        if entry.id in owner:
            reason = f"duplicate id {entry.id!r} (also in {owner[entry.id]})"
            problems.append(Problem(name, "id", reason))
        owner.setdefault(entry.id, name)
    for name, entry in parsed.items():
        for target in entry.related:
            if target not in owner and target not in files:
                reason = f"points to {target!r}, which is not an entry"
                problems.append(Problem(name, "related", reason))
            elif target == entry.id:
                problems.append(Problem(name, "related", "an entry cannot relate to itself"))
    return problems
