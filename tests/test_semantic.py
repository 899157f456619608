"""The shipped sentence encoder: close to sentence-transformers, checked files, a safe cache.

The reference vectors in tests/fixtures/reference_embeddings.json were computed once with
sentence-transformers itself (torch, fp32) by scripts/reference_embeddings.py; nothing here needs
torch or a network.
"""

from __future__ import annotations

import ast
import dataclasses
import hashlib
import json
import os
import shutil
import time
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from faq import files
from faq.checksum import SETTLED_NS, remembered_sha256
from faq.semantic import (
    Encoder,
    ModelError,
    cache_key,
    cached_encode,
    default_cache_dir,
    default_model_dir,
    file_sha256,
)

ROOT = Path(__file__).resolve().parents[1]
FIXTURE = ROOT / "tests" / "fixtures" / "reference_embeddings.json"
DIM = 384
# scripts/export_model.py measured the int8 model against sentence-transformers on the 462
# questions of tests/eval/dev.tsv and dev2.tsv (model.json, "quality"): mean cosine 0.994, 1st
# percentile 0.984, worst 0.971. On the nine fixed sentences of the fixture the worst is 0.991
# (batched or one at a time), so 0.98 leaves a margin of 0.01 for other CPUs and library
# versions. fp32 ONNX agrees to 1.000000: anything far lower means a broken export or pooling.
MIN_COSINE = 0.98
MIN_MEAN_COSINE = 0.985

CLOSE_PAIRS = [
    ("which magnesium is best for leg cramps", "what form of magnesium should I buy for cramps"),
    ("can I take magnesium while pregnant", "is magnesium safe during pregnancy"),
    ("how much magnesium should I take a day", "what is the right daily dose of magnesium"),
]
UNRELATED_PAIRS = [
    ("which magnesium is best for leg cramps", "how do I reset my router password"),
    ("can I take magnesium while pregnant", "the train to Leeds leaves at nine"),
    ("how much magnesium should I take a day", "my cat will not stop scratching the sofa"),
]


@pytest.fixture(scope="module")
def encoder() -> Encoder:
    return Encoder.load(default_model_dir())


@pytest.fixture(scope="module")
def reference() -> dict[str, Any]:
    data: dict[str, Any] = json.loads(FIXTURE.read_text(encoding="utf-8"))
    return data


@pytest.fixture
def model_copy(tmp_path: Path) -> Path:
    target = tmp_path / "model"
    shutil.copytree(default_model_dir(), target)
    return target


def _texts(reference: dict[str, Any]) -> list[str]:
    return [s["text"] for s in reference["sentences"]]


def _vectors(reference: dict[str, Any]) -> np.ndarray:
    return np.array([s["embedding"] for s in reference["sentences"]], dtype=np.float32)


# --- agreement with sentence-transformers ---------------------------------------------------


@pytest.mark.parametrize("batched", [True, False], ids=["all-at-once", "one-at-a-time"])
def test_every_sentence_is_close_to_the_sentence_transformers_reference(
    encoder: Encoder, reference: dict[str, Any], batched: bool
) -> None:
    texts, expected = _texts(reference), _vectors(reference)
    got = encoder.encode(texts) if batched else np.vstack([encoder.encode([t]) for t in texts])

    cosines = (got * expected).sum(axis=1)

    worst = {t[:40]: round(float(c), 4) for t, c in zip(texts, cosines, strict=True)}
    assert cosines.min() >= MIN_COSINE, worst
    assert cosines.mean() >= MIN_MEAN_COSINE, worst


def test_the_fixture_covers_a_text_longer_than_the_256_token_limit(
    reference: dict[str, Any],
) -> None:
    counts = [s["tokens_untruncated"] for s in reference["sentences"]]

    assert max(counts) > 256
    assert len(counts) >= 8


def test_reference_vectors_are_unit_length(reference: dict[str, Any]) -> None:
    assert np.allclose(np.linalg.norm(_vectors(reference), axis=1), 1.0, atol=1e-5)


# --- the shape of what encode() gives --------------------------------------------------------


def test_vectors_are_float32_rows_of_384_of_unit_length(
    encoder: Encoder, reference: dict[str, Any]
) -> None:
    vectors = encoder.encode(_texts(reference))

    assert vectors.dtype == np.float32
    assert vectors.shape == (len(reference["sentences"]), DIM)
    assert np.allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-5)


def test_an_empty_list_gives_an_empty_matrix(encoder: Encoder) -> None:
    vectors = encoder.encode([])

    assert vectors.shape == (0, DIM)
    assert vectors.dtype == np.float32


def test_a_bare_string_is_refused(encoder: Encoder) -> None:
    with pytest.raises(TypeError):
        encoder.encode("magnesium")


def test_rows_follow_the_input_order_across_batches(encoder: Encoder) -> None:
    # Every text has its own token count, so the length-sorted batches do not depend on order.
    texts = [f"question {i} about magnesium and cramps" + " again" * i for i in range(70)]
    small = dataclasses.replace(encoder, batch_size=4)

    forward = small.encode(texts)
    backward = small.encode(texts[::-1])[::-1]
    alone = np.vstack([encoder.encode([t]) for t in texts[:12]])

    assert forward.shape == (70, DIM)
    assert np.allclose(forward, backward, atol=1e-6)
    assert ((forward[:12] * alone).sum(axis=1) > 0.98).all()


def test_the_same_input_gives_the_same_bytes(encoder: Encoder, reference: dict[str, Any]) -> None:
    texts = _texts(reference)

    assert np.array_equal(encoder.encode(texts), encoder.encode(texts))


def test_two_threads_agree_with_one(encoder: Encoder, reference: dict[str, Any]) -> None:
    two = Encoder.load(default_model_dir(), threads=2)

    assert np.allclose(two.encode(_texts(reference)), encoder.encode(_texts(reference)), atol=1e-4)


def test_text_past_256_tokens_is_truncated(encoder: Encoder, reference: dict[str, Any]) -> None:
    long = max(reference["sentences"], key=lambda s: s["tokens_untruncated"])["text"]
    short = "magnesium for cramps"

    assert np.array_equal(encoder.encode([long]), encoder.encode([long + " and one more thing"]))
    assert not np.array_equal(encoder.encode([short]), encoder.encode([short + " at night"]))


def test_close_questions_score_higher_than_unrelated_ones(encoder: Encoder) -> None:
    def cosine(a: str, b: str) -> float:
        x, y = encoder.encode([a, b])
        return float(x @ y)

    close = [cosine(a, b) for a, b in CLOSE_PAIRS]
    unrelated = [cosine(a, b) for a, b in UNRELATED_PAIRS]

    assert min(close) > max(unrelated) + 0.2, (close, unrelated)


# --- loading checks the files ----------------------------------------------------------------


def test_checksum_is_the_sha256_of_the_shipped_model(encoder: Encoder) -> None:
    manifest = json.loads((default_model_dir() / "model.json").read_text(encoding="utf-8"))

    assert encoder.checksum == file_sha256(default_model_dir() / "model.onnx")
    assert encoder.checksum == manifest["files"]["model.onnx"]["sha256"]
    assert manifest["dim"] == DIM
    assert manifest["max_seq_length"] == 256
    assert manifest["pooling"] == "mean"
    assert manifest["normalize"] is True


def test_the_shipped_model_is_small(encoder: Encoder) -> None:
    assert (default_model_dir() / "model.onnx").stat().st_size < 26_000_000


def test_a_flipped_byte_in_the_model_is_refused(model_copy: Path) -> None:
    path = model_copy / "model.onnx"
    data = bytearray(path.read_bytes())
    data[len(data) // 2] ^= 0x01
    path.write_bytes(bytes(data))

    with pytest.raises(ModelError, match=r"model\.onnx: checksum mismatch") as caught:
        Encoder.load(model_copy)
    assert "\n" not in str(caught.value)


def test_an_edited_tokenizer_is_refused(model_copy: Path) -> None:
    path = model_copy / "tokenizer.json"
    path.write_text(path.read_text(encoding="utf-8") + " ", encoding="utf-8")

    with pytest.raises(ModelError, match=r"tokenizer\.json: checksum mismatch"):
        Encoder.load(model_copy)


def test_a_wrong_checksum_in_model_json_is_refused(model_copy: Path) -> None:
    path = model_copy / "model.json"
    manifest = json.loads(path.read_text(encoding="utf-8"))
    manifest["files"]["model.onnx"]["sha256"] = "0" * 64
    path.write_text(json.dumps(manifest), encoding="utf-8")

    with pytest.raises(ModelError, match=r"model\.onnx: checksum mismatch"):
        Encoder.load(model_copy)


@pytest.mark.parametrize("name", ["model.onnx", "tokenizer.json", "model.json"])
def test_a_missing_file_is_named(model_copy: Path, name: str) -> None:
    (model_copy / name).unlink()

    with pytest.raises(ModelError, match=rf"{name}: missing") as caught:
        Encoder.load(model_copy)
    assert str(model_copy / name) in str(caught.value)


def test_a_model_json_that_is_not_json_is_refused(model_copy: Path) -> None:
    (model_copy / "model.json").write_text("{not json", encoding="utf-8")

    with pytest.raises(ModelError, match=r"model\.json: unreadable"):
        Encoder.load(model_copy)


def test_a_missing_directory_is_a_model_error(tmp_path: Path) -> None:
    with pytest.raises(ModelError, match="missing"):
        Encoder.load(tmp_path / "nowhere")


# --- checksums remembered between runs --------------------------------------------------------


def _settle() -> None:
    """Wait until files written now count as settled (their ctime old enough to record)."""
    time.sleep(SETTLED_NS / 1e9 + 0.2)


def _flip_a_byte_keeping_size_and_mtime(path: Path) -> None:
    stat = path.stat()
    data = bytearray(path.read_bytes())
    data[len(data) // 2] ^= 0x01
    path.write_bytes(bytes(data))
    os.utime(path, ns=(stat.st_atime_ns, stat.st_mtime_ns))


def test_a_settled_model_is_remembered_and_loads_the_same(encoder: Encoder, tmp_path: Path) -> None:
    first = Encoder.load(default_model_dir(), cache_dir=tmp_path)
    records = sorted((tmp_path / "verified").iterdir())
    again = Encoder.load(default_model_dir(), cache_dir=tmp_path)

    assert len(records) == 2  # model.onnx and tokenizer.json
    assert {r.read_text(encoding="ascii") for r in records} == {
        encoder.checksum,
        encoder.tokenizer_checksum,
    }
    assert again.checksum == first.checksum == encoder.checksum


def test_a_model_changed_after_it_was_remembered_is_refused(
    model_copy: Path, tmp_path: Path
) -> None:
    _settle()
    Encoder.load(model_copy, cache_dir=tmp_path / "cache")
    assert len(list((tmp_path / "cache" / "verified").iterdir())) == 2

    _flip_a_byte_keeping_size_and_mtime(model_copy / "model.onnx")

    with pytest.raises(ModelError, match=r"model\.onnx: checksum mismatch"):
        Encoder.load(model_copy, cache_dir=tmp_path / "cache")


def test_a_file_changed_just_now_is_hashed_but_not_remembered(tmp_path: Path) -> None:
    path = tmp_path / "fresh.bin"
    path.write_bytes(b"written a moment ago")

    digest = remembered_sha256(path, tmp_path / "records")

    assert digest == hashlib.sha256(b"written a moment ago").hexdigest()
    assert not (tmp_path / "records").exists()


def test_a_remembered_file_that_changes_is_hashed_again(tmp_path: Path) -> None:
    path = tmp_path / "settled.bin"
    path.write_bytes(b"the first content")
    _settle()
    assert remembered_sha256(path, tmp_path / "records") == file_sha256(path)

    _flip_a_byte_keeping_size_and_mtime(path)

    assert remembered_sha256(path, tmp_path / "records") == file_sha256(path)
    assert file_sha256(path) != hashlib.sha256(b"the first content").hexdigest()


def test_an_unwritable_record_folder_still_gives_the_checksum(tmp_path: Path) -> None:
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("a file where the records folder should be", encoding="utf-8")

    digest = remembered_sha256(default_model_dir() / "tokenizer.json", blocker / "records")

    assert digest == file_sha256(default_model_dir() / "tokenizer.json")


# --- the embedding cache ---------------------------------------------------------------------

TEXTS = ["does magnesium help leg cramps", "is magnesium oil any good", "dose for night cramps"]


def _cache_files(folder: Path) -> list[Path]:
    return sorted(folder.iterdir())


def test_the_cache_round_trips_and_is_read_back(encoder: Encoder, tmp_path: Path) -> None:
    first = cached_encode(encoder, TEXTS, tmp_path)
    (stored,) = _cache_files(tmp_path)
    assert stored.name == f"embeddings-{cache_key(encoder, TEXTS)}.npy"
    assert np.array_equal(first, encoder.encode(TEXTS))
    assert np.array_equal(np.load(stored), first)

    # Put different (but valid) vectors in the file: a second call must return them.
    np.save(stored, first[::-1].copy())
    assert np.array_equal(cached_encode(encoder, TEXTS, tmp_path), first[::-1])


@pytest.mark.parametrize(
    "damage",
    ["garbage", "empty", "truncated", "wrong-shape", "not-unit-length", "float64"],
)
def test_a_damaged_cache_file_is_recomputed_and_replaced(
    encoder: Encoder, tmp_path: Path, damage: str
) -> None:
    expected = cached_encode(encoder, TEXTS, tmp_path)
    (stored,) = _cache_files(tmp_path)
    _damage(stored, damage, expected)

    got = cached_encode(encoder, TEXTS, tmp_path)

    assert np.array_equal(got, expected)
    assert _cache_files(tmp_path) == [stored]  # no temporary files left behind
    assert np.array_equal(np.load(stored), expected)


def _damage(path: Path, how: str, vectors: np.ndarray) -> None:
    if how == "garbage":
        path.write_bytes(b"this is not a numpy file")
    elif how == "empty":
        path.write_bytes(b"")
    elif how == "truncated":
        path.write_bytes(path.read_bytes()[:200])
    elif how == "wrong-shape":
        np.save(path, vectors[:2])
    elif how == "not-unit-length":
        np.save(path, vectors * 2)
    else:
        np.save(path, vectors.astype(np.float64))


def _age(path: Path, days: float) -> None:
    then = time.time() - days * 86_400
    os.utime(path, (then, then))


def test_cache_files_long_unused_are_pruned_when_a_new_one_is_written(
    encoder: Encoder, tmp_path: Path
) -> None:
    cached_encode(encoder, TEXTS, tmp_path)
    (in_use,) = _cache_files(tmp_path)
    stale, recent = tmp_path / "embeddings-stale.npy", tmp_path / "embeddings-recent.npy"
    kept = [
        tmp_path / "spelling-stale.json",  # another kind
        tmp_path / "other-stale.npy",  # another kind, same suffix
        tmp_path / "embeddings-stale.json",  # the same prefix, another suffix
        tmp_path / ".tmp-recent.npy",  # a write in progress
    ]
    left_over = tmp_path / ".tmp-killed.npy"
    for path in (stale, recent, left_over, *kept):
        path.write_bytes(b"x")
    for path in (in_use, stale, *kept[:3]):
        _age(path, files.UNUSED_DAYS + 1)
    _age(recent, files.UNUSED_DAYS - 1)
    _age(left_over, 2)

    cached_encode(encoder, TEXTS, tmp_path)  # reading the file marks it used
    cached_encode(encoder, TEXTS[:2], tmp_path)  # writing a new one prunes

    remaining = {path.name for path in _cache_files(tmp_path)}
    assert {in_use.name, recent.name, *(path.name for path in kept)} < remaining
    assert stale.name not in remaining and left_over.name not in remaining
    assert len(remaining) == 7  # the six kept and the new file


def test_an_atomic_write_that_cannot_complete_gives_false_and_leaves_no_temporary_file(
    tmp_path: Path,
) -> None:
    blocker = tmp_path / "a-file"
    blocker.write_text("not a directory", encoding="utf-8")
    occupied = tmp_path / "embeddings-x.npy"  # a non-empty directory: the rename fails
    (occupied / "inside").mkdir(parents=True)

    assert files.keep(blocker / "embeddings-y.npy", b"data") is False  # no directory
    assert files.keep(occupied, b"data") is False
    assert files.keep(tmp_path / "embeddings-z.npy", b"data") is True
    assert (tmp_path / "embeddings-z.npy").read_bytes() == b"data"
    assert sorted(p.name for p in tmp_path.iterdir()) == [
        "a-file",
        "embeddings-x.npy",
        "embeddings-z.npy",
    ]


def test_an_unwritable_cache_falls_back_to_computing(encoder: Encoder, tmp_path: Path) -> None:
    blocker = tmp_path / "a-file"
    blocker.write_text("not a directory", encoding="utf-8")

    for folder in (blocker, blocker / "below"):
        assert np.array_equal(cached_encode(encoder, TEXTS, folder), encoder.encode(TEXTS))


def test_a_cache_entry_that_is_a_directory_is_ignored(encoder: Encoder, tmp_path: Path) -> None:
    (tmp_path / f"embeddings-{cache_key(encoder, TEXTS)}.npy").mkdir()

    assert np.array_equal(cached_encode(encoder, TEXTS, tmp_path), encoder.encode(TEXTS))


def test_an_empty_list_is_not_cached(encoder: Encoder, tmp_path: Path) -> None:
    assert cached_encode(encoder, [], tmp_path).shape == (0, DIM)
    assert _cache_files(tmp_path) == []


def test_the_key_depends_on_the_model_and_the_texts(encoder: Encoder) -> None:
    other_model = dataclasses.replace(encoder, checksum="0" * 64)

    assert cache_key(encoder, TEXTS) == cache_key(encoder, list(TEXTS))
    assert cache_key(encoder, TEXTS) != cache_key(other_model, TEXTS)
    assert cache_key(encoder, TEXTS) != cache_key(encoder, TEXTS[:2])
    assert cache_key(encoder, ["a b", "c"]) != cache_key(encoder, ["a", "b c"])


def test_the_default_cache_dir_follows_the_environment(
    encoder: Encoder, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("MAGBOT_CACHE_DIR", raising=False)
    monkeypatch.delenv("XDG_CACHE_HOME", raising=False)
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    assert default_cache_dir() == tmp_path / "home" / ".cache" / "magbot"

    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    assert default_cache_dir() == tmp_path / "xdg" / "magbot"

    monkeypatch.setenv("MAGBOT_CACHE_DIR", str(tmp_path / "explicit"))
    assert default_cache_dir() == tmp_path / "explicit"
    cached_encode(encoder, TEXTS, None)
    assert len(_cache_files(tmp_path / "explicit")) == 1


# --- what the module may import --------------------------------------------------------------


def _imported_modules(path: Path) -> set[str]:
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            names.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            names.add(node.module.split(".")[0])
    return names


def test_the_runtime_imports_neither_torch_nor_telegram_nor_sqlite() -> None:
    imported = _imported_modules(ROOT / "faq" / "semantic.py")

    forbidden = {"torch", "sentence_transformers", "transformers", "telegram", "sqlite3"}
    assert imported.isdisjoint(forbidden), imported
    assert {"numpy", "onnxruntime", "tokenizers"} <= imported
