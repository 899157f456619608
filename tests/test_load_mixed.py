"""The mixed load scenario, tiny: every update answered exactly once, the flooder slowed down."""

from __future__ import annotations

import pytest

from benchmarks.load_bot import CHILD, TOKEN, _env
from benchmarks.load_mixed import FLOODER, Mix, run_mixed, schedule
from bot.fairness import USER_MESSAGES
from faq.engine import Engine

QUESTIONS = ["how much magnesium should I take", "can I take magnesium when pregnant"]


@pytest.mark.slow
def test_a_tiny_mixed_load_answers_every_update_once_and_silences_only_the_flooder(
    engine: Engine,
) -> None:
    mix = Mix(seconds=2, chats=3, every=1.0, flood=20, flood_rate=0, flood_length=300,
              group_mentions=4, members=2, faults=1, locks=1, lock_seconds=1.0)  # fmt: skip
    result = run_mixed(mix, QUESTIONS, CHILD, TOKEN, _env())
    figures = {f.kind: f for f in result.classes}
    for kind in ("ordinary", "group"):
        f = figures[kind]
        assert (f.answered, f.lost, f.duplicated, f.slow_downs) == (f.sent, 0, 0, 0), f
    flooder = figures["flooder"]
    # twenty messages at once: eight answered, one "slow down", the rest silenced, except
    # what triage takes for an emergency (random words can be), which is answered anyway
    flood = [send.text for send in schedule(mix, QUESTIONS) if send.kind == FLOODER]
    urgent = [engine.urgent(text) is not None for text in flood[USER_MESSAGES:]]
    slow_downs = 0 if urgent[0] else 1  # the first message over the limit is the warned one
    assert (flooder.answered, flooder.slow_downs) == (USER_MESSAGES + sum(urgent), slow_downs)
    silenced = len(urgent) - sum(urgent) - slow_downs
    assert (flooder.silenced, flooder.lost, flooder.duplicated) == (silenced, 0, 0), flooder
    assert (result.unfinished, result.other_replies, result.errors_logged) == (0, 0, 0)
    assert result.sends_retried >= 2  # the 429 and the 500 were met and retried
    assert len(result.locks_held_s) == 1
