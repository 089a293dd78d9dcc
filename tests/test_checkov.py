"""checkov finds nothing on any stack except what the library's accepted findings
(datalake_cdktf/checks/checkov_accepted.yaml) and tests/checkov_skips.yaml accept."""

from __future__ import annotations

import pytest
from datalake_cdktf.checks.checkov import ACCEPTED_FILE, reasonless, scan_stacks, stale, unaccepted

from tests.support import checkov


@pytest.fixture(scope="module")
def scanned(all_stacks, tmp_path_factory):
    """checkov on every stack at once: the failed checks and the counts."""
    return scan_stacks(
        {stack_id: stack.json for stack_id, stack in all_stacks.items()}, tmp_path_factory.mktemp("scan")
    )


@pytest.fixture(scope="module")
def skips() -> dict:
    return checkov.skips()


def test_every_stack_is_scanned(scanned):
    assert scanned.summary["parsing_errors"] == 0 and scanned.summary["passed"] > 400, scanned.summary


def test_every_skip_has_a_reason_and_a_scope(skips):
    assert skips, f"the library's accepted findings ({ACCEPTED_FILE}) are read"
    assert reasonless(skips) == []


def test_no_failed_check_outside_the_skip_list(scanned, skips):
    unexpected = unaccepted(scanned.findings, skips)
    assert not unexpected, (
        "fix these, or accept them with the reason: in the library's checks/checkov_accepted.yaml when a construct "
        "of the library creates the resource, else in tests/checkov_skips.yaml:\n" + "\n".join(unexpected)
    )


def test_no_skip_outlives_its_finding(scanned, skips):
    outlived = stale(scanned.findings, skips)
    assert not outlived, "these skips match no finding any more; delete them:\n" + "\n".join(outlived)
