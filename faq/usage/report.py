"""The maintainers' report: what goes unanswered, which entries disappoint, how often each answers.

Pure functions over a ``StoreSnapshot``; ``magbot report`` prints the result as a table or
JSON (faq.usage.report_format).

Grouping of unanswered questions (unsure + out of scope), deterministic and simple:
questions equal after case-folding and collapsing spaces count as one question, shown in its
most frequent spelling. Distinct questions are taken most frequent first (ties alphabetically);
each joins the first group whose seed (its first, most frequent question) has key terms with a
Jaccard similarity of at least ``JACCARD_THRESHOLD``, else it seeds a new group. Comparing with
the seed rather than the whole group keeps groups from drifting along chains of questions.
A group's shared terms are the terms found in more than half of its questions (weighted by
count), most common first.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import date, datetime

from faq.model import Status
from faq.usage.store import FeedbackRow, StoreSnapshot

JACCARD_THRESHOLD = 0.5


@dataclass(frozen=True)
class QuestionGroup:
    """Unanswered questions that share most of their key terms."""

    representative: str
    count: int
    shared_terms: tuple[str, ...]
    questions: tuple[str, ...]


@dataclass(frozen=True)
class EntryFeedback:
    """The 👍 and 👎 counts of one entry."""

    entry_id: str
    helpful: int
    unhelpful: int


@dataclass(frozen=True)
class EntryAnswers:
    """How many times one entry was given as the answer."""

    entry_id: str
    answers: int


@dataclass(frozen=True)
class PeriodRates:
    """Query outcomes in one ISO week (``2025-W03``)."""

    period: str
    queries: int
    unsure: int
    out_of_scope: int
    red_flags: int

    @property
    def unsure_rate(self) -> float:
        """Share of the week's stored queries that were unsure."""
        return self.unsure / self.queries if self.queries else 0.0

    @property
    def out_of_scope_rate(self) -> float:
        """Share of the week's stored queries that were out of scope."""
        return self.out_of_scope / self.queries if self.queries else 0.0


@dataclass(frozen=True)
class Totals:
    """Counts over the whole report; red flags are not among the stored queries."""

    queries: int
    answered: int
    unsure: int
    out_of_scope: int
    chitchat: int
    red_flags: int
    helpful: int
    unhelpful: int


@dataclass(frozen=True)
class UsageReport:
    """Everything ``magbot report`` shows."""

    since: datetime | None
    totals: Totals
    unanswered: tuple[QuestionGroup, ...]
    feedback: tuple[EntryFeedback, ...]
    answers: tuple[EntryAnswers, ...]
    periods: tuple[PeriodRates, ...]


def build_report(
    snapshot: StoreSnapshot, *, key_terms: Callable[[str], list[str]], top: int = 10
) -> UsageReport:
    """Aggregate a snapshot; ``top`` limits the question groups and the 👎 table."""
    unanswered = [
        q.question
        for q in snapshot.queries
        if q.question and q.status in (Status.UNSURE, Status.OUT_OF_SCOPE)
    ]
    return UsageReport(
        since=snapshot.since,
        totals=_totals(snapshot),
        unanswered=group_questions(unanswered, key_terms=key_terms)[:top],
        feedback=_feedback(snapshot)[:top],
        answers=_answers(snapshot),
        periods=_periods(snapshot),
    )


def group_questions(
    questions: Iterable[str], *, key_terms: Callable[[str], list[str]]
) -> tuple[QuestionGroup, ...]:
    """Group questions whose key terms overlap strongly, largest group first."""
    spellings: dict[str, Counter[str]] = defaultdict(Counter)
    for question in questions:
        text = " ".join(question.split())
        spellings[text.casefold()][text] += 1
    counts = {key: sum(seen.values()) for key, seen in spellings.items()}
    spelling = {key: _usual_spelling(seen) for key, seen in spellings.items()}
    seeds: list[frozenset[str]] = []
    members: list[list[str]] = []
    for key in sorted(counts, key=lambda k: (-counts[k], k)):
        terms = frozenset(key_terms(spelling[key]))
        index = next(
            (i for i, s in enumerate(seeds) if _jaccard(s, terms) >= JACCARD_THRESHOLD), None
        )
        if index is None:
            seeds.append(terms)
            members.append([key])
        else:
            members[index].append(key)
    groups = [_group(keys, counts, spelling, key_terms) for keys in members]
    return tuple(sorted(groups, key=lambda g: (-g.count, g.representative)))


def _jaccard(a: frozenset[str], b: frozenset[str]) -> float:
    # Two questions without key terms are not similar: only identical text merges them.
    union = a | b
    return len(a & b) / len(union) if union else 0.0


def _group(
    keys: list[str],
    counts: dict[str, int],
    spelling: dict[str, str],
    key_terms: Callable[[str], list[str]],
) -> QuestionGroup:
    total = sum(counts[k] for k in keys)
    term_weight: Counter[str] = Counter()
    for key in keys:
        for term in set(key_terms(spelling[key])):
            term_weight[term] += counts[key]
    shared = sorted(
        (t for t, w in term_weight.items() if 2 * w > total), key=lambda t: (-term_weight[t], t)
    )
    return QuestionGroup(
        representative=spelling[keys[0]],
        count=total,
        shared_terms=tuple(shared),
        questions=tuple(spelling[k] for k in keys),
    )


def _usual_spelling(seen: Counter[str]) -> str:
    # The most frequent spelling, ties alphabetically: the same rows always give the same text.
    return min(seen, key=lambda text: (-seen[text], text))


def counted_votes(feedback: Iterable[FeedbackRow]) -> tuple[FeedbackRow, ...]:
    """Give the votes that count: of the votes on one answer and entry, only the latest.

    The store keeps one vote per answer since schema 3; this also holds for a database that
    an older bot wrote and `magbot report` reads without migrating. Votes without a query id
    (from before votes were linked) cannot be told apart and all count.
    """
    latest: dict[tuple[int, str], FeedbackRow] = {}
    unlinked: list[FeedbackRow] = []
    for vote in feedback:  # oldest first: a later vote replaces an earlier one
        if vote.query_id is None:
            unlinked.append(vote)
        else:
            latest.pop((vote.query_id, vote.entry_id), None)
            latest[vote.query_id, vote.entry_id] = vote
    return tuple(sorted([*unlinked, *latest.values()], key=lambda v: v.at))


def _totals(snapshot: StoreSnapshot) -> Totals:
    statuses = Counter(q.status for q in snapshot.queries)
    votes = counted_votes(snapshot.feedback)
    helpful = sum(1 for f in votes if f.helpful)
    return Totals(
        queries=len(snapshot.queries),
        answered=statuses[Status.ANSWERED],
        unsure=statuses[Status.UNSURE],
        out_of_scope=statuses[Status.OUT_OF_SCOPE],
        chitchat=statuses[Status.CHITCHAT],
        red_flags=sum(day.count for day in snapshot.red_flags),
        helpful=helpful,
        unhelpful=len(votes) - helpful,
    )


def _feedback(snapshot: StoreSnapshot) -> tuple[EntryFeedback, ...]:
    votes = counted_votes(snapshot.feedback)
    up = Counter(f.entry_id for f in votes if f.helpful)
    down = Counter(f.entry_id for f in votes if not f.helpful)
    rows = [EntryFeedback(entry, up[entry], n) for entry, n in down.items()]
    return tuple(sorted(rows, key=lambda r: (-r.unhelpful, r.helpful, r.entry_id)))


def _answers(snapshot: StoreSnapshot) -> tuple[EntryAnswers, ...]:
    counts = Counter(
        q.entry_id for q in snapshot.queries if q.status is Status.ANSWERED and q.entry_id
    )
    return tuple(EntryAnswers(e, n) for e, n in sorted(counts.items(), key=lambda i: (-i[1], i[0])))


def _periods(snapshot: StoreSnapshot) -> tuple[PeriodRates, ...]:
    queries = Counter(_iso_week(q.at.date()) for q in snapshot.queries)
    outcomes = Counter((_iso_week(q.at.date()), q.status) for q in snapshot.queries)
    flags: Counter[str] = Counter()
    for day in snapshot.red_flags:
        flags[_iso_week(day.day)] += day.count
    return tuple(
        PeriodRates(
            period=week,
            queries=queries[week],
            unsure=outcomes[week, Status.UNSURE],
            out_of_scope=outcomes[week, Status.OUT_OF_SCOPE],
            red_flags=flags[week],
        )
        for week in sorted(set(queries) | set(flags))
    )


def _iso_week(day: date) -> str:
    year, week, _ = day.isocalendar()
    return f"{year}-W{week:02d}"
