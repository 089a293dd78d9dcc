"""The pipeline's steps as commands a person can run on a laptop.

Each works on synthesized stacks (``cdktf.out/stacks/<stack>``) with the real Terraform
(``$TERRAFORM`` or ``terraform`` on PATH) and the credentials of whoever runs it::

    python -m datalake_cdktf.deploy plan   --stack datalake-dev [--out plans] [--publish s3://bucket/key.md]
    python -m datalake_cdktf.deploy apply  --stack datalake-dev [--plans plans]
    python -m datalake_cdktf.deploy drift  --stack datalake-dev
    python -m datalake_cdktf.deploy update-pipeline --stack pipeline-sales-dev --pipeline datalake-dev-sales
    python -m datalake_cdktf.deploy comment --summary plans/summary.md

- ``plan`` saves one plan per stack (``<out>/<stack>.tfplan``), its JSON and the
  Markdown summary (``<out>/summary.md``), and the counts as ``KEY=value`` lines
  (``<out>/counts.env``, with ``SUMMARY_URL`` when the summary is published to S3).
  ``--read-only`` plans without taking the state lock and without refreshing (pull
  requests: against the recorded state, reading nothing live).
- ``apply`` applies exactly those saved plans; Terraform refuses a plan made stale by
  another change ("Saved plan is stale"), and so does this command (exit 1).
- ``drift`` exits 2 when live infrastructure differs from the code, 0 when not.
- ``update-pipeline`` plans the pipeline's own stack and, when that changes it, applies
  the plan; when the pipeline's definition itself changed, it starts a new run on it
  (CodePipeline cancels the running one): the self-update.
- ``comment`` puts the summary on the pull request the build runs for (GitHub), updating
  its own earlier comment in place; the token comes from ``$PULL_REQUEST_TOKEN``.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import subprocess
import sys
import urllib.request
from pathlib import Path

from datalake_cdktf.plan_summary import MARKER, summarize

__all__ = ["Terraform", "apply", "comment", "drift", "main", "plan", "update_pipeline"]

DEFAULT_STACKS_DIR = Path("cdktf.out") / "stacks"


class Terraform:
    """The Terraform CLI in one stack's folder; a failed command raises with its output."""

    def __init__(self, folder: Path, binary: str | None = None):
        self.folder = folder
        self.binary = binary or os.environ.get("TERRAFORM") or shutil.which("terraform") or "terraform"
        if not (folder / "cdk.tf.json").is_file():
            raise SystemExit(f"{folder}: no cdk.tf.json here: synthesize first (make synth)")

    def run(self, *args: str, codes: tuple[int, ...] = (0,)) -> subprocess.CompletedProcess:
        env = {**os.environ, "TF_IN_AUTOMATION": "1", "CHECKPOINT_DISABLE": "1"}
        result = subprocess.run(
            [self.binary, *args, "-no-color"], cwd=self.folder, env=env, capture_output=True, text=True, check=False
        )
        if result.returncode not in codes:
            raise SystemExit(f"terraform {args[0]} failed in {self.folder.name}:\n{result.stdout}{result.stderr}")
        return result

    def init(self) -> None:
        self.run("init", "-input=false")


def plan(stacks: list[Path], out: Path, *, read_only: bool = False, publish: str | None = None) -> dict[str, int]:
    """Saved plans, their JSON, the summary and the counts of every stack, in ``out``."""
    out.mkdir(parents=True, exist_ok=True)
    shown = []
    for folder in stacks:
        terraform = Terraform(folder)
        terraform.init()
        planfile = (out / f"{folder.name}.tfplan").resolve()
        # A read-only plan (a pull request's) compares the code with the recorded state and
        # reads nothing live: its role may read no resource, secret or function code.
        readonly = ["-lock=false", "-refresh=false"] if read_only else []
        terraform.run("plan", "-input=false", f"-out={planfile}", *readonly)
        document = json.loads(terraform.run("show", "-json", str(planfile)).stdout)
        (out / f"{folder.name}.json").write_text(json.dumps(document))
        shown.append((folder.name, document))
    summary = summarize(shown)
    (out / "summary.md").write_text(summary.markdown())
    counts = summary.counts()
    lines = [f"{key}={value}" for key, value in counts.items()]
    if publish:
        lines.append(f"SUMMARY_URL={_publish(out / 'summary.md', publish)}")
    (out / "counts.env").write_text("\n".join(lines) + "\n")
    print(summary.markdown())
    return counts


def apply(stacks: list[Path], plans: Path) -> None:
    """Apply exactly the saved plans in ``plans`` (one per stack)."""
    for folder in stacks:
        planfile = (plans / f"{folder.name}.tfplan").resolve()
        if not planfile.is_file():
            raise SystemExit(f"no saved plan for {folder.name} in {plans}: run the plan step first")
        terraform = Terraform(folder)
        terraform.init()
        print(terraform.run("apply", "-input=false", str(planfile)).stdout)


def drift(stacks: list[Path]) -> list[str]:
    """The stacks whose live infrastructure differs from the code."""
    drifted = []
    for folder in stacks:
        terraform = Terraform(folder)
        terraform.init()
        result = terraform.run("plan", "-input=false", "-lock=false", "-detailed-exitcode", codes=(0, 2))
        if result.returncode == 2:
            drifted.append(folder.name)
            print(f"drift in {folder.name}:\n{result.stdout}")
    return drifted


def update_pipeline(stack: Path, pipeline: str | None, out: Path) -> str:
    """Apply the pipeline's own stack when it changed; when that changed the pipeline's
    definition itself, start ``pipeline`` again on it. Returns what happened:
    ``unchanged``, ``updated`` (builds and the rest changed: this run goes on with them)
    or ``redefined``.

    CodePipeline cancels a run whose pipeline is redefined once the action in progress
    (this one) ends, and an edit does not start a run: the new run here takes its place."""
    counts = plan([stack], out)
    if not any(counts[key] for key in ("ADD", "CHANGE", "REPLACE", "DESTROY")):
        return "unchanged"
    apply([stack], out)
    shown = json.loads((out / f"{stack.name}.json").read_text())
    if not any(_redefines(change) for change in shown.get("resource_changes", [])):
        return "updated"
    if pipeline:
        started = _client("codepipeline").start_pipeline_execution(name=pipeline)
        print(f"{pipeline} redefined: run {started['pipelineExecutionId']} starts on the new definition")
    return "redefined"


def _redefines(change: dict) -> bool:
    """Does this planned change alter a pipeline's definition (not only its tags, which
    CodePipeline keeps apart from the definition and its version)?"""
    if change["type"] != "aws_codepipeline" or change["change"]["actions"] == ["no-op"]:
        return False
    before, after = (
        {k: v for k, v in (change["change"].get(side) or {}).items() if k not in ("tags", "tags_all")}
        for side in ("before", "after")
    )
    return before != after or not change["change"].get("before")


def comment(summary: str, *, repository_url: str, trigger: str, token: str, api: str = "https://api.github.com") -> str:
    """Create or update this tool's comment on the pull request (``trigger`` is ``pr/<n>``)."""
    match = re.match(r"pr/(\d+)$", trigger or "")
    owner_repo = re.search(r"github\.com[/:]([^/]+/[^/.]+)", repository_url or "")
    if not match or not owner_repo:
        raise SystemExit(f"not a GitHub pull-request build (trigger {trigger!r}, repository {repository_url!r})")
    issue = f"{api}/repos/{owner_repo.group(1)}/issues/{match.group(1)}/comments"
    headers = {"Authorization": f"Bearer {token}", "Accept": "application/vnd.github+json"}
    existing = [c for c in _github("GET", issue, headers) if c.get("body", "").startswith(MARKER)]
    if existing:
        _github("PATCH", existing[0]["url"], headers, {"body": summary})
        return existing[0]["url"]
    return _github("POST", issue, headers, {"body": summary})["url"]


def _github(method: str, url: str, headers: dict[str, str], body: dict | None = None):
    data = json.dumps(body).encode() if body is not None else None
    request = urllib.request.Request(url, data=data, method=method, headers=headers)
    with urllib.request.urlopen(request, timeout=30) as response:
        return json.loads(response.read() or b"null")


def _publish(path: Path, target: str) -> str:
    """Put the summary at ``s3://bucket/key`` and return its console address."""
    bucket, _, key = target.removeprefix("s3://").partition("/")
    _client("s3").put_object(Bucket=bucket, Key=key, Body=path.read_bytes(), ContentType="text/markdown")
    return f"https://s3.console.aws.amazon.com/s3/object/{bucket}?prefix={key}"


def _client(service: str):
    """A botocore client for a pipeline run's own calls: AWS's endpoint, or the emulator
    profile's (``$DATALAKE_EMULATOR``), like the stacks' providers."""
    import botocore.session  # only in a pipeline run

    from datalake_cdktf.emulator import load_emulator_profile

    profile = load_emulator_profile()
    endpoint = profile.endpoints.get(service) if profile else None
    return botocore.session.get_session().create_client(service, endpoint_url=endpoint)


def main(argv: list[str] | None = None) -> int:
    """``python -m datalake_cdktf.deploy plan|apply|drift|update-pipeline|comment``: the pipelines' steps."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    commands = parser.add_subparsers(dest="command", required=True)
    for name in ("plan", "apply", "drift", "update-pipeline"):
        command = commands.add_parser(name)
        command.add_argument("--stack", action="append", required=True, help="stack name (repeat for several)")
        command.add_argument("--stacks-dir", type=Path, default=DEFAULT_STACKS_DIR)
        if name in ("plan", "update-pipeline"):
            command.add_argument("--out", type=Path, default=Path("plans"))
        if name == "plan":
            command.add_argument("--read-only", action="store_true", help="no state lock, no refresh (pull requests)")
            command.add_argument("--publish", help="s3://bucket/key to publish the summary to")
        if name == "apply":
            command.add_argument("--plans", type=Path, default=Path("plans"))
        if name == "update-pipeline":
            command.add_argument("--pipeline", help="the pipeline to restart when it changed")
    commenting = commands.add_parser("comment")
    commenting.add_argument("--summary", type=Path, default=Path("plans") / "summary.md")
    args = parser.parse_args(argv)

    if args.command == "comment":
        url = comment(
            args.summary.read_text(),
            repository_url=os.environ.get("CODEBUILD_SOURCE_REPO_URL", ""),
            trigger=os.environ.get("CODEBUILD_WEBHOOK_TRIGGER", ""),
            token=os.environ["PULL_REQUEST_TOKEN"],
            api=os.environ.get("GITHUB_API_URL", "https://api.github.com"),
        )
        print(f"plan summary on {url}")
        return 0
    folders = [args.stacks_dir / name for name in args.stack]
    if args.command == "plan":
        plan(folders, args.out, read_only=args.read_only, publish=args.publish)
    elif args.command == "apply":
        apply(folders, args.plans)
    elif args.command == "drift":
        drifted = drift(folders)
        print(f"drift in {', '.join(drifted)}" if drifted else "no drift")
        return 2 if drifted else 0
    else:
        (folder,) = folders
        print(f"pipeline {update_pipeline(folder, args.pipeline, args.out)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
