"""checkov finds nothing on any stack except what tests/checkov_skips.yaml accepts."""

from __future__ import annotations

import fnmatch
import json

import pytest

from tests.support import checkov
from tests.support.checkov import accepted, scan


@pytest.fixture(scope="module")
def failed_checks(all_stacks, tmp_path_factory) -> list[tuple[str, str, str]]:
    """(check id, "<stack>/<resource>", check name) of every failed check, all stacks at once."""
    scan_dir = tmp_path_factory.mktemp("checkov")
    for stack_id, stack in all_stacks.items():
        document = json.loads(json.dumps(stack.json))
        # checkov 3.3's terraform_json parser crashes on a string directly in the
        # `terraform` block ("this method receives only dicts"); required_version is
        # not security-relevant, so the scanned copy leaves it out.
        document["terraform"].pop("required_version", None)
        (scan_dir / stack_id).mkdir()
        (scan_dir / stack_id / "cdk.tf.json").write_text(json.dumps(document))
    report, stderr = scan("-d", str(scan_dir), framework="terraform_json")
    assert report["summary"]["parsing_errors"] == 0, stderr[-3000:]
    assert report["summary"]["passed"] > 400, report["summary"]
    return [
        (check["check_id"], check["file_path"].strip("/").split("/")[0] + "/" + check["resource"], check["check_name"])
        for check in report["results"]["failed_checks"]
    ]


@pytest.fixture(scope="module")
def skips() -> dict:
    return checkov.skips()


def test_every_skip_has_a_reason_and_a_scope(skips):
    for check_id, entry in skips.items():
        assert set(entry) == {"reason", "resources"}, check_id
        assert len(entry["reason"]) > 40, f"{check_id}: say why the finding is accepted"
        assert entry["resources"], f"{check_id}: say where it is accepted"


def test_no_failed_check_outside_the_skip_list(failed_checks, skips):
    unexpected = [f"{cid} {where}: {name}" for cid, where, name in failed_checks if not accepted(skips, cid, where)]
    assert not unexpected, "fix these, or add them to tests/checkov_skips.yaml with the reason:\n" + "\n".join(
        unexpected
    )


def test_no_skip_outlives_its_finding(failed_checks, skips):
    stale = [
        f"{cid}: {glob}"
        for cid, entry in skips.items()
        for glob in entry["resources"]
        if not any(c == cid and fnmatch.fnmatchcase(where, glob) for c, where, _ in failed_checks)
    ]
    assert not stale, "these skips match no finding any more; delete them:\n" + "\n".join(stale)
