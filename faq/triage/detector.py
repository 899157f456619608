"""The learned layer of triage: all-MiniLM-L6-v2 fine-tuned as a 27-class classifier.

Fitted by `scripts/fit_detector.py` (in the torch environment of scripts/export_model.py) on
the exemplar bank (data/triage/bank.tsv) and hard negatives, shipped as an int8 ONNX model in
data/triage/detector/ with detector.json: its classes, thresholds chosen by 5-fold
cross-validation, and the sha256 of the model and of the tokenizer it shares with the encoder.
It reads the whole message and each of its sentence windows, so a warning sign buried in a
long story counts. Unlike the sentence embedding, which puts "what are the signs of a clot"
beside "my calf is hot and swollen", the fine-tuned model learned to tell them apart.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
from tokenizers import Tokenizer

from faq.semantic import (
    DEFAULT_THREADS,
    MODEL_FILE,
    Encoder,
    ModelError,
    load_session,
    read_manifest,
    records_dir,
    verified_file,
)

NONE = "none"
MANIFEST = "detector.json"


@dataclass(frozen=True)
class Detection:
    """The most likely emergency category of a message, and how likely any emergency is."""

    category: str
    probability: float  # of any emergency, in the window where it is highest
    window: int  # 0 for the whole message, else the sentence window's number
    scores: Mapping[str, float]  # each class's probability, in that window
    #: for each category that is the likeliest in the message or in one of its windows: the
    #: highest probability of any emergency where it is (a second concern elsewhere in it)
    tops: Mapping[str, float] = field(default_factory=dict)


@dataclass(frozen=True)
class Detector:
    """A loaded classifier and the probabilities of any emergency that act on its verdict."""

    session: Any  # onnxruntime.InferenceSession: (ids, mask) -> logits over `classes`
    tokenizer: Tokenizer
    pad_id: int
    classes: tuple[str, ...]
    flag_at: float  # probability of any emergency that raises a flag
    net_at: float  # lower probability that adds the "if this is happening now" line
    checksum: str  # sha256 of the ONNX model

    @classmethod
    def load(cls, directory: Path, encoder: Encoder, cache_dir: Path | None = None) -> Detector:
        """Verify the model in `directory` against detector.json and load it (else ModelError).

        The tokenizer is the encoder's: detector.json records its sha256, and a detector
        trained on another one is refused.
        """
        manifest = read_manifest(directory, MANIFEST)
        checksum = verified_file(directory / MODEL_FILE, manifest, records_dir(cache_dir))
        if manifest.get("tokenizer_sha256") != encoder.tokenizer_checksum:
            raise ModelError(f"{directory / MANIFEST}: trained with another tokenizer; refit it")
        classes = manifest.get("classes")
        if not isinstance(classes, list) or NONE not in classes or len(set(classes)) < 2:
            raise ModelError(f"{directory / MANIFEST}: 'classes' must list {NONE!r} and more")
        if len(set(classes)) != len(classes):
            raise ModelError(f"{directory / MANIFEST}: 'classes' lists a class twice")
        flag_at = _probability(manifest, directory, "flag_at")
        net_at = _probability(manifest, directory, "net_at")
        if net_at > flag_at:
            raise ModelError(f"{directory / MANIFEST}: 'net_at' is above 'flag_at'")
        detector = cls(
            load_session(directory / MODEL_FILE, DEFAULT_THREADS),
            encoder.tokenizer,
            encoder.pad_id,
            tuple(str(c) for c in classes),
            flag_at,
            net_at,
            checksum,
        )
        detector._probe(directory)
        return detector

    def _probe(self, directory: Path) -> None:
        """Raise ModelError unless the model takes ids and mask and gives a row per class."""
        inputs = {i.name for i in self.session.get_inputs()}
        if inputs != {"input_ids", "attention_mask"}:
            raise ModelError(
                f"{directory / MODEL_FILE}: inputs {sorted(inputs)} are not ids and mask"
            )
        try:
            probabilities = self.probabilities(["my calf hurts"])
        except Exception as exc:  # onnxruntime raises its own exception types
            raise ModelError(
                f"{directory / MODEL_FILE}: cannot classify a message ({exc})"
            ) from None
        if probabilities.shape != (1, len(self.classes)) or not np.isfinite(probabilities).all():
            raise ModelError(
                f"{directory / MODEL_FILE}: gives {probabilities.shape[-1]} scores for"
                f" {len(self.classes)} classes"
            )

    def probabilities(self, texts: Sequence[str]) -> np.ndarray:
        """Give each text's class probabilities, in the order of `classes`."""
        if not texts:
            return np.zeros((0, len(self.classes)))
        encodings = self.tokenizer.encode_batch(list(texts))
        width = max(len(e.ids) for e in encodings)
        ids = np.full((len(encodings), width), self.pad_id, dtype=np.int64)
        mask = np.zeros_like(ids)
        for row, encoding in enumerate(encodings):
            ids[row, : len(encoding.ids)] = encoding.ids
            mask[row, : len(encoding.ids)] = 1
        (logits,) = self.session.run(None, {"input_ids": ids, "attention_mask": mask})
        logits = np.asarray(logits, dtype=np.float64)
        shifted = np.exp(logits - logits.max(axis=1, keepdims=True))
        return np.asarray(shifted / shifted.sum(axis=1, keepdims=True))

    def detect(self, message: str | None, windows: Sequence[str] = ()) -> Detection:
        """Give the strongest emergency over the message (None: skip it) and its windows.

        The window number is 0 for the whole message, else the window's from 1.
        """
        parts = [self.probabilities([message])] if message is not None else []
        if windows:  # apart from the message: a batch pads every text to its longest
            parts.append(self.probabilities(windows))
        if not parts:
            raise ValueError("detect() needs a message or a window")
        probabilities = np.vstack(parts)
        none = self.classes.index(NONE)
        emergency = 1.0 - probabilities[:, none]
        best = int(np.argmax(emergency))
        rows = probabilities.copy()
        rows[:, none] = -1.0
        likeliest = np.argmax(rows, axis=1)
        tops: dict[str, float] = {}
        for index, chance in zip(likeliest, emergency, strict=True):
            name = self.classes[int(index)]
            tops[name] = max(tops.get(name, 0.0), float(chance))
        window = best if message is not None else best + 1
        scores = dict(zip(self.classes, map(float, probabilities[best]), strict=True))
        category = self.classes[int(likeliest[best])]
        return Detection(category, float(emergency[best]), window, scores, tops)


def _probability(manifest: dict[str, Any], directory: Path, name: str) -> float:
    value = manifest.get(name)
    if not isinstance(value, float) or not 0.0 < value < 1.0:
        raise ModelError(f"{directory / MANIFEST}: {name!r} must be a probability")
    return value
