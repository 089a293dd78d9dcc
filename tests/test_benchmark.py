"""The benchmark still runs (its figures come from `make bench`, never from a test)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

RUN = Path(__file__).resolve().parents[1] / "benchmarks" / "run.py"


def test_quick_benchmark_measures_every_case(tmp_path):
    output = tmp_path / "results.md"
    result = subprocess.run(
        [sys.executable, str(RUN), "--quick", "--output", str(output)],
        capture_output=True,
        text=True,
        check=False,
        timeout=600,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    report = output.read_text()
    for row in (
        "default synth (lazy bindings)",
        "default synth (eager bindings",
        "floor: load the CDKTF and provider assemblies only",
        "stock floor: the same with the stock jsii kernel",
        "10 Glue jobs x 3 environments",
    ):
        assert f"| {row}" in report, report
    assert "lazy vs eager default synth" in report and "default synth vs the floor" in report
    assert "default synth vs the stock floor" in report
    assert "- command: `python benchmarks/run.py --quick --output" in report
