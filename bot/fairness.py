"""Per-person fairness: a rate limit on messages, so one person cannot crowd out the others.

Over the limit, a person gets one polite "slow down" and then silence until the window has
passed; triage alone (no ranking) still reads their messages, so an emergency is answered.
"""

from __future__ import annotations

import collections
import enum
import time
from collections.abc import Callable

#: Eight questions in thirty seconds: faster than anyone types questions, slower than a script
#: or a stuck key. Messages over the limit do not count, so the window passes.
USER_MESSAGES = 8
USER_WINDOW_SECONDS = 30.0
#: People remembered at once before the quiet ones are forgotten (memory stays bounded).
MAX_TRACKED = 10_000


class Verdict(enum.Enum):
    """What to do with one message from a person."""

    ALLOWED = "allowed"
    WARN = "warn"  # the first message over the limit: say "slow down" once
    SILENT = "silent"  # further messages over the limit in the same window


class UserLimiter:
    """A sliding window of the messages each person sent that the bot answered in full."""

    def __init__(
        self,
        limit: int = USER_MESSAGES,
        window: float = USER_WINDOW_SECONDS,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.limit = limit
        self.window = window
        self._clock = clock
        self._sent: dict[int, collections.deque[float]] = {}
        self._warned: dict[int, float] = {}

    def check(self, user_id: int) -> Verdict:
        """Give what to do with a message from this person now, and count it if allowed.

        After the "slow down", the person stays silenced for a whole window from it: the
        messages allowed before it leaving the window one by one do not let more through.
        """
        now = self._clock()
        warned = self._warned.get(user_id)
        if warned is not None:
            if now - warned < self.window:
                return Verdict.SILENT
            del self._warned[user_id]
        sent = self._sent.setdefault(user_id, collections.deque())
        while sent and sent[0] <= now - self.window:
            sent.popleft()
        if len(sent) < self.limit:
            sent.append(now)
            self._forget_quiet(now)
            return Verdict.ALLOWED
        self._warned[user_id] = now
        return Verdict.WARN

    def _forget_quiet(self, now: float) -> None:
        if len(self._sent) <= MAX_TRACKED:
            return
        for user_id in [u for u, sent in self._sent.items() if sent[-1] <= now - self.window]:
            del self._sent[user_id]
            self._warned.pop(user_id, None)
