"""Compare the red-flag verdicts of two versions of safety.yaml over every message we may read.

Usage: python -m faq.maintain.rulediff OLD_SAFETY_YAML [--data DIR] [--sets NAME ...]

Runs the rule layer of the old file and of the data directory's own safety.yaml (each with
the vocabulary its rules give the typo corrector) over the triage exemplar bank, the
out-of-scope bank, the tuning sets (the FAQ ones with dev9, and the triage ones: held-out
sets 1-9 until session 23, every triage-dev set), the first version's sets, the
per-entry set and every corpus phrasing, and lists each message whose verdict changed: by
its label, an emergency lost or caught, an ordinary message newly flagged (false-alarm) or
no longer (fixed), or another rule or category (moved). Then every word the typo corrector
now reads as another word (respelt): each word a rule names is one typos are corrected
towards, so adding "lego" to a rule turns "levo" (levothyroxine) into "lego" everywhere.
Exits 1 on a lost emergency or a new false alarm. The locked held-out sets are never read.
Rules are run alone, as with the semantic layer off. --sets reads only the named sets (file
names) besides the banks and the phrasings: a quick look while editing; the whole run is the
check before a commit.
"""

from __future__ import annotations

import argparse
import shutil
import sys
import tempfile
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

from faq.build import default_data_dir, engine_for, load_rules
from faq.corpus import load_corpus
from faq.engine import Engine
from faq.maintain.fit_topics import TUNING_SETS
from faq.maintain.fit_triage import DETECTOR_FAQ_SETS, TRIAGE_DEV_SETS, TRIAGE_TUNING_SETS
from faq.model import Entry
from faq.rules import DataError

ROOT = Path(__file__).resolve().parents[2]
SETS = (
    *TUNING_SETS,
    *TRIAGE_TUNING_SETS,
    *DETECTOR_FAQ_SETS,
    *TRIAGE_DEV_SETS,
    *(
        ROOT / "tests" / "eval" / name
        for name in (
            "dev11.tsv",
            "dev12.tsv",
            "dev13.tsv",
            "dev14.tsv",
            "dev15.tsv",
            "dev16.tsv",
            "dev17.tsv",
            "dev18.tsv",
            "questions.tsv",
            "blind.tsv",
            "new-entries.tsv",
        )
    ),
)


@dataclass(frozen=True)
class Change:
    """A message whose verdict differs: (rule, category) before and after, None for no flag."""

    source: str
    text: str
    emergency: bool  # labelled an emergency (a category or "red-flag") in its set
    label: str
    old: tuple[str, str] | None
    new: tuple[str, str] | None

    @property
    def kind(self) -> str:
        """lost or caught (an emergency), false-alarm or fixed (an ordinary message), moved."""
        if self.old is not None and self.new is not None:
            return "moved"  # another rule or category
        if self.emergency:
            return "lost" if self.new is None else "caught"
        return "fixed" if self.new is None else "false-alarm"


def messages(
    data: Path, entries: Sequence[Entry], sets: Sequence[Path] = SETS
) -> Iterator[tuple[str, str, str]]:
    """Give (source, text, label) for every readable message: banks, sets, corpus phrasings."""
    tables = [data / "triage" / "bank.tsv", data / "oos-bank.tsv"]
    for path in (*tables, *sets):
        if not path.exists():
            continue
        lines = path.read_text(encoding="utf-8").splitlines()[1:]
        rows = (line.split("\t") for line in lines if line.strip())
        yield from ((path.name, row[0], row[1] if len(row) > 1 else "") for row in rows)
    for entry in entries:
        phrasings = (entry.question, *entry.alternates)
        yield from ((f"{entry.id}.md", text, entry.id) for text in phrasings)


@dataclass(frozen=True)
class Respelling:
    """A word the typo corrector reads as one word before the edit and as another after."""

    word: str
    old: str
    new: str


def verdicts(
    engine: Engine, texts: Sequence[str]
) -> tuple[list[tuple[str, str] | None], dict[str, str]]:
    """Give the red-flag rule and category each message raises, or None, and every typo
    correction made on the way."""
    found = []
    fixes: dict[str, str] = {}
    for text in texts:
        query = engine.analyse(text)
        fixes.update(query.analysis.corrections)
        hit = engine.triage.rules.red_flag(query.normalised, query.sentences)
        found.append((hit.rule, hit.category) if hit else None)
    return found, fixes


def respellings(old: dict[str, str], new: dict[str, str]) -> list[Respelling]:
    """Give the words corrected differently (a word absent from one was left as it is)."""
    words = sorted(set(old) | set(new))
    return [
        Respelling(word, old.get(word, word), new.get(word, word))
        for word in words
        if old.get(word, word) != new.get(word, word)
    ]


def compare(
    old_safety: Path, data: Path, sets: Sequence[Path] = SETS
) -> tuple[list[Change], list[Respelling]]:
    """Give the messages whose verdict differs between an old safety.yaml and the data's, and
    the words the typo corrector reads differently."""
    entries = load_corpus()
    listed = list(messages(data, entries, sets))
    texts = [text for _, text, _ in listed]
    rules = load_rules(data)
    alarms = {*rules.triage.categories.ids, "red-flag"}
    new, new_fixes = verdicts(engine_for(entries, rules, semantic=False), texts)
    with tempfile.TemporaryDirectory() as folder:
        copy = Path(folder) / "data"
        shutil.copytree(data, copy, ignore=shutil.ignore_patterns("model"))
        shutil.copyfile(old_safety, copy / "safety.yaml")
        try:
            before_rules = load_rules(copy)
        except DataError as exc:  # name the file the maintainer gave, not the copy
            raise DataError(str(exc).replace(str(copy / "safety.yaml"), str(old_safety))) from None
        old, old_fixes = verdicts(engine_for(entries, before_rules, semantic=False), texts)
    changes = [
        Change(source, text, label in alarms, label, before, after)
        for (source, text, label), before, after in zip(listed, old, new, strict=True)
        if before != after
    ]
    return changes, respellings(old_fixes, new_fixes)


def main(argv: Sequence[str] | None = None) -> int:
    """Print the changed verdicts and their counts; give 1 on a lost flag or a false alarm."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("old", type=Path, help="the safety.yaml to compare against")
    parser.add_argument("--data", type=Path, default=None, help="the data directory (shipped)")
    parser.add_argument(
        "--sets", nargs="+", metavar="NAME", help="only these sets, by file name (default: all)"
    )
    args = parser.parse_args(argv)
    sets = SETS
    if args.sets:
        known = {path.name: path for path in SETS}
        unknown = sorted(set(args.sets) - set(known))
        if unknown:
            parser.error(f"not a tuning or development set: {', '.join(unknown)}")
        sets = tuple(known[name] for name in args.sets)
    try:
        changes, respelt = compare(args.old, args.data or default_data_dir(), sets)
    except DataError as exc:
        print(f"a rule file is not valid: {exc}", file=sys.stderr)
        return 2
    for change in sorted(changes, key=lambda c: (c.kind, c.source)):
        old, new = (" ".join(v) if v else "-" for v in (change.old, change.new))
        print(f"{change.kind}\t{change.source}\t{change.label}\t{old}\t{new}\t{change.text}")
    for word in respelt:
        print(f"respelt\t{word.word}\t{word.old}\t{word.new}")
    kinds = ("lost", "false-alarm", "caught", "fixed", "moved")
    counts = {kind: sum(c.kind == kind for c in changes) for kind in kinds}
    print(", ".join(f"{n} {kind}" for kind, n in counts.items()) + f", {len(respelt)} respelt")
    return 1 if counts["lost"] or counts["false-alarm"] else 0


if __name__ == "__main__":
    sys.exit(main())
