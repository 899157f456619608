"""Fit the triage detector: all-MiniLM-L6-v2 fine-tuned as a 27-class classifier, as int8 ONNX.

A maintainer runs this after the exemplar bank (faq/data/triage/bank.tsv), the corpus, the
tuning sets or the red-flag rules change, in the torch environment of scripts/export_model.py
(see its docstring), with magbot importable:

    HF_HUB_OFFLINE=1 PYTHONPATH=. /tmp/venv-torch/bin/python scripts/fit_detector.py --write

What it does, on the rows of faq.maintain.fit_triage (the bank, the triage tuning sets, every
corpus phrasing, the tuning questions and the out-of-scope bank; never the locked held-out sets):
1. k-fold cross-validation (--folds, 5 by default; sessions 35-36 used 3): for each fold,
   fine-tune MiniLM (mean pooling and one linear layer, AdamW, warm-up then linear decay) on
   the other folds' rows and the variants of their bank messages (fit_triage.augmented),
   export it to ONNX, quantise it to int8 as scripts/export_model.py does, and score the
   fold's own rows, which it never saw, through faq.triage.detector, exactly as triage reads a
   message (the whole message and its sentence windows); every copy of a normalised text falls
   in one fold (since session 36), so no message is scored by a model that trained on the
   same text;
2. thresholds from those scores (faq.maintain.fit_triage.thresholds), and the report;
3. with --write, fine-tune on every row, export, quantise, and write faq/data/triage/detector/
   (model.onnx and detector.json: classes, thresholds, checksums, how it was made, the CV
   figures).
`--rows next` fits on the rows of the next refit (fit_triage.NEXT_TRIAGE_SETS and
NEXT_FAQ_SETS beside the shipped rows: 54,815 in session 74). A run that saves its folds with
`--scores FILE` resumes at the next fold when given the same file, and refuses a file of other
rows (their fingerprint is saved with the scores); session 74's 3-fold, 1-epoch run of the next
rows keeps its file in scripts/refit/:

    HF_HUB_OFFLINE=1 PYTHONPATH=. /tmp/venv-torch/bin/python scripts/fit_detector.py \
        --rows next --folds 3 --epochs 1 --scores scripts/refit/next-3fold-1epoch.npz

About 230 s an epoch on four fifths of 14,642 rows on a free 2-core AVX2 machine (session 31);
with the variants, about 530 s an epoch on two thirds of 15,900 rows (session 35), so about
30 minutes a fold at 3 epochs and 2 hours for a 3-fold run: start it early.
"""

from __future__ import annotations

import argparse
import hashlib
import importlib.metadata as metadata
import json
import platform
import sys
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import torch
from torch import nn
from transformers import AutoModel

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT), str(ROOT / "scripts")]

from export_model import OPSET, _packaged_model_dir, quantize, strip_debug_info  # noqa: E402

from faq.build import default_data_dir, engine_for, load_rules  # noqa: E402
from faq.corpus import load_corpus  # noqa: E402
from faq.maintain import fit_triage  # noqa: E402
from faq.maintain.learn import grouped_folds  # noqa: E402
from faq.semantic import Encoder, file_sha256, load_session  # noqa: E402
from faq.triage.assess import detection  # noqa: E402
from faq.triage.detector import MANIFEST, NONE, Detector  # noqa: E402

BATCH = 32
RATE = 5e-5
INPUTS = ("input_ids", "attention_mask")
OUT = ROOT / "faq" / "data" / "triage" / "detector"


class Classifier(nn.Module):
    """MiniLM with mean pooling, as the model card pools, and one linear layer on top."""

    def __init__(self, source: Path, classes: int) -> None:
        super().__init__()
        self.bert = AutoModel.from_pretrained(
            str(source), local_files_only=True, attn_implementation="eager"
        )
        self.out = nn.Linear(self.bert.config.hidden_size, classes)

    def forward(self, input_ids: torch.Tensor, attention_mask: torch.Tensor) -> torch.Tensor:
        """Give the class logits of a padded batch."""
        hidden = self.bert(input_ids=input_ids, attention_mask=attention_mask).last_hidden_state
        weights = attention_mask[..., None].float()
        return self.out((hidden * weights).sum(1) / weights.sum(1).clamp(min=1e-9))


def main() -> None:
    """Cross-validate, choose thresholds, report, and with --write fit and ship the detector."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--epochs", type=int, default=3)
    parser.add_argument("--folds", type=int, default=5, help="cross-validation folds (>= 2)")
    parser.add_argument(
        "--scores",
        type=Path,
        help="save the CV scores after every fold (or, with --reuse, load them); a file that"
        " holds some folds of the same rows resumes the run at the next fold",
    )
    parser.add_argument("--reuse", action="store_true", help="load the CV scores, do not refit")
    parser.add_argument(
        "--rows",
        choices=("shipped", "next"),
        default="shipped",
        help="the shipped detector's rows, or the next refit's (fit_triage.NEXT_TRIAGE_SETS and"
        " NEXT_FAQ_SETS beside them)",
    )
    parser.add_argument("--write", action="store_true", help=f"write {OUT.relative_to(ROOT)}")
    parser.add_argument(
        "--keep-model",
        action="store_true",
        help="with --write, keep the shipped model and rewrite only detector.json (after a"
        " change to how triage reads a message, or to the rules, not to the training rows)",
    )
    args = parser.parse_args()
    if args.folds < 2:
        parser.error("--folds needs at least 2")
    torch.manual_seed(0)
    torch.set_num_threads(2)
    np.random.seed(0)
    source = _packaged_model_dir()
    engine = engine_for(load_corpus(), load_rules(), semantic=True, detector=False)
    encoder = engine.encoder
    assert isinstance(encoder, Encoder)
    rows = fit_triage.training_rows(engine, default_data_dir(), following=args.rows == "next")
    count, mark = len(rows.queries), fingerprint(rows)
    print(f"{count} rows, fingerprint {mark}", flush=True)
    saved = Scores.load(args.scores, args.folds, count, mark) if args.scores else None
    if saved is not None and saved.problem:
        parser.error(f"{args.scores}: {saved.problem}")
    if args.reuse and (saved is None or not saved.complete):
        parser.error(f"--reuse needs the scores of all {args.folds} folds in --scores")
    if not args.reuse and saved is not None and saved.complete:
        parser.error(f"{args.scores} holds every fold: give --reuse, or another --scores file")
    if saved is None or not saved.complete:
        saved = cross_validate(source, encoder, rows, args.epochs, args.folds, saved, args.scores)
    chance, guess = saved.chance, saved.guess
    flag_at, net_at = fit_triage.thresholds(chance, guess, rows)
    figures = fit_triage.report(chance, guess, rows, flag_at, net_at, args.folds)
    print(figures, flush=True)
    if args.write:
        OUT.mkdir(parents=True, exist_ok=True)
        if not args.keep_model:
            torch.manual_seed(0)
            np.random.seed(0)
            model = train(source, encoder, rows, np.arange(len(rows.queries)), args.epochs)
            export(model, OUT / "model.onnx")
        manifest = describe(encoder, rows, flag_at, net_at, args.epochs, args.folds, figures)
        (OUT / MANIFEST).write_text(json.dumps(manifest, indent=2) + "\n", encoding="utf-8")
        print(f"wrote {OUT} ({(OUT / 'model.onnx').stat().st_size / 1e6:.1f} MB model)")


@dataclass
class Scores:
    """Out-of-fold scores of a cross-validation run, and which of its folds are done."""

    chance: np.ndarray
    guess: np.ndarray
    folds: int
    done: set[int]
    problem: str = ""
    rows: str = ""  # the fingerprint of the rows scored (see fingerprint)

    @property
    def complete(self) -> bool:
        """True when every fold has been scored."""
        return len(self.done) == self.folds

    @classmethod
    def load(cls, path: Path, folds: int, count: int, rows: str) -> Scores | None:
        """Give the scores saved at path (None if there are none), with a problem when they
        belong to another run: another fold count or other rows (their fingerprint; a file
        saved before session 74 has none and is taken on its count of rows alone)."""
        if not path.exists():
            return None
        with np.load(path) as saved:
            chance, guess = saved["chance"], saved["guess"]
            held = int(saved["folds"]) if "folds" in saved else folds
            done = {int(k) for k in saved["done"]} if "done" in saved else set(range(held))
            scored = str(saved["rows"]) if "rows" in saved else ""
        scores = cls(chance, guess, held, done, rows=scored or rows)
        if held != folds:
            scores.problem = f"holds {held}-fold scores, not {folds}-fold"
        elif len(chance) != count or (scored and scored != rows):
            scores.problem = f"holds scores of other rows ({scored or len(chance)}), not these"
        return scores

    def save(self, path: Path) -> None:
        """Write the scores, the folds done and the rows' fingerprint to path."""
        done = np.array(sorted(self.done), dtype=int)
        with path.open("wb") as file:  # np.savez given a name would add ".npz" to it
            np.savez_compressed(
                file, chance=self.chance, guess=self.guess, folds=self.folds, done=done,
                rows=self.rows,
            )  # fmt: skip


def fingerprint(rows: fit_triage.Rows) -> str:
    """Give a short checksum of the rows' texts and labels, in order: a saved run resumes only
    on the same rows."""
    joined = "\n".join(
        f"{q.normalised}\t{label}" for q, label in zip(rows.queries, rows.labels, strict=True)
    )
    return hashlib.sha256(joined.encode()).hexdigest()[:16]


def cross_validate(
    source: Path,
    encoder: Encoder,
    rows: fit_triage.Rows,
    epochs: int,
    fold_count: int,
    saved: Scores | None,
    path: Path | None,
) -> Scores:
    """Give each message's out-of-fold probability of an emergency and its likeliest category,
    resuming from the folds already saved; each fold seeds its own training, so a resumed
    run gives what an unbroken one does."""
    scores = saved or Scores(
        np.zeros(len(rows.queries)),
        np.full(len(rows.queries), rows.classes.index(NONE)),
        fold_count,
        set(),
        rows=fingerprint(rows),
    )
    texts = [q.normalised for q in rows.queries]  # a repeated text stays in one fold
    for number, (train_rows, test_rows) in enumerate(grouped_folds(texts, fold_count)):
        if number in scores.done:
            print(f"fold {number + 1} of {fold_count}: saved", flush=True)
            continue
        print(f"fold {number + 1} of {fold_count}", flush=True)
        torch.manual_seed(number)
        np.random.seed(number)
        model = train(source, encoder, rows, train_rows, epochs)
        with tempfile.TemporaryDirectory() as tmp:
            export(model, Path(tmp) / "model.onnx")
            detector = Detector(
                load_session(Path(tmp) / "model.onnx", 1), encoder.tokenizer, encoder.pad_id,
                rows.classes, 0.5, 0.5, "",
            )  # fmt: skip
            for i in test_rows:
                scores.chance[i], scores.guess[i] = score(detector, rows, int(i))
        scores.done.add(number)
        if path is not None:
            scores.save(path)
    return scores


def score(detector: Detector, rows: fit_triage.Rows, i: int) -> tuple[float, int]:
    """Give a message's probability of an emergency and its category, as triage reads it."""
    found = detection(detector, rows.queries[i])
    if found is None:  # triage does not ask the detector
        return 0.0, rows.classes.index(NONE)
    return found.probability, rows.classes.index(found.category)


def train(
    source: Path, encoder: Encoder, rows: fit_triage.Rows, chosen: np.ndarray, epochs: int
) -> Classifier:
    """Give the classifier fine-tuned on the chosen rows and their variants
    (fit_triage.augmented; AdamW, warm-up then linear decay)."""
    texts, labels, trained = fit_triage.augmented(rows, chosen)
    model = Classifier(source, len(rows.classes))
    optimiser = torch.optim.AdamW(model.parameters(), lr=RATE, weight_decay=0.01)
    steps = epochs * -(-len(trained) // BATCH)
    warm = 0.1 * steps
    schedule = torch.optim.lr_scheduler.LambdaLR(
        optimiser, lambda k: k / warm if k < warm else max(0.0, (steps - k) / (steps - warm))
    )
    weights = class_weights(labels[trained], rows.classes)
    loss = nn.CrossEntropyLoss(weight=torch.tensor(weights, dtype=torch.float32))
    for epoch in range(epochs):
        model.train()
        start = time.time()
        for chunk, ids, mask in batches(encoder, texts, trained):
            optimiser.zero_grad()
            loss(model(ids, mask), torch.tensor(labels[chunk])).backward()
            optimiser.step()
            schedule.step()
        print(f"  epoch {epoch + 1}: {time.time() - start:.0f} s", flush=True)
    return model.eval()


def batches(
    encoder: Encoder, texts: list[str], chosen: np.ndarray
) -> Iterator[tuple[np.ndarray, torch.Tensor, torch.Tensor]]:
    """Give shuffled (rows, ids, mask) batches of texts of similar length, tokenised as triage."""
    ordered = np.array(sorted(chosen, key=lambda i: len(texts[i])))
    chunks = [ordered[i : i + BATCH] for i in range(0, len(ordered), BATCH)]
    for k in np.random.permutation(len(chunks)):
        encodings = encoder.tokenizer.encode_batch([texts[i] for i in chunks[k]])
        width = max(len(e.ids) for e in encodings)
        ids = torch.full((len(encodings), width), encoder.pad_id, dtype=torch.long)
        mask = torch.zeros_like(ids)
        for row, encoding in enumerate(encodings):
            ids[row, : len(encoding.ids)] = torch.tensor(encoding.ids)
            mask[row, : len(encoding.ids)] = 1
        yield chunks[k], ids, mask


def class_weights(labels: np.ndarray, names: tuple[str, ...]) -> np.ndarray:
    """Give class weights under which "none" weighs as much as all the emergencies together,
    over the labels trained on (the chosen rows and their variants; before session 36: every
    row, without variants)."""
    classes = len(names)
    counts = np.maximum(np.bincount(labels, minlength=classes).astype(float), 1)
    share = np.full(classes, 0.5 / (classes - 1))
    share[names.index(NONE)] = 0.5
    return np.asarray(share * len(labels) / counts)


def export(model: Classifier, target: Path) -> None:
    """Export the classifier to ONNX and quantise it to int8 at `target`."""
    ids = torch.tensor([[101, 7592, 2088, 102], [101, 7592, 102, 0]])  # [CLS] hello world [SEP]
    batch, sequence = torch.export.Dim("batch"), torch.export.Dim("sequence", max=512)
    with tempfile.TemporaryDirectory() as tmp, torch.no_grad():
        fp32 = Path(tmp) / "fp32.onnx"
        torch.onnx.export(
            model,
            (ids, (ids != 0).long()),
            str(fp32),
            input_names=list(INPUTS),
            output_names=["logits"],
            opset_version=OPSET,
            dynamo=True,
            external_data=False,
            dynamic_shapes={
                name: {0: batch, 1: sequence} for name in ("input_ids", "attention_mask")
            },
        )
        strip_debug_info(fp32)
        quantize(fp32, target)


def describe(
    encoder: Encoder,
    rows: fit_triage.Rows,
    flag_at: float,
    net_at: float,
    epochs: int,
    fold_count: int,
    cv: str,
) -> dict[str, Any]:
    """Give detector.json: classes, thresholds, checksums, how it was made, the CV figures."""
    model = OUT / "model.onnx"
    versioned = ("torch", "transformers", "onnx", "onnxscript", "onnxruntime", "tokenizers")
    return {
        "name": "all-MiniLM-L6-v2 fine-tuned as a triage classifier",
        "classes": list(rows.classes),
        "flag_at": flag_at,
        "net_at": net_at,
        "files": {"model.onnx": {"sha256": file_sha256(model), "bytes": model.stat().st_size}},
        "tokenizer_sha256": encoder.tokenizer_checksum,
        "base_model_sha256": encoder.checksum,
        "inputs": ["input_ids", "attention_mask"],
        "output": "logits",
        "training": {
            "rows": len(rows.queries),
            "bank_sha256": file_sha256(default_data_dir() / "triage" / "bank.tsv"),
            "tuning_sets": [
                p.name for p in (*fit_triage.DETECTOR_TOPIC_SETS, *fit_triage.DETECTOR_FAQ_SETS)
            ],
            "triage_tuning_sets": [p.name for p in fit_triage.TRIAGE_TUNING_SETS],
            "epochs": epochs,
            "variants": "fit_triage.augmented: a plea and/or a leg cramp beside half the bank's"
            " and triage tuning sets' messages, at training time only",
            "batch": BATCH,
            "learning_rate": RATE,
            "seed": 0,
        },
        "cross_validation": cv.splitlines(),
        "made_by": {
            "script": "scripts/fit_detector.py",
            "command": "HF_HUB_OFFLINE=1 PYTHONPATH=. python scripts/fit_detector.py --write"
            f" --folds {fold_count}",
            "export": f"torch.onnx.export(dynamo=True, opset {OPSET}), eager attention",
            "quantisation": "int8 dynamic quantisation, per channel (as scripts/export_model.py)",
            "python": platform.python_version(),
            "versions": {name: metadata.version(name) for name in versioned},
        },
    }


if __name__ == "__main__":
    main()
