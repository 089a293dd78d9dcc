"""What GOGC=400 (the tests' Terraform setting, tests/support/tools.py) saves.

    python benchmarks/terraform_gc.py                  # 5 repetitions
    python benchmarks/terraform_gc.py --repetitions 3

Synthesizes central-bootstrap, initializes it (provider from the mirror, no backend)
and runs ``terraform validate`` in it, which starts the hashicorp/aws provider, with
Go's default collector and with GOGC=400, interleaved. Prints the median wall time,
CPU (Terraform and the provider, user + system) and peak RSS of the process tree
(benchmarks/run.py's sampler) of each setting. Needs what the tests need: Terraform
and the provider mirror (TF_PROVIDER_MIRROR).
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

from run import PYTHON, ROOT, Case, machine, measure

sys.path.insert(0, str(ROOT))
from tests.support.tools import terraform_binary, terraform_runner

SETTINGS = {"Go's default (GOGC=100)": "100", "GOGC=400": "400"}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repetitions", type=int, default=5)
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="bench-gc-") as tmp:
        out = Path(tmp) / "out"
        env = {**os.environ, "CDKTF_OUTDIR": str(out), "DATALAKE_BOOTSTRAP_LOCAL_STATE": "1"}
        subprocess.run([PYTHON, "main.py"], cwd=ROOT, env=env, check=True, capture_output=True)
        stack = out / "stacks" / "central-bootstrap"
        terraform = terraform_runner(Path(tmp))
        init = terraform("init", "-backend=false", "-input=false", cwd=stack)
        if init.returncode != 0:
            raise SystemExit(init.stderr)
        command = [terraform_binary(), f"-chdir={stack}", "validate", "-no-color"]
        cases = {name: Case(name, command, {**terraform.env, "GOGC": value}) for name, value in SETTINGS.items()}
        cpu: dict[str, list[float]] = {name: [] for name in cases}
        for _ in range(args.repetitions):
            for name, case in cases.items():
                before = os.times()
                measure(case)
                after = os.times()
                cpu[name].append(
                    after.children_user + after.children_system - before.children_user - before.children_system
                )
    print(f"terraform validate of central-bootstrap, {args.repetitions} repetitions, {machine()}\n")
    print("| setting | wall median | CPU median | peak RSS median |\n| --- | --- | --- | --- |")
    for name, case in cases.items():
        print(
            f"| {name} | {statistics.median(case.walls):.2f} s | {statistics.median(cpu[name]):.2f} s "
            f"| {statistics.median(case.peaks) / 2**20:.0f} MB |"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
