"""MAGBOT_HASH_SALT: read from the environment, kept out of repr and logs, used by serve."""

from __future__ import annotations

import hashlib
import hmac
import os
import signal
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from bot import load_settings
from bot.main import main as serve_main
from bot.settings import VARIABLES
from faq.usage.salt import salt_path
from tests.fakes.telegram import FakeBotAPI

from .conftest import TOKEN, USER, to_chat

BASE = {"TELEGRAM_BOT_TOKEN": TOKEN}
SALT = "from-the-vault-7c1e9a"


@pytest.mark.parametrize(
    ("value", "salt"),
    [(None, None), ("", None), ("   ", None), (SALT, SALT), (f"  {SALT}\n", SALT)],
)
def test_the_hash_salt_is_read_when_set_and_left_to_the_store_when_unset(
    value: str | None, salt: str | None
) -> None:
    env = BASE if value is None else {**BASE, "MAGBOT_HASH_SALT": value}

    assert load_settings(env).hash_salt == salt


def test_the_hash_salt_stays_out_of_repr_and_is_redacted_from_logs() -> None:
    settings = load_settings({**BASE, "MAGBOT_HASH_SALT": SALT})

    assert SALT not in repr(settings)
    assert SALT in settings.secrets


def test_the_serve_help_documents_the_hash_salt(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit):
        serve_main(["--help"], entries=None)

    assert "MAGBOT_HASH_SALT" in capsys.readouterr().out


def test_magbot_serve_hashes_user_ids_with_the_configured_salt(
    fake: FakeBotAPI, tmp_path: Path
) -> None:
    db = tmp_path / "data" / "magbot.sqlite3"
    env = {k: v for k, v in os.environ.items() if k not in VARIABLES}
    env |= {
        "TELEGRAM_BOT_TOKEN": TOKEN,
        "TELEGRAM_API_BASE_URL": fake.base_url,
        "MAGBOT_DB": str(db),
        "MAGBOT_HASH_SALT": SALT,
    }
    server = subprocess.Popen(
        [sys.executable, "-m", "faq", "serve"],
        cwd=tmp_path,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        fake.push_message(USER, "does magnesium help with tinnitus in my ears")
        fake.wait_for("sendMessage", to_chat(USER), timeout=20)
    finally:
        server.send_signal(signal.SIGTERM)
        _, stderr = server.communicate(timeout=20)

    conn = sqlite3.connect(db)
    try:
        hashes = conn.execute("SELECT user_hash FROM queries").fetchall()
        meta = conn.execute("SELECT key FROM meta").fetchall()
    finally:
        conn.close()
    expected = hmac.new(SALT.encode(), str(USER).encode(), hashlib.sha256).hexdigest()
    assert server.returncode == 0, stderr
    assert hashes == [(expected,)]
    assert meta == []  # no salt of its own written to the database
    assert not salt_path(db).exists()  # nor beside it
    assert SALT not in stderr


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        ({}, "MAGBOT_HASH_SALT is required when MAGBOT_ENV=production"),
        ({"MAGBOT_HASH_SALT": SALT, "MAGBOT_LOG_CONTENT": "1"}, "MAGBOT_LOG_CONTENT=1 is refused"),
        ({"MAGBOT_HASH_SALT": "  "}, "MAGBOT_HASH_SALT is required"),
    ],
)
def test_production_mode_refuses_to_start_without_a_salt_of_its_own_in_one_line(
    tmp_path: Path, extra: dict[str, str], message: str
) -> None:
    env = {k: v for k, v in os.environ.items() if k not in VARIABLES}
    env |= {"TELEGRAM_BOT_TOKEN": TOKEN, "MAGBOT_ENV": "production", **extra}

    done = subprocess.run(
        [sys.executable, "-m", "faq", "serve"],
        cwd=tmp_path, env=env, capture_output=True, text=True, timeout=30,
    )  # fmt: skip

    assert done.returncode == 2
    assert done.stderr.count("\n") == 1 and message in done.stderr
    assert not (tmp_path / "magbot.sqlite3").exists()


def test_production_mode_with_a_salt_is_accepted() -> None:
    settings = load_settings({**BASE, "MAGBOT_ENV": "Production", "MAGBOT_HASH_SALT": SALT})

    assert settings.production and settings.hash_salt == SALT
    assert not load_settings(BASE).production


def test_magbot_serve_without_a_salt_keeps_the_one_it_makes_in_a_private_file_beside_the_db(
    fake: FakeBotAPI, tmp_path: Path
) -> None:
    db = tmp_path / "data" / "magbot.sqlite3"
    env = {k: v for k, v in os.environ.items() if k not in VARIABLES}
    env |= {
        "TELEGRAM_BOT_TOKEN": TOKEN,
        "TELEGRAM_API_BASE_URL": fake.base_url,
        "MAGBOT_DB": str(db),
    }
    server = subprocess.Popen(
        [sys.executable, "-m", "faq", "serve"],
        cwd=tmp_path, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip
    try:
        fake.push_message(USER, "does magnesium help with tinnitus in my ears")
        fake.wait_for("sendMessage", to_chat(USER), timeout=30)
    finally:
        server.send_signal(signal.SIGTERM)
        _, stderr = server.communicate(timeout=30)

    salt_file = salt_path(db)
    salt = salt_file.read_text().strip()
    conn = sqlite3.connect(db)
    try:
        hashes = conn.execute("SELECT user_hash FROM queries").fetchall()
        meta = conn.execute("SELECT key FROM meta").fetchall()
    finally:
        conn.close()
    expected = hmac.new(salt.encode(), str(USER).encode(), hashlib.sha256).hexdigest()
    assert server.returncode == 0, stderr
    assert salt_file.stat().st_mode & 0o777 == 0o600
    assert hashes == [(expected,)]
    assert meta == []  # the database alone does not give the ids away
    assert salt.encode() not in db.read_bytes()
