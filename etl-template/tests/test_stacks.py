"""This repository's stacks as its Plan will meet them: synthesized for every environment
of the deployment, valid for Terraform with the pinned AWS provider, and clean under
checkov and parliament but for the findings accepted with their reasons: the library's
(on the resources and policies its constructs create) and this repository's own, for
what it adds (tests/checkov_accepted.yaml, tests/iam_lint_accepted.yaml).

The deployment is the infrastructure repository's ($DATALAKE_DEPLOYMENT: a checkout of
its envs/, which the pipeline hands every build). Terraform installs the provider from a
filesystem mirror (your Terraform CLI config's, or $TF_PROVIDER_MIRROR): without
Terraform or the mirror those tests are skipped with what to install, and fail in CI.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from datalake_cdktf.checks import checkov, iam_lint, read_stacks, terraform
from datalake_cdktf.config import load_deployment
from datalake_cdktf.config.etl import stack_ids

HERE = Path(__file__).resolve().parent
ETL_FILE = HERE.parent / "etl.yaml"
CHECKOV_ACCEPTED = HERE / "checkov_accepted.yaml"
IAM_LINT_ACCEPTED = HERE / "iam_lint_accepted.yaml"


@pytest.fixture(scope="session")
def deployment():
    return load_deployment()


@pytest.fixture(scope="session")
def stacks(deployment, tmp_path_factory):
    """Every stack of this repository, synthesized once (as `make synth` does)."""
    from stacks import build_app  # the engine starts here

    outdir = tmp_path_factory.mktemp("cdktf.out")
    app, _ = build_app(deployment, outdir)
    app.synth()
    return read_stacks(outdir)


def test_one_stack_per_environment_in_its_account(stacks, deployment):
    assert sorted(stacks) == sorted(stack_ids(ETL_FILE, deployment))
    for environment, stack_id in zip(deployment.environments, stack_ids(ETL_FILE, deployment), strict=True):
        (aws,) = stacks[stack_id].json["provider"]["aws"]
        assert aws["allowed_account_ids"] == [environment.account_id], aws


def test_terraform_validates_every_stack(stacks, tmp_path):
    run = terraform.terraform_runner(tmp_path)
    problems = [terraform.validate(stack.directory, tmp_path, run) for stack in stacks.values()]
    assert not any(problems), "\n\n".join(p for p in problems if p)


@pytest.fixture(scope="session")
def checkov_findings(stacks, tmp_path_factory) -> list[checkov.Finding]:
    scan = checkov.scan_stacks({i: s.json for i, s in stacks.items()}, tmp_path_factory.mktemp("checkov"))
    assert scan.summary["passed"] > 0, scan.summary
    return scan.findings


def test_checkov_finds_nothing_that_is_not_accepted_with_its_reason(checkov_findings):
    accepted = checkov.accepted_findings(CHECKOV_ACCEPTED)
    assert checkov.reasonless(accepted) == []
    unexpected = checkov.unaccepted(checkov_findings, accepted)
    assert not unexpected, "fix these, or accept them in tests/checkov_accepted.yaml with the reason:\n" + "\n".join(
        unexpected
    )


@pytest.fixture(scope="session")
def iam_findings(stacks) -> list[iam_lint.Finding]:
    return iam_lint.lint({i: s.json for i, s in stacks.items()})


def test_every_policy_is_linted(stacks):
    linted = {where.split("/")[0] for where, _ in iam_lint.documents({i: s.json for i, s in stacks.items()})}
    assert linted == set(stacks), "each stack has policies (its job and workflow roles)"


def test_parliament_finds_nothing_that_is_not_accepted_with_its_reason(iam_findings):
    accepted = iam_lint.accepted_findings(IAM_LINT_ACCEPTED)
    assert iam_lint.reasonless(accepted) == []
    unexpected = iam_lint.unaccepted(iam_findings, accepted)
    assert not unexpected, "fix these, or accept them in tests/iam_lint_accepted.yaml with the reason:\n" + "\n".join(
        unexpected
    )


def test_no_acceptance_of_this_repository_outlives_its_finding(checkov_findings, iam_findings):
    outlived = checkov.stale(checkov_findings, checkov.load_accepted(CHECKOV_ACCEPTED))
    outlived += iam_lint.stale(iam_findings, iam_lint.load_accepted(IAM_LINT_ACCEPTED))
    assert not outlived, "these acceptances match no finding any more; delete them:\n" + "\n".join(outlived)
