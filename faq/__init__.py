"""magbot's core: a sourced FAQ corpus, one tokenizer, triage, BM25 ranking, replies.

Never imports telegram or sqlite3; `bot/` is a thin adapter and `faq.usage` holds the storage.
"""

import os

# numpy's OpenBLAS starts a thread per core when it is imported; the engine's products are
# small (one question against the corpus), so one thread does them as fast, and importing numpy
# takes about half the time (`magbot ask` starts sooner). An explicit setting is kept.
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

from faq.build import Rules, build_engine, default_data_dir, engine_for, load_rules
from faq.corpus import CorpusError, Problem, load_corpus
from faq.decision import Thresholds, decide
from faq.engine import Engine
from faq.model import Answer, Entry, Evidence, Hit, Reply, Source, Status, Step
from faq.query import Query
from faq.render import to_html, to_text
from faq.rules import DataError

__all__ = [
    "Answer",
    "CorpusError",
    "DataError",
    "Engine",
    "Entry",
    "Evidence",
    "Hit",
    "Problem",
    "Query",
    "Reply",
    "Rules",
    "Source",
    "Status",
    "Step",
    "Thresholds",
    "build_engine",
    "decide",
    "default_data_dir",
    "engine_for",
    "load_corpus",
    "load_rules",
    "to_html",
    "to_text",
]
