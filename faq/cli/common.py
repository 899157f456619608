"""What every `magbot` command shares: exit codes, the input limit, the engine it loads."""

from __future__ import annotations

import argparse

from faq.engine import Engine
from faq.maintain.check import load_checked

EXIT_OK = 0
EXIT_FAILED = 1  # the corpus does not load, or a check or evaluation failed
EXIT_USAGE = 2  # bad arguments or an empty question
MAX_ARG_CHARS = 10_000


def load_engine(args: argparse.Namespace) -> Engine:
    """Give the engine the command's --entries, --data and --lexical describe, checked."""
    return load_checked(args.entries, args.data, semantic=False if args.lexical else None)


def printable(text: str) -> str:
    """Give text with bytes that were not UTF-8 (surrogates from argv) made printable."""
    return text.encode("utf-8", "surrogateescape").decode("utf-8", "replace")
