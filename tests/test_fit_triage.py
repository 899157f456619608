"""The triage detector's threshold policy: recall with the rules and the crisis tier, the net."""

from __future__ import annotations

import numpy as np
import pytest

from faq.engine import Engine
from faq.maintain import fit_triage
from faq.maintain.fit_triage import Rows, augmented, detected, thresholds, variant
from faq.maintain.learn import grouped_folds
from faq.query import analyse

CLASSES = ("dvt", "self-harm", "none")


def _rows(labels: list[str], ruled: list[bool], confirmed: list[bool] | None = None) -> Rows:
    y = np.array([CLASSES.index(label) for label in labels])
    tiers = ("urgent", "crisis", "")
    waiting = np.array(confirmed if confirmed is not None else [False] * len(y))
    return Rows([], y, CLASSES, np.zeros(len(y), dtype=bool), np.array(ruled), waiting, tiers)


def _dvt(n: int) -> np.ndarray:
    """Give guesses of dvt for n messages (a tier flagged at flag_at)."""
    return np.zeros(n, dtype=int)


def test_the_flag_threshold_counts_what_the_rules_already_catch(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(fit_triage, "FIT_RECALL", 0.8)
    monkeypatch.setattr(fit_triage, "DETECTOR_TARGET", 0.0)
    rows = _rows(["dvt"] * 5 + ["none"] * 2, [True, True, False, False, False, False, False])
    chance = np.array([0.0, 0.0, 0.9, 0.6, 0.2, 0.5, 0.1])

    flag_at, net_at = thresholds(chance, _dvt(7), rows)

    flagged = (chance >= flag_at) | rows.ruled
    assert flagged[rows.positive].mean() >= 0.8  # 2 by the rules, 2 by the detector
    assert not (chance >= flag_at)[4] and 0.5 < flag_at < 0.6
    assert 0 < net_at <= flag_at


def test_when_the_rules_alone_reach_the_target_the_detector_adds_next_to_nothing(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(fit_triage, "FIT_RECALL", 0.5)
    monkeypatch.setattr(fit_triage, "DETECTOR_TARGET", 0.0)
    rows = _rows(["dvt"] * 4 + ["none"], [True, True, True, False, False])

    flag_at, net_at = thresholds(np.array([0.1, 0.1, 0.1, 0.3, 0.9]), _dvt(5), rows)

    assert flag_at > 0.999 and 0 < net_at <= flag_at


def test_the_detector_keeps_its_own_recall_when_the_rules_catch_most(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(fit_triage, "FIT_RECALL", 0.5)
    monkeypatch.setattr(fit_triage, "DETECTOR_TARGET", 0.75)
    rows = _rows(["dvt"] * 4 + ["none"], [True, True, True, False, False])
    chance = np.array([0.8, 0.7, 0.2, 0.9, 0.1])

    flag_at, _ = thresholds(chance, _dvt(5), rows)

    assert (chance >= flag_at)[rows.positive].mean() >= 0.75  # the rules are not counted
    assert 0.2 < flag_at <= 0.7


@pytest.mark.parametrize("chance", [[0.9, 0.0, 0.0, 0.5], [0.9, 0.8, 0.0, 0.5]])
def test_an_unreachable_target_is_refused_rather_than_written(chance: list[float]) -> None:
    rows = _rows(["dvt"] * 3 + ["none"], [False] * 4)

    with pytest.raises(ValueError, match="cannot be reached"):
        thresholds(np.array(chance), _dvt(4), rows)


def test_a_likely_crisis_is_flagged_from_the_net_and_counted_in_the_recall(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(fit_triage, "FIT_RECALL", 0.75)
    monkeypatch.setattr(fit_triage, "DETECTOR_TARGET", 0.0)
    monkeypatch.setattr(fit_triage, "NET_TARGET", 0.75)
    rows = _rows(["self-harm", "dvt", "dvt", "dvt", "none"], [False] * 5)
    chance = np.array([0.4, 0.95, 0.9, 0.3, 0.1])
    guess = np.array([1, 0, 0, 0, 0])

    flag_at, net_at = thresholds(chance, guess, rows)
    flagged = detected(chance, guess, rows, flag_at, net_at)

    assert 0.3 < net_at <= 0.4 and 0.4 < flag_at <= 0.9  # the crisis counts at the net
    assert flagged.tolist() == [True, True, True, False, False]


def test_a_rule_that_needs_confirming_counts_only_where_the_detector_does_not_rule_it_out(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(fit_triage, "FIT_RECALL", 0.75)
    monkeypatch.setattr(fit_triage, "DETECTOR_TARGET", 0.0)
    # the confirm rule fires on the first two emergencies (at 0.3 and at 0.01) and on the none
    rows = _rows(["dvt"] * 4 + ["none"], [False] * 5, [True, True, False, False, True])
    chance = np.array([0.3, 0.01, 0.9, 0.6, 0.02])

    flag_at, _ = thresholds(chance, _dvt(5), rows)

    assert rows.by_rules(chance).tolist() == [True, False, False, False, False]
    assert 0.3 < flag_at <= 0.6  # the first by the rule, two by the detector


def test_about_half_of_all_messages_get_a_plea_or_a_cramp_beside_them() -> None:
    texts = [f"my calf has been swollen for {n} days" for n in range(400)]

    varied = {t: variant(t) for t in texts}

    assert 0.4 < sum(v is not None for v in varied.values()) / len(texts) < 0.6
    assert all(v is None or (t in v and v != t) for t, v in varied.items())
    assert any(v and v.endswith(fit_triage.PLEAS) for v in varied.values())
    assert any(v and "cramp" in v.replace(t, "") for t, v in varied.items())


def test_a_message_gets_the_same_variant_in_every_process() -> None:
    # pinned: a variant that changed between runs would make a fit unrepeatable
    assert variant("my calf has been swollen for 0 days") is None
    assert variant("my calf has been swollen for 2 days") == (
        "my calf has been swollen for 2 days what do i do"
    )
    assert variant("my calf has been swollen for 5 days") == (
        "i get cramps in my legs and my calf has been swollen for 5 days can magnesium help"
    )
    assert variant("my calf has been swollen for 6 days") == (
        "my calf has been swollen for 6 days and leg cramps"
    )


def test_a_message_that_names_a_cramp_gets_only_a_plea() -> None:
    texts = [f"cramp in my calf and my chest hurts {n}" for n in range(200)]

    varied = [v for t in texts if (v := variant(t)) is not None]

    assert varied and all(v.count("cramp") == 1 and v.endswith(fit_triage.PLEAS) for v in varied)


def test_training_adds_variants_of_the_chosen_bank_messages_only(lexical: Engine) -> None:
    texts = [f"chest pain {n} minutes now" for n in range(40)] + ["which magnesium"] * 4
    # 10 dvt and 10 self-harm emergencies, 20 hard negatives, 4 corpus phrasings
    labels = [0] * 10 + [1] * 10 + [2] * 24
    hard = [False] * 20 + [True] * 20 + [False] * 4
    queries = [analyse(t, lexical.analyzer) for t in texts]
    none = np.zeros(44, dtype=bool)
    rows = Rows(queries, np.array(labels), CLASSES, np.array(hard), none, none, ("", "", ""))
    chosen = np.array([*range(5), *range(10, 15), *range(20, 30), 40, 41])
    expected = [
        (i, v) for i in chosen if i < 40 and (v := variant(queries[i].normalised)) is not None
    ]

    trained, trained_labels, picked = augmented(rows, chosen)

    assert trained[: len(texts)] == [q.normalised for q in queries]
    assert picked.tolist() == [*chosen, *range(44, 44 + len(expected))]
    assert [trained[i] for i in picked[len(chosen) :]] == [v for _, v in expected]
    assert [trained_labels[i] for i in picked[len(chosen) :]] == [labels[i] for i, _ in expected]
    assert {labels[i] for i, _ in expected} == {0, 1, 2}  # both emergencies and hard negatives


def test_cross_validation_keeps_every_copy_of_a_text_in_one_fold() -> None:
    keys = [f"text {k % 7}" for k in range(40)]  # each text six or so times
    tested: list[int] = []
    for train, test in grouped_folds(keys, 3):
        assert not {keys[i] for i in train} & {keys[i] for i in test}
        tested += test.tolist()
    assert sorted(tested) == list(range(40))  # every row scored exactly once
