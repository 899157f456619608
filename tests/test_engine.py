"""The engine end to end over the real corpus and the real rank-bm25 index: the decision."""

from __future__ import annotations

import dataclasses
import hashlib
import re
from pathlib import Path

import numpy as np
import pytest
import yaml

from faq.build import TOPIC_HEAD, build_engine, default_data_dir, load_rules
from faq.corpus import default_entries_dir, load_corpus
from faq.decision import DecisionModel, Thresholds, decide, decision, features
from faq.engine import Engine
from faq.maintain.evaluate import read_examples
from faq.model import Status
from faq.ranking import Fusion, Ranking, Topics
from faq.render import to_text
from faq.reply import DISCLAIMER, EMPTY_LEAD, FOREIGN_LEAD, OUT_OF_SCOPE_LEAD
from faq.topics import TopicScores
from tests.evaluation import EVAL

SHIPPED_IDS = [entry.id for entry in load_corpus()]
# a contributor's new entry leaves the topic head unfitted until the refit (CONTRIBUTING.md)
FITTED_HEAD = pytest.mark.skipif(
    not load_rules().topic_head.fits(SHIPPED_IDS),
    reason="the topic head was fitted on other entries: python -m faq.maintain.fit --write",
)


THRESHOLDS = Thresholds(answer_confidence=0.5, answer_margin=0.2, unsure_confidence=0.25)


@pytest.mark.parametrize(
    ("confidence", "margin", "status"),
    [
        (0.9, 0.9, Status.ANSWERED),
        (0.5, 0.2, Status.ANSWERED),  # both thresholds are inclusive
        (0.5, 0.19, Status.UNSURE),  # confident, but a close second
        (0.49, 0.9, Status.UNSURE),  # clear winner, not confident enough
        (0.9, 0.0, Status.UNSURE),  # a tie
        (0.25, 0.0, Status.UNSURE),
        (0.249, 1.0, Status.OUT_OF_SCOPE),
        (0.0, 0.0, Status.OUT_OF_SCOPE),
    ],
)
def test_decide_compares_confidence_and_margin_with_the_thresholds(
    confidence: float, margin: float, status: Status
) -> None:
    assert decide(Ranking((), confidence, margin), THRESHOLDS) is status


def test_the_shipped_thresholds_put_unsure_at_or_below_answered() -> None:
    shipped = load_rules().thresholds

    assert 0 < shipped.unsure_confidence <= shipped.answer_confidence
    assert 0 <= shipped.answer_margin < 1


@pytest.mark.parametrize("entry_id", SHIPPED_IDS)
def test_an_entrys_own_question_is_answered_with_that_entry(engine: Engine, entry_id: str) -> None:
    entry = engine.entry(entry_id)
    assert entry is not None

    answer = engine.answer(entry.question)

    assert (answer.status, answer.entry) == (Status.ANSWERED, entry)
    assert answer.reply.body == entry.answer


def test_every_phrasing_of_every_entry_ranks_that_entry_first(engine: Engine) -> None:
    stolen = [
        f"{entry.id}: {phrasing!r} → {top.entry_id}"
        for entry in engine.entries
        for phrasing in (entry.question, *entry.alternates)
        for top in list(engine.ranker.rank(engine.analyse(phrasing)).hits)[:1]
        if top.entry_id != entry.id
    ]

    assert stolen == [], "\n".join(stolen)


def test_a_kidney_patient_asking_about_a_magnesium_laxative_gets_the_kidney_entry(
    engine: Engine,
) -> None:
    answer = engine.answer("I'm on dialysis, is milk of magnesia for constipation a problem?")
    first = answer.entry if answer.status is Status.ANSWERED else answer.suggested[0]

    # answered, or offered first (constipation is also a reason to decline, since session 18)
    assert answer.status in (Status.ANSWERED, Status.UNSURE)
    assert first is not None and first.id == "kidney"
    assert any("kidney doctor" in caution for caution in answer.reply.cautions)


@pytest.mark.parametrize(
    ("message", "rule"),
    [
        ("magnesium for sleep", "other-conditions"),
        ("does magnesium help me sleep", "other-conditions"),
        ("magnesium for migraines", "other-conditions"),
        ("magnesium for anxiety", "other-conditions"),
        ("does magnesium lower blood pressure", "other-conditions"),
        ("can I give my dog magnesium", "animals-and-plants"),
        ("is magnesium good for my tomato plants", "animals-and-plants"),
        ("what is the atomic number of magnesium", "chemistry-and-industry"),
        ("how bright does burning magnesium get", "chemistry-and-industry"),
        ("magnesium for period cramps", "other-cramps"),
        ("write a poem about magnesium", "requests"),
        ("magnesium for bodybuilding", "muscle-building"),
        ("is magnesium citrate a good laxative for constipation", "other-conditions"),
        ("does magnesium help anxiety if i have ckd", "other-conditions"),
    ],
)
def test_questions_outside_leg_cramps_are_declined_with_what_the_bot_covers(
    engine: Engine, message: str, rule: str
) -> None:
    answer = engine.answer(message)

    assert (answer.status, answer.flags, answer.entry) == (Status.OUT_OF_SCOPE, (rule,), None)
    assert to_text(answer.reply).startswith(f"{OUT_OF_SCOPE_LEAD} {engine.scope.covers}")


@pytest.mark.parametrize(
    ("message", "rule", "line"),
    [
        ("does vitamin e help leg cramps", "other-remedies", "not about other remedies"),
        ("is baclofen used for muscle cramps", "other-remedies", "not about other remedies"),
        ("Is CBD oil any good for muscle cramps?", "other-remedies", "not about other remedies"),
        ("can you remind me to take my magnesium every night", "cannot-do", "can't set reminders"),
        ("can I send you a photo of my blood test", "cannot-do", "read photos"),
        ("can you call an ambulance", "cannot-call", "call your emergency number"),
        ("I need you to call an ambulance", "cannot-call", "call your emergency number"),
        ("I've taken a photo of my results, can you read it?", "cannot-do", "read photos"),
        ("Is Doctor's Best magnesium legit?", "brands-and-shops", "recommend brands, shops"),
        ("Nature Made or Now Foods magnesium?", "brands-and-shops", "recommend brands, shops"),
        ("does boots sell magnesium oil", "brands-and-shops", "recommend brands, shops"),
        ("how much is magnesium glycinate at Costco", "brands-and-shops", "or prices"),
        ("any discount code for magnesium supplements", "brands-and-shops", "or prices"),
    ],
)
def test_another_remedy_or_a_request_the_bot_cannot_do_is_declined_saying_so(
    engine: Engine, message: str, rule: str, line: str
) -> None:
    answer = engine.answer(message)
    text = to_text(answer.reply)

    assert (answer.status, answer.flags, answer.entry) == (Status.OUT_OF_SCOPE, (rule,), None)
    assert text.startswith(OUT_OF_SCOPE_LEAD)
    assert text.index(line) < text.index(engine.scope.covers)  # the rule's line comes first


@pytest.mark.parametrize(
    "message",
    [
        "long story short, which magnesium is best for my leg cramps?",
        "my chemist only stocks magnesium oxide, is that ok for cramps",
        "my cramps flare up in hot weather, should I take magnesium every day",
        "vegan here, which plant foods give me the most magnesium?",
        "can gabapentin cause leg cramps",
        "gabapentin and magnesium spacing",
        "is vitamin e or magnesium better for night cramps",
        "does vitamin e help leg cramps or should i stick with magnesium",
        "could you call it a night cramp or a spasm",
        "can you set out the doses for glycinate",
        "which brand of magnesium should I buy for my cramps",
        "is magnesium from an online shop safe",
        "I take Nature Made magnesium oxide 250mg, how much of it is elemental?",
        "How much magnesium should I take? I bought glycinate at Boots",
        "how much magnesium do I need to reach the target range",
        "is slow mag good for leg cramps",
        "is this a good brand for leg cramps",
        "is tesco or boots magnesium better for pregnancy",
        "I sent my results to my GP, is a level of 0.6 normal?",
        "do I get cramps in boots",
    ],
)
def test_a_word_told_in_passing_or_beside_magnesium_is_no_reason_to_decline(
    engine: Engine, message: str
) -> None:
    assert engine.scope.verdict(engine.analyse(message).normalised) is None


@pytest.mark.parametrize(
    "message",
    [
        "I'm on amlodipine for my blood pressure, can I take magnesium with it?",
        "I take alendronate weekly for my bones. Would magnesium interfere with it?",
        "can magnesium cause headaches",
        "What can I eat to get more magnesium? I'm diabetic so I watch the carbs.",
        # a weight-loss medicine beside magnesium (session 71)
        "can I take magnesium with ozempic",
        "I'm on Ozempic, does magnesium help my leg cramps?",
        "im on mounjaro and get calf cramps at night, which magnesium?",
    ],
)
def test_magnesium_with_a_medicine_or_what_it_causes_beside_another_condition_is_in_scope(
    engine: Engine, message: str
) -> None:
    assert engine.scope.verdict(engine.analyse(message).normalised) is None


@pytest.mark.parametrize(
    "message",
    [
        "can magnesium make you sleep better",
        "can I take magnesium with melatonin to sleep better",
        "magnesium rich foods for better sleep",
        "my blood pressure is high, can it cause headaches",
        "does diabetes interfere with sleep",
    ],
)
def test_magnesium_for_another_condition_stays_out_of_scope(engine: Engine, message: str) -> None:
    verdict = engine.scope.verdict(engine.analyse(message).normalised)

    assert verdict is not None and verdict.rule == "other-conditions"


@pytest.mark.parametrize(
    "message",
    [
        "My night cramps have stopped. Can the same magnesium help with my hair falling out?",
        "magnesium fixed my cramps, now any tips for falling asleep faster?",
        "cramps aren't the issue, does magnesium help anxiety",
        "I don't have any cramps but I can't sleep. Will magnesium glycinate help me sleep?",
    ],
)
def test_cramps_said_to_be_sorted_do_not_keep_another_condition_in_scope(
    engine: Engine, message: str
) -> None:
    verdict = engine.scope.verdict(engine.analyse(message).normalised)

    assert verdict is not None and verdict.rule == "other-conditions"


@pytest.mark.parametrize(
    "message",
    [
        "my cramps are gone now, can I stop the magnesium?",
        "my cramps are better but I get headaches since starting magnesium",
        "my cramps are gone with magnesium but now I can't sleep, is it a side effect?",
        "my cramps are better, can I take magnesium with my blood pressure pills",
        "Can magnesium help me sleep so I don't have cramps?",
        "will magnesium help me sleep and keep me cramp free",
        "magnesium fixed my cramps, does it help with sleep or does it cause insomnia",
        "my cramps are gone, can magnesium help my restless legs too",
    ],
)
def test_after_cramps_said_to_be_sorted_a_question_about_magnesium_itself_stays_in_scope(
    engine: Engine, message: str
) -> None:
    assert engine.scope.verdict(engine.analyse(message).normalised) is None


def test_a_charley_horse_is_a_cramp_not_an_animal_to_the_scope_rules(engine: Engine) -> None:
    assert engine.scope.verdict(engine.analyse("what is a charley horse").normalised) is None


@pytest.mark.parametrize(
    "message",
    [
        "I walk the dog for an hour every day and my calves cramp in bed, will magnesium help",
        "calf cramps after a whole day of gardening, which magnesium",
        "I grow spinach and beans on my allotment, which foods are high in magnesium for cramps",
        "Over what period should I expect fewer cramps after starting magnesium?",
        "is magnesium safe when your breast feeding comma my baby is 4 months old period",
        "when is a good time to take magnesium for cramps, at sahur or before sleep?",
        "hair analysis for magnesium, is it reliable?",
        "who is most likely to be low on magnesium? i have type 2 diabetes",
    ],
)
def test_words_that_name_another_subject_only_in_passing_leave_a_question_in_scope(
    engine: Engine, message: str
) -> None:
    assert engine.scope.verdict(engine.analyse(message).normalised) is None


@pytest.mark.parametrize(
    ("message", "rule"),
    [
        ("can I give my dog magnesium for his leg cramps", "animals-and-plants"),
        ("how much epsom salt should I put into my vegetable garden", "animals-and-plants"),
        ("magnesium for period cramps comma is it safe", "other-cramps"),
        ("does magnesium help with cramps on my period", "other-cramps"),
        ("does magnesium before sleep help you sleep better", "other-conditions"),
        ("will magnesium make my hair grow", "other-conditions"),
        # a weight-loss medicine asked about without magnesium: its doses, side effects,
        # interactions or use for cramps are a pharmacist's; before session 71's review, "too
        # much", "interactions" or "legs" kept such a message in scope and it got magnesium's
        # overdose, interactions or restless-legs answer
        ("ozempic side effects", "other-products"),
        ("is tirzepatide safe", "other-products"),
        ("what happens if I take too much wegovy", "other-products"),
        ("wegovy interactions with other medications", "other-products"),
        ("will ozempic help my restless legs", "other-products"),
        ("how much ozempic for leg cramps", "other-products"),
    ],
)
def test_the_same_words_as_the_subject_asked_about_are_still_declined(
    engine: Engine, message: str, rule: str
) -> None:
    verdict = engine.scope.verdict(engine.analyse(message).normalised)

    assert verdict is not None and verdict.rule == rule


# the shipped topic head declines it; a refit (a contributor's new entry) may not, so the
# expected failure is tied to this head and any other head is checked as before
SHIPPED_HEAD = "ea802f4a1556f751436da5b637cc78325dae68e03edc0afd58ec2dd6b78bec68"


@FITTED_HEAD
@pytest.mark.xfail(
    hashlib.sha256((default_data_dir() / TOPIC_HEAD).read_bytes()).hexdigest() == SHIPPED_HEAD,
    strict=True,
    reason="the topic head (sessions 21-22) reads 'horse' near the out-of-scope bank's animals:"
    " outside 0.78, so the decision declines it; 'what causes charley horses' is answered",
)
def test_a_charley_horse_is_a_cramp_not_an_animal(engine: Engine) -> None:
    assert engine.answer("what is a charley horse").status is not Status.OUT_OF_SCOPE


@pytest.mark.parametrize(
    "message",
    [
        "can I take magnesium with my blood pressure medication",
        "does magnesium interact with blood pressure tablets",
    ],
)
def test_a_question_about_magnesium_with_a_medicine_is_in_scope(
    engine: Engine, message: str
) -> None:
    assert engine.answer(message).status is not Status.OUT_OF_SCOPE


@pytest.mark.parametrize(
    "message",
    [
        "hi",
        "hello there",
        "good morning",
        "thanks",
        "thank you so much",
        "thanks for the help",
        "are you a doctor?",
        "are you a bot",
        "who made you",
        "help",
        "bye",
        "ok",
    ],
)
def test_small_talk_gets_a_small_talk_reply(engine: Engine, message: str) -> None:
    answer = engine.answer(message)

    assert (answer.status, answer.entry) == (Status.CHITCHAT, None)
    assert DISCLAIMER in to_text(answer.reply)


def test_small_talk_followed_by_a_question_is_a_question(engine: Engine) -> None:
    answer = engine.answer("hi, does magnesium oil work for cramps?")

    assert answer.status is Status.ANSWERED
    assert answer.entry is not None and answer.entry.id == "magnesium-oil"


@pytest.mark.parametrize("entry_id", SHIPPED_IDS)
def test_answer_entry_gives_that_entry_as_answered(engine: Engine, entry_id: str) -> None:
    answer = engine.follow(entry_id)

    assert answer is not None
    assert answer.status is Status.ANSWERED
    assert answer.entry is not None and answer.entry.id == entry_id
    assert answer.reply.body == answer.entry.answer
    assert answer.reply.sources == answer.entry.sources


def test_answer_entry_of_an_unknown_id_gives_none(engine: Engine) -> None:
    assert engine.follow("no-such-entry") is None


@pytest.mark.parametrize(
    "message",
    [
        "",
        " ",
        "   \n\t  ",
        "😀😀😀",
        "🤷‍♀️",
        "???!!!",
        "\x00\x01\x02",
        "привет, как дела?",
        "магний от судорог",
        "镁对腿抽筋有用吗",
        "ماغنيسيوم",
    ],
)
def test_a_message_without_english_words_is_declined_politely(engine: Engine, message: str) -> None:
    answer = engine.answer(message)

    assert answer.status is Status.OUT_OF_SCOPE
    assert to_text(answer.reply).startswith(EMPTY_LEAD)
    assert len(answer.candidates) >= 3


# Session 50, from triage-dev36: emergencies told mostly in another language, which neither
# the rules nor the detector read; they were declined with no safety line at all
MOSTLY_ANOTHER_LANGUAGE = [
    "beta ne poori strip kha li magnesium ki, 2 saal ka hai, kya karein",
    "мой сын выпил все таблетки магния что делать",
    "मेरे बेटे ने magnesium की पूरी strip खा ली, वह 2 साल का है",
    "Dadi ka right hand achanak kaam nahi kar raha, cup gir gaya, aur theek se bol nahi pa rahi",
    "Yung kapatid ko biglang nanigas tapos nanginig buong katawan, hindi siya sumasagot",
    "mi abuelo no se puede parar desde esta mañana, ayer caminaba normal",
]


@pytest.mark.parametrize("message", MOSTLY_ANOTHER_LANGUAGE)
def test_a_message_mostly_in_another_language_gets_the_safety_line_whatever_it_says(
    engine: Engine, message: str
) -> None:
    answer = engine.answer(message)
    net = load_rules().triage.rules.safety_net

    assert engine.analyse(message).foreign
    triage = next(step.verdict for step in answer.trace if step.stage == "triage")
    assert answer.status is Status.RED_FLAG or "safety net: a message in another" in triage
    assert answer.status is Status.RED_FLAG or net in answer.reply.cautions
    if answer.status is Status.OUT_OF_SCOPE:
        assert to_text(answer.reply).startswith((FOREIGN_LEAD, EMPTY_LEAD))
    for entry in answer.suggested:  # a question picked from the buttons carries the line too
        picked = engine.follow(entry.id, answer.carry)
        assert picked is not None and net in picked.reply.cautions


@pytest.mark.parametrize(
    "message",
    [
        "is magnesium glycinate ok for my abuela, she gets night cramps",
        "magnesium for leg cramps",
        "my nani takes quinine, can she also take magnesium",
        "ok ok ok ok",
        "ur bot iz gr8 thx m8",
    ],
)
def test_english_with_a_word_of_another_language_is_read_as_english(
    engine: Engine, message: str
) -> None:
    query = engine.analyse(message)

    assert not query.foreign
    assert not engine.answer(message).reply.body.startswith(FOREIGN_LEAD)


@pytest.mark.parametrize(
    "message",
    [
        "does magnesium help leg cramps",
        "magnesium",
        "magnesium for sleep",
        "hi",
        "my chest hurts",
        "",
        "zzzz qqqq",
        "a" * 5000,
        "magnesium " * 500,
    ],
)
def test_candidates_are_at_least_three_and_best_first(engine: Engine, message: str) -> None:
    candidates = engine.answer(message).candidates
    scores = [hit.score for hit in candidates]

    assert len(candidates) >= 3
    assert scores == sorted(scores, reverse=True)
    assert len({hit.entry_id for hit in candidates}) == len(candidates)


def test_an_unsure_answer_offers_the_top_three_candidates(engine: Engine) -> None:
    answer = engine.answer("magnesium")

    assert answer.status is Status.UNSURE
    assert [e.id for e in answer.suggested] == [h.entry_id for h in answer.candidates[:3]]
    assert answer.reply.suggestions == tuple(e.question for e in answer.suggested)


def test_search_ranks_the_same_entries_as_answer(engine: Engine) -> None:
    message = "is magnesium glycinate better than oxide"

    assert list(engine.ranker.rank(engine.analyse(message)).hits) == list(
        engine.answer(message).candidates
    )


def test_a_misspelt_question_still_offers_the_entry_the_right_spelling_gets(
    engine: Engine,
) -> None:
    typo = engine.answer("magnesuim for cramsp")
    clean = engine.answer("magnesium for cramps")

    # the words are corrected before BM25; the embedding reads the message as typed, so the
    # fused order may differ, but the right entry is still offered
    assert typo.status is not Status.OUT_OF_SCOPE
    assert clean.candidates[0].entry_id in [hit.entry_id for hit in typo.candidates[:3]]


@pytest.mark.parametrize(
    "message",
    [
        "I was expecting magnesium to work faster",
        "I was expecting magnesium to stop my cramps by now",
        "not what I was expecting, magnesium did nothing for my cramps",
    ],
)
def test_expecting_something_to_work_is_not_about_pregnancy(engine: Engine, message: str) -> None:
    answer = engine.answer(message)

    assert answer.entry is None or answer.entry.id != "pregnancy"
    assert not any("pregnancy" in caution for caution in answer.reply.cautions)


@pytest.mark.parametrize(
    "message",
    ["magnesium oil spray for calf cramps", "cramp cramp cramp"],
)
def test_explain_contributions_add_up_to_each_candidates_score(
    engine: Engine, message: str
) -> None:
    explanation = engine.explain(message)
    index = engine.ranker.index
    bm25 = index.scores(explanation.query.terms)

    for hit in explanation.answer.candidates:
        total = sum(c.score for c in explanation.contributions if c.entry_id == hit.entry_id)
        assert total == pytest.approx(bm25[index.ids.index(hit.entry_id)], rel=1e-6), hit.entry_id


def test_explain_gives_the_same_answer_as_answer(engine: Engine) -> None:
    message = "how long until magnesium kicks in"

    assert engine.explain(message).answer == engine.answer(message)


@pytest.fixture
def small_corpus(tmp_path: Path) -> Path:
    """Three shipped entries in a folder of their own, with `related` kept inside it."""
    for entry_id in ("kidney", "magnesium-oil", "quinine"):
        text = (default_entries_dir() / f"{entry_id}.md").read_text(encoding="utf-8")
        text = re.sub(r"^related: .*$", "related: []", text, count=1, flags=re.MULTILINE)
        (tmp_path / f"{entry_id}.md").write_text(text, encoding="utf-8")
    return tmp_path


def test_an_engine_over_a_small_corpus_answers_from_that_corpus(small_corpus: Path) -> None:
    engine = build_engine(small_corpus)

    assert sorted(e.id for e in engine.entries) == ["kidney", "magnesium-oil", "quinine"]
    for entry in load_corpus(small_corpus):
        answer = engine.answer(entry.question)
        assert answer.entry == entry, (entry.id, answer.status, answer.candidates)
    assert engine.answer("which foods are rich in magnesium").entry is None


@pytest.mark.parametrize(
    "text",
    [
        "my son swallowed a whole bottle of magnesium tablets",
        "I have crushing chest pain and can't breathe",
        # no red-flag rule reads these; the learned detector does
        "my husband is shaking all over and not responding",
        "i cant feel my bum and i peed myself after my back went",
    ],
)
def test_urgent_finds_an_emergency_as_the_full_answer_does(engine: Engine, text: str) -> None:
    urgent = engine.urgent(text)

    assert urgent is not None and urgent.status is Status.RED_FLAG
    assert urgent.reply == engine.answer(text).reply  # the same urgent message as in full


@pytest.mark.parametrize(
    "text", ["how much magnesium should I take?", "", "x" * 4096, "can magnesium cause chest pain?"]
)
def test_urgent_gives_nothing_for_a_message_without_a_red_flag(engine: Engine, text: str) -> None:
    assert engine.urgent(text) is None


@pytest.mark.parametrize("semantic", [True, False], ids=["hybrid", "lexical"])
def test_urgent_gives_the_full_answers_flag_on_every_message_of_a_triage_set(
    engine: Engine, lexical: Engine, semantic: bool
) -> None:
    # the triage sets' figures are read from urgent() (figures.measure), which neither embeds
    # nor ranks: its flag, concern, second concern and reply must be the full answer's
    chosen = engine if semantic else lexical
    texts = [e.question for e in read_examples(EVAL / "triage-dev2.tsv")][::6]
    flagged = 0
    for text in texts:
        full, urgent = chosen.answer(text), chosen.urgent(text)
        if full.status is not Status.RED_FLAG:
            assert urgent is None, text
            continue
        flagged += 1
        assert urgent is not None, text
        assert (urgent.category, urgent.also, urgent.reply) == (
            full.category,
            full.also,
            full.reply,
        )
    assert 0 < flagged < len(texts)


def test_a_message_read_for_triage_alone_is_not_embedded_but_read_as_the_models_read_it(
    engine: Engine,
) -> None:
    message = "My calf is sore. It has been hot and swollen since the flight yesterday."
    full, alone = engine.analyse(message), engine.analyse(message, embed=False)

    assert full.vector is not None and alone.vector is None
    assert alone.read_by_models and (alone.windows, alone.parts) == (full.windows, full.parts)
    assert len(alone.parts) == 2


QUESTION = "how many mg of magnesium should i take a day for cramps"


@FITTED_HEAD
def test_the_topic_head_reads_the_ranking_beside_bm25_and_the_cosine(engine: Engine) -> None:
    ranking = engine.ranker.rank(engine.analyse(QUESTION))

    assert ranking.topics is not None and all(hit.topic is not None for hit in ranking.hits)
    assert ranking.topics.top == ranking.hits[0].topic
    assert ranking.topics.best >= max(hit.topic or 0.0 for hit in ranking.hits)


@FITTED_HEAD
def test_a_topic_head_fitted_on_other_entries_is_not_read(engine: Engine) -> None:
    head, ids = engine.ranker.topic_head, engine.ranker.index.ids
    vector = engine.analyse(QUESTION).vector
    assert head is not None and vector is not None

    assert head.scores(vector, ids) is not None
    assert head.scores(vector, ids[1:]) is None  # an entry removed since it was fitted
    assert head.scores(vector, (*ids, "drinking-water")) is None  # one added


@FITTED_HEAD
def test_the_decision_leans_on_the_topic_head_and_its_twin_decides_without_it(
    engine: Engine,
) -> None:
    model = engine.policy
    assert isinstance(model, DecisionModel) and model.without_topics is not None
    ranking = engine.ranker.rank(engine.analyse(QUESTION))

    def given(topics: Topics | None) -> float:
        return model.probability(dataclasses.replace(ranking, topics=topics))

    sure = given(Topics(top=0.99, best=0.99, outside=0.0, agree=True))
    doubt = given(Topics(top=0.01, best=0.9, outside=0.9, agree=False))
    unread = dataclasses.replace(ranking, topics=None)

    assert sure > doubt
    assert model.for_ranking(unread) is model.without_topics
    assert given(None) == model.without_topics.probability(unread)
    assert len(features(unread)) == len(model.weights) > len(model.without_topics.weights)


@FITTED_HEAD
@pytest.mark.parametrize(("unanimous", "status"), [(True, Status.ANSWERED), (False, Status.UNSURE)])
def test_a_ranking_every_reading_agrees_on_is_answered_at_the_lower_cut(
    engine: Engine, unanimous: bool, status: Status
) -> None:
    model = engine.policy
    assert isinstance(model, DecisionModel) and model.agreed_answer_at is not None
    ranking = engine.ranker.rank(engine.analyse("when should i take it, morning or at night?"))
    ranking = dataclasses.replace(ranking, unanimous=unanimous, exact=False)
    p = model.probability(ranking)
    # this ranking's probability between the two answer cuts, above the offer cut
    moved = dataclasses.replace(
        model, answer_at=p + 0.01, agreed_answer_at=p - 0.01, unsure_at=p - 0.1
    )
    assert ranking.terms >= 2
    assert decide(ranking, moved) is status


@FITTED_HEAD
@pytest.mark.parametrize(
    ("unanimous", "words"),
    [(True, "answer from 0.60 (unanimous: BM25, the embedding and the topic head)"),
     (False, "answer from 0.80, offer from 0.40")],
)  # fmt: skip
def test_the_decision_step_names_the_probability_and_the_cut_that_applied(
    engine: Engine, unanimous: bool, words: str
) -> None:
    model = engine.policy
    assert isinstance(model, DecisionModel)
    ranking = engine.ranker.rank(engine.analyse("when should i take it, morning or at night?"))
    ranking = dataclasses.replace(ranking, unanimous=unanimous, exact=False)
    moved = dataclasses.replace(model, answer_at=0.8, agreed_answer_at=0.6, unsure_at=0.4)

    decided = decision(ranking, moved)

    assert decided.status is decide(ranking, moved)
    assert f"probability {model.probability(ranking):.3f}; " in decided.why
    assert words in decided.why


def test_the_trace_says_why_a_message_was_answered_offered_or_declined(
    engine: Engine, lexical: Engine
) -> None:
    entry = engine.entries[0]

    def why(answering: Engine, text: str) -> str:
        return next(s.verdict for s in answering.answer(text).trace if s.stage == "decision")

    assert why(engine, entry.question) == "answered: the exact phrasing of an entry"
    assert re.fullmatch(
        r"(answered|unsure|out_of_scope): probability 0\.\d{3}; answer from 0\.\d\d.*",
        why(engine, "does mag spray do anything for calf cramps"),
    )
    assert re.fullmatch(
        r"(answered|unsure|out_of_scope): BM25 confidence \d\.\d{3}, margin \d\.\d{3}.*",
        why(lexical, "does mag spray do anything for calf cramps"),
    )


@pytest.mark.parametrize("cut", [0.3, 0.95])
def test_an_agreed_answer_cut_outside_the_other_two_is_refused(cut: float) -> None:
    data = yaml.safe_load((default_data_dir() / "decision.yaml").read_text(encoding="utf-8"))
    DecisionModel.from_data(data)  # the shipped cut loads
    with pytest.raises(ValueError, match="between unsure_at and answer_at"):
        DecisionModel.from_data({**data, "agreed_answer_at": cut})


@pytest.mark.parametrize(
    ("answer_at", "unsure_at"), [(0.5, 0.88), (1.2, 0.5), (0.88, -0.1)], ids=str
)
def test_answer_and_offer_cuts_out_of_order_or_range_are_refused(
    answer_at: float, unsure_at: float
) -> None:
    data = yaml.safe_load((default_data_dir() / "decision.yaml").read_text(encoding="utf-8"))
    data.pop("agreed_answer_at")
    with pytest.raises(ValueError, match="unsure_at <= answer_at"):
        DecisionModel.from_data({**data, "answer_at": answer_at, "unsure_at": unsure_at})
    twin = {**data["without_topics"], "answer_at": answer_at, "unsure_at": unsure_at}
    with pytest.raises(ValueError, match="unsure_at <= answer_at"):
        DecisionModel.from_data({**data, "without_topics": twin})


def test_a_lexical_offer_cut_above_the_answer_cut_is_refused() -> None:
    data = yaml.safe_load((default_data_dir() / "thresholds.yaml").read_text(encoding="utf-8"))
    Thresholds.from_data(data)  # the shipped thresholds load
    with pytest.raises(ValueError, match="must not lie above answer_confidence"):
        Thresholds.from_data({**data, "unsure_confidence": data["answer_confidence"] + 0.1})


@pytest.mark.parametrize(
    ("lexical_top", "semantic_top", "topic_top", "topic_weight", "outside", "unanimous"),
    [
        (0, 0, 0, 0.2, 0.05, True),
        (0, 0, 1, 0.2, 0.05, False),  # BM25 and the embedding put 0 first; the head prefers 1
        (0, 0, 1, 5.0, 0.05, False),  # ... and its weight lifts 1 to the top
        (0, 1, 0, 0.2, 0.05, False),
        (1, 0, 0, 0.2, 0.05, False),
        (None, 0, 0, 0.2, 0.05, False),  # no word of the message matched: BM25 ranks nothing
        (0, 0, 0, 0.2, 0.95, True),  # the head's "outside" does not veto (faq/ranking.py)
        (0, 0, None, 0.2, 0.05, False),  # no topic head that fits the corpus
    ],
)
def test_a_ranking_is_unanimous_only_when_every_reading_ranks_its_top_entry_first(
    engine: Engine,
    lexical_top: int | None,
    semantic_top: int,
    topic_top: int | None,
    topic_weight: float,
    outside: float,
    unanimous: bool,
) -> None:
    size = len(engine.ranker.index.ids)
    lexical, semantic, topics = np.zeros(size), np.full(size, 0.3), np.full(size, 0.01)
    if lexical_top is not None:
        lexical[lexical_top] = 0.6
    semantic[semantic_top] = 0.7
    if topic_top is not None:
        topics[topic_top] = 0.9
    scores = None if topic_top is None else TopicScores(topics, outside)
    query = engine.analyse("magnesium and metformin ok together?")
    fusion = Fusion(0.5, topic_weight)

    assert engine.ranker.ranking(query, lexical, semantic, scores, 5, fusion).unanimous is unanimous


@pytest.mark.parametrize(
    ("text", "entry"),
    [
        ("can magnesium cause chest pain?", "side-effects"),
        ("can taking magnesium give you chest pains", "side-effects"),
        ("can magnesium make your heart race", "side-effects"),
        ("what are the signs of a blood clot", "see-doctor"),
        ("how much magnesium is dangerous", "overdose"),
    ],
)
def test_a_general_question_that_names_a_warning_sign_is_answered(
    engine: Engine, text: str, entry: str
) -> None:
    # triage.md: "can magnesium cause chest pain" is not an emergency; answer it
    answer = engine.answer(text)

    assert answer.status in (Status.ANSWERED, Status.UNSURE)
    assert answer.candidates[0].entry_id == entry
