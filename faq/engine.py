"""The engine: question → safety → scope → BM25 hits → decision → Answer."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from pathlib import Path

from faq import reply
from faq.corpus import load_corpus
from faq.index import Document, Index, TermScore
from faq.model import Answer, Entry, Hit, Status
from faq.rules import load_data
from faq.safety import Safety
from faq.scope import Scope
from faq.text import Analysis, Analyzer, split_words

MAX_QUERY_CHARS = 2000
CANDIDATES = 5
SUGGESTIONS = 3


@dataclass(frozen=True)
class Thresholds:
    """Where confidence ends: fitted on the tuning set (faq/data/thresholds.yaml)."""

    answer_confidence: float
    answer_margin: float
    unsure_confidence: float

    @classmethod
    def load(cls) -> Thresholds:
        """Give the thresholds shipped with the package."""
        data = load_data("thresholds.yaml")
        return cls(**{key: float(data[key]) for key in cls.__dataclass_fields__})


def decide(confidence: float, margin: float, thresholds: Thresholds) -> Status:
    """Give answered, unsure or out_of_scope for a normalised score and its margin."""
    if confidence >= thresholds.answer_confidence and margin >= thresholds.answer_margin:
        return Status.ANSWERED
    if confidence >= thresholds.unsure_confidence:
        return Status.UNSURE
    return Status.OUT_OF_SCOPE


@dataclass(frozen=True)
class Explanation:
    """Which query terms matched which entries, and what each added."""

    analysis: Analysis
    answer: Answer
    contributions: tuple[TermScore, ...]


class Engine:
    """Answers questions from a corpus; build it once and share it."""

    def __init__(
        self,
        entries: Sequence[Entry],
        analyzer: Analyzer | None = None,
        thresholds: Thresholds | None = None,
    ) -> None:
        self.entries = tuple(entries)
        self._by_id = {entry.id: entry for entry in self.entries}
        self.safety = Safety.load()
        self.scope = Scope.load()
        self.thresholds = thresholds or Thresholds.load()
        base = analyzer or default_analyzer()
        trusted = self.safety.vocabulary() | self.scope.vocabulary()
        self.analyzer = base.with_vocabulary(trusted, _corpus_words(self.entries))
        self.index = Index([self._document(entry) for entry in self.entries])

    @classmethod
    def load(cls, directory: Path | None = None) -> Engine:
        """Give an engine over the entries in a directory (the shipped corpus by default)."""
        return cls(load_corpus(directory))

    def entry(self, entry_id: str) -> Entry | None:
        """Give the entry with this id, if there is one."""
        return self._by_id.get(entry_id)

    def answer(self, text: str) -> Answer:
        """Give the engine's answer to one message; emergencies are checked first."""
        return self._answer(text, self.analyzer.analyze(text[:MAX_QUERY_CHARS]))

    def _answer(self, text: str, analysis: Analysis) -> Answer:
        hits = tuple(self.index.search(analysis.terms, CANDIDATES))
        answer = self._decide(text, analysis, hits)
        if len(text) > MAX_QUERY_CHARS and answer.status is not Status.RED_FLAG:
            return self._noted(answer, reply.TRUNCATED_NOTE)
        return answer

    def _noted(self, answer: Answer, note: str) -> Answer:
        """Give the answer with a note ahead of its cautions."""
        noted = replace(answer.reply, cautions=(note, *answer.reply.cautions))
        return replace(answer, reply=noted)

    def _decide(self, text: str, analysis: Analysis, hits: tuple[Hit, ...]) -> Answer:
        normalised = analysis.text
        if not analysis.words:
            empty = reply.declined(self.scope.covers, reply.EMPTY_LEAD)
            return Answer(text, Status.OUT_OF_SCOPE, empty, candidates=hits)
        flag = self.safety.red_flag(normalised)
        if flag is not None:
            urgent = reply.urgent(flag.message)
            return Answer(text, Status.RED_FLAG, urgent, candidates=hits, flags=(flag.rule,))
        small_talk = self.scope.chitchat(normalised)
        if small_talk is not None:
            return Answer(text, Status.CHITCHAT, reply.message(small_talk.message), candidates=hits)
        off_topic = self.scope.off_topic(normalised)
        if off_topic is not None:
            declined = reply.declined(off_topic.message)
            return Answer(
                text, Status.OUT_OF_SCOPE, declined, candidates=hits, flags=(off_topic.rule,)
            )
        return self._ranked(text, analysis, hits)

    def answer_entry(self, entry_id: str, query: str = "") -> Answer | None:
        """Give the answer for one entry, as when a person picks it from a list."""
        entry = self.entry(entry_id)
        if entry is None:
            return None
        cautions = self.safety.cautions(" ".join(split_words(query)))
        return Answer(query, Status.ANSWERED, reply.answered(entry, cautions), entry=entry)

    def search(self, text: str, k: int = CANDIDATES) -> list[Hit]:
        """Give the k best entries for a text, best first, with no decision applied."""
        return self.index.search(self.analyzer.analyze(text[:MAX_QUERY_CHARS]).terms, k)

    def explain(self, text: str) -> Explanation:
        """Give the answer together with each query term's BM25 contribution per candidate."""
        analysis = self.analyzer.analyze(text[:MAX_QUERY_CHARS])
        answer = self._answer(text, analysis)
        ids = [hit.entry_id for hit in answer.candidates]
        return Explanation(analysis, answer, tuple(self.index.contributions(analysis.terms, ids)))

    def _ranked(self, text: str, analysis: Analysis, hits: tuple[Hit, ...]) -> Answer:
        top = hits[0].score if hits else 0.0
        second = hits[1].score if len(hits) > 1 else 0.0
        ideal = self.index.ideal(analysis.terms, self._unknown_weights(analysis))
        confidence = top / ideal if ideal > 0 else 0.0
        margin = (top - second) / top if top > 0 else 0.0
        status = decide(confidence, margin, self.thresholds)
        if hits and self.index.exact(analysis.terms) == hits[0].entry_id:
            status = Status.ANSWERED  # word for word a phrasing the maintainers wrote for it
        cautions = self.safety.cautions(analysis.text)
        declined = reply.declined(self.scope.covers, cautions=cautions)
        scored = Answer(text, status, declined, None, top, confidence, margin, hits)
        if status is Status.ANSWERED:
            best = self._by_id[hits[0].entry_id]
            return replace(scored, reply=reply.answered(best, cautions), entry=best)
        if status is Status.UNSURE:
            offered = tuple(self._by_id[hit.entry_id] for hit in hits[:SUGGESTIONS])
            unsure = reply.unsure(offered, cautions)
            return replace(scored, reply=unsure, entry=offered[0], suggested=offered)
        return scored

    def _unknown_weights(self, analysis: Analysis) -> dict[str, float]:
        """Everyday words count less against a question that is clearly about cramps."""
        if not self.scope.anchored(analysis.terms):
            return {}
        return analysis.topicality()

    def _document(self, entry: Entry) -> Document:
        phrasings = tuple(self.analyzer.terms(p) for p in (entry.question, *entry.alternates))
        tags = self.analyzer.terms(" ".join(entry.tags))
        return Document(entry.id, phrasings, self.analyzer.terms(entry.answer), tags)


def default_analyzer() -> Analyzer:
    """Give the analyzer built from the shipped synonyms and stop words."""
    synonyms = load_data("synonyms.yaml")["phrases"]
    stopwords = load_data("stopwords.yaml")["words"]
    return Analyzer({str(k): str(v) for k, v in synonyms.items()}, map(str, stopwords))


def _corpus_words(entries: Sequence[Entry]) -> list[str]:
    return [
        word
        for entry in entries
        for text in (entry.question, *entry.alternates, *entry.tags, entry.answer)
        for word in split_words(text)
    ]
