"""The maintainers' report as ``magbot report`` prints it: aligned terminal tables or JSON."""

from __future__ import annotations

from dataclasses import asdict
from typing import Any

from faq.usage.report import UsageReport

_QUESTION_WIDTH = 60


def usage_report_to_json(report: UsageReport) -> dict[str, Any]:
    """Return the report as plain JSON-ready values."""
    return {
        "since": report.since.isoformat() if report.since else None,
        "totals": asdict(report.totals),
        "unanswered": [
            {
                "representative": g.representative,
                "count": g.count,
                "shared_terms": list(g.shared_terms),
                "questions": list(g.questions),
            }
            for g in report.unanswered
        ],
        "feedback": [asdict(f) for f in report.feedback],
        "answers": [asdict(a) for a in report.answers],
        "periods": [
            {
                **asdict(p),
                "unsure_rate": round(p.unsure_rate, 4),
                "out_of_scope_rate": round(p.out_of_scope_rate, 4),
            }
            for p in report.periods
        ],
    }


def format_usage_report(report: UsageReport) -> str:
    """Return the report as aligned plain-text tables for a terminal."""
    t = report.totals
    since = report.since.isoformat(timespec="minutes") if report.since else "the beginning"
    lines = [
        f"magbot report since {since}",
        f"Queries: {t.queries} (answered {t.answered}, unsure {t.unsure}, "
        f"out of scope {t.out_of_scope}, chitchat {t.chitchat})",
        f"Red flags: {t.red_flags}",
        f"Feedback: {t.helpful} 👍, {t.unhelpful} 👎",
        "",
        "Unanswered questions (unsure + out of scope), grouped by shared terms",
        *_table(
            ("count", "shared terms", "representative question"),
            "rll",
            [
                (g.count, ", ".join(g.shared_terms) or "-", _clip(g.representative))
                for g in report.unanswered
            ],
        ),
        "",
        "Entries with the most 👎",
        *_table(
            ("entry", "not helpful", "helpful"),
            "lrr",
            [(f.entry_id, f.unhelpful, f.helpful) for f in report.feedback],
        ),
        "",
        "Answers per entry",
        *_table(("entry", "answers"), "lr", [(a.entry_id, a.answers) for a in report.answers]),
        "",
        "Unsure and out-of-scope rates per ISO week",
        *_table(
            ("week", "queries", "unsure", "out of scope", "red flags"),
            "lrrrr",
            [
                (
                    p.period,
                    p.queries,
                    _percent(p.unsure_rate),
                    _percent(p.out_of_scope_rate),
                    p.red_flags,
                )
                for p in report.periods
            ],
        ),
    ]
    return "\n".join(lines) + "\n"


def _table(headers: tuple[str, ...], align: str, rows: list[tuple[object, ...]]) -> list[str]:
    # align has one letter per column: "r" for numbers (they line up on the last digit), "l" text.
    if not rows:
        return ["  (none)"]
    cells = [tuple(str(c) for c in row) for row in rows]
    widths = [max(len(r[i]) for r in [headers, *cells]) for i in range(len(headers))]

    def line(values: tuple[str, ...]) -> str:
        parts = (
            v.rjust(w) if a == "r" else v.ljust(w)
            for v, w, a in zip(values, widths, align, strict=True)
        )
        return ("  " + "  ".join(parts)).rstrip()

    return [line(headers), line(tuple("-" * w for w in widths)), *(line(r) for r in cells)]


def _percent(rate: float) -> str:
    return f"{100 * rate:.1f}%"


def _clip(text: str) -> str:
    return text if len(text) <= _QUESTION_WIDTH else text[: _QUESTION_WIDTH - 1] + "…"
