"""The `magbot` command line, run in-process through main() and once as `python -m faq`."""

from __future__ import annotations

import io
import json
import re
import subprocess
import sys
from pathlib import Path

import pytest

from faq.cli import EXIT_FAILED, EXIT_OK, EXIT_USAGE, main
from faq.corpus import default_entries_dir
from faq.model import REQUIRED_IDS
from faq.reply import DISCLAIMER, EMPTY_LEAD

STATUSES = {"answered", "unsure", "out_of_scope", "chitchat", "red_flag"}


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    """Run magbot in-process; give the exit code, stdout and stderr."""
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def test_ask_prints_the_reply_with_its_sources_and_the_disclaimer(
    capsys: pytest.CaptureFixture[str],
) -> None:
    code, out, err = run(capsys, "ask", "does magnesium oil work for cramps?")

    assert (code, err) == (EXIT_OK, "")
    assert "Sources:" in out
    assert out.rstrip("\n").endswith(DISCLAIMER)


def test_ask_json_gives_the_status_entry_scores_candidates_and_reply(
    capsys: pytest.CaptureFixture[str],
) -> None:
    code, out, _ = run(capsys, "ask", "--json", "does magnesium oil work for cramps?")

    answer = json.loads(out)
    assert code == EXIT_OK
    assert answer["query"] == "does magnesium oil work for cramps?"
    assert (answer["status"], answer["id"]) == ("answered", "magnesium-oil")
    assert answer["score"] > 0
    assert len(answer["candidates"]) >= 3
    assert all(
        set(c) == {"id", "score", "lexical", "semantic", "topic"} for c in answer["candidates"]
    )
    assert answer["candidates"][0]["id"] == "magnesium-oil"
    assert answer["candidates"][0]["score"] == answer["score"]
    assert answer["reply"].endswith(DISCLAIMER)


def test_ask_json_of_an_emergency_names_the_rule_and_no_entry(
    capsys: pytest.CaptureFixture[str],
) -> None:
    _, out, _ = run(capsys, "ask", "--json", "my chest hurts")

    answer = json.loads(out)
    assert (answer["status"], answer["id"], answer["flags"]) == ("red_flag", None, ["chest-pain"])
    assert answer["triage"] == {"category": "heart", "tier": "emergency", "also": None}


def test_ask_json_and_explain_name_a_second_concern_beside_a_crisis(
    capsys: pytest.CaptureFixture[str],
) -> None:
    message = "I want to kill myself and my face is drooping on one side"
    _, out, _ = run(capsys, "ask", "--json", message)
    _, explained, _ = run(capsys, "ask", "--explain", message)

    also = {"category": "stroke", "tier": "emergency"}
    assert json.loads(out)["triage"] == {"category": "self-harm", "tier": "crisis", "also": also}
    assert re.search(r"^triage +red flag: self-harm .*; also stroke \(emergency\)", explained, re.M)


def test_ask_json_from_stdin_gives_one_object_per_line_in_order(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    lines = ["hi", "does magnesium oil work?", "", "my chest hurts", "magnesium for sleep"]
    monkeypatch.setattr(sys, "stdin", io.StringIO("\n".join(lines) + "\n"))

    code, out, err = run(capsys, "ask", "--json", "-")

    answers = [json.loads(line) for line in out.splitlines()]
    assert (code, err) == (EXIT_OK, "")
    assert [a["query"] for a in answers] == lines
    assert [a["status"] for a in answers] == [
        "chitchat",
        "answered",
        "out_of_scope",
        "red_flag",
        "out_of_scope",
    ]


def test_ask_from_stdin_reads_windows_line_endings(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(sys, "stdin", io.StringIO("hi\r\nbye\r\n"))

    _, out, _ = run(capsys, "ask", "--json", "-")

    assert [json.loads(line)["query"] for line in out.splitlines()] == ["hi", "bye"]


def test_ask_from_stdin_as_text_separates_the_replies(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(sys, "stdin", io.StringIO("hi\nthanks\n"))

    code, out, _ = run(capsys, "ask", "-")

    assert code == EXIT_OK
    assert out.count(DISCLAIMER) == 2


def test_ask_explain_shows_each_stage_the_terms_corrections_and_candidates(
    capsys: pytest.CaptureFixture[str],
) -> None:
    code, out, _ = run(capsys, "ask", "--explain", "is magnesium safe when pregant")

    assert code == EXIT_OK
    assert re.search(r"^status: \w+ +confidence: [\d.]+ +margin: [\d.]+$", out, re.MULTILINE)
    assert "typos corrected: pregant → pregnant" in out
    assert re.search(r"^query +terms: .*\bpregnant\b", out, re.MULTILINE)
    stages = re.findall(r"^(query|triage|scope|ranking|decision) ", out, re.MULTILINE)
    assert stages == ["query", "triage", "scope", "ranking", "decision"]
    assert re.search(r"^triage +no red flag; cautions: pregnancy$", out, re.MULTILINE)
    candidates = re.findall(r"^  ([a-z-]+) +[\d.]+ ", out, re.MULTILINE)
    assert len(candidates) >= 3
    assert "pregnancy" in candidates
    assert re.search(r"^  pregnancy .*\bpregnant=[\d.]+", out, re.MULTILINE)


def test_entries_json_lists_every_required_entry(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "entries", "--json")

    entries = json.loads(out)
    assert code == EXIT_OK
    assert set(REQUIRED_IDS) <= {e["id"] for e in entries}
    assert all(e["sources"] and e["reviewed"] and e["answer"] for e in entries)


def test_entries_lists_one_line_per_entry(capsys: pytest.CaptureFixture[str]) -> None:
    _, out, _ = run(capsys, "entries")

    assert {line.split()[0] for line in out.splitlines()} >= set(REQUIRED_IDS)


def test_eval_prints_hit_at_1_and_the_other_figures(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    questions = tmp_path / "questions.tsv"
    questions.write_text(
        "question\tlabel\n"
        "does magnesium oil work for cramps\tmagnesium-oil\n"
        "is magnesium safe while breastfeeding\tbreastfeeding\n"
        "magnesium for my dog\toos\n"
        "hello\tchitchat\n"
        "my chest hurts\tred-flag\n",
        encoding="utf-8",
    )

    code, out, _ = run(capsys, "eval", str(questions))

    assert code == EXIT_OK
    for label in ("hit@1", "hit@3", "declined", "recall", "false red flags"):
        assert label in out
    assert re.search(r"in-scope questions +2\n +hit@1 +1\.000", out)


def test_eval_of_a_missing_file_is_a_usage_error(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    code, _, err = run(capsys, "eval", str(tmp_path / "nowhere.tsv"))

    assert code == EXIT_USAGE
    assert "no such question file" in err


def test_a_broken_corpus_exits_1_and_names_the_file_and_field(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    text = (default_entries_dir() / "quinine.md").read_text(encoding="utf-8")
    text = re.sub(r"^related: .*$", "related: []", text, count=1, flags=re.MULTILINE)
    text = re.sub(r"^question: .*$", "question: no", text, count=1, flags=re.MULTILINE)
    (tmp_path / "quinine.md").write_text(text, encoding="utf-8")

    code, out, err = run(capsys, "--entries", str(tmp_path), "ask", "is quinine safe")

    assert (code, out) == (EXIT_FAILED, "")
    assert "the corpus is not valid" in err
    assert "quinine.md: error: question: YAML read this as bool False" in err


@pytest.mark.parametrize("question", ["", " ", "  \t\n "])
def test_an_empty_question_is_a_usage_error_with_a_hint(
    capsys: pytest.CaptureFixture[str], question: str
) -> None:
    code, out, err = run(capsys, "ask", question)

    assert (code, out) == (EXIT_USAGE, "")
    assert "the question is empty" in err


@pytest.mark.parametrize(
    ("question", "lead"),
    [
        ("magnesium " * 1000, ""),
        ("x" * 10_000, ""),
        ("a" * 50_000, ""),
        ("😀🦵😀", EMPTY_LEAD),
        ("\x00\x01\x02\x07\x1b\x7f", EMPTY_LEAD),
        ("magnesium\x00 for\x1b[0m cramps\x7f", ""),
        ("<html><body><script>alert(1)</script><p>hi</p></body></html>", ""),
        ("'; DROP TABLE entries; --", ""),
        ("%s %n {0} ${HOME} $(rm -rf /)", ""),
    ],
)
def test_odd_input_gets_a_clear_reply_and_exit_0(
    capsys: pytest.CaptureFixture[str], question: str, lead: str
) -> None:
    code, out, err = run(capsys, "ask", question)

    assert (code, err) == (EXIT_OK, "")
    assert out.startswith(lead)
    assert out.rstrip("\n").endswith(DISCLAIMER)
    assert "Traceback" not in out


def test_odd_input_as_json_is_one_valid_json_object(capsys: pytest.CaptureFixture[str]) -> None:
    _, out, _ = run(capsys, "ask", "--json", '\x00<b>"quoted"</b>\n😀\u2028end')

    answer = json.loads(out)
    assert answer["query"] == '\x00<b>"quoted"</b>\n😀\u2028end'
    assert answer["status"] in STATUSES
    assert out.count("\n") == 1  # JSON Lines: one object per "\n"-terminated line


@pytest.mark.parametrize("argv", [["frobnicate"], [], ["ask"], ["ask", "--nope", "hi"]])
def test_bad_arguments_exit_2_with_usage_on_stderr(
    capsys: pytest.CaptureFixture[str], argv: list[str]
) -> None:
    with pytest.raises(SystemExit) as exited:
        main(argv)

    out, err = capsys.readouterr()
    assert exited.value.code == EXIT_USAGE
    assert out == ""
    assert "usage: magbot" in err


def test_python_m_faq_ask_answers_in_a_separate_process(tmp_path: Path) -> None:
    done = subprocess.run(
        [sys.executable, "-m", "faq", "ask", "--json", "how long until magnesium kicks in?"],
        capture_output=True,
        text=True,
        encoding="utf-8",
        cwd=tmp_path,
        timeout=60,
        check=False,
    )

    assert (done.returncode, done.stderr) == (EXIT_OK, "")
    answer = json.loads(done.stdout)
    assert (answer["status"], answer["id"]) == ("answered", "onset-time")


def test_python_m_faq_with_an_empty_question_exits_2_without_a_traceback(
    tmp_path: Path,
) -> None:
    done = subprocess.run(
        [sys.executable, "-m", "faq", "ask", ""],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        timeout=60,
        check=False,
    )

    assert done.returncode == EXIT_USAGE
    assert done.stdout == ""
    assert "the question is empty" in done.stderr
    assert "Traceback" not in done.stderr


def test_ask_never_imports_telegram() -> None:
    code = (
        "import sys\n"
        "from faq.cli import main\n"
        "main(['ask', 'does magnesium help cramps'])\n"
        "assert not [m for m in sys.modules if m.split('.')[0] == 'telegram'], 'telegram'\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)

    assert done.returncode == 0, done.stderr


def test_the_core_package_has_no_telegram_import() -> None:
    core = Path(default_entries_dir()).parent
    offenders = [
        path.name
        for path in core.rglob("*.py")
        if re.search(r"^\s*(import|from)\s+telegram\b", path.read_text(), re.MULTILINE)
    ]

    assert offenders == []


def test_an_altered_model_is_refused_in_one_line_unless_the_semantic_layer_is_off(
    capsys: pytest.CaptureFixture[str], data_dir: Path
) -> None:
    model = data_dir / "model" / "model.onnx"
    payload = bytearray(model.read_bytes())
    payload[-1] ^= 0xFF
    model.write_bytes(bytes(payload))

    code, _, err = run(capsys, "--data", str(data_dir), "ask", "which magnesium is best?")
    lexical, out, _ = run(capsys, "--lexical", "--data", str(data_dir), "ask", "which form?")

    assert code == EXIT_FAILED
    assert "a model cannot be used" in err and "model.onnx" in err
    assert "Traceback" not in err and len(err.strip().splitlines()) == 1
    assert lexical == EXIT_OK and out.strip()


def test_ask_json_shows_both_component_scores_of_each_candidate(
    capsys: pytest.CaptureFixture[str],
) -> None:
    code, out, _ = run(capsys, "ask", "--json", "best time of day to take magnesium")

    candidates = json.loads(out)["candidates"]
    assert code == EXIT_OK and len(candidates) >= 3
    assert all({"lexical", "semantic", "score"} <= set(c) for c in candidates)
    assert any(c["semantic"] > 0 for c in candidates)


@pytest.mark.parametrize(
    "argv",
    [
        ("--entries", "{corpus}", "entries", "--json"),
        ("entries", "--json", "--entries", "{corpus}"),
    ],
)
def test_entries_is_accepted_before_or_after_the_command(
    capsys: pytest.CaptureFixture[str], corpus: Path, argv: tuple[str, ...]
) -> None:
    quinine = corpus / "quinine.md"
    text = quinine.read_text(encoding="utf-8")
    quinine.write_text(re.sub(r"reviewed: \S+", "reviewed: 2026-11-29", text), "utf-8")

    code, out, _ = run(capsys, *(arg.format(corpus=corpus) for arg in argv))

    assert code == EXIT_OK
    assert {e["id"]: e["reviewed"] for e in json.loads(out)}["quinine"] == "2026-11-29"
