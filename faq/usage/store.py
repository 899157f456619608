"""What the bot remembers: query outcomes, feedback and red-flag counts, with little personal data.

SQLite by default (WAL, busy timeout, migrations in ``PRAGMA user_version``) behind the small
``Store`` protocol, so that a PostgreSQL store can serve several replicas later. User ids are
kept only as HMAC-SHA256 hashes; the salt is given (MAGBOT_HASH_SALT) or generated and kept in
a file of its own beside the database (``faq.usage.salt``), never inside it. The bot writes
through ``faq.usage.writer``, which never makes an answer wait.
"""

from __future__ import annotations

import contextlib
import hashlib
import hmac
import logging
import os
import re
import secrets
import sqlite3
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Protocol

from faq.model import Status
from faq.usage.salt import SaltError, load_or_create, salt_path

logger = logging.getLogger(__name__)

#: Statuses whose question text is kept, so maintainers can write the missing entries.
TEXT_KEPT_FOR = frozenset({Status.UNSURE, Status.OUT_OF_SCOPE})

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

_URL_SCHEME = re.compile(r"^([A-Za-z][A-Za-z0-9+.-]*)://")
_SALT_KEY = "user_salt"


class StoreError(Exception):
    """The store cannot be opened, or a read or write failed."""


class StoreUnavailable(StoreError):
    """The database cannot be used right now (locked, full, read-only, unreadable): try again."""


@dataclass(frozen=True)
class QueryRow:
    """One stored query outcome; ``question`` is only ever set for unsure and out-of-scope."""

    id: int
    at: datetime
    status: Status
    entry_id: str | None
    score: float
    question: str | None


@dataclass(frozen=True)
class FeedbackRow:
    """One 👍 (helpful) or 👎 on an entry, linked to its query row when known."""

    at: datetime
    entry_id: str
    helpful: bool
    query_id: int | None


@dataclass(frozen=True)
class RedFlagDay:
    """How many red-flag messages arrived on one UTC day."""

    day: date
    count: int


@dataclass(frozen=True)
class StoreSnapshot:
    """The raw rows a report is built from, without any user hashes."""

    since: datetime | None
    queries: tuple[QueryRow, ...]
    feedback: tuple[FeedbackRow, ...]
    red_flags: tuple[RedFlagDay, ...]


class FeedbackSink(Protocol):
    """Where 👍/👎 votes go; every Store is one."""

    def record_feedback(
        self,
        *,
        user_id: int | None,
        entry_id: str,
        helpful: bool,
        query_id: int | None = None,
        at: datetime | None = None,
    ) -> bool:
        """Store one 👍/👎 on an entry of an answer this user received; give whether it was kept."""


class Store(FeedbackSink, Protocol):
    """Where query outcomes and feedback go; SQLite today, PostgreSQL later."""

    def record_query(
        self,
        *,
        user_id: int | None,
        status: Status,
        entry_id: str | None,
        score: float,
        question: str | None,
        at: datetime | None = None,
        query_id: int | None = None,
    ) -> int | None:
        """Store one query outcome (with this row id if given); return its id (None: red flag)."""

    def forget(self, user_id: int) -> int:
        """Delete every row of this user and return how many were deleted."""

    def prune(self, *, older_than_days: int, now: datetime | None = None) -> int:
        """Delete everything older than the retention and return how many rows went."""

    def stats(self, *, since: datetime | None = None) -> StoreSnapshot:
        """Return the rows recorded since a time (all rows when None)."""

    def close(self) -> None:
        """Release the connection."""


def open_store(url_or_path: str, *, salt: str | None = None) -> Store:
    """Open the store named by a path, ``sqlite:///path`` or (later) ``postgresql://`` URL."""
    match = _URL_SCHEME.match(url_or_path)
    if match is None:
        return SqliteStore(url_or_path, salt=salt)
    scheme = match.group(1).lower()
    if scheme.startswith("postgres"):
        # The URL is not echoed: it may hold a password.
        raise StoreError(
            "PostgreSQL storage is not implemented yet; use a SQLite path such as "
            "data/magbot.sqlite3 (or sqlite:///data/magbot.sqlite3)"
        )
    if scheme == "sqlite":
        return SqliteStore(url_or_path[match.end() :], salt=salt)
    raise StoreError(f"unsupported store URL scheme {scheme!r}: use a path or sqlite:///path")


def read_snapshot(path: str | Path, *, since: datetime | None = None) -> StoreSnapshot:
    """Read a magbot database without writing to it; refuse any other file with a reason."""
    target = Path(path).expanduser()
    try:
        conn = sqlite3.connect(f"{target.resolve().as_uri()}?mode=ro", uri=True, timeout=10.0)
    except (OSError, sqlite3.Error) as exc:
        raise StoreError(f"cannot open database {target}: {exc}") from exc
    try:
        version = conn.execute("PRAGMA user_version").fetchone()[0]
        tables = {row[0] for row in conn.execute("SELECT name FROM sqlite_master")}
        if not 1 <= version <= SCHEMA_VERSION or not {"queries", "feedback"} <= tables:
            raise StoreError(f"{target} is not a magbot database (nothing was written to it)")
        return _snapshot(conn, since)
    except sqlite3.Error as exc:
        raise StoreError(f"{target} is not a magbot database: {exc}") from exc
    finally:
        conn.close()


class SqliteStore:
    """A ``Store`` on one SQLite file, safe to share between threads and processes."""

    def __init__(
        self, path: str | Path, *, salt: str | None = None, busy_timeout: float = 10.0
    ) -> None:
        """Open (creating it and its parent directories if needed) and migrate the database."""
        self.path = str(path)
        if not self.path:
            raise StoreError("no database path given")
        if salt == "":
            raise StoreError("the user-id salt must not be empty")
        self._lock = threading.Lock()
        self._busy_timeout = busy_timeout
        self._salt_kept_apart = salt is None
        try:
            self._conn = _connect(self.path, busy_timeout)
        except (OSError, sqlite3.Error) as exc:
            raise StoreError(f"cannot open database {self.path}: {exc}") from exc
        try:
            with self._locked() as conn:
                _migrate(conn)
                kept = _salt_kept_apart(conn, self.path, generate=salt is None)
            self._salt = (salt or kept or "").encode()
        except SaltError as exc:
            self._conn.close()
            raise StoreError(str(exc)) from exc
        except BaseException:
            self._conn.close()
            raise

    def record_query(
        self,
        *,
        user_id: int | None,
        status: Status,
        entry_id: str | None,
        score: float,
        question: str | None,
        at: datetime | None = None,
        query_id: int | None = None,
    ) -> int | None:
        """Store one query outcome (with this row id if given); return its id (None: red flag)."""
        status = Status(status)
        when = _utc(at)
        if status is Status.RED_FLAG:
            with self._locked() as conn:
                conn.execute(
                    "INSERT INTO red_flags (day, count) VALUES (?, 1)"
                    " ON CONFLICT (day) DO UPDATE SET count = count + 1",
                    (when.date().isoformat(),),
                )
            return None
        text = question.strip() if question and status in TEXT_KEPT_FOR else None
        with self._locked() as conn:
            cursor = conn.execute(
                "INSERT INTO queries (id, at, user_hash, status, entry_id, score, question)"
                " VALUES (?, ?, ?, ?, ?, ?, ?)",
                (
                    query_id,
                    _iso(when),
                    self._hash(user_id),
                    status.value,
                    entry_id,
                    score,
                    text or None,
                ),
            )
        return cursor.lastrowid

    def record_feedback(
        self,
        *,
        user_id: int | None,
        entry_id: str,
        helpful: bool,
        query_id: int | None = None,
        at: datetime | None = None,
    ) -> bool:
        """Store one 👍/👎 on an entry of an answer this user received; give whether it was kept.

        One vote per answer and entry: a later vote replaces the earlier one. A vote without a
        query id, on a query that is gone, or on another person's query is not kept.
        """
        when, user_hash = _utc(at), self._hash(user_id)
        if user_hash is None or query_id is None:
            return False
        with self._locked() as conn:
            cursor = conn.execute(
                "INSERT INTO feedback (at, user_hash, entry_id, helpful, query_id)"
                " SELECT ?, user_hash, ?, ?, id FROM queries WHERE id = ? AND user_hash = ?"
                " ON CONFLICT (query_id, entry_id)"
                " DO UPDATE SET helpful = excluded.helpful, at = excluded.at",
                (_iso(when), entry_id, int(helpful), query_id, user_hash),
            )
        return cursor.rowcount > 0

    def forget(self, user_id: int) -> int:
        """Delete every query and feedback row of this user and return how many were deleted."""
        user_hash = self._hash(user_id)
        with self._locked() as conn:
            with _transaction(conn):
                deleted = conn.execute("DELETE FROM feedback WHERE user_hash = ?", (user_hash,))
                count = deleted.rowcount
                deleted = conn.execute("DELETE FROM queries WHERE user_hash = ?", (user_hash,))
                count += deleted.rowcount
            # the write-ahead log still holds the deleted text: fold it in and empty it
            conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
            return count

    def prune(self, *, older_than_days: int, now: datetime | None = None) -> int:
        """Delete queries, feedback and red-flag days older than the retention; return the count."""
        if older_than_days < 0:
            raise ValueError("older_than_days must not be negative")
        cutoff = _utc(now) - timedelta(days=older_than_days)
        with self._locked() as conn, _transaction(conn):
            count = conn.execute("DELETE FROM feedback WHERE at < ?", (_iso(cutoff),)).rowcount
            count += conn.execute("DELETE FROM queries WHERE at < ?", (_iso(cutoff),)).rowcount
            day = cutoff.date().isoformat()
            count += conn.execute("DELETE FROM red_flags WHERE day < ?", (day,)).rowcount
            return count

    def stats(self, *, since: datetime | None = None) -> StoreSnapshot:
        """Return a consistent snapshot of the rows since a time (red flags: from its UTC day)."""
        with self._locked() as conn:
            return _snapshot(conn, since)

    def close(self) -> None:
        """Release the connection; the store cannot be used afterwards."""
        with self._lock:
            self._conn.close()

    def _hash(self, user_id: int | None) -> str | None:
        if user_id is None:
            return None
        return hmac.new(self._salt, str(user_id).encode(), hashlib.sha256).hexdigest()

    def _remake_if_deleted(self) -> None:
        """Make the database again if its file was deleted while open (``rm -r data/``).

        SQLite would go on writing into the deleted file, and every row would vanish at the
        next start. The new file gets the same salt, so /forget finds what is written now.
        """
        if self.path == ":memory:" or Path(self.path).expanduser().exists():
            return
        try:
            conn = _connect(self.path, self._busy_timeout)
        except OSError as exc:
            raise StoreUnavailable(
                f"{self.path}: deleted, and cannot be made again: {exc}"
            ) from exc
        try:
            _migrate(conn)
            if self._salt_kept_apart:
                load_or_create(salt_path(Path(self.path).expanduser()), self._salt.decode())
        except (sqlite3.Error, SaltError) as exc:
            conn.close()
            raise StoreUnavailable(
                f"{self.path}: deleted, and cannot be made again: {exc}"
            ) from exc
        self._conn.close()
        self._conn = conn
        logger.warning("the database file was deleted while open: made a new one (%s)", self.path)

    @contextmanager
    def _locked(self) -> Iterator[sqlite3.Connection]:
        # One connection shared by the bot's threads: the lock serialises its use.
        with self._lock:
            try:
                self._remake_if_deleted()
                yield self._conn
            except (sqlite3.OperationalError, sqlite3.InternalError) as exc:
                raise StoreUnavailable(f"{self.path}: {exc}") from exc
            except sqlite3.DatabaseError as exc:
                # a damaged file may be restored; a refused row (constraint) never passes
                unreadable = type(exc) is sqlite3.DatabaseError
                error = StoreUnavailable if unreadable else StoreError
                raise error(f"{self.path}: {exc}") from exc
            except sqlite3.Error as exc:
                raise StoreError(f"{self.path}: {exc}") from exc


def _snapshot(conn: sqlite3.Connection, since: datetime | None) -> StoreSnapshot:
    """Read the rows since a time in one transaction, so all tables are from one moment."""
    start = _iso(_utc(since)) if since is not None else ""
    day = _utc(since).date().isoformat() if since is not None else ""
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


def _connect(path: str, busy_timeout: float) -> sqlite3.Connection:
    target = path if path == ":memory:" else Path(path).expanduser()
    if isinstance(target, Path):
        target.parent.mkdir(parents=True, exist_ok=True)
        _private(target)
    conn = sqlite3.connect(
        target,
        timeout=busy_timeout,
        isolation_level=None,  # autocommit; multi-statement writes use _transaction
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
def _transaction(conn: sqlite3.Connection) -> Iterator[None]:
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


def _migrate(conn: sqlite3.Connection) -> None:
    with _transaction(conn):
        version = conn.execute("PRAGMA user_version").fetchone()[0]
        if version > SCHEMA_VERSION:
            raise StoreError(
                f"database schema is version {version}, newer than this code ({SCHEMA_VERSION})"
            )
        for number, statements in enumerate(MIGRATIONS[version:], start=version + 1):
            for statement in statements:
                conn.execute(statement)
            conn.execute(f"PRAGMA user_version = {number}")


def _salt_kept_apart(conn: sqlite3.Connection, path: str, *, generate: bool) -> str | None:
    """Give the generated salt, kept in its own file (made when `generate`); move a salt the
    database still holds (older versions kept it there) into that file."""
    with _transaction(conn):  # the write lock: processes opening the file at once take turns
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


def _utc(at: datetime | None) -> datetime:
    if at is None:
        return datetime.now(UTC)
    if at.utcoffset() is None:
        raise ValueError(f"naive datetime {at!r}: pass a timezone-aware (UTC) datetime")
    return at.astimezone(UTC)


def _iso(at: datetime) -> str:
    # One fixed width and offset, so text comparison in SQL is time comparison.
    return at.isoformat(timespec="microseconds")


def _query_row(row: tuple[int, str, str, str | None, float, str | None]) -> QueryRow:
    id_, at, status, entry_id, score, question = row
    return QueryRow(id_, datetime.fromisoformat(at), Status(status), entry_id, score, question)
