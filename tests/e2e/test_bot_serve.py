"""`magbot serve` as a real process against the fake Bot API: start, answer, reload, stop."""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path
from typing import Any
from urllib.parse import urljoin

import httpx
import pytest

from bot.main import WITHOUT_DETECTOR
from bot.main import main as serve_main
from bot.serve_webhook import STOP_GRACE
from bot.settings import VARIABLES
from bot.webhook import HEALTH_PATH
from faq.corpus import default_entries_dir
from tests.fakes.telegram import FakeBotAPI, RateLimited, Slow, Unauthorized

from .conftest import TOKEN, USER, to_chat

STARTUP = 20.0  # seconds: a cold interpreter imports telegram and builds the index
HOOK_SECRET = "hook-secret"


def _env(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in VARIABLES}
    return {**env, "PYTHONUNBUFFERED": "1", **extra}


def _serve(cwd: Path, env: dict[str, str], *args: str) -> subprocess.Popen[str]:
    command = [sys.executable, "-m", "faq", *args, "serve"]
    return subprocess.Popen(
        command, cwd=cwd, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )


def _stop(process: subprocess.Popen[str]) -> tuple[int, str]:
    process.send_signal(signal.SIGTERM)
    _, stderr = process.communicate(timeout=STARTUP)
    return process.returncode, stderr


def test_serve_answers_over_polling_and_exits_0_on_sigterm(
    fake: FakeBotAPI, tmp_path: Path, processes: list[subprocess.Popen[str]]
) -> None:
    # .env gives the token; the real environment wins over .env's stale base URL.
    (tmp_path / ".env").write_text(
        f"TELEGRAM_BOT_TOKEN={TOKEN}\nTELEGRAM_API_BASE_URL=http://127.0.0.1:9/bot\n"
    )
    env = _env(TELEGRAM_API_BASE_URL=fake.base_url, MAGBOT_LOG_LEVEL="DEBUG")
    processes.append(server := _serve(tmp_path, env))
    fake.push_message(USER, "can I take magnesium while pregnant?")

    (call,) = fake.wait_for("sendMessage", to_chat(USER), timeout=STARTUP)
    code, stderr = _stop(server)

    assert code == 0, stderr
    assert "pregnan" in call.params["text"].lower()
    assert fake.tokens == [TOKEN]
    assert fake.delivered("setMyCommands") == 1
    assert TOKEN not in stderr and "Traceback" not in stderr
    assert (tmp_path / "magbot.sqlite3").exists()


EXTRA_ENTRY = """---
id: "extra"
question: "Does drinking pickle juice stop a leg cramp?"
alternates:
  - "pickle juice for cramps"
  - "is pickle brine good for a charley horse"
  - "a shot of pickle juice when my calf locks"
  - "does vinegar stop cramps"
  - "pickle juice cramp remedy, real or myth"
sources:
  - name: "NHS: Leg cramps"
    url: "https://www.nhs.uk/conditions/leg-cramps/"
reviewed: 2026-11-21
---
No trial in these sources tests pickle juice. Stretching and massage are what the NHS advises.
"""


def test_sighup_reloads_the_corpus_while_serving(
    fake: FakeBotAPI, tmp_path: Path, processes: list[subprocess.Popen[str]]
) -> None:
    corpus = tmp_path / "entries"
    shutil.copytree(default_entries_dir(), corpus)
    count = len(list(corpus.glob("*.md")))
    env = _env(TELEGRAM_BOT_TOKEN=TOKEN, TELEGRAM_API_BASE_URL=fake.base_url)
    processes.append(server := _serve(tmp_path, env, "--entries", str(corpus)))
    fake.wait_for("deleteWebhook", timeout=STARTUP)  # polling starts after SIGHUP is handled
    (corpus / "extra.md").write_text(EXTRA_ENTRY)

    server.send_signal(signal.SIGHUP)
    # the reload takes a moment (new embeddings): ask until it shows, each time from another
    # person, so a slow reload never meets the limit of 8 messages in 30 s per person
    for attempt in range(1, 150):
        fake.push_message(USER + attempt, "/about")
        text = fake.wait_for("sendMessage", to_chat(USER + attempt))[-1].params["text"]
        if f"from {count + 1} written entries" in text:
            break
        time.sleep(0.2)
    code, stderr = _stop(server)

    assert f"from {count + 1} written entries" in text, stderr
    assert code == 0


def _webhook_env(fake: FakeBotAPI, **extra: str) -> tuple[dict[str, str], str]:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    url = f"http://127.0.0.1:{port}/telegram/hook"
    env = _env(
        TELEGRAM_BOT_TOKEN=TOKEN,
        TELEGRAM_API_BASE_URL=fake.base_url,
        MAGBOT_WEBHOOK_URL=url,
        MAGBOT_WEBHOOK_LISTEN="127.0.0.1",
        MAGBOT_WEBHOOK_PORT=str(port),
        MAGBOT_WEBHOOK_SECRET=HOOK_SECRET,
        **extra,
    )
    return env, url


def test_serve_in_webhook_mode_accepts_only_the_secret(
    fake: FakeBotAPI, tmp_path: Path, processes: list[subprocess.Popen[str]]
) -> None:
    env, url = _webhook_env(fake)
    processes.append(server := _serve(tmp_path, env))
    fake.wait_for("setWebhook", timeout=STARTUP)

    right = _post_when_listening(fake, url, fake.push_message(USER, "/start"), HOOK_SECRET)
    wrong = fake.post_webhook(url, fake.push_message(USER + 1, "/start"), secret_token="nope")
    health = httpx.get(urljoin(url, HEALTH_PATH))
    fake.wait_for("sendMessage", to_chat(USER))
    code, stderr = _stop(server)

    assert (right, wrong) == (200, 403), stderr
    assert (health.status_code, health.text) == (200, "ok\n")
    assert fake.sent_messages(USER + 1) == []
    assert HOOK_SECRET not in stderr and TOKEN not in stderr and "Traceback" not in stderr
    assert code == 0


def test_sigterm_in_webhook_mode_answers_the_update_in_hand_then_exits_0(
    fake: FakeBotAPI, tmp_path: Path, processes: list[subprocess.Popen[str]]
) -> None:
    env, url = _webhook_env(fake)
    processes.append(server := _serve(tmp_path, env))
    fake.wait_for("setWebhook", timeout=STARTUP)
    fake.inject("sendMessage", Slow(2.0))  # the answer is still on its way at SIGTERM

    accepted = _post_when_listening(fake, url, fake.push_message(USER, "/start"), HOOK_SECRET)
    code, stderr = _stop(server)

    assert accepted == 200
    assert len(fake.sent_messages(USER)) == 1, stderr
    assert code == 0


def test_sigterm_in_webhook_mode_stops_within_the_grace_period_when_an_answer_is_stuck(
    fake: FakeBotAPI, tmp_path: Path, processes: list[subprocess.Popen[str]]
) -> None:
    env, url = _webhook_env(fake)
    processes.append(server := _serve(tmp_path, env))
    fake.wait_for("setWebhook", timeout=STARTUP)
    fake.inject("sendMessage", RateLimited(retry_after=120))  # the answer waits two minutes

    _post_when_listening(fake, url, fake.push_message(USER, "/start"), HOOK_SECRET)
    fake.wait_for("sendMessage", to_chat(USER), delivered_only=False)  # now it is waiting
    started = time.monotonic()
    code, stderr = _stop(server)
    took = time.monotonic() - started

    assert code == 0, stderr
    assert took < STOP_GRACE + 15, f"stopping took {took:.1f} s"  # margin: a shared machine
    assert fake.sent_messages(USER) == []
    assert "Traceback" not in stderr


def test_sighup_and_the_heartbeat_work_in_webhook_mode(
    fake: FakeBotAPI, tmp_path: Path, processes: list[subprocess.Popen[str]]
) -> None:
    corpus = tmp_path / "entries"
    shutil.copytree(default_entries_dir(), corpus)
    count = len(list(corpus.glob("*.md")))
    env, url = _webhook_env(fake, MAGBOT_HEARTBEAT_SECONDS="1")
    processes.append(server := _serve(tmp_path, env, "--entries", str(corpus)))
    fake.wait_for("setWebhook", timeout=STARTUP)
    (corpus / "extra.md").write_text(EXTRA_ENTRY)

    server.send_signal(signal.SIGHUP)
    for attempt in range(1, 150):  # the reload takes a moment (new embeddings): ask until it shows
        # each time from another chat, so that a slow reload never meets one chat's rate limit
        chat = USER + attempt
        _post_when_listening(fake, url, fake.push_message(chat, "/about"), HOOK_SECRET)
        text = fake.wait_for("sendMessage", to_chat(chat))[-1].params["text"]
        if f"from {count + 1} written entries" in text:
            break
        time.sleep(0.2)
    fake.wait_for("getMe", count=2, timeout=STARTUP)  # start-up's, then the heartbeat's
    fake.inject("getMe", Unauthorized(), times=1000)  # the token is revoked while serving
    _, stderr = server.communicate(timeout=STARTUP)

    assert f"from {count + 1} written entries" in text, stderr
    assert "heartbeat: alive" in stderr
    assert server.returncode == 1
    assert "Telegram stopped accepting TELEGRAM_BOT_TOKEN" in stderr
    assert "Traceback" not in stderr and TOKEN not in stderr


def test_a_webhook_port_already_taken_exits_1_with_one_line(
    fake: FakeBotAPI, tmp_path: Path
) -> None:
    env, _ = _webhook_env(fake)
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", int(env["MAGBOT_WEBHOOK_PORT"])))
        taken.listen()
        done = subprocess.run(
            [sys.executable, "-m", "faq", "serve"],
            cwd=tmp_path, env=env, capture_output=True, text=True, timeout=STARTUP * 2,
        )  # fmt: skip

    assert done.returncode == 1, done.stderr
    assert "magbot serve: cannot listen on 127.0.0.1:" in done.stderr
    assert "Traceback" not in done.stderr and HOOK_SECRET not in done.stderr


def _post_when_listening(fake: FakeBotAPI, url: str, update: dict[str, Any], secret: str) -> int:
    deadline = time.monotonic() + STARTUP
    while True:
        try:
            return fake.post_webhook(url, update, secret_token=secret)
        except OSError:  # setWebhook comes just before the server starts listening
            if time.monotonic() > deadline:
                raise
            time.sleep(0.05)


@pytest.mark.parametrize(
    ("env", "message"),
    [
        ({}, "TELEGRAM_BOT_TOKEN is not set"),
        ({"TELEGRAM_BOT_TOKEN": "not a token"}, "does not look like a bot token"),
        (
            {"TELEGRAM_BOT_TOKEN": TOKEN, "MAGBOT_WEBHOOK_URL": "https://example.org/hook"},
            "MAGBOT_WEBHOOK_SECRET is required",
        ),
    ],
)
def test_serve_with_missing_or_bad_settings_exits_2_with_one_line(
    tmp_path: Path, env: dict[str, str], message: str
) -> None:
    done = subprocess.run(
        [sys.executable, "-m", "faq", "serve"],
        cwd=tmp_path, env=_env(**env), capture_output=True, text=True, timeout=STARTUP,
    )  # fmt: skip

    assert done.returncode == 2
    assert done.stderr.count("\n") == 1 and message in done.stderr
    assert done.stderr.startswith("magbot serve: ")


def test_a_token_telegram_rejects_exits_2_without_a_traceback_or_the_token(
    fake: FakeBotAPI, tmp_path: Path
) -> None:
    rejected = fake.base_url.replace("/bot", "/nobot")  # Telegram answers 404: bad token
    env = _env(TELEGRAM_BOT_TOKEN=TOKEN, TELEGRAM_API_BASE_URL=rejected)

    done = subprocess.run(
        [sys.executable, "-m", "faq", "serve"],
        cwd=tmp_path, env=env, capture_output=True, text=True, timeout=STARTUP,
    )  # fmt: skip

    assert done.returncode == 2, done.stderr
    assert done.stderr.splitlines()[-1] == (
        "magbot serve: Telegram rejected TELEGRAM_BOT_TOKEN; check it with @BotFather"
    )
    assert TOKEN not in done.stderr and "Traceback" not in done.stderr


def _serve_against_unreachable_api(cwd: Path, **extra: str) -> subprocess.CompletedProcess[str]:
    """Run `magbot serve` to its exit with a Bot API address nobody listens on."""
    with socket.socket() as sock:  # a port nobody listens on once the socket closes
        sock.bind(("127.0.0.1", 0))
        closed = sock.getsockname()[1]
    url = f"http://127.0.0.1:{closed}/bot"
    env = _env(TELEGRAM_BOT_TOKEN=TOKEN, TELEGRAM_API_BASE_URL=url, **extra)
    return subprocess.run(
        [sys.executable, "-m", "faq", "serve"],
        cwd=cwd, env=env, capture_output=True, text=True, timeout=STARTUP,
    )  # fmt: skip


def test_an_unreachable_bot_api_exits_1_with_one_line_and_no_traceback(tmp_path: Path) -> None:
    done = _serve_against_unreachable_api(tmp_path)

    assert done.returncode == 1, done.stderr
    assert done.stderr.splitlines()[-1].startswith("magbot serve: cannot reach the Bot API: ")
    assert "Traceback" not in done.stderr and TOKEN not in done.stderr
    assert WITHOUT_DETECTOR not in done.stderr  # the full engine: nothing to warn of


def test_serving_without_the_learned_detector_is_warned_of_before_anything_else(
    tmp_path: Path,
) -> None:
    done = _serve_against_unreachable_api(tmp_path, MAGBOT_SEMANTIC="off")

    assert done.returncode == 1, done.stderr
    assert WITHOUT_DETECTOR in done.stderr
    assert done.stderr.index(WITHOUT_DETECTOR) < done.stderr.index("cannot reach the Bot API")


def test_the_serve_options_document_every_variable(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as done:
        serve_main(["--help"], entries=None)

    assert done.value.code == 0
    out = capsys.readouterr().out
    assert all(name in out for name in VARIABLES)
    assert "--env-file" in out and "--drop-pending-updates" in out


def test_magbot_serve_help_documents_every_variable(tmp_path: Path) -> None:
    done = subprocess.run(
        [sys.executable, "-m", "faq", "serve", "--help"],
        cwd=tmp_path, env=_env(), capture_output=True, text=True, timeout=STARTUP,
    )  # fmt: skip

    assert done.returncode == 0, done.stderr
    assert all(name in done.stdout for name in VARIABLES)


def test_a_token_revoked_while_serving_ends_the_process_with_1_and_one_line(
    fake: FakeBotAPI, tmp_path: Path, processes: list[subprocess.Popen[str]]
) -> None:
    env = _env(
        TELEGRAM_BOT_TOKEN=TOKEN,
        TELEGRAM_API_BASE_URL=fake.base_url,
        MAGBOT_HEARTBEAT_SECONDS="1",
    )
    processes.append(server := _serve(tmp_path, env))
    fake.wait_for("deleteWebhook", timeout=STARTUP)
    fake.inject("getMe", Unauthorized(), times=1000)
    fake.inject("getUpdates", Unauthorized(), times=1000)

    _, stderr = server.communicate(timeout=STARTUP)

    assert server.returncode == 1, stderr
    assert "Telegram stopped accepting TELEGRAM_BOT_TOKEN" in stderr
    assert "Traceback" not in stderr and TOKEN not in stderr
