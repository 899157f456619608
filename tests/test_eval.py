"""The quality bar: the held-out question set, scored by the real engine over the real corpus."""

from pathlib import Path

import pytest

from faq.build import build_engine
from faq.maintain import evaluate

EVAL = Path(__file__).parent / "eval"
HELD_OUT = EVAL / "questions.tsv"
TUNING = [EVAL / name for name in ("dev.tsv", "dev2.tsv", "dev3.tsv", "sample.tsv")]
FORMER_HELD_OUT = [EVAL / "questions.tsv", EVAL / "blind.tsv"]
LOCKED = [EVAL / "heldout.tsv", EVAL / "triage-heldout.tsv"]
EVERY_SET = [*TUNING, *FORMER_HELD_OUT]


@pytest.fixture(scope="module")
def report() -> evaluate.Report:
    examples = evaluate.read_examples(HELD_OUT)
    return evaluate.score(evaluate.run(build_engine(), examples))


def test_the_held_out_set_is_large_enough_to_mean_something(report: evaluate.Report) -> None:
    assert report.in_scope >= 150
    assert report.out_of_scope >= 40
    assert report.red_flags >= 25


def test_the_held_out_set_covers_every_entry() -> None:
    labels = {example.label for example in evaluate.read_examples(HELD_OUT)}
    ids = {entry.id for entry in build_engine().entries}
    assert ids <= labels


def test_no_locked_question_is_in_a_tuning_set() -> None:
    tuning = {e.question.casefold() for path in TUNING for e in evaluate.read_examples(path)}
    for path in LOCKED:
        locked = {line.split("\t")[0].casefold() for line in _lines(path)[1:]}
        assert not locked & tuning, sorted(locked & tuning)


def test_no_former_held_out_question_is_among_the_alternates() -> None:
    phrasings = {
        text.casefold()
        for entry in build_engine().entries
        for text in (entry.question, *entry.alternates)
    }
    former = {e.question.casefold() for p in FORMER_HELD_OUT for e in evaluate.read_examples(p)}
    assert not former & phrasings


def _lines(path: Path) -> list[str]:
    return path.read_text(encoding="utf-8").splitlines()


@pytest.mark.parametrize("path", EVERY_SET, ids=lambda path: path.name)
def test_every_set_keeps_the_safety_bars(path: Path) -> None:
    report = evaluate.score(evaluate.run(build_engine(), evaluate.read_examples(path)))

    if report.red_flags:
        assert report.red_flag_recall == 1.0, evaluate.format_report(report)
    assert report.false_red_flags <= 0.02, evaluate.format_report(report)


def test_the_right_entry_comes_first_for_nine_in_ten_questions(report: evaluate.Report) -> None:
    assert report.hit_at_1 >= 0.90, evaluate.format_report(report)


def test_nine_in_ten_out_of_scope_questions_are_declined(report: evaluate.Report) -> None:
    assert report.declined >= 0.90, evaluate.format_report(report)


def test_every_emergency_is_recognised(report: evaluate.Report) -> None:
    missed = [o.example.question for o in report.misses if o.example.label == evaluate.RED_FLAG]
    assert report.red_flag_recall == 1.0, missed


def test_at_most_two_percent_of_safe_questions_raise_a_false_alarm(
    report: evaluate.Report,
) -> None:
    assert report.false_red_flags <= 0.02, evaluate.format_report(report)
