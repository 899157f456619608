"""What the triage detector is fitted on, how its thresholds are chosen, and how CV is reported.

The fitting itself needs torch and runs in a separate environment: scripts/fit_detector.py.
Positives are the exemplar bank's lay phrasings of the 26 categories and the emergencies of
the triage tuning sets (held-out sets 1-9 until session 23, whose false alarms had been
read); negatives are the hard negatives of both, every corpus phrasing, every tuning question
not labelled red-flag and the out-of-scope bank. k-fold cross-validation gives every message
a probability of "an emergency" from a model not trained on it, read as triage reads it (the
whole message and its sentence windows). The flag threshold is the highest that keeps
cross-validated recall, with the rules, at FIT_RECALL and the detector's own recall at
DETECTOR_TARGET (many rules were written from the bank's rows, so their recall there is not
cross-validated: the detector must not lean on it); the safety-net threshold the highest at
which the detector alone gives NET_TARGET of the emergencies the net (a message between the
two gets the "if this is happening now" line, not the emergency reply), and a likely crisis
is flagged from the net's threshold (faq.triage.assess.flag_threshold). Training, never the
scoring, adds a variant of about half the bank's messages: a plea, a cramp beside it (see
`augmented`). The locked held-out sets (tests/eval/heldout*.tsv, and triage-heldout10.tsv
onwards) are never read here.
"""

from __future__ import annotations

import math
import zlib
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from faq.engine import Engine
from faq.maintain import evaluate
from faq.maintain.evaluate import read_examples
from faq.maintain.fit_topics import ROOT, topic_rows
from faq.query import Query, analyse
from faq.triage.assess import CONFIRM_AT, flag_threshold
from faq.triage.detector import NONE

#: What the flag threshold is fitted to in cross-validation: the held-out target (0.97) and a
#: margin, since recall fitted to exactly 0.97 on the bank falls below it on new writers
#: (on triage-dev1.tsv, written later: 0.960 at 0.985, 0.967 at 0.988, 0.987 at 0.99, with
#: the same false alarms there; 0.988 keeps hard negatives' CV false alarms at 2.6%)
FIT_RECALL = 0.988
DETECTOR_TARGET = 0.92  # the detector alone, whatever the rules catch
NET_TARGET = 0.99
#: The triage held-out sets whose false alarms were read (sessions 14-20), fitted on since
#: session 23, so the held-out figures rest on the sets written after them; and the triage
#: tuning set written in session 25 (emergencies and ordinary messages that trip the rules),
#: fitted on since session 26.
TRIAGE_TUNING_SETS = [
    ROOT / "tests" / "eval" / f"triage-heldout{k}.tsv" for k in ("", *map(str, range(2, 10)))
] + [ROOT / "tests" / "eval" / "triage-dev1.tsv"]
#: Triage tuning sets written after the detector was fitted (sessions 26-70): read freely, by
#: rulediff and to choose which rules flag beside the detector; fitted on at the detector's
#: next refit (adding them here now would change the fitting rows). triage-dev14 and each set
#: from dev17 on were kept unread until each judged a change, by a criterion fixed before
#: (triage-dev65 and dev66, written in session 70, judged session 73's two red-flag changes;
#: triage-dev67 and dev68 are still unread).
#: Session 54's refit on triage-dev2 to 40 was not shipped (docs/evaluation-history.md); its
#: out-of-fold scores were kept outside the repository and fit only its rows.
TRIAGE_DEV_SETS = [
    *(ROOT / "tests" / "eval" / f"triage-dev{k}.tsv" for k in range(2, 67)),
    ROOT / "tests" / "eval" / "triage-review30.tsv",  # a review's messages, by category
    ROOT / "tests" / "eval" / "triage-crisis68.tsv",  # crises beside jokes and idioms, a review's
    ROOT / "tests" / "eval" / "triage-crisis69.tsv",  # indirect crises, a probe's and a review's
]
#: What training adds to half the bank's and triage tuning sets' messages (emergencies and
#: hard negatives alike, so that neither form becomes a cue): a trailing plea, a leg cramp
#: beside the message, or both. Session 34 found both detectors read "chest pains what do i
#: do" and "chest pains and leg cramps what do i do" as cramp questions (0.004-0.012), most
#: likely from the corpus's many "cramp now, what do I do"; the bank had few such reports.
PLEAS = (
    "what do i do", "what should i do", "what should i do now", "please help", "help",
    "is this serious", "should i be worried", "do i need a doctor", "is this normal",
    "can magnesium help", "any advice", "what can i take for it",
)  # fmt: skip
CRAMPS_AFTER = ("and leg cramps", "and my legs keep cramping", "and calf cramps too")
CRAMPS_BEFORE = ("leg cramps and", "i get cramps in my legs and", "cramping calves and")
#: The FAQ tuning sets whose questions the shipped detector (session 26) was fitted on as
#: ordinary messages: the topic head's sets of session 22, then dev9.tsv (session 25). Named
#: here rather than read from fit_topics.TUNING_SETS, so that a set the topic head learns from
#: later joins the detector's rows only at the detector's next refit.
DETECTOR_TOPIC_SETS = [
    ROOT / "tests" / "eval" / n
    for n in (*(f"dev{k}.tsv" for k in ("", "2", "3", "4", "5", "6", "7", "8")), "sample.tsv")
]
DETECTOR_FAQ_SETS = [ROOT / "tests" / "eval" / "dev9.tsv"]
#: What the next refit adds (scripts/fit_detector.py --rows next; session 74): every triage
#: set read since the shipped detector was fitted (TRIAGE_DEV_SETS: triage-dev2 to 66, a
#: review's messages and the crisis sets of jokes, idioms and indirect crises) and the FAQ
#: sets read since (dev10 to dev25, the first version's sets, the per-entry set). Never a
#: locked held-out set, nor an unread one (dev26, triage-dev67 and dev68).
NEXT_TRIAGE_SETS = TRIAGE_DEV_SETS
NEXT_FAQ_SETS = [
    ROOT / "tests" / "eval" / n
    for n in (
        *(f"dev{k}.tsv" for k in range(10, 26)),
        "questions.tsv",
        "blind.tsv",
        "new-entries.tsv",
    )
]


@dataclass(frozen=True)
class Rows:
    """The labelled messages the detector is fitted on, read as triage reads them."""

    queries: list[Query]
    labels: np.ndarray  # class index per message
    classes: tuple[str, ...]
    hard: np.ndarray  # True for the bank's hard negatives
    ruled: np.ndarray  # True where a red-flag rule flags outright beside the detector
    to_confirm: np.ndarray  # True where only `with_detector: confirm` rules fire
    tiers: tuple[str, ...]  # each class's tier ("" for none), which sets its threshold

    @property
    def positive(self) -> np.ndarray:
        """True for the emergencies."""
        return np.asarray(self.labels != self.classes.index(NONE))

    def by_rules(self, chance: np.ndarray) -> np.ndarray:
        """Give True where a rule flags: outright, or to confirm at a chance of CONFIRM_AT."""
        return np.asarray(self.ruled | (self.to_confirm & (chance >= CONFIRM_AT)))


def bank(folder: Path, following: bool = False) -> list[tuple[str, str]]:
    """Give the (text, label) rows of the exemplar bank and of the triage tuning sets (with
    `following`, those of the next refit too)."""
    lines = (folder / "triage" / "bank.tsv").read_text(encoding="utf-8").splitlines()[1:]
    rows = [(t, label) for t, label in (line.split("\t") for line in lines if line.strip())]
    sets = [*TRIAGE_TUNING_SETS, *(NEXT_TRIAGE_SETS if following else ())]
    return rows + [(e.question, e.label) for path in sets for e in read_examples(path)]


def negatives(engine: Engine, folder: Path, following: bool = False) -> list[str]:
    """Give the ordinary messages: corpus phrasings, tuning questions, out-of-scope examples
    (with `following`, the next refit's FAQ sets too)."""
    sets = [*DETECTOR_FAQ_SETS, *(NEXT_FAQ_SETS if following else ())]
    extra = [
        x.question for path in sets for x in read_examples(path) if x.label != evaluate.RED_FLAG
    ]
    return [text for text, _ in topic_rows(engine, folder, DETECTOR_TOPIC_SETS)] + extra


def training_rows(engine: Engine, folder: Path, following: bool = False) -> Rows:
    """Give the bank and the ordinary messages, analysed by the engine (semantic layer on);
    with `following`, the rows of the next refit (NEXT_TRIAGE_SETS, NEXT_FAQ_SETS)."""
    exemplars = bank(folder, following)
    labelled = exemplars + [(t, NONE) for t in negatives(engine, folder, following)]
    queries = [analyse(text, engine.analyzer, engine.encoder) for text, _ in labelled]
    classes = (*engine.triage.categories.ids, NONE)
    labels = np.array([classes.index(label) for _, label in labelled])
    hard = (np.arange(len(labelled)) < len(exemplars)) & (labels == classes.index(NONE))
    rules = engine.triage.rules
    hits = [rules.red_flag(q.normalised, q.sentences, beside_detector=True) for q in queries]
    ruled = np.array([hit is not None and hit.outright is not None for hit in hits])
    to_confirm = np.array([hit is not None and hit.outright is None for hit in hits])
    categories = engine.triage.categories
    tiers = (*(categories.get(c).tier.id for c in classes[:-1]), "")
    return Rows(queries, labels, classes, hard, ruled, to_confirm, tiers)


def variant(text: str) -> str | None:
    """Give a training variant of a normalised message (a plea, a cramp beside it, both) or
    None: the same for the same text, for about half of all texts."""
    mark = zlib.crc32(text.encode("utf-8"))
    if mark % 2:
        return None
    plea = PLEAS[(mark >> 16) % len(PLEAS)]  # bits apart from the form's, so they vary alike
    side = (mark >> 8) % len(CRAMPS_AFTER)
    cramp = f"{text} {CRAMPS_AFTER[side]}" if (mark >> 12) % 2 else f"{CRAMPS_BEFORE[side]} {text}"
    kind = 0 if "cramp" in text else (mark >> 1) % 3  # a cramp already named: the plea only
    return f"{text} {plea}" if kind == 0 else cramp if kind == 1 else f"{cramp} {plea}"


def augmented(rows: Rows, chosen: np.ndarray) -> tuple[list[str], np.ndarray, np.ndarray]:
    """Give the texts, labels and indices to train on: the chosen rows and the variants (see
    `variant`) of the chosen bank and tuning-set messages; cross-validation scores only rows."""
    texts = [q.normalised for q in rows.queries]
    sources = [int(i) for i in chosen if rows.positive[i] or rows.hard[i]]
    extra = [(i, v) for i in sources if (v := variant(texts[i])) is not None]
    labels = np.concatenate([rows.labels, rows.labels[[i for i, _ in extra]].astype(int)])
    added = np.arange(len(texts), len(texts) + len(extra))
    return texts + [v for _, v in extra], labels, np.concatenate([chosen, added])


def threshold(chance: np.ndarray, positive: np.ndarray, target: float) -> float:
    """Give the highest probability at which at least `target` of the positives are flagged."""
    scores = np.sort(chance[positive])
    allowed = int(np.floor((1 - target) * len(scores)))
    return float(scores[allowed]) - 1e-6


def thresholds(chance: np.ndarray, guess: np.ndarray, rows: Rows) -> tuple[float, float]:
    """Give (flag_at, net_at), or ValueError when the recall target cannot be reached.

    net_at is the highest probability at which the detector alone gives at least NET_TARGET
    of the emergencies the net; flag_at the highest at which the detector, with the rules and
    the crisis tier flagged from net_at, flags FIT_RECALL of them and, alone, DETECTOR_TARGET
    of them. net_at is never above flag_at.
    """
    net_at = max(threshold(chance, rows.positive, NET_TARGET), 1e-6)
    early = rows.by_rules(chance) | detected(chance, guess, rows, math.inf, net_at)
    positives = int(rows.positive.sum())
    missed = np.sort(chance[rows.positive & ~early])[::-1]  # the detector must find these
    needed = math.ceil(FIT_RECALL * positives - 1e-9) - (positives - len(missed))
    if needed > len(missed) or (needed > 0 and missed[needed - 1] <= 0):
        raise ValueError(f"recall {FIT_RECALL} cannot be reached on these scores")
    flag_at = float(missed[needed - 1]) - 1e-6 if needed > 0 else 1 - 1e-6
    if DETECTOR_TARGET > 0:
        flag_at = min(flag_at, threshold(chance, rows.positive, DETECTOR_TARGET))
    return flag_at, min(flag_at, net_at)


def detected(
    chance: np.ndarray, guess: np.ndarray, rows: Rows, flag_at: float, net_at: float
) -> np.ndarray:
    """Give True where the detector flags a message, as triage does (flag_threshold)."""
    net = min(flag_at, net_at)  # as a loaded detector, the net never above the flag
    by_class = np.array([flag_threshold(tier, flag_at, net) for tier in rows.tiers])
    return np.asarray(chance >= by_class[guess])


def report(
    chance: np.ndarray,
    guess: np.ndarray,
    rows: Rows,
    flag_at: float,
    net_at: float,
    fold_count: int,
) -> str:
    """Give the cross-validated figures: recall, false alarms, per category, with the rules."""
    positive, hard = rows.positive, rows.hard
    rest = ~positive & ~hard
    alone = detected(chance, guess, rows, flag_at, net_at)
    by_rules = rows.by_rules(chance)
    flagged = alone | by_rules
    lines = [
        f"flag at {flag_at:.4f} (crisis: {min(flag_at, net_at):.4f}), safety net at "
        f"{net_at:.4f}; {fold_count}-fold CV, read as triage reads:",
        f"  detector alone: recall {alone[positive].mean():.3f}, right category "
        f"{(guess == rows.labels)[positive].mean():.3f}, false alarms {alone[hard].mean():.3f} "
        f"of {int(hard.sum())} hard negatives, {alone[rest].mean():.3f} of {int(rest.sum())}",
        f"  with the rules: recall {flagged[positive].mean():.3f}, false alarms "
        f"{flagged[hard].mean():.3f} of hard negatives, {flagged[rest].mean():.3f} of others",
        f"  rules (outright or confirmed): recall {by_rules[positive].mean():.3f}, false alarms "
        f"{by_rules[hard].mean():.3f} of hard negatives, {by_rules[rest].mean():.3f} of others",
        f"  safety net on ordinary messages {(chance >= net_at)[~positive].mean():.3f}",
    ]
    for index, name in enumerate(rows.classes[:-1]):
        mine = rows.labels == index
        lines.append(f"  {name:22} recall {flagged[mine].mean():.3f}")
    return "\n".join(lines)
