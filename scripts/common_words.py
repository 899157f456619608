"""Write faq/data/common-words.txt: words general English writes often, which are not typos.

The typo corrector moves a word it does not know to the nearest word of its vocabulary. Its
English dictionary (symspellpy's, 82,765 words from books) lacks the words people write online:
brands, apps, names, slang, abbreviations and loanwords. So "garmin" was read as "harming",
"rehydration" as "dehydration", "tonite" as "tonic", "depuis" as "sepsis", "holter" as "older".
This list is the words that wordfreq (Robyn Speer; books, Wikipedia, subtitles, news, Reddit,
Twitter) counts at least once in 100 million English words (a Zipf frequency of 2.0 or more),
four letters or longer, apostrophes dropped as magbot's normaliser drops them, less the words
symspellpy already has. The corrector leaves these words as they are.

Below a Zipf frequency of 2.0 the list would also hold misspellings of words the safety rules
read ("vomitting" 1.5, "unconcious" 1.6), which must still be corrected. Above it, misspellings
are still common ("enought" 2.1, "meself" 2.2, "stil" 2.6): a word is left out, so that the
corrector still reads it as meant, when a word one or two edits away (as the corrector
measures) is at least MIN_GAP more frequent on the Zipf scale, 300 times as common ("enought"
beside "enough", 3.4; "holter" beside "older", 3.1, is left out too); the words the list is for
sit closer to their neighbours ("garmin" and "harming" 0.4, "depuis" and "sepsis" 1.0, "copd"
and "cold" 2.2). A few misspellings closer than that to the word they mean, and dialect
spellings, are left out by hand (MISSPELLINGS).

A maintainer runs this once, when the threshold or the source changes, in a separate virtual
environment (magbot never imports wordfreq, whose wheel is 57 MB). From the repository root:

    python3.11 -m venv /tmp/venv-words
    /tmp/venv-words/bin/pip install wordfreq==3.1.1
    /tmp/venv-words/bin/pip install -e .      # magbot, for symspellpy's dictionary
    /tmp/venv-words/bin/python scripts/common_words.py

The list is derived from wordfreq's data, which is licensed CC BY-SA 4.0; so is the list.
"""

from __future__ import annotations

import hashlib
import importlib.metadata as metadata
import math
import re
from importlib import resources
from pathlib import Path

import numpy as np
from rapidfuzz.distance import DamerauLevenshtein
from rapidfuzz.process import cdist
from wordfreq import get_frequency_dict

from faq.spelling import MIN_CORRECTABLE, english_words, typo_distance

ROOT = Path(__file__).resolve().parents[1]
OUT = ROOT / "faq" / "data" / "common-words.txt"
MIN_ZIPF = 2.0
MIN_GAP = 2.5  # a far commoner word this close makes a word a likely misspelling of it
CHUNK = 2000
#: Misspellings and dialect spellings common enough to be counted ("meself", "pils", "jsut"),
#: of words the rules or the entries read: left to the corrector, which reads them as meant.
_MISSPELT = """
    aand aboot abou actualy afew aftr agains alittle alll allready allways alot aneurism
    anothers anybodys anyones arround atleast beacuse becasue becaus becouse becuase beeing
    befor begining beter burried cantt ches chil comming completly coul coulda couldn
    definately definetly definitly didn dizzee doesn doktor dosent empted enought everthing
    eveyone eveything evry excercise extremly feets feild freind frum gainst geting gett
    goood gooood halp haveing heared hisself ihave iike ijust iknow isna ithink iwas iwill
    jist jsut knowed lege legg liek litle litte litterally looong lyke meself nothin nott
    nuthin paralyze paralyzes pils poeple probly reall realy shoud shoul shoulda shouldn
    someting somone somthing sould speach sternal stoped stoping stuf swett taht tatoo thier
    thiss throught throwed thst tighty todays tonge tryed untill urself verry wasn wierd
    witha woud woul woulda wouldn writting yknow youself zink
    chet stil bood themself hasn gona dosnt wich absolut
"""
MISSPELLINGS = frozenset(_MISSPELT.split())
_PLAIN = re.compile(r"[a-z]+")


def main() -> None:
    """Write the list, with a header that says where it came from."""
    frequencies = get_frequency_dict("en", wordlist="large")
    counted: dict[str, float] = {}
    for token, share in frequencies.items():
        word = re.sub(r"['’]", "", token)
        if _PLAIN.fullmatch(word) and len(word) >= MIN_CORRECTABLE:
            counted[word] = counted.get(word, 0.0) + share
    known = english_words()
    floor = _share(MIN_ZIPF)
    left_out = known | MISSPELLINGS
    common = sorted(w for w, share in counted.items() if share >= floor and w not in left_out)
    words = _not_misspellings(common, counted)
    source = resources.files("wordfreq") / "data" / "large_en.msgpack.gz"
    digest = hashlib.sha256(source.read_bytes()).hexdigest()
    header = [
        "# Words general English writes often that symspellpy's dictionary lacks: not typos.",
        f"# Made by scripts/common_words.py from wordfreq {metadata.version('wordfreq')}",
        f"# (large_en.msgpack.gz sha256 {digest}): Zipf frequency >= {MIN_ZIPF},",
        f"# {MIN_CORRECTABLE}+ letters a-z, apostrophes dropped, less {len(MISSPELLINGS)}"
        " misspellings still to correct",
        f"# and {len(common) - len(words)} words a word {MIN_GAP} commoner is near."
        f" {len(words)} words.",
        "# Derived from wordfreq's data (Robyn Speer), licensed CC BY-SA 4.0:",
        "# https://creativecommons.org/licenses/by-sa/4.0/",
    ]
    OUT.write_text("\n".join([*header, *words]) + "\n", encoding="utf-8")
    print(f"{OUT}: {len(words)} words, lowest Zipf {MIN_ZIPF}")


def _zipf(share: float) -> float:
    """Give a share of all words on the Zipf scale: log10 of uses per billion words."""
    return math.log10(share * 1e9)


def _share(zipf: float) -> float:
    """Give the share of all words a Zipf frequency stands for."""
    return 10 ** (zipf - 9)


def _not_misspellings(words: list[str], counted: dict[str, float]) -> list[str]:
    """Give the words no word within the corrector's distance is MIN_GAP commoner than."""
    floor = _share(MIN_ZIPF + MIN_GAP)
    commoner = sorted(w for w, share in counted.items() if share >= floor)
    kept = []
    for start in range(0, len(words), CHUNK):
        chunk = words[start : start + CHUNK]
        distances = cdist(chunk, commoner, scorer=DamerauLevenshtein.distance, workers=-1)
        for word, row in zip(chunk, distances, strict=True):
            gap = _zipf(counted[word]) + MIN_GAP
            near = (commoner[i] for i in np.flatnonzero(row <= typo_distance(word)))
            if not any(_zipf(counted[w]) >= gap for w in near if w != word):
                kept.append(word)
    return kept


if __name__ == "__main__":
    main()
