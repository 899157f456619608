"""The maintainers' workflow end to end: real corpus files, the running bot, a real SQLite file.

CONTRIBUTING.md's five steps (`magbot new`, write, `magbot check`, `/reload`, ask again), then
`magbot report` on what the bot stored, also while the bot is writing, and /forget.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import functools
import hashlib
import hmac
import json
import os
import re
import shutil
import signal
import sqlite3
import subprocess
import sys
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest

from bot import build_application, texts
from bot.app import BotApp
from bot.settings import VARIABLES
from faq.build import build_engine
from faq.cli import EXIT_FAILED, EXIT_OK, main
from faq.corpus import default_entries_dir
from faq.engine import Engine
from faq.model import Status
from faq.usage.salt import salt_path
from faq.usage.store import SqliteStore
from tests.fakes.telegram import FakeBotAPI, html_to_plain

from .conftest import ADMIN, TOKEN, USER, ask, settings_for, start_polling, stop, to_chat

BOB = 6262  # a second person, in a private chat of their own
# Multivitamins used to be the uncovered topic here; the corpus now answers them
# (other-supplements), so the example is a home remedy no entry covers.
UNCOVERED = "does mustard stop a cramp"
URGENT = "my chest hurts and I feel faint"
UNSURE_QUESTION = "is mustard enough to stop leg cramps"
TINNITUS = "does magnesium help with tinnitus in my ears"  # out of scope by the scope rules

# The entry a maintainer writes after `magbot new mustard` (every TODO replaced).
MUSTARD = f"""---
id: "mustard"
question: "Does mustard stop a leg cramp?"
alternates:
  - "mustard for cramps?"
  - "a spoonful of mustard when my calf cramps"
  - "yellow mustard cramp remedy, real or myth"
  - "does eating mustard help a charley horse"
  - "mustard sachets for cramps at night"
sources:
  - name: "NHS: Leg cramps"
    url: "https://www.nhs.uk/conditions/leg-cramps/"
reviewed: {dt.date.today().isoformat()}
related: ["stop-cramp-now", "night-cramps"]
tags: ["mustard", "home remedy"]
evidence:
  level: "very-low"
  note: "No trial in these sources tests mustard for cramps."
---
No trial in these sources tests mustard for cramps. Stretching and massaging the muscle are
what the NHS advises during a cramp.
"""


@pytest.fixture(autouse=True)
def _ptb_timedelta(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PTB_TIMEDELTA", "true")  # as `magbot serve` sets it


@pytest.fixture
def corpus(tmp_path: Path) -> Path:
    """A copy of the shipped entries that the maintainer edits, without the entry they add.

    A contributor may well ship a mustard entry one day; the flow starts from a corpus without it.
    """
    folder = tmp_path / "entries"
    shutil.copytree(default_entries_dir(), folder)
    (folder / "mustard.md").unlink(missing_ok=True)
    return folder


@contextlib.asynccontextmanager
async def serving(app: BotApp) -> AsyncIterator[BotApp]:
    """The bot polling the fake server for the length of the block, stopped after it."""
    await start_polling(app)
    try:
        yield app
    finally:
        await stop(app)


async def press(fake: FakeBotAPI, user: int, reply: dict[str, Any], label: str) -> str:
    """Press the button with this label under a reply; give the popup text the bot answers."""
    count = len(fake.calls("answerCallbackQuery")) + 1
    data = next(b["callback_data"] for b in buttons(reply) if b["text"] == label)
    fake.push_callback(user, data)
    calls = await fake.await_calls("answerCallbackQuery", count=count)
    return str(calls[-1].params.get("text"))


def buttons(reply: dict[str, Any]) -> list[dict[str, str]]:
    """Every inline button under a reply, row by row."""
    return [b for row in reply.get("reply_markup", {}).get("inline_keyboard", []) for b in row]


def magbot(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str]:
    """Run a magbot command in-process; give the exit code and stdout."""
    code = main(list(argv))
    return code, capsys.readouterr().out


def raw(db: Path, sql: str) -> list[tuple[Any, ...]]:
    """Run one query on the database file with plain sqlite3, outside the store."""
    conn = sqlite3.connect(db)
    try:
        return conn.execute(sql).fetchall()
    finally:
        conn.close()


# --------------------------------------------------------------------------- new entry


async def test_a_new_entry_goes_from_magbot_new_to_an_answer_in_the_running_bot(
    fake: FakeBotAPI, corpus: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    loader = functools.partial(build_engine, corpus)
    async with serving(build_application(loader(), settings_for(fake), loader=loader)):
        before = await ask(fake, USER, UNCOVERED)
        created, _ = magbot(capsys, "--entries", str(corpus), "new", "mustard")
        (corpus / "mustard.md").write_text(MUSTARD, encoding="utf-8")
        checked, report = magbot(capsys, "--entries", str(corpus), "check")
        reloaded = await ask(fake, ADMIN, "/reload")
        after = await ask(fake, USER, UNCOVERED)

    entries = build_engine(corpus)
    assert not html_to_plain(before["text"]).startswith("No trial in these sources")
    assert (created, checked) == (EXIT_OK, EXIT_OK)
    assert re.search(
        rf"^{len(entries.entries)} entries, 0 errors, \d+ warnings?: ok$", report, re.M
    )
    assert reloaded["text"] == f"Reloaded: {len(entries.entries)} entries are now live."
    assert html_to_plain(after["text"]).startswith("No trial in these sources tests mustard")
    assert 'href="https://www.nhs.uk/conditions/leg-cramps/"' in after["text"]
    related = [e.question for e in map(entries.entry, ("stop-cramp-now", "night-cramps")) if e]
    assert [b["text"] for b in buttons(after)] == [*related, "👍 Helpful", "👎 Not helpful"]


async def test_a_broken_file_is_refused_on_reload_and_the_last_good_corpus_keeps_answering(
    fake: FakeBotAPI, corpus: Path
) -> None:
    kidney = build_engine(corpus).entry("kidney")
    assert kidney is not None
    text = (corpus / "kidney.md").read_text(encoding="utf-8")
    loader = functools.partial(build_engine, corpus)
    async with serving(build_application(loader(), settings_for(fake), loader=loader)):
        (corpus / "kidney.md").write_text(
            text.replace(f'question: "{kidney.question}"', "question: no"), encoding="utf-8"
        )
        refused = await ask(fake, ADMIN, "/reload")
        answer = await ask(fake, USER, kidney.question)

    reason = "kidney.md: error: question: YAML read this as bool False; put the text in quotes"
    assert "Reload refused" in refused["text"] and reason in html_to_plain(refused["text"])
    assert kidney.answer.split("\n")[0][:40] in html_to_plain(answer["text"])


def test_reload_in_magbot_serve_refuses_a_scaffold_that_fails_the_check(
    fake: FakeBotAPI, corpus: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    env = {k: v for k, v in os.environ.items() if k not in VARIABLES}
    env |= {
        "TELEGRAM_BOT_TOKEN": TOKEN,
        "TELEGRAM_API_BASE_URL": fake.base_url,
        "MAGBOT_ADMIN_IDS": str(ADMIN),
    }
    server = subprocess.Popen(
        [sys.executable, "-m", "faq", "--entries", str(corpus), "serve"],
        cwd=tmp_path,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        fake.wait_for("deleteWebhook", timeout=20)  # serving the corpus it started with
        magbot(capsys, "--entries", str(corpus), "new", "magnesium-sleep")
        checked, _ = magbot(capsys, "--entries", str(corpus), "check")
        assert checked == EXIT_FAILED
        fake.push_message(ADMIN, "/reload")
        (reply,) = fake.wait_for("sendMessage", to_chat(ADMIN), timeout=20)
    finally:
        server.send_signal(signal.SIGTERM)
        server.wait(timeout=20)

    assert "Reload refused" in reply.params["text"]
    assert "placeholder 'TODO'" in reply.params["text"]


# --------------------------------------------------------------------------- magbot report


async def test_report_shows_what_the_running_bot_could_not_answer_and_red_flags_only_as_a_count(
    fake: FakeBotAPI, engine: Engine, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    dosage, quinine = engine.entry("dosage"), engine.entry("quinine")
    assert dosage is not None and quinine is not None
    # whatever the engine makes of them (offered choices or declined), none is answered
    questions = [UNSURE_QUESTION, TINNITUS, "how do i fix a flat bicycle tyre"]
    unanswered = {q: engine.answer(q).status for q in questions}
    assert set(unanswered.values()) <= {Status.UNSURE, Status.OUT_OF_SCOPE}
    assert engine.answer(URGENT).status is Status.RED_FLAG
    db = tmp_path / "magbot.sqlite3"
    store = SqliteStore(db)
    try:
        async with serving(build_application(engine, settings_for(fake), store)):
            for question in unanswered:
                await ask(fake, USER, question)
            await ask(fake, BOB, "Does magnesium help with tinnitus?")
            await ask(fake, USER, URGENT)
            votes = [
                await press(fake, USER, await ask(fake, USER, dosage.question), "👎 Not helpful"),
                await press(fake, BOB, await ask(fake, BOB, dosage.question), "👎 Not helpful"),
                await press(fake, ADMIN, await ask(fake, ADMIN, dosage.question), "👍 Helpful"),
                await press(fake, USER, await ask(fake, USER, quinine.question), "👎 Not helpful"),
            ]
    finally:
        store.close()

    code, text = magbot(capsys, "report", "--db", str(db))
    json_code, out = magbot(capsys, "report", "--db", str(db), "--json")
    report = json.loads(out)

    assert (code, json_code) == (EXIT_OK, EXIT_OK)
    assert votes == [texts.THANKS_UNHELPFUL] * 2 + [texts.THANKS_HELPFUL, texts.THANKS_UNHELPFUL]
    unsure = list(unanswered.values()).count(Status.UNSURE)
    declined = 1 + list(unanswered.values()).count(Status.OUT_OF_SCOPE)  # + Bob's tinnitus
    assert f"Queries: 8 (answered 4, unsure {unsure}, out of scope {declined}, chitchat 0)" in text
    assert "Red flags: 1\nFeedback: 1 👍, 3 👎" in text
    for question, count in {**dict.fromkeys(unanswered, 1), TINNITUS: 2}.items():
        assert re.search(rf"^ +{count} .+  {question}$", text, re.MULTILINE), question
    groups = {g["representative"]: (g["count"], g["questions"]) for g in report["unanswered"]}
    assert groups == {
        TINNITUS: (2, [TINNITUS, "Does magnesium help with tinnitus?"]),
        **{question: (1, [question]) for question in unanswered if question != TINNITUS},
    }
    assert report["feedback"] == [
        {"entry_id": "dosage", "helpful": 1, "unhelpful": 2},
        {"entry_id": "quinine", "helpful": 0, "unhelpful": 1},
    ]
    assert report["totals"]["red_flags"] == 1
    assert "chest" not in out and "chest" not in text
    assert dosage.question not in out  # answered questions are never kept as text
    stored = b"".join(path.read_bytes() for path in tmp_path.glob("magbot.sqlite3*"))
    assert b"tinnitus" in stored  # the bytes are searchable: the next line means something
    assert b"chest" not in stored


async def test_report_runs_cleanly_while_the_bot_writes_a_burst_of_messages(
    fake: FakeBotAPI, engine: Engine, tmp_path: Path
) -> None:
    db = tmp_path / "magbot.sqlite3"
    questions = [entry.question for entry in engine.entries] + [UNSURE_QUESTION]
    users, waves = 20, 5
    store = SqliteStore(db)
    done = asyncio.Event()

    def report() -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-m", "faq", "report", "--db", str(db), "--json"],
            capture_output=True,
            text=True,
            cwd=tmp_path,
            timeout=60,
            check=False,
        )

    async def reports_until_done() -> list[subprocess.CompletedProcess[str]]:
        runs: list[subprocess.CompletedProcess[str]] = []
        while not done.is_set() or len(runs) < 3:
            runs.append(await asyncio.to_thread(report))
        return runs

    try:
        async with serving(build_application(engine, settings_for(fake), store)):
            reading = asyncio.create_task(reports_until_done())
            for wave in range(waves):  # 5 waves of 20 at once: writes keep coming while reading
                for n in range(users):
                    fake.push_message(9000 + n, questions[(wave * users + n) % len(questions)])
                await fake.await_calls("sendMessage", count=(wave + 1) * users, timeout=30)
            done.set()
            runs = await reading
    finally:
        store.close()
    final = report()

    assert [(r.returncode, r.stderr) for r in [*runs, final]] == [(EXIT_OK, "")] * (len(runs) + 1)
    counts = [json.loads(r.stdout)["totals"]["queries"] for r in [*runs, final]]
    assert counts == sorted(counts)  # each snapshot is consistent, never going back
    assert counts[-1] == users * waves
    reopened = SqliteStore(db)
    assert len(reopened.stats().queries) == users * waves
    reopened.close()


# --------------------------------------------------------------------------- privacy


async def test_forget_leaves_nothing_of_that_user_in_the_file_and_keeps_the_others(
    fake: FakeBotAPI, engine: Engine, tmp_path: Path
) -> None:
    dosage = engine.entry("dosage")
    assert dosage is not None
    db = tmp_path / "magbot.sqlite3"
    store = SqliteStore(db)
    try:
        async with serving(build_application(engine, settings_for(fake), store)):
            await ask(fake, USER, TINNITUS)
            await press(fake, USER, await ask(fake, USER, dosage.question), "👎 Not helpful")
            await ask(fake, BOB, "how do i fix a flat bicycle tyre")
            await press(fake, BOB, await ask(fake, BOB, dosage.question), "👍 Helpful")
            forgotten = await ask(fake, USER, "/forget")
    finally:
        store.close()  # the last connection checkpoints the WAL into the file

    salt = salt_path(db).read_text().strip()
    user, bob = (
        hmac.new(salt.encode(), str(person).encode(), hashlib.sha256).hexdigest()
        for person in (USER, BOB)
    )
    who = "SELECT user_hash, count(*) FROM {} GROUP BY user_hash"
    assert forgotten["text"] == "Done: I deleted 3 records linked to you."
    assert raw(db, who.format("queries")) == [(bob, 2)]
    assert raw(db, who.format("feedback")) == [(bob, 1)]
    assert raw(db, "SELECT question FROM queries WHERE question IS NOT NULL") == [
        ("how do i fix a flat bicycle tyre",)
    ]
    content = db.read_bytes()
    assert b"tinnitus" not in content and user.encode() not in content


async def test_privacy_states_what_is_kept_and_the_configured_retention(
    fake: FakeBotAPI, engine: Engine
) -> None:
    settings = settings_for(fake, MAGBOT_RETENTION_DAYS="30")
    async with serving(build_application(engine, settings)):
        reply = await ask(fake, USER, "/privacy")

    text = " ".join(html_to_plain(reply["text"]).split())
    assert "a salted hash of your Telegram user id (not the id itself)" in text
    assert "The text of your question is kept only when I could not answer it" in text
    assert "Your 👍/👎 votes are kept too" in text
    assert "Messages that may be an emergency are only counted per day: no text, no user" in text
    assert "Everything is deleted after 30 days" in text
    assert "/forget" in text
