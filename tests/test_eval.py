"""The FAQ's quality bars, on locked held-out sets written by people who never saw the entries.

Every locked set (heldout*.tsv: FAQ questions; triage-heldout*.tsv: emergencies in 26
categories and ordinary messages) was written before what it measures was fitted and is
never edited: their checksums are recorded here and in the README. The tuning sets (dev*,
sample) are what the FAQ models were fitted on; triage held-out sets 1-9, whose false alarms
had been read, are what the triage detector is fitted on since session 23 (with its bank);
questions.tsv and blind.tsv are the first version's held-out sets, read during its
development. Sets a model was fitted on are reported only by cross-validation. The triage
bars are in tests/test_triage_eval.py.
"""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest

from faq.engine import Engine
from faq.maintain import evaluate, figures
from faq.model import Status
from tests.evaluation import EVAL, STALE, fitted, measured, readme_figures, stale_rows

HELD_OUT = EVAL / "heldout.tsv"
TRIAGE_HELD_OUT = EVAL / "triage-heldout.tsv"
LOCKED = {
    HELD_OUT: "a70a201476cc0c7c37ed5b46b3733667fcdde7e5b9f7c34976f392ec1e0f2c1d",
    TRIAGE_HELD_OUT: "f2a7ad37ab1fd5143c12a19efad1e0fa2e403c2f4665c13d62d9064866510f83",
    # written after the first look at the sets above (see docs/evaluation-history.md)
    EVAL / "heldout2.tsv": "31cd0912a5f2e78526b13924d38f3b36e850cf1635494a3496852da96b765a40",
    EVAL
    / "triage-heldout2.tsv": "b58931a7ec3cf8fc3ef4f7db3b096358c6da853d06e2bb019e0e9b6e66c65b5d",
    # written in session 15 by three new authors, before the triage detector was refitted
    EVAL / "heldout3.tsv": "e151b5bbd96555fecf100d14b251f6a078c0ba2d9cfea00b0ec60272ba2d15a6",
    EVAL
    / "triage-heldout3.tsv": "30402a9efa1c943a663b4defd783e224c00f6cbb5ef7e35807280775a45333d1",
    # written in session 16 by three new authors, before the fine-tuned detector was fitted
    # and before any scope or decision change
    EVAL / "heldout4.tsv": "7b48aa8d99857e047733131cdb7e0117c12c5d273e74ef67c5165141b4f4d455",
    # written in session 16 by a new author, locked before the learned scope change
    EVAL / "heldout5.tsv": "16344b5cdaa1626ad8be198f11bebc6da3b4119a48e2233a34d5eb12b16d2191",
    EVAL
    / "triage-heldout4.tsv": "b2b86cd686428824c7c47b37cd3dea7086908e7940361e80fcea981872bc1503",
    # written in session 17 by four new authors (triage: three), before any change of that
    # session; rows copying a fitting message were dropped before the checksum was taken
    EVAL / "heldout6.tsv": "69dde9cbfcad3543cc6eafc7b01e9565aa5b63e2e05240a515ab1b56aff8991e",
    EVAL
    / "triage-heldout5.tsv": "e481e567b25943f899a49bb66f55c1780dbddb41a434fd0b15439a566881dafa",
    # written in session 17 by two new authors while the rules and the bank changed, kept
    # unread until the changes were done
    EVAL
    / "triage-heldout6.tsv": "d9b6cd6fc80e4697121f7e29d466348429d9bb3e07012fecc401d286a504529f",
    # written in session 18 by a new author, locked before any change of that session to the
    # decision or the out-of-scope bank; rows near any earlier set dropped before the checksum
    EVAL / "heldout7.tsv": "8264ca71c91fb9a90c4e8966f556760f76983791bd78a98b619c4eb23bfdeda6",
    # written in session 18 by another new author after held-out 7's first look, locked
    # before the decision or the out-of-scope bank changed and before dev4.tsv was used
    EVAL / "heldout8.tsv": "ad81eb10145b14c3c6b73c6a035d3af1faf4699713d98381fbffaa5d60720eec",
    # written in session 19 by a new author, locked before any change of that session; rows
    # near any earlier set (word Jaccard >= 0.8) dropped before the checksum
    EVAL / "heldout9.tsv": "df4217f45f27863533d5f1cae7db9991556b94b3747167fcccd399a1e89d636b",
    # written in session 19 by two new authors from triage.md only, locked before any rule or
    # detector change of that session was measured; near rows dropped as for held-out 9
    EVAL
    / "triage-heldout7.tsv": "3133799333fd168ea0e5b856670b5253ddb6c0c23e01cc42783ba961e152f332",
    # written in session 20 by two new authors from triage.md only, locked before any rule
    # change of that session was measured; near rows dropped as for held-out 9
    EVAL
    / "triage-heldout8.tsv": "4e2a3cf3e607f41981199c82995163f9e7e3e580a32e1f795b696c09df6b3742",
    # written in session 20 by a new author from the entry titles only, locked before any
    # change to the ranking, the scope or the decision; kept unread for the next such change
    EVAL / "heldout10.tsv": "53eed9bbd18e925d115648a1e5307c0c6f5d0a9964ac5728a098446e09444508",
    # written in session 20 by two new authors from triage.md only, after triage held-out
    # 8's first look and before the crisis, poison and cannot-walk bank rows and the refit
    EVAL
    / "triage-heldout9.tsv": "bb9734b410f874a40ba1e3cc6a6f3c92b8464dd0abfdca3a0ea99677130682b2",
    # written in session 20 by two new authors from triage.md only, after held-out 9's first
    # look and before the rules were changed from held-out 8's and 9's false alarms
    EVAL
    / "triage-heldout10.tsv": "57af30d3ceb33b80c62b5ce37d8a438f29144a56cb88c43e3939432a3fb5e3be",
    # written in session 21 by a new author from the entry titles only, and by two new
    # authors from triage.md only; locked before the topic head and its refit were measured
    EVAL / "heldout11.tsv": "cbb95390e4cd572937238eabe30f1aa0d0f99a54a87f3460aecc1cf765e07fbb",
    EVAL
    / "triage-heldout11.tsv": "7650d7a517e0f69b11ba138cdb5843da530be0934054830cdbdb9b5b85786aeb",
    # written in session 22 by a new author from the entry titles only, and by two new
    # authors from triage.md only; locked before the bank rows, dev6 and the refits of that
    # session were measured
    EVAL / "heldout12.tsv": "4191ba0c91ff0741c0bf558e91348f2318e6e2336625e6207cad37a2e2c75a4f",
    EVAL
    / "triage-heldout12.tsv": "3e564a5398b0b6729578395dd6871ae2cd960f94bf082dd048eab0082dcd97c6",
    # written in session 23 by a new author from the entry titles only, and by two new
    # authors from triage.md only; locked before anything of that session was changed
    EVAL / "heldout13.tsv": "af110ca1c6ed0235af2f692a5832d902f6717c472b16a194f5274b379413a860",
    EVAL
    / "triage-heldout13.tsv": "c9eee2a0c1c390498e130aeb4f3e390421c7274623d8c2fef3c84f9e35139b99",
    # written in session 24 by a new author from the entry titles only, and by two new
    # authors from triage.md only, in new voices; locked before anything of that session
    EVAL / "heldout14.tsv": "742af24e2a9716510dc68b9253b7c0ee6be86d888e9298959736b53edf99d802",
    EVAL
    / "triage-heldout14.tsv": "fe8f48f196ea40948f6bcd74948d87c6f3c2a4fc93e910133ca9d127e9bc775c",
    # written in session 24 by three more new authors in new voices while the session's
    # changes were made; locked, and first measured, on the session's final engine
    EVAL / "heldout15.tsv": "bc508b7abd4a2ad95904daadd7e1794173255b410d2859c5d58e0c9ca8062b44",
    EVAL
    / "triage-heldout15.tsv": "4439afab39a75cfef3dde2f73ab37d51fbf8e51157c52def7875a1211a699aad",
    # written at the start of session 25 by three new authors, locked before anything of
    # that session was changed; first measured on the session's final engine
    EVAL / "heldout16.tsv": "afd94d86df20713314ccb7c1d13c676b00ed7d3fda22dfbb50b66cc15d379c8c",
    EVAL
    / "triage-heldout16.tsv": "af2882f7c11e01d7359f69981d8c5156a6fe972817a6e9c7b4ee0bf76df0a6a8",
    # written at the start of session 26 by three new authors in voices no earlier set used,
    # locked before anything of that session was changed
    EVAL / "heldout17.tsv": "da6bdf420282185729606ba87a311e8fd10e2a3649f8e3e111e2fae8f880a459",
    EVAL
    / "triage-heldout17.tsv": "85c414a97ed62d092ffbf8d751cc529a358338fa387d2ec77d5b1a8c98139c71",
    # written at the start of session 27 by three new authors in voices no earlier set used,
    # locked before anything of that session was changed
    EVAL / "heldout18.tsv": "e588f000294388a2154cd67e5dd3a5b09046cebdcc0566f8351c45a894fd1c7d",
    EVAL
    / "triage-heldout18.tsv": "08848b01baf88598877010ae290e892fbcfb793c91303102bbaa4265d0d874a3",
    # written at the start of session 28 by three new authors in voices no earlier set used,
    # locked before anything of that session was changed
    EVAL / "heldout19.tsv": "e5b3ccb65d61a5c8c86ba2e4f81a02e54eca520b54a619e303388e867c5995ef",
    EVAL
    / "triage-heldout19.tsv": "8d654c2860e2743ce11e5474bf05ff3f3f5faa5c33c50947d1c36b27ae90ccba",
    # written at the start of session 30 by two new writers, each as two authors in voices no
    # earlier set used, from triage.md only; locked before anything of that session was changed
    EVAL
    / "triage-heldout20.tsv": "fd0b43f81657ed0684ffe8367c3742e3b6b34a1057b7a6877477f9c64e6d31e1",
    EVAL
    / "triage-heldout21.tsv": "e9fa5ce2deb66c764f62aad70d9d087c4fe7c97b3bc885a077ef5ad3abb8ce14",
    # written at the start of session 31 by two new writers, each as two authors in voices no
    # earlier set used, from triage.md only; locked before anything of that session was changed
    EVAL
    / "triage-heldout22.tsv": "b562c4154063c9cee8478a693c23b66b5e61537cadb9797798ea0b960128726b",
    EVAL
    / "triage-heldout23.tsv": "0d96e78b29f7e823c3674f9c63ffe16c82834ea8eced5d0c650df15ff7addb86",
    # written at the start of session 32 the same way, in other voices; locked before the
    # refitted detector was measured on anything held out
    EVAL
    / "triage-heldout24.tsv": "6a7b70184574d1f9118533ed6f1a4d399faee9e217e57a4ca7ca007eed634f58",
    EVAL
    / "triage-heldout25.tsv": "a414802717d0783ed08b6e38c3d20ad4361962917be21faacf81d85b8bfb3a97",
    # written in session 32 by a new writer from the entry titles only, as two authors;
    # locked before anything was measured on it
    EVAL / "heldout20.tsv": "4aba5e61aae9cc5e1764c9b5ed762c2407f37d67c23f28be6f93435a23dea974",
    # written at the start of session 33 by three new writers (triage from triage.md only,
    # FAQ from the entry titles only), each as two authors; locked before anything was
    # measured on them
    EVAL
    / "triage-heldout26.tsv": "deb29d4ae4f90c9cd62b25ff133cf54fd6e41839cbb03c4c6910925d576b1274",
    EVAL
    / "triage-heldout27.tsv": "4382f5cc3a087c1caa72734ebc42e226127dcbc14ad7d0f4d938b39adb9eccee",
    EVAL / "heldout21.tsv": "081c6fe22a045eba200e7bc3214660d54e02c46237c6956db234d794e7fef7f7",
    # written and locked later in session 33 the same way; first measured on the engine of
    # commit 26e00c2, before and after the general-question rule learned a scene
    EVAL
    / "triage-heldout28.tsv": "26720ec9e68e67537f40a45f40b9cc5da56f0b1ed10a50afe32fe0bec6832175",
    EVAL
    / "triage-heldout29.tsv": "4fcfe21392c015b4e5119e1595063d210d07b5d2723def3dd03e8a0748d36d1c",
    # written at the start of session 36 by a new writer from the entry titles only, as two
    # authors; near rows dropped; locked before anything was measured on it
    EVAL / "heldout22.tsv": "7e186a6db0249cfb82df9e412b482efdee8c8304b7454a99dfca5502f8815a23",
    # written in session 72 by a new writer from the entry questions and the scope statement
    # only; near rows dropped; locked before anything was measured on it, after a decision
    # change (G) had failed three locked bars, to judge the change made after that (G')
    EVAL / "heldout23.tsv": "9bbffcfbe15fa271ee48ae2cb2271397867f23f5d84cb0157d8b2585aedfab6f",
}
FORMER_HELD_OUT = [EVAL / "questions.tsv", EVAL / "blind.tsv"]
# Questions for entries added after the held-out set was locked, written by whoever adds the
# entry: tuning-grade, so its bars check that a new entry is found, not how well the bot does.
NEW_ENTRIES = EVAL / "new-entries.tsv"
NEW_ENTRY_BARS = {"hit1": 0.8, "wrong": 0.03}

# Bars per locked set. Where a target of the issues is met (hybrid: hit@1 0.92, wrong 1.5%,
# declined 0.95; triage: recall 0.97) it is the bar; where it is not, the bar is a regression
# guard a little below what the shipped models measured (README: "Targets not met yet") and
# the target is kept below as a strict expected failure.
HYBRID = {  # later looks with the triage of session 26 in the comments
    "heldout.tsv": {"hit1": 0.87, "wrong": 0.015, "declined": 0.95},  # later: 0.885
    "heldout2.tsv": {"hit1": 0.90, "wrong": 0.015, "declined": 0.95},  # later: 0.905
    "heldout3.tsv": {"hit1": 0.92, "wrong": 0.015, "declined": 0.95},
    "heldout4.tsv": {"hit1": 0.90, "wrong": 0.015, "declined": 0.95},  # later: 0.914
    "heldout5.tsv": {"hit1": 0.92, "wrong": 0.015, "declined": 0.95},  # wrong 3 of 209 (S72)
    "heldout6.tsv": {"hit1": 0.92, "wrong": 0.015, "declined": 0.95},
    "heldout7.tsv": {"hit1": 0.92, "wrong": 0.015, "declined": 0.95},
    "heldout8.tsv": {"hit1": 0.92, "wrong": 0.015, "declined": 0.95},
    "heldout9.tsv": {"hit1": 0.92, "wrong": 0.015, "declined": 0.95},
    "heldout10.tsv": {"hit1": 0.92, "wrong": 0.015, "declined": 0.90},  # later: 0.936
    "heldout11.tsv": {"hit1": 0.92, "wrong": 0.015, "declined": 0.92},  # later: 0.956, 0.945
    "heldout12.tsv": {"hit1": 0.92, "wrong": 0.015, "declined": 0.90},  # later: 0.929
    "heldout13.tsv": {"hit1": 0.92, "wrong": 0.015, "declined": 0.95},  # later: 0.946, 0.967
    "heldout14.tsv": {"hit1": 0.90, "wrong": 0.015, "declined": 0.95},  # later: 0.911, 0.977
    "heldout15.tsv": {"hit1": 0.87, "wrong": 0.015, "declined": 0.89},  # first: 0.885, 0.905
    "heldout16.tsv": {"hit1": 0.92, "wrong": 0.015, "declined": 0.95},  # first: 0.948, 0.960
    # first looked at on session 25's engine: 0.917, 0.964; on session 26's: 0.927, 0.964
    "heldout17.tsv": {"hit1": 0.92, "wrong": 0.015, "declined": 0.95},
    # first looked at on session 26's engine: 0.927, 0.966
    "heldout18.tsv": {"hit1": 0.92, "wrong": 0.015, "declined": 0.95},
    # first looked at on session 27's engine: 0.939, 0.953
    "heldout19.tsv": {"hit1": 0.92, "wrong": 0.015, "declined": 0.95},
    # first looked at on session 31's engine (session 32): 0.930, wrong 0.023, 0.943
    "heldout20.tsv": {"hit1": 0.92, "wrong": 0.03, "declined": 0.92},
    # first looked at on session 32's engine (session 33): 0.918, wrong 0.000, 0.900
    # hit@1 0.925 since session 44's spelling change (a dropped g put back)
    "heldout21.tsv": {"hit1": 0.92, "wrong": 0.015, "declined": 0.88},  # wrong 2 of 146 (S72)
    # first looked at on session 33's engine (session 36): 0.945, wrong 0.000, 0.972
    "heldout22.tsv": {"hit1": 0.92, "wrong": 0.015, "declined": 0.95},
    # first looked at in session 72, before and after the agreed answer cut: 0.918, 0.010, 0.980
    "heldout23.tsv": {"hit1": 0.90, "wrong": 0.015, "declined": 0.95},
}
LEXICAL = {
    "heldout.tsv": {"hit1": 0.80, "wrong": 0.03, "declined": 0.88},
    "heldout2.tsv": {"hit1": 0.90, "wrong": 0.03, "declined": 0.82},
    "heldout3.tsv": {"hit1": 0.88, "wrong": 0.03, "declined": 0.63},
    "heldout4.tsv": {"hit1": 0.78, "wrong": 0.03, "declined": 0.66},
    "heldout5.tsv": {"hit1": 0.84, "wrong": 0.05, "declined": 0.66},
    "heldout6.tsv": {"hit1": 0.86, "wrong": 0.05, "declined": 0.68},
    "heldout7.tsv": {"hit1": 0.81, "wrong": 0.03, "declined": 0.68},  # first look: 0.832
    "heldout8.tsv": {"hit1": 0.87, "wrong": 0.03, "declined": 0.68},  # first look: 0.896
    "heldout9.tsv": {"hit1": 0.85, "wrong": 0.05, "declined": 0.59},  # first look: 0.872
    "heldout10.tsv": {"hit1": 0.86, "wrong": 0.03, "declined": 0.75},  # first look: 0.881
    "heldout11.tsv": {"hit1": 0.84, "wrong": 0.03, "declined": 0.69},  # first look: 0.860
    "heldout12.tsv": {"hit1": 0.84, "wrong": 0.03, "declined": 0.69},  # first look: 0.856
    "heldout13.tsv": {"hit1": 0.73, "wrong": 0.06, "declined": 0.72},  # first: 0.750, 0.050
    "heldout14.tsv": {"hit1": 0.80, "wrong": 0.03, "declined": 0.80},  # first: 0.813, 0.814
    "heldout15.tsv": {"hit1": 0.81, "wrong": 0.03, "declined": 0.79},  # first: 0.823, 0.810
    "heldout16.tsv": {"hit1": 0.70, "wrong": 0.05, "declined": 0.79},  # first: 0.711, 0.041
    "heldout17.tsv": {"hit1": 0.78, "wrong": 0.03, "declined": 0.76},  # first: 0.798, 0.774
    "heldout18.tsv": {"hit1": 0.77, "wrong": 0.03, "declined": 0.77},  # first: 0.791, 0.787
    "heldout19.tsv": {"hit1": 0.78, "wrong": 0.04, "declined": 0.77},  # first: 0.809, 0.791
    "heldout20.tsv": {"hit1": 0.78, "wrong": 0.08, "declined": 0.60},  # first: 0.806, 0.062, 0.629
    "heldout21.tsv": {"hit1": 0.74, "wrong": 0.06, "declined": 0.73},  # first: 0.760, 0.041, 0.756
    "heldout22.tsv": {"hit1": 0.84, "wrong": 0.04, "declined": 0.74},  # first: 0.858, 0.024, 0.761
    "heldout23.tsv": {"hit1": 0.81, "wrong": 0.06, "declined": 0.58},  # first: 0.827, 0.041, 0.600
}
# triage held-out sets 1-9, whose false alarms had been read, are tuning sets since session 23
TARGET = {"hit1": 0.92, "declined": 0.95, "wrong": 0.015}


def test_every_set_with_held_out_bars_is_scored_as_a_locked_set() -> None:
    # figures.measure leaves out of a locked set what the models were fitted on
    assert {*HYBRID, *LEXICAL} <= figures.LOCKED <= {path.name for path in LOCKED}


@pytest.mark.parametrize("path", list(LOCKED), ids=lambda path: path.name)
def test_the_locked_sets_are_unchanged(path: Path) -> None:
    assert hashlib.sha256(path.read_bytes()).hexdigest() == LOCKED[path]


def test_every_entry_has_evaluation_questions(engine: Engine) -> None:
    # entries written after the held-out set was locked bring their own (CONTRIBUTING.md)
    labels = {e.label for path in (HELD_OUT, NEW_ENTRIES) for e in evaluate.read_examples(path)}
    assert {entry.id for entry in engine.entries} - labels == set()


def test_each_entry_of_the_per_entry_set_ranks_first_for_most_of_its_questions(
    engine: Engine,
) -> None:
    report = measured(engine, NEW_ENTRIES)

    weak = {label for label, (hits, total) in report.by_entry.items() if hits / total < 0.5}
    assert weak == set(), evaluate.format_report(report)
    assert report.answered_wrong <= NEW_ENTRY_BARS["wrong"], evaluate.format_report(report)


def test_the_per_entry_set_meets_its_hit_at_1_bar(engine: Engine) -> None:
    report = measured(engine, NEW_ENTRIES)

    assert report.hit_at_1 >= NEW_ENTRY_BARS["hit1"], evaluate.format_report(report)


# Messages of a locked set that are also in the fitting data (short, common phrasings two
# authors wrote independently, such as "are you a bot?"), counted when each set was locked:
# they are left out of its scores (tests/evaluation.py). A tuning question, phrasing or bank
# row that copies another locked message changes the count and fails the test. The FAQ
# sets' counts grew in session 23, when triage held-out sets 1-9 (which hold a few short ordinary
# questions also in FAQ sets 1-6) became the detector's fitting data.
ALSO_FITTED = {
    "heldout.tsv": 6,
    "heldout2.tsv": 7,
    "heldout3.tsv": 27,
    "heldout4.tsv": 18,
    "heldout5.tsv": 21,
    "heldout6.tsv": 1,
    "heldout7.tsv": 0,
    "heldout8.tsv": 0,
    "heldout9.tsv": 0,
    "heldout10.tsv": 0,
    "triage-heldout10.tsv": 0,
    "heldout11.tsv": 0,
    "triage-heldout11.tsv": 0,
    "heldout12.tsv": 0,
    "triage-heldout12.tsv": 0,
    "heldout13.tsv": 0,
    "triage-heldout13.tsv": 0,
    "heldout14.tsv": 0,
    "triage-heldout14.tsv": 0,
    "heldout15.tsv": 0,
    "triage-heldout15.tsv": 0,
    "heldout16.tsv": 0,
    "triage-heldout16.tsv": 0,
    "heldout17.tsv": 0,
    "triage-heldout17.tsv": 0,
    "heldout18.tsv": 0,
    "triage-heldout18.tsv": 0,
    "heldout19.tsv": 0,
    "heldout20.tsv": 0,
    "heldout21.tsv": 0,
    "heldout22.tsv": 0,
    "heldout23.tsv": 0,
    "triage-heldout19.tsv": 0,
    "triage-heldout20.tsv": 0,
    "triage-heldout21.tsv": 0,
    "triage-heldout22.tsv": 0,
    "triage-heldout23.tsv": 0,
    "triage-heldout24.tsv": 0,
    "triage-heldout25.tsv": 0,
    "triage-heldout26.tsv": 0,
    "triage-heldout27.tsv": 0,
    "triage-heldout28.tsv": 0,
    "triage-heldout29.tsv": 0,
}


@pytest.mark.parametrize(
    "path", [path for path in LOCKED if path.name in figures.LOCKED], ids=lambda path: path.name
)
def test_no_more_locked_messages_are_in_the_fitting_data(engine: Engine, path: Path) -> None:
    locked = [e.question.casefold() for e in evaluate.read_examples(path)]

    assert sum(question in fitted(engine) for question in locked) == ALSO_FITTED[path.name]


ROW = "| t.tsv | locked | hybrid | 0 | - | - | - | 0 | - | - | 250 | {recall} | {alarms} | 0.900 |"
FAQ_ROW = (
    "| h.tsv | locked | hybrid | 100 | {hit} | 0.900 | 0.010 | 50 | 0.960 | {outside} | 0 | - "
    "| 0.000 | - |"
)


def faq_row(hit: str = "0.930", outside: str = "0.020") -> str:
    """Give a FAQ row of the table with this hit@1 and out-of-scope answered rate."""
    return FAQ_ROW.format(hit=hit, outside=outside)


@pytest.mark.parametrize(
    ("written", "measured"),
    [
        (ROW.format(recall="0.984", alarms="0.075"), ROW.format(recall="0.980", alarms="0.075")),
        (ROW.format(recall="0.984", alarms="0.075"), ROW.format(recall="0.984", alarms="0.082")),
        (faq_row(), faq_row("0.940")),
        (faq_row(), faq_row(outside="0.040")),
    ],
)  # fmt: skip
def test_a_rate_one_message_away_still_agrees(written: str, measured: str) -> None:
    # a message on a threshold falls either side with another CPU's float rounding
    assert figures.differences(written, measured) == []


@pytest.mark.parametrize(
    ("written", "measured"),
    [
        (ROW.format(recall="0.984", alarms="0.075"), ROW.format(recall="0.976", alarms="0.075")),
        (ROW.format(recall="0.984", alarms="0.075"), ROW.format(recall="0.984", alarms="0.090")),
        (faq_row(), faq_row("0.950")),
        (faq_row(), faq_row(outside="0.060")),
        (faq_row(), faq_row().replace("| 100 |", "| 101 |")),
        (ROW.format(recall="0.984", alarms="0.075"), ROW.format(recall="-", alarms="0.075")),
        (ROW.format(recall="0.984", alarms="0.075"), ROW.format(recall="0.984", alarms="0.075")
         .replace("hybrid", "lexical")),
        ("Tuning sets, 5-fold: right 0.817", "Tuning sets, 5-fold: right 0.818"),
        ("a\nb", "a"),
    ],
)  # fmt: skip
def test_two_messages_a_count_a_label_or_a_note_apart_disagree(written: str, measured: str) -> None:
    assert figures.differences(written, measured)


def test_the_readme_figures_show_every_set_and_engine_then_the_notes(
    engine: Engine, lexical: Engine
) -> None:
    expected = [
        figures.HEADER,
        *(f"| {name} | {dict(figures.SETS)[name]} | {label}" for name in figures.shown()
          for label in ("hybrid", "lexical")),
        "",
        figures.notes(fitted(engine)),
        "",
        figures.pooled(readme_figures(), fitted(engine)),  # from the rows the tests check
    ]  # fmt: skip

    assert figures.labels(readme_figures()) == figures.labels("\n".join(expected)), STALE


def test_the_pooled_line_sums_the_locked_triage_rows_of_each_engine() -> None:
    rows = [
        "| triage-heldout10.tsv | locked | hybrid | 0 | - | - | - | 0 | - | - | 200 | 0.990"
        " | 0.020 | 0.899 |",
        "| triage-heldout10.tsv | locked | lexical | 0 | - | - | - | 0 | - | - | 200 | 0.500"
        " | 0.040 | 0.700 |",
        "| triage-heldout11.tsv | locked | hybrid | 0 | - | - | - | 0 | - | - | 100 | 0.970"
        " | 0.050 | 0.800 |",
        "| triage-dev6.tsv | tuning | hybrid | 0 | - | - | - | 0 | - | - | 100 | 0.500"
        " | 0.400 | 0.100 |",
    ]
    ordinary = {
        name: sum(e.label == "none" for e in evaluate.read_examples(EVAL / name))
        for name in ("triage-heldout10.tsv", "triage-heldout11.tsv")
    }
    alarms = round(0.02 * ordinary["triage-heldout10.tsv"]) + round(
        0.05 * ordinary["triage-heldout11.tsv"]
    )
    total = sum(ordinary.values())

    line = figures.pooled("\n".join(rows), frozenset())

    assert line.startswith("Pooled over the 2 locked triage sets: hybrid recall 0.983 (295 of 300)")
    assert f"false alarms {alarms / total:.1%} ({alarms} of {total})" in line
    assert "lexical recall 0.500 (100 of 200)" in line
    # 0.899 of 198 caught and 0.800 of 97: 178 + 78 of 295; the tuning row is not pooled
    assert "concern named right 0.868 (256 of 295)" in line
    assert "concern named right 0.700 (70 of 100)" in line


@pytest.mark.parametrize("name", [n for n in figures.shown() if not n.startswith("triage-")])
def test_the_readme_rows_of_each_faq_set_are_what_the_engines_measure_now(
    engine: Engine, lexical: Engine, name: str
) -> None:
    stale = stale_rows(name, engine, lexical)

    assert not stale, "\n".join([*stale, STALE])


def meets(report: evaluate.Report, measure: str, bar: float) -> bool:
    """Tell whether a report meets one bar: hit1 and declined at least it, wrong at most."""
    if measure == "wrong":
        return report.answered_wrong <= bar
    return (report.hit_at_1 if measure == "hit1" else report.declined) >= bar


@pytest.mark.parametrize("name", list(HYBRID))
def test_the_hybrid_engine_meets_its_bars_on_the_held_out_sets(engine: Engine, name: str) -> None:
    report, bars = measured(engine, EVAL / name), HYBRID[name]

    assert all(meets(report, measure, bar) for measure, bar in bars.items()), (
        evaluate.format_report(report)
    )


@pytest.mark.parametrize("name", list(LEXICAL))
def test_the_lexical_engine_meets_its_own_bars_on_the_held_out_sets(
    lexical: Engine, name: str
) -> None:
    report, bars = measured(lexical, EVAL / name), LEXICAL[name]

    assert all(meets(report, measure, bar) for measure, bar in bars.items()), (
        evaluate.format_report(report)
    )


# FAQ sets whose ordinary questions triage flags more often than the target (first looks)
FALSE_ALARMS_ABOVE: dict[str, str] = {}  # none since session 24 (held-out 10, 11: 2.4%)
ABOVE = {
    name: (pytest.mark.xfail(strict=True, reason=why),) for name, why in FALSE_ALARMS_ABOVE.items()
}


@pytest.mark.parametrize(
    "name",
    [
        pytest.param(path.name, marks=ABOVE.get(path.name, ()))
        for path in (
            *(path for path in LOCKED if not path.name.startswith("triage-")),
            EVAL / "dev10.tsv",  # read FAQ tuning sets written after the first fits
            EVAL / "dev11.tsv",
            EVAL / "dev12.tsv",
            EVAL / "dev13.tsv",
            EVAL / "dev14.tsv",
            EVAL / "dev15.tsv",
            EVAL / "dev16.tsv",
            EVAL / "dev17.tsv",
            EVAL / "dev18.tsv",
            *FORMER_HELD_OUT,
        )
    ],
)
def test_ordinary_questions_rarely_raise_a_false_alarm(engine: Engine, name: str) -> None:
    report = measured(engine, EVAL / name)

    assert report.false_red_flags <= 0.03, evaluate.format_report(report)


# the FAQ sets below a target of the issue (README: "Not met yet"), with the figure
HYBRID_BELOW_TARGET = {
    ("hit1", "heldout.tsv"): "0.885",
    ("hit1", "heldout2.tsv"): "0.905",
    ("hit1", "heldout4.tsv"): "0.914 (0.919 before session 53, 0.914 before session 44)",
    ("declined", "heldout10.tsv"): "0.947 (later look; first 0.926)",
    ("declined", "heldout11.tsv"): "0.945",
    ("declined", "heldout12.tsv"): "0.929",
    ("hit1", "heldout14.tsv"): "0.911 (later look; first 0.919)",
    ("hit1", "heldout15.tsv"): "0.892 (first look 0.885)",
    ("declined", "heldout15.tsv"): "0.905 (first look)",
    ("wrong", "heldout20.tsv"): "0.023 (first look)",
    ("declined", "heldout20.tsv"): "0.943 (first look)",
    ("declined", "heldout21.tsv"): "0.889 (first look 0.900, before session 52's scope rules)",
    ("hit1", "heldout23.tsv"): "0.918 (first look)",
}


@pytest.mark.parametrize(
    ("measure", "name"),
    [
        pytest.param(
            measure,
            name,
            marks=pytest.mark.xfail(strict=True, reason=HYBRID_BELOW_TARGET[measure, name]),
        )
        if (measure, name) in HYBRID_BELOW_TARGET
        else (measure, name)
        for measure in ("hit1", "declined", "wrong")
        for name in HYBRID
    ],
)
def test_the_hybrid_targets_are_met(engine: Engine, measure: str, name: str) -> None:
    report = measured(engine, EVAL / name)

    assert meets(report, measure, TARGET[measure])


def test_out_of_scope_messages_answered_with_an_entry_are_counted(engine: Engine) -> None:
    examples = [
        evaluate.Example("is magnesium safe in pregnancy?", evaluate.OOS),  # answered
        evaluate.Example("what is the capital of france", evaluate.OOS),  # declined
        evaluate.Example("hello there", evaluate.CHITCHAT),  # small talk
        evaluate.Example("magnesium", evaluate.OOS),  # one word: offered at most
    ]
    statuses = [o.status for o in evaluate.run(engine, examples)]
    report = evaluate.score(evaluate.run(engine, examples), {})

    assert statuses == [Status.ANSWERED, Status.OUT_OF_SCOPE, Status.CHITCHAT, Status.UNSURE]
    assert report.answered_outside == 0.25
    assert report.declined == 0.5  # small talk answered as small talk counts as declined
