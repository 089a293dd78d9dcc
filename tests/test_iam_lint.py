"""Every policy document the stacks create, linted.

Identity, key and bucket policies go through parliament (with its community
auditors), as the library's checks run it (:mod:`datalake_cdktf.checks.iam_lint`, which
ETL repositories' tests use too); findings are accepted only where the library's
checks/iam_lint_accepted.yaml (its constructs' policies) or tests/iam_lint_accepted.yaml
(this repository's own) says why. Trust policies have no Resource, which parliament
cannot read, so they are checked here against rules of their own.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from datalake_cdktf.checks import iam_lint
from datalake_cdktf.checks.iam_lint import accepted_findings, lint, reasonless, resolve_references, stale, unaccepted

from tests.support.synth import SynthStack, policy

ACCEPTED_FILE = Path(__file__).with_name("iam_lint_accepted.yaml")
POLICY_ATTRIBUTES = iam_lint.POLICY_ATTRIBUTES


def documents(stacks: dict[str, SynthStack], kinds: dict[str, str]) -> list[tuple[str, str]]:
    """("<stack>/<construct path>", document) for every policy attribute of ``kinds``."""
    return iam_lint.documents({stack_id: stack.json for stack_id, stack in stacks.items()}, kinds)


@pytest.fixture(scope="module")
def findings(all_stacks) -> list[iam_lint.Finding]:
    return lint({stack_id: stack.json for stack_id, stack in all_stacks.items()})


@pytest.fixture(scope="module")
def accepted() -> list[dict]:
    return accepted_findings(ACCEPTED_FILE)


def test_documents_are_found_in_every_stack(stacks):
    found = {where.split("/")[0] for where, _ in documents(stacks, POLICY_ATTRIBUTES)}
    assert found == set(stacks), "every stack has at least one policy to lint"


def test_every_acceptance_has_a_reason(accepted):
    assert accepted, f"the library's accepted findings ({iam_lint.ACCEPTED_FILE}) are read"
    assert reasonless(accepted) == []


def test_no_finding_outside_the_accepted_list(findings, accepted):
    unexpected = unaccepted(findings, accepted)
    assert not unexpected, (
        "fix these, or accept them with the reason: in the library's checks/iam_lint_accepted.yaml when a "
        "construct of the library writes the policy, else in tests/iam_lint_accepted.yaml:\n" + "\n".join(unexpected)
    )


def test_no_acceptance_outlives_its_finding(findings, accepted):
    outlived = stale(findings, accepted)
    assert not outlived, "these acceptances match no finding any more; delete them:\n" + "\n".join(outlived)


def test_trust_policies_admit_one_service_or_exact_roles(all_stacks):
    """A trust statement names one AWS service bound to the account (aws:SourceAccount),
    or exact role ARNs; never "*", an account root or a wildcard. (Who may assume what
    is evaluated in tests/test_iam_evaluation.py.)"""
    trusts = documents(all_stacks, {"aws_iam_role": "assume_role_policy"})
    assert trusts
    for where, document in trusts:
        for stmt in policy(document)["Statement"]:
            assert stmt["Effect"] == "Allow" and stmt["Action"] == "sts:AssumeRole", (where, stmt)
            principal = stmt["Principal"]
            if "Service" in principal:
                assert re.fullmatch(r"\d{12}", stmt["Condition"]["StringEquals"]["aws:SourceAccount"]), (where, stmt)
            else:
                assert list(principal) == ["AWS"], (where, stmt)
                roles = principal["AWS"] if isinstance(principal["AWS"], list) else [principal["AWS"]]
                assert all(re.fullmatch(r"arn:aws:iam::\d{12}:role/[\w+=,.@-]+", r) for r in roles), (where, stmt)


IDENTITY_POLICIES = {"aws_iam_policy": "policy", "aws_iam_role_policy": "policy"}


def test_no_identity_policy_allows_privilege_escalation_by_cloudsplaining(stacks, all_stacks):
    """cloudsplaining weighs resource constraints: it looks for the published escalation
    combinations among actions allowed on every resource without a condition."""
    from cloudsplaining.scan.policy_document import PolicyDocument

    found = documents(all_stacks, IDENTITY_POLICIES)
    assert len(found) >= 3 * len(stacks), "every deploy role, boundary and pipeline role"
    assert [w for w, _ in found if w.startswith("etl-")], "and the ETL job roles"
    escalations = {
        where: PolicyDocument(policy(resolve_references(document))).allows_privilege_escalation
        for where, document in found
    }
    assert {where: e for where, e in escalations.items() if e} == {}


def test_cloudsplaining_sees_an_escalation_when_there_is_one():
    """The check above is live: the original deploy policy's shape (IAM writes on every role) is found."""
    from cloudsplaining.scan.policy_document import PolicyDocument

    wide = {
        "Version": "2012-10-17",
        "Statement": [{"Effect": "Allow", "Action": ["iam:CreatePolicyVersion", "iam:PassRole"], "Resource": "*"}],
    }
    assert PolicyDocument(wide).allows_privilege_escalation
