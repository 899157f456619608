"""What tells that a clause of a message is not about now: a past, a hypothetical, a
ruled-out sign.

Rules read only what is happening now: the words of a clause about the past ("two years ago I
collapsed"), of a hypothetical sentence ("if my dad ever collapsed, what should I do?") and
of a ruled-out sign ("not swollen, hot or red") are blanked before they are matched, unless
the clause says now ("now", "again", "still"...) or, after a past clause, is in the present
tense ("..., his face is drooping"). A hypothetical or general question is blanked from
where it begins ("my son ate some gummies, what do I do if he is sick?" keeps the first
part). A rule that `reads: questions too` (poison) reads hypothetical and general questions
("what if my toddler swallowed a whole bottle?"); one that `reads: everything` (crisis)
reads every word. The learned detector reads the whole message either way.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from faq.text import split_words
from faq.triage.schema import ContextSpec

BLANK = "_"  # stands for a word that is not about now: it matches no concept or pattern
# "now and then", "now and again" are one phrase: "and" does not begin a clause there
_CLAUSE_END = re.compile(
    r"[,;:()]+|\s[-\u2013\u2014]+\s|(?<!\bnow )(?=\b(?:and|but|so)\b)", re.IGNORECASE
)


@dataclass(frozen=True)
class Context:
    """What tells that a clause is not about now: a past, a hypothetical, a ruled-out sign."""

    now: re.Pattern[str]  # "now", "again", "still": the clause is read whatever else it says
    present: re.Pattern[str]  # "is", "cant": ends a past begun by a clause before
    past: re.Pattern[str]  # "years ago", "in 2019": this clause and the rest of its sentence
    earlier: re.Pattern[str]  # "last week": past only when the message says it was resolved
    resolved: re.Pattern[str]  # "they said it was fine", "fine since"
    hypothetical: re.Pattern[str]  # "if ... ever", "what should I do if": from there on
    unreal: re.Pattern[str]  # "nothing has happened", "just childproofing": hypotheticals too
    ruled_out: re.Pattern[str]  # "not swollen, hot or red", "breathing fine": those words
    general: re.Pattern[str]  # "can magnesium cause...": with no `personal` word, a question
    personal: re.Pattern[str]  # "my", "he", "mum": someone's own situation

    @classmethod
    def of(cls, spec: ContextSpec, general: str, personal: str) -> Context:
        """Give the compiled patterns of safety.yaml's `context:` and its question patterns."""
        patterns = {key: re.compile(p) for key, p in spec.model_dump().items()}
        return cls(**patterns, general=re.compile(general), personal=re.compile(personal))

    def current(self, text: str, sentences: Sequence[str], questions: bool = True) -> str:
        """Give the normalised text with every word that is not about now blanked.

        `sentences` are the message's sentences as written (their commas split clauses); when
        their words do not line up with the text's, only ruled-out signs are blanked. With
        `questions` off, hypothetical and general questions are read as if they were now,
        unless the message says that nothing has happened.
        """
        words = text.split(" ")
        split = [clauses_of(s) for s in sentences]
        if sum(len(clause) for clauses in split for clause in clauses) == len(words):
            resolved = bool(self.resolved.search(text))
            questions = questions or bool(self.unreal.search(text))
            keep = [
                k
                for clauses in split
                for k in self._keep([" ".join(c) for c in clauses], resolved, questions)
            ]
            words = [w if k else BLANK for w, k in zip(words, keep, strict=True)]
        return self.ruled_out.sub(_blanked, " ".join(words))

    def _keep(self, clauses: list[str], resolved: bool, questions: bool) -> list[bool]:
        """Give, word by word, whether a sentence's words are about now."""
        whole = " ".join(clauses)
        keep: list[bool] = []
        back = False
        for clause in clauses:
            if self.now.search(clause):
                back = False
            elif self.past.search(clause) or (resolved and self.earlier.search(clause)):
                back = True
            elif self.present.search(clause):
                back = False
            keep.extend([not back] * len(clause.split()))
        if questions and not self.now.search(whole):
            # a present tense does not end a hypothetical: "what do I do if she faints"
            start = self._question_start(whole)
            reports = self._reports(clauses, start)
            keep[start:] = [k and r for k, r in zip(keep[start:], reports[start:], strict=True)]
        return keep

    def _reports(self, clauses: list[str], start: int) -> list[bool]:
        """Give, word by word, whether a clause after the one where a question begins reports
        someone's present, or follows one that does before another question begins ("how do
        you know if it's a stroke, my dad's face is drooping, one side")."""
        reports: list[bool] = []
        reporting = False
        for clause in clauses:
            later = len(reports) > start
            if later and self.personal.match(clause) and self.present.search(clause):
                reporting = True
            elif self.general.search(clause) or self.hypothetical.search(clause):
                reporting = False
            reports.extend([reporting] * len(clause.split()))
        return reports

    def speaks_of_now(self, clause: str) -> bool:
        """Tell whether a clause says now or is in the present tense ("her face is drooping")."""
        return bool(self.now.search(clause) or self.present.search(clause))

    def is_general(self, sentence: str) -> bool:
        """Tell whether a sentence is a general question: a question word, no one named."""
        return bool(self.general.search(sentence)) and not self.personal.search(sentence)

    def _question_start(self, sentence: str) -> int:
        """Give the word where a hypothetical or general question begins (past the end: none)."""
        if self.is_general(sentence):
            return 0
        hypothetical = self.hypothetical.search(sentence)
        if hypothetical is None:
            return len(sentence.split())
        return len(sentence[: hypothetical.start()].split())


def clauses_of(sentence: str) -> list[list[str]]:
    """Give the words of each clause of a sentence as written (its commas end clauses)."""
    return [split_words(clause) for clause in _CLAUSE_END.split(sentence) if clause]


def _blanked(match: re.Match[str]) -> str:
    return " ".join(BLANK for _ in match[0].split())
