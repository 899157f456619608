"""Logging for the bot: configured once at the entry point, with secrets redacted in every line.

httpx logs each request URL, and Telegram's URLs contain the token (``/bot<token>/sendMessage``);
PTB's InvalidToken message quotes it. So httpx and httpcore are held at WARNING and every root
handler gets a ``RedactingFilter`` that scrubs the message, its arguments and any traceback.

Personal data: at DEBUG, PTB logs every request and response body (chat and user ids, the
text people send) and httpx/httpcore log request details. Unless the unsafe content switch is
on (MAGBOT_LOG_CONTENT=1), those libraries are held at INFO or above whatever the level, and a
``ContentFilter`` on every root handler drops their records below INFO, should anything lower
a level later. The bot's own lines name a chat's kind, never its id, and never message text.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterable

#: What a bot token looks like; matched even when it is not the configured one.
TOKEN_PATTERN = re.compile(r"\d+:[A-Za-z0-9_-]{30,}")
REDACTED = "[REDACTED]"
FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"
_NOISY = ("httpx", "httpcore", "markdown_it")  # markdown_it logs every parsing step at DEBUG
#: Libraries whose DEBUG lines carry request and response bodies: ids and message text.
CONTENT_LOGGERS = ("telegram", "httpx", "httpcore", "hpack", "h2")


class RedactingFilter(logging.Filter):
    """Replace the given secrets and anything shaped like a bot token with [REDACTED]."""

    def __init__(self, secrets: Iterable[str] = ()) -> None:
        super().__init__()
        # Longest first, so a secret that contains another is replaced whole.
        self._secrets = tuple(sorted({s for s in secrets if s}, key=len, reverse=True))

    def redact(self, text: str) -> str:
        """Give the text with every secret and token-shaped string replaced."""
        for secret in self._secrets:
            text = text.replace(secret, REDACTED)
        return TOKEN_PATTERN.sub(REDACTED, text)

    def filter(self, record: logging.LogRecord) -> bool:
        """Scrub the record in place (message, arguments, traceback) and let it through."""
        try:
            message = record.getMessage()
        except Exception:  # a bad format string must not stop the log line
            message = f"{record.msg} {record.args}"
        record.msg, record.args = self.redact(message), None
        if record.exc_info and not record.exc_text:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = self.redact(record.exc_text)
        if record.stack_info:
            record.stack_info = self.redact(record.stack_info)
        return True


class ContentFilter(logging.Filter):
    """Drop the records below INFO of the libraries that log request bodies (ids, text)."""

    def filter(self, record: logging.LogRecord) -> bool:
        """Let a record through unless it is a library's DEBUG line that may hold content."""
        if record.levelno >= logging.INFO:
            return True
        return not any(
            record.name == name or record.name.startswith(name + ".") for name in CONTENT_LOGGERS
        )


def configure_logging(
    level: str, secrets: Iterable[str] = (), *, content: bool = False
) -> RedactingFilter:
    """Send logs to stderr at this level, with secrets redacted; give the filter installed.

    content=True (MAGBOT_LOG_CONTENT=1, unsafe) lets PTB's DEBUG lines through: they hold
    chat and user ids and the text of messages.
    """
    logging.basicConfig(level=level, format=FORMAT, force=True)
    for name in _NOISY:
        logging.getLogger(name).setLevel(logging.WARNING)
    redacting = RedactingFilter(secrets)
    filters: list[logging.Filter] = [redacting]
    if not content:
        for name in CONTENT_LOGGERS:
            library = logging.getLogger(name)
            library.setLevel(max(library.getEffectiveLevel(), logging.INFO))
        filters.insert(0, ContentFilter())
    for handler in logging.getLogger().handlers:
        for one in filters:
            handler.addFilter(one)
    return redacting
