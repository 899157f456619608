"""Logging for the bot: configured once at the entry point, with secrets redacted in every line.

httpx logs each request URL, and Telegram's URLs contain the token (``/bot<token>/sendMessage``);
PTB's InvalidToken message quotes it. So httpx and httpcore are held at WARNING and every root
handler gets a ``RedactingFilter`` that scrubs the message, its arguments and any traceback.
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


def configure_logging(level: str, secrets: Iterable[str] = ()) -> RedactingFilter:
    """Send logs to stderr at this level, with secrets redacted; give the filter installed."""
    logging.basicConfig(level=level, format=FORMAT, force=True)
    for name in _NOISY:
        logging.getLogger(name).setLevel(logging.WARNING)
    redacting = RedactingFilter(secrets)
    for handler in logging.getLogger().handlers:
        handler.addFilter(redacting)
    return redacting
