"""What `magbot ask` and `magbot entries` print: JSON objects and the --explain trace."""

from __future__ import annotations

import json
from typing import Any

from faq.engine import Explanation
from faq.model import Answer, Entry
from faq.render import to_text


def json_line(data: dict[str, Any]) -> str:
    """Give one line of JSON: every line separator Python knows is escaped, so no splitter
    (not even str.splitlines) breaks it; JSON already escapes the controls below U+0020."""
    text = json.dumps(data, ensure_ascii=False)
    for separator in ("\x85", "\u2028", "\u2029"):
        text = text.replace(separator, f"\\u{ord(separator):04x}")
    return text


def answer_json(answer: Answer) -> dict[str, Any]:
    """Give an answer as the JSON object `magbot ask --json` prints."""
    return {
        "query": answer.query,
        "status": answer.status.value,
        "id": answer.entry.id if answer.entry else None,
        "score": round(answer.score, 4),
        "confidence": round(answer.confidence, 4),
        "margin": round(answer.margin, 4),
        "candidates": [
            {
                "id": h.entry_id,
                "score": round(h.score, 4),
                "lexical": round(h.lexical, 4),
                "semantic": round(h.semantic, 4),
                "topic": None if h.topic is None else round(h.topic, 4),
            }
            for h in answer.candidates
        ],
        "flags": list(answer.flags),
        "triage": _triage(answer),
        "reply": to_text(answer.reply),
    }


def _triage(answer: Answer) -> dict[str, Any] | None:
    """Give the red flag's category and tier, and a second concern's (null if none)."""
    if not answer.category:
        return None
    also = {"category": answer.also, "tier": answer.also_tier} if answer.also else None
    return {"category": answer.category, "tier": answer.tier, "also": also}


def entry_json(entry: Entry) -> dict[str, Any]:
    """Give an entry as the JSON object `magbot entries --json` prints."""
    return entry.model_dump(mode="json")


def format_explanation(explanation: Explanation) -> str:
    """Give what each stage decided, then each candidate's BM25 score by term."""
    answer = explanation.answer
    lines = [f"{step.stage:9} {step.verdict}" for step in answer.trace]
    lines.append(
        f"status: {answer.status.value}  confidence: {answer.confidence:.3f}  "
        f"margin: {answer.margin:.3f}"
    )
    for hit in answer.candidates:
        parts = [
            f"{c.term}={c.score:.2f}"
            for c in explanation.contributions
            if c.entry_id == hit.entry_id and c.score > 0
        ]
        topic = "" if hit.topic is None else f", topic {hit.topic:.3f}"
        scores = f"{hit.score:6.3f} (bm25 {hit.lexical:.3f}, cosine {hit.semantic:.3f}{topic})"
        lines.append(f"  {hit.entry_id:20} {scores}  {' '.join(parts) or '-'}")
    return "\n".join(lines)
