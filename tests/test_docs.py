"""The docs stay true: every command has help, and the README names every command."""

import argparse
import subprocess
import sys
from pathlib import Path

import pytest

from faq.cli import _parser

ROOT = Path(__file__).resolve().parents[1]


def _commands() -> dict[str, argparse.ArgumentParser]:
    parser = _parser()
    actions = [a for a in parser._actions if isinstance(a, argparse._SubParsersAction)]
    return dict(actions[0].choices)


def test_every_command_has_a_help_line() -> None:
    parser = _parser()
    helps = {
        choice.dest: choice.help
        for action in parser._actions
        if isinstance(action, argparse._SubParsersAction)
        for choice in action._choices_actions
    }

    assert set(helps) == set(_commands())
    assert all(helps.values()), helps


@pytest.mark.parametrize("command", sorted(_commands()))
def test_the_readme_shows_every_command(command: str) -> None:
    assert f"magbot {command}" in (ROOT / "README.md").read_text(encoding="utf-8")


@pytest.mark.parametrize("command", ["new", "check", "report", "eval"])
def test_contributing_explains_the_maintainers_commands(command: str) -> None:
    assert f"magbot {command}" in (ROOT / "CONTRIBUTING.md").read_text(encoding="utf-8")


def test_chat_answers_each_line_and_leaves_on_end_of_input() -> None:
    done = subprocess.run(
        [sys.executable, "-m", "faq", "chat"],
        input="hi\n\nis magnesium safe in pregnancy?\n",
        capture_output=True,
        text=True,
        timeout=60,
    )

    assert done.returncode == 0, done.stderr
    assert "magbot [chitchat]>" in done.stdout
    assert "magbot [answered]>" in done.stdout
    assert done.stdout.count("you> ") == 4  # three lines read, then end of input
    assert "Traceback" not in done.stderr


def test_chat_leaves_on_quit_without_answering_it() -> None:
    done = subprocess.run(
        [sys.executable, "-m", "faq", "chat"],
        input="quit\nis magnesium safe in pregnancy?\n",
        capture_output=True,
        text=True,
        timeout=60,
    )

    assert done.returncode == 0
    assert "magbot [" not in done.stdout
