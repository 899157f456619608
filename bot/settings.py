"""The bot's settings: read once from the environment (and .env), validated, frozen.

Pure: ``load_settings`` takes a mapping, so tests pass a dict and never touch ``os.environ``.
"""

from __future__ import annotations

import logging
import os
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from urllib.parse import urlsplit

DEFAULT_DB = "magbot.sqlite3"
DEFAULT_INBOX = "magbot-inbox.sqlite3"
DEFAULT_LISTEN = "127.0.0.1"  # behind a reverse proxy; set MAGBOT_WEBHOOK_LISTEN to expose it
DEFAULT_PORT = 8443
DEFAULT_RETENTION_DAYS = 90
DEFAULT_HEARTBEAT_SECONDS = 60

#: Every variable the bot reads, with what it means: `magbot serve --help` prints this table.
VARIABLES: dict[str, str] = {
    "TELEGRAM_BOT_TOKEN": "the bot token from @BotFather (required)",
    "TELEGRAM_API_BASE_URL": "a self-hosted Bot API server, e.g. http://127.0.0.1:8081/bot "
    "(default: Telegram's)",
    "MAGBOT_WEBHOOK_URL": "public HTTPS URL Telegram posts updates to; long polling when unset",
    "MAGBOT_WEBHOOK_LISTEN": f"address the webhook server binds (default {DEFAULT_LISTEN})",
    "MAGBOT_WEBHOOK_PORT": f"port the webhook server binds (default {DEFAULT_PORT})",
    "MAGBOT_WEBHOOK_SECRET": "secret token Telegram sends with each webhook request, "
    "1-256 of A-Z a-z 0-9 _ - (required with a webhook URL)",
    "MAGBOT_ADMIN_IDS": "comma-separated Telegram user ids allowed to /reload",
    "MAGBOT_DB": f"SQLite file for query outcomes and feedback (default ./{DEFAULT_DB})",
    "MAGBOT_INBOX": "SQLite file where updates wait until answered, so none is lost in a crash "
    f"(default: {DEFAULT_INBOX} beside MAGBOT_DB)",
    "MAGBOT_RETENTION_DAYS": f"days stored rows are kept (default {DEFAULT_RETENTION_DAYS})",
    "MAGBOT_HASH_SALT": "secret salt for hashing user ids (default: one generated and kept in "
    "its own 0600 file beside the database, <MAGBOT_DB>.salt); keep it fixed, as /forget "
    "cannot find rows hashed with another salt; required when MAGBOT_ENV=production",
    "MAGBOT_ENV": "production: refuse to start without MAGBOT_HASH_SALT or with "
    "MAGBOT_LOG_CONTENT; development (default): generate the salt file if needed",
    "MAGBOT_LOG_LEVEL": "DEBUG, INFO, WARNING or ERROR (default INFO)",
    "MAGBOT_LOG_CONTENT": "1 lets raw chat and user ids and message text into the logs (PTB's "
    "request bodies at DEBUG); UNSAFE, for local debugging only (default 0: never logged)",
    "MAGBOT_HEARTBEAT_SECONDS": "how often the bot logs that it is alive and checks that Telegram "
    f"still accepts its token; it exits 1 when not (default {DEFAULT_HEARTBEAT_SECONDS})",
}

_TOKEN = re.compile(r"\d+:[A-Za-z0-9_-]+")
_SECRET = re.compile(r"[A-Za-z0-9_-]{1,256}")
_LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL")


class SettingsError(ValueError):
    """A setting is missing or has a value the bot cannot use; the message says which and why."""


@dataclass(frozen=True)
class Settings:
    """Everything the bot is configured with; the token, secret and salt never appear in repr."""

    token: str = field(repr=False)
    api_base_url: str | None = None
    webhook_url: str | None = None
    webhook_listen: str = DEFAULT_LISTEN
    webhook_port: int = DEFAULT_PORT
    webhook_secret: str | None = field(default=None, repr=False)
    admin_ids: frozenset[int] = frozenset()
    db: str = DEFAULT_DB
    inbox: str = DEFAULT_INBOX
    retention_days: int = DEFAULT_RETENTION_DAYS
    hash_salt: str | None = field(default=None, repr=False)
    log_level: str = "INFO"
    log_content: bool = False
    production: bool = False
    heartbeat_seconds: int = DEFAULT_HEARTBEAT_SECONDS

    @property
    def webhook_path(self) -> str:
        """The path the local webhook server answers on: the public URL's path."""
        return urlsplit(self.webhook_url or "").path.strip("/")

    @property
    def secrets(self) -> tuple[str, ...]:
        """The values that must never be written to a log."""
        return tuple(s for s in (self.token, self.webhook_secret, self.hash_salt) if s)


def load_settings(env: Mapping[str, str]) -> Settings:
    """Give the settings in an environment mapping, or raise SettingsError naming the bad one."""
    value = {key: env[key].strip() for key in VARIABLES if env.get(key, "").strip()}
    token = value.get("TELEGRAM_BOT_TOKEN")
    if token is None:
        raise SettingsError("TELEGRAM_BOT_TOKEN is not set; get a token from @BotFather")
    if not _TOKEN.fullmatch(token):
        # The value is not echoed: a slightly mistyped token is still a secret.
        raise SettingsError("TELEGRAM_BOT_TOKEN does not look like a bot token (digits:letters)")
    webhook_url = _url(value, "MAGBOT_WEBHOOK_URL")
    secret = value.get("MAGBOT_WEBHOOK_SECRET")
    if secret is not None and not _SECRET.fullmatch(secret):
        raise SettingsError("MAGBOT_WEBHOOK_SECRET must be 1-256 characters of A-Z a-z 0-9 _ -")
    if webhook_url and secret is None:
        raise SettingsError("MAGBOT_WEBHOOK_SECRET is required when MAGBOT_WEBHOOK_URL is set")
    production = _production(value.get("MAGBOT_ENV", "development"))
    log_content = _switch(value, "MAGBOT_LOG_CONTENT")
    if production and "MAGBOT_HASH_SALT" not in value:
        raise SettingsError(
            "MAGBOT_HASH_SALT is required when MAGBOT_ENV=production: generate one with "
            "`python -c 'import secrets; print(secrets.token_hex(32))'` and keep it secret"
        )
    if production and log_content:
        raise SettingsError("MAGBOT_LOG_CONTENT=1 is refused when MAGBOT_ENV=production")
    return Settings(
        token=token,
        api_base_url=_url(value, "TELEGRAM_API_BASE_URL"),
        webhook_url=webhook_url,
        webhook_listen=value.get("MAGBOT_WEBHOOK_LISTEN", DEFAULT_LISTEN),
        webhook_port=_integer(value, "MAGBOT_WEBHOOK_PORT", DEFAULT_PORT, 1, 65535),
        webhook_secret=secret,
        admin_ids=_admin_ids(value.get("MAGBOT_ADMIN_IDS", "")),
        db=value.get("MAGBOT_DB", DEFAULT_DB),
        inbox=value.get("MAGBOT_INBOX") or _beside(value.get("MAGBOT_DB", ""), DEFAULT_INBOX),
        retention_days=_integer(value, "MAGBOT_RETENTION_DAYS", DEFAULT_RETENTION_DAYS, 1, 36500),
        hash_salt=value.get("MAGBOT_HASH_SALT"),
        log_level=_level(value.get("MAGBOT_LOG_LEVEL", "INFO")),
        log_content=log_content,
        production=production,
        heartbeat_seconds=_integer(
            value, "MAGBOT_HEARTBEAT_SECONDS", DEFAULT_HEARTBEAT_SECONDS, 1, 86400
        ),
    )


def _beside(path: str, name: str) -> str:
    """The file `name` in the folder of `path` (the working folder for a bare file name)."""
    folder = os.path.dirname(path)
    return os.path.join(folder, name) if folder else name


def _url(value: Mapping[str, str], name: str) -> str | None:
    url = value.get(name)
    if url is None:
        return None
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        # The value is not echoed: URLs can carry a token or a secret path.
        raise SettingsError(f"{name} must be an http:// or https:// URL with a host name")
    return url


def _integer(value: Mapping[str, str], name: str, default: int, low: int, high: int) -> int:
    raw = value.get(name)
    if raw is None:
        return default
    try:
        number = int(raw)
    except ValueError:
        raise SettingsError(f"{name} must be a whole number, not {raw!r}") from None
    if not low <= number <= high:
        raise SettingsError(f"{name} must be between {low} and {high}, not {number}")
    return number


def _admin_ids(raw: str) -> frozenset[int]:
    ids = set()
    for part in filter(None, (item.strip() for item in raw.split(","))):
        try:
            ids.add(int(part))
        except ValueError:
            raise SettingsError(
                f"MAGBOT_ADMIN_IDS must be comma-separated user ids, not {part!r}"
            ) from None
    return frozenset(ids)


def _production(raw: str) -> bool:
    mode = raw.lower()
    if mode not in ("production", "development"):
        raise SettingsError(f"MAGBOT_ENV must be production or development, not {raw!r}")
    return mode == "production"


def _switch(value: Mapping[str, str], name: str) -> bool:
    raw = value.get(name, "0").lower()
    if raw not in ("0", "1", "true", "false", "yes", "no", "on", "off"):
        raise SettingsError(f"{name} must be 1 or 0, not {raw!r}")
    return raw in ("1", "true", "yes", "on")


def _level(raw: str) -> str:
    level = raw.upper()
    if level not in _LEVELS or not isinstance(logging.getLevelName(level), int):
        raise SettingsError(f"MAGBOT_LOG_LEVEL must be one of {', '.join(_LEVELS)}, not {raw!r}")
    return level
