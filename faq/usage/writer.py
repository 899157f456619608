"""Writes to the store off the answer path: a bounded queue drained by one writer thread.

An answer never waits for the database. ``record_query`` and ``record_feedback`` only put a
write on the queue and return at once; the query's row id is made here (``new_query_id``), so
the 👍/👎 buttons can carry it before the row exists. One thread writes in order, so a vote is
always written after the query it rates, and a /forget after everything queued before it.

When a write fails (a database locked by another process, a full disk, a corrupt file) the
writer keeps retrying the same write, with backoff, until it succeeds: nothing is lost while
the queue has room. The outage is logged once when it starts and once when it ends, never per
message. When the queue is full, new writes are dropped and counted (``dropped``).
"""

from __future__ import annotations

import concurrent.futures
import contextlib
import logging
import queue
import secrets
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from faq.model import Status
from faq.usage.store import Store, StoreError, StoreUnavailable

logger = logging.getLogger(__name__)

QUEUE_LIMIT = 10_000
RETRY_FIRST_SECONDS = 0.05
RETRY_MAX_SECONDS = 2.0
CLOSE_WAIT_SECONDS = 10.0
#: Query ids made here sit above every id SQLite's own counter gives a smaller database, and
#: fit the 18 digits a button's callback data allows.
_FIRST_ID = 2**32
_ID_SPAN = 10**18 - _FIRST_ID


def new_query_id() -> int:
    """Give a random id for a query row (about 60 bits), not guessable from another's."""
    return _FIRST_ID + secrets.randbelow(_ID_SPAN)


@dataclass(frozen=True)
class _Write:
    """One queued call on the store; ``done`` carries its result when someone waits for it."""

    what: str  # for the logs: never the arguments, which hold personal data
    call: Callable[[], Any]
    done: concurrent.futures.Future[Any] | None = None


class StoreWriter:
    """The store behind a bounded queue and one writer thread; every call returns at once."""

    def __init__(self, store: Store, *, limit: int = QUEUE_LIMIT) -> None:
        self.store = store
        self._queue: queue.Queue[_Write | None] = queue.Queue(maxsize=limit)
        self._lock = threading.Lock()
        self._dropped = 0
        self._dropping = False  # a drop was logged and the queue has not drained since
        self._skipped = 0
        self._skipping = False  # a refused write was logged and none succeeded since
        self._failing_since: float | None = None
        self._closed = False
        self._give_up_at: float | None = None  # set by close()
        self._thread = threading.Thread(target=self._drain, name="magbot-store", daemon=True)
        self._thread.start()

    @property
    def dropped(self) -> int:
        """How many writes were dropped because the queue was full (since start)."""
        with self._lock:
            return self._dropped

    @property
    def skipped(self) -> int:
        """How many writes the store refused for good (a broken row, a closed store)."""
        with self._lock:
            return self._skipped

    @property
    def pending(self) -> int:
        """How many writes wait in the queue."""
        return self._queue.qsize()

    @property
    def healthy(self) -> bool:
        """Whether the last write succeeded (False during an outage)."""
        with self._lock:
            return self._failing_since is None

    def record_query(
        self,
        *,
        user_id: int | None,
        status: Status,
        entry_id: str | None,
        score: float,
        question: str | None,
    ) -> int | None:
        """Queue one query outcome; give the id its row will have (None: red flag, or dropped)."""
        at = datetime.now(UTC)
        query_id = None if status is Status.RED_FLAG else new_query_id()

        def write() -> None:
            self.store.record_query(
                user_id=user_id,
                status=status,
                entry_id=entry_id,
                score=score,
                question=question,
                at=at,
                query_id=query_id,
            )

        return query_id if self._put(_Write("a query outcome", write)) else None

    def record_feedback(
        self, *, user_id: int | None, entry_id: str, helpful: bool, query_id: int | None
    ) -> bool:
        """Queue one vote; give whether it was queued (the store keeps only valid votes)."""
        at = datetime.now(UTC)

        def write() -> None:
            self.store.record_feedback(
                user_id=user_id, entry_id=entry_id, helpful=helpful, query_id=query_id, at=at
            )

        return self._put(_Write("a vote", write))

    def prune(self, *, older_than_days: int) -> concurrent.futures.Future[int] | None:
        """Queue deleting rows past the retention; give a future of the count (None: dropped)."""
        done: concurrent.futures.Future[int] = concurrent.futures.Future()
        call = _Write("pruning", lambda: self.store.prune(older_than_days=older_than_days), done)
        return done if self._put(call) else None

    def forget(self, user_id: int) -> concurrent.futures.Future[int] | None:
        """Queue deleting every row of this user, after every write queued before; give a future
        of how many rows went (None: the queue is full)."""
        done: concurrent.futures.Future[int] = concurrent.futures.Future()
        return (
            done
            if self._put(_Write("a /forget", lambda: self.store.forget(user_id), done))
            else None
        )

    def flush(self, timeout: float = CLOSE_WAIT_SECONDS) -> bool:
        """Wait until every queued write is done; give False if the time ran out first."""
        deadline = time.monotonic() + timeout
        while self._queue.unfinished_tasks:
            if time.monotonic() >= deadline or not self._thread.is_alive():
                return False
            time.sleep(0.01)
        return True

    def close(self, timeout: float = CLOSE_WAIT_SECONDS) -> None:
        """Write what is queued (waiting at most `timeout`), then stop the thread; idempotent.

        The store itself stays open: whoever opened it closes it.
        """
        with self._lock:
            if self._closed:
                return
            self._closed = True
            self._give_up_at = time.monotonic() + timeout
        drained = self.flush(timeout + 2 * RETRY_MAX_SECONDS)
        left = self._queue.qsize()
        with contextlib.suppress(queue.Full):
            self._queue.put(None, timeout=0.1)  # wakes the thread to stop
        self._thread.join(timeout=1.0 if drained else 0.1)
        if not drained:
            logger.error(
                "store: stopped with %d writes not done (the database is unavailable)", left
            )
        if self.dropped:
            logger.warning("store: %d writes were dropped since start", self.dropped)

    # ------------------------------------------------------------------ the writer thread

    def _put(self, write: _Write) -> bool:
        with self._lock:
            closed = self._closed
        if not closed:
            try:
                self._queue.put_nowait(write)
                return True
            except queue.Full:
                pass
        with self._lock:
            self._dropped += 1
            first = not self._dropping
            self._dropping = True
        if first:  # once per outage: the count is logged on recovery and at shutdown
            logger.error("store: write queue full or closed; dropping writes until it drains")
        if write.done is not None:
            write.done.set_exception(StoreError("the store's write queue is full"))
        return False

    def _drain(self) -> None:
        while True:
            write = self._queue.get()
            try:
                if write is None:
                    return
                self._run(write)
            finally:
                self._queue.task_done()

    def _run(self, write: _Write) -> None:
        """Run one write, retrying it while the store fails, until it succeeds."""
        delay = RETRY_FIRST_SECONDS
        while True:
            try:
                result = write.call()
            except (StoreUnavailable, OSError) as exc:
                self._failed(write.what, exc)
                if self._closing_without_recovery():
                    with self._lock:
                        self._dropped += 1  # given up at shutdown: counted like a full queue
                    if write.done is not None:
                        write.done.set_exception(StoreError(str(exc)))
                    return
                time.sleep(delay)
                delay = min(delay * 2, RETRY_MAX_SECONDS)
                continue
            except Exception as exc:  # a write the store refuses for good: skip it, keep going
                self._skip(write.what, exc)
                if write.done is not None:
                    write.done.set_exception(exc)
                return
            self._succeeded()
            if write.done is not None:
                write.done.set_result(result)
            return

    def _skip(self, what: str, exc: BaseException) -> None:
        with self._lock:
            self._skipped += 1
            first, self._skipping = not self._skipping, True
        if first:  # one line until a write succeeds again
            logger.error("store: %s was refused (%s) and skipped", what, _reason(exc))

    def _closing_without_recovery(self) -> bool:
        # once closing has waited its time, a store that still fails is given up on, so
        # shutdown cannot hang on a database that stays locked
        with self._lock:
            give_up_at = self._give_up_at
        return give_up_at is not None and time.monotonic() >= give_up_at

    def _failed(self, what: str, exc: BaseException) -> None:
        with self._lock:
            first = self._failing_since is None
            if first:
                self._failing_since = time.monotonic()
        if first:  # one line per outage, no traceback
            logger.error(
                "store unavailable (%s while writing %s); answers go on, writes wait and retry",
                _reason(exc),
                what,
            )

    def _succeeded(self) -> None:
        with self._lock:
            since, self._failing_since = self._failing_since, None
            self._skipping = False
            recovered_dropping = self._dropping and self._queue.qsize() == 0
            if recovered_dropping:
                self._dropping = False
            dropped = self._dropped
        if since is not None:
            logger.warning(
                "store available again after %.1f s; %d writes dropped since start",
                time.monotonic() - since,
                dropped,
            )
        elif recovered_dropping:
            logger.warning("store: the write queue drained; %d writes dropped since start", dropped)


def _reason(exc: BaseException) -> str:
    """The error in a few words: the database's message, without the path or arguments."""
    text = str(exc)
    return text.rsplit(": ", 1)[-1] if ": " in text else text or type(exc).__name__
