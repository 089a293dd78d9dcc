"""parliament on every policy document of synthesized stacks, and the findings accepted.

Identity, key, bucket and topic policies go through parliament with its community
auditors. Terraform references inside a document (``${aws_s3_bucket.x.arn}``) are
resolved to placeholder ARNs of the right shape first (:data:`PLACEHOLDERS`): parliament
has no Terraform reader. Trust policies have no ``Resource``, which parliament cannot
read; they are not linted here.

An accepted finding names the issue, where (``policies``: globs over
``"<stack id>/<construct path>"``), optionally which findings (``detail``: a glob over
parliament's detail) and the reason::

    - issue: UNKNOWN_CONDITION_FOR_ACTION
      detail: "Unknown condition kms:ResourceAliases for action kms:*"
      policies: ["etl-*/etl/job-*/access"]
      reason: >-
        Why this is right here, and the test that shows it.

:data:`ACCEPTED_FILE` lists those on the library's own policies; a repository accepts
findings on policies of its own in a file of its own (:func:`accepted_findings`).
"""

from __future__ import annotations

import fnmatch
import re
import warnings
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any, NamedTuple

import yaml

__all__ = [
    "ACCEPTED_FILE",
    "PLACEHOLDERS",
    "POLICY_ATTRIBUTES",
    "Finding",
    "accepted_findings",
    "documents",
    "is_accepted",
    "lint",
    "load_accepted",
    "reasonless",
    "resolve_references",
    "stale",
    "unaccepted",
]

ACCEPTED_FILE = Path(__file__).with_name("iam_lint_accepted.yaml")
"""The findings accepted on the library's own policies."""
POLICY_ATTRIBUTES = {
    "aws_iam_policy": "policy",
    "aws_iam_role_policy": "policy",
    "aws_kms_key": "policy",
    "aws_s3_bucket_policy": "policy",
    "aws_sns_topic_policy": "policy",
}
"""The resource types whose attribute holds a policy document parliament can read."""
PLACEHOLDERS = {
    ("aws_s3_bucket", "arn"): "arn:aws:s3:::placeholder-bucket",
    ("aws_kms_key", "arn"): "arn:aws:kms:eu-west-1:111111111111:key/placeholder",
    ("aws_cloudwatch_log_group", "arn"): "arn:aws:logs:eu-west-1:111111111111:log-group:placeholder",
    ("aws_sns_topic", "arn"): "arn:aws:sns:eu-west-1:111111111111:placeholder",
}
"""Terraform references inside documents, resolved to ARNs of the right shape."""


class Finding(NamedTuple):
    """One parliament finding: its issue, ``"<stack id>/<construct path>"`` and detail."""

    issue: str
    where: str
    detail: str


def resolve_references(document: str) -> str:
    """``document`` with each ``${<type>.<name>.<attribute>}`` replaced by its placeholder;
    AssertionError naming a reference :data:`PLACEHOLDERS` has no ARN for."""

    def placeholder(match: re.Match) -> str:
        resource_type, _, attribute = match.group(1).split(".")
        try:
            return PLACEHOLDERS[(resource_type, attribute)]
        except KeyError:
            raise AssertionError(f"add a placeholder for ${{{match.group(1)}}} to PLACEHOLDERS") from None

    return re.sub(r"\$\{([^}]+)\}", placeholder, document)


def documents(
    stacks: Mapping[str, Mapping[str, Any]], kinds: Mapping[str, str] = POLICY_ATTRIBUTES
) -> list[tuple[str, str]]:
    """("<stack>/<construct path>", document) for every attribute of ``kinds`` (resource
    type -> attribute) in ``stacks`` (stack id -> its ``cdk.tf.json``)."""
    found = []
    for stack in stacks.values():
        for resource_type, attribute in kinds.items():
            for conf in stack.get("resource", {}).get(resource_type, {}).values():
                found.append((conf["//"]["metadata"]["path"], conf[attribute]))
    return found


def lint(stacks: Mapping[str, Mapping[str, Any]]) -> list[Finding]:
    """Every parliament finding (community auditors included) on the policies of ``stacks``."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # parliament imports the deprecated pkg_resources
        import parliament

    result = []
    for where, document in documents(stacks):
        linted = parliament.analyze_policy_string(resolve_references(document), include_community_auditors=True)
        result += [Finding(finding.issue, where, str(finding.detail)[:200]) for finding in linted.findings]
    return result


def load_accepted(path: Path | str) -> list[dict[str, Any]]:
    """One file of accepted findings (a list of entries); an empty file is none."""
    return yaml.safe_load(Path(path).read_text()) or []


def accepted_findings(*files: Path | str) -> list[dict[str, Any]]:
    """The library's accepted findings and those of ``files``."""
    return [entry for path in (ACCEPTED_FILE, *files) for entry in load_accepted(path)]


def _matches(entry: Mapping[str, Any], finding: Finding, glob: str) -> bool:
    return (
        entry["issue"] == finding.issue
        and fnmatch.fnmatchcase(finding.where, glob)
        and fnmatch.fnmatchcase(finding.detail, entry.get("detail", "*"))
    )


def is_accepted(accepted: Iterable[Mapping[str, Any]], finding: Finding) -> bool:
    """Whether an entry of ``accepted`` covers ``finding``."""
    return any(_matches(entry, finding, glob) for entry in accepted for glob in entry["policies"])


def unaccepted(findings: Iterable[Finding], accepted: Iterable[Mapping[str, Any]]) -> list[str]:
    """``"<issue> <where>: <detail>"`` of each finding no entry accepts."""
    accepted = list(accepted)
    return [f"{f.issue} {f.where}: {f.detail}" for f in findings if not is_accepted(accepted, f)]


def stale(findings: Iterable[Finding], accepted: Iterable[Mapping[str, Any]]) -> list[str]:
    """``"<issue>: <glob>"`` of each acceptance that matches no finding any more (delete it)."""
    findings = list(findings)
    return [
        f"{entry['issue']}: {glob}"
        for entry in accepted
        for glob in entry["policies"]
        if not any(_matches(entry, f, glob) for f in findings)
    ]


def reasonless(accepted: Iterable[Mapping[str, Any]]) -> list[str]:
    """Entries without an issue, policies and a reason (of more than 40 characters), or
    with other keys than those and ``detail``."""
    problems = []
    for entry in accepted:
        keys = set(entry) if isinstance(entry, dict) else set()
        if not {"issue", "policies", "reason"} <= keys <= {"issue", "policies", "reason", "detail"}:
            problems.append(f"{entry}: give 'issue', 'policies' and 'reason' (and optionally 'detail')")
        elif len(str(entry["reason"])) <= 40 or not entry["policies"]:
            problems.append(f"{entry['issue']} {entry['policies']}: say why and where the finding is accepted")
    return problems
