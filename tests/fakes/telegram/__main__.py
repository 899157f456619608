"""Run the fake Bot API on its own until Ctrl-C: python -m tests.fakes.telegram --port 8081.

Lines typed on standard input reach the bot as messages from one user in a private chat; the
bot's replies, and any request the fake refuses, are printed.
"""

from __future__ import annotations

import argparse
import signal
import sys
import threading
import time

from .fake import FakeBotAPI
from .messages import DEFAULT_USER_ID
from .server import Call
from .validation import html_to_plain


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m tests.fakes.telegram", description=__doc__.splitlines()[0]
    )
    parser.add_argument("--port", type=int, default=8081, help="port on 127.0.0.1 (8081)")
    parser.add_argument(
        "--chat", type=int, default=DEFAULT_USER_ID,
        help=f"user (and private chat) id that typed lines come from ({DEFAULT_USER_ID})",
    )  # fmt: skip
    return parser


def _banner(base_url: str, chat: int) -> str:
    return (
        f"Fake Telegram Bot API on 127.0.0.1; base URL: {base_url}\n"
        "Point magbot at it (any token of the form digits:letters is accepted):\n"
        f"  TELEGRAM_API_BASE_URL={base_url} TELEGRAM_BOT_TOKEN=123:test magbot serve\n"
        f"Type a line and press Enter to send it to the bot from user {chat}; "
        "replies are printed here.\nCtrl-C stops the server."
    )


def _describe(call: Call) -> str | None:
    """One printed line for a call worth showing: a reply, an edit or a refused request."""
    if not call.delivered:
        return f"! {call.method} refused ({call.status}): {str(call.params)[:200]}"
    if call.method not in ("sendMessage", "editMessageText"):
        return None
    text = str(call.params.get("text", ""))
    if str(call.params.get("parse_mode", "")).lower() == "html":
        text = html_to_plain(text)
    rows = (call.params.get("reply_markup") or {}).get("inline_keyboard", [])
    buttons = " ".join(f"[{button['text']}]" for row in rows for button in row)
    edited = " (edited)" if call.method == "editMessageText" else ""
    return f"bot{edited}: {text}" + (f"\n  {buttons}" if buttons else "")


def _print_calls(fake: FakeBotAPI) -> None:
    """Print the calls worth showing as they arrive; runs until the process ends."""
    seen = 0
    while True:
        calls = fake.calls()
        for call in calls[seen:]:
            if line := _describe(call):
                print(line, flush=True)
        seen = len(calls)
        time.sleep(0.1)


def _interrupt(signum: int, frame: object) -> None:
    raise KeyboardInterrupt


def main(argv: list[str] | None = None) -> int:
    """Serve until Ctrl-C or SIGTERM; typed lines become messages to the bot."""
    args = _parser().parse_args(argv)
    for signum in (signal.SIGINT, signal.SIGTERM):  # even where the parent ignores SIGINT
        signal.signal(signum, _interrupt)
    try:
        fake = FakeBotAPI(port=args.port).start()
    except OSError as exc:
        print(f"cannot listen on 127.0.0.1:{args.port}: {exc.strerror}", file=sys.stderr)
        return 2
    print(_banner(fake.base_url, args.chat), flush=True)
    threading.Thread(target=_print_calls, args=(fake,), daemon=True).start()
    try:
        for line in sys.stdin:
            if line.strip():
                fake.push_message(args.chat, line.strip())
        while True:  # standard input is closed: keep serving
            time.sleep(3600)
    except KeyboardInterrupt:
        print("stopped", flush=True)
    finally:
        fake.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
