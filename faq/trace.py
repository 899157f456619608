"""The trace each answer carries: one line per stage, as `--explain` and `--json` show it."""

from __future__ import annotations

from faq.model import Step
from faq.query import Query
from faq.ranking import Ranking
from faq.scope import Verdict
from faq.triage import Assessment


def scope_step(query: Query, verdict: Verdict | None) -> Step:
    """Give the scope stage's line of the trace: no words, in scope, or the rule that decided."""
    if query.empty:
        return Step("scope", "no words")
    return Step("scope", f"{verdict.kind}: {verdict.rule}" if verdict else "in scope")


def query_step(query: Query) -> Step:
    """Give the query stage's line of the trace: its terms, typos corrected, and its language."""
    fixes = ", ".join(f"{typo} → {fixed}" for typo, fixed in query.analysis.corrections)
    terms = " ".join(query.terms) or "(none)"
    foreign = "; mostly not English" if query.foreign else ""
    fixed = f"; typos corrected: {fixes}" if fixes else ""
    return Step("query", f"terms: {terms}{fixed}{foreign}")


def triage_step(assessment: Assessment, foreign: bool = False) -> Step:
    """Give the triage stage's line of the trace: the flag, the cautions and the safety net
    (given to symptoms that may be happening now, to a message in another language and to a
    question that names an emergency's signs)."""
    flag = assessment.flag
    found = (
        f"red flag: {flag.category.id} ({flag.tier}) by the {flag.layer} layer, "
        f"{flag.rule}, score {flag.score:.2f}"
        + (f"; concern named by the detector, score {flag.named:.2f}" if flag.named else "")
        + (f"; raised from {flag.raised_from} by its context" if flag.raised_from else "")
        if flag
        else "no red flag"
    )
    also = assessment.also
    if also:
        found += f"; also {also.category.id} ({also.tier}) by the {also.layer} layer, {also.rule}"
        found += f", score {also.score:.2f}"
    cautions = ", ".join(assessment.caution_ids) or "none"
    why = "a message in another language" if foreign else "symptoms now"
    if assessment.asked_rule:
        why = f"a question naming the signs of rule {assessment.asked_rule}"
    net = f"; safety net: {why}" if assessment.symptoms_now else ""
    if assessment.net_rule:
        net += f" (rule {assessment.net_rule}, not confirmed by the detector)"
    return Step("triage", f"{found}; cautions: {cautions}{net}")


def ranking_step(ranking: Ranking) -> Step:
    """Give the ranking stage's line of the trace: the top entry, its confidence and margin."""
    top = ranking.hits[0].entry_id if ranking.hits else "-"
    topics = ranking.topics
    head = (
        f"; topic head {topics.top:.3f} for it, outside {topics.outside:.3f}"
        + ("" if topics.agree else ", prefers another entry")
        if topics
        else ""
    )
    return Step(
        "ranking",
        f"top {top}; confidence {ranking.confidence:.3f}, margin {ranking.margin:.3f}"
        + (", exact phrasing" if ranking.exact else "")
        + head,
    )
