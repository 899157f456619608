"""What every `magbot` command shares: exit codes and the engine it loads."""

from __future__ import annotations

import argparse

from faq.engine import Engine
from faq.maintain.check import load_checked

EXIT_OK = 0
EXIT_FAILED = 1  # the corpus does not load, or a check or evaluation failed
EXIT_USAGE = 2  # bad arguments or an empty question


def load_engine(args: argparse.Namespace) -> Engine:
    """Give the engine the command's --entries, --data and --lexical describe, checked."""
    return load_checked(args.entries, args.data, semantic=False if args.lexical else None)
