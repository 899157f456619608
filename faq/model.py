"""The small typed values that flow through the engine: entries, hits, answers."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, HttpUrl, StrictStr

MAX_ANSWER_CHARS = 1200
MIN_ALTERNATES = 5
ID_PATTERN = r"^[a-z0-9]+(?:-[a-z0-9]+)*$"
# The topics the corpus must always answer, one entry each (docs/topics.md).
REQUIRED_IDS = (
    "best-form",
    "onset-time",
    "pregnancy",
    "magnesium-oil",
    "overdose",
    "dosage",
    "side-effects",
    "interactions",
    "kidney",
    "food-sources",
    "causes",
    "deficiency",
    "see-doctor",
    "when-to-take",
    "potassium",
    "quinine",
    "restless-legs",
    "exercise",
    "night-cramps",
    "children",
    "testing",
    "stop-cramp-now",
    "does-it-work",
    "breastfeeding",
    "elderly",
)


class Status(StrEnum):
    """What the engine decided to do with a message."""

    ANSWERED = "answered"
    UNSURE = "unsure"
    OUT_OF_SCOPE = "out_of_scope"
    CHITCHAT = "chitchat"
    RED_FLAG = "red_flag"


class Source(BaseModel):
    """An authoritative source an entry rests on."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    name: StrictStr = Field(min_length=3)
    url: HttpUrl


class Evidence(BaseModel):
    """How strong the evidence is for a claim that something works."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    level: Literal["high", "moderate", "low", "very-low"]
    note: StrictStr = Field(min_length=10)


class Entry(BaseModel):
    """One FAQ entry: front matter plus the Markdown answer."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    id: StrictStr = Field(pattern=ID_PATTERN)
    question: StrictStr = Field(min_length=5)
    alternates: tuple[StrictStr, ...] = Field(min_length=MIN_ALTERNATES)
    sources: tuple[Source, ...] = Field(min_length=1)
    reviewed: dt.date
    related: tuple[StrictStr, ...] = ()
    tags: tuple[StrictStr, ...] = ()
    evidence: Evidence | None = None
    answer: StrictStr = Field(min_length=20, max_length=MAX_ANSWER_CHARS)


@dataclass(frozen=True)
class Hit:
    """One ranked entry for a query: the fused score and its lexical and semantic parts."""

    entry_id: str
    score: float
    lexical: float = 0.0  # BM25 over the ideal score of the query's terms
    semantic: float = 0.0  # best cosine over the entry's phrasings (0 when the layer is off)
    topic: float | None = None  # the topic head's probability of the entry (None: not read)


@dataclass(frozen=True)
class Reply:
    """The parts of a reply, before rendering to plain text or Telegram HTML."""

    body: str
    evidence: Evidence | None = None
    sources: tuple[Source, ...] = ()
    cautions: tuple[str, ...] = ()
    suggestions: tuple[str, ...] = ()
    disclaimer: str = ""


@dataclass(frozen=True)
class Step:
    """What one stage of the pipeline decided, for `--explain`."""

    stage: str
    verdict: str


@dataclass(frozen=True)
class Answer:
    """What the engine gives back for one message."""

    query: str
    status: Status
    reply: Reply
    entry: Entry | None = None
    score: float = 0.0
    confidence: float = 0.0
    margin: float = 0.0
    candidates: tuple[Hit, ...] = ()
    suggested: tuple[Entry, ...] = field(default=())
    flags: tuple[str, ...] = ()
    category: str = ""  # the triage category of a red flag
    tier: str = ""  # its tier: emergency, urgent, poison or crisis
    also: str = ""  # a second concern's category, of the other kind (a crisis, or not)
    also_tier: str = ""  # its tier
    trace: tuple[Step, ...] = ()
    carry: str = ""  # what a button press must keep of the question (cautions, safety net)
