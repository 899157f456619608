"""The engine: runs the stages in order, text → query → triage → scope → ranking → decision → reply.

Every way a person reaches an answer is an operation here (a typed question, a suggestion or
related question picked from buttons, an inline query), so the adapters decide nothing.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, replace
from pathlib import Path

from faq import reply
from faq.decision import DecisionModel, Policy, Thresholds, decision
from faq.index import TermScore
from faq.model import Answer, Entry, Status, Step
from faq.query import Query, analyse
from faq.ranking import Ranker, Ranking, SemanticIndex
from faq.scope import Scope, Verdict
from faq.semantic import Encoder
from faq.text import Analysis, Analyzer, split_words
from faq.topics import TopicHead
from faq.trace import query_step, ranking_step, scope_step, triage_step
from faq.triage import Assessment, Flag, Triage

SUGGESTIONS = 3
INLINE_RESULTS = 5


@dataclass(frozen=True)
class Semantic:
    """The semantic layer's parts: the encoder, where corpus vectors are cached, the fusion."""

    encoder: Encoder
    decision: DecisionModel
    cache: Path | None = None
    outside: tuple[str, ...] = ()  # out-of-scope examples to measure distance to
    topic_head: TopicHead | None = None


@dataclass(frozen=True)
class Explanation:
    """An answer with each query term's BM25 contribution per candidate."""

    query: Query
    answer: Answer
    contributions: tuple[TermScore, ...]


class Engine:
    """Answers messages from a corpus with the rules it is given; build it once and share it."""

    def __init__(
        self,
        entries: Sequence[Entry],
        triage: Triage,
        scope: Scope,
        analyzer: Analyzer,
        thresholds: Thresholds,
        semantic: Semantic | None = None,
    ) -> None:
        self.entries = tuple(entries)
        self._by_id = {entry.id: entry for entry in self.entries}
        self.triage = triage
        self.scope = scope
        self.thresholds = thresholds
        trusted = triage.vocabulary() | scope.vocabulary()
        cache = semantic.cache if semantic else None
        self.analyzer = analyzer.with_vocabulary(trusted, _corpus_words(self.entries), cache)
        self.encoder = semantic.encoder if semantic else None
        self.policy: Policy = semantic.decision if semantic else thresholds
        readings = _Readings(self.analyzer)  # each phrasing is read for BM25 and embedding
        index = (
            SemanticIndex(
                self.entries, semantic.encoder, semantic.cache, semantic.outside, readings.text
            )
            if semantic
            else None
        )
        fusion = semantic.decision.fusion if semantic else None
        head = semantic.topic_head if semantic else None
        self.ranker = Ranker(self.entries, readings, scope, index, fusion, head)
        self.analyzer.remember()  # the corpus and bank are read: messages are never stored

    def entry(self, entry_id: str) -> Entry | None:
        """Give the entry with this id, if there is one."""
        return self._by_id.get(entry_id)

    def analyse(self, text: str, embed: bool = True) -> Query:
        """Give the query stage's value for a message (`embed` off: not embedded for ranking)."""
        return analyse(text, self.analyzer, self.encoder, embed)

    def answer(self, text: str) -> Answer:
        """Give the answer to one message; emergencies are checked before anything else."""
        return self.run(self.analyse(text))

    def run(self, query: Query) -> Answer:
        """Give the answer to an analysed message, running every stage in order.

        Every stage runs (the candidates stay visible to maintainers); the decision then
        takes the first verdict that applies: an emergency, no words, small talk or out of
        scope by rule, and only then the ranking's confidence.
        """
        assessment = self.triage.assess(query)
        verdict = None if query.empty else self.scope.verdict(query.normalised)
        ranking = self.ranker.rank(query)
        steps = (
            query_step(query),
            triage_step(assessment, query.foreign),
            scope_step(query, verdict),
            ranking_step(ranking),
        )
        if assessment.flag is not None:
            return self._flagged(query, assessment.flag, assessment.also, ranking, steps)
        if query.empty or verdict is not None:
            return self._declined(query, assessment, verdict, ranking, steps)
        decided = decision(ranking, self.policy)
        trace = (*steps, Step("decision", f"{decided.status.value}: {decided.why}"))
        return self._noted(query, self._ranked(query, assessment, ranking, decided.status, trace))

    def urgent(self, text: str) -> Answer | None:
        """Give the emergency reply when triage finds one in the message, else None.

        For a message the bot will not answer in full (a person over the rate limit): every
        triage layer runs (the rules and the learned detector), scope and ranking do not, nor
        is the message embedded for ranking: the same flag as answer() gives, sooner.
        """
        query = self.analyse(text, embed=False)
        assessment = self.triage.assess(query)
        if assessment.flag is None:
            return None
        steps = (query_step(query), triage_step(assessment, query.foreign))
        return self._flagged(query, assessment.flag, assessment.also, Ranking(hits=()), steps)

    def follow(self, entry_id: str, carry: str = "") -> Answer | None:
        """Give an entry picked from a button, with the cautions its question carried."""
        entry = self.entry(entry_id)
        if entry is None:
            return None
        cautions = self.triage.restore(carry)
        step = Step("button", f"{entry_id}, lines carried: {len(cautions)}")
        body = reply.answered(entry, cautions)
        return Answer(entry.question, Status.ANSWERED, body, entry, trace=(step,), carry=carry)

    def inline(self, text: str, k: int = INLINE_RESULTS) -> tuple[Answer, ...]:
        """Give inline-mode results: one reply when it is not an FAQ, else the k best entries."""
        if not text.strip():
            return tuple(a for e in self.popular(k) if (a := self.follow(e.id)) is not None)
        answer = self.answer(text)
        if answer.status in (Status.RED_FLAG, Status.CHITCHAT, Status.OUT_OF_SCOPE):
            return (answer,)
        ids = [hit.entry_id for hit in answer.candidates if hit.score > 0][:k]
        picked = (self.follow(entry_id, answer.carry) for entry_id in ids)
        return tuple(a for a in picked if a is not None)

    def popular(self, k: int = INLINE_RESULTS) -> list[Entry]:
        """Give the k entries most often pointed to as related: the corpus's hubs."""
        counts = Counter(target for entry in self.entries for target in entry.related)
        return sorted(self.entries, key=lambda e: (-counts[e.id], e.id))[:k]

    def explain(self, text: str) -> Explanation:
        """Give the answer with each query term's BM25 contribution per candidate."""
        query = self.analyse(text)
        answer = self.run(query)
        ids = [hit.entry_id for hit in answer.candidates]
        return Explanation(query, answer, tuple(self.ranker.contributions(query, ids)))

    def _flagged(
        self,
        query: Query,
        flag: Flag,
        also: Flag | None,
        ranking: Ranking,
        steps: tuple[Step, ...],
    ) -> Answer:
        second = f" with a second concern's ({also.tier})" if also else ""
        decision = f"red flag: the {flag.tier} reply{second}, nothing else"
        return Answer(
            query.text,
            Status.RED_FLAG,
            reply.urgent(flag.category.reply(also.category if also else None)),
            candidates=ranking.hits,
            flags=(flag.rule, also.rule) if also else (flag.rule,),
            category=flag.category.id,
            tier=flag.tier,
            also=also.category.id if also else "",
            also_tier=also.tier if also else "",
            trace=(*steps, Step("decision", decision)),
        )

    def _declined(
        self,
        query: Query,
        assessment: Assessment,
        verdict: Verdict | None,
        ranking: Ranking,
        steps: tuple[Step, ...],
    ) -> Answer:
        lines = self.triage.lines(assessment)
        if verdict is None:
            body = reply.declined(self.scope.covers, reply.EMPTY_LEAD, lines)
            status, flags = Status.OUT_OF_SCOPE, tuple[str, ...]()
        elif verdict.chitchat:
            body = replace(reply.message(verdict.message), cautions=lines)
            status, flags = Status.CHITCHAT, (verdict.rule,)
        else:
            body = reply.declined(verdict.message, cautions=lines)
            status, flags = Status.OUT_OF_SCOPE, (verdict.rule,)
        trace = (*steps, Step("decision", f"{status.value} by the scope stage"))
        return Answer(query.text, status, body, candidates=ranking.hits, flags=flags, trace=trace)

    def _ranked(
        self,
        query: Query,
        assessment: Assessment,
        ranking: Ranking,
        status: Status,
        steps: tuple[Step, ...],
    ) -> Answer:
        cautions = self.triage.lines(assessment)
        scored = Answer(
            query.text,
            status,
            reply.declined(self.scope.covers, _lead(query), cautions),
            score=ranking.score,
            confidence=ranking.confidence,
            margin=ranking.margin,
            candidates=ranking.hits,
            trace=steps,
            carry=self.triage.carry(assessment),
        )
        if status is Status.ANSWERED:
            best = self._by_id[ranking.hits[0].entry_id]
            return replace(scored, reply=reply.answered(best, cautions), entry=best)
        if status is Status.UNSURE:
            offered = tuple(self._by_id[hit.entry_id] for hit in ranking.hits[:SUGGESTIONS])
            unsure = reply.unsure(offered, cautions)
            return replace(scored, reply=unsure, entry=offered[0], suggested=offered)
        return scored

    def _noted(self, query: Query, answer: Answer) -> Answer:
        """Give the answer with a note that only the beginning of a long message was read."""
        if not query.truncated:
            return answer
        noted = replace(answer.reply, cautions=(reply.TRUNCATED_NOTE, *answer.reply.cautions))
        return replace(answer, reply=noted)


class _Readings:
    """The analyzer's reading of each corpus text, made once for the whole build."""

    def __init__(self, analyzer: Analyzer) -> None:
        self._analyzer = analyzer
        self._seen: dict[str, Analysis] = {}

    def analyze(self, text: str) -> Analysis:
        """Give the analyzer's reading of a text, read once however often it is asked for."""
        found = self._seen.get(text)
        if found is None:
            found = self._seen[text] = self._analyzer.analyze(text)
        return found

    def terms(self, text: str) -> tuple[str, ...]:
        """Give the BM25 terms of a text."""
        return self.analyze(text).terms

    def text(self, text: str) -> str:
        """Give the normalised, typo-corrected text, as queries are embedded."""
        return self.analyze(text).text


def _lead(query: Query) -> str:
    return reply.FOREIGN_LEAD if query.foreign else reply.OUT_OF_SCOPE_LEAD


def _corpus_words(entries: Sequence[Entry]) -> list[str]:
    return [
        word
        for entry in entries
        for text in (entry.question, *entry.alternates, *entry.tags, entry.answer)
        for word in split_words(text)
    ]
