"""The corpus loader on real files in tmp_path, and the shipped corpus as content under test."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable
from pathlib import Path

import pytest

from faq.corpus import CorpusError, Problem, check_corpus, default_entries_dir, load_corpus
from faq.model import MAX_ANSWER_CHARS, REQUIRED_IDS, Entry

# The small corpus: three shipped entries. Only dosage.md has `related`, and nothing points
# to it, so a fault put into dosage.md is reported on dosage.md alone.
SMALL = {"dosage": '["side-effects"]', "side-effects": "[]", "kidney": "[]"}


def edit(path: Path, pattern: str, replacement: str) -> None:
    """Replace the one line (or block) the pattern finds; fail loudly if it is not there once."""
    text = path.read_text(encoding="utf-8")
    new, count = re.subn(pattern, replacement, text, flags=re.MULTILINE)
    assert count == 1, f"{pattern!r} matched {count} times in {path.name}"
    path.write_text(new, encoding="utf-8")


def front_matter_end(path: Path) -> int:
    """Give the offset just after the closing `---` of the front matter."""
    text = path.read_text(encoding="utf-8")
    return text.index("\n---\n", 4) + len("\n---\n")


@pytest.fixture
def corpus(tmp_path: Path) -> Path:
    """A valid corpus of three entries copied from the shipped ones."""
    folder = tmp_path / "entries"
    folder.mkdir()
    for entry_id, related in SMALL.items():
        text = (default_entries_dir() / f"{entry_id}.md").read_text(encoding="utf-8")
        path = folder / f"{entry_id}.md"
        path.write_text(text, encoding="utf-8")
        edit(path, r"^related: .*$", f"related: {related}")
    return folder


def problems_of(folder: Path) -> list[Problem]:
    """Give the errors load_corpus raises for a folder (and check that it does raise)."""
    with pytest.raises(CorpusError) as raised:
        load_corpus(folder)
    return list(raised.value.problems)


def test_the_small_corpus_loads_before_any_fault_is_put_in(corpus: Path) -> None:
    entries = load_corpus(corpus)

    assert sorted(entry.id for entry in entries) == sorted(SMALL)


def four_alternates(path: Path) -> None:
    edit(path, r"^alternates:\n(?:  - .*\n)+", "alternates:\n" + '  - "a b c d"\n' * 4)


def evidence_level(level: str) -> Callable[[Path], None]:
    def put(path: Path) -> None:
        evidence = f'evidence:\n  level: "{level}"\n  note: "A note that is long enough."'
        edit(path, r"^(reviewed: .*)$", rf"\1\n{evidence}")

    return put


def answer_of_length(length: int) -> Callable[[Path], None]:
    def put(path: Path) -> None:
        text = path.read_text(encoding="utf-8")
        path.write_text(text[: front_matter_end(path)] + "x" * length + "\n", encoding="utf-8")

    return put


# The url of dosage.md's first source (NIH ODS); its second (EFSA) backs the EU's 250 mg.
FIRST_URL = r'^    url: "https://ods\.od\.nih\.gov/.*$'


def line(pattern: str, replacement: str) -> Callable[[Path], None]:
    return lambda path: edit(path, pattern, replacement)


FAULTS = [
    pytest.param(
        line(r"^(reviewed: .*)$", r"\1\ncolour: blue"),
        "colour",
        "unknown key (allowed: id, question, alternates, sources, reviewed, related, tags, "
        "evidence)",
        id="unknown key",
    ),
    pytest.param(
        line(r"^alternates:\n(?:  - .*\n)+", 'alternates: "how much magnesium a day"\n'),
        "alternates",
        "Input should be a valid tuple",
        id="alternates written as one string",
    ),
    pytest.param(
        line(FIRST_URL + r"\n", ""), "sources.0.url", "Field required", id="source without url"
    ),
    pytest.param(
        line(FIRST_URL, '    url: "ods.od.nih.gov factsheets"'),
        "sources.0.url",
        "Input should be a valid URL",
        id="source url that is not a url",
    ),
    pytest.param(
        four_alternates,
        "alternates",
        "Tuple should have at least 5 items after validation, not 4",
        id="four alternates",
    ),
    pytest.param(
        line(r"^question: .*$", "question: no"),
        "question",
        "YAML read this as bool False; put the text in quotes",
        id="question: no",
    ),
    pytest.param(
        line(r"^tags: .*$", "tags: [10:00]"),
        "tags[0]",
        "YAML read this as int 600; put the text in quotes",
        id="tags: [10:00]",
    ),
    pytest.param(
        line(r"^id: .*$", "id: yes"),
        "id",
        "YAML read this as bool True; put the text in quotes",
        id="id: yes",
    ),
    pytest.param(line(r"^reviewed: .*\n", ""), "reviewed", "Field required", id="reviewed missing"),
    pytest.param(
        line(r"^reviewed: .*$", 'reviewed: "21/11/2026"'),
        "reviewed",
        "must be a date written as YYYY-MM-DD",
        id="reviewed not a date",
    ),
    pytest.param(
        line(r"^reviewed: .*$", 'reviewed: "2026-02-30"'),
        "reviewed",
        "must be a date written as YYYY-MM-DD",
        id="reviewed quoted, no such day",
    ),
    pytest.param(
        evidence_level("strong"),
        "evidence.level",
        "Input should be 'high', 'moderate', 'low' or 'very-low'",
        id="evidence level strong",
    ),
    pytest.param(
        line(r"^id: .*$", 'id: "dose"'),
        "id",
        "id 'dose' must equal the file name 'dosage'",
        id="id differs from file name",
    ),
    pytest.param(
        line(r"^id: .*$", 'id: "Dosage"'),
        "id",
        "String should match pattern",
        id="id with a capital letter",
    ),
    pytest.param(
        line(r"^related: .*$", 'related: ["nowhere"]'),
        "related",
        "points to 'nowhere', which is not an entry",
        id="related to a missing id",
    ),
    pytest.param(
        line(r"^related: .*$", 'related: ["dosage"]'),
        "related",
        "an entry cannot relate to itself",
        id="related to itself",
    ),
    pytest.param(
        answer_of_length(1500),
        "answer",
        f"answer is 1500 characters; the limit is {MAX_ANSWER_CHARS}",
        id="answer over the limit",
    ),
]


@pytest.mark.parametrize(("fault", "field", "reason"), FAULTS)
def test_a_fault_in_one_entry_is_reported_with_its_file_field_and_reason(
    corpus: Path, fault: Callable[[Path], None], field: str, reason: str
) -> None:
    fault(corpus / "dosage.md")

    problems = problems_of(corpus)

    assert {p.file for p in problems} == {"dosage.md"}, problems
    matching = [p for p in problems if p.field == field]
    assert matching, problems
    assert any(reason in p.reason for p in matching), matching


def test_a_quoted_review_date_is_read_as_the_date(corpus: Path) -> None:
    # CONTRIBUTING says to quote every string; a contributor who quotes the date is right too
    line(r"^reviewed: .*$", 'reviewed: "2026-03-04"')(corpus / "dosage.md")

    entry = next(e for e in load_corpus(corpus) if e.id == "dosage")

    assert entry.reviewed == dt.date(2026, 3, 4)


def test_an_answer_at_the_limit_is_accepted(corpus: Path) -> None:
    answer_of_length(MAX_ANSWER_CHARS)(corpus / "dosage.md")

    entries = load_corpus(corpus)

    assert len(next(e for e in entries if e.id == "dosage").answer) == MAX_ANSWER_CHARS


def test_invalid_yaml_is_reported_on_the_front_matter_with_its_line(corpus: Path) -> None:
    edit(corpus / "dosage.md", r"^question: .*$", "question: [How much")

    [problem] = problems_of(corpus)

    assert (problem.file, problem.field) == ("dosage.md", "front matter")
    assert problem.reason.startswith("invalid YAML: ")
    assert re.search(r"\(line \d+, column \d+\)$", problem.reason)


def test_a_byte_order_mark_at_the_start_is_reported(corpus: Path) -> None:
    path = corpus / "dosage.md"
    path.write_bytes(b"\xef\xbb\xbf" + path.read_bytes())

    assert problems_of(corpus) == [
        Problem("dosage.md", "-", "starts with a byte-order mark (BOM); save as UTF-8")
    ]


def test_bytes_that_are_not_utf8_are_reported_with_their_offset(corpus: Path) -> None:
    path = corpus / "dosage.md"
    text = path.read_text(encoding="utf-8")
    path.write_bytes(text.replace("magnesium", "magnésium", 1).encode("latin-1"))

    [problem] = problems_of(corpus)

    assert (problem.file, problem.field) == ("dosage.md", "-")
    assert re.fullmatch(r"not UTF-8 text \(.+ at byte \d+\)", problem.reason)


def test_two_files_with_the_same_id_report_both_the_name_and_the_duplicate(
    corpus: Path,
) -> None:
    edit(corpus / "kidney.md", r"^id: .*$", 'id: "side-effects"')

    problems = problems_of(corpus)

    assert Problem("kidney.md", "id", "id 'side-effects' must equal the file name 'kidney'") in (
        problems
    )
    assert Problem("side-effects.md", "id", "duplicate id 'side-effects' (also in kidney.md)") in (
        problems
    )


def test_an_empty_directory_is_an_error(tmp_path: Path) -> None:
    assert problems_of(tmp_path) == [Problem(str(tmp_path), "-", "no entries (*.md) found")]


def test_every_fault_in_every_file_is_listed_in_one_error(corpus: Path) -> None:
    edit(corpus / "dosage.md", r"^question: .*$", "question: no")
    edit(corpus / "kidney.md", r"^reviewed: .*\n", "")

    with pytest.raises(CorpusError) as raised:
        load_corpus(corpus)

    message = str(raised.value)
    assert "dosage.md: error: question: YAML read this as bool False" in message
    assert "kidney.md: error: reviewed: Field required" in message


def test_check_corpus_gives_the_entries_that_parse_along_with_the_problems(
    corpus: Path,
) -> None:
    edit(corpus / "kidney.md", r"^question: .*$", "question: no")

    entries, problems = check_corpus(corpus)

    assert sorted(e.id for e in entries) == ["dosage", "side-effects"]
    assert [(p.file, p.field) for p in problems] == [("kidney.md", "question")]


def test_windows_line_endings_load_like_unix_ones(corpus: Path) -> None:
    path = corpus / "dosage.md"
    path.write_bytes(path.read_bytes().replace(b"\n", b"\r\n"))

    assert len(load_corpus(corpus)) == 3


def test_a_source_without_url_is_reported_once(corpus: Path) -> None:
    edit(corpus / "dosage.md", FIRST_URL + r"\n", "")

    assert problems_of(corpus) == [Problem("dosage.md", "sources.0.url", "Field required")]


def test_a_broken_entry_is_not_reported_again_by_the_entries_that_relate_to_it(
    corpus: Path,
) -> None:
    edit(corpus / "side-effects.md", r"^related: .*$", 'related: ["dosage"]')
    edit(corpus / "dosage.md", r"^question: .*$", "question: no")

    assert {p.file for p in problems_of(corpus)} == {"dosage.md"}


@pytest.mark.parametrize("key_line", ["yes: true", "2: a second question"])
def test_a_key_yaml_does_not_read_as_text_is_a_corpus_error(corpus: Path, key_line: str) -> None:
    edit(corpus / "dosage.md", r"^(reviewed: .*)$", rf"\1\n{key_line}")

    [problem] = problems_of(corpus)

    assert problem.file == "dosage.md"


def test_a_key_written_twice_is_reported(corpus: Path) -> None:
    edit(corpus / "dosage.md", r"^(reviewed: .*)$", r'\1\nquestion: "A second question?"')

    problems = problems_of(corpus)

    assert [(p.file, p.field) for p in problems] == [("dosage.md", "question")]


# The shipped corpus, treated as code.


@pytest.fixture(scope="module")
def shipped() -> dict[str, Entry]:
    return {entry.id: entry for entry in load_corpus()}


def test_the_shipped_corpus_loads_without_problems() -> None:
    _, problems = check_corpus()

    assert [p for p in problems if not p.warning] == []


@pytest.mark.parametrize("entry_id", REQUIRED_IDS)
def test_every_required_entry_ships_with_alternates_a_source_and_a_review_date(
    shipped: dict[str, Entry], entry_id: str
) -> None:
    entry = shipped[entry_id]

    assert len(entry.alternates) >= 5
    assert len(entry.sources) >= 1
    assert entry.reviewed.year >= 2024


# A supplement dose above the 350 mg limit, given as advice: "take 500 mg", "try 400-600 mg",
# "600 mg a day". Sentences about a limit or a wrong claim, about what people need from food
# and supplements together, or about what a trial gave, are not advice.
_ADVICE = re.compile(
    r"\b(?:take|taking|try|use|start(?: on| with)?|give|aim for|up to)\b[^.;\n]{0,20}?"
    r"\b(\d[\d,]*)(?:\s*(?:-|to)\s*(\d[\d,]*))?\s?mg\b"
    r"|\b(\d[\d,]*)(?:\s*-\s*(\d[\d,]*))?\s?mg (?:a|per|each) day\b",
    re.IGNORECASE,
)
_NOT_ADVICE = re.compile(r"\b(limit|over|above|exceeds?|wrong|need|needs|trial)\b", re.I)
_SENTENCE = re.compile(r"[^.\n]+")
SUPPLEMENT_LIMIT_MG = 350


def dose_advice_over_limit(text: str) -> list[str]:
    """Give the sentences of a text that advise a supplement dose above 350 mg."""
    found = []
    for sentence in _SENTENCE.findall(text):
        if _NOT_ADVICE.search(sentence):
            continue
        for match in _ADVICE.finditer(sentence):
            amounts = [int(g.replace(",", "")) for g in match.groups() if g]
            if max(amounts) > SUPPLEMENT_LIMIT_MG:
                found.append(sentence.strip())
    return found


@pytest.mark.parametrize(
    ("text", "flagged"),
    [
        ("Take 500 mg a day for cramps.", True),
        ("Try 400-600 mg at bedtime.", True),
        ("Most people do well on 600 mg a day.", True),
        ("You can use up to 1,000 mg of magnesium.", True),
        ("Keep supplements at or below 350 mg a day.", False),
        ("Take 500 mg a day with food.", True),
        ("Take 300 mg with food.", False),
        ("Most adults need about 310-420 mg a day in total.", False),
        ("Another trial of 360 mg a day found no benefit.", False),
        ("- men: 400 mg (19-30), 420 mg (31+)", False),
        ("Web advice to take 400-600 mg for cramps goes over this limit.", False),
        ("Claims that pregnancy needs 450 mg are wrong.", False),
        ("500 mg of magnesium citrate contains far less than 500 mg of magnesium.", False),
    ],
)
def test_the_dose_check_flags_advice_over_the_limit_and_not_reference_figures(
    text: str, flagged: bool
) -> None:
    assert bool(dose_advice_over_limit(text)) is flagged


def test_no_shipped_answer_advises_a_supplement_dose_above_350_mg(
    shipped: dict[str, Entry],
) -> None:
    advice = {
        entry.id: found
        for entry in shipped.values()
        for found in [
            dose_advice_over_limit(entry.answer)
            + dose_advice_over_limit(entry.evidence.note if entry.evidence else "")
        ]
        if found
    }

    assert advice == {}
