"""The safety layer through the real engine: emergencies first, then cautions that fit."""

from __future__ import annotations

import pytest

from faq.build import default_data_dir, load_rules
from faq.corpus import load_corpus
from faq.engine import Engine
from faq.model import Answer, Status
from faq.render import to_text
from faq.rules import read_yaml
from tests.conftest import names_its_concern, picked

# What each kind of emergency reply must say: where to call.


def cautions_by_id() -> dict[str, str]:
    return {
        str(rule["id"]): str(rule["message"])
        for rule in read_yaml(default_data_dir() / "safety.yaml")["cautions"]
    }


EMERGENCIES = [
    ("chest-pain", "I have chest pain after taking magnesium"),
    ("chest-pain", "my chest feels tight and heavy"),
    ("chest-pain", "there's a crushing pressure in my chest"),
    ("chest-pain", "I think my dad is having a heart attack"),
    ("chest-pain", "i have been having chest pains"),
    # as typed (session 63): "hart attack", "heartattack" were missed by every layer
    ("chest-pain", "hart attack my mum help"),
    ("chest-pain", "i think im having a heartattack"),
    ("fainted-now", "I fainted after my magnesium tablet"),
    ("fainted-now", "my husband fainted twice this morning"),
    ("fainting", "I fainted at work"),
    ("passed-out", "my mum passed out in the kitchen"),
    ("unresponsive", "he collapsed and is unresponsive"),
    ("unresponsive", "she is not breathing"),
    ("floor-not-answering", "my dad is on the bathroom floor and not answering me"),
    ("floor-not-answering", "the lady next door is on the pavement and not responding"),
    ("passed-out", "my dad collapsed in the bathroom"),
    ("resuscitation-now", "my wife is doing cpr on my dad, the ambulance is coming"),
    ("resuscitation-now", "paramedics are giving my husband chest compressions"),
    ("resuscitation-now", "cpr being done on my father, how long till the ambulance"),
    ("resuscitation-now", "the defib says shock advised, he is on the floor"),
    ("resuscitation-now", "they are shocking my dad with the defibrillator"),
    ("defib-fetched", "someone ran to get the defib, my husband is on the floor"),
    ("defib-fetched", "the aed is on its way, he just dropped in the car park"),
    ("fainting", "I feel faint"),
    ("heart-racing", "my heart is racing since I took magnesium"),
    ("heart-racing", "my heart is pounding and I feel awful"),
    ("heartbeat", "I have an irregular heartbeat tonight"),
    ("heartbeat", "my pulse is 38 and I feel weak"),
    ("heartbeat", "I'm getting palpitations after the supplement"),
    ("heartbeat", "I have a slow heartbeat since starting magnesium"),
    ("breathing", "I can't breathe properly"),
    ("breathing", "I'm short of breath and my legs ache"),
    ("breathing", "my throat is swelling after the tablet"),
    ("no-air", "I become no air, help"),
    ("no-air", "my husband is not getting enough air"),
    ("allergic-airway", "my son got stung no epipen throat closing up"),
    ("allergic-airway", "she ate something with peanuts and now she cant breathe properly"),
    ("anaphylaxis-now", "my mum is in anaphylactic shock"),
    ("anaphylaxis-now", "I think I'm going into anaphylaxis"),
    ("mouth-swelling", "my lips are swelling up after the new supplement"),
    ("mouth-swelling", "her tongue is swelling"),
    ("confusion-drowsiness", "my grandma is confused and very drowsy after her magnesium"),
    ("confusion-drowsiness", "I can barely stay awake after taking magnesium"),
    ("confusion-drowsiness", "she is disoriented and incoherent"),
    ("swallowed-too-many", "I took the whole bottle of magnesium"),
    ("swallowed-too-many", "I swallowed 20 magnesium tablets"),
    ("swallowed-too-many", "I accidentally took all of my pills at once"),
    ("swallowed-too-many", "I think I overdosed on magnesium"),
    ("child-took-pills", "my toddler ate some magnesium gummies"),
    ("child-took-pills", "my son swallowed some magnesium tablets"),
    ("child-took-pills", "my 2 year old got into my magnesium gummies"),
    ("blood-clot", "my calf is swollen, warm and red"),
    ("blood-clot", "after a long flight my left calf is swollen and painful"),
    ("blood-clot", "my calf is red, hot and swollen after surgery"),
    ("cold-pale-leg", "my foot is cold and pale and I can't feel it"),
    ("cold-pale-leg", "my leg has gone cold and blue"),
    ("stroke", "my face is drooping on one side"),
    ("stroke", "he is slurring his words"),
    ("stroke", "suddenly my arm went weak and numb on one side"),
    ("long-cramp", "my cramp has lasted 20 minutes and won't stop"),
    ("long-cramp", "I've had a calf cramp for over an hour"),
    ("long-cramp", "my calf has been cramping for ten minutes"),
    ("quinine-harm", "I'm on quinine and my legs are covered in tiny purple spots"),
    ("quinine-harm", "my gums keep bleeding since I started the quinine"),
    ("hands-into-claws", "my hands have locked into claws and my lips are tingling"),
    ("hands-into-claws", "had my thyroid out yesterday and now my fingers are clawing"),
    ("hard-limb-after-injury", "got kicked in the shin at football and it's rock hard now"),
    ("hard-limb-after-injury", "since the crash my calf is tight as a drum and numb"),
    ("saddle-numbness", "my back is agony and now my bum and between my legs are numb"),
    ("saddle-numbness", "bad back all week, today I wet myself without feeling it, legs weak"),
    ("water-and-muddled", "he drank litres of water at the marathon, now confused and vomiting"),
    ("water-and-muddled", "drank loads of water all day, now a pounding headache and being sick"),
    (
        "weakness-creeping-up",
        "tingling started in my feet and the weakness is creeping up to my knees",
    ),
    (
        "weakness-creeping-up",
        "after a stomach bug my legs are weak and it's moving up, cant do stairs",
    ),
    ("paralysed-on-magnesium", "my legs feel paralysed since the magnesium laxative"),
    ("paralysed-on-magnesium", "lost my reflexes after the epsom salts I drank"),
    ("tetanus", "I have lockjaw"),
    ("tetanus", "I stepped on a rusty nail and now my muscles are stiff"),
    ("tetanus", "I cut my foot on a rusty nail and now my jaw is stiff"),
    ("stiff-jaw", "my jaw is stiff and I can't open it"),
    ("stiff-jaw", "his jaw has gone stiff and he cant open his mouth"),
    ("dark-urine", "my urine is dark brown after bad cramps"),
    ("dark-urine", "my pee looks like cola after the marathon"),
    ("seizure", "my daughter is having a seizure"),
    ("cant-walk", "i cant feel my legs and cant walk"),
    ("cant-walk", "suddenly i cant stand up at all"),
    ("seizure", "my wife is having convulsions"),
    ("seizure", "He is having a fit"),
    ("seizure", "an old man is fitting in the park"),
    ("seizure-signs", "is he having a fit? he's shaking all over and not answering"),
    ("seizure-signs", "is she having a seizure? she went stiff and is jerking"),
    ("low-blood-pressure", "my blood pressure is 75/45 and I feel awful after the magnesium"),
    ("severe-weakness", "so weak i can barely lift my arms after all that milk of magnesia"),
    ("severe-weakness", "she is so weak she can barely stand since the magnesium"),
    ("fall-long-lie", "my mum fell and has been on the floor since last night"),
    ("fall-long-lie", "dad had a fall and cant get up, his legs are cramping"),
    ("pre-eclampsia", "34 weeks pregnant, pounding headache and my hands and face have puffed up"),
    ("pre-eclampsia", "32 weeks and seeing flashing lights"),
    ("low-blood-pressure", "her bp has dropped really low since she started magnesium"),
    ("self-harm", "I dont see the point anymore, thinking about taking all my pills"),
    ("confusion-drowsiness", "grandad is talking nonsense and can barely keep his eyes open"),
    ("heartbeat", "my heart keeps skipping beats since i took magnesium"),
    ("blood-clot", "my calf is hot and twice the size of the other one"),
    ("child-took-pills", "found my 3 year old with an open tub of my magnesium tablets"),
    ("child-took-pills", "my daughters eaten loads of my mag tablets"),
    ("swallowed-too-many", "my sons swallowed a bunch of my magnesium gummies"),
    ("self-harm", "I want to kill myself"),
    ("self-harm", "I feel suicidal"),
    ("self-harm", "I want to take all my pills to end it"),
    ("self-harm", "I don't want to wake up tomorrow"),
    ("self-harm", "I took my pills on purpose to not wake up"),
    ("crisis-signs", "I keep thinking about stepping out in front of a bus"),
    ("crisis-signs", "can you OD on quinine? I want to"),
    ("crisis-plans", "tied a rope to the banister"),
    ("crisis-plans", "I use a razor on my thighs when things get bad"),
]


#: What every reply of a tier must say, whichever category fired (triage.md's tiers).
TIER_WORDS = {
    "emergency": ("Call your emergency number now", "911", "999", "112", "000"),
    "urgent": ("Get seen today", "call your emergency number instead if it gets worse"),
    "poison": ("poison centre", "1-800-222-1222", "13 11 26"),
    "crisis": ("988", "Samaritans 116 123", "13 11 14", "findahelpline.com"),
}


def assert_emergency_reply(answer: Answer) -> None:
    """An emergency gets the urgent message and the disclaimer, and nothing from the FAQ."""
    assert answer.status is Status.RED_FLAG
    assert answer.entry is None
    assert answer.reply.sources == ()
    assert answer.reply.evidence is None
    assert answer.reply.cautions == ()
    assert answer.reply.suggestions == ()
    text = to_text(answer.reply)
    assert "Sources:" not in text
    assert "Evidence" not in text


def test_every_red_flag_rule_has_at_least_two_cases_in_the_table() -> None:
    covered = [rule for rule, _ in EMERGENCIES]

    assert {rule.id for rule in load_rules().triage.rules.rules} == set(covered)
    assert all(covered.count(rule) >= 2 for rule in covered)


def assert_tier_words(answer: Answer) -> None:
    """The emergency reply says where to call, as its tier requires."""
    text = to_text(answer.reply).casefold()
    assert answer.tier and answer.category
    for words in TIER_WORDS[answer.tier]:
        assert words.casefold() in text


@pytest.mark.parametrize(("rule", "message"), EMERGENCIES)
def test_with_rules_alone_an_emergency_gets_its_rule_and_no_faq_answer(
    lexical: Engine, rule: str, message: str
) -> None:
    answer = lexical.answer(message)  # rules alone: every rule flags

    assert answer.flags == (rule,)
    assert_emergency_reply(answer)
    assert_tier_words(answer)


@pytest.mark.parametrize(("rule", "message"), EMERGENCIES)
def test_beside_the_detector_an_emergency_gets_the_red_flag_reply(
    engine: Engine, rule: str, message: str
) -> None:
    answer = engine.answer(message)
    # a rule to confirm, or one that defers, leaves the flag to the detector where it reads it
    # (a rule to confirm if doubtful flags its examples outright: none is doubtful)
    confirm = {r.id for r in engine.triage.rules.rules if r.with_detector in ("confirm", "defer")}

    assert_emergency_reply(answer)
    assert_tier_words(answer)
    if rule not in confirm:  # a rule that flags outright names itself
        assert answer.flags == (rule,)
    assert names_its_concern(answer, message, engine.triage.rules.categories[rule])


@pytest.mark.parametrize(
    ("message", "category"),
    [
        ("my left calf is swollen and red and now i am short of breath", "breathing"),
        ("my face is drooping on one side and my calf is swollen and hot", "stroke"),
    ],
)
def test_a_rule_to_confirm_keeps_its_priority_over_a_later_rule_that_flags(
    engine: Engine, message: str, category: str
) -> None:
    assert engine.answer(message).category == category


@pytest.mark.parametrize(
    "message",
    [
        # session 63: these got the heart reply ("sit down and rest while you wait")
        "my dad had chest pain and now he collapsed and is not breathing",
        "chest pain then he passed out and isnt breathing",
        "heart attack no pulse",
        "heart attack, doing cpr now",
        # session 64: the first got no flag in either mode; the third only the net with rules
        # alone and the breathing reply (no CPR) beside the detector
        "the paramedics are on the phone telling me to do CPR",
        "999 told me to start compressions on him",
        "he fall down and not breathe",
        "my grandmother no breathe, no wake",
    ],
)
def test_someone_to_resuscitate_gets_cpr_whatever_else_is_told(
    engine: Engine, lexical: Engine, message: str
) -> None:
    for answer in (engine.answer(message), lexical.answer(message)):
        assert answer.category == "collapse"
        assert "start CPR" in to_text(answer.reply)


@pytest.mark.parametrize(
    "message",
    [
        "i can not breathe and my chest is tight",
        "he can not breathe, he is wheezing",
        "im not breathing properly",
        "I feel like I'm not breathing right, chest tight",
        "why am i not breathing properly right now",
        "she isnt breathing properly",
        "my dad has chest pain and is not breathing properly",
    ],
)
def test_not_breathing_properly_is_no_one_to_resuscitate(
    engine: Engine, lexical: Engine, message: str
) -> None:
    for answer in (engine.answer(message), lexical.answer(message)):
        assert answer.status is Status.RED_FLAG
        assert answer.category in {"breathing", "heart"}


def test_the_crisis_reply_gives_the_988_and_samaritans_numbers(engine: Engine) -> None:
    text = to_text(engine.answer("I want to kill myself").reply)

    assert "Call or text 988" in text
    assert "Samaritans 116 123" in text


@pytest.mark.parametrize(
    "message",
    [
        "can magnesium cause chest pain?",
        "what are the signs of a blood clot vs a cramp",
        "how long should a cramp last",
        "what are the symptoms of too much magnesium",
        "does magnesium cause palpitations",
        "can too much magnesium make you faint",
        "is it dangerous to take magnesium with a heart condition",
        "what happens if you take too much magnesium",
        "can a child take magnesium gummies",
        "how much magnesium can a toddler have",
        "is magnesium safe for my son",
        "can magnesium cause diarrhea",
        "my legs cramp at night, will magnesium help",
        "I get calf cramps after running",
        "what does an overdose of magnesium feel like",
        "can magnesium make you drowsy",
        "does magnesium oil sting on broken skin",
        "how do I stop a cramp right now",
        "is quinine safe for leg cramps",
        "can leg cramps be a sign of something serious",
        "when should I see a doctor about leg cramps",
        "does magnesium help restless legs",
        "my cramps wake me up every night",
        "how many magnesium tablets can I take a day",
        "is it bad to take two magnesium pills",
        "can you overdose on magnesium",
        "what are the signs of low magnesium",
        "could a cramp last for hours",
        "What if a cramp lasts more than 10 minutes?",
        "does dark urine mean dehydration after exercise",
        "can magnesium cause seizures",
    ],
)
def test_a_general_question_with_a_scary_word_is_not_an_emergency(
    engine: Engine, message: str
) -> None:
    answer = engine.answer(message)

    assert answer.status is not Status.RED_FLAG, answer.flags


@pytest.mark.parametrize("entry_id", [entry.id for entry in load_corpus()])
def test_a_red_flag_wins_over_a_perfect_faq_question(engine: Engine, entry_id: str) -> None:
    entry = engine.entry(entry_id)
    assert entry is not None

    answer = engine.answer(f"{entry.question} I took the whole bottle.")

    assert answer.flags == ("swallowed-too-many",)
    assert_emergency_reply(answer)


@pytest.mark.parametrize(
    ("message", "category"),
    [
        ("How long does magnesium take to work for leg cramps? I fainted.", "collapse"),
        ("Is magnesium glycinate or citrate better for night cramps? I keep fainting.", "collapse"),
        ("How long does magnesium take to work for leg cramps? I passed out.", "collapse"),
        ("How long does magnesium take to work for leg cramps? My heart is racing.", "heart"),
        ("How long does magnesium take to work for leg cramps? My heart is pounding.", "heart"),
        ("Which magnesium is best for cramps? I can't breathe.", "breathing"),
        ("Is magnesium safe? My foot is cold and white.", "leg-artery"),
        # one sentence: the clause after the general question confirms it
        ("can magnesium cause fainting, i keep fainting today", "collapse"),
        ("what are the symptoms of a stroke, my husbands words are slurred", "stroke"),
    ],
)
def test_a_warning_after_an_ordinary_question_is_confirmed_by_its_sentence(
    engine: Engine, message: str, category: str
) -> None:
    # the whole message reads as an ordinary question to the detector: a rule to confirm
    # is confirmed by the sentence it fired in (in a message of one sentence, its clause)
    answer = engine.answer(message)

    assert answer.status is Status.RED_FLAG and answer.category == category


@pytest.mark.parametrize(
    ("message", "category"),
    [
        (
            "my husband was reading the paper when he slumped over and he is not breathing",
            "collapse",
        ),
        ("he was reading a book when he stopped breathing", "collapse"),
        (
            "we were watching a film when my dad went grey and has crushing pain in his chest",
            "heart",
        ),
        (
            "Is it safe with my tablets? I was reading the paper when my chest got tight and heavy",
            "heart",
        ),
        ("Last night took 2000mg of magnesium, feel awful", "swallowed-too-much"),
        ("my son ate the last pack 2000 mg of magnesium gummies", "swallowed-too-much"),
        ("my face is numb on one side and my arm is weak since the dentist this morning", "stroke"),
        ("The dentist's injection was at 9 and 8 hours later my face is drooping", "stroke"),
        ("My heart is very slow and irregular after the epsom salt bath", "heart"),
        ("he is fitting and foaming at the mouth", "seizure"),
    ],
)
def test_context_cues_for_stories_dates_and_the_dentist_leave_real_emergencies_flagged(
    lexical: Engine, message: str, category: str
) -> None:
    # with rules alone: the media, past-date and dentist cues must not blank a warning sign
    answer = lexical.answer(message)

    assert answer.status is Status.RED_FLAG and answer.category == category


# Each beside a cue that blanks words (an idiom, a decade, a vaccine, a greeting, a narrowed
# match): the warning sign next to it still flags, with rules alone. Several come from a
# review of session 28's cues, which first blanked them.
@pytest.mark.parametrize(
    "message",
    [
        "it has been in the 90s all week and my dad is confused and has stopped sweating",
        "his pulse is back in the 40s, very drowsy after the magnesium drip",
        "my heart was racing watching the match and now I have crushing chest pain",
        "I couldn't breathe for laughing and now my lips are swelling and I am wheezing",
        "swollen calf? yes. hot? yes. red? yes.",
        "Stepped on a rusty nail on Sunday and I think ive got tetanus",
        "never had a tetanus jab, stepped on a rusty nail and now my muscles are stiff",
        "My toddler has had I dont know how many of the chewable magnesium tablets from my handbag",
        "hello can anyone help, old man collapsed at the bus stop, not breathing",
        "Sorry can you help quickly, customer collapsed in the shop and is fitting",
        "Quick question, can epsom salts cause this, very drowsy and breathing slowly after it",
        "Dad was fine at lunch. But was slurring words by dinner and the face dropped on one side.",
        "Not sure what to watch for but his lips are swelling and he is wheezing",
        "My husband passed out on the couch and woke up with his tongue bitten and had wet himself",
    ],
)
def test_a_warning_sign_beside_a_cue_that_blanks_words_still_flags(
    lexical: Engine, message: str
) -> None:
    assert lexical.answer(message).status is Status.RED_FLAG


def test_a_red_flag_in_the_second_sentence_of_a_faq_question_wins(engine: Engine) -> None:
    answer = engine.answer("How long does magnesium take to work for leg cramps? My chest hurts.")

    assert answer.flags == ("chest-pain",)
    assert_emergency_reply(answer)


@pytest.mark.parametrize(
    "message",
    [
        "I'm confused about which magnesium to take",
        "which form is best, I'm confused",
    ],
)
def test_being_confused_by_the_choice_of_forms_is_not_an_emergency(
    engine: Engine, message: str
) -> None:
    assert engine.answer(message).status is not Status.RED_FLAG


@pytest.mark.parametrize(
    "message",
    [
        "my toddler drank magnesium oil",
        "I took 5000mg of magnesium",
        "I just swallowed 3,000 mg of magnesium citrate",
        "my heart rate is 150 at rest",
    ],
)
def test_these_emergencies_are_recognised(engine: Engine, message: str) -> None:
    assert engine.answer(message).status is Status.RED_FLAG


@pytest.mark.parametrize(
    "message",
    [
        "I don't have chest pain, just cramps at night",
        "no chest pain or anything, just leg cramps",
    ],
)
def test_saying_a_symptom_is_absent_is_not_an_emergency(engine: Engine, message: str) -> None:
    assert engine.answer(message).status is not Status.RED_FLAG


CAUTIONS = [
    ("pregnancy", "I'm pregnant, how much magnesium should I take?"),
    # declined from session 22 to 65 (the topic head split it between pregnancy and magnesium
    # oil); offered since session 66's magnesium-oil answer names the oil twice more
    ("pregnancy", "expecting twins, does magnesium oil work for cramps"),
    ("pregnancy", "my midwife said to try magnesium, when should I take it"),
    ("breastfeeding", "I'm breastfeeding, is magnesium safe"),
    ("kidney", "I'm on dialysis, what magnesium is best for cramps"),
    ("kidney", "I have CKD stage 3, how much magnesium can I take"),
    ("kidney", "does magnesium help cramps if my kidneys are weak"),
    ("child", "can my 8 year old take magnesium for leg cramps"),
    ("child", "my teenager gets cramps after football, how much magnesium"),
    ("child", "my daughter has growing pains, what foods have magnesium"),
    ("medicine", "I take omeprazole, can I take magnesium for cramps"),
    ("medicine", "I'm on levothyroxine, when should I take magnesium"),
    ("medicine", "I'm on warfarin, does magnesium help leg cramps"),
    # session 70: words a review found the cautions missed
    ("kidney", "I'm on haemodialysis, which magnesium is best for cramps"),
    ("kidney", "I had a nephrectomy, how much magnesium can I take"),
    ("child", "my 3yo wakes with leg cramps, can I give magnesium"),
    ("child", "my 18 month old has cramps, how much magnesium is safe"),
    ("medicine", "I take amlodipine and aspirin, can I take magnesium for cramps"),
    ("medicine", "I'm on lisinopril, does magnesium help leg cramps"),
    # session 71: a medicine no list names, read by its family's ending
    ("medicine", "I'm on candesartan, does magnesium help leg cramps"),
    ("medicine", "on rosuvastatin and getting cramps, will magnesium help"),
    ("medicine", "I take fluoxetine, when should I take magnesium"),
    ("medicine", "I'm on carvedilol, does magnesium help leg cramps"),
]


@pytest.mark.parametrize(
    "message", ["lololol does magnesium help leg cramps", "does magnesium help leg cramps"]
)
def test_a_word_that_only_ends_like_a_medicine_gets_no_medicine_caution(
    engine: Engine, message: str
) -> None:
    answer = engine.answer(message)

    assert answer.status is Status.ANSWERED
    assert cautions_by_id()["medicine"] not in to_text(answer.reply)


@pytest.mark.parametrize(("caution", "message"), CAUTIONS)
def test_a_question_that_mentions_a_risk_group_gets_the_matching_caution(
    engine: Engine, caution: str, message: str
) -> None:
    answer = engine.answer(message)

    assert answer.status in (Status.ANSWERED, Status.UNSURE)
    assert cautions_by_id()[caution] in to_text(answer.reply)


def test_a_question_split_between_two_entries_carries_its_caution_whatever_is_decided(
    engine: Engine,
) -> None:
    answer = engine.answer("expecting twins, does magnesium oil work for cramps")

    assert cautions_by_id()["pregnancy"] in to_text(answer.reply)


def test_a_question_that_mentions_two_risk_groups_gets_both_cautions(engine: Engine) -> None:
    text = to_text(engine.answer("I'm pregnant and on dialysis, can I take magnesium").reply)

    assert cautions_by_id()["pregnancy"] in text
    assert cautions_by_id()["kidney"] in text


@pytest.mark.parametrize(
    ("entry_id", "message", "caution"),
    [
        ("food-sources", "I'm pregnant, which foods have magnesium", "pregnancy"),
        ("magnesium-oil", "I'm on dialysis, is magnesium oil ok", "kidney"),
        ("when-to-take", "I take metformin, when should I take magnesium", "medicine"),
        ("stop-cramp-now", "my 6 year old has a cramp right now", "child"),
    ],
)
def test_the_caution_follows_the_question_whatever_entry_answers_it(
    engine: Engine, entry_id: str, message: str, caution: str
) -> None:
    answer = picked(engine, entry_id, message)
    assert answer is not None

    assert cautions_by_id()[caution] in answer.reply.cautions
    assert "⚠️ " + cautions_by_id()[caution] in to_text(answer.reply)


@pytest.mark.parametrize(
    "message",
    [
        "which magnesium is best for leg cramps",
        "how long does magnesium take to work",
        "does magnesium oil work",
        "can you overdose on magnesium",
        "what is a charley horse",
    ],
)
def test_no_caution_is_added_when_none_applies(engine: Engine, message: str) -> None:
    answer = engine.answer(message)

    assert answer.reply.cautions == ()
    assert "You mentioned" not in to_text(answer.reply)


# Written after the rule tables, as probes: each set once caught a gap in the rules.
MORE_EMERGENCIES = [
    "my chest feels tight and heavy since the magnesium",
    "there's a crushing feeling in my chest",
    "I passed out for a minute after my magnesium this morning",
    "my husband collapsed in the kitchen",
    "heart rate is 38 and i feel awful",
    "my pulse is all over the place",
    "I'm gasping for air",
    "my lips are turning blue",
    "i cant stop being sick and i feel so drowsy after too much milk of magnesia",
    "she's really confused and sleepy after taking her magnesium",
    "he won't wake up properly",
    "i swallowed the entire tub of magnesium gummies",
    "my toddler ate some magnesium gummies",
    "the baby got hold of my magnesium tablets",
    "calf has been red hot and swollen for a day",
    "my leg has gone cold and white and i cant feel my toes",
    "face drooping and arm weak",
    "my speech is slurred",
    "cramp has gone on for 45 mins and wont stop",
    "its been cramping for an hour nonstop",
    "i stood on a rusty nail last week and now my jaw is stiff",
    "my pee is the colour of coke after a massive cramp yesterday",
    "urine dark brown after severe leg pain",
    "i want to die",
    "i'm going to take all my pills",
    "nobody would care if i was gone",
    "i am having a seizure",
    "my leg cramp won't stop and my foot is turning blue",
    "im severely dehydrated and confused",
    "i cant feel my legs and cant walk",
    # session 40's known misses, caught since session 41: a whole sentence saying it is
    # happening now makes the questions reports; "no warning" or "no change" denies nothing
    "how long can a seizure go on before it's dangerous? My dad has it right now.",
    "does chest pain that spreads to the jaw and back mean a heart attack? It just started.",
    "had no warning, just collapsed",
    "no change, still fitting",
    "Did it help? No. Dizzy and confused after the magnesium",
    # session 41's known misses, caught since session 42: a question about breathing or
    # waking answered no; a tongue or lips swelling (a rule of its own); seizing for minutes
    "Is he responding? No.",
    "Can she swallow? No. Her tongue is swelling.",
    "No change, seizing for 8 minutes.",
    # the last clause of a question says it is happening now: anyone's situation
    "does a seizure that lasts more than 5 minutes need an ambulance, on minute 7",
    # a sign that has not stopped is not denied
    "my nose hasn't stopped bleeding since I started the quinine",
    # session 40-42's known misses, caught since session 44: "having one" after a question; a
    # reply that opens a sentence denies nothing after it; a rule matched once a sentence says
    # the question is happening now flags outright (the detector reads a question there)
    "how long can a seizure go on before it's dangerous? my dad is having one right now",
    "Dizzy any better? No, fainted twice since.",
    "What should you do if someone collapses? It's happening to my wife right now!!",
    "is it dangerous if your throat is closing up? It just started.",
    "Are you ok? No, I want to die",
    "Is he breathing ok? No, not breathing and lips blue",
    # a plea that opens the message is left out when the detector confirms the rule
    "if anyone here knows cpr my dad collapsed",
]
NOT_EMERGENCIES = [
    "can magnesium make your heart beat slow",
    "what are the signs of magnesium toxicity",
    "is it dangerous to take magnesium with kidney disease",
    "how do i tell a blood clot from a cramp",
    "my calf cramps every night, is that normal",
    "what happens if a child eats magnesium gummies",
    "can too much magnesium cause confusion",
    "does magnesium cause dark urine",
    "how long should a leg cramp last",
    "i take magnesium for cramps and sometimes feel a bit sleepy, is that normal",
    "my feet are always cold at night and i get cramps",
    "my leg feels weak after a bad cramp",
    "i feel a bit dizzy when i stand up, could it be low magnesium",
    "is it safe to take magnesium after a heart attack years ago",
    "my mum had a stroke last year, can she take magnesium for cramps",
    "my cramp lasted about 2 minutes, should i worry",
    "i get cramps when i run for an hour",
    "i have been taking magnesium for 2 weeks and cramps are still bad",
    "can magnesium oil burn your skin",
    "i took a double dose of magnesium by mistake yesterday, feel fine",
    # a general question and a past event in one sentence: the clause is not confirmed alone
    "can magnesium make you faint, my sister fainted once at school",
    "is it dangerous to pass out from a cramp, my husband passed out from the pain once",
    # a denial after a colon is a list of what is absent, not a reply
    "No: chest pain, swelling or dizziness. Just cramps",
    "Any chest pain? No, just a cramp",
    # "one" the writer has, not one they are having
    "is magnesium safe with a stent? my dad has one right now",
    # a word of a seizure in another sense, or in a question with nobody fitting: the
    # detector rules out seizure-signs (they get the safety net's line)
    "I've been fitting kitchen cabinets all day on my knees, calves cramp at night. mag?",
    "making a seizure salad for the kids tonight, does romaine have much magnesium",
    "big drugs seizure at the club last night so paperwork all morning, now both legs crampy",
    "what's the first aid for a seizure, my nephew has epilepsy and he's staying with us soon",
]


@pytest.mark.parametrize("message", MORE_EMERGENCIES)
def test_an_emergency_in_everyday_words_is_recognised(engine: Engine, message: str) -> None:
    assert_emergency_reply(engine.answer(message))


@pytest.mark.parametrize("message", NOT_EMERGENCIES)
def test_a_worried_but_ordinary_question_is_not_an_emergency(engine: Engine, message: str) -> None:
    assert engine.answer(message).status is not Status.RED_FLAG
