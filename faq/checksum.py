"""File checksums, remembered between runs while the file provably has not changed.

Hashing the 23 MB model costs about 25 ms of every start. A record under the cache directory
says "the file at this path, on this device and inode, of this size, last modified and last
changed (ctime) at these nanoseconds, had this sha256". Any write, copy-over, rename-over or
`touch` changes the inode or the ctime, and ctime cannot be set back from user space, so a
changed file finds no record and is hashed again.

One gap needs care: file timestamps come from a coarse clock (a few milliseconds), so a file
rewritten within the same tick as the hash keeps its ctime. Like git's "racily clean" index
entries, a file whose ctime is not at least SETTLED_NS old is hashed but never recorded;
a later change then always moves the ctime past the recorded one. What a record cannot catch is
damage below the file system (a bad disk sector, a write to the raw device); deleting the
records (`verified/` under the cache directory) makes the next start hash the files again.

Records are used only where ctime means "last changed" and cannot be set back: Linux and other
POSIX systems (on Windows it is the creation time); elsewhere every start hashes. Whoever can
write the cache directory can plant a record, as they could plant cached corpus vectors: keep
it private to the user who runs magbot.
"""

from __future__ import annotations

import hashlib
import json
import os
import time
from pathlib import Path

from faq import files

RECORD_FORMAT = "magbot-sha256-record-v1"
SETTLED_NS = 2_000_000_000  # a file changed less than 2 s ago is hashed but not recorded
_HEX = frozenset("0123456789abcdef")


def file_sha256(path: Path) -> str:
    """Give the hex sha256 of a file's bytes."""
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        while chunk := handle.read(1 << 20):
            digest.update(chunk)
    return digest.hexdigest()


def remembered_sha256(path: Path, records: Path | None) -> str:
    """Give the file's sha256: from a record while the file is unchanged, else hashed anew.

    records None, or a system whose ctime is not the change time, hashes every time. Raises
    OSError as reading the file would.
    """
    before = path.stat()
    trusted = records is not None and os.name == "posix"
    record = _record_path(path, before, records) if trusted and records is not None else None
    if record is not None and (known := _read_record(record)) is not None:
        return known
    digest = file_sha256(path)
    settled = time.time_ns() - before.st_ctime_ns >= SETTLED_NS
    if record is not None and settled and _stamp(path.stat()) == _stamp(before):
        _write_record(record, digest)
    return digest


def _stamp(stat: os.stat_result) -> tuple[int, ...]:
    return (stat.st_dev, stat.st_ino, stat.st_size, stat.st_mtime_ns, stat.st_ctime_ns)


def _record_path(path: Path, stat: os.stat_result, records: Path) -> Path:
    """Give the record's file: its name is a hash of the path and everything in the stamp."""
    key = json.dumps([RECORD_FORMAT, str(path.resolve()), *_stamp(stat)])
    return records / f"sha256-{hashlib.sha256(key.encode()).hexdigest()}"


def _read_record(record: Path) -> str | None:
    try:
        text = record.read_text(encoding="ascii").strip()
    except (OSError, UnicodeDecodeError):
        return None
    if len(text) != 64 or not set(text) <= _HEX:
        return None
    files.used(record)
    return text


def _write_record(record: Path, digest: str) -> None:
    """Write atomically; give up silently when the cache is not writable."""
    files.keep(record, digest.encode("ascii"))
