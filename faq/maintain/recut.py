"""Choose where the decision answers when every reading agrees, on sets its model never saw.

Usage: python -m faq.maintain.recut [--write]

The decision model (decision.yaml) is fitted on the tuning sets of fit_topics.TUNING_SETS, and
its cuts are chosen on the same questions, where its probabilities run high. On the sets read
since, written by other people in other voices, it is unsure of many questions whose first
entry is right, above all where BM25, the embedding and the topic head rank the same entry
first. This keeps the model, its fusion weights and both cuts, and chooses a lower answer cut
for those agreed rankings (`agreed_answer_at`, between the offer and the answer cut) by the
fit's own utility on these calibration sets; leaving each set out in turn shows what the
choice does on a set it was not chosen on. The twin without the topic head is left as fitted.
Run it after every `python -m faq.maintain.fit --write`. Locked held-out sets are never read.
"""

from __future__ import annotations

import argparse
import re
import sys
from dataclasses import dataclass, replace

import numpy as np

from faq.build import default_data_dir, engine_for, load_rules
from faq.corpus import load_corpus
from faq.decision import DecisionModel, decide
from faq.engine import Engine
from faq.maintain import evaluate
from faq.maintain.fit_decision import CUTS, Point, collect, judged, utility
from faq.maintain.fit_topics import ROOT
from faq.model import Status
from faq.ranking import Ranking

#: Read FAQ sets the shipped decision model was not fitted on. dev25 (read once, for a verdict)
#: is kept out so that the shipped cut is the one heldout23 judged; it joins at the next recut.
CALIBRATION_SETS = [
    ROOT / "tests" / "eval" / name
    for name in (
        *(f"dev{k}.tsv" for k in range(9, 25)),
        "questions.tsv",
        "blind.tsv",
    )
]


@dataclass(frozen=True)
class Scored:
    """The calibration questions as one model ranks them, with what a right decision needs."""

    rankings: list[Ranking]
    sets: np.ndarray  # the set each question came from
    right: np.ndarray  # in scope and ranked first
    offered: np.ndarray  # in scope and among the three offered
    inside: np.ndarray  # in scope

    def statuses(self, model: DecisionModel) -> tuple[np.ndarray, np.ndarray]:
        """Give (answered, unsure) for each question, decided as the engine decides."""
        decided = [decide(ranking, model) for ranking in self.rankings]
        return (
            np.array([s is Status.ANSWERED for s in decided]),
            np.array([s is Status.UNSURE for s in decided]),
        )

    def worth(self, answered: np.ndarray, unsure: np.ndarray, keep: np.ndarray) -> float | None:
        """Give the fit's utility of these decisions over the kept rows (None: too many wrong)."""
        return utility(
            answered[keep], unsure[keep], self.right[keep], self.offered[keep], self.inside[keep]
        )


def score(engine: Engine, model: DecisionModel, points: list[Point], sets: list[str]) -> Scored:
    """Give the points ranked as `model` ranks them, with the topic head's scores."""
    rankings, right, offered = [], [], []
    for pt in points:
        topics = engine.ranker.topic_scores(pt.query)
        ranking = engine.ranker.ranking(pt.query, pt.lexical, pt.semantic, topics, 5, model.fusion)
        first, among = judged(pt, ranking)
        rankings.append(ranking)
        right.append(first)
        offered.append(among)
    inside = np.array([pt.in_scope for pt in points])
    return Scored(rankings, np.array(sets), np.array(right), np.array(offered), inside)


def agreed_cut(model: DecisionModel, scored: Scored, keep: np.ndarray) -> float:
    """Give the agreed rankings' answer cut of the best utility on the kept rows.

    It lies between the offer cut and the answer cut, so no question moves between declined
    and offered: hit@1 and out of scope declined stay as they were. Of cuts worth the same,
    the highest (the most cautious) is chosen.
    """
    best: tuple[float, float] | None = None
    for cut in sorted((c for c in CUTS if model.unsure_at <= c <= model.answer_at), reverse=True):
        total = scored.worth(*scored.statuses(replace(model, agreed_answer_at=cut)), keep)
        if total is not None and (best is None or round(total, 6) > best[0]):
            best = (round(total, 6), cut)
    return best[1] if best else model.answer_at


def _figures(scored: Scored, answered: np.ndarray, unsure: np.ndarray) -> str:
    """Give answered right, answered wrong and out-of-scope answered, as rates, in a line."""
    inside, right = scored.inside, scored.right
    return (
        f"answered right {(answered & right)[inside].mean():.3f},"
        f" wrong {(answered & ~right)[inside].mean():.4f} ({(answered & ~right)[inside].sum()}),"
        f" out of scope answered {answered[~inside].mean():.4f};"
        f" {(answered | unsure).sum()} not declined (no answer cut moves this)"
    )


def _left_out(model: DecisionModel, scored: Scored) -> tuple[np.ndarray, np.ndarray]:
    """Give (answered, unsure) with each set decided by the cut chosen on the other sets."""
    answered = np.zeros(len(scored.rankings), dtype=bool)
    unsure = np.zeros_like(answered)
    for name in np.unique(scored.sets):
        held = scored.sets == name
        cut = agreed_cut(model, scored, ~held)
        a, u = scored.statuses(replace(model, agreed_answer_at=cut))
        answered[held], unsure[held] = a[held], u[held]
    return answered, unsure


def choose(engine: Engine, model: DecisionModel, points: list[Point], sets: list[str]) -> float:
    """Print what the fitted and the chosen cuts do, and give the cut chosen on every set."""
    scored = score(engine, model, points, sets)
    chosen = agreed_cut(model, scored, np.ones(len(points), dtype=bool))
    fitted = replace(model, agreed_answer_at=None)
    print(f"  as fitted, answer at {model.answer_at}: {_figures(scored, *scored.statuses(fitted))}")
    print(f"  each set left out in turn: {_figures(scored, *_left_out(model, scored))}")
    print(f"  chosen on every set: answer agreed rankings at {chosen}")
    return chosen


def rewrite(text: str, cut: float, count: int) -> str:
    """Give decision.yaml's text with the agreed rankings' answer cut set and described.

    Raises ValueError when the text has no top-level answer_at or no "Do not edit" line.
    """
    text = re.sub(r"^agreed_answer_at: .*\n", "", text, flags=re.M)
    text = re.sub(r"^# agreed_answer_at chosen.*\n#.*\n", "", text, flags=re.M)
    text, found = re.subn(
        r"^(answer_at: .*\n)", rf"\1agreed_answer_at: {cut}\n", text, count=1, flags=re.M
    )
    marker = "# Do not edit by hand."
    if not found or marker not in text:
        raise ValueError("not a decision.yaml written by `python -m faq.maintain.fit --write`")
    note = (
        "# agreed_answer_at chosen by `python -m faq.maintain.recut --write` on"
        f" {count} ranked questions\n# of read sets the model was not fitted on.\n"
    )
    return text.replace(marker, note + marker, 1)


def main() -> int:
    """Choose the agreed rankings' answer cut on the calibration sets; --write stores it."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--write", action="store_true", help="write decision.yaml's agreed_answer_at"
    )
    args = parser.parse_args()
    engine = engine_for(load_corpus(), load_rules(), semantic=True, detector=False)
    model = engine.policy
    head = engine.ranker.topic_head
    if not isinstance(model, DecisionModel) or not head or not head.fits(engine.ranker.index.ids):
        print("the decision model reads no topic head that fits the corpus; refit it first")
        return 1
    points: list[Point] = []
    sets: list[str] = []
    for path in CALIBRATION_SETS:
        found = collect(engine, evaluate.read_examples(path))
        points += found
        sets += [path.name] * len(found)
    print(f"{len(points)} ranked questions of {len(CALIBRATION_SETS)} calibration sets")
    cut = choose(engine, model, points, sets)
    if args.write:
        target = default_data_dir() / "decision.yaml"
        text = target.read_text(encoding="utf-8")
        target.write_text(rewrite(text, cut, len(points)), encoding="utf-8")
        print(f"wrote {target}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
