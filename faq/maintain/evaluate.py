"""Evaluation over a labelled question set: hit@k, declines, red-flag recall and confusions."""

from __future__ import annotations

import csv
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from faq.engine import Engine
from faq.model import Answer, Status

OOS = "oos"
CHITCHAT = "chitchat"
RED_FLAG = "red-flag"
DECLINED = (Status.OUT_OF_SCOPE, Status.CHITCHAT)


@dataclass(frozen=True)
class Example:
    """One labelled question: the label is an entry id, oos, chitchat or red-flag."""

    question: str
    label: str


@dataclass(frozen=True)
class Outcome:
    """What the engine did with one example."""

    example: Example
    answer: Answer

    @property
    def top(self) -> str | None:
        """Give the best-ranked entry id, or None when nothing was ranked."""
        return self.answer.candidates[0].entry_id if self.answer.candidates else None

    @property
    def offered(self) -> bool:
        """Tell whether the person was shown entries (an answer or a choice)."""
        return self.answer.status in (Status.ANSWERED, Status.UNSURE)


@dataclass(frozen=True)
class Report:
    """The evaluation figures; rates are fractions in [0, 1]."""

    in_scope: int
    hit_at_1: float
    hit_at_3: float
    answered_right: float
    answered_wrong: float
    out_of_scope: int
    declined: float
    red_flags: int
    red_flag_recall: float
    false_red_flags: float
    confusions: list[tuple[str, str, int]] = field(default_factory=list)
    misses: list[Outcome] = field(default_factory=list)


def read_examples(path: Path) -> list[Example]:
    """Give the examples of a TSV file with a `question<TAB>label` header."""
    with path.open(encoding="utf-8", newline="") as handle:
        rows = csv.DictReader(handle, delimiter="\t", quoting=csv.QUOTE_NONE)
        return [Example(row["question"], row["label"]) for row in rows if row.get("question")]


def run(engine: Engine, examples: Iterable[Example]) -> list[Outcome]:
    """Give the engine's outcome for every example."""
    return [Outcome(example, engine.answer(example.question)) for example in examples]


def score(outcomes: Sequence[Outcome]) -> Report:
    """Give the figures for a list of outcomes."""
    topical = [o for o in outcomes if o.example.label not in (OOS, CHITCHAT, RED_FLAG)]
    outside = [o for o in outcomes if o.example.label in (OOS, CHITCHAT)]
    flagged = [o for o in outcomes if o.example.label == RED_FLAG]
    safe = [o for o in outcomes if o.example.label != RED_FLAG]
    hit1 = [o for o in topical if o.offered and o.top == o.example.label]
    hit3 = [o for o in topical if o.offered and _in_top(o, 3)]
    answered = [o for o in topical if o.answer.status is Status.ANSWERED]
    right = [o for o in answered if o.top == o.example.label]
    return Report(
        in_scope=len(topical),
        hit_at_1=_rate(hit1, topical),
        hit_at_3=_rate(hit3, topical),
        answered_right=_rate(right, topical),
        answered_wrong=_rate([o for o in answered if o not in right], topical),
        out_of_scope=len(outside),
        declined=_rate([o for o in outside if o.answer.status in DECLINED], outside),
        red_flags=len(flagged),
        red_flag_recall=_rate([o for o in flagged if o.answer.status is Status.RED_FLAG], flagged),
        false_red_flags=_rate([o for o in safe if o.answer.status is Status.RED_FLAG], safe),
        confusions=_confusions(topical),
        misses=[o for o in outcomes if not _correct(o)],
    )


def format_report(report: Report) -> str:
    """Give the figures and confusions as a readable block of text."""
    lines = [
        f"in-scope questions        {report.in_scope}",
        f"  hit@1                   {report.hit_at_1:.3f}",
        f"  hit@3                   {report.hit_at_3:.3f}",
        f"  answered, right entry   {report.answered_right:.3f}",
        f"  answered, wrong entry   {report.answered_wrong:.3f}",
        f"out-of-scope questions    {report.out_of_scope}",
        f"  declined                {report.declined:.3f}",
        f"red-flag questions        {report.red_flags}",
        f"  recall                  {report.red_flag_recall:.3f}",
        f"false red flags           {report.false_red_flags:.3f}",
    ]
    if report.confusions:
        lines.append("confusions (expected → ranked first: count)")
        lines.extend(f"  {want} → {got}: {n}" for want, got, n in report.confusions)
    return "\n".join(lines)


def _in_top(outcome: Outcome, k: int) -> bool:
    return outcome.example.label in [hit.entry_id for hit in outcome.answer.candidates[:k]]


def _correct(outcome: Outcome) -> bool:
    label, status = outcome.example.label, outcome.answer.status
    if label == RED_FLAG:
        return status is Status.RED_FLAG
    if label in (OOS, CHITCHAT):
        return status in DECLINED
    return outcome.offered and outcome.top == label


def _confusions(topical: Sequence[Outcome]) -> list[tuple[str, str, int]]:
    pairs = Counter(
        (o.example.label, o.top if o.offered and o.top else o.answer.status.value)
        for o in topical
        if not (o.offered and o.top == o.example.label)
    )
    return [(want, got, n) for (want, got), n in pairs.most_common()]


def _rate(part: Sequence[object], whole: Sequence[object]) -> float:
    return len(part) / len(whole) if whole else 0.0
