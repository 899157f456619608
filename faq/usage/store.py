"""What the bot remembers: query outcomes, feedback and red-flag counts, with little personal data.

SQLite by default (``faq.usage.database``: WAL, busy timeout, migrations in ``PRAGMA
user_version``) behind the small ``Store`` protocol, so that a PostgreSQL store can serve
several replicas later. User ids are kept only as HMAC-SHA256 hashes; the salt is given
(MAGBOT_HASH_SALT) or generated and kept in a file of its own beside the database
(``faq.usage.salt``), never inside it. The bot writes through ``faq.usage.writer``, which
never makes an answer wait.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import re
import sqlite3
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime, timedelta
from pathlib import Path
from typing import Protocol

from faq.model import Status
from faq.usage.database import (
    MIGRATIONS,
    SCHEMA_VERSION,
    connect,
    load_salt,
    migrate,
    read_rows,
    sql_time,
    transaction,
    utc_or_now,
)
from faq.usage.rows import (
    FeedbackRow,
    QueryRow,
    RedFlagDay,
    StoreError,
    StoreSnapshot,
    StoreUnavailable,
)
from faq.usage.salt import SaltError, load_or_create, salt_path

__all__ = [
    "MIGRATIONS", "SCHEMA_VERSION", "TEXT_KEPT_FOR", "FeedbackRow", "FeedbackSink", "QueryRow",
    "RedFlagDay", "SqliteStore", "Store", "StoreError", "StoreSnapshot", "StoreUnavailable",
    "open_store", "read_snapshot",
]  # fmt: skip

logger = logging.getLogger(__name__)

#: Statuses whose question text is kept, so maintainers can write the missing entries.
TEXT_KEPT_FOR = frozenset({Status.UNSURE, Status.OUT_OF_SCOPE})

_URL_SCHEME = re.compile(r"^([A-Za-z][A-Za-z0-9+.-]*)://")


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
        return read_rows(conn, since)
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
            self._conn = connect(self.path, busy_timeout)
        except (OSError, sqlite3.Error) as exc:
            raise StoreError(f"cannot open database {self.path}: {exc}") from exc
        try:
            with self._locked() as conn:
                migrate(conn)
                kept = load_salt(conn, self.path, generate=salt is None)
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
        when = utc_or_now(at)
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
                    sql_time(when),
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
        when, user_hash = utc_or_now(at), self._hash(user_id)
        if user_hash is None or query_id is None:
            return False
        with self._locked() as conn:
            cursor = conn.execute(
                "INSERT INTO feedback (at, user_hash, entry_id, helpful, query_id)"
                " SELECT ?, user_hash, ?, ?, id FROM queries WHERE id = ? AND user_hash = ?"
                " ON CONFLICT (query_id, entry_id)"
                " DO UPDATE SET helpful = excluded.helpful, at = excluded.at",
                (sql_time(when), entry_id, int(helpful), query_id, user_hash),
            )
        return cursor.rowcount > 0

    def forget(self, user_id: int) -> int:
        """Delete every query and feedback row of this user and return how many were deleted."""
        user_hash = self._hash(user_id)
        with self._locked() as conn:
            with transaction(conn):
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
        cutoff = utc_or_now(now) - timedelta(days=older_than_days)
        with self._locked() as conn, transaction(conn):
            count = conn.execute("DELETE FROM feedback WHERE at < ?", (sql_time(cutoff),)).rowcount
            count += conn.execute("DELETE FROM queries WHERE at < ?", (sql_time(cutoff),)).rowcount
            day = cutoff.date().isoformat()
            count += conn.execute("DELETE FROM red_flags WHERE day < ?", (day,)).rowcount
            return count

    def stats(self, *, since: datetime | None = None) -> StoreSnapshot:
        """Return a consistent snapshot of the rows since a time (red flags: from its UTC day)."""
        with self._locked() as conn:
            return read_rows(conn, since)

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
            conn = connect(self.path, self._busy_timeout)
        except OSError as exc:
            raise StoreUnavailable(
                f"{self.path}: deleted, and cannot be made again: {exc}"
            ) from exc
        try:
            migrate(conn)
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
