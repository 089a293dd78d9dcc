"""The configuration-reading twin of a deploy role's permissions: what a refresh reads.

The administrator's drift check plans each stack's configuration last applied
(``datalake_cdktf.gate``), so it reads back everything the stack's state holds, and only
that: the actions of the deploy role's permissions that read configuration, on the same
resources and conditions.
It runs no repository code; still nothing here writes, decrypts data or reads a secret's
value (reading an object is kept only where the deploy role reads its own files, the
repository's scripts and packages: the refresh of an ``aws_s3_object`` asks HeadObject).
"""

from __future__ import annotations

from collections.abc import Iterable

from datalake_cdktf.iam.statements import Statement, allow

__all__ = ["READ_VERBS", "REFRESH_CALLS", "read_only", "reads"]

READ_VERBS = ("Get", "Describe", "List", "BatchGet")
"""The verbs that start the names of actions that read configuration."""
REFRESH_CALLS = frozenset({"kms:DescribeKey"})
"""What a refresh calls beyond the reads: a key's metadata (an object, a topic or a log group
names the key); it reads no data."""


def reads(action: str) -> bool:
    """Whether ``action`` reads configuration; not a secret's value, nor a decryption."""
    service, name = action.split(":")
    if action in ("s3:GetObject", "s3:GetObjectTagging") or action in REFRESH_CALLS:
        return True
    if service == "kms" or action in ("secretsmanager:GetSecretValue", "ssm:GetParametersByPath"):
        return False
    return name.startswith(READ_VERBS)


def read_only(statements: Iterable[Statement]) -> list[Statement]:
    """Each allowing statement with only the actions that :func:`reads`, on the same
    resources and conditions; statements left with none (and every deny) are dropped."""
    readonly = []
    for statement in statements:
        if statement.get("Effect", "Allow") != "Allow":
            continue
        actions = [a for a in _listed(statement["Action"]) if reads(a)]
        if actions:
            readonly.append(allow(statement["Sid"], actions, statement["Resource"], statement.get("Condition")))
    return readonly


def _listed(value: str | list[str]) -> list[str]:
    return value if isinstance(value, list) else [value]
