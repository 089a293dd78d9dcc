"""Pipeline time: from a push to the change applied, as the pipelines run (warm caches).

    python benchmarks/pipeline.py [--repetitions 3] [--results benchmarks/pipeline-results.md]

Deploys dev in the sandbox (tests/support/sandbox.py: the administrator's runbook
commands, then the first runs of both dev pipelines, whose caches are cold: not
measured), then, ``--repetitions`` times in turn:

- **ETL job**: one line of one job's script changed and pushed to the sales repository;
  its run (Test, Plan, Seal, Apply) applies that one object;
- **data lake**: one setting of dev changed (the access logs' retention: one lifecycle
  rule of one bucket) and pushed to the infrastructure repository; its run applies it.

For each: the time from the push to the end of its Apply build (median, min, max), the
share of it spent installing (every build's install phase), each stage's time, and the
Test build's peak memory (the summed RSS of its processes). The builds run on this
machine as tests/support/pipeline_runner.py describes (DIFFERENCES); compare ratios, not
seconds, across machines.
"""

from __future__ import annotations

import argparse
import datetime
import os
import platform
import statistics
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import yaml  # noqa: E402

from tests.support.pipeline_runner import Execution  # noqa: E402
from tests.support.sandbox import DEV, INFRA, SALES, Sandbox  # noqa: E402


def deploy(sandbox: Sandbox) -> None:
    """Dev, as the runbook deploys it (cold caches: not measured)."""
    for step in range(2):
        result = sandbox.administer(step, sandbox.workdir / "app", sandbox.workdir / "logs" / f"admin-{step}.log")
        if result.returncode != 0:
            raise SystemExit(f"administrator's step {step + 1} failed:\n{result.stdout[-3000:]}")
    sandbox.push(INFRA, {}, "deploy dev").succeeded()
    sandbox.push_template(sandbox.workdir / "sales").succeeded()


def job_change(sandbox: Sandbox, n: int) -> Execution:
    script = sandbox.git.read(SALES.full_repository_id, DEV.branch, "jobs/daily_sales.py") + f"\n# change {n}\n"
    return sandbox.push(SALES, {"jobs/daily_sales.py": script}, f"Daily sales: change {n}")


def data_lake_change(sandbox: Sandbox, n: int) -> Execution:
    path = "envs/environments/dev.yaml"
    config = yaml.safe_load(sandbox.git.read(INFRA.full_repository_id, DEV.branch, path))
    config["retention"]["access_log_days"] += 1
    return sandbox.push(INFRA, {path: yaml.safe_dump(config, sort_keys=False)}, f"Access logs: change {n}")


def measured(run: Execution) -> dict[str, float]:
    run.succeeded()
    builds = [a.build for a in run.actions if a.build]
    install = sum(b.phases.get("install", 0.0) for b in builds)
    figures = {"total": run.build("Apply").ended - run.started, "install": install}
    for action in run.actions:
        if action.build:
            figures[action.stage] = action.build.ended - action.build.started
    figures["test peak MB"] = run.build("Test").peak_rss_mb
    return figures


def row(name: str, values: list[float], unit: str = "s") -> str:
    return f"| {name} | {statistics.median(values):.1f} {unit} | {min(values):.1f} {unit} | {max(values):.1f} {unit} |"


def report(results: dict[str, list[dict[str, float]]], repetitions: int) -> str:
    when = datetime.datetime.now(datetime.UTC).strftime("%Y-%m-%d %H:%M UTC")
    lines = [
        f"# Pipeline time ({when}, {repetitions} repetitions, warm caches)",
        "",
        f"{platform.machine()}, {os.cpu_count()} cores, Linux, Python {platform.python_version()}; "
        "`python benchmarks/pipeline.py` (tests/support/pipeline_runner.py runs the builds on this machine).",
        "",
    ]
    for case, runs in results.items():
        lines += [f"## {case}", "", "| figure | median | min | max |", "| --- | --- | --- | --- |"]
        lines.append(row("push to applied", [r["total"] for r in runs]))
        shares = [100 * r["install"] / r["total"] for r in runs]
        lines.append(row("installing (all builds)", [r["install"] for r in runs]))
        lines.append(row("install share", shares, "%"))
        for stage in ("Test", "Plan", "Seal", "Apply"):
            lines.append(row(f"{stage} build", [r[stage] for r in runs]))
        lines.append(row("Test build's peak memory", [r["test peak MB"] for r in runs], "MB"))
        lines.append("")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repetitions", type=int, default=3)
    parser.add_argument("--results", type=Path, default=None, help="write the Markdown table here")
    parser.add_argument("--workdir", type=Path, default=None)
    args = parser.parse_args(argv)
    workdir = args.workdir or Path(tempfile.mkdtemp(prefix="pipeline-bench-"))
    results: dict[str, list[dict[str, float]]] = {"ETL job, one file": [], "data lake, one setting": []}
    with Sandbox(workdir, echo=lambda line: print(line, flush=True)) as sandbox:
        deploy(sandbox)
        for n in range(args.repetitions):
            results["ETL job, one file"].append(measured(job_change(sandbox, n)))
            results["data lake, one setting"].append(measured(data_lake_change(sandbox, n)))
    text = report(results, args.repetitions)
    print(text)
    if args.results:
        args.results.write_text(text + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
