"""Offline sentence embeddings: all-MiniLM-L6-v2 as an int8 ONNX model, plus an on-disk cache.

Needs numpy, onnxruntime and tokenizers only: never torch or sentence-transformers, and nothing
is downloaded. The model directory (faq/data/model, made by scripts/export_model.py) holds
model.onnx, tokenizer.json and model.json; model.json records the sha256 of the other two, and
Encoder.load() refuses files that do not match it. encode() reproduces sentence-transformers:
truncation at 256 tokens, mean pooling over the attention mask, then L2 normalisation.
"""

from __future__ import annotations

import hashlib
import io
import json
import os
from collections.abc import Sequence
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt
import onnxruntime as ort
from tokenizers import Encoding, Tokenizer

from faq import files
from faq.checksum import file_sha256 as file_sha256  # re-exported: scripts/export_model.py
from faq.checksum import remembered_sha256

MODEL_FILE = "model.onnx"
TOKENIZER_FILE = "tokenizer.json"
MANIFEST_FILE = "model.json"
BATCH_SIZE = 32
DEFAULT_THREADS = 1  # one question at a time is fastest on one thread; see benchmarks/
CACHE_FORMAT = "magbot-embeddings-v1"

Vectors = npt.NDArray[np.float32]


class ModelError(Exception):
    """The model directory is unusable: a file is missing, unreadable or fails its checksum."""


@dataclass(frozen=True)
class Encoder:
    """A loaded sentence encoder; build it with Encoder.load(), then call encode()."""

    session: Any  # onnxruntime.InferenceSession
    tokenizer: Tokenizer
    checksum: str  # sha256 of model.onnx, as recorded in model.json
    tokenizer_checksum: str
    dim: int
    pad_id: int
    batch_size: int = BATCH_SIZE

    @classmethod
    def load(
        cls, directory: Path, threads: int = DEFAULT_THREADS, cache_dir: Path | None = None
    ) -> Encoder:
        """Verify the files in `directory` against model.json, then load the model.

        A file's sha256 is remembered under cache_dir (default_cache_dir() when None) while
        the file is unchanged; see faq.checksum.
        """
        if threads < 1:
            raise ValueError("threads must be at least 1")
        manifest = read_manifest(directory)
        records = records_dir(cache_dir)
        model_sha = verified_file(directory / MODEL_FILE, manifest, records)
        tokenizer_sha = verified_file(directory / TOKENIZER_FILE, manifest, records)
        max_length = _int_field(manifest, directory, "max_seq_length")
        tokenizer, pad_id = _load_tokenizer(directory / TOKENIZER_FILE, max_length)
        return cls(
            session=load_session(directory / MODEL_FILE, threads),
            tokenizer=tokenizer,
            checksum=model_sha,
            tokenizer_checksum=tokenizer_sha,
            dim=_int_field(manifest, directory, "dim"),
            pad_id=pad_id,
        )

    def encode(self, texts: Sequence[str]) -> Vectors:
        """Give one L2-normalised float32 row of length `dim` per text, in order."""
        if isinstance(texts, str):
            raise TypeError("encode() takes a sequence of texts, not a single string")
        encodings = self.tokenizer.encode_batch(list(texts))
        # Like sentence-transformers, batch texts of similar length together: less padding.
        order = sorted(range(len(encodings)), key=lambda i: len(encodings[i].ids))
        vectors = np.zeros((len(encodings), self.dim), dtype=np.float32)
        for start in range(0, len(order), self.batch_size):
            chosen = order[start : start + self.batch_size]
            vectors[chosen] = self._encode_batch([encodings[i] for i in chosen])
        return vectors

    def _encode_batch(self, encodings: list[Encoding]) -> Vectors:
        """Run the model on a batch padded to its longest text; pool and normalise."""
        width = max(len(e.ids) for e in encodings)
        ids = np.full((len(encodings), width), self.pad_id, dtype=np.int64)
        mask = np.zeros_like(ids)
        types = np.zeros_like(ids)
        for row, encoding in enumerate(encodings):
            ids[row, : len(encoding.ids)] = encoding.ids
            mask[row, : len(encoding.ids)] = 1
            types[row, : len(encoding.ids)] = encoding.type_ids
        feeds = {"input_ids": ids, "attention_mask": mask, "token_type_ids": types}
        wanted = {i.name for i in self.session.get_inputs()}
        (hidden,) = self.session.run(None, {k: v for k, v in feeds.items() if k in wanted})
        return _normalize(_mean_pool(np.asarray(hidden, dtype=np.float32), mask))


def default_model_dir() -> Path:
    """Give the directory of the model shipped with the package."""
    return Path(str(resources.files("faq") / "data" / "model"))


def default_cache_dir() -> Path:
    """Give $MAGBOT_CACHE_DIR, else $XDG_CACHE_HOME/magbot, else ~/.cache/magbot."""
    if explicit := os.environ.get("MAGBOT_CACHE_DIR"):
        return Path(explicit)
    xdg = os.environ.get("XDG_CACHE_HOME")
    return (Path(xdg) if xdg else Path.home() / ".cache") / "magbot"


def cached_encode(encoder: Encoder, texts: Sequence[str], cache_dir: Path | None = None) -> Vectors:
    """Give encoder.encode(texts), read from the cache when there, else computed and stored."""
    if isinstance(texts, str):
        raise TypeError("cached_encode() takes a sequence of texts, not a single string")
    if not texts:
        return encoder.encode(texts)
    path = _cache_path(encoder, texts, cache_dir)
    cached = _read_cached(path, len(texts), encoder.dim) if path else None
    if cached is not None:
        return cached
    vectors = encoder.encode(texts)
    if path:
        _store(path, vectors)
    return vectors


def cache_key(encoder: Encoder, texts: Sequence[str]) -> str:
    """Give the sha256 naming the cache entry of these texts under this model."""
    payload = [CACHE_FORMAT, encoder.checksum, encoder.tokenizer_checksum, list(texts)]
    return hashlib.sha256(json.dumps(payload, ensure_ascii=False).encode("utf-8")).hexdigest()


def read_manifest(directory: Path, name: str = MANIFEST_FILE) -> dict[str, Any]:
    """Give the directory's manifest (model.json) as a dict, or raise ModelError."""
    path = directory / name
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ModelError(f"{path}: missing") from None
    except (OSError, ValueError) as exc:
        raise ModelError(f"{path}: unreadable ({exc})") from None
    if not isinstance(data, dict):
        raise ModelError(f"{path}: not a JSON object")
    return data


def _int_field(manifest: dict[str, Any], directory: Path, name: str) -> int:
    """Give a positive integer field of model.json, or raise ModelError."""
    value = manifest.get(name)
    if not isinstance(value, int) or isinstance(value, bool) or value <= 0:
        raise ModelError(f"{directory / MANIFEST_FILE}: {name!r} must be a positive integer")
    return value


def records_dir(cache_dir: Path | None) -> Path | None:
    """Give where checksums are remembered, or None when no cache directory can be found."""
    try:
        return (cache_dir if cache_dir is not None else default_cache_dir()) / "verified"
    except RuntimeError:  # Path.home() without a home directory
        return None


def verified_file(path: Path, manifest: dict[str, Any], records: Path | None) -> str:
    """Give the file's sha256 if it matches its manifest, else raise ModelError."""
    files = manifest.get("files")
    entry = files.get(path.name) if isinstance(files, dict) else None
    expected = entry.get("sha256") if isinstance(entry, dict) else None
    if not isinstance(expected, str):
        raise ModelError(f"{path.parent}: its manifest records no sha256 for {path.name}")
    try:
        actual = remembered_sha256(path, records)
    except FileNotFoundError:
        raise ModelError(f"{path}: missing") from None
    except OSError as exc:
        raise ModelError(f"{path}: unreadable ({exc.strerror})") from None
    if actual != expected:
        raise ModelError(f"{path}: checksum mismatch (sha256 {actual}, recorded {expected})")
    return actual


def _load_tokenizer(path: Path, max_length: int) -> tuple[Tokenizer, int]:
    """Load tokenizer.json set to truncate at max_length and not to pad; give it and [PAD]'s id."""
    try:
        tokenizer = Tokenizer.from_file(str(path))
    except Exception as exc:  # the tokenizers library raises plain Exception
        raise ModelError(f"{path}: not a usable tokenizer ({exc})") from None
    pad_id = tokenizer.token_to_id("[PAD]")
    if pad_id is None:
        raise ModelError(f"{path}: has no [PAD] token")
    tokenizer.enable_truncation(max_length=max_length)
    tokenizer.no_padding()  # encode() pads each batch to its longest text itself
    return tokenizer, pad_id


def load_session(path: Path, threads: int) -> Any:
    """Create a CPU onnxruntime session with fixed, deterministic options."""
    options = ort.SessionOptions()
    options.intra_op_num_threads = threads
    options.inter_op_num_threads = 1
    options.execution_mode = ort.ExecutionMode.ORT_SEQUENTIAL
    options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
    options.use_deterministic_compute = True
    options.log_severity_level = 3
    options.add_session_config_entry("session.intra_op.allow_spinning", "0")
    try:
        return ort.InferenceSession(str(path), options, providers=["CPUExecutionProvider"])
    except Exception as exc:  # onnxruntime raises its own exception types
        raise ModelError(f"{path}: onnxruntime cannot load it ({exc})") from None


def _mean_pool(hidden: Vectors, mask: npt.NDArray[np.int64]) -> Vectors:
    """Average the token vectors where the attention mask is 1 (the model card's pooling)."""
    weights = mask[:, :, None].astype(np.float32)
    summed = (hidden * weights).sum(axis=1)
    counts = np.clip(weights.sum(axis=1), 1e-9, None)
    pooled: Vectors = (summed / counts).astype(np.float32)
    return pooled


def _normalize(vectors: Vectors) -> Vectors:
    """Scale each row to unit L2 length (rows of zeros stay zero)."""
    norms = np.linalg.norm(vectors, axis=1, keepdims=True)
    unit: Vectors = (vectors / np.maximum(norms, 1e-12)).astype(np.float32)
    return unit


def _cache_path(encoder: Encoder, texts: Sequence[str], cache_dir: Path | None) -> Path | None:
    """Give the cache file for these texts, or None when no cache directory can be found."""
    try:
        folder = cache_dir if cache_dir is not None else default_cache_dir()
    except RuntimeError:  # Path.home() without a home directory
        return None
    return folder / f"embeddings-{cache_key(encoder, texts)}.npy"


def _read_cached(path: Path, rows: int, dim: int) -> Vectors | None:
    """Give the cached vectors if the file is present and sound, else None."""
    try:
        array = np.load(path, allow_pickle=False)
    except (OSError, ValueError, EOFError):
        return None
    if not isinstance(array, np.ndarray) or array.dtype != np.float32 or array.shape != (rows, dim):
        return None
    norms = np.linalg.norm(array, axis=1)
    if not np.all(np.isfinite(array)) or not np.allclose(norms, 1.0, atol=1e-3):
        return None
    files.used(path)
    return array


def _store(path: Path, vectors: Vectors) -> None:
    """Write the vectors atomically; give up silently when the cache is not writable."""
    buffer = io.BytesIO()
    np.save(buffer, vectors, allow_pickle=False)
    files.keep(path, buffer.getvalue())
