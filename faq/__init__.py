"""magbot's core: a sourced FAQ corpus, one tokenizer, BM25 ranking, safety rules, replies.

Never imports telegram; `bot/` is a thin adapter over this package.
"""

from faq.corpus import CorpusError, Problem, load_corpus
from faq.engine import Engine, Thresholds, decide
from faq.model import Answer, Entry, Evidence, Hit, Reply, Source, Status
from faq.render import to_html, to_text

__all__ = [
    "Answer",
    "CorpusError",
    "Engine",
    "Entry",
    "Evidence",
    "Hit",
    "Problem",
    "Reply",
    "Source",
    "Status",
    "Thresholds",
    "decide",
    "load_corpus",
    "to_html",
    "to_text",
]
