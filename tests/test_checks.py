"""The library's checks for a repository's tests (datalake_cdktf.checks): where Terraform
gets the provider, what validate reports, and how accepted findings are read and matched.
(Run on every stack, they are tests/test_terraform_validate.py, test_checkov.py and
test_iam_lint.py; on the template's own stacks, its tests/test_stacks.py.)"""

from __future__ import annotations

import json

import pytest
from datalake_cdktf.checks import checkov, iam_lint, read_stacks, terraform

PROVIDER = {"aws": {"source": "hashicorp/aws", "version": terraform.AWS_PROVIDER_VERSION}}


def stack(folder, resources: dict) -> dict:
    document = {
        "terraform": {"required_providers": PROVIDER},
        "provider": {"aws": [{"region": "eu-west-1"}]},
        "resource": resources,
    }
    (folder / "stacks" / "s").mkdir(parents=True)
    (folder / "stacks" / "s" / "cdk.tf.json").write_text(json.dumps(document))
    return document


def test_your_cli_config_is_used_as_it_is_when_its_mirror_holds_the_provider(tmp_path, monkeypatch):
    mirror = terraform.provider_mirror()
    monkeypatch.delenv(terraform.MIRROR_VARIABLE, raising=False)
    yours = terraform.write_cli_config(tmp_path / "yours.tfrc", mirror)
    monkeypatch.setenv("TF_CLI_CONFIG_FILE", str(yours))
    assert terraform.user_cli_config() == yours
    run = terraform.terraform_runner(tmp_path)
    assert run.env["TF_CLI_CONFIG_FILE"] == str(yours) and not (tmp_path / "terraform.rc").exists()

    empty = tmp_path / "empty-mirror"
    (empty / "registry.terraform.io").mkdir(parents=True)
    terraform.write_cli_config(yours, empty)  # a mirror without the pinned provider: not yours then
    assert terraform.user_cli_config() is None
    assert terraform.terraform_runner(tmp_path).env["TF_CLI_CONFIG_FILE"] == str(tmp_path / "terraform.rc")
    monkeypatch.setenv("TF_CLI_CONFIG_FILE", str(tmp_path / "missing.tfrc"))  # as on these machines
    assert terraform.user_cli_config() is None


def test_the_mirror_variable_wins_over_your_cli_config(tmp_path, monkeypatch):
    mirror = terraform.provider_mirror()
    monkeypatch.setenv("TF_CLI_CONFIG_FILE", str(terraform.write_cli_config(tmp_path / "yours.tfrc", mirror)))
    monkeypatch.setenv(terraform.MIRROR_VARIABLE, str(mirror))
    run = terraform.terraform_runner(tmp_path)
    assert run.env["TF_CLI_CONFIG_FILE"] == str(tmp_path / "terraform.rc")
    assert f'path    = "{mirror}"' in (tmp_path / "terraform.rc").read_text()


def test_validate_says_nothing_of_a_valid_stack_and_what_terraform_said_of_another(tmp_path):
    stack(tmp_path / "good", {"aws_s3_bucket": {"b": {"bucket": "a-bucket"}}})
    stack(tmp_path / "bad", {"aws_s3_bucket": {"b": {"bucket": "a-bucket", "no_such_argument": 1}}})
    run = terraform.terraform_runner(tmp_path)
    (good,) = read_stacks(tmp_path / "good").values()
    assert terraform.validate(good.directory, tmp_path / "work-good", run) == ""
    (bad,) = read_stacks(tmp_path / "bad").values()
    said = terraform.validate(bad.directory, tmp_path / "work-bad", run)
    assert said.startswith("terraform validate in s:") and "no_such_argument" in said, said


def test_read_stacks_reads_what_an_app_synthesized(tmp_path):
    document = stack(tmp_path, {})
    (found,) = read_stacks(tmp_path).values()
    assert (found.stack_id, found.directory, found.json) == ("s", tmp_path / "stacks" / "s", document)


def test_a_check_is_accepted_in_one_file_only_with_a_reason_and_a_scope(tmp_path):
    library = checkov.load_accepted(checkov.ACCEPTED_FILE)
    check_id = next(iter(library))
    twice = tmp_path / "twice.yaml"
    twice.write_text(f"{check_id}:\n  reason: {'x' * 50}\n  resources: ['etl-*/aws_s3_bucket.mine*']\n")
    with pytest.raises(ValueError, match=f"{check_id} is accepted in .*checkov_accepted.yaml and in .*twice.yaml"):
        checkov.accepted_findings(twice)
    short = tmp_path / "short.yaml"
    short.write_text("CKV_AWS_0:\n  reason: because\n  resources: ['*']\nCKV_AWS_1:\n  reason: x\n")
    assert checkov.reasonless(checkov.load_accepted(short)) == [
        "CKV_AWS_0: say why the finding is accepted",
        "CKV_AWS_1: give exactly 'reason' and 'resources'",
    ]
    merged = checkov.accepted_findings(short)
    assert merged["CKV_AWS_0"]["reason"] == "because" and check_id in merged, "the library's and the file's"


def test_findings_are_matched_by_check_and_where_and_stale_entries_found():
    skips = {"CKV_X": {"reason": "r" * 50, "resources": ["etl-*/aws_s3_bucket.mine_*", "etl-*/gone.*"]}}
    found = [checkov.Finding("CKV_X", "etl-sales-dev/aws_s3_bucket.mine_1", "n")]
    found += [checkov.Finding("CKV_Y", "etl-sales-dev/aws_s3_bucket.mine_1", "other check")]
    assert checkov.unaccepted(found, skips) == ["CKV_Y etl-sales-dev/aws_s3_bucket.mine_1: other check"]
    assert checkov.stale(found, skips) == ["CKV_X: etl-*/gone.*"]
    assert checkov.accepted_in_plan(skips, "CKV_X", "etl-sales-dev", "aws_s3_bucket.mine_1")


def test_an_iam_acceptance_with_a_detail_accepts_only_findings_with_that_detail():
    entry = {"issue": "UNKNOWN_CONDITION_FOR_ACTION", "policies": ["etl-*/etl/job-*/access"], "reason": "r" * 50}
    entry["detail"] = "Unknown condition kms:ResourceAliases for action kms:*"
    known = iam_lint.Finding(
        entry["issue"], "etl-a-dev/etl/job-x/access", "Unknown condition kms:ResourceAliases for action kms:Decrypt"
    )
    other = iam_lint.Finding(
        entry["issue"], "etl-a-dev/etl/job-x/access", "Unknown condition s3:Typo for action s3:GetObject"
    )
    assert iam_lint.unaccepted([known, other], [entry]) == [f"{other.issue} {other.where}: {other.detail}"]
    assert iam_lint.stale([other], [entry]) == ["UNKNOWN_CONDITION_FOR_ACTION: etl-*/etl/job-*/access"]
    assert iam_lint.reasonless([entry]) == []
    assert iam_lint.reasonless([{**entry, "why": "x"}]) != []


def test_references_resolve_to_placeholder_arns_and_an_unknown_one_says_what_to_add():
    resolved = iam_lint.resolve_references('{"Resource": "${aws_s3_bucket.raw_bucket_1.arn}/*"}')
    assert resolved == '{"Resource": "arn:aws:s3:::placeholder-bucket/*"}'
    with pytest.raises(AssertionError, match=r"add a placeholder for \$\{aws_sqs_queue.q.arn\} to PLACEHOLDERS"):
        iam_lint.resolve_references("${aws_sqs_queue.q.arn}")
