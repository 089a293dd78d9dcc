"""A cold `make setup`'s install with and without pip compiling every module it installs.

    python benchmarks/install.py [--repetitions 3]

Each repetition, interleaved: a fresh virtual environment synced from this repository's
Pipfile.lock (the runtime packages, what `make setup` installs) with pip's default
(compile every installed module to bytecode) and with ``PIP_COMPILE=0`` (pip's
``--no-compile``: Python compiles the modules it imports, once, when it imports them),
then one synth of the default deployment in that environment (which pays for the
compiling that was left out). Wall seconds, median and range, and the environment's size.
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PIPENV = ROOT / ".tools" / "bin" / "pipenv"


def cold_sync(folder: Path, compile_modules: bool) -> tuple[float, float, int]:
    """Seconds to sync a fresh environment, seconds of the first synth in it, its size (MB)."""
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True)
    for name in ("Pipfile", "Pipfile.lock"):
        shutil.copy2(ROOT / name, folder / name)
    shutil.copytree(ROOT / "modules", folder / "modules", ignore=shutil.ignore_patterns("__pycache__", "*.egg-info"))
    env = {
        **os.environ,
        "PIPENV_VENV_IN_PROJECT": "1",
        "PIPENV_IGNORE_VIRTUALENVS": "1",
        "PIPENV_VERBOSITY": "-1",
        "PIP_COMPILE": "1" if compile_modules else "0",
    }
    started = time.monotonic()
    subprocess.run([str(PIPENV), "sync"], cwd=folder, env=env, check=True, capture_output=True)
    synced = time.monotonic() - started
    started = time.monotonic()
    python = folder / ".venv" / "bin" / "python"
    synth = [str(python), str(ROOT / "main.py")]
    out = folder / "out"
    node = {"JSII_NODE": str(ROOT / "node_modules" / ".bin" / "node")} if (ROOT / "node_modules").is_dir() else {}
    subprocess.run(synth, cwd=ROOT, env={**env, **node, "CDKTF_OUTDIR": str(out)}, check=True, capture_output=True)
    first_synth = time.monotonic() - started
    size = sum(p.stat().st_size for p in (folder / ".venv").rglob("*") if p.is_file()) // 2**20
    return synced, first_synth, size


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repetitions", type=int, default=3)
    args = parser.parse_args(argv)
    figures: dict[str, list[tuple[float, float, int]]] = {"compiled (pip's default)": [], "PIP_COMPILE=0": []}
    with tempfile.TemporaryDirectory(prefix="install-bench-") as work:
        for n in range(args.repetitions):
            for name, compiled in (("compiled (pip's default)", True), ("PIP_COMPILE=0", False)):
                figures[name].append(cold_sync(Path(work) / f"{n}-{compiled}", compiled))
                print(name, figures[name][-1], flush=True)
    print("| install | pipenv sync (cold) | first synth after it | environment |")
    print("| --- | --- | --- | --- |")
    for name, runs in figures.items():
        sync, synth, size = zip(*runs, strict=True)
        print(
            f"| {name} | {statistics.median(sync):.1f} s ({min(sync):.1f}-{max(sync):.1f}) "
            f"| {statistics.median(synth):.1f} s ({min(synth):.1f}-{max(synth):.1f}) | {statistics.median(size)} MB |"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
