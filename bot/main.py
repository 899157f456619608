"""`magbot serve`: settings from the environment (and .env), then long polling or a webhook.

Exit codes: 0 after SIGINT/SIGTERM, 1 when the store cannot be opened, the Bot API cannot be
reached at start-up, Telegram stops accepting the token or refuses polling (409: another
instance, or a webhook), or the webhook's port cannot be bound; 2 for missing or invalid
settings (including a token Telegram rejects at start-up). On SIGTERM the updates being handled
get 10 s to finish; the rest wait in the inbox (MAGBOT_INBOX) and are answered at the next start.
Send SIGHUP to reload the corpus; if it does not load, the old one keeps serving.
"""

from __future__ import annotations

import argparse
import functools
import logging
import os
import sys
import textwrap
from pathlib import Path

from dotenv import load_dotenv
from telegram.error import Conflict, InvalidToken, TelegramError

from bot.app import BotApp, build_application
from bot.logs import configure_logging
from bot.polling import run_polling
from bot.serve_webhook import run_webhook
from bot.services import services
from bot.settings import VARIABLES, Settings, SettingsError, load_settings
from bot.webhook import ListenError
from faq.engine import Engine
from faq.maintain.check import load_checked
from faq.semantic import ModelError
from faq.usage.store import StoreError, open_store

EXIT_OK = 0
EXIT_FAILED = 1
EXIT_USAGE = 2
#: Said at start-up when the bot would serve people without the learned triage detector.
WITHOUT_DETECTOR = (
    "the semantic layer is off (MAGBOT_SEMANTIC=off or --lexical): without the learned triage "
    "detector the bot recognises about half the emergencies it otherwise would; run it so for "
    "comparison or testing, not to serve people"
)


def main(
    rest_argv: list[str],
    entries: Path | None,
    data: Path | None = None,
    semantic: bool | None = None,
) -> int:
    """Run the bot until it is told to stop; give the exit code."""
    args = _parser().parse_args(rest_argv)
    load_dotenv(args.env_file, override=False)  # real environment variables win
    # PTB 23's RetryAfter.retry_after type, opted into now: nothing here reads it, and
    # otherwise PTB warns about the change on every 429.
    os.environ.setdefault("PTB_TIMEDELTA", "true")
    try:
        settings = load_settings(os.environ)
    except SettingsError as exc:
        return _fail(str(exc), EXIT_USAGE)
    redacting = configure_logging(
        settings.log_level, settings.secrets, content=settings.log_content
    )
    _quiet_startup_failures()
    # a corpus that fails `magbot check` is refused: at start by `magbot` itself (exit 1),
    # on /reload or SIGHUP with the reason, while the last good corpus keeps serving
    try:
        engine = load_checked(entries, data, semantic)
    except ModelError as exc:
        return _fail(f"a model cannot be used: {exc}", EXIT_FAILED)
    for warning in startup_warnings(engine):
        logging.getLogger(__name__).warning(warning)
    try:
        store = open_store(settings.db, salt=settings.hash_salt)
    except StoreError as exc:
        return _fail(str(exc), EXIT_FAILED)
    app = build_application(
        engine, settings, store, loader=functools.partial(load_checked, entries, data, semantic)
    )
    try:
        _run(app, settings, drop_pending=args.drop_pending_updates)
        if services(app.bot_data).token_rejected:
            return _fail("Telegram stopped accepting TELEGRAM_BOT_TOKEN; check it", EXIT_FAILED)
    except InvalidToken:  # its message quotes the token: never print it
        if services(app.bot_data).token_rejected:
            return _fail("Telegram stopped accepting TELEGRAM_BOT_TOKEN; check it", EXIT_FAILED)
        return _fail("Telegram rejected TELEGRAM_BOT_TOKEN; check it with @BotFather", EXIT_USAGE)
    except Conflict:
        return _fail(
            "Telegram refused polling (409): another instance uses this token, or a webhook "
            "is set; stop the other one (or run with MAGBOT_WEBHOOK_URL)",
            EXIT_FAILED,
        )
    except TelegramError as exc:
        return _fail(f"cannot reach the Bot API: {redacting.redact(str(exc))}", EXIT_FAILED)
    except ListenError as exc:
        return _fail(str(exc), EXIT_FAILED)
    finally:
        services(app.bot_data).close_store()  # queued writes first, then the connection
        store.close()
    return EXIT_OK


def startup_warnings(engine: Engine) -> list[str]:
    """Give the lines an operator must read before the bot serves anyone with this engine."""
    return [WITHOUT_DETECTOR] if engine.triage.detector is None else []


def _parser() -> argparse.ArgumentParser:
    table = "\n".join(
        textwrap.fill(meaning, 96, initial_indent=f"  {name:24} ", subsequent_indent=" " * 27)
        for name, meaning in VARIABLES.items()
    )
    parser = argparse.ArgumentParser(
        prog="magbot serve",
        description="Run the Telegram bot: long polling, or a webhook when MAGBOT_WEBHOOK_URL "
        "is set (GET /healthz on its port answers ok while it serves). Stop it with SIGINT or "
        "SIGTERM; SIGHUP reloads the corpus.",
        epilog=f"environment variables (also read from the .env file):\n{table}\n\n"
        "exit codes: 0 stopped, 1 store, Bot API or webhook port unavailable, "
        "2 missing or bad settings",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument(
        "--env-file", type=Path, default=Path(".env"), metavar="FILE",
        help="read settings from this file when present; set variables win (default: .env)",
    )  # fmt: skip
    parser.add_argument(
        "--drop-pending-updates", action="store_true",
        help="discard messages that arrived while the bot was down",
    )  # fmt: skip
    return parser


def _run(app: BotApp, settings: Settings, *, drop_pending: bool) -> None:
    if settings.webhook_url:
        run_webhook(app, settings, drop_pending=drop_pending)
    else:
        run_polling(app, settings, drop_pending=drop_pending)


def _quiet_startup_failures() -> None:
    """PTB logs a failed start-up (a rejected token, an unreachable server) with a traceback
    and raises; main reports the error in one line instead."""

    def keep(record: logging.LogRecord) -> bool:
        error = record.exc_info[1] if record.exc_info else None
        aborted = record.name.startswith("telegram") and record.getMessage().endswith("Aborting.")
        return not (isinstance(error, InvalidToken) or aborted)

    for handler in logging.getLogger().handlers:
        handler.addFilter(keep)


def _fail(message: str, code: int) -> int:
    print(f"magbot serve: {message}", file=sys.stderr)
    return code
