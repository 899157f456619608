"""The one composition root: an entries directory and a data directory in, a ready Engine out.

Start-up, `/reload`, SIGHUP and every CLI command build through here, and nothing is cached
between builds, so an edited rule file takes effect on the next build.
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any, TypeVar

from faq.corpus import default_entries_dir, load_corpus
from faq.decision import DecisionModel, Thresholds
from faq.engine import Engine, Semantic
from faq.model import Entry
from faq.rules import DataError, RuleFileError, read_yaml
from faq.scope import Scope
from faq.semantic import Encoder, default_cache_dir
from faq.text import Analyzer
from faq.topics import TopicHead
from faq.triage import Categories, RuleLayer, Triage
from faq.triage.detector import Detector

T = TypeVar("T")
TOPIC_HEAD = "topic-head.json"


@dataclass(frozen=True)
class Rules:
    """Everything the data directory holds: triage and scope rules, the analyzer, decisions."""

    triage: Triage
    scope: Scope
    analyzer: Analyzer
    thresholds: Thresholds
    decision: DecisionModel
    topic_head: TopicHead
    outside: tuple[str, ...]
    folder: Path


def default_data_dir() -> Path:
    """Give the data directory shipped with the package."""
    return Path(str(resources.files("faq") / "data"))


def load_rules(data_dir: Path | None = None) -> Rules:
    """Give the rules read afresh from a data directory, or raise DataError naming the file."""
    folder = data_dir or default_data_dir()
    synonyms = _read(
        folder / "synonyms.yaml", lambda d: {str(k): str(v) for k, v in d["phrases"].items()}
    )
    stopwords = _read(folder / "stopwords.yaml", lambda d: [str(w) for w in d["words"]])
    return Rules(
        triage=_triage(folder),
        scope=_read(folder / "scope.yaml", Scope),
        analyzer=Analyzer(synonyms, stopwords),
        thresholds=_read(folder / "thresholds.yaml", Thresholds.from_data),
        decision=_read(folder / "decision.yaml", DecisionModel.from_data),
        topic_head=_read_json(folder / TOPIC_HEAD, TopicHead.from_data),
        outside=tuple(first_column(folder / "oos-bank.tsv")),
        folder=folder,
    )


def verify_rule_file(rules: Rules) -> None:
    """Raise DataError naming safety.yaml, one line for each fault, when an alternative of a
    pattern list cannot be joined with the others or misreads an example written beside it
    (loading leaves these to `magbot check`, which every command runs on unchecked files)."""
    if faults := rules.triage.rules.authoring_faults():
        path = rules.folder / "safety.yaml"
        raise DataError("\n".join(f"{path}: {fault}" for fault in faults))


def semantic_wanted(environ: Mapping[str, str] | None = None) -> bool:
    """Tell whether the semantic layer is on: yes unless MAGBOT_SEMANTIC is off, 0 or false."""
    value = (os.environ if environ is None else environ).get("MAGBOT_SEMANTIC", "on")
    return value.strip().lower() not in ("off", "0", "false", "no")


def build_engine(
    entries_dir: Path | None = None, data_dir: Path | None = None, semantic: bool | None = None
) -> Engine:
    """Give an engine over the entries and rules in these directories (the shipped ones).

    semantic None follows MAGBOT_SEMANTIC; a missing or altered model raises ModelError.
    """
    entries = load_corpus(entries_dir or default_entries_dir())
    return engine_for(entries, load_rules(data_dir), semantic)


def engine_for(
    entries: Sequence[Entry], rules: Rules, semantic: bool | None = None, detector: bool = True
) -> Engine:
    """Give an engine over entries already loaded, with these rules.

    detector False leaves the learned triage layer out (for refitting it).
    """
    wanted = semantic_wanted() if semantic is None else semantic
    if not wanted:
        return Engine(entries, rules.triage, rules.scope, rules.analyzer, rules.thresholds)
    encoder = Encoder.load(rules.folder / "model")
    learned = _detector(rules.folder, encoder) if detector else None
    try:
        triage = rules.triage.with_detector(learned)
    except ValueError as exc:
        raise DataError(
            f"{rules.folder / 'triage' / 'detector' / 'detector.json'}: {exc}"
        ) from None
    if rules.topic_head.dimensions != encoder.dim:
        raise DataError(f"{rules.folder / TOPIC_HEAD}: fitted on vectors of another size")
    layer = Semantic(encoder, rules.decision, default_cache_dir(), rules.outside, rules.topic_head)
    return Engine(entries, triage, rules.scope, rules.analyzer, rules.thresholds, layer)


def _detector(folder: Path, encoder: Encoder) -> Detector:
    # a missing or altered detector stops the engine as a missing encoder does (ModelError)
    return Detector.load(folder / "triage" / "detector", encoder)


def _triage(folder: Path) -> Triage:
    categories = _read(folder / "triage" / "categories.yaml", Categories)
    path = folder / "safety.yaml"
    rules = _read(path, lambda data: RuleLayer.read(data, categories.ids))
    try:
        return Triage(rules, categories)
    except ValueError as exc:
        raise DataError(f"{path}: {exc}") from None


def first_column(path: Path) -> list[str]:
    """Give the first column of a TSV file with a header, or raise DataError naming it."""
    try:
        lines = path.read_text(encoding="utf-8").splitlines()[1:]
    except (OSError, UnicodeDecodeError) as exc:
        raise DataError(f"{path}: cannot read: {exc}") from None
    return [line.split("\t")[0] for line in lines if line.strip()]


def _read_json(path: Path, make: Callable[[dict[str, Any]], T]) -> T:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise DataError(f"{path}: cannot read: {exc}") from None
    if not isinstance(data, dict):
        raise DataError(f"{path}: malformed: not a mapping")
    return _make(path, data, make)


def _read(path: Path, make: Callable[[dict[str, Any]], T]) -> T:
    return _make(path, read_yaml(path), make)


def _make(path: Path, data: dict[str, Any], make: Callable[[dict[str, Any]], T]) -> T:
    """Give make(data), turning its faults into one DataError naming the file."""
    try:
        return make(data)
    except RuleFileError as exc:  # one line per fault, each naming the file
        raise DataError("\n".join(f"{path}: {problem}" for problem in exc.problems)) from None
    except KeyError as exc:
        raise DataError(f"{path}: missing key {exc}") from None
    except re.error as exc:
        raise DataError(f"{path}: a pattern is not a valid regular expression: {exc}") from None
    except (TypeError, ValueError, AttributeError) as exc:
        raise DataError(f"{path}: malformed: {exc}") from None
