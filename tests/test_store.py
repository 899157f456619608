"""The SQLite store, checked on real database files with raw sqlite3 queries."""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import os
import sqlite3
import subprocess
import sys
import threading
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest

import faq.usage.store
from faq.model import Status
from faq.usage.salt import salt_path
from faq.usage.store import SCHEMA_VERSION, SqliteStore, Store, StoreError, open_store

ALICE = 5_123_456_789  # long, Telegram-like ids: a short one could occur in a hex hash by chance
BOB = 7_987_654_321
NOW = datetime(2025, 3, 14, 12, 0, tzinfo=UTC)

# The schema as released in version 1, frozen here so that editing migration 1 in place fails.
V1_SQL = """
CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE queries ( id INTEGER PRIMARY KEY, at TEXT NOT NULL, user_hash TEXT, status TEXT NOT
 NULL CHECK (status IN ('answered', 'unsure', 'out_of_scope', 'chitchat')), entry_id TEXT,
 score REAL NOT NULL, question TEXT, CHECK (question IS NULL OR status IN ('unsure',
 'out_of_scope')));
CREATE TABLE feedback ( id INTEGER PRIMARY KEY, at TEXT NOT NULL, user_hash TEXT,
 entry_id TEXT NOT NULL, helpful INTEGER NOT NULL CHECK (helpful IN (0, 1)));
CREATE TABLE red_flags (day TEXT PRIMARY KEY, count INTEGER NOT NULL);
PRAGMA user_version = 1;
"""


@pytest.fixture
def db_path(tmp_path: Path) -> Path:
    return tmp_path / "magbot.sqlite3"


@pytest.fixture
def store(db_path: Path) -> Iterator[Store]:
    opened = open_store(str(db_path))
    yield opened
    opened.close()


def raw(path: Path, sql: str, params: tuple[object, ...] = ()) -> list[tuple[object, ...]]:
    """Run one query on the file with plain sqlite3, outside the store."""
    conn = sqlite3.connect(path)
    try:
        return conn.execute(sql, params).fetchall()
    finally:
        conn.close()


def every_cell(path: Path) -> list[str]:
    """Every value of every row of every table, as text."""
    tables = [name for (name,) in raw(path, "SELECT name FROM sqlite_master WHERE type='table'")]
    return [
        str(cell) for table in tables for row in raw(path, f"SELECT * FROM {table}") for cell in row
    ]


def record(
    store: Store, user_id: int | None, status: Status, question: str | None = "q"
) -> int | None:
    """Record a query with defaults for the fields a test does not care about."""
    entry = "dosage" if status is Status.ANSWERED else None
    return store.record_query(
        user_id=user_id, status=status, entry_id=entry, score=1.5, question=question, at=NOW
    )


def test_opening_a_path_creates_the_database_and_its_parent_directories(tmp_path: Path) -> None:
    path = tmp_path / "var" / "lib" / "magbot" / "magbot.sqlite3"
    open_store(str(path)).close()
    assert path.is_file()
    assert raw(path, "PRAGMA user_version") == [(SCHEMA_VERSION,)]
    assert raw(path, "PRAGMA journal_mode") == [("wal",)]


def test_a_sqlite_url_names_the_same_file_as_a_plain_path(db_path: Path) -> None:
    open_store(f"sqlite:///{db_path}").close()
    assert raw(db_path, "PRAGMA user_version") == [(SCHEMA_VERSION,)]


@pytest.mark.parametrize(
    "url", ["postgresql://bot:s3cret@db/magbot", "postgres://bot:s3cret@db/magbot"]
)
def test_a_postgresql_url_says_postgresql_is_not_implemented_without_echoing_the_password(
    url: str,
) -> None:
    with pytest.raises(StoreError, match="PostgreSQL storage is not implemented yet") as error:
        open_store(url)
    assert "s3cret" not in str(error.value)


@pytest.mark.parametrize("url", ["mysql://db/magbot", "", "sqlite:///"])
def test_an_unknown_scheme_or_an_empty_path_is_a_store_error(url: str) -> None:
    with pytest.raises(StoreError):
        open_store(url)


def test_an_empty_existing_file_is_migrated_to_the_current_schema(db_path: Path) -> None:
    db_path.touch()
    open_store(str(db_path)).close()
    assert raw(db_path, "PRAGMA user_version") == [(SCHEMA_VERSION,)]
    columns = [row[1] for row in raw(db_path, "PRAGMA table_info(feedback)")]
    assert "query_id" in columns


def test_a_version_1_database_keeps_its_rows_when_migrated(db_path: Path) -> None:
    conn = sqlite3.connect(db_path)
    conn.executescript(V1_SQL)
    conn.execute("INSERT INTO meta VALUES ('user_salt', 'old-salt')")
    conn.execute(
        "INSERT INTO queries (at, user_hash, status, entry_id, score, question)"
        " VALUES ('2025-01-02T03:04:05.000000+00:00', 'h1', 'unsure', NULL, 0.4, 'zinc?')"
    )
    conn.execute(
        "INSERT INTO feedback (at, user_hash, entry_id, helpful)"
        " VALUES ('2025-01-02T03:05:00.000000+00:00', 'h1', 'dosage', 0)"
    )
    conn.execute("INSERT INTO red_flags VALUES ('2025-01-02', 3)")
    conn.commit()
    conn.close()

    with_data = open_store(str(db_path))
    snapshot = with_data.stats()
    with_data.close()

    assert raw(db_path, "PRAGMA user_version") == [(SCHEMA_VERSION,)]
    assert [(q.status, q.question, q.score) for q in snapshot.queries] == [
        (Status.UNSURE, "zinc?", 0.4)
    ]
    assert [(f.entry_id, f.helpful, f.query_id) for f in snapshot.feedback] == [
        ("dosage", False, None)
    ]
    assert [(d.day, d.count) for d in snapshot.red_flags] == [(date(2025, 1, 2), 3)]
    assert raw(db_path, "SELECT value FROM meta WHERE key = 'user_salt'") == []
    assert salt_path(db_path).read_text() == "old-salt\n"  # moved out, still the same salt


def test_migrating_to_one_vote_per_answer_keeps_the_latest_vote_and_drops_forged_ones(
    db_path: Path,
) -> None:
    conn = sqlite3.connect(db_path)
    conn.executescript(V1_SQL)
    for statement in faq.usage.store.MIGRATIONS[1]:  # version 2, as released
        conn.execute(statement)
    conn.execute("PRAGMA user_version = 2")
    at = "2025-01-02T03:04:05.000000+00:00"
    conn.executemany(
        "INSERT INTO queries (id, at, user_hash, status, entry_id, score)"
        " VALUES (?, ?, ?, ?, ?, ?)",
        [(1, at, "alice", "answered", "dosage", 2.0), (2, at, "bob", "answered", "dosage", 2.0)],
    )
    conn.executemany(
        "INSERT INTO feedback (at, user_hash, entry_id, helpful, query_id) VALUES (?, ?, ?, ?, ?)",
        [
            *[(at, "alice", "dosage", 0, 1)] * 500,
            (at, "alice", "dosage", 1, 1),  # her latest vote
            (at, "alice", "dosage", 0, 2),  # on Bob's answer: forged
            (at, "carol", "kidney", 0, None),  # before votes were linked: one per person
            (at, "carol", "kidney", 1, None),
            (at, None, "kidney", 0, None),  # anonymous and unlinked: kept as it was
        ],
    )
    conn.commit()
    conn.close()

    open_store(str(db_path)).close()

    assert raw(
        db_path, "SELECT user_hash, entry_id, helpful, query_id FROM feedback ORDER BY id"
    ) == [
        ("alice", "dosage", 1, 1),
        ("carol", "kidney", 1, None),
        (None, "kidney", 0, None),
    ]


def test_a_database_from_newer_code_is_refused(db_path: Path) -> None:
    open_store(str(db_path)).close()
    raw(db_path, f"PRAGMA user_version = {SCHEMA_VERSION + 1}")
    with pytest.raises(StoreError, match="newer than this code"):
        open_store(str(db_path))


@pytest.mark.parametrize("status", [Status.ANSWERED, Status.CHITCHAT])
def test_answered_and_chitchat_queries_never_store_the_question_text(
    store: Store, db_path: Path, status: Status
) -> None:
    record(store, ALICE, status, question="how much magnesium for cramps")
    assert raw(db_path, "SELECT status, question FROM queries") == [(status.value, None)]
    assert not any("magnesium for cramps" in cell for cell in every_cell(db_path))


@pytest.mark.parametrize("status", [Status.UNSURE, Status.OUT_OF_SCOPE])
def test_unsure_and_out_of_scope_queries_keep_the_question_text(
    store: Store, db_path: Path, status: Status
) -> None:
    row_id = record(store, ALICE, status, question="  can I take zinc with it? ")
    assert raw(db_path, "SELECT id, question FROM queries") == [
        (row_id, "can I take zinc with it?")
    ]


def test_the_raw_user_id_appears_nowhere_in_the_database(store: Store, db_path: Path) -> None:
    record(store, ALICE, Status.UNSURE)
    record(store, ALICE, Status.ANSWERED)
    store.record_feedback(user_id=ALICE, entry_id="dosage", helpful=True, at=NOW)
    cells = every_cell(db_path)
    assert cells
    assert not any(str(ALICE) in cell for cell in cells)
    hashes = raw(db_path, "SELECT user_hash FROM queries UNION SELECT user_hash FROM feedback")
    assert len(hashes) == 1
    assert len(str(hashes[0][0])) == 64


def test_a_generated_salt_is_kept_apart_from_the_database_so_a_reopened_store_finds_the_user(
    db_path: Path,
) -> None:
    first = open_store(str(db_path))
    record(first, ALICE, Status.UNSURE)
    first.close()
    second = open_store(str(db_path))
    assert second.forget(ALICE) == 1
    second.close()

    salt = salt_path(db_path).read_text().strip()
    assert len(salt) == 64
    assert salt_path(db_path).stat().st_mode & 0o777 == 0o600
    assert raw(db_path, "SELECT * FROM meta") == []
    assert salt.encode() not in db_path.read_bytes()


def test_a_salt_an_older_database_kept_inside_moves_to_its_file_and_forget_still_works(
    db_path: Path,
) -> None:
    old = "0123456789abcdef" * 4
    conn = sqlite3.connect(db_path)
    conn.executescript(V1_SQL)
    user_hash = hmac.new(old.encode(), str(ALICE).encode(), hashlib.sha256).hexdigest()
    conn.execute("INSERT INTO meta VALUES ('user_salt', ?)", (old,))
    conn.execute(
        "INSERT INTO queries (at, user_hash, status, entry_id, score, question)"
        " VALUES ('2025-01-02T03:04:05.000000+00:00', ?, 'unsure', NULL, 0.4, 'zinc?')",
        (user_hash,),
    )
    conn.commit()
    conn.close()

    reopened = open_store(str(db_path))
    forgotten = reopened.forget(ALICE)
    reopened.close()

    assert forgotten == 1
    assert salt_path(db_path).read_text().strip() == old
    assert old.encode() not in db_path.read_bytes()
    assert raw(db_path, "SELECT * FROM meta") == []


def test_a_salt_file_that_disagrees_with_the_database_is_refused(db_path: Path) -> None:
    conn = sqlite3.connect(db_path)
    conn.executescript(V1_SQL)
    conn.execute("INSERT INTO meta VALUES ('user_salt', 'in-the-database')")
    conn.commit()
    conn.close()
    salt_path(db_path).write_text("another-salt\n")

    with pytest.raises(StoreError, match="another salt"):
        open_store(str(db_path))


def test_an_empty_salt_file_is_refused_rather_than_replaced(db_path: Path) -> None:
    open_store(str(db_path)).close()
    salt_path(db_path).write_text("")

    with pytest.raises(StoreError, match="empty"):
        open_store(str(db_path))


def test_a_given_salt_is_used_and_not_written_to_the_database(tmp_path: Path) -> None:
    salted = [open_store(str(tmp_path / name), salt="pepper") for name in ("a.db", "b.db")]
    for one in salted:
        record(one, ALICE, Status.CHITCHAT)
        one.close()
    hashes = [raw(tmp_path / name, "SELECT user_hash FROM queries") for name in ("a.db", "b.db")]
    assert hashes[0] == hashes[1]
    assert raw(tmp_path / "a.db", "SELECT * FROM meta") == []


def test_an_empty_salt_is_refused_because_it_would_leave_ids_unsalted(db_path: Path) -> None:
    with pytest.raises(StoreError, match="salt"):
        open_store(str(db_path), salt="")


def test_red_flags_store_only_a_count_per_day(store: Store, db_path: Path) -> None:
    for _ in range(3):
        returned = store.record_query(
            user_id=ALICE,
            status=Status.RED_FLAG,
            entry_id="see-doctor",
            score=9.0,
            question="crushing chest pain and my leg is swollen",
            at=NOW,
        )
        assert returned is None
    assert raw(db_path, "SELECT * FROM red_flags") == [("2025-03-14", 3)]
    assert raw(db_path, "SELECT count(*) FROM queries") == [(0,)]
    assert raw(db_path, "SELECT count(*) FROM feedback") == [(0,)]
    cells = " ".join(every_cell(db_path))
    assert "chest" not in cells
    assert "see-doctor" not in cells


def test_a_vote_is_kept_only_for_an_answer_that_this_user_received(
    store: Store, db_path: Path
) -> None:
    alice_query = record(store, ALICE, Status.ANSWERED)
    bob_query = record(store, BOB, Status.ANSWERED)

    kept = [
        store.record_feedback(user_id=ALICE, entry_id="dosage", helpful=False, query_id=q)
        for q in (alice_query, bob_query, 999, None)
    ]
    anonymous = store.record_feedback(user_id=None, entry_id="dosage", helpful=True, query_id=1)

    assert (kept, anonymous) == ([True, False, False, False], False)
    assert raw(db_path, "SELECT entry_id, helpful, query_id FROM feedback") == [
        ("dosage", 0, alice_query)
    ]


def test_repeated_votes_on_one_answer_count_once_and_the_latest_wins(
    store: Store, db_path: Path
) -> None:
    query = record(store, ALICE, Status.ANSWERED)
    for _ in range(500):
        store.record_feedback(user_id=ALICE, entry_id="dosage", helpful=False, query_id=query)
    store.record_feedback(user_id=ALICE, entry_id="kidney", helpful=False, query_id=query)
    store.record_feedback(user_id=ALICE, entry_id="dosage", helpful=True, query_id=query)

    rows = raw(db_path, "SELECT entry_id, helpful FROM feedback ORDER BY entry_id")

    assert rows == [("dosage", 1), ("kidney", 0)]  # a related answer is an answer of its own


def test_a_query_keeps_the_row_id_it_was_given(store: Store, db_path: Path) -> None:
    given = 123_456_789_012_345_678

    returned = store.record_query(
        user_id=ALICE, status=Status.ANSWERED, entry_id="dosage", score=2.0, question=None,
        query_id=given,
    )  # fmt: skip

    assert returned == given
    assert raw(db_path, "SELECT id FROM queries") == [(given,)]


def test_forget_removes_every_row_of_that_user_and_keeps_the_other_users_rows(
    store: Store, db_path: Path
) -> None:
    alice_query = record(store, ALICE, Status.UNSURE, question="alice asks about zinc")
    record(store, ALICE, Status.ANSWERED)
    store.record_feedback(user_id=ALICE, entry_id="dosage", helpful=False, query_id=alice_query)
    bob_query = record(store, BOB, Status.OUT_OF_SCOPE, question="bob asks about iron")
    store.record_feedback(user_id=BOB, entry_id="kidney", helpful=True, query_id=bob_query)
    alice_hash = raw(db_path, "SELECT user_hash FROM queries WHERE id = ?", (alice_query,))[0][0]

    assert store.forget(ALICE) == 3

    assert raw(db_path, "SELECT count(*) FROM queries WHERE user_hash = ?", (alice_hash,)) == [(0,)]
    assert raw(db_path, "SELECT count(*) FROM feedback WHERE user_hash = ?", (alice_hash,)) == [
        (0,)
    ]
    assert not any("alice" in cell for cell in every_cell(db_path))
    assert raw(db_path, "SELECT question FROM queries") == [("bob asks about iron",)]
    assert raw(db_path, "SELECT entry_id, query_id FROM feedback ORDER BY id") == [
        ("kidney", bob_query)
    ]
    assert store.forget(ALICE) == 0


def test_forgotten_questions_are_overwritten_in_the_file_not_just_unlinked(db_path: Path) -> None:
    store = open_store(str(db_path))
    record(store, ALICE, Status.UNSURE, question="alice-private-question")
    record(store, BOB, Status.UNSURE, question="bob-question")
    store.forget(ALICE)
    store.close()  # the last connection checkpoints the WAL into the file and removes it
    content = db_path.read_bytes()
    assert b"alice-private-question" not in content
    assert b"bob-question" in content


def test_prune_deletes_only_rows_older_than_the_retention(store: Store, db_path: Path) -> None:
    for days_ago in (40, 31, 29, 0):
        at = NOW - timedelta(days=days_ago)
        query = store.record_query(
            user_id=ALICE,
            status=Status.UNSURE,
            entry_id=None,
            score=0.5,
            question=f"{days_ago}",
            at=at,
        )
        store.record_feedback(user_id=ALICE, entry_id="dosage", helpful=True, query_id=query, at=at)
        store.record_query(
            user_id=None, status=Status.RED_FLAG, entry_id=None, score=0, question=None, at=at
        )

    assert store.prune(older_than_days=30, now=NOW) == 6

    assert raw(db_path, "SELECT question FROM queries ORDER BY at") == [("29",), ("0",)]
    assert raw(db_path, "SELECT count(*) FROM feedback") == [(2,)]
    assert raw(db_path, "SELECT day FROM red_flags ORDER BY day") == [
        ("2025-02-13",),
        ("2025-03-14",),
    ]


def test_stats_returns_only_rows_since_the_given_time(store: Store) -> None:
    for days_ago in (10, 2, 1):
        at = NOW - timedelta(days=days_ago)
        query = store.record_query(
            user_id=BOB, status=Status.ANSWERED, entry_id="dosage", score=3.0, question=None, at=at
        )
        store.record_feedback(user_id=BOB, entry_id="dosage", helpful=True, query_id=query, at=at)
    since = NOW - timedelta(days=5)
    snapshot = store.stats(since=since)
    assert snapshot.since == since
    assert [q.at for q in snapshot.queries] == [NOW - timedelta(days=2), NOW - timedelta(days=1)]
    assert len(snapshot.feedback) == 2
    assert len(store.stats().queries) == 3


def test_naive_datetimes_are_refused_because_their_zone_is_unknown(store: Store) -> None:
    with pytest.raises(ValueError, match="naive"):
        store.record_feedback(
            user_id=None, entry_id="dosage", helpful=True, at=datetime(2025, 1, 1)
        )


def test_a_closed_store_raises_store_error(db_path: Path) -> None:
    closed = open_store(str(db_path))
    closed.close()
    with pytest.raises(StoreError):
        record(closed, ALICE, Status.CHITCHAT)


def test_an_in_memory_store_works_for_quick_experiments() -> None:
    memory = SqliteStore(":memory:")
    record(memory, ALICE, Status.UNSURE)
    assert len(memory.stats().queries) == 1
    memory.close()


def python(code: str, *args: str) -> subprocess.Popen[str]:
    """Start a separate Python process that can import this checkout's faq package."""
    env = {**os.environ, "PYTHONPATH": str(Path(faq.usage.store.__file__).resolve().parents[2])}
    command = [sys.executable, "-c", code, *args]
    return subprocess.Popen(command, env=env, stderr=subprocess.PIPE, text=True)


def test_several_processes_creating_the_same_new_database_agree_on_schema_and_salt(
    tmp_path: Path,
) -> None:
    path = tmp_path / "new" / "magbot.sqlite3"
    opener = "import sys\nfrom faq.usage.store import open_store\nopen_store(sys.argv[1]).close()"
    children = [python(opener, str(path)) for _ in range(6)]
    assert [child.stderr.read() for child in children if child.wait() != 0 and child.stderr] == []
    assert raw(path, "PRAGMA user_version") == [(SCHEMA_VERSION,)]
    assert raw(path, "SELECT * FROM meta") == []
    assert len(salt_path(path).read_text().strip()) == 64
    assert sorted(p.name for p in path.parent.iterdir() if "salt" in p.name) == [
        "magbot.sqlite3.salt"  # no draft left behind
    ]


WRITER = """
import sys
from faq.model import Status
from faq.usage.store import open_store

user = 42_424_242_424
store = open_store(sys.argv[1])
for _ in range(int(sys.argv[2])):
    query_id = store.record_query(
        user_id=user, status=Status.UNSURE, entry_id=None, score=0.1, question="process"
    )
    store.record_feedback(user_id=user, entry_id="dosage", helpful=False, query_id=query_id)
store.close()
"""


def test_threads_and_other_processes_write_while_a_reader_reads_without_locking_errors(
    db_path: Path,
) -> None:
    per_writer, processes, threads = 300, 2, 4
    bot = open_store(str(db_path))  # creates and migrates the file, as the running bot would
    reader = open_store(str(db_path))
    children = [python(WRITER, str(db_path), str(per_writer)) for _ in range(processes)]
    errors: list[BaseException] = []

    def write(user_id: int) -> None:
        try:
            for _ in range(per_writer):
                query_id = record(bot, user_id, Status.ANSWERED)
                bot.record_feedback(
                    user_id=user_id, entry_id="dosage", helpful=True, query_id=query_id
                )
        except BaseException as exc:
            errors.append(exc)

    workers = [threading.Thread(target=write, args=(ALICE + n,)) for n in range(threads)]
    for worker in workers:
        worker.start()
    reads = 0
    while any(w.is_alive() for w in workers) or any(c.poll() is None for c in children):
        reader.stats()
        reads += 1
    for worker in workers:
        worker.join()
    failures = [child.stderr.read() for child in children if child.wait() != 0 and child.stderr]

    assert errors == []
    assert failures == []
    assert reads > 0
    snapshot = reader.stats()
    expected = per_writer * (processes + threads)
    assert len(snapshot.queries) == expected
    assert len(snapshot.feedback) == expected
    assert all(f.query_id is not None for f in snapshot.feedback)
    process_hashes = raw(
        db_path, "SELECT DISTINCT user_hash FROM queries WHERE question = 'process'"
    )
    assert len(process_hashes) == 1  # every process read the same stored salt
    bot.close()
    reader.close()


async def test_an_asyncio_bot_can_record_from_worker_threads(store: Store) -> None:
    ids = await asyncio.gather(
        *(asyncio.to_thread(record, store, ALICE + n, Status.ANSWERED) for n in range(20))
    )
    assert sorted(i for i in ids if i is not None) == list(range(1, 21))


def test_a_new_database_and_its_journal_are_readable_by_the_owner_only(tmp_path: Path) -> None:
    store = SqliteStore(tmp_path / "magbot.sqlite3")
    store.record_query(user_id=1, status=Status.UNSURE, entry_id=None, score=0.0, question="q")

    modes = {p.name: p.stat().st_mode & 0o777 for p in tmp_path.iterdir()}
    store.close()

    assert modes["magbot.sqlite3"] == 0o600
    assert all(mode & 0o077 == 0 for mode in modes.values()), modes


def test_forget_leaves_the_question_text_in_no_file_not_even_the_journal(tmp_path: Path) -> None:
    store = SqliteStore(tmp_path / "magbot.sqlite3")
    store.record_query(
        user_id=7, status=Status.UNSURE, entry_id=None, score=0.0, question="quokkaword"
    )
    written = b"".join(p.read_bytes() for p in tmp_path.iterdir())

    store.forget(7)
    left = b"".join(p.read_bytes() for p in tmp_path.iterdir())
    store.close()

    assert b"quokkaword" in written  # the search below means something
    assert b"quokkaword" not in left
