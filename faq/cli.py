"""The `magbot` command: ask, chat, entries, eval (and serve, which hands over to bot/)."""

from __future__ import annotations

import argparse
import contextlib
import datetime as dt
import io
import json
import os
import sys
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any, TextIO

from faq.corpus import CorpusError
from faq.engine import Engine, Explanation
from faq.maintain.check import load_checked
from faq.model import Answer, Entry
from faq.render import to_text
from faq.rules import DataError
from faq.semantic import ModelError

EXIT_OK = 0
EXIT_FAILED = 1  # the corpus does not load, or a check or evaluation failed
EXIT_USAGE = 2  # bad arguments or an empty question
MAX_ARG_CHARS = 10_000
DEFAULT_EVAL = Path("tests/eval/heldout.tsv")
BARS = {
    "min-hit1": "fail unless the right entry is answered or offered first at least this often",
    "max-wrong": "fail if more in-scope questions than this get a confident wrong answer",
    "min-declined": "fail unless at least this share of out-of-scope questions is declined",
    "min-recall": "fail unless at least this share of emergencies is recognised",
    "max-false-alarms": "fail if more ordinary messages than this are treated as emergencies",
}
DEFAULT_DB = "magbot.sqlite3"


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
    ask.set_defaults(run=_ask)
    chat = commands.add_parser("chat", parents=[common], help="an interactive loop for testers")
    chat.set_defaults(run=_chat)
    entries = commands.add_parser("entries", parents=[common], help="list every entry")
    entries.add_argument("--json", action="store_true", help="print the entries as JSON")
    entries.set_defaults(run=_entries)
    evaluate = commands.add_parser(
        "eval",
        parents=[common],
        help="score the engine on a labelled question set",
        description="Score the engine on FILE: " + _eval_format() + ". Exits 1 when a bar "
        "given by an option is not met.",
    )
    evaluate.add_argument(
        "file", nargs="?", type=Path, default=None,
        help="the question file (default: tests/eval/heldout.tsv of a checkout)",
    )  # fmt: skip
    evaluate.add_argument("--misses", action="store_true", help="list every question it got wrong")
    for option, meaning in BARS.items():
        evaluate.add_argument(f"--{option}", type=float, default=None, metavar="RATE", help=meaning)
    evaluate.set_defaults(run=_eval)
    check = commands.add_parser(
        "check", parents=[common], help="validate the corpus (exit 1 on errors)"
    )
    check.set_defaults(run=_check)
    new = commands.add_parser(
        "new", parents=[common], help="scaffold faq/entries/ID.md with every field"
    )
    new.add_argument("id", help="the new entry's id: lower-case words joined by hyphens")
    new.set_defaults(run=_new)
    report = commands.add_parser(
        "report", parents=[common], help="what people asked that the bot could not answer"
    )
    report.add_argument(
        "--since", type=_date, default=None, help="only from this date (YYYY-MM-DD)"
    )
    report.add_argument("--json", action="store_true", help="print the report as JSON")
    report.add_argument(
        "--db", default=None, help="database path or URL (default: $MAGBOT_DB or magbot.sqlite3)"
    )
    report.set_defaults(run=_report)
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


def _installed(folder: Path) -> bool:
    """Tell whether a folder lies inside site-packages (a pip or pipx install, not a checkout)."""
    return any(part in ("site-packages", "dist-packages") for part in folder.resolve().parts)


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


def _engine(args: argparse.Namespace) -> Engine:
    return load_checked(args.entries, args.data, semantic=False if args.lexical else None)


def _ask(args: argparse.Namespace) -> int:
    if args.question == "-":
        stdin = sys.stdin  # None when the shell closed it (`<&-`): nothing to read
        source = getattr(stdin, "buffer", None)  # bytes: a bad line must not stop the rest
        lines = source if source is not None else (line.encode() for line in stdin or ())
        return _ask_lines(_engine(args), lines, sys.stdout, args)
    # bytes that are not UTF-8 reach argv as surrogates: make them printable first
    question = _printable(args.question[:MAX_ARG_CHARS])
    if not question.strip():
        print(
            'magbot: the question is empty; try: magbot ask "does magnesium help cramps?"',
            file=sys.stderr,
        )
        return EXIT_USAGE
    engine = _engine(args)
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


def _printable(text: str) -> str:
    return text.encode("utf-8", "surrogateescape").decode("utf-8", "replace")


def _one(engine: Engine, question: str, args: argparse.Namespace) -> str:
    if args.explain and args.json:  # one object per line, each stage's verdict inside it
        answer = engine.answer(question)
        trace = [{"stage": step.stage, "verdict": step.verdict} for step in answer.trace]
        return json_line({**answer_json(answer), "trace": trace})
    if args.explain:
        return format_explanation(engine.explain(question))
    answer = engine.answer(question)
    return json_line(answer_json(answer)) if args.json else to_text(answer.reply)


def json_line(data: dict[str, Any]) -> str:
    """Give one line of JSON: every line separator Python knows is escaped, so no splitter
    (not even str.splitlines) breaks it; JSON already escapes the controls below U+0020."""
    text = json.dumps(data, ensure_ascii=False)
    for separator in ("\x85", "\u2028", "\u2029"):
        text = text.replace(separator, f"\\u{ord(separator):04x}")
    return text


def _chat(args: argparse.Namespace) -> int:
    with contextlib.suppress(ImportError):
        import readline  # noqa: F401  (line editing and history for input())
    engine = _engine(args)
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


def _entries(args: argparse.Namespace) -> int:
    engine = _engine(args)
    if args.json:
        print(json.dumps([entry_json(e) for e in engine.entries], ensure_ascii=False, indent=2))
        return EXIT_OK
    for entry in engine.entries:
        print(
            f"{entry.id:16} {entry.question}  ({len(entry.alternates)} alternates, "
            f"reviewed {entry.reviewed})"
        )
    return EXIT_OK


def _eval(args: argparse.Namespace) -> int:
    from faq.maintain import evaluate

    path = args.file or _default_eval()
    if path is None or not path.is_file():
        print(
            f"magbot: no such question file: {path or DEFAULT_EVAL} (give one: magbot eval FILE)",
            file=sys.stderr,
        )
        return EXIT_USAGE
    engine = _engine(args)
    tiers = {c.id: c.tier.id for c in engine.triage.categories}
    try:
        examples = evaluate.read_examples(path, [*(e.id for e in engine.entries), *tiers])
    except evaluate.EvalFileError as exc:
        print(f"magbot: {exc}", file=sys.stderr)
        return EXIT_USAGE
    report = evaluate.score(evaluate.run(engine, examples), tiers)
    print(evaluate.format_report(report))
    if args.misses:
        for miss in report.misses:
            got = miss.top if miss.offered else miss.answer.status.value
            print(f"  [{miss.example.label} → {got}] {miss.example.question}")
    failed = _failed_bars(args, report)
    for line in failed:
        print(f"magbot: bar not met: {line}", file=sys.stderr)
    return EXIT_FAILED if failed else EXIT_OK


def _eval_format() -> str:
    from faq.maintain.evaluate import FORMAT

    return FORMAT


def _default_eval() -> Path | None:
    checkout = Path(__file__).resolve().parents[1] / DEFAULT_EVAL
    return checkout if checkout.is_file() else (DEFAULT_EVAL if DEFAULT_EVAL.is_file() else None)


def _failed_bars(args: argparse.Namespace, report: Any) -> list[str]:
    measured = {
        "min-hit1": report.hit_at_1,
        "max-wrong": report.answered_wrong,
        "min-declined": report.declined,
        "min-recall": report.red_flag_recall,
        "max-false-alarms": report.false_red_flags,
    }
    failed = []
    for option, value in measured.items():
        bar = getattr(args, option.replace("-", "_"))
        if bar is None:
            continue
        below = value < bar if option.startswith("min") else value > bar
        if below:
            failed.append(f"--{option} {bar}: measured {value:.3f}")
    return failed


def _check(args: argparse.Namespace) -> int:
    from faq.build import load_rules
    from faq.maintain.check import check, format_check

    result = check(args.entries, rules=load_rules(args.data))
    print(format_check(result))
    return EXIT_OK if result.ok else EXIT_FAILED


def _new(args: argparse.Namespace) -> int:
    from faq.corpus import default_entries_dir
    from faq.maintain.scaffold import ScaffoldError, new_entry

    folder = args.entries or default_entries_dir()
    if args.entries is None and _installed(folder):
        print(
            "magbot: the shipped entries are inside an installed package; work on a checkout "
            "(pip install -e .) or on a corpus directory: magbot --entries DIR new ID "
            "(or MAGBOT_ENTRIES=DIR)",
            file=sys.stderr,
        )
        return EXIT_USAGE
    try:
        path = new_entry(folder, args.id)
    except ScaffoldError as exc:
        print(f"magbot: {exc}", file=sys.stderr)
        return EXIT_USAGE
    print(f"created {path}: replace every TODO, then run `magbot check`")
    return EXIT_OK


def _report(args: argparse.Namespace) -> int:
    from faq.build import load_rules
    from faq.usage.report import build_report, format_usage_report, usage_report_to_json
    from faq.usage.store import StoreError, read_snapshot

    location = args.db or os.environ.get("MAGBOT_DB") or DEFAULT_DB
    if "://" not in location and not Path(location).is_file():
        print(
            f"magbot: no database at {location}; the bot creates it when it runs", file=sys.stderr
        )
        return EXIT_USAGE
    analyzer = load_rules(args.data).analyzer
    if "://" in location:
        location = location.split("://", 1)[1]  # sqlite:///path
    try:
        snapshot = read_snapshot(location, since=args.since)  # read-only: never writes to it
    except StoreError as exc:
        print(f"magbot: {exc}", file=sys.stderr)
        return EXIT_FAILED
    report = build_report(snapshot, key_terms=lambda text: list(analyzer.terms(text)))
    if args.json:
        print(json.dumps(usage_report_to_json(report), ensure_ascii=False, indent=2))
    else:
        print(format_usage_report(report))
    return EXIT_OK


def _date(text: str) -> dt.datetime:
    try:
        return dt.datetime.combine(dt.date.fromisoformat(text), dt.time(), dt.UTC)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a date like 2026-01-31") from None


def _serve(args: argparse.Namespace) -> int:
    from bot.main import main as serve_main  # only `serve` pays for importing telegram

    semantic = False if args.lexical else None
    return serve_main(args.rest, entries=args.entries, data=args.data, semantic=semantic)


def answer_json(answer: Answer) -> dict[str, Any]:
    """Give an answer as the JSON object `magbot ask --json` prints."""
    return {
        "query": answer.query,
        "status": answer.status.value,
        "id": answer.entry.id if answer.entry else None,
        "score": round(answer.score, 4),
        "confidence": round(answer.confidence, 4),
        "margin": round(answer.margin, 4),
        "candidates": [
            {
                "id": h.entry_id,
                "score": round(h.score, 4),
                "lexical": round(h.lexical, 4),
                "semantic": round(h.semantic, 4),
                "topic": None if h.topic is None else round(h.topic, 4),
            }
            for h in answer.candidates
        ],
        "flags": list(answer.flags),
        "triage": {"category": answer.category, "tier": answer.tier} if answer.category else None,
        "reply": to_text(answer.reply),
    }


def entry_json(entry: Entry) -> dict[str, Any]:
    """Give an entry as the JSON object `magbot entries --json` prints."""
    return entry.model_dump(mode="json")


def format_explanation(explanation: Explanation) -> str:
    """Give what each stage decided, then each candidate's BM25 score by term."""
    answer = explanation.answer
    lines = [f"{step.stage:9} {step.verdict}" for step in answer.trace]
    lines.append(
        f"status: {answer.status.value}  confidence: {answer.confidence:.3f}  "
        f"margin: {answer.margin:.3f}"
    )
    for hit in answer.candidates:
        parts = [
            f"{c.term}={c.score:.2f}"
            for c in explanation.contributions
            if c.entry_id == hit.entry_id and c.score > 0
        ]
        topic = "" if hit.topic is None else f", topic {hit.topic:.3f}"
        scores = f"{hit.score:6.3f} (bm25 {hit.lexical:.3f}, cosine {hit.semantic:.3f}{topic})"
        lines.append(f"  {hit.entry_id:20} {scores}  {' '.join(parts) or '-'}")
    return "\n".join(lines)
