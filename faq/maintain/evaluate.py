"""Evaluation over a labelled question set: hit@k, declines, red-flag recall and confusions."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from faq.engine import Engine
from faq.model import Answer, Hit, Status

OOS = "oos"
CHITCHAT = "chitchat"
RED_FLAG = "red-flag"
ORDINARY = "none"  # in a triage set: a message that is not an emergency
DECLINED = (Status.OUT_OF_SCOPE, Status.CHITCHAT)
FORMAT = (
    "a UTF-8 file of lines `question<TAB>label` (a `question<TAB>label` or `text<TAB>label` "
    "header is optional); label is an entry id, oos, chitchat, red-flag, a triage category "
    "id or none"
)


class EvalFileError(ValueError):
    """A question file that cannot be scored: the message names the file, line and reason."""


@dataclass(frozen=True)
class Example:
    """One labelled question: the label is an entry id, oos, chitchat or red-flag."""

    question: str
    label: str


@dataclass(frozen=True)
class Outcome:
    """What the engine did with one example (answer None: triage alone read it, no flag)."""

    example: Example
    answer: Answer | None

    @property
    def status(self) -> Status | None:
        """Give what the engine decided, or None where triage alone read it and raised no flag."""
        return self.answer.status if self.answer else None

    @property
    def flagged(self) -> bool:
        """Tell whether the message got the emergency reply."""
        return self.status is Status.RED_FLAG

    @property
    def category(self) -> str:
        """Give the triage category of the emergency reply, or ""."""
        return self.answer.category if self.answer else ""

    @property
    def candidates(self) -> tuple[Hit, ...]:
        """Give the ranked entries, best first (none where triage alone read it)."""
        return self.answer.candidates if self.answer else ()

    @property
    def top(self) -> str | None:
        """Give the best-ranked entry id, or None when nothing was ranked."""
        return self.candidates[0].entry_id if self.candidates else None

    @property
    def offered(self) -> bool:
        """Tell whether the person was shown entries (an answer or a choice)."""
        return self.status in (Status.ANSWERED, Status.UNSURE)

    @property
    def got(self) -> str:
        """Give what the person got, in a word: the entry offered, else the status."""
        if self.offered and self.top:
            return self.top
        return self.status.value if self.status else "not flagged"


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
    answered_outside: float = 0.0  # out of scope or small talk, answered with an entry
    named_right: float = 0.0  # of the emergencies given the emergency reply, their own concern
    categorised: int = 0  # emergencies given the emergency reply whose label is a category
    confusions: list[tuple[str, str, int]] = field(default_factory=list)
    by_category: dict[str, tuple[int, int]] = field(default_factory=dict)  # caught, total
    by_tier: dict[str, tuple[int, int]] = field(default_factory=dict)
    by_entry: dict[str, tuple[int, int]] = field(default_factory=dict)  # ranked first, total
    misses: list[Outcome] = field(default_factory=list)


def read_examples(path: Path, known: Iterable[str] | None = None) -> list[Example]:
    """Give the examples of a question file, or raise EvalFileError naming line and reason.

    known: the labels allowed besides oos, chitchat, red-flag and none (every label if None).
    """
    try:
        lines = path.read_bytes().decode("utf-8-sig").splitlines()
    except UnicodeDecodeError as exc:
        raise EvalFileError(f"{path}: not UTF-8 (byte {exc.start}); expected {FORMAT}") from None
    except OSError as exc:
        raise EvalFileError(f"{path}: cannot read: {exc.strerror or exc}") from None
    allowed = None if known is None else {*known, OOS, CHITCHAT, RED_FLAG, ORDINARY}
    examples = []
    for number, line in enumerate(lines, 1):
        if not line.strip() or (number == 1 and _is_header(line)):
            continue
        examples.append(_example(path, number, line, allowed))
    if not examples:
        raise EvalFileError(f"{path}: no questions; expected {FORMAT}")
    return examples


def fitted_texts(engine: Engine, data_dir: Path, tuning: Iterable[Path]) -> frozenset[str]:
    """Give every text a model was fitted on, case-folded: tuning sets, phrasings and banks."""
    texts = [e.question for path in tuning for e in read_examples(path)]
    texts += [t for entry in engine.entries for t in (entry.question, *entry.alternates)]
    for bank in (data_dir / "triage" / "bank.tsv", data_dir / "oos-bank.tsv"):
        lines = bank.read_text(encoding="utf-8").splitlines()[1:]
        texts += [line.split("\t")[0] for line in lines if line.strip()]
    return frozenset(text.casefold() for text in texts)


def unseen(examples: Iterable[Example], fitted: frozenset[str]) -> list[Example]:
    """Give the examples whose question no model was fitted on: what a held-out set scores."""
    return [example for example in examples if example.question.casefold() not in fitted]


def _is_header(line: str) -> bool:
    return line.split("\t")[-1].strip().lower() == "label"


def _example(path: Path, number: int, line: str, allowed: set[str] | None) -> Example:
    parts = line.split("\t")
    if len(parts) != 2 or not parts[0].strip() or not parts[1].strip():
        raise EvalFileError(f"{path}:{number}: expected `question<TAB>label`, got {line[:60]!r}")
    question, label = parts[0], parts[1].strip()
    if allowed is not None and label not in allowed:
        raise EvalFileError(f"{path}:{number}: unknown label {label!r}")
    return Example(question, label)


def run(engine: Engine, examples: Iterable[Example]) -> list[Outcome]:
    """Give the engine's outcome for every example."""
    return [Outcome(example, engine.answer(example.question)) for example in examples]


def run_triage(engine: Engine, examples: Iterable[Example]) -> list[Outcome]:
    """Give the emergency reply or none for every example, from triage alone (Engine.urgent):
    the flag the full answer gives, without embedding and ranking the message; for sets that
    measure triage only."""
    return [Outcome(example, engine.urgent(example.question)) for example in examples]


def triage_only(examples: Iterable[Example], categories: Iterable[str]) -> bool:
    """Tell whether every label is a triage category or ORDINARY: a set that measures triage
    alone, whose figures the flags give."""
    labels = {*categories, ORDINARY}
    return all(example.label in labels for example in examples)


def score(outcomes: Sequence[Outcome], tiers: Mapping[str, str] | None = None) -> Report:
    """Give the figures for a list of outcomes; tiers maps triage category ids to their tier."""
    tiers = tiers or {}
    emergency = {RED_FLAG, *tiers}
    topical = [o for o in outcomes if o.example.label not in (OOS, CHITCHAT, ORDINARY, *emergency)]
    outside = [o for o in outcomes if o.example.label in (OOS, CHITCHAT)]
    flagged = [o for o in outcomes if o.example.label in emergency]
    caught = [o for o in flagged if o.example.label in tiers and o.flagged]
    safe = [o for o in outcomes if o.example.label not in emergency]
    hit1 = [o for o in topical if o.offered and o.top == o.example.label]
    hit3 = [o for o in topical if o.offered and _in_top(o, 3)]
    answered = [o for o in topical if o.status is Status.ANSWERED]
    right = [o for o in answered if o.top == o.example.label]
    return Report(
        in_scope=len(topical),
        hit_at_1=_rate(hit1, topical),
        hit_at_3=_rate(hit3, topical),
        answered_right=_rate(right, topical),
        answered_wrong=_rate([o for o in answered if o not in right], topical),
        out_of_scope=len(outside),
        declined=_rate([o for o in outside if o.status in DECLINED], outside),
        answered_outside=_rate([o for o in outside if o.status is Status.ANSWERED], outside),
        red_flags=len(flagged),
        red_flag_recall=_rate([o for o in flagged if o.flagged], flagged),
        false_red_flags=_rate([o for o in safe if o.flagged], safe),
        named_right=_rate([o for o in caught if o.category == o.example.label], caught),
        categorised=len(caught),
        confusions=_confusions(topical),
        misses=[o for o in outcomes if not _correct(o, emergency)],
        by_category=_caught_by(
            flagged, lambda o: o.example.label if o.example.label in tiers else ""
        ),
        by_tier=_caught_by(flagged, lambda o: tiers.get(o.example.label, "")),
        by_entry=_first_by_entry(topical),
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
        f"  answered with an entry  {report.answered_outside:.3f}",
        f"red-flag questions        {report.red_flags}",
        f"  recall                  {report.red_flag_recall:.3f}",
        f"  concern named right     {shown(report.named_right, report.categorised)}",
        f"false red flags           {report.false_red_flags:.3f}",
    ]
    for title, counts in (("by tier", report.by_tier), ("by category", report.by_category)):
        if counts:
            lines.append(f"red-flag recall {title}")
            lines.extend(f"  {name:22} {c / t:.3f}  ({c}/{t})" for name, (c, t) in counts.items())
    if report.confusions:
        lines.append("confusions (expected → ranked first: count)")
        lines.extend(f"  {want} → {got}: {n}" for want, got, n in report.confusions)
    return "\n".join(lines)


def _in_top(outcome: Outcome, k: int) -> bool:
    return outcome.example.label in [hit.entry_id for hit in outcome.candidates[:k]]


def _caught_by(
    flagged: Sequence[Outcome], key: Callable[[Outcome], str]
) -> dict[str, tuple[int, int]]:
    counts: dict[str, tuple[int, int]] = {}
    for outcome in flagged:
        if name := key(outcome):
            caught, total = counts.get(name, (0, 0))
            counts[name] = (caught + outcome.flagged, total + 1)
    return counts


def _first_by_entry(topical: Sequence[Outcome]) -> dict[str, tuple[int, int]]:
    counts: dict[str, tuple[int, int]] = {}
    for outcome in topical:
        label = outcome.example.label
        first, total = counts.get(label, (0, 0))
        counts[label] = (first + (outcome.offered and outcome.top == label), total + 1)
    return counts


def _correct(outcome: Outcome, emergency: set[str]) -> bool:
    label = outcome.example.label
    if label in emergency:
        return outcome.flagged
    if label == ORDINARY:
        return not outcome.flagged
    if label in (OOS, CHITCHAT):
        return outcome.status in DECLINED
    return outcome.offered and outcome.top == label


def _confusions(topical: Sequence[Outcome]) -> list[tuple[str, str, int]]:
    pairs = Counter(
        (o.example.label, o.got) for o in topical if not (o.offered and o.top == o.example.label)
    )
    return [(want, got, n) for (want, got), n in pairs.most_common()]


def shown(rate: float, count: int) -> str:
    """Give a rate to three places, or "-" when it is a rate of nothing."""
    return f"{rate:.3f}" if count else "-"


def _rate(part: Sequence[object], whole: Sequence[object]) -> float:
    return len(part) / len(whole) if whole else 0.0
