"""Outgoing Bot API calls: throttled to Telegram's limits, retried when they did not take.

Every request but getUpdates passes through the application's rate limiter, so this is the one
place to retry. 429s are retried by PTB's AIORateLimiter (it waits retry_after, holding all
other requests). Requests that got no result and almost surely had no effect (a 5xx, a refused
or dropped connection, no free connection in the pool) are retried here with a short backoff.
A read timeout is not: Telegram may well have delivered the message, and a duplicate answer
is worse than a late error in the log.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Coroutine
from typing import Any

import httpx
from telegram.error import BadRequest, NetworkError, TimedOut
from telegram.ext import AIORateLimiter, BaseRateLimiter

logger = logging.getLogger(__name__)

JSONDict = dict[str, Any]
Result = bool | JSONDict | list[JSONDict]
Request = Callable[..., Coroutine[Any, Any, Result]]

RATE_LIMIT_RETRIES = 3
NETWORK_RETRIES = 3
BACKOFF_SECONDS = 0.25
_NEVER_SENT = (httpx.PoolTimeout, httpx.ConnectTimeout)


class RetryingLimiter(BaseRateLimiter[int]):
    """Retry requests that failed in transit, around an optional throttle (AIORateLimiter)."""

    def __init__(
        self,
        throttle: BaseRateLimiter[int] | None,
        retries: int = NETWORK_RETRIES,
        backoff: float = BACKOFF_SECONDS,
    ) -> None:
        self.throttle = throttle
        self.retries = retries
        self.backoff = backoff

    async def initialize(self) -> None:
        """Set up the throttle, if there is one."""
        if self.throttle is not None:
            await self.throttle.initialize()

    async def shutdown(self) -> None:
        """Release the throttle, if there is one."""
        if self.throttle is not None:
            await self.throttle.shutdown()

    async def process_request(
        self,
        callback: Request,
        args: Any,
        kwargs: dict[str, Any],
        endpoint: str,
        data: dict[str, Any],
        rate_limit_args: int | None,
    ) -> Result:
        """Make the request through the throttle; retry it while it failed without effect."""
        attempt = 0
        while True:
            try:
                if self.throttle is None:
                    return await callback(*args, **kwargs)
                return await self.throttle.process_request(
                    callback, args, kwargs, endpoint, data, rate_limit_args
                )
            except NetworkError as exc:
                if attempt >= self.retries or not _never_arrived(exc):
                    raise
                attempt += 1
                delay = self.backoff * 2 ** (attempt - 1)
                logger.warning(
                    "%s failed (%s); retry %d of %d in %.2fs",
                    endpoint, exc, attempt, self.retries, delay,
                )  # fmt: skip
                await asyncio.sleep(delay)


def rate_limiter(throttle: bool = True) -> RetryingLimiter:
    """Give the limiter the bot uses: Telegram's flood limits (unless off) plus retries."""
    inner = AIORateLimiter(max_retries=RATE_LIMIT_RETRIES) if throttle else None
    return RetryingLimiter(inner)


def _never_arrived(exc: NetworkError) -> bool:
    if isinstance(exc, BadRequest):
        return False
    if isinstance(exc, TimedOut):
        return isinstance(exc.__cause__, _NEVER_SENT)
    return True
