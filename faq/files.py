"""Cache files: written whole or not at all, marked when used, and pruned once long unused."""

from __future__ import annotations

import contextlib
import os
import tempfile
import time
from pathlib import Path

UNUSED_DAYS = 30  # a cache file nobody has read or written for this long is removed
_TEMPORARY = ".tmp-"  # a writer's file until it is renamed into place
_STALE_TEMPORARY_DAYS = 1  # left by a writer that was killed mid-write


def keep(path: Path, data: bytes) -> bool:
    """Write data to path atomically (temporary file, fsync, rename), then prune its long-unused
    siblings; give False when the file cannot be written."""
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, temp = tempfile.mkstemp(dir=path.parent, prefix=_TEMPORARY, suffix=path.suffix)
    except OSError:
        return False
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(temp, path)
    except OSError:
        _remove(Path(temp))
        return False
    except BaseException:
        _remove(Path(temp))
        raise
    prune(path)
    return True


def used(path: Path) -> None:
    """Mark a cache file as read now, so that prune() keeps it."""
    with contextlib.suppress(OSError):
        os.utime(path)


def prune(path: Path, unused_days: float = UNUSED_DAYS) -> list[Path]:
    """Remove the files beside path of its kind (the same name up to the first '-' and the
    same suffix) unused for unused_days, and temporary files older than a day; give them."""
    kind = path.name.split("-", 1)[0] + "-"
    now = time.time()
    removed = []
    with contextlib.suppress(OSError):
        for sibling in path.parent.iterdir():
            if sibling == path:
                continue
            if sibling.name.startswith(kind) and sibling.suffix == path.suffix:
                days = unused_days
            elif sibling.name.startswith(_TEMPORARY):
                days = _STALE_TEMPORARY_DAYS
            else:
                continue
            with contextlib.suppress(OSError):
                if sibling.is_file() and sibling.stat().st_mtime < now - days * 86_400:
                    sibling.unlink()
                    removed.append(sibling)
    return removed


def _remove(path: Path) -> None:
    with contextlib.suppress(OSError):
        path.unlink()
