"""The inbox: updates as fetched from Telegram, kept until they are answered.

A separate SQLite file from the usage database, so a locked usage database never delays an
answer. The update_id is the primary key: an update fetched or posted twice is kept once.
Rows are written before Telegram is told they arrived and marked done after the reply went,
so a crash loses nothing; done rows are deleted after a while, so the file stays small.
"""

from __future__ import annotations

import contextlib
import json
import os
import sqlite3
import threading
import time
from collections.abc import Iterable, Iterator, Mapping
from pathlib import Path
from typing import Any

Update = dict[str, Any]

_SCHEMA = (
    "CREATE TABLE IF NOT EXISTS updates ("
    " update_id INTEGER PRIMARY KEY, body TEXT NOT NULL,"
    " received REAL NOT NULL, done REAL)",
    "CREATE INDEX IF NOT EXISTS updates_done ON updates (done)",
)


class InboxError(Exception):
    """The inbox cannot be opened, read or written."""


class Inbox:
    """Fetched updates, written before they are confirmed to Telegram; thread-safe."""

    def __init__(self, path: str | Path, busy_timeout: float = 1.0) -> None:
        self.path = Path(path).expanduser()
        self._lock = threading.Lock()
        try:
            _create_private(self.path)
            self._conn = sqlite3.connect(
                self.path, timeout=busy_timeout, isolation_level=None, check_same_thread=False
            )
            self._conn.execute("PRAGMA journal_mode=WAL")
            self._conn.execute("PRAGMA synchronous=NORMAL")  # survives a killed process
            for statement in _SCHEMA:
                self._conn.execute(statement)
        except (OSError, sqlite3.Error) as exc:
            raise InboxError(f"cannot open the inbox {self.path}: {exc}") from exc

    def add(self, updates: Iterable[Mapping[str, Any]]) -> list[Update]:
        """Keep the updates in one transaction; give those not seen before, in order."""
        fresh: list[Update] = []
        now = time.time()
        with self._write() as conn:
            for update in updates:
                body = json.dumps(update, ensure_ascii=False, separators=(",", ":"))
                cursor = conn.execute(
                    "INSERT OR IGNORE INTO updates (update_id, body, received) VALUES (?, ?, ?)",
                    (int(update["update_id"]), body, now),
                )
                if cursor.rowcount:
                    fresh.append(dict(update))
        return fresh

    def done(self, update_id: int) -> None:
        """Note that the update was handled: it is not handled again after a restart."""
        with self._write() as conn:
            conn.execute(
                "UPDATE updates SET done = ? WHERE update_id = ?",
                (time.time(), update_id),
            )

    def drop_pending(self) -> int:
        """Mark every update not yet handled as done without handling it; give how many."""
        with self._write() as conn:
            cursor = conn.execute("UPDATE updates SET done = ? WHERE done IS NULL", (time.time(),))
        return cursor.rowcount

    def pending(self) -> list[Update]:
        """Give every update kept and not yet handled, oldest first."""
        with self._write() as conn:
            rows = conn.execute(
                "SELECT body FROM updates WHERE done IS NULL ORDER BY update_id"
            ).fetchall()
        return [json.loads(body) for (body,) in rows]

    def prune(self, older_than_seconds: float) -> int:
        """Delete handled updates older than this; give how many went."""
        cutoff = time.time() - older_than_seconds
        with self._write() as conn:
            cursor = conn.execute(
                "DELETE FROM updates WHERE done IS NOT NULL AND done < ?", (cutoff,)
            )
        return cursor.rowcount

    def close(self) -> None:
        """Close the file."""
        with self._lock, contextlib.suppress(sqlite3.Error):
            self._conn.close()

    @contextlib.contextmanager
    def _write(self) -> Iterator[sqlite3.Connection]:
        with self._lock:
            try:
                self._conn.execute("BEGIN IMMEDIATE")
                try:
                    yield self._conn
                except BaseException:
                    self._conn.execute("ROLLBACK")
                    raise
                self._conn.execute("COMMIT")
            except (sqlite3.Error, ValueError, TypeError, KeyError) as exc:
                raise InboxError(f"the inbox {self.path} failed: {exc}") from exc


def _create_private(path: Path) -> None:
    """Create the file readable by its owner only (updates hold people's messages).

    The -wal and -shm files SQLite adds take the same permissions as the database.
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    with contextlib.suppress(FileExistsError):
        os.close(os.open(path, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o600))
