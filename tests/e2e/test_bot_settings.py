"""Settings from the environment, and the log filter that keeps secrets out of the logs."""

from __future__ import annotations

import logging

import pytest

from bot import RedactingFilter, Settings, SettingsError, load_settings
from bot.logs import REDACTED

from .conftest import TOKEN

BASE = {"TELEGRAM_BOT_TOKEN": TOKEN}


def test_defaults_need_only_the_token() -> None:
    settings = load_settings(BASE)

    assert settings == Settings(token=TOKEN)
    assert (settings.webhook_url, settings.webhook_port, settings.db) == (
        None,
        8443,
        "magbot.sqlite3",
    )
    assert (settings.retention_days, settings.log_level, settings.admin_ids) == (
        90,
        "INFO",
        frozenset(),
    )


@pytest.mark.parametrize(
    ("env", "inbox"),
    [
        ({}, "magbot-inbox.sqlite3"),
        ({"MAGBOT_DB": "/var/lib/magbot/usage.sqlite3"}, "/var/lib/magbot/magbot-inbox.sqlite3"),
        ({"MAGBOT_DB": "/var/lib/magbot/u.sqlite3", "MAGBOT_INBOX": "/run/in.db"}, "/run/in.db"),
    ],
)
def test_the_inbox_lives_beside_the_database_unless_set(env: dict[str, str], inbox: str) -> None:
    assert load_settings({**BASE, **env}).inbox == inbox


def test_every_setting_is_read() -> None:
    settings = load_settings(
        {
            **BASE,
            "TELEGRAM_API_BASE_URL": "http://127.0.0.1:8081/bot",
            "MAGBOT_WEBHOOK_URL": "https://bot.example.org/telegram/hook",
            "MAGBOT_WEBHOOK_LISTEN": "127.0.0.1",
            "MAGBOT_WEBHOOK_PORT": "8080",
            "MAGBOT_WEBHOOK_SECRET": "s3cret-_X",
            "MAGBOT_ADMIN_IDS": " 1, 22 ,,333 ",
            "MAGBOT_DB": "/var/lib/magbot/db.sqlite3",
            "MAGBOT_RETENTION_DAYS": "30",
            "MAGBOT_LOG_LEVEL": "debug",
        }
    )

    assert settings.api_base_url == "http://127.0.0.1:8081/bot"
    assert settings.webhook_path == "telegram/hook"
    assert (settings.webhook_listen, settings.webhook_port) == ("127.0.0.1", 8080)
    assert settings.admin_ids == {1, 22, 333}
    assert (settings.db, settings.retention_days, settings.log_level) == (
        "/var/lib/magbot/db.sqlite3",
        30,
        "DEBUG",
    )
    assert settings.secrets == (TOKEN, "s3cret-_X")


def test_blank_values_count_as_unset() -> None:
    assert (
        load_settings({**BASE, "MAGBOT_WEBHOOK_URL": " ", "MAGBOT_DB": ""}).db == "magbot.sqlite3"
    )


@pytest.mark.parametrize(
    ("env", "message"),
    [
        ({}, "TELEGRAM_BOT_TOKEN is not set"),
        ({"TELEGRAM_BOT_TOKEN": "abc"}, "does not look like a bot token"),
        ({**BASE, "TELEGRAM_API_BASE_URL": "127.0.0.1:8081/bot"}, "TELEGRAM_API_BASE_URL must be"),
        ({**BASE, "MAGBOT_WEBHOOK_URL": "https://x.org/h"}, "MAGBOT_WEBHOOK_SECRET is required"),
        ({**BASE, "MAGBOT_WEBHOOK_SECRET": "has space"}, "MAGBOT_WEBHOOK_SECRET must be"),
        ({**BASE, "MAGBOT_WEBHOOK_SECRET": "x" * 257}, "MAGBOT_WEBHOOK_SECRET must be"),
        ({**BASE, "MAGBOT_WEBHOOK_PORT": "http"}, "MAGBOT_WEBHOOK_PORT must be a whole number"),
        ({**BASE, "MAGBOT_WEBHOOK_PORT": "70000"}, "between 1 and 65535"),
        ({**BASE, "MAGBOT_ADMIN_IDS": "12,bob"}, "MAGBOT_ADMIN_IDS must be"),
        ({**BASE, "MAGBOT_RETENTION_DAYS": "0"}, "MAGBOT_RETENTION_DAYS must be between"),
        ({**BASE, "MAGBOT_LOG_LEVEL": "LOUD"}, "MAGBOT_LOG_LEVEL must be one of"),
    ],
)
def test_bad_settings_are_refused_with_the_variable_named(
    env: dict[str, str], message: str
) -> None:
    with pytest.raises(SettingsError, match=message) as raised:
        load_settings(env)

    assert TOKEN not in str(raised.value)


def test_the_token_and_secret_stay_out_of_repr() -> None:
    settings = load_settings({**BASE, "MAGBOT_WEBHOOK_SECRET": "hush-hush"})

    assert TOKEN not in repr(settings) and "hush-hush" not in repr(settings)


def _record(msg: str, *args: object, exc: BaseException | None = None) -> logging.LogRecord:
    exc_info = (type(exc), exc, exc.__traceback__) if exc else None
    return logging.LogRecord("t", logging.ERROR, __file__, 1, msg, args or None, exc_info)


def test_the_filter_scrubs_message_arguments_and_traceback() -> None:
    scrub = RedactingFilter(["hush-hush"])
    other = "987654321:" + "Z" * 35  # token-shaped, though not ours
    try:
        raise RuntimeError(f"bad {TOKEN}")
    except RuntimeError as exc:
        record = _record("url /bot%s/getMe and %s, secret %s", TOKEN, other, "hush-hush", exc=exc)

    assert scrub.filter(record)
    line = logging.Formatter().format(record)

    assert TOKEN not in line and other not in line and "hush-hush" not in line
    assert line.count(REDACTED) == 4
    assert "RuntimeError" in line
