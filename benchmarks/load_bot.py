"""Load the bot: a burst of updates from many private chats through the fake Bot API.

Run from the repository root, as a module (tests.fakes.telegram must be importable):

    python -m benchmarks.load_bot                          # 2,000 updates, 500 chats, both modes
    python -m benchmarks.load_bot --updates 600 --mode throttled
    python -m benchmarks.load_bot --rate 25 --updates 750  # steady arrivals, not a burst
    python -m benchmarks.load_bot --json
    python -m benchmarks.load_bot --scenario mixed         # about 9 minutes, see below
    python -m benchmarks.load_bot --scenario mixed --seconds 20 --group-mentions 20 --no-baseline

The real bot (engine over the shipped corpus, SQLite store in a temporary directory, PTB's
HTTP stack, the inbox and per-chat queues of `magbot serve`) runs in a child process and
polls the fake Bot API of tests/fakes/telegram, which runs here on 127.0.0.1. Updates are
queued all at once (or --rate a second); the bot fetches up to 100 per getUpdates. Latency
runs from queueing an update to the fake answering the reply; the k-th reply to a chat is
matched with the k-th message from it.

Modes: "throttled" is the bot as deployed, with its flood limits (Telegram's: about 30
messages a second overall, 20 a minute per group), so 2,000 replies take over a minute.
"unthrottled" drops the limiter and shows what the bot itself can do; there the fake, a
thread-per-connection server in Python, is part of what is measured, so the figures are
a lower bound.

The mixed scenario (benchmarks/load_mixed.py) runs the bot as deployed (throttled) for 60 s
of arrivals: 40 private chats asking a question every 6 s each; one flooder sending 300
messages of random words up to 4,096 characters, 5 a second; one group with 150 mentions of
the bot from 10 members; 10 injected 429s (retry_after 1 s) and 10 injected 500s on
sendMessage; and another process holding SQLite's write lock (BEGIN IMMEDIATE) on the usage
database 4 times for 4 s. It reports per class of chat (ordinary, flooder, group): messages
sent, answered, "slow down" replies, silenced, lost and duplicated replies (each update is
to be answered exactly once, except the flooder's silenced ones) and p50/p99/max latency;
Jain's index over the ordinary chats' mean latency; the bot's peak RSS (VmHWM, Linux); and,
unless --no-baseline, the ordinary chats alone (no flooder, group, faults or locks) for
comparison. The group gets 20 answers a minute (Telegram's limit), so its 150 mentions take
about 8 minutes to answer: the run lasts that long.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import os
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from collections import defaultdict
from dataclasses import asdict, dataclass
from pathlib import Path

from faq.build import build_engine
from faq.engine import Engine

try:
    from tests.fakes.telegram import FakeBotAPI
except ModuleNotFoundError as missing:
    if missing.name != "tests":
        raise
    sys.exit("run from the repository root: python -m benchmarks.load_bot [options]")

ROOT = Path(__file__).resolve().parent.parent

TOKEN = "424242:AAHloadTestTokenNotReal_0123456789abc"
FIRST_CHAT = 10_000


@dataclass(frozen=True)
class Result:
    """One run's figures."""

    mode: str
    rate: float
    updates: int
    chats: int
    seconds: float
    updates_per_second: float
    p50_ms: float
    p99_ms: float
    max_ms: float


def questions(engine: Engine) -> list[str]:
    """Questions as people type them: entry questions and alternates, plus a few misses."""
    asked = [text for e in engine.entries for text in (e.question, *e.alternates)]
    return [*asked, "magnesium", "what is the weather", "hello", "cramps"]


def run(engine: Engine, updates: int, chats: int, throttled: bool, rate: float = 0) -> Result:
    """Start the bot, push the updates (all at once, or `rate` a second), wait for every
    reply, stop the bot; give the figures."""
    texts = questions(engine)
    with FakeBotAPI() as fake, tempfile.TemporaryDirectory() as folder:
        args = [TOKEN, fake.base_url, str(Path(folder) / "load.sqlite3"), str(int(throttled))]
        bot = subprocess.Popen([sys.executable, "-c", CHILD, *args], cwd=ROOT, env=_env())
        try:
            fake.wait_for("deleteWebhook", timeout=60)  # polling is about to start
            pushed: dict[int, list[float]] = defaultdict(list)
            started = time.perf_counter()
            for n in range(updates):
                if rate:  # an open loop: arrivals do not wait for replies
                    time.sleep(max(0.0, started + n / rate - time.perf_counter()))
                chat = FIRST_CHAT + n % chats
                pushed[chat].append(time.perf_counter())
                fake.push_message(chat, texts[n % len(texts)])
            fake.wait_for("sendMessage", count=updates, timeout=updates / 10 + 60)
            seconds = time.perf_counter() - started
        finally:
            bot.send_signal(signal.SIGTERM)
            bot.wait(timeout=30)
    replied: dict[int, list[float]] = defaultdict(list)
    for call in fake.calls("sendMessage"):
        if call.delivered:
            replied[int(call.params["chat_id"])].append(call.at)
    latencies = sorted(
        (done - queued) * 1000
        for chat, times in pushed.items()
        for queued, done in zip(times, replied[chat], strict=True)
    )
    return Result(
        mode="throttled" if throttled else "unthrottled",
        rate=rate,
        updates=updates,
        chats=chats,
        seconds=round(seconds, 2),
        updates_per_second=round(updates / seconds, 1),
        p50_ms=round(statistics.median(latencies), 1),
        p99_ms=round(latencies[min(len(latencies) - 1, int(len(latencies) * 0.99))], 1),
        max_ms=round(latencies[-1], 1),
    )


#: The bot process: build_application as `magbot serve` does, with the limiter on or off.
CHILD = """
import sys
from bot.app import build_application
from bot.polling import run_polling
from bot.settings import load_settings
from faq.build import build_engine
from faq.usage.store import SqliteStore

token, base_url, db, throttled = sys.argv[1:]
env = {"TELEGRAM_BOT_TOKEN": token, "TELEGRAM_API_BASE_URL": base_url, "MAGBOT_DB": db}
settings = load_settings(env)  # the inbox goes beside the database, in the temporary folder
app = build_application(build_engine(), settings, SqliteStore(db), throttle=throttled == "1")
run_polling(app, settings, drop_pending=False)
"""


def _env() -> dict[str, str]:
    return {**os.environ, "PTB_TIMEDELTA": "true"}


def main() -> int:
    """Run the benchmark and print one line per mode, a table for the mixed one (or JSON)."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scenario", choices=["burst", "mixed"], default="burst")
    parser.add_argument("--updates", type=int, default=2000, help="updates to send (2000)")
    parser.add_argument("--chats", type=int, default=500, help="distinct private chats (500)")
    parser.add_argument("--mode", choices=["both", "throttled", "unthrottled"], default="both")
    parser.add_argument(
        "--rate", type=float, default=0, help="updates queued per second (default 0: all at once)"
    )
    parser.add_argument("--json", action="store_true", help="print the results as JSON")
    _mixed_options(parser)
    args = parser.parse_args()
    engine = build_engine()
    if args.scenario == "mixed":
        return _run_mixed(engine, args)
    modes = {"both": (False, True), "throttled": (True,), "unthrottled": (False,)}[args.mode]
    results = [run(engine, args.updates, args.chats, mode, args.rate) for mode in modes]
    if args.json:
        print(json.dumps([asdict(r) for r in results], indent=2))
        return 0
    for r in results:
        print(
            f"{r.mode:11}  {r.updates} updates / {r.chats} chats "
            f"({f'{r.rate:g}/s' if r.rate else 'burst'}) in {r.seconds:6.2f} s  "
            f"{r.updates_per_second:7.1f} updates/s  p50 {r.p50_ms:8.1f} ms  "
            f"p99 {r.p99_ms:8.1f} ms  max {r.max_ms:8.1f} ms"
        )
    return 0


def _mixed_options(parser: argparse.ArgumentParser) -> None:
    mixed = parser.add_argument_group("mixed scenario")
    mixed.add_argument("--seconds", type=float, default=60.0, help="seconds of arrivals (60)")
    mixed.add_argument("--ordinary-chats", type=int, default=40, help="private chats (40)")
    mixed.add_argument("--flood", type=int, default=300, help="the flooder's messages (300)")
    mixed.add_argument("--group-mentions", type=int, default=150, help="group mentions (150)")
    mixed.add_argument("--faults", type=int, default=10, help="429s, and as many 500s (10)")
    mixed.add_argument("--locks", type=int, default=4, help="write locks on the store (4)")
    mixed.add_argument("--no-baseline", action="store_true", help="skip the ordinary-only run")


def _run_mixed(engine: Engine, args: argparse.Namespace) -> int:
    """Run the mixed scenario (and its baseline); print the table or JSON."""
    from benchmarks.load_mixed import Mix, print_table, run_mixed

    mix = Mix(
        seconds=args.seconds,
        chats=args.ordinary_chats,
        flood=args.flood,
        group_mentions=args.group_mentions,
        faults=args.faults,
        locks=args.locks,
    )
    texts = questions(engine)
    result = run_mixed(mix, texts, CHILD, TOKEN, _env())
    if not args.no_baseline:
        alone = run_mixed(mix.alone(), texts, CHILD, TOKEN, _env())
        result = dataclasses.replace(result, baseline=alone.classes[0])
    if args.json:
        print(json.dumps(asdict(result), indent=2))
    else:
        print_table(result)
    return 0


if __name__ == "__main__":
    sys.exit(main())
