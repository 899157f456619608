"""The inbox: updates kept before they are confirmed, once each, until handled and pruned."""

from __future__ import annotations

import stat
from pathlib import Path

import pytest

from faq.usage.inbox import Inbox, InboxError


def _update(update_id: int, text: str = "hello") -> dict[str, object]:
    return {"update_id": update_id, "message": {"text": text, "chat": {"id": 1}}}


def test_an_update_kept_twice_is_fresh_only_the_first_time(tmp_path: Path) -> None:
    inbox = Inbox(tmp_path / "inbox.sqlite3")

    first = inbox.add([_update(1), _update(2)])
    again = inbox.add([_update(2), _update(3)])

    assert [u["update_id"] for u in first] == [1, 2]
    assert [u["update_id"] for u in again] == [3]


def test_pending_gives_what_was_not_done_oldest_first_after_a_reopen(tmp_path: Path) -> None:
    path = tmp_path / "inbox.sqlite3"
    inbox = Inbox(path)
    inbox.add([_update(3, "third"), _update(1, "first"), _update(2, "second")])
    inbox.done(2)
    inbox.close()

    reopened = Inbox(path)

    assert reopened.pending() == [_update(1, "first"), _update(3, "third")]


def test_prune_deletes_only_handled_updates_older_than_asked(tmp_path: Path) -> None:
    inbox = Inbox(tmp_path / "inbox.sqlite3")
    inbox.add([_update(1), _update(2)])
    inbox.done(1)

    kept = inbox.prune(older_than_seconds=3600)
    removed = inbox.prune(older_than_seconds=-1)

    assert (kept, removed) == (0, 1)
    assert [u["update_id"] for u in inbox.pending()] == [2]
    assert inbox.add([_update(1)]) != []  # gone for good: the same id is new again


def test_the_inbox_file_is_readable_by_its_owner_only(tmp_path: Path) -> None:
    path = tmp_path / "deeper" / "inbox.sqlite3"
    Inbox(path).add([_update(1)])

    assert stat.S_IMODE(path.stat().st_mode) == 0o600


def test_an_inbox_that_cannot_be_created_raises_inbox_error(tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("not a folder")

    with pytest.raises(InboxError):
        Inbox(blocker / "inbox.sqlite3")


def test_an_update_without_an_id_is_refused_and_nothing_is_kept(tmp_path: Path) -> None:
    inbox = Inbox(tmp_path / "inbox.sqlite3")

    with pytest.raises(InboxError):
        inbox.add([_update(1), {"message": {}}])

    assert inbox.pending() == []


def test_dropping_pending_updates_leaves_nothing_to_handle_and_ids_still_known(
    tmp_path: Path,
) -> None:
    inbox = Inbox(tmp_path / "inbox.sqlite3")
    inbox.add([_update(1), _update(2)])
    inbox.done(1)

    dropped = inbox.drop_pending()

    assert dropped == 1 and inbox.pending() == []
    assert inbox.add([_update(2)]) == []
