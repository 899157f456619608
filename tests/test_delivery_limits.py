"""Fairness and flood limits, on a clock the test moves: per person, per chat, per group."""

from __future__ import annotations

import httpx
import pytest
from telegram.error import NetworkError, TimedOut

from bot.fairness import UserLimiter, Verdict
from bot.limits import GROUP_PER_MINUTE, ServerFailed, Throttle, _never_arrived


class Clock:
    """A monotonic clock that moves only when told to."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_a_person_over_the_limit_is_warned_once_then_silent_until_the_window_passes() -> None:
    clock = Clock()
    limiter = UserLimiter(limit=3, window=30.0, clock=clock)

    verdicts = [limiter.check(7) for _ in range(6)]
    other = limiter.check(8)
    clock.now += 30.0
    after = limiter.check(7)

    assert verdicts == [Verdict.ALLOWED] * 3 + [Verdict.WARN, Verdict.SILENT, Verdict.SILENT]
    assert other is Verdict.ALLOWED
    assert after is Verdict.ALLOWED


def test_a_steady_flood_is_warned_once_per_window_not_each_time_an_old_message_leaves_it() -> None:
    clock = Clock()
    limiter = UserLimiter(limit=3, window=30.0, clock=clock)

    verdicts = []
    for _ in range(60):  # one message every 1.5 s for 90 s
        verdicts.append(limiter.check(7))
        clock.now += 1.5

    # each cycle: 3 answered, 1 "slow down", then silence for a whole window from it (30 s)
    cycle = [Verdict.ALLOWED] * 3 + [Verdict.WARN] + [Verdict.SILENT] * 19
    assert verdicts == (cycle * 3)[:60]


def test_a_group_waits_after_twenty_messages_a_minute_and_a_private_chat_does_not() -> None:
    clock = Clock()
    throttle = Throttle(clock)
    for _ in range(GROUP_PER_MINUTE):
        assert throttle.wait_before("-100") == 0.0
        throttle.sent("-100")
        clock.now += 0.1

    assert throttle.wait_before("-100") == pytest.approx(60.0 - 0.1 * GROUP_PER_MINUTE)
    assert throttle.wait_before("42") == 0.0


def test_a_429_pauses_its_chat_only_unless_several_chats_are_limited_at_once() -> None:
    clock = Clock()
    throttle = Throttle(clock)

    one = throttle.limited("1", 5.0)
    alone = (throttle.wait_before("1"), throttle.wait_before("2"))
    throttle.limited("2", 5.0)
    flood = throttle.limited("3", 5.0)

    assert not one and alone == (5.0, 0.0)
    assert flood and throttle.wait_before("4") == 5.0


def test_a_429_without_a_chat_pauses_every_send() -> None:
    throttle = Throttle(Clock())

    assert throttle.limited(None, 2.0)
    assert throttle.wait_before("9") == 2.0


def _caused(error: Exception) -> NetworkError:
    wrapped = NetworkError(f"httpx.{type(error).__name__}")
    wrapped.__cause__ = error
    return wrapped


@pytest.mark.parametrize(
    ("error", "retried"),
    [
        (_caused(httpx.ConnectError("refused")), True),
        (_caused(httpx.ConnectTimeout("slow")), True),
        (_caused(httpx.PoolTimeout("busy")), True),
        (ServerFailed("Internal Server Error (500)", 500), True),
        (ServerFailed("Service Unavailable (503)", 503), True),
        (ServerFailed("Bad Gateway (502)", 502), False),
        (ServerFailed("Gateway Timeout (504)", 504), False),
        (_caused(httpx.ReadError("reset")), False),
        (_caused(httpx.RemoteProtocolError("closed")), False),
        (_caused(httpx.WriteError("broken")), False),
        (TimedOut(), False),
    ],
)
def test_only_a_send_that_surely_never_arrived_is_retried(
    error: NetworkError, retried: bool
) -> None:
    assert _never_arrived(error, "sendMessage") is retried


def test_a_request_that_changes_nothing_twice_is_retried_after_any_network_error() -> None:
    assert _never_arrived(_caused(httpx.ReadError("reset")), "getMe")
