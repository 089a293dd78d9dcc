"""The gate (datalake_cdktf.gate): what the administrator's builds run where a secret or
deploy power is. Real saved plans from the real Terraform (``terraform_data`` with a
local state, so no cloud is needed), a GitHub API stand-in on 127.0.0.1, and plans in
Terraform's JSON format for the summary's rules.

The gate in the pipelines, on the stacks of this deployment against the emulator, is
exercised by tests/test_e2e_apply.py; that the builds carry exactly this file, by
tests/test_pipelines.py."""

from __future__ import annotations

import json
import os
import shutil
import threading
import zipfile
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import ClassVar

import pytest
from datalake_cdktf import gate
from datalake_cdktf.gate import MARKER, GateError

from tests.support.tools import terraform_binary

SECRET = "s3cr3t-value-that-must-not-leak"


@pytest.fixture(scope="module")
def terraform_bin(monkeypatch_module) -> str:
    binary = terraform_binary()
    monkeypatch_module.setenv("TERRAFORM", binary)
    return binary


@pytest.fixture(scope="module")
def monkeypatch_module():
    with pytest.MonkeyPatch.context() as patch:
        yield patch


def planned(plans: Path, stack: str, config: dict, *, state: Path) -> Path:
    """A stack folder as the plan build leaves it: ``cdk.tf.json`` (a local state at
    ``state``), its lock file and ``plan.tfplan``; the stack appended to ``stacks``."""
    folder = plans / stack
    folder.mkdir(parents=True)
    config = {**config, "terraform": {"backend": {"local": {"path": str(state)}}}}
    (folder / "cdk.tf.json").write_text(json.dumps(config))
    gate.terraform(folder, "init", "-input=false")
    gate.terraform(folder, "plan", "-input=false", f"-out={gate.PLAN_FILE}")
    shutil.rmtree(folder / ".terraform")  # the plan build hands on the folder without it
    with (plans / gate.STACKS_FILE).open("a") as listed:
        listed.write(stack + "\n")
    return folder


DATA = {"resource": {"terraform_data": {"job": {"input": SECRET}, "other": {"input": "b"}}}}


@pytest.fixture
def plans(tmp_path, terraform_bin) -> Path:
    plans = tmp_path / "plans"
    planned(plans, "etl-sales-dev", DATA, state=tmp_path / "etl.tfstate")
    planned(plans, "pipeline-sales-dev", {"resource": {"terraform_data": {"p": {"input": "c"}}}}, state=tmp_path / "p")
    return plans


def test_the_digest_is_the_sha256_of_the_manifest_and_moves_with_any_byte(plans):
    manifest = gate.manifest(plans)
    lines = manifest.splitlines()
    assert lines == sorted(lines, key=lambda line: line.split("  ", 1)[1]), "in path order"
    assert {line.split("  ", 1)[1] for line in lines} >= {
        "stacks",
        "etl-sales-dev/cdk.tf.json",
        "etl-sales-dev/plan.tfplan",
    }
    before = gate.digest(plans)
    assert before == gate.digest(plans), "stable"
    script = plans / "etl-sales-dev" / "assets" / "job.py"
    script.parent.mkdir()
    script.write_text("print(1)\n")
    with_script = gate.digest(plans)
    assert with_script != before
    script.write_text("print(2)\n")
    assert gate.digest(plans) not in (before, with_script), "one changed byte in a job script"


def test_a_symbolic_link_in_the_artifact_is_refused(plans):
    (plans / "etl-sales-dev" / "assets").symlink_to("/etc")
    with pytest.raises(GateError, match="symbolic link"):
        gate.digest(plans)


def test_seal_writes_the_digest_the_counts_and_the_summary_and_leaves_the_artifact_as_it_was(plans, tmp_path):
    before = gate.manifest(plans)
    sealed, _ = gate.seal(plans, tmp_path / "review", log_url="https://console/seal-log")
    assert sealed == gate.digest(plans) and gate.manifest(plans) == before, "the artifact is untouched"
    exports = dict(line.split("=", 1) for line in (tmp_path / "review" / "exports.env").read_text().splitlines())
    assert exports == {
        "DIGEST": sealed,
        "ADD": "3",
        "CHANGE": "0",
        "REPLACE": "0",
        "DESTROY": "0",
        "DATA_AT_RISK": "0",
        "SUMMARY_URL": "https://console/seal-log",
    }
    text = (tmp_path / "review" / "summary.md").read_text()
    assert text.startswith(MARKER) and f"`{sealed}`" in text
    assert "| `etl-sales-dev` | 2 | 0 | 0 | 0 |" in text and "| `pipeline-sales-dev` | 1 | 0 | 0 | 0 |" in text
    assert SECRET not in text


def provisioned(tmp_path: Path, block: dict) -> Path:
    plans = tmp_path / "bad"
    planned(plans, "etl-sales-dev", block, state=tmp_path / "bad.tfstate")
    return plans


@pytest.mark.parametrize(
    "block",
    [
        {"resource": {"terraform_data": {"x": {"provisioner": [{"local-exec": {"command": "env"}}]}}}},
        {
            "resource": {"terraform_data": {"x": {}}},
            "removed": [
                {
                    "from": "terraform_data.gone",
                    "lifecycle": {"destroy": True},
                    "provisioner": [{"local-exec": {"when": "destroy", "command": "env"}}],
                }
            ],
        },
    ],
    ids=["resource", "removed block"],
)
def test_a_plan_that_would_run_a_command_at_apply_is_not_sealed(tmp_path, terraform_bin, block):
    plans = provisioned(tmp_path, block)
    with pytest.raises(GateError, match="declares a provisioner"):
        gate.seal(plans, tmp_path / "review")
    assert not (tmp_path / "review" / "exports.env").exists(), "nothing to approve"


def test_a_provider_other_than_aws_is_refused(tmp_path):
    folder = tmp_path / "s"
    folder.mkdir()
    with zipfile.ZipFile(folder / gate.PLAN_FILE, "w") as saved:
        saved.writestr(".terraform.lock.hcl", 'provider "registry.terraform.io/hashicorp/external" {\n}\n')
        saved.writestr("tfconfig/m-/cdk.tf.json", "{}")
    plan = {
        "configuration": {"provider_config": {"aws": {"full_name": "registry.terraform.io/hashicorp/aws"}}},
        "resource_changes": [{"provider_name": "registry.terraform.io/hashicorp/null"}],
    }
    problems = gate.check("s", folder, plan)
    assert problems == [
        "s: provider registry.terraform.io/hashicorp/external (only registry.terraform.io/hashicorp/aws, "
        "terraform.io/builtin/terraform)",
        "s: provider registry.terraform.io/hashicorp/null (only registry.terraform.io/hashicorp/aws, "
        "terraform.io/builtin/terraform)",
    ]


def test_apply_refuses_an_artifact_whose_digest_is_not_the_approved_one(plans, tmp_path):
    approved = gate.digest(plans)
    (plans / "etl-sales-dev" / "cdk.tf.json").write_text(json.dumps(DATA).replace("b", "c"))
    with pytest.raises(GateError, match=f"the approved one {approved}"):
        gate.apply(plans, approved)
    assert not (tmp_path / "etl.tfstate").exists(), "nothing was applied"


def test_apply_applies_exactly_the_sealed_plans_in_order(plans, tmp_path):
    approved = gate.digest(plans)
    assert gate.apply(plans, approved) == ["etl-sales-dev", "pipeline-sales-dev"]
    state = json.loads((tmp_path / "etl.tfstate").read_text())
    assert sorted(r["name"] for r in state["resources"]) == ["job", "other"]
    assert (tmp_path / "p").exists()


def test_a_stale_plan_is_refused_by_terraform(plans, tmp_path):
    copy = tmp_path / "copy"
    shutil.copytree(plans, copy)
    gate.apply(plans, None)
    with pytest.raises(GateError, match=r"(?i)stale"):
        gate.apply(copy, None)


def change(address: str, actions: list[str], before=None, after=None, replace_paths=None) -> dict:
    found = {
        "address": address,
        "mode": "managed",
        "type": address.split(".")[0],
        "change": {"actions": actions, "before": before, "after": after, "after_unknown": {}},
    }
    if replace_paths:
        found["change"]["replace_paths"] = replace_paths  # where `terraform show -json` puts them
    return found


def test_the_summary_names_the_attributes_that_change_and_those_that_force_a_replace_never_a_value():
    plan = {
        "resource_changes": [
            change(
                "aws_cloudwatch_log_group.logs",
                ["update"],
                {"name": "g", "retention_in_days": 30, "tags": {"a": SECRET}},
                {"name": "g", "retention_in_days": 400, "tags": {"a": SECRET}},
            ),
            change(
                "aws_s3_bucket.raw",
                ["delete", "create"],
                {"bucket": "old", "force_destroy": False},
                {"bucket": "new", "force_destroy": False},
                [["bucket"]],
            ),
            change("aws_glue_job.load", ["create"], None, {"command": SECRET}),
        ]
    }
    text = gate.summarize([("datalake-dev", plan)]).markdown()
    assert "- change `aws_cloudwatch_log_group.logs`: `retention_in_days`" in text
    assert "- replace `aws_s3_bucket.raw` (forced by `bucket`): `bucket`" in text
    assert "- add `aws_glue_job.load`" in text
    assert SECRET not in text and "400" not in text and "new" not in text.replace("new job", "")


def test_a_comment_longer_than_the_limit_is_cut_with_a_link_to_the_whole_summary():
    plan = {"resource_changes": [change(f"aws_glue_job.job_{i}", ["create"]) for i in range(3000)]}
    summary = gate.summarize([("etl-sales-dev", plan)])
    body = gate.comment_body(summary, status="SUCCEEDED", build_log="", summary_log="https://console/comment-log")
    assert len(summary.markdown()) > gate.COMMENT_LIMIT
    assert len(body) <= gate.COMMENT_LIMIT and body.startswith(MARKER)
    assert body.rstrip().endswith("the whole summary is in https://console/comment-log.*")
    short = gate.comment_body(
        gate.summarize([("etl-sales-dev", {})]), status="SUCCEEDED", build_log="", summary_log="x"
    )
    assert "Cut at" not in short


def test_a_failed_build_is_said_with_its_log():
    body = gate.comment_body(None, status="FAILED", build_log="https://console/pr-log", summary_log="")
    assert body.startswith(MARKER) and "ended FAILED: https://console/pr-log" in body


class GitHubStandIn(BaseHTTPRequestHandler):
    """GET /user, and the comments of issue 7 of o/r, two of them by someone else."""

    comments: ClassVar[list[dict]] = []
    me = "datalake-bot"

    def _reply(self, body) -> None:
        data = json.dumps(body).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.end_headers()
        self.wfile.write(data)

    def do_GET(self):
        if self.path == "/user":
            return self._reply({"login": self.me})
        return self._reply(self.comments)

    def do_POST(self):
        body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        url = f"http://{self.headers['Host']}/repos/o/r/issues/comments/{len(self.comments) + 1}"
        self.comments.append({"url": url, "user": {"login": self.me}, "body": body["body"]})
        return self._reply(self.comments[-1])

    def do_PATCH(self):
        body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        found = next(c for c in self.comments if c["url"].endswith(self.path))
        found["body"] = body["body"]
        return self._reply(found)

    def log_message(self, *args):
        pass


def test_the_tool_updates_only_the_comment_it_wrote_itself():
    server = ThreadingHTTPServer(("127.0.0.1", 0), GitHubStandIn)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    api = f"http://127.0.0.1:{server.server_port}"
    GitHubStandIn.comments = [
        {"url": f"{api}/repos/o/r/issues/comments/a", "user": {"login": "mallory"}, "body": MARKER + "\nfake"},
        {"url": f"{api}/repos/o/r/issues/comments/b", "user": {"login": "alice"}, "body": "looks good"},
    ]
    try:
        first = gate.post_comment(MARKER + "\none", repository="o/r", number=7, token="t", api=api)
        second = gate.post_comment(MARKER + "\ntwo", repository="o/r", number=7, token="t", api=api)
    finally:
        server.shutdown()
    assert first == second, "updated in place"
    bodies = {c["user"]["login"]: c["body"] for c in GitHubStandIn.comments}
    assert bodies == {"mallory": MARKER + "\nfake", "alice": "looks good", "datalake-bot": MARKER + "\ntwo"}


@pytest.mark.parametrize(
    "location",
    [
        "arn:aws:s3:::another-bucket/pull-requests/1/plans.zip",
        "arn:aws:s3:::ci-bucket/caches/plans.zip",
        "s3://ci-bucket/elsewhere/x.zip",
    ],
)
def test_the_comment_build_reads_only_pull_requests_artifacts(tmp_path, location):
    with pytest.raises(GateError, match="not a pull request's artifact"):
        gate.fetch_artifact(location, "ci-bucket", tmp_path)


def test_the_approval_link_is_the_seal_builds_log():
    arn = "arn:aws:codebuild:eu-west-1:111111111111:build/datalake-dev-sales-seal:0d4c-11"
    assert gate.build_log_url(arn) == (
        "https://eu-west-1.console.aws.amazon.com/codesuite/codebuild/111111111111/projects/datalake-dev-sales-seal"
        "/build/datalake-dev-sales-seal%3A0d4c-11/log?region=eu-west-1"
    )
    assert gate.build_log_url("") == ""


def test_the_gate_needs_nothing_but_the_standard_library():
    """The administrator's builds carry this one file and install nothing for it."""
    import ast
    import sys

    tree = ast.parse(Path(gate.__file__).read_text())
    imported = {
        (node.module if isinstance(node, ast.ImportFrom) else alias.name).split(".")[0]
        for node in ast.walk(tree)
        if isinstance(node, ast.Import | ast.ImportFrom)
        for alias in node.names
    }
    assert imported <= set(sys.stdlib_module_names) | {"__future__"}, imported - set(sys.stdlib_module_names)


def synthesized_stack(tmp_path: Path) -> Path:
    """A synthesized stack's folder (``etl-sales-dev``) whose one resource's replacement a
    job file's content triggers, with its state in ``tmp_path / "state"``."""
    folder = tmp_path / "cdktf.out" / "stacks" / "etl-sales-dev"
    (folder / "assets").mkdir(parents=True)
    (folder / "assets" / "job.py").write_text("print('job')\n")
    config = {
        "terraform": {"backend": {"local": {"path": str(tmp_path / "state")}}},
        "resource": {"terraform_data": {"job": {"triggers_replace": '${filemd5("assets/job.py")}'}}},
    }
    (folder / "cdk.tf.json").write_text(json.dumps(config))
    return folder


def test_the_plan_command_writes_the_artifact_the_gate_seals_and_applies(tmp_path, terraform_bin):
    """``python -m datalake_cdktf.deploy plan`` (what ``make plan`` runs): each stack's folder
    copied with its saved plan, no providers, named in ``stacks`` once however often it
    runs; planned against the recorded state (a resource changed outside Terraform is not
    seen: no refresh), then sealed and applied by the gate; the next change's summary names
    the argument that forces its replace, as Terraform reports it."""
    from datalake_cdktf import deploy

    folder = synthesized_stack(tmp_path)
    out = tmp_path / "plans"
    assert deploy.plan([folder], out) == {"ADD": 1, "CHANGE": 0, "REPLACE": 0, "DESTROY": 0, "DATA_AT_RISK": 0}
    deploy.plan([folder], out)
    assert (out / "stacks").read_text() == "etl-sales-dev\n", "named once"
    assert sorted(p.relative_to(out).as_posix() for p in out.rglob("*") if p.is_file()) == [
        "etl-sales-dev/assets/job.py",
        "etl-sales-dev/cdk.tf.json",
        "etl-sales-dev/plan.tfplan",
        "stacks",
    ]
    sealed, summary = gate.seal(out, tmp_path / "review")
    assert summary.counts()["ADD"] == 1
    assert gate.apply(out, sealed) == ["etl-sales-dev"]
    assert json.loads((tmp_path / "state").read_text())["resources"][0]["name"] == "job"

    (folder / "assets" / "job.py").write_text("print('job, changed')\n")
    assert deploy.plan([folder], tmp_path / "next")["REPLACE"] == 1
    _, summary = gate.seal(tmp_path / "next", tmp_path / "next-review")
    assert "- replace `terraform_data.job` (forced by `triggers_replace`)" in summary.markdown(), summary.markdown()


FAKE_S3 = """#!/usr/bin/env python3
# `aws s3 cp SOURCE TARGET` against folders: s3://<bucket>/<key> is <root>/<bucket>/<key>
import shutil, sys
from pathlib import Path
root = Path(sys.argv[0]).parent.parent / "s3"
def local(path):
    return root / path.removeprefix("s3://") if path.startswith("s3://") else Path(path)
assert sys.argv[1:3] == ["s3", "cp"], sys.argv
source, target = local(sys.argv[3]), local(sys.argv[4])
if not source.is_file():
    sys.exit(f"fatal error: {sys.argv[3]} not found")
target.parent.mkdir(parents=True, exist_ok=True)
shutil.copyfile(source, target)
"""


def test_the_apply_keeps_the_configuration_it_applied_and_drift_reads_everything_back_with_it(
    tmp_path, terraform_bin, monkeypatch
):
    """``apply --keep``: the configuration applied, without saved plans or providers, where
    ``drift --applied`` reads it; its plan of that configuration finds no drift in what was
    just applied, and names the resource, action and attribute once the live value differs
    (here: the state's, as a refresh reads it), and a resource that is gone; with nothing
    kept, drift says so and compares nothing."""
    from datalake_cdktf import deploy

    bin_folder = tmp_path / "bin"
    bin_folder.mkdir()
    (bin_folder / "aws").write_text(FAKE_S3)
    (bin_folder / "aws").chmod(0o755)
    monkeypatch.setenv("PATH", f"{bin_folder}:{os.environ['PATH']}")
    folder = synthesized_stack(tmp_path)
    location = "s3://artifacts/applied/plans.zip"
    with pytest.raises(GateError, match="no configuration applied yet"):
        gate.fetch_applied(location, tmp_path)

    deploy.plan([folder], tmp_path / "plans")
    sealed, _ = gate.seal(tmp_path / "plans", tmp_path / "review")
    gate.apply(tmp_path / "plans", sealed)
    gate.keep(tmp_path / "plans", location)
    with zipfile.ZipFile(tmp_path / "s3" / "artifacts" / "applied" / "plans.zip") as kept:
        names = kept.namelist()
    assert "plans/etl-sales-dev/cdk.tf.json" in names and "plans/etl-sales-dev/assets/job.py" in names, names
    assert not [n for n in names if n.endswith(".tfplan") or "/.terraform/" in n], names

    work = tmp_path / "drift"
    work.mkdir()
    applied = gate.fetch_applied(location, work)
    assert gate.stacks(applied, saved=False) == ["etl-sales-dev"]
    assert gate.drift(applied) == {} and gate.drift(applied, ["etl-sales-dev"]) == {}
    state = json.loads((tmp_path / "state").read_text())
    (job,) = state["resources"]
    job["instances"][0]["attributes"]["triggers_replace"]["value"] = "changed by hand"
    (tmp_path / "state").write_text(json.dumps(state))
    assert gate.drift(applied) == {"etl-sales-dev": ["terraform_data.job: delete/create id, triggers_replace"]}
    state["resources"] = []
    (tmp_path / "state").write_text(json.dumps(state))
    assert gate.drift(applied) == {"etl-sales-dev": ["terraform_data.job: gone (the next apply creates it)"]}
    with pytest.raises(GateError, match="datalake-dev: not in the configuration applied"):
        gate.drift(applied, ["datalake-dev"])
