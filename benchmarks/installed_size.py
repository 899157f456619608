"""Measure the installed size of magbot and its runtime dependencies in a fresh virtual env.

Usage: python -m benchmarks.installed_size [--keep DIR]

Makes a virtual environment in a temporary directory (or DIR), runs `pip install .` from the
repository root (the package index pip is configured with; nothing else), then prints the
size on disk of each top-level entry of site-packages (a package, a module, or the
*.dist-info metadata, lumped together), largest first, and the total. pip itself, which every
virtual environment carries, is listed but left out of the total. Sizes count each file's
bytes (bytecode compiled at install included), not disk blocks.
"""

from __future__ import annotations

import argparse
import shutil
import subprocess
import sys
import tempfile
import venv
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
TOOLING = ("pip", "setuptools", "pkg_resources", "_distutils_hack", "distutils-precedence.pth")
METADATA = "(metadata: *.dist-info)"
NOT_COPIED = (".git", ".venv", "venv", "build", "dist", "*.egg-info", "__pycache__", ".*_cache")


def main() -> None:
    """Install into a fresh environment and print the sizes."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--keep", type=Path, help="make the environment here and keep it")
    args = parser.parse_args()
    if args.keep:
        _measure(args.keep)
        return
    with tempfile.TemporaryDirectory(prefix="magbot-size-") as folder:
        _measure(Path(folder) / "venv")


def _measure(target: Path) -> None:
    venv.create(target, with_pip=True, clear=True)
    python = target / "bin" / "python"
    source = target / "magbot-source"  # setuptools builds in the tree: keep it out of the repo
    shutil.copytree(ROOT, source, ignore=shutil.ignore_patterns(*NOT_COPIED))
    install = [str(python), "-m", "pip", "install", "--quiet", "--no-cache-dir", str(source)]
    subprocess.run(install, check=True)
    shutil.rmtree(source)
    (site,) = target.glob("lib/python*/site-packages")
    sizes = _sizes(site)
    total = sum(size for name, size in sizes.items() if name not in TOOLING)
    print(f"pip install . in a fresh venv, Python {sys.version.split()[0]}: {site}")
    print("| site-packages entry | MB |")
    print("|---|---:|")
    for name, size in sorted(sizes.items(), key=lambda item: -item[1]):
        note = " (venv tooling, not counted)" if name in TOOLING else ""
        print(f"| {name}{note} | {size / 1e6:.1f} |")
    print(f"| **total** | **{total / 1e6:.1f}** |")


def _sizes(site: Path) -> dict[str, int]:
    """Give the bytes under each top-level entry of site-packages."""
    sizes: dict[str, int] = {}
    for entry in site.iterdir():
        name = METADATA if entry.name.endswith(".dist-info") else entry.name
        sizes[name] = sizes.get(name, 0) + _bytes(entry)
    return sizes


def _bytes(path: Path) -> int:
    if path.is_file():
        return path.stat().st_size
    return sum(p.stat().st_size for p in path.rglob("*") if p.is_file() and not p.is_symlink())


if __name__ == "__main__":
    main()
