"""The triage categories as data: every category of the clinical map, and what each reply says."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from faq.build import build_engine, load_rules
from faq.engine import Engine
from faq.model import Status
from faq.query import MAX_QUERY_CHARS, MAX_WINDOWS, sentence_windows, split_sentences
from faq.render import to_text
from faq.reply import urgent
from faq.rules import DataError
from faq.trace import triage_step
from faq.triage import Categories, Category
from faq.triage.assess import detection

CATEGORIES = load_rules().triage.categories

#: The 26 categories of triage.md, by id, with their tiers.
CLINICAL_MAP = {
    "heart": "emergency", "breathing": "emergency", "collapse": "emergency",
    "stroke": "emergency", "seizure": "emergency", "allergy": "emergency",
    "magnesium-toxicity": "emergency", "leg-artery": "emergency", "compartment": "emergency",
    "cauda-equina": "emergency", "sepsis": "emergency", "heat-illness": "emergency",
    "low-sodium": "emergency", "dehydration": "emergency", "pregnancy-emergency": "emergency",
    "tetany": "emergency", "rising-weakness": "emergency", "cannot-walk": "emergency",
    "tetanus": "emergency", "dvt": "urgent", "rhabdo": "urgent", "cramp-wont-stop": "urgent",
    "quinine-harm": "urgent", "child-leg-pain": "urgent", "swallowed-too-much": "poison",
    "self-harm": "crisis",
}  # fmt: skip

NUMBERS = {
    "emergency": ("112", "911", "999", "000"),
    "urgent": ("today", "112", "911", "999"),
    "poison": ("1-800-222-1222", "13 11 26", "0800 764 766", "do not try to make them vomit"),
    "crisis": ("988", "116 123", "13 11 14", "findahelpline.com"),
}


def test_every_category_of_the_clinical_map_is_a_record_with_its_tier() -> None:
    assert {c.id: c.tier.id for c in CATEGORIES} == CLINICAL_MAP


@pytest.mark.parametrize("category", list(CATEGORIES), ids=lambda c: c.id)
def test_each_reply_names_its_concern_and_carries_its_tiers_numbers(category: Category) -> None:
    text = to_text(urgent(category.reply()))

    assert category.concern in text
    for words in NUMBERS[category.tier.id]:
        assert words.casefold() in text.casefold()
    if category.tier.id != "crisis":
        assert re.search(r"do not (take|give) (any )?more", text, re.IGNORECASE)


def test_the_seizure_reply_says_what_to_do_once_it_stops(engine: Engine) -> None:
    # "had a fit, it's stopped now but she's really sleepy": the reply is read after it too
    reply = engine.triage.categories.get("seizure").reply()

    assert "When it stops, lay them on their side" in reply and "breathing" in reply


def test_no_crisis_reply_carries_a_dose_figure() -> None:
    text = to_text(urgent(CATEGORIES.get("self-harm").reply()))

    assert not re.search(r"\d+\s*(mg|milligram|gram|g\b|tablet|pill)", text, re.IGNORECASE)


def test_an_unknown_tier_is_refused_with_the_category_named() -> None:
    data = {
        "tiers": {t: {"heading": "h", "action": "a", "numbers": "n"} for t in NUMBERS},
        "categories": [{"id": "odd", "tier": "someday", "concern": "c"}],
    }
    with pytest.raises(ValueError, match="odd"):
        Categories(data)


@pytest.mark.parametrize(
    "message",
    [
        "Can magnesium help cramps? Face drooping and speech slurred",
        "Can magnesium help cramps. passed out twice today",
        "Which magnesium is best for night cramps? crushing chest pain right now",
        "no idea, chest pain crushing me right now",
    ],
)
def test_a_sign_after_a_general_question_or_a_figure_of_speech_is_still_a_red_flag(
    lexical: Engine, message: str
) -> None:
    # the precise layer alone must catch these
    assert lexical.answer(message).status is Status.RED_FLAG


# A review found each of these skipped by a sentence-level "nothing now" gate on the rules
# (hypothetical, past and over, figure of speech), since removed: a past or hypothetical word
# beside a sign happening now must never hide it.
@pytest.mark.parametrize(
    "message",
    [
        "she was fine at lunch and now her face is drooping and her arm is weak",
        "had a bypass in my leg years ago, now the foot is suddenly cold and blue",
        "if my chest is crushing right now and my arm is numb what do i do",
        "I fainted once years ago. Today I passed out twice at work.",
        "my pee is dark brown after a brutal workout and my muscles are killing me",
        "if I stand up I pass out",
        "what do I do, my husband had a stroke 2 years ago and his face is drooping",
        "I have a history of blood clots and my calf is swollen hot and red",
        "had a baby last month and my calf is swollen red and hot",
        "should I call 911 in case its a heart attack, chest crushing and left arm numb",
        "the doctor said it was fine but i have crushing chest pain going down my arm",
        "went back in to work and passed out at my desk",
        "I had a stroke 5 years ago, recovered well, my face is drooping and my words wont come",
        "im dying here lol my throat is closing up and i cant breathe",
    ],
)
def test_a_sign_happening_now_beside_the_past_is_still_a_red_flag(
    lexical: Engine, message: str
) -> None:
    assert lexical.answer(message).status is Status.RED_FLAG


def test_the_end_of_a_long_message_is_always_in_a_window() -> None:
    sentence = "My legs cramp most nights and I have tried stretching, water and bananas. " * 2
    tail = "Doesnt matter, my chest hurts badly."
    story = (sentence.strip() + " ") * 20 + tail
    no_stops = story.replace(".", "").replace(",", "")

    for text in (story, no_stops):
        windows = sentence_windows(split_sentences(text[:MAX_QUERY_CHARS]))
        assert 1 < len(windows) <= MAX_WINDOWS
        assert windows[-1].endswith("chest hurts badly" + ("." if text is story else ""))


def test_sentences_left_out_of_the_windows_leave_the_rest_in_one_window() -> None:
    pasted = "metformin amlodipine atorvastatin omeprazole ramipril " * 10
    sentences = (pasted.strip() + ".", "my calf is red and hot")

    windows = sentence_windows(sentences, keep=lambda sentence: "metformin" not in sentence)

    assert windows == ["my calf is red and hot"]
    assert sentence_windows(("my calf is red and hot",), keep=lambda _: True) == []


def test_a_button_drawn_before_the_cautions_changed_carries_every_caution(data_dir: Path) -> None:
    before = build_engine(data_dir=data_dir, semantic=False)
    token = before.answer("I'm on dialysis, which magnesium is best?").carry
    safety = data_dir / "safety.yaml"
    safety.write_text(
        safety.read_text(encoding="utf-8").replace(
            "\ncautions:\n",
            '\ncautions:\n  - id: alcohol\n    patterns: ["beer"]\n    message: "Beer."\n',
        ),
        encoding="utf-8",
    )
    after = build_engine(data_dir=data_dir, semantic=False)

    restored = after.triage.restore(token)

    assert token and any("kidney" in line for line in before.triage.restore(token))
    assert any("kidney" in line for line in restored) and "Beer." in restored


def test_a_red_flag_rule_naming_an_unknown_category_is_refused_with_the_file(
    data_dir: Path,
) -> None:
    safety = data_dir / "safety.yaml"
    safety.write_text(
        safety.read_text(encoding="utf-8").replace("category: heart", "category: hart", 1),
        encoding="utf-8",
    )

    with pytest.raises(DataError, match=r"safety\.yaml.*hart"):
        load_rules(data_dir)


# One of the mixed load benchmark's flood messages: the detector, left to read it, saw low sodium.
FLOOD = (
    "guitar rocket kettle basket market ticket zebra yellow anchor coffee zebra guitar table "
    "wagon window basket rocket island bridge morning ticket number orange guitar summer yellow "
    "saddle mirror forest pillow ladder number anchor coffee coffee wagon ticket yellow morning "
    "guitar guitar ticket paper table market paper blanket ladder bridge music island candle "
    "lemon cloud window kettle yellow island pillow orange river market summer blanket orange "
    "basket bask"
)


def test_a_long_list_of_random_words_is_no_emergency(engine: Engine) -> None:
    query = engine.analyse(FLOOD)

    assert query.word_list
    assert engine.triage.assess(query).flag is None
    assert engine.answer(FLOOD).status is not Status.RED_FLAG


@pytest.mark.parametrize(
    "message",
    [
        # long, plain and telegraphic: language, so the detector reads them
        "Sorry english. One week ago I cut foot on old metal, now my jaw hard to open and "
        "my neck is stiff, is this from the magnesium I take for cramps at night please",
        "pls help chest hurting bad arm numb feel sick alone at home cant think straight "
        "and my legs are cramping too is it the magnesium",
    ],
)
def test_a_long_message_in_language_is_not_a_word_list(engine: Engine, message: str) -> None:
    assert not engine.analyse(message).word_list


# ------------------------------------------------------------ the concern a flag names


@pytest.mark.parametrize(
    ("message", "concern"),
    [
        ("my dad's been roofing in the heat all day and now he's confused and being sick",
         "heat-illness"),
        ("he's been drinking water all day for the marathon and now he's confused and vomiting",
         "low-sodium"),
    ],
)  # fmt: skip
def test_the_detector_names_the_concern_of_a_rule_flag_from_the_whole_message(
    engine: Engine, message: str, concern: str
) -> None:
    answer = engine.answer(message)  # "confused and ... sick": the rule's own is magnesium

    assert answer.flags == ("confusion-drowsiness",)
    assert answer.category == concern


def test_a_rule_whose_sign_needs_its_own_first_action_keeps_its_concern(engine: Engine) -> None:
    answer = engine.answer(
        "Mum's had diarrhoea for two days and now she's collapsed and won't wake"
    )

    assert answer.flags == ("unresponsive",)
    assert answer.category == "collapse"  # not dehydration's "small sips of fluid"


def test_a_rule_flag_keeps_its_concern_when_the_detector_is_not_clearly_surer(
    engine: Engine,
) -> None:
    answer = engine.answer("she is disoriented and incoherent")  # no context: its own stands

    assert answer.category == engine.triage.rules.categories["confusion-drowsiness"]


def test_a_named_concern_never_lowers_the_tier_of_a_rule_flag(engine: Engine) -> None:
    message = "after leg day my pee is dark brown like cola and my arms are so weak I cant lift"
    query = engine.analyse(message)
    assert engine.triage.detector is not None
    named = detection(engine.triage.detector, query)
    assert named is not None and named.category == "rhabdo"  # urgent, so not named

    answer = engine.answer(message)

    assert answer.flags == ("severe-weakness",)
    assert engine.triage.categories.get(answer.category or "").tier.id == "emergency"


@pytest.mark.parametrize(
    "message",
    [
        "28wks, been getting leg cramps so taking mag. today one calf is way bigger than the "
        "other, red and warm",
        "5 days after my c-section, my right calf is swollen tight and throbbing",
        "3 wks postpartum n my right calf is swollen hot n sore, way bigger than the other one",
        "Breastfeeding my 2 week old, but my left calf has been swollen, red and hot since "
        "yesterday and it's bigger than the other one",
        "my wife is 8 months pregnant and her right calf is swollen, red and hot",
        "I had an emergency caesarean 3 weeks ago, now my right calf is swollen and warm",
    ],
)
def test_a_clots_signs_in_pregnancy_or_after_birth_are_the_pregnancy_emergency(
    engine: Engine, lexical: Engine, message: str
) -> None:
    # triage.md 15: call now, not the DVT reply's "get seen today"
    for each in (engine, lexical):
        answer = each.answer(message)

        assert answer.category == "pregnancy-emergency"
        assert "maternity unit" in to_text(answer.reply)
    # a raised flag's reply keeps the clot's advice (beside the detector, it may name the
    # pregnancy emergency itself)
    assert "Do not rub or massage the leg" in to_text(lexical.answer(message).reply)


def test_the_clot_reply_says_what_to_do_in_pregnancy_or_after_birth(engine: Engine) -> None:
    # for every way of saying so that `raised:` does not read (triage.md 15)
    reply = engine.triage.categories.get("dvt").reply()

    assert "If you are pregnant or had a baby in the last 12 weeks" in reply


@pytest.mark.parametrize(
    "message",
    [
        "my left calf is swollen, red and hot and twice the size of the other one",
        "when I was pregnant I had a clot, now my left calf is swollen, red and hot",
        "I'm not pregnant, I'm 55, and my left calf is swollen, red and hot",
        "my daughter is pregnant and I look after her, now my left calf is swollen, red and hot",
        "is magnesium safe for pregnant women? also my left calf is swollen, red and hot",
        "I had my baby two years ago, now my left calf is swollen, red and hot",
        "8 months postpartum and my left calf is swollen, red and hot",
        "12 weeks post op from my knee and my left calf is swollen, red and hot",
        "my 8 week old puppy jumped on my leg, now my left calf is swollen, red and hot",
        "we had a baby shower last week, now my left calf is swollen, red and hot",
        "im due in 2 weeks for my knee op and my left calf is swollen, red and hot",
        "our cat is pregnant and my left calf is swollen, red and hot",
        "when we were pregnant with our daughter in 2015 I had a clot, now my calf is swollen, "
        "red and hot",
        "my wife is 30 weeks pregnant and she's fine, it's me: my left calf is swollen, red "
        "and hot",
    ],
)
def test_a_clots_signs_without_pregnancy_or_a_recent_birth_are_not_raised(
    engine: Engine, lexical: Engine, message: str
) -> None:
    # beside the detector a past pregnancy may still be named by it (Triage._named)
    for each in (engine, lexical):
        flag = each.triage.assess(each.analyse(message)).flag

        assert flag is not None and flag.raised_from == ""
    assert lexical.answer(message).category == "dvt"


def test_the_trace_says_which_concern_a_context_raised(engine: Engine) -> None:
    query = engine.analyse("36wks calf cramp but now leg swollen n red n warm only one side")

    line = triage_step(engine.triage.assess(query)).verdict

    assert "pregnancy-emergency (emergency)" in line and "raised from dvt" in line


@pytest.mark.parametrize(
    ("old", "new", "fault"),
    [
        ("becomes: pregnancy-emergency", "becomes: pregnant",
         r"raised\[0\] \(dvt\): becomes 'pregnant' is not in triage/categories\.yaml"),
        ("concern: dvt", "concern: pregnancy-emergency",
         r"raised\[0\] \(pregnancy-emergency\): becomes the concern it raises"),
    ],
)  # fmt: skip
def test_a_raising_that_names_no_category_or_itself_is_refused_with_the_file(
    data_dir: Path, old: str, new: str, fault: str
) -> None:
    safety = data_dir / "safety.yaml"
    safety.write_text(safety.read_text(encoding="utf-8").replace(old, new, 1), encoding="utf-8")

    with pytest.raises(DataError, match=rf"safety\.yaml: {fault}"):
        load_rules(data_dir)


@pytest.mark.parametrize(
    ("concern", "becomes"),
    [("heart", "dvt"), ("self-harm", "heart"), ("swallowed-too-much", "heart")],
)
def test_a_raising_into_a_tier_that_may_not_name_the_concern_is_refused_with_the_file(
    data_dir: Path, concern: str, becomes: str
) -> None:
    safety = data_dir / "safety.yaml"
    text = safety.read_text(encoding="utf-8")
    safety.write_text(
        text.replace("concern: dvt\n    becomes: pregnancy-emergency",
                     f"concern: {concern}\n    becomes: {becomes}", 1),
        encoding="utf-8",
    )  # fmt: skip

    with pytest.raises(DataError, match=rf"safety\.yaml: .*more urgent: {concern} -> {becomes}"):
        load_rules(data_dir)


def test_a_report_after_can_you_help_is_confirmed_as_without_it(engine: Engine) -> None:
    # the detector gives the whole message 0.005 and the report alone 0.10 (confirmed at 0.05)
    message = "can you help, my mum is having a stroke right now"

    assert engine.answer(message).status is Status.RED_FLAG


def test_an_emergency_beside_a_crisis_leads_the_reply_and_both_tiers_numbers_are_given() -> None:
    crisis, stroke = CATEGORIES.get("self-harm"), CATEGORIES.get("stroke")

    text = to_text(urgent(crisis.reply(also=stroke)))

    assert text.index(stroke.concern) < text.index(crisis.concern)
    for words in (*NUMBERS["crisis"], *NUMBERS["emergency"]):
        assert words in text


def test_an_urgent_concern_beside_a_crisis_follows_the_crisis_lines() -> None:
    crisis, clot = CATEGORIES.get("self-harm"), CATEGORIES.get("dvt")

    text = to_text(urgent(crisis.reply(also=clot)))

    assert text.index(crisis.concern) < text.index(crisis.tier.numbers) < text.index(clot.concern)
    assert clot.tier.stop in text


@pytest.mark.parametrize(
    ("message", "first", "second"),
    [
        ("I'm so tired of everything, I just want it all to stop. Also my face feels droopy on"
         " one side", "self-harm", "stroke"),
        ("nobody would miss me if I was gone. my left leg is cold and white and I cant move my"
         " toes", "self-harm", "leg-artery"),
        ("I took the whole bottle of magnesium to end it all", "self-harm", "swallowed-too-much"),
        # an overdose taken to die, in words the crisis rule did not read until session 60
        ("took 40 caps to end it", "self-harm", "swallowed-too-much"),
        ("i swallowed the whole bottle of magnesium to finish my life", "self-harm",
         "swallowed-too-much"),
        ("I hope tonight is my last night. My calf is swollen and hot since the flight", "dvt",
         "self-harm"),
        ("I want to end my life. after the marathon I drank loads of water, now headache"
         " vomiting and my hands are swollen", "self-harm", "low-sodium"),
        ("I want to die, my dad's having a stroke and I can't cope", "self-harm", "stroke"),
        ("I want to die. there's a red line going up my leg from the cut and I have a fever and"
         " shivers", "self-harm", "sepsis"),
        ("i dont want to be here anymore. chest feels like an elephant sitting on it",
         "self-harm", "heart"),
    ],
)  # fmt: skip
def test_a_crisis_beside_a_medical_emergency_gets_both_replies(
    engine: Engine, message: str, first: str, second: str
) -> None:
    answer = engine.answer(message)

    assert (answer.category, answer.also) == (first, second)
    text = to_text(answer.reply)
    assert CATEGORIES.get(first).concern in text
    besides = CATEGORIES.get(second)
    assert (besides.tier.aside or besides.concern) in text
    assert "988" in text
    assert len(answer.flags) == 2


@pytest.mark.parametrize(
    "message",
    [
        "my calf is swollen and hot after the flight. this is killing me lol",
        "My calf has been swollen and hot since the flight. My dad died of a clot, I'm scared",
        "I want to die, these cramps every night are unbearable",
        "honestly tired of living, is there a way to just not wake up, help",
        "I want to die. I hope I won't wake up tomorrow",
        "I want to die. cramp lasts 15 minutes every night",
        "been saving my mums tablets for weeks. like 90 now. enough?",
    ],
)
def test_dark_words_or_a_crisis_alone_add_no_second_concern(engine: Engine, message: str) -> None:
    answer = engine.answer(message)

    assert answer.status is Status.RED_FLAG
    assert answer.also == "" and len(answer.flags) == 1


def test_the_rules_alone_give_a_medical_emergency_beside_a_crisis(lexical: Engine) -> None:
    answer = lexical.answer("I want to kill myself and my face is drooping on one side")

    assert (answer.category, answer.also) == ("self-harm", "stroke")


def test_a_crisis_beside_another_emergency_is_said_as_an_if_with_its_lines() -> None:
    clot, crisis = CATEGORIES.get("dvt"), CATEGORIES.get("self-harm")

    text = to_text(urgent(clot.reply(also=crisis)))

    assert text.startswith(f"{clot.tier.heading} {clot.concern}")
    assert crisis.tier.aside in text and crisis.concern not in text
    assert text.index(crisis.tier.aside) < text.index(crisis.tier.numbers)


@pytest.mark.parametrize(
    "message",
    [
        "my mum is not waking up after her magnesium",
        "he isnt waking up, hes had loads of epsom salts",
        "my husband not wake up after too much magnesium",
    ],
)
def test_someone_who_does_not_wake_is_still_a_red_flag(lexical: Engine, message: str) -> None:
    assert lexical.answer(message).status is Status.RED_FLAG


def test_a_wish_not_to_wake_is_blanked_word_for_word_for_a_second_concern() -> None:
    rules = load_rules().triage.rules
    text = "i just want to sleep and not wake up my face is drooping"

    blanked = rules.without_wishes(text)

    assert len(blanked.split(" ")) == len(text.split(" "))
    assert "wake" not in blanked and blanked.endswith("my face is drooping")
    assert rules.without_wishes("she is not waking up") == "she is not waking up"


def test_someone_else_who_will_not_wake_is_a_second_concern_beside_a_crisis(
    engine: Engine,
) -> None:
    answer = engine.answer("I want to die, my husband fell asleep and not wake up after the pills")

    assert answer.category == "self-harm"
    assert engine.triage.categories.get(answer.also).tier.id == "emergency"


def test_a_plan_to_overdose_gets_the_crisis_lines_before_a_poisonings() -> None:
    crisis, poison = CATEGORIES.get("self-harm"), CATEGORIES.get("swallowed-too-much")

    text = to_text(urgent(crisis.reply(also=poison)))

    assert text.index(crisis.concern) < text.index(poison.concern)
