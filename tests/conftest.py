"""Shared fixtures: the real engine over the shipped corpus and rules, built once."""

from __future__ import annotations

import functools
import shutil
from pathlib import Path

import pytest

from faq.build import build_engine, default_data_dir
from faq.corpus import default_entries_dir
from faq.engine import Engine
from faq.model import Answer, Entry, Status
from faq.rules import read_yaml


@pytest.fixture(scope="session")
def engine() -> Engine:
    """The real engine over the shipped corpus and rules, built once for the session."""
    return build_engine()


@pytest.fixture(scope="session")
def lexical() -> Engine:
    """The same engine with the semantic layer off (rules alone), built once for the session."""
    return build_engine(semantic=False)


@pytest.fixture
def data_dir(tmp_path: Path) -> Path:
    """A copy of the shipped rules directory that a test may edit."""
    return Path(shutil.copytree(default_data_dir(), tmp_path / "data"))


@pytest.fixture
def corpus(tmp_path: Path) -> Path:
    """A copy of the shipped entries that a test may edit."""
    return Path(shutil.copytree(default_entries_dir(), tmp_path / "entries"))


def picked(engine: Engine, entry_id: str, question: str) -> Answer:
    """Give the answer a person gets by picking this entry from the buttons under a question."""
    answer = engine.answer(question)
    followed = engine.follow(entry_id, answer.carry)
    assert followed is not None
    return followed


#: the rules' examples whose flag the detector names another concern of (faq/triage/assess.py):
#: the same tier, at least NAMED_OVER times surer than of the rule's own
RENAMED = {
    "my throat is swelling after the tablet": "allergy",  # the breathing rule's
    "my pulse is 38 and I feel weak": "magnesium-toxicity",  # the heartbeat rule's
}


def red_flag_at(rule_id: str) -> str:
    """Give where `magbot check` says a shipped red-flag rule stands: "red_flags[4] (chest-pain)".

    Taken from the rule file's order, so a rule added before it does not break the tests
    that quote a fault's place.
    """
    return f"red_flags[{_red_flag_ids().index(rule_id)}] ({rule_id})"


@functools.cache
def _red_flag_ids() -> list[str]:
    return [str(rule["id"]) for rule in read_yaml(default_data_dir() / "safety.yaml")["red_flags"]]


def names_its_concern(answer: Answer, message: str, category: str) -> bool:
    """Tell whether an emergency reply to a rule's example names the rule's category, or the
    one the detector is known to name for it instead (RENAMED)."""
    return answer.category == RENAMED.get(message, category)


def answered_entry(engine: Engine) -> Entry:
    """An entry whose own question is answered confidently, with at least two related ones."""
    for entry in engine.entries:
        answer = engine.answer(entry.question)
        if answer.status is Status.ANSWERED and answer.entry == entry and len(entry.related) >= 2:
            return entry
    raise AssertionError("no entry answers its own question: the corpus or engine is broken")


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Mark the end-to-end tests slow and the quality bars evaluation, by where they live.

    The longest modules go first, each to its own worker (--dist loadscope): the FAQ's and
    triage's quality bars, where one worker scores each set (tests/evaluation.py), then the
    contributor's walk, which runs a pytest of its own; the rest fills in behind them.
    """
    first = {"test_eval.py": 0, "test_triage_eval.py": 0, "test_contributing.py": 1}
    items.sort(key=lambda item: first.get(item.path.name, 2))
    for item in items:
        path = item.path.as_posix()
        if "/tests/e2e/" in path:
            item.add_marker(pytest.mark.slow)
        if path.endswith(("/test_eval.py", "/test_triage_eval.py")):
            item.add_marker(pytest.mark.evaluation)
