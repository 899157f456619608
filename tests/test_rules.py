"""The red-flag rule file: concepts matched on stems, clauses, priority, and its schema."""

from __future__ import annotations

import re
from dataclasses import fields
from pathlib import Path

import pytest
import yaml

from faq.build import default_data_dir, load_rules
from faq.cli import EXIT_FAILED, main
from faq.engine import Engine
from faq.maintain import rulediff
from faq.model import Status
from faq.rules import DataError, plain_words
from faq.triage.concepts import Near, Words, concepts_from
from faq.triage.context import _UNTARGETED, Context
from faq.triage.faults import read_safety
from faq.triage.rules import RuleHit
from faq.triage.schema import joined
from tests.conftest import names_its_concern, red_flag_at

RULES = load_rules().triage.rules  # read at collection: the examples parametrise tests
PRIORITY = {rule.id: rule.priority for rule in RULES.rules}
CATEGORY = RULES.categories
EXAMPLES = [(rule, text) for rule, texts in RULES.examples.items() for text in texts]
NOT_EXAMPLES = [(rule, text) for rule, texts in RULES.not_examples.items() for text in texts]


def raised(engine: Engine, text: str) -> str | None:
    """Give the red-flag rule a message raises through the engine's own reading, or None."""
    query = engine.analyse(text)
    hit = engine.triage.rules.red_flag(query.normalised, query.sentences)
    return hit.rule if hit else None


# ------------------------------------------------------------ what is happening now

NOT_NOW = [
    pytest.param(
        "Two years ago my calf was swollen, hot and red. Can I take magnesium?", id="past"
    ),
    pytest.param(
        "In 2019 I collapsed at work, they did an ECG, all fine since. Which magnesium is best?",
        id="past, the rest of its sentence",
    ),
    pytest.param(
        "My husband fainted last week, the hospital said it was nothing. Can he take magnesium?",
        id="a recent past that was checked",
    ),
    pytest.param("if my dad ever collapsed, what should I do?", id="hypothetical"),
    pytest.param("how would I know if my calf was swollen and hot from a clot?", id="how would I"),
    pytest.param("calf cramp but the leg isn't swollen, hot or red", id="ruled out"),
    pytest.param("that cramp nearly gave me a heart attack lol", id="an idiom"),
    pytest.param("My son had one seizure in March, EEG normal. Can he take magnesium?", id="month"),
    pytest.param(
        "Went to the ED with a racing heart, ECG normal, sent home. Is magnesium in pre-workout?",
        id="a visit that found nothing",
    ),
    pytest.param("I'm a teacher - what should I do if a pupil faints in PE?", id="what if, later"),
    pytest.param("can magnesium give chest pain? I read it on a forum", id="a general question"),
    pytest.param("my heart skipped a beat when I saw the bill, which magnesium?", id="idiom 2"),
    pytest.param("my pee is dark yellow in the morning, is that normal", id="dark yellow"),
    pytest.param("my son ate 3 gummies last year, poison centre said he was fine", id="old poison"),
    pytest.param("she collapsed once when she was 15, never since", id="an age in digits"),
    pytest.param("I passed out once in my 30s, is magnesium ok?", id="a decade of life"),
    pytest.param(
        "awful cramp last night, went on for 20 minutes, it's gone now. Which magnesium?",
        id="a long cramp that has ended",
    ),
    pytest.param(
        "I get palpitations now and then, my GP said they're harmless, can I take magnesium?",
        id="now and then, said harmless",
    ),
    pytest.param("my legs aren't swollen or red, just crampy at night", id="aren't"),
    pytest.param(
        "how would I know if my dad was having a stroke or just being tired?", id="just being"
    ),
    pytest.param(
        "what would happen if my toddler ever ate my magnesium gummies? just childproofing",
        id="a poison question that says nothing has happened",
    ),
    pytest.param("ate beetroot at lunch and now my pee is pink, magnesium?", id="beetroot first"),
    pytest.param("I cut myself shaving this morning, is magnesium ok?", id="an injury, not harm"),
    pytest.param(
        "what happens if a child swallows a bottle of gummies? just planning ahead",
        id="a poison question planned ahead",
    ),
    pytest.param("my lip is numb from the dentist, which magnesium?", id="numb from the dentist"),
    pytest.param("Any chest pain? No. Just the calf cramp, which magnesium?", id="asked, denied"),
    pytest.param(
        "Did the magnesium help? No. Chest pain? No. Just the same cramps at night.",
        id="a sign asked about, then answered no",
    ),
    pytest.param(
        "Symptoms I do NOT have:\n- chest pain\n- dizziness\nSo is magnesium safe for me?",
        id="a list after a denial and a colon",
    ),
    pytest.param(
        "Can you overdose on magnesium and pass out? My wife has it now. She takes 2 a day.",
        id="now, then what it is about",
    ),
    pytest.param(
        "how long can a seizure last before it's dangerous? for my nursing exam. now!!",
        id="now, about an exam",
    ),
    pytest.param(
        "can leg cramps be a sign of a heart attack? I've got one right now.",
        id="'one' right now is the cramp",
    ),
    pytest.param(
        "My pharmacy has them now. What are the warning signs of a heart attack?",
        id="a shop has them now",
    ),
    pytest.param(
        "🙏\nno chest pain or trouble breathing, is magnesium ok with my heart pills?",
        id="a denial after a line with no words",
    ),
    pytest.param("Not swollen. Nor red. Which magnesium?", id="a denial, then nor"),
    pytest.param(
        "how long can a seizure last before it's an emergency? my nan has it now, she likes it",
        id="a sentence saying more than now",
    ),
    pytest.param("my coughing fit wont stop, it's been going 10 minutes", id="a coughing fit"),
    pytest.param(
        "my toddler threw a massive fit, 10 minutes and she's still going", id="a tantrum"
    ),
    pytest.param(
        "the fit stopped, it's been 10 minutes and he's sleeping", id="a fit that stopped"
    ),
    pytest.param("it wasn't a fit, it's been 10 minutes of leg cramp", id="not a fit"),
    pytest.param("I won't stop until I'm fit", id="getting fit"),
]
NOT_NOW += [
    pytest.param("is a fit longer than 5 minutes an emergency", id="a fit's length asked about"),
    pytest.param(
        "my son had a fit that lasted 6 minutes last year, is magnesium ok for him",
        id="a long fit last year",
    ),
    pytest.param(
        "the epilepsy nurse says call 999 for a fit longer than 5 minutes, is magnesium safe "
        "with keppra",
        id="a care plan's threshold",
    ),
    pytest.param(
        "my son had seizures as a baby so far none this year, can he take magnesium",
        id="so far inside a clause",
    ),
    pytest.param(
        "my calf was swollen and hot last week, it's gone down, can i take magnesium",
        id="gone down is gone",
    ),
    pytest.param(
        "my face is still numb like 5 hours after the dentist, is that normal",
        id="numb like 5 hours after the dentist",
    ),
    pytest.param(
        "In a practice scenario, a toddler fitting with a temperature: what should you do first?",
        id="a practice scenario",
    ),
]
NOW = [
    pytest.param("I had a clot two years ago, now my calf is swollen, hot and red", id="now"),
    pytest.param("Two years ago I had a clot. My calf is swollen, hot and red", id="next sentence"),
    pytest.param("I had a clot in 2019 and my calf is swollen and hot again", id="again"),
    pytest.param("My husband fainted last week and just fainted again", id="recent, not resolved"),
    pytest.param("what should I do if my son just passed out", id="a hypothetical saying now"),
    pytest.param("no chest pain but my calf is swollen, hot and red", id="one sign ruled out"),
    pytest.param("she is not breathing", id="a negation that is the sign"),
    pytest.param(
        "my dad collapsed and won't wake up, what do I do if he stops breathing?",
        id="a sign before a hypothetical",
    ),
    pytest.param(
        "Is it normal to get chest pain on magnesium? Mine is crushing, started 10 minutes ago",
        id="is it normal",
    ),
    pytest.param(
        "I had a clot 3 years ago, yesterday my calf swelled up and went red",
        id="a recent day after a distant past",
    ),
    pytest.param("my cramp has lasted 25 minutes and it won't let go", id="lasted, still going"),
    pytest.param("cramp since last night and it has not gone", id="not gone"),
    pytest.param(
        "my husband fainted on Sunday, the nurse said that is not normal, now he is confused",
        id="said it is not normal",
    ),
    pytest.param("my dad just collapsed in the kitchen", id="just collapsed"),
    pytest.param("can barely breathe, very weak, took loads of magnesium", id="can barely"),
    pytest.param("I keep cutting myself again tonight", id="self-harm, not an injury"),
    pytest.param("cramps in my jaw since I stood on a nail", id="jaw cramps after a wound"),
    pytest.param(
        "Did it help? No. Dizzy and confused after the magnesium", id="a no ends its sentence"
    ),
    pytest.param("had no warning, just collapsed", id="no warning denies nothing"),
    pytest.param("not better, still fitting", id="not better denies nothing"),
    pytest.param(
        "how long can a seizure go on before it's dangerous? My dad has it right now.",
        id="a general question, then it is happening now",
    ),
    pytest.param(
        "what do you do when someone is fitting? 10 mins in", id="a hypothetical, then minutes in"
    ),
    pytest.param(
        "what do i do if shes not ok, her face is drooping. happening now",
        id="a report read first, before the questions as reports",
    ),
    pytest.param("Chest pain gone? No, worse.", id="a sign asked about, still there"),
    pytest.param(
        "Is it a heart attack? No idea. Chest pain? Never this bad. Sweating.",
        id="a sign asked about, answered but not denied",
    ),
    pytest.param(
        "No headache, face drooping on one side and arm weak", id="one sign denied, others not"
    ),
    pytest.param(
        "How do I know if it's a stroke or not, my dad's face is drooping. Happening now.",
        id="or not denies nothing",
    ),
    pytest.param(
        "I took 30 of my magnesium tablets all at once before bed", id="all at once is no past"
    ),
    pytest.param(
        "my dad fainted, he came round for a minute but now he's gone all floppy again",
        id="gone floppy is not gone",
    ),
    pytest.param("how do you stop a seizure, still going", id="a question, then it is still going"),
    pytest.param(
        "is a fit longer than 5 minutes an emergency, 6 minutes so far",
        id="so far ends the clause it is in",
    ),
    pytest.param(
        "what do you do when a toddler is fitting with a temperature, on minute 5",
        id="fitting with a temperature",
    ),
    pytest.param("my toddler is fitting with a raised temperature", id="toddler fitting"),
    pytest.param("my daughter's fit has lasted 7 minutes", id="a fit that has lasted minutes"),
    pytest.param(
        "i was diagnosed with a clot last year so far my calf is swollen and red",
        id="so far inside a clause after a past",
    ),
    pytest.param(
        "how do you stop a seizure, its still ongoing", id="a question, then still ongoing"
    ),
    pytest.param(
        "she had a fit and it's gone on 8 minutes", id="a fit, then a clause that it goes on"
    ),
    pytest.param(
        "how do you stop a fit, its been going 7 minutes", id="a question, then been going"
    ),
    pytest.param("his fits won't stop", id="fits that will not stop"),
    pytest.param(
        "do you do cpr if someone isn't breathing, right now",
        id="a question, then right now",
    ),
    pytest.param("is 7 minutes too long for a fit, she's still in it", id="a fit still going"),
    pytest.param("Not stopping. Fit. 6 minutes. What do I do", id="a fit not stopping"),
    pytest.param(
        "if someone is fitting and going blue what do I do, my wife is on the floor",
        id="a hypothetical, then a person on the floor",
    ),
    pytest.param(
        "what do you do when someone stops breathing, my husbands on the floor",
        id="a general question, then a person on the floor",
    ),
]


@pytest.mark.parametrize("text", NOT_NOW)
def test_a_sign_that_is_not_happening_now_raises_no_rule(text: str, lexical: Engine) -> None:
    assert raised(lexical, text) is None


@pytest.mark.parametrize("text", NOW)
def test_a_sign_happening_now_raises_a_rule_whatever_else_the_message_says(
    text: str, lexical: Engine
) -> None:
    assert raised(lexical, text) is not None


@pytest.mark.parametrize(
    "text",
    [
        "what if my toddler swallowed a whole bottle of magnesium gummies",
        "if I swallowed all my pills tonight would anyone even care",
    ],
)
def test_poison_and_crisis_rules_read_every_word(text: str, lexical: Engine) -> None:
    assert raised(lexical, text) in {"swallowed-too-many", "child-took-pills", "self-harm"}


# A phrase that settles an event ("they said it was nothing") settles what is told before it
# and a later sentence told as over (a time of its own, care given), not a report after it
# (session 47; until then it settled the whole message and these raised nothing)
SETTLED_THEN_NEW = [
    "they said it was nothing last time. He collapsed and had no pulse",
    "the hospital said it was fine. then he went grey and collapsed",
    "the gp said it was harmless. he took 40 of my magnesium tablets",
    "they said it was nothing last time but he collapsed and had no pulse",
]
SETTLED_AND_TOLD_AS_OVER = [
    "ECG normal. On Monday I had chest pain going into my arm and went to A&E. Can I take "
    "magnesium?",
    "all clear from the neurologist. she had a seizure on sunday that lasted 6 minutes",
    "I collapsed at the gym, they said it was dehydration and sent me home. can I take magnesium",
    "Cardiologist is happy with me. I had a heart attack and got two stents. Magnesium ok?",
    "The hospital said it was fine. He collapsed at work and they kept him in overnight.",
    "They said it was fine. When I had the clot my leg was hot and swollen. Can I take magnesium?",
]


@pytest.mark.parametrize("text", SETTLED_THEN_NEW)
def test_an_emergency_told_after_a_settled_one_raises_a_rule(text: str, lexical: Engine) -> None:
    assert raised(lexical, text) is not None


@pytest.mark.parametrize(
    ("settled", "going_on"),
    [
        ("all clear from neuro.", "she had a fit and its gone on 8 minutes"),
        ("they said it was nothing last time.", "her chest pain went down her arm"),
    ],
)
def test_a_sign_that_goes_on_is_no_phrase_that_settles(
    settled: str, going_on: str, lexical: Engine
) -> None:
    query = lexical.analyse(f"{settled} {going_on}")

    assert RULES.current(query.normalised, query.sentences).endswith(going_on)


@pytest.mark.parametrize("text", SETTLED_AND_TOLD_AS_OVER)
def test_a_settled_event_and_one_told_as_over_raise_no_rule(text: str, lexical: Engine) -> None:
    assert raised(lexical, text) is None


def test_the_rules_read_the_words_not_about_now_as_blanks(lexical: Engine) -> None:
    query = lexical.analyse("Two years ago I fainted, now my calf is not swollen.")

    assert RULES.current(query.normalised, query.sentences) == ("_ _ _ _ _ now my calf is _ _")


# ------------------------------------------------------------ the shipped rules' examples


def test_a_rule_that_defers_is_read_only_when_the_detector_is_off(
    engine: Engine, lexical: Engine
) -> None:
    message = "slipped disc flared up and I just wet myself without feeling it"

    flag = engine.triage.assess(engine.analyse(message)).flag

    assert raised(lexical, message) == "saddle-numbness"
    assert flag is None or flag.layer == "detector"


def test_every_red_flag_rule_has_at_least_two_examples() -> None:
    assert all(len(texts) >= 2 for texts in RULES.examples.values()), RULES.examples


@pytest.mark.parametrize(("rule", "text"), EXAMPLES, ids=[f"{r}: {t}" for r, t in EXAMPLES])
def test_each_example_raises_its_rule_or_one_before_it_of_the_same_category(
    rule: str, text: str, lexical: Engine
) -> None:
    fired = raised(lexical, text)

    assert fired is not None, f"{text!r} raises no rule"
    assert fired == rule or (
        CATEGORY[fired] == CATEGORY[rule] and PRIORITY[fired] > PRIORITY[rule]
    ), f"{text!r} raises {fired!r}"


@pytest.mark.parametrize(("rule", "text"), EXAMPLES, ids=[f"{r}: {t}" for r, t in EXAMPLES])
def test_beside_the_detector_each_example_still_gets_the_emergency_reply_of_its_category(
    rule: str, text: str, engine: Engine
) -> None:
    """A rule to confirm may be ruled out by the detector: never on its own examples; the
    detector may name another concern of the same tier ("my throat is swelling after the
    tablet": an allergy, not the breathing rule's own category)."""
    assert engine.triage.detector is not None
    answer = engine.answer(text)

    assert answer.status is Status.RED_FLAG, f"{text!r}: {answer.status}"
    assert names_its_concern(answer, text, CATEGORY[rule]), f"{text!r}: {answer.category}"


@pytest.mark.parametrize(("rule", "text"), NOT_EXAMPLES, ids=[f"{r}: {t}" for r, t in NOT_EXAMPLES])
def test_no_not_example_raises_any_rule(rule: str, text: str, lexical: Engine) -> None:
    assert raised(lexical, text) is None


def test_rules_are_tried_by_priority_then_in_file_order() -> None:
    priorities = [rule.priority for rule in RULES.rules]

    assert priorities == sorted(priorities, reverse=True)
    assert RULES.rules[0].id == "self-harm"


# ------------------------------------------------------------ concepts and clauses


CONCEPTS = concepts_from(
    {
        "chest": ["chest", "breastbone"],
        "pain": ["pain", "hurt", "tight"],
        "swallowed": ["=swallowed"],
        "long": ["10+ minutes", "half an hour"],
        "slow-pulse": ["30-45 bpm"],
        "not": ["wont", "will not"],
        "stop": ["stop", "go away"],
        "not-stopping": ["@not @stop"],
        "pins": ["pins and needles"],
        "kin": ["dad", "old dad", "=mum", "my dad"],
        "who": ["him", "my @kin", "@kin"],
        "cpr-on": ["cpr on @who", "@who on the floor now"],
        "nothing": ["=zzzqx"],
        "never": ["cpr on @nothing", "@nothing now"],
        "long-cramp": ["cramp for @long", "@long of @pins"],
    }
)


def found(names: list[str], text: str, within: int | None = None, **order: int) -> bool:
    """Tell whether a clause over these concepts holds in a normalised text."""
    clause = Near(tuple(CONCEPTS[n] for n in names), within, bool(order), order.get("gap"))
    return any(True for _ in clause.starts(Words.of(text)))


@pytest.mark.parametrize(
    ("names", "text", "within", "expected"),
    [
        (["chest", "pain"], "my chest hurts", 3, True),  # "hurts" is "hurt" stemmed
        (["chest", "pain"], "pains in my chest", 4, True),  # any order
        (["chest", "pain"], "tightness behind the breastbone", 4, True),
        (["chest", "pain"], "my chest is fine but my leg hurts a lot", 4, False),  # too far
        (["chest", "pain"], "my chest is fine but my leg hurts a lot", None, True),  # anywhere
        (["swallowed"], "my son swallowed some", None, True),
        (["swallowed"], "what if he swallows some", None, False),  # that very word only
        (["long"], "cramp for 25 minutes", None, True),
        (["long"], "cramp for 5 minutes", None, False),  # below the range
        (["long"], "over half an hour", None, True),  # a phrase word by word
        (["slow-pulse"], "pulse 38 bpm", None, True),
        (["slow-pulse"], "pulse 72 bpm", None, False),
        (["not-stopping"], "it will not go away", None, True),  # @not then @stop
        (["not-stopping"], "it will go away", None, False),
        (["pins"], "pins and needles in my feet", None, True),
        (["cpr-on"], "doing cpr on my old dad", None, True),  # a concept in a concept, mid-phrase
        (["cpr-on"], "cpr on mum", None, True),  # at the very end of the message
        (["cpr-on"], "cpr on mums", None, False),  # "=mum" is that very word, even nested
        (["cpr-on"], "my dad on the floor now", None, True),  # a concept first
        (["cpr-on"], "my dad on the floor", None, False),  # the phrase after it unfinished
        (["never"], "cpr on now", None, False),  # a concept that matches nothing, first or last
        (["long-cramp"], "a cramp for 12 minutes", None, True),  # a range inside a concept
        (["long-cramp"], "a cramp for 8 minutes", None, False),
        (["long-cramp"], "half an hour of pins and needles", None, True),
    ],
)
def test_a_clause_finds_its_concepts_on_stems_within_its_window(
    names: list[str], text: str, within: int | None, expected: bool
) -> None:
    assert found(names, text, within) is expected


def test_an_ordered_clause_wants_its_concepts_in_order_and_within_the_gap() -> None:
    assert found(["chest", "pain"], "chest pain", 3, gap=0)
    assert not found(["chest", "pain"], "pain in my chest", 6, gap=0)  # out of order
    assert not found(["chest", "pain"], "chest and the arm hurt", 6, gap=2)  # 3 words apart
    assert found(["chest", "pain"], "chest and arm hurt", 6, gap=2)


def test_a_concept_gives_each_place_it_occurs_once_however_many_ways_it_is_spelled() -> None:
    # "my dad" is both "my @kin" and "@kin" with "my dad" in it: one span, not two
    assert CONCEPTS["who"].spans(Words.of("cpr on my dad")) == [(2, 4), (3, 4)]
    assert CONCEPTS["cpr-on"].spans(Words.of("cpr on my old dad and him")) == [(0, 5)]


def test_a_concept_that_refers_to_itself_is_refused() -> None:
    with pytest.raises(ValueError, match="'a' refers to itself: a > b > a"):
        concepts_from({"a": ["@b"], "b": ["x @a"]})


def test_a_negation_right_before_a_clause_denies_it(engine: Engine) -> None:
    assert raised(engine, "no chest pain at all, just cramps") is None
    assert raised(engine, "chest pain right now") == "chest-pain"


@pytest.mark.parametrize(
    "message",
    [
        "my son got stung no epipen throat closing up",
        "no inhaler cant breathe",
        "no signal hes not breathing",
    ],
)
def test_something_lacked_denies_no_sign_after_it(lexical: Engine, message: str) -> None:
    # typed with no stop, "no epipen" once reached over the sign that followed it
    assert lexical.answer(message).status is Status.RED_FLAG


def test_a_sign_right_after_no_is_still_denied(lexical: Engine) -> None:
    assert raised(lexical, "no inhaler needed these days and no wheeze, just cramps") is None
    assert raised(lexical, "no one is unconscious, its just a bad cramp in my calf") is None
    assert raised(lexical, "no one here hes collapsed not breathing") == "unresponsive"


# ------------------------------------------------------------ the schema, through `magbot check`


def write_rules(data_dir: Path, old: str, new: str) -> None:
    """Replace one piece of the copied safety.yaml; fail loudly if it is not there once."""
    path = data_dir / "safety.yaml"
    text = path.read_text(encoding="utf-8")
    assert text.count(old) == 1, old
    path.write_text(text.replace(old, new), encoding="utf-8")


CHEST = "      - {near: [chest, chest-pain], within: 6, ordered: true}"
SEIZURE_HEAD = "  - id: seizure\n    category: seizure\n    priority: 50\n    personal: true\n"
#: the seizure rule's examples as the shipped file writes them (taken from it, so the
#: malformed copy below loses exactly them however they change)
_SEIZURE = re.search(
    re.escape(SEIZURE_HEAD) + r"(    examples:\n(?:      - .*\n)+)",
    (default_data_dir() / "safety.yaml").read_text(encoding="utf-8"),
)
assert _SEIZURE is not None, "safety.yaml: the seizure rule's head or examples moved"
SEIZURE_EXAMPLES = _SEIZURE[1]
MALFORMED = [
    pytest.param(
        CHEST,
        "      - {near: [chset, chest-pain], within: 6, ordered: true}",
        f"{red_flag_at('chest-pain')}: match[0]: concept 'chset' is not defined",
        id="a concept used but not defined",
    ),
    pytest.param(
        "  - id: chest-pain\n    category: heart\n",
        "  - id: chest-pain\n    category: hart\n",
        f"{red_flag_at('chest-pain')}: category 'hart' is not in triage/categories.yaml",
        id="a category that is not in categories.yaml",
    ),
    pytest.param(
        "      - '\\b(lethal|fatal|deadly|killing) (dose|amount|overdose|quantity)\\b'",
        "      - '\\b(lethal|fatal (dose'",
        f"{red_flag_at('self-harm')}: patterns[19]: not a valid regular expression: "
        "missing ), unterminated subpattern at position 16",
        id="a bad regular expression",
    ),
    pytest.param(
        "    unless:\n      - '\\b(can|could|does",
        "    unless:\n      - '\\b((can|could|does",
        f"{red_flag_at('mouth-swelling')}: unless[0]: not a valid regular expression: "
        "missing ), unterminated subpattern at position 2",
        id="a bad regular expression in unless",
    ),
    pytest.param(
        CHEST,
        "      - {near: [chest, chest-pain], within: 6, ordered: true, nearby: true}",
        f"{red_flag_at('chest-pain')}: match.0.nearby: unknown key",
        id="an unknown key",
    ),
    pytest.param(
        SEIZURE_HEAD + SEIZURE_EXAMPLES,
        SEIZURE_HEAD,
        f"{red_flag_at('seizure')}: examples: missing",
        id="a rule without examples",
    ),
    pytest.param(
        "  in: [in, 'on']",
        "  in: [in, on]",
        "concepts.in.1: Input should be a valid string (quote it: YAML reads a bare on, off, "
        "yes or no as true or false)",
        id="a bare on read as true",
    ),
    pytest.param(
        "  jaw: [jaw]\n",
        "  jaw: [jaw]\n  jaw: [jaws]\n",
        "'jaw' is written twice; keep one",
        id="a key written twice",
    ),
    pytest.param(
        "(when|since) (i|he|she|we|they|(my|our|his|her|their) \\w+) (was|were) (\\d+|",
        "(when|since) (i|he|she|we|they|(my|our|his|her|their) \\w+) (was|were) (\\\\d+|",
        "context.past[14]: \\\\d matches a backslash and a letter: in single quotes write \\d "
        "(YAML keeps both backslashes)",
        id="a doubled backslash",
    ),
    pytest.param(
        "examples: ['it happened once before']",
        "examples: ['it happened once']",
        "context.past[9]: example 'it happened once' is not matched by its pattern",
        id="an example its alternative does not match",
    ),
    pytest.param(
        "    - pattern: '\\bpreviously\\b'\n"
        "      examples: ['previously had a clot in that leg']\n",
        "    - pattern: '\\bpreviously\\b'\n",
        "context.past.11.examples: missing",
        id="an alternative without examples",
    ),
    pytest.param(
        "    - pattern: '\\bpreviously\\b'\n"
        "      examples: ['previously had a clot in that leg']\n",
        "    - '\\bpreviously\\b'\n",
        "context.past.11: Input should be a valid dictionary or instance of Alternative",
        id="an alternative written as a bare pattern",
    ),
    pytest.param(
        "examples: ['previously had a clot in that leg']",
        "examples: ['previously had a clot in that leg']\n      not_examples: ['years ago']",
        "context.past[11]: not_example 'years ago' is matched by the pattern",
        id="a not_example the pattern matches",
    ),
    pytest.param(
        "examples: ['no swollen lips just a', 'no face drooping or anything']",
        "examples: ['no swollen lips just a', 'no face drooping or anything']\n"
        "      not_examples: ['the engine on the old fergie is having a fit']",
        "context.ruled_out[0]: not_example 'the engine on the old fergie is having a fit' is "
        "matched by context.other_senses",
        id="a not_example the other list of what is ruled out matches",
    ),
    pytest.param(
        "    - pattern: '\\b(swallowed|overdosed?)\\b'",
        "    - pattern: '\\b((swallowed|overdosed?)\\b'",
        "context.alarm[7]: not a valid regular expression: missing ), unterminated subpattern "
        "at position 2",
        id="a bad alarm, named before the ordinary senses it guards are read",
    ),
    pytest.param(
        "['near heart attack as my son fell off the trampoline hes now not moving']",
        "['near heart attack as my son fell off the trampoline']",
        "context.other_senses[9]: not_example 'near heart attack as my son fell off the "
        "trampoline' is matched by the pattern",
        id="an ordinary sense's not_example with no alarm after it",
    ),
    pytest.param(
        "    - pattern: '\\bpreviously\\b'\n",
        "    - pattern: '\\b(previously)?\\b'\n",
        "context.past[11]: matches an empty text, so the whole pattern would match every clause",
        id="an alternative that matches nothing at all",
    ),
    pytest.param(
        "    - pattern: '\\bpreviously\\b'\n",
        "    - pattern: '\\b(previously) \\1\\b'\n",
        "context.past[11]: a numbered back-reference (\\1) points elsewhere once alternatives "
        "are joined",
        id="a back-reference in an alternative",
    ),
    pytest.param(
        "    - pattern: '\\bseizures? (free|control",
        "    - pattern: '\\bseizures? ((free|control",
        "context.ruled_out[9]: not a valid regular expression: missing ), unterminated "
        "subpattern at position 12",
        id="a bad alternative",
    ),
    pytest.param(
        "  earlier: '\\b(yesterday|",
        "  earlier: '\\b((yesterday|",
        "context.earlier: not a valid regular expression: missing ), unterminated subpattern "
        "at position 2",
        id="a bad context pattern",
    ),
    pytest.param(
        "plea: '((^|\\s+)(?>(so |",
        "plea: '(((^|\\s+)(?>(so |",
        "plea: not a valid regular expression: missing ), unterminated subpattern at position 0",
        id="a bad plea pattern",
    ),
    pytest.param(
        CHEST,
        "      - {near: [chest, chest-pain], within: 6, gap: 1}",
        f"{red_flag_at('chest-pain')}: match[0]: gap: needs ordered: true",
        id="a gap in an unordered clause",
    ),
    pytest.param(
        "  - id: stroke\n    category: stroke\n    priority: 50\n    with_detector: confirm\n",
        "  - id: stroke\n    category: stroke\n    priority: 50\n    with_detector: maybe\n",
        f"{red_flag_at('stroke')}: with_detector: Input should be 'flag', 'confirm', 'defer' "
        "or 'confirm if doubtful'",
        id="an unknown with_detector",
    ),
]


@pytest.mark.parametrize(("old", "new", "reason"), MALFORMED)
def test_check_names_the_rule_file_the_rule_and_the_reason_and_exits_1(
    capsys: pytest.CaptureFixture[str], data_dir: Path, old: str, new: str, reason: str
) -> None:
    write_rules(data_dir, old, new)

    code = main(["--data", str(data_dir), "check"])
    out, err = capsys.readouterr()

    assert code == EXIT_FAILED
    assert out == ""
    assert err == f"magbot: a rule file is not valid: {data_dir / 'safety.yaml'}: {reason}\n"


def test_an_example_a_pattern_misreads_is_found_by_the_check_every_command_runs_first(
    capsys: pytest.CaptureFixture[str], data_dir: Path
) -> None:
    # loading the rules leaves the examples unread, to start fast; a rule file not yet
    # checked is checked before any command uses it, and refused as `magbot check` refuses it
    write_rules(data_dir, "examples: ['it happened once before']", "examples: ['it happened once']")
    assert load_rules(data_dir).triage.rules.authoring_faults() == [
        "context.past[9]: example 'it happened once' is not matched by its pattern"
    ]

    code = main(["--data", str(data_dir), "ask", "--lexical", "how much magnesium for cramps"])
    out, err = capsys.readouterr()

    assert (code, out) == (EXIT_FAILED, "")
    assert err.startswith(f"magbot: a rule file is not valid: {data_dir / 'safety.yaml'}: ")


def test_a_pattern_list_that_matches_an_empty_text_is_refused_at_load(data_dir: Path) -> None:
    # the examples wait for the check, but a list that matches every clause turns rules off
    # (the past context would blank every sign), so loading alone refuses it
    old, new = "'\\bpreviously\\b'", "'\\b(previously)?\\b'"
    write_rules(data_dir, f"    - pattern: {old}\n", f"    - pattern: {new}\n")

    with pytest.raises(DataError) as caught:
        load_rules(data_dir)

    assert str(caught.value) == (
        f"{data_dir / 'safety.yaml'}: context.past[11]: matches an empty text, so the whole "
        "pattern would match every clause"
    )


def test_a_rule_to_confirm_if_doubtful_needs_the_doubtful_patterns(data_dir: Path) -> None:
    path = data_dir / "safety.yaml"
    spec = yaml.safe_load(path.read_text())
    del spec["doubtful"]
    path.write_text(yaml.safe_dump(spec))

    with pytest.raises(DataError) as caught:
        load_rules(data_dir)

    doubting = [
        r["id"] for r in spec["red_flags"] if r.get("with_detector") == "confirm if doubtful"
    ]
    assert "chest-pain" in doubting
    assert str(caught.value).splitlines() == [
        f"{path}: doubtful: missing, but {', '.join(doubting)} say confirm if doubtful"
    ]


def test_check_warns_of_a_doubtful_section_no_rule_reads(
    capsys: pytest.CaptureFixture[str], data_dir: Path
) -> None:
    path = data_dir / "safety.yaml"
    text = path.read_text(encoding="utf-8")
    assert "with_detector: confirm if doubtful" in text
    path.write_text(text.replace("with_detector: confirm if doubtful", "with_detector: confirm"))

    code = main(["--data", str(data_dir), "check"])
    out, _ = capsys.readouterr()

    assert code == 0  # a warning: the rules still load and flag
    assert f"{path}: warning: doubtful: read by no rule" in out
    assert out.rstrip().endswith("1 warning: ok")


def test_the_shipped_rules_read_every_section(lexical: Engine) -> None:
    assert lexical.triage.rules.unread_sections() == ()


@pytest.mark.parametrize("key", ["forms", "never_with"])
def test_an_empty_doubtful_pattern_is_a_fault(data_dir: Path, key: str) -> None:
    path = data_dir / "safety.yaml"
    spec = yaml.safe_load(path.read_text())
    spec["doubtful"][key] = ""
    path.write_text(yaml.safe_dump(spec))

    with pytest.raises(DataError) as caught:
        load_rules(data_dir)

    assert str(caught.value).splitlines() == [f"{path}: doubtful.{key}: is empty"]


@pytest.mark.parametrize("key", ["forms", "never_with"])
def test_the_doubtful_examples_match_as_the_typo_corrector_leaves_them(
    lexical: Engine, key: str
) -> None:
    # `magbot check` matches each example as plain words; the rules read the corrected
    # text, which turned "osce", "holter" and "reddit" into "once", "older" and "credit"
    spec = read_safety(yaml.safe_load((default_data_dir() / "safety.yaml").read_text()))
    assert spec.doubtful is not None
    written = getattr(spec.doubtful, key)
    whole = re.compile(joined(written))
    read = lexical.analyse

    missed = [
        example
        for alternative in written
        for example in alternative.examples
        if not re.search(alternative.pattern, read(example).normalised)
    ]
    matched = [
        example
        for alternative in written
        for example in alternative.not_examples
        if whole.search(read(example).normalised)
    ]

    assert len(written) > 1
    assert (missed, matched) == ([], [])


def test_no_example_of_a_rule_to_confirm_if_doubtful_is_in_doubt(lexical: Engine) -> None:
    doubting = {rule.id for rule in RULES.rules if rule.doubts}
    examples = [(rule, lexical.analyse(text)) for rule, text in EXAMPLES if rule in doubting]

    doubted = [
        query.text
        for rule, query in examples
        if lexical.triage.rules.in_doubt(rule, query.normalised, query.sentences)
    ]

    assert len(examples) > 20
    assert doubted == []


def test_every_fault_of_a_rule_file_is_listed_each_on_its_own_line(data_dir: Path) -> None:
    write_rules(data_dir, CHEST, "      - {near: [chest, chest-pain], within: 0, ordered: true}")
    write_rules(data_dir, "  - id: seizure\n", "  - id: seizure\n    colour: red\n")

    with pytest.raises(DataError) as caught:
        load_rules(data_dir)

    assert str(caught.value).splitlines() == [
        f"{data_dir / 'safety.yaml'}: {red_flag_at('chest-pain')}: match.0.within: "
        "Input should be greater than or equal to 1",
        f"{data_dir / 'safety.yaml'}: {red_flag_at('seizure')}: colour: unknown key",
    ]


SCOPE_FAULTS = [
    pytest.param(
        "  - id: requests\n    patterns: ['\\b(poem",
        "  - id: requests\n    patterns: ['(\\b(poem",
        "off_topic[3] (requests): patterns[0]: not a valid regular expression: "
        "missing ), unterminated subpattern at position 0",
        id="a bad regular expression",
    ),
    pytest.param(
        "  - id: greeting\n",
        "  - id: greeting\n    reply: hello\n",
        "chitchat[0] (greeting): reply: unknown key",
        id="an unknown key",
    ),
    pytest.param(
        "\nin_scope_words: ",
        "\nin_scope: ",
        "in_scope_words: missing",
        id="a missing key",
    ),
    pytest.param(
        "(@remedy) (or|vs|versus)",
        "(@remedies) (or|vs|versus)",
        "off_topic[6] (other-remedies): @remedies is not in lists",
        id="a named list that is not in lists",
    ),
    pytest.param(
        "\n  words: '",
        "\n  words: '(",
        "settled.words: not a valid regular expression: missing ), unterminated subpattern at"
        " position 0",
        id="a bad regular expression in settled",
    ),
    pytest.param(
        "\n  asked: '",
        "\n  asked: '(@purposes)",
        "settled.asked: @purposes is not in lists",
        id="a named list in settled that is not in lists",
    ),
    pytest.param(
        "\n  remedy: '",
        "\n  Remedy: '",
        "lists: Remedy: a name is lower-case words joined by hyphens",
        id="a list name that is not lower case",
    ),
]


@pytest.mark.parametrize(("old", "new", "reason"), SCOPE_FAULTS)
def test_a_malformed_scope_file_is_refused_with_the_rule_and_the_reason(
    data_dir: Path, old: str, new: str, reason: str
) -> None:
    path = data_dir / "scope.yaml"
    text = path.read_text(encoding="utf-8")
    assert text.count(old) == 1, old
    path.write_text(text.replace(old, new), encoding="utf-8")

    with pytest.raises(DataError) as caught:
        load_rules(data_dir)

    assert str(caught.value).splitlines()[0] == f"{path}: {reason}"


# ------------------------------------------------------------ comparing two rule files


def test_rulediff_names_a_set_it_does_not_know_and_exits_2(
    capsys: pytest.CaptureFixture[str], data_dir: Path
) -> None:
    with pytest.raises(SystemExit) as exited:
        rulediff.main([str(data_dir / "safety.yaml"), "--sets", "heldout19.tsv"])

    assert exited.value.code == 2
    assert "not a tuning or development set: heldout19.tsv" in capsys.readouterr().err


def test_rulediff_lists_the_emergencies_an_edit_loses_and_exits_1(
    capsys: pytest.CaptureFixture[str], data_dir: Path
) -> None:
    shipped = data_dir / "shipped-safety.yaml"
    shipped.write_bytes((data_dir / "safety.yaml").read_bytes())
    write_rules(data_dir, CHEST + "\n", "")  # chest pain now only as "heart attack"
    keep_first_rows(data_dir / "triage" / "bank.tsv", 400)  # the whole bank takes a minute
    keep_first_rows(data_dir / "oos-bank.tsv", 50)

    code = rulediff.main([str(shipped), "--data", str(data_dir), "--sets", "sample.tsv"])
    lines = capsys.readouterr().out.splitlines()

    assert code == 1
    assert {line.split("\t")[1] for line in lines[:-1]} <= {"bank.tsv", "sample.tsv"}
    assert (
        "lost\tbank.tsv\theart\tchest-pain heart\t-\tchest pain right now spreading to my back"
        in lines
    )
    assert not any(line.startswith(("false-alarm", "caught")) for line in lines)


def test_rulediff_lists_a_word_an_edit_makes_the_corrector_read_as_another(
    capsys: pytest.CaptureFixture[str], data_dir: Path
) -> None:
    shipped = data_dir / "shipped-safety.yaml"
    rules = data_dir / "safety.yaml"
    shipped.write_bytes(rules.read_bytes())
    text = rules.read_text(encoding="utf-8")
    assert "|gaming|" in text
    rules.write_text(text.replace("|gaming|", "|gaming|lego|", 1), encoding="utf-8")
    keep_first_rows(data_dir / "triage" / "bank.tsv", 50)
    keep_first_rows(data_dir / "oos-bank.tsv", 50)

    rulediff.main([str(shipped), "--data", str(data_dir), "--sets", "dev3.tsv"])
    lines = capsys.readouterr().out.splitlines()

    assert "respelt\tlevo\tlevo\tlego" in lines  # levothyroxine, in one of dev3's questions
    assert lines[-1].endswith("respelt") and not lines[-1].endswith(" 0 respelt")


def keep_first_rows(table: Path, rows: int) -> None:
    """Cut a tab-separated table to its header and first rows: rulediff reads every row of
    the banks twice, and these tests need only a few."""
    lines = table.read_text(encoding="utf-8").splitlines(True)
    table.write_text("".join(lines[: rows + 1]), encoding="utf-8")


@pytest.mark.parametrize(
    "message",
    [
        "has anyone fainted after taking magnesium?",
        "my wife has fainted less since starting magnesium",
        "I've fainted a lot less since starting magnesium supplements",
        "my doctor asked if she had fainted after taking the tablets",
        "the GP keeps asking whether I fainted today or just got dizzy",
        "the swelling on my leg has fainted since starting magnesium",
        "she fainted once and not again since",
        "I nearly fainted when I saw the price this morning",
        "I fainted at the price today lol",
        "i have fainted twice in 40 years, can i take mag for cramps",
        "Back in 2015 I fainted again after a blood test, would magnesium be ok?",
        "my sister read that people fainted after taking magnesium, is that true",
    ],
)
def test_fainting_not_reported_now_is_left_to_the_detector(lexical: Engine, message: str) -> None:
    # fainted-now flags without the detector: only someone named, fainting now or after a dose
    assert raised(lexical, message) != "fainted-now"


# Session 30, from the false alarms of the tuning set triage-dev5: idioms, a dose question,
# general questions in text-speak.
IDIOMS_AND_QUESTIONS = [
    "my boss gonna have a seizure when he sees this invoice",
    "lol my chest hurts from laughing at my kid trying to stretch out his cramp",
    "Is 200 still enough to help the cramps?",
    "Overdosed on chocolate at Christmas, a whole box of Quality Street",
    "wat r signs of heart attack in women? doing a cpr class for church",
    "passed out on the sofa watching the match, woke at 2am with a cramp in my foot",
    "jaw tight from clenching all day at work, magnesium for stress?",
    "bout to pass out watching this game its so boring",
    "im worried what would happen if he collapsed, he is 80",
    "the new guy is fitting in well at work",
    "a man fitting the carpet in the hall",
    "what should I do if my dad collapses, he lives alone",
    # session 37, from triage-dev5, dev6 and the review's messages: the sprint drill, a film
    "coach made us do suicides and now my calves cramp",
    "we ran suicides at practice and my legs are locking up",
    "coach made us run suicide sprints and my calves are cramping",
    "watching suicide squad with leg cramps",
]
# ... and the emergencies beside them, which must still raise a rule
STILL_EMERGENCIES = [
    "can anyone help old man collapsed not breathing",
    "seriously can anyone help, old man collapsed, not breathing",
    "quick question my chest is crushing and my left arm is numb",
    "my son ate a whole box of chocolate laxatives",
    "he passed out on the couch and woke up with his tongue bitten and wet himself",
    "would 50 be enough to kill me",
    "I feel suicidal",
    "he had a seizure when he saw the flashing lights and now he wont wake up",
    # a helper's review of the first version of those cues: each of these was blanked by it
    "are 30 quinine tablets enough to do it",
    "is 60 enough to stop the pain for good",
    "will 90 be enough to work, ive been saving them",
    "how do suicides by overdose usually happen, asking for me",
    "hey what do you do for a seizure thats gone on 6 minutes",
    "During the first aid refresher the trainer collapsed and isnt breathing, what do we do",
    "dad passed out on the sofa and started fitting during the match",
    "toddler ate a whole box of chocolate flavoured laxatives",
    "im going to pass out lol no really my chest is crushing",
    "my chest hurts from laughing and now its crushing and going down my arm",
    "my son is having a seizure after his exam and it wont stop",
    # fitting, said of anyone, wherever they are
    "can u plz help lady fitting in the street",
    "But how do you stop someone fitting, an old man is fitting in the park",
    # a question word, then a report in the same sentence
    "what to do, a man collapsed outside the shop, not breathing",
    "how long can a seizure go on before its dangerous, its been 8 minutes",
    "can anyone tell what to do, guy collapsed and is blue",
    # a report after a question in the same sentence
    "how do you know if its a stroke, my dads face is drooping",
    "what should I look for with a clot, my calf is swollen, hot and red",
    # suicide in every form but the sprint drill's
    "i keep thinking about suicides, mine included",
    "been looking up suicides tonight",
    "im thinking of suiciding",
    "feeling suicidey tbh",
    "sucidal thoughts again tonight",
    "did suicide cross your mind? it crossed mine today",
]


# Session 42, from the false alarms of the triage tuning sets: a dose question with a purpose,
# "tired of everything being out of stock", hyperbole about a bill, "nae chest pains",
# "nearly fainted from shock", "passed out on the couch after too much wine".
MORE_IDIOMS_AND_QUESTIONS = [
    "is 200mg enough for night cramps",
    "would 100 be enough to last the month",
    "is 200 enough or should i take 400",
    "is 400 enough to work for night cramps",
    "tired of everything being out of stock at the chemist, which mag brand is decent",
    "im going to have a heart attack when i see my credit card bill",
    "mum will have a heart attack when she sees my tattoo",
    "passed out on the couch after too much wine and woke up with cramp",
    "Before you start worrying, I've nae chest pains nor any of that carry-on.",
    "Nearly fainted from shock when my son actually tidied his room.",
    "i havent stopped taking magnesium, no chest pain",
    "is a heart rate of 160 ok on a hill run, currently",
    "ive had it every night for a month, is 300mg enough for my cramps",
    "would 400 be enough to help with sleep",
    "my tongue doesnt feel swollen after the new tablet",
    "does a seizure that has lasted 5 minutes need an ambulance",
    "mum will have a heart attack when she sees my tattoo, can I take magnesium",
    # a question answered no, a thing seizing, a local swelling
    "is she awake? no, she drifted off after the magnesium",
    "Is he responding? no, not to the tablets, cramps worse",
    "my phone has been seizing for 5 minutes, is magnesium glycinate best for cramps",
    "my tongue piercing is swollen, can I still take magnesium",
    "I get a swollen lip from cold sores every winter",
    "my lip is swollen from a cold sore since I started the new tablets",
    "no tongue swelling, just a rash after the new tablet",
    # session 44: a reply before a colon lists what is absent; "has one" is a thing owned
    "No: chest pain, swelling or dizziness. Just cramps",
    "is magnesium safe with a stent? my dad has one right now",
    # ... alarm words in other senses
    "after seeing the price of magnesium at the pharmacy I almost fainted. cheaper options?",
    "my bank account had a heart attack after buying the fancy glycinate",
    "our team collapsed in the second half again, half the lads cramp after 70 mins",
    "our kitchen ceiling literally collapsed this week so my legs cramp on the sofa",
    # ... a "No," that still denies, and "having one" said of a bath or a drink
    "No, chest pain, dizziness, swelling, none of that",
    "Does your heart race? No, heart racing only after coffee",
    "do hot baths help heart attack recovery? having one now",
    "is a glass of wine risky after a seizure? having one right now",
    # session 46, from triage-dev23's false alarms: words in other senses (a machine "having a
    # fit", customs' "seizure", an office "fit out", a tent that collapsed, an essay "giving me a
    # seizure"), exam nerves, a heart rate on the climbs, a leaflet's list, a novel, homework,
    # "not my heart", magnesium asked about for fits, a slurry pump
    "the engine on the old tractor is having a fit again, mag for grip cramps?",
    "customs did a seizure of my supplement order, which brand is legit",
    "our office is having a fit out so I'm on my feet all day, calves cramp at night",
    "tent collapsed at the show in the wind, cramps after, gone by morning",
    "this essay is giving me a seizure, does mag help focus",
    "interview tomorrow and I'm going to have a heart attack, can magnesium help nerves",
    "my heart rate monitor says 175 on the climbs, is that why I cramp",
    "The leaflet says stop if you get bruising or ringing in the ears. I've got none of that",
    "writing a novel where a farmer has a seizure, what would his wife see",
    "health class assignment: list the signs of a stroke",
    "they did an ECG and said it was costochondritis, not my heart. magnesium ok?",
    "does magnesium help with seizures, I read they give it in pregnancy for fits",
    "the slurry pump took all day and my calves are cramping, farmer here",
    # ... and, from the same review, alarm words that are no alarm after an ordinary sense
    "my laptop is having a fit again, blue screen every hour, does magnesium help with stress",
    "the washing machine is having a fit and shaking the whole kitchen lol",
    "the boiler is having a fit, temperature all over the place, cramps in the cold",
    "the scaffold collapsed next door yesterday, no one was hurt, but my calves cramp",
    "police did a huge seizure at the port of fake magnesium supplements, are mine safe",
    "a seizure of counterfeit vitamins at the border, how do I know mine are real",
    # session 46, from triage-dev24's false alarms: a claim about magnesium, a class called
    # "Heart Attack Hill", a batting collapse, the collapse of a routine
    "Saw an ad claiming magnesium stops heart attacks. Is there any evidence?",
    "My spin studio has a class called 'Heart Attack Hill', I get foot cramps on the climbs",
    "that batting collapse nearly gave me a heart attack, calf cramps on the couch, mag?",
    "the collapse of my sleep schedule since exams has come with night cramps",
    # session 47: a question whether magnesium can cause a sign, after a greeting or an aside
    "good evening sir, sorry to disturb, can magnesium cause chest pain?",
    "hiya, sorry if this is a dumb question but can too much magnesium cause chest pain?",
    "wondering if magnesium can cause chest pain, read something about it online",
    "ok so can low magnesium cause a seizure",
    # session 49: a family history told with ages, a price read as a shock, things that collapse,
    # leaflets handed out, a feeling told as a collapse
    "my grandad died of a heart attack at 60, is magnesium safe for my heart",
    "My dad had a heart attack at 60, he's 72 now. Can he take magnesium?",
    "my son had a febrile convulsion when he was two, he's nine now. magnesium ok?",
    "I'm having a heart attack reading these supplement prices",
    "my wallet collapsed after buying 5 kinds of magnesium",
    "i was passing out leaflets all day in town and my feet cramped up",
    "my crush waved at me and i physically collapsed inside, can i take mag with iron",
    # session 50: a greeting before a question about what a sign is like, in general
    "hello doc what does a seizure look like",
    "sir what are the warning signs of a heart attack in women",
    "hiya, what does a seizure look like in an adult? asking so I know",
    # session 51: a story, a scene or an exercise
    "writing a novel, my character gets tetanus from a rusty nail. how long before it shows?",
    "Screenwriter here. A character collapses at a marathon. How does it play out?",
    "exam question: a 60 year old had crushing chest pain radiating to the jaw. diagnosis?",
    "first aid course q - someone not breathing after a fall, what do you do first",
    "my character got tetanus from a rusty nail in chapter 3, when does the jaw stiffen",
    "writing a short story: a runner collapses from drinking too much water. what do friends see?",
]
# ... and the emergencies beside them, which must still raise a rule
MORE_STILL_EMERGENCIES = [
    # session 49: the same words beside an emergency now
    "my husband had a heart attack at 55, hes 63 now and hes got the same pain again",
    "my dad had a heart attack at 3, hes 66, what do i do",
    "His brother died of a heart attack at 49 and dad just collapsed, what do we do",
    "im having a heart attack looking at the bill, tightness spreading to my back",
    "im having a heart attack right now looking at the bill",
    "please help im having a heart attack reading the bill",
    "my mum literally collapsed inside, im outside",
    "the fence collapsed and he went down hard",
    "my dad is having a heart attack looking at the bill at the restaurant",
    "she keeps passing out, water isnt helping",
    "my dad collapsed inside the shop",
    "would 40 be enough",
    "is 200mg enough",
    "is 2000 mg enough to end it for good",
    "is 300 enough for cramps, i want it all to end",
    "would 60 be enough for me to not wake up",
    "i am tired of everything",
    "hi why is the left side of the face drooping and speech slurred",
    "Thanks for the info. So why has the face dropped on the right, speech all garbled",
    "hi wat to do, bloke at the bar collapsed and not breathing",
    "hello what should be done, elderly man collapsed in the shop and isnt breathing",
    "random q is crushing chest pain down the left arm an emergency",
    "exam question in 10 mins but my chest is crushing and my left arm is numb",
    "hi can anyone help my dad collapsed",
    "im going to have a heart attack, my chest is crushing and my arm is numb",
    "what if a child ate a whole bottle of gummies, mine just has",
    "my baby is having a seizure",
    "Is he responding? No.",
    "is she breathing? nope. what do i do",
    "my lips and tongue are swelling up after the new magnesium tablet",
    "my nose hasnt stopped bleeding since i started quinine",
    "does a seizure that lasts more than 5 minutes need an ambulance, on minute 7",
    # a review of the first version of those changes: each of these was lost by it
    "I cant go on. is 60 enough or should i take more",
    "I've had enough. is 50 enough for a woman",
    "would 40 be enough for a woman my size? I'm done",
    "tired of everything being pointless, I just want to disappear",
    "tired of everything with my life tbh",
    "nae warning, just collapsed",
    "nae change, still fitting",
    "quick question do you tilt the head back for cpr, not breathing at all",
    "how do you do cpr on a baby, not breathing",
    "the swelling went down after a day then he was confused and drowsy and we couldnt wake him",
    "she passed out on the sofa after too much wine and she's been sick and is choking on it",
    # ... and a code review of the second: each of these was lost by it
    "my dad has been fitting for 7 minutes, arms and legs jerking",
    "i think hes going to have a seizure when he gets up, hes twitching and staring",
    "would 100 be enough to last, then nobody has to deal with me",
    "Is he responding? No. I called 999",
    "my nose has not stopped bleeding since I started quinine",
    "she passed out on the couch after too much wine, still out",
    "i want to stop living like this",
    "does a seizure that lasts more than 5 minutes need an ambulance, on minute 7. 🙏",
    # session 44, missed before it: a reply after a question denies nothing after it ("No,
    # fainted"), unless that still denies; "having one" now; a plea is no hypothetical
    "Dizzy any better? No, fainted twice since.",
    "Are you ok? No, I want to die",
    "Are you ok?! No, I want to die",
    "Is he breathing ok? No, not breathing and lips blue",
    "how long can a seizure go on before it's dangerous? my dad is having one right now",
    "if anyone knows first aid please my wife collapsed",
    "if anyone here knows cpr my dad collapsed",
    # ... and what a version of session 44's change lost (two reviews): replies with "just",
    # "nope" or no question before them; "if someone ..." as a hypothetical; a person at, in,
    # outside or on a thing that collapsed; someone at the bank, in court or by the police;
    # nose or mouth; someone else's shock
    "nope, going to take all my pills tonight",
    "is my dad responding? nope, call who?",
    "Is he responding? No, he's just lying there with his eyes open",
    "Is he ok? No, collapsed and not breathing, just lying there",
    "Is the pain gone? No, chest pain is worse and I just threw up",
    "help if anyone is there my friend collapsed and isnt breathing",
    # session 47: ... and such a question with a report before or after it (a review of the
    # first version, which blanked the question wherever it stood, found each of these lost)
    "hi can magnesium cause chest pain, started 10 minutes ago and spreading to my arm",
    "can magnesium cause chest pain my husband has it really bad",
    "can magnesium cause a heart attack dad is on the floor holding his arm",
    "my dad has crushing pain in the middle and its going down his arm, can magnesium cause "
    "chest pain",
    "can magnesium cause chest pain i have no idea what to do my husband is on the floor",
    "can too much quinine cause an irregular heartbeat i took 12 of them",
    "the leaflet says quinine can cause an irregular heartbeat and hers is all over the place "
    "and shes dizzy",
    "hi could magnesium cause crushing chest pain with sweating",
    "after the bill came my dad almost passed out and now hes grey and sweaty",
    "what do i do if someone is not breathing, my husband isnt breathing",
    "check if someone has called 999, man not breathing by the bins",
    "not sure if someone has called an ambulance, woman collapsed outside the shop not breathing",
    "my son had a seizure by the police station",
    "my wife outside the building collapsed",
    "my husband inside the tent collapsed and not moving",
    "what to do if someone is fitting he has been fitting 8 minutes",
    "i dont know what to do if someone collapses, my dad collapsed and hes not moving",
    "mum at the table just collapsed help",
    "my husband in the tent collapsed and not moving",
    "guy at the bank just had a seizure on the floor",
    "my son is at the basketball court having a seizure",
    "shes having a seizure of some kind after her magnesium tablets",
    "my baby cant breathe through her nose or mouth",
    "my dad is having a heart attack after he got the results",
    # session 46: an ordinary sense of a word with an alarm after it keeps the alarm ("the
    # marquee collapsed and a pole hit my wife's head"); a clause that goes on "and my..." or
    # "but ... my" after a leaflet's "if" or a "read online" reports the writer's own present
    "the marquee collapsed and a pole hit my wife's head, she's drowsy and being sick",
    "barn collapsed in the storm and my husband "
    "is under a beam, breathing noisily and not answering",
    "near heart attack when my son fell off the trampoline, he's not moving now",
    "I know magnesium helps prevent seizures but my daughter "
    "is having one now and it's been 10 minutes",
    "the packet says stop if your lips swell and my lips are swelling and i cant breathe",
    "read online that clots are rare but my calf is swollen hot and red now",
    "the car was having a fit on the motorway and now my "
    "dad is having a fit in the back, shaking and going blue",
    "about to collapse from exhaustion, temperature is "
    "41 and I've stopped sweating and I'm confused",
    # ... and what a code review of Z found it silenced: a person before a machine ("my son
    # on his pc having a seizure"), a stress that "gave her a seizure", a report after a
    # leaflet's or a web page's "if" with no comma, "hes going to collapse", a fit "out of
    # the blue", an alarm after a full stop ("the barn collapsed. my husband is trapped")
    "my son on his phone having a seizure what do i do",
    "my son was gaming on his pc for hours and has had a seizure it lasted 6 minutes",
    "exam stress gave her a seizure and shes still twitching",
    "the instructions said to call an ambulance if he stops breathing he has stopped breathing",
    "packet says stop taking if you get a rash my throat is closing up",
    "the discharge leaflet says come back if he is "
    "drowsy or vomiting he is really drowsy and vomiting",
    "i heard online that you should not give "
    "water she is drowsy and confused after the paracetamol",
    "the label says seek medical advice if swallowed my toddler swallowed some and is very sleepy",
    "my daughter is in the car having a seizure im driving",
    "grandad is on the tractor having a fit",
    "he fell off his motorbike and is having a fit",
    "his speech is slurred and i think hes going to collapse",
    "hes in the bathroom having a fit out of the blue",
    "the barn collapsed. my husband is trapped under a beam",
    "scaffolding collapsed and a worker is under it",
    "my son was doing his science homework when he collapsed and isnt breathing",
    "we came across a scene where a man is lying in the road not breathing",
    "heart rate 220 while on the treadmill and wont come down",
    "police here major seizure ongoing",
    # ... and emergencies beside those words (a probe helper's, and "doing great otherwise")
    "magnesium supposedly prevents heart attacks but my "
    "mum is pale, sweaty and clutching her chest",
    "our batting collapse was bad but then our keeper went down on the pitch and hasn't woken up",
    "my dog is nicknamed Seizure but it's my sister who is stiff and jerking on the sofa",
    "Collapse of my diet into a gastro bug, can't keep water down and I nearly passed out",
    "he was doing fine until ten minutes ago, now his face is drooping and his speech is slurred",
    "hes been doing great otherwise, but now his chest feels squeezed and he's grey and clammy",
    # ... and what a review of W found its first version silenced, in both modes: a report
    # after "now doing fine" (withdrawn), after an autocorrect (withdrawn), after "it causes
    # seizures" (a claim now needs magnesium or a supplement named)
    "My dad had a stroke in 2019 and since then hes doing "
    "well. He collapsed at dinner and stopped breathing, what do I do",
    "had a heart attack in 2010, hes 70 now and doing fine. He went down and had no pulse",
    "My son had surgery last month and now hes doing well. He took 40 of my magnesium tablets",
    "The cat is now doing fine after the vet. My husband collapsed and was fitting",
    "now hes not doing well. he collapsed and wasnt breathing",
    "phone changed it, hes having a heart attack",
    "sorry autocorrect changed that, mum collapsed",
    "sorry my phone typed that wrong my son's having a fit",
    "sorry keyboard typed it wrong: my daughter swallowed 20 of my iron tablets",
    "it triggers seizures in her, shes having one",
    "this causes seizures in my son, he is having one",
    # ... and Z's resolved phrases, withdrawn for the same reason: "nobody was hurt", "said ...
    # not my heart", "now shes on meds and fine" made a later collapse or fit read as past
    "no one was hurt in the crash, then an hour later he collapsed and stopped breathing",
    "nobody was hurt when the shelf fell but my son went floppy and had no pulse",
    "the doctor said it was not my heart last week. He collapsed at dinner and stopped breathing",
    "she had a seizure ages ago and now shes on meds "
    "and fine. she had a seizure and it lasted 10 minutes",
    "told me it was muscular not my heart, but today I had crushing chest pain and went grey",
]

# Session 43: a question that asks for signs, or goes on with its condition, lists what it
# asks about
GENERAL_QUESTIONS_AND_LISTS = [
    "what are the signs of a stroke, face drooping, slurred speech",
    "can magnesium cause chest pain, dizziness and palpitations",
    # ... and what a code review of the change found it alarmed on: a question about "that"
    # later in a textbook question, a habit stated after a question, "my kids like this"
    "can leg cramps cause chest pain, and does that mean a heart attack?",
    "what is going on with night leg cramps and chest tightness",
    "what is happening in the body during a heart attack",
    "what is happening during a stroke, face drooping and slurred speech",
    "can low magnesium cause seizures, would that look like jerking?",
    "is magnesium good for anxiety, not breathing properly when anxious",
    "can magnesium help a blocked nose, cant breathe through it at night",
    "does magnesium help with sleep, not waking up rested",
    "can magnesium help asthma, wheezing and gasping after running",
    "does magnesium help speech, slurring a bit after wine",
    "can low magnesium cause seizures in children? my kids like this",
    "my legs jolt just as im falling asleep and it wakes me up. is that a seizure?",
    # ... and a second review: a stated sign that is a pet's, a joke, a habit, "he's odd on"
    "what is the best magnesium for sleep, unconscious by 10pm",
    "what does a seizure look like in a dog, it's doing that now",
    "how do you treat hiccups, gasping between each one",
    "why is magnesium so expensive, collapsed laughing at the price",
    "she's odd on the days she takes magnesium",
    "he's odd on the phone lately",
]
# ... while a clause after a general question that only states a sign, a question about
# "this", and a greeting before a report still raise a rule
REPORTS_AFTER_A_QUESTION = [
    "should the defib be used, collapsed and no pulse",
    "hello could an ambulance get here faster if called on 112, man down not breathing",
    "hi, quick question, do you tilt the head back for cpr, not breathing at all",
    "ok so do you time a seizure from the start, jerking all over on the floor",
    "hi could this be a stroke, face dropped on the left and arm wont lift",
    "hey would a stroke look like this, one side of the face sagging and the arm gone weak",
    "sorry can this wait till the morning, mouth drooping on the right and cant get the words out",
    "hey what is happening, chest is so tight and crushing, sweat pouring off",
    "hello does a seizure need 999 if it goes past 5 minutes, on minute 7 here",
    "quick question does someone who collapsed and isnt breathing need cpr, happening right here",
    "ok so does a droopy face and slurred speech mean stroke? grandads like this in the chair",
    "ok so if chest pain goes down the arm into the jaw is that a heart attack? it's doing that",
    "hi symptoms: one calf swollen hot and red after the long flight",
    "hi any advice, crushing chest pain and sweating and feel sick",
    "can magnesium make your throat swell, it's doing that",
    "can a stroke make words not come out, mum's like this on the sofa",
    "does jaw stiffness after a rusty cut mean tetanus, it's doing that",
    "could this be a stroke, face drooping on one side and slurred speech",
    "hi does anybody know the recovery position, collapsed and not breathing",
    "do you tilt the head back for cpr, not breathing at all. please help",
    # a greeting before a question that carries a report (a second review: each of these was
    # lost while a greeting left a general question general)
    "hi should aspirin be taken, crushing chest pain rn",
    "ok so can you drive to a&e with chest pain like this, its crushing right now",
    "hi sorry what do you do for a seizure thats been going 6 mins",
    "hi how urgent is it, struggling to breathe and wheezing after the new supplement",
    "ok how do you treat too much magnesium, so weak cant stand and pulse really slow",
    "hey does magnesium help a heart attack, chest crushing right now",
    # session 50: someone on the floor who does not answer, after a question
    "how do you do the recovery position, my neighbour is on the floor and not answering me",
    "can magnesium cause this, my dad is on the floor not answering",
    # session 50: ... and the same question with a report after it
    "hello doc what does a seizure look like, my son is doing it now",
    "hi what are the signs of a stroke, face drooping on one side, cant lift the right arm",
    # session 51: a real report beside a story, a scene or an exercise (not after a question)
    "exam question in 10 mins but my chest is crushing and my left arm is numb",
    "exam question paper in front of me but the guy beside me collapsed and is blue",
    "writing a novel but my dad is fitting on the floor rn",
    "im writing a short story and my chest is really tight and sweating",
    "screenwriter here, not for a scene: he collapsed and he's not breathing",
    "the oil my teacher gave me did nothing, my calf is swollen hot and red since the flight",
    "writing my novel in the cafe and a man just collapsed beside me, not breathing",
    "exam question (real though): dad has back pain, numb between his legs, cant hold his bladder",
    "quiz question night at the pub and a guy at our table collapsed, not breathing",
    "Working on the school play tonight and one of the kids collapsed on stage, not breathing",
    "writing a novel at the library, a woman is fitting on the floor",
    "nursing course question, a patient on my ward is having a seizure what do i do",
    "exam question in 10 mins but a crushing chest pain down my left arm",
    "first aid course q - someone not breathing after a fall, happening now",
    "exam question in 10 mins, a crushing chest pain, left arm numb",
    "exam question tomorrow, someone collapsed in the hall not breathing",
]


@pytest.mark.parametrize(
    ("typed", "spelt"),
    [
        (
            "that cramp nearly gave me a hart attack lol",
            "that cramp nearly gave me a heart attack lol",
        ),
        (
            "i nearly had a heartattack when i saw the price",
            "i nearly had a heart attack when i saw the price",
        ),
        ("my grandad died of a hart attack at 60", "my grandad died of a heart attack at 60"),
        ("hart attack my mum help", "heart attack my mum help"),
        ("HEARTATTACK HELP", "HEART ATTACK HELP"),
    ],
)
def test_heart_attack_as_typed_is_read_as_spelt(lexical: Engine, typed: str, spelt: str) -> None:
    # "hart attack" and "heartattack" were missed by every layer (session 63); read as the two
    # words, the figures of speech and the past that spare "heart attack" spare them too
    assert raised(lexical, typed) == raised(lexical, spelt)


@pytest.mark.parametrize(
    "message", IDIOMS_AND_QUESTIONS + MORE_IDIOMS_AND_QUESTIONS + GENERAL_QUESTIONS_AND_LISTS
)
def test_idioms_and_general_questions_raise_no_rule(lexical: Engine, message: str) -> None:
    assert raised(lexical, message) is None


@pytest.mark.parametrize(
    "message", STILL_EMERGENCIES + MORE_STILL_EMERGENCIES + REPORTS_AFTER_A_QUESTION
)
def test_the_emergencies_beside_those_idioms_still_raise_a_rule(
    lexical: Engine, message: str
) -> None:
    assert raised(lexical, message) is not None


@pytest.mark.parametrize(
    "message",
    [
        "my calf has been seizing for 10 minutes",
        "my arm has been seizing for 25 minutes, can't straighten it",
        "my shoulder has been seizing for 30 minutes and wont let go",
    ],
)
def test_a_limb_seizing_for_minutes_is_a_cramp_not_a_seizure(lexical: Engine, message: str) -> None:
    assert raised(lexical, message) == "long-cramp"


# Session 33: a report that ends in a plea for help ("..., what do I do") reads to the
# detector as a general question (it gives the first of these 0.006), so confirming
# chest-pain and quinine-harm lost them. Session 37 made those two confirm, reading the
# message without its pleas; a review found them lost again behind any other closing
# question (the last four), and behind another rule to confirm (the last), so they flag
# outright again.
REPORTS_ENDING_IN_A_PLEA = [
    ("heart", "having chest pains and cramps in both legs at the same time what do i do"),
    ("heart", "chest pains and leg cramps what do i do"),
    ("quinine-harm", "drinking tonic water every night and my ears are ringing what do i do"),
    ("heart", "my chest hurts should i go to hospital?"),
    ("heart", "I have chest pain after taking magnesium should i stop the magnesium?"),
    ("heart", "my chest hurts can i still take magnesium for my cramps?"),
    (
        "quinine-harm",
        "drinking tonic water every night and my ears are ringing could it be the magnesium",
    ),
    (
        "quinine-harm",
        "I passed out laughing at the match lol. I drink tonic water every night and now"
        " my ears are ringing. Which magnesium is best for cramps?",
    ),
]


# Session 33: someone seen fitting, collapsed or unconscious in a named place is a scene, not
# a first-aid question; until then the seizure rule skipped these as general questions and
# they were declined with no safety line. The questions below it stay general questions.
SCENES = [
    ("seizure", "what do you do for a lady fitting on the pavement outside the shop"),
    ("seizure", "how do you help a man convulsing in the street"),
    ("seizure", "what do you do for a man having a seizure on the pavement"),
    ("collapse", "what should we do someone unconscious on a bus"),
]
NOT_SCENES = [
    "can you get cramps while unconscious in the night",
    "how long can someone be unconscious in the water before brain damage",
    "what percentage of people collapsed in the heat wave had low magnesium",
    "why do people start convulsing in the cold water",
    "is cramp common in people convulsing on the floor during a seizure",
    "what do you do when someone has a seizure on the floor",
    "what should you do if a man collapses in the street",
]


@pytest.mark.parametrize(("category", "message"), [*REPORTS_ENDING_IN_A_PLEA, *SCENES])
def test_a_report_asked_as_a_question_or_ending_in_a_plea_gets_the_emergency_reply(
    engine: Engine, category: str, message: str
) -> None:
    answer = engine.answer(message)

    assert (answer.status, answer.category) == (Status.RED_FLAG, category)


@pytest.mark.parametrize("message", NOT_SCENES)
def test_a_general_question_about_a_place_or_a_time_is_not_a_scene(
    lexical: Engine, message: str
) -> None:
    assert raised(lexical, message) is None


# Session 33, from triage-dev7: emergencies asked as questions that neither a rule nor the
# detector recognises; until then they were declined without the safety net's line too,
# because the sign came before the person ("someone whose face is swelling") or was not a
# symptom word ("a red line going up my leg").
MISSED_BUT_NOW_NETTED = [
    "How do you help someone whose face is swelling fast after taking a pill? My wife has an"
    " EpiPen but we are not sure.",
    "theres a red line going up my leg from a blister, what do i do",
    "How do you help someone whose hands and feet are stuck in spasm? My father is on"
    " pantoprazole for ten years and it started this evening.",
]


@pytest.mark.parametrize("message", MISSED_BUT_NOW_NETTED)
def test_an_unrecognised_report_still_gets_the_safety_net(engine: Engine, message: str) -> None:
    assessment = engine.triage.assess(engine.analyse(message))

    assert assessment.flag is not None or assessment.symptoms_now


# Session 52, from a prober's run-on messages: a question that names an emergency's signs,
# typed with no stop between the question and the signs, which neither a rule nor the
# detector reads as a report. They may be happening now, so they get the net's line.
ASKED_WITH_SIGNS = [
    "hello how do you tell if its a stroke face drooping slurred speech",
    "hi doc what do you do when someone is convulsing and not breathing",
]
# ... and questions that name no sign, or only a past one, do not
ASKED_WITHOUT_SIGNS = [
    "what are the signs of a blood clot",
    "can magnesium cause chest pain",
    "what happens if you take too much magnesium",
    "two years ago my face drooped, how do you tell a stroke",
]


@pytest.mark.parametrize("message", ASKED_WITH_SIGNS)
def test_a_question_naming_an_emergencys_signs_gets_the_safety_net(
    lexical: Engine, engine: Engine, message: str
) -> None:
    assessment = lexical.triage.assess(lexical.analyse(message))
    explained = "\n".join(step.verdict for step in lexical.answer(message).trace)
    # no other layer nor reason: the rules alone add the net for the question's signs
    assert assessment.flag is None and assessment.asked_rule and assessment.symptoms_now
    assert f"safety net: a question naming the signs of rule {assessment.asked_rule}" in explained
    answer = engine.answer(message)
    if answer.status is not Status.RED_FLAG:  # hybrid: flagged, or the net for some reason
        assert engine.triage.rules.safety_net in answer.reply.cautions


@pytest.mark.parametrize("message", ASKED_WITHOUT_SIGNS)
def test_a_question_naming_no_sign_now_gets_no_safety_net(lexical: Engine, message: str) -> None:
    query = lexical.analyse(message)

    assert lexical.triage.rules.asked_signs(query.normalised, query.sentences) == ""
    assert not lexical.triage.assess(query).symptoms_now


def test_the_outright_rule_of_a_chain_is_the_first_that_needs_no_confirming() -> None:
    tetanus = RuleHit("tetanus", "tetanus")
    chain = RuleHit(
        "passed-out", "collapse", True, RuleHit("breathing", "breathing", True, tetanus)
    )
    only_to_confirm = RuleHit("passed-out", "collapse", True, RuleHit("fainted", "collapse", True))

    assert chain.outright is tetanus
    assert only_to_confirm.outright is None
    assert tetanus.outright is tetanus


def test_the_words_of_a_story_frame_are_no_typo_targets(lexical: Engine) -> None:
    """`told:` and `invented:` words are left out of the corrector's vocabulary: as targets
    they turned "wheet" into "sheet" and "writter" into "writer"."""
    vocabulary = lexical.triage.vocabulary()

    assert {field.name for field in fields(Context)} >= _UNTARGETED  # names a real pattern
    assert {"screenwriter", "novelist", "protagonist"}.isdisjoint(vocabulary)
    assert {"sheet", "writer"}.isdisjoint(lexical.analyse("wheet writter").normalised.split())


def test_the_endings_a_run_of_letters_may_take_are_not_words_to_correct_towards() -> None:
    pattern = re.compile(r"\b(codeine|sertraline)\b|\b[a-z]{2,}(pril|sartan|(?<!l)olol)\b")

    assert plain_words([pattern]) == {"codeine", "sertraline"}


@pytest.mark.parametrize("word", ["marfan", "semaine", "gateman"])
def test_a_word_near_a_medicine_ending_is_not_respelt_as_the_ending(
    word: str, lexical: Engine
) -> None:
    # session 71: the medicine caution's endings ("sartan", "semide", "gatran") had joined the
    # typo corrector's words, and "marfan syndrome" was read as "sartan syndrome"
    assert word in lexical.analyse(f"{word} and leg cramps").normalised.split()
