"""Statements packed into as few managed policies as IAM's size limit allows.

IAM caps a customer-managed policy at :data:`MANAGED_POLICY_MAX` characters, whitespace
not counted (IAM quotas, "IAM and AWS STS character limits"), and a role at
:data:`POLICIES_PER_ROLE` attached managed policies (the default quota). A role whose
permissions outgrow one policy gets several; which statement lands in which one is an
accident of size, not a meaning, so the parts are numbered rather than named.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence

from datalake_cdktf.iam.statements import Statement, document

__all__ = ["MANAGED_POLICY_MAX", "POLICIES_PER_ROLE", "PolicyTooLarge", "document_size", "pack"]

MANAGED_POLICY_MAX = 6_144
"""IAM's limit on a customer-managed policy document, in characters without whitespace."""
POLICIES_PER_ROLE = 10
"""IAM's default quota of managed policies attached to one role."""


class PolicyTooLarge(ValueError):
    """The statements of a role do not fit the managed policies it may have."""


def document_size(statements: Sequence[Statement]) -> int:
    """The size IAM counts for the document of ``statements``: characters, no whitespace."""
    return len(re.sub(r"\s", "", document(*statements)))


def pack(
    role: str,
    statements: Sequence[Statement],
    name: Callable[[int], str],
    *,
    limit: int = MANAGED_POLICY_MAX,
    parts: int = POLICIES_PER_ROLE,
) -> dict[str, list[Statement]]:
    """``statements``, in their order, in managed policies of at most ``limit`` characters
    each: policy name -> statements. The first policy is filled before the next is begun
    (greedily, never reordering, so the concatenation of the policies is ``statements``);
    policy ``n`` (from 1) is named ``name(n)``.

    Raises :class:`PolicyTooLarge`, naming ``role``, if one statement alone is over
    ``limit`` or the statements need more than ``parts`` policies (default
    :data:`POLICIES_PER_ROLE`)."""
    packed: list[list[Statement]] = []
    for statement in statements:
        if document_size([statement]) > limit:
            raise PolicyTooLarge(
                f"{role}: statement {statement.get('Sid')!r} alone is over IAM's {limit} characters; split it"
            )
        if not packed or document_size([*packed[-1], statement]) > limit:
            packed.append([])
        packed[-1].append(statement)
    if len(packed) > parts:
        raise PolicyTooLarge(
            f"{role}: its permissions need {len(packed)} managed policies of {limit} characters, more than the"
            f" {parts} a role may have; narrow them or widen the actions into families (e.g. 'glue:Get*')"
        )
    return {name(number): part for number, part in enumerate(packed, start=1)}
