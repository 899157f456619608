"""The values the usage store gives and the errors it raises."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from faq.model import Status


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
