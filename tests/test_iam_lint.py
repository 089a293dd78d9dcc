"""Every policy document the stacks create, linted.

Identity, key and bucket policies go through parliament (with its community
auditors); findings are accepted only where tests/iam_lint_accepted.yaml says why.
Trust policies have no Resource, which parliament cannot read, so they are checked
here against rules of their own.
"""

from __future__ import annotations

import fnmatch
import re
import warnings
from pathlib import Path

import pytest
import yaml

from tests.support.synth import SynthStack, policy

with warnings.catch_warnings():
    warnings.simplefilter("ignore")  # parliament imports the deprecated pkg_resources
    import parliament

ACCEPTED_FILE = Path(__file__).with_name("iam_lint_accepted.yaml")
POLICY_ATTRIBUTES = {
    "aws_iam_policy": "policy",
    "aws_iam_role_policy": "policy",
    "aws_kms_key": "policy",
    "aws_s3_bucket_policy": "policy",
    "aws_sns_topic_policy": "policy",
}
# Terraform references inside documents, resolved to ARNs of the right shape.
PLACEHOLDERS = {
    ("aws_s3_bucket", "arn"): "arn:aws:s3:::placeholder-bucket",
    ("aws_kms_key", "arn"): "arn:aws:kms:eu-west-1:111111111111:key/placeholder",
    ("aws_cloudwatch_log_group", "arn"): "arn:aws:logs:eu-west-1:111111111111:log-group:placeholder",
    ("aws_sns_topic", "arn"): "arn:aws:sns:eu-west-1:111111111111:placeholder",
}


def resolve_references(document: str) -> str:
    def placeholder(match: re.Match) -> str:
        resource_type, _, attribute = match.group(1).split(".")
        try:
            return PLACEHOLDERS[(resource_type, attribute)]
        except KeyError:
            raise AssertionError(f"add a placeholder for ${{{match.group(1)}}} to PLACEHOLDERS") from None

    return re.sub(r"\$\{([^}]+)\}", placeholder, document)


def documents(stacks: dict[str, SynthStack], kinds: dict[str, str]) -> list[tuple[str, str]]:
    """("<stack>/<construct path>", document) for every policy attribute of ``kinds``."""
    found = []
    for stack in stacks.values():
        for resource_type, attribute in kinds.items():
            for conf in stack.resources(resource_type).values():
                found.append((conf["//"]["metadata"]["path"], conf[attribute]))
    return found


@pytest.fixture(scope="module")
def findings(all_stacks) -> list[tuple[str, str, str]]:
    result = []
    for where, document in documents(all_stacks, POLICY_ATTRIBUTES):
        linted = parliament.analyze_policy_string(resolve_references(document), include_community_auditors=True)
        result += [(finding.issue, where, str(finding.detail)[:200]) for finding in linted.findings]
    return result


@pytest.fixture(scope="module")
def accepted() -> list[dict]:
    return yaml.safe_load(ACCEPTED_FILE.read_text())


def is_accepted(accepted: list[dict], issue: str, where: str) -> bool:
    return any(
        entry["issue"] == issue and any(fnmatch.fnmatchcase(where, glob) for glob in entry["policies"])
        for entry in accepted
    )


def test_documents_are_found_in_every_stack(stacks):
    found = {where.split("/")[0] for where, _ in documents(stacks, POLICY_ATTRIBUTES)}
    assert found == set(stacks), "every stack has at least one policy to lint"


def test_every_acceptance_has_a_reason(accepted):
    for entry in accepted:
        assert set(entry) == {"issue", "policies", "reason"}, entry
        assert len(entry["reason"]) > 40, entry


def test_no_finding_outside_the_accepted_list(findings, accepted):
    unexpected = [
        f"{issue} {where}: {detail}" for issue, where, detail in findings if not is_accepted(accepted, issue, where)
    ]
    assert not unexpected, "fix these, or accept them in tests/iam_lint_accepted.yaml with the reason:\n" + "\n".join(
        unexpected
    )


def test_no_acceptance_outlives_its_finding(findings, accepted):
    stale = [
        f"{entry['issue']}: {glob}"
        for entry in accepted
        for glob in entry["policies"]
        if not any(issue == entry["issue"] and fnmatch.fnmatchcase(where, glob) for issue, where, _ in findings)
    ]
    assert not stale, "these acceptances match no finding any more; delete them:\n" + "\n".join(stale)


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
