"""The testers' commands: ask (one question or one per line), chat and entries."""

from __future__ import annotations

import argparse
import contextlib
import io
import json
import sys
from collections.abc import Iterable
from typing import TextIO

from faq.cli.common import EXIT_OK, EXIT_USAGE, load_engine
from faq.cli.output import answer_json, entry_json, format_explanation, json_line
from faq.engine import Engine
from faq.render import to_text

MAX_ARG_CHARS = 10_000


def ask(args: argparse.Namespace) -> int:
    """Answer the question argument, or one question per line of stdin; give the exit code."""
    if args.question == "-":
        stdin = sys.stdin  # None when the shell closed it (`<&-`): nothing to read
        source = getattr(stdin, "buffer", None)  # bytes: a bad line must not stop the rest
        lines = source if source is not None else (line.encode() for line in stdin or ())
        return _ask_lines(load_engine(args), lines, sys.stdout, args)
    # bytes that are not UTF-8 reach argv as surrogates: make them printable first
    question = _printable(args.question[:MAX_ARG_CHARS])
    if not question.strip():
        print(
            'magbot: the question is empty; try: magbot ask "does magnesium help cramps?"',
            file=sys.stderr,
        )
        return EXIT_USAGE
    engine = load_engine(args)
    print(_one(engine, question, args))
    return EXIT_OK


def _ask_lines(
    engine: Engine, lines: Iterable[bytes], out: TextIO, args: argparse.Namespace
) -> int:
    """Answer one question per line; a line that is not UTF-8 gets an error, the rest go on."""
    for number, raw in enumerate(lines, 1):
        try:
            line = raw.decode("utf-8")
        except UnicodeDecodeError as exc:
            error = {"line": number, "error": f"not valid UTF-8 (byte {exc.start})"}
            text = json_line(error) if args.json else f"magbot: line {number}: {error['error']}"
        else:
            text = _one(engine, line.rstrip("\r\n")[:MAX_ARG_CHARS], args)
        out.write(text + ("\n" if args.json else "\n\n"))
        out.flush()
    return EXIT_OK


def _one(engine: Engine, question: str, args: argparse.Namespace) -> str:
    if args.explain and args.json:  # one object per line, each stage's verdict inside it
        answer = engine.answer(question)
        trace = [{"stage": step.stage, "verdict": step.verdict} for step in answer.trace]
        return json_line({**answer_json(answer), "trace": trace})
    if args.explain:
        return format_explanation(engine.explain(question))
    answer = engine.answer(question)
    return json_line(answer_json(answer)) if args.json else to_text(answer.reply)


def chat(args: argparse.Namespace) -> int:
    """Answer questions typed at a prompt until end of input or "quit"; give the exit code."""
    with contextlib.suppress(ImportError):
        import readline  # noqa: F401  (line editing and history for input())
    engine = load_engine(args)
    if isinstance(sys.stdin, io.TextIOWrapper):  # bytes that are not UTF-8 then arrive as
        sys.stdin.reconfigure(errors="surrogateescape")  # surrogates instead of a crash
    print("magbot chat: ask about magnesium and leg cramps (Ctrl-D or 'quit' to leave).")
    while True:
        try:
            question = input("you> ")
        except (EOFError, RuntimeError):  # end of input, or no stdin at all
            print()
            return EXIT_OK
        if question.strip().lower() in ("quit", "exit", ":q"):
            return EXIT_OK
        if not question.strip():
            continue
        if _printable(question) != question:
            print("magbot: that line is not valid UTF-8; type it again\n")
            continue
        answer = engine.answer(question[:MAX_ARG_CHARS])
        print(f"magbot [{answer.status.value}]>\n{to_text(answer.reply)}\n")


def entries(args: argparse.Namespace) -> int:
    """Print every entry, a line each or as JSON; give the exit code."""
    engine = load_engine(args)
    if args.json:
        print(json.dumps([entry_json(e) for e in engine.entries], ensure_ascii=False, indent=2))
        return EXIT_OK
    for entry in engine.entries:
        print(
            f"{entry.id:16} {entry.question}  ({len(entry.alternates)} alternates, "
            f"reviewed {entry.reviewed})"
        )
    return EXIT_OK


def _printable(text: str) -> str:
    """Give text with bytes that were not UTF-8 (surrogates from argv) made printable."""
    return text.encode("utf-8", "surrogateescape").decode("utf-8", "replace")
