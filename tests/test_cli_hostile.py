"""Hostile input and output for the command line, in real processes: bytes that are not UTF-8,
every line separator, a reader that goes away, a full disk and a closed stdin.

Documented exit codes (the README's usage section): 0 when the reader goes away early (as `| head`
expects), 1 when the output cannot be written (a full disk), 2 for usage errors.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.slow

MAGBOT = (sys.executable, "-m", "faq")
TIMEOUT = 120


def environment() -> dict[str, str]:
    """The environment under a UTF-8 locale, with no MAGBOT_ setting leaking in."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("MAGBOT_", "PYTHONIO"))}
    return {**env, "LC_ALL": "C.UTF-8"}


def magbot(*argv: str, stdin: bytes | None = None) -> subprocess.CompletedProcess[bytes]:
    """Run magbot in a new process; give what it did."""
    return subprocess.run(
        [*MAGBOT, *argv],
        input=stdin,
        capture_output=True,
        env=environment(),
        timeout=TIMEOUT,
        check=False,
    )


def test_a_line_that_is_not_utf8_becomes_an_error_object_and_the_others_are_answered() -> None:
    lines = (
        b"does magnesium oil work for leg cramps\n\xff\xfe broken \xc3(\nmagnesium in pregnancy\n"
    )

    done = magbot("ask", "--json", "-", stdin=lines)

    objects = [json.loads(line) for line in done.stdout.decode("utf-8").splitlines()]
    assert done.returncode == 0, done.stderr
    assert len(objects) == 3
    assert objects[1] == {"line": 2, "error": "not valid UTF-8 (byte 0)"}
    assert objects[0]["status"] == objects[2]["status"] == "answered"
    assert b"Traceback" not in done.stderr


@pytest.mark.parametrize("separator", ["\x85", "\u2028", "\u2029", "\x1c", "\x1d", "\x1e"])
def test_every_line_separator_in_a_question_stays_inside_one_json_line(separator: str) -> None:
    question = f"magnesium{separator}oil".encode()

    done = magbot("ask", "--json", "-", stdin=question + b"\n" + question + b"\n")

    lines = done.stdout.decode("utf-8").splitlines()  # splits on every one of them
    assert done.returncode == 0, done.stderr
    assert len(lines) == 2
    assert [json.loads(line)["query"] for line in lines] == [f"magnesium{separator}oil"] * 2


def test_chat_says_a_line_is_not_utf8_and_answers_the_next_one() -> None:
    done = magbot("chat", stdin=b"\xff\xfe\ndoes magnesium oil work for leg cramps\nquit\n")

    out = done.stdout.decode("utf-8")
    assert done.returncode == 0, done.stderr
    assert "that line is not valid UTF-8" in out
    assert "magbot [answered]>" in out
    assert b"Traceback" not in done.stderr


def test_a_reader_that_goes_away_ends_the_run_quietly_with_0() -> None:
    env = environment()
    questions = b"does magnesium oil work for leg cramps\n" * 200
    with subprocess.Popen(
        [*MAGBOT, "ask", "--json", "-"],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env=env,
    ) as process:
        assert process.stdin is not None and process.stdout is not None
        process.stdin.write(questions)
        process.stdin.close()
        first = process.stdout.readline()
        process.stdout.close()  # like `| head -1`
        code = process.wait(timeout=TIMEOUT)
        assert process.stderr is not None
        err = process.stderr.read()

    assert json.loads(first)["status"] == "answered"
    assert code == 0
    assert err == b""


@pytest.mark.skipif(not Path("/dev/full").exists(), reason="needs /dev/full")
def test_a_full_disk_ends_with_1_and_one_line() -> None:
    with open("/dev/full", "wb") as full:
        done = subprocess.run(
            [*MAGBOT, "ask", "does magnesium oil work for leg cramps"],
            stdout=full,
            stderr=subprocess.PIPE,
            env=environment(),
            timeout=TIMEOUT,
            check=False,
        )

    err = done.stderr.decode("utf-8")
    assert done.returncode == 1
    assert err.startswith("magbot: cannot write the output") and err.count("\n") == 1, err


@pytest.mark.parametrize("command", [["ask", "-"], ["ask", "--json", "-"], ["chat"]])
def test_a_closed_stdin_ends_cleanly(command: list[str]) -> None:
    env = environment()
    shell = " ".join([*(f"'{part}'" for part in (*MAGBOT, *command)), "<&-"])

    done = subprocess.run(
        ["/bin/sh", "-c", shell], capture_output=True, env=env, timeout=TIMEOUT, check=False
    )

    assert done.returncode == 0, done.stderr
    assert b"Traceback" not in done.stderr
