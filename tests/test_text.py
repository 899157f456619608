"""The one tokenizer: normalising, splitting, synonyms, stop words, stemming and typo fixes."""

from __future__ import annotations

from importlib import resources
from pathlib import Path

import pytest

from faq.build import build_engine, load_rules
from faq.corpus import load_corpus
from faq.engine import Engine
from faq.ranking import document
from faq.semantic import default_cache_dir
from faq.spelling import common_words, english_frequencies, english_words
from faq.text import Analyzer, normalize, split_words, stem


@pytest.fixture(scope="module")
def analyzer(engine: Engine) -> Analyzer:
    """The analyzer the engine uses: shipped synonyms and stop words, corpus vocabulary."""
    return engine.analyzer


@pytest.mark.parametrize(
    ("text", "normalised"),
    [
        ("MAGNESIUM", "magnesium"),
        ("Ｍａｇｎｅｓｉｕｍ", "magnesium"),  # full-width letters (NFKC)
        ("ﬁne", "fine"),  # a ligature (NFKC)
        ("Straße", "strasse"),  # case folding, not just lower()
        ("café naïve", "cafe naive"),
        ("cafe\u0301", "cafe"),  # a decomposed accent
        ("can’t", "cant"),
        ("I‘m", "im"),
        ("don't", "dont"),
        ("magnesium`s", "magnesiums"),
        ("５００ｍｇ", "500mg"),
    ],
)
def test_normalize_folds_width_case_accents_and_apostrophes(text: str, normalised: str) -> None:
    assert normalize(text) == normalised


@pytest.mark.parametrize(
    ("text", "words"),
    [
        ("500mg", ["500", "milligram"]),
        ("500 mg", ["500", "milligram"]),
        ("500 MG", ["500", "milligram"]),
        ("250mgs", ["250", "milligram"]),
        ("Mg", ["mg"]),
        ("mg500", ["mg", "500"]),
        ("Is 400mg of Mg OK?", ["is", "400", "milligram", "of", "mg", "ok"]),
        ("magnesium, calcium & zinc!", ["magnesium", "calcium", "zinc"]),
        ("Привет", []),
        ("镁对抽筋有用吗", []),
        ("😀 🤷", []),
        ("", []),
    ],
)
def test_split_words_keeps_latin_words_and_numbers_and_reads_mg_after_a_number(
    text: str, words: list[str]
) -> None:
    assert split_words(text) == words


@pytest.mark.parametrize(
    ("text", "words"),
    [
        ("HeartAttack!", ["heart", "attack"]),
        ("heartattacks", ["heart", "attacks"]),
        ("hart atack my mum", ["heart", "atack", "my", "mum"]),
        ("hert attak", ["heart", "attak"]),
        ("the hart attacked the hunter", ["the", "hart", "attacked", "the", "hunter"]),
        ("hart", ["hart"]),
        ("by the hearth", ["by", "the", "hearth"]),
    ],
)
def test_heart_attack_as_typed_is_read_as_its_two_words(text: str, words: list[str]) -> None:
    assert split_words(text) == words


def test_mg_on_its_own_means_magnesium(analyzer: Analyzer) -> None:
    assert analyzer.terms("Mg") == ("magnesium",)
    assert analyzer.terms("mg for cramps") == analyzer.terms("magnesium for cramps")


def test_mg_after_a_number_means_milligrams_not_magnesium(analyzer: Analyzer) -> None:
    assert analyzer.terms("500mg") == ("500", "milligram")


@pytest.mark.parametrize(
    ("text", "term"),
    [
        ("charley horse", "cramp"),
        ("Charlie horses", "cramp"),
        ("im expecting", "pregnant"),
        ("preggers", "pregnant"),
        ("too much", "overdose"),
        ("OD", "overdose"),
        ("toxicity", "overdose"),
        ("hypermagnesemia", "overdose"),
        ("spray", "topical"),
        ("lotion", "topical"),
        ("Epsom", "topical"),
        ("transdermal", "topical"),
        ("kick in", "onset"),
        ("kicks in", "onset"),
        ("how soon", "onset"),
        ("how fast", "onset"),
        ("takes effect", "onset"),
        ("nursing", "breastfeeding"),
        ("dialysis", "kidney"),
        ("RLS", "restless"),
    ],
)
def test_synonyms_map_everyday_words_to_the_corpus_term(
    analyzer: Analyzer, text: str, term: str
) -> None:
    assert stem(term) in analyzer.terms(text)
    assert stem(term) in analyzer.analyze(text).terms


def test_the_longest_phrase_wins(analyzer: Analyzer) -> None:
    assert analyzer.terms("how long does it take") == ("onset",)
    assert analyzer.terms("magnesium oil") == ("magnesium", "topic", "oil")


def test_stop_words_are_dropped(analyzer: Analyzer) -> None:
    assert analyzer.terms("what is the best magnesium for me") == ("best", "magnesium")
    assert analyzer.terms("is it the and of") == ()


@pytest.mark.parametrize(
    "forms",
    [
        ("cramp", "cramps", "cramping", "cramped"),
        ("leg", "legs"),
        ("supplement", "supplements"),
        ("absorb", "absorbs", "absorbing"),
    ],
)
def test_inflected_forms_give_the_same_term(analyzer: Analyzer, forms: tuple[str, ...]) -> None:
    assert len({analyzer.terms(word) for word in forms}) == 1


def test_calves_and_calf_give_the_same_term(analyzer: Analyzer) -> None:
    assert analyzer.terms("calves") == analyzer.terms("calf")


@pytest.mark.parametrize(
    ("typo", "fixed"),
    [
        ("magnesuim", "magnesium"),
        ("pregant", "pregnant"),
        ("cramsp", "cramps"),
        ("claf", "calf"),
    ],
)
def test_typos_are_corrected_towards_the_vocabulary(typo: str, fixed: str) -> None:
    analyzer = Analyzer({}, (), ["magnesium", "pregnant", "cramps", "calf"])

    analysis = analyzer.analyze(f"is {typo} ok")

    assert analysis.words == ("is", fixed, "ok")
    assert analysis.corrections == ((typo, fixed),)


@pytest.mark.parametrize(
    ("typo", "fixed"),
    [
        ("pregant", "pregnant"),
        ("mgnesium", "magnesium"),
        ("claf", "calf"),
        ("suplement", "supplement"),
        ("diffrence", "difference"),
        ("creatin", "creatine"),  # not "creating": a dropped g only when no word ends in e
        pytest.param(
            "magnesuim",
            "magnesium",
        ),
        pytest.param(
            "cramsp",
            "cramps",
        ),
    ],
)
def test_the_engine_corrects_common_typos(analyzer: Analyzer, typo: str, fixed: str) -> None:
    analysis = analyzer.analyze(typo)

    assert analysis.words == (fixed,)
    assert analysis.terms == analyzer.terms(fixed)


@pytest.mark.parametrize(
    ("typed", "meant"),
    [
        ("sweatin", "sweating"),  # once corrected to "statin", a medicine
        ("shakin", "shaking"),  # once "skin"
        ("farmin", "farming"),  # once "harming"
        ("kiddin", "kidding"),  # once "hidden"
        ("lookin", "looking"),
        ("weddin", "wedding"),
        ("breathin", "breathing"),
    ],
)
def test_a_dropped_g_is_put_back_before_any_typo_is_corrected(
    analyzer: Analyzer, typed: str, meant: str
) -> None:
    assert analyzer.analyze(typed).words == (meant,)


@pytest.mark.parametrize("word", ["crampy", "bruxism"])
def test_the_words_the_triage_context_reads_are_not_corrected_into_others(
    analyzer: Analyzer, word: str
) -> None:
    # "crampy" was "cramps", "bruxism" "bruise" (a sign of quinine harm)
    assert analyzer.analyze(word).words == (word,)


@pytest.mark.parametrize(
    "word",
    [
        "calm",  # an English word one letter from "calf"
        "clam",
        "form",
        "taken",
        "glycinate",  # a corpus word, though not in the English dictionary
        "lge",  # three letters: too short to correct safely
        "mag",
        "zzzzzzzz",  # nothing close enough
    ],
)
def test_real_words_short_words_and_far_words_are_left_alone(analyzer: Analyzer, word: str) -> None:
    analysis = analyzer.analyze(word)

    assert analysis.words == (word,)
    assert analysis.corrections == ()


def test_the_index_and_the_query_stage_read_an_entrys_phrasings_alike(engine: Engine) -> None:
    differing = [
        text
        for entry in engine.entries
        for text, indexed in zip(
            (entry.question, *entry.alternates),
            document(entry, engine.analyzer).phrasings,
            strict=True,
        )
        if indexed != engine.analyse(text).terms
    ]

    assert differing == []


def test_every_canonical_question_is_spelt_so_that_nothing_is_corrected(
    analyzer: Analyzer,
) -> None:
    corrected = {
        entry.id: analyzer.analyze(entry.question).corrections
        for entry in load_corpus()
        if analyzer.analyze(entry.question).corrections
    }

    assert corrected == {}


def test_a_fresh_analyzer_gives_the_same_terms_as_the_engines() -> None:
    fresh = load_rules().analyzer
    engine = build_engine()
    text = "How long until magnesium oil kicks in for my charley horse?"

    assert fresh.terms(text) == engine.analyzer.terms(text)


def test_the_analysis_text_is_the_corrected_words_joined_by_spaces(analyzer: Analyzer) -> None:
    assert analyzer.analyze("I’m PREGANT, is Mg ok?").text == "im pregnant is mg ok"


def test_the_english_dictionary_reads_every_line_as_a_word_and_its_count() -> None:
    path = resources.files("symspellpy") / "frequency_dictionary_en_82_765.txt"
    lines = [line.split(" ") for line in path.read_text(encoding="utf-8").splitlines() if line]
    assert all(len(fields) == 2 for fields in lines)
    assert english_frequencies() == {word: int(count) for word, count in lines}


@pytest.mark.parametrize(
    "contraction", ["aren't", "weren't", "ain't", "mustn't", "they're", "we've", "it'll", "you'd"]
)
def test_a_contraction_is_not_corrected_into_another_word(engine: Engine, contraction: str) -> None:
    # "aren't" once became "parent" and "ain't" "faint": the rules then saw a sign
    assert engine.analyse(f"my legs {contraction} ok").normalised.split()[2] == contraction.replace(
        "'", ""
    )


WORDS = ["magnesium", "pregnant", "cramps", "calf", "supplement"]
CORPUS_TEXT = "is magnesuim ok while pregant with cramsp"


def _spelling_files(folder: Path) -> list[Path]:
    return sorted(folder.glob("spelling-*.json"))


def test_the_spelling_remembered_between_starts_corrects_as_a_fresh_one(tmp_path: Path) -> None:
    fresh = Analyzer({}, (), WORDS, ["magnesuim", "calf"])
    first = Analyzer({}, (), WORDS, ["magnesuim", "calf"], tmp_path)
    first.analyze(CORPUS_TEXT)
    first.remember()
    second = Analyzer({}, (), WORDS, ["magnesuim", "calf"], tmp_path)

    assert len(_spelling_files(tmp_path)) == 1
    assert not first.recalled and second.recalled
    for analyzer in (first, second):
        for text in (CORPUS_TEXT, "claf suplement magnesuim", "zzqx"):
            assert analyzer.analyze(text) == fresh.analyze(text)


def test_other_words_are_remembered_in_another_file(tmp_path: Path) -> None:
    for corpus_words in (["calf"], ["calf", "calf"], ["calves"]):
        analyzer = Analyzer({}, (), WORDS, corpus_words, tmp_path)
        analyzer.analyze(CORPUS_TEXT)
        analyzer.remember()

    assert len(_spelling_files(tmp_path)) == 3


def test_messages_read_after_the_build_are_never_stored(tmp_path: Path) -> None:
    analyzer = Analyzer({}, (), WORDS, (), tmp_path)
    analyzer.analyze(CORPUS_TEXT)
    analyzer.remember()
    analyzer.analyze("my neighbour qwertyuiop has magnezium")
    analyzer.remember()

    stored = _spelling_files(tmp_path)[0].read_text(encoding="utf-8")
    assert "cramsp" in stored
    assert "qwertyuiop" not in stored and "magnezium" not in stored


@pytest.mark.parametrize("damage", ["", "{", "[]", '{"vocabulary": [1], "fixes": {}}'])
def test_a_damaged_spelling_file_is_made_again(tmp_path: Path, damage: str) -> None:
    Analyzer({}, (), WORDS, (), tmp_path).remember()  # the vocabulary, no corrections yet
    analyzer = Analyzer({}, (), WORDS, (), tmp_path)
    analyzer.analyze(CORPUS_TEXT)
    analyzer.remember()
    (path,) = _spelling_files(tmp_path)
    path.write_text(damage, encoding="utf-8")

    again = Analyzer({}, (), WORDS, (), tmp_path)

    assert again.analyze(CORPUS_TEXT).words[1:5] == ("magnesium", "ok", "while", "pregnant")
    again.remember()
    assert "cramsp" in path.read_text(encoding="utf-8")


def test_the_engine_reads_its_corpus_as_an_analyzer_that_remembers_nothing(
    engine: Engine, lexical: Engine
) -> None:
    # the semantic engine stored its corpus spelling in the cache as it was built; the
    # lexical engine has no cache and computes everything afresh from the same words
    remembered = lexical.analyzer.with_vocabulary((), (), default_cache_dir())
    texts = [t for e in engine.entries for t in (e.question, *e.alternates, *e.tags)]
    texts += [*load_rules().outside, "claf suplement magnesuim", "pregant and crmaps at nite"]

    assert remembered.recalled
    assert [remembered.analyze(t) for t in texts] == [lexical.analyzer.analyze(t) for t in texts]


# Every word a rule or the corpus names becomes a word typos are corrected towards, so adding
# one can pull a word people write into it: a draft rule of session 50 naming "app" and
# "lego" turned "appt" (appointment) into "app" and "levo" (levothyroxine) into "lego", and
# a locked set lost a right answer. These are the corrections the shipped words must keep.
@pytest.mark.parametrize(
    ("typed", "read"),
    [
        ("appt", "appt"),
        ("levo", "levo"),
        ("abx", "abx"),
        ("meds", "meds"),
        ("preg", "preg"),
        ("ngl", "ngl"),
        ("stomache", "stomach"),
        ("paracetemol", "paracetamol"),
        ("ibuprofin", "ibuprofen"),
        ("quinnine", "quinine"),
        ("magnisium", "magnesium"),
        ("musle", "muscle"),
        pytest.param(
            "tounge",
            "tongue",
            marks=pytest.mark.xfail(
                strict=True, reason="known: common enough online to be a word (common-words.txt)"
            ),
        ),
    ],
)
def test_the_shipped_vocabulary_reads_common_typos_and_abbreviations_as_meant(
    analyzer: Analyzer, typed: str, read: str
) -> None:
    assert analyzer.analyze(typed).words == (read,)


# Words people write that the English dictionary lacks (brands, apps, names, slang, loanwords)
# were "corrected" to the nearest word the rules or the corpus use, some into alarm words.
@pytest.mark.parametrize(
    ("typed", "once"),
    [
        ("garmin", "harming"),
        ("rehydration", "dehydration"),
        ("tonite", "tonic"),
        ("brexit", "breast"),
        ("izzy", "dizzy"),
        ("aircon", "iron"),
        ("burpee", "purple"),
        ("tweeting", "sweating"),
        ("pharma", "harm"),
        ("copd", "cold"),
        ("reddit", "credit"),
    ],
)
def test_words_people_write_often_are_not_typos(analyzer: Analyzer, typed: str, once: str) -> None:
    assert analyzer.analyze(typed).words == (typed,), f"read as {once!r}, as it once was"


# Misspellings and dialect forms common enough online to be counted stay out of the list, so
# the rules still read them as meant: "wet meself" once missed a cauda equina rule, and a
# review found "enought", "stoped", "haveing", "stil" and "bood" lost emergencies. Some are
# left out by hand, most because a far commoner word is near them.
@pytest.mark.parametrize(
    ("typed", "meant"),
    [
        ("meself", "myself"),
        ("pils", "pills"),
        ("jsut", "just"),
        ("zink", "zinc"),
        ("enought", "enough"),
        ("stoped", "stopped"),
        ("haveing", "having"),
        ("stil", "still"),
        ("bood", "blood"),
        ("ches", "chest"),
    ],
)
def test_misspellings_common_online_are_still_corrected(
    analyzer: Analyzer, typed: str, meant: str
) -> None:
    assert typed not in common_words()
    assert analyzer.analyze(typed).words == (meant,)


def test_the_common_words_are_plain_lower_case_words_the_dictionary_lacks() -> None:
    words = common_words()
    path = Path(str(resources.files("faq") / "data" / "common-words.txt"))
    listed = [w for w in path.read_text(encoding="utf-8").splitlines() if not w.startswith("#")]

    assert listed == sorted(set(listed))
    assert all(w.isascii() and w.isalpha() and w.islower() and len(w) >= 4 for w in listed)
    assert words == frozenset(listed)
    assert not words & english_words()
    assert f"{len(listed)} words." in path.read_text(encoding="utf-8")
