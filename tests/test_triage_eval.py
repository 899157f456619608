"""The triage bars, on the locked triage held-out sets (tests/test_eval.py has the FAQ's).

A module of its own so that the suite's two longest evaluations run on two workers at once
(pyproject's --dist loadscope gives each module to one worker, which scores each of its
sets once: test_eval._report). The bars, the targets and the checksums of the sets are in
tests/test_eval.py beside the FAQ's.
"""

from __future__ import annotations

import pytest

from faq.engine import Engine
from faq.maintain import evaluate, figures
from faq.maintain.fit_topics import TUNING_SETS
from faq.maintain.fit_triage import DETECTOR_FAQ_SETS
from tests.evaluation import EVAL, STALE, measured, stale_rows

# Bars per locked triage set: the targets of the issue (recall 0.97, 0.9 in every category,
# false alarms 3%) where met; else regression guards, the target kept as a strict expected
# failure below.
TRIAGE = {  # false alarms: regression guards above the first looks
    "triage-heldout10.tsv": {"recall": 0.97, "false_alarms": 0.03},  # later: 0.996, 0.028
    "triage-heldout11.tsv": {"recall": 0.97, "false_alarms": 0.03},  # later: 0.992, 0.000
    "triage-heldout12.tsv": {"recall": 0.97, "false_alarms": 0.05},  # later: 1.000, 0.034
    "triage-heldout13.tsv": {"recall": 0.97, "false_alarms": 0.04},  # later: 0.992, 0.034
    "triage-heldout14.tsv": {"recall": 0.97, "false_alarms": 0.05},  # later: 0.996, 0.042
    "triage-heldout15.tsv": {"recall": 0.97, "false_alarms": 0.10},  # later: 0.984, 0.075
    "triage-heldout16.tsv": {"recall": 0.97, "false_alarms": 0.09},  # later: 0.996, 0.064
    # first looked at on session 25's engine: 0.996, 0.033; on session 26's: 1.000, 0.013;
    # later, on session 27's: 1.000, 0.020
    "triage-heldout17.tsv": {"recall": 0.97, "false_alarms": 0.03},
    # first looked at on session 26's engine: 0.996, 0.032; on session 27's: 0.996, 0.044;
    # on session 28's: 0.996, 0.038
    "triage-heldout18.tsv": {"recall": 0.97, "false_alarms": 0.05},
    # first looked at on session 27's engine: 0.988, 0.072; on session 28's: 0.988, 0.066
    "triage-heldout19.tsv": {"recall": 0.97, "false_alarms": 0.08},
    # first looked at on session 29's engine: 0.996, 0.048 and 0.992, 0.054; the same on
    # session 30's
    "triage-heldout20.tsv": {"recall": 0.97, "false_alarms": 0.06},
    "triage-heldout21.tsv": {"recall": 0.97, "false_alarms": 0.07},
    # first looked at on session 30's engine: 1.000, 0.015 and 0.996, 0.000 (the targets)
    "triage-heldout22.tsv": {"recall": 0.97, "false_alarms": 0.03},
    "triage-heldout23.tsv": {"recall": 0.97, "false_alarms": 0.03},
    # first looked at on session 31's engine (unchanged in session 32): 0.984, 0.036 and
    # 0.980, 0.007
    "triage-heldout24.tsv": {"recall": 0.97, "false_alarms": 0.05},
    "triage-heldout25.tsv": {"recall": 0.97, "false_alarms": 0.03},
    # first looked at on session 32's engine (session 33): 0.992, 0.060 and 0.996, 0.065
    # (0.060 and 0.050 with chest-pain and quinine-harm confirming, a change withdrawn)
    "triage-heldout26.tsv": {"recall": 0.97, "false_alarms": 0.08},
    "triage-heldout27.tsv": {"recall": 0.97, "false_alarms": 0.08},
    # first looked at on the engine of 26e00c2 (session 33), unchanged by the scene rule:
    # 0.996, 0.037 and 0.988, 0.008
    "triage-heldout28.tsv": {"recall": 0.97, "false_alarms": 0.05},
    "triage-heldout29.tsv": {"recall": 0.97, "false_alarms": 0.03},
}
TARGET = {"recall": 0.97, "category": 0.9, "false_alarms": 0.03}


def test_every_triage_set_with_bars_is_scored_as_a_locked_set() -> None:
    assert set(TRIAGE) <= figures.LOCKED


@pytest.mark.parametrize("name", [n for n in figures.shown() if n.startswith("triage-")])
def test_the_readme_rows_of_each_triage_set_are_what_the_engines_measure_now(
    engine: Engine, lexical: Engine, name: str
) -> None:
    stale = stale_rows(name, engine, lexical)

    assert not stale, "\n".join([*stale, STALE])


def test_every_emergency_of_the_faq_tuning_sets_and_triage_dev1_still_gets_its_reply(
    engine: Engine,
) -> None:
    # In-sample (the models were fitted on these sets), so not a figure: a guard. A refit or
    # a rule edit that loses one fails here; session 28's detector refit would have lost "i
    # fainted twice today since starting magnesium" of sample.tsv.
    alarms = {evaluate.RED_FLAG, *(category.id for category in engine.triage.categories)}
    faq_sets = (
        *TUNING_SETS,
        *DETECTOR_FAQ_SETS,
        EVAL / "dev10.tsv",
        EVAL / "dev11.tsv",
        EVAL / "dev12.tsv",
        EVAL / "dev13.tsv",
        EVAL / "dev14.tsv",
        EVAL / "dev15.tsv",
        EVAL / "dev16.tsv",
        EVAL / "dev17.tsv",
        EVAL / "dev18.tsv",
    )
    sets = (*faq_sets, EVAL / "triage-dev1.tsv")
    emergencies = [e for path in sets for e in evaluate.read_examples(path) if e.label in alarms]

    missed = [o.example.question for o in evaluate.run_triage(engine, emergencies) if not o.flagged]

    assert len(emergencies) > 200
    assert missed == []


@pytest.mark.parametrize("name", list(TRIAGE))
def test_triage_recognises_held_out_emergencies(engine: Engine, name: str) -> None:
    report, bars = measured(engine, EVAL / name), TRIAGE[name]

    assert report.red_flag_recall >= bars["recall"], evaluate.format_report(report)
    assert report.false_red_flags <= bars["false_alarms"], evaluate.format_report(report)


# the triage sets that do not meet every target yet (README: "Not met yet"), and why
TRIAGE_BELOW_TARGET = {
    "triage-heldout12.tsv": "false alarms 3.4% (later look)",
    "triage-heldout14.tsv": "seizure 8 of 9, false alarms 4.2% (later look)",
    "triage-heldout13.tsv": "false alarms 3.4% (later look)",
    "triage-heldout15.tsv": "seizure 8 of 9, self-harm 7 of 8, false alarms 6.2% (later look)",
    "triage-heldout16.tsv": "pregnancy-emergency 8 of 9, false alarms 7.1% (later look)",
    "triage-heldout18.tsv": "false alarms 3.8% (now and at its third look; first 3.2%)",
    "triage-heldout19.tsv": "dehydration below 0.9, false alarms 6.6% (second look; first 7.2%)",
    "triage-heldout20.tsv": "false alarms 4.8% (first and second looks)",
    "triage-heldout21.tsv": "false alarms 5.4% (first and second looks)",
    "triage-heldout24.tsv": "swallowed-too-much 8 of 9, cramp-wont-stop 8 of 9, false alarms 3.6%"
    " (first look)",
    "triage-heldout25.tsv": "tetany 7 of 8, child-leg-pain 8 of 10 (first look)",
    "triage-heldout26.tsv": "pregnancy-emergency 7 of 8, false alarms 6.0% (first look)",
    "triage-heldout27.tsv": "false alarms 6.5% (first look)",
}


@pytest.mark.parametrize(
    "name",
    [
        pytest.param(name, marks=pytest.mark.xfail(strict=True, reason=TRIAGE_BELOW_TARGET[name]))
        if name in TRIAGE_BELOW_TARGET
        else name
        for name in TRIAGE
    ],
)
def test_the_triage_targets_are_met(engine: Engine, name: str) -> None:
    report = measured(engine, EVAL / name)

    assert report.red_flag_recall >= TARGET["recall"]
    assert all(c / t >= TARGET["category"] for c, t in report.by_category.values())
    assert report.false_red_flags <= TARGET["false_alarms"]
