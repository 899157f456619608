"""The salt user ids are hashed with: kept apart from the database it protects.

A salt inside the database would let anyone holding the file recover user ids by hashing
every plausible id (hours of work). So when MAGBOT_HASH_SALT is not given, the salt is kept in
its own file beside the database, ``<database>.salt``, readable by its owner only (0600):
copying the database alone no longer gives the ids away. Older databases kept the salt in
their ``meta`` table; it is moved to the file the first time they are opened, so /forget still
finds the rows hashed with it.
"""

from __future__ import annotations

import contextlib
import os
import secrets
from pathlib import Path

SALT_SUFFIX = ".salt"


class SaltError(Exception):
    """The salt file cannot be read or written, or disagrees with the database."""


def salt_path(database: Path) -> Path:
    """Give where the generated salt of this database file is kept."""
    return database.with_name(database.name + SALT_SUFFIX)


def load_or_create(path: Path, legacy: str | None) -> str:
    """Give the salt kept in the file, creating it (with the legacy salt, else a new one).

    Several processes opening the same new database at once agree on one salt: the file is
    written whole under another name and linked into place, and the first link wins.
    """
    if legacy is not None:
        _create(path, legacy)
    elif not path.exists():
        _create(path, secrets.token_hex(32))
    salt = _read(path)
    if legacy is not None and salt != legacy:
        raise SaltError(
            f"{path} holds another salt than the one stored in the database; "
            "keep the one the stored rows were hashed with and delete the other"
        )
    return salt


def _read(path: Path) -> str:
    try:
        salt = path.read_text(encoding="ascii").strip()
    except (OSError, UnicodeDecodeError) as exc:
        raise SaltError(f"cannot read the salt file {path}: {exc}") from exc
    if not salt:
        raise SaltError(f"the salt file {path} is empty; restore it from a backup")
    return salt


def _create(path: Path, salt: str) -> None:
    """Write the salt to the path unless a salt file is already there."""
    draft = path.with_name(f".{path.name}.{secrets.token_hex(8)}")
    try:
        descriptor = os.open(draft, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o600)
        with os.fdopen(descriptor, "w", encoding="ascii") as file:
            file.write(salt + "\n")
            file.flush()
            os.fsync(file.fileno())
        with contextlib.suppress(FileExistsError):
            os.link(draft, path)
    except OSError as exc:
        raise SaltError(f"cannot write the salt file {path}: {exc}") from exc
    finally:
        with contextlib.suppress(OSError):
            draft.unlink()
