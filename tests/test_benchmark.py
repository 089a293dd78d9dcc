"""The benchmark still runs (its figures come from `make bench`, never from a test)."""

from __future__ import annotations

import importlib.util
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import DEFAULT, expected_stacks

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
    # engine.aws loads one binding module at a time; the output must not change: the run
    # stops if the eager synth wrote other files than the lazy one, else says it compared them
    prefix = "- default synth (eager bindings, stock CDKTF) wrote the same "
    (same,) = [line.removeprefix(prefix) for line in report.splitlines() if line.startswith(prefix)]
    files, rest = same.split(" ", 1)
    assert int(files) > len(expected_stacks(DEFAULT)), same  # every stack's files, and the manifest
    assert rest == "files as default synth (lazy bindings), byte for byte", same
    assert "- command: `python benchmarks/run.py --quick --output" in report


def test_cases_that_must_write_the_same_files_stop_the_run_naming_the_first_difference(monkeypatch):
    spec = importlib.util.spec_from_file_location("benchmark_run", RUN)
    run = importlib.util.module_from_spec(spec)
    monkeypatch.setitem(sys.modules, spec.name, run)  # its dataclasses look their module up
    spec.loader.exec_module(run)
    lazy = run.Case("lazy", [], output={"manifest.json": "a", "stacks/x/cdk.tf.json": "b"})
    eager = run.Case("eager", [], same_output_as="lazy", output={"manifest.json": "a", "stacks/x/cdk.tf.json": "c"})
    differs = r"eager and lazy wrote different files \(1\), the first: stacks/x/cdk.tf.json"
    with pytest.raises(SystemExit, match=differs):
        run.check_same_output(eager, lazy)
    with pytest.raises(SystemExit, match="eager wrote nothing"):
        run.check_same_output(run.Case("eager", [], same_output_as="lazy"), lazy)
    run.check_same_output(run.Case("eager", [], output=dict(lazy.output)), lazy)
