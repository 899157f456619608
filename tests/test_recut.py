"""Where the decision answers agreed rankings, chosen on read sets its model never saw (recut)."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest

from faq.decision import DecisionModel
from faq.engine import Engine
from faq.maintain import fit_decision, recut
from faq.maintain.evaluate import read_examples
from faq.maintain.fit_topics import TUNING_SETS
from faq.model import Status

SET = next(path for path in recut.CALIBRATION_SETS if path.name == "dev24.tsv")


@pytest.fixture(scope="module")
def scored(engine: Engine) -> tuple[DecisionModel, recut.Scored, list[str]]:
    model = engine.policy
    assert isinstance(model, DecisionModel)
    ranked = [(x.question, fit_decision.collect(engine, [x])) for x in read_examples(SET)]
    texts = [text for text, found in ranked if found]
    points = [pt for _, found in ranked for pt in found]
    return model, recut.score(engine, model, points, [SET.name] * len(points)), texts


def test_the_calibration_sets_are_read_sets_the_model_was_not_fitted_on() -> None:
    fitted_on = {path.name for path in TUNING_SETS}
    names = [path.name for path in recut.CALIBRATION_SETS]
    assert all(path.exists() for path in recut.CALIBRATION_SETS)
    assert not fitted_on & set(names)
    assert not [n for n in names if n.startswith("heldout") or n == "dev25.tsv"]


def test_the_questions_are_decided_as_the_engine_decides_them(
    engine: Engine, scored: tuple[DecisionModel, recut.Scored, list[str]]
) -> None:
    model, table, texts = scored
    answered, unsure = table.statuses(model)
    for text, a, u in zip(texts, answered, unsure, strict=True):
        status = engine.answer(text).status
        assert (status is Status.ANSWERED, status is Status.UNSURE) == (a, u), text


def test_the_chosen_cut_moves_only_agreed_rankings_from_offered_to_answered(
    scored: tuple[DecisionModel, recut.Scored, list[str]],
) -> None:
    model, table, _ = scored
    fitted = replace(model, agreed_answer_at=None)
    cut = recut.agreed_cut(fitted, table, np.ones(len(table.rankings), dtype=bool))
    answered, unsure = table.statuses(replace(model, agreed_answer_at=cut))
    before_answered, before_unsure = table.statuses(fitted)
    assert model.unsure_at <= cut <= model.answer_at
    assert ((answered | unsure) == (before_answered | before_unsure)).all()  # none declined
    moved = answered & ~before_answered
    assert moved.any()  # this set has agreed rankings the fitted cut only offers
    assert all(ranking.unanimous for ranking, m in zip(table.rankings, moved, strict=True) if m)
    wrong = (answered & ~table.right)[table.inside].sum()
    assert wrong <= fit_decision.MAX_WRONG * table.inside.sum()


def test_the_utility_refuses_too_many_wrong_answers_and_counts_the_rest() -> None:
    inside = np.array([True] * 80 + [False] * 2)
    right = np.array([True] * 78 + [False] * 2 + [False] * 2)
    offered = right.copy()
    answered = np.array([True] * 80 + [False, True])
    unsure = np.array([False] * 80 + [True, False])
    assert fit_decision.utility(answered, unsure, right, offered, inside) is None  # 2 of 80
    answered[79] = False  # one wrong answer in 80 is allowed
    assert fit_decision.utility(answered, unsure, right, offered, inside) == pytest.approx(
        78 - 3 * 1 - 0.3 - 1
    )


def test_rewriting_sets_the_agreed_cut_once_and_leaves_the_fitted_cuts() -> None:
    text = (
        "# fitted\n# Do not edit by hand.\nanswer_at: 0.88\nunsure_at: 0.5\n"
        "without_topics:\n  answer_at: 0.88\n  unsure_at: 0.52\n"
    )
    once = recut.rewrite(text, 0.76, 100)
    twice = recut.rewrite(once, 0.7, 120)
    assert "\nanswer_at: 0.88\nagreed_answer_at: 0.76\nunsure_at: 0.5\n" in once
    assert "\nanswer_at: 0.88\nagreed_answer_at: 0.7\nunsure_at: 0.5\n" in twice
    assert twice.count("agreed_answer_at:") == 1 and twice.count("recut --write") == 1
    assert "on 120 ranked" in twice and "  answer_at: 0.88\n  unsure_at: 0.52\n" in twice


@pytest.mark.parametrize(
    "text", ["# Do not edit by hand.\nunsure_at: 0.5\n", "# fitted\nanswer_at: 0.88\n"]
)
def test_rewriting_a_file_fit_did_not_write_is_refused(text: str) -> None:
    with pytest.raises(ValueError, match="fit --write"):
        recut.rewrite(text, 0.76, 100)
