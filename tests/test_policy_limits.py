"""Every policy document fits the quota of the service that stores it.

A document over its quota is accepted by `terraform validate` and `plan` and refused by
AWS during `apply`, half-way through a deploy. IAM counts characters without whitespace
(IAM quotas, "IAM and AWS STS character limits"); S3 and KMS count bytes.
"""

from __future__ import annotations

import re

import pytest
from datalake_cdktf.iam.packing import MANAGED_POLICY_MAX, PolicyTooLarge, document_size, pack
from datalake_cdktf.iam.statements import allow, document

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


def _statement(sid: str, actions: int) -> dict:
    return allow(sid, [f"s3:Action{n:04}" for n in range(actions)], "*")


def test_the_packer_fills_each_policy_in_order_before_the_next():
    statements = [_statement(f"S{n}", 100) for n in range(5)]  # ~1,750 characters each
    packed = pack("datalake-dev-sales-deploy", statements, lambda n: f"part-{n}")
    assert list(packed) == ["part-1", "part-2"], {name: len(part) for name, part in packed.items()}
    assert [s for part in packed.values() for s in part] == statements  # the order is kept
    assert all(document_size(part) <= MANAGED_POLICY_MAX for part in packed.values()), packed
    assert len(packed["part-1"]) == 3, "the first policy is filled before the next is begun"


def test_the_packer_names_the_role_whose_permissions_need_too_many_policies():
    statements = [_statement(f"S{n}", 100) for n in range(5)]
    with pytest.raises(PolicyTooLarge, match="datalake-dev-sales-deploy: its permissions need 2 managed policies"):
        pack("datalake-dev-sales-deploy", statements, str, parts=1)
    with pytest.raises(PolicyTooLarge, match="datalake-dev-sales-deploy: statement 'Huge' alone"):
        pack("datalake-dev-sales-deploy", [_statement("Huge", 400)], str)


def test_the_packer_counts_as_iam_does():
    """Whitespace is not counted, the document's version and brackets are."""
    statements = [_statement("S", 3)]
    assert document_size(statements) == len(re.sub(r"\s", "", document(*statements)))
