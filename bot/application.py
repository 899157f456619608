"""PTB's Application without the bookkeeping it keeps for a persistence the bot does not use.

PTB notes the id of every chat and user it handles an update from, for the persistence to save
later; without a persistence nothing ever empties those sets. In a long-running bot they would
grow by one raw id per person ever seen: memory without bound, and personal data kept for no use.
"""

from __future__ import annotations

from typing import Any

from telegram.ext import Application, Job


class MagbotApplication(Application[Any, Any, Any, Any, Any, Any]):
    """An Application that keeps no per-chat or per-user ids when it has no persistence."""

    def _mark_for_persistence_update(
        self, *, update: object | None = None, job: Job[Any] | None = None
    ) -> None:
        if self.persistence is not None:
            super()._mark_for_persistence_update(update=update, job=job)
