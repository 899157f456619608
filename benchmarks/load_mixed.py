"""The mixed load scenario of benchmarks/load_bot.py (`--scenario mixed`): see its docstring.

Who sends what, during `seconds` (60 by default):
- ordinary private chats (40), each asking a question every `every` seconds (6) from a
  random start, with a little jitter: under the per-person limit of 8 in 30 seconds;
- one flooder in a private chat: 300 messages of random words, up to 4,096 characters each,
  `flood_rate` a second (5; 0 sends them all at once);
- one busy group: 150 mentions of the bot from 10 members (Telegram lets a bot send 20
  messages a minute to a group, so the group's last answers come minutes after the rest);
- faults injected into sendMessage at even intervals: 429s (retry_after 1 s) and 500s;
- a slow store: another process takes SQLite's write lock on the usage database
  (`BEGIN IMMEDIATE`) `locks` times, `lock_seconds` each, spread over the run.

Replies are tied to updates through the bot's inbox: an update is marked done right after
its reply went, and a chat's next update is only taken after that, so each reply belongs to
the update of the same chat marked done first after it. That gives, per update, how many
replies it got (lost: none although it had to be answered; duplicated: more than one) and
its latency (queued at the fake → first reply; for a silenced flooder message, → handled).
An update is marked done about a millisecond after the fake answered its reply, so every
time is stamped with one clock as it happens (time.time(): the fake as it answers, the bot
as it marks done, this process just before it queues), never converted from another clock
afterwards: an offset off by a millisecond would tie replies to the wrong updates.
"""

from __future__ import annotations

import random
import signal
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from collections import defaultdict
from dataclasses import dataclass, field, replace
from pathlib import Path

from bot.settings import DEFAULT_INBOX
from bot.texts import SLOW_DOWN
from tests.fakes.telegram import FakeBotAPI, RateLimited, ServerError, html_to_plain
from tests.fakes.telegram.messages import BOT_USER

ORDINARY, FLOODER, GROUP = "ordinary", "flooder", "group"
FIRST_CHAT = 20_000
FLOOD_CHAT = 99_999
GROUP_CHAT = -1_001_234_567
FIRST_MEMBER = 30_000
MAX_TEXT = 4096
#: Plain words with nothing urgent in them: a flooder's chatter, not an emergency.
FILLER = [
    "table",
    "garden",
    "window",
    "yellow",
    "river",
    "morning",
    "paper",
    "pencil",
    "orange",
    "music",
    "cloud",
    "button",
    "coffee",
    "ladder",
    "market",
    "summer",
    "winter",
    "basket",
    "bridge",
    "candle",
    "forest",
    "guitar",
    "island",
    "kettle",
    "lemon",
    "mirror",
    "number",
    "pillow",
    "rocket",
    "saddle",
    "ticket",
    "velvet",
    "wagon",
    "zebra",
    "anchor",
    "blanket",
]


@dataclass(frozen=True)
class Mix:
    """The sizes of one mixed run (the defaults are the scenario the README reports)."""

    seconds: float = 60.0
    chats: int = 40
    every: float = 6.0
    flood: int = 300
    flood_rate: float = 5.0
    flood_length: int = MAX_TEXT  # the longest flooder message, in characters
    group_mentions: int = 150
    members: int = 10
    faults: int = 10  # of each kind: 429 and 500
    locks: int = 4
    lock_seconds: float = 4.0
    seed: int = 7

    def alone(self) -> Mix:
        """The same ordinary chats with nobody else, no faults and no locks: the baseline."""
        return replace(self, flood=0, group_mentions=0, faults=0, locks=0)


@dataclass(frozen=True)
class Send:
    """One message to push: when (seconds after the start), who, where and what."""

    at: float
    kind: str
    chat: int
    text: str
    sender: int | None = None


@dataclass(frozen=True)
class Pushed:
    """One pushed update: its id, chat and class, and when it was queued (wall clock)."""

    update_id: int
    chat: int
    kind: str
    queued: float


@dataclass(frozen=True)
class Figures:
    """One class of chat: what was sent and answered, and the latency of the answers."""

    kind: str
    sent: int
    answered: int
    slow_downs: int
    silenced: int
    lost: int
    duplicated: int
    p50_ms: float
    p99_ms: float
    max_ms: float


@dataclass(frozen=True)
class MixedResult:
    """One mixed run's figures, per class of chat and for the bot process."""

    mix: Mix
    seconds: float
    classes: list[Figures]
    jain_index: float
    peak_rss_mb: float
    locks_held_s: list[float]
    unfinished: int
    other_replies: int
    answered_before_recorded: int  # the store was too slow: answered without waiting for it
    sends_retried: int  # sendMessage retried after a 500 or a 429
    errors_logged: int  # tracebacks in the bot's log
    baseline: Figures | None = field(default=None)


def schedule(mix: Mix, questions: list[str]) -> list[Send]:
    """Give every message of the run, in time order."""
    rng = random.Random(mix.seed)
    sends = [
        Send(at, ORDINARY, FIRST_CHAT + n, rng.choice(questions))
        for n in range(mix.chats)
        for at in _steady(rng, mix.every, mix.seconds)
    ]
    for n in range(mix.flood):
        at = n / mix.flood_rate if mix.flood_rate else 0.0
        sends.append(Send(at, FLOODER, FLOOD_CHAT, _chatter(rng, mix.flood_length)))
    mention = f"@{BOT_USER['username']}"
    for n in range(mix.group_mentions):
        at = mix.seconds * n / mix.group_mentions
        text = f"{mention} {rng.choice(questions)}"
        sends.append(Send(at, GROUP, GROUP_CHAT, text, FIRST_MEMBER + n % max(1, mix.members)))
    return sorted(sends, key=lambda s: s.at)


def _steady(rng: random.Random, every: float, seconds: float) -> list[float]:
    at, times = rng.uniform(0, every), []
    while at < seconds:
        times.append(at)
        at += every * rng.uniform(0.9, 1.1)
    return times


def _chatter(rng: random.Random, longest: int) -> str:
    length = rng.randint(1, longest)
    words: list[str] = []
    size = -1
    while size < length:
        words.append(rng.choice(FILLER))
        size += len(words[-1]) + 1
    return " ".join(words)[:length].strip() or FILLER[0]


def run_mixed(
    mix: Mix, questions: list[str], child: str, token: str, env: dict[str, str]
) -> MixedResult:
    """Run the bot (as `child`) under the mixed load; give the figures."""
    sends = schedule(mix, questions)
    with FakeBotAPI() as fake, tempfile.TemporaryDirectory() as folder:
        db, log = Path(folder) / "load.sqlite3", Path(folder) / "bot.log"
        with log.open("w") as output:
            bot = subprocess.Popen(
                [sys.executable, "-c", child, token, fake.base_url, str(db), "1"],
                cwd=Path(__file__).resolve().parent.parent, env=env, stderr=output,
            )  # fmt: skip
            started, locker = time.time(), None
            try:
                fake.wait_for("deleteWebhook", timeout=120)  # the store exists; polling starts
                started = time.time()
                locker = _start_locker(mix, db, started)
                pushed = _push_all(fake, mix, sends, started)
                unfinished = _wait_handled(Path(folder) / DEFAULT_INBOX, len(pushed), mix)
                seconds, peak_rss = time.time() - started, _peak_rss_mb(bot.pid)
            finally:
                bot.send_signal(signal.SIGTERM)
                bot.wait(timeout=60)
                held = _locks_held(locker)
        done, logged = _done_times(Path(folder) / DEFAULT_INBOX), log.read_text()
    per_update, other = _attribute(pushed, done, _replies(fake))
    classes = [_figures(kind, pushed, per_update) for kind in (ORDINARY, FLOODER, GROUP)]
    return MixedResult(
        mix=mix,
        seconds=round(seconds, 1),
        classes=[c for c in classes if c.sent],
        jain_index=round(_jain(pushed, per_update, ORDINARY), 3),
        peak_rss_mb=peak_rss,
        locks_held_s=held,
        unfinished=unfinished,
        other_replies=other,
        answered_before_recorded=logged.count("answered before the outcome was recorded"),
        sends_retried=logged.count("sendMessage failed") + logged.count("sendMessage: rate"),
        errors_logged=sum(1 for line in logged.splitlines() if line.startswith("Traceback")),
    )


def _push_all(fake: FakeBotAPI, mix: Mix, sends: list[Send], started: float) -> list[Pushed]:
    """Push each message at its time, injecting the faults on the way; give what was pushed."""
    faults = _fault_times(mix)
    pushed: list[Pushed] = []
    for send in sends:
        while faults and faults[0][0] <= send.at:
            fake.inject("sendMessage", faults.pop(0)[1])
        time.sleep(max(0.0, started + send.at - time.time()))
        chat_type = "group" if send.kind == GROUP else "private"
        queued = time.time()  # before: the reply may come before this thread runs again
        update = fake.push_message(send.chat, send.text, chat_type=chat_type, sender=send.sender)
        pushed.append(Pushed(int(update["update_id"]), send.chat, send.kind, queued))
    for _, fault in faults:
        fake.inject("sendMessage", fault)
    return pushed


def _fault_times(mix: Mix) -> list[tuple[float, RateLimited | ServerError]]:
    count = 2 * mix.faults
    return [
        (mix.seconds * (n + 0.5) / count, RateLimited(retry_after=1) if n % 2 else ServerError())
        for n in range(count)
    ]


#: The slow store: another process holding SQLite's write lock on the usage database.
LOCKER = """
import sqlite3, sys, time
db, started, count, hold, seconds = sys.argv[1:]
conn = sqlite3.connect(db, timeout=60, isolation_level=None)
for n in range(int(count)):
    time.sleep(max(0.0, float(started) + float(seconds) * (n + 0.5) / int(count) - time.time()))
    conn.execute("BEGIN IMMEDIATE")
    taken = time.time()
    time.sleep(float(hold))
    conn.execute("COMMIT")
    print(round(time.time() - taken, 2), flush=True)
"""


def _start_locker(mix: Mix, db: Path, started: float) -> subprocess.Popen[str] | None:
    if not mix.locks:
        return None
    args = [str(db), str(started), str(mix.locks), str(mix.lock_seconds), str(mix.seconds)]
    return subprocess.Popen(
        [sys.executable, "-c", LOCKER, *args], stdout=subprocess.PIPE, text=True
    )


def _locks_held(locker: subprocess.Popen[str] | None) -> list[float]:
    """Give how long each lock was held (the locker is stopped if it is still running)."""
    if locker is None:
        return []
    try:
        out, _ = locker.communicate(timeout=5)
    except subprocess.TimeoutExpired:
        locker.kill()
        out, _ = locker.communicate()
    return [float(line) for line in out.split()]


def _wait_handled(inbox: Path, expected: int, mix: Mix) -> int:
    """Wait until the bot handled every pushed update; give how many it had not at the end."""
    # a group gets 20 messages a minute: its answers set the time the run needs
    deadline = time.time() + mix.seconds + 3.5 * mix.group_mentions + 120
    left = expected
    while time.time() < deadline:
        done = _done_times(inbox)
        left = expected - sum(1 for at in done.values() if at is not None)
        if left <= 0:
            time.sleep(1.0)  # a late duplicate would arrive now
            return 0
        time.sleep(0.5)
    return left


def _done_times(inbox: Path) -> dict[int, float | None]:
    """Give when each update kept in the bot's inbox was handled (None: not yet)."""
    try:
        conn = sqlite3.connect(f"{inbox.resolve().as_uri()}?mode=ro", uri=True, timeout=5)
    except sqlite3.Error:
        return {}
    try:
        rows = conn.execute("SELECT update_id, done FROM updates").fetchall()
    except sqlite3.Error:
        return {}
    finally:
        conn.close()
    return {int(update_id): done for update_id, done in rows}


def _peak_rss_mb(pid: int) -> float:
    """Give the process's peak resident memory in MiB (VmHWM; 0 where /proc has none)."""
    try:
        status = Path(f"/proc/{pid}/status").read_text()
    except OSError:
        return 0.0
    for line in status.splitlines():
        if line.startswith("VmHWM:"):
            return round(int(line.split()[1]) / 1024, 1)
    return 0.0


@dataclass(frozen=True)
class Reply:
    """One delivered sendMessage: to which chat, when (wall clock), and whether "slow down"."""

    chat: int
    at: float
    slow_down: bool


def _replies(fake: FakeBotAPI) -> list[Reply]:
    return [
        Reply(
            int(call.params["chat_id"]),
            call.wall,  # the clock the bot stamps done with, read as the fake answered
            html_to_plain(str(call.params.get("text", ""))).strip() == SLOW_DOWN,
        )
        for call in fake.calls("sendMessage")
        if call.delivered
    ]


@dataclass
class Outcome:
    """What became of one update: its replies (times) and whether one said "slow down"."""

    pushed: Pushed
    done: float | None
    replies: list[float] = field(default_factory=list)
    slow_down: bool = False


def _attribute(
    pushed: list[Pushed], done: dict[int, float | None], replies: list[Reply]
) -> tuple[dict[int, Outcome], int]:
    """Tie each reply to the update of its chat handled first after it; give the outcomes and
    how many replies belonged to no update."""
    outcomes = {p.update_id: Outcome(p, done.get(p.update_id)) for p in pushed}
    by_chat: dict[int, list[Outcome]] = defaultdict(list)
    for outcome in sorted(outcomes.values(), key=lambda o: o.done or float("inf")):
        by_chat[outcome.pushed.chat].append(outcome)
    other = 0
    for reply in replies:
        owner = next((o for o in by_chat[reply.chat] if o.done and o.done >= reply.at), None)
        if owner is None:
            other += 1
            continue
        owner.replies.append(reply.at)
        owner.slow_down = owner.slow_down or reply.slow_down
    return outcomes, other


def _figures(kind: str, pushed: list[Pushed], outcomes: dict[int, Outcome]) -> Figures:
    mine = [outcomes[p.update_id] for p in pushed if p.kind == kind]
    # a flooder's message handled without a reply was silenced by the per-person limit
    silenced = {id(o) for o in mine if kind == FLOODER and not o.replies and o.done is not None}
    latencies = sorted(
        ((o.replies[0] if o.replies else o.done or 0.0) - o.pushed.queued) * 1000
        for o in mine
        if o.replies or id(o) in silenced
    ) or [0.0]
    return Figures(
        kind=kind,
        sent=len(mine),
        answered=sum(1 for o in mine if o.replies and not o.slow_down),
        slow_downs=sum(1 for o in mine if o.slow_down),
        silenced=len(silenced),
        lost=sum(1 for o in mine if not o.replies and id(o) not in silenced),
        duplicated=sum(1 for o in mine if len(o.replies) > 1),
        p50_ms=round(statistics.median(latencies), 1),
        p99_ms=round(latencies[min(len(latencies) - 1, int(len(latencies) * 0.99))], 1),
        max_ms=round(latencies[-1], 1),
    )


def _jain(pushed: list[Pushed], outcomes: dict[int, Outcome], kind: str) -> float:
    """Jain's index over the chats' mean reply latency: 1.0 when every chat waits the same."""
    per_chat: dict[int, list[float]] = defaultdict(list)
    for p in pushed:
        replies = outcomes[p.update_id].replies
        if p.kind == kind and replies:
            per_chat[p.chat].append(replies[0] - p.queued)
    means = [statistics.fmean(times) for times in per_chat.values()]
    squares = sum(m * m for m in means)
    return sum(means) ** 2 / (len(means) * squares) if squares else 1.0


def print_table(result: MixedResult) -> None:
    """Print the figures as a readable table."""
    mix = result.mix
    print(
        f"mixed load, {mix.seconds:g} s of arrivals, done in {result.seconds:g} s; "
        f"{mix.faults} x 429 and {mix.faults} x 500 on sendMessage; write locks on the store: "
        f"{', '.join(f'{s:g} s' for s in result.locks_held_s) or 'none'}"
    )
    header = ("class", "sent", "answered", "slow down", "silenced", "lost", "dup",
              "p50 ms", "p99 ms", "max ms")  # fmt: skip
    print("  ".join(f"{h:>9}" for h in header))
    rows = [*result.classes, *([replace(result.baseline, kind="baseline")] if result.baseline
                                else [])]  # fmt: skip
    for f in rows:
        cells = (f.kind, f.sent, f.answered, f.slow_downs, f.silenced, f.lost, f.duplicated,
                 f.p50_ms, f.p99_ms, f.max_ms)  # fmt: skip
        print("  ".join(f"{c:>9}" for c in cells))
    print(
        f"Jain's index over the ordinary chats' mean latency: {result.jain_index}; "
        f"bot peak RSS {result.peak_rss_mb} MiB; replies tied to no update: "
        f"{result.other_replies}; updates never handled: {result.unfinished}"
    )
    print(
        f"sends retried after a 429 or 500: {result.sends_retried}; answered before the "
        f"store recorded the outcome: {result.answered_before_recorded}; "
        f"tracebacks logged: {result.errors_logged}"
    )
    print("(flooder latency: to the answer, or to being handled when silenced; "
          "baseline: the ordinary chats alone, no faults, no locks)")  # fmt: skip
