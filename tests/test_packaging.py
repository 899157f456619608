"""What a packager gets: the sdist and the wheel, each installed in a fresh virtual environment.

Each install answers a question and scores a question set from outside any checkout; the sdist
also carries its tests, and they pass. These tests build and install from the package registry,
so `pytest` leaves them out (`-m "not packaging"` in the configuration); CI runs them with
`pytest -m packaging`.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
import tarfile
import venv
import zipfile
from pathlib import Path

import pytest

pytestmark = [pytest.mark.packaging, pytest.mark.slow]

ROOT = Path(__file__).resolve().parent.parent
QUESTION = "does magnesium help leg cramps?"
DISCLAIMER = "General information, not medical advice."
# The sdist's tests in its own environment: every test must collect (the data they read is in
# the sdist), and those of the corpus and the evaluation data run. The rest, end-to-end tests
# and quality bars included, is what CI runs on the checkout: minutes of CPU the same code spends.
SDIST_TESTS = (
    "tests/test_corpus.py",
    "tests/test_eval.py",
    "-k",
    "test_corpus or locked or evaluation_questions or per_entry_set",
)
TIMEOUT = 600


def sh(*argv: str | Path, cwd: Path) -> subprocess.CompletedProcess[str]:
    """Run a command with no MAGBOT_ or PYTEST_ settings leaking in; give what it did."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PYTEST_", "MAGBOT_"))}
    env.pop("PYTHONPATH", None)
    return subprocess.run(
        [str(arg) for arg in argv],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=TIMEOUT,
        check=False,
    )


def fresh_environment(folder: Path, requirement: str) -> Path:
    """Give the bin folder of a new virtual environment with the requirement installed."""
    venv.create(folder, with_pip=True)
    bin_dir = folder / ("Scripts" if os.name == "nt" else "bin")
    install = ("-m", "pip", "install", "--quiet", "--no-compile", requirement)
    done = sh(bin_dir / "python", *install, cwd=folder)
    assert done.returncode == 0, done.stderr[-3000:]
    return bin_dir


@pytest.fixture(scope="module")
def dists(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """The sdist and the wheel, built the way a packager builds them (the wheel from the sdist)."""
    out = tmp_path_factory.mktemp("dist")
    done = sh(sys.executable, "-m", "build", "--outdir", out, ROOT, cwd=out)
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    return {"sdist": next(out.glob("*.tar.gz")), "wheel": next(out.glob("*.whl"))}


@pytest.fixture(scope="module")
def elsewhere(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A working directory far from any checkout."""
    return tmp_path_factory.mktemp("elsewhere")


def test_the_wheel_answers_and_scores_a_set_from_a_fresh_environment(
    dists: dict[str, Path], elsewhere: Path, tmp_path: Path
) -> None:
    bin_dir = fresh_environment(tmp_path / "venv", str(dists["wheel"]))
    magbot = bin_dir / "magbot"

    asked = sh(magbot, "ask", QUESTION, cwd=elsewhere)
    version = sh(magbot, "--version", cwd=elsewhere)
    no_file = sh(magbot, "eval", cwd=elsewhere)
    held_out = ROOT / "tests" / "eval" / "heldout2.tsv"
    scored = sh(magbot, "eval", held_out, "--min-hit1", "0.9", cwd=elsewhere)
    refused = sh(magbot, "new", "magnesium-sleep", cwd=elsewhere)

    assert asked.returncode == 0 and DISCLAIMER in asked.stdout, asked.stderr
    assert re.fullmatch(r"magbot \d+\.\d+\.\d+\S*\n", version.stdout), version.stdout
    assert no_file.returncode == 2 and "heldout.tsv" in no_file.stderr, no_file.stderr
    assert scored.returncode == 0 and "hit@1" in scored.stdout, scored.stdout + scored.stderr
    assert refused.returncode != 0 and "--entries" in refused.stderr, refused.stderr
    assert "Traceback" not in asked.stderr + no_file.stderr + scored.stderr + refused.stderr


def test_the_wheel_declares_every_licence_it_ships_under(dists: dict[str, Path]) -> None:
    with zipfile.ZipFile(dists["wheel"]) as wheel:
        names = wheel.namelist()
        metadata = wheel.read(next(n for n in names if n.endswith(".dist-info/METADATA")))
    fields = metadata.decode().splitlines()

    # the code (MIT), the embedding model and detector (Apache-2.0), the common words (CC BY-SA)
    assert "License-Expression: MIT AND Apache-2.0 AND CC-BY-SA-4.0" in fields
    for name in ("LICENSE", "NOTICE", "LICENSES/Apache-2.0.txt", "LICENSES/CC-BY-SA-4.0.txt"):
        assert f"License-File: {name}" in fields
        assert any(n.endswith(f".dist-info/licenses/{name}") for n in names), name


def test_the_sdist_installs_answers_and_its_own_tests_pass(
    dists: dict[str, Path], elsewhere: Path, tmp_path: Path
) -> None:
    bin_dir = fresh_environment(tmp_path / "venv", f"magbot[test] @ {dists['sdist'].as_uri()}")
    with tarfile.open(dists["sdist"]) as archive:
        archive.extractall(tmp_path / "src", filter="data")
    (source,) = (tmp_path / "src").iterdir()

    asked = sh(bin_dir / "magbot", "ask", QUESTION, cwd=elsewhere)
    scored = sh(bin_dir / "magbot", "eval", source / "tests/eval/heldout2.tsv", cwd=elsewhere)
    collected = sh(bin_dir / "python", "-m", "pytest", "--collect-only", "-q", "-m", "", cwd=source)
    tested = sh(bin_dir / "python", "-m", "pytest", "-n", "0", "-q", *SDIST_TESTS, cwd=source)

    assert asked.returncode == 0 and DISCLAIMER in asked.stdout, asked.stderr
    assert scored.returncode == 0 and "hit@1" in scored.stdout, scored.stderr
    assert collected.returncode == 0, collected.stdout[-4000:] + collected.stderr[-2000:]
    assert re.search(r"^\d{3,} tests collected", collected.stdout, re.M), collected.stdout[-500:]
    assert tested.returncode == 0, tested.stdout[-4000:] + tested.stderr[-2000:]
    assert re.search(r"\d+ passed", tested.stdout), tested.stdout[-2000:]
