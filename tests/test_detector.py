"""The learned triage detector: the shipped model loads verified, and refuses what is not it."""

from __future__ import annotations

import dataclasses
import json
import shutil
import time
from pathlib import Path
from typing import Any

import pytest

from faq.build import build_engine, default_data_dir, load_rules
from faq.engine import Engine
from faq.model import Status
from faq.query import Query
from faq.semantic import Encoder, ModelError, default_model_dir, file_sha256
from faq.triage.assess import CONFIRM_AT, flag_threshold
from faq.triage.detector import MANIFEST, NONE, Detector
from faq.triage.rules import RuleHit

SHIPPED = default_data_dir() / "triage" / "detector"


@pytest.fixture(scope="module")
def encoder() -> Encoder:
    return Encoder.load(default_model_dir())


@pytest.fixture(scope="module")
def detector(encoder: Encoder) -> Detector:
    return Detector.load(SHIPPED, encoder)


@pytest.fixture
def copy(tmp_path: Path) -> Path:
    return Path(shutil.copytree(SHIPPED, tmp_path / "detector"))


def _edit(directory: Path, **fields: Any) -> None:
    path = directory / MANIFEST
    manifest = json.loads(path.read_text(encoding="utf-8"))
    manifest.update(fields)
    path.write_text(json.dumps(manifest), encoding="utf-8")


def _chain(engine: Engine, query: Query) -> RuleHit | None:
    """Give the red-flag rules a message matches, chained as triage reads them beside the
    detector."""
    return engine.triage.rules.red_flag(query.normalised, query.sentences, beside_detector=True)


def test_the_shipped_detector_knows_every_category_and_none(detector: Detector) -> None:
    categories = load_rules().triage.categories.ids

    assert set(detector.classes) == {*categories, NONE}
    assert 0.0 < detector.net_at <= detector.flag_at < 1.0


def test_the_shipped_detector_was_fitted_on_the_shipped_bank() -> None:
    # an edit to the exemplar bank needs a refit (scripts/fit_detector.py --write)
    training = json.loads((SHIPPED / MANIFEST).read_text(encoding="utf-8"))["training"]
    bank = default_data_dir() / "triage" / "bank.tsv"

    assert training["bank_sha256"] == file_sha256(bank), "the bank changed: refit the detector"


def test_the_shipped_detector_is_small() -> None:
    assert (SHIPPED / "model.onnx").stat().st_size < 26_000_000


def test_it_tells_a_sign_happening_now_from_a_question_about_it(detector: Detector) -> None:
    now = detector.detect("my calf has been swollen red and hot since this morning")
    general = detector.detect("what are the signs of a blood clot in the leg")

    assert now.category == "dvt" and now.probability >= detector.flag_at
    assert general.probability < detector.flag_at


# Session 34: a sign joined by "and" to a cramp is a report. The refit of session 34 (not
# shipped) read these as cramp questions (0.012, 0.048 and 0.086, against 0.841, 0.929 and
# 0.657 for the shipped detector); the chest-pain rule flags them, but a detector that
# confirms rules must not lose them.
SIGN_BESIDE_A_CRAMP = [
    "chest pains and leg cramps",
    "i have chest pains and leg cramps",
    "my chest hurts and my legs are cramping what should i do",
]


@pytest.mark.parametrize("message", SIGN_BESIDE_A_CRAMP)
def test_a_sign_beside_a_cramp_gets_at_least_the_safety_net(
    detector: Detector, message: str
) -> None:
    assert detector.detect(message).probability >= detector.net_at


SIGN = "i cannot feel my bum or between my legs since this morning"  # no rule reads it
ORDINARY = (
    "I have been taking magnesium glycinate at night for a few weeks for my calf cramps and "
    "it mostly helps, though I still wake up once or twice a week with a tight calf."
)


def test_a_likely_crisis_is_flagged_where_the_safety_net_begins(engine: Engine) -> None:
    detector = engine.triage.detector
    assert detector is not None
    flag, net = detector.flag_at, detector.net_at
    assert flag_threshold("crisis", flag, net) == net < flag
    assert flag_threshold("emergency", flag, net) == flag_threshold("poison", flag, net) == flag

    strict = engine.triage.with_detector(dataclasses.replace(detector, flag_at=0.99999))

    crisis = strict.assess(engine.analyse("i dont really see a future for myself"))
    numb = strict.assess(engine.analyse(SIGN))

    assert crisis.flag is not None and crisis.flag.tier == "crisis"
    assert crisis.flag.layer == "detector" and crisis.flag.score < 0.99999
    assert numb.flag is None and numb.symptoms_now  # under flag_at: the net, not the flag


# Long messages are read in windows of several sentences, so an ordinary sentence beside the
# sign dilutes it; the detector of session 26 (fitted with triage-dev1's long messages) reads
# the sign whatever number of ordinary sentences come before it, up to 4,096 characters.
@pytest.mark.parametrize("before", [0, 1, 2, 3, 5, 10, 15, 20, 23])  # 23: near 4,096 characters
def test_a_sign_after_ordinary_sentences_is_read_in_its_own_window(
    engine: Engine, before: int
) -> None:
    message = " ".join([ORDINARY] * before + [SIGN])

    assessment = engine.triage.assess(engine.analyse(message))

    assert assessment.flag is not None and assessment.flag.layer == "detector", before


@pytest.mark.parametrize("before", [1, 2, 5, 20, 23])
def test_a_diluted_sign_still_gets_the_safety_net(engine: Engine, before: int) -> None:
    message = " ".join([ORDINARY] * before + [SIGN])

    assessment = engine.triage.assess(engine.analyse(message))

    assert assessment.flag is not None or assessment.symptoms_now, before


def test_a_sign_after_a_pasted_list_is_still_read(engine: Engine) -> None:
    pasted = "metformin amlodipine atorvastatin omeprazole levothyroxine ramipril " * 12
    query = engine.analyse(f"{pasted.strip()}. {SIGN}")

    assert query.word_list
    assert engine.triage.assess(query).flag is not None


def test_a_sign_after_a_comma_list_of_medicines_is_read_without_the_list(engine: Engine) -> None:
    names = "metformin, amlodipine, atorvastatin, omeprazole, levothyroxine, ramipril, " * 8
    query = engine.analyse(f"{names.strip(', ')}\n{SIGN}")

    assert engine.triage.assess(query).flag is not None


def test_a_list_pasted_one_item_a_line_is_not_read_as_a_list_window(engine: Engine) -> None:
    lines = ["metformin 500mg", "amlodipine 5mg", "atorvastatin 20mg", "omeprazole 20mg"] * 8
    query = engine.analyse("\n".join(lines))

    assert not any(engine.analyzer.is_word_list(w.split()) for w in query.windows)
    assert engine.triage.assess(query).flag is None


class _BrokenSession:
    """Stands in for an onnxruntime session whose model fails at run time."""

    def run(self, *_: object) -> None:
        raise RuntimeError("a fault inside onnxruntime")


def test_a_failing_detector_costs_neither_a_rule_flag_nor_the_net(
    engine: Engine, detector: Detector
) -> None:
    broken = engine.triage.with_detector(dataclasses.replace(detector, session=_BrokenSession()))

    swallowed = broken.assess(engine.analyse("i swallowed the whole bottle of magnesium at 6"))
    unread = broken.assess(engine.analyse(SIGN))

    assert swallowed.flag is not None and swallowed.flag.layer == "rule"
    assert unread.flag is None and unread.symptoms_now


def test_a_failing_detector_keeps_a_crisis_and_a_rules_second_concern_and_adds_no_noisy_one(
    engine: Engine, detector: Detector
) -> None:
    broken = engine.triage.with_detector(dataclasses.replace(detector, session=_BrokenSession()))

    fell = broken.assess(engine.analyse("I want to die. he collapsed and isnt breathing"))
    cramp = broken.assess(engine.analyse("I want to die. cramp lasts 15 minutes every night"))

    assert fell.flag is not None and fell.flag.category.id == "self-harm"
    assert fell.also is not None and fell.also.category.id == "collapse"  # it flags outright
    assert cramp.flag is not None and cramp.also is None  # a rule to confirm is not added


# Session 37: the shipped detector reads a report that ends in a plea as a cramp question
# ("chest pains" 0.92, "chest pains what do i do" 0.013), so a rule to confirm is confirmed
# by the message without its pleas as well; until then these got the safety net only.
PLEA_REPORTS = [
    ("long-cramp", "my calf cramp has lasted two hours what should i do"),
    ("fainting", "i keep fainting is this normal"),
]


@pytest.mark.parametrize(("rule", "message"), PLEA_REPORTS)
def test_a_rule_to_confirm_is_confirmed_by_the_message_without_its_plea(
    engine: Engine, detector: Detector, rule: str, message: str
) -> None:
    query = engine.analyse(message)

    hit = _chain(engine, query)
    assessment = engine.triage.assess(query)

    assert hit is not None and hit.rule == rule and hit.confirm
    assert detector.detect(query.normalised).probability < CONFIRM_AT  # the plea hides it
    assert assessment.flag is not None and assessment.flag.rule == rule


# Session 56: the rules that flag a sign outright (chest pain, a heartbeat, quinine's harms,
# tetanus, a clot, confusion and drowsiness) wait on the detector where their sign is in
# doubt as a report (hearsay, a risk question, a leaflet's list), and flag outright again
# once the message says it is happening now.
DOUBTFUL = [
    ("chest-pain", "saw a tiktok saying magnesium gives you chest pains, is it true? i feel fine"),
    ("heartbeat", "my magnesium leaflet lists an irregular heartbeat as a rare side effect"),
    ("quinine-harm", "i read that tonic water can make your ears ring, is that a thing?"),
    ("tetanus", "i read online that rusty nails give you lockjaw"),
    ("blood-clot", "i read that the pill can give you a swollen red calf, is that a thing?"),
    (
        "confusion-drowsiness",
        "the leaflet says too much magnesium can make you confused and drowsy",
    ),
    # session 68: hearsay with no "i", and both ankles puffy in the heat, down by morning
    (
        "heartbeat",
        "heard magnesium can cause an irregular heartbeat with kidney disease, is that right?",
    ),
    ("blood-clot", "my ankles swell a bit at the end of a hot day, both sides, gone by morning"),
]


@pytest.mark.parametrize(("rule", "message"), DOUBTFUL)
def test_a_rule_to_confirm_if_doubtful_waits_on_the_detector_only_while_in_doubt(
    engine: Engine, rule: str, message: str
) -> None:
    reported = f"{message} It's happening to me right now."
    doubted, now = _chain(engine, engine.analyse(message)), _chain(engine, engine.analyse(reported))

    assert doubted is not None and (doubted.rule, doubted.confirm) == (rule, True)
    assert engine.answer(message).status is not Status.RED_FLAG
    assert now is not None and (now.rule, now.confirm) == (rule, False)
    assert engine.answer(reported).status is Status.RED_FLAG


# A review of that change: a doubt read over the whole message lost reports followed by a
# question in one of its forms, or after an old all-clear, or with "now" said otherwise; a
# sign is in doubt only where each clause it is in carries the doubt, no form asks about a
# side effect, and no word says now or that someone has the sign.
REPORTS_BESIDE_A_DOUBT = [
    ("chest-pain", "i have chest pain after taking magnesium, is that a known side effect"),
    (
        "confusion-drowsiness",
        "my mum is confused and very drowsy after her magnesium, is that a known side effect",
    ),
    (
        "heartbeat",
        "my heartbeat is very slow and irregular after magnesium, could magnesium cause that",
    ),
    ("chest-pain", "gp said it was nothing last week but i have chest pain after magnesium"),
    ("chest-pain", "the ecg wasnt normal and i have chest pain after magnesium, should i worry"),
    ("chest-pain", "chest hurts after magnesium right this second, is it a common side effect"),
    (
        "chest-pain",
        "i saw on tiktok you should go to a&e for this, i have chest pain after taking magnesium",
    ),
    # a second review: a report and a question about a side effect in one clause, other
    # ways of saying now, and of saying what was seen, said or tested
    ("heartbeat", "slow irregular heartbeat after my magnesium is that a rare side effect"),
    (
        "confusion-drowsiness",
        "mum confused very drowsy after her magnesium is that a known side effect",
    ),
    ("heartbeat", "ive had a slow irregular heartbeat since taking magnesium could it cause that"),
    ("heartbeat", "i saw that my heart rate is 35 and irregular on my watch after magnesium"),
    (
        "heartbeat",
        "my husband said see a doctor my heartbeat is slow and irregular after magnesium",
    ),
    ("heartbeat", "the ecg shows my heart isnt in a normal rhythm and my heartbeat is slow"),
    # session 68: the writer's own beside hearsay, and a sign the rest of the message gives
    # once the clause with the form is left out (the calf's two clauses fire it together)
    ("quinine-harm", "i read that quinine causes bleeding gums, mine are bleeding"),
    ("blood-clot", "my ankles swell on hot days and my left calf is hot and twice the size"),
]


@pytest.mark.parametrize(("rule", "message"), REPORTS_BESIDE_A_DOUBT)
def test_a_report_beside_a_form_of_doubt_flags_outright(
    engine: Engine, rule: str, message: str
) -> None:
    hit = _chain(engine, engine.analyse(message))

    assert hit is not None and (hit.rule, hit.confirm) == (rule, False)
    assert engine.answer(message).status is Status.RED_FLAG


# Session 38: every rule to confirm that matched is tried, each on the sentences it fired
# in. Until then only the first was, and a joke ruled out by the detector ("passed out
# laughing") hid the emergency in the next sentence: these were not flagged.
JOKE = "I passed out laughing at the match lol. "
ASK = " Which magnesium is best for cramps?"
SECOND_RULE = [
    ("breathing", "breathing", JOKE + "Now my husband is struggling to breathe." + ASK),
    ("long-cramp", "cramp-wont-stop", JOKE + "My calf cramp has lasted three hours now." + ASK),
    ("dark-urine", "rhabdo", JOKE + "My pee has gone dark like cola after the gym." + ASK),
]


@pytest.mark.parametrize(("rule", "category", "message"), SECOND_RULE)
def test_each_rule_to_confirm_that_matched_is_tried_in_turn(
    engine: Engine, rule: str, category: str, message: str
) -> None:
    query = engine.analyse(message)

    hit = _chain(engine, query)
    answer = engine.answer(message)

    assert hit is not None and (hit.rule, hit.confirm) == ("passed-out", True)
    assert hit.otherwise is not None and (hit.otherwise.rule, hit.otherwise.confirm) == (rule, True)
    assert (answer.status, answer.category) == (Status.RED_FLAG, category)


# A review of that change: it tried a later rule's sentences before the first rule's whole
# message, and "I keep passing out haha" moved from collapse (emergency) to the cramp that
# will not stop (urgent). The first rule is judged in full before any later one.
FIRST_BY_WHOLE = [
    "I keep passing out haha. My leg has been cramping for 5 hours. What should I do?",
    "I keep passing out haha. My pee is dark like cola. What should I do?",
]


@pytest.mark.parametrize("message", FIRST_BY_WHOLE)
def test_the_first_rule_to_confirm_is_judged_on_the_whole_message_before_a_later_one(
    engine: Engine, detector: Detector, message: str
) -> None:
    query = engine.analyse(message)

    hit = _chain(engine, query)
    answer = engine.answer(message)

    assert hit is not None and hit.otherwise is not None and hit.otherwise.confirm
    assert detector.detect(query.normalised).probability < CONFIRM_AT  # not confirmed at once
    assert (answer.status, answer.category) == (Status.RED_FLAG, "collapse")


# The same review: a later rule to confirm that the detector confirmed outranked a rule after
# it that flags outright, and a seizure happening now was answered as a racing heart.
OUTRIGHT_AFTER = [
    (
        "I feel faint haha. My heart is racing since I took magnesium. Partner seizing right"
        " now, first ever. Which magnesium is best for cramps?",
        "seizure",
    ),
    (
        "I have lockjaw. I passed out laughing at the match lol. My foot is cold and pale.",
        "tetanus",
    ),
]


@pytest.mark.parametrize(("message", "category"), OUTRIGHT_AFTER)
def test_a_rule_that_flags_outright_comes_before_a_later_rule_to_confirm(
    engine: Engine, message: str, category: str
) -> None:
    query = engine.analyse(message)

    hit = _chain(engine, query)
    answer = engine.answer(message)

    assert hit is not None and hit.otherwise is not None and hit.otherwise.confirm
    assert hit.outright is not None and hit.outright.category == category
    assert (answer.status, answer.category) == (Status.RED_FLAG, category)


@pytest.mark.parametrize(
    ("text", "bare"),
    [
        ("chest pains what do i do", "chest pains"),
        ("my leg hurts is this normal should i be worried", "my leg hurts"),
        ("my ears are ringing so what should i do now please help", "my ears are ringing"),
        ("what do i do", ""),  # nothing but pleas
        ("what do i do please help", ""),
        ("help", ""),
        ("chest pains", ""),  # no plea
        ("can magnesium help my cramps", ""),  # a question, not a plea at the end
        # pleas it opens with (session 44: "if anyone here knows cpr my dad collapsed" 0.03)
        ("if anyone here knows cpr my dad collapsed", "my dad collapsed"),
        ("please help can someone help my dad collapsed", "my dad collapsed"),
        ("if anyone knows first aid please my wife collapsed what do i do", "my wife collapsed"),
        ("if anyone can help my dad collapsed", "my dad collapsed"),
    ],
)
def test_the_plea_a_message_opens_or_ends_in_is_taken_off(
    engine: Engine, text: str, bare: str
) -> None:
    assert engine.triage.rules.without_plea(text) == bare


def test_a_run_of_pleas_that_ends_otherwise_is_given_up_at_once(engine: Engine) -> None:
    # before each plea was an atomic group, this 299-character message took 12.7 s
    message = "cramp lasted over an hour" + " please help" * 22 + " ok thanks"
    started = time.perf_counter()

    bare = engine.triage.rules.without_plea(message)

    assert bare == "" and time.perf_counter() - started < 1.0


ALTITUDE = "when I go tramping up high I'm short of breath the first day till I adjust, then fine"


def test_a_rule_that_needs_confirming_gives_the_net_where_the_detector_rules_it_out(
    engine: Engine,
) -> None:
    query = engine.analyse(ALTITUDE)  # from triage-dev1.tsv: not an emergency

    assessment = engine.triage.assess(query)
    trace = " ".join(step.verdict for step in engine.answer(ALTITUDE).trace)

    hit = engine.triage.rules.red_flag(query.normalised, query.sentences)
    assert hit is not None and hit.rule == "breathing"
    assert assessment.flag is None and assessment.symptoms_now
    assert assessment.net_rule == "breathing"
    assert "rule breathing, not confirmed by the detector" in trace


def test_a_rule_that_needs_confirming_flags_when_the_detector_fails(
    engine: Engine, detector: Detector
) -> None:
    broken = engine.triage.with_detector(dataclasses.replace(detector, session=_BrokenSession()))

    assessment = broken.assess(engine.analyse(ALTITUDE))

    assert assessment.flag is not None and assessment.flag.rule == "breathing"


def test_a_flipped_byte_in_the_detector_is_refused(copy: Path, encoder: Encoder) -> None:
    path = copy / "model.onnx"
    data = bytearray(path.read_bytes())
    data[len(data) // 2] ^= 0x01
    path.write_bytes(bytes(data))

    with pytest.raises(ModelError, match=r"model\.onnx: checksum mismatch") as caught:
        Detector.load(copy, encoder)
    assert "\n" not in str(caught.value)


@pytest.mark.parametrize("name", ["model.onnx", MANIFEST])
def test_a_missing_detector_file_is_named(copy: Path, encoder: Encoder, name: str) -> None:
    (copy / name).unlink()

    with pytest.raises(ModelError, match=rf"{name}: missing"):
        Detector.load(copy, encoder)


@pytest.mark.parametrize(
    ("fields", "reason"),
    [
        ({"tokenizer_sha256": "0" * 64}, "another tokenizer"),
        ({"classes": ["dvt", "heart"]}, "'classes'"),
        ({"flag_at": 1.5}, "'flag_at' must be a probability"),
        ({"net_at": "low"}, "'net_at' must be a probability"),
        ({"net_at": 0.9, "flag_at": 0.5}, "'net_at' is above 'flag_at'"),
        ({"classes": ["dvt", "dvt", "none"]}, "twice"),
        ({"classes": [f"c{i}" for i in range(25)] + ["none"]}, "27 scores for 26 classes"),
    ],
)
def test_a_detector_json_that_does_not_fit_is_refused(
    copy: Path, encoder: Encoder, fields: dict[str, Any], reason: str
) -> None:
    _edit(copy, **fields)

    with pytest.raises(ModelError, match=reason):
        Detector.load(copy, encoder)


def test_the_engine_refuses_to_start_on_an_altered_detector(data_dir: Path) -> None:
    path = data_dir / "triage" / "detector" / "model.onnx"
    path.write_bytes(path.read_bytes()[:-1])

    with pytest.raises(ModelError, match="detector"):
        build_engine(data_dir=data_dir, semantic=True)
    assert build_engine(data_dir=data_dir, semantic=False).triage.detector is None
