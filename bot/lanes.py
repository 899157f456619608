"""Per-chat queues: one chat's updates in order, one at a time; different chats in parallel.

A fixed number of workers take turns over the chats that have work, round robin, one update
per turn. A chat with a backlog of a hundred holds at most one worker, and a chat that may not
be sent to yet (a group over Telegram's limit, a chat paused by a 429) is put back to wait on a
timer instead of holding a worker, so every other chat keeps its answers flowing.
"""

from __future__ import annotations

import asyncio
import collections
import contextlib
import logging
from collections.abc import Awaitable, Callable, Hashable
from typing import Generic, TypeVar

logger = logging.getLogger(__name__)

Job = TypeVar("Job")
Key = Hashable


class Lanes(Generic[Job]):
    """Jobs queued per key (a chat), handled by `workers` tasks; start, put, then stop."""

    def __init__(
        self,
        handle: Callable[[Job], Awaitable[None]],
        workers: int,
        wait_before: Callable[[Key], float] = lambda key: 0.0,
    ) -> None:
        self._handle = handle
        self._workers = workers
        self._wait_before = wait_before
        self._queues: dict[Key, collections.deque[Job]] = {}
        self._ready: asyncio.Queue[Key] = asyncio.Queue()
        self._tasks: list[asyncio.Task[None]] = []
        self._busy: set[asyncio.Task[None]] = set()
        self._closing = False

    def start(self) -> None:
        """Start the workers on the running loop."""
        self._tasks = [asyncio.create_task(self._work()) for _ in range(self._workers)]

    def put(self, key: Key, job: Job) -> None:
        """Queue the job behind the chat's earlier ones."""
        queue = self._queues.get(key)
        if queue is None:
            self._queues[key] = collections.deque([job])
            self._ready.put_nowait(key)  # a chat is in the ready queue (or on a timer) once
        else:
            queue.append(job)

    def backlog(self) -> int:
        """Give how many jobs wait or run."""
        return sum(len(queue) for queue in self._queues.values())

    async def stop(self, grace: float) -> None:
        """Let the jobs being handled finish (at most `grace` seconds), then stop; the rest stay."""
        self._closing = True
        for task in self._tasks:
            if task not in self._busy:
                task.cancel()
        busy = set(self._busy)
        if busy:
            _, late = await asyncio.wait(busy, timeout=grace)
            for task in late:
                task.cancel()
            if late:
                logger.warning("stopped %d updates still handled after %.1fs", len(late), grace)
        for task in self._tasks:
            with contextlib.suppress(asyncio.CancelledError):
                await task

    async def _work(self) -> None:
        while not self._closing:
            key = await self._ready.get()
            delay = self._wait_before(key)
            if delay > 0:
                asyncio.get_running_loop().call_later(delay, self._ready.put_nowait, key)
                continue
            queue = self._queues[key]
            job = queue[0]
            task = asyncio.current_task()
            assert task is not None
            self._busy.add(task)
            try:
                await self._handle(job)
            except Exception:  # the handler logs its own failures; this one escaped it
                logger.exception("an update could not be handled")
            finally:
                self._busy.discard(task)
            queue.popleft()
            if queue:
                self._ready.put_nowait(key)
            else:
                del self._queues[key]
