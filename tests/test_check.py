"""`magbot check` and `magbot new` on real corpus files in tmp_path: one fault, one line."""

from __future__ import annotations

import datetime as dt
import re
import shutil
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import frontmatter
import pytest

from faq.build import default_data_dir
from faq.cli import EXIT_FAILED, EXIT_OK, EXIT_USAGE, main
from faq.corpus import default_entries_dir, parse_entry
from faq.model import MIN_ALTERNATES
from faq.rules import read_yaml

SHIPPED = len(list(default_entries_dir().glob("*.md")))
STALE_HEAD = (
    "topic-head.json: warning: classes: fitted on other entries; until `python -m"
    " faq.maintain.fit --write` refits it, the ranking and the decision read no topics"
)
FIELDS = {"id", "question", "alternates", "sources", "reviewed", "related", "tags", "evidence"}

# A new entry as a maintainer writes it after `magbot new drinking-water`: real content,
# an NIH ODS source, alternates that are about this topic and no other, and an evidence
# block because one alternate asks whether it is worth buying for cramps.
DRINKING_WATER = f"""---
id: "drinking-water"
question: "Can I get magnesium from my drinking water?"
alternates:
  - "magnesium in tap water?"
  - "does hard water have magnesium in it"
  - "which mineral water has the most magnesium"
  - "how much magnesium is in bottled water"
  - "is magnesium water worth buying for cramps"
sources:
  - name: "NIH Office of Dietary Supplements: Magnesium fact sheet for health professionals"
    url: "https://ods.od.nih.gov/factsheets/Magnesium-HealthProfessional/"
reviewed: {dt.date.today().isoformat()}
related: ["food-sources", "dosage"]
tags: ["water", "tap water", "hard water", "mineral water", "bottled water"]
evidence:
  level: "very-low"
  note: "No trial has tested magnesium-rich water for cramps."
---
Some, but how much depends on the water. Tap, mineral and bottled waters all contain
magnesium, from about 1 mg to more than 120 mg per litre depending on the source and brand.

- **Hard water** usually holds more magnesium than soft water; your water supplier can tell
  you how hard yours is.
- **Mineral water** labels list magnesium in mg per litre, so you can compare brands.

Water alone rarely covers what you need in a day. Foods such as nuts, seeds, beans and whole
grains are the main sources.
"""


@pytest.fixture
def corpus(tmp_path: Path) -> Path:
    """A copy of the shipped entries, all reviewed today, so no stale warning muddies a result."""
    folder = tmp_path / "entries"
    shutil.copytree(default_entries_dir(), folder)
    for path in folder.glob("*.md"):
        edit(path, r"^reviewed: .*$", f"reviewed: {dt.date.today().isoformat()}")
    return folder


def edit(path: Path, pattern: str, replacement: str) -> None:
    """Replace the one line (or block) the pattern finds; fail loudly if it is not there once."""
    text = path.read_text(encoding="utf-8")
    new, count = re.subn(pattern, replacement, text, flags=re.MULTILINE)
    assert count == 1, f"{pattern!r} matched {count} times in {path.name}"
    path.write_text(new, encoding="utf-8")


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    """Run magbot in-process; give the exit code, stdout and stderr."""
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def check(capsys: pytest.CaptureFixture[str], corpus: Path) -> tuple[int, list[str], str]:
    """Run `magbot check` on a folder; give the exit code, the finding lines and the verdict."""
    code, out, err = run(capsys, "--entries", str(corpus), "check")
    assert err == ""
    *findings, verdict = out.splitlines()
    return code, findings, verdict


def fault(file: str, pattern: str, replacement: str) -> Callable[[Path], None]:
    """A fault put into one file of the corpus."""
    return lambda corpus: edit(corpus / file, pattern, replacement)


def alternate(file: str, phrasing: str) -> Callable[[Path], None]:
    """One more alternate at the top of a file's list."""
    return fault(file, r"^alternates:\n", f'alternates:\n  - "{phrasing}"\n')


def long_answer(corpus: Path) -> None:
    """A dosage answer of 1,300 characters: real sentences, over the 1,200 limit."""
    path = corpus / "dosage.md"
    text = path.read_text(encoding="utf-8")
    matter = text[: text.index("\n---\n", 4) + len("\n---\n")]
    sentence = "Keep supplements at or below 350 mg a day unless a doctor advises otherwise. "
    path.write_text(matter + (sentence * 20)[:1300] + "\n", encoding="utf-8")


FAULTS = [
    pytest.param(
        fault("dosage.md", r"^(reviewed: .*)$", r"\1\ncolour: blue"),
        [
            "dosage.md: error: colour: unknown key (allowed: id, question, alternates, sources, "
            "reviewed, related, tags, evidence)"
        ],
        id="schema error: unknown key",
    ),
    pytest.param(
        fault("kidney.md", r"^id: .*$", 'id: "dosage"'),
        [
            "kidney.md: error: id: id 'dosage' must equal the file name 'kidney'",
            "kidney.md: error: id: duplicate id 'dosage' (also in dosage.md)",
        ],
        id="duplicate id",
    ),
    pytest.param(
        fault("dosage.md", r"^related: .*$", 'related: ["side-effects", "nowhere"]'),
        ["dosage.md: error: related: points to 'nowhere', which is not an entry"],
        id="dangling related",
    ),
    pytest.param(
        long_answer,
        ["dosage.md: error: answer: answer is 1300 characters; the limit is 1200"],
        id="answer over the length limit",
    ),
    pytest.param(
        fault("dosage.md", r"^sources:\n(?:  - .*\n(?:    .*\n)*)+", "sources: []\n"),
        ["dosage.md: error: sources: Tuple should have at least 1 item after validation, not 0"],
        id="missing sources",
    ),
    pytest.param(
        alternate("kidney.md", "How much magnesium should I take for leg cramps?"),
        [
            "kidney.md: error: alternates: 'how much magnesium should i take for leg cramps' "
            "is also a phrasing of 'dosage'"
        ],
        id="alternate word for word another entry's question",
    ),
    pytest.param(
        fault("dosage.md", r"\Z", "<p>See your doctor if the cramps go on.</p>\n"),
        [
            "dosage.md: error: answer: raw HTML <p> would show as text; write Markdown "
            "(**bold**, - lists)"
        ],
        id="raw HTML in the answer",
    ),
    pytest.param(
        fault("dosage.md", r'^question: "', 'question: "TODO: '),
        ["dosage.md: error: -: placeholder 'TODO' left in line 3"],
        id="leftover TODO",
    ),
    pytest.param(
        alternate("kidney.md", "how many mg of magnesium should an adult take each day"),
        [
            "kidney.md: error: alternates: 'how many mg of magnesium should an adult take each "
            "day' retrieves 'dosage' first"
        ],
        id="self-retrieval: an alternate about another entry",
    ),
]


@pytest.mark.parametrize(("put", "expected"), FAULTS)
def test_check_names_the_file_field_and_reason_of_one_fault_and_exits_1(
    capsys: pytest.CaptureFixture[str],
    corpus: Path,
    put: Callable[[Path], None],
    expected: list[str],
) -> None:
    put(corpus)

    code, findings, verdict = check(capsys, corpus)

    assert code == EXIT_FAILED
    assert findings == expected
    errors = f"{len(expected)} error" + ("" if len(expected) == 1 else "s")
    assert verdict.endswith(f" entries, {errors}, 0 warnings: FAILED")


# ----------------------------------------------------- the rules of the medical review

KIDNEY_CAVEAT = (
    "names an amount in mg but no kidney caveat: say what people with kidney disease should "
    "do, or link 'kidney' in related"
)
JARGON = "is jargon to a lay reader: say it in plain words or gloss it in brackets"
# stop-cramp-now names no amount and no kidney: the faults below add a dose to it.
A_DOSE = fault("stop-cramp-now.md", r"\Z", "\nIf you try tablets instead, keep to 300 mg a day.\n")
NOTE = r"^  note: .*$"

REVIEW_FAULTS = [
    pytest.param(
        A_DOSE,
        [f"stop-cramp-now.md: error: answer: {KIDNEY_CAVEAT}"],
        id="a dose in mg with no kidney caveat",
    ),
    pytest.param(
        fault(
            "does-it-work.md",
            NOTE,
            '  note: "No clinically meaningful prevention of idiopathic cramps."',
        ),
        [
            f"does-it-work.md: error: evidence.note: 'clinically meaningful' {JARGON}",
            f"does-it-work.md: error: evidence.note: 'idiopathic' {JARGON}",
        ],
        id="clinicians' words in an evidence note",
    ),
    pytest.param(
        fault(
            "quinine.md", NOTE, '  note: "The AAN advises against it; placebos did almost as well."'
        ),
        [
            f"quinine.md: error: evidence.note: 'AAN' {JARGON}",
            f"quinine.md: error: evidence.note: 'placebo' {JARGON}",
        ],
        id="an abbreviation and a plural in an evidence note",
    ),
    pytest.param(
        fault(
            "dosage.md",
            r"https://ods\.od\.nih\.gov/[^\"]*",
            "https://www.magnesium-shop.example/blog",
        ),
        [
            "dosage.md: error: sources.0.url: 'www.magnesium-shop.example' is not an allowed "
            "authority (faq/data/authorities.yaml)"
        ],
        id="a source from a seller",
    ),
    pytest.param(
        fault(
            "dosage.md", r"https://ods\.od\.nih\.gov/[^\"]*", "https://nhs.uk.cramp-cures.example/"
        ),
        [
            "dosage.md: error: sources.0.url: 'nhs.uk.cramp-cures.example' is not an allowed "
            "authority (faq/data/authorities.yaml)"
        ],
        id="a look-alike of an allowed domain",
    ),
]


@pytest.mark.parametrize(("put", "expected"), REVIEW_FAULTS)
def test_check_refuses_what_the_medical_review_found(
    capsys: pytest.CaptureFixture[str],
    corpus: Path,
    put: Callable[[Path], None],
    expected: list[str],
) -> None:
    put(corpus)

    code, findings, verdict = check(capsys, corpus)

    assert (code, findings) == (EXIT_FAILED, expected)
    assert verdict.endswith(
        f" entries, {len(expected)} error{'s' * (len(expected) > 1)}, 0 warnings: FAILED"
    )


@pytest.mark.parametrize(
    "put",
    [
        pytest.param(
            lambda corpus: (
                A_DOSE(corpus),
                edit(corpus / "stop-cramp-now.md", r"^related: \[", 'related: ["kidney", '),  # type: ignore[func-returns-value]
            ),
            id="a dose with 'kidney' in related",
        ),
        pytest.param(
            lambda corpus: (
                A_DOSE(corpus),
                edit(  # type: ignore[func-returns-value]
                    corpus / "stop-cramp-now.md",
                    r"300 mg a day\.",
                    "300 mg a day, or none with kidney disease unless your doctor agrees.",
                ),
            ),
            id="a dose with a kidney caveat in the answer",
        ),
        pytest.param(
            fault(
                "does-it-work.md",
                NOTE,
                '  note: "Trials found no help for idiopathic (no known cause) cramps."',
            ),
            id="a flagged word with a gloss in brackets",
        ),
        pytest.param(
            fault(
                "testing.md",
                r"^sources:\n",
                'sources:\n  - name: "MedlinePlus: Magnesium blood test"\n    url: "https://medlineplus.gov/ency/article/003487.htm"\n',
            ),
            id="a subdomain-free allowed authority",
        ),
    ],
)
def test_check_accepts_the_same_content_written_as_the_review_asks(
    capsys: pytest.CaptureFixture[str], corpus: Path, put: Callable[[Path], None]
) -> None:
    put(corpus)

    code, findings, verdict = check(capsys, corpus)

    assert (code, findings, verdict) == (
        EXIT_OK,
        [],
        f"{SHIPPED} entries, 0 errors, 0 warnings: ok",
    )


@pytest.mark.parametrize(
    ("put", "reason"),
    [
        pytest.param(
            fault("onset-time.md", r"^evidence:\n(?:  .*\n)+", ""),
            "onset-time.md: warning: evidence: missing: add evidence: {level, note} if the answer "
            "says whether something works, or list the id in faq/data/reference-facts.yaml if it "
            "states facts only",
            id="an efficacy answer without evidence",
        ),
        pytest.param(
            fault(
                "dosage.md",
                r"^(tags: .*)$",
                '\\1\nevidence:\n  level: "low"\n  note: "Trials of doses."',
            ),
            "dosage.md: warning: evidence: listed in faq/data/reference-facts.yaml, so it takes no "
            "evidence block: keep one",
            id="a reference entry with evidence",
        ),
    ],
)
def test_every_entry_has_evidence_or_is_listed_as_reference_facts_a_warning(
    capsys: pytest.CaptureFixture[str], corpus: Path, put: Callable[[Path], None], reason: str
) -> None:
    put(corpus)

    code, findings, verdict = check(capsys, corpus)

    assert (code, findings) == (EXIT_OK, [reason])
    assert verdict == f"{SHIPPED} entries, 0 errors, 1 warning: ok"


def test_every_shipped_entry_without_evidence_is_listed_as_reference_facts() -> None:
    listed = set(read_yaml(default_data_dir() / "reference-facts.yaml")["entries"])
    shipped = {p.stem for p in default_entries_dir().glob("*.md")}
    without = {
        entry.id
        for entry in (parse_entry(p)[0] for p in default_entries_dir().glob("*.md"))
        if entry is not None and entry.evidence is None
    }

    assert listed <= shipped
    assert without == listed


@pytest.mark.parametrize(("days_ago", "stale"), [(365, False), (366, True), (4 * 365, True)])
def test_a_review_over_12_months_old_is_a_warning_that_does_not_fail_the_check(
    capsys: pytest.CaptureFixture[str], corpus: Path, days_ago: int, stale: bool
) -> None:
    reviewed = (dt.date.today() - dt.timedelta(days=days_ago)).isoformat()
    edit(corpus / "dosage.md", r"^reviewed: .*$", f"reviewed: {reviewed}")

    code, findings, verdict = check(capsys, corpus)

    warning = f"dosage.md: warning: reviewed: last reviewed {reviewed}, over 12 months ago"
    assert code == EXIT_OK
    assert findings == ([warning] if stale else [])
    warnings = "1 warning" if stale else "0 warnings"
    assert verdict == f"{SHIPPED} entries, 0 errors, {warnings}: ok"


def test_the_shipped_corpus_passes_the_check(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run(capsys, "check")

    assert (code, err) == (EXIT_OK, "")
    assert not [line for line in out.splitlines() if ": error: " in line]
    assert re.search(rf"^{SHIPPED} entries, 0 errors, \d+ warnings: ok$", out, re.MULTILINE)


def test_python_m_faq_check_passes_on_the_shipped_corpus_in_a_separate_process(
    tmp_path: Path,
) -> None:
    done = subprocess.run(
        [sys.executable, "-m", "faq", "check"],
        capture_output=True,
        text=True,
        encoding="utf-8",
        cwd=tmp_path,
        timeout=60,
        check=False,
    )

    assert (done.returncode, done.stderr) == (EXIT_OK, "")
    assert done.stdout.endswith(": ok\n")
    assert f"{SHIPPED} entries, 0 errors" in done.stdout


# --------------------------------------------------------------------------- magbot new


def test_new_creates_the_entry_with_every_field_and_todo_guidance(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    before = dt.date.today()  # a run that crosses midnight may date it either day
    code, out, err = run(capsys, "--entries", str(tmp_path), "new", "magnesium-sleep")

    path = tmp_path / "magnesium-sleep.md"
    assert (code, err) == (EXIT_OK, "")
    assert out == f"created {path}: replace every TODO, then run `magbot check`\n"
    assert set(frontmatter.loads(path.read_text(encoding="utf-8")).metadata) == FIELDS
    entry, _ = parse_entry(path)
    assert entry is not None
    assert entry.id == "magnesium-sleep"
    assert entry.reviewed in {before, dt.date.today()}
    assert len(entry.alternates) >= MIN_ALTERNATES
    assert all("TODO" in text for text in (entry.question, *entry.alternates, entry.answer))


def test_new_refuses_an_id_that_exists_and_leaves_its_file_alone(
    capsys: pytest.CaptureFixture[str], corpus: Path
) -> None:
    before = (corpus / "dosage.md").read_bytes()

    code, out, err = run(capsys, "--entries", str(corpus), "new", "dosage")

    assert (code, out) == (EXIT_USAGE, "")
    assert err == f"magbot: {corpus / 'dosage.md'} already exists; edit it instead\n"
    assert (corpus / "dosage.md").read_bytes() == before


@pytest.mark.parametrize(
    "bad_id",
    [
        "Magnesium-Sleep",
        "magnesium_sleep",
        "magnesium sleep",
        "magnesium--sleep",
        "-sleep",
        "sleep-",
        "sleep.md",
        "../sleep",
        "sleep\n",
        "",
    ],
)
def test_new_refuses_a_malformed_id_and_writes_nothing(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, bad_id: str
) -> None:
    folder = tmp_path / "entries"
    folder.mkdir()

    # After "--" an id such as "-sleep" reaches magbot's own check instead of argparse's.
    code, out, err = run(capsys, "--entries", str(folder), "new", "--", bad_id)

    assert (code, out) == (EXIT_USAGE, "")
    assert err == (
        f"magbot: {bad_id!r} is not a valid id: use lower-case words joined by hyphens, "
        "e.g. magnesium-sleep\n"
    )
    assert list(tmp_path.rglob("*")) == [folder]


def test_a_scaffold_fails_the_check_until_every_todo_is_replaced(
    capsys: pytest.CaptureFixture[str], corpus: Path
) -> None:
    run(capsys, "--entries", str(corpus), "new", "drinking-water")
    path = corpus / "drinking-water.md"
    todo_lines = [n for n, line in enumerate(path.read_text().splitlines(), 1) if "TODO" in line]
    _, schema_problems = parse_entry(path)

    scaffolded = check(capsys, corpus)
    path.write_text(DRINKING_WATER.replace("bottled water", "TODO", 1), encoding="utf-8")
    one_left = check(capsys, corpus)
    path.write_text(DRINKING_WATER, encoding="utf-8")
    written = check(capsys, corpus)

    assert schema_problems == []  # the scaffold parses: only the placeholder check stops it
    assert scaffolded[0] == EXIT_FAILED
    assert scaffolded[1] == [
        f"drinking-water.md: error: -: placeholder 'TODO' left in line {n}" for n in todo_lines
    ]
    assert one_left[:2] == (
        EXIT_FAILED,
        ["drinking-water.md: error: -: placeholder 'TODO' left in line 8"],
    )
    # until the topic head is refitted with the new entry, the check warns, and the bot runs
    assert written == (EXIT_OK, [STALE_HEAD], f"{SHIPPED + 1} entries, 0 errors, 1 warning: ok")
