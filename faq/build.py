"""The one composition root: an entries directory and a data directory in, a ready Engine out.

Start-up, `/reload`, SIGHUP and every CLI command build through here, and nothing is cached
between builds, so an edited rule file takes effect on the next build.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any, TypeVar

from faq.corpus import default_entries_dir, load_corpus
from faq.decision import Thresholds
from faq.engine import Engine
from faq.model import Entry
from faq.rules import DataError, read_yaml
from faq.scope import Scope
from faq.text import Analyzer
from faq.triage import Categories, RuleLayer, Triage

T = TypeVar("T")


@dataclass(frozen=True)
class Rules:
    """Everything the data directory holds: triage and scope rules, the analyzer, thresholds."""

    triage: Triage
    scope: Scope
    analyzer: Analyzer
    thresholds: Thresholds


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
        triage=Triage(
            _read(folder / "safety.yaml", RuleLayer),
            _read(folder / "triage" / "categories.yaml", Categories),
        ),
        scope=_read(folder / "scope.yaml", Scope),
        analyzer=Analyzer(synonyms, stopwords),
        thresholds=_read(folder / "thresholds.yaml", Thresholds.from_data),
    )


def build_engine(entries_dir: Path | None = None, data_dir: Path | None = None) -> Engine:
    """Give an engine over the entries and rules in these directories (the shipped ones)."""
    return engine_for(load_corpus(entries_dir or default_entries_dir()), load_rules(data_dir))


def engine_for(entries: Sequence[Entry], rules: Rules) -> Engine:
    """Give an engine over entries already loaded, with these rules."""
    return Engine(entries, rules.triage, rules.scope, rules.analyzer, rules.thresholds)


def _read(path: Path, make: Callable[[dict[str, Any]], T]) -> T:
    data = read_yaml(path)
    try:
        return make(data)
    except KeyError as exc:
        raise DataError(f"{path}: missing key {exc}") from None
    except re.error as exc:
        raise DataError(f"{path}: a pattern is not a valid regular expression: {exc}") from None
    except (TypeError, ValueError, AttributeError) as exc:
        raise DataError(f"{path}: malformed: {exc}") from None
