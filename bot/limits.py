"""Outgoing Bot API calls: within Telegram's flood limits per chat, retried if they did not take.

Every request but getUpdates passes through the application's rate limiter, so this is the one
place to throttle and retry. Limits are per chat: a group gets at most 20 messages a minute, and
a 429 pauses only the chat it was for, unless it looks like a flood of the whole bot (a 429 not
tied to a chat, or 429s for several chats at once), which pauses every send. The per-chat
queues ask `wait_before` first, so a chat that must wait does not hold a worker meanwhile.

Retries: only requests that surely never reached Telegram are sent again (no connection made,
no free connection in the pool, or the Bot API itself answering 500 or 503). A connection that
broke after the request went out (read error, dropped answer, a gateway's 502 or 504) is not:
Telegram may well have delivered the message, and a duplicate answer is worse than a late error.
"""

from __future__ import annotations

import asyncio
import collections
import datetime as dtm
import json
import logging
import time
from collections.abc import Callable, Coroutine
from typing import Any

import httpx
from telegram.error import BadRequest, NetworkError, RetryAfter, TimedOut
from telegram.ext import BaseRateLimiter
from telegram.request import HTTPXRequest, RequestData

logger = logging.getLogger(__name__)

JSONDict = dict[str, Any]
Result = bool | JSONDict | list[JSONDict]
Request = Callable[..., Coroutine[Any, Any, Result]]

#: Telegram's documented limits: about 30 messages a second in all, 20 a minute in one group.
GLOBAL_PER_SECOND = 30
GROUP_PER_MINUTE = 20
#: 429s for this many chats within FLOOD_WINDOW seconds mean the whole bot is over its limit.
FLOOD_CHATS = 3
FLOOD_WINDOW = 10.0
RATE_LIMIT_RETRIES = 3
NETWORK_RETRIES = 3
BACKOFF_SECONDS = 0.25
_NEVER_SENT = (httpx.PoolTimeout, httpx.ConnectTimeout, httpx.ConnectError)
#: The Bot API server's own failures: it did not carry the request out.
_RETRIED_STATUSES = frozenset({500, 503})
#: Requests that change nothing when made twice: any failure in transit is retried.
_IDEMPOTENT = frozenset({"getMe", "setMyCommands", "deleteWebhook", "setWebhook"})


class ServerFailed(NetworkError):
    """The Bot API (or a gateway before it) answered with an HTTP 5xx status."""

    def __init__(self, message: str, status: int) -> None:
        super().__init__(message)
        self.status = status


class StatusRequest(HTTPXRequest):
    """PTB's HTTP transport, with a 5xx answer raised as ServerFailed that keeps its status."""

    async def do_request(
        self,
        url: str,
        method: str,
        request_data: RequestData | None = None,
        read_timeout: Any = None,
        write_timeout: Any = None,
        connect_timeout: Any = None,
        pool_timeout: Any = None,
    ) -> tuple[int, bytes]:
        """Give the status and payload; raise ServerFailed for a 5xx."""
        code, payload = await super().do_request(
            url, method, request_data, read_timeout, write_timeout, connect_timeout, pool_timeout
        )
        if code >= 500:
            raise ServerFailed(f"{_description(payload)} ({code})", code)
        return code, payload


class Throttle:
    """Who may be sent to now: the global rate, each group's rate, and 429 pauses."""

    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self._clock = clock
        self._recent: collections.deque[float] = collections.deque()  # sends in the last second
        self._groups: dict[str, collections.deque[float]] = {}  # sends per group, last minute
        self._paused: dict[str, float] = {}  # chat → monotonic time its 429 pause ends
        self._all_paused = 0.0
        self._limited: collections.deque[tuple[float, str]] = collections.deque()

    def wait_before(self, chat: str | None) -> float:
        """Give how many seconds to wait before sending to this chat (0: now)."""
        now = self._clock()
        _expire(self._recent, now - 1.0)
        waits = [self._all_paused - now]
        if chat is not None:
            if len(self._recent) >= GLOBAL_PER_SECOND:
                waits.append(self._recent[0] + 1.0 - now)
            waits.append(self._paused.get(chat, 0.0) - now)
            sent = self._groups.get(chat)
            if sent is not None:
                _expire(sent, now - 60.0)
                if len(sent) >= GROUP_PER_MINUTE:
                    waits.append(sent[0] + 60.0 - now)
                elif not sent:
                    del self._groups[chat]
        return max(0.0, *waits)

    def sent(self, chat: str | None) -> None:
        """Count one message to this chat against the limits (answers to queries are free)."""
        if chat is None:
            return
        now = self._clock()
        self._recent.append(now)
        if chat.startswith("-"):  # groups, supergroups, channels
            self._groups.setdefault(chat, collections.deque()).append(now)

    def limited(self, chat: str | None, seconds: float) -> bool:
        """Pause the chat after a 429 (or everyone, for a flood); give True for a flood."""
        now = self._clock()
        until = now + seconds
        if chat is not None:
            self._paused[chat] = max(self._paused.get(chat, 0.0), until)
            self._limited.append((now, chat))
        _expire_pairs(self._limited, now - FLOOD_WINDOW)
        flood = chat is None or len({c for _, c in self._limited}) >= FLOOD_CHATS
        if flood:
            self._all_paused = max(self._all_paused, until)
        return flood


class RetryingLimiter(BaseRateLimiter[int]):
    """Throttle requests per chat (unless off) and retry those that failed without effect."""

    def __init__(
        self,
        throttle: Throttle | None,
        retries: int = NETWORK_RETRIES,
        backoff: float = BACKOFF_SECONDS,
    ) -> None:
        self.throttle = throttle
        self.retries = retries
        self.backoff = backoff

    async def initialize(self) -> None:
        """Nothing to set up."""

    async def shutdown(self) -> None:
        """Nothing to release."""

    async def process_request(
        self,
        callback: Request,
        args: Any,
        kwargs: dict[str, Any],
        endpoint: str,
        data: dict[str, Any],
        rate_limit_args: int | None,
    ) -> Result:
        """Make the request when the chat may be sent to; retry while it failed without effect."""
        chat = None if data.get("chat_id") is None else str(data["chat_id"])
        failures = limited = 0
        while True:
            await self._wait(chat)
            try:
                return await callback(*args, **kwargs)
            except RetryAfter as exc:
                if self.throttle is None or limited >= RATE_LIMIT_RETRIES:
                    raise
                limited += 1
                self._pause(chat, endpoint, retry_seconds(exc.retry_after))
            except NetworkError as exc:
                if failures >= self.retries or not _never_arrived(exc, endpoint):
                    raise
                failures += 1
                delay = self.backoff * 2 ** (failures - 1)
                logger.warning(
                    "%s failed (%s); retry %d of %d in %.2fs",
                    endpoint, exc, failures, self.retries, delay,
                )  # fmt: skip
                await asyncio.sleep(delay)

    async def _wait(self, chat: str | None) -> None:
        if self.throttle is None:
            return
        while (delay := self.throttle.wait_before(chat)) > 0:
            await asyncio.sleep(delay)
        self.throttle.sent(chat)

    def _pause(self, chat: str | None, endpoint: str, seconds: float) -> None:
        assert self.throttle is not None
        flood = self.throttle.limited(chat, seconds)
        kind = "every chat" if flood else ("a group" if (chat or "").startswith("-") else "a chat")
        logger.warning("%s: rate limited by Telegram; %s waits %.0fs", endpoint, kind, seconds)


def rate_limiter(throttle: bool = True) -> RetryingLimiter:
    """Give the limiter the bot uses: Telegram's flood limits per chat (unless off), retries."""
    return RetryingLimiter(Throttle() if throttle else None)


def _never_arrived(exc: NetworkError, endpoint: str) -> bool:
    if isinstance(exc, BadRequest):
        return False
    if endpoint in _IDEMPOTENT:
        return True
    if isinstance(exc, ServerFailed):
        return exc.status in _RETRIED_STATUSES
    if isinstance(exc, TimedOut) and "Pool timeout" in exc.message:
        return True
    return isinstance(exc.__cause__, _NEVER_SENT)


def retry_seconds(retry_after: int | dtm.timedelta) -> float:
    """Give a RetryAfter's wait in seconds, whichever type PTB gave it in."""
    if isinstance(retry_after, dtm.timedelta):
        return retry_after.total_seconds()
    return float(retry_after)


def _description(payload: bytes) -> str:
    try:
        answer = json.loads(payload.decode("utf-8", "replace"))
    except ValueError:
        return "Server Error"
    text = answer.get("description") if isinstance(answer, dict) else None
    return str(text) if text else "Server Error"


def _expire(times: collections.deque[float], before: float) -> None:
    while times and times[0] <= before:
        times.popleft()


def _expire_pairs(pairs: collections.deque[tuple[float, str]], before: float) -> None:
    while pairs and pairs[0][0] <= before:
        pairs.popleft()
