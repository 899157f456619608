"""A checker for Telegram HTML, shared by the render and property tests."""

from __future__ import annotations

from html.parser import HTMLParser

# The tags the Telegram Bot API accepts in parse_mode=HTML that the renderer may use.
TELEGRAM_TAGS = {"b", "i", "u", "s", "a", "code", "pre", "blockquote"}


class Tags(HTMLParser):
    """Collects the tags of an HTML fragment and the ones left open or closed out of order."""

    def __init__(self, html: str) -> None:
        super().__init__(convert_charrefs=True)
        self.seen: list[str] = []
        self.open: list[str] = []
        self.misnested: list[str] = []
        self.feed(html)
        self.close()

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.seen.append(tag)
        self.open.append(tag)

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.seen.append(tag)
        self.misnested.append(f"<{tag}/>")

    def handle_endtag(self, tag: str) -> None:
        if self.open and self.open[-1] == tag:
            self.open.pop()
        else:
            self.misnested.append(f"</{tag}>")


def assert_telegram_html(html: str) -> None:
    """Only tags Telegram accepts, each one closed, in order."""
    tags = Tags(html)
    assert set(tags.seen) <= TELEGRAM_TAGS, tags.seen
    assert tags.open == [], tags.open
    assert tags.misnested == [], tags.misnested
