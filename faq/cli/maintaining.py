"""The maintainers' commands: eval, check, new and report."""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import sys
from pathlib import Path
from typing import Any

from faq.cli.common import EXIT_FAILED, EXIT_OK, EXIT_USAGE, load_engine

DEFAULT_EVAL = Path("tests/eval/heldout.tsv")
DEFAULT_DB = "magbot.sqlite3"
BARS = {
    "min-hit1": "fail unless the right entry is answered or offered first at least this often",
    "max-wrong": "fail if more in-scope questions than this get a confident wrong answer",
    "min-declined": "fail unless at least this share of out-of-scope questions is declined",
    "min-recall": "fail unless at least this share of emergencies is recognised",
    "max-false-alarms": "fail if more ordinary messages than this are treated as emergencies",
}


def evaluate(args: argparse.Namespace) -> int:
    """Score the engine on a labelled file, print the scores, and fail on a missed bar."""
    from faq.maintain import evaluate as scoring

    path = args.file or _default_eval()
    if path is None or not path.is_file():
        print(
            f"magbot: no such question file: {path or DEFAULT_EVAL} (give one: magbot eval FILE)",
            file=sys.stderr,
        )
        return EXIT_USAGE
    engine = load_engine(args)
    tiers = {c.id: c.tier.id for c in engine.triage.categories}
    try:
        examples = scoring.read_examples(path, [*(e.id for e in engine.entries), *tiers])
    except scoring.EvalFileError as exc:
        print(f"magbot: {exc}", file=sys.stderr)
        return EXIT_USAGE
    scores = scoring.score(scoring.run(engine, examples), tiers)
    print(scoring.format_report(scores))
    if args.misses:
        for miss in scores.misses:
            print(f"  [{miss.example.label} → {miss.got}] {miss.example.question}")
    failed = _failed_bars(args, scores)
    for line in failed:
        print(f"magbot: bar not met: {line}", file=sys.stderr)
    return EXIT_FAILED if failed else EXIT_OK


def eval_format() -> str:
    """Give the description of the evaluation file format, for the help text."""
    from faq.maintain.evaluate import FORMAT

    return FORMAT


def _default_eval() -> Path | None:
    checkout = Path(__file__).resolve().parents[2] / DEFAULT_EVAL
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


def check(args: argparse.Namespace) -> int:
    """Validate the corpus and the rules, print the findings; give the exit code."""
    from faq.build import load_rules
    from faq.maintain.check import check as check_corpus
    from faq.maintain.check import format_check

    result = check_corpus(args.entries, rules=load_rules(args.data))
    print(format_check(result))
    return EXIT_OK if result.ok else EXIT_FAILED


def new(args: argparse.Namespace) -> int:
    """Scaffold a new entry file in a corpus directory; give the exit code."""
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


def _installed(folder: Path) -> bool:
    """Tell whether a folder lies inside site-packages (a pip or pipx install, not a checkout)."""
    return any(part in ("site-packages", "dist-packages") for part in folder.resolve().parts)


def report(args: argparse.Namespace) -> int:
    """Print what people asked that the bot could not answer; give the exit code."""
    from faq.build import load_rules
    from faq.usage.report import build_report
    from faq.usage.report_format import format_usage_report, usage_report_to_json
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
    usage = build_report(snapshot, key_terms=lambda text: list(analyzer.terms(text)))
    if args.json:
        print(json.dumps(usage_report_to_json(usage), ensure_ascii=False, indent=2))
    else:
        print(format_usage_report(usage))
    return EXIT_OK


def day_start(text: str) -> dt.datetime:
    """Give the start of a YYYY-MM-DD day in UTC, or an argparse error."""
    try:
        return dt.datetime.combine(dt.date.fromisoformat(text), dt.time(), dt.UTC)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a date like 2026-01-31") from None
