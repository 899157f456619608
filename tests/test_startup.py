"""What importing the core does to the process: numpy's BLAS threads, before numpy loads."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

SHOW = "import faq, os; print(os.environ['OPENBLAS_NUM_THREADS'])"


@pytest.mark.parametrize(("given", "kept"), [(None, "1"), ("2", "2")])
def test_importing_faq_gives_openblas_one_thread_unless_the_environment_says(
    given: str | None, kept: str
) -> None:
    env = {k: v for k, v in os.environ.items() if k != "OPENBLAS_NUM_THREADS"}
    if given is not None:
        env["OPENBLAS_NUM_THREADS"] = given
    shown = subprocess.run(
        [sys.executable, "-c", SHOW], env=env, capture_output=True, text=True, check=True
    )
    assert shown.stdout.strip() == kept
