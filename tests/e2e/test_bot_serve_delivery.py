"""`magbot serve` killed, stopped and refused mid-load: no update lost, none answered twice."""

from __future__ import annotations

import subprocess
import time
from collections import Counter
from pathlib import Path

import pytest

from bot.intake import SHUTDOWN_GRACE_SECONDS
from tests.fakes.telegram import Conflict, FakeBotAPI, Slow, Stalled, Unauthorized

from .conftest import TOKEN, USER
from .test_bot_serve import STARTUP, _env, _serve, _stop

PRESSES = 1000
PEOPLE = 10  # 100 presses each: each person's queue is served in order, ten at once
FIRST_RUN = 300


def _press_buttons(fake: FakeBotAPI) -> set[str]:
    """Queue the load: button presses the bot answers with answerCallbackQuery (no chat limit)."""
    presses = [fake.push_callback(USER + n % PEOPLE, "stale") for n in range(PRESSES)]
    return {str(press["callback_query"]["id"]) for press in presses}


def _answers(fake: FakeBotAPI) -> tuple[Counter[str], list[int]]:
    """How often each query was answered, and the statuses of refused answers (400: twice)."""
    calls = fake.calls("answerCallbackQuery")
    delivered = Counter(str(c.params["callback_query_id"]) for c in calls if c.delivered)
    return delivered, [c.status for c in calls if c.status not in (0, 200)]


def test_kill_9_mid_load_then_a_restart_answers_every_update_exactly_once(
    fake: FakeBotAPI, tmp_path: Path, processes: list[subprocess.Popen[str]]
) -> None:
    env = _env(TELEGRAM_BOT_TOKEN=TOKEN, TELEGRAM_API_BASE_URL=fake.base_url)
    processes.append(first := _serve(tmp_path, env))
    fake.wait_for("deleteWebhook", timeout=STARTUP)
    # the first 300 answers arrive, later ones hang and never arrive: the kill finds them so
    fake.inject("answerCallbackQuery", Slow(0.02), times=FIRST_RUN)
    fake.inject("answerCallbackQuery", Stalled(3.0), times=10 * PRESSES)
    queries = _press_buttons(fake)
    fake.wait_for("answerCallbackQuery", count=FIRST_RUN, timeout=STARTUP)
    time.sleep(0.5)  # the last answers that arrived are marked done

    first.kill()
    first.communicate(timeout=STARTUP)
    fake.clear_faults("answerCallbackQuery")
    before = fake.delivered("answerCallbackQuery")
    processes.append(second := _serve(tmp_path, env))
    fake.wait_for("answerCallbackQuery", count=PRESSES, timeout=STARTUP)
    time.sleep(0.5)  # room for a wrong second answer to show
    code, stderr = _stop(second)

    answered, refused = _answers(fake)
    assert before == FIRST_RUN
    assert set(answered) == queries and set(answered.values()) == {1}
    assert refused == []
    assert code == 0, stderr


def test_sigterm_mid_load_stops_within_the_bound_and_a_restart_answers_the_rest(
    fake: FakeBotAPI, tmp_path: Path, processes: list[subprocess.Popen[str]]
) -> None:
    env = _env(TELEGRAM_BOT_TOKEN=TOKEN, TELEGRAM_API_BASE_URL=fake.base_url)
    processes.append(first := _serve(tmp_path, env))
    fake.wait_for("deleteWebhook", timeout=STARTUP)
    fake.inject("answerCallbackQuery", Slow(0.02), times=FIRST_RUN)
    fake.inject("answerCallbackQuery", Slow(1.0), times=10 * PRESSES)  # in flight at SIGTERM
    queries = _press_buttons(fake)
    fake.wait_for("answerCallbackQuery", count=FIRST_RUN, timeout=STARTUP)

    began = time.monotonic()
    code, stderr = _stop(first)
    stopped_in = time.monotonic() - began
    fake.clear_faults("answerCallbackQuery")
    before = fake.delivered("answerCallbackQuery")
    processes.append(second := _serve(tmp_path, env))
    fake.wait_for("answerCallbackQuery", count=PRESSES, timeout=STARTUP)
    time.sleep(0.5)
    second_code, _ = _stop(second)

    answered, refused = _answers(fake)
    assert code == 0 and "Traceback" not in stderr, stderr
    assert stopped_in < SHUTDOWN_GRACE_SECONDS + 3
    assert FIRST_RUN <= before < PRESSES
    assert set(answered) == queries and set(answered.values()) == {1}
    assert refused == [] and second_code == 0


@pytest.mark.parametrize(
    ("fault", "line"),
    [
        (Conflict(), "magbot serve: Telegram refused polling (409): another instance"),
        (Unauthorized(), "magbot serve: Telegram stopped accepting TELEGRAM_BOT_TOKEN"),
    ],
)
def test_a_409_or_401_on_get_updates_exits_1_with_one_line(
    fake: FakeBotAPI,
    tmp_path: Path,
    processes: list[subprocess.Popen[str]],
    fault: Conflict | Unauthorized,
    line: str,
) -> None:
    env = _env(TELEGRAM_BOT_TOKEN=TOKEN, TELEGRAM_API_BASE_URL=fake.base_url)
    fake.inject("getUpdates", fault)  # getMe at start-up still passes: the token was good
    processes.append(server := _serve(tmp_path, env))

    _, stderr = server.communicate(timeout=STARTUP)

    assert server.returncode == 1, stderr
    assert stderr.splitlines()[-1].startswith(line), stderr
    assert sum(text.startswith("magbot serve:") for text in stderr.splitlines()) == 1
    assert "Traceback" not in stderr and TOKEN not in stderr


def test_an_inbox_that_cannot_be_written_is_logged_once_and_every_update_still_answered(
    fake: FakeBotAPI, tmp_path: Path, processes: list[subprocess.Popen[str]]
) -> None:
    (tmp_path / "not-a-folder").write_text("a file where the inbox's folder should be")
    inbox = str(tmp_path / "not-a-folder" / "inbox.sqlite3")
    env = _env(TELEGRAM_BOT_TOKEN=TOKEN, TELEGRAM_API_BASE_URL=fake.base_url, MAGBOT_INBOX=inbox)
    processes.append(server := _serve(tmp_path, env))
    fake.wait_for("deleteWebhook", timeout=STARTUP)
    for n in range(20):
        fake.push_message(USER + n % 4, "/start")

    fake.wait_for("sendMessage", count=20, timeout=STARTUP)
    fake.push_message(USER, "/start")  # ends the long poll that confirms the first 20
    fake.wait_for("sendMessage", count=21)
    code, stderr = _stop(server)

    assert code == 0, stderr
    assert sum("confirming updates only once answered" in line for line in stderr.splitlines()) == 1
    assert len(fake.sent_messages()) == 21
    assert any(int(call.params.get("offset") or 0) == 21 for call in fake.calls("getUpdates"))
