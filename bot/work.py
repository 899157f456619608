"""The engine's CPU work runs here: a few dedicated threads, off the event loop.

Bounded, so a flood of long messages queues here instead of taking every thread of the
process (store writes and reloads keep the default pool to themselves).
"""

from __future__ import annotations

import asyncio
import functools
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import ParamSpec, TypeVar

P = ParamSpec("P")
T = TypeVar("T")

#: Two cores here; a third thread keeps one busy while another waits on the GIL.
ENGINE_THREADS = 3

_pool = ThreadPoolExecutor(ENGINE_THREADS, thread_name_prefix="engine")


async def on_engine_thread(func: Callable[P, T], *args: P.args, **kwargs: P.kwargs) -> T:
    """Give func's result, computed on one of the engine's threads."""
    loop = asyncio.get_running_loop()
    return await loop.run_in_executor(_pool, functools.partial(func, *args, **kwargs))
