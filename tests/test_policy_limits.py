"""Every policy document fits the quota of the service that stores it.

A document over its quota is accepted by `terraform validate` and `plan` and refused by
AWS during `apply`, half-way through a deploy. IAM counts characters without whitespace
(IAM quotas, "IAM and AWS STS character limits"); S3 and KMS count bytes.
"""

from __future__ import annotations

import re

import pytest

from tests.conftest import DEFAULT
from tests.test_iam_lint import documents, resolve_references

LIMITS = {
    ("aws_iam_policy", "policy"): 6_144,
    ("aws_iam_role", "assume_role_policy"): 2_048,
    ("aws_s3_bucket_policy", "policy"): 20_480,
    ("aws_kms_key", "policy"): 32_768,
    ("aws_vpc_endpoint", "policy"): 20_480,
}
INLINE_PER_ROLE = 10_240


def size(document: str) -> int:
    return len(re.sub(r"\s", "", resolve_references(document)))


@pytest.mark.parametrize(("resource_type", "attribute"), list(LIMITS), ids=[t for t, _ in LIMITS])
def test_every_document_fits_its_quota(all_stacks, resource_type, attribute):
    found = documents(all_stacks, {resource_type: attribute})
    assert found, f"no {resource_type} to check"
    limit = LIMITS[(resource_type, attribute)]
    over = {where: size(doc) for where, doc in found if size(doc) > limit}
    assert not over, f"over {limit} characters: {over}"


def test_inline_policies_of_a_role_fit_together(all_stacks):
    for stack in all_stacks.values():
        per_role: dict[str, int] = {}
        for conf in stack.resources("aws_iam_role_policy").values():
            per_role[conf["role"]] = per_role.get(conf["role"], 0) + size(conf["policy"])
        assert all(total <= INLINE_PER_ROLE for total in per_role.values()), per_role


def test_the_largest_documents_leave_room_to_grow(stacks):
    """A headroom report the reviewer can read: the boundaries are the largest documents."""
    boundaries = {
        where: size(doc) for where, doc in documents(stacks, {"aws_iam_policy": "policy"}) if "boundary" in where
    }
    assert len(boundaries) == len(DEFAULT.environments) * len(DEFAULT.repositories.all)
    assert max(boundaries.values()) <= 0.9 * LIMITS[("aws_iam_policy", "policy")], boundaries
