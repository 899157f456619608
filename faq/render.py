"""Reply → plain text (CLI) or Telegram HTML: pure functions, the same layout for both."""

from __future__ import annotations

import html
from collections.abc import Callable

from markdown_it import MarkdownIt
from markdown_it.token import Token

from faq.model import Evidence, Reply, Source

TELEGRAM_LIMIT = 4096
TELEGRAM_TAGS = frozenset({"b", "i", "u", "s", "a", "code", "pre", "blockquote"})
_LEVELS = {"high": "high", "moderate": "moderate", "low": "low", "very-low": "very low"}
_md = MarkdownIt("commonmark", {"html": False})

Tag = Callable[[str, str], str]


def _plain(_tag: str, text: str) -> str:
    return text


def _html_tag(tag: str, text: str) -> str:
    return f"<{tag}>{text}</{tag}>"


def to_text(reply: Reply) -> str:
    """Give the reply as plain text, exactly as the CLI prints it."""
    return _layout(reply, markdown_to_text, _plain, lambda s: s)


def to_html(reply: Reply) -> str:
    """Give the reply as Telegram HTML: only tags Telegram accepts, all text escaped."""
    return _layout(reply, markdown_to_html, _html_tag, _escape)


def markdown_to_text(markdown: str) -> str:
    """Give Markdown as plain text: bullets as •, emphasis markers dropped."""
    return _render(_md.parse(markdown), _plain, lambda s: s).strip()


def markdown_to_html(markdown: str) -> str:
    """Give Markdown as Telegram HTML (b, i, a, code, pre, blockquote); everything else as text."""
    return _render(_md.parse(markdown), _html_tag, _escape).strip()


def _escape(text: str) -> str:
    return html.escape(text, quote=False)


def _layout(
    reply: Reply, body: Callable[[str], str], tag: Tag, escape: Callable[[str], str]
) -> str:
    tail = []
    if reply.evidence is not None:
        tail.append(_evidence(reply.evidence, tag, escape))
    tail.extend("⚠️ " + escape(caution) for caution in reply.cautions)
    if reply.sources:
        tail.append(_sources(reply.sources, tag, escape))
    if reply.disclaimer:
        tail.append(tag("i", "ℹ️ " + escape(reply.disclaimer)))
    budget = TELEGRAM_LIMIT - sum(len(part) + 2 for part in tail)
    return "\n\n".join([_fit(reply.body, body, budget), *tail])


def _evidence(evidence: Evidence, tag: Tag, escape: Callable[[str], str]) -> str:
    level = _LEVELS[evidence.level]
    return f"{tag('b', f'Evidence ({level} certainty):')} {escape(evidence.note)}"


def _sources(sources: tuple[Source, ...], tag: Tag, escape: Callable[[str], str]) -> str:
    lines = [tag("b", "Sources:")]
    for source in sources:
        url = str(source.url)
        if tag is _plain:
            lines.append(f"- {source.name}: {url}")
        else:
            lines.append(f'• <a href="{html.escape(url)}">{escape(source.name)}</a>')
    return "\n".join(lines)


def _fit(markdown: str, render: Callable[[str], str], budget: int) -> str:
    """Render the body within the budget, cutting the Markdown (never the markup) if needed.

    The safety parts after the body (cautions, sources, disclaimer) always stay whole. The cut
    keeps as many whole paragraphs as fit, else as many words, found by bisection.
    """
    rendered = render(markdown)
    if len(rendered) <= budget:
        return rendered
    paragraphs = markdown.rstrip(" …\n").split("\n\n")
    kept = _longest(
        len(paragraphs) - 1, lambda n: "\n\n".join(paragraphs[:n]) + "\n\n…", render, budget
    )
    if kept is not None:
        return kept
    words = paragraphs[0].split()
    kept = _longest(len(words) - 1, lambda n: " ".join(words[:n]) + " …", render, budget)
    return kept if kept is not None else render("…")


def _longest(
    most: int, cut: Callable[[int], str], render: Callable[[str], str], budget: int
) -> str | None:
    """Give the rendering of cut(n) for the largest n in 1..most that fits, or None."""
    low, high, best = 1, most, None
    while low <= high:
        middle = (low + high) // 2
        rendered = render(cut(middle))
        if len(rendered) <= budget:
            best, low = rendered, middle + 1
        else:
            high = middle - 1
    return best


def _render(tokens: list[Token], tag: Tag, escape: Callable[[str], str]) -> str:
    out: list[str] = []
    lists: list[int] = []  # one counter per open list: 0 for bullets, next number otherwise
    heading = False
    for token in tokens:
        kind = token.type
        if kind == "inline":
            text = _inline(token.children or [], tag, escape)
            out.append(tag("b", text) if heading else text)
        elif kind == "heading_open":
            heading = True
        elif kind in ("paragraph_close", "heading_close", "blockquote_close"):
            heading = False
            out.append("\n" if lists else "\n\n")
        elif kind in ("bullet_list_open", "ordered_list_open"):
            lists.append(0 if kind == "bullet_list_open" else 1)
        elif kind in ("bullet_list_close", "ordered_list_close"):
            lists.pop()
            out.append("" if lists else "\n")
        elif kind == "list_item_open":
            out.append(_bullet(lists))
        elif kind in ("fence", "code_block"):
            out.append(tag("pre", escape(token.content.rstrip("\n"))) + "\n\n")
        elif kind == "html_block":
            out.append(escape(token.content) + "\n")
    return "".join(out)


def _bullet(lists: list[int]) -> str:
    indent = "  " * (len(lists) - 1)
    if lists and lists[-1]:
        marker = f"{lists[-1]}. "
        lists[-1] += 1
        return indent + marker
    return indent + "• "


def _inline(children: list[Token], tag: Tag, escape: Callable[[str], str]) -> str:
    out: list[str] = []
    stack: list[list[str]] = []
    for child in children:
        kind = child.type
        if kind in ("strong_open", "em_open", "link_open", "s_open"):
            stack.append(out)
            out = []
            if kind == "link_open":
                out.append(str(child.attrGet("href") or ""))
        elif kind in ("strong_close", "em_close", "s_close"):
            inner, out = "".join(out), stack.pop()
            out.append(tag({"strong_close": "b", "em_close": "i", "s_close": "s"}[kind], inner))
        elif kind == "link_close":
            href, *rest = out
            out = stack.pop()
            out.append(_link(href, "".join(rest), tag))
        elif kind == "code_inline":
            out.append(tag("code", escape(child.content)))
        elif kind in ("softbreak", "hardbreak"):
            out.append("\n")
        else:
            out.append(escape(child.content))
    return "".join(out)


def _link(href: str, text: str, tag: Tag) -> str:
    if tag is _plain:
        return f"{text} ({href})" if href and href != text else text
    if not href.startswith(("http://", "https://")):
        return text
    return f'<a href="{html.escape(href)}">{text}</a>'
