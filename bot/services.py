"""What the handlers share: the engine in use (swappable), the store and the feedback sink.

Store calls run in a worker thread: SQLite is quick, but a busy database must not stall the
event loop that serves every other chat. A failing store is logged and never costs an answer.
"""

from __future__ import annotations

import asyncio
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

__all__ = ["EngineHolder", "FeedbackSink", "MagbotContext", "Services", "services"]

logger = logging.getLogger(__name__)

PRUNE_EVERY_SECONDS = 24 * 60 * 60
RECORD_WAIT_SECONDS = 0.5
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
    """The engine holder, settings, store and feedback sink, kept in the application's bot_data."""

    engines: EngineHolder
    settings: Settings
    store: Store | None = None
    feedback: FeedbackSink | None = None
    _pruned_at: float | None = field(default=None, init=False)
    token_rejected: bool = field(default=False, init=False)  # set by the heartbeat: exit 1
    heartbeat: asyncio.Task[None] | None = field(default=None, init=False)
    stop: Callable[[], None] | None = field(default=None, init=False)  # ends our own polling

    async def record_query(self, answer: Answer, user_id: int | None) -> int | None:
        """Store the outcome of one message; give its row id, or None when not stored."""
        store = self.store
        if store is None:
            return None
        await self.prune_if_due()
        write = asyncio.to_thread(
            store.record_query,
            user_id=user_id,
            status=answer.status,
            entry_id=answer.entry.id if answer.entry else None,
            score=answer.score,
            question=answer.query,
        )
        try:
            # a busy database must not delay the answer: past the wait, answer without the id
            return await asyncio.wait_for(asyncio.shield(write), RECORD_WAIT_SECONDS)
        except TimeoutError:
            logger.warning("the store is slow: answered before the outcome was recorded")
            return None
        except StoreError:
            logger.warning("could not record a query outcome", exc_info=True)
            return None

    async def record_feedback(
        self, user_id: int | None, entry_id: str, helpful: bool, query_id: int | None
    ) -> None:
        """Hand one vote to the feedback sink."""
        sink = self.feedback
        if sink is None:
            logger.info("feedback on %s (helpful=%s) not kept: no sink", entry_id, helpful)
            return
        try:
            await asyncio.to_thread(
                sink.record_feedback,
                user_id=user_id,
                entry_id=entry_id,
                helpful=helpful,
                query_id=query_id,
            )
        except StoreError:
            logger.warning("could not record feedback", exc_info=True)

    async def forget(self, user_id: int) -> int | None:
        """Delete everything stored for this user; give how many rows went, None on failure."""
        store = self.store
        if store is None:
            return 0
        try:
            return await asyncio.to_thread(store.forget, user_id)
        except StoreError:
            logger.error("could not forget a user", exc_info=True)
            return None

    async def prune_if_due(self) -> None:
        """Delete rows older than the retention period, at most once a day."""
        store, now = self.store, time.monotonic()
        due = self._pruned_at is None or now - self._pruned_at >= PRUNE_EVERY_SECONDS
        if store is None or not due:
            return
        self._pruned_at = now
        days = self.settings.retention_days
        try:
            removed = await asyncio.to_thread(store.prune, older_than_days=days)
        except StoreError:
            logger.warning("could not prune the store", exc_info=True)
            return
        logger.info("retention: removed %d rows older than %d days", removed, days)


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
