"""The SQLite file under the usage store: schema migrations, connections, transactions, the salt
kept apart, and one consistent read of every table."""

from __future__ import annotations

import contextlib
import os
import secrets
import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, date, datetime
from pathlib import Path

from faq.model import Status
from faq.usage.rows import FeedbackRow, QueryRow, RedFlagDay, StoreError, StoreSnapshot
from faq.usage.salt import load_or_create, salt_path

#: Each step is a tuple of statements run in one transaction; never edit a released step.
MIGRATIONS: tuple[tuple[str, ...], ...] = (
    (  # 1: initial schema. Red flags are a per-day counter: no user, no text, no row per message.
        "CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL)",
        "CREATE TABLE queries ("
        " id INTEGER PRIMARY KEY, at TEXT NOT NULL, user_hash TEXT,"
        " status TEXT NOT NULL"
        " CHECK (status IN ('answered', 'unsure', 'out_of_scope', 'chitchat')),"
        " entry_id TEXT, score REAL NOT NULL, question TEXT,"
        " CHECK (question IS NULL OR status IN ('unsure', 'out_of_scope')))",
        "CREATE TABLE feedback ("
        " id INTEGER PRIMARY KEY, at TEXT NOT NULL, user_hash TEXT,"
        " entry_id TEXT NOT NULL, helpful INTEGER NOT NULL CHECK (helpful IN (0, 1)))",
        "CREATE TABLE red_flags (day TEXT PRIMARY KEY, count INTEGER NOT NULL)",
    ),
    (  # 2: link feedback to the query it rates; indexes for forget, prune and stats.
        "ALTER TABLE feedback ADD COLUMN query_id INTEGER"
        " REFERENCES queries (id) ON DELETE SET NULL",
        "CREATE INDEX queries_user_hash ON queries (user_hash)",
        "CREATE INDEX queries_at ON queries (at)",
        "CREATE INDEX feedback_user_hash ON feedback (user_hash)",
        "CREATE INDEX feedback_at ON feedback (at)",
    ),
    (  # 3: one vote per person per answer, and only on an answer that person received.
        # Votes on another person's answer go; of repeated votes the latest stays (votes
        # older than query links: the latest per person and entry).
        "DELETE FROM feedback WHERE query_id IS NOT NULL AND NOT EXISTS (SELECT 1 FROM"
        " queries WHERE queries.id = feedback.query_id AND queries.user_hash = feedback.user_hash)",
        "DELETE FROM feedback WHERE query_id IS NOT NULL AND id NOT IN"
        " (SELECT max(id) FROM feedback WHERE query_id IS NOT NULL GROUP BY query_id, entry_id)",
        "DELETE FROM feedback WHERE query_id IS NULL AND user_hash IS NOT NULL AND id NOT IN"
        " (SELECT max(id) FROM feedback WHERE query_id IS NULL AND user_hash IS NOT NULL"
        " GROUP BY user_hash, entry_id)",
        "CREATE UNIQUE INDEX feedback_one_vote ON feedback (query_id, entry_id)",
    ),
)
SCHEMA_VERSION = len(MIGRATIONS)
_SALT_KEY = "user_salt"


def read_rows(conn: sqlite3.Connection, since: datetime | None) -> StoreSnapshot:
    """Read the rows since a time in one transaction, so all tables are from one moment."""
    start = sql_time(utc_or_now(since)) if since is not None else ""
    day = utc_or_now(since).date().isoformat() if since is not None else ""
    conn.execute("BEGIN")
    try:
        queries = conn.execute(
            "SELECT id, at, status, entry_id, score, question FROM queries"
            " WHERE at >= ? ORDER BY at, id",
            (start,),
        ).fetchall()
        feedback = conn.execute(
            "SELECT at, entry_id, helpful, query_id FROM feedback WHERE at >= ? ORDER BY at, id",
            (start,),
        ).fetchall()
        flags = conn.execute(
            "SELECT day, count FROM red_flags WHERE day >= ? ORDER BY day", (day,)
        ).fetchall()
    finally:
        conn.execute("COMMIT")
    return StoreSnapshot(
        since=since,
        queries=tuple(_query_row(row) for row in queries),
        feedback=tuple(
            FeedbackRow(datetime.fromisoformat(at), entry, bool(helpful), query_id)
            for at, entry, helpful, query_id in feedback
        ),
        red_flags=tuple(RedFlagDay(date.fromisoformat(d), n) for d, n in flags),
    )


def _private(path: Path) -> None:
    """Create the database file readable by its owner only (0600), before SQLite opens it.

    The -wal and -shm files SQLite adds take the same permissions as the database.
    """
    with contextlib.suppress(FileExistsError):
        os.close(os.open(path, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o600))


def connect(path: str, busy_timeout: float) -> sqlite3.Connection:
    """Open (creating it 0600) the database with WAL, foreign keys and secure delete."""
    target = path if path == ":memory:" else Path(path).expanduser()
    if isinstance(target, Path):
        target.parent.mkdir(parents=True, exist_ok=True)
        _private(target)
    conn = sqlite3.connect(
        target,
        timeout=busy_timeout,
        isolation_level=None,  # autocommit; multi-statement writes use transaction
        check_same_thread=False,
    )
    try:
        conn.execute("PRAGMA journal_mode = WAL")  # readers never block the writing bot
        conn.execute("PRAGMA synchronous = NORMAL")
        conn.execute("PRAGMA foreign_keys = ON")
        conn.execute("PRAGMA secure_delete = ON")  # forget() overwrites the text, not just unlinks
    except sqlite3.Error:
        conn.close()
        raise
    return conn


@contextmanager
def transaction(conn: sqlite3.Connection) -> Iterator[None]:
    """Run the block under the write lock (BEGIN IMMEDIATE); roll back on any error."""
    # IMMEDIATE takes the write lock up front, so the busy timeout applies instead of
    # failing at once with "database is locked" when a read would have to upgrade.
    conn.execute("BEGIN IMMEDIATE")
    try:
        yield
        conn.execute("COMMIT")
    except BaseException:
        if conn.in_transaction:
            conn.execute("ROLLBACK")
        raise


def migrate(conn: sqlite3.Connection) -> None:
    """Bring the schema up to SCHEMA_VERSION; refuse a database newer than this code."""
    with transaction(conn):
        version = conn.execute("PRAGMA user_version").fetchone()[0]
        if version > SCHEMA_VERSION:
            raise StoreError(
                f"database schema is version {version}, newer than this code ({SCHEMA_VERSION})"
            )
        for number, statements in enumerate(MIGRATIONS[version:], start=version + 1):
            for statement in statements:
                conn.execute(statement)
            conn.execute(f"PRAGMA user_version = {number}")


def load_salt(conn: sqlite3.Connection, path: str, *, generate: bool) -> str | None:
    """Give the generated salt, kept in its own file (made when `generate`); move a salt the
    database still holds (older versions kept it there) into that file."""
    with transaction(conn):  # the write lock: processes opening the file at once take turns
        row = conn.execute("SELECT value FROM meta WHERE key = ?", (_SALT_KEY,)).fetchone()
        legacy = str(row[0]) if row is not None else None
        if path == ":memory:":
            return legacy or secrets.token_hex(32)
        if legacy is None and not generate:
            return None
        salt = load_or_create(salt_path(Path(path).expanduser()), legacy)
        if legacy is None:
            return salt
        conn.execute("DELETE FROM meta WHERE key = ?", (_SALT_KEY,))
    conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")  # no copy of the old page left in the log
    return salt


def utc_or_now(at: datetime | None) -> datetime:
    """Give the time in UTC (now when None); refuse a naive datetime."""
    if at is None:
        return datetime.now(UTC)
    if at.utcoffset() is None:
        raise ValueError(f"naive datetime {at!r}: pass a timezone-aware (UTC) datetime")
    return at.astimezone(UTC)


def sql_time(at: datetime) -> str:
    """Give the fixed-width text that SQL compares as time."""
    # One fixed width and offset, so text comparison in SQL is time comparison.
    return at.isoformat(timespec="microseconds")


def _query_row(row: tuple[int, str, str, str | None, float, str | None]) -> QueryRow:
    id_, at, status, entry_id, score, question = row
    return QueryRow(id_, datetime.fromisoformat(at), Status(status), entry_id, score, question)
