"""The `magbot` command: ask, chat, entries, eval, check, new, report (and serve, which hands
over to bot/)."""

from __future__ import annotations

import argparse
import contextlib
import os
import sys
from collections.abc import Sequence
from pathlib import Path

from faq.cli import asking, maintaining
from faq.cli.common import EXIT_FAILED, EXIT_OK, EXIT_USAGE
from faq.corpus import CorpusError
from faq.rules import DataError
from faq.semantic import ModelError

__all__ = ["EXIT_FAILED", "EXIT_OK", "EXIT_USAGE", "main"]


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line and give its exit code."""
    parser = _parser()
    args, unknown = parser.parse_known_args(argv)
    if args.command == "serve":
        args.rest = [*unknown, *args.rest]  # `serve` parses its own options
    elif unknown:
        parser.error(f"unrecognized arguments: {' '.join(unknown)}")
    try:
        return int(args.run(args))
    except BrokenPipeError:  # the reader went away (`| head`): stop quietly
        _silence_stdout()
        return EXIT_OK
    except OSError as exc:  # a full disk, a closed stdout...
        print(f"magbot: cannot write the output: {exc.strerror or exc}", file=sys.stderr)
        return EXIT_FAILED
    except CorpusError as exc:
        print(f"magbot: the corpus is not valid:\n{exc}", file=sys.stderr)
        return EXIT_FAILED
    except DataError as exc:
        print(f"magbot: a rule file is not valid: {exc}", file=sys.stderr)
        return EXIT_FAILED
    except ModelError as exc:
        print(
            f"magbot: a model cannot be used: {exc} "
            "(MAGBOT_SEMANTIC=off or --lexical runs without it)",
            file=sys.stderr,
        )
        return EXIT_FAILED
    except KeyboardInterrupt:
        return 130


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="magbot",
        description="An FAQ bot about magnesium for leg cramps. General information, "
        "not medical advice.",
        epilog="Exit codes: 0 ok (also when the reader of the output goes away), 1 corpus or "
        "rules invalid, a check or evaluation bar failed, or the output cannot be written, "
        "2 usage error, 130 interrupted.",
    )
    _corpus_options(parser, defaults=True)
    parser.add_argument("--version", action="version", version=f"magbot {_version()}")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    common = argparse.ArgumentParser(add_help=False)  # the same options after the command
    _corpus_options(common, defaults=False)
    ask = commands.add_parser(
        "ask", parents=[common], help="answer one question (or one per line with -)"
    )
    ask.add_argument("question", help='the question, or "-" to read one per line from stdin')
    ask.add_argument("--json", action="store_true", help="print one JSON object per question")
    ask.add_argument("--explain", action="store_true", help="show which terms matched what")
    ask.set_defaults(run=asking.ask)
    chat = commands.add_parser("chat", parents=[common], help="an interactive loop for testers")
    chat.set_defaults(run=asking.chat)
    entries = commands.add_parser("entries", parents=[common], help="list every entry")
    entries.add_argument("--json", action="store_true", help="print the entries as JSON")
    entries.set_defaults(run=asking.entries)
    evaluate = commands.add_parser(
        "eval",
        parents=[common],
        help="score the engine on a labelled question set",
        description=f"Score the engine on FILE: {maintaining.eval_format()}. Exits 1 when a "
        "bar given by an option is not met.",
    )
    evaluate.add_argument(
        "file", nargs="?", type=Path, default=None,
        help="the question file (default: tests/eval/heldout.tsv of a checkout)",
    )  # fmt: skip
    evaluate.add_argument("--misses", action="store_true", help="list every question it got wrong")
    for option, meaning in maintaining.BARS.items():
        evaluate.add_argument(f"--{option}", type=float, default=None, metavar="RATE", help=meaning)
    evaluate.set_defaults(run=maintaining.evaluate)
    check = commands.add_parser(
        "check", parents=[common], help="validate the corpus (exit 1 on errors)"
    )
    check.set_defaults(run=maintaining.check)
    new = commands.add_parser(
        "new", parents=[common], help="scaffold faq/entries/ID.md with every field"
    )
    new.add_argument("id", help="the new entry's id: lower-case words joined by hyphens")
    new.set_defaults(run=maintaining.new)
    report = commands.add_parser(
        "report", parents=[common], help="what people asked that the bot could not answer"
    )
    report.add_argument(
        "--since", type=maintaining.day_start, default=None, help="only from this date (YYYY-MM-DD)"
    )
    report.add_argument("--json", action="store_true", help="print the report as JSON")
    report.add_argument(
        "--db", default=None, help="database path or URL (default: $MAGBOT_DB or magbot.sqlite3)"
    )
    report.set_defaults(run=maintaining.report)
    serve = commands.add_parser("serve", help="run the Telegram bot", add_help=False)
    serve.add_argument("rest", nargs=argparse.REMAINDER)
    serve.set_defaults(run=_serve)
    return parser


def _corpus_options(parser: argparse.ArgumentParser, *, defaults: bool) -> None:
    """Add --entries, --data and --lexical: with defaults before the command, else unset."""

    def default(value: object) -> object:
        return value if defaults else argparse.SUPPRESS

    parser.add_argument(
        "--entries",
        type=Path,
        default=default(_env_path("MAGBOT_ENTRIES")),
        help="entries directory (default: $MAGBOT_ENTRIES or the shipped one)",
    )
    parser.add_argument(
        "--data",
        type=Path,
        default=default(_env_path("MAGBOT_DATA")),
        help="rules directory: safety, scope, synonyms, decision, triage, model "
        "(default: $MAGBOT_DATA or the shipped one)",
    )
    parser.add_argument(
        "--lexical",
        action="store_true",
        default=default(False),
        help="BM25 only, without the embedding model (same as MAGBOT_SEMANTIC=off)",
    )


def _version() -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("magbot")
    except PackageNotFoundError:
        return "unknown"


def _silence_stdout() -> None:
    """Point stdout at /dev/null, so the interpreter's last flush cannot fail again."""
    with contextlib.suppress(OSError):
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())


def _env_path(name: str) -> Path | None:
    value = os.environ.get(name, "").strip()
    return Path(value) if value else None


def _serve(args: argparse.Namespace) -> int:
    from bot.main import main as serve_main  # only `serve` pays for importing telegram

    semantic = False if args.lexical else None
    return serve_main(args.rest, entries=args.entries, data=args.data, semantic=semantic)
