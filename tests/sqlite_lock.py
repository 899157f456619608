"""Another process holding SQLite's write lock on a database, as a backup or a stuck tool would."""

from __future__ import annotations

import contextlib
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

_HOLDER = """
import sqlite3, sys, time
conn = sqlite3.connect(sys.argv[1], isolation_level=None)
conn.execute("BEGIN IMMEDIATE")
print("locked", flush=True)
time.sleep(float(sys.argv[2]))
conn.execute("COMMIT")
conn.close()
"""


@contextlib.contextmanager
def write_lock_held(path: Path, seconds: float) -> Iterator[subprocess.Popen[str]]:
    """Hold the database's write lock (BEGIN IMMEDIATE) in another process for `seconds`.

    The block starts once the lock is taken; leaving it waits for the holder to let go.
    """
    holder = subprocess.Popen(
        [sys.executable, "-c", _HOLDER, str(path), str(seconds)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert holder.stdout is not None
        line = holder.stdout.readline()
        if line.strip() != "locked":
            raise RuntimeError(
                f"the lock holder failed: {holder.stderr.read() if holder.stderr else ''}"
            )
        yield holder
        holder.wait(timeout=seconds + 30)
    finally:
        if holder.poll() is None:
            holder.kill()
            holder.wait()
        for stream in (holder.stdout, holder.stderr):
            if stream is not None:
                stream.close()
