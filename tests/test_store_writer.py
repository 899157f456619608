"""The store writer: queued writes that never wait for the database, and survive its outages."""

from __future__ import annotations

import logging
import shutil
import sqlite3
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from faq.model import Status
from faq.usage.salt import salt_path
from faq.usage.store import SqliteStore
from faq.usage.writer import StoreWriter, new_query_id
from tests.sqlite_lock import write_lock_held

ALICE = 5_123_456_789
BOB = 7_987_654_321
LOCKED_SECONDS = 3.0
#: Generous: a queued write takes microseconds; a write that waited for the lock takes seconds.
QUICK = 0.5


@pytest.fixture
def db_path(tmp_path: Path) -> Path:
    return tmp_path / "magbot.sqlite3"


@pytest.fixture
def store(db_path: Path) -> Iterator[SqliteStore]:
    # a short busy timeout: the writer notices the lock quickly and retries on its own
    opened = SqliteStore(db_path, busy_timeout=0.2)
    yield opened
    opened.close()


@pytest.fixture
def writer(store: SqliteStore) -> Iterator[StoreWriter]:
    started = StoreWriter(store)
    yield started
    started.close()


def raw(path: Path, sql: str) -> list[tuple[object, ...]]:
    conn = sqlite3.connect(path)
    try:
        return conn.execute(sql).fetchall()
    finally:
        conn.close()


def ask(writer: StoreWriter, user: int, status: Status = Status.ANSWERED) -> int | None:
    return writer.record_query(
        user_id=user, status=status, entry_id="dosage", score=2.0, question="q"
    )


def test_query_ids_are_random_positive_and_fit_a_button() -> None:
    ids = {new_query_id() for _ in range(1000)}

    assert len(ids) == 1000
    assert all(2**32 <= i < 10**18 for i in ids)


def test_the_id_given_at_once_is_the_id_of_the_row_written_later(
    writer: StoreWriter, db_path: Path
) -> None:
    query_id = ask(writer, ALICE)
    assert writer.flush()

    assert raw(db_path, "SELECT id FROM queries") == [(query_id,)]


def test_a_red_flag_gets_no_id_and_is_only_counted(writer: StoreWriter, db_path: Path) -> None:
    assert ask(writer, ALICE, Status.RED_FLAG) is None
    assert writer.flush()

    assert raw(db_path, "SELECT count FROM red_flags") == [(1,)]
    assert raw(db_path, "SELECT count(*) FROM queries") == [(0,)]


def test_a_locked_database_delays_no_call_and_loses_no_write(
    writer: StoreWriter, db_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="faq.usage.writer")
    with write_lock_held(db_path, LOCKED_SECONDS):
        slowest = 0.0
        for n in range(50):
            started = time.monotonic()
            query_id = ask(writer, ALICE + n)
            writer.record_feedback(
                user_id=ALICE + n, entry_id="dosage", helpful=False, query_id=query_id
            )
            slowest = max(slowest, time.monotonic() - started)
        time.sleep(0.5)  # the writer meets the lock meanwhile
        assert raw(db_path, "SELECT count(*) FROM queries") == [(0,)]  # all still queued
    assert writer.flush()

    assert slowest < QUICK
    assert raw(db_path, "SELECT count(*) FROM queries") == [(50,)]
    assert raw(db_path, "SELECT count(*) FROM feedback") == [(50,)]
    lines = [r.getMessage() for r in caplog.records]
    assert len([line for line in lines if line.startswith("store unavailable")]) == 1
    assert len([line for line in lines if line.startswith("store available again")]) == 1
    assert all(r.exc_info is None for r in caplog.records)  # one line each, no traceback
    assert writer.dropped == 0 and writer.healthy


def test_a_full_queue_drops_and_counts_new_writes_and_logs_once(
    store: SqliteStore, db_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    small = StoreWriter(store, limit=5)
    try:
        with write_lock_held(db_path, LOCKED_SECONDS):
            ids = [ask(small, ALICE) for _ in range(20)]
            forgotten = small.forget(ALICE)
        assert small.flush()
    finally:
        small.close()

    kept = [i for i in ids if i is not None]
    assert 5 <= len(kept) <= 6  # the queue's 5, and perhaps the one the writer holds
    assert small.dropped == 20 - len(kept) + 1  # the /forget too
    assert forgotten is None
    assert raw(db_path, "SELECT count(*) FROM queries") == [(len(kept),)]
    drops = [r for r in caplog.records if "dropping writes" in r.getMessage()]
    assert len(drops) == 1


def test_forget_runs_after_the_writes_queued_before_it(writer: StoreWriter, db_path: Path) -> None:
    for _ in range(3):
        query_id = ask(writer, ALICE)
        writer.record_feedback(user_id=ALICE, entry_id="dosage", helpful=True, query_id=query_id)
    ask(writer, BOB)

    done = writer.forget(ALICE)

    assert done is not None and done.result(timeout=10) == 6
    assert raw(db_path, "SELECT count(*) FROM queries") == [(1,)]


def test_a_write_the_store_refuses_is_skipped_and_the_next_ones_go_on(
    writer: StoreWriter, db_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    # a constraint that refuses one row for good: retrying it would hold up every later write
    raw(
        db_path,
        "CREATE TRIGGER refuse BEFORE INSERT ON queries WHEN NEW.question = 'refuse me'"
        " BEGIN SELECT RAISE(ABORT, 'refused by a constraint'); END",
    )
    writer.record_query(
        user_id=ALICE, status=Status.UNSURE, entry_id=None, score=0.1, question="refuse me"
    )
    ask(writer, BOB)
    assert writer.flush()

    assert writer.skipped == 1
    assert raw(db_path, "SELECT count(*) FROM queries") == [(1,)]
    assert [r.getMessage() for r in caplog.records if "refused" in r.getMessage()] == [
        "store: a query outcome was refused (refused by a constraint) and skipped"
    ]


def test_close_writes_what_is_queued(store: SqliteStore, db_path: Path) -> None:
    closing = StoreWriter(store)
    for _ in range(100):
        ask(closing, ALICE)

    closing.close()

    assert raw(db_path, "SELECT count(*) FROM queries") == [(100,)]
    assert ask(closing, ALICE) is None  # closed: dropped, counted
    assert closing.dropped == 1


def test_a_database_folder_deleted_while_serving_is_made_again_with_the_same_salt(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    db = tmp_path / "data" / "magbot.sqlite3"
    store = SqliteStore(db)
    writer = StoreWriter(store)
    try:
        ask(writer, ALICE)
        assert writer.flush()
        salt = salt_path(db).read_text()
        shutil.rmtree(db.parent)  # an operator's `rm -r data/` while the bot runs

        ask(writer, ALICE)
        ask(writer, BOB)
        assert writer.flush()
        done = writer.forget(ALICE)
        assert done is not None
        forgotten = done.result(timeout=10)
    finally:
        writer.close()
        store.close()

    assert forgotten == 1  # the row written after the deletion, found with the same salt
    assert salt_path(db).read_text() == salt
    assert raw(db, "SELECT count(*) FROM queries") == [(1,)]  # Bob's, in the new file
    remade = [r for r in caplog.records if "deleted while open" in r.getMessage()]
    assert len(remade) == 1 and writer.healthy


def test_closing_while_the_database_stays_locked_gives_up_in_bounded_time_and_counts_it(
    store: SqliteStore, db_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    closing = StoreWriter(store)
    with write_lock_held(db_path, LOCKED_SECONDS * 2):
        for _ in range(5):
            ask(closing, ALICE)
        started = time.monotonic()
        closing.close(timeout=0.5)
        took = time.monotonic() - started

    assert took < LOCKED_SECONDS  # not waiting for the lock to clear
    assert closing.dropped == 5
    assert raw(db_path, "SELECT count(*) FROM queries") == [(0,)]
    assert any("5 writes were dropped" in r.getMessage() for r in caplog.records)
