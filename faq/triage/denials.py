"""What a message denies: a sign asked about and answered no ("Chest pain? No."), the signs
it rules out ("not swollen, hot or red") and the words it uses in an ordinary sense ("the
engine is having a fit"), blanked for the rules that read what is happening now."""

from __future__ import annotations

import functools
import re
from collections.abc import Sequence
from itertools import accumulate

from faq.triage.clauses import BLANK, asks, blanked, blanked_words


def answered_no(
    words: list[str],
    lengths: Sequence[int],
    sentences: Sequence[str],
    answer: re.Pattern[str],
    ruled_out: re.Pattern[str],
) -> list[str]:
    """Give the words with each sign asked about and answered no blanked ("Chest pain?
    No."; "Breathless? Nope, just unfit"), as if it read "no chest pain": only a question
    that is all signs ("Chest pain gone? No." still has it). `lengths` are the sentences'
    lengths in words; `answer` is what answers no, `ruled_out` what denies a sign."""
    starts = list(accumulate(lengths, initial=0))
    for i in range(len(sentences) - 1):
        asked = words[starts[i] : starts[i + 1]]
        reply = " ".join(words[starts[i + 1] : starts[i + 2]])
        if not asks(sentences[i]) or not answer.fullmatch(reply):
            continue
        denied = ruled_out.fullmatch("no " + " ".join(asked))  # not "chest pain gone"
        if denied is not None:
            words[starts[i] : starts[i + 1]] = [BLANK] * len(asked)
    return words


def without_ruled_out(
    words: Sequence[str],
    units: Sequence[int],
    ruled_out: re.Pattern[str],
    across: re.Pattern[str],
) -> str:
    """Give the words as text with their ruled-out signs blanked: first within each stretch
    a negation reaches over (`units`, their lengths in words), then across them (`across`),
    each only in the stretch where it starts ("swollen calf? nope": the calf; "did it help?
    no. dizzy": not the dizzy); a word in an ordinary sense only across them, where the alarm
    that keeps it may follow in another stretch ("the barn collapsed. he's trapped")."""
    return _without_ruled_out(tuple(words), tuple(units), ruled_out, across)


#: the rules read a message's words several times, often blanked alike: the last few are kept
@functools.lru_cache(maxsize=32)
def _without_ruled_out(
    words: tuple[str, ...],
    units: tuple[int, ...],
    ruled_out: re.Pattern[str],
    across: re.Pattern[str],
) -> str:
    within: list[str] = []
    for last, length in zip(accumulate(units), units, strict=True):
        unit = " ".join(words[last - length : last])
        within.extend(ruled_out.sub(blanked, unit).split(" ") if length else [])
    text = " ".join(within)
    ends = [
        len(" ".join(within[:last])) for last, n in zip(accumulate(units), units, strict=True) if n
    ]

    def within_stretch(match: re.Match[str]) -> str:
        end = next((e for e in ends if e > match.start()), len(text))
        cut = end - match.start()  # the first character past its own stretch
        return (
            blanked(match) if match.end() <= end else blanked_words(match[0][:cut]) + match[0][cut:]
        )

    return across.sub(within_stretch, text)
