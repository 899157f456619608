"""Cache files: written whole or not at all, marked when used, and pruned once long unused."""

from __future__ import annotations

import contextlib
import os
import tempfile
import time
from pathlib import Path

UNUSED_DAYS = 30  # a cache file nobody has read or written for this long is removed


def keep(path: Path, data: bytes) -> bool:
    """Write data to path atomically (temporary file, fsync, rename), then prune its long-unused
    siblings; give False when the file cannot be written."""
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, temp = tempfile.mkstemp(dir=path.parent, prefix=".tmp-", suffix=path.suffix)
    except OSError:
        return False
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(temp, path)
    except OSError:
        Path(temp).unlink(missing_ok=True)
        return False
    except BaseException:
        Path(temp).unlink(missing_ok=True)
        raise
    prune(path)
    return True


def used(path: Path) -> None:
    """Mark a cache file as read now, so that prune() keeps it."""
    with contextlib.suppress(OSError):
        os.utime(path)


def prune(path: Path, unused_days: float = UNUSED_DAYS) -> list[Path]:
    """Remove the files beside path of the same kind (same name up to its first '-', same
    suffix) that were not used for unused_days; give the paths removed."""
    kind = path.name.split("-", 1)[0] + "-"
    cutoff = time.time() - unused_days * 86_400
    removed = []
    with contextlib.suppress(OSError):
        for sibling in path.parent.glob(f"{kind}*{path.suffix}"):
            with contextlib.suppress(OSError):
                if sibling != path and sibling.stat().st_mtime < cutoff:
                    sibling.unlink()
                    removed.append(sibling)
    return removed
