"""CONTRIBUTING.md's steps, walked in a temporary copy of the checkout, end with a green pytest.

A contributor adds an entry the corpus does not have, with its own evaluation questions in the
per-entry set, and every command runs as they would type it in their copy (`magbot` from the
virtual environment, the copy first on the import path). Then the copy's own tests of the corpus
run: those that read every entry, the evaluation bars a new entry can move (the newest held-out
set and the per-entry set) and the maintainers' flow end to end.
"""

from __future__ import annotations

import datetime as dt
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parents[2]
ENTRY_ID = "pickle-juice"
QUESTION = "does pickle juice stop a leg cramp"
ENTRY = f"""---
id: "{ENTRY_ID}"
question: "Does pickle juice stop a leg cramp?"
alternates:
  - "pickle juice for cramps?"
  - "a shot of pickle brine when my calf cramps"
  - "gherkin vinegar as a cramp remedy, real or myth"
  - "does drinking pickle juice help a charley horse"
  - "pickle juice shots for cramps at night"
sources:
  - name: "NHS: Leg cramps"
    url: "https://www.nhs.uk/conditions/leg-cramps/"
reviewed: "{dt.date.today().isoformat()}"
related: ["stop-cramp-now", "night-cramps"]
tags: ["pickle juice", "brine", "home remedy"]
evidence:
  level: "very-low"
  note: "No trial in these sources tests pickle juice for night cramps."
---
No trial in these sources tests pickle juice for night cramps. Stretching and massaging the
muscle are what the NHS advises during a cramp.
"""
# A dozen questions as people would ask them, none copied from the alternates.
QUESTIONS = [
    "is pickle juice good for cramps",
    "my mate says drink the brine from the pickle jar when your leg cramps, any truth",
    "pickle juice leg cramp",
    "do dill pickles help with muscle cramps at night",
    "gherkin juice for calf cramps?",
    "why do runners drink pickle juice for cramps",
    "will a swig of pickle brine stop a charley horse",
    "pickle juice vs magnesium for cramps in my legs",
    "heard pickle juice stops cramps in seconds is that true",
    "should i keep pickle juice by the bed for night cramps",
    "does the vinegar in pickle juice fix cramps",
    "pickle brine shot for leg cramp, works or not",
]
# The tests that read every entry or score the evaluation sets a new entry can move, and the
# maintainers' flow end to end; `magbot check` in the steps is the corpus check. (The whole
# suite takes minutes of CPU; CI runs it on the checkout itself. The README's figures are left
# out with the step that writes them, since each re-scores every set under both engines, and
# the held-out bars are those of the newest set, which stand for the rest. Nor does the copy
# compare triage alone with the full answer over a triage set: entries do not move a flag.)
CORPUS_TESTS = (
    "tests/test_corpus.py",
    "tests/test_engine.py",
    "tests/test_eval.py",
    "-k",
    "not rarely_raise_a_false_alarm and not triage_ and not lexical_engine and not readme"
    " and not hybrid_engine_meets and not hybrid_target and not urgent_gives",
    "tests/e2e/test_maintainer_flow.py",
)
IGNORED = shutil.ignore_patterns(
    ".git", ".venv", "venv", "*.egg-info", "__pycache__", ".*_cache", "build", "dist"
)


@pytest.fixture(scope="module")
def checkout(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A copy of this checkout (its tracked files, or the whole tree of an unpacked sdist)."""
    copy = tmp_path_factory.mktemp("contributor") / "magbot"
    listed = _tracked_files()
    if listed is None:
        shutil.copytree(ROOT, copy, ignore=IGNORED)
        return copy
    for name in listed:
        target = copy / name
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(ROOT / name, target)
    return copy


def _tracked_files() -> list[str] | None:
    if not (ROOT / ".git").exists() or shutil.which("git") is None:
        return None
    done = subprocess.run(
        ["git", "-C", str(ROOT), "ls-files", "-z"], capture_output=True, text=True, check=False
    )
    names = [name for name in done.stdout.split("\0") if name and (ROOT / name).is_file()]
    return names if done.returncode == 0 and names else None


def run(copy: Path, *argv: str, timeout: float = 300) -> subprocess.CompletedProcess[str]:
    """Run a command in the copy as the contributor would, with the copy first on the path."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PYTEST_", "MAGBOT_"))}
    env["PYTHONPATH"] = str(copy)
    command = [*argv]
    if command[0] == "magbot":  # the console script of this environment
        command[0] = str(Path(sys.executable).with_name("magbot"))
    return subprocess.run(
        command, cwd=copy, env=env, capture_output=True, text=True, timeout=timeout, check=False
    )


def test_a_new_entry_with_its_own_questions_walks_contributing_to_a_green_pytest(
    checkout: Path,
) -> None:
    entry = checkout / "faq" / "entries" / f"{ENTRY_ID}.md"
    assert not entry.exists(), "pick an entry id the corpus does not have"

    # 1. Scaffold it; 2. until every TODO is replaced the check refuses it
    scaffold = run(checkout, "magbot", "new", ENTRY_ID)
    draft = run(checkout, "magbot", "check")
    # 2. Write it; 3. check it
    entry.write_text(ENTRY, encoding="utf-8")
    checked = run(checkout, "magbot", "check")
    # 4. Try it, add its questions to the per-entry set, and pass the bars
    explained = run(checkout, "magbot", "ask", "--explain", QUESTION)
    questions = checkout / "tests" / "eval" / "new-entries.tsv"
    with questions.open("a", encoding="utf-8") as out:
        out.writelines(f"{question}\t{ENTRY_ID}\n" for question in QUESTIONS)
    scored = run(checkout, "magbot", "eval", str(questions), "--min-hit1", "0.8")

    assert scaffold.returncode == 0, scaffold.stderr
    assert draft.returncode == 1 and f"{ENTRY_ID}.md" in draft.stdout + draft.stderr
    assert checked.returncode == 0, checked.stdout + checked.stderr
    # the topic head does not know it until the refit (a minute and a half, left out here:
    # until then the decision's twin decides, so the shipped head's bars are not checked)
    assert "topic-head.json: warning" in checked.stdout
    assert explained.returncode == 0 and ENTRY_ID in explained.stdout, explained.stdout
    assert scored.returncode == 0, scored.stdout + scored.stderr

    # ... and the copy's tests of the corpus pass with the new entry in it
    tests = run(checkout, sys.executable, "-m", "pytest", "-n", "0", "-q", *CORPUS_TESTS)

    assert tests.returncode == 0, tests.stdout[-4000:] + tests.stderr[-2000:]
    assert re.search(r"\d+ passed", tests.stdout)
