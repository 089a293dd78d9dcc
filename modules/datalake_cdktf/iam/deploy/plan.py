"""The read-only twin of a deploy role's permissions: what ``terraform plan`` reads.

A pull request's code runs with these, so nothing here writes, decrypts data or reads a
secret (reading an object is kept only on the repository's own assets: what Terraform's
refresh of an ``aws_s3_object`` asks, HeadObject, returns no content).
"""

from __future__ import annotations

from collections.abc import Iterable

from datalake_cdktf.iam.statements import Statement, allow

__all__ = ["PLAN_CALLS", "READ_VERBS", "read_only", "reads"]

READ_VERBS = ("Get", "Describe", "List", "BatchGet")
"""The verbs that start the names of actions that read configuration."""
PLAN_CALLS = frozenset({"kms:DescribeKey", "states:ValidateStateMachineDefinition"})
"""What ``terraform plan`` calls beyond the reads: a key's metadata (an object, topic or log
group names the key) and the check of a state machine's definition; neither reads data."""


def reads(action: str) -> bool:
    """Whether ``action`` reads configuration; not a data or secret read, nor a decryption."""
    service, name = action.split(":")
    if action in ("s3:GetObject", "s3:GetObjectTagging"):
        return True  # granted only on the repository's own assets (scripts, packages)
    if action in PLAN_CALLS:
        return True
    if service == "kms" or action in ("secretsmanager:GetSecretValue", "ssm:GetParametersByPath"):
        return False
    return name.startswith(READ_VERBS)


def read_only(statements: Iterable[Statement]) -> list[Statement]:
    """Each statement with only the actions that :func:`reads`, on the same resources and
    conditions; statements left with none are dropped."""
    readonly = []
    for statement in statements:
        actions = [a for a in _listed(statement["Action"]) if reads(a)]
        if actions:
            readonly.append(allow(statement["Sid"], actions, statement["Resource"], statement.get("Condition")))
    return readonly


def _listed(value: str | list[str]) -> list[str]:
    return value if isinstance(value, list) else [value]
