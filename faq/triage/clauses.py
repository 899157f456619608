"""A message's sentences as written: their clauses, their questions, the replies that open
them, and the stretches a negation reaches over; and the blank that stands for a word that is
not about now."""

from __future__ import annotations

import re
from collections.abc import Sequence

from faq.text import split_words

BLANK = "_"  # stands for a word that is not about now: it matches no concept or pattern
# a reply that opens a sentence after a question, before a comma ("Dizzy any better? No,
# fainted twice since"): it answers the question and denies nothing after it ...
_ANSWER = re.compile(r"\W*(?:(?:no|nope|nah|naw|nae)\b\W*?)+,", re.IGNORECASE)
# ... unless what follows still denies or plays down ("No, heart racing only after coffee")
_STILL_DENIES = re.compile(
    r"\b(none of (that|those|them|these|it)|only (after|when|with|if|during|on|at|in|from)"
    r"|never (had|have|get|got)|(isnt|is not|arent|are not) (an issue|a problem|something)"
    r"|(fine|ok|okay|better) now|all good)\b"
)
_QUESTION_END = re.compile(r"\?\W*$")  # "Any better?", "Are you ok?!"
# "now and then", "now and again" are one phrase: "and" does not begin a clause there; nor
# does "so far" or "and counting" that ends a clause ("6 minutes so far, help"; not "had a
# clot last year so far my calf is swollen")
_CLAUSE_END = re.compile(
    r"[,;:()]+|\s[-\u2013\u2014]+\s|(?<!\bnow )(?=\b(?:and|but|so)\b)"
    r"(?!(?:so far|and counting)\W*(?:$|[,;:.!?()]))",
    re.IGNORECASE,
)


def denial_units(
    sentences: Sequence[str], lengths: Sequence[int], negation: re.Pattern[str]
) -> list[int]:
    """Give the lengths in words of the stretches a negation or denial reaches over: each
    sentence, but a list after a colon, or after a line left open on a negation, as one
    with it ("Symptoms I do not have:\n- chest pain\n- dizziness", "I have no\nchest
    pain\nswelling"), up to a line that ends in . ? or !; and a reply that opens a
    sentence before a comma as a stretch of its own ("Dizzy any better? No, fainted twice
    since": it answers the question before it, and does not deny what follows unless
    that still denies or plays down, "No, heart racing only after coffee")."""
    units: list[int] = []
    listing = False
    after_question = False
    for sentence, length in zip(sentences, lengths, strict=True):
        replied = reply_length(sentence) if after_question else 0
        after_question = asks(sentence)
        if listing and units:
            units[-1] += length
        elif 0 < replied < length:
            units.extend((replied, length - replied))
        else:
            units.append(length)
        end = sentence.rstrip()[-1:]
        closed = end in (".", "?", "!")
        listing = end == ":" or (not closed and (listing or ends_in_negation(sentence, negation)))
    return units


def ends_in_negation(sentence: str, negation: re.Pattern[str]) -> bool:
    """Tell whether a line ends within a negation's reach ("I have no", "never had")."""
    return bool(negation.search(" ".join(split_words(sentence)) + " "))


def asks(sentence: str) -> bool:
    """Tell whether a sentence as written is a question ("Any better?", "Are you ok?!")."""
    return _QUESTION_END.search(sentence) is not None


def reply_length(sentence: str) -> int:
    """Give the length in words of the reply that opens a sentence before a comma ("No,
    fainted twice since"), or 0 if none, or if the rest still denies or plays down."""
    reply = _ANSWER.match(sentence)
    rest = " ".join(split_words(sentence[reply.end() :])) if reply else ""
    if reply is None or _STILL_DENIES.search(rest):
        return 0
    return len(split_words(reply[0]))


def clause_texts(sentence: str) -> list[str]:
    """Give each clause of a sentence as written, as words joined by spaces (none empty)."""
    return [" ".join(c) for c in clauses_of(sentence) if c]


def clauses_of(sentence: str) -> list[list[str]]:
    """Give the words of each clause of a sentence as written (its commas end clauses)."""
    return [split_words(clause) for clause in _CLAUSE_END.split(sentence) if clause]


def blanked(match: re.Match[str]) -> str:
    """Give a match's words each replaced by BLANK."""
    return blanked_words(match[0])


def blanked_words(text: str) -> str:
    """Give the words of a text each replaced by BLANK."""
    return " ".join(BLANK for _ in text.split())
