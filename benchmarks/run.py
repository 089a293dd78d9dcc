"""Synth performance, measured in one run on one machine.

    python benchmarks/run.py                 # full: 5 repetitions, scaling to 1,000 jobs, test suite
    python benchmarks/run.py --quick         # CI: 1 repetition, 10 jobs, no test suite
    python benchmarks/run.py --no-suite      # every synth case, without the test suite
    make bench / make bench-quick            # the same through the project's environment

Cases run interleaved (every case once per repetition, in turn) so that load from
other work on a shared machine spreads over all of them. Wall time is measured around
the whole process; peak RSS is the peak of the summed resident memory of the process
tree (Python and the Node.js jsii kernel), sampled every 10 ms from /proc.

Cases that name ``same_output_as`` another must write the same files (the lazy and the
eager synth: a ratio of two runs is worth something only when they did the same work);
the run stops, naming the first file that differs, if they do not.

Prints a Markdown table and writes it, with the date, machine and command, to
benchmarks/results.md (or --output).
"""

from __future__ import annotations

import argparse
import hashlib
import itertools
import os
import platform
import shlex
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PYTHON = sys.executable
SCALING_ENVIRONMENTS = 3


@dataclass
class Case:
    name: str
    command: list[str]
    env: dict[str, str] = field(default_factory=dict)
    same_output_as: str | None = None
    """Another case (by name) whose files this one must write, byte for byte."""
    walls: list[float] = field(default_factory=list)
    peaks: list[int] = field(default_factory=list)
    output: dict[str, str] = field(default_factory=dict)
    """What the last run wrote under cdktf.out/: SHA-256 by relative path."""


def _children(pid: int) -> list[int]:
    kids = []
    try:
        for task in os.listdir(f"/proc/{pid}/task"):
            with open(f"/proc/{pid}/task/{task}/children") as handle:
                kids += [int(k) for k in handle.read().split()]
    except OSError:
        pass
    return kids


def _rss_bytes(pid: int) -> int:
    try:
        with open(f"/proc/{pid}/status") as handle:
            for line in handle:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1]) * 1024
    except OSError:
        pass
    return 0


def tree_rss(root: int) -> int:
    total, stack = 0, [root]
    while stack:
        pid = stack.pop()
        total += _rss_bytes(pid)
        stack += _children(pid)
    return total


def measure(case: Case) -> None:
    with tempfile.TemporaryDirectory(prefix="bench-") as cwd:
        env = {**os.environ, **case.env}
        env.pop("CDKTF_OUTDIR", None)
        start = time.perf_counter()
        process = subprocess.Popen(
            [arg.replace("{tmp}", cwd) for arg in case.command],
            cwd=cwd,
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            text=True,
        )
        peak = 0
        done = threading.Event()

        def sample() -> None:
            nonlocal peak
            while not done.is_set():
                peak = max(peak, tree_rss(process.pid))
                done.wait(0.01)

        sampler = threading.Thread(target=sample, daemon=True)
        sampler.start()
        _, stderr = process.communicate()
        wall = time.perf_counter() - start
        done.set()
        sampler.join()
        written = Path(cwd, "cdktf.out")
        case.output = {
            path.relative_to(written).as_posix(): hashlib.sha256(path.read_bytes()).hexdigest()
            for path in sorted(written.rglob("*"))
            if path.is_file()
        }
    if process.returncode != 0:
        raise SystemExit(f"{case.name} failed ({process.returncode}):\n{stderr[-2000:]}")
    case.walls.append(wall)
    case.peaks.append(peak)


def check_same_output(case: Case, other: Case) -> None:
    """Stops the run unless ``case`` wrote exactly the files ``other`` wrote."""
    if not case.output:
        raise SystemExit(f"{case.name} wrote nothing under cdktf.out/")
    differing = sorted(
        path for path in case.output.keys() | other.output.keys() if case.output.get(path) != other.output.get(path)
    )
    if differing:
        raise SystemExit(
            f"{case.name} and {other.name} wrote different files ({len(differing)}), the first: {differing[0]}"
        )


def machine() -> str:
    cpu = platform.processor() or platform.machine()
    try:
        with open("/proc/cpuinfo") as handle:
            cpu = next(line.split(":", 1)[1].strip() for line in handle if line.startswith("model name"))
    except (OSError, StopIteration):
        pass
    try:
        with open("/proc/meminfo") as handle:
            memory = f"{int(handle.readline().split()[1]) / 1024 / 1024:.0f} GiB"
    except OSError:
        memory = "?"
    system = f"{platform.system()} {platform.release()}"
    return f"{os.cpu_count()} cores ({cpu}), {memory}, {system}, Python {platform.python_version()}"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="1 repetition, 10 jobs, no test suite (for CI)")
    parser.add_argument("--no-suite", action="store_true", help="leave out the test suite (synth cases only)")
    parser.add_argument("--repetitions", type=int, default=None)
    parser.add_argument(
        "--output", type=Path, default=None, help="results file (default benchmarks/results.md; --quick: none)"
    )
    args = parser.parse_args(argv)
    repetitions = args.repetitions or (1 if args.quick else 5)
    job_counts = [10] if args.quick else [10, 100, 500, 1000]

    main_py, floor_py = str(ROOT / "main.py"), str(ROOT / "benchmarks" / "floor.py")
    cases = [
        Case("default synth (lazy bindings)", [PYTHON, main_py]),
        Case(
            "default synth (eager bindings, stock CDKTF)",
            [PYTHON, main_py],
            {"DATALAKE_EAGER_BINDINGS": "1"},
            same_output_as="default synth (lazy bindings)",
        ),
        Case("floor: load the CDKTF and provider assemblies only", [PYTHON, floor_py]),
        Case(
            "stock floor: the same with the stock jsii kernel (all provider modules compiled)",
            [PYTHON, floor_py, "--stock"],
        ),
    ]
    scaling = {
        n: Case(
            f"{n} Glue jobs x {SCALING_ENVIRONMENTS} environments",
            [PYTHON, str(ROOT / "benchmarks" / "scaling_app.py"), "--jobs", str(n), "--outdir", "{tmp}/out"],
        )
        for n in job_counts
    }
    cases += scaling.values()
    suite = None
    if not (args.quick or args.no_suite):
        suite = Case(
            "test suite (make test's pytest)",
            [PYTHON, "-m", "pytest", "-q", "-p", "no:cacheprovider", str(ROOT / "tests")],
        )
        cases.append(suite)

    for repetition in range(repetitions):
        for case in cases:
            if case is suite and repetition > 0:
                continue  # ~1 minute each: once per run is enough
            print(f"[{repetition + 1}/{repetitions}] {case.name} ...", file=sys.stderr, flush=True)
            measure(case)
    for case in cases:
        if case.same_output_as:
            check_same_output(case, next(c for c in cases if c.name == case.same_output_as))

    report = render(cases, scaling, repetitions, argv)
    print(report)
    output = args.output if args.output is not None else (None if args.quick else ROOT / "benchmarks" / "results.md")
    if output:
        output.write_text(report)
        print(f"\nwritten to {output}", file=sys.stderr)
    return 0


def render(cases: list[Case], scaling: dict[int, Case], repetitions: int, argv: list[str] | None) -> str:
    def mb(n: int) -> str:
        return f"{n / 1e6:.0f}"

    lines = [
        "# Synth benchmark",
        "",
        f"- date: {datetime.now(UTC):%Y-%m-%d %H:%M} UTC",
        f"- machine: {machine()}",
        f"- command: `{shlex.join(['python', 'benchmarks/run.py', *(argv if argv is not None else sys.argv[1:])])}`",
        f"- repetitions: {repetitions}, interleaved (the test suite once)",
        "",
        "| case | runs | wall median (s) | wall min | wall max | peak RSS median (MB) | RSS min | RSS max |",
        "| --- | --- | --- | --- | --- | --- | --- | --- |",
    ]
    for case in cases:
        lines.append(
            f"| {case.name} | {len(case.walls)} | {statistics.median(case.walls):.2f} | {min(case.walls):.2f} | "
            f"{max(case.walls):.2f} | {mb(statistics.median(case.peaks))} | "
            f"{mb(min(case.peaks))} | {mb(max(case.peaks))} |"
        )
    lazy, eager, floor, stock_floor = (statistics.median(case.walls) for case in cases[:4])
    lines += [
        "",
        *(
            f"- {case.name} wrote the same {len(case.output)} files as {case.same_output_as}, byte for byte"
            for case in cases
            if case.same_output_as
        ),
        f"- lazy vs eager default synth: **{eager / lazy:.1f}x** faster (ratio of medians, same run)",
        f"- default synth vs the floor: **{lazy / floor:.2f}x** the time of only loading the assemblies",
        f"- default synth vs the stock floor: **{lazy / stock_floor:.2f}x** the time of only loading them "
        "with the stock kernel",
    ]
    counts = sorted(scaling)

    def per_job(low: int, high: int) -> float:
        extra = (high - low) * SCALING_ENVIRONMENTS
        return (statistics.median(scaling[high].walls) - statistics.median(scaling[low].walls)) / extra

    if len(counts) > 1:
        low, high = counts[0], counts[-1]
        lines.append(
            f"- marginal cost per Glue job (the GlueJob construct: script object, role, policy, job): "
            f"**{per_job(low, high) * 1000:.2f} ms** ((median {high} - median {low}) / "
            f"{(high - low) * SCALING_ENVIRONMENTS} jobs)"
        )
    if len(counts) > 2:
        slopes = [per_job(a, b) * 1000 for a, b in itertools.pairwise(counts)]
        lines.append(
            "- per job between "
            + ", ".join(
                f"{a} and {b}: {m:.2f} ms" for (a, b), m in zip(itertools.pairwise(counts), slopes, strict=True)
            )
            + " (linear when these agree)"
        )
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    sys.exit(main())
