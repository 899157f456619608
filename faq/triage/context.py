"""What tells that a clause of a message is not about now: a past, a hypothetical, a ruled-out
sign.

Rules read only what is happening now: the words of a clause about the past ("two years ago
I collapsed"), of a hypothetical sentence ("if my dad ever collapsed, what should I do?")
and of a ruled-out sign ("not swollen, hot or red") are blanked before they are matched,
unless the clause says now ("now", "again", "still"...) or, after a past clause, is in the
present tense ("..., his face is drooping"). A recent past ("went", "on Monday") is read as
past only where a phrase settles it ("they said it was fine"): before the end of that
phrase, and in a later sentence that names its own time ("ECG normal. On Monday I had chest
pain"), never in a report told after it ("... it was nothing last time. He collapsed"). A
hypothetical or general question is blanked from where it begins ("my son ate some gummies,
what do I do if he is sick?" keeps the first part), unless a whole sentence only says it is
happening now ("how long can a seizure go on before it's dangerous? My dad has it right
now."), or the question's own last clause does with a time, a person or a pointing word
("..., on minute 7", "..., it's doing that"), or a clause after a general question states a
sign ("..., not breathing at all"). A ruled-out sign is blanked within the sentence where
its denial starts ("Did it help? No. Dizzy and confused" keeps the dizzy); so is a word in
an ordinary sense ("the engine is having a fit", "customs did a seizure"), unless an alarm
follows it ("the tent collapsed on him and he's not moving"). In a message that opens as a
story, a scene or an exercise ("writing a novel, ...", "exam question: ..."), a clause about a
character or someone unnamed, with no present tense nor person after it, is blanked ("a
character collapses at a marathon") unless its sentence says now ("... and a man just
collapsed"); "a girl in my class is fitting" and "a crushing pain in my chest" are read. A
rule that `reads: questions too` (poison) reads hypothetical and general questions ("what if
my toddler swallowed a whole bottle?"); one that `reads: everything` (crisis) reads every
word. The learned detector reads the whole message either way.
"""

from __future__ import annotations

import re
from bisect import bisect_left
from collections.abc import Sequence
from dataclasses import dataclass, fields
from itertools import accumulate

from faq.rules import plain_words
from faq.text import split_words
from faq.triage.clauses import BLANK, clause_texts, clauses_of, denial_units
from faq.triage.denials import answered_no, without_ruled_out
from faq.triage.schema import ContextSpec

_POINTING = {"here", "this", "that", "thats"}  # "happening right here", "it's doing that"
# "it's happening now", "still going", "still ongoing" (a clause of "currently" alone: never)
_GOING_ON = {"happening", "going", "ongoing"}
_NOW = {"now", "rn"}  # "..., right now", "..., now please" (a whole clause that only says so)
_NAMING = _POINTING | _GOING_ON | _NOW  # a last clause with one of these is read as a report


_OPENING = 4  # a story, a scene or an exercise is told within a message's first words
_UNTARGETED = {"told", "invented"}  # patterns whose words typos are not corrected towards
# a clause that opens with a conjunction and the writer's own ("... if your lips swell and
# my lips are swelling"; not "... face droops and her arm is weak", the same hypothetical)
_AND_OWN = re.compile(
    r"(?:and|but|so) (?:i|im|ive|my|we|our)\b|but (?:\w+ ){0,3}?(?:i|im|ive|my|we|our)\b"
)


@dataclass(frozen=True)
class Context:
    """What tells that a clause is not about now: a past, a hypothetical, a ruled-out sign."""

    now: re.Pattern[str]  # "now", "again", "still": the clause is read whatever else it says
    present: re.Pattern[str]  # "is", "cant": ends a past begun by a clause before
    past: re.Pattern[str]  # "years ago", "in 2019": this clause and the rest of its sentence
    earlier: re.Pattern[str]  # "last week", "collapsed": past only where an event is settled
    dated: re.Pattern[str]  # "on Monday", "3 days ago": a time of its own
    over: re.Pattern[str]  # "they ran tests", "after the op": an occasion or care that is over
    resolved: re.Pattern[str]  # "they said it was fine", "fine since": settles what is before
    hypothetical: re.Pattern[str]  # "if ... ever", "what should I do if": from there on
    unreal: re.Pattern[str]  # "nothing has happened", "just childproofing": hypotheticals too
    ruled_out: re.Pattern[str]  # "not swollen, hot or red", "breathing fine": those words
    # ruled_out, and other_senses ("customs did a seizure") with no alarm after, read over
    # the message (an alarm may follow a full stop)
    across: re.Pattern[str]
    reported: re.Pattern[str]  # a whole sentence "my dad has it right now": questions are now
    not_a_report: re.Pattern[str]  # "cramp", "exam": then "I've got one now" is about that
    answered_no: re.Pattern[str]  # "no", "nope": a sign asked about just before is denied
    stated: re.Pattern[str]  # "not breathing", "collapsed": after a general question, a report
    lists: re.Pattern[str]  # "what are the signs of...", "can it cause...": its clauses a list
    told: re.Pattern[str]  # "writing a novel", "exam question": a story, a scene, an exercise
    invented: re.Pattern[str]  # "a character collapses", "someone not breathing": in a story
    general: re.Pattern[str]  # "can magnesium cause...": with no `personal` word, a question
    personal: re.Pattern[str]  # "my", "he", "mum": someone's own situation
    negation: re.Pattern[str]  # "no", "not": denies what comes right after, in its sentence

    @classmethod
    def of(cls, spec: ContextSpec, general: str, personal: str, negation: str) -> Context:
        """Give the compiled patterns of safety.yaml's `context:`, its question patterns and
        its negation."""
        return cls(
            **{key: re.compile(source) for key, source in spec.sources().items()},
            general=re.compile(general),
            personal=re.compile(personal),
            negation=re.compile(negation),
        )

    def words(self) -> set[str]:
        """Give the plain words the context patterns spell out ("kidding", "crampy"), so typos
        are corrected towards them and they are not corrected into other words; not those of
        `told` and `invented`, which as targets turned "wheet" into "sheet"."""
        return plain_words(
            [getattr(self, field.name) for field in fields(self) if field.name not in _UNTARGETED]
        )

    def denial_units(self, sentences: Sequence[str], lengths: Sequence[int]) -> list[int]:
        """Give the lengths in words of the stretches a negation or denial reaches over (see
        clauses.denial_units)."""
        return denial_units(sentences, lengths, self.negation)

    def current(
        self, text: str, sentences: Sequence[str], questions: bool = True, reported: bool = False
    ) -> str:
        """Give the normalised text with every word that is not about now blanked.

        `sentences` are the message's sentences as written (their commas split clauses); when
        their words do not line up with the text's, only ruled-out signs are blanked. With
        `questions` off, hypothetical and general questions are read as if they were now,
        unless the message says that nothing has happened; so they are with `reported`, which
        the caller passes when the message `reports_now`.
        """
        words = text.split(" ")
        split = [clauses_of(s) for s in sentences]
        if sum(len(clause) for clauses in split for clause in clauses) != len(words):
            return without_ruled_out(words, [len(words)], self.ruled_out, self.across)
        unreal = bool(self.unreal.search(text))
        questions = questions or unreal
        lengths = [sum(map(len, clauses)) for clauses in split]
        worded = [[" ".join(clause) for clause in clauses] for clauses in split]
        keep = [
            k
            for clauses, settled in zip(worded, self._settled_words(worded, lengths), strict=True)
            for k in self._keep(clauses, settled, questions, reported)
        ]
        if not reported and self._is_told(worded):
            real = [not made for clauses in worded for made in self._invented(clauses)]
            keep = [k and r for k, r in zip(keep, real, strict=True)]
        words = [w if k else BLANK for w, k in zip(words, keep, strict=True)]
        words = answered_no(
            words, lengths, sentences, answer=self.answered_no, ruled_out=self.ruled_out
        )
        units = self.denial_units(sentences, lengths)
        return without_ruled_out(words, units, self.ruled_out, self.across)

    def reports_now(self, text: str, sentences: Sequence[str]) -> bool:
        """Tell whether a message that asks a question says it is happening now.

        It does when its last sentence, or the first of two, only says so ("how long can a
        seizure go on? My dad has it right now."; "10 mins in. what do you do when someone is
        fitting?"); when the last clause of its last sentence does, naming a time, a person,
        the place or the thing asked about ("does a fit need an ambulance, on minute 7", "...,
        it's doing that"; never "..., currently"); or when a clause after a general question
        states a sign ("do you tilt the head back for cpr, not breathing at all"). Never when
        the message says that nothing has happened or what else it is about ("a cramp", "my
        nursing exam").
        """
        if self.unreal.search(text) or self.not_a_report.search(text):
            return False
        worded = [(clause_texts(s), " ".join(split_words(s))) for s in sentences]
        worded = [(clauses, said) for clauses, said in worded if said]
        ends = [said for _, said in worded[-1:] + (worded[:1] if len(worded) == 2 else [])]
        ends += self._last_clause(worded[-1][0]) if worded else []
        states = any(self._states_signs(clauses) for clauses, _ in worded)
        return states or any(self.reported.fullmatch(sentence) for sentence in ends)

    def _states_signs(self, clauses: list[str]) -> bool:
        """Tell whether a sentence (its clauses) opens with a general question and a later
        clause only states a sign ("should the defib be used, collapsed and no pulse"), unless
        the question lists what it asks about ("what are the signs of a stroke, face
        drooping")."""
        # the clauses up to each one: a greeting may be a clause of its own ("ok, so do you...")
        openings = accumulate(clauses, lambda said, clause: f"{said} {clause}")
        asked = next((i for i, said in enumerate(openings) if self.is_general(said)), None)
        if asked is None or self.lists.search(" ".join(clauses[: asked + 1])):
            return False
        return any(self.stated.fullmatch(clause) for clause in clauses[asked + 1 :])

    def _last_clause(self, clauses: list[str]) -> list[str]:
        """Give the last of a sentence's clauses, if it has others before it and names a time,
        a person, the place or the thing asked about, or says it is going on ("on minute 7",
        "happening right here", "it's doing that", "it's happening now", "still going"; not
        "currently" alone)."""
        last = clauses[-1] if len(clauses) > 1 else ""
        named = any(ch.isdigit() for ch in last) or not _NAMING.isdisjoint(last.split())
        return [last] if named or self.personal.search(last) else []

    def _is_told(self, sentences: list[list[str]]) -> bool:
        """Tell whether a message opens as a story, a scene or an exercise (within the first
        words of its first sentence: "writing a novel, ...", "exam question: ...",
        "screenwriter here")."""
        first = " ".join(sentences[0]) if sentences else ""
        frame = self.told.search(first)
        return frame is not None and len(first[: frame.start()].split()) < _OPENING

    def _invented(self, clauses: list[str]) -> list[bool]:
        """Give, word by word, whether a sentence of a story, a scene or an exercise tells of
        a character or someone unnamed: a clause that opens so with no present tense nor
        person after it ("a character collapses at a marathon", "my character gets tetanus",
        "someone not breathing after a fall"); never in a sentence that says now, nor "a girl
        in my class is fitting", "a man collapsed beside me", "a crushing pain in my chest"."""
        if self.now.search(" ".join(clauses)):
            return [False] * sum(len(clause.split()) for clause in clauses)
        return [
            made for clause in clauses for made in [self._made_up(clause)] * len(clause.split())
        ]

    def _made_up(self, clause: str) -> bool:
        """Tell whether a clause opens with a character or someone unnamed and goes on with
        no `present` nor `personal` word ("him", "my", "is")."""
        opening = self.invented.match(clause)
        rest = clause[opening.end() :] if opening else ""
        return opening is not None and not (self.personal.search(rest) or self.present.search(rest))

    def _settled_words(self, sentences: list[list[str]], lengths: Sequence[int]) -> list[int]:
        """Give, sentence by sentence, how many of its first words are settled: every word
        before the end of the last phrase that settles an event ("they said it was nothing"
        settles what came before it, not "He collapsed" told after it; a phrase whose own
        clause names a time, "ECG normal last month", settles only that clause), and the
        whole of a sentence after it that tells its event as over, with a time of its own or
        care already given ("On Monday I had chest pain", "they kept him in overnight").
        `sentences` are each sentence's clauses, `lengths` each sentence's length in words."""
        starts = list(accumulate(lengths, initial=0))[:-1]
        reach = max(
            (
                start + end
                for start, clauses in zip(starts, sentences, strict=True)
                for end in self._phrase_ends(clauses)
            ),
            default=0,
        )
        return [
            length if reach and start >= reach and self._told_as_over(clauses) else reach - start
            for clauses, length, start in zip(sentences, lengths, starts, strict=True)
        ]

    def _phrase_ends(self, clauses: list[str]) -> list[int]:
        """Give where, in words into the sentence, each phrase that settles an event ends,
        unless its own clause names a time ("ECG normal last month": that occasion only)."""
        sentence = " ".join(clauses)
        bounds = list(accumulate((len(clause.split()) for clause in clauses), initial=0))
        ends = (len(sentence[: match.end()].split()) for match in self.resolved.finditer(sentence))
        return [end for end in ends if not self.dated.search(clauses[bisect_left(bounds, end) - 1])]

    def _told_as_over(self, clauses: list[str]) -> bool:
        """Tell whether a sentence tells its event as over: a time of its own or care given."""
        sentence = " ".join(clauses)
        return bool(self.dated.search(sentence) or self.over.search(sentence))

    def _keep(
        self, clauses: list[str], settled: int, questions: bool, reported: bool = False
    ) -> list[bool]:
        """Give, word by word, whether a sentence's words are about now (its questions too
        when `reported`: another sentence says it is happening now); the clauses that begin
        within its first `settled` words read a recent past ("went", "on Monday") as past."""
        whole = " ".join(clauses)
        keep: list[bool] = []
        back = False  # in a past, which goes on into the clauses after it ...
        recent = False  # ... but a recent past only while they are settled
        offset = 0
        for clause in clauses:
            is_settled = offset < settled
            length = len(clause.split())
            if self.now.search(clause):
                back = False
            elif self.past.search(clause):
                back, recent = True, False
            elif is_settled and self.earlier.search(clause):
                back, recent = True, True
            elif self.present.search(clause) or (recent and not is_settled):
                back = False
            keep.extend([not back] * length)
            offset += length
        if questions and not reported and not self.now.search(whole):
            # a present tense does not end a hypothetical: "what do I do if she faints"
            start = self._question_start(whole)
            reports = self._reports(clauses, start)
            keep[start:] = [k and r for k, r in zip(keep[start:], reports[start:], strict=True)]
        return keep

    def _reports(self, clauses: list[str], start: int) -> list[bool]:
        """Give, word by word, whether a clause after the one where a question begins reports
        someone's present, or follows one that does before another question begins ("how do
        you know if it's a stroke, my dad's face is drooping, one side"; "... if your lips
        swell and my lips are swelling")."""
        reports: list[bool] = []
        reporting = False
        for clause in clauses:
            later = len(reports) > start
            opens = self.personal.match(clause) or _AND_OWN.match(clause)
            if later and opens and self.present.search(clause):
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
