"""What the handlers share: the engine in use (swappable), the store and the feedback sink.

Store writes go through a bounded queue and one writer thread (``faq.usage.writer``): a busy,
locked or broken database never delays an answer or a vote; an outage is logged once.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import logging
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, cast

from telegram.ext import CallbackContext, ExtBot

from bot.settings import Settings
from faq.corpus import CorpusError
from faq.engine import Engine
from faq.model import Answer
from faq.rules import DataError
from faq.usage.store import FeedbackSink, Store, StoreError
from faq.usage.writer import StoreWriter

__all__ = ["EngineHolder", "FeedbackSink", "MagbotContext", "Services", "services"]

logger = logging.getLogger(__name__)

PRUNE_EVERY_SECONDS = 24 * 60 * 60
FORGET_WAIT_SECONDS = 10.0
KEY = "magbot"  # where the Services live in Application.bot_data


class EngineHolder:
    """The engine that answers; `reload` swaps in a new one whole, or keeps the old one."""

    def __init__(self, engine: Engine, loader: Callable[[], Engine]) -> None:
        self.engine = engine
        self.loader = loader
        self._lock = threading.Lock()

    def reload(self, loader: Callable[[], Engine] | None = None) -> str | None:
        """Load the corpus again and swap it in; give why it was refused (old one kept) or None."""
        with self._lock:
            try:
                engine = (loader or self.loader)()
            except (CorpusError, DataError) as exc:
                return str(exc)
            except Exception as exc:  # any failure to build must leave the old engine serving
                logger.exception("reloading the corpus failed")
                return f"{type(exc).__name__}: {exc}"
            self.engine = engine  # one assignment: handlers see the old engine or the new one
            logger.info("corpus reloaded: %d entries", len(engine.entries))
            return None


@dataclass
class Services:
    """The engine holder, settings, store and feedback sink, kept in the application's bot_data.

    The store is written through a ``StoreWriter`` (a bounded queue and one writer thread), so
    neither an answer nor a vote ever waits for the database.
    """

    engines: EngineHolder
    settings: Settings
    store: Store | None = None
    feedback: FeedbackSink | None = None
    _pruned_at: float | None = field(default=None, init=False)
    token_rejected: bool = field(default=False, init=False)  # set by the heartbeat: exit 1
    heartbeat: asyncio.Task[None] | None = field(default=None, init=False)
    stop: Callable[[], None] | None = field(default=None, init=False)  # ends our own polling
    writer: StoreWriter | None = field(default=None, init=False)

    def __post_init__(self) -> None:
        if self.store is not None:
            self.writer = StoreWriter(self.store)

    @property
    def dropped_writes(self) -> int:
        """How many outcomes and votes were not stored because the write queue was full."""
        return self.writer.dropped if self.writer is not None else 0

    async def record_query(self, answer: Answer, user_id: int | None) -> int | None:
        """Queue the outcome of one message; give its row id at once (None when not stored)."""
        writer = self.writer
        if writer is None:
            return None
        await self.prune_if_due()
        return writer.record_query(
            user_id=user_id,
            status=answer.status,
            entry_id=answer.entry.id if answer.entry else None,
            score=answer.score,
            question=answer.query,
        )

    async def record_feedback(
        self, user_id: int | None, entry_id: str, helpful: bool, query_id: int | None
    ) -> None:
        """Queue one vote (the store keeps it only for an answer this user received)."""
        if self.writer is not None and self.feedback is self.store:
            self.writer.record_feedback(
                user_id=user_id, entry_id=entry_id, helpful=helpful, query_id=query_id
            )
            return
        sink = self.feedback
        if sink is None:
            logger.debug("a vote was not kept: no store")
            return
        try:
            await asyncio.to_thread(
                sink.record_feedback,
                user_id=user_id,
                entry_id=entry_id,
                helpful=helpful,
                query_id=query_id,
            )
        except StoreError as exc:
            logger.warning("could not record a vote: %s", exc)

    async def forget(self, user_id: int) -> int | None:
        """Delete everything stored for this user, after the writes queued before; give how many
        rows went, or None when the store did not answer in time."""
        writer = self.writer
        if writer is None:
            return 0
        done = writer.forget(user_id)
        if done is None:
            return None
        try:
            return await asyncio.wait_for(asyncio.wrap_future(done), FORGET_WAIT_SECONDS)
        except TimeoutError:  # it still runs once the store is back
            logger.warning("/forget is waiting for the store; told the person to try later")
            return None
        except StoreError as exc:
            logger.error("could not forget a user: %s", exc)
            return None

    async def prune_if_due(self) -> None:
        """Queue deleting rows older than the retention period, at most once a day."""
        writer, now = self.writer, time.monotonic()
        due = self._pruned_at is None or now - self._pruned_at >= PRUNE_EVERY_SECONDS
        if writer is None or not due:
            return
        self._pruned_at = now
        days = self.settings.retention_days
        done = writer.prune(older_than_days=days)
        if done is not None:
            done.add_done_callback(lambda future: _log_pruned(future, days))

    def flush_store(self, timeout: float = 10.0) -> bool:
        """Wait until the queued writes are written; give False if the time ran out first."""
        return self.writer.flush(timeout) if self.writer is not None else True

    def close_store(self) -> None:
        """Write what is queued (waiting a bounded time) and stop the writer thread."""
        if self.writer is not None:
            self.writer.close()


def _log_pruned(done: concurrent.futures.Future[int], days: int) -> None:
    if done.exception() is None:
        logger.info("retention: removed %d rows older than %d days", done.result(), days)


def services(bot_data: Mapping[Any, Any]) -> Services:
    """Give the Services kept in an application's bot_data."""
    return cast(Services, bot_data[KEY])


class MagbotContext(CallbackContext[ExtBot[None], dict[Any, Any], dict[Any, Any], dict[Any, Any]]):
    """The handlers' context: `context.engine` and `context.services` instead of bot_data keys."""

    @property
    def services(self) -> Services:
        """The shared services of this application."""
        return services(self.bot_data)

    @property
    def engine(self) -> Engine:
        """The engine answering right now (a reload swaps it whole)."""
        return self.services.engines.engine
