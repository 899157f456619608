"""The README's measured figures, generated from the evaluation sets: never pasted by hand.

Usage: python -m faq.maintain.figures [--write | --check]

--write replaces the block between the figures markers in README.md; --check exits 1 when
the README's block differs from what the engine measures now by more than one message in any
rate (see differences; the test suite checks the same).
"""

from __future__ import annotations

import argparse
import functools
import sys
from collections.abc import Callable, Mapping
from pathlib import Path

from faq.build import build_engine, default_data_dir
from faq.engine import Engine
from faq.maintain import evaluate
from faq.maintain.fit_topics import TUNING_SETS
from faq.maintain.fit_triage import DETECTOR_FAQ_SETS, TRIAGE_TUNING_SETS

ROOT = Path(__file__).resolve().parents[2]
README = ROOT / "README.md"
EVAL = ROOT / "tests" / "eval"
START, END = "<!-- figures:start -->", "<!-- figures:end -->"
#: (file, role) in the order the table shows them: the locked held-out sets, the FAQ tuning
#: set no model was fitted on, and the first version's sets. The sets the models were fitted
#: on (the FAQ tuning sets dev-dev9 and sample, triage held-out 1-9 and triage-dev1) are not
#: rows: an in-sample row says little and costs every test run its time; their
#: cross-validated figures are the line under the table and in detector.json. Nor are the
#: triage tuning sets the rules are chosen on (fit_triage.TRIAGE_DEV_SETS): `magbot eval`
#: scores them.
SETS = (
    ("heldout23.tsv", "locked held-out 23"),
    ("heldout22.tsv", "locked held-out 22"),
    ("heldout21.tsv", "locked held-out 21"),
    ("heldout20.tsv", "locked held-out 20"),
    ("heldout19.tsv", "locked held-out 19"),
    ("heldout18.tsv", "locked held-out 18"),
    ("heldout17.tsv", "locked held-out 17"),
    ("heldout16.tsv", "locked held-out 16"),
    ("heldout15.tsv", "locked held-out 15"),
    ("heldout14.tsv", "locked held-out 14"),
    ("heldout13.tsv", "locked held-out 13"),
    ("heldout12.tsv", "locked held-out 12"),
    ("heldout11.tsv", "locked held-out 11"),
    ("heldout10.tsv", "locked held-out 10"),
    ("heldout9.tsv", "locked held-out 9"),
    ("heldout8.tsv", "locked held-out 8"),
    ("heldout7.tsv", "locked held-out 7"),
    ("heldout6.tsv", "locked held-out 6"),
    ("heldout5.tsv", "locked held-out 5"),
    ("heldout4.tsv", "locked held-out 4"),
    ("heldout3.tsv", "locked held-out 3"),
    ("heldout2.tsv", "locked held-out 2"),
    ("heldout.tsv", "locked held-out 1"),
    ("triage-heldout29.tsv", "locked triage held-out 29"),
    ("triage-heldout28.tsv", "locked triage held-out 28"),
    ("triage-heldout27.tsv", "locked triage held-out 27"),
    ("triage-heldout26.tsv", "locked triage held-out 26"),
    ("triage-heldout25.tsv", "locked triage held-out 25"),
    ("triage-heldout24.tsv", "locked triage held-out 24"),
    ("triage-heldout23.tsv", "locked triage held-out 23"),
    ("triage-heldout22.tsv", "locked triage held-out 22"),
    ("triage-heldout21.tsv", "locked triage held-out 21"),
    ("triage-heldout20.tsv", "locked triage held-out 20"),
    ("triage-heldout19.tsv", "locked triage held-out 19"),
    ("triage-heldout18.tsv", "locked triage held-out 18"),
    ("triage-heldout17.tsv", "locked triage held-out 17"),
    ("triage-heldout16.tsv", "locked triage held-out 16"),
    ("triage-heldout15.tsv", "locked triage held-out 15"),
    ("triage-heldout14.tsv", "locked triage held-out 14"),
    ("triage-heldout13.tsv", "locked triage held-out 13"),
    ("triage-heldout12.tsv", "locked triage held-out 12"),
    ("triage-heldout11.tsv", "locked triage held-out 11"),
    ("triage-heldout10.tsv", "locked triage held-out 10"),
    ("dev20.tsv", "tuning (session 66: read for an alternates change's verdict; not fitted on)"),
    ("dev19.tsv", "tuning (session 66: read for an alternates change's verdict; not fitted on)"),
    ("dev18.tsv", "tuning (session 57: read for a typo-corrector change's verdict; not fitted on)"),
    ("dev17.tsv", "tuning (session 56: read for a red-flag change's verdict; not fitted on)"),
    ("dev16.tsv", "tuning (session 55: read to judge a scope change, shipped; not fitted on)"),
    ("dev15.tsv", "tuning (session 55: read to judge a scope change, not shipped; not fitted on)"),
    ("dev14.tsv", "tuning (session 54: read to judge a refit, not shipped; not fitted on)"),
    ("dev13.tsv", "tuning (session 53: not fitted on; 35 questions in Tagalog or Hindi)"),
    ("dev12.tsv", "tuning (session 52: not fitted on)"),
    ("dev11.tsv", "tuning (session 52: not fitted on)"),
    ("dev10.tsv", "tuning (session 28: not fitted on)"),
    ("questions.tsv", "first version's held-out, since read"),
    ("blind.tsv", "first version's blind set, since read"),
)
#: every set a model was fitted on: the FAQ tuning sets and the triage tuning sets.
FITTED_SETS = (*TUNING_SETS, *DETECTOR_FAQ_SETS, *TRIAGE_TUNING_SETS)
#: the locked held-out sets: scored only on the messages no model was fitted on.
LOCKED = frozenset(name for name, role in SETS if role.startswith("locked"))
#: an engine's report on an evaluation set.
Measure = Callable[[Engine, Path], evaluate.Report]
#: how many cells a row of the table has
COLUMNS = 14
#: a rate cell's column -> the column of the count it is a rate of (None: not shown, see SLACK).
RATE_OF = {4: 3, 5: 3, 6: 3, 8: 7, 9: 7, 11: 10, 12: None, 13: 10}
#: how far a written false-alarm rate may sit from the measured one: the table does not show
#: how many ordinary messages a set has, and every set has over a hundred.
SLACK = 0.01
#: how the line pooling the locked triage sets begins (see `pooled`)
POOLED = "Pooled over the"
HEADER = (
    "| set | role | engine | in scope | hit@1 | answered right | answered wrong "
    "| out of scope | declined | answered out of scope "
    "| emergencies | recall | false alarms | concern named |\n"
    "| --- | --- | --- " + "| ---: " * (COLUMNS - 3) + "|"
)


def generate(engines: Mapping[str, Engine] | None = None, report: Measure | None = None) -> str:
    """Give the figures block: every evaluation set under the hybrid and the lexical engine.

    `engines` maps "hybrid" and "lexical" to engines (built here by default); `report` gives
    an engine's report on a set (by default, measured here with `measure`), so the tests can
    pass the reports they already hold.
    """
    if engines is None:
        engines = {"hybrid": build_engine(semantic=True), "lexical": build_engine(semantic=False)}
    fitted = evaluate.fitted_texts(engines["hybrid"], default_data_dir(), FITTED_SETS)
    score = report or functools.partial(measure, fitted=fitted)
    table = [HEADER, *(row for name in shown() for row in rows(name, engines, score))]
    return "\n".join([*table, "", notes(fitted), "", pooled("\n".join(table), fitted)])


def shown() -> list[str]:
    """Give the names of the sets the table shows, in its order: those in SETS that exist."""
    return [name for name, _ in SETS if (EVAL / name).is_file()]


def rows(name: str, engines: Mapping[str, Engine], score: Measure) -> list[str]:
    """Give a set's rows of the table, one per engine, in the order of `engines`."""
    role = dict(SETS)[name]
    return [
        _row(name, role, label, score(engine, EVAL / name)) for label, engine in engines.items()
    ]


def labels(block: str) -> list[str]:
    """Give a block's lines with each table row cut to its set, role and engine cells."""
    return [
        " | ".join(line.split(" | ")[:3]) if line.startswith("| ") else line
        for line in block.splitlines()
    ]


def notes(fitted: frozenset[str]) -> str:
    """Give the lines under the table: what the locked sets leave out, and the tuning CV."""
    left_out = []
    for name in shown():
        if name in LOCKED:
            examples = evaluate.read_examples(EVAL / name)
            left_out.append(f"{name} {len(examples) - len(evaluate.unseen(examples, fitted))}")
    note = (
        "Locked sets score only the messages no model was fitted on; left out as also in the "
        f"tuning sets, the phrasings or the banks: {', '.join(left_out)}."
    )
    return "\n".join([note, "", _cross_validated()])


def pooled(table: str, fitted: frozenset[str]) -> str:
    """Give the line that pools a table's rows of the locked triage sets, for each engine.

    One set's false alarms move by a point with one message of about 140; pooled over every
    fresh set they are the steadier figure. So is the share of the caught emergencies whose
    reply names their own concern. Derived from the rows (each checked against the
    engines) and the sets' ordinary messages no model was fitted on.
    """
    sums: dict[str, list[int]] = {}  # engine -> caught, emergencies, false alarms, ordinary,
    # and the caught whose concern was named right
    ordinary_in: dict[str, int] = {}  # set -> its ordinary messages, read once for both engines
    for cells in (line.strip("| ").split(" | ") for line in table.splitlines()):
        name = cells[0]
        if len(cells) != COLUMNS or name not in LOCKED or not name.startswith("triage-"):
            continue
        if name not in ordinary_in:
            ordinary_in[name] = _ordinary(name, fitted)
        ordinary = ordinary_in[name]
        emergencies = int(cells[10])
        counts = sums.setdefault(cells[2], [0, 0, 0, 0, 0])
        caught = round(float(cells[11]) * emergencies)
        counts[0] += caught
        counts[1] += emergencies
        counts[2] += round(float(cells[12]) * ordinary)
        counts[3] += ordinary
        counts[4] += round(float(cells[13]) * caught) if caught else 0
    parts = [
        f"{label} recall {c[0] / c[1]:.3f} ({c[0]:,} of {c[1]:,}), false alarms"
        f" {c[2] / c[3]:.1%} ({c[2]:,} of {c[3]:,}), concern named right"
        f" {c[4] / c[0]:.3f} ({c[4]:,} of {c[0]:,})"
        for label, c in sums.items()
        if c[0] and c[3]
    ]
    return f"{POOLED} {len(ordinary_in)} locked triage sets: {'; '.join(parts)}."


def _ordinary(name: str, fitted: frozenset[str]) -> int:
    """Give how many ordinary messages of a set no model was fitted on."""
    examples = evaluate.unseen(evaluate.read_examples(EVAL / name), fitted)
    return sum(example.label == evaluate.ORDINARY for example in examples)


def measure(engine: Engine, path: Path, fitted: frozenset[str]) -> evaluate.Report:
    """Give an engine's report on a set; a locked set scores only the messages not fitted on,
    and a set of triage labels alone is read by triage alone (the same flags, sooner).

    Raises EvalFileError on a label that is neither an entry nor a triage category.
    """
    tiers = {c.id: c.tier.id for c in engine.triage.categories}
    examples = evaluate.read_examples(path, [*(e.id for e in engine.entries), *tiers])
    if path.name in LOCKED:
        examples = evaluate.unseen(examples, fitted)
    triage_only = evaluate.triage_only(examples, tiers)
    run = evaluate.run_triage if triage_only else evaluate.run
    return evaluate.score(run(engine, examples), tiers)


def _row(name: str, role: str, label: str, report: evaluate.Report) -> str:
    inside = report.in_scope
    rate = evaluate.shown
    cells = [
        name, role, label, str(inside), rate(report.hit_at_1, inside),
        rate(report.answered_right, inside), rate(report.answered_wrong, inside),
        str(report.out_of_scope), rate(report.declined, report.out_of_scope),
        rate(report.answered_outside, report.out_of_scope),
        str(report.red_flags), rate(report.red_flag_recall, report.red_flags),
        f"{report.false_red_flags:.3f}", rate(report.named_right, report.categorised),
    ]  # fmt: skip
    return "| " + " | ".join(cells) + " |"


def _cross_validated() -> str:
    """Give the cross-validation line the fitting script recorded in decision.yaml."""
    lines = (default_data_dir() / "decision.yaml").read_text(encoding="utf-8").splitlines()
    found = [line[2:] for line in lines if line.startswith("# 5-fold")]
    return "Tuning sets, " + " ".join(found) if found else ""


def differences(written: str, measured: str) -> list[str]:
    """Give the written lines that disagree with the measured block by more than one message.

    A message that sits on a threshold can fall either side on another machine: onnxruntime
    picks its kernels by the CPU's instruction set, and their float rounding differs. So each
    rate may differ by one message of its count; counts, labels and notes must match exactly.
    """
    old, new = written.splitlines(), measured.splitlines()
    if len(old) != len(new):
        return [f"the README has {len(old)} lines of figures, the engines give {len(new)}"]
    return [
        f"README:   {a}\nmeasured: {b}" for a, b in zip(old, new, strict=True) if not _close(a, b)
    ]


def _close(written: str, measured: str) -> bool:
    """Tell whether two lines agree: equal, or table rows whose rates are within one message.

    The pooled line is derived from the rows (tests/test_eval.py checks it against them), so
    rows one message apart may give it other figures.
    """
    if written == measured or (written.startswith(POOLED) and measured.startswith(POOLED)):
        return True
    old, new = written.split(" | "), measured.split(" | ")
    if not written.startswith("| ") or len(old) != len(new) or len(old) <= max(RATE_OF):
        return False
    if any(
        a != b for column, (a, b) in enumerate(zip(old, new, strict=True)) if column not in RATE_OF
    ):
        return False
    return all(_rate_close(old, new, column, count) for column, count in RATE_OF.items())


def _rate_close(old: list[str], new: list[str], column: int, count: int | None) -> bool:
    a, b = old[column].strip(" |"), new[column].strip(" |")
    if a == b:
        return True
    if "-" in (a, b):
        return False
    slack = SLACK if count is None else 1 / int(old[count])
    return abs(float(a) - float(b)) <= slack + 0.001  # + the rounding to three places


def current(readme: str) -> str:
    """Give the block between the markers of a README's text."""
    start, end = readme.index(START) + len(START), readme.index(END)
    return readme[start:end].strip("\n")


def main() -> int:
    """Write or check the README's figures block."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    group = parser.add_mutually_exclusive_group(required=True)
    group.add_argument("--write", action="store_true", help="update README.md")
    group.add_argument("--check", action="store_true", help="exit 1 if README.md is stale")
    args = parser.parse_args()
    block = generate()  # minutes: the README is read after, so edits meanwhile are kept
    text = README.read_text(encoding="utf-8")
    if args.check:
        stale = differences(current(text), block)
        print(*stale, sep="\n")
        print(
            "README figures are stale: run python -m faq.maintain.figures --write"
            if stale
            else "README figures are current (each rate within one message)"
        )
        return 1 if stale else 0
    start, end = text.index(START) + len(START), text.index(END)
    README.write_text(f"{text[:start]}\n{block}\n{text[end:]}", encoding="utf-8")
    print(f"wrote the figures into {README}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
