"""The maintainers' report: grouping, rankings, weekly rates, JSON and the terminal table."""

from __future__ import annotations

import json
import re
import sqlite3
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest

from faq.cli import EXIT_FAILED, main
from faq.model import Status
from faq.usage.report import build_report, group_questions
from faq.usage.report_format import format_usage_report, usage_report_to_json
from faq.usage.store import FeedbackRow, QueryRow, RedFlagDay, StoreSnapshot, open_store

STOP_WORDS = frozenset(
    {"a", "an", "and", "are", "can", "do", "does", "for", "how", "i", "in", "is", "it", "my"}
    | {"of", "take", "the", "to", "what", "with"}
)
MONDAY = datetime(2025, 3, 10, 9, 0, tzinfo=UTC)  # ISO week 2025-W11


def key_terms(text: str) -> list[str]:
    """Lowercase words minus stop words: a stand-in for the engine's tokenizer."""
    return [w for w in re.findall(r"[a-z0-9]+", text.lower()) if w not in STOP_WORDS]


def query(
    status: Status, question: str | None = None, *, entry: str | None = None, days: int = 0
) -> QueryRow:
    """A stored query row at MONDAY plus some days."""
    return QueryRow(0, MONDAY + timedelta(days=days), status, entry, 1.0, question)


def feedback(entry: str, helpful: bool) -> FeedbackRow:
    """A stored 👍 or 👎 on an entry."""
    return FeedbackRow(MONDAY, entry, helpful, None)


def snapshot(
    queries: list[QueryRow],
    votes: list[FeedbackRow] | None = None,
    flags: list[RedFlagDay] | None = None,
) -> StoreSnapshot:
    """A snapshot as the store would return it."""
    return StoreSnapshot(None, tuple(queries), tuple(votes or ()), tuple(flags or ()))


SAMPLE = snapshot(
    [
        query(Status.UNSURE, "Can I take magnesium with zinc?"),
        query(Status.UNSURE, "can i take  magnesium with ZINC?"),
        query(Status.OUT_OF_SCOPE, "Magnesium and zinc together?"),
        query(Status.OUT_OF_SCOPE, "Is creatine safe?"),
        query(Status.UNSURE, "creatine safe for runners"),
        query(Status.OUT_OF_SCOPE, "What is the weather in Oslo"),
        query(Status.ANSWERED, entry="dosage"),
        query(Status.ANSWERED, entry="dosage", days=7),
        query(Status.ANSWERED, entry="kidney", days=7),
        query(Status.CHITCHAT, days=7),
    ],
    [
        feedback("dosage", False),
        feedback("dosage", False),
        feedback("dosage", True),
        feedback("kidney", False),
        feedback("kidney", True),
        feedback("kidney", True),
        feedback("pregnancy", True),
    ],
    [RedFlagDay(date(2025, 3, 11), 2), RedFlagDay(date(2025, 3, 24), 1)],
)


def test_questions_sharing_most_key_terms_form_one_group_led_by_the_most_frequent_question() -> (
    None
):
    groups = build_report(SAMPLE, key_terms=key_terms).unanswered
    assert [(g.representative, g.count, g.shared_terms) for g in groups] == [
        ("Can I take magnesium with zinc?", 3, ("magnesium", "zinc")),
        ("creatine safe for runners", 2, ("creatine", "safe")),  # a tie: alphabetical
        ("What is the weather in Oslo", 1, ("oslo", "weather")),
    ]
    assert groups[0].questions == (
        "Can I take magnesium with zinc?",
        "Magnesium and zinc together?",
    )


def test_questions_that_differ_only_in_case_and_spacing_count_as_one_question() -> None:
    groups = group_questions(
        ["Zinc  dose?", "zinc dose?", "ZINC DOSE?", " zinc   dose? "], key_terms=key_terms
    )
    assert [(g.representative, g.count, g.questions) for g in groups] == [
        ("zinc dose?", 4, ("zinc dose?",))  # shown in its most frequent spelling
    ]


def test_questions_overlapping_less_than_half_stay_in_separate_groups() -> None:
    groups = group_questions(
        ["magnesium zinc dose", "magnesium iron timing", "???", "!!!"], key_terms=key_terms
    )
    assert len(groups) == 4


def test_shared_terms_are_the_terms_in_more_than_half_of_the_group() -> None:
    groups = group_questions(
        ["zinc magnesium cramps", "zinc magnesium cramps", "zinc magnesium night"],
        key_terms=key_terms,
    )
    assert [(g.count, g.shared_terms) for g in groups] == [(3, ("magnesium", "zinc", "cramps"))]


def test_grouping_does_not_depend_on_the_order_questions_arrive_in() -> None:
    questions = [q.question for q in SAMPLE.queries if q.question]
    assert group_questions(questions, key_terms=key_terms) == group_questions(
        list(reversed(questions)), key_terms=key_terms
    )


def test_top_limits_the_question_groups_and_the_thumbs_down_table() -> None:
    report = build_report(SAMPLE, key_terms=key_terms, top=1)
    assert len(report.unanswered) == 1
    assert len(report.feedback) == 1


def test_entries_are_ranked_by_thumbs_down_with_their_thumbs_up_alongside() -> None:
    rows = build_report(SAMPLE, key_terms=key_terms).feedback
    assert [(f.entry_id, f.unhelpful, f.helpful) for f in rows] == [
        ("dosage", 2, 1),
        ("kidney", 1, 2),
    ]


def test_answers_are_counted_per_entry_most_used_first() -> None:
    answers = build_report(SAMPLE, key_terms=key_terms).answers
    assert [(a.entry_id, a.answers) for a in answers] == [("dosage", 2), ("kidney", 1)]


def test_unsure_and_out_of_scope_rates_and_red_flags_are_given_per_iso_week() -> None:
    periods = build_report(SAMPLE, key_terms=key_terms).periods
    assert [(p.period, p.queries, p.unsure, p.out_of_scope, p.red_flags) for p in periods] == [
        ("2025-W11", 7, 3, 3, 2),
        ("2025-W12", 3, 0, 0, 0),
        ("2025-W13", 0, 0, 0, 1),
    ]
    assert periods[0].unsure_rate == 3 / 7
    assert periods[2].out_of_scope_rate == 0.0


def test_weeks_follow_the_iso_year_at_new_year() -> None:
    new_year = snapshot(
        [QueryRow(1, datetime(2024, 12, 31, tzinfo=UTC), Status.UNSURE, None, 0, "x")]
    )
    assert [p.period for p in build_report(new_year, key_terms=key_terms).periods] == ["2025-W01"]


def test_totals_count_statuses_feedback_and_red_flags() -> None:
    totals = build_report(SAMPLE, key_terms=key_terms).totals
    assert (totals.queries, totals.answered, totals.unsure, totals.out_of_scope) == (10, 3, 3, 3)
    assert (totals.chitchat, totals.red_flags, totals.helpful, totals.unhelpful) == (1, 3, 4, 3)


def test_the_json_report_has_a_stable_shape_and_survives_json_dumps() -> None:
    data = json.loads(json.dumps(usage_report_to_json(build_report(SAMPLE, key_terms=key_terms))))
    assert set(data) == {"since", "totals", "unanswered", "feedback", "answers", "periods"}
    assert data["since"] is None
    assert data["totals"]["red_flags"] == 3
    assert data["unanswered"][0] == {
        "representative": "Can I take magnesium with zinc?",
        "count": 3,
        "shared_terms": ["magnesium", "zinc"],
        "questions": ["Can I take magnesium with zinc?", "Magnesium and zinc together?"],
    }
    assert data["feedback"][0] == {"entry_id": "dosage", "helpful": 1, "unhelpful": 2}
    assert data["answers"][0] == {"entry_id": "dosage", "answers": 2}
    assert data["periods"][0] == {
        "period": "2025-W11",
        "queries": 7,
        "unsure": 3,
        "out_of_scope": 3,
        "red_flags": 2,
        "unsure_rate": 0.4286,
        "out_of_scope_rate": 0.4286,
    }


def test_the_terminal_report_shows_aligned_tables_with_the_expected_lines() -> None:
    text = format_usage_report(build_report(SAMPLE, key_terms=key_terms))
    lines = text.splitlines()
    assert "Queries: 10 (answered 3, unsure 3, out of scope 3, chitchat 1)" in lines
    assert "Red flags: 3" in lines
    assert "  count  shared terms     representative question" in lines
    assert "      3  magnesium, zinc  Can I take magnesium with zinc?" in lines
    assert "  dosage            2        1" in lines
    assert "  2025-W11        7   42.9%         42.9%          2" in lines
    table = lines[lines.index("Answers per entry") + 1 :][:4]
    assert table == [
        "  entry   answers",
        "  ------  -------",
        "  dosage        2",
        "  kidney        1",
    ]


def test_long_questions_are_clipped_in_the_terminal_but_not_in_json() -> None:
    long = "magnesium " * 20
    report = build_report(snapshot([query(Status.UNSURE, long)]), key_terms=key_terms)
    assert "magnesium magnesium …" not in format_usage_report(report)
    assert any(line.endswith("…") for line in format_usage_report(report).splitlines())
    assert usage_report_to_json(report)["unanswered"][0]["representative"] == long.strip()


def test_an_empty_snapshot_gives_an_empty_report_that_still_formats() -> None:
    report = build_report(snapshot([]), key_terms=key_terms)
    parts: list[tuple[object, ...]] = [
        report.unanswered,
        report.feedback,
        report.answers,
        report.periods,
    ]
    assert all(part == () for part in parts)
    assert format_usage_report(report).count("(none)") == 4


def test_a_report_is_built_from_a_real_store_without_any_user_data(tmp_path: Path) -> None:
    store = open_store(str(tmp_path / "magbot.sqlite3"))
    for status, question in [
        (Status.UNSURE, "magnesium and zinc"),
        (Status.OUT_OF_SCOPE, "zinc and magnesium?"),
        (Status.ANSWERED, "how much magnesium"),
        (Status.RED_FLAG, "chest pain"),
    ]:
        store.record_query(
            user_id=5_123_456_789, status=status, entry_id=None, score=0.0, question=question
        )
    data = usage_report_to_json(build_report(store.stats(), key_terms=key_terms))
    store.close()
    assert [(g["representative"], g["count"]) for g in data["unanswered"]] == [
        ("magnesium and zinc", 2)
    ]
    assert data["totals"]["red_flags"] == 1
    assert "5123456789" not in json.dumps(data)
    assert "chest" not in json.dumps(data)


@pytest.mark.parametrize("content", [b"", b"not a database at all"])
def test_magbot_report_refuses_a_file_that_is_not_magbots_and_leaves_it_alone(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], content: bytes
) -> None:
    foreign = tmp_path / "other.sqlite3"
    foreign.write_bytes(content)

    code = main(["report", "--db", str(foreign)])

    assert code == EXIT_FAILED
    assert "not a magbot database" in capsys.readouterr().err
    assert foreign.read_bytes() == content


def test_magbot_report_refuses_another_programs_sqlite_database_without_writing(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    foreign = tmp_path / "other.sqlite3"
    with sqlite3.connect(foreign) as conn:
        conn.execute("CREATE TABLE notes (text TEXT)")
    before = foreign.read_bytes()

    code = main(["report", "--db", str(foreign)])

    assert code == EXIT_FAILED
    assert "not a magbot database" in capsys.readouterr().err
    assert foreign.read_bytes() == before


def test_repeated_votes_on_one_answer_count_once_with_the_latest_value() -> None:
    later = MONDAY + timedelta(minutes=1)
    votes = [
        *(FeedbackRow(MONDAY, "dosage", False, 7) for _ in range(500)),
        FeedbackRow(later, "dosage", True, 7),  # changed their mind
        FeedbackRow(MONDAY, "kidney", False, 7),  # a related answer under the same message
        FeedbackRow(MONDAY, "dosage", False, 8),  # another answer
        FeedbackRow(MONDAY, "dosage", False, None),  # unlinked, from before links
    ]

    report = build_report(snapshot([], votes), key_terms=key_terms)

    assert (report.totals.helpful, report.totals.unhelpful) == (1, 3)
    assert [(f.entry_id, f.helpful, f.unhelpful) for f in report.feedback] == [
        ("dosage", 1, 2),
        ("kidney", 0, 1),
    ]
